package cluster

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// kvSM is a small state machine for the cluster's tests: commands are
// "key=value", Apply returns the entry's index.
type kvSM struct {
	mu sync.RWMutex
	m  map[string]string
}

func newKV() *kvSM { return &kvSM{m: make(map[string]string)} }

func (s *kvSM) Apply(index uint64, cmd []byte) any {
	k, v, ok := strings.Cut(string(cmd), "=")
	if !ok {
		return errors.New("bad command")
	}
	s.mu.Lock()
	s.m[k] = v
	s.mu.Unlock()
	return index
}

func (s *kvSM) Snapshot() (io.WriterTo, error) {
	s.mu.RLock()
	b, err := json.Marshal(s.m)
	s.mu.RUnlock()
	return writerTo(b), err
}

type writerTo []byte

func (b writerTo) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b)
	return int64(n), err
}

func (s *kvSM) Restore(r io.Reader) error {
	m := make(map[string]string)
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return err
	}
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
	return nil
}

func (s *kvSM) get(k string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[k]
}

func (s *kvSM) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// testCluster runs nodes in this process over real gRPC on loopback, each
// with its own state directory.
type testCluster struct {
	t     testing.TB
	tune  func(*Config)
	nodes map[int]*testNode
}

type testNode struct {
	n    *Node
	sm   *kvSM
	dir  string
	addr string
}

func newTestCluster(t testing.TB, size int, tune func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, tune: tune, nodes: make(map[int]*testNode)}
	t.Cleanup(c.stopAll)
	c.start(1, "")
	c.waitLeader()
	for i := 2; i <= size; i++ {
		c.start(i, c.nodes[1].addr)
	}
	c.waitMembers(size)
	return c
}

// waitMembers waits until every running node has applied a membership of
// size voters, itself among them. Start returns once the leader has
// committed a joiner's addition; until the joiner has applied it, it is
// no voter in its own eyes and never campaigns, so a test that took it
// for a follower of a settled cluster would wait for an election it can
// never hold.
func (c *testCluster) waitMembers(size int) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, tn := range c.running() {
		for {
			st := tn.n.Status()
			if st.Members == size && st.Role != RoleLearner {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("node %x: %d members, role %v; want %d voters", st.ID, st.Members, st.Role, size)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func (c *testCluster) config(dir, addr, join string, lis net.Listener, sm *kvSM) Config {
	cfg := Config{
		StateDir: dir, RaftAddr: addr, Join: join, Listener: lis, StateMachine: sm,
		APIAddr: "api-" + addr, RESPAddr: "resp-" + addr,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		TickInterval: 20 * time.Millisecond, ElectionTicks: 15,
		ReadTimeout: 2 * time.Second,
	}
	if os.Getenv("RAFTCACHE_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test_node", addr)
	}
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

// start starts node i, joining via join (a raft address) when it has no
// state yet; a restarted node reuses its directory and address.
func (c *testCluster) start(i int, join string) *testNode {
	c.t.Helper()
	tn := c.nodes[i]
	if tn == nil {
		tn = &testNode{dir: c.t.TempDir()}
		c.nodes[i] = tn
	}
	addr := tn.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lis net.Listener
	var err error
	for try := 0; try < 50; try++ { // a restarted node's old port may linger briefly
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("listen: %v", err)
	}
	tn.addr = lis.Addr().String()
	tn.sm = newKV()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tn.n, err = Start(ctx, c.config(tn.dir, tn.addr, join, lis, tn.sm))
	if err != nil {
		c.t.Fatalf("start node %d: %v", i, err)
	}
	return tn
}

func (c *testCluster) stop(i int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.nodes[i].n.Shutdown(ctx); err != nil {
		c.t.Fatalf("shutdown node %d: %v", i, err)
	}
}

func (c *testCluster) stopAll() {
	for _, tn := range c.nodes {
		if tn.n != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			tn.n.Shutdown(ctx)
			cancel()
		}
	}
}

// waitLeader waits until every running node agrees on one leader and
// returns the leader's index in the cluster.
func (c *testCluster) waitLeader() int {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var lead uint64
		agree := true
		for _, tn := range c.running() {
			l := tn.n.Status().Leader
			if l == 0 || (lead != 0 && l != lead) {
				agree = false
				break
			}
			lead = l
		}
		if agree && lead != 0 {
			for i, tn := range c.nodes {
				if tn.n.ID() == lead && !isDone(tn.n) {
					return i
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatal("no agreed leader within 10s")
	return 0
}

func (c *testCluster) running() []*testNode {
	var out []*testNode
	for _, tn := range c.nodes {
		if tn.n != nil && !isDone(tn.n) {
			out = append(out, tn)
		}
	}
	return out
}

func (c *testCluster) follower() int {
	lead := c.waitLeader()
	for i, tn := range c.nodes {
		if i != lead && !isDone(tn.n) {
			return i
		}
	}
	c.t.Fatal("no follower")
	return 0
}

func isDone(n *Node) bool {
	select {
	case <-n.Done():
		return true
	default:
		return false
	}
}

func (c *testCluster) set(i int, k, v string) uint64 {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.nodes[i].n.Replicate(ctx, []byte(k+"="+v))
	if err != nil {
		c.t.Fatalf("replicate %s=%s on node %d: %v", k, v, i, err)
	}
	return res.(uint64)
}

// get reads k on node i after a linearizable read barrier.
func (c *testCluster) get(i int, k string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.nodes[i].n.LinearizableRead(ctx); err != nil {
		c.t.Fatalf("linearizable read on node %d: %v", i, err)
	}
	return c.nodes[i].sm.get(k)
}

func TestSingleNode(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	idx1 := c.set(1, "hello", "medium")
	idx2 := c.set(1, "hello", "large")
	if idx2 <= idx1 {
		t.Errorf("Apply result not returned in log order: %d then %d", idx1, idx2)
	}
	if got := c.get(1, "hello"); got != "large" {
		t.Errorf("get hello = %q, want large", got)
	}
	st := c.nodes[1].n.Status()
	if st.Role != RoleLeader || st.Members != 1 || st.Applied < idx2 {
		t.Errorf("status = %+v", st)
	}
}

func TestWriteAnywhereReadAnywhere(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	for i := 1; i <= 3; i++ {
		c.set(i, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}
	for i := 1; i <= 3; i++ {
		for j := 1; j <= 3; j++ {
			if got, want := c.get(i, fmt.Sprintf("k%d", j)), fmt.Sprintf("v%d", j); got != want {
				t.Errorf("node %d (leader %d) reads k%d = %q, want %q", i, lead, j, got, want)
			}
		}
	}
	members, err := c.nodes[c.follower()].n.Members(context.Background())
	if err != nil || len(members) != 3 {
		t.Fatalf("members = %v, %v", members, err)
	}
	leaders := 0
	for _, m := range members {
		if m.Role == RoleLeader {
			leaders++
		}
		if !m.Voter || !m.Reachable || m.Match == 0 || m.APIAddr != "api-"+m.RaftAddr {
			t.Errorf("member %+v: want a reachable voter with a match index and its addresses", m)
		}
	}
	if leaders != 1 {
		t.Errorf("members list %d leaders, want 1", leaders)
	}
}

func TestConcurrentWritesAllApplied(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		for w := 0; w < 10; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 20; j++ {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					_, err := c.nodes[i].n.Replicate(ctx, []byte(fmt.Sprintf("n%d-w%d-%d=x", i, w, j)))
					cancel()
					if err != nil {
						t.Errorf("replicate: %v", err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	for i := 1; i <= 3; i++ {
		c.get(i, "")
		if got := c.nodes[i].sm.len(); got != 600 {
			t.Errorf("node %d has %d keys, want 600", i, got)
		}
	}
}

func TestRestartRecovers(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.set(1, "foo", "foo")
	f := c.follower()
	c.stop(f)
	other := 6 - f - c.waitLeader()
	_ = other
	c.set(c.waitLeader(), "foo", "bar") // written while f is down
	c.start(f, "")
	deadline := time.Now().Add(10 * time.Second)
	for c.get(f, "foo") != "bar" {
		if time.Now().After(deadline) {
			t.Fatalf("restarted node %d reads foo=%q, want bar", f, c.get(f, "foo"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The whole cluster restarts from disk.
	for i := 1; i <= 3; i++ {
		c.stop(i)
	}
	for i := 1; i <= 3; i++ {
		c.start(i, "")
	}
	c.waitLeader()
	for i := 1; i <= 3; i++ {
		if got := c.get(i, "foo"); got != "bar" {
			t.Errorf("after full restart node %d reads foo=%q, want bar", i, got)
		}
	}
}

func TestSnapshotAndCompaction(t *testing.T) {
	tune := func(cfg *Config) { cfg.SnapshotEntries = 50; cfg.CatchUpEntries = 10 }
	c := newTestCluster(t, 2, tune)
	for i := 0; i < 300; i++ {
		c.set(1+i%2, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	// A new member joins after the log was compacted: it needs a snapshot.
	deadline := time.Now().Add(10 * time.Second)
	for c.nodes[1].n.snapIndex.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no snapshot taken")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if first, _ := c.nodes[1].n.disk.mem.FirstIndex(); first <= 1 {
		t.Fatalf("log not compacted: first index %d", first)
	}
	c.start(3, c.nodes[1].addr)
	for i := 1; i <= 3; i++ {
		if got := c.get(i, "k299"); got != "299" {
			t.Errorf("node %d reads k299=%q", i, got)
		}
		if got := c.nodes[i].sm.len(); got != 300 {
			t.Errorf("node %d has %d keys, want 300", i, got)
		}
	}
	// Restart from the snapshot plus the WAL after it.
	c.stop(3)
	c.start(3, "")
	if got := c.get(3, "k0"); got != "0" {
		t.Errorf("restarted node reads k0=%q", got)
	}
	files, _ := c.nodes[1].n.disk.snaps.list()
	if len(files) == 0 || len(files) > 3 {
		t.Errorf("%d snapshot files kept, want 1..3", len(files))
	}
}

func TestRemoveMember(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.nodes[lead].n.RemoveMember(ctx, 12345); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("remove unknown member: %v, want ErrUnknownMember", err)
	}
	if err := c.nodes[lead].n.RemoveMember(ctx, c.nodes[f].n.ID()); err != nil {
		t.Fatalf("remove member: %v", err)
	}
	select {
	case <-c.nodes[f].n.Done():
		if !errors.Is(c.nodes[f].n.Err(), ErrRemoved) {
			t.Errorf("removed node stopped with %v, want ErrRemoved", c.nodes[f].n.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("removed node did not stop")
	}
	members, _ := c.nodes[lead].n.Members(ctx)
	if len(members) != 2 {
		t.Errorf("members after removal: %d, want 2", len(members))
	}
	c.set(lead, "after", "removal")
	// Remove down to one voter, then refuse to remove the last.
	other := 6 - lead - f
	if err := c.nodes[other].n.RemoveMember(ctx, c.nodes[other].n.ID()); err != nil {
		t.Fatalf("remove self via follower: %v", err)
	}
	last := c.nodes[lead].n
	if err := last.RemoveMember(ctx, last.ID()); !errors.Is(err, ErrLastVoter) {
		t.Errorf("remove last voter: %v, want ErrLastVoter", err)
	}
	if got := c.get(lead, "after"); got != "removal" {
		t.Errorf("read after removals = %q", got)
	}
}

func TestRemovedLeaderSteppingDown(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.nodes[f].n.RemoveMember(ctx, c.nodes[lead].n.ID()); err != nil {
		t.Fatalf("remove leader: %v", err)
	}
	select {
	case <-c.nodes[lead].n.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("removed leader did not stop")
	}
	newLead := c.waitLeader()
	if newLead == lead {
		t.Fatal("removed node still leads")
	}
	c.set(f, "k", "v")
}

func TestTransferLeadership(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.nodes[lead].n.TransferLeadership(ctx, c.nodes[f].n.ID()); err != nil {
		t.Fatal(err)
	}
	if got := c.waitLeader(); got != f {
		t.Errorf("leader is node %d, want %d", got, f)
	}
	c.set(lead, "x", "y")
	// Asked on the member that is neither leader nor transferee, and back.
	other := 6 - lead - f
	if err := c.nodes[other].n.TransferLeadership(ctx, c.nodes[lead].n.ID()); err != nil {
		t.Fatalf("transfer asked on a follower: %v", err)
	}
	if got := c.waitLeader(); got != lead {
		t.Errorf("leader is node %d, want %d", got, lead)
	}
	// To the leader itself: nothing to do.
	if err := c.nodes[f].n.TransferLeadership(ctx, c.nodes[lead].n.ID()); err != nil {
		t.Errorf("transfer to the current leader: %v", err)
	}
	if err := c.nodes[f].n.TransferLeadership(ctx, 12345); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("transfer to an unknown member: %v, want ErrUnknownMember", err)
	}
	if got := c.get(other, "x"); got != "y" {
		t.Errorf("after transfers x=%q, want y", got)
	}
}

func TestJoinRefusesAddressInUse(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.nodes[1].n.AddMember(ctx, c.nodes[2].addr, "", "")
	if err == nil || !strings.Contains(err.Error(), "already member") {
		t.Errorf("adding an address that is a member: %v", err)
	}
	ids := []uint64{c.nodes[1].n.ID(), c.nodes[2].n.ID()}
	members, _ := c.nodes[1].n.Members(ctx)
	for _, m := range members {
		if !slices.Contains(ids, m.ID) {
			t.Errorf("unexpected member %+v", m)
		}
	}
}

// TestReplicateIndexAndIsLeader checks the index ReplicateIndex reports is
// the entry's (what the state machine saw), that followers' match indexes
// reach it, and that exactly one node says it leads.
func TestReplicateIndexAndIsLeader(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	val, idx, err := c.nodes[f].n.ReplicateIndex(ctx, []byte("k=v"))
	if err != nil {
		t.Fatal(err)
	}
	if applied := val.(uint64); applied != idx || idx == 0 {
		t.Errorf("ReplicateIndex index = %d, state machine applied it at %d", idx, applied)
	}
	for i, tn := range c.nodes {
		if got := tn.n.IsLeader(); got != (i == lead) {
			t.Errorf("node %d IsLeader = %v, leader is node %d", i, got, lead)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ms, err := c.nodes[f].n.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		have := 0
		for _, m := range ms {
			if m.Match >= idx {
				have++
			}
		}
		if have == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members never all matched index %d: %+v", idx, ms)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReadContextsNeverRepeat: the leader keys pending ReadIndex requests
// by their context alone and answers by node ID. Contexts that repeat
// across members make the leader ignore one of them; contexts that repeat
// across restarts let an answer queued for the previous incarnation
// satisfy a newer read with an older index, a stale read.
func TestReadContextsNeverRepeat(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	seen := make(map[string]string)
	note := func(i int, when string) {
		t.Helper()
		c.get(i, "k") // a real round first
		ctx := string(c.nodes[i].n.readContext())
		if prev, dup := seen[ctx]; dup {
			t.Errorf("node %d %s reuses the read context %x of %s", i, when, ctx, prev)
		}
		seen[ctx] = fmt.Sprintf("node %d %s", i, when)
	}
	for i := 1; i <= 3; i++ {
		note(i, "at first")
	}
	f := c.follower()
	c.stop(f)
	c.start(f, "")
	note(f, "after a restart")
}

// TestTornWALTailRepaired: a crash in the middle of writing a WAL record
// leaves a torn tail, either a file that ends inside the record or a
// record whose last sectors are zeros. The node must restart, losing only
// that record, which was never acknowledged.
func TestTornWALTailRepaired(t *testing.T) {
	for _, truncate := range []bool{true, false} {
		t.Run(fmt.Sprintf("truncated=%v", truncate), func(t *testing.T) {
			c := newTestCluster(t, 1, nil)
			for i := range 20 {
				c.set(1, fmt.Sprintf("k%d", i), "v")
			}
			c.stop(1)
			tearWALTail(t, c.nodes[1].dir, truncate)
			c.start(1, "")
			c.waitLeader()
			for i := range 20 {
				if got := c.get(1, fmt.Sprintf("k%d", i)); got != "v" {
					t.Errorf("after repair k%d = %q, want v", i, got)
				}
			}
			c.set(1, "after", "repair")
		})
	}
}

// tearWALTail writes a torn record after the last complete one of the
// newest WAL segment in stateDir.
func tearWALTail(t *testing.T, stateDir string, truncate bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(walDir(stateDir), "*.wal"))
	if len(files) == 0 {
		t.Fatal("no wal segment")
	}
	slices.Sort(files)
	f, err := os.OpenFile(files[len(files)-1], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Records are an 8-byte length (top byte: padding flags) and the
	// data; the used part of a preallocated segment ends at a zero length.
	var end int64
	for {
		var hdr [8]byte
		if _, err := f.ReadAt(hdr[:], end); err != nil {
			break
		}
		v := binary.LittleEndian.Uint64(hdr[:])
		if v == 0 {
			break
		}
		end += 8 + int64(v&0x00ffffffffffffff)
		if v&(1<<63) != 0 {
			end += int64((v >> 56) & 0x7)
		}
	}
	const size = 2048
	rec := make([]byte, 8+size)
	binary.LittleEndian.PutUint64(rec, size)
	for i := 8; i < len(rec); i++ {
		rec[i] = byte(i*7 + 1)
	}
	if truncate {
		rec = rec[:8+size/2]
		if err := f.Truncate(end); err != nil {
			t.Fatal(err)
		}
	} else {
		clear(rec[(end+8+size/2)/512*512-end:]) // from a sector boundary on
	}
	if _, err := f.WriteAt(rec, end); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestCatchUpEntriesDefault(t *testing.T) {
	for _, tc := range []struct{ snap, catchUp, want uint64 }{
		{0, 0, 5000},     // both defaults
		{100, 0, 100},    // frequent snapshots keep a short log
		{100, 300, 300},  // as asked
		{50000, 0, 5000}, // etcd's default
	} {
		cfg := Config{SnapshotEntries: tc.snap, CatchUpEntries: tc.catchUp}
		cfg.setDefaults()
		if cfg.CatchUpEntries != tc.want {
			t.Errorf("SnapshotEntries %d, CatchUpEntries %d: default %d, want %d", tc.snap, tc.catchUp, cfg.CatchUpEntries, tc.want)
		}
	}
}

// TestCatchUpFrom: the window kept behind a snapshot is bounded by entries
// and by bytes, whichever is smaller, and never drops the snapshot's own
// entry.
func TestCatchUpFrom(t *testing.T) {
	const dataLen = 1000 // each entry costs dataLen+entryOverhead
	per := uint64(dataLen + entryOverhead)
	mem := raft.NewMemoryStorage()
	ents := make([]*raftpb.Entry, 100)
	for i := range ents {
		idx, term := uint64(i+1), uint64(1)
		ents[i] = &raftpb.Entry{Index: &idx, Term: &term, Data: make([]byte, dataLen)}
	}
	if err := mem.Append(ents); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                       string
		snap, maxEntries, maxBytes uint64
		want                       uint64
	}{
		{"entries bound", 80, 10, math.MaxUint64, 70},
		{"bytes bound", 80, 50, 5 * per, 75},
		{"bytes bound between entries", 80, 50, 5*per + per/2, 75},
		{"entries smaller than bytes", 80, 3, 10 * per, 77},
		{"log shorter than the window", 40, 50, math.MaxUint64, 0},
		{"log shorter, bytes bound", 40, 50, 4 * per, 36},
		{"no window", 80, 0, math.MaxUint64, 80},
		{"one entry larger than the budget stays", 80, 10, 1, 79},
	} {
		if got := catchUpFrom(mem, tc.snap, tc.maxEntries, tc.maxBytes); got != tc.want {
			t.Errorf("%s: catchUpFrom(snap %d, %d entries, %d bytes) = %d, want %d",
				tc.name, tc.snap, tc.maxEntries, tc.maxBytes, got, tc.want)
		}
	}
}

// TestJoinIsIdempotent: a joiner whose answer was lost, or that crashed
// after the cluster added it but before its WAL existed, asks again with
// the ID it made durable first, and becomes that member instead of a
// second one that would count against every quorum forever.
func TestJoinIsIdempotent(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The first attempt of a joiner that then crashed: its ID is in its
	// state dir, and the cluster added it.
	dir := t.TempDir()
	id, err := joinID(dir)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	got, err := c.nodes[1].n.addMember(ctx, id, addr, "", "")
	if err != nil || got != id {
		t.Fatalf("first join: %s, %v", FormatID(got), err)
	}
	// Asked again, by the same joiner: the same answer.
	if got, err := c.nodes[2].n.addMember(ctx, id, addr, "", ""); err != nil || got != id {
		t.Fatalf("join asked again: %s, %v; want %s", FormatID(got), err, FormatID(id))
	}
	// Someone else asking for that ID, or for that address: refused.
	if _, err := c.nodes[1].n.addMember(ctx, id, "127.0.0.1:1", "", ""); !errors.Is(err, ErrIDTaken) {
		t.Errorf("another address asking for a member's ID: %v, want ErrIDTaken", err)
	}
	if _, err := c.nodes[1].n.addMember(ctx, id+1, addr, "", ""); err == nil {
		t.Error("another ID asking for a member's address was accepted")
	}

	// The joiner restarts with the same state dir and -join.
	sm := newKV()
	c.nodes[3] = &testNode{dir: dir, addr: addr, sm: sm}
	sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer scancel()
	c.nodes[3].n, err = Start(sctx, c.config(dir, addr, c.nodes[1].addr, lis, sm))
	if err != nil {
		t.Fatalf("restarted joiner: %v", err)
	}
	if c.nodes[3].n.ID() != id {
		t.Errorf("restarted joiner is %s, want %s", FormatID(c.nodes[3].n.ID()), FormatID(id))
	}
	if _, err := os.Stat(joinIDFile(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("join id file left behind once the WAL exists: %v", err)
	}
	members, _ := c.nodes[1].n.Members(ctx)
	if len(members) != 3 {
		t.Errorf("%d members, want 3: %+v", len(members), members)
	}
	c.set(1, "k", "v")
	if got := c.get(3, "k"); got != "v" {
		t.Errorf("the rejoined member reads k=%q", got)
	}
}

// TestJoinerRestartedBeforeCatchingUp: a joiner that crashes once its WAL
// exists but before it has applied the entries that add its peers must
// still know how to reach them after a restart: without the member list
// it was given, it cannot answer the leader, so it never gets those
// entries, and stays behind for good.
func TestJoinerRestartedBeforeCatchingUp(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	for i := range 200 {
		c.set(1+i%2, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	dir := t.TempDir()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	cfg := c.config(dir, addr, c.nodes[1].addr, lis, newKV())
	cfg.crashAfterJoin = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := Start(ctx, cfg); !errors.Is(err, errCrashForTest) {
		t.Fatalf("joining with a crash after the WAL: %v", err)
	}
	c.nodes[3] = &testNode{dir: dir, addr: addr}
	c.start(3, "")
	if got := c.get(3, "k199"); got != "199" {
		t.Errorf("restarted joiner reads k199=%q, want 199", got)
	}
	if got := c.nodes[3].sm.len(); got != 200 {
		t.Errorf("restarted joiner has %d keys, want 200", got)
	}
}

// TestSnapshotWaitsForSave: committed entries are applied while their
// Ready is still being persisted, so a follower that receives entries
// together with their commit applies entries it has not written yet. A
// snapshot at the applied index must wait until they are written: the log
// cannot be compacted past its own end (raft's storage panics). One
// follower's saves are slowed down so that entries and commits pile up
// between its Readys, and a snapshot is due every few entries.
func TestSnapshotWaitsForSave(t *testing.T) {
	var slowDir atomic.Value
	slowDir.Store("")
	tune := func(cfg *Config) {
		cfg.SnapshotEntries, cfg.CatchUpEntries = 3, 10000
		if cfg.StateDir == slowDir.Load().(string) {
			cfg.beforeSave = func() { time.Sleep(50 * time.Millisecond) }
		}
	}
	c := newTestCluster(t, 3, tune)
	f := c.follower()
	c.stop(f)
	slowDir.Store(c.nodes[f].dir)
	c.start(f, "")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := c.nodes[c.waitLeader()].n.Replicate(ctx, []byte(fmt.Sprintf("w%d-%d=v", w, i)))
				cancel()
				if err != nil {
					t.Errorf("replicate: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := c.get(f, "w3-49"); got != "v" {
		t.Fatalf("slow follower reads w3-49=%q, want v", got)
	}
	if isDone(c.nodes[f].n) {
		t.Fatalf("slow follower stopped: %v", c.nodes[f].n.Err())
	}
	if c.nodes[f].n.snapIndex.Load() == 0 {
		t.Fatal("the slow follower took no snapshot")
	}
	slowDir.Store("")
	c.stop(f)
	c.start(f, "")
	if got := c.get(f, "w0-0"); got != "v" {
		t.Errorf("restarted follower reads w0-0=%q, want v", got)
	}
}

// gatedSM holds every snapshot's writing until gate is closed.
type gatedSM struct {
	*kvSM
	gate <-chan struct{}
}

func (s gatedSM) Snapshot() (io.WriterTo, error) {
	body, err := s.kvSM.Snapshot()
	return gatedWriterTo{body, s.gate}, err
}

type gatedWriterTo struct {
	body io.WriterTo
	gate <-chan struct{}
}

func (g gatedWriterTo) WriteTo(w io.Writer) (int64, error) {
	<-g.gate
	return g.body.WriteTo(w)
}

// TestSnapshotAfterBurst: the entries applied while a snapshot was being
// written get a snapshot of their own once it is done, though no write
// follows to prompt one; otherwise a restart would replay them all.
func TestSnapshotAfterBurst(t *testing.T) {
	const every = 20
	gate := make(chan struct{})
	tune := func(cfg *Config) {
		cfg.SnapshotEntries, cfg.CatchUpEntries = every, 5
		cfg.StateMachine = gatedSM{cfg.StateMachine.(*kvSM), gate}
	}
	c := newTestCluster(t, 1, tune)
	var open sync.Once
	t.Cleanup(func() { open.Do(func() { close(gate) }) }) // runs before the cluster stops
	n := c.nodes[1].n
	for i := range 5 * every {
		c.set(1, fmt.Sprintf("k%d", i), "v")
	}
	if got := n.snapIndex.Load(); got != 0 {
		t.Fatalf("a snapshot at %d was saved while its writing was held", got)
	}
	applied := n.applied.Load()
	open.Do(func() { close(gate) })
	deadline := time.Now().Add(10 * time.Second)
	// The last SET returns before applied moves to its entry (applyNormal
	// wakes the waiter first), so the snapshot may land past the applied
	// read above: compare without a uint64 subtraction that would wrap.
	for n.snapIndex.Load()+every <= applied {
		if time.Now().After(deadline) {
			t.Fatalf("applied %d, last snapshot at %d: the burst was never snapshotted", applied, n.snapIndex.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
