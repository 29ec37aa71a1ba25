package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"
)

// TestTTLWithSkewedClocks checks the bound the README gives for TTLs when
// members' clocks disagree (a failpoint sets each node's clock): a relative
// TTL's deadline is the clock of the node that took the command plus the
// TTL; every node reports PTTL and hides the key by its own clock; and the
// leader's active expiry deletes the key, for every node, by the leader's
// clock. So a key set with PX T through node a at real time s is gone on
// node j at s + T + off(a) - max(off(j), off(leader)), within the active
// expiry's cycle: early or late by at most the largest skew between two
// members, and never later than node j's own clock says.
func TestTTLWithSkewedClocks(t *testing.T) {
	bin := buildRaftcache(t, "failpoints")
	offsets := []time.Duration{0, 3 * time.Second, -3 * time.Second}
	c := newCluster(bin, t.TempDir(), t.TempDir(), 2*time.Second, 0, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.clockOffsets = offsets
	t.Cleanup(c.shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.boot(ctx, len(offsets)); err != nil {
		t.Fatal(err)
	}
	nodes := c.nodes()
	conns := make([]*respConn, len(nodes))
	for i, n := range nodes {
		rc, err := dialRESP(ctx, n.respAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.close()
		conns[i] = rc
	}
	call := func(i int, args ...string) reply {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		rs, err := conns[i].do(cctx, args)
		if err != nil {
			t.Fatalf("node %d: %v: %v", i, args, err)
		}
		if rs[0].isErr() {
			t.Fatalf("node %d: %v: %s", i, args, rs[0])
		}
		return rs[0]
	}

	t.Run("PTTL", func(t *testing.T) {
		const ttl = 60 * time.Second
		for a := range nodes {
			key := "pttl-" + strconv.Itoa(a)
			t0 := time.Now()
			call(a, "SET", key, "v", "PX", strconv.FormatInt(ttl.Milliseconds(), 10))
			t1 := time.Now()
			for j := range nodes {
				t2 := time.Now()
				got := time.Duration(call(j, "PTTL", key).num) * time.Millisecond
				t3 := time.Now()
				// Deadline: a's clock at some point in [t0, t1], plus ttl;
				// PTTL: that less j's clock at some point in [t2, t3].
				want := ttl + offsets[a] - offsets[j]
				lo, hi := want-t3.Sub(t0)-2*time.Millisecond, want-t2.Sub(t1)+2*time.Millisecond
				if got < lo || got > hi {
					t.Errorf("set through node %d (clock %+v), PTTL on node %d (clock %+v): %v, want within [%v, %v]",
						a, offsets[a], j, offsets[j], got, lo, hi)
				}
			}
		}
	})

	t.Run("expiry", func(t *testing.T) {
		const ttl = 5 * time.Second
		const poll = 20 * time.Millisecond
		leaderBefore := c.leader(ctx)
		t0 := time.Now()
		call(0, "SET", "expiring", "v", "PX", strconv.FormatInt(ttl.Milliseconds(), 10))
		t1 := time.Now()
		gone := make([]time.Duration, len(nodes)) // since t0; 0: still there
		for left := len(nodes); left > 0; {
			if time.Since(t0) > ttl+2*offsets[1]+10*time.Second {
				t.Fatalf("key still there after %v on some node: gone at %v (0: not gone)", time.Since(t0), gone)
			}
			for j := range nodes {
				if gone[j] == 0 && call(j, "EXISTS", "expiring").num == 0 {
					gone[j] = time.Since(t0)
					left--
				}
			}
			time.Sleep(poll)
		}
		leaderAfter := c.leader(ctx)
		maxOff := max(offsets[0], offsets[1], offsets[2])
		for j := range nodes {
			// Never before the most advanced clock reaches the deadline,
			// never after j's own clock does (it hides the key then,
			// whoever leads).
			lo := ttl + offsets[0] - maxOff - 5*time.Millisecond
			hi := ttl + offsets[0] - offsets[j] + t1.Sub(t0) + time.Duration(len(nodes))*(poll+10*time.Millisecond) + 200*time.Millisecond
			if leaderBefore != nil && leaderBefore == leaderAfter {
				// With one leader throughout, the leader's active
				// expiry deletes it, within its cycle (100 ms) and a
				// commit, once the leader's clock is past the deadline.
				l := leaderBefore.idx
				lo = ttl + offsets[0] - max(offsets[j], offsets[l]) - 5*time.Millisecond
				hi = min(hi, ttl+offsets[0]-offsets[l]+t1.Sub(t0)+time.Second)
			}
			if gone[j] < lo || gone[j] > hi {
				t.Errorf("node %d (clock %+v, leader %s): key gone %v after the SET, want within [%v, %v]",
					j, offsets[j], fmt.Sprint(leaderBefore), gone[j], lo, hi)
			}
		}
		t.Logf("leader %v; key gone on each node after %v", leaderBefore, gone)
	})
}
