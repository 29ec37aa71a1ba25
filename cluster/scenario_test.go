package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"github.com/raftcache/raftcache/cluster/clustertest/inproc"
)

// These scenarios run nodes in this process over clustertest's in-memory
// network, which cuts, drops and delays messages on request.

// smallSnapshots makes nodes snapshot every 20 entries and keep only 5
// behind, so that a follower a few dozen writes behind needs a snapshot.
func smallSnapshots(_ int, cfg *cluster.Config) {
	cfg.SnapshotEntries, cfg.CatchUpEntries = 20, 5
}

// TestPartitionDuringSnapshotInstall: a follower cut off while the leader
// compacts its log is sent a snapshot once back; the link is cut again
// while that snapshot is on its way, so that transfer fails; after the
// heal the next one lands and the follower holds what the others hold.
func TestPartitionDuringSnapshotInstall(t *testing.T) {
	c := inproc.MakeCluster(t, 3, &inproc.Options{Tune: smallSnapshots})
	lead, f := c.Leader(), c.Follower()
	c.Net.Isolate(c.ID(f))
	for i := range 100 {
		c.MustPropose(lead, "SET", "k"+strconv.Itoa(i), strconv.Itoa(i))
	}
	c.Until("the leader compacts past the follower", func() bool {
		return c.Node(lead).Status().SnapshotIndex > c.Node(f).Status().Applied+5
	})
	c.Net.Delay(c.ID(lead), c.ID(f), 200*time.Millisecond)
	c.Net.Reconnect(c.ID(f))
	c.Until("a snapshot is sent", func() bool { return c.Net.Snapshots().Started > 0 })
	c.Net.Isolate(c.ID(f))
	c.Until("the transfer fails", func() bool { return c.Net.Snapshots().Failed > 0 })
	c.Net.Heal()
	c.Agree()
	if s := c.Net.Snapshots(); s.Finished == 0 || c.Get(f, "k99") != "99" {
		t.Errorf("follower caught up without a snapshot (%+v) or lacks k99 (%q)", s, c.Get(f, "k99"))
	}
}

// TestMinorityLeaderServesNothing: a leader cut off from the majority
// neither acknowledges a write nor answers a linearizable read, while the
// majority elects another leader and goes on; once healed, its write is
// gone and everyone holds the majority's.
func TestMinorityLeaderServesNothing(t *testing.T) {
	c := inproc.MakeCluster(t, 3, nil)
	old := c.Leader()
	c.Net.Partition(c.IDs(old), c.IDs(c.Others(old)...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if r, err := c.ProposeContext(ctx, old, "SET", "k", "minority"); !errors.Is(err, cluster.ErrOutcomeUnknown) && !errors.Is(err, cluster.ErrNoLeader) {
		t.Errorf("write on the minority leader: %v, %v; want no acknowledgement", r, err)
	}
	if r, err := c.Read(old, "GET", "k"); !errors.Is(err, cluster.ErrNoLeader) {
		t.Errorf("linearizable read on the minority leader: %v, %v; want ErrNoLeader", r, err)
	}
	lead := c.Leader(c.Others(old)...)
	c.MustPropose(lead, "SET", "k", "majority")
	c.Net.Heal()
	c.Agree()
	if got := c.Get(old, "k"); got != "majority" {
		t.Errorf("after the heal the old leader reads %q", got)
	}
}

// pushes has two writers per node RPUSH unique elements onto one list
// until stop is closed, their node stops or (if each > 0) each has had
// that many acknowledged, each attempt bounded by timeout, and returns
// every attempt.
func pushes(c *inproc.Cluster, stop <-chan struct{}, timeout time.Duration, each int) []push {
	var mu sync.Mutex
	var out []push
	var wg sync.WaitGroup
	for w := range 2 * c.Size() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node, acked := w%c.Size(), 0
			for seq := 0; each == 0 || acked < each; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if !slices.Contains(c.Running(), node) {
					return
				}
				p := push{elem: fmt.Sprintf("w%d-%d", w, seq), node: node}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				_, p.err = c.ProposeContext(ctx, node, "RPUSH", "l", p.elem)
				cancel()
				p.at = time.Now()
				if p.err == nil {
					acked++
				}
				mu.Lock()
				out = append(out, p)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// push is one RPUSH attempt: its element, on which node, and its outcome
// and when it came.
type push struct {
	elem string
	node int
	err  error
	at   time.Time
}

// checkPushes checks the list every node holds against the outcomes: each
// acknowledged element is there exactly once, each refused one is not,
// and one whose outcome is unknown is there at most once. It returns how
// many were acknowledged.
func checkPushes(t *testing.T, c *inproc.Cluster, attempts []push) int {
	t.Helper()
	c.Agree()
	r, err := c.Read(c.Running()[0], "LRANGE", "l", "0", "-1")
	if err != nil {
		t.Fatal(err)
	}
	count := make(map[string]int)
	for _, e := range r.Elems {
		count[string(e.Bytes)]++
	}
	acked := 0
	for _, p := range attempts {
		e, err := p.elem, p.err
		switch n := count[e]; {
		case err == nil && n != 1:
			t.Errorf("acknowledged %s is in the list %d times", e, n)
		case err == nil:
			acked++
		case errors.Is(err, cluster.ErrOutcomeUnknown) && n > 1:
			t.Errorf("%s, outcome unknown, is in the list %d times", e, n)
		case !errors.Is(err, cluster.ErrOutcomeUnknown) && n != 0:
			t.Errorf("%s was refused (%v) but is in the list %d times", e, err, n)
		}
		delete(count, e)
	}
	for e := range count {
		t.Errorf("%s is in the list but was never pushed", e)
	}
	return acked
}

// TestLossyNetworkLosesNothing: with 30% of all messages dropped, writers
// on every node still get 10 writes each acknowledged (a proposal that a
// follower forwards and the network loses times out, unknown), and every
// acknowledged write is kept, once.
func TestLossyNetworkLosesNothing(t *testing.T) {
	c := inproc.MakeCluster(t, 3, nil)
	c.Net.Drop(clustertest.Any, clustertest.Any, 0.3)
	stop := make(chan struct{})
	defer time.AfterFunc(inproc.Timeout, func() { close(stop) }).Stop()
	attempts := pushes(c, stop, time.Second, 10)
	c.Net.Heal()
	acked := checkPushes(t, c, attempts)
	t.Logf("%d of %d writes acknowledged", acked, len(attempts))
	if want := 2 * c.Size() * 10; acked != want {
		t.Errorf("%d of %d writes acknowledged through a 30%% lossy network within %v, want %d", acked, len(attempts), inproc.Timeout, want)
	}
}

// TestLeaderChangesUnderWrites: leaders are cut off, one after another,
// while every node writes; each write's answer is the truth (kept if
// acknowledged, absent if refused) or says it is unknown.
func TestLeaderChangesUnderWrites(t *testing.T) {
	c := inproc.MakeCluster(t, 3, nil)
	stop := make(chan struct{})
	done := make(chan []push)
	go func() { done <- pushes(c, stop, time.Second, 0) }()
	for range 3 {
		time.Sleep(200 * time.Millisecond)
		old := c.Leader()
		c.Net.Isolate(c.ID(old))
		c.Leader(c.Others(old)...)
		c.Net.Heal()
	}
	close(stop)
	checkPushes(t, c, <-done)
}

// TestProposalInFlightAtLeaderChange: a write whose entries are on their
// way from the leader when it is cut off, and which the new leader never
// sees, is answered truthfully: applied once (the node proposes it again
// in the new term) if acknowledged, absent if refused, at most once if the
// outcome is unknown.
func TestProposalInFlightAtLeaderChange(t *testing.T) {
	c := inproc.MakeCluster(t, 3, nil)
	old := c.Leader()
	c.Net.Delay(c.ID(old), clustertest.Any, 100*time.Millisecond)
	res := make(chan error, 1)
	go func() { _, err := c.Propose(old, "RPUSH", "l", "in flight"); res <- err }()
	time.Sleep(20 * time.Millisecond)
	c.Net.Isolate(c.ID(old))
	c.MustPropose(c.Leader(c.Others(old)...), "RPUSH", "l", "new leader")
	c.Net.Heal()
	err := <-res
	t.Logf("the write in flight: %v", err)
	checkPushes(t, c, []push{{elem: "in flight", err: err}, {elem: "new leader"}})
}

// TestWritesSurviveLeaderChanges: writes on every member go on through
// repeated leadership transfers and the leader's death. A transfer must
// cost no write an error: a proposal in flight across it is either
// applied (and answered) or, once the proposer has applied an entry of
// the new leader's term, known never to apply, and proposed again. Nor
// may the death cost the survivors' writes one. And no write may be
// applied twice, which a blind retry would do.
func TestWritesSurviveLeaderChanges(t *testing.T) {
	c := inproc.MakeCluster(t, 3, nil)
	stop := make(chan struct{})
	done := make(chan []push)
	go func() { done <- pushes(c, stop, 5*time.Second, 0) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for k := range 9 { // round the members, asked on each in turn
		time.Sleep(100 * time.Millisecond)
		if err := c.Node(k%3).TransferLeadership(ctx, c.ID((c.Leader()+1)%3)); err != nil {
			t.Fatalf("transfer %d: %v", k, err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	killed, killAt := c.Leader(), time.Now()
	c.Stop(killed)
	c.Leader()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	attempts := <-done
	before, after := map[int]int{}, map[int]int{} // acknowledged, by node
	for _, p := range attempts {
		switch {
		case p.err != nil && (p.at.Before(killAt) || (p.node != killed && !errors.Is(p.err, cluster.ErrStopped))):
			t.Errorf("%s on node %d, killed %d: %v", p.elem, p.node, killed, p.err)
		case p.err == nil && p.at.Before(killAt):
			before[p.node]++
		case p.err == nil:
			after[p.node]++
		}
	}
	checkPushes(t, c, attempts)
	if len(before) != 3 || after[(killed+1)%3] == 0 || after[(killed+2)%3] == 0 {
		t.Errorf("writes acknowledged on each node during the transfers %v, after node %d died %v", before, killed, after)
	}
}

// TestLeaderLossAndNoQuorum: the leader's death costs a new election, not
// the data; without a quorum, writes and reads fail within a bound rather
// than hang; and once the quorum is back the survivor serves again
// without a restart.
func TestLeaderLossAndNoQuorum(t *testing.T) {
	c := inproc.MakeCluster(t, 3, nil)
	c.MustPropose(0, "SET", "a", "1")
	c.Stop(c.Leader())
	lead := c.Leader()
	c.MustPropose(lead, "SET", "a", "2")
	c.Stop(lead)
	last := c.Running()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := c.ProposeContext(ctx, last, "SET", "a", "3"); err == nil {
		t.Error("write without quorum succeeded")
	}
	if err := c.Node(last).LinearizableRead(ctx); err == nil {
		t.Error("linearizable read without quorum succeeded")
	}
	if took := time.Since(start); took > 9*time.Second {
		t.Errorf("errors took %v, want them before the caller's deadline", took)
	}
	c.Start(lead)
	if got := c.Get(last, "a"); got != "2" && got != "3" {
		t.Errorf("after quorum returns a=%q, want 2 (or 3 if the unknown-outcome write landed)", got)
	}
	c.MustPropose(last, "SET", "b", "ok")
}

// TestSoleVoterRestartsLeading: a single node restarted from a snapshot
// leads at once, instead of waiting out an election timeout only it can
// end.
func TestSoleVoterRestartsLeading(t *testing.T) {
	c := inproc.MakeCluster(t, 1, &inproc.Options{Tune: func(_ int, cfg *cluster.Config) {
		cfg.SnapshotEntries, cfg.TickInterval, cfg.ElectionTicks = 20, 100*time.Millisecond, 30 // 3 s, at least, without the campaign
	}})
	for i := range 50 {
		c.MustPropose(0, "SET", "k"+strconv.Itoa(i), "v")
	}
	c.Until("a snapshot", func() bool { return c.Node(0).Status().SnapshotIndex > 0 })
	c.Stop(0)
	start := time.Now()
	c.Start(0)
	c.Leader()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("restarted sole voter led after %s, want well under its 3 s election timeout", took)
	}
	if got := c.Get(0, "k49"); got != "v" {
		t.Errorf("after restart k49 = %q", got)
	}
}
