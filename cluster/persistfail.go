package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/raft/v3"
)

// ErrCannotPersist: this node refuses writes because its last snapshot
// could not be written (a full disk, most often), as Redis refuses them
// with MISCONF while its last RDB save failed (stop-writes-on-bgsave-error).
// Nothing was proposed: the write was not applied and will not be.
var ErrCannotPersist = errors.New("raftcache: cannot persist to disk")

// What a full state directory does, measured on a tmpfs filled mid-run:
// etcd's WAL preallocates each 64 MB segment and the next one, so the WAL
// goes on writing (durably) into space it already holds, and the first
// write to fail is a snapshot's. Left alone, the node would go on taking
// writes until the WAL needs space beyond its segments, fail there, and
// stop (a failed WAL write is fatal, see disk.walDo), having retried the
// snapshot after every applied batch meanwhile.
//
// So a failed snapshot write puts the node in this degraded state until a
// snapshot is saved again:
//   - writes proposed through this node fail at once with ErrCannotPersist,
//     before anything is proposed: no acknowledgement for anything, and
//     the WAL's remaining room is left to the entries raft must persist
//     (the leader's, as a follower, and the HardState);
//   - reads are served as ever: a read barrier writes nothing;
//   - a leader hands leadership to another voter, whose disk may be fine,
//     so that the cluster keeps taking writes;
//   - the snapshot is retried with a backoff (persistRetryMin to
//     persistRetryMax), from the apply loop even when nothing is applied,
//     and the first that is saved ends it: the node recovers by itself,
//     in process, once space is freed, reopening its WAL (whose
//     preallocation of the next segment may have failed for good
//     meanwhile, see disk.reopenWAL).
//
// The WAL's own failure stays fatal: after a failed write or fsync etcd's
// WAL is in no state to be written again, and which call failed (a write
// that left the page cache intact, or an fsync after which the kernel
// may have dropped dirty pages) cannot be told from its error. The
// process exits, and a supervisor restarts it from what is on disk (see
// the README's Operations).
type persistHealth struct {
	mu      sync.Mutex
	err     error     // the last snapshot write's failure; nil when healthy
	since   time.Time // when it began failing
	retryAt time.Time // the next attempt is not started before
	backoff time.Duration
	handing bool // a leadership handover for it is under way
}

const (
	persistRetryMin = 500 * time.Millisecond
	persistRetryMax = 4 * time.Second
)

// failed records a failed snapshot write and reports whether the node was
// healthy until now.
func (p *persistHealth) failed(err error, now time.Time) (first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	first = p.err == nil
	if first {
		p.since, p.backoff = now, persistRetryMin
	} else {
		p.backoff = min(2*p.backoff, persistRetryMax)
	}
	p.err, p.retryAt = err, now.Add(p.backoff)
	return first
}

// saved records a snapshot written whole and returns how long the node
// was degraded, 0 if it was not.
func (p *persistHealth) saved(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		return 0
	}
	p.err = nil
	return max(now.Sub(p.since), time.Nanosecond)
}

// check returns the error writes are refused with, nil when healthy.
func (p *persistHealth) check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrCannotPersist, cause(p.err))
}

// degraded reports whether writes are refused, and whether a snapshot may
// be attempted again now.
func (p *persistHealth) degraded(now time.Time) (degraded, retry bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err != nil, p.err != nil && !now.Before(p.retryAt)
}

// cause is the operating system's reason for err when it has one ("no
// space left on device"), for the error clients get: the file names and
// layers are for the log.
func cause(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// snapshotWriteFailed enters (or stays in) the degraded state after a
// snapshot could not be written, and has a leader hand leadership over.
func (n *Node) snapshotWriteFailed(what string, index uint64, err error) {
	if n.persist.failed(err, time.Now()) {
		n.log.Error("snapshot could not be written; refusing writes on this node until one is saved",
			"while", what, "index", index, "err", err)
	} else {
		n.log.Debug("snapshot still cannot be written", "while", what, "index", index, "err", err)
	}
	n.handOverIfLeading()
}

// handOverIfLeading transfers leadership away from this node while it
// cannot save snapshots, one attempt at a time: forwarded writes would
// otherwise keep coming to a leader that refuses its own.
func (n *Node) handOverIfLeading() {
	if !n.IsLeader() {
		return
	}
	n.persist.mu.Lock()
	busy := n.persist.handing
	n.persist.handing = true
	n.persist.mu.Unlock()
	if busy {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer func() {
			n.persist.mu.Lock()
			n.persist.handing = false
			n.persist.mu.Unlock()
		}()
		to := n.stepDownTarget()
		if to == raft.None {
			return // the only voter, or none other reachable: nobody to hand over to
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*n.cfg.electionTimeout())
		defer cancel()
		go func() {
			select {
			case <-n.stopc:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := n.TransferLeadership(ctx, to); err != nil {
			n.log.Warn("hand leadership over while snapshots cannot be written", "to", FormatID(to), "err", err)
			return
		}
		n.log.Info("handed leadership over: this node cannot write snapshots", "to", FormatID(to))
	}()
}

// snapshotSaved ends the degraded state, if the node was in it.
func (n *Node) snapshotSaved(index uint64) {
	if d := n.persist.saved(time.Now()); d > 0 {
		n.log.Info("snapshot saved again; accepting writes", "index", index, "degraded_for", d.Round(time.Millisecond))
	}
}
