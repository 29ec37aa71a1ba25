package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
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
