package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// TestWALPurgeFailureStopsNode: etcd's WAL purge gives up at its first
// error; unnoticed, the WAL then grows without bound. The node stops
// instead, saying why.
func TestWALPurgeFailureStopsNode(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	n := c.nodes[1].n
	c.set(1, "k", "v")
	// The open segments stay usable; listing the directory, which the
	// purge does every second, fails.
	if err := os.Rename(walDir(c.nodes[1].dir), walDir(c.nodes[1].dir)+".moved"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the node went on after its WAL purge failed")
	}
	if err := n.Err(); !errors.Is(err, ErrStorage) {
		t.Errorf("stopped with %v, want ErrStorage", err)
	}
}

// TestTornFounderBootstrapCampaigns: a founder whose first Ready was torn
// on disk, its bootstrap entry written but not the HardState after it,
// starts with no configuration (that comes from the entry, once
// committed) and would never campaign. It must bootstrap again.
func TestTornFounderBootstrapCampaigns(t *testing.T) {
	dir := t.TempDir()
	const id = 0xf0
	d, err := newDisk(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.create(walMeta{ID: id, Founder: true}); err != nil {
		t.Fatal(err)
	}
	rn, err := raft.NewRawNode(&raft.Config{ID: id, ElectionTick: 10, HeartbeatTick: 1, Storage: raft.NewMemoryStorage(),
		MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, Logger: raftLogger{d.log}})
	if err != nil {
		t.Fatal(err)
	}
	self := memberMeta{ID: id, RaftAddr: "127.0.0.1:1"}
	if err := rn.Bootstrap([]raft.Peer{{ID: id, Context: encodeConfContext(0, 0, &self)}}); err != nil {
		t.Fatal(err)
	}
	rd := rn.Ready()
	if len(rd.Entries) == 0 {
		t.Fatal("bootstrap gave no entries")
	}
	// The entries without their HardState (an empty one is not written).
	if err := d.wal.Save(&raftpb.HardState{}, rd.Entries); err != nil {
		t.Fatal(err)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}

	c := &testCluster{t: t, nodes: map[int]*testNode{1: {dir: dir}}}
	t.Cleanup(c.stopAll)
	c.start(1, "")
	c.waitLeader()
	c.set(1, "k", "v")
	if got := c.get(1, "k"); got != "v" {
		t.Errorf("k=%q, want v", got)
	}
}

// slowBody is a large snapshot whose writing takes a while.
type slowBody struct{}

func (slowBody) WriteTo(w io.Writer) (int64, error) {
	chunk := make([]byte, 1<<20)
	var n int64
	for range 400 {
		time.Sleep(5 * time.Millisecond)
		m, err := w.Write(chunk)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

type slowSnapSM struct{ *kvSM }

func (s slowSnapSM) Snapshot() (io.WriterTo, error) { return slowBody{}, nil }

// TestShutdownDuringLargeSnapshot: the snapshot writer is paced, so a
// large snapshot takes seconds; Shutdown must not wait for it.
func TestShutdownDuringLargeSnapshot(t *testing.T) {
	tune := func(cfg *Config) {
		cfg.SnapshotEntries = 5
		cfg.StateMachine = slowSnapSM{cfg.StateMachine.(*kvSM)}
	}
	c := newTestCluster(t, 1, tune)
	n := c.nodes[1].n
	for i := range 10 {
		c.set(1, "k", string(rune('a'+i)))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !n.snapping.Load() {
		if time.Now().After(deadline) {
			t.Fatal("no snapshot started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // well into writing it
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown while a large snapshot is written: %v", err)
	}
	files, _ := n.disk.snaps.list()
	if len(files) != 0 {
		t.Errorf("an abandoned snapshot left files: %v", files)
	}
}

// holdSM blocks Apply while held.
type holdSM struct {
	*kvSM
	mu   *sync.Mutex // held: Apply waits for it
	held *atomic.Bool
}

func (s holdSM) Apply(index uint64, cmd []byte) any {
	if s.held.Load() {
		s.mu.Lock()
		s.mu.Unlock() //nolint:staticcheck // only waits for the hold to end
	}
	return s.kvSM.Apply(index, cmd)
}

// TestSlowApplyDoesNotStallRaft: the raft loop hands committed entries to
// the apply loop without waiting for it. A follower whose apply is stuck
// (a large snapshot being restored, say) must go on persisting and
// acknowledging entries, ticking and answering calls: in a two-voter
// cluster the leader cannot commit anything without it.
func TestSlowApplyDoesNotStallRaft(t *testing.T) {
	var mu, gate sync.Mutex
	holds := map[string]*atomic.Bool{}
	tune := func(cfg *Config) {
		mu.Lock()
		defer mu.Unlock()
		if holds[cfg.StateDir] == nil {
			holds[cfg.StateDir] = new(atomic.Bool)
		}
		cfg.StateMachine = holdSM{cfg.StateMachine.(*kvSM), &gate, holds[cfg.StateDir]}
	}
	c := newTestCluster(t, 2, tune)
	lead, f := c.waitLeader(), c.follower()
	gate.Lock()
	holds[c.nodes[f].dir].Store(true)
	released := false
	release := func() {
		if !released {
			released = true
			gate.Unlock()
		}
	}
	defer release()
	const writes = 300 // several times the apply loop's channel
	for i := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.nodes[lead].n.Replicate(ctx, []byte(fmt.Sprintf("k%d=v", i)))
		cancel()
		if err != nil {
			t.Fatalf("write %d with the follower's apply stuck: %v", i, err)
		}
	}
	done := make(chan raft.Status, 1)
	go func() { done <- c.nodes[f].n.raft.Status() }()
	select {
	case st := <-done:
		if st.GetCommit() < uint64(writes) {
			t.Errorf("follower's raft commit %d, want at least %d", st.GetCommit(), writes)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the follower's raft loop does not answer while its apply is stuck")
	}
	release()
	if got := c.get(f, fmt.Sprintf("k%d", writes-1)); got != "v" {
		t.Errorf("follower reads k%d=%q after its apply resumed", writes-1, got)
	}
}
