package resp

import (
	"slices"
	"strings"
	"testing"
)

// TestNotificationsAcrossNodes writes through each node of a 3-node
// cluster, with deadlines, and requires that a keyspace subscriber on
// every node hears every write and every expiry (the leader's active
// expiry, applied from the log) identically: the same messages in the
// same order, whichever node a change came through.
func TestNotificationsAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	// CONFIG SET through one node is applied by all before the writes.
	nodes, subs := notifyingCluster(t, 1, "KEA")
	var want []string
	for i, n := range nodes {
		cl := dialCompat(t, "client", n.addr)
		key := "k" + string(rune('0'+i))
		if v, err := cl.do("SET", key, "v", "PX", "50"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("SET via node %d: %v %q", i, err, v.raw)
		}
		for _, event := range []string{"set", "expire"} {
			want = append(want, "__keyspace@0__:"+key+" "+event, "__keyevent@0__:"+event+" "+key)
		}
	}
	// The expiries come from the leader's active expiry, when it finds
	// them, in an order of its own, maybe between the writes: all of
	// them must be heard, each after its key's write, and in one order
	// on every node.
	for i := range nodes {
		key := "k" + string(rune('0'+i))
		want = append(want, "__keyspace@0__:"+key+" expired", "__keyevent@0__:expired "+key)
	}
	var first []string
	for i, sub := range subs {
		got := recvEvents(t, i, sub, len(want))
		sorted, wantSorted := slices.Clone(got), slices.Clone(want)
		slices.Sort(sorted)
		slices.Sort(wantSorted)
		if !slices.Equal(sorted, wantSorted) {
			t.Errorf("node %d heard\n%s\nwant, in some order,\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for k := range nodes {
			key := "k" + string(rune('0'+k))
			set := slices.Index(got, "__keyspace@0__:"+key+" set")
			exp := slices.Index(got, "__keyspace@0__:"+key+" expire")
			gone := slices.Index(got, "__keyspace@0__:"+key+" expired")
			if !(set < exp && exp < gone) {
				t.Errorf("node %d heard %s's set, expire and expired at %d, %d, %d", i, key, set, exp, gone)
			}
		}
		if i == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("node %d heard\n%s\nnode 0 heard\n%s", i, strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
	}
}

// TestKeyMissAcrossNodes: a read is served by one node and is in no log,
// so its keymiss is heard by that node's subscribers only; a write that
// reads (GETDEL) is in the log, and every node hears its keymiss, in log
// order with the other events.
func TestKeyMissAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes, subs := notifyingCluster(t, 2, "Km$")
	clients := make([]*compatConn, len(nodes))
	for i, n := range nodes {
		clients[i] = dialCompat(t, "client", n.addr)
	}
	// Each node's client reads a key of its own that no node has: a
	// follower serves the read itself, after a read barrier, so the
	// CONFIG SET is applied there by then.
	for i, cl := range clients {
		if v, err := cl.do("GET", "miss"+string(rune('0'+i))); err != nil || v.raw != "$-1\r\n" {
			t.Fatalf("GET via node %d: %v %q", i, err, v.raw)
		}
	}
	for _, cmd := range [][]string{{"GETDEL", "gd"}, {"SET", "end", "v"}} {
		if _, err := clients[1].do(cmd...); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	for i, sub := range subs {
		want := []string{"__keyspace@0__:miss" + string(rune('0'+i)) + " keymiss",
			"__keyspace@0__:gd keymiss", "__keyspace@0__:end set"}
		got := recvEvents(t, i, sub, len(want))
		if !slices.Equal(got, want) {
			t.Errorf("node %d heard\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// notifyingCluster starts a 3-node cluster, sets notify-keyspace-events to
// flags through node via, and subscribes to every keyspace and keyevent
// channel on each node.
func notifyingCluster(t *testing.T, via int, flags string) ([]*raftNode, []*compatConn) {
	t.Helper()
	nodes := startRaftNodes(t, 3, nodeOptions{})
	if v, err := dialCompat(t, "config", nodes[via].addr).do("CONFIG", "SET", "notify-keyspace-events", flags); err != nil || v.raw != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %v %q", err, v.raw)
	}
	subs := make([]*compatConn, len(nodes))
	for i, n := range nodes {
		subs[i] = dialCompat(t, "sub", n.addr)
		if _, err := subs[i].do("PSUBSCRIBE", "__key*__:*"); err != nil {
			t.Fatal(err)
		}
	}
	return nodes, subs
}

// recvEvents reads n keyspace pushes from node i's subscriber sub, each
// as "channel message".
func recvEvents(t *testing.T, i int, sub *compatConn, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		v, err := sub.recv()
		if err != nil {
			t.Fatalf("node %d after %q: %v", i, got, err)
		}
		if len(v.elems) != 4 || v.elems[0].text != "pmessage" {
			t.Fatalf("node %d: unexpected push %q", i, v.raw)
		}
		got = append(got, v.elems[2].text+" "+v.elems[3].text)
	}
	return got
}
