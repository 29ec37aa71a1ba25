// Package cluster is raftcache's Raft node: etcd's raft library driven by a
// small API of our own, with etcd's WAL and snapshot files for durability
// and a gRPC transport (package transport) between members, or whatever
// transport.Network Config.Network names instead: tests run whole clusters
// in one process on clustertest's in-memory one, with faults on demand
// (package clustertest/inproc).
//
// # Using a Node
//
// Start returns a running Node. It restarts from Config.StateDir when that
// directory holds a member's WAL (an existing state dir wins over
// Config.Join: a node never takes a second identity), joins the cluster at
// Config.Join otherwise (it picks its ID and makes it durable first; the
// member it asks proposes the addition and answers with the member list,
// and answers the same when asked again, so a joiner that crashed while
// joining comes back as the same member), or bootstraps a new
// single-member cluster.
//
// Replicate proposes a command and returns the StateMachine's result for
// it once this node has applied it. LinearizableRead is a ReadIndex
// barrier: after it returns, local reads see every write acknowledged
// before it was called. Members, AddMember, RemoveMember and
// TransferLeadership manage the membership; a removed node stops by itself
// (Done is closed and Err returns ErrRemoved).
//
// # Inside
//
// Three goroutines do the work. The raft loop owns etcd's RawNode: other
// goroutines hand it messages, proposals and ReadIndex requests. Each time
// round it takes everything waiting, so the proposals of every caller that
// arrived meanwhile go to raft as one MsgProp (one append, one message per
// follower) and into one Ready (one fsync). It handles each Ready in the
// order etcd raft requires: the leader sends before it persists (followers
// after), a snapshot record is saved before the entries and HardState of
// the same Ready, and committed entries go to the apply loop while the
// Ready is being persisted (they are durable on a quorum already; a
// snapshot waits until they are in this node's log too).
// The apply loop applies entries to the StateMachine in log order, applies
// membership changes, wakes the proposers waiting for them (registered
// before proposing, keyed by this node's ID and a sequence number, so no
// wake-up is lost or misdelivered), and captures snapshots, every
// Config.SnapshotEntries entries or a sixteenth of the state machine's keys
// if more. Snapshot files are written on their own goroutine, paced and
// written back to disk a piece at a time so that the WAL's fsyncs never
// queue behind them, fsynced, and the log is compacted behind them; old
// ones are deleted a piece at a time for the same reason. The read loop
// batches concurrent LinearizableRead callers into shared ReadIndex rounds,
// a new round starting while the previous one is still on its way. No loop
// does another's work, so a large snapshot never delays a heartbeat.
//
// Config.Observer is told of the events metrics count (leader changes,
// proposals, WAL fsyncs, snapshots, peer send failures and heartbeat round
// trips); Status has the gauges. Ready says whether the node knows a
// leader and has caught up with the log as it was when it started.
//
// ReplicateBatch proposes several commands as one proposal (a RESP
// pipeline's writes); StartRead and WaitRead split a read barrier so that
// a caller can propose writes while it runs.
//
// CheckQuorum and PreVote are on. A proposal raft drops (no leader yet) is
// retried for up to two election timeouts and then fails with ErrNoLeader.
// A write in flight when the leader changes is decided rather than failed:
// each entry carries the term its proposer stepped it in and takes effect
// only as an entry of that term, so once the proposer has applied an entry
// of a later term, the write either was applied or never will be, and is
// proposed again (see proposeAndWait). It fails with ErrOutcomeUnknown only
// when that cannot be decided before its deadline, or no leader is known
// for two election timeouts. A membership change in flight at a leader
// change still fails with ErrOutcomeUnknown. A leader serves no read
// barrier until it has applied an entry of its own term.
package cluster
