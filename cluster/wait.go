package cluster

import (
	"sync"
)

// A Write is one command of a batch given to ReplicateBatch, and, once
// ReplicateBatch returns, its outcome.
type Write struct {
	Cmd []byte // the state machine command; not kept after ReplicateBatch returns

	Val   any    // what the state machine's Apply returned, if Err is nil
	Index uint64 // the log index of the entry that carried Cmd, if Err is nil
	// Err wraps ErrNoLeader or ErrProposalDropped when the command was not
	// applied and will not be, ErrOutcomeUnknown when it may or may not be.
	Err error
}

// batch is one caller's proposal waiting to be applied: its commands have
// consecutive sequence numbers from first. batches are pooled, so that a
// write allocates no waiter of its own.
type batch struct {
	ws    []Write
	first uint64        // sequence number of ws[0]
	left  int           // results still due; under waiters.mu
	done  chan struct{} // capacity 1: a value when left reached 0
	epoch uint64        // the leader epoch (see Node.leaderEpoch) at proposal
	// byTerm: normal entries, whose fate the proposer decides from the
	// term they were stepped in (see entryHeader); membership changes
	// are failed at a leader change instead (see failBefore).
	byTerm bool
	prop   proposal
}

// slot is where the result of one sequence number goes.
type slot struct {
	b *batch
	i int
}

// waiters maps this node's proposal sequence numbers to their callers.
// Sequence numbers come from the entry itself together with the proposing
// node's ID, so an entry proposed elsewhere can never wake a local caller.
// Results are written under mu: once cancel has returned, nothing writes to
// a batch any more and its caller may reuse it.
type waiters struct {
	mu   sync.Mutex
	m    map[uint64]slot
	pool sync.Pool
}

func newWaiters() *waiters {
	w := &waiters{m: make(map[uint64]slot)}
	w.pool.New = func() any {
		return &batch{done: make(chan struct{}, 1), prop: proposal{errc: make(chan error, 1)}}
	}
	return w
}

func (w *waiters) get() *batch { return w.pool.Get().(*batch) }

// put returns b to the pool; b must not be registered any more.
func (w *waiters) put(b *batch) {
	if b.prop.held {
		// The stopping raft loop may still read it: leave it to the
		// garbage collector.
		return
	}
	select {
	case <-b.done: // a completion nobody waited for
	default:
	}
	// The entries may still be referenced by a message raft has not sent
	// (a proposal forwarded by a follower whose caller timed out): they
	// are never reused.
	b.ws, b.prop.ents = nil, nil
	w.pool.Put(b)
}

// register must be called before the proposal is handed to raft: an apply
// that lands before registration would otherwise be a lost wake-up.
func (w *waiters) register(b *batch) {
	w.mu.Lock()
	b.left = len(b.ws)
	for i := range b.ws {
		w.m[b.first+uint64(i)] = slot{b, i}
	}
	w.mu.Unlock()
}

// cancel gives every command of b still waiting the error err.
func (w *waiters) cancel(b *batch, err error) {
	w.mu.Lock()
	for i := range b.ws {
		seq := b.first + uint64(i)
		if s, ok := w.m[seq]; ok && s.b == b {
			delete(w.m, seq)
			b.ws[i].Err = err
			b.left--
		}
	}
	w.mu.Unlock()
}

func (w *waiters) trigger(seq uint64, val any, index uint64) {
	w.mu.Lock()
	if s, ok := w.m[seq]; ok {
		delete(w.m, seq)
		wr := &s.b.ws[s.i]
		wr.Val, wr.Index = val, index
		s.b.done1()
	}
	w.mu.Unlock()
}

// done1 counts one result in; under waiters.mu.
func (b *batch) done1() {
	if b.left--; b.left == 0 {
		b.done <- struct{}{}
	}
}

// waiting removes the commands of b still waiting from the map and
// returns their positions in b.ws: the caller decided their fate. It
// sends nothing on b.done.
func (w *waiters) waiting(b *batch) []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []int
	for i := range b.ws {
		seq := b.first + uint64(i)
		if s, ok := w.m[seq]; ok && s.b == b {
			delete(w.m, seq)
			out = append(out, i)
		}
	}
	b.left -= len(out)
	return out
}

// registerSome registers the commands of b at positions idx again, under
// their sequence numbers, before they are proposed again.
func (w *waiters) registerSome(b *batch, idx []int) {
	w.mu.Lock()
	b.left = len(idx)
	for _, i := range idx {
		w.m[b.first+uint64(i)] = slot{b, i}
	}
	w.mu.Unlock()
}

// failBefore fails every membership change proposed before leader epoch
// epoch began. The apply loop calls it once it has applied everything
// committed before this node saw the leader change: a change still waiting
// then was lost with the old leader, or may yet be committed by the new
// one. Its outcome is unknown, and the caller hears so now rather than at
// its deadline.
func (w *waiters) failBefore(epoch uint64, err error) {
	w.failIf(func(b *batch) bool { return !b.byTerm && b.epoch < epoch }, err)
}

// failStampedUpTo fails every normal proposal last stepped in a term up
// to term (see Node.applyBatch).
func (w *waiters) failStampedUpTo(term uint64, err error) {
	w.failIf(func(b *batch) bool {
		t := b.prop.term.Load()
		return b.byTerm && t != 0 && t <= term
	}, err)
}

// failAll fails every waiting proposal, when the node stops.
func (w *waiters) failAll(err error) {
	w.failIf(func(*batch) bool { return true }, err)
}

func (w *waiters) failIf(match func(*batch) bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for seq, s := range w.m {
		if match(s.b) {
			delete(w.m, seq)
			s.b.ws[s.i].Err = err
			s.b.done1()
		}
	}
}
