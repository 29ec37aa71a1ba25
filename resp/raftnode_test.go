package resp

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"github.com/raftcache/raftcache/fsm"
)

// raftNode is one raftcache node in this process, wired as cmd/raftcache
// wires it: a cluster.Node over its own state directory and loopback gRPC,
// an fsm.Store with its active expiry and eviction, and a Server on a free port. Unlike
// startServer's fake cluster, every write really goes through Raft.
type raftNode struct {
	node     *cluster.Node
	srv      *Server
	addr     string // RESP
	raftAddr string
	stateDir string

	stopExpiry func()        // ends the active expiry loop
	expiryDone chan struct{} // closed when it has ended
	stopOnce   sync.Once
	stopErr    error
}

// nodeOptions are what the tests' nodes may change; the zero value keeps
// cmd/raftcache's defaults.
type nodeOptions struct {
	tickInterval  time.Duration // cluster.Config.TickInterval
	electionTicks int           // cluster.Config.ElectionTicks
	timeout       time.Duration // Config.Timeout, the bound of each request
	// snapshotEntries is cluster.Config.SnapshotEntries (and the entries
	// kept behind a snapshot): small, so that a test sees snapshots.
	snapshotEntries uint64
	// restart, if set, starts the node again from the state directory
	// and Raft address of this stopped node.
	restart *raftNode
	// wrapRaft, if set, wraps the node's Raft listener: a test that
	// refuses what it accepts cuts the node off from its peers' messages.
	wrapRaft func(net.Listener) net.Listener
	// network, if set, carries the nodes' raft traffic in memory instead
	// of gRPC on loopback: a test partitions the cluster through it.
	network *clustertest.Network
}

// stop ends the node's active expiry, then shuts its server and its node
// down. A test may call it to take a node away; the cleanup calls it too.
func (n *raftNode) stop() error {
	n.stopOnce.Do(func() {
		n.stopExpiry()
		<-n.expiryDone
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.stopErr = errors.Join(n.srv.Shutdown(ctx), n.node.Shutdown(ctx))
	})
	return n.stopErr
}

// startRaftNodes starts a cluster of size nodes (the first bootstraps it,
// the others join it), waits until they agree on a leader, and stops them
// all when the test ends.
func startRaftNodes(t *testing.T, size int, opts nodeOptions) []*raftNode {
	t.Helper()
	var nodes []*raftNode
	for i := range size {
		join := ""
		if i > 0 {
			join = nodes[0].raftAddr
		}
		nodes = append(nodes, startRaftNode(t, join, opts))
		if i == 0 {
			waitForLeader(t, nodes)
		}
	}
	// Joiners enter as learners, promoted by the leader once caught up:
	// a test that stops a member expects the others to hold a quorum.
	for deadline := time.Now().Add(30 * time.Second); ; {
		voters := 0
		for _, n := range nodes {
			if n.node.Status().Role != cluster.RoleLearner {
				voters++
			}
		}
		if voters == len(nodes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d nodes voters after 30s", voters, len(nodes))
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitForLeader(t, nodes)
	return nodes
}

func startRaftNode(t *testing.T, join string, opts nodeOptions) *raftNode {
	t.Helper()
	raftAt, stateDir := "127.0.0.1:0", ""
	if opts.restart != nil {
		raftAt, stateDir = opts.restart.raftAddr, opts.restart.stateDir
	} else {
		stateDir = t.TempDir()
	}
	respLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var raftLis net.Listener
	if opts.network == nil {
		if raftLis, err = net.Listen("tcp", raftAt); err != nil {
			t.Fatal(err)
		}
		if opts.wrapRaft != nil {
			raftLis = opts.wrapRaft(raftLis)
		}
		raftAt = raftLis.Addr().String()
	} else if opts.restart == nil {
		raftAt = "raft-" + respLis.Addr().String()
	}
	store := fsm.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := cluster.Config{
		StateDir: stateDir, RaftAddr: raftAt, Listener: raftLis,
		APIAddr: "127.0.0.1:1", RESPAddr: respLis.Addr().String(), Join: join,
		StateMachine: store, Logger: quietLogger(),
		TickInterval: opts.tickInterval, ElectionTicks: opts.electionTicks,
		SnapshotEntries: opts.snapshotEntries, CatchUpEntries: opts.snapshotEntries,
	}
	if opts.network != nil { // not a nil *Network in the interface
		cfg.Network = opts.network
	}
	node, err := cluster.Start(ctx, cfg)
	if err != nil {
		if raftLis != nil {
			raftLis.Close()
		}
		respLis.Close()
		t.Fatalf("start node: %v", err)
	}
	n := &raftNode{node: node, addr: respLis.Addr().String(), raftAddr: raftAt,
		stateDir: stateDir, expiryDone: make(chan struct{})}
	n.srv = NewServer(Config{Logger: quietLogger(), Timeout: opts.timeout}, node, store)
	served := make(chan error, 1)
	go func() { served <- n.srv.Serve(respLis) }()
	var expiryCtx context.Context
	expiryCtx, n.stopExpiry = context.WithCancel(context.Background())
	go func() {
		defer close(n.expiryDone)
		propose := func(ctx context.Context, cmd []byte) error {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := node.Replicate(ctx, cmd)
			return err
		}
		clock := func() int64 { return time.Now().UnixMilli() }
		// Eviction and access reports, as cmd/raftcache runs them.
		memDone := make(chan struct{})
		go func() {
			defer close(memDone)
			fsm.RunMemory(expiryCtx, store, node.IsLeader, propose, clock, 0)
		}()
		fsm.RunActiveExpiry(expiryCtx, store, node.IsLeader, propose, clock)
		<-memDone
	}()
	t.Cleanup(func() {
		if err := n.stop(); err != nil {
			t.Errorf("stop node: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return n
}

// waitForLeader waits until the nodes agree on a leader among them and
// returns it.
func waitForLeader(t *testing.T, nodes []*raftNode) *raftNode {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		var lead uint64
		agree := true
		for _, n := range nodes {
			if l := n.node.Status().Leader; l == 0 || (lead != 0 && l != lead) {
				agree = false
			} else {
				lead = l
			}
		}
		for _, n := range nodes {
			if agree && n.node.ID() == lead {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no agreed leader within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// followers waits for an agreed leader and returns the other nodes.
func followers(t *testing.T, nodes []*raftNode) []*raftNode {
	t.Helper()
	lead := waitForLeader(t, nodes)
	var out []*raftNode
	for _, n := range nodes {
		if n != lead {
			out = append(out, n)
		}
	}
	return out
}
