package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.uber.org/zap"
)

// mountTmpfs mounts a tmpfs of size bytes for the test, or skips it: only
// root may mount (CI runs as root).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk writes a ballast file until the file system holding dir is
// full, down to the last page.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "ballast")
	f, err := os.Create(name)
	if err != nil {
		t.Fatalf("create ballast: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for chunk := len(buf); chunk >= 512; {
		if _, err := f.Write(buf[:chunk]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			chunk /= 2
		}
	}
	return name
}

// TestFullDiskRefusesWritesUntilASnapshotIsSaved fills a single node's
// state directory (a real tmpfs) mid-run. The WAL goes on writing into the
// segments it preallocated, so acknowledged writes are durable, until a
// snapshot cannot be written: from then on writes are refused with
// ErrCannotPersist, reads are served, and once the ballast is removed the
// node accepts writes again by itself. After a restart every acknowledged
// write is there, and it is after a restart while the disk is still full.
func TestFullDiskRefusesWritesUntilASnapshotIsSaved(t *testing.T) {
	mnt := mountTmpfs(t, 160<<20) // the WAL's 64 MB segment and its preallocated successor, and room
	cfgDir := filepath.Join(mnt, "state")
	c := newTestCluster(t, 1, func(cfg *Config) {
		cfg.StateDir = cfgDir
		cfg.SnapshotEntries, cfg.CatchUpEntries = 20, 20
	})
	n := c.nodes[1].n
	for i := range 30 {
		c.set(1, fmt.Sprintf("before%d", i), "v")
	}
	ballast := fillDisk(t, mnt)

	var acked []string
	refused := false
	for i := 0; i < 200 && !refused; i++ {
		k := fmt.Sprintf("k%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := n.Replicate(ctx, []byte(k+"=v"))
		cancel()
		switch {
		case err == nil:
			acked = append(acked, k)
		case errors.Is(err, ErrCannotPersist):
			refused = true
			if !strings.Contains(err.Error(), "no space left on device") {
				t.Errorf("refused with %q, want the reason", err)
			}
		default:
			t.Fatalf("write %s: %v, want success or ErrCannotPersist", k, err)
		}
	}
	if !refused {
		t.Fatalf("%d writes acknowledged on a full disk, none refused", len(acked))
	}
	if got := c.get(1, "before3"); got != "v" {
		t.Errorf("read on a full disk: %q, want v", got)
	}
	select {
	case <-n.Done():
		t.Fatalf("the node stopped: %v", n.Err())
	default:
	}
	// Stopped and started again on the full disk, as a supervisor would:
	// no snapshot that failed may have compacted the log, and the node
	// comes back (the WAL's spare segment, removed at the stop, leaves it
	// room to open).
	c.stop(1)
	checkSnapshotRecords(t, cfgDir)
	c.start(1, "")
	c.waitLeader()
	n = c.nodes[1].n

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := n.Replicate(ctx, []byte("after=v"))
		cancel()
		if err == nil {
			break
		}
		if !errors.Is(err, ErrCannotPersist) {
			t.Fatalf("write after the space was freed: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused 10 s after the space was freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	c.stop(1)
	checkSnapshotRecords(t, cfgDir)
	c.start(1, "")
	c.waitLeader()
	for _, k := range append(acked, "after", "before29") {
		if got := c.get(1, k); got != "v" {
			t.Errorf("after a restart, acknowledged %s = %q, want v", k, got)
		}
	}
}

// checkSnapshotRecords fails t when the WAL in stateDir records a snapshot
// whose file is missing while an older file is kept: the log was then
// compacted behind a snapshot that failed to save, and a restart would
// come back from the older file with the entries between them gone.
func checkSnapshotRecords(t *testing.T, stateDir string) {
	t.Helper()
	recs, err := wal.ValidSnapshotEntries(zap.NewNop(), walDir(stateDir))
	if err != nil {
		t.Fatalf("read wal snapshot records: %v", err)
	}
	files, err := newSnapDir(snapPath(stateDir)).list()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no snapshot file kept")
	}
	have := map[uint64]bool{}
	for _, f := range files {
		have[f.index] = true
	}
	oldest := files[len(files)-1].index
	for _, r := range recs {
		if i := r.GetIndex(); i > oldest && !have[i] {
			t.Errorf("the wal records a snapshot at %d with no file, while the one at %d is kept", i, oldest)
		}
	}
}

// TestFullDiskWALPreallocatesAgainOnceSpaceIsBack: etcd's WAL
// preallocates its next segment in the background and never tries again
// once that failed. A full disk that made it fail, through a segment cut,
// must not leave the WAL to fail at its next cut after the space is back:
// the node reopens it when it leaves the degraded state (reopenWAL).
func TestFullDiskWALPreallocatesAgainOnceSpaceIsBack(t *testing.T) {
	mnt := mountTmpfs(t, 64<<20)
	old := wal.SegmentSizeBytes
	wal.SegmentSizeBytes = 256 << 10
	t.Cleanup(func() { wal.SegmentSizeBytes = old }) // after the node stops: cleanups run last first
	stateDir := filepath.Join(mnt, "state")
	c := newTestCluster(t, 1, func(cfg *Config) {
		cfg.StateDir = stateDir
		cfg.SnapshotEntries, cfg.CatchUpEntries = 1_000_000, 100
	})
	n := c.nodes[1].n
	value := strings.Repeat("x", 1000)
	segments := func() int {
		m, _ := filepath.Glob(filepath.Join(walDir(stateDir), "*.wal"))
		return len(m)
	}
	write := func(k string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := n.Replicate(ctx, []byte(k+"="+value))
		return err
	}
	ballast := fillDisk(t, mnt)
	// Nearly full: room for the records that end a segment past its
	// preallocated size, none for preallocating another.
	if st, err := os.Stat(ballast); err != nil {
		t.Fatal(err)
	} else if err := os.Truncate(ballast, st.Size()-128<<10); err != nil {
		t.Fatal(err)
	}
	// Up to a cut: it takes the preallocated spare, and preallocating the
	// next one fails.
	before := segments()
	for i := 0; segments() == before; i++ {
		if i > 1000 {
			t.Fatal("no segment cut after 1000 KB of writes")
		}
		if err := write(fmt.Sprintf("full%d", i)); err != nil {
			t.Fatalf("write on the full disk before any snapshot: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := n.SnapshotNow(ctx)
	cancel()
	if err == nil {
		t.Fatal("a snapshot was saved on the full disk")
	}
	if err := write("refused"); !errors.Is(err, ErrCannotPersist) {
		t.Fatalf("write after the snapshot failed: %v, want ErrCannotPersist", err)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for write("back") != nil {
		if time.Now().After(deadline) {
			t.Fatal("writes still refused 10 s after the space was freed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Over two more cuts.
	for i := range 700 {
		if err := write(fmt.Sprintf("after%d", i)); err != nil {
			t.Fatalf("write %d after the space was back: %v", i, err)
		}
	}
}
