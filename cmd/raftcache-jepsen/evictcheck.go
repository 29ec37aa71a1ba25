package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// evictVerdict is what the eviction check found.
type evictVerdict struct {
	policy string
	counts [numEvictOps][3]int // by op and status
	oom    [numEvictOps]int    // of the failed, refused with Redis's OOM error
	// The volatile keys: acknowledged SETs, of which present at the end,
	// deleted by an acknowledged DEL, and gone without one (evicted).
	volAcked, volPresent, volDeleted, volEvicted int
	// delGone counts DELs of an acknowledged key that found it gone
	// already: evicted, seen by a client.
	delGone int
	// persistent keys and counters with an acknowledged write.
	persistent, counters int
	// evictedSeen counts, under an allkeys policy, the observations of a
	// persistent key or counter that show it evicted: a GET that found
	// nothing, a key gone at the end, a counter below its INCRs.
	evictedSeen int

	// What fails the run.
	lost        int // an acknowledged write outside the policy's reach gone or overwritten by an older value at the end
	stale       int // a GET that missed an acknowledged write it must have seen
	failedSeen  int // a value whose write definitely failed (OOM or CLUSTERDOWN) read or present
	invented    int // a key or value nobody wrote
	resurrected int // present at the end after an acknowledged DEL
	counterBad  int // a counter outside what its INCRs allow, or two INCRs answered alike
	examples    []string

	mem   evictMemory // what the memory monitor saw (set by evictWorkload.check)
	final evictFinal  // what the final reads found (likewise)
}

func (v *evictVerdict) ok() bool {
	return v.lost == 0 && v.stale == 0 && v.failedSeen == 0 && v.invented == 0 && v.resurrected == 0 && v.counterBad == 0
}

func (v *evictVerdict) example(format string, args ...any) {
	if len(v.examples) < 12 {
		// Records are padded into columns for history.txt: one space here.
		v.examples = append(v.examples, strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " "))
	}
}

// checkEvict checks the history against final, the keys and values every
// member held at the end, under policy. Keys without a TTL (persistent
// keys and counters) are out of a volatile policy's reach, and under
// noeviction every key is: each acknowledged write there must show at the
// end, and reads must see it. Volatile keys may be evicted under a
// volatile or allkeys policy, never under noeviction; under an allkeys
// policy any key may be gone, but what is there must still be allowed. Every client writes only its
// own persistent and volatile keys, one operation at a time, so each such
// key's writes are ordered by the client; an unknown write may take effect
// at any time after its call, or never.
func checkEvict(recs []evictRecord, final map[string]string, policy string) evictVerdict {
	v := evictVerdict{policy: policy}
	noEviction := policy == "noeviction"
	// An allkeys policy may evict any key: a key without a TTL may then be
	// gone, and a counter start again from nothing, but no value may be
	// one nobody wrote, one whose write failed, or older than one
	// acknowledged before.
	allKeys := strings.HasPrefix(policy, "allkeys-")
	recs = slices.Clone(recs)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].call < recs[j].call })
	byKey := map[string][]evictRecord{}
	written := map[string]evictRecord{} // every SET, by value
	for _, r := range recs {
		v.counts[r.op][r.st]++
		if r.oom {
			v.oom[r.op]++
		}
		byKey[r.key] = append(byKey[r.key], r)
		if r.op == evSetVolatile || r.op == evSetPersistent {
			written[r.val] = r
		}
	}
	for _, k := range slices.Sorted(mapKeys(byKey, final)) {
		rs := byKey[k]
		val, present := final[k]
		switch {
		case strings.HasPrefix(k, evictVolatilePrefix):
			v.checkVolatile(k, rs, val, present, noEviction)
		case strings.HasPrefix(k, evictPersistentPrefix):
			v.checkPersistent(k, rs, val, present, written, allKeys)
		case strings.HasPrefix(k, evictCounterPrefix):
			v.checkCounter(k, rs, val, present, allKeys)
		case strings.HasPrefix(k, "jepsen:evict:"):
			v.invented++
			v.example("%s present at the end, a key the workload never uses", k)
		}
	}
	return v
}

// checkVolatile checks a key SET once with EX by one client, perhaps
// deleted by it once the SET was acknowledged.
func (v *evictVerdict) checkVolatile(k string, rs []evictRecord, val string, present, noEviction bool) {
	var set, del *evictRecord
	for i := range rs {
		switch rs[i].op {
		case evSetVolatile:
			set = &rs[i]
		case evDel:
			del = &rs[i]
		}
	}
	if set == nil {
		if present {
			v.invented++
			v.example("%s present at the end, never SET", k)
		}
		return
	}
	if set.st == statusOK {
		v.volAcked++
	}
	deleted := del != nil && del.st == statusOK && del.num == 1
	if del != nil && del.st == statusOK && del.num == 0 {
		// The DEL came after the SET was acknowledged: the key was gone.
		if noEviction {
			v.lost++
			v.example("lost under noeviction: %s acknowledged, then DEL found nothing: %s", set, del)
		} else {
			v.delGone++
		}
	}
	switch {
	case present && set.st == statusFail:
		v.failedSeen++
		v.example("present at the end, though its SET definitely failed (%s): %s", set.detail, set)
	case present && val != set.val:
		v.invented++
		v.example("%s holds %q at the end, never written: %s", k, shortVal(val), set)
	case present && del != nil && del.st == statusOK:
		v.resurrected++
		v.example("present at the end after its DEL was acknowledged: %s", del)
	case present:
		v.volPresent++
	case deleted:
		v.volDeleted++
	case set.st != statusOK:
	case del != nil && del.st == statusOK:
		// Gone before its DEL, counted above.
		if !noEviction {
			v.volEvicted++
		}
	case del != nil && del.st == statusUnknown:
		v.volDeleted++ // perhaps by its DEL
	case noEviction:
		v.lost++
		v.example("lost under noeviction: acknowledged, not deleted, gone at the end: %s", set)
	default:
		v.volEvicted++
	}
}

// checkPersistent checks a key without TTL, SET only by its owner, one
// SET at a time: its GETs, from any client, and its value at the end.
func (v *evictVerdict) checkPersistent(k string, rs []evictRecord, val string, present bool, written map[string]evictRecord, evictable bool) {
	var sets []evictRecord
	for _, r := range rs {
		if r.op == evSetPersistent {
			sets = append(sets, r)
		}
	}
	// allowed is what a read returning at ret, having been called at call,
	// may see: the last SET acknowledged before its call (nil if none), or
	// a SET concurrent with it, or an unknown one called before it
	// returned.
	allowed := func(call, ret int64) (last *evictRecord, vals map[string]bool) {
		vals = map[string]bool{}
		for i, s := range sets {
			switch {
			case s.st == statusOK && s.ret < call:
				last = &sets[i]
			case s.st == statusFail || s.call > ret:
			default:
				vals[s.val] = true
			}
		}
		if last != nil {
			vals[last.val] = true
		}
		return last, vals
	}
	// check judges one observation (a GET's, or the end's) of k.
	check := func(what string, call, ret int64, got string, null bool) (bad *int) {
		last, vals := allowed(call, ret)
		w, known := written[got]
		switch {
		case null && last != nil && evictable:
			v.evictedSeen++
			return nil
		case null && last != nil:
			v.example("%s found no %s; acknowledged before: %s", what, k, last)
			return &v.stale
		case null:
			return nil
		case !known || w.key != k:
			v.example("%s found %s = %q, never written there", what, k, got)
			return &v.invented
		case w.st == statusFail:
			v.example("%s found %s = %q, whose SET definitely failed (%s): %s", what, k, got, w.detail, w)
			return &v.failedSeen
		case !vals[got]:
			v.example("%s found %s = %q (%s), but acknowledged before: %s", what, k, got, w, last)
			return &v.stale
		}
		return nil
	}
	acked := false
	for _, r := range rs {
		if r.op == evSetPersistent && r.st == statusOK {
			acked = true
		}
		if r.op != evGet || r.st != statusOK {
			continue
		}
		if bad := check(fmt.Sprintf("GET by c%d on n%d at %.3fs", r.client, r.node, float64(r.call)/1e9), r.call, r.ret, r.val, r.null); bad != nil {
			*bad++
		}
	}
	if acked {
		v.persistent++
	}
	const end = int64(1) << 62
	if bad := check("the end", end, end, val, !present); bad != nil {
		if bad == &v.stale {
			bad = &v.lost // at the end, a missed write is lost
		}
		*bad++
	}
}

// checkCounter checks a counter INCRed by every client: its acknowledged
// INCRs each answered a different value, none above the INCRs made, and
// at the end it is at least the acknowledged INCRs and at most all but
// the failed ones.
func (v *evictVerdict) checkCounter(k string, rs []evictRecord, val string, present, evictable bool) {
	var acked, unknown int64
	replies := map[int64]evictRecord{}
	for _, r := range rs {
		if r.op != evIncr {
			continue
		}
		switch r.st {
		case statusOK:
			acked++
			// Evicted, a counter counts again from 1.
			if d, dup := replies[r.num]; dup && !evictable {
				v.counterBad++
				v.example("two INCRs of %s answered %d: %s and %s", k, r.num, d, r)
			}
			replies[r.num] = r
		case statusUnknown:
			unknown++
		}
	}
	for n, r := range replies {
		if n > acked+unknown {
			v.counterBad++
			v.example("INCR of %s answered %d, more than the %d INCRs that may have happened: %s", k, n, acked+unknown, r)
		}
	}
	if acked > 0 {
		v.counters++
	}
	var got int64
	if present {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			v.invented++
			v.example("%s holds %q at the end, not a count", k, val)
			return
		}
		got = n
	}
	switch {
	case got < acked && evictable:
		v.evictedSeen++
	case got < acked:
		v.lost++
		v.example("%s is %d at the end (present: %v), below its %d acknowledged INCRs", k, got, present, acked)
	case got > acked+unknown:
		v.counterBad++
		v.example("%s is %d at the end, above its %d acknowledged and %d unknown INCRs", k, got, acked, unknown)
	}
}

// evictMemoryProblems checks the memory figures: during the run no node
// with the limit set reported used_memory past the point where the
// server refuses every growing write (maxmemory and an eighth: package
// fsm's evictHardLimit), give or take one write; at the end every member
// reports the run's maxmemory and policy, the same used_memory (a
// function of the data), within maxmemory (with noeviction, within one
// write of it), and under a volatile policy some node evicted keys,
// under noeviction none did.
func evictMemoryProblems(policy string, seen evictMemory, final []memInfo, names []string, v *evictVerdict, interrupted bool) []string {
	var out []string
	const oneWrite = 1024 // a volatile key's SET is under 600 bytes, overhead included
	if bound := int64(evictMaxMemory + evictMaxMemory/8 + oneWrite); seen.maxUsed > bound {
		out = append(out, fmt.Sprintf("%s reported used_memory %d during the run, past maxmemory %d by more than the server's bound (%d)", seen.maxNode, seen.maxUsed, evictMaxMemory, bound))
	}
	var evicted int64
	for i, m := range final {
		if m.maxMemory != evictMaxMemory || m.policy != policy {
			out = append(out, fmt.Sprintf("%s reports maxmemory %d and policy %s at the end, want %d and %s", names[i], m.maxMemory, m.policy, evictMaxMemory, policy))
		}
		bound := int64(evictMaxMemory)
		if policy == "noeviction" {
			bound += oneWrite
		}
		if m.used > bound {
			out = append(out, fmt.Sprintf("%s reports used_memory %d at the end, past maxmemory %d", names[i], m.used, evictMaxMemory))
		}
		evicted += m.evicted
	}
	if interrupted {
		return out
	}
	switch {
	case policy == "noeviction" && evicted > 0:
		out = append(out, fmt.Sprintf("noeviction, but the nodes report %d evicted keys", evicted))
	case policy == "noeviction" && v.oom[evSetVolatile] == 0:
		out = append(out, "noeviction, but no write was refused with OOM: the limit was never reached")
	case policy != "noeviction" && (evicted == 0 || v.volEvicted == 0):
		out = append(out, fmt.Sprintf("%s, but no key was evicted (evicted_keys %d on all nodes, %d acknowledged keys gone): the limit was never reached", policy, evicted, v.volEvicted))
	}
	return out
}

// printEvict prints the eviction workload's result.
func (r *result) printEvict(w io.Writer) {
	v := r.evictV
	fmt.Fprintf(w, "policy %s, maxmemory %d\n", v.policy, evictMaxMemory)
	fmt.Fprintf(w, "%-8s %8s %8s %8s %8s\n", "op", "ok", "failed", "unknown", "oom")
	for op := range numEvictOps {
		c := v.counts[op]
		fmt.Fprintf(w, "%-8s %8d %8d %8d %8d\n", op, c[statusOK], c[statusFail], c[statusUnknown], v.oom[op])
	}
	r.printCommon(w)
	m := v.mem
	fmt.Fprintf(w, "used_memory: highest seen during the run %d (%+.2f%% of maxmemory, on %s; %d samples, %d from nodes not yet configured); at the end",
		m.maxUsed, 100*float64(m.maxUsed-evictMaxMemory)/evictMaxMemory, orNone([]string{m.maxNode}), m.samples, m.mismatch)
	for i, mi := range v.final.mem {
		fmt.Fprintf(w, " %s %d (evicted_keys %d)", v.final.names[i], mi.used, mi.evicted)
	}
	fmt.Fprintf(w, "; final reads agreed after %d rounds\n", v.final.tries)
	fmt.Fprintf(w, "volatile keys acknowledged: %d; at the end present %d, deleted %d, evicted %d; DELs that found the key evicted: %d\n",
		v.volAcked, v.volPresent, v.volDeleted, v.volEvicted, v.delGone)
	reach := "outside the policy's reach"
	if strings.HasPrefix(v.policy, "allkeys-") {
		reach = fmt.Sprintf("without a TTL (in an allkeys policy's reach: %d reads or final values showed one evicted)", v.evictedSeen)
	}
	fmt.Fprintf(w, "keys %s acknowledged: %d persistent, %d counters; lost %d; reads that missed an acknowledged write (evicted, or stale): %d\n", reach, v.persistent, v.counters, v.lost, v.stale)
	fmt.Fprintf(w, "definitely failed writes seen: %d; never written: %d; present after DEL: %d; counter anomalies: %d\n",
		v.failedSeen, v.invented, v.resurrected, v.counterBad)
	for _, e := range v.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	r.printAgree(w)
	r.printEnd(w)
}
