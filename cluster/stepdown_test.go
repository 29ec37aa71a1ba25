package cluster

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
)

// TestStepDownHandsOverToAReachableVoter: a leader stepping down (a clean
// shutdown) hands over to a voter that is up, not to whichever comes first
// in its configuration, and when no other voter is up it gives up at once
// rather than wait out its context.
func TestStepDownHandsOverToAReachableVoter(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	ld := c.nodes[lead].n
	index := map[uint64]int{}
	for i, tn := range c.nodes {
		index[tn.n.ID()] = i
	}
	// The voter the first in the configuration, other than the leader, is
	// the one a choice by configuration order takes: stop it.
	var down, up int
	for _, v := range ld.members.confState().GetVoters() {
		if v == ld.ID() {
			continue
		}
		if down == 0 {
			down = index[v]
		} else {
			up = index[v]
		}
	}
	c.stop(down)
	waitFor(t, 5*time.Second, "leader's stream to the stopped voter closed", func() bool {
		return !ld.tr.Reachable(c.nodes[down].n.ID())
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ld.StepDown(ctx); err != nil {
		t.Fatalf("step down with one voter down: %v", err)
	}
	if got := c.waitLeader(); got != up {
		t.Fatalf("node %d leads after the step-down, want %d (the voter that is up)", got, up)
	}

	// The new leader is left with no other voter up.
	nl := c.nodes[up].n
	c.stop(lead)
	waitFor(t, 5*time.Second, "new leader's stream to the old one closed", func() bool {
		return !nl.tr.Reachable(ld.ID())
	})
	if nl.IsLeader() {
		if to := nl.stepDownTarget(); to != raft.None {
			t.Fatalf("step-down target %s with every other voter down", FormatID(to))
		}
	}
	start := time.Now()
	if err := nl.StepDown(ctx); err != nil {
		t.Fatalf("step down alone: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("step down with no voter to hand over to took %v", took)
	}
}

// waitFor polls cond every 10 ms until it holds, failing t after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
