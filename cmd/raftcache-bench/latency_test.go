package main

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var durs []time.Duration
	for i := 1; i <= 200; i++ {
		durs = append(durs, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 100 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}, {0, time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(durs, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one sample: %v", got)
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestSummarizeAndOverlap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	samples := []sample{
		{start: t0, took: 2 * ms},               // 0..2
		{start: t0.Add(1 * ms), took: 10 * ms},  // 1..11
		{start: t0.Add(5 * ms), took: 1 * ms},   // 5..6
		{start: t0.Add(12 * ms), took: 8 * ms},  // 12..20
		{start: t0.Add(996 * ms), took: 4 * ms}, // 996..1000
	}
	r := summarize("SET", samples)
	if r.RPS != 5 || r.MinMs != 1 || r.MaxMs != 10 || r.P50Ms != 4 || r.P99Ms != 10 || r.AvgMs != 5 {
		t.Errorf("summary %+v", r)
	}
	got := overlapping(samples, t0.Add(6*ms), t0.Add(12*ms))
	if len(got) != 3 || got[0] != samples[1] || got[1] != samples[2] || got[2] != samples[3] {
		t.Errorf("overlapping = %+v", got)
	}
	if r := summarize("SET", nil); r.RPS != 0 || r.P99Ms != 0 {
		t.Errorf("empty summary %+v", r)
	}
	// A failed request is left out of the latencies and the rate.
	withFailure := append(slices.Clone(samples), sample{start: t0.Add(500 * ms), took: 300 * ms, failed: true})
	if got := summarize("SET", withFailure); got != r {
		t.Errorf("summary with a failed request %+v, want %+v", got, r)
	}
	if r := summarize("GET", []sample{{start: t0, took: ms, failed: true}}); r.RPS != 0 || r.MaxMs != 0 {
		t.Errorf("summary of failures only %+v", r)
	}
}

func TestRunWorkers(t *testing.T) {
	var n atomic.Int64
	if err := runWorkers(context.Background(), 4, func(context.Context) error { n.Add(1); return nil }); err != nil || n.Load() != 4 {
		t.Errorf("all succeed: %v, %d ran", err, n.Load())
	}
	boom := errors.New("boom")
	err := runWorkers(context.Background(), 3, func(ctx context.Context) error {
		if n.Add(1)%3 == 0 {
			return boom
		}
		<-ctx.Done() // the others run until the failure cancels them
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}
