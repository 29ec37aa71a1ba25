package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// benchKey is the key redis-benchmark -r uses for i: "key:" and i in 12
// digits, so that loaded keys and benchmarked keys are the same keyspace.
func benchKey(i int) string { return fmt.Sprintf("key:%012d", i) }

// loadKeys SETs keys 0..n-1 to values of size bytes (redis-benchmark's
// "xxx..."), over conns connections each pipelining batches, and checks
// that DBSIZE is n afterwards.
func loadKeys(ctx context.Context, addr string, n, size, conns int) error {
	// 100 SETs a round trip, fewer for large values: at most about 1 MiB
	// of values in flight on a connection.
	batch := max(1, min(100, (1<<20)/size))
	c := newClient(addr, conns, time.Minute)
	defer c.Close()
	value := strings.Repeat("x", size)
	var next atomic.Int64
	err := runWorkers(ctx, conns, func(ctx context.Context) error {
		for {
			start := int(next.Add(int64(batch))) - batch
			if start >= n {
				return nil
			}
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := start; i < min(start+batch, n); i++ {
					p.Set(ctx, benchKey(i), value, 0)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("load keys %d..: %w", start, err)
			}
		}
	})
	if err != nil {
		return err
	}
	got, err := c.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("DBSIZE after load: %w", err)
	}
	if got != int64(n) {
		return fmt.Errorf("DBSIZE after loading %d keys = %d", n, got)
	}
	return nil
}

// runWorkers runs work on n goroutines and waits for them. The first error
// cancels the others' context and is returned.
func runWorkers(ctx context.Context, n int, work func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(ctx); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

// timeReady returns how long s took from its process's start until PING
// answered and DBSIZE showed n keys, and checks one key's value.
func timeReady(ctx context.Context, s *server, n, size int, timeout time.Duration) (time.Duration, error) {
	c := newClient(s.addr, 1, timeout)
	defer c.Close()
	// A reply may take long (raftcache answers once the node is up); a
	// refused connection or Redis's LOADING error is retried at once.
	err := waitUntil(ctx, s.process, timeout, 2*time.Millisecond, "PING on "+s.name, func() (bool, error) {
		err := c.Ping(ctx).Err()
		return err == nil, err
	})
	if err != nil {
		return 0, err
	}
	err = waitUntil(ctx, s.process, timeout, 2*time.Millisecond, fmt.Sprintf("DBSIZE %d on %s", n, s.name), func() (bool, error) {
		got, err := c.DBSize(ctx).Result()
		return got == int64(n), err
	})
	if err != nil {
		return 0, err
	}
	took := time.Since(s.started)
	key := benchKey(n - 1)
	if v, err := c.Get(ctx, key).Result(); err != nil || v != strings.Repeat("x", size) {
		return 0, fmt.Errorf("%s after restart: GET %s = %.20q..., %v", s.name, key, v, err)
	}
	return took, nil
}

// benchmarkArgs are redis-benchmark's arguments for test t, but for -h
// and -p: clients connections, pipeline deep, requests requests of random
// keys over keys keys, values of size bytes, CSV output.
func benchmarkArgs(t benchTest, clients, pipeline, requests, keys, size int) []string {
	args := []string{"-c", strconv.Itoa(clients), "-n", strconv.Itoa(requests),
		"-r", strconv.Itoa(keys), "-d", strconv.Itoa(size), "-P", strconv.Itoa(pipeline),
		"--csv"}
	return append(args, t.args()...)
}

// redisBenchmark runs redis-benchmark with args (benchmarkArgs) against
// addr and returns the figures of test t (under t's name). Any error reply
// fails the run: a benchmark of errors measures nothing.
func (b *bench) redisBenchmark(ctx context.Context, addr string, t benchTest, args []string) (Row, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Row{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.runTimeout)
	defer cancel()
	args = append([]string{"-h", host, "-p", port}, args...)
	cmd := exec.CommandContext(ctx, b.cfg.redisBenchmark, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Row{}, fmt.Errorf("redis-benchmark %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String()))
	}
	if strings.Contains(stderr.String(), "Error from server") {
		return Row{}, fmt.Errorf("redis-benchmark %s: error replies:\n%s", strings.Join(args, " "), tail(stderr.String()))
	}
	rows, err := parseCSV(&stdout)
	if err != nil {
		return Row{}, fmt.Errorf("redis-benchmark %s: %w", strings.Join(args, " "), err)
	}
	for _, r := range rows {
		if r.Test == t.csvName() {
			r.Test = t.Name
			return r, nil
		}
	}
	return Row{}, fmt.Errorf("redis-benchmark %s: no %q line in its output", strings.Join(args, " "), t.csvName())
}

func tail(s string) string {
	if len(s) > 1000 {
		return "..." + s[len(s)-1000:]
	}
	return s
}
