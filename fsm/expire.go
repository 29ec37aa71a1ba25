package fsm

import (
	"context"
	"time"
)

// Active expiry parameters, after Redis's active expire cycle (effort 1):
// ten cycles a second, each bounded in time, going on while what it samples
// is mostly expired.
const (
	activeExpiryInterval = 100 * time.Millisecond
	// activeExpiryBudget bounds one cycle's wall time, as Redis gives its
	// cycle 25% of a tick.
	activeExpiryBudget = 25 * time.Millisecond
	// activeExpiryBatch is the most keys one log entry deletes, which
	// bounds the entry's size and the time Apply holds the lock.
	activeExpiryBatch = 200
	// activeExpiryMaxBatches rate-limits the proposals of one cycle.
	activeExpiryMaxBatches = 16
)

// RunActiveExpiry removes expired keys that nobody touches, until ctx ends.
// Every node may run it: it acts only while isLeader() is true, so that
// one node proposes and no node ever deletes on its own; the deletions are
// NewExpire commands that go through the log like any write. Every
// activeExpiryInterval it samples the keyspace at now() and proposes the
// expired keys it finds, in batches of at most activeExpiryBatch keys; it
// repeats while more than a quarter of a sample had expired, within
// activeExpiryBudget and activeExpiryMaxBatches.
//
// propose should return once the entry is applied (or failed): sampling
// again before that would find, and propose, the same keys again, which is
// harmless but wasteful. A propose error ends the cycle; the next tick
// tries again.
func RunActiveExpiry(ctx context.Context, s *Store, isLeader func() bool,
	propose func(ctx context.Context, cmd []byte) error, now func() int64) {
	ticker := time.NewTicker(activeExpiryInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if isLeader() {
			activeExpireCycle(ctx, s, isLeader, propose, now)
		}
	}
}

func activeExpireCycle(ctx context.Context, s *Store, isLeader func() bool,
	propose func(ctx context.Context, cmd []byte) error, now func() int64) {
	stop := time.Now().Add(activeExpiryBudget)
	batches := 0
	for db := 0; db < NumDBs; db++ {
		for batches < activeExpiryMaxBatches {
			t := now()
			keys, examined := s.expiredSample(db, t, activeExpiryBatch)
			if len(keys) > 0 {
				batches++
				// A fresh buffer each time: the raft log keeps the bytes.
				if err := propose(ctx, NewExpire(keys, t).InDB(db).AppendBinary(nil)); err != nil {
					return
				}
			}
			if time.Now().After(stop) || ctx.Err() != nil || !isLeader() {
				return
			}
			if examined == 0 || len(keys)*4 <= examined {
				break // on to the next database
			}
		}
	}
}
