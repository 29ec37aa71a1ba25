package cluster

import (
	"strconv"
	"time"

	"go.etcd.io/raft/v3"
)

// catchUpMark ends the context of a catch-up ReadIndex request, telling
// the read loop that the answer is catchUp's (see readContext).
const catchUpMark = 'c'

// catchUp asks the leader for its commit index as soon as one is known
// after the node starts, and records it as the index Ready waits for this
// node to apply: a restarted or new member serves stale state until then,
// and a load balancer should not send it clients. The request is a
// ReadIndex of its own, asked again with a new context until answered
// (raft drops it while no leader is known), so that it never holds up
// the read rounds of clients, which complete in order.
func (n *Node) catchUp() {
	defer n.wg.Done()
	tick := time.NewTicker(max(2*n.cfg.TickInterval, 50*time.Millisecond))
	defer tick.Stop()
	for {
		if t := n.catchUpTo.Load(); t != 0 {
			if n.applied.Load() >= t {
				n.caughtUp.Store(true)
				n.log.Info("caught up with the cluster", "applied", n.applied.Load(), "leader_commit", t)
				return
			}
		} else if n.lead.Load() != raft.None {
			rctx := append(n.readContext(), catchUpMark)
			if err := n.raft.readIndex(rctx); err != nil {
				return // stopped
			}
		}
		select {
		case <-n.stopc:
			return
		case <-tick.C:
		case <-n.appliedChan():
		}
	}
}

// noteCatchUp takes the answer to one of catchUp's requests; the read
// loop calls it with every answer that is not a round's.
func (n *Node) noteCatchUp(rs raft.ReadState) {
	if c := rs.RequestCtx; len(c) == 17 && c[16] == catchUpMark {
		n.catchUpTo.CompareAndSwap(0, max(rs.Index, 1))
	}
}

// Ready reports whether this node is fit to serve: it knows a leader, and
// it has applied the leader's commit index as of the first time it could
// ask for it after it started (see catchUp). When it is not, reason says
// why.
func (n *Node) Ready() (ok bool, reason string) {
	select {
	case <-n.done:
		return false, "node stopped"
	default:
	}
	if n.lead.Load() == raft.None {
		return false, "no leader known"
	}
	if !n.caughtUp.Load() {
		target := "not known yet"
		if t := n.catchUpTo.Load(); t != 0 {
			target = strconv.FormatUint(t, 10)
		}
		return false, "catching up with the leader: applied index " + strconv.FormatUint(n.applied.Load(), 10) +
			", leader's commit index at start " + target
	}
	return true, ""
}
