package main

import (
	"strings"
	"testing"
	"time"
)

// TestShortRunEvict runs the eviction workload for 25 s against three
// nodes with every kind of fault and snapshots every 100 entries, under
// the policy the seed picks (volatile-lru, -lfu, -ttl, -random or
// noeviction, so that CI rotates through them): no key outside the
// policy's reach may be lost, no OOM-refused write may show, every node
// must end with the same keys, and eviction (or, with noeviction, OOM)
// must have happened (see evictMemoryProblems). minOK is a floor that
// shows the run did something: on a loaded machine one run had 265
// successful GETs (one operation in eight, then) against 2150 writes.
func TestShortRunEvict(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("policy %s", evictPolicyFor("", seed))
	cfg := shortRun(buildRaftcache(t), workloadEvict, 25*time.Second, 200)
	cfg.seed = seed
	runJepsen(t, cfg)
}

// evictHist builds small histories for the checker's tests: each
// operation is called at the next whole second and returns half a second
// later.
type evictHist struct {
	recs []evictRecord
	t    int64
}

func (h *evictHist) op(client int, op evictOp, key, val string, st status) *evictRecord {
	h.t += int64(time.Second)
	h.recs = append(h.recs, evictRecord{client: client, op: op, key: key, val: val, st: st, call: h.t, ret: h.t + int64(time.Second/2)})
	r := &h.recs[len(h.recs)-1]
	if op == evGet && val == "" {
		r.null = true
	}
	if st == statusFail && op != evGet {
		r.oom, r.detail = true, "OOM"
	}
	return r
}

func (h *evictHist) incr(client int, key string, st status, reply int64) {
	h.op(client, evIncr, key, "", st).num = reply
}

func (h *evictHist) del(client int, key string, st status, deleted int64) {
	h.op(client, evDel, key, "", st).num = deleted
}

var (
	evP0 = evictPersistentKey(0, 0)
	evP1 = evictPersistentKey(1, 0)
	evV0 = evictVolatilePrefix + "c0:1"
	evV1 = evictVolatilePrefix + "c0:2"
	evN0 = evictCounterKey(0)
)

// TestCheckEvict checks the eviction checker on small hand-written
// histories and final states: each case names the one count it must
// raise, or none.
func TestCheckEvict(t *testing.T) {
	type counts struct{ lost, stale, failedSeen, invented, resurrected, counterBad int }
	for _, tc := range []struct {
		name   string
		policy string
		hist   func(h *evictHist)
		final  map[string]string
		want   counts
		// evicted is how many acknowledged volatile keys the check
		// counts as evicted.
		evicted int
	}{
		{
			name: "clean", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(1, evGet, evP0, "c0-1", statusOK)
				h.op(0, evSetPersistent, evP0, "c0-2", statusOK)
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusOK)
				h.op(0, evSetVolatile, evV1, "c0-4-xx", statusOK)
				h.incr(1, evN0, statusOK, 1)
				h.incr(0, evN0, statusUnknown, 0)
				h.incr(1, evN0, statusOK, 3)
			},
			final: map[string]string{evP0: "c0-2", evV1: "c0-4-xx", evN0: "3"},
			// evV0 is gone: evicted, which a volatile policy may do.
			evicted: 1,
		},
		{
			name: "persistent key lost", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusOK)
			},
			final: map[string]string{evV0: "c0-3-xx"},
			want:  counts{lost: 1},
		},
		{
			name: "persistent key back to an older acknowledged value", policy: "volatile-ttl",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(0, evSetPersistent, evP0, "c0-2", statusOK)
			},
			final: map[string]string{evP0: "c0-1"},
			want:  counts{lost: 1},
		},
		{
			name: "persistent key holds an unknown write's value", policy: "volatile-random",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusUnknown)
				h.op(0, evSetPersistent, evP0, "c0-2", statusOK)
			},
			final: map[string]string{evP0: "c0-1"},
		},
		{
			name: "persistent key holds an OOM-refused write's value", policy: "noeviction",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(0, evSetPersistent, evP0, "c0-2", statusFail)
			},
			final: map[string]string{evP0: "c0-2"},
			want:  counts{failedSeen: 1},
		},
		{
			name: "GET misses an acknowledged persistent key", policy: "volatile-lfu",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(1, evGet, evP0, "", statusOK)
			},
			final: map[string]string{evP0: "c0-1"},
			want:  counts{stale: 1},
		},
		{
			name: "GET concurrent with the write sees it or not", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				w := h.op(0, evSetPersistent, evP0, "c0-2", statusOK)
				w.ret += int64(3 * time.Second) // overlaps both GETs
				h.op(1, evGet, evP0, "c0-1", statusOK)
				h.op(1, evGet, evP0, "c0-2", statusOK)
			},
			final: map[string]string{evP0: "c0-2"},
		},
		{
			name: "GET of another key's value", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.op(1, evSetPersistent, evP1, "c1-1", statusOK)
				h.op(0, evGet, evP0, "c1-1", statusOK)
			},
			final: map[string]string{evP1: "c1-1"},
			want:  counts{invented: 1},
		},
		{
			name: "volatile key gone under noeviction", policy: "noeviction",
			hist: func(h *evictHist) {
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusOK)
			},
			final: map[string]string{},
			want:  counts{lost: 1},
		},
		{
			name: "DEL finds a volatile key gone under noeviction", policy: "noeviction",
			hist: func(h *evictHist) {
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusOK)
				h.del(0, evV0, statusOK, 0)
			},
			final: map[string]string{},
			want:  counts{lost: 1},
		},
		{
			name: "DEL finds a volatile key evicted", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusOK)
				h.del(0, evV0, statusOK, 0)
			},
			final:   map[string]string{},
			evicted: 1,
		},
		{
			name: "volatile key back after its DEL", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusOK)
				h.del(0, evV0, statusOK, 1)
			},
			final: map[string]string{evV0: "c0-3-xx"},
			want:  counts{resurrected: 1},
		},
		{
			name: "OOM-refused volatile key present", policy: "noeviction",
			hist: func(h *evictHist) {
				h.op(0, evSetVolatile, evV0, "c0-3-xx", statusFail)
			},
			final: map[string]string{evV0: "c0-3-xx"},
			want:  counts{failedSeen: 1},
		},
		{
			name: "a key nobody wrote", policy: "volatile-lru",
			hist:  func(h *evictHist) {},
			final: map[string]string{evV0: "c0-3-xx"},
			want:  counts{invented: 1},
		},
		{
			name: "counter below its acknowledged INCRs", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.incr(0, evN0, statusOK, 1)
				h.incr(1, evN0, statusOK, 2)
			},
			final: map[string]string{evN0: "1"},
			want:  counts{lost: 1},
		},
		{
			name: "counter evicted", policy: "volatile-ttl",
			hist: func(h *evictHist) {
				h.incr(0, evN0, statusOK, 1)
			},
			final: map[string]string{},
			want:  counts{lost: 1},
		},
		{
			name: "counter above its INCRs", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.incr(0, evN0, statusOK, 1)
				h.incr(0, evN0, statusFail, 0)
			},
			final: map[string]string{evN0: "2"},
			want:  counts{counterBad: 1},
		},
		{
			name: "two INCRs answered alike", policy: "volatile-lru",
			hist: func(h *evictHist) {
				h.incr(0, evN0, statusOK, 1)
				h.incr(1, evN0, statusOK, 1)
				h.incr(1, evN0, statusUnknown, 0)
			},
			final: map[string]string{evN0: "2"},
			want:  counts{counterBad: 1},
		},
		{
			name: "allkeys: persistent key and counter evicted", policy: "allkeys-lru",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(1, evGet, evP0, "", statusOK)
				h.incr(0, evN0, statusOK, 1)
				h.incr(0, evN0, statusOK, 2)
				h.incr(1, evN0, statusOK, 1) // evicted in between
			},
			final: map[string]string{evN0: "1"},
		},
		{
			name: "allkeys: persistent key back to an older value", policy: "allkeys-random",
			hist: func(h *evictHist) {
				h.op(0, evSetPersistent, evP0, "c0-1", statusOK)
				h.op(0, evSetPersistent, evP0, "c0-2", statusOK)
			},
			final: map[string]string{evP0: "c0-1"},
			want:  counts{lost: 1},
		},
		{
			name: "allkeys: counter above its INCRs", policy: "allkeys-lfu",
			hist: func(h *evictHist) {
				h.incr(0, evN0, statusOK, 1)
			},
			final: map[string]string{evN0: "2"},
			want:  counts{counterBad: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h evictHist
			tc.hist(&h)
			v := checkEvict(h.recs, tc.final, tc.policy)
			got := counts{v.lost, v.stale, v.failedSeen, v.invented, v.resurrected, v.counterBad}
			if got != tc.want {
				t.Errorf("counts %+v, want %+v; examples:\n%s", got, tc.want, strings.Join(v.examples, "\n"))
			}
			if got != (counts{}) && len(v.examples) == 0 {
				t.Errorf("a problem found without an example")
			}
			if v.ok() != (tc.want == counts{}) {
				t.Errorf("ok() = %v", v.ok())
			}
			if v.volEvicted != tc.evicted {
				t.Errorf("evicted %d, want %d", v.volEvicted, tc.evicted)
			}
		})
	}
}

// TestCompareEvictStates checks that members holding different keys,
// values or used_memory are reported, and agreeing ones are not.
func TestCompareEvictStates(t *testing.T) {
	names := []string{"n0", "n1", "n2"}
	state := func(used int64, kv ...string) evictNodeState {
		s := evictNodeState{keys: map[string]string{}, mem: memInfo{used: used}}
		for i := 0; i < len(kv); i += 2 {
			s.keys[kv[i]] = kv[i+1]
		}
		return s
	}
	if d := compareEvictStates(names, []evictNodeState{state(10, "a", "1", "b", "2"), state(10, "b", "2", "a", "1"), state(10, "a", "1", "b", "2")}); len(d) != 0 {
		t.Errorf("agreeing members reported: %v", d)
	}
	d := compareEvictStates(names, []evictNodeState{state(10, "a", "1", "b", "2"), state(10, "a", "1"), state(11, "a", "9", "b", "2", "c", "3")})
	want := []string{
		"1 keys on n0 and not on n1, e.g. b",
		"1 keys on n2 and not on n0, e.g. c",
		"1 keys with different values on n0 and n2, e.g. a",
		"used_memory 10 on n0, 11 on n2",
	}
	if strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Errorf("disagreement:\n%s\nwant:\n%s", strings.Join(d, "\n"), strings.Join(want, "\n"))
	}
}

// TestInterpretEvict checks how replies are classified: Redis's exact OOM
// error is a definite failure of a write, anything like it but not it is
// odd.
func TestInterpretEvict(t *testing.T) {
	set := evictRecord{op: evSetVolatile, key: evV0, val: "v", ex: evictMinEX}
	del := evictRecord{op: evDel, key: evV0}
	get := evictRecord{op: evGet, key: evP0}
	for _, tc := range []struct {
		name string
		rec  evictRecord
		r    reply
		st   status
		oom  bool
		odd  bool
	}{
		{"set ok", set, reply{kind: '+', str: "OK"}, statusOK, false, false},
		{"set oom", set, reply{kind: '-', str: oomError}, statusFail, true, false},
		{"set oom worded otherwise", set, reply{kind: '-', str: "OOM out of memory"}, statusUnknown, false, true},
		{"set clusterdown", set, reply{kind: '-', str: "CLUSTERDOWN no leader"}, statusFail, false, false},
		{"set tryagain", set, reply{kind: '-', str: "TRYAGAIN write outcome unknown"}, statusUnknown, false, false},
		{"del oom", del, reply{kind: '-', str: oomError}, statusUnknown, false, true},
		{"del two", del, reply{kind: ':', num: 2}, statusUnknown, false, true},
		{"del none", del, reply{kind: ':', num: 0}, statusOK, false, false},
		{"get nil", get, reply{kind: '$', null: true}, statusOK, false, false},
		{"get tryagain", get, reply{kind: '-', str: "TRYAGAIN read outcome unknown"}, statusFail, false, false},
		{"incr zero", evictRecord{op: evIncr, key: evN0}, reply{kind: ':', num: 0}, statusUnknown, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ew := evictWorkload{workload: &workload{clusterDownDefinite: true}}
			rec := tc.rec
			ew.interpret(&rec, tc.r)
			if rec.st != tc.st || rec.oom != tc.oom {
				t.Errorf("interpret = %v oom=%v, want %v oom=%v", rec.st, rec.oom, tc.st, tc.oom)
			}
			if (ew.numOdd > 0) != tc.odd {
				t.Errorf("odd replies %d (%v), want odd=%v", ew.numOdd, ew.oddReplies, tc.odd)
			}
		})
	}
}

// TestEvictMemoryProblems checks the memory and eviction-happened checks.
func TestEvictMemoryProblems(t *testing.T) {
	names := []string{"n0", "n1"}
	at := func(used, evicted int64, policy string) memInfo {
		return memInfo{used: used, maxMemory: evictMaxMemory, evicted: evicted, policy: policy}
	}
	evicting := &evictVerdict{volEvicted: 3}
	refused := &evictVerdict{}
	refused.oom[evSetVolatile] = 2
	for _, tc := range []struct {
		name   string
		policy string
		seen   evictMemory
		final  []memInfo
		v      *evictVerdict
		want   string // a substring of the one problem, or "" for none
	}{
		{"volatile clean", "volatile-lru", evictMemory{maxUsed: evictMaxMemory + 100}, []memInfo{at(evictMaxMemory, 5, "volatile-lru"), at(evictMaxMemory, 0, "volatile-lru")}, evicting, ""},
		{"far past the limit", "volatile-lru", evictMemory{maxUsed: 2 * evictMaxMemory, maxNode: "n1"}, []memInfo{at(1, 5, "volatile-lru"), at(1, 5, "volatile-lru")}, evicting, "n1 reported used_memory 524288 during the run"},
		{"over the limit at the end", "volatile-lru", evictMemory{}, []memInfo{at(evictMaxMemory+1, 5, "volatile-lru"), at(1, 5, "volatile-lru")}, evicting, "n0 reports used_memory 262145 at the end"},
		{"policy lost", "volatile-ttl", evictMemory{}, []memInfo{at(1, 5, "volatile-ttl"), at(1, 5, "noeviction")}, evicting, "n1 reports maxmemory 262144 and policy noeviction"},
		{"nothing evicted", "volatile-ttl", evictMemory{}, []memInfo{at(1, 0, "volatile-ttl"), at(1, 0, "volatile-ttl")}, evicting, "no key was evicted"},
		{"noeviction clean", "noeviction", evictMemory{}, []memInfo{at(evictMaxMemory+300, 0, "noeviction"), at(evictMaxMemory+300, 0, "noeviction")}, refused, ""},
		{"noeviction evicted", "noeviction", evictMemory{}, []memInfo{at(1, 0, "noeviction"), at(1, 2, "noeviction")}, refused, "2 evicted keys"},
		{"noeviction never full", "noeviction", evictMemory{}, []memInfo{at(1, 0, "noeviction"), at(1, 0, "noeviction")}, &evictVerdict{}, "never reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := evictMemoryProblems(tc.policy, tc.seen, tc.final, names, tc.v, false)
			switch {
			case tc.want == "" && len(p) > 0:
				t.Errorf("problems %v, want none", p)
			case tc.want != "" && (len(p) != 1 || !strings.Contains(p[0], tc.want)):
				t.Errorf("problems %v, want one containing %q", p, tc.want)
			}
		})
	}
}

// TestParseMemInfo checks the INFO fields the workload reads.
func TestParseMemInfo(t *testing.T) {
	info := "# Memory\r\nused_memory:1234\r\nused_memory_human:1.21K\r\nmaxmemory:262144\r\nmaxmemory_policy:volatile-lru\r\n# Stats\r\nevicted_keys:7\r\n"
	mi, err := parseMemInfo(info)
	if err != nil || mi != (memInfo{used: 1234, maxMemory: 262144, evicted: 7, policy: "volatile-lru"}) {
		t.Errorf("parseMemInfo = %+v, %v", mi, err)
	}
	if _, err := parseMemInfo("# Memory\r\nused_memory:1\r\n"); err == nil {
		t.Error("an INFO without evicted_keys parsed")
	}
}

// TestEvictPolicyFor checks that seeds from a clock counting microseconds
// (multiples of 1000) still rotate through every policy, and that a named
// policy wins.
func TestEvictPolicyFor(t *testing.T) {
	seen := map[string]bool{}
	for s := uint64(1000); s <= 100000; s += 1000 {
		seen[evictPolicyFor("", s)] = true
	}
	if len(seen) != len(evictPolicies()) {
		t.Errorf("seeds in steps of 1000 chose only %v", seen)
	}
	if p := evictPolicyFor("noeviction", 3); p != "noeviction" {
		t.Errorf("named policy: got %s", p)
	}
}
