package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
)

func writes(prefix string, n int) []Write {
	ws := make([]Write, n)
	for i := range ws {
		ws[i].Cmd = []byte(fmt.Sprintf("%s%d=%d", prefix, i, i))
	}
	return ws
}

// TestReplicateBatch: the commands of a batch become consecutive entries,
// each with its own result, on the leader and through a follower.
func TestReplicateBatch(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	for _, i := range []int{c.waitLeader(), c.follower()} {
		t.Run(fmt.Sprintf("node%d", i), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			prefix := fmt.Sprintf("n%d-", i)
			ws := writes(prefix, 20)
			c.nodes[i].n.ReplicateBatch(ctx, ws)
			for j, w := range ws {
				if w.Err != nil {
					t.Fatalf("write %d: %v", j, w.Err)
				}
				if w.Val != w.Index {
					t.Errorf("write %d: Apply's result %v, entry index %d", j, w.Val, w.Index)
				}
				if j > 0 && w.Index != ws[j-1].Index+1 {
					t.Errorf("write %d at index %d, previous at %d: not consecutive", j, w.Index, ws[j-1].Index)
				}
			}
			for n := 1; n <= 3; n++ {
				if got := c.get(n, prefix+"19"); got != "19" {
					t.Errorf("node %d reads %s19=%q", n, prefix, got)
				}
			}
		})
	}
}

// TestReplicateBatchConcurrent: many callers' batches proposed at once,
// through every node, all applied exactly once, each caller's in order.
func TestReplicateBatchConcurrent(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for round := range 10 {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					ws := writes(fmt.Sprintf("n%d-w%d-r%d-", i, w, round), 1+round%7)
					c.nodes[i].n.ReplicateBatch(ctx, ws)
					cancel()
					for j, x := range ws {
						if x.Err != nil {
							t.Errorf("replicate: %v", x.Err)
							return
						}
						if j > 0 && x.Index <= ws[j-1].Index {
							t.Errorf("batch applied out of order: %d after %d", x.Index, ws[j-1].Index)
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	want := 3 * 8 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 1 + 2 + 3)
	for i := 1; i <= 3; i++ {
		c.get(i, "")
		if got := c.nodes[i].sm.len(); got != want {
			t.Errorf("node %d has %d keys, want %d", i, got, want)
		}
	}
}

// TestReplicateBatchWithoutLeader: a batch proposed where no leader can be
// elected gets an error saying it was not applied, for every command, well
// before the caller's deadline: never a hang.
func TestReplicateBatchWithoutLeader(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	f := c.follower()
	for i := 1; i <= 3; i++ {
		if i != f {
			c.stop(i)
		}
	}
	_ = lead
	// Until it notices the leader is gone it forwards proposals, whose
	// outcome is then unknown; wait for that.
	deadline := time.Now().Add(10 * time.Second)
	for c.nodes[f].n.Status().Leader != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the survivor still sees a leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	ws := writes("x", 5)
	c.nodes[f].n.ReplicateBatch(ctx, ws)
	took := time.Since(start)
	for j, w := range ws {
		if !errors.Is(w.Err, ErrNoLeader) {
			t.Errorf("write %d: err %v, want ErrNoLeader (not applied)", j, w.Err)
		}
	}
	// Two election timeouts of retries: 0.6 s here.
	if took > 5*time.Second {
		t.Errorf("errors took %v", took)
	}
}

// TestReplicateBatchDeadline: a batch whose context ends while it is in
// flight (no quorum to commit it) reports an unknown outcome for every
// command, at the deadline.
func TestReplicateBatchDeadline(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	for i := 1; i <= 3; i++ {
		if i != lead {
			c.stop(i)
		}
	}
	// The leader keeps leading until CheckQuorum notices (an election
	// timeout): a proposal made now is appended but cannot commit.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	ws := writes("y", 3)
	c.nodes[lead].n.ReplicateBatch(ctx, ws)
	for j, w := range ws {
		if !errors.Is(w.Err, ErrOutcomeUnknown) && !errors.Is(w.Err, ErrNoLeader) {
			t.Errorf("write %d: err %v, want ErrOutcomeUnknown (or ErrNoLeader had it stepped down already)", j, w.Err)
		}
	}
}

// TestReadTicket: a read started before writes are applied, waited for
// after, sees every write acknowledged before it started, and a round is
// shared by the callers that start it together.
func TestReadTicket(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	f := c.follower()
	lead := c.waitLeader()
	c.set(lead, "k", "before")
	n := c.nodes[f].n
	t1 := n.StartRead()
	t2 := n.StartRead()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.WaitRead(ctx, t1); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitRead(ctx, t2); err != nil {
		t.Fatal(err)
	}
	if got := c.nodes[f].sm.get("k"); got != "before" {
		t.Errorf("after the read barrier k=%q, want before", got)
	}
	// Many concurrent readers on a follower all complete.
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if err := n.LinearizableRead(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestReportsFromRaftLoop: the transport reports an unreachable peer or a
// failed snapshot from Send, which the raft loop calls; the report must not
// wait for the raft loop, or the loop waits for itself forever.
func TestReportsFromRaftLoop(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.nodes[c.waitLeader()].n
	peer := c.nodes[c.follower()].n.id
	done := make(chan struct{})
	go func() {
		defer close(done)
		leader.raft.call(func() {
			leader.raft.ReportUnreachable(peer)
			leader.raft.ReportSnapshot(peer, raft.SnapshotFailure)
		})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a report made on the raft loop did not return: the loop is deadlocked")
	}
	// The loop goes on: writes still commit on every member.
	c.set(c.waitLeader(), "after", "reports")
	for i := 1; i <= 3; i++ {
		if got := c.get(i, "after"); got != "reports" {
			t.Errorf("node %d reads after=%q", i, got)
		}
	}
}
