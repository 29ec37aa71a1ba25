package cluster

import (
	"sync"
	"time"

	"go.etcd.io/raft/v3"
)

// LeaderChange is a leader this node learned of, for the admin API's status
// page.
type LeaderChange struct {
	Leader uint64
	Term   uint64
	At     time.Time // this node's clock when it learned of the leader
}

// leaderLogSize is how many leader changes a node remembers: enough to see
// a flapping leader at a glance, few enough to keep in a fixed array.
const leaderLogSize = 16

// leaderLog is a bounded ring of the leader changes this node saw, newest
// last. It is this node's own history, written by the raft loop as it
// handles a Ready and never by Apply: the times are local clocks, and
// members that were down or partitioned remember different changes.
type leaderLog struct {
	mu    sync.Mutex
	ring  [leaderLogSize]LeaderChange
	total uint64 // changes noted since the node started
}

func (l *leaderLog) note(c LeaderChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.total%leaderLogSize] = c
	l.total++
}

// recent returns the changes kept, newest first, and how many were noted
// in all.
func (l *leaderLog) recent() ([]LeaderChange, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(l.total, leaderLogSize)
	out := make([]LeaderChange, 0, n)
	for i := range n {
		out = append(out, l.ring[(l.total-1-i)%leaderLogSize])
	}
	return out, l.total
}

// noteLeader records the new leader of rd.SoftState, with the term raft is
// in: the raft loop calls it between Ready and Advance, where the RawNode
// is its own. (Neither rd.HardState nor n.term will do: a node restarted
// in the term its leader still leads has no new HardState to show.)
func (n *Node) noteLeader(rd *raft.Ready) {
	term := n.raft.rn.BasicStatus().GetTerm()
	n.leaders.note(LeaderChange{Leader: rd.SoftState.Lead, Term: term, At: time.Now()})
}

// LeaderChanges returns the last leader changes this node saw (at most
// 16), newest first, and how many it saw since it started. A loss of the
// leader is not a change: Status shows it as Leader 0.
func (n *Node) LeaderChanges() (recent []LeaderChange, total uint64) {
	return n.leaders.recent()
}

// noteRestored sets the term and commit index Status shows to those raft
// starts from. A Ready carries them only once they change: a node
// restarted into a quiet cluster would otherwise show term 0 and commit 0
// until the next write.
func (n *Node) noteRestored(rn *raft.RawNode) {
	st := rn.BasicStatus()
	n.term.Store(st.GetTerm())
	n.commit.Store(st.GetCommit())
}
