package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/raftcache/raftcache/cmd/raftcache-jepsen/elle"
)

// TestInterpretTxn checks how a list-append transaction's replies are
// classified: EXEC nil, EXECABORT and CLUSTERDOWN prove nothing ran (a
// failure), TRYAGAIN leaves a writing transaction unknown, a transaction
// that only reads and did not succeed is a failure, and a reply no correct
// server gives is odd (an element nobody appended is kept as -1, for elle
// to report).
func TestInterpretTxn(t *testing.T) {
	ok := reply{kind: '+', str: "OK"}
	queued := reply{kind: '+', str: "QUEUED"}
	e := func(s string) reply { return reply{kind: '-', str: s} }
	num := func(n int64) reply { return reply{kind: ':', num: n} }
	list := func(vs ...string) reply {
		r := reply{kind: '*', elems: []reply{}}
		for _, v := range vs {
			r.elems = append(r.elems, reply{kind: '$', str: v})
		}
		return r
	}
	arr := func(rs ...reply) reply { return reply{kind: '*', elems: rs} }
	app := elle.Op{Kind: elle.Append, Key: "x", Value: 7}
	read := elle.Op{Kind: elle.Read, Key: "y"}
	for _, tc := range []struct {
		name  string
		mode  txnMode
		ops   []elle.Op
		rs    []reply
		st    status
		lists [][]int // the reads' results, when st is ok
		odd   bool
	}{
		{"multi ok", modeMulti, []elle.Op{app, read}, []reply{ok, queued, queued, arr(num(3), list("1", "2"))}, statusOK, [][]int{nil, {1, 2}}, false},
		{"multi empty read", modeMulti, []elle.Op{read}, []reply{ok, queued, arr(list())}, statusOK, [][]int{{}}, false},
		{"multi exec nil", modeMulti, []elle.Op{app}, []reply{ok, queued, {kind: '*', null: true}}, statusFail, nil, true},
		{"multi execabort", modeMulti, []elle.Op{app}, []reply{ok, e("ERR wrong"), e("EXECABORT Transaction discarded because of previous errors.")}, statusFail, nil, false},
		{"multi clusterdown", modeMulti, []elle.Op{app}, []reply{ok, queued, e("CLUSTERDOWN The cluster is down: no leader")}, statusFail, nil, false},
		{"multi tryagain", modeMulti, []elle.Op{app, read}, []reply{ok, queued, queued, e("TRYAGAIN write outcome unknown: timed out")}, statusUnknown, nil, false},
		{"multi tryagain read only", modeMulti, []elle.Op{read}, []reply{ok, queued, e("TRYAGAIN write outcome unknown: timed out")}, statusFail, nil, false},
		{"multi short exec", modeMulti, []elle.Op{app, read}, []reply{ok, queued, queued, arr(num(3))}, statusUnknown, nil, true},
		{"multi error inside exec", modeMulti, []elle.Op{app}, []reply{ok, queued, arr(e("WRONGTYPE Operation against a key holding the wrong kind of value"))}, statusUnknown, nil, true},
		{"eval ok", modeEval, []elle.Op{read, app}, []reply{arr(list("5"), num(2))}, statusOK, [][]int{{5}, nil}, false},
		{"eval clusterdown", modeEval, []elle.Op{app}, []reply{e("CLUSTERDOWN The cluster is down: no leader")}, statusFail, nil, false},
		{"eval script error", modeEval, []elle.Op{app}, []reply{e("ERR user_script:1: boom")}, statusUnknown, nil, true},
		{"eval garbage element", modeEval, []elle.Op{read}, []reply{arr(list("5", "x"))}, statusOK, [][]int{{5, -1}}, true},
		{"bare rpush", modeBare, []elle.Op{app}, []reply{num(1)}, statusOK, [][]int{nil}, false},
		{"bare lrange", modeBare, []elle.Op{read}, []reply{list("4", "9")}, statusOK, [][]int{{4, 9}}, false},
		{"bare rpush zero", modeBare, []elle.Op{app}, []reply{num(0)}, statusUnknown, nil, true},
		{"bare lrange not a list", modeBare, []elle.Op{read}, []reply{{kind: '$', str: "4"}}, statusFail, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aw := appendWorkload{workload: &workload{clusterDownDefinite: true}}
			rec := txnRecord{mode: tc.mode, ops: slices.Clone(tc.ops)}
			st, _ := aw.interpretTxn(&rec, tc.rs)
			if st != tc.st {
				t.Errorf("status %v, want %v", st, tc.st)
			}
			if st == statusOK {
				var got [][]int
				for _, o := range rec.ops {
					got = append(got, o.List)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.lists) {
					t.Errorf("reads %v, want %v", got, tc.lists)
				}
			}
			if (aw.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", aw.numOdd, aw.oddReplies, tc.odd)
			}
		})
	}
}

// TestTxnCommands checks what a transaction sends in each mode.
func TestTxnCommands(t *testing.T) {
	ops := []elle.Op{{Kind: elle.Append, Key: "a", Value: 3}, {Kind: elle.Read, Key: "b"}}
	for _, tc := range []struct {
		mode txnMode
		ops  []elle.Op
		want string
	}{
		{modeMulti, ops, "[[MULTI] [RPUSH a 3] [LRANGE b 0 -1] [EXEC]]"},
		{modeEval, ops, "[[EVAL " + appendScript + " 2 a b 3 r]]"},
		{modeBare, ops[1:], "[[LRANGE b 0 -1]]"},
	} {
		if got := fmt.Sprint(txnCommands(tc.mode, tc.ops)); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.mode, got, tc.want)
		}
	}
}
