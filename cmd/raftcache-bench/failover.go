package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// Ways the failover phase changes the leader.
const (
	failoverTransfer = "transfer" // CLUSTER FAILOVER on the other follower
	failoverKill     = "kill"     // SIGKILL of the leader
)

// failoverConfig is the failover phase's settings.
type failoverConfig struct {
	keys, clients int
	steady, after time.Duration
	modes         []string
}

func (c *failoverConfig) register(fs *flag.FlagSet) func() error {
	fs.IntVar(&c.keys, "failover_keys", 100_000, "failover phase: keys loaded (-value_size bytes each) and read")
	fs.IntVar(&c.clients, "failover_clients", 8, "failover phase: connections reading from the follower, one GET in flight on each")
	fs.DurationVar(&c.steady, "failover_steady", 5*time.Second, "failover phase: reads before the leader change (the steady window)")
	fs.DurationVar(&c.after, "failover_after", time.Second, "failover phase: how long the change window goes on after the follower knows the new leader")
	modes := fs.String("failover_modes", failoverTransfer+","+failoverKill, "failover phase: how the leader changes, each on a fresh 3-node cluster: transfer (CLUSTER FAILOVER on the other follower), kill (SIGKILL of the leader)")
	return func() error {
		set, err := parseSet(*modes, failoverTransfer, failoverKill)
		if err != nil {
			return fmt.Errorf("-failover_modes: %w", err)
		}
		c.modes = nil
		for _, m := range []string{failoverTransfer, failoverKill} {
			if set[m] {
				c.modes = append(c.modes, m)
			}
		}
		if c.keys < 1 || c.clients < 1 || c.steady <= 0 || c.after < 0 {
			return errors.New("-failover_keys, -failover_clients and -failover_steady must be positive, -failover_after not negative")
		}
		return nil
	}
}

// failoverResult is the reads of one leader change.
type failoverResult struct {
	Mode, How      string
	Keys, Clients  int
	Steady, Change Row // the reads' figures in each window (failed reads left out)
	SteadyN        int // reads in the steady window
	ChangeN        int // reads in flight at some time in the change window
	// Election is the reads in flight between the change and the moment
	// the reading follower named the new leader: the ones a change stalls.
	Election        Row
	ElectionN       int
	ElectionFailed  int
	SteadyFailed    int
	ChangeFailed    int
	Failures        map[string]int // every failed read of the run, by error
	Elected, Window time.Duration  // from the change until the follower knew the new leader; the change window's length
}

// failoverPhase measures reads on a follower around each leader change
// of -failover_modes.
func (b *bench) failoverPhase(ctx context.Context) error {
	var errs []error
	for _, mode := range b.cfg.failover.modes {
		if ctx.Err() != nil {
			break
		}
		res, err := b.failoverRun(ctx, mode)
		if err != nil {
			err = fmt.Errorf("failover (%s): %w", mode, err)
			b.logf("%v", err)
			errs = append(errs, err)
			continue
		}
		b.res.Failover = append(b.res.Failover, res)
	}
	return errors.Join(errs...)
}

// failoverRun starts a 3-node cluster, loads the keys, and GETs them from
// a follower on -failover_clients connections for -failover_steady; then
// changes the leader (to the other follower, or by killing it) and goes
// on reading until -failover_after past the moment the reading follower
// names the new leader. Every read is timed and checked (a missing key
// or another value is a failure); failures are counted, not fatal.
func (b *bench) failoverRun(ctx context.Context, mode string) (res *failoverResult, err error) {
	cfg := b.cfg.failover
	name := "failover-" + mode
	b.logf("%s: starting", name)
	all, err := b.startCluster(ctx, name, 3)
	defer func() { err = errors.Join(err, b.discard(all)) }()
	if err != nil {
		return nil, err
	}
	reader := all[0]
	leader, other, err := leaderAndOther(ctx, all)
	if err != nil {
		return nil, err
	}
	info, err := raftInfo(ctx, leader)
	if err != nil {
		return nil, err
	}
	oldLeader := info["node_id"]
	if err := loadKeys(ctx, leader.addr, cfg.keys, b.cfg.valueSize, b.cfg.loadClients); err != nil {
		return nil, err
	}

	stop := make(chan struct{})
	type loaded struct {
		res loadResult
		err error
	}
	done := make(chan loaded, 1)
	l := load{addr: reader.addr, clients: cfg.clients, stop: stop, tolerate: true, op: getOp(cfg.keys, b.cfg.valueSize)}
	go func() {
		r, err := l.run(ctx)
		done <- loaded{r, err}
	}()
	stopLoad := func() loaded { close(stop); return <-done }
	b.logf("%s: reading from %s, %d connections, steady for %s", name, reader.name, cfg.clients, cfg.steady)
	select {
	case <-time.After(cfg.steady):
	case <-ctx.Done():
		stopLoad()
		return nil, ctx.Err()
	}

	res = &failoverResult{Mode: mode, Keys: cfg.keys, Clients: cfg.clients}
	changed := time.Now()
	switch mode {
	case failoverTransfer:
		res.How = "CLUSTER FAILOVER sent to the other follower (" + other.name + "); reads on " + reader.name
		c := newClient(other.addr, 1, time.Minute)
		err = c.Do(ctx, "CLUSTER", "FAILOVER").Err()
		c.Close()
		if err != nil {
			stopLoad()
			return nil, fmt.Errorf("CLUSTER FAILOVER on %s: %w", other.name, err)
		}
	case failoverKill:
		res.How = "SIGKILL of the leader (" + leader.name + "); reads on " + reader.name
		if err := leader.cmd.Process.Kill(); err != nil {
			stopLoad()
			return nil, fmt.Errorf("kill %s: %w", leader.name, err)
		}
		<-leader.exited
	}
	var elected time.Time
	err = waitUntil(ctx, reader.process, time.Minute, 2*time.Millisecond, reader.name+" naming a new leader", func() (bool, error) {
		info, err := raftInfo(ctx, reader)
		if err != nil {
			return false, err
		}
		if l := info["leader"]; l != "none" && l != oldLeader {
			elected = time.Now()
			if l == info["node_id"] {
				// After a kill the reading follower may win the election:
				// its reads are then a leader's.
				res.How += " (which became the leader)"
			}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		stopLoad()
		return nil, err
	}
	select {
	case <-time.After(cfg.after):
	case <-ctx.Done():
	}
	r := stopLoad()
	if r.err != nil {
		return nil, r.err
	}
	if err := reader.exitError(); err != nil {
		return nil, err
	}
	end := elected.Add(cfg.after)
	steady, change := splitWindows(r.res.samples, changed, end)
	election := overlapping(r.res.samples, changed, elected)
	res.Election, res.ElectionN, res.ElectionFailed = summarize("GET", election), len(election), countFailed(election)
	res.Steady, res.Change = summarize("GET", steady), summarize("GET", change)
	res.SteadyN, res.ChangeN = len(steady), len(change)
	res.SteadyFailed, res.ChangeFailed = countFailed(steady), countFailed(change)
	res.Failures = r.res.failures
	res.Elected, res.Window = elected.Sub(changed), end.Sub(changed)
	b.logf("%s: new leader known after %s; steady p99 %s ms, change p99 %s ms max %s ms, %d reads failed",
		name, res.Elected.Round(time.Millisecond), ms(res.Steady.P99Ms), ms(res.Change.P99Ms), ms(res.Change.MaxMs), r.res.failed())
	return res, nil
}

// leaderAndOther returns the leader of a cluster whose first member is a
// follower, and another follower.
func leaderAndOther(ctx context.Context, all []*server) (leader, other *server, err error) {
	for _, n := range all[1:] {
		info, err := raftInfo(ctx, n)
		if err != nil {
			return nil, nil, err
		}
		if info["role"] == "leader" && leader == nil {
			leader = n
		} else if other == nil {
			other = n
		}
	}
	if leader == nil || other == nil {
		return nil, nil, fmt.Errorf("no leader and second follower among %s", serverNames(all))
	}
	return leader, other, nil
}

func serverNames(all []*server) string {
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// splitWindows returns the samples that ended before from (the steady
// window) and those in flight at some time in [from, to] (the change
// window).
func splitWindows(samples []sample, from, to time.Time) (before, during []sample) {
	for _, s := range samples {
		if s.end().Before(from) {
			before = append(before, s)
		}
	}
	return before, overlapping(samples, from, to)
}

func countFailed(samples []sample) int {
	n := 0
	for _, s := range samples {
		if s.failed {
			n++
		}
	}
	return n
}
