package main

import (
	"fmt"
	"testing"
)

// TestInterpretStream checks how XADD, XREADGROUP, XACK and XGROUP
// replies are classified.
func TestInterpretStream(t *testing.T) {
	bulk := func(s string) reply { return reply{kind: '$', str: s} }
	arr := func(es ...reply) reply { return reply{kind: '*', elems: es} }
	entry := func(id, v string) reply { return arr(bulk(id), arr(bulk(streamField), bulk(v))) }
	add := streamRecord{op: opXAdd, value: "c0-1"}
	read := streamRecord{op: opXReadGroup, consumer: "c1-0"}
	ack := streamRecord{op: opXAck, ids: []string{"1-0", "2-0"}}
	group := streamRecord{op: opXGroup}
	pending := streamRecord{op: opXPending, consumer: "c1-0"}
	claim := streamRecord{op: opXClaim, consumer: "c1-1", ids: []string{"1-0", "2-0"}}
	pel := func(id, consumer string) reply {
		return arr(bulk(id), bulk(consumer), reply{kind: ':', num: 5}, reply{kind: ':', num: 1})
	}
	for _, tc := range []struct {
		name    string
		grouped bool // the group was known to exist when the command was sent
		rec     streamRecord
		r       reply
		st      status
		got     string // XADD: the ID; XREADGROUP: the entries; XACK: the count
		odd     bool
	}{
		{"add ok", false, add, bulk("5-1"), statusOK, "5-1", false},
		{"add not an id", false, add, bulk("x"), statusUnknown, "", true},
		{"add clusterdown", false, add, reply{kind: '-', str: "CLUSTERDOWN The cluster is down: no leader"}, statusFail, "", false},
		{"add tryagain", false, add, reply{kind: '-', str: "TRYAGAIN write outcome unknown"}, statusUnknown, "", false},
		{"read entries", false, read, arr(arr(bulk(streamKey), arr(entry("1-0", "a"), entry("2-0", "b")))), statusOK, "[{1-0 a} {2-0 b}]", false},
		{"read nothing new", false, read, reply{kind: '*', null: true}, statusOK, "[]", false},
		{"read nogroup before the group", false, read, reply{kind: '-', str: "NOGROUP No such key 'jepsen:stream' or consumer group 'jepsen' in XREADGROUP with GROUP option"}, statusFail, "[]", false},
		{"read nogroup after the group", true, read, reply{kind: '-', str: "NOGROUP No such key 'jepsen:stream' or consumer group 'jepsen' in XREADGROUP with GROUP option"}, statusUnknown, "[]", true},
		{"read node shutting down", false, read, reply{kind: '-', str: "UNBLOCKED the server is shutting down"}, statusUnknown, "[]", false},
		{"ack unblocked", false, ack, reply{kind: '-', str: "UNBLOCKED the server is shutting down"}, statusUnknown, "0", true},
		{"read other stream", false, read, arr(arr(bulk("x"), arr(entry("1-0", "a")))), statusUnknown, "[]", true},
		{"read entry without fields", false, read, arr(arr(bulk(streamKey), arr(arr(bulk("1-0"), reply{kind: '*', null: true})))), statusUnknown, "[]", true},
		{"ack all", false, ack, reply{kind: ':', num: 2}, statusOK, "2", false},
		{"ack none", false, ack, reply{kind: ':', num: 0}, statusOK, "0", false},
		{"ack too many", false, ack, reply{kind: ':', num: 3}, statusUnknown, "0", true},
		{"pending listed", false, pending, arr(pel("1-0", "c1-0"), pel("2-0", "c1-0")), statusOK, "[1-0 2-0]", false},
		{"pending none", false, pending, arr(), statusOK, "[]", false},
		{"pending of another consumer", false, pending, arr(pel("1-0", "c3-0")), statusUnknown, "[]", true},
		{"claimed", false, claim, arr(entry("2-0", "b")), statusOK, "[{2-0 b}]", false},
		{"claimed none", false, claim, arr(), statusOK, "[]", false},
		{"claimed unasked", false, claim, arr(entry("3-0", "c")), statusUnknown, "[]", true},
		{"group made", false, group, reply{kind: '+', str: "OK"}, statusOK, "", false},
		{"group there", false, group, reply{kind: '-', str: "BUSYGROUP Consumer Group name already exists"}, statusOK, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw := streamWorkload{workload: &workload{clusterDownDefinite: true}}
			rec := tc.rec
			rec.grouped = tc.grouped
			st, _ := sw.interpret(&rec, tc.r)
			var got string
			switch rec.op {
			case opXAdd:
				got = rec.id
			case opXReadGroup, opXClaim:
				got = fmt.Sprint(rec.entries)
				if rec.entries == nil {
					got = "[]"
				}
			case opXPending:
				got = fmt.Sprint(rec.ids)
			case opXAck:
				got = fmt.Sprint(rec.acked)
			}
			if st != tc.st || got != tc.got {
				t.Errorf("interpret = %v %s, want %v %s", st, got, tc.st, tc.got)
			}
			if (sw.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", sw.numOdd, sw.oddReplies, tc.odd)
			}
		})
	}
}

// TestCheckStream checks the stream check on small histories: entries
// delivered, pending for a consumer whose read was lost, or not yet
// delivered pass; an entry delivered twice, an acknowledged XADD lost,
// an entry the group skipped, a pending list that disagrees with the
// acknowledgements, and entries nobody added or whose XADD failed are
// each reported.
func TestCheckStream(t *testing.T) {
	var at int64
	tick := func() (int64, int64) { at += 2; return at, at + 1 }
	add := func(id, v string, st status) streamRecord {
		c, r := tick()
		return streamRecord{op: opXAdd, id: id, value: v, st: st, call: c, ret: r}
	}
	read := func(consumer string, st status, es ...streamEntry) streamRecord {
		c, r := tick()
		return streamRecord{op: opXReadGroup, consumer: consumer, entries: es, st: st, call: c, ret: r}
	}
	ack := func(st status, acked int64, ids ...string) streamRecord {
		c, r := tick()
		return streamRecord{op: opXAck, ids: ids, acked: acked, st: st, call: c, ret: r}
	}
	claim := func(consumer string, st status, es ...streamEntry) streamRecord {
		c, r := tick()
		return streamRecord{op: opXClaim, consumer: consumer, entries: es, st: st, call: c, ret: r}
	}
	e := func(id, v string) streamEntry { return streamEntry{id, v} }
	stream := func(es ...streamEntry) []streamEntry { return es }
	pend := func(kv ...string) map[string]streamPending {
		m := map[string]streamPending{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = streamPending{consumer: kv[i+1], deliveries: 1}
		}
		return m
	}
	fin := func(last string, pending map[string]streamPending, es ...streamEntry) streamFinal {
		return streamFinal{entries: es, pending: pending, group: true, lastDelivered: last}
	}
	for _, tc := range []struct {
		name string
		recs func() []streamRecord
		fin  streamFinal
		want string // lost doubleDelivered misdelivered skipped pendingWrong duplicated invented failedSeen
	}{
		{"delivered and acked, undelivered", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), add("2-0", "b", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a"), e("2-0", "b")), "0 0 0 0 0 0 0 0"},
		{"delivered, ack failed: still pending", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusFail, 0, "1-0")}
		}, fin("1-0", pend("1-0", "c1-0"), e("1-0", "a")), "0 0 0 0 0 0 0 0"},
		{"ack unknown, retried", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusUnknown, 0, "1-0"), ack(statusOK, 0, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 0 0 0 0 0 0 0"},
		{"read lost: pending for the old consumer", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusUnknown)}
		}, fin("1-0", pend("1-0", "c1-0"), e("1-0", "a")), "0 0 0 0 0 0 0 0"},
		{"unknown add, either way", func() []streamRecord {
			return []streamRecord{add("", "a", statusUnknown), add("", "b", statusUnknown)}
		}, fin("0-0", nil, e("1-0", "a")), "0 0 0 0 0 0 0 0"},

		{"claimed from a lost read, acknowledged", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusUnknown), claim("c1-1", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 0 0 0 0 0 0 0"},
		{"claim lost: pending for the claimant", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusUnknown), claim("c1-1", statusUnknown)}
		}, fin("1-0", pend("1-0", "c1-1"), e("1-0", "a")), "0 0 0 0 0 0 0 0"},

		{"claimed though delivered to a consumer that got the reply", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0"), claim("c3-1", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 1 0 0 0 0 0 0"},
		{"claimed twice", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusUnknown), claim("c1-1", statusOK, e("1-0", "a")), claim("c1-2", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 1 0 0 0 0 0 0"},
		{"claimed, still pending for the lost read's consumer", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusUnknown), claim("c1-1", statusOK, e("1-0", "a")), ack(statusFail, 0, "1-0")}
		}, fin("1-0", pend("1-0", "c1-0"), e("1-0", "a")), "0 0 0 0 1 0 0 0"},
		{"acknowledged add lost", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), add("2-0", "b", statusOK)}
		}, fin("0-0", nil, e("2-0", "b")), "1 0 0 0 0 0 0 0"},
		{"acknowledged add under another id", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK)}
		}, fin("0-0", nil, e("3-0", "a")), "1 0 0 0 0 0 0 0"},
		{"delivered twice", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0"), read("c3-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 1 0 0 0 0 0 0"},
		{"delivered twice to one consumer", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 1 0 0 0 0 0 0"},
		{"delivered past last-delivered", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), add("2-0", "b", statusOK), read("c1-0", statusOK, e("2-0", "b")), ack(statusOK, 1, "2-0")}
		}, fin("1-0", nil, e("1-0", "a"), e("2-0", "b")), "0 0 1 1 0 0 0 0"},
		{"delivered with another value", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "z")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 0 1 0 0 0 0 0"},
		{"skipped by the group", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), add("2-0", "b", statusOK), read("c1-0", statusOK, e("2-0", "b")), ack(statusOK, 1, "2-0")}
		}, fin("2-0", nil, e("1-0", "a"), e("2-0", "b")), "0 0 0 1 0 0 0 0"},
		{"pending though acknowledged", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, fin("1-0", pend("1-0", "c1-0"), e("1-0", "a")), "0 0 0 0 1 0 0 0"},
		{"pending for another consumer", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusFail, 0, "1-0")}
		}, fin("1-0", pend("1-0", "c3-0"), e("1-0", "a")), "0 0 0 0 1 0 0 0"},
		{"gone from the pending list unacknowledged", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusFail, 0, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 0 0 0 1 0 0 0"},
		{"first ack found it not pending", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 0, "1-0")}
		}, fin("1-0", nil, e("1-0", "a")), "0 0 0 0 1 0 0 0"},
		{"pending for a consumer whose reads were answered", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK)}
		}, fin("1-0", pend("1-0", "c1-0"), e("1-0", "a")), "0 0 0 0 1 0 0 0"},
		{"in the stream twice, never added, failed add seen", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), add("", "f", statusFail)}
		}, fin("0-0", nil, e("1-0", "a"), e("2-0", "a"), e("3-0", "z"), e("4-0", "f")), "0 0 0 0 0 1 1 1"},
		{"group lost", func() []streamRecord {
			return []streamRecord{add("1-0", "a", statusOK), read("c1-0", statusOK, e("1-0", "a")), ack(statusOK, 1, "1-0")}
		}, streamFinal{entries: stream(e("1-0", "a"))}, "0 0 0 0 0 0 0 0 nogroup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := checkStream(tc.recs(), tc.fin)
			got := fmt.Sprint(v.lost, v.doubleDelivered, v.misdelivered, v.skipped, v.pendingWrong, v.duplicated, v.invented, v.failedSeen)
			if v.noGroup {
				got += " nogroup"
			}
			if got != tc.want {
				t.Errorf("lost doubleDelivered misdelivered skipped pendingWrong duplicated invented failedSeen = %s, want %s (%v)", got, tc.want, v.examples)
			}
			if v.ok() != (tc.want == "0 0 0 0 0 0 0 0") {
				t.Errorf("ok() = %v (%v)", v.ok(), v.examples)
			}
		})
	}
}
