package main

import (
	"fmt"
	"testing"
)

// TestInterpretQueue checks how LPUSH and BRPOP replies are classified.
func TestInterpretQueue(t *testing.T) {
	bulk := func(s string) reply { return reply{kind: '$', str: s} }
	push := queueRecord{op: opLPush, queue: queueKey(0), elem: "e"}
	pop := queueRecord{op: opBRPop}
	move := queueRecord{op: opBLMove, queue: queueKey(0), proc: procKey(1)}
	lrem := queueRecord{op: opLRem, proc: procKey(1), elem: "e"}
	for _, tc := range []struct {
		name string
		rec  queueRecord
		r    reply
		st   status
		elem string
		odd  bool
	}{
		{"push ok", push, reply{kind: ':', num: 3}, statusOK, "e", false},
		{"push clusterdown", push, reply{kind: '-', str: "CLUSTERDOWN The cluster is down: no leader"}, statusFail, "e", false},
		{"push tryagain", push, reply{kind: '-', str: "TRYAGAIN write outcome unknown"}, statusUnknown, "e", false},
		{"push zero", push, reply{kind: ':', num: 0}, statusUnknown, "e", true},
		{"pop element", pop, reply{kind: '*', elems: []reply{bulk(queueKey(1)), bulk("c0-7")}}, statusOK, "c0-7", false},
		{"pop timed out", pop, reply{kind: '*', null: true}, statusOK, "", false},
		{"pop tryagain", pop, reply{kind: '-', str: "TRYAGAIN write outcome unknown"}, statusUnknown, "", false},
		{"pop node shutting down", pop, reply{kind: '-', str: "UNBLOCKED the server is shutting down"}, statusUnknown, "", false},
		{"move node shutting down", move, reply{kind: '-', str: "UNBLOCKED the server is shutting down"}, statusUnknown, "", false},
		{"push unblocked", push, reply{kind: '-', str: "UNBLOCKED the server is shutting down"}, statusUnknown, "e", true},
		{"pop odd error", pop, reply{kind: '-', str: "ERR boom"}, statusUnknown, "", true},
		{"pop short", pop, reply{kind: '*', elems: []reply{bulk("x")}}, statusUnknown, "", true},
		{"move element", move, bulk("c0-7"), statusOK, "c0-7", false},
		{"move timed out", move, reply{kind: '*', null: true}, statusOK, "", false},
		{"move nil bulk", move, reply{kind: '$', null: true}, statusUnknown, "", true},
		{"move clusterdown", move, reply{kind: '-', str: "CLUSTERDOWN The cluster is down: no leader"}, statusFail, "", false},
		{"move array", move, reply{kind: '*', elems: []reply{bulk("c0-7")}}, statusUnknown, "", true},
		{"lrem removed", lrem, reply{kind: ':', num: 1}, statusOK, "e", false},
		{"lrem none", lrem, reply{kind: ':', num: 0}, statusOK, "e", false},
		{"lrem two", lrem, reply{kind: ':', num: 2}, statusUnknown, "e", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qw := queueWorkload{workload: &workload{clusterDownDefinite: true}}
			rec := tc.rec
			st, _ := qw.interpret(&rec, tc.r)
			if st != tc.st || rec.elem != tc.elem {
				t.Errorf("interpret = %v %q, want %v %q", st, rec.elem, tc.st, tc.elem)
			}
			if (qw.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", qw.numOdd, qw.oddReplies, tc.odd)
			}
		})
	}
}

// TestCheckQueue checks the exactly-once test: a lost element is one
// acknowledged, neither delivered nor queued nor in a processing list,
// beyond what the unknown BRPOPs may have taken; twice delivered,
// delivered and queued, in two places, never pushed and failed-but-seen
// elements are each reported, and so are BLMOVE deliveries that leave
// the processing list without an LREM, and elements in a processing list
// no BLMOVE of unknown outcome may have put there.
func TestCheckQueue(t *testing.T) {
	push := func(e string, st status) queueRecord { return queueRecord{op: opLPush, queue: "q", elem: e, st: st} }
	pop := func(e string, st status) queueRecord { return queueRecord{op: opBRPop, queue: "q", elem: e, st: st} }
	move := func(c int, e string, st status) queueRecord {
		return queueRecord{client: c, op: opBLMove, queue: "q", proc: procKey(c), elem: e, st: st}
	}
	lrem := func(c int, e string, st status, removed int64, at int64) queueRecord {
		return queueRecord{client: c, op: opLRem, proc: procKey(c), elem: e, st: st, removed: removed, call: at}
	}
	q := func(es ...string) map[string]int {
		m := map[string]int{}
		for _, e := range es {
			m[e]++
		}
		return m
	}
	in := func(c int, es ...string) map[string]map[int]int {
		m := map[string]map[int]int{}
		for _, e := range es {
			if m[e] == nil {
				m[e] = map[int]int{}
			}
			m[e][c]++
		}
		return m
	}
	for _, tc := range []struct {
		name string
		recs []queueRecord
		fin  queueFinal
		want string // lost duplicated invented failedSeen dropped unexplained
	}{
		{"delivered or queued", []queueRecord{push("a", statusOK), push("b", statusOK), pop("a", statusOK), pop("", statusOK)}, queueFinal{queued: q("b")}, "0 0 0 0 0 0"},
		{"missing, explained by an unknown pop", []queueRecord{push("a", statusOK), pop("", statusUnknown)}, queueFinal{}, "0 0 0 0 0 0"},
		{"lost", []queueRecord{push("a", statusOK), push("b", statusOK), pop("", statusUnknown)}, queueFinal{}, "1 0 0 0 0 0"},
		{"delivered twice", []queueRecord{push("a", statusOK), pop("a", statusOK), pop("a", statusOK)}, queueFinal{}, "0 1 0 0 0 0"},
		{"delivered and still queued", []queueRecord{push("a", statusOK), pop("a", statusOK)}, queueFinal{queued: q("a")}, "0 1 0 0 0 0"},
		{"never pushed", []queueRecord{pop("z", statusOK)}, queueFinal{queued: q("y")}, "0 0 2 0 0 0"},
		{"failed push seen", []queueRecord{push("a", statusFail), pop("a", statusOK)}, queueFinal{}, "0 0 0 1 0 0"},
		{"unknown push either way", []queueRecord{push("a", statusUnknown), push("b", statusUnknown), pop("a", statusOK)}, queueFinal{}, "0 0 0 0 0 0"},

		{"moved and removed", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusOK, 1, 1)}, queueFinal{}, "0 0 0 0 0 0"},
		{"moved, removal unknown then retried", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusUnknown, 0, 1), lrem(1, "a", statusOK, 0, 2)}, queueFinal{}, "0 0 0 0 0 0"},
		{"moved, removal failed: still processing", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusFail, 0, 1)}, queueFinal{processing: in(1, "a")}, "0 0 0 0 0 0"},
		{"moved, reply lost: orphaned in processing", []queueRecord{push("a", statusOK), move(1, "", statusUnknown)}, queueFinal{processing: in(1, "a")}, "0 0 0 0 0 0"},
		{"moved, reply lost, never happened", []queueRecord{push("a", statusOK), move(1, "", statusUnknown)}, queueFinal{queued: q("a")}, "0 0 0 0 0 0"},
		{"a lost BLMOVE reply cannot explain a missing element", []queueRecord{push("a", statusOK), move(1, "", statusUnknown)}, queueFinal{}, "1 0 0 0 0 0"},
		{"removed, but still processing", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusOK, 1, 1)}, queueFinal{processing: in(1, "a")}, "0 1 0 0 0 0"},
		{"moved and still queued", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusOK, 1, 1)}, queueFinal{queued: q("a")}, "0 1 0 0 0 0"},
		{"moved by two consumers", []queueRecord{push("a", statusOK), move(1, "a", statusOK), move(3, "a", statusOK), lrem(1, "a", statusOK, 1, 1), lrem(3, "a", statusOK, 1, 1)}, queueFinal{}, "0 1 0 0 0 0"},
		{"orphan delivered again", []queueRecord{push("a", statusOK), move(1, "", statusUnknown), pop("a", statusOK)}, queueFinal{processing: in(1, "a")}, "0 1 0 0 0 0"},
		{"in two processing lists", []queueRecord{push("a", statusOK), move(1, "", statusUnknown), move(3, "", statusUnknown)}, queueFinal{processing: map[string]map[int]int{"a": {1: 1, 3: 1}}}, "0 1 0 0 0 0"},
		{"not in the processing list at the first LREM", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusOK, 0, 1)}, queueFinal{}, "0 0 0 0 1 0"},
		{"gone from the processing list unremoved", []queueRecord{push("a", statusOK), move(1, "a", statusOK), lrem(1, "a", statusFail, 0, 1)}, queueFinal{}, "0 0 0 0 1 0"},
		{"in a processing list, moved by a BLMOVE that answered nil", []queueRecord{push("a", statusOK), move(1, "", statusOK)}, queueFinal{processing: in(1, "a")}, "0 0 0 0 0 1"},
		{"more orphans than lost replies", []queueRecord{push("a", statusOK), push("b", statusOK), move(1, "", statusUnknown)}, queueFinal{processing: in(1, "a", "b")}, "0 0 0 0 0 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := checkQueue(tc.recs, tc.fin)
			if got := fmt.Sprint(v.lost, v.duplicated, v.invented, v.failedSeen, v.dropped, v.unexplained); got != tc.want {
				t.Errorf("lost duplicated invented failedSeen dropped unexplained = %s, want %s (%v)", got, tc.want, v.examples)
			}
			if v.ok() != (tc.want == "0 0 0 0 0 0") {
				t.Errorf("ok() = %v", v.ok())
			}
		})
	}
}
