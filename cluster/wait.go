package cluster

import (
	"sync"
)

// result is what the apply loop hands a waiting proposer.
type result struct {
	val   any
	index uint64 // the entry's log index
	err   error
}

// waiter is one proposal waiting to be applied.
type waiter struct {
	ch    chan result // buffered: the apply loop never blocks on a caller that gave up
	epoch uint64      // the leader epoch (see Node.leaderEpoch) when the proposal was made
}

// waiters maps this node's proposal sequence numbers to their callers.
// Sequence numbers come from the entry itself together with the proposing
// node's ID, so an entry proposed elsewhere can never wake a local caller.
type waiters struct {
	mu sync.Mutex
	m  map[uint64]*waiter
}

func newWaiters() *waiters { return &waiters{m: make(map[uint64]*waiter)} }

// register must be called before the proposal is handed to raft: an apply
// that lands before registration would otherwise be a lost wake-up.
func (w *waiters) register(seq, epoch uint64) *waiter {
	wt := &waiter{ch: make(chan result, 1), epoch: epoch}
	w.mu.Lock()
	w.m[seq] = wt
	w.mu.Unlock()
	return wt
}

func (w *waiters) cancel(seq uint64) {
	w.mu.Lock()
	delete(w.m, seq)
	w.mu.Unlock()
}

func (w *waiters) trigger(seq uint64, r result) {
	w.mu.Lock()
	wt := w.m[seq]
	delete(w.m, seq)
	w.mu.Unlock()
	if wt != nil {
		wt.ch <- r
	}
}

// failBefore fails every proposal made before leader epoch epoch began.
// The apply loop calls it once it has applied everything committed before
// this node saw the leader change: a proposal still waiting then was lost
// with the old leader, or may yet be committed by the new one. Its outcome
// is unknown, and the caller hears so now rather than at its deadline.
func (w *waiters) failBefore(epoch uint64, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for seq, wt := range w.m {
		if wt.epoch < epoch {
			delete(w.m, seq)
			wt.ch <- result{err: err}
		}
	}
}

// failAll fails every waiting proposal, when the node stops.
func (w *waiters) failAll(err error) {
	w.failBefore(^uint64(0), err)
}
