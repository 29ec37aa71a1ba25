package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// copyStateDir copies a running node's state directory file by file. The
// copy holds what the files hold, not what etcd's WAL still buffers in
// memory: what a SIGKILL would leave behind.
func copyStateDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadAfterKillSeesAcknowledgedWrite: committed entries are applied,
// and acknowledged, before the Ready that carries their commit index is
// saved, and etcd's WAL neither syncs nor even flushes a HardState that
// only advances the commit index. A node killed then restarts with a
// commit index behind what it acknowledged. A single voter answers a
// ReadIndex with its commit index at once, so unless the leader waits
// until it has applied an entry of its own term, the first linearizable
// read after the restart misses the acknowledged write.
func TestReadAfterKillSeesAcknowledgedWrite(t *testing.T) {
	tune := func(cfg *Config) { cfg.beforeSave = func() { time.Sleep(20 * time.Millisecond) } }
	c := newTestCluster(t, 1, tune)
	c.set(1, "k", "v1")
	c.set(1, "k", "v2")
	killed := t.TempDir()
	copyStateDir(t, c.nodes[1].dir, killed)
	c.stop(1)

	c.nodes[2] = &testNode{dir: killed}
	c.start(2, "")
	if got := c.get(2, "k"); got != "v2" {
		st := c.nodes[2].n.Status()
		t.Fatalf("first linearizable read after the restart: k=%q, want v2 (commit %d, applied %d)", got, st.Commit, st.Applied)
	}
}

// TestWALFailureIsFatal: a failed WAL write or sync stops the node with an
// error wrapping ErrStorage, and nothing touches the WAL, or is
// acknowledged, after it: once an fdatasync failed, the kernel may have
// dropped the dirty pages and call the next one a success.
func TestWALFailureIsFatal(t *testing.T) {
	var armed atomic.Bool
	for _, op := range []string{"save", "save snapshot record", "release"} {
		t.Run(op, func(t *testing.T) {
			injected := errors.New("injected failure")
			var failing, usedAfter atomic.Bool
			tune := func(cfg *Config) {
				cfg.SnapshotEntries, cfg.CatchUpEntries = 5, 5
				cfg.walFault = func(o string) error {
					if failing.Load() {
						usedAfter.Store(true)
						return nil
					}
					if o == op && armed.Load() {
						failing.Store(true)
						return injected
					}
					return nil
				}
			}
			armed.Store(false)
			c := newTestCluster(t, 1, tune)
			n := c.nodes[1].n
			c.set(1, "before", "v")
			armed.Store(true)
			acked := 0
			for i := range 100 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := n.Replicate(ctx, []byte(fmt.Sprintf("k%d=v", i)))
				cancel()
				if err != nil {
					break
				}
				if failing.Load() {
					acked++
				}
			}
			select {
			case <-n.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the node did not stop after a WAL failure")
			}
			if err := n.Err(); !errors.Is(err, ErrStorage) || !errors.Is(err, injected) {
				t.Errorf("stopped with %v, want ErrStorage wrapping the injected failure", err)
			}
			if usedAfter.Load() {
				t.Error("the WAL was used after it failed")
			}
			// A write whose Replicate began after the failure depends on a
			// save after it; one in flight across it may have been applied
			// from an earlier save, hence one at most.
			if acked > 1 {
				t.Errorf("%d writes acknowledged after the WAL failed", acked)
			}
		})
	}
}

// TestWALCallsSerialized: the raft loop syncs the WAL after a received
// snapshot's record while the snapshot goroutine records its own snapshots
// and releases old segments; etcd's WAL.Sync takes no lock and reads the
// segment list ReleaseLockTo rewrites. This drives both paths at once, for
// -race: the snapshot goroutine compacts at every index the raft loop has
// just saved, so that each ReleaseLockTo drops the segments cut since the
// last and rewrites the list while the next save syncs. Without walMu
// around Sync the race detector reports it within a run.
func TestWALCallsSerialized(t *testing.T) {
	// Small segments, so that every save or two cuts one, and releasing
	// them rewrites the WAL's list.
	defer func(size int64) { wal.SegmentSizeBytes = size }(wal.SegmentSizeBytes)
	wal.SegmentSizeBytes = 1 << 10
	d, err := newDisk(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.create(walMeta{ID: 1}); err != nil {
		t.Fatal(err)
	}
	defer d.close()
	const n = 200
	// Raft's storage holds entries up to 1000, and a compaction at 500
	// first: the received snapshots (at most n) are then older than
	// storage's, which ignores them.
	ents := make([]*raftpb.Entry, 1000)
	for i := range ents {
		idx, term := uint64(i+1), uint64(1)
		ents[i] = &raftpb.Entry{Index: &idx, Term: &term, Data: make([]byte, 512)}
	}
	if err := d.saveReady(&raft.Ready{Entries: ents}); err != nil {
		t.Fatal(err)
	}
	if err := d.compact(snapHeader{Term: 1, Index: 500, Voters: []uint64{1}}, 0, defaultCatchUpBytes); err != nil {
		t.Fatal(err)
	}
	// saved carries each index the raft loop has saved, in order: the
	// snapshot goroutine compacts up to it, never past storage's last index.
	saved := make(chan uint64, n)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(saved)
		for i := uint64(1); i <= n; i++ {
			idx, term, next := i, uint64(1), 1000+i
			rd := &raft.Ready{
				HardState: &raftpb.HardState{Term: &term, Commit: &idx},
				Entries:   []*raftpb.Entry{{Index: &next, Term: &term, Data: make([]byte, 512)}},
				Snapshot: &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: &idx, Term: &term,
					ConfState: &raftpb.ConfState{Voters: []uint64{1}}}},
			}
			if err := d.saveReady(rd); err != nil {
				t.Error(err)
				return
			}
			saved <- next
		}
	}()
	go func() {
		defer wg.Done()
		for idx := range saved {
			if err := d.compact(snapHeader{Term: 1, Index: idx, Voters: []uint64{1}}, 0, defaultCatchUpBytes); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
}
