package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// sample is one request: when it was sent and how long its reply took;
// failed is set when the request failed (it is then left out of the
// latency figures and counted apart).
type sample struct {
	start  time.Time
	took   time.Duration
	failed bool
}

func (s sample) end() time.Time { return s.start.Add(s.took) }

// load describes a run of the bench's own clients against one server.
type load struct {
	addr    string
	clients int // connections, one request in flight on each
	n       int // requests to send in all; 0: until stop is closed
	stop    <-chan struct{}
	// tick, when set, paces the load: a request waits for a value of it,
	// shared by every connection (a time.Ticker drops the ticks a stalled
	// server leaves unused, so a stall does not end in a burst).
	tick <-chan time.Time
	// tolerate makes a failed request a failed sample, its error counted
	// in failures, instead of the end of the load.
	tolerate bool
	// op sends one request on c.
	op func(ctx context.Context, c *redis.Client) error
}

// loadResult is what a load recorded.
type loadResult struct {
	samples  []sample
	failures map[string]int // error text: count (with tolerate)
}

func (r loadResult) failed() int {
	n := 0
	for _, c := range r.failures {
		n += c
	}
	return n
}

// run sends l's requests and records every one.
func (l load) run(ctx context.Context) (loadResult, error) {
	c := newClient(l.addr, l.clients, time.Minute)
	defer c.Close()
	var (
		sent atomic.Int64
		mu   sync.Mutex
		res  = loadResult{failures: map[string]int{}}
	)
	err := runWorkers(ctx, l.clients, func(ctx context.Context) error {
		var mine []sample
		fails := map[string]int{}
		defer func() {
			mu.Lock()
			res.samples = append(res.samples, mine...)
			for k, v := range fails {
				res.failures[k] += v
			}
			mu.Unlock()
		}()
		for {
			if l.tick != nil {
				select {
				case <-l.tick:
				case <-l.stop:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			select {
			case <-l.stop:
				return nil
			default:
			}
			if l.n > 0 && sent.Add(1) > int64(l.n) {
				return nil
			}
			start := time.Now()
			err := l.op(ctx, c)
			mine = append(mine, sample{start: start, took: time.Since(start), failed: err != nil})
			if err != nil {
				if !l.tolerate || ctx.Err() != nil {
					return err
				}
				fails[err.Error()]++
			}
		}
	})
	if err != nil {
		return loadResult{}, err
	}
	return res, nil
}

// setLoad sends SETs of random keys (redis-benchmark's keys and values)
// from clients connections, one request in flight on each, until n
// requests were sent (n > 0) or stop is closed, and returns every
// request's sample. Any failed request fails the load.
func setLoad(ctx context.Context, addr string, clients, keys, size, n int, stop <-chan struct{}) ([]sample, error) {
	l := load{addr: addr, clients: clients, n: n, stop: stop, op: setOp(keys, size)}
	res, err := l.run(ctx)
	return res.samples, err
}

// setOp SETs a random key of redis-benchmark's keyspace of keys keys to
// its value of size bytes.
func setOp(keys, size int) func(ctx context.Context, c *redis.Client) error {
	value := strings.Repeat("x", size)
	return func(ctx context.Context, c *redis.Client) error {
		if err := c.Set(ctx, benchKey(rand.IntN(keys)), value, 0).Err(); err != nil {
			return fmt.Errorf("SET: %w", err)
		}
		return nil
	}
}

// getOp GETs a random key of the keys loadKeys loaded and fails unless it
// holds the value loaded.
func getOp(keys, size int) func(ctx context.Context, c *redis.Client) error {
	value := strings.Repeat("x", size)
	return func(ctx context.Context, c *redis.Client) error {
		key := benchKey(rand.IntN(keys))
		v, err := c.Get(ctx, key).Result()
		switch {
		case errors.Is(err, redis.Nil):
			return fmt.Errorf("GET: a loaded key is missing")
		case err != nil:
			return fmt.Errorf("GET: %w", err)
		case v != value:
			return fmt.Errorf("GET: a loaded key holds another value (%d bytes)", len(v))
		}
		return nil
	}
}

// summarize turns samples into a Row: throughput over the span from the
// first request's start to the last reply, and nearest-rank percentiles.
func summarize(test string, samples []sample) Row {
	if len(samples) == 0 {
		return Row{Test: test}
	}
	durs := make([]time.Duration, 0, len(samples))
	first, last := samples[0].start, samples[0].end()
	var sum time.Duration
	for _, s := range samples {
		if s.failed {
			continue
		}
		durs = append(durs, s.took)
		sum += s.took
		if s.start.Before(first) {
			first = s.start
		}
		if s.end().After(last) {
			last = s.end()
		}
	}
	if len(durs) == 0 {
		return Row{Test: test}
	}
	slices.Sort(durs)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r := Row{Test: test, AvgMs: ms(sum / time.Duration(len(durs))), MinMs: ms(durs[0]), MaxMs: ms(durs[len(durs)-1]),
		P50Ms: ms(percentile(durs, 50)), P95Ms: ms(percentile(durs, 95)), P99Ms: ms(percentile(durs, 99))}
	if span := last.Sub(first); span > 0 {
		r.RPS = float64(len(durs)) / span.Seconds()
	}
	return r
}

// percentile returns the nearest-rank p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// overlapping returns the samples whose request was in flight at some time
// in [from, to].
func overlapping(samples []sample, from, to time.Time) []sample {
	var out []sample
	for _, s := range samples {
		if !s.start.After(to) && !s.end().Before(from) {
			out = append(out, s)
		}
	}
	return out
}
