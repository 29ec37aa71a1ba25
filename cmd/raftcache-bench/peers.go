package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// peerOp sends one round trip of len(keys) requests of a peer's test from
// worker (0..clients-1) and waits for every reply.
type peerOp func(ctx context.Context, worker int, keys []string) error

// isPeer tells the replicated peers, which the bench drives with its own
// clients (redis-benchmark can neither follow each SET with WAIT nor
// speak etcd's gRPC), from the servers redis-benchmark measures.
func isPeer(name string) bool { return name == srvRedisRepl || name == srvEtcd }

// peerThroughput starts the replicated peer name and runs its SET and GET
// tests at each depth, leader (primary) only: the targets compare
// raftcache via a follower with the best a peer does on its leader.
func (b *bench) peerThroughput(ctx context.Context, name string) (err error) {
	b.logf("%s: starting", name)
	var all []*server
	switch name {
	case srvRedisRepl:
		all, err = b.startRedisRepl(ctx, name)
	case srvEtcd:
		all, err = b.startEtcd(ctx, name)
	}
	defer func() { err = errors.Join(err, stopServers(all...)) }()
	if err != nil {
		return err
	}
	leader := all[0]
	var errs []error
	for _, pipeline := range benchPipelines {
		for _, test := range []string{"SET", "GET"} {
			if !b.cfg.tests[test] || ctx.Err() != nil {
				continue
			}
			if err := b.peerTest(ctx, name, leader, all, test, pipeline); err != nil {
				errs = append(errs, err)
				b.logf("%s %s P=%d: %v", name, test, pipeline, err)
				return errors.Join(errs...)
			}
		}
	}
	return errors.Join(errs...)
}

// peerTest runs one test of a peer at one depth and records its figures
// and the CPU its processes used per request.
func (b *bench) peerTest(ctx context.Context, name string, leader *server, all []*server, test string, pipeline int) error {
	requests := b.cfg.requests
	if pipeline > 1 {
		requests = b.cfg.pipelineRequests
	}
	var (
		op      peerOp
		closeOp func()
		err     error
	)
	switch name {
	case srvRedisRepl:
		op, closeOp = redisReplLoad(leader.addr, test, b.cfg.clients, pipeline, b.cfg.valueSize)
	case srvEtcd:
		op, closeOp, err = etcdLoad(leader.addr, test, b.cfg.clients, b.cfg.valueSize)
	}
	if err != nil {
		return err
	}
	defer closeOp()
	var samples []sample
	cpu, err := cpuDuring(all, func() error {
		var err error
		if samples, err = driveLoad(ctx, b.cfg.clients, pipeline, requests, b.cfg.keys, b.cfg.runTimeout, op); err != nil {
			return fmt.Errorf("%s %s P=%d: %w", name, test, pipeline, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range all {
		if err := s.exitError(); err != nil {
			return err
		}
	}
	row := summarize(test, samples)
	k := runKey{name, test, pipeline}
	b.res.add(k, row)
	b.res.CPU[k] = cpu / time.Duration(len(samples))
	b.logf("%s %s P=%d: %s ops/s, p50 %s ms, p99 %s ms", name, test, pipeline, thousands(row.RPS), ms(row.P50Ms), ms(row.P99Ms))
	return nil
}

// driveLoad runs op from clients workers, each sending pipeline requests
// of random keys of the keyspace a round trip (redis-benchmark -r's keys),
// until n requests were sent, and returns a sample per request (a
// pipelined request's is its round trip's).
func driveLoad(ctx context.Context, clients, pipeline, n, keys int, timeout time.Duration, op peerOp) ([]sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		sent   atomic.Int64
		worker atomic.Int64
		mu     sync.Mutex
		all    []sample
	)
	err := runWorkers(ctx, clients, func(ctx context.Context) error {
		id := int(worker.Add(1)) - 1
		var mine []sample
		defer func() {
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
		batch := make([]string, 0, pipeline)
		for {
			left := int64(n) - sent.Add(int64(pipeline)) + int64(pipeline)
			if left <= 0 {
				return nil
			}
			batch = batch[:0]
			for range min(int64(pipeline), left) {
				batch = append(batch, benchKey(rand.IntN(keys)))
			}
			start := time.Now()
			if err := op(ctx, id, batch); err != nil {
				return err
			}
			s := sample{start: start, took: time.Since(start)}
			for range batch {
				mine = append(mine, s)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// startRedisRepl starts a redis-server primary and two replicas of it,
// each in its own directory with appendonly yes and appendfsync always,
// and returns them, primary first, once both replicas are in sync.
func (b *bench) startRedisRepl(ctx context.Context, name string) ([]*server, error) {
	primary, err := b.startRedis(ctx, name+"-primary", true)
	all := []*server{primary}
	if err != nil {
		return all, err
	}
	host, port, err := net.SplitHostPort(primary.addr)
	if err != nil {
		return all, err
	}
	for i := 1; i <= 2; i++ {
		r, err := b.startRedis(ctx, fmt.Sprintf("%s-replica%d", name, i), true, "--replicaof", host, port)
		all = append(all, r)
		if err != nil {
			return all, err
		}
	}
	c := newClient(primary.addr, 1, 5*time.Second)
	defer c.Close()
	err = waitUntil(ctx, primary.process, startTimeout, 50*time.Millisecond, "two replicas online on "+primary.name, func() (bool, error) {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return false, err
		}
		m := parseInfo(info)
		online := 0
		for i := 0; i < 2; i++ {
			if v := m["slave"+strconv.Itoa(i)]; v != "" && strings.Contains(v, "state=online") {
				online++
			}
		}
		return online == 2, nil
	})
	primary.role = "primary"
	return all, err
}

// redisReplLoad returns the peer load of test against the primary at addr:
// SET, each followed by WAIT 1 0 on the same connection (the reply comes
// once a replica has every write the connection made, with no time
// limit), or GET. A pipelined round trip sends pipeline such pairs.
func redisReplLoad(addr, test string, clients, pipeline, valueSize int) (peerOp, func()) {
	c := newClient(addr, clients, time.Minute)
	value := make([]byte, valueSize)
	for i := range value {
		value[i] = 'x'
	}
	op := func(ctx context.Context, _ int, keys []string) error {
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				if test == "SET" {
					p.Set(ctx, k, value, 0)
					p.Do(ctx, "WAIT", 1, 0)
				} else {
					p.Get(ctx, k)
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("redis %s: %w", test, err)
		}
		for _, cmd := range cmds {
			if w, ok := cmd.(*redis.Cmd); ok {
				if n, err := w.Int64(); err != nil || n < 1 {
					return fmt.Errorf("WAIT 1 0 = %d, %v: no replica acknowledged", n, err)
				}
			}
		}
		return nil
	}
	return op, func() { c.Close() }
}

// cpuDuring runs fn and returns the user+sys CPU time the servers'
// processes used meanwhile.
func cpuDuring(servers []*server, fn func() error) (time.Duration, error) {
	before, err := cpuTime(servers)
	if err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	after, err := cpuTime(servers)
	if err != nil {
		return 0, err
	}
	return after - before, nil
}

// cpuTime is the user+sys CPU time the servers' processes have used so far.
func cpuTime(servers []*server) (time.Duration, error) {
	var total time.Duration
	for _, s := range servers {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
		if err != nil {
			return 0, fmt.Errorf("%s: read CPU time: %w", s.name, err)
		}
		d, err := parseStatCPU(string(b))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", s.name, err)
		}
		total += d
	}
	return total, nil
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100
// on every architecture Go's linux ports run on.
const clockTicks = 100

// parseStatCPU returns utime+stime from the text of /proc/<pid>/stat. The
// command name (field 2) may hold spaces, so fields count from its ")".
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("process stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// After the name: state is field 3, utime 14 and stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("process stat: %d fields after the name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("process stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
