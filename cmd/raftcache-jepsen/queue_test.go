package main

import (
	"fmt"
	"testing"
)

// TestInterpretQueue checks how LPUSH and BRPOP replies are classified.
func TestInterpretQueue(t *testing.T) {
	bulk := func(s string) reply { return reply{kind: '$', str: s} }
	push := queueRecord{push: true, queue: queueKey(0), elem: "e"}
	pop := queueRecord{}
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
		{"pop odd error", pop, reply{kind: '-', str: "ERR boom"}, statusUnknown, "", true},
		{"pop short", pop, reply{kind: '*', elems: []reply{bulk("x")}}, statusUnknown, "", true},
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
// acknowledged, neither delivered nor queued, beyond what the unknown pops
// may have taken; twice delivered, delivered and queued, never pushed and
// failed-but-seen elements are each reported.
func TestCheckQueue(t *testing.T) {
	push := func(e string, st status) queueRecord { return queueRecord{push: true, queue: "q", elem: e, st: st} }
	pop := func(e string, st status) queueRecord { return queueRecord{queue: "q", elem: e, st: st} }
	for _, tc := range []struct {
		name   string
		recs   []queueRecord
		queued map[string]int
		want   string // lost duplicated invented failedSeen
	}{
		{"delivered or queued", []queueRecord{push("a", statusOK), push("b", statusOK), pop("a", statusOK), pop("", statusOK)}, map[string]int{"b": 1}, "0 0 0 0"},
		{"missing, explained by an unknown pop", []queueRecord{push("a", statusOK), pop("", statusUnknown)}, nil, "0 0 0 0"},
		{"lost", []queueRecord{push("a", statusOK), push("b", statusOK), pop("", statusUnknown)}, nil, "1 0 0 0"},
		{"delivered twice", []queueRecord{push("a", statusOK), pop("a", statusOK), pop("a", statusOK)}, nil, "0 1 0 0"},
		{"delivered and still queued", []queueRecord{push("a", statusOK), pop("a", statusOK)}, map[string]int{"a": 1}, "0 1 0 0"},
		{"never pushed", []queueRecord{pop("z", statusOK)}, map[string]int{"y": 1}, "0 0 2 0"},
		{"failed push seen", []queueRecord{push("a", statusFail), pop("a", statusOK)}, nil, "0 0 0 1"},
		{"unknown push either way", []queueRecord{push("a", statusUnknown), push("b", statusUnknown), pop("a", statusOK)}, nil, "0 0 0 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := checkQueue(tc.recs, tc.queued)
			if got := fmt.Sprint(v.lost, v.duplicated, v.invented, v.failedSeen); got != tc.want {
				t.Errorf("lost duplicated invented failedSeen = %s, want %s (%v)", got, tc.want, v.examples)
			}
			if v.ok() != (tc.want == "0 0 0 0") {
				t.Errorf("ok() = %v", v.ok())
			}
		})
	}
}
