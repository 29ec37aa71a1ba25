package resp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// raftNode is one raftcache node in this process, wired as cmd/raftcache
// wires it: a cluster.Node over its own state directory and loopback gRPC,
// an fsm.Store with its active expiry, and a Server on a free port. Unlike
// startServer's fake cluster, every write really goes through Raft.
type raftNode struct {
	node     *cluster.Node
	store    *fsm.Store
	srv      *Server
	addr     string // RESP
	raftAddr string
}

// startRaftNodes starts a cluster of n nodes (the first bootstraps it, the
// others join it) and stops them all when the test ends.
func startRaftNodes(t *testing.T, n int) []*raftNode {
	t.Helper()
	var nodes []*raftNode
	for i := range n {
		join := ""
		if i > 0 {
			join = nodes[0].raftAddr
		}
		nodes = append(nodes, startRaftNode(t, join))
		if i == 0 {
			waitForLeader(t, nodes)
		}
	}
	waitForLeader(t, nodes)
	return nodes
}

func startRaftNode(t *testing.T, join string) *raftNode {
	t.Helper()
	raftLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	respLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	store := fsm.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := cluster.Start(ctx, cluster.Config{
		StateDir: t.TempDir(), RaftAddr: raftLis.Addr().String(), Listener: raftLis,
		APIAddr: "127.0.0.1:1", RESPAddr: respLis.Addr().String(), Join: join,
		StateMachine: store, Logger: quietLogger(),
	})
	if err != nil {
		raftLis.Close()
		respLis.Close()
		t.Fatalf("start node: %v", err)
	}
	srv := NewServer(Config{Logger: quietLogger()}, node, store)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(respLis) }()
	expiryCtx, stopExpiry := context.WithCancel(context.Background())
	expiryDone := make(chan struct{})
	go func() {
		defer close(expiryDone)
		fsm.RunActiveExpiry(expiryCtx, store, node.IsLeader, func(ctx context.Context, cmd []byte) error {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := node.Replicate(ctx, cmd)
			return err
		}, func() int64 { return time.Now().UnixMilli() })
	}()
	t.Cleanup(func() {
		stopExpiry()
		<-expiryDone
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("resp shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		if err := node.Shutdown(ctx); err != nil {
			t.Errorf("node shutdown: %v", err)
		}
	})
	return &raftNode{node: node, store: store, srv: srv, addr: respLis.Addr().String(), raftAddr: raftLis.Addr().String()}
}

// waitForLeader waits until every node knows the same leader.
func waitForLeader(t *testing.T, nodes []*raftNode) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		lead := nodes[0].node.Status().Leader
		agree := lead != 0
		for _, n := range nodes[1:] {
			agree = agree && n.node.Status().Leader == lead
		}
		if agree {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no agreed leader within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// follower returns a node that is not the leader.
func follower(t *testing.T, nodes []*raftNode) *raftNode {
	t.Helper()
	for _, n := range nodes {
		if st := n.node.Status(); st.Leader != 0 && st.Leader != st.ID {
			return n
		}
	}
	t.Fatal("no follower")
	return nil
}

// compatTargets starts a single node and a 3-node cluster and returns the
// single node and a follower of the cluster, the two targets the
// differential suite checks. It also returns the follower, so that a test
// can tell afterwards whether it stayed one.
func compatTargets(t *testing.T) ([]compatTarget, *raftNode) {
	t.Helper()
	single := startRaftNodes(t, 1)[0]
	f := follower(t, startRaftNodes(t, 3))
	return []compatTarget{
		{name: "single", addr: single.addr},
		{name: "follower", addr: f.addr},
	}, f
}
