// Package fsm is raftcache's replicated state machine: the keyspace and the
// data commands that read and change it.
//
// A write flows through the package in five steps:
//
//  1. Parse turns a client's argv into a Command, checking arity and options
//     and replying with Redis 7's exact error text. Relative expiries (EX, PX,
//     EXPIRE...) become absolute deadlines here, from the proposer's clock, so
//     that every node later agrees on them.
//  2. AppendBinary encodes the Command compactly (opcode, varints,
//     length-prefixed arguments); the bytes are proposed through Raft.
//  3. Once committed, every node's apply loop hands the bytes to Store.Apply,
//     which Decodes them (Decode never panics on bad input) and applies them.
//  4. Apply runs the command against the Store using only the Command's
//     carried time, never the local clock, map order or randomness, so every
//     node reaches the same state and the same Reply.
//  5. The Reply travels back to the proposer, which writes it as RESP.
//
// Reads skip Raft: after the caller's linearizable-read barrier, Store.Read
// runs them against local state and hides keys whose deadline has passed.
//
// The keyspace lives in 1024 shards of a fixed hash of the key, each a byte
// arena of records behind an index of offsets, neither of which holds a
// pointer (see shard): the garbage collector does not scan the keys.
//
// Snapshot captures the state in O(shards) by sharing the shards with the
// snapshot, copy on write: the first write to a shard after a capture copies
// its small index and leaves the captured arena bytes alone. WriteTo then
// writes the captured state out on another goroutine while Apply goes on.
// Snapshot and Restore move the whole state as a versioned binary stream
// ending in a checksum, so a torn or corrupt stream is rejected and leaves the
// old state in place.
package fsm
