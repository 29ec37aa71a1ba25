package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScalingFlags(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.scaling
	if !reflect.DeepEqual(s.valueSizes, []int{64, 1024, 16384, 262144}) || !reflect.DeepEqual(s.nodes, []int{1, 3, 5}) ||
		s.bytes != 256<<20 || s.maxRequests != 100_000 || s.minRequests != 1000 {
		t.Errorf("scaling defaults: %+v", s)
	}
	if !reflect.DeepEqual(c.failover.modes, []string{failoverTransfer, failoverKill}) || c.install.rate != 1000 || c.install.snapshotEntries != 10000 {
		t.Errorf("install, failover defaults: %+v %+v", c.install, c.failover)
	}
	// The requests per cell: the byte budget over the value size, within
	// the bounds; the keyspace a quarter of it.
	for _, tc := range []struct{ size, requests, keys int }{
		{64, 100_000, 25_000},     // capped by -scaling_requests
		{16384, 16384, 4096},      // 256 MiB / 16 KiB
		{262144, 1024, 256},       // 256 MiB / 256 KiB
		{64 << 20, 1000, 250},     // raised to -scaling_min_requests
		{1 << 30, 1000, 1000 / 4}, // a value bigger than the budget
	} {
		if got := s.requests(tc.size); got != tc.requests {
			t.Errorf("requests(%d) = %d, want %d", tc.size, got, tc.requests)
		}
		if got := s.keys(s.requests(tc.size)); got != tc.keys {
			t.Errorf("keys for size %d = %d, want %d", tc.size, got, tc.keys)
		}
	}
	if got := s.keys(3); got != 1 {
		t.Errorf("keys(3) = %d, want 1", got)
	}

	c, err = parseFlags([]string{"-phases", "scaling,failover", "-scaling_values", " 64, 1024 ", "-scaling_nodes", "3", "-scaling_bytes", "1mb",
		"-failover_modes", "kill,transfer", "-install_rate", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.phases, map[string]bool{"scaling": true, "failover": true}) || !reflect.DeepEqual(c.scaling.valueSizes, []int{64, 1024}) ||
		!reflect.DeepEqual(c.scaling.nodes, []int{3}) || c.scaling.bytes != 1<<20 || c.install.rate != 0 ||
		!reflect.DeepEqual(c.failover.modes, []string{failoverTransfer, failoverKill}) {
		t.Errorf("parsed: %+v", c)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-scaling_values", "64,big"}, `-scaling_values: "big" is not a positive integer`},
		{[]string{"-scaling_nodes", "0"}, `-scaling_nodes: "0" is not a positive integer`},
		{[]string{"-scaling_nodes", ","}, "-scaling_nodes: empty list"},
		{[]string{"-scaling_bytes", "0"}, "-scaling_bytes"},
		{[]string{"-scaling_min_requests", "10", "-scaling_requests", "5"}, "at most -scaling_requests"},
		{[]string{"-failover_modes", "partition"}, `-failover_modes: unknown "partition"`},
		{[]string{"-failover_steady", "0s"}, "-failover_steady must be positive"},
		{[]string{"-install_rate", "-1"}, "-install_rate between 0 and 1000000"},
		{[]string{"-install_rate", "2000000000"}, "-install_rate between 0 and 1000000"}, // a ticker of 0 ns panics
		{[]string{"-install_snapshot_entries", "0"}, "-install_snapshot_entries"},
	} {
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", tc.args, err, tc.err)
		}
	}
}

func TestSizeName(t *testing.T) {
	for n, want := range map[int]string{64: "64B", 1024: "1KiB", 16384: "16KiB", 262144: "256KiB", 1500: "1500B", 1 << 20: "1MiB"} {
		if got := sizeName(n); got != want {
			t.Errorf("sizeName(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBenchmarkArgs(t *testing.T) {
	set, _ := testByName("SET")
	got := strings.Join(benchmarkArgs(set, 50, 1, 1024, 256, 262144), " ")
	if want := "-c 50 -n 1024 -r 256 -d 262144 -P 1 --csv -t set"; got != want {
		t.Errorf("args %q, want %q", got, want)
	}
}

func TestScalingTable(t *testing.T) {
	cell := func(nodes, size int, test string, rps float64) scalingCell {
		return scalingCell{Nodes: nodes, ValueSize: size, Test: test, Requests: 1000, Keys: 250, Row: Row{RPS: rps, P99Ms: 2},
			CPU: 30 * time.Microsecond, Command: "redis-benchmark -t " + strings.ToLower(test)}
	}
	// In the order measured: by cluster size, then value size.
	cells := []scalingCell{
		cell(1, 64, "SET", 20000), cell(1, 64, "GET", 40000), cell(1, 1024, "SET", 10000), cell(1, 1024, "GET", 30000),
		cell(3, 64, "SET", 10000), cell(3, 64, "GET", 20000), cell(3, 1024, "SET", 2500),
	}
	m := matrixOf(cells, "GET")
	if !reflect.DeepEqual(m.Sizes, []int{64, 1024}) || !reflect.DeepEqual(m.Nodes, []int{1, 3}) || m.RPS[[2]int{1024, 1}] != 30000 {
		t.Errorf("GET matrix %+v", m)
	}
	if _, ok := m.RPS[[2]int{1024, 3}]; ok {
		t.Errorf("GET matrix has a cell that was not measured: %+v", m)
	}
	var out bytes.Buffer
	writeScalingReport(&out, &results{Scaling: cells})
	text := out.String()
	for _, want := range []string{
		"SET value 1 node 3 nodes",
		"64B 20,000 10,000",
		"1KiB 10,000 2,500",
		"1KiB 30,000 -", // GET at 3 nodes, 1 KiB: not measured
		"3 1KiB SET 2,500 0.25x 2.6 0.000 2.000 0.000 30.0 redis-benchmark -t set", // a quarter of the single node's; 2,500 x 1024 B/s
	} {
		if !hasLine(text, want) {
			t.Errorf("report lacks a line %q:\n%s", want, text)
		}
	}
	var empty bytes.Buffer
	writeScalingReport(&empty, newResults())
	if empty.Len() != 0 {
		t.Errorf("report of no scaling phase: %q", empty.String())
	}
}

func TestInstallAndFailoverReports(t *testing.T) {
	var out bytes.Buffer
	writeScalingReport(&out, &results{
		Install: &installResult{Keys: 1_000_000, Rate: 1000, Clients: 16, Target: 1_234_567, CaughtUp: 12 * time.Second,
			Restored: 9 * time.Second, RestoredIndex: 1_200_000, LoadTook: 20 * time.Second,
			Before: Row{RPS: 1000, P99Ms: 4}, During: Row{RPS: 990, P99Ms: 10}, BeforeN: 10000, DuringN: 12000, DuringFailed: 2,
			Failures: map[string]int{"SET: TRYAGAIN": 2}},
		Failover: []*failoverResult{{Mode: failoverKill, How: "SIGKILL of the leader", Keys: 100, Clients: 8,
			Steady: Row{P99Ms: 2}, Change: Row{P99Ms: 3, MaxMs: 1500}, Election: Row{P99Ms: 1500, MaxMs: 1500}, SteadyN: 5000, ChangeN: 900, ElectionN: 8,
			ChangeFailed: 1, ElectionFailed: 1, Failures: map[string]int{"GET: x": 1, "GET: y": 3}, Elected: 1400 * time.Millisecond, Window: 2400 * time.Millisecond}},
	})
	text := out.String()
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"holding 1,000,000 keys (loaded in 20.00 s, 50,000 keys/s)",
		"caught up in 12.00 s", "applied index reached 1,234,567", "snapshot at index 1,200,000 restored at +9.00 s",
		"until it caught up (SET) 12,000 2 990",
		"write p99 during the install: 2.50x the p99 before (10.000 vs 4.000 ms)",
		"2 x SET: TRYAGAIN",
		"named the new leader 1.40 s after the change",
		"until the new leader was known (GET) 8 1",
		"read p99 around the change: 1.50x the steady p99",
		"3 x GET: y 1 x GET: x", // most frequent first
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestSplitWindows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	samples := []sample{
		{start: t0, took: 5 * ms},                                      // ends before the change
		{start: t0.Add(8 * ms), took: 4 * ms},                          // in flight at the change
		{start: t0.Add(12 * ms), took: 100 * ms, failed: true},         // in the window
		{start: t0.Add(30 * ms), took: ms},                             // after it
		{start: t0.Add(2 * ms), took: 3 * ms, failed: true},            // ends before the change
		{start: t0.Add(9 * ms), took: ms},                              // ends at the change: in the window
		{start: t0.Add(20 * ms), took: ms},                             // starts at the window's end
		{start: t0.Add(20*ms + time.Microsecond), took: ms},            // after it
		{start: t0.Add(-time.Second), took: 1010*ms + time.Nanosecond}, // spans the change
	}
	before, during := splitWindows(samples, t0.Add(10*ms), t0.Add(20*ms))
	if len(before) != 2 || countFailed(before) != 1 {
		t.Errorf("before = %+v", before)
	}
	if len(during) != 5 || countFailed(during) != 1 {
		t.Errorf("during = %+v", during)
	}
}

func TestRestoredSnapshot(t *testing.T) {
	log := `time=2026-12-04T22:54:28.100Z level=INFO msg="joined cluster" id=2a members=3
time=2026-12-04T22:54:28.512Z level=INFO msg="restored snapshot from leader" node=2a index=6730 term=2
time=2026-12-04T22:54:29.000Z level=INFO msg="restored snapshot from leader" node=2a index=9000 term=2
`
	got, ok, err := restoredSnapshot(log)
	if err != nil || !ok || got.Index != 6730 || !got.Time.Equal(time.Date(2026, 12, 4, 22, 54, 28, 512e6, time.UTC)) {
		t.Errorf("restoredSnapshot = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := restoredSnapshot(`time=2026-12-04T22:54:28.100Z level=INFO msg="joined cluster"`); ok || err != nil {
		t.Errorf("no record: %v, %v", ok, err)
	}
	if _, _, err := restoredSnapshot(`time=2026-12-04T22:54:28.100Z level=INFO msg="restored snapshot from leader" index=x`); err == nil {
		t.Error("a bad index is not an error")
	}
}

// hasLine reports whether some line of text has the words of want, in
// order, whatever the spaces between them (tabwriter pads the columns).
func hasLine(text, want string) bool {
	w := strings.Fields(want)
	for _, line := range strings.Split(text, "\n") {
		if reflect.DeepEqual(strings.Fields(line), w) {
			return true
		}
	}
	return false
}

// A run without the throughput phase (bench-scaling's keyspace runs)
// prints the targets it measured, not two dozen "not measured" lines.
func TestTargetsWithoutThroughput(t *testing.T) {
	r := newResults()
	r.Memory = &memoryResult{Keys: 1000, RedisRSS: 200_000, RaftcacheRSS: 150_000}
	var out bytes.Buffer
	writeReport(&out, r)
	text := out.String()
	if !strings.Contains(text, "memory per key (RSS)") || strings.Contains(text, "single node, durable SET") || strings.Contains(text, statusNone) {
		t.Errorf("targets of a keyspace-only run:\n%s", text)
	}
	r.add(runKey{srvSingle, "SET", 1}, Row{RPS: 1000})
	out.Reset()
	writeReport(&out, r)
	if !strings.Contains(out.String(), "single node, durable SET") {
		t.Errorf("with a throughput run, its targets go missing:\n%s", out.String())
	}
}
