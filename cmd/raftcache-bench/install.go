package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// installConfig is the install phase's settings.
type installConfig struct {
	rate, clients   int
	snapshotEntries int
	steady          time.Duration
	timeout         time.Duration
}

func (c *installConfig) register(fs *flag.FlagSet) func() error {
	fs.IntVar(&c.rate, "install_rate", 1000, "install phase: SETs a second sent to a follower while the new member installs the snapshot, and before (0: as fast as -install_clients connections go)")
	fs.IntVar(&c.clients, "install_clients", 16, "install phase: connections sending those SETs, one in flight on each")
	fs.IntVar(&c.snapshotEntries, "install_snapshot_entries", 10000, "install phase: the nodes' -snapshot_entries (their default; fewer lets a smoke run of a few thousand keys install a snapshot)")
	fs.DurationVar(&c.steady, "install_steady", 10*time.Second, "install phase: writes before the new member starts (the window without an install)")
	fs.DurationVar(&c.timeout, "install_timeout", 30*time.Minute, "install phase: bound on the new member catching up")
	return func() error {
		if c.rate < 0 || c.rate > 1_000_000 || c.clients < 1 || c.snapshotEntries < 1 || c.steady <= 0 || c.timeout <= 0 {
			return errors.New("-install_clients, -install_snapshot_entries, -install_steady and -install_timeout must be positive, -install_rate between 0 and 1000000")
		}
		return nil
	}
}

// installResult is a new member's catch-up at Keys keys.
type installResult struct {
	Keys, Rate, Clients int
	// Target is the leader's applied index when the new member started;
	// CaughtUp the time from its process's start until its applied index
	// reached Target.
	Target   uint64
	CaughtUp time.Duration
	// Restored is when, after the start, the member's log says it
	// restored the leader's snapshot, and at which index.
	Restored      time.Duration
	RestoredIndex uint64
	LoadTook      time.Duration // loading the keys into the cluster
	// The writes' figures without an install and while it ran (failed
	// writes left out), and how many there were and how many failed.
	Before, During             Row
	BeforeN, DuringN           int
	BeforeFailed, DuringFailed int
	Failures                   map[string]int
}

// installPhase loads -keys keys into a 3-node cluster, writes to a
// follower at -install_rate for -install_steady, then starts a fourth
// node joining the cluster and measures how long it takes to apply the
// index the leader had applied at its start (a snapshot install, since
// the leader's log was compacted long before: the new member's log must
// say it restored one), and the write latency meanwhile.
func (b *bench) installPhase(ctx context.Context) (err error) {
	cfg := b.cfg.install
	const name = "install"
	b.logf("%s: starting", name)
	snapFlags := []string{"-snapshot_entries", strconv.Itoa(cfg.snapshotEntries)}
	all, err := b.startCluster(ctx, name, 3, snapFlags...)
	defer func() {
		err = errors.Join(err, b.discard(all))
		if err != nil {
			err = fmt.Errorf("install: %w", err)
		}
	}()
	if err != nil {
		return err
	}
	writer := all[0]
	leader, _, err := leaderAndOther(ctx, all)
	if err != nil {
		return err
	}
	res := &installResult{Keys: b.cfg.keys, Rate: cfg.rate, Clients: cfg.clients}
	start := time.Now()
	if err := b.load(ctx, leader); err != nil {
		return err
	}
	res.LoadTook = time.Since(start) - b.cfg.settle
	// The leader's snapshot should cover the load, so that the new
	// member's install is of the whole keyspace.
	if _, _, _, err := waitLoadSnapshot(ctx, leader, cfg.snapshotEntries, b.cfg.keys); err != nil {
		return err
	}

	stop := make(chan struct{})
	var ticker *time.Ticker
	l := load{addr: writer.addr, clients: cfg.clients, stop: stop, tolerate: true, op: setOp(b.cfg.keys, b.cfg.valueSize)}
	if cfg.rate > 0 {
		ticker = time.NewTicker(time.Second / time.Duration(cfg.rate))
		defer ticker.Stop()
		l.tick = ticker.C
	}
	type loaded struct {
		res loadResult
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		r, err := l.run(ctx)
		done <- loaded{r, err}
	}()
	stopped := false
	stopLoad := func() loaded {
		if !stopped {
			close(stop)
			stopped = true
		}
		return <-done
	}
	defer func() {
		if !stopped {
			stopLoad()
		}
	}()
	b.logf("%s: writing to %s at %d/s on %d connections, %s before the new member", name, writer.name, cfg.rate, cfg.clients, cfg.steady)
	select {
	case <-time.After(cfg.steady):
	case <-ctx.Done():
		return ctx.Err()
	}

	if res.Target, err = appliedIndex(ctx, leader); err != nil {
		return err
	}
	joiner, err := b.newNode(name+"-4", leader.raft, snapFlags...)
	if err != nil {
		return err
	}
	if err := b.execNode(name+"-4", joiner); err != nil {
		return err
	}
	all = append(all, joiner)
	b.logf("%s: %s joining, to apply index %d", name, joiner.name, res.Target)
	err = waitUntil(ctx, joiner.process, cfg.timeout, 10*time.Millisecond, fmt.Sprintf("%s applying index %d", joiner.name, res.Target), func() (bool, error) {
		a, err := appliedIndex(ctx, joiner)
		return err == nil && a >= res.Target, err
	})
	if err != nil {
		return err
	}
	caughtUp := time.Now()
	res.CaughtUp = caughtUp.Sub(joiner.started)
	r := stopLoad()
	if r.err != nil {
		return r.err
	}
	restored, ok, err := restoredSnapshot(joiner.log())
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s caught up without restoring a snapshot: the phase measured log replication, not an install", joiner.name)
	}
	res.Restored, res.RestoredIndex = restored.Time.Sub(joiner.started), restored.Index
	before, during := splitWindows(r.res.samples, joiner.started, caughtUp)
	res.Before, res.During = summarize("SET", before), summarize("SET", during)
	res.BeforeN, res.DuringN = len(before), len(during)
	res.BeforeFailed, res.DuringFailed = countFailed(before), countFailed(during)
	res.Failures = r.res.failures
	b.res.Install = res
	b.logf("%s: %s applied index %d after %s (snapshot at %d restored at +%s); write p99 %s ms before, %s ms during, %d failed",
		name, joiner.name, res.Target, seconds(res.CaughtUp), res.RestoredIndex, seconds(res.Restored), ms(res.Before.P99Ms), ms(res.During.P99Ms), r.res.failed())
	return nil
}

// restoredSnapshot returns the first "restored snapshot from leader"
// record of a node's log.
func restoredSnapshot(log string) (snapshotSaved, bool, error) {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		rec, ok := parseLogLine(sc.Text())
		if !ok || rec.Msg != "restored snapshot from leader" {
			continue
		}
		idx, err := strconv.ParseUint(rec.Attrs["index"], 10, 64)
		if err != nil {
			return snapshotSaved{}, false, fmt.Errorf("restore record %q: index: %w", sc.Text(), err)
		}
		return snapshotSaved{Time: rec.Time, Index: idx}, true, nil
	}
	return snapshotSaved{}, false, sc.Err()
}
