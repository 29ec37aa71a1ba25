package cluster

import "io"

// StateMachine is the replicated state the cluster drives. The cluster calls
// Apply, Snapshot and Restore from a single goroutine (the apply loop), in log
// order, never from the raft loop, so an implementation needs no locking
// between those three; it needs its own locking only for reads it serves
// concurrently.
//
// A StateMachine that also has a Len() int method, the number of keys its
// snapshots hold, is snapshotted less often as it grows (see
// Node.snapshotInterval).
type StateMachine interface {
	// Apply applies the command of the committed entry at index and returns
	// the command's result, which Replicate hands to the proposer. Apply must
	// be deterministic: the same commands in the same order give the same
	// state and results on every node. It must not fail: a command it cannot
	// decode yields an error result, not a panic.
	Apply(index uint64, cmd []byte) any

	// Snapshot captures the state as of the last applied entry. It is called
	// between Apply calls and should be quick; the returned WriterTo is
	// called once, on another goroutine, while Apply goes on, and must write
	// the state as it was when Snapshot returned.
	Snapshot() (io.WriterTo, error)

	// Restore replaces the whole state (never merges) with one written by a
	// Snapshot's WriteTo.
	Restore(r io.Reader) error
}
