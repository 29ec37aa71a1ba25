package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sample is one request: when it was sent and how long its reply took.
type sample struct {
	start time.Time
	took  time.Duration
}

func (s sample) end() time.Time { return s.start.Add(s.took) }

// setLoad sends SETs of random keys (redis-benchmark's keys and values)
// from clients connections, one request in flight on each, until n
// requests were sent (n > 0) or stop is closed, and returns every
// request's sample. Any failed request fails the load.
func setLoad(ctx context.Context, addr string, clients, keys, size, n int, stop <-chan struct{}) ([]sample, error) {
	c := newClient(addr, clients, time.Minute)
	defer c.Close()
	value := strings.Repeat("x", size)
	var (
		sent atomic.Int64
		mu   sync.Mutex
		all  []sample
	)
	err := runWorkers(ctx, clients, func(ctx context.Context) error {
		var mine []sample
		defer func() {
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			if n > 0 && sent.Add(1) > int64(n) {
				return nil
			}
			start := time.Now()
			if err := c.Set(ctx, benchKey(rand.IntN(keys)), value, 0).Err(); err != nil {
				return fmt.Errorf("SET: %w", err)
			}
			mine = append(mine, sample{start, time.Since(start)})
		}
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// summarize turns samples into a Row: throughput over the span from the
// first request's start to the last reply, and nearest-rank percentiles.
func summarize(test string, samples []sample) Row {
	if len(samples) == 0 {
		return Row{Test: test}
	}
	durs := make([]time.Duration, len(samples))
	first, last := samples[0].start, samples[0].end()
	var sum time.Duration
	for i, s := range samples {
		durs[i] = s.took
		sum += s.took
		if s.start.Before(first) {
			first = s.start
		}
		if s.end().After(last) {
			last = s.end()
		}
	}
	slices.Sort(durs)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r := Row{Test: test, AvgMs: ms(sum / time.Duration(len(durs))), MinMs: ms(durs[0]), MaxMs: ms(durs[len(durs)-1]),
		P50Ms: ms(percentile(durs, 50)), P95Ms: ms(percentile(durs, 95)), P99Ms: ms(percentile(durs, 99))}
	if span := last.Sub(first); span > 0 {
		r.RPS = float64(len(samples)) / span.Seconds()
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
