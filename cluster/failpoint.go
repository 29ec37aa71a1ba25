package cluster

// Failpoints: faults a real disk has, injected into a real process for
// cmd/raftcache-jepsen, as etcd's gofail does. They exist only in a binary
// built with -tags failpoints (failpoints_on.go); every other build, the
// production binary among them, compiles failpoints_off.go, which reads no
// environment and changes nothing.

// FailpointSaveDelayEnv names the environment variable that delays the
// persisting of every Ready by a Go duration ("20ms"): a slow disk. It is
// the beforeSave hook of the in-process tests. Committed entries are
// applied, and acknowledged, while their Ready is persisted, so a slow
// save widens the window in which a node has acknowledged what its own
// disk does not yet say is committed, and the time a restarted node spends
// leading with the commit index it restarted with: the window in which a
// read that trusts that index misses an acknowledged write (issue 9, item
// 1). A node that arms it says so in its log ("failpoint armed").
const FailpointSaveDelayEnv = "RAFTCACHE_FAILPOINT_SAVE_DELAY"

// FailpointWALFaultFileEnv names the environment variable that holds a
// file's path: while that file exists, every call into the WAL fails with
// EIO before it reaches the disk, as a disk that has started returning
// I/O errors (or a full one: etcd's WAL preallocates its segments). It is
// the walFault hook of the in-process tests (TestWALFailureIsFatal). The
// node must stop with ErrStorage at the first failure and acknowledge
// nothing it did not persist: after a failed fdatasync the kernel may have
// dropped the dirty pages and report the next one a success, so carrying
// on is never safe (PostgreSQL's fsync lesson). The checker creates the
// file to inject the fault and removes it before it restarts the node.
const FailpointWALFaultFileEnv = "RAFTCACHE_FAILPOINT_WAL_FAULT_FILE"

// FailpointWALSegmentEnv names the environment variable that sets the
// size of the WAL's segments, in bytes, in place of etcd's 64 MB: etcd's
// WAL preallocates the segment it writes and the next one, so a full disk
// reaches the WAL only once those are used up, and with small segments
// the full-disk nemesis gets there within a fault. It sets a variable of
// etcd's package, for the whole process: one node per process, as the
// checker runs them.
const FailpointWALSegmentEnv = "RAFTCACHE_FAILPOINT_WAL_SEGMENT_BYTES"

// FailpointClockOffsetEnv names the environment variable that skews the
// clock a node stamps on the commands it proposes and reads TTLs by (a Go
// duration, "-30s"), read by cmd/raftcache: clocks of the members that
// disagree. Raft itself reads no wall clock (ticks and ReadIndex), so only
// TTL decisions may differ, by the skew between the nodes involved.
const FailpointClockOffsetEnv = "RAFTCACHE_FAILPOINT_CLOCK_OFFSET"
