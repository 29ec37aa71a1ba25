package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// raftNode is this node's etcd RawNode and the mailbox through which other
// goroutines reach it. A RawNode is not safe for concurrent use: only the
// raft loop calls it, and everyone else hands the loop a message, a
// proposal, a ReadIndex request or a function to run.
//
// Driving a RawNode ourselves, rather than through raft.Node's goroutine,
// lets the loop take every proposal waiting when it comes round, from all
// callers at once, and step them as one multi-entry MsgProp: one append
// and one MsgApp per follower for the lot, and one fsync in the Ready that
// follows. It also tells a proposer synchronously whether raft dropped its
// proposal, where raft.Node can only do so one entry at a time.
type raftNode struct {
	rn    *raft.RawNode // the raft loop's alone
	id    uint64
	stopc <-chan struct{}

	recvc chan *raftpb.Message // from peers
	readc chan []byte          // ReadIndex request contexts
	callc chan func()          // anything else, run on the loop

	propMu   sync.Mutex
	props    []*proposal // waiting for the loop, in arrival order
	spare    []*proposal // the loop's previous batch, reused
	propKick chan struct{}
	// holdProposals leaves local proposals waiting while the apply loop
	// is far behind (see Node.queueApply); the raft loop's alone.
	holdProposals bool

	// The transport's reports, queued rather than handed over through
	// call: the transport makes them from Send too, which the raft loop
	// itself calls, and a call from the loop to itself would never return.
	reportMu    sync.Mutex
	unreachable []uint64
	snapReports []snapReport
	reportKick  chan struct{}

	// Read barriers held back while this node leads but has not yet
	// applied an entry of its own term (see mustHoldReads); the raft
	// loop's alone. appliedTerm and appliedChan are the apply loop's
	// progress, which releases them.
	held        []heldRead
	appliedTerm *atomic.Uint64
	appliedChan func() <-chan struct{}
}

// heldRead is a ReadIndex request not yet stepped: a peer's message, or
// this node's own request context when m is nil.
type heldRead struct {
	m    *raftpb.Message
	rctx []byte
}

// maxHeldReads bounds the held requests. The read loop asks again for a
// round still unanswered every few ticks, and followers do the same, so
// one dropped here is only delayed.
const maxHeldReads = 4096

type snapReport struct {
	id     uint64
	status raft.SnapshotStatus
}

// proposal is one caller's entries, stepped together in one MsgProp (with
// other callers' entries, if any are waiting) so that raft accepts or drops
// them as a whole.
type proposal struct {
	ents  []*raftpb.Entry
	size  int        // bytes of entry data
	taken bool       // under propMu: the loop has it, an answer will come
	errc  chan error // capacity 1: the loop's answer once it has stepped it
	// held is set when propose returned because the node stopped while
	// the loop had the proposal: the loop may still be reading it, so it
	// must never be reused (see waiters.put).
	held bool
	// term is the raft term the loop last stepped it in, also written
	// into each entry (see entryHeader); 0 until then.
	term atomic.Uint64
}

// maxPropBytes bounds the entry data of one combined MsgProp. A follower
// forwards a MsgProp to the leader as one message: keeping it near raft's
// MaxSizePerMsg keeps messages, and the leader's appends, a sane size. A
// single caller's proposal larger than this still goes as one MsgProp.
const maxPropBytes = 1 << 20

// errNotTaken: the caller's context ended before the raft loop took its
// proposal, which therefore was never proposed.
var errNotTaken = errors.New("raftcache: proposal not taken by the raft loop before the context ended")

func newRaftNode(rn *raft.RawNode, id uint64, stopc <-chan struct{}, appliedTerm *atomic.Uint64, appliedChan func() <-chan struct{}) *raftNode {
	return &raftNode{
		rn:          rn,
		id:          id,
		stopc:       stopc,
		appliedTerm: appliedTerm,
		appliedChan: appliedChan,
		recvc:       make(chan *raftpb.Message, 256),
		readc:       make(chan []byte),
		callc:       make(chan func()),
		propKick:    make(chan struct{}, 1),
		reportKick:  make(chan struct{}, 1),
	}
}

// propose queues p for the raft loop and returns the error raft's Step gave
// it: nil (appended, or forwarded to the leader), raft.ErrProposalDropped,
// errNotTaken when ctx ended before the loop took it, or ErrStopped.
func (r *raftNode) propose(ctx context.Context, p *proposal) error {
	p.taken, p.held = false, false
	r.propMu.Lock()
	r.props = append(r.props, p)
	r.propMu.Unlock()
	select {
	case r.propKick <- struct{}{}:
	default: // a kick is pending; the loop takes every waiting proposal
	}
	stopped := false
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
	case <-r.stopc:
		stopped = true
	}
	r.propMu.Lock()
	if !p.taken {
		for i, q := range r.props {
			if q == p {
				r.props = append(r.props[:i], r.props[i+1:]...)
				break
			}
		}
		r.propMu.Unlock()
		if stopped {
			return ErrStopped
		}
		return errNotTaken
	}
	r.propMu.Unlock()
	if stopped {
		// The loop took it and may be stepping it as it stops.
		p.held = true
		return ErrStopped
	}
	// The loop has it and answers as soon as it has stepped it.
	select {
	case err := <-p.errc:
		return err
	case <-r.stopc:
		p.held = true
		return ErrStopped
	}
}

// takeProposals hands the loop every waiting proposal.
func (r *raftNode) takeProposals() []*proposal {
	r.propMu.Lock()
	ps := r.props
	r.props = r.spare[:0]
	for _, p := range ps {
		p.taken = true
	}
	r.propMu.Unlock()
	return ps
}

// stepProposals steps waiting proposals, as few MsgProps as maxPropBytes
// allows, and answers each.
func (r *raftNode) stepProposals() {
	ps := r.takeProposals()
	for i := 0; i < len(ps); {
		j, size, n := i+1, ps[i].size, len(ps[i].ents)
		for ; j < len(ps) && size+ps[j].size <= maxPropBytes; j++ {
			size += ps[j].size
			n += len(ps[j].ents)
		}
		ents := ps[i].ents
		if j > i+1 {
			ents = make([]*raftpb.Entry, 0, n)
			for _, p := range ps[i:j] {
				ents = append(ents, p.ents...)
			}
		}
		// The term this node is in is the term of the leader the entries
		// go to (this node, or the one raft forwards them to): if that
		// leader appends them at all, it is in this term, or they are
		// no-ops (see entryHeader).
		term := r.rn.BasicStatus().GetTerm()
		for _, p := range ps[i:j] {
			for _, e := range p.ents {
				binary.BigEndian.PutUint64(e.GetData()[16:], term)
			}
			p.term.Store(term)
		}
		err := r.rn.Step(&raftpb.Message{Type: raftpb.MsgProp.Enum(), From: &r.id, Entries: ents})
		for _, p := range ps[i:j] {
			p.errc <- err
		}
		i = j
	}
	clear(ps)
	r.propMu.Lock()
	r.spare = ps[:0]
	r.propMu.Unlock()
}

// step hands the loop a message from a peer.
func (r *raftNode) step(ctx context.Context, m *raftpb.Message) error {
	select {
	case r.recvc <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.stopc:
		return ErrStopped
	}
}

// readIndex returns once the loop has stepped a ReadIndex request for
// rctx (raft answers it with a ReadState in a later Ready, or drops it
// silently when there is no leader).
func (r *raftNode) readIndex(rctx []byte) error {
	select {
	case r.readc <- rctx:
		return nil
	case <-r.stopc:
		return ErrStopped
	}
}

// call runs f on the raft loop and returns once it has run; false means
// the node stopped first.
func (r *raftNode) call(f func()) bool {
	done := make(chan struct{})
	select {
	case r.callc <- func() { f(); close(done) }:
	case <-r.stopc:
		return false
	}
	// The loop runs f as soon as it takes it, stopping or not: returning
	// before f is done would let the caller read what f is still writing.
	<-done
	return true
}

// serve is the raft loop's select, one input at a time. Besides the
// inputs, it hands next (if any) to the apply loop on out, reporting so in
// handed, and returns when wake is closed. ok is false when the node is
// stopping.
func (r *raftNode) serve(tick <-chan time.Time, out chan<- *applyBatch, next *applyBatch, wake <-chan struct{}) (handed, ok bool) {
	var appliedc <-chan struct{}
	if len(r.held) > 0 {
		// Taken before looking, so that an apply in between is not missed.
		appliedc = r.appliedChan()
		if r.releaseReads(); len(r.held) == 0 {
			appliedc = nil
		}
	}
	if next == nil {
		out = nil
	}
	select {
	case <-tick:
		r.rn.Tick()
	case m := <-r.recvc:
		r.stepMsg(m)
	case rctx := <-r.readc:
		r.stepRead(nil, rctx)
	case <-appliedc:
		r.releaseReads()
	case f := <-r.callc:
		f()
	case <-r.propKicks():
		r.stepProposals()
	case <-r.reportKick:
		r.stepReports()
	case out <- next:
		return true, true
	case <-wake:
	case <-r.stopc:
		return false, false
	}
	return false, true
}

// propKicks is the channel that tells the loop proposals are waiting, or
// nil while holdProposals says to leave them waiting.
func (r *raftNode) propKicks() <-chan struct{} {
	if r.holdProposals {
		return nil
	}
	return r.propKick
}

// drain steps whatever is already waiting, without blocking, so that the
// next Ready carries all of it: the proposals of every caller that arrived
// while the loop was busy go in one append and one fsync. It takes a tick
// too: a loop kept busy by Readys must still tick.
func (r *raftNode) drain(tick <-chan time.Time) {
	r.releaseReads()
	for range 1024 {
		select {
		case <-tick:
			r.rn.Tick()
		case m := <-r.recvc:
			r.stepMsg(m)
		case rctx := <-r.readc:
			r.stepRead(nil, rctx)
		case f := <-r.callc:
			f()
		case <-r.propKicks():
			r.stepProposals()
		case <-r.reportKick:
			r.stepReports()
		default:
			return
		}
	}
}

// stepMsg steps a message from a peer. Errors are raft's to log: a message
// from a removed or unknown peer, or a proposal dropped for want of a
// leader, whose proposer learns the outcome from the leader change.
func (r *raftNode) stepMsg(m *raftpb.Message) {
	if m.GetType() == raftpb.MsgReadIndex {
		r.stepRead(m, nil)
		return
	}
	_ = r.rn.Step(m)
}

// stepRead steps a ReadIndex request, a peer's (m) or this node's own
// (rctx), or holds it while mustHoldReads says so. Held requests are
// stepped in the order they came.
func (r *raftNode) stepRead(m *raftpb.Message, rctx []byte) {
	if len(r.held) > 0 || r.mustHoldReads() {
		if len(r.held) < maxHeldReads {
			r.held = append(r.held, heldRead{m, rctx})
		}
		return
	}
	r.readNow(heldRead{m, rctx})
}

func (r *raftNode) readNow(h heldRead) {
	if h.m != nil {
		_ = r.rn.Step(h.m)
	} else {
		r.rn.ReadIndex(h.rctx)
	}
}

// mustHoldReads reports whether this node leads but has not yet applied
// an entry of its own term. Such a leader's commit index may be behind
// what was acknowledged: the HardState of a Ready that only advances the
// commit index is neither synced nor flushed by etcd's WAL (committed
// entries are applied, and acknowledged, before their Ready is saved), so
// a node restarted after a crash can come back with a commit index below
// entries it applied and acknowledged. Raft answers a single voter's
// ReadIndex with that commit index at once (a larger cluster's leader
// waits until it committed an entry of its term, but a learner's read
// goes to the single voter all the same). Once an entry of the leader's
// term is applied, so is everything before it, and the commit index a
// read then gets covers every acknowledged write, as etcd's server waits
// for its first commit in a term before it serves reads.
//
// Writes need no such care: an acknowledged entry is durable on a
// quorum (the leader counts its own vote only after its fsync returned),
// so it is in the log of every future leader, which commits it again
// with the first entry of its term; only how far a restarted node has
// applied, and so what a read sees, depends on the lost commit index. A
// snapshot at the applied index is recorded only after the Ready with
// that commit index was handed to the WAL, and the record's fsync
// flushes that HardState first.
func (r *raftNode) mustHoldReads() bool {
	st := r.rn.BasicStatus()
	return st.RaftState == raft.StateLeader && r.appliedTerm.Load() < st.GetTerm()
}

// releaseReads steps the held requests once they need not wait any more
// (also when this node stopped leading: raft then forwards them to the
// leader, which decides for itself).
func (r *raftNode) releaseReads() {
	if len(r.held) == 0 || r.mustHoldReads() {
		return
	}
	for _, h := range r.held {
		r.readNow(h)
	}
	clear(r.held)
	r.held = r.held[:0]
}

// The methods below are raft.Node's, for the goroutines other than the
// raft loop.

func (r *raftNode) Status() raft.Status {
	var st raft.Status
	r.call(func() { st = r.rn.Status() })
	return st
}

func (r *raftNode) ApplyConfChange(cc raftpb.ConfChangeI) *raftpb.ConfState {
	var cs *raftpb.ConfState
	r.call(func() { cs = r.rn.ApplyConfChange(cc) })
	return cs // nil if the node stopped first
}

func (r *raftNode) ProposeConfChange(ctx context.Context, cc raftpb.ConfChangeI) error {
	var err error
	if !r.call(func() { err = r.rn.ProposeConfChange(cc) }) {
		return ErrStopped
	}
	return err
}

func (r *raftNode) TransferLeadership(ctx context.Context, lead, transferee uint64) {
	r.call(func() { r.rn.TransferLeader(transferee) })
}

func (r *raftNode) Campaign(ctx context.Context) error {
	var err error
	if !r.call(func() { err = r.rn.Campaign() }) {
		return ErrStopped
	}
	return err
}

// ReportUnreachable and ReportSnapshot queue the report for the raft loop
// and return at once; any goroutine may call them, the raft loop included.
func (r *raftNode) ReportUnreachable(id uint64) {
	r.reportMu.Lock()
	if !slices.Contains(r.unreachable, id) {
		r.unreachable = append(r.unreachable, id)
	}
	r.reportMu.Unlock()
	r.kickReports()
}

func (r *raftNode) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	r.reportMu.Lock()
	r.snapReports = append(r.snapReports, snapReport{id, status})
	r.reportMu.Unlock()
	r.kickReports()
}

func (r *raftNode) kickReports() {
	select {
	case r.reportKick <- struct{}{}:
	default: // a kick is pending; the loop takes every queued report
	}
}

// stepReports hands raft the queued reports, in the order they came.
func (r *raftNode) stepReports() {
	r.reportMu.Lock()
	unreachable, snaps := r.unreachable, r.snapReports
	r.unreachable, r.snapReports = nil, nil
	r.reportMu.Unlock()
	for _, id := range unreachable {
		r.rn.ReportUnreachable(id)
	}
	for _, s := range snaps {
		r.rn.ReportSnapshot(s.id, s.status)
	}
}
