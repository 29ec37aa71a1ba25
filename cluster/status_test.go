package cluster

import (
	"context"
	"testing"
	"time"
)

func TestLeaderLogKeepsTheNewest(t *testing.T) {
	for _, noted := range []int{0, 1, leaderLogSize - 1, leaderLogSize, leaderLogSize + 1, 3*leaderLogSize + 5} {
		var l leaderLog
		for i := 1; i <= noted; i++ {
			l.note(LeaderChange{Leader: uint64(i), Term: uint64(10 + i)})
		}
		got, total := l.recent()
		if total != uint64(noted) || len(got) != min(noted, leaderLogSize) {
			t.Fatalf("%d noted: %d kept of %d, want %d of %d", noted, len(got), total, min(noted, leaderLogSize), noted)
		}
		for k, c := range got {
			if want := uint64(noted - k); c.Leader != want || c.Term != want+10 {
				t.Errorf("%d noted: entry %d is %+v, want leader %d term %d", noted, k, c, want, want+10)
			}
		}
	}
}

// TestLeaderChangesFollowTheLeadership: every node notes each leader it
// learns of, with the term it leads in.
func TestLeaderChangesFollowTheLeadership(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	to := c.follower()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := c.nodes[lead].n.TransferLeadership(ctx, c.nodes[to].n.ID()); err != nil {
		t.Fatal(err)
	}
	want := c.nodes[to].n.ID()
	deadline := time.Now().Add(10 * time.Second)
	for _, tn := range c.running() {
		for {
			got, total := tn.n.LeaderChanges()
			st := tn.n.Status()
			if len(got) > 0 && got[0].Leader == want && st.Leader == want {
				if got[0].Term != st.Term || got[0].At.Before(start) || total != uint64(len(got)) || total < 2 {
					t.Errorf("node %x: changes %+v (of %d), status term %d", st.ID, got, total, st.Term)
				}
				if got[1].Term >= got[0].Term {
					t.Errorf("node %x: changes %+v not newest first", st.ID, got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %x: changes %+v, leader %x; want %x noted", st.ID, got, st.Leader, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestLeaderChangesAfterARestart: a node restarted while its leader
// still leads learns of it with no new term to make durable, and must
// still note the term.
func TestLeaderChangesAfterARestart(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	term := c.nodes[lead].n.Status().Term
	c.stop(f)
	c.start(f, "")
	n := c.nodes[f].n
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, total := n.LeaderChanges()
		if total > 0 {
			if got[0].Leader != c.nodes[lead].n.ID() || got[0].Term != term || total != 1 {
				t.Fatalf("after a restart: changes %+v (of %d), want leader %x in term %d", got, total, c.nodes[lead].n.ID(), term)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted node noted no leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := c.nodes[lead].n.Status(); st.Term != term || st.Leader != c.nodes[lead].n.ID() {
		t.Fatalf("the leadership moved meanwhile (term %d, leader %x): the test proves nothing", st.Term, st.Leader)
	}
}

// TestStatusAfterARestart: a member restarted into a quiet cluster shows
// the term and commit index it restored, not zeros until the next write.
func TestStatusAfterARestart(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	c.set(lead, "k", "v")
	want := c.nodes[lead].n.Status()
	deadline := time.Now().Add(10 * time.Second)
	for c.nodes[f].n.Status().Commit != want.Commit {
		if time.Now().After(deadline) {
			t.Fatalf("follower's commit %d, leader's %d", c.nodes[f].n.Status().Commit, want.Commit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.stop(f)
	c.start(f, "")
	st := c.nodes[f].n.Status()
	if st.Term != want.Term || st.Commit != want.Commit {
		t.Errorf("restarted: term %d, commit %d; want %d and %d", st.Term, st.Commit, want.Term, want.Commit)
	}
	if now := c.nodes[lead].n.Status(); now.Term != want.Term || now.Commit != want.Commit {
		t.Fatalf("the cluster moved on meanwhile (term %d, commit %d): the test proves nothing", now.Term, now.Commit)
	}
}
