package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
// against three nodes with every kind of fault, with snapshots every 100
// entries so that snapshots are taken and installed under faults. The run
// itself fails when too little happened (see vacuity). Set
// RAFTCACHE_JEPSEN_KEEP=1 to keep its output directory (node logs,
// history, visualization) when it fails.
func TestShortRun(t *testing.T) {
	cfg := shortRun(buildRaftcache(t), workloadRegister, 60*time.Second, 500)
	cfg.faultEvery, cfg.faultHold = time.Second, 3*time.Second
	runJepsen(t, cfg)
}

// TestShortRunAppend runs the list-append workload for half a minute
// against three nodes with every kind of fault, snapshots every 100
// entries: elle must find the history strictly serializable, and the run
// fails when too little happened (see vacuity), a kind of fault among
// them.
func TestShortRunAppend(t *testing.T) {
	cfg := shortRun(buildRaftcache(t), workloadAppend, 35*time.Second, 300)
	cfg.faultEvery, cfg.faultHold = 500*time.Millisecond, 2*time.Second
	runJepsen(t, cfg)
}

// TestShortRunQueue runs producers and consumers (the queue workload:
// BRPOP and BLMOVE consumers) for 25 s against three nodes with every
// kind of fault: every acknowledged element must be delivered exactly
// once, or still be queued or in one processing list. minOK is a floor
// that shows the run did something: the producers pause so that the
// consumers wait in blocking pops, and on a loaded machine (load average
// 33 on two cores) runs pushed 745 to 1070 elements.
func TestShortRunQueue(t *testing.T) {
	runJepsen(t, shortRun(buildRaftcache(t), workloadQueue, 25*time.Second, 200))
}

// TestShortRunStream runs stream producers (XADD) and consumers of one
// group (XREADGROUP, then XACK) for 25 s against three nodes with every
// kind of fault: no entry may be delivered twice, and every acknowledged
// one must be delivered, pending for a consumer whose read was lost, or
// not yet delivered. minOK as in TestShortRunQueue: loaded runs added
// 489 to 973 entries.
func TestShortRunStream(t *testing.T) {
	runJepsen(t, shortRun(buildRaftcache(t), workloadStream, 25*time.Second, 200))
}

// TestShortRunScript runs the script workload (compare-and-set EVALs,
// pairs written by one EVAL and read by MGET and EVAL, among the register
// workload's operations) for 25 s against three nodes with every kind of
// fault: porcupine must find it linearizable, no pair read torn, and some
// compare-and-sets must have set and some not (see scriptStats.problems).
func TestShortRunScript(t *testing.T) {
	runJepsen(t, shortRun(buildRaftcache(t), workloadScript, 25*time.Second, 300))
}

// TestShortRunPubsub runs publishers and subscribers on every node (the
// pub/sub workload) for 25 s against three nodes with every kind of
// fault, snapshots every 100 entries so that lagging followers install
// them: every subscriber that stayed connected must receive every
// acknowledged message once, all in one order, none before the write its
// publisher made first is visible on the subscriber's node. minOK is a
// floor that shows the run did something: in one run of three a long
// leaderless stretch left 446 publishes acknowledged (1230 refused with
// CLUSTERDOWN), and it passed.
func TestShortRunPubsub(t *testing.T) {
	runJepsen(t, shortRun(buildRaftcache(t), workloadPubsub, 25*time.Second, 200))
}

// TestSmallClustersKillRestart runs one and two nodes, the default
// single node of `make run` among them, on a slow disk (every Ready
// persisted 20ms late, a failpoint of a -tags failpoints build) under
// kills, torn WALs, failing disks on the single node (a WAL that returns
// EIO: the node must stop by itself; with two, where each such stop takes
// the cluster down, one run in CI was left without a read answered right
// after a restart) and, with two, transfers, each node's clock off
// by up to 30 s either way (no TTLs here, so nothing may differ), and reads the latest
// written keys on each restarted node before anything else is asked of
// it: the single node at its first election (see readAfterRestart). A
// node that answers those reads before it has caught up with the writes
// it acknowledged before it was killed fails the check: with item 1 of
// issue 9 reverted (a single voter answering a read barrier with the
// commit index it restarted with) the single-node run failed within 2 to
// 8 restarts (doc.go has the measurement). The single node keeps the
// server's snapshot interval, so that it restarts from its log, as `make
// run` does until its first snapshot: it then campaigns once serving
// (with a snapshot it campaigns while it starts, before it serves).
func TestSmallClustersKillRestart(t *testing.T) {
	bin := buildRaftcache(t, "failpoints")
	for _, tc := range []struct {
		nodes   int
		nemeses []string
		snapN   uint64
	}{
		{1, []string{nemKill, nemTornWAL, nemDiskFault}, 0},
		{2, []string{nemKill, nemTornWAL, nemTransfer}, 100},
	} {
		t.Run(fmt.Sprintf("nodes=%d", tc.nodes), func(t *testing.T) {
			// minOK is only a floor that shows the run did something: on
			// the slow disk, a loaded CI machine completed 166 reads in a
			// run whose history was linearizable, and with failing disks
			// too (each takes the two-node cluster down), 90.
			cfg := shortRun(bin, workloadRegister, 25*time.Second, 50)
			cfg.nemeses, cfg.nodes, cfg.snapN = tc.nemeses, tc.nodes, tc.snapN
			cfg.faultEvery, cfg.faultHold = 500*time.Millisecond, time.Second
			cfg.saveDelay, cfg.clockSkew = 20*time.Millisecond, 30*time.Second
			runJepsen(t, cfg)
		})
	}
}

// shortRun is what the short runs of make test share: the binary bin
// (see buildRaftcache) running workload for d on three nodes with every
// kind of fault, a fault every 300 ms held 1.5 s, snapshots every 100
// entries, and at least minOK reads and writes succeeding (see vacuity).
func shortRun(bin, workload string, d time.Duration, minOK int) config {
	return config{
		bin: bin, workload: workload, duration: d, nemeses: allNemeses(),
		nodes: 3, clients: 6, keys: 4, opsPerKey: 200, seed: uint64(time.Now().UnixNano()),
		opTimeout: 3 * time.Second, srvTimeout: 2 * time.Second,
		faultEvery: 300 * time.Millisecond, faultHold: 1500 * time.Millisecond, think: 5 * time.Millisecond,
		checkTimeout: time.Minute, recoverBound: 30 * time.Second, snapN: 100, minOK: minOK,
		clusterDownDefinite: true,
	}
}

// buildRaftcache builds the server binary for a test, with the build
// tags given (failpoints: see cluster/failpoint.go).
func buildRaftcache(t *testing.T, tags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "raftcache")
	build := exec.Command("go", "build", "-tags", strings.Join(tags, ","), "-o", bin, "../raftcache")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build raftcache: %v\n%s", err, out)
	}
	return bin
}

// runJepsen runs the checker with cfg (its output in a new directory)
// and fails t unless the run passes.
func runJepsen(t *testing.T, cfg config) {
	t.Helper()
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
	cfg.out = out
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
	getIncr := func(c int, call, ret int64, exists bool, v, r int64) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: input{kind: opReadIncr, key: "k"}, Output: output{exists: exists, val: v, incr: r}}
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want bool
	}{
		{"getincr from missing", []porcupine.Operation{getIncr(0, 0, 1, false, 0, 1), get(1, 2, 3, true, 1)}, true},
		{"getincr after set", []porcupine.Operation{set(0, 0, 1, 10), getIncr(0, 2, 3, true, 10, 11)}, true},
		{"getincr stale read", []porcupine.Operation{set(0, 0, 1, 10), set(0, 2, 3, 20), getIncr(1, 4, 5, true, 10, 21)}, false},
		{"getincr torn", []porcupine.Operation{set(0, 0, 1, 10), getIncr(1, 2, 3, true, 10, 12)}, false},
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

// TestCheckSets checks the lost-write test on the sets: an acknowledged
// add that is missing is lost, a definitely failed one that is present
// and an element nobody added are reported, unknown ones may go either way.
func TestCheckSets(t *testing.T) {
	add := func(elem string, st status) record {
		return record{in: input{kind: opAdd, key: "s", elem: elem}, st: st}
	}
	recs := []record{
		add("acked", statusOK), add("acked-lost", statusOK),
		add("unknown-in", statusUnknown), add("unknown-out", statusUnknown),
		add("failed-out", statusFail), add("failed-in", statusFail),
		{in: input{kind: opSet, key: "k", val: 1}, st: statusOK},
	}
	sets := map[string]map[string]bool{"s": {"acked": true, "unknown-in": true, "failed-in": true, "invented": true}}
	got := checkSets(recs, sets)
	got.examples = nil
	want := setResult{acked: 2, unknown: 2, failed: 2, lost: 1, unknownSeen: 1, failedSeen: 1, invented: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("checkSets = %+v, want %+v", got, want)
	}
}

// TestInterpret checks how replies are classified: CLUSTERDOWN proves a
// write did not happen, TRYAGAIN leaves it unknown, and a reply that no
// correct server gives is counted as odd (and, for a read, kept with an
// impossible value so that porcupine rejects it).
func TestInterpret(t *testing.T) {
	ok := func(s string) reply { return reply{kind: '+', str: s} }
	e := func(s string) reply { return reply{kind: '-', str: s} }
	num := func(n int64) reply { return reply{kind: ':', num: n} }
	bulk := func(s string) reply { return reply{kind: '$', str: s} }
	get := input{kind: opGet, key: "k"}
	set := input{kind: opSet, key: "k", val: 5}
	multi := input{kind: opMulti, key: "k", val: 5}
	add := input{kind: opAdd, key: "s", elem: "e"}
	for _, tc := range []struct {
		name string
		in   input
		rs   []reply
		st   status
		out  output
		odd  bool
	}{
		{"get value", get, []reply{bulk("7")}, statusOK, output{exists: true, val: 7}, false},
		{"get nil", get, []reply{{kind: '$', null: true}}, statusOK, output{}, false},
		{"get clusterdown", get, []reply{e("CLUSTERDOWN The cluster is down: no leader")}, statusFail, output{unknown: true}, false},
		{"get garbage", get, []reply{bulk("x")}, statusOK, output{exists: true, val: math.MinInt64}, true},
		{"get odd error", get, []reply{e("ERR boom")}, statusFail, output{unknown: true}, true},
		{"set ok", set, []reply{ok("OK")}, statusOK, output{}, false},
		{"set clusterdown", set, []reply{e("CLUSTERDOWN The cluster is down: no leader")}, statusFail, output{unknown: true}, false},
		{"set tryagain", set, []reply{e("TRYAGAIN write outcome unknown: timed out")}, statusUnknown, output{unknown: true}, false},
		{"set odd error", set, []reply{e("ERR boom")}, statusUnknown, output{unknown: true}, true},
		{"add new", add, []reply{num(1)}, statusOK, output{}, false},
		{"add counted twice", add, []reply{num(0)}, statusUnknown, output{unknown: true}, true},
		{"multi", multi, []reply{ok("OK"), ok("QUEUED"), ok("QUEUED"), {kind: '*', elems: []reply{ok("OK"), num(6)}}}, statusOK, output{val: 6}, false},
		{"multi tryagain", multi, []reply{ok("OK"), ok("QUEUED"), ok("QUEUED"), e("TRYAGAIN write outcome unknown")}, statusUnknown, output{unknown: true}, false},
		{"getincr", input{kind: opReadIncr, key: "k"}, []reply{ok("OK"), ok("QUEUED"), ok("QUEUED"), {kind: '*', elems: []reply{bulk("5"), num(6)}}}, statusOK, output{exists: true, val: 5, incr: 6}, false},
		{"getincr missing", input{kind: opReadIncr, key: "k"}, []reply{ok("OK"), ok("QUEUED"), ok("QUEUED"), {kind: '*', elems: []reply{{kind: '$', null: true}, num(1)}}}, statusOK, output{incr: 1}, false},
		{"exec aborted by watch", multi, []reply{ok("OK"), ok("QUEUED"), ok("QUEUED"), {kind: '*', null: true}}, statusUnknown, output{unknown: true}, true},
		{"multi refused while queuing", multi, []reply{ok("OK"), e("CLUSTERDOWN The cluster is down: no leader"), e("CLUSTERDOWN The cluster is down: no leader"), e("EXECABORT Transaction discarded because of previous errors.")}, statusFail, output{unknown: true}, false},
		{"multi exec refused", multi, []reply{ok("OK"), ok("QUEUED"), e("CLUSTERDOWN The cluster is down: no leader"), e("EXECABORT Transaction discarded because of: CLUSTERDOWN The cluster is down: no leader")}, statusFail, output{unknown: true}, false},
		{"multi aborted otherwise", multi, []reply{ok("OK"), ok("QUEUED"), ok("QUEUED"), e("EXECABORT Transaction discarded because of previous errors.")}, statusUnknown, output{unknown: true}, true},
		{"multi not queued", multi, []reply{ok("OK"), e("ERR x"), ok("QUEUED"), e("EXECABORT Transaction discarded")}, statusUnknown, output{unknown: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := workload{clusterDownDefinite: true}
			st, out, _ := w.interpret(tc.in, tc.rs)
			if st != tc.st || out != tc.out {
				t.Errorf("interpret = %v %+v, want %v %+v", st, out, tc.st, tc.out)
			}
			if (w.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", w.numOdd, w.oddReplies, tc.odd)
			}
		})
	}
}

// TestInterpretHTTP checks the same classification for the HTTP API.
func TestInterpretHTTP(t *testing.T) {
	get := input{kind: opGet, key: "k"}
	set := input{kind: opSet, key: "k", val: 5}
	for _, tc := range []struct {
		name string
		in   input
		code int
		body string
		st   status
		out  output
		odd  bool
	}{
		{"get value", get, 200, "7", statusOK, output{exists: true, val: 7}, false},
		{"get missing", get, 404, `{"error":"key not found"}`, statusOK, output{}, false},
		{"get unavailable", get, 503, `{"error":"cluster unavailable: no leader"}`, statusFail, output{unknown: true}, false},
		{"get garbage", get, 200, "x", statusOK, output{exists: true, val: math.MinInt64}, true},
		{"get 500", get, 500, `{"error":"boom"}`, statusFail, output{unknown: true}, true},
		{"set ok", set, 204, "", statusOK, output{}, false},
		{"set no leader", set, 503, `{"error":"cluster unavailable: no leader"}`, statusFail, output{unknown: true}, false},
		{"set unknown", set, 503, `{"error":"write outcome unknown: timed out after 2s"}`, statusUnknown, output{unknown: true}, false},
		{"set 500", set, 500, `{"error":"write outcome unknown: disk on fire"}`, statusUnknown, output{unknown: true}, true},
		{"set 404", set, 404, `{"error":"not found"}`, statusUnknown, output{unknown: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := workload{clusterDownDefinite: true}
			st, out, _ := w.interpretHTTP(tc.in, tc.code, []byte(tc.body))
			if st != tc.st || out != tc.out {
				t.Errorf("interpretHTTP = %v %+v, want %v %+v", st, out, tc.st, tc.out)
			}
			if (w.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", w.numOdd, w.oddReplies, tc.odd)
			}
		})
	}
}

// TestPruneKeepsVerdict checks on random histories of one key that
// leaving out the unknown SETs (and compare-and-sets) nobody observed
// never changes porcupine's verdict, and that it does leave some out.
func TestPruneKeepsVerdict(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := registerModel()
	pruned, illegal := 0, 0
	for range 400 {
		ops := randomHistory(rng)
		kept, n := prune(ops)
		pruned += n
		want := porcupine.CheckOperations(model, ops)
		if !want {
			illegal++
		}
		if got := porcupine.CheckOperations(model, kept); got != want {
			for _, op := range ops {
				t.Logf("%d-%d %s", op.Call, op.Return, describeOp(op.Input.(input), op.Output.(output)))
			}
			t.Fatalf("linearizable = %v with every operation, %v after pruning %d", want, got, n)
		}
	}
	if pruned == 0 || illegal == 0 || illegal == 400 {
		t.Errorf("pruned %d operations; %d of 400 histories illegal: the test does not exercise both verdicts", pruned, illegal)
	}
}

// randomHistory runs a few operations on one register with random
// overlapping intervals, each taking effect at a random point inside its
// interval; some writes end with an unknown outcome (taking effect or not)
// and some outputs are then corrupted.
func randomHistory(rng *rand.Rand) []porcupine.Operation {
	type timed struct {
		op    porcupine.Operation
		point int64
		apply bool
	}
	var ts []timed
	next := int64(1000)
	for i := range 10 {
		call := int64(rng.IntN(100))
		ret := call + 1 + int64(rng.IntN(30))
		in := input{key: "k"}
		switch rng.IntN(7) {
		case 0:
			in.kind = opGet
		case 1:
			in.kind, in.val = opSet, next
			next += 1000
		case 2:
			in.kind = opIncr
		case 3:
			in.kind, in.val = opMulti, next
			next += 1000
		case 4, 5:
			// Its expected value is chosen when it takes effect.
			in.kind, in.val = opCAS, next
			next += 1000
		default:
			in.kind = opReadIncr
		}
		ts = append(ts, timed{op: porcupine.Operation{ClientId: i, Call: call, Return: ret, Input: in},
			point: call + int64(rng.IntN(int(ret-call))), apply: true})
	}
	slices.SortFunc(ts, func(a, b timed) int { return int(a.point - b.point) })
	var st register
	for i := range ts {
		in := ts[i].op.Input.(input)
		if in.kind == opCAS {
			// The value there half the time, else one the key held or
			// may hold (SET values, one INCRed, or 0: never held).
			in.old = st.val
			if !st.exists || rng.IntN(2) == 0 {
				in.old = 1000*int64(rng.IntN(int(next/1000))) + int64(rng.IntN(2))
			}
			ts[i].op.Input = in
		}
		unknown := in.kind != opGet && rng.IntN(3) == 0
		if unknown && rng.IntN(2) == 0 {
			ts[i].apply = false
		}
		var out output
		if ts[i].apply {
			switch in.kind {
			case opGet:
				out = output{exists: st.exists, val: st.val}
			case opReadIncr:
				out = output{exists: st.exists, val: st.val}
			case opCAS:
				out = output{exists: st.exists, val: st.val}
				if st.exists && st.val == in.old {
					out = output{swapped: true}
				}
			}
			_, st = step(st, in, output{unknown: true})
			switch in.kind {
			case opIncr, opMulti:
				out.val = st.val
			case opReadIncr:
				out.incr = st.val
			}
		}
		if unknown {
			out = output{unknown: true}
			ts[i].op.Return = 1 << 20
		}
		ts[i].op.Output = out
	}
	if rng.IntN(3) == 0 { // corrupt one known output
		i := rng.IntN(len(ts))
		if out := ts[i].op.Output.(output); !out.unknown {
			out.val += 1000 * int64(1+rng.IntN(2))
			out.exists = true
			out.swapped = false
			ts[i].op.Output = out
		}
	}
	ops := make([]porcupine.Operation, len(ts))
	for i, t := range ts {
		ops[i] = t.op
	}
	return ops
}
