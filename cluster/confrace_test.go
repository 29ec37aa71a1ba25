package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// TestConcurrentChangesFromLeaderAndFollower: raft turns a membership
// change that reaches the leader while another is pending into an empty
// entry, silently. A follower's change racing the leader's own (its
// automatic promotion of a learner, an operator's change on the leader)
// must still be applied, or refused for a reason, within its deadline,
// never left to time out with its outcome unknown. Each Ready is
// persisted 30 ms late, to widen the window in which the leader's change
// is pending.
func TestConcurrentChangesFromLeaderAndFollower(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.beforeSave = func() { time.Sleep(30 * time.Millisecond) } })
	for round := range 5 {
		lead := c.waitLeader()
		f := c.follower()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, on := range []int{lead, f} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, errs[i] = c.nodes[on].n.AddMemberAt(ctx, fmt.Sprintf("127.0.0.1:%d", 1+round*2+i), true)
			}()
		}
		wg.Wait()
		for i, who := range []string{"leader", "follower"} {
			if errs[i] != nil {
				t.Errorf("round %d: %s's change: %v", round, who, errs[i])
			}
		}
	}
}

// TestChangeProposedAgainAppliedOnce: a copy of a change that lands after
// the change itself (its proposer could not tell that raft had kept the
// first) is a no-op, even when a later change undid part of the first;
// and the record of applied changes survives a snapshot.
func TestChangeProposedAgainAppliedOnce(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	n := c.nodes[1].n
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const id = 0xabc
	propose := func(seq uint64, keepLearner bool) {
		t.Helper()
		typ := raftpb.ConfChangeAddLearnerNode
		cc := &raftpb.ConfChange{Type: &typ, NodeId: proto.Uint64(id),
			Context: encodeConfContext(n.id, seq, &memberMeta{RaftAddr: "127.0.0.1:1", KeepLearner: keepLearner})}
		n.confMu.Lock()
		defer n.confMu.Unlock()
		if err := n.waitConfAdvanced(ctx); err != nil {
			t.Fatal(err)
		}
		if _, again, err := n.proposeConfChange(ctx, cc, seq); err != nil || again {
			t.Fatalf("propose %d: again %v, %v", seq, again, err)
		}
	}
	first := n.seq.Add(1)
	propose(first, true)
	propose(n.seq.Add(1), false)
	propose(first, true) // the first change again
	if m, _ := n.members.get(id); m.KeepLearner {
		t.Error("a copy of the first change was applied over the second")
	}
	ms := newMembership()
	ms.restore(n.members.header(1, 1))
	if !ms.seen(confKey{Origin: n.id, Seq: first}) {
		t.Error("a snapshot's membership forgot the changes applied")
	}
}
