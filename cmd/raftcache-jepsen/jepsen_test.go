package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestShortRun builds raftcache and runs the checker for about a minute
// against three nodes with kill, pause, partition, membership and torn-wal
// faults. Set RAFTCACHE_JEPSEN_KEEP=1 to keep its output directory (node
// logs, history, visualization) when it fails.
func TestShortRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "raftcache")
	build := exec.Command("go", "build", "-o", bin, "../raftcache")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build raftcache: %v\n%s", err, out)
	}
	out, err := os.MkdirTemp("", "raftcache-jepsen-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("RAFTCACHE_JEPSEN_KEEP") != "" {
			t.Logf("output kept in %s", out)
			return
		}
		os.RemoveAll(out)
	})
	nemeses, err := parseNemeses("kill,pause,partition,membership,torn-wal")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{
		bin: bin, duration: 60 * time.Second, nemeses: nemeses,
		nodes: 3, clients: 6, keys: 4, opsPerKey: 200, seed: uint64(time.Now().UnixNano()), out: out,
		opTimeout: 3 * time.Second, srvTimeout: 2 * time.Second,
		faultEvery: 3 * time.Second, faultHold: 3 * time.Second, think: 5 * time.Millisecond,
		checkTimeout: time.Minute, clusterDownDefinite: true,
	}
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := run(ctx, cfg, &logs)
	var summary strings.Builder
	if res != nil {
		res.print(&summary)
	}
	if err != nil || res == nil || !res.ok() {
		t.Logf("checker log:\n%s", tail(logs.String(), 150))
		for _, f := range nodeLogs(out) {
			b, _ := os.ReadFile(f)
			t.Logf("--- %s (tail)\n%s", filepath.Base(f), tail(string(b), 60))
		}
		t.Fatalf("run failed: %v\n%s", err, summary.String())
	}
	t.Logf("\n%s", summary.String())
	if len(res.faults) == 0 {
		t.Errorf("no fault was injected")
	}
	var ops int
	for k := range numOpKinds {
		ops += res.counts[k][statusOK]
	}
	if ops < 1000 {
		t.Errorf("only %d operations succeeded", ops)
	}
}

func nodeLogs(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "n*.log"))
	return files
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// TestModel checks the register model on small hand-made histories,
// including a lost write and a stale read that porcupine must reject.
func TestModel(t *testing.T) {
	set := func(c int, call, ret int64, v int64) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: input{kind: opSet, key: "k", val: v}, Output: output{}}
	}
	get := func(c int, call, ret int64, exists bool, v int64) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: input{kind: opGet, key: "k"}, Output: output{exists: exists, val: v}}
	}
	incr := func(c int, call, ret int64, v int64, unknown bool) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: input{kind: opIncr, key: "k"}, Output: output{val: v, unknown: unknown}}
	}
	multi := func(c int, call, ret int64, v, r int64) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: input{kind: opMulti, key: "k", val: v}, Output: output{val: r}}
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want bool
	}{
		{"read of missing key", []porcupine.Operation{get(0, 0, 1, false, 0)}, true},
		{"incr from missing", []porcupine.Operation{incr(0, 0, 1, 1, false), get(1, 2, 3, true, 1)}, true},
		{"set then incr", []porcupine.Operation{set(0, 0, 1, 10), incr(0, 2, 3, 11, false)}, true},
		{"lost write", []porcupine.Operation{set(0, 0, 1, 10), get(1, 2, 3, false, 0)}, false},
		{"stale read", []porcupine.Operation{set(0, 0, 1, 10), set(0, 2, 3, 20), get(1, 4, 5, true, 10)}, false},
		{"concurrent read sees either", []porcupine.Operation{set(0, 0, 1, 10), set(0, 2, 6, 20), get(1, 3, 4, true, 10)}, true},
		{"unknown incr may apply late", []porcupine.Operation{set(0, 0, 1, 10), incr(1, 2, 100, 0, true), get(0, 3, 4, true, 10), get(0, 5, 6, true, 11)}, true},
		{"unknown incr applies at most once", []porcupine.Operation{set(0, 0, 1, 10), incr(1, 2, 100, 0, true), get(0, 5, 6, true, 12)}, false},
		{"multi is atomic", []porcupine.Operation{multi(0, 0, 1, 10, 11), get(1, 2, 3, true, 11)}, true},
		{"multi torn", []porcupine.Operation{multi(0, 0, 3, 10, 11), get(1, 1, 2, true, 10)}, false},
	} {
		if got := porcupine.CheckOperations(registerModel(), tc.ops); got != tc.want {
			t.Errorf("%s: linearizable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestOperationsUnknownNeverReturn checks how records become porcupine
// operations: failed ones are dropped and unknown writes end after
// everything else.
func TestOperationsUnknownNeverReturn(t *testing.T) {
	recs := []record{
		{in: input{kind: opSet, key: "k", val: 1}, st: statusOK, call: 1, ret: 2},
		{in: input{kind: opSet, key: "k", val: 2}, st: statusFail, call: 3, ret: 4},
		{in: input{kind: opIncr, key: "k"}, out: output{unknown: true}, st: statusUnknown, call: 5, ret: 6},
		{in: input{kind: opGet, key: "k"}, out: output{exists: true, val: 2}, st: statusOK, call: 7, ret: 9},
	}
	ops := operations(recs)
	if len(ops) != 3 {
		t.Fatalf("got %d operations, want 3 (the failed write dropped)", len(ops))
	}
	if ops[1].Return <= 9 {
		t.Errorf("unknown write returns at %d, want after the last return (9)", ops[1].Return)
	}
}
