package main

import (
	"context"
	"math"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/raftcache/raftcache/cluster/clustertest"
)

// TestInterpretScript checks how the script operations' replies are
// read: a compare-and-set's integer 1 is a swap and its bulk string (even
// "1") or nil what it found; a pair read whose keys differ is torn; any
// other shape is odd.
func TestInterpretScript(t *testing.T) {
	num := func(n int64) reply { return reply{kind: ':', num: n} }
	bulk := func(s string) reply { return reply{kind: '$', str: s} }
	null := reply{kind: '$', null: true}
	arr := func(rs ...reply) reply { return reply{kind: '*', elems: rs} }
	e := func(s string) reply { return reply{kind: '-', str: s} }
	cas := input{kind: opCAS, key: "k", old: 1000, val: 2000}
	pset := input{kind: opPairSet, key: "k:pair", val: 3000}
	mget := input{kind: opPairMGet, key: "k:pair"}
	eget := input{kind: opPairEval, key: "k:pair"}
	for _, tc := range []struct {
		name string
		in   input
		r    reply
		st   status
		out  output
		odd  bool
	}{
		{"cas swapped", cas, num(1), statusOK, output{swapped: true}, false},
		{"cas found other", cas, bulk("1005"), statusOK, output{exists: true, val: 1005}, false},
		{"cas found the string 1", cas, bulk("1"), statusOK, output{exists: true, val: 1}, false},
		{"cas found nothing", cas, null, statusOK, output{}, false},
		{"cas tryagain", cas, e("TRYAGAIN write outcome unknown: timed out"), statusUnknown, output{unknown: true}, false},
		{"cas clusterdown", cas, e("CLUSTERDOWN The cluster is down: no leader"), statusFail, output{unknown: true}, false},
		{"cas odd integer", cas, num(0), statusUnknown, output{unknown: true}, true},
		{"pair set", pset, num(1), statusOK, output{}, false},
		{"pair set odd", pset, bulk("OK"), statusUnknown, output{unknown: true}, true},
		{"mget both", mget, arr(bulk("3000"), bulk("3000")), statusOK, output{exists: true, val: 3000}, false},
		{"mget neither", mget, arr(null, null), statusOK, output{}, false},
		{"mget torn", mget, arr(bulk("3000"), bulk("4000")), statusOK, output{exists: true, val: 3000, torn: true, exists2: true, val2: 4000}, false},
		{"mget half written", mget, arr(null, bulk("3000")), statusOK, output{torn: true, exists2: true, val2: 3000}, false},
		{"eval read both", eget, arr(bulk("3000"), bulk("3000")), statusOK, output{exists: true, val: 3000}, false},
		{"eval read torn", eget, arr(bulk("4000"), null), statusOK, output{exists: true, val: 4000, torn: true}, false},
		{"eval read one element", eget, arr(bulk("4000")), statusOK, output{exists: true, val: math.MinInt64}, true},
		{"eval read tryagain", eget, e("TRYAGAIN write outcome unknown: timed out"), statusFail, output{unknown: true}, false},
		{"mget clusterdown", mget, e("CLUSTERDOWN The cluster is down: no leader"), statusFail, output{unknown: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := workload{clusterDownDefinite: true}
			st, out, _ := w.interpret(tc.in, []reply{tc.r})
			if st != tc.st || out != tc.out {
				t.Errorf("interpret = %v %+v, want %v %+v", st, out, tc.st, tc.out)
			}
			if (w.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", w.numOdd, w.oddReplies, tc.odd)
			}
		})
	}
}

// TestScriptCommands checks what the script operations send: the pair's
// two real keys, and the compare-and-set's expected and new values.
func TestScriptCommands(t *testing.T) {
	got := commands(input{kind: opCAS, key: "k", old: 1000, val: 2000})
	if len(got) != 1 || len(got[0]) != 6 || got[0][0] != "EVAL" || got[0][2] != "1" || got[0][3] != "k" || got[0][4] != "1000" || got[0][5] != "2000" {
		t.Errorf("cas sends %q", got)
	}
	got = commands(input{kind: opPairMGet, key: pairOf("jepsen:0:1")})
	if len(got) != 1 || len(got[0]) != 3 || got[0][0] != "MGET" || got[0][1] != "jepsen:0:1:pair:a" || got[0][2] != "jepsen:0:1:pair:b" {
		t.Errorf("pair read sends %q", got)
	}
	got = commands(input{kind: opPairSet, key: pairOf("jepsen:0:1"), val: 7000})
	if len(got) != 1 || got[0][0] != "EVAL" || got[0][2] != "2" || got[0][3] != "jepsen:0:1:pair:a" || got[0][4] != "jepsen:0:1:pair:b" || got[0][5] != "7000" {
		t.Errorf("pair set sends %q", got)
	}
}

// TestModelScripts checks the model's compare-and-set and pairs on small
// hand-made histories, among them a compare-and-set that succeeded on a
// value already overwritten, one that failed although the value matched,
// a stale pair read and a torn one, which porcupine must reject.
func TestModelScripts(t *testing.T) {
	op := func(c int, call, ret int64, in input, out output) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: in, Output: out}
	}
	set := func(c int, call, ret, v int64) porcupine.Operation {
		return op(c, call, ret, input{kind: opSet, key: "k", val: v}, output{})
	}
	get := func(c int, call, ret int64, exists bool, v int64) porcupine.Operation {
		return op(c, call, ret, input{kind: opGet, key: "k"}, output{exists: exists, val: v})
	}
	cas := func(c int, call, ret, old, v int64, out output) porcupine.Operation {
		return op(c, call, ret, input{kind: opCAS, key: "k", old: old, val: v}, out)
	}
	pset := func(c int, call, ret, v int64) porcupine.Operation {
		return op(c, call, ret, input{kind: opPairSet, key: "p", val: v}, output{})
	}
	pget := func(c int, call, ret int64, kind opKind, out output) porcupine.Operation {
		return op(c, call, ret, input{kind: kind, key: "p"}, out)
	}
	swapped := output{swapped: true}
	found := func(v int64) output { return output{exists: true, val: v} }
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want bool
	}{
		{"cas swaps", []porcupine.Operation{set(0, 0, 1, 1000), cas(0, 2, 3, 1000, 2000, swapped), get(1, 4, 5, true, 2000)}, true},
		{"cas on missing finds nil", []porcupine.Operation{cas(0, 0, 1, 0, 2000, output{}), get(1, 2, 3, false, 0)}, true},
		{"cas mismatch reports the value", []porcupine.Operation{set(0, 0, 1, 1000), cas(0, 2, 3, 5000, 2000, found(1000)), get(1, 4, 5, true, 1000)}, true},
		{"cas swapped on an overwritten value", []porcupine.Operation{set(0, 0, 1, 1000), set(0, 2, 3, 3000), cas(1, 4, 5, 1000, 2000, swapped)}, false},
		{"cas failed though the value matched", []porcupine.Operation{set(0, 0, 1, 1000), cas(1, 2, 3, 1000, 2000, found(1000))}, false},
		{"cas mismatch reports a stale value", []porcupine.Operation{set(0, 0, 1, 1000), set(0, 2, 3, 3000), cas(1, 4, 5, 5000, 2000, found(1000))}, false},
		{"cas swap lost", []porcupine.Operation{set(0, 0, 1, 1000), cas(0, 2, 3, 1000, 2000, swapped), get(1, 4, 5, true, 1000)}, false},
		{"two cas on one value: one wins", []porcupine.Operation{set(0, 0, 1, 1000), cas(0, 2, 5, 1000, 2000, swapped), cas(1, 2, 5, 1000, 3000, swapped)}, false},
		{"two cas on one value: loser sees winner", []porcupine.Operation{set(0, 0, 1, 1000), cas(0, 2, 5, 1000, 2000, swapped), cas(1, 2, 5, 1000, 3000, found(2000))}, true},
		{"unknown cas may apply", []porcupine.Operation{set(0, 0, 1, 1000), cas(1, 2, 100, 1000, 2000, output{unknown: true}), get(0, 3, 4, true, 2000)}, true},
		{"unknown cas may not", []porcupine.Operation{set(0, 0, 1, 1000), cas(1, 2, 100, 1000, 2000, output{unknown: true}), get(0, 3, 4, true, 1000)}, true},
		{"unknown cas applies only if matched", []porcupine.Operation{set(0, 0, 1, 1000), cas(1, 2, 100, 5000, 2000, output{unknown: true}), get(0, 3, 4, true, 2000)}, false},
		{"pair read after write", []porcupine.Operation{pset(0, 0, 1, 1000), pget(1, 2, 3, opPairMGet, found(1000)), pget(1, 4, 5, opPairEval, found(1000))}, true},
		{"pair stale read", []porcupine.Operation{pset(0, 0, 1, 1000), pset(0, 2, 3, 2000), pget(1, 4, 5, opPairEval, found(1000))}, false},
		{"pair torn read", []porcupine.Operation{pset(0, 0, 1, 1000), pset(0, 2, 5, 2000), pget(1, 3, 4, opPairMGet, output{exists: true, val: 1000, torn: true, exists2: true, val2: 2000})}, false},
		{"pair half written", []porcupine.Operation{pset(0, 0, 3, 1000), pget(1, 1, 2, opPairEval, output{torn: true, exists2: true, val2: 1000})}, false},
	} {
		if got := porcupine.CheckOperations(registerModel(), tc.ops); got != tc.want {
			t.Errorf("%s: linearizable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCheckFlagsTornPair runs the whole check on records holding a torn
// pair read: porcupine rejects the pair's key, and countScripts reports
// the read as a problem of its own.
func TestCheckFlagsTornPair(t *testing.T) {
	recs := []record{
		{client: 0, in: input{kind: opPairSet, key: "p", val: 1000}, st: statusOK, call: 1, ret: 2},
		{client: 1, in: input{kind: opCAS, key: "k", old: 0, val: 2000}, out: output{}, st: statusOK, call: 1, ret: 2},
		{client: 1, in: input{kind: opCAS, key: "k", old: 0, val: 3000}, out: output{swapped: true}, st: statusOK, call: 3, ret: 4},
		{client: 0, in: input{kind: opPairSet, key: "p", val: 2000}, st: statusUnknown, out: output{unknown: true}, call: 3, ret: 4},
		{client: 2, in: input{kind: opPairMGet, key: "p"}, out: output{exists: true, val: 1000, torn: true, exists2: true, val2: 2000}, st: statusOK, call: 5, ret: 6},
	}
	v, err := check(recs, 10e9, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.result != porcupine.Illegal || len(v.badKeys) != 2 || v.badKeys[0] != "k" || v.badKeys[1] != "p" {
		t.Errorf("verdict %v, bad keys %v; want illegal on k (a cas swapped on a value it had just found absent) and p", v.result, v.badKeys)
	}
	s := countScripts(recs)
	if s.torn != 1 || s.swapped != 1 || s.mismatched != 1 || len(s.problems(false)) != 1 {
		t.Errorf("stats %+v, problems %q; want one torn read reported", s, s.problems(false))
	}
}

// TestScriptsAgainstRedis runs the script operations on redis-server, the
// oracle, and reads its replies as the checker does: the compare-and-set
// answers nil on a missing key, the integer 1 when it sets, and the bulk
// string it found otherwise ("1" included), and the pair reads answer nil
// elements for missing keys.
func TestScriptsAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server")
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	addrs, err := clustertest.FreeAddrs("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	srv := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var c *respConn
	for c == nil {
		if c, err = dialRESP(ctx, addrs[0]); err != nil {
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	defer c.close()
	w := workload{clusterDownDefinite: true}
	pair := pairOf("k")
	for _, step := range []struct {
		in  input
		out output
	}{
		{input{kind: opCAS, key: "k", old: 0, val: 1000}, output{}},
		{input{kind: opIncr, key: "k"}, output{val: 1}},
		{input{kind: opCAS, key: "k", old: 5, val: 2000}, output{exists: true, val: 1}},
		{input{kind: opCAS, key: "k", old: 1, val: 2000}, output{swapped: true}},
		{input{kind: opGet, key: "k"}, output{exists: true, val: 2000}},
		{input{kind: opPairMGet, key: pair}, output{}},
		{input{kind: opPairEval, key: pair}, output{}},
		{input{kind: opPairSet, key: pair, val: 3000}, output{}},
		{input{kind: opPairMGet, key: pair}, output{exists: true, val: 3000}},
		{input{kind: opPairEval, key: pair}, output{exists: true, val: 3000}},
		{input{kind: opSet, key: "k:pair:b", val: 4000}, output{}},
		{input{kind: opPairMGet, key: pair}, output{exists: true, val: 3000, torn: true, exists2: true, val2: 4000}},
		{input{kind: opPairEval, key: pair}, output{exists: true, val: 3000, torn: true, exists2: true, val2: 4000}},
	} {
		rs, err := c.do(ctx, commands(step.in)...)
		if err != nil {
			t.Fatal(err)
		}
		st, out, _ := w.interpret(step.in, rs)
		if st != statusOK || out != step.out {
			t.Errorf("%s: got %v %+v (replies %v), want ok %+v", describeOp(step.in, step.out), st, out, rs, step.out)
		}
	}
	if w.numOdd > 0 {
		t.Errorf("odd replies: %v", w.oddReplies)
	}
}
