package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// nemFullDisk fills a node's state directory, its own small tmpfs, with a
// ballast file, and frees it at heal. A node must then refuse writes with
// MISCONF or stop by itself (non-zero, the storage failure logged), never
// acknowledge what it did not persist, serve reads while it runs, start
// cleanly (or fail cleanly) while the disk is still full, and serve writes
// again within the recovery bound once the space is back. Mounting needs
// root: without it the kind is skipped, saying so.
const nemFullDisk = "full-disk"

// fullDiskSize is each node's tmpfs: etcd's WAL preallocates its 64 MB
// segment and the next one, which must fit before anything is written (in
// a build without failpoints, where fullDiskWALSegment does nothing), and
// the snapshots and their temporary files take the rest. tmpfs uses
// memory only for the pages written, preallocated ones and the ballast
// included.
const fullDiskSize = 160 << 20

// fullDiskWALSegment is the WAL segment size the nodes are given (a
// failpoint of a -tags failpoints build): with etcd's 64 MB, a full disk
// would reach the WAL only after 64 to 128 MB more of log, never within a
// fault; with these, after a few seconds of writes.
const fullDiskWALSegment = 256 << 10

// tmpfsDirs mounts a tmpfs on each node's state directory and unmounts
// them all at the end.
type tmpfsDirs struct {
	log  *slog.Logger
	size int64

	mu      sync.Mutex
	mounted []string
}

// newTmpfsDirs checks that a tmpfs can be mounted under root (probing
// with one), or says why not.
func newTmpfsDirs(root string, size int64, log *slog.Logger) (*tmpfsDirs, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("mounting a tmpfs needs root")
	}
	t := &tmpfsDirs{log: log, size: size}
	probe := filepath.Join(root, "tmpfs-probe")
	if err := t.mount(probe); err != nil {
		return nil, err
	}
	t.unmountAll()
	os.Remove(probe)
	return t, nil
}

func (t *tmpfsDirs) mount(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", t.size)); err != nil {
		return fmt.Errorf("mount a tmpfs on %s: %w", dir, err)
	}
	t.mu.Lock()
	t.mounted = append(t.mounted, dir)
	t.mu.Unlock()
	return nil
}

// unmountAll unmounts every tmpfs, once the nodes using them are stopped.
func (t *tmpfsDirs) unmountAll() {
	t.mu.Lock()
	dirs := t.mounted
	t.mounted = nil
	t.mu.Unlock()
	for _, d := range dirs {
		if err := syscall.Unmount(d, syscall.MNT_DETACH); err != nil {
			t.log.Warn("unmount tmpfs", "dir", d, "err", err)
		}
	}
}

// fillDir writes a ballast file in dir until its file system is full, to
// the last block, and returns its name.
func fillDir(dir string) (string, error) {
	name := filepath.Join(dir, "jepsen-ballast")
	f, err := os.Create(name)
	if err != nil {
		return name, fmt.Errorf("create ballast: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for chunk := len(buf); chunk >= 512; {
		if _, err := f.Write(buf[:chunk]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				return name, fmt.Errorf("fill %s: %w", dir, err)
			}
			chunk /= 2
		}
	}
	return name, nil
}

// fullDisk fills a node's state directory for a while, watching it, then
// frees it (restarting the node if it stopped).
func (wk *worker) fullDisk(ctx context.Context) error {
	nm := wk.nm
	n, isLeader := wk.target(ctx)
	if n == nil {
		return nil
	}
	defer nm.unclaim(n)
	n.setFaulted(true)
	defer n.setFaulted(false)
	what := "full-disk " + role(isLeader)
	logFrom := logSize(n.logPath)
	ballast, err := fillDir(n.dir)
	if err != nil {
		os.Remove(ballast)
		return err
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", n)
	wk.watchFull(n, logFrom, time.Now().Add(wk.jitter(nm.hold)))
	if n.running() && wk.rng.IntN(2) == 0 {
		// A crash on the full disk: what it acknowledged must be on it.
		if err := nm.cl.kill(n); err != nil {
			return err
		}
		nm.count("full-disk: killed on the full disk")
	}
	if !n.running() {
		// A supervisor restarts it while the disk is still full: it must
		// start, or fail cleanly, and never come back acknowledging what
		// it cannot persist (the history says).
		from := logSize(n.logPath)
		if err := nm.cl.start(n, ""); err != nil {
			return fmt.Errorf("restart %s on a full disk: %w", n, err)
		}
		if n.waitExit(3*time.Second) == nil {
			nm.count("full-disk: restart on the full disk failed")
			wk.checkStorageExit(n, from)
		} else {
			nm.count("full-disk: restarted on the full disk")
		}
	}
	if err := os.Remove(ballast); err != nil {
		return fmt.Errorf("free %s: %w", n.dir, err)
	}
	if !n.running() {
		wait, err := nm.restartAndRead(n)
		wait()
		if err != nil {
			return fmt.Errorf("restart %s: %w", n, err)
		}
	}
	nm.log.Info("healed", "what", what, "node", n)
	return nil
}

// watchFull probes n until deadline, or until it exits: while it runs it
// must answer reads, and writes either succeed (the WAL has preallocated
// room, so what it acknowledges is durable) or are refused with MISCONF,
// or fail the way a leader change makes them fail.
func (wk *worker) watchFull(n *node, logFrom int64, deadline time.Time) {
	nm := wk.nm
	var reads, readErrs, misconf, acked int
	var lastReadErr string
	for time.Now().Before(deadline) {
		if n.waitExit(200*time.Millisecond) == nil {
			nm.count("full-disk: node stopped")
			wk.checkStorageExit(n, logFrom)
			return
		}
		switch err := probeWrite(n.respAddr, "jepsen:fullprobe", time.Second); {
		case err == nil:
			acked++
		case strings.Contains(err.Error(), "-MISCONF "):
			misconf++
		}
		if _, err := readKey(n.respAddr, "jepsen:fullprobe", time.Second); err != nil {
			readErrs++
			lastReadErr = err.Error()
		} else {
			reads++
		}
	}
	if misconf > 0 {
		nm.count("full-disk: writes refused with MISCONF")
	}
	if acked > 0 && misconf == 0 {
		nm.count("full-disk: writes acknowledged into preallocated WAL room")
	}
	if reads == 0 && n.running() {
		nm.problem("%s answered no read while its disk was full (%d failed, last: %s)", n, readErrs, lastReadErr)
	}
}

// checkStorageExit requires a node that stopped on a full disk to have
// exited non-zero, saying why in its log.
func (wk *worker) checkStorageExit(n *node, logFrom int64) {
	if n.exitError() == nil {
		wk.nm.problem("%s exited with status 0 on a full disk", n)
	}
	if tail := logTail(n.logPath, logFrom); !strings.Contains(tail, "no space left on device") {
		wk.nm.problem("%s stopped on a full disk without logging that the device is full", n)
	}
}
