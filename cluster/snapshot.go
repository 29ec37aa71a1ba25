package cluster

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// takeSnapshotMessages hands each MsgSnap to its own goroutine (see
// sendSnapshot) and returns the other messages.
func (n *Node) takeSnapshotMessages(msgs []*raftpb.Message) []*raftpb.Message {
	out := msgs[:0]
	for _, m := range msgs {
		if m.GetType() == raftpb.MsgSnap {
			n.wg.Add(1)
			go n.sendSnapshot(m)
			continue
		}
		out = append(out, m)
	}
	return out
}

// restoreSnapshot replaces the state machine and membership with the
// snapshot file at term/index.
func (n *Node) restoreSnapshot(term, index uint64) error {
	h, body, f, err := n.disk.snaps.open(term, index)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	if err := n.sm.Restore(body); err != nil {
		return fmt.Errorf("restore state machine from %s: %w", f.Name(), err)
	}
	n.members.restore(h)
	n.appliedTerm.Store(term) // may go down: a restart's state, or a follower's older one replaced
	n.applied.Store(index)
	n.snapIndex.Store(index)
	return nil
}

// snapshotKeysPerEntry scales the snapshot interval with the state: a
// snapshot is taken at most every Len()/snapshotKeysPerEntry entries (see
// snapshotInterval).
const snapshotKeysPerEntry = 16

// sized is a StateMachine that can tell how many keys its snapshots hold.
type sized interface{ Len() int }

// snapshotInterval is how many entries are applied between snapshots:
// SnapshotEntries, or a sixteenth of the state machine's keys if more. A
// snapshot's cost grows with the keys, so a fixed interval would have a
// large keyspace written out over and over (every second or so under
// load); a sixteenth keeps that cost per entry bounded, while the raft log
// kept in memory and replayed at a restart stays small next to the state.
func (n *Node) snapshotInterval() uint64 {
	every := n.cfg.SnapshotEntries
	if s, ok := n.sm.(sized); ok {
		every = max(every, uint64(s.Len())/snapshotKeysPerEntry)
	}
	return every
}

// maybeSnapshot starts a snapshot when enough entries were applied since
// the last one. The state machine captures its state here, between applies;
// writing it out and compacting the log happen on another goroutine.
func (n *Node) maybeSnapshot() {
	applied := n.applied.Load()
	if n.snapping.Load() {
		return
	}
	// While snapshots fail (see persistHealth) the next attempt waits for
	// its backoff but not for the interval: writes are refused until one
	// is saved, and a single node may apply nothing more meanwhile.
	switch degraded, retry := n.persist.degraded(time.Now()); {
	case degraded && (!retry || applied <= n.snapIndex.Load()):
		return
	case !degraded && applied-n.snapIndex.Load() < n.snapshotInterval():
		return
	}
	c := n.capture()
	if c.err != nil {
		n.log.Error("snapshot state machine", "err", c.err)
		return
	}
	n.snapping.Store(true)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		err := n.persistSnapshot(c)
		if err != nil {
			n.snapshotFailed("snapshot", c.h.Index, err)
		}
		n.snapping.Store(false)
		if err == nil {
			// Entries applied while this snapshot was written may already
			// call for the next one; with no more writes coming, nothing
			// else would take it, and the log (replayed at a restart)
			// would stay long.
			select {
			case n.snapDonec <- struct{}{}:
			default:
			}
		}
	}()
}

// snapCapture is the state at one applied index, not yet written out.
type snapCapture struct {
	h    snapHeader
	body io.WriterTo
	err  error
}

// capture runs on the apply loop, between entries, so that the state
// machine and the membership describe the same index.
func (n *Node) capture() snapCapture {
	body, err := n.sm.Snapshot()
	return snapCapture{h: n.members.header(n.appliedTerm.Load(), n.applied.Load()), body: body, err: err}
}

// persistSnapshot writes a captured state to its snapshot file and then
// compacts the raft log and the WAL behind it.
func (n *Node) persistSnapshot(c snapCapture) error {
	n.persistMu.Lock()
	defer n.persistMu.Unlock()
	if c.h.Index <= n.snapIndex.Load() {
		return nil // an equal or newer snapshot is already durable
	}
	start := time.Now()
	if err := n.disk.snaps.write(c.h, c.body, n.stopc); err != nil {
		if errors.Is(err, ErrStopped) {
			return err
		}
		return fmt.Errorf("%w: %w", errSnapshotWrite, err)
	}
	if err := n.disk.compact(c.h, n.cfg.CatchUpEntries, n.cfg.CatchUpBytes); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if degraded, _ := n.persist.degraded(time.Now()); degraded {
		// The disk has room again; the WAL may not know it (reopenWAL).
		if err := n.disk.reopenWAL(c.h); err != nil {
			return fmt.Errorf("reopen: %w", err)
		}
	}
	n.snapIndex.Store(c.h.Index)
	took := time.Since(start)
	n.snapStats.saved(took)
	n.obs.SnapshotSaved(c.h.Index, took)
	n.log.Info("snapshot saved", "index", c.h.Index, "took", took.Round(time.Millisecond))
	n.snapshotSaved(c.h.Index)
	return nil
}

// errSnapshotWrite marks a snapshot file that could not be written: the
// WAL and the log are untouched (they are compacted only behind a file
// written whole), and the node refuses writes until one is saved.
var errSnapshotWrite = errors.New("write snapshot file")

// snapshotFailed reports a snapshot that could not be written or recorded.
// A snapshot file that failed is not used, and puts the node in the
// degraded state of persistHealth until one is saved; a WAL that failed
// stops the node (see disk.walDo).
func (n *Node) snapshotFailed(what string, index uint64, err error) {
	if errors.Is(err, ErrStopped) {
		n.log.Info("snapshot abandoned: the node is stopping", "while", what, "index", index)
		return
	}
	n.snapStats.failed.Store(true)
	if errors.Is(err, ErrStorage) {
		n.log.Error("storage failed; stopping the node", "while", what, "index", index, "err", err)
		go n.stop(err)
		return
	}
	if errors.Is(err, errSnapshotWrite) {
		n.snapshotWriteFailed(what, index, err)
		return
	}
	n.log.Error(what, "index", index, "err", err)
}

// sendSnapshot sends a follower the state as of now rather than the older
// snapshot raft picked from storage, as etcd does: the stored one may
// predate the follower's own addition to the cluster, and raft on the
// follower ignores a snapshot whose configuration does not include it.
func (n *Node) sendSnapshot(m *raftpb.Message) {
	defer n.wg.Done()
	reply := make(chan snapCapture, 1)
	var c snapCapture
	select {
	case n.snapReqc <- reply:
	case <-n.stopc:
		return
	}
	select {
	case c = <-reply:
	case <-n.stopc:
		return
	}
	if c.err == nil {
		c.err = n.persistSnapshot(c)
	}
	if c.err != nil {
		n.snapshotFailed("snapshot for follower "+FormatID(m.GetTo()), c.h.Index, c.err)
		n.raft.ReportSnapshot(m.GetTo(), raft.SnapshotFailure)
		return
	}
	md := &raftpb.SnapshotMetadata{Index: &c.h.Index, Term: &c.h.Term,
		ConfState: &raftpb.ConfState{Voters: c.h.Voters, Learners: c.h.Learners}}
	m.Snapshot = &raftpb.Snapshot{Metadata: md}
	n.tr.Send([]*raftpb.Message{m})
}

// snapStats describe the snapshots this node wrote, for Status.
type snapStats struct {
	count  atomic.Uint64
	at     atomic.Int64 // unix nanoseconds the last one finished
	took   atomic.Int64 // its duration
	failed atomic.Bool  // the last attempt failed
}

func (s *snapStats) saved(took time.Duration) {
	s.count.Add(1)
	s.at.Store(time.Now().UnixNano())
	s.took.Store(int64(took))
	s.failed.Store(false)
}
