package main

import (
	"fmt"
	"testing"
)

// TestInterpretPubsub checks how the replies to a marker's SADD, a
// PUBLISH and a subscriber's pushes are classified.
func TestInterpretPubsub(t *testing.T) {
	sadd := []string{"SADD", pubsubMarkKey(0), "3"}
	pub := []string{"PUBLISH", pubsubChannel, "c0-3"}
	for _, tc := range []struct {
		name string
		cmd  []string
		r    reply
		st   status
		odd  bool
	}{
		{"sadd new", sadd, reply{kind: ':', num: 1}, statusOK, false},
		{"sadd already there", sadd, reply{kind: ':', num: 0}, statusUnknown, true},
		{"publish to none", pub, reply{kind: ':', num: 0}, statusOK, false},
		{"publish to two", pub, reply{kind: ':', num: 2}, statusOK, false},
		{"publish clusterdown", pub, reply{kind: '-', str: "CLUSTERDOWN The cluster is down: no leader"}, statusFail, false},
		{"publish tryagain", pub, reply{kind: '-', str: "TRYAGAIN write outcome unknown"}, statusUnknown, false},
		{"publish odd error", pub, reply{kind: '-', str: "ERR boom"}, statusUnknown, true},
		{"publish negative", pub, reply{kind: ':', num: -1}, statusUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pw := pubsubWorkload{workload: &workload{clusterDownDefinite: true}}
			if st, _ := pw.interpretWrite(tc.cmd, tc.r); st != tc.st {
				t.Errorf("interpretWrite = %v, want %v", st, tc.st)
			}
			if (pw.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", pw.numOdd, pw.oddReplies, tc.odd)
			}
		})
	}
	bulk := func(s string) reply { return reply{kind: '$', str: s} }
	push := func(e ...reply) reply { return reply{kind: '*', elems: e} }
	for _, tc := range []struct {
		name    string
		r       reply
		pattern bool
		want    string
		ok      bool
	}{
		{"message", push(bulk("message"), bulk(pubsubChannel), bulk("c0-1")), false, "c0-1", true},
		{"pmessage", push(bulk("pmessage"), bulk(pubsubPattern), bulk(pubsubChannel), bulk("c2-5")), true, "c2-5", true},
		{"pmessage on a channel subscription", push(bulk("pmessage"), bulk(pubsubPattern), bulk(pubsubChannel), bulk("c2-5")), false, "", false},
		{"other channel", push(bulk("message"), bulk("x"), bulk("c0-1")), false, "", false},
		{"not a push", bulk("c0-1"), false, "", false},
	} {
		if got, ok := messagePayload(tc.r, tc.pattern); got != tc.want || ok != tc.ok {
			t.Errorf("%s: messagePayload = %q %v, want %q %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if c, s, ok := parsePayload("c12-345"); c != 12 || s != 345 || !ok {
		t.Errorf("parsePayload(c12-345) = %d %d %v", c, s, ok)
	}
	if _, _, ok := parsePayload("end-0"); ok {
		t.Error("parsePayload(end-0) ok")
	}
}

// TestCheckPubsub checks the pub/sub check on hand-written histories:
// each anomaly is reported, and what the rules allow passes.
func TestCheckPubsub(t *testing.T) {
	pub := func(p string, st status, call int64) pubRecord {
		return pubRecord{payload: p, st: st, call: call, ret: call + 1, markOK: true}
	}
	// sess is a session subscribed at time 10; recv lists its messages,
	// each with its marker seen.
	sess := func(complete bool, recv ...string) *subSession {
		s := &subSession{subscribed: 10, complete: complete}
		for _, p := range recv {
			s.recv = append(s.recv, receipt{payload: p, mark: 1})
		}
		return s
	}
	early := sess(true, "a", "b")
	early.recv[1].mark = 0
	unread := sess(true, "a", "b")
	unread.recv[1].mark = -1
	unmarked := sess(true, "a", "b")
	unmarked.recv[1].mark = 0
	two := []pubRecord{pub("a", statusOK, 20), pub("b", statusOK, 30)}
	unmarkedPubs := []pubRecord{pub("a", statusOK, 20), {payload: "b", st: statusOK, call: 30}}
	for _, tc := range []struct {
		name     string
		pubs     []pubRecord
		sessions []*subSession
		want     string // missing duplicated invented failedSeen early misordered cycle
	}{
		{"all received in order", two, []*subSession{sess(true, "a", "b"), sess(true, "a", "b")}, "0 0 0 0 0 0 false"},
		{"missed by a session that stayed connected", two, []*subSession{sess(true, "a")}, "1 0 0 0 0 0 false"},
		{"missed by a broken session", two, []*subSession{sess(false, "a")}, "0 0 0 0 0 0 false"},
		{"published before the subscription", []pubRecord{pub("a", statusOK, 5), pub("b", statusOK, 30)}, []*subSession{sess(true, "b")}, "0 0 0 0 0 0 false"},
		{"unknown may be missed or received once", []pubRecord{pub("a", statusUnknown, 20), pub("b", statusUnknown, 30)}, []*subSession{sess(true, "b")}, "0 0 0 0 0 0 false"},
		{"unknown received twice", []pubRecord{pub("a", statusUnknown, 20)}, []*subSession{sess(false, "a", "a")}, "0 1 0 0 0 0 false"},
		{"received twice", two, []*subSession{sess(true, "a", "b", "a")}, "0 1 0 0 0 0 false"},
		{"never published", two, []*subSession{sess(false, "a", "z")}, "0 0 1 0 0 0 false"},
		{"failed publish received", []pubRecord{pub("a", statusFail, 20)}, []*subSession{sess(false, "a")}, "0 0 0 1 0 0 false"},
		{"before its marker", two, []*subSession{early}, "0 0 0 0 1 0 false"},
		{"marker unread", two, []*subSession{unread}, "0 0 0 0 0 0 false"},
		{"marker not acknowledged", unmarkedPubs, []*subSession{unmarked}, "0 0 0 0 0 0 false"},
		{"opposite orders", two, []*subSession{sess(true, "a", "b"), sess(false, "b", "a")}, "0 0 0 0 0 1 true"},
		{"a cycle no pair shows", []pubRecord{pub("a", statusOK, 5), pub("b", statusOK, 6), pub("c", statusOK, 7)},
			[]*subSession{sess(false, "a", "b"), sess(false, "b", "c"), sess(false, "c", "a")}, "0 0 0 0 0 0 true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := checkPubsub(tc.pubs, tc.sessions)
			got := fmt.Sprint(v.missing, v.duplicated, v.invented, v.failedSeen, v.early, v.misordered, v.cycle)
			if got != tc.want {
				t.Errorf("missing duplicated invented failedSeen early misordered cycle = %s, want %s (%v)", got, tc.want, v.examples)
			}
			if v.ok() != (tc.want == "0 0 0 0 0 0 false") {
				t.Errorf("ok() = %v", v.ok())
			}
		})
	}
}
