package cluster

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// proposeConfChange proposes a membership change past RemoveMember's and
// addMember's own checks, as one that passed them before a concurrent
// change landed would be.
func proposeConfChange(n *Node, typ raftpb.ConfChangeType, id uint64, meta *memberMeta) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.confMu.Lock()
	defer n.confMu.Unlock()
	return n.changeMembership(ctx, typ, id, meta)
}

// raftVoters is raft's own configuration on n, not the membership's copy.
func raftVoters(n *Node) []uint64 {
	v := slices.Collect(maps.Keys(n.raft.Status().Config.Voters.IDs()))
	slices.Sort(v)
	return v
}

// TestRemoveLastVoterRefusedWhenApplied: a removal of the last voter that
// got past RemoveMember's check (it passed before a concurrent removal
// committed) must be applied as a no-op: raft panics on a configuration
// without voters, and since the entry is committed, at every restart.
func TestRemoveLastVoterRefusedWhenApplied(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	n := c.nodes[1].n
	if err := proposeConfChange(n, raftpb.ConfChangeRemoveNode, n.ID(), nil); !errors.Is(err, ErrLastVoter) {
		t.Fatalf("removal of the last voter: %v, want ErrLastVoter", err)
	}
	c.set(1, "k", "v")
	c.stop(1)
	c.start(1, "")
	if got := c.get(1, "k"); got != "v" {
		t.Errorf("after a restart k=%q, want v", got)
	}
	if v := raftVoters(c.nodes[1].n); !slices.Equal(v, []uint64{n.ID()}) {
		t.Errorf("voters after the refused removal: %v", v)
	}
}

// TestConcurrentRemovalsKeepAVoter: on a two-voter cluster, each member
// removes the other at the same time (and the leader also itself). Both
// pass the checks of RemoveMember; whichever commits second must be
// refused where it is applied, on both members alike.
func TestConcurrentRemovalsKeepAVoter(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	ids := []uint64{c.nodes[1].n.ID(), c.nodes[2].n.ID()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, rm := range []struct{ on, id int }{{1, 2}, {2, 1}, {1, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.nodes[rm.on].n.RemoveMember(ctx, ids[rm.id-1])
		}()
	}
	wg.Wait()
	t.Logf("removals: %v", errs)
	// A removed member's own call may return (ErrStopped) a moment before
	// its Done is closed.
	deadline := time.Now().Add(5 * time.Second)
	for len(c.running()) > 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	survivors := c.running()
	if len(survivors) != 1 {
		t.Fatalf("%d members running, want 1 (removals: %v)", len(survivors), errs)
	}
	s := survivors[0]
	for i, tn := range c.nodes {
		if tn == s {
			c.set(i, "k", "v")
			c.stop(i)
			c.start(i, "")
			if got := c.get(i, "k"); got != "v" {
				t.Errorf("survivor after a restart reads k=%q", got)
			}
			if v := raftVoters(c.nodes[i].n); !slices.Equal(v, []uint64{c.nodes[i].n.ID()}) {
				t.Errorf("survivor's voters: %v", v)
			}
		}
	}
}

// TestRemovedIDNeverReturns: a joiner's retried addition that passed the
// "was removed" check but is applied after the removal of the same ID must
// be refused where it is applied: otherwise raft and the transport get a
// voter that counts toward quorum, can never connect, and cannot be
// removed (the member list has no entry for it).
func TestRemovedIDNeverReturns(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	const id = 0x5eed
	if _, err := c.nodes[1].n.addMember(ctx, id, addr, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[1].n.RemoveMember(ctx, id); err != nil {
		t.Fatal(err)
	}
	meta := &memberMeta{ID: id, RaftAddr: addr}
	if err := proposeConfChange(c.nodes[2].n, raftpb.ConfChangeAddNode, id, meta); !errors.Is(err, ErrIDTaken) {
		t.Errorf("re-adding a removed ID: %v, want ErrIDTaken", err)
	}
	c.set(1, "k", "v") // everything before it is applied everywhere
	c.get(2, "k")
	for i := 1; i <= 2; i++ {
		n := c.nodes[i].n
		if v := raftVoters(n); slices.Contains(v, id) {
			t.Errorf("node %d: the removed ID is a voter again: %v", i, v)
		}
		if n.members.isVoter(id) {
			t.Errorf("node %d: the membership counts the removed ID as a voter", i)
		}
	}
}

// TestTransferLeadershipAskedOnNewMember: a member that just joined has
// applied none of the changes that added the others; asked to hand
// leadership to one of them, it must not call it unknown.
func TestTransferLeadershipAskedOnNewMember(t *testing.T) {
	c := newTestCluster(t, 2, nil)
	lead := c.waitLeader()
	to := 3 - lead
	c.start(3, c.nodes[lead].addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.nodes[3].n.TransferLeadership(ctx, c.nodes[to].n.ID()); err != nil {
		t.Fatalf("transfer asked on the new member: %v", err)
	}
	if got := c.waitLeader(); got != to {
		t.Errorf("leader is node %d, want %d", got, to)
	}
}

// TestSetLearner: a voter demoted is a learner in raft's configuration
// and the membership, and promoted back a voter; a demotion that would
// leave the live voters short of a quorum is refused unless forced; the
// last voter cannot be demoted even past the propose-time checks.
func TestSetLearner(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lead := c.waitLeader()
	f := c.follower()
	other := 6 - lead - f
	id := c.nodes[f].n.ID()
	if err := c.nodes[other].n.SetLearner(ctx, id, true); err != nil {
		t.Fatalf("demote: %v", err)
	}
	// Applied on the node asked, the change may not be applied on the
	// leader yet (its apply loop runs behind the commit on a busy
	// machine): a read there waits until it is.
	c.get(lead, "x")
	if v := raftVoters(c.nodes[lead].n); slices.Contains(v, id) {
		t.Errorf("demoted member still a voter in raft: %v", v)
	}
	if st := c.nodes[f].n.Status(); st.Role != RoleLearner {
		c.get(f, "x")
		if st := c.nodes[f].n.Status(); st.Role != RoleLearner {
			t.Errorf("demoted member's role %v, want learner", st.Role)
		}
	}
	c.set(f, "k", "v") // a learner's writes are forwarded
	// The leader may not have heard the learner acknowledge the last
	// entries yet: a promotion waits for that.
	err := c.nodes[lead].n.SetLearner(ctx, id, false)
	for errors.Is(err, ErrLearnerNotReady) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		err = c.nodes[lead].n.SetLearner(ctx, id, false)
	}
	if err != nil {
		t.Fatalf("promote: %v", err)
	}
	if v := raftVoters(c.nodes[lead].n); !slices.Contains(v, id) {
		t.Errorf("promoted member not a voter in raft: %v", v)
	}
	// Demoting the leader hands leadership over first.
	if err := c.nodes[lead].n.SetLearner(ctx, c.nodes[lead].n.ID(), true); err != nil {
		t.Fatalf("demote the leader: %v", err)
	}
	if got := c.waitLeader(); got == lead {
		t.Error("demoted leader still leads")
	}
	err = c.nodes[f].n.SetLearner(ctx, c.nodes[lead].n.ID(), false)
	for errors.Is(err, ErrLearnerNotReady) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		err = c.nodes[f].n.SetLearner(ctx, c.nodes[lead].n.ID(), false)
	}
	if err != nil {
		t.Fatalf("promote the old leader: %v", err)
	}
	// With one voter down, demoting another live one leaves one of two.
	c.stop(other)
	lead = c.waitLeader()
	f = 6 - lead - other
	err = c.nodes[lead].n.SetLearner(ctx, c.nodes[f].n.ID(), true)
	if !errors.Is(err, ErrWouldLoseQuorum) {
		t.Errorf("demote a live voter with another down: %v, want ErrWouldLoseQuorum", err)
	}
	if err := c.nodes[lead].n.RemoveMember(ctx, c.nodes[f].n.ID()); !errors.Is(err, ErrWouldLoseQuorum) {
		t.Errorf("remove a live voter with another down: %v, want ErrWouldLoseQuorum", err)
	}
	// Removing the one that is down leaves two live voters of two.
	if err := c.nodes[lead].n.RemoveMember(ctx, c.nodes[other].n.ID()); err != nil {
		t.Errorf("remove the voter that is down: %v", err)
	}
	c.set(f, "after", "ok")
}

// TestDemoteLastVoterRefusedWhenApplied: a demotion of the last voter
// that got past SetLearner's check must be applied as a no-op, as a
// removal: raft panics on a configuration without voters.
func TestDemoteLastVoterRefusedWhenApplied(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	n := c.nodes[1].n
	m, _ := n.members.get(n.ID())
	if err := proposeConfChange(n, raftpb.ConfChangeAddLearnerNode, n.ID(), &m); !errors.Is(err, ErrLastVoter) {
		t.Fatalf("demotion of the last voter: %v, want ErrLastVoter", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.SetLearner(ctx, n.ID(), true, Force()); !errors.Is(err, ErrLastVoter) {
		t.Errorf("forced demotion of the last voter: %v, want ErrLastVoter", err)
	}
	c.set(1, "k", "v")
	if v := raftVoters(n); !slices.Equal(v, []uint64{n.ID()}) {
		t.Errorf("voters after the refused demotion: %v", v)
	}
}
