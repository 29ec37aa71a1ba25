package resp

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// infoField returns one field of INFO's reply.
func infoField(c *conn, section, name string) string {
	info := c.do("INFO", section)
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

// sameState waits until every node has applied the same log and returns
// "" if their states (keys, values, deadlines and access statistics) are
// then byte for byte the same.
func sameState(t *testing.T, nodes []*raftNode) string {
	t.Helper()
	var first []byte
	idx := nodes[0].srv.store.AppliedIndex()
	for _, n := range nodes {
		if n.srv.store.AppliedIndex() != idx {
			return "nodes have applied different logs so far"
		}
	}
	for i, n := range nodes {
		sn, err := n.srv.store.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := sn.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if n.srv.store.AppliedIndex() != idx {
			return "a node applied more meanwhile"
		}
		if i == 0 {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			return fmt.Sprintf("node %d's state differs from node 0's", i)
		}
	}
	return ""
}

// TestEvictionAcrossTheCluster fills a 3-node cluster past maxmemory
// under each policy, writing through every node, and checks that memory
// comes back under the limit, that every node then holds exactly the same
// keys (and statistics), and that volatile policies evict only keys with
// a deadline.
func TestEvictionAcrossTheCluster(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	var conns []*conn
	for _, n := range nodes {
		conns = append(conns, dial(t, n.addr))
	}
	const limit = 64 << 10
	value := strings.Repeat("v", 200)
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			c := conns[0]
			if got := c.do("FLUSHALL"); got != "+OK\r\n" {
				t.Fatal(got)
			}
			if got := c.do("CONFIG", "SET", "maxmemory", strconv.Itoa(limit), "maxmemory-policy", policy); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET: %q", got)
			}
			volatile := strings.HasPrefix(policy, "volatile")
			var persistent []string
			for i := range 1200 {
				c := conns[i%3]
				key := fmt.Sprintf("%s:%d", policy, i)
				args := []string{"SET", key, value}
				if volatile && i%3 != 0 {
					args = append(args, "EX", strconv.Itoa(1000+i))
				} else if volatile {
					if len(persistent) >= 60 {
						continue // keep the keys without deadline well under the limit
					}
					persistent = append(persistent, key)
				}
				if got := c.do(args...); got != "+OK\r\n" {
					t.Fatalf("%v: %q", args[:2], got)
				}
				if i%10 == 0 {
					conns[(i+1)%3].do("GET", key)
				}
			}
			eventually(t, "memory under the limit and the same state everywhere", func() string {
				for i, c := range conns {
					used, _ := strconv.Atoi(infoField(c, "memory", "used_memory"))
					if used > limit {
						return fmt.Sprintf("node %d uses %d > %d", i, used, limit)
					}
				}
				return sameState(t, nodes)
			})
			if n := nodes[0].srv.store.Stats().EvictedKeys; n == 0 {
				t.Error("nothing evicted")
			}
			for _, k := range persistent {
				if got := conns[1].do("EXISTS", k); got != ":1\r\n" {
					t.Fatalf("%s evicted %s, which has no deadline", policy, k)
				}
			}
			if got := infoField(conns[2], "stats", "evicted_keys"); got == "0" || got == "" {
				t.Errorf("a follower's evicted_keys is %q", got)
			}
		})
	}
}

// TestNoEvictionAnswersOOMAndLosesNothing fills a cluster under
// noeviction from every node: writes past the limit get Redis's OOM error,
// everything acknowledged stays, reads and DEL keep working.
func TestNoEvictionAnswersOOMAndLosesNothing(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	c := dial(t, nodes[0].addr)
	if got := c.do("CONFIG", "SET", "maxmemory", "32768", "maxmemory-policy", "noeviction"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	var acked []string
	oom := 0
	for i := range 600 {
		key := "k" + strconv.Itoa(i)
		switch got := dial(t, nodes[i%3].addr).do("SET", key, strings.Repeat("x", 100)); got {
		case "+OK\r\n":
			acked = append(acked, key)
		case "-OOM command not allowed when used memory > 'maxmemory'.\r\n":
			oom++
		default:
			t.Fatalf("SET %s: %q", key, got)
		}
	}
	if oom == 0 || len(acked) == 0 {
		t.Fatalf("%d acknowledged, %d OOM", len(acked), oom)
	}
	for _, n := range nodes {
		f := dial(t, n.addr)
		for _, k := range acked {
			if got := f.do("EXISTS", k); got != ":1\r\n" {
				t.Fatalf("acknowledged %s missing", k)
			}
		}
	}
	if got := c.do("DEL", acked[0]); got != ":1\r\n" {
		t.Errorf("DEL over the limit: %q", got)
	}
	eventually(t, "the same state everywhere", func() string { return sameState(t, nodes) })
}

// TestLeaderChangeMidEviction moves the leadership while the cluster
// evicts a write burst, and checks that no key is evicted twice (every
// node counts the same evictions, which equal the keys written and gone),
// and that no key written after memory came back under the limit is lost.
func TestLeaderChangeMidEviction(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	c := dial(t, nodes[0].addr)
	if got := c.do("CONFIG", "SET", "maxmemory", "65536", "maxmemory-policy", "allkeys-lru"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := map[string]bool{}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := dial(t, nodes[w].addr)
			for i := range 400 {
				key := fmt.Sprintf("w%d:%d", w, i)
				if got := cl.do("SET", key, strings.Repeat("x", 200)); got == "+OK\r\n" {
					mu.Lock()
					written[key] = true
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	for range 2 {
		lead := waitForLeader(t, nodes)
		var to *raftNode
		for _, n := range nodes {
			if n != lead {
				to = n
				break
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := lead.node.TransferLeadership(ctx, to.node.ID()); err != nil {
			t.Logf("transfer: %v", err)
		}
		cancel()
		time.Sleep(150 * time.Millisecond)
	}
	wg.Wait()
	eventually(t, "memory under the limit and the same state everywhere", func() string {
		if used := nodes[0].srv.store.UsedMemory(); used > 65536 {
			return fmt.Sprintf("used %d", used)
		}
		return sameState(t, nodes)
	})
	// Every node applied the same evictions, each of which deleted a
	// distinct key: evicted plus present is at least what was
	// acknowledged and at most what was sent (a write whose reply was
	// lost in the leader change may still have been applied).
	const attempted = 3 * 400
	present := nodes[0].srv.store.Len()
	ev0 := nodes[0].srv.store.Stats().EvictedKeys
	for i, n := range nodes {
		ev := n.srv.store.Stats().EvictedKeys
		if ev != ev0 {
			t.Errorf("node %d evicted %d keys, node 0 %d", i, ev, ev0)
		}
		if total := int(ev) + present; total < len(written) || total > attempted {
			t.Errorf("node %d: %d evicted + %d present, %d acknowledged of %d sent", i, ev, present, len(written), attempted)
		}
	}
	// A key written now stays.
	if got := c.do("SET", "after", "1"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	time.Sleep(300 * time.Millisecond)
	if got := c.do("GET", "after"); got != "$1\r\n1\r\n" {
		t.Errorf("GET after = %q", got)
	}
}

// TestFollowerReadsReachTheLeader reads a key only on a follower, under
// LFU, and checks that the leader's (and the other follower's) counter
// for it grows: the follower's access reports are applied everywhere.
func TestFollowerReadsReachTheLeader(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	lead := waitForLeader(t, nodes)
	fs := followers(t, nodes)
	lc, fc, oc := dial(t, lead.addr), dial(t, fs[0].addr), dial(t, fs[1].addr)
	if got := lc.do("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := lc.do("SET", "hot", "v"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := lc.do("OBJECT", "FREQ", "hot"); got != ":5\r\n" {
		t.Fatalf("FREQ of a new key: %q", got)
	}
	for range 50 {
		fc.do("GET", "hot")
	}
	eventually(t, "the follower's reads counted on the leader and the other follower", func() string {
		for _, c := range []*conn{lc, oc} {
			if got := c.do("OBJECT", "FREQ", "hot"); got == ":5\r\n" {
				return "FREQ still " + got
			}
		}
		return sameState(t, nodes)
	})
}
