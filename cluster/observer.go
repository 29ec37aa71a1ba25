package cluster

import (
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Observer is told of the events a node's metrics count (package metrics
// implements it for Prometheus). The node's loops call it as things
// happen, so every method must return at once and never call back into
// the Node. Gauges (term, commit and applied index, leader) are not
// events: read them from Status.
type Observer interface {
	// LeaderChanged: this node learned of a new leader, id (not a loss of
	// the leader, which Status shows as Leader 0).
	LeaderChanged(id uint64)
	// ProposalsDone: of one batch of commands this node proposed,
	// committed were applied and failed were not (or their outcome is
	// unknown).
	ProposalsDone(committed, failed int)
	// WALSynced: one Ready's entries and HardState were written to the
	// WAL and fsynced in d.
	WALSynced(d time.Duration)
	// SnapshotSaved: a snapshot at index was written and the log
	// compacted behind it in d.
	SnapshotSaved(index uint64, d time.Duration)
	// PeerSendFailed: messages to peer were dropped (its queue was full)
	// or its stream broke.
	PeerSendFailed(peer uint64)
	// PeerRoundTrip: a heartbeat to peer was answered d after it was sent.
	PeerRoundTrip(peer uint64, d time.Duration)
}

// noObserver is the Observer of a node configured without one.
type noObserver struct{}

func (noObserver) LeaderChanged(uint64)                {}
func (noObserver) ProposalsDone(int, int)              {}
func (noObserver) WALSynced(time.Duration)             {}
func (noObserver) SnapshotSaved(uint64, time.Duration) {}
func (noObserver) PeerSendFailed(uint64)               {}
func (noObserver) PeerRoundTrip(uint64, time.Duration) {}

// heartbeats times the leader's heartbeats to each peer, for
// Observer.PeerRoundTrip. Raft sends one per tick to every follower; the
// round trip is from the latest one sent to the next answer (a lost
// heartbeat's answer never comes, and the next one restarts the clock),
// which is within a tick of the true round trip whatever the message
// answered. Sends are noted on the raft loop, answers on the transport's
// goroutines.
type heartbeats struct {
	mu   sync.Mutex
	sent map[uint64]time.Time
}

func (h *heartbeats) noteSent(msgs []*raftpb.Message) {
	var now time.Time
	for _, m := range msgs {
		if m.GetType() != raftpb.MsgHeartbeat {
			continue
		}
		if now.IsZero() {
			now = time.Now()
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.sent == nil {
				h.sent = make(map[uint64]time.Time)
			}
		}
		h.sent[m.GetTo()] = now
	}
}

// answered returns the round trip of the heartbeat peer just answered,
// or false if none was waiting for an answer.
func (h *heartbeats) answered(peer uint64) (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.sent[peer]
	if !ok {
		return 0, false
	}
	delete(h.sent, peer)
	return time.Since(t), true
}
