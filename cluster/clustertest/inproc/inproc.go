// Package inproc runs raftcache clusters inside a test: real cluster.Nodes,
// each with its fsm.Store and its WAL in t.TempDir(), talking over a
// clustertest.Network that the test can partition, make lossy or slow, as
// etcd's rafttest and hashicorp/raft's MakeCluster do. A scenario reads:
//
//	c := inproc.MakeCluster(t, 3, nil)
//	lead := c.Leader()
//	c.Net.Isolate(c.ID(lead))
//	if _, err := c.Propose(lead, "SET", "k", "v"); err == nil { ... }
//	c.Net.Heal()
//
// It is a package of its own, apart from clustertest, because it imports
// cluster, whose own tests import clustertest.
package inproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"github.com/raftcache/raftcache/fsm"
)

// Timeout bounds each helper's wait (a leader, an answer, agreement): a
// loaded machine running the race detector is slow, a test that hangs is
// worse.
const Timeout = 20 * time.Second

// Options tune a cluster; the zero value (or nil) is fine.
type Options struct {
	// Seed is the network's (see clustertest.NewNetwork); default 1.
	Seed uint64
	// Tune, if set, adjusts each node's configuration before it starts
	// (SnapshotEntries, ReadTimeout, ...). Network, StateDir, RaftAddr,
	// Join and StateMachine are the cluster's.
	Tune func(i int, cfg *cluster.Config)
}

// Cluster is a running in-process cluster. Nodes are numbered from 0.
// Node, ID, Running, Propose, ProposeContext and Read may be called from
// any goroutine, while the test's own goroutine stops and starts nodes:
// they see a node's current incarnation, and Propose on a stopped one
// fails with cluster.ErrStopped. The methods that can fail the test
// belong on the test's goroutine.
type Cluster struct {
	// Net carries every message between the nodes: cut, drop and delay
	// them through it.
	Net *clustertest.Network

	t    testing.TB
	opts Options

	mu    sync.Mutex
	nodes []*Node // each node's current incarnation
}

// Node is one incarnation of a member: its cluster.Node and Store, and
// where it lives. Start makes a new one; a stopped one stays stopped.
type Node struct {
	*cluster.Node
	Store *fsm.Store
	Dir   string // state directory, kept across restarts
	Addr  string // raft address on Net

	restoreMu sync.Mutex // held by Restore, and by Agree's snapshots
}

// guarded is the Store as its node drives it. A Store allows Snapshot
// only between Apply calls on the node's apply loop, concurrently with
// Apply but not with Restore; Agree takes snapshots from the test's
// goroutine, so Restore excludes them.
type guarded struct {
	*fsm.Store
	mu *sync.Mutex
}

func (g guarded) Restore(r io.Reader) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.Store.Restore(r)
}

// MakeCluster starts size nodes: the first bootstraps, the others join it.
// It returns once all are voters and agree on a leader; t.Cleanup stops
// them.
func MakeCluster(t testing.TB, size int, opts *Options) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.Seed == 0 {
		c.opts.Seed = 1
	}
	c.Net = clustertest.NewNetwork(c.opts.Seed)
	t.Cleanup(c.Close)
	for i := range size {
		join := ""
		if i > 0 {
			join = c.Node(0).Addr
		}
		c.start(&Node{Dir: t.TempDir(), Addr: fmt.Sprintf("node%d", i)}, i, join)
		if i == 0 {
			c.Leader()
		}
	}
	c.waitVoters()
	c.Leader()
	return c
}

func (c *Cluster) config(n *Node, i int, join string) cluster.Config {
	cfg := cluster.Config{
		StateDir: n.Dir, RaftAddr: n.Addr, Join: join, Network: c.Net,
		Logger:       slog.New(slog.DiscardHandler),
		TickInterval: 20 * time.Millisecond, ElectionTicks: 15,
		ReadTimeout: 2 * time.Second,
	}
	if os.Getenv("RAFTCACHE_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test_node", i)
	}
	if c.opts.Tune != nil {
		c.opts.Tune(i, &cfg)
	}
	cfg.StateDir, cfg.RaftAddr, cfg.AdvertiseRaft, cfg.Join = n.Dir, n.Addr, n.Addr, join
	cfg.Network, cfg.StateMachine = c.Net, guarded{n.Store, &n.restoreMu}
	return cfg
}

// start starts n as node i, a new one (i == len(c.nodes)) or the next
// incarnation of a stopped one.
func (c *Cluster) start(n *Node, i int, join string) {
	c.t.Helper()
	n.Store = fsm.New()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	node, err := cluster.Start(ctx, c.config(n, i, join))
	if err != nil {
		c.t.Fatalf("start node %d: %v", i, err)
	}
	n.Node = node
	c.mu.Lock()
	defer c.mu.Unlock()
	if i == len(c.nodes) {
		c.nodes = append(c.nodes, n)
	} else {
		c.nodes[i] = n
	}
}

// all returns the current incarnation of every node.
func (c *Cluster) all() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.nodes)
}

// waitVoters waits until every running node sees all the others and is a
// voter itself: joiners enter as learners, promoted once caught up.
func (c *Cluster) waitVoters() {
	c.t.Helper()
	c.eventually("all nodes voters", func() string {
		all := c.all()
		for i, n := range all {
			if st := n.Status(); st.Members != len(all) || st.Role == cluster.RoleLearner {
				return fmt.Sprintf("node %d: %d members, role %v", i, st.Members, st.Role)
			}
		}
		return ""
	})
}

// eventually retries f, which says what is still wrong or "", until it
// returns "" or Timeout passes.
func (c *Cluster) eventually(what string, f func() string) {
	c.t.Helper()
	var last string
	for deadline := time.Now().Add(Timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if last = f(); last == "" {
			return
		}
	}
	c.t.Fatalf("%s: not within %v: %s", what, Timeout, last)
}

// Until waits until cond holds, failing the test (with what) if it does
// not within Timeout.
func (c *Cluster) Until(what string, cond func() bool) {
	c.t.Helper()
	c.eventually(what, func() string {
		if cond() {
			return ""
		}
		return "still not"
	})
}

// Size is the number of nodes, running or stopped.
func (c *Cluster) Size() int { return len(c.all()) }

// Node returns node i's current incarnation.
func (c *Cluster) Node(i int) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// ID returns node i's raft ID; it stays the same across restarts.
func (c *Cluster) ID(i int) uint64 { return c.Node(i).ID() }

// IDs returns the raft IDs of nodes is, for Net.Partition.
func (c *Cluster) IDs(is ...int) []uint64 {
	ids := make([]uint64, len(is))
	for k, i := range is {
		ids[k] = c.ID(i)
	}
	return ids
}

// Others returns every node but is, in order.
func (c *Cluster) Others(is ...int) []int {
	var out []int
	for i := range c.Size() {
		if !slices.Contains(is, i) {
			out = append(out, i)
		}
	}
	return out
}

// Running returns the nodes that are started and not stopped.
func (c *Cluster) Running() []int {
	var out []int
	for i, n := range c.all() {
		if !isDone(n.Node) {
			out = append(out, i)
		}
	}
	return out
}

func isDone(n *cluster.Node) bool {
	select {
	case <-n.Done():
		return true
	default:
		return false
	}
}

// Leader waits until the running nodes in is (all running nodes if none
// is given) agree on a leader among them, and returns it.
func (c *Cluster) Leader(is ...int) int {
	c.t.Helper()
	if len(is) == 0 {
		is = c.Running()
	}
	lead := -1
	c.eventually("an agreed leader", func() string {
		var id uint64
		for _, i := range is {
			l := c.Node(i).Status().Leader
			if l == 0 || (id != 0 && l != id) {
				return fmt.Sprintf("node %d sees leader %016x, another %016x", i, l, id)
			}
			id = l
		}
		for _, i := range is {
			if c.ID(i) == id {
				lead = i
				return ""
			}
		}
		return fmt.Sprintf("leader %016x is none of %v", id, is)
	})
	return lead
}

// Follower returns a running node that is not the leader.
func (c *Cluster) Follower() int {
	c.t.Helper()
	lead := c.Leader()
	for _, i := range c.Running() {
		if i != lead {
			return i
		}
	}
	c.t.Fatal("no follower running")
	return -1
}

// Propose replicates the Redis write command args through node i and
// returns its reply, or the error saying why it has none (see
// cluster.Node.Replicate: ErrOutcomeUnknown, ErrNoLeader...). It waits at
// most Timeout.
func (c *Cluster) Propose(i int, args ...string) (fsm.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	return c.ProposeContext(ctx, i, args...)
}

// ProposeContext is Propose bounded by ctx.
func (c *Cluster) ProposeContext(ctx context.Context, i int, args ...string) (fsm.Reply, error) {
	cmd, err := parse(args)
	if err != nil {
		return fsm.Reply{}, err
	}
	v, err := c.Node(i).Replicate(ctx, cmd.AppendBinary(nil))
	if err != nil {
		return fsm.Reply{}, err
	}
	r, ok := v.(fsm.Reply)
	if !ok {
		return fsm.Reply{}, fmt.Errorf("%v on node %d: Apply returned %T, not an fsm.Reply", args, i, v)
	}
	return r, nil
}

// MustPropose is Propose that fails the test on an error, or an error
// reply.
func (c *Cluster) MustPropose(i int, args ...string) fsm.Reply {
	c.t.Helper()
	r, err := c.Propose(i, args...)
	if err != nil || r.IsError() {
		c.t.Fatalf("%v on node %d: %v %v", args, i, r, err)
	}
	return r
}

// Read runs the Redis read command args on node i after a linearizable
// read barrier, bounded by the node's ReadTimeout and Timeout.
func (c *Cluster) Read(i int, args ...string) (fsm.Reply, error) {
	cmd, err := parse(args)
	if err != nil {
		return fsm.Reply{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	n := c.Node(i)
	if err := n.LinearizableRead(ctx); err != nil {
		return fsm.Reply{}, err
	}
	return n.Store.Read(cmd, time.Now().UnixMilli()), nil
}

// Get is GET key on node i, linearizable, failing the test on an error;
// a missing key reads as "".
func (c *Cluster) Get(i int, key string) string {
	c.t.Helper()
	r, err := c.Read(i, "GET", key)
	if err != nil || r.IsError() {
		c.t.Fatalf("GET %s on node %d: %v %v", key, i, r, err)
	}
	return string(r.Bytes)
}

func parse(args []string) (fsm.Command, error) {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd, ok, err := fsm.Parse(argv, time.Now().UnixMilli())
	if err != nil {
		return fsm.Command{}, fmt.Errorf("%v: %s", args, err)
	}
	if !ok {
		return fsm.Command{}, fmt.Errorf("%v: not a command fsm knows", args)
	}
	return cmd, nil
}

// Stop shuts node i down, keeping its state directory.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.Node(i).Shutdown(ctx); err != nil {
		c.t.Fatalf("stop node %d: %v", i, err)
	}
}

// Start starts node i again from its state directory, with an empty Store
// that its snapshot and log fill.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	old := c.Node(i)
	if !isDone(old.Node) {
		c.t.Fatalf("start node %d: already running", i)
	}
	c.start(&Node{Dir: old.Dir, Addr: old.Addr}, i, "")
}

// Restart stops node i and starts it again.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Stop(i)
	c.Start(i)
}

// Agree waits until every running node has applied the same log and
// holds the same state: its Store's snapshot, byte for byte.
func (c *Cluster) Agree() {
	c.t.Helper()
	c.eventually("nodes agree", func() string {
		run := c.Running()
		var want []byte
		var index uint64
		for k, i := range run {
			n := c.Node(i)
			s := n.Store
			at := s.AppliedIndex()
			got, err := n.snapshot()
			if err != nil {
				return fmt.Sprintf("node %d: %v", i, err)
			}
			if s.AppliedIndex() != at {
				return fmt.Sprintf("node %d is applying", i)
			}
			if k == 0 {
				want, index = got, at
			} else if at != index || !bytes.Equal(got, want) {
				return fmt.Sprintf("node %d at index %d holds %d bytes, node %d at %d %d", i, at, len(got), run[0], index, len(want))
			}
		}
		return ""
	})
}

func (n *Node) snapshot() ([]byte, error) {
	n.restoreMu.Lock()
	defer n.restoreMu.Unlock()
	sn, err := n.Store.Snapshot()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := sn.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Close stops every running node; MakeCluster has t.Cleanup call it.
func (c *Cluster) Close() {
	for _, n := range c.all() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		if err := n.Shutdown(ctx); err != nil {
			c.t.Errorf("close: %v", err)
		}
		cancel()
	}
}
