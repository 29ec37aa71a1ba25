package cluster

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// promoteLoop runs on every member and acts while it leads: a member that
// joins enters as a learner (it cannot hold up commits or elections while
// its log is far behind), and the leader promotes it to a voter once it is
// reachable and its log within 10% of the leader's (learnerReady, etcd's
// isLearnerReady). Learners the operator keeps (KeepLearner) stay.
func (n *Node) promoteLoop() {
	defer n.wg.Done()
	every := max(2*n.cfg.TickInterval, 20*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-n.stopc:
			return
		}
		if !n.IsLeader() || len(n.members.confState().GetLearners()) == 0 {
			continue
		}
		for _, id := range n.readyLearners() {
			n.promote(id)
		}
	}
}

// readyLearners lists the learners the leader should promote now.
func (n *Node) readyLearners() []uint64 {
	st := n.raft.Status()
	if st.RaftState != raft.StateLeader {
		return nil
	}
	lead := st.Progress[n.id].Match
	var ids []uint64
	for id, pr := range st.Progress {
		if !pr.IsLearner || !learnerReady(pr.Match, lead) || !n.tr.Reachable(id) {
			continue
		}
		if m, ok := n.members.get(id); !ok || m.KeepLearner {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// promote proposes learner id's promotion. The change carries no
// addresses: applied after an operator's demotion of the same member it
// is refused (see membership.check), so the operator's word wins.
func (n *Node) promote(id uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*n.cfg.electionTimeout())
	defer cancel()
	go func() {
		select {
		case <-n.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	n.confMu.Lock()
	defer n.confMu.Unlock()
	if !n.IsLeader() || n.members.isVoter(id) {
		return
	}
	if m, ok := n.members.get(id); !ok || m.KeepLearner {
		return
	}
	if err := n.judge(ctx, addVoter, id); err != nil {
		n.log.Debug("learner not promoted yet", "id", FormatID(id), "err", err)
		return
	}
	if err := n.changeMembership(ctx, raftpb.ConfChangeAddNode, id, nil); err != nil {
		n.log.Warn("promote learner", "id", FormatID(id), "err", fmt.Errorf("promote %s: %w", FormatID(id), err))
	}
}
