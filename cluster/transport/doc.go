// Package transport carries raft messages between raftcache nodes over gRPC.
//
// Each node runs one gRPC server (Serve) and, for every peer it knows
// (AddPeer), one client connection with one long-lived client-streaming RPC.
// Send never blocks the raft loop: it marshals each message (raft requires
// that to happen on the loop) and puts it on the peer's bounded queue; a
// goroutine per peer drains the queue, packing whatever is waiting into one
// batch (uvarint length + message bytes, repeated) per gRPC message. One
// stream and one sender goroutine per peer keep that peer's messages in
// order, and batching makes a burst of heartbeats and appends cost one write
// instead of one RPC each. When the queue is full, messages are dropped and
// the peer reported unreachable: raft retransmits, and buffering without
// bound for a dead peer would only delay the recovery. A broken stream is
// reported the same way and reopened with capped, jittered exponential
// backoff; gRPC keepalive (with TCP_USER_TIMEOUT) notices a peer that
// vanished without closing its connection.
//
// MsgSnap is different: its body (from Handler.OpenSnapshot) may be
// gigabytes. It goes on a Snapshot RPC of its own, on its own goroutine and
// connection, as a header (the message), ~1 MiB chunks, and a trailer with
// length and CRC-32C. Sharing the message stream would put every heartbeat
// behind the whole body, and followers would start elections mid-transfer.
// The receiver pipes chunks into Handler.ReceiveSnapshot as they arrive, so
// neither side holds the whole snapshot in memory. Raft is told the outcome
// through ReportSnapshot.
//
// The server refuses messages addressed to another member (a reused address)
// and streams from members the node knows were removed; the latter get the
// status FailedPrecondition "member removed", on which the sending node
// calls Handler.Removed and shuts down.
//
// There is no .proto file: the service descriptor is written by hand and a
// private codec (compact binary for raft traffic, JSON for Join and
// Progress) is forced on both ends.
package transport
