package resp

import (
	"context"
	"strings"
	"testing"
)

// TestScriptsAgreeAcrossNodes runs scripts that draw random numbers, read
// TIME, print a table's address and fail half way on a 3-node cluster,
// through one node, and requires every node to hold the same state afterwards,
// and the cluster to go on serving.
func TestScriptsAgreeAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes := startRaftNodes(t, 3, nodeOptions{})
	ctx := context.Background()
	entry := goRedisClient(t, followers(t, nodes)[0].addr, 2)
	if err := entry.Eval(ctx, `
		local t = {}
		for i = 1, 10 do t[i] = math.random(1000000) end
		redis.call('set', 'random', table.concat(t, ','))
		redis.call('set', 'time', table.concat(redis.call('time'), '.'))
		redis.call('set', 'addr', tostring({}))
		return 1`, nil).Err(); err != nil {
		t.Fatal(err)
	}
	// A script that fails half way keeps its writes on every node. (A
	// runaway script's bound, 50M instructions, takes too long under the
	// race detector for the write timeout: fsm's tests check it with a
	// smaller budget.)
	err := entry.Eval(ctx, "redis.call('set', 'before', 'yes') redis.call('hset', 'before', 'f', 'v')", nil).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatalf("failing script: %v", err)
	}
	if err := entry.Set(ctx, "after", "served", 0).Err(); err != nil {
		t.Fatalf("a write after the runaway script: %v", err)
	}
	var want []string
	for i, n := range nodes {
		c := goRedisClient(t, n.addr, 2)
		vals, err := c.MGet(ctx, "random", "time", "addr", "before", "after").Result()
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		var got []string
		for _, v := range vals {
			s, _ := v.(string)
			got = append(got, s)
		}
		if i == 0 {
			want = got
			if got[0] == "" || got[3] != "yes" || got[4] != "served" {
				t.Fatalf("node 0: %q", got)
			}
			continue
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("node %d has %q, node 0 %q", i, got, want)
		}
	}
}
