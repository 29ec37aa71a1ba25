package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// benchPipelines are the depths every test runs at, in order.
var benchPipelines = []int{1, 16}

// throughput runs redis-benchmark against each server in turn, each one
// alone on the machine.
func (b *bench) throughput(ctx context.Context) error {
	var errs []error
	for _, name := range allServers {
		if !b.cfg.servers[name] || ctx.Err() != nil {
			continue
		}
		run := b.throughputOf
		if isPeer(name) {
			run = b.peerThroughput
		}
		if err := run(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			b.logf("%s: %v", name, err)
		}
	}
	return errors.Join(errs...)
}

func (b *bench) throughputOf(ctx context.Context, name string) (err error) {
	b.logf("%s: starting", name)
	var (
		target   *server
		all      []*server
		profiled []*server // raftcache nodes to profile
	)
	switch name {
	case srvRedis, srvRedisAOF:
		target, err = b.startRedis(ctx, name, name == srvRedisAOF)
		all = []*server{target}
	case srvSingle:
		target, err = b.startNode(ctx, name, "")
		all, profiled = []*server{target}, []*server{target}
	case srvCluster:
		// The follower is profiled with the leader: a follower's writes
		// and reads are the leader's work too.
		all, err = b.startCluster(ctx, name, 3)
		if err == nil {
			target = all[0]
			target.role = "follower"
			profiled = all[:1]
			for _, n := range all[1:] {
				if checkRole(ctx, n, "leader") == nil {
					n.role = "leader"
					profiled = append(profiled, n)
				}
			}
		}
	}
	defer func() {
		err = errors.Join(err, stopServers(all...))
	}()
	if err != nil {
		return err
	}
	// A test that fails (a command the server lacks) does not stop the
	// others, unless a server is gone or the follower is not one any more.
	var errs []error
	for _, pipeline := range benchPipelines {
		for _, t := range benchTests {
			if !b.cfg.tests[t.Name] || ctx.Err() != nil {
				continue
			}
			err := b.benchmarkTest(ctx, name, target, all, profiled, t, pipeline)
			if err == nil {
				continue
			}
			errs = append(errs, err)
			b.logf("%s %s P=%d: %v", name, t.Name, pipeline, err)
			if err := b.serversIntact(ctx, target, all); err != nil {
				return errors.Join(append(errs, err)...)
			}
		}
	}
	return errors.Join(errs...)
}

// serversIntact fails if one of all has exited or target no longer has
// the role it had when the run began.
func (b *bench) serversIntact(ctx context.Context, target *server, all []*server) error {
	for _, s := range all {
		if err := s.exitError(); err != nil {
			return err
		}
	}
	if target.role != "" {
		return checkRole(ctx, target, target.role)
	}
	return nil
}

// benchmarkTest runs one redis-benchmark test at one depth against target
// (one of all, the servers of the run) and records its figures.
func (b *bench) benchmarkTest(ctx context.Context, name string, target *server, all, profiled []*server, t benchTest, pipeline int) error {
	requests := b.cfg.requests
	if pipeline > 1 {
		requests = b.cfg.pipelineRequests
	}
	if err := b.prepareTest(ctx, target.addr, t, pipeline, requests); err != nil {
		return err
	}
	var row Row
	profName := fmt.Sprintf("%s-%s-P%d", name, t.Name, pipeline)
	cpu, err := cpuDuring(all, func() error {
		return b.profiled(ctx, profName, profiled, func() error {
			var err error
			row, err = b.redisBenchmark(ctx, target.addr, t, benchmarkArgs(t, b.cfg.clients, pipeline, requests, b.cfg.keys, b.cfg.valueSize))
			return err
		})
	})
	if err != nil {
		return err
	}
	if err := b.serversIntact(ctx, target, all); err != nil {
		return err
	}
	k := runKey{name, t.Name, pipeline}
	b.res.add(k, row)
	b.res.CPU[k] = cpu / time.Duration(requests)
	b.logf("%s %s P=%d: %s ops/s, p50 %s ms, p99 %s ms", name, t.Name, pipeline, thousands(row.RPS), ms(row.P50Ms), ms(row.P99Ms))
	return nil
}

// keyspace loads the keyspace into redis-server and into a raftcache node
// and measures memory per key, restart time and the write p99 during a
// snapshot.
func (b *bench) keyspace(ctx context.Context) error {
	mem := &memoryResult{Keys: b.cfg.keys}
	rs := &restartResult{Keys: b.cfg.keys}
	if err := b.redisKeyspace(ctx, mem, rs); err != nil {
		return fmt.Errorf("redis-server keyspace: %w", err)
	}
	return b.raftcacheKeyspace(ctx, mem, rs)
}

// load loads the keyspace into s, then waits -settle.
func (b *bench) load(ctx context.Context, s *server) error {
	b.logf("%s: loading %s keys", s.name, thousands(float64(b.cfg.keys)))
	start := time.Now()
	if err := loadKeys(ctx, s.addr, b.cfg.keys, b.cfg.valueSize, b.cfg.loadClients); err != nil {
		return err
	}
	d := time.Since(start)
	b.logf("%s: loaded in %s (%s keys/s)", s.name, seconds(d), thousands(float64(b.cfg.keys)/d.Seconds()))
	select {
	case <-time.After(b.cfg.settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (b *bench) redisKeyspace(ctx context.Context, mem *memoryResult, rs *restartResult) (err error) {
	s, err := b.startRedis(ctx, "redis-keyspace", false)
	defer func() { err = errors.Join(err, stopServers(s)) }()
	if err != nil {
		return err
	}
	if mem.RedisBase, err = s.rss(); err != nil {
		return err
	}
	if err := b.load(ctx, s); err != nil {
		return err
	}
	if mem.RedisRSS, err = s.rss(); err != nil {
		return err
	}
	b.logf("%s: RSS %s MiB", s.name, mib(mem.RedisRSS))
	c := newClient(s.addr, 1, 5*time.Minute)
	err = c.Save(ctx).Err()
	c.Close()
	if err != nil {
		return fmt.Errorf("SAVE: %w", err)
	}
	if err := s.stop(time.Minute); err != nil {
		return err
	}
	if err := b.execRedis(s.name+"-restart", s, false); err != nil {
		return err
	}
	if rs.Redis, err = timeReady(ctx, s, b.cfg.keys, b.cfg.valueSize, 10*time.Minute); err != nil {
		return err
	}
	b.logf("%s: restarted from its RDB in %s", s.name, seconds(rs.Redis))
	return nil
}

// raftcacheKeyspace measures a raftcache node with the keyspace loaded:
// its RSS; then, restarted with -snapshot_entries set so that its next
// snapshot comes -snapshot_requests/4 writes into the second of two SET
// windows, its restart time and the write p99 without and during that
// snapshot.
func (b *bench) raftcacheKeyspace(ctx context.Context, mem *memoryResult, rs *restartResult) (err error) {
	const snapEvery = 10000 // the node's default, explicit here because the arithmetic below needs it
	s, err := b.startNode(ctx, "raftcache-keyspace", "", "-snapshot_entries", strconv.Itoa(snapEvery))
	defer func() { err = errors.Join(err, stopServers(s)) }()
	if err != nil {
		return err
	}
	if mem.RaftcacheBase, err = s.rss(); err != nil {
		return err
	}
	if err := b.load(ctx, s); err != nil {
		return err
	}
	applied, lastSnap, every, err := waitLoadSnapshot(ctx, s, snapEvery, b.cfg.keys)
	if err != nil {
		return err
	}
	if mem.RaftcacheRSS, err = s.rss(); err != nil {
		return err
	}
	b.logf("%s: RSS %s MiB", s.name, mib(mem.RaftcacheRSS))
	if b.cfg.profileDir != "" {
		file := filepath.Join(b.cfg.profileDir, fmt.Sprintf("raftcache-%s-keys.heap.pb.gz", shortCount(b.cfg.keys)))
		if err := fetchProfile(ctx, s.pprof, "heap?gc=1", file, time.Minute); err != nil {
			return err
		}
	}
	if err := s.stop(time.Minute); err != nil {
		return err
	}

	// The restart replays the WAL after lastSnap and its new term's leader
	// appends an empty entry: applied+1. The next snapshot is taken once
	// applied-lastSnap reaches -snapshot_entries, and at most every
	// `every` entries: with many keys (every is keys/16) the second
	// window writes more before the snapshot comes.
	without := b.cfg.snapshotRequests
	trigger := max(applied+1+uint64(without)+uint64(max(without/4, 1)), lastSnap+every)
	s.extraFlags = []string{"-snapshot_entries", strconv.FormatUint(trigger-lastSnap, 10)}
	if b.cfg.profileDir != "" {
		file := filepath.Join(b.cfg.profileDir, fmt.Sprintf("raftcache-restart-%s-keys.cpu.pb.gz", shortCount(b.cfg.keys)))
		go func() {
			// Best effort: the restart may end before the profile does.
			if err := fetchProfile(ctx, s.pprof, "profile?seconds="+strconv.Itoa(int(b.cfg.profileSeconds/time.Second)), file, b.cfg.profileSeconds+time.Minute); err != nil {
				b.logf("restart profile: %v", err)
			}
		}()
	}
	if err := b.execNode(s.name+"-restart", s); err != nil {
		return err
	}
	if rs.Raftcache, err = timeReady(ctx, s, b.cfg.keys, b.cfg.valueSize, 10*time.Minute); err != nil {
		return err
	}
	snapIdx, ok := restartSnapshotIndex(s.log())
	if !ok || snapIdx != lastSnap {
		return fmt.Errorf("%s restarted from snapshot %d (found: %v), want %d; its log:\n%s", s.name, snapIdx, ok, lastSnap, s.tail())
	}
	rs.RaftcacheSnapshot, rs.RaftcacheWALEntries = snapIdx, applied-snapIdx
	b.res.Memory, b.res.Restart = mem, rs
	b.logf("%s: restarted in %s (snapshot %d + %d entries)", s.name, seconds(rs.Raftcache), snapIdx, applied-snapIdx)

	snap, err := b.snapshotWindows(ctx, s, trigger, without)
	if err != nil {
		return err
	}
	b.res.Snapshot = snap
	return nil
}

// snapshotWindows measures SET latency without a snapshot, then while
// the node takes the one due at index trigger, and checks with the node's
// log and applied index that each window is what it claims. Writes come
// from the bench's own clients, which record every request's time, so that
// the second figure covers exactly the writes in flight between the
// snapshot's start (the applied index reaching trigger: the apply loop
// captures the state there) and its "snapshot saved" record.
func (b *bench) snapshotWindows(ctx context.Context, s *server, trigger uint64, without int) (*snapshotResult, error) {
	res := &snapshotResult{Keys: b.cfg.keys}
	start, err := appliedIndex(ctx, s)
	if err != nil {
		return nil, err
	}
	if start+uint64(without) >= trigger {
		return nil, fmt.Errorf("%s: applied index %d after the restart leaves no room for %d writes before the snapshot at %d", s.name, start, without, trigger)
	}
	before, err := snapshotsSaved(s.log())
	if err != nil {
		return nil, err
	}
	b.logf("%s: SET without a snapshot (%d requests; applied %d, snapshot due at %d)", s.name, without, start, trigger)
	samples, err := setLoad(ctx, s.addr, b.cfg.clients, b.cfg.keys, b.cfg.valueSize, without, nil)
	if err != nil {
		return nil, err
	}
	res.Without = summarize("SET", samples)
	mid, err := appliedIndex(ctx, s)
	if err != nil {
		return nil, err
	}
	if saved, _ := snapshotsSaved(s.log()); len(saved) != len(before) || mid >= trigger {
		return nil, fmt.Errorf("%s: a snapshot happened in the window meant to have none (applied %d, due at %d)", s.name, mid, trigger)
	}

	b.logf("%s: SET until the snapshot due at %d is saved (applied %d)", s.name, trigger, mid)
	stop := make(chan struct{})
	type loaded struct {
		samples []sample
		err     error
	}
	done := make(chan loaded, 1)
	windowStart := time.Now()
	go func() {
		smp, err := setLoad(ctx, s.addr, b.cfg.clients, b.cfg.keys, b.cfg.valueSize, 0, stop)
		done <- loaded{smp, err}
	}()
	stopLoad := func() loaded { close(stop); return <-done }
	// The snapshot starts between the last poll below trigger and the
	// first at or above it.
	var lastBelow, reached time.Time
	err = waitUntil(ctx, s.process, b.cfg.runTimeout, 5*time.Millisecond, fmt.Sprintf("applied index %d on %s", trigger, s.name), func() (bool, error) {
		polled := time.Now()
		a, err := appliedIndex(ctx, s)
		if err != nil {
			return false, err
		}
		if a < trigger {
			lastBelow = polled
			return false, nil
		}
		reached = time.Now()
		return true, nil
	})
	if err != nil {
		stopLoad()
		return nil, err
	}
	var snap snapshotSaved
	err = waitUntil(ctx, s.process, b.cfg.runTimeout, 20*time.Millisecond, "the snapshot's log record", func() (bool, error) {
		saved, err := snapshotsSaved(s.log())
		for _, r := range saved[len(before):] {
			if r.Index >= trigger {
				snap = r
				return true, nil
			}
		}
		return false, err
	})
	if err != nil {
		stopLoad()
		return nil, err
	}
	// Requests stalled by the snapshot complete after it: keep the load on
	// a moment so that they are counted.
	time.Sleep(500 * time.Millisecond)
	l := stopLoad()
	if l.err != nil {
		return nil, l.err
	}
	if snap.Time.Before(lastBelow) {
		return nil, fmt.Errorf("%s: snapshot record at index %d (%s) precedes the applied index reaching %d (%s): clocks disagree",
			s.name, snap.Index, snap.Time.Format(time.StampMilli), trigger, lastBelow.Format(time.StampMilli))
	}
	in := overlapping(l.samples, lastBelow, snap.Time)
	if len(in) == 0 {
		return nil, fmt.Errorf("%s: no write was in flight during the snapshot", s.name)
	}
	res.During = summarize("SET", in)
	res.Proof = fmt.Sprintf("the snapshot: applied index passed %d between +%.2f s and +%.2f s of the window, the log says \"snapshot saved index=%d took=%s\" at +%.2f s; "+
		"%d writes were in flight in between (the \"during\" figures are theirs)",
		trigger, lastBelow.Sub(windowStart).Seconds(), reached.Sub(windowStart).Seconds(), snap.Index, snap.Took, snap.Time.Sub(windowStart).Seconds(), len(in))
	b.logf("%s: %s", s.name, res.Proof)
	return res, nil
}

// waitLoadSnapshot waits until raftcache node s, started with
// -snapshot_entries snapEvery and holding keys keys, has saved the last
// snapshot its load calls for, so that memory is read without a snapshot
// in progress. The node takes one every max(-snapshot_entries, keys/16)
// entries (cluster's snapshotInterval), so the last one covers all but
// fewer than that. It returns the applied index, the last snapshot's
// index and the interval.
func waitLoadSnapshot(ctx context.Context, s *server, snapEvery, keys int) (applied, lastSnap, every uint64, err error) {
	if applied, err = appliedIndex(ctx, s); err != nil {
		return 0, 0, 0, err
	}
	every = max(uint64(snapEvery), uint64(keys)/16)
	err = waitUntil(ctx, s.process, 5*time.Minute, 100*time.Millisecond, "the load's last snapshot", func() (bool, error) {
		saved, err := snapshotsSaved(s.log())
		if len(saved) > 0 {
			lastSnap = saved[len(saved)-1].Index
		}
		return applied < every || applied-lastSnap < every, err
	})
	return applied, lastSnap, every, err
}
