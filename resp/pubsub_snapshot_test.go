package resp

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// gateListener is a Raft listener a test can shut: while shut, it closes
// every connection it has accepted and every new one, so that the node
// hears nothing from its peers (what it sends still goes out).
type gateListener struct {
	net.Listener
	mu    sync.Mutex
	shut  bool
	conns []net.Conn
}

func (g *gateListener) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		if g.shut {
			g.mu.Unlock()
			c.Close()
			continue
		}
		g.conns = append(g.conns, c)
		g.mu.Unlock()
		return c, nil
	}
}

func (g *gateListener) setShut(shut bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = shut
	if shut {
		for _, c := range g.conns {
			c.Close()
		}
		g.conns = nil
	}
}

// TestPubsubSnapshotInstallDisconnectsSubscribers cuts a follower off
// from its leader while messages are published, long enough that the
// leader compacts its log past the follower, and heals: the follower
// catches up by installing a snapshot, skipping the entries of the
// messages published meanwhile. Its subscriber must then be
// disconnected, not left connected as if it had missed nothing.
func TestPubsubSnapshotInstallDisconnectsSubscribers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	var gatesMu sync.Mutex
	var gates []*gateListener
	opts := nodeOptions{snapshotEntries: 20, wrapRaft: func(l net.Listener) net.Listener {
		g := &gateListener{Listener: l}
		gatesMu.Lock()
		gates = append(gates, g)
		gatesMu.Unlock()
		return g
	}}
	nodes := startRaftNodes(t, 3, opts)
	lead := waitForLeader(t, nodes)
	var f *raftNode
	var gate *gateListener
	for i, n := range nodes {
		if n != lead {
			f, gate = n, gates[i]
			break
		}
	}
	sub := dialCompat(t, "subscriber", f.addr)
	if v, err := sub.do("SUBSCRIBE", "c"); err != nil || len(v.elems) != 3 {
		t.Fatalf("SUBSCRIBE: %v %q", err, v.raw)
	}
	pub := dialCompat(t, "publisher", lead.addr)
	publish := func(payload string) {
		t.Helper()
		if v, err := pub.do("PUBLISH", "c", payload); err != nil || v.raw != ":0\r\n" {
			t.Fatalf("PUBLISH %s: %v %q", payload, err, v.raw)
		}
	}
	publish("before")
	gate.setShut(true)
	const cut = 100 // five snapshot intervals: compacted past the follower
	for i := range cut {
		publish(strconv.Itoa(i))
	}
	gate.setShut(false)
	deadline := time.Now().Add(30 * time.Second)
	for f.node.Status().Applied < lead.node.Status().Applied {
		if time.Now().After(deadline) {
			t.Fatalf("the follower did not catch up within 30s: %+v, leader %+v", f.node.Status(), lead.node.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	publish("after")
	var got []string
	if err := sub.c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for {
		v, err := sub.recv()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the subscriber got neither the message published after the heal nor a disconnect: received %v", got)
			}
			t.Logf("disconnected after %d messages (%v), as it must be", len(got), err)
			return
		}
		if len(v.elems) != 3 {
			t.Fatalf("unexpected push %q", v.raw)
		}
		got = append(got, v.elems[2].text)
		if v.elems[2].text == "after" {
			break
		}
	}
	if len(got) != cut+2 {
		t.Fatalf("the subscriber stayed connected through the follower's snapshot install but received %d of %d messages: %v", len(got), cut+2, got)
	}
	t.Fatal("every message arrived: the follower caught up from the log, not from a snapshot, and the test showed nothing")
}
