package resp

import (
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster/clustertest"
)

// TestBlockedClientsAcrossALeaderChange: a client blocked in BLPOP on
// every node while the leader is cut off and another elected; what the new
// leader's clients push reaches the blocked clients, each element one
// client, none twice, none lost, once the old leader is back.
func TestBlockedClientsAcrossALeaderChange(t *testing.T) {
	opts := clusterNodes()
	opts.network = clustertest.NewNetwork(1)
	nodes := startRaftNodes(t, 3, opts)
	var blocked []*conn
	for _, n := range nodes {
		c := dial(t, n.addr)
		if _, err := io.WriteString(c.c, cmd("BLPOP", "q", "0")); err != nil {
			t.Fatal(err)
		}
		blocked = append(blocked, c)
	}
	eventually(t, "three waiters", func() string { return waiters(nodes, 3) })
	old := waitForLeader(t, nodes)
	opts.network.Isolate(old.node.ID())
	lead := waitForLeader(t, others(nodes, old))
	p := dial(t, lead.addr)
	for _, e := range []string{"a", "b", "c"} {
		if got := p.do("RPUSH", "q", e); !slices.Contains([]string{":1\r\n", ":2\r\n", ":3\r\n"}, got) {
			t.Fatalf("RPUSH %s: %q", e, got)
		}
	}
	opts.network.Heal()
	var got []string
	for i, c := range blocked {
		_ = c.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		v, err := readValue(c.rd)
		if err != nil {
			t.Fatalf("blocked client on node %d: %v", i, err)
		}
		got = append(got, v)
	}
	slices.Sort(got)
	want := []string{"*2\r\n$1\r\nq\r\n$1\r\na\r\n", "*2\r\n$1\r\nq\r\n$1\r\nb\r\n", "*2\r\n$1\r\nq\r\n$1\r\nc\r\n"}
	if !slices.Equal(got, want) {
		t.Errorf("blocked clients got %q, want one element each", got)
	}
	if n := dial(t, old.addr).do("LLEN", "q"); n != ":0\r\n" {
		t.Errorf("LLEN q on the old leader = %q", n)
	}
}

// waiters reports, unless every node's Store holds n blocked clients,
// what they hold.
func waiters(nodes []*raftNode, n int) string {
	for i, nd := range nodes {
		if w := nd.srv.store.Waiters(); w != n {
			return fmt.Sprintf("node %d has %d waiters", i, w)
		}
	}
	return ""
}

// others returns nodes but n.
func others(nodes []*raftNode, n *raftNode) []*raftNode {
	var out []*raftNode
	for _, m := range nodes {
		if m != n {
			out = append(out, m)
		}
	}
	return out
}
