package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// workloadStream names the stream workload (-workload stream).
const workloadStream = "stream"

const (
	streamKey   = "jepsen:stream"
	streamGroup = "jepsen"
	streamField = "v"
	// streamCount is how many entries one XREADGROUP asks for.
	streamCount = "10"
	// streamBlock is how long an XREADGROUP blocks: below the server's
	// -timeout, so that nothing new is answered with nil rather than an
	// error.
	streamBlock = time.Second
)

// streamOp is what a stream operation does.
type streamOp uint8

const (
	opXAdd       streamOp = iota // a producer's XADD
	opXReadGroup                 // a consumer's XREADGROUP ... >
	opXAck                       // a consumer's XACK of what it read
	opXGroup                     // a consumer's XGROUP CREATE, when the group was missing
	opXPending                   // a consumer's XPENDING of an incarnation of its own whose read got no answer
	opXClaim                     // a consumer's XCLAIM of what XPENDING found
)

// streamEntry is one entry of the stream: its ID and its field's value.
type streamEntry struct{ id, value string }

// streamRecord is one operation of the stream workload's history.
type streamRecord struct {
	client, node int
	op           streamOp
	consumer     string        // XREADGROUP, XCLAIM: the consumer's name; XPENDING: whose pending entries
	value        string        // XADD: the value added
	id           string        // XADD: the ID the server gave it
	entries      []streamEntry // XREADGROUP: what it delivered
	ids          []string      // XACK: the IDs acknowledged; XCLAIM: asked for; XPENDING: found
	acked        int64         // XACK: its reply
	// grouped is set when the group was known to exist as the command
	// was sent: a NOGROUP then means the group was lost.
	grouped   bool
	st        status
	call, ret int64
	detail    string
	late      bool
}

func (r streamRecord) String() string {
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	op := strings.Join(streamCommand(r), " ")
	switch {
	case r.st != statusOK:
	case r.op == opXAdd:
		op += " -> " + r.id
	case r.op == opXPending:
		op += " -> [" + strings.Join(r.ids, " ") + "]"
	case r.op == opXReadGroup, r.op == opXClaim:
		var es []string
		for _, e := range r.entries {
			es = append(es, e.id+"="+e.value)
		}
		op += " -> [" + strings.Join(es, " ") + "]"
	case r.op == opXAck:
		op += fmt.Sprintf(" -> %d", r.acked)
	}
	s := fmt.Sprintf("%10.3f %-12s c%-4d n%-3d %-7s %s", float64(r.call)/1e9, ret, r.client, r.node, r.st, op)
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

func streamCommand(r streamRecord) []string {
	switch r.op {
	case opXAdd:
		return []string{"XADD", streamKey, "*", streamField, r.value}
	case opXReadGroup:
		return []string{"XREADGROUP", "GROUP", streamGroup, r.consumer, "COUNT", streamCount, "BLOCK", strconv.FormatInt(streamBlock.Milliseconds(), 10), "STREAMS", streamKey, ">"}
	case opXAck:
		return append([]string{"XACK", streamKey, streamGroup}, r.ids...)
	case opXPending:
		return []string{"XPENDING", streamKey, streamGroup, "-", "+", "100", r.consumer}
	case opXClaim:
		return append([]string{"XCLAIM", streamKey, streamGroup, r.consumer, "0"}, r.ids...)
	}
	return []string{"XGROUP", "CREATE", streamKey, streamGroup, "0", "MKSTREAM"}
}

// streamWorkload drives producers and consumers of a stream (issue 15):
// the even-numbered clients XADD entries with unique values on a random
// node, the odd-numbered ones are consumers of one group, each reading
// new entries with XREADGROUP ... > on a random node and then XACKing
// them, as a worker does once it has processed them. A consumer whose
// XREADGROUP gets no answer (its connection broke, or TRYAGAIN) goes on
// under a new consumer name, as a restarted worker would: what the lost
// reply delivered stays pending for the old name, until the new one
// finds it there (XPENDING of the old name) and takes it over (XCLAIM),
// and acknowledges it: a redelivery, counted apart. No entry may be
// delivered twice with ">", nor claimed once delivered to a consumer
// that got the reply; every acknowledged XADD must be in the stream at
// the end, delivered, pending for a consumer whose read was lost, or past
// the group's last-delivered ID; an acknowledged entry must leave the
// pending list and no other may. The stream, the pending list and the
// group's state are read on every node at the end and must agree.
type streamWorkload struct {
	*workload
	recordLog[streamRecord]
	// grouped is set once the group is known to exist (a reply said
	// so).
	grouped atomic.Bool
}

// runClient adds entries (even id) or consumes them (odd id) until ctx
// ends, each command against a random node.
func (sw *streamWorkload) runClient(ctx context.Context, id int, rng *rand.Rand) {
	conns := nodeConns{}
	defer conns.closeAll()
	gen := 0
	var dead []string // this client's incarnations whose reads got no answer, that may hold pending entries
	for i := 0; ctx.Err() == nil; i++ {
		if i%64 == 0 {
			conns.dropGone()
		}
		name := fmt.Sprintf("c%d-%d", id, gen)
		if id%2 == 1 && len(dead) > 0 {
			var died bool
			if dead, died = sw.recoverPending(ctx, conns, id, name, dead, rng); died {
				dead = append(dead, name)
				gen++
			}
			continue
		}
		n := sw.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		r := streamRecord{client: id, node: n.idx, op: opXReadGroup, consumer: name}
		if id%2 == 0 {
			r = streamRecord{client: id, node: n.idx, op: opXAdd, value: fmt.Sprintf("c%d-%d", id, i)}
		}
		r = sw.invoke(conns, n, r)
		sw.add(r)
		switch {
		case r.op == opXReadGroup && r.st == statusUnknown:
			// Whatever the lost reply delivered is pending for this
			// name: a new incarnation reads under another, once it has
			// taken that over.
			dead = append(dead, r.consumer)
			gen++
		case r.op == opXReadGroup && r.st == statusFail && strings.HasPrefix(r.detail, "NOGROUP"):
			sw.createGroup(ctx, conns, id, rng)
		case r.op == opXReadGroup && r.st == statusOK && len(r.entries) > 0:
			sw.ack(ctx, conns, r, rng)
		}
		if think := sw.think; think > 0 {
			if id%2 == 0 {
				think *= producerSlowdown
			}
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(think))+1))
		}
	}
}

// recoverPending takes one step to take over what the first of the dead
// incarnations holds pending, as name: it lists that with XPENDING, and
// if there is nothing forgets the incarnation, else XCLAIMs it and
// acknowledges what it got. died reports an XCLAIM that got no answer:
// then name may hold entries of its own it was not told of.
func (sw *streamWorkload) recoverPending(ctx context.Context, conns nodeConns, id int, name string, dead []string, rng *rand.Rand) ([]string, bool) {
	n := sw.pickNode(ctx, rng)
	if n == nil {
		return dead, false
	}
	p := sw.invoke(conns, n, streamRecord{client: id, node: n.idx, op: opXPending, consumer: dead[0]})
	sw.add(p)
	switch {
	case p.st != statusOK:
		sleepCtx(ctx, 10*time.Millisecond)
		return dead, false
	case len(p.ids) == 0:
		return dead[1:], false
	}
	if n = sw.pickNode(ctx, rng); n == nil {
		return dead, false
	}
	c := sw.invoke(conns, n, streamRecord{client: id, node: n.idx, op: opXClaim, consumer: name, ids: p.ids})
	sw.add(c)
	switch {
	case c.st == statusUnknown:
		return dead, true
	case c.st == statusOK && len(c.entries) > 0:
		sw.ack(ctx, conns, c, rng)
	}
	return dead, false
}

// createGroup creates the consumer group from the stream's beginning,
// so that it covers entries added before it: once one XGROUP CREATE is
// answered, OK or BUSYGROUP.
func (sw *streamWorkload) createGroup(ctx context.Context, conns nodeConns, id int, rng *rand.Rand) {
	for ctx.Err() == nil && !sw.grouped.Load() {
		n := sw.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		r := sw.invoke(conns, n, streamRecord{client: id, node: n.idx, op: opXGroup})
		sw.add(r)
		if r.st == statusOK {
			return
		}
		sleepCtx(ctx, 10*time.Millisecond)
	}
}

// ack XACKs what rd delivered, on random nodes, until an XACK is
// answered or ctx ends: a worker retries its acknowledgement, and an
// XACK of entries already acknowledged acknowledges nothing.
func (sw *streamWorkload) ack(ctx context.Context, conns nodeConns, rd streamRecord, rng *rand.Rand) {
	var ids []string
	for _, e := range rd.entries {
		ids = append(ids, e.id)
	}
	for ctx.Err() == nil {
		n := sw.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		r := sw.invoke(conns, n, streamRecord{client: rd.client, node: n.idx, op: opXAck, consumer: rd.consumer, ids: ids})
		sw.add(r)
		if r.st == statusOK {
			return
		}
		sleepCtx(ctx, 10*time.Millisecond)
	}
}

func (sw *streamWorkload) invoke(conns nodeConns, n *node, rec streamRecord) streamRecord {
	deadline := sw.opTimeout
	if rec.op == opXReadGroup {
		deadline = sw.blockingDeadline(streamBlock)
	}
	rec.grouped = sw.grouped.Load()
	cmd := streamCommand(rec)
	o, rs, ok := sw.exchange(conns, n, deadline, func() string { return strings.Join(cmd, " ") }, cmd)
	rec.call, rec.ret, rec.st, rec.detail, rec.late = o.call, o.ret, o.st, o.detail, o.late
	// Unknown, sent and no answer: an XADD may have happened, an
	// XREADGROUP may have delivered entries now pending for this
	// consumer, an XACK may have acknowledged them.
	if ok {
		rec.st, rec.detail = sw.interpret(&rec, rs[0])
	}
	return rec
}

// interpret classifies a reply: an XADD answers the new entry's ID, an
// XREADGROUP the stream's new entries or nil once it has blocked for
// streamBlock, an XACK how many entries it acknowledged, XGROUP CREATE
// OK (or BUSYGROUP: someone else made the group); NOGROUP is a definite
// failure until the group exists, CLUSTERDOWN proves nothing happened,
// TRYAGAIN leaves it unknown, as does a blocked read's node shutting
// down, and anything else is odd (and unknown).
func (sw *streamWorkload) interpret(rec *streamRecord, r reply) (status, string) {
	desc := strings.Join(streamCommand(*rec), " ")
	if r.isErr() {
		if st, ok := clusterErrorStatus(r.str, sw.clusterDownDefinite); ok {
			return st, r.str
		}
		switch code, _, _ := strings.Cut(r.str, " "); {
		case code == "NOGROUP" && rec.op == opXReadGroup && !rec.grouped:
			return statusFail, r.str
		case r.str == unblockedShutdown && rec.op == opXReadGroup:
			return statusUnknown, r.str
		case code == "BUSYGROUP" && rec.op == opXGroup:
			sw.grouped.Store(true)
			return statusOK, ""
		}
		sw.odd("%s: error %s", desc, r.str)
		return statusUnknown, r.str
	}
	switch {
	case rec.op == opXAdd && r.kind == '$' && !r.null:
		if _, ok := parseStreamID(r.str); ok {
			rec.id = r.str
			return statusOK, ""
		}
	case rec.op == opXGroup && r.kind == '+' && r.str == "OK":
		sw.grouped.Store(true)
		return statusOK, ""
	case rec.op == opXAck && r.kind == ':' && r.num >= 0 && r.num <= int64(len(rec.ids)):
		rec.acked = r.num
		return statusOK, ""
	case rec.op == opXReadGroup && r.kind == '*' && r.null:
		sw.grouped.Store(true)
		return statusOK, "" // nothing new within streamBlock
	case rec.op == opXPending && r.kind == '*' && !r.null:
		ids, ok := pendingIDs(r, rec.consumer)
		if ok {
			rec.ids = ids
			return statusOK, ""
		}
	case rec.op == opXClaim && r.kind == '*' && !r.null:
		if es, ok := parseEntries(r); ok && claimedAsked(es, rec.ids) {
			rec.entries = es
			return statusOK, ""
		}
	case rec.op == opXReadGroup && r.kind == '*' && len(r.elems) == 1:
		if es, ok := streamEntries(r.elems[0]); ok {
			sw.grouped.Store(true)
			rec.entries = es
			return statusOK, ""
		}
	}
	sw.odd("%s: unexpected reply %s", desc, r)
	return statusUnknown, "unexpected reply " + r.String()
}

// pendingIDs parses the IDs of an XPENDING reply for one consumer,
// [[id consumer idle deliveries] ...].
func pendingIDs(r reply, consumer string) ([]string, bool) {
	var ids []string
	for _, p := range r.elems {
		if p.kind != '*' || len(p.elems) != 4 || p.elems[1].str != consumer {
			return nil, false
		}
		if _, ok := parseStreamID(p.elems[0].str); !ok {
			return nil, false
		}
		ids = append(ids, p.elems[0].str)
	}
	return ids, true
}

// claimedAsked reports whether the entries an XCLAIM returned are among
// those it asked for, each once.
func claimedAsked(es []streamEntry, asked []string) bool {
	seen := map[string]bool{}
	for _, e := range es {
		if seen[e.id] || !slices.Contains(asked, e.id) {
			return false
		}
		seen[e.id] = true
	}
	return true
}

// streamEntries parses one stream's part of an XREADGROUP reply,
// [key [[id [field value]] ...]].
func streamEntries(r reply) ([]streamEntry, bool) {
	if r.kind != '*' || len(r.elems) != 2 || r.elems[0].kind != '$' || r.elems[0].str != streamKey || r.elems[1].kind != '*' {
		return nil, false
	}
	return parseEntries(r.elems[1])
}

// parseEntries parses a list of entries, [[id [field value]] ...], as
// XRANGE and XREADGROUP give them.
func parseEntries(r reply) ([]streamEntry, bool) {
	if r.kind != '*' || r.null {
		return nil, false
	}
	es := make([]streamEntry, 0, len(r.elems))
	for _, e := range r.elems {
		if e.kind != '*' || len(e.elems) != 2 || e.elems[0].kind != '$' {
			return nil, false
		}
		id, fv := e.elems[0].str, e.elems[1]
		if _, ok := parseStreamID(id); !ok || fv.kind != '*' || len(fv.elems) != 2 || fv.elems[0].str != streamField || fv.elems[1].kind != '$' {
			return nil, false
		}
		es = append(es, streamEntry{id: id, value: fv.elems[1].str})
	}
	return es, true
}

// streamID is a stream entry ID, ms-seq.
type streamID struct{ ms, seq uint64 }

func parseStreamID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return streamID{ms, seq}, err1 == nil && err2 == nil
}

// idLess orders two IDs as the stream does (an unparsable one first).
func idLess(a, b string) bool {
	x, _ := parseStreamID(a)
	y, _ := parseStreamID(b)
	return x.ms < y.ms || x.ms == y.ms && x.seq < y.seq
}

// streamPending is one entry of the group's pending list.
type streamPending struct {
	consumer   string
	deliveries int64
}

// streamFinal is the stream and its group at the end, as the first
// member read them.
type streamFinal struct {
	entries       []streamEntry
	pending       map[string]streamPending // by ID
	group         bool                     // the group exists
	lastDelivered string                   // the group's last-delivered ID
}

// finalReads reads the stream (XRANGE), the group's pending list
// (XPENDING, without idle times) and state (XINFO GROUPS), and DBSIZE, on
// every member once the cluster has settled, and reports the members
// that disagree; what is checked is the first member's view.
func (sw *streamWorkload) finalReads(ctx context.Context, cl *cluster, timeout time.Duration) (finalState, streamFinal) {
	nodes := cl.nodes()
	fs := finalState{nodes: len(nodes)}
	var sf streamFinal
	reads := []struct {
		name string
		cmd  []string
	}{
		{"XRANGE " + streamKey, []string{"XRANGE", streamKey, "-", "+"}},
		{"XPENDING " + streamKey, []string{"XPENDING", streamKey, streamGroup, "-", "+", "1000000000"}},
		{"XINFO GROUPS " + streamKey, []string{"XINFO", "GROUPS", streamKey}},
		{"(dbsize)", []string{"DBSIZE"}},
	}
	var keys []string
	values := map[string][]string{}
	for _, rd := range reads {
		keys = append(keys, rd.name)
	}
	for i, n := range nodes {
		var c *respConn
		deadline := time.Now().Add(60 * time.Second)
		for j, rd := range reads {
			var rs reply
			var lastErr error
			for ok := false; !ok; {
				if time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				rs, lastErr = query(&c, n, rd.cmd, timeout)
				if ok = lastErr == nil; !ok {
					sleepCtx(ctx, 100*time.Millisecond)
				}
			}
			got := "(no answer)"
			if lastErr != nil {
				fs.problems = append(fs.problems, fmt.Sprintf("%s did not answer the final %s: %v", n, rd.name, lastErr))
			} else {
				fs.reads++
				var bad bool
				got, bad = sw.finalValue(j, rs, &sf, i == 0)
				if bad {
					fs.problems = append(fs.problems, fmt.Sprintf("%s answered the final %s with %s", n, rd.name, rs))
				}
			}
			values[rd.name] = append(values[rd.name], got)
		}
		if c != nil {
			c.close()
		}
	}
	fs.disagree = disagreements(nodes, keys, values)
	return fs, sf
}

// finalValue turns the answer to final read j into what the members
// must agree on (idle times left out), and when first is set fills in
// sf from it; bad reports an answer of the wrong shape.
func (sw *streamWorkload) finalValue(j int, rs reply, sf *streamFinal, first bool) (string, bool) {
	switch j {
	case 0: // XRANGE
		es, ok := parseEntries(rs)
		if first {
			sf.entries = es
		}
		return rs.String(), !ok
	case 1: // XPENDING - + count: [[id consumer idle deliveries] ...]
		var parts []string
		if first {
			sf.pending = map[string]streamPending{}
		}
		for _, p := range rs.elems {
			if p.kind != '*' || len(p.elems) != 4 {
				return rs.String(), true
			}
			id, consumer, n := p.elems[0].str, p.elems[1].str, p.elems[3].num
			parts = append(parts, fmt.Sprintf("%s:%s:%d", id, consumer, n))
			if first {
				sf.pending[id] = streamPending{consumer: consumer, deliveries: n}
			}
		}
		return strings.Join(parts, " "), false
	case 2: // XINFO GROUPS: [[name g consumers n pending n last-delivered-id id ...] ...]
		var parts []string
		for _, g := range rs.elems {
			fields := map[string]reply{}
			for k := 0; k+1 < len(g.elems); k += 2 {
				fields[g.elems[k].str] = g.elems[k+1]
			}
			if fields["name"].str != streamGroup {
				continue
			}
			parts = append(parts, g.String())
			if first {
				sf.group, sf.lastDelivered = true, fields["last-delivered-id"].str
			}
		}
		return strings.Join(parts, " "), false
	}
	return rs.String(), false
}

// streamVerdict is what became of the entries.
type streamVerdict struct {
	adds, reads, acks [3]int // by status
	groups            [3]int // XGROUP CREATEs by status
	pendings, claims  [3]int // XPENDINGs and XCLAIMs of a lost read's entries, by status
	redelivered       int    // entries claimed from an incarnation whose read got no answer
	delivered         int    // entries delivered by answered XREADGROUPs
	empty             int    // answered XREADGROUPs that delivered nothing
	inStream          int    // entries in the stream at the end
	undelivered       int    // of which past the group's last-delivered ID
	pending           int    // entries pending at the end
	orphaned          int    // of which for a consumer whose XREADGROUP got no answer
	lost              int    // acknowledged XADDs not in the stream
	duplicated        int    // values in the stream more than once
	invented          int    // values in the stream never added
	failedSeen        int    // values in the stream whose XADD definitely failed
	unknownSeen       int    // unknown-outcome XADDs in the stream
	// doubleDelivered are IDs delivered twice (with ">" or claimed);
	// misdelivered are
	// deliveries of an ID not in the stream, with another value than the
	// stream's, or past the group's last-delivered ID; skipped are
	// entries the group moved past that no answered XREADGROUP delivered
	// and that are not pending for a consumer whose read was lost;
	// pendingWrong are entries pending though acknowledged, pending for
	// another consumer than the one they were delivered to, gone from the
	// pending list though never acknowledged, or XACKs that found
	// delivered entries not pending.
	doubleDelivered, misdelivered, skipped, pendingWrong int
	noGroup                                              bool // the group is missing at the end
	examples                                             []string
}

func (v *streamVerdict) ok() bool {
	return v.lost == 0 && v.duplicated == 0 && v.invented == 0 && v.failedSeen == 0 &&
		v.doubleDelivered == 0 && v.misdelivered == 0 && v.skipped == 0 && v.pendingWrong == 0 && !v.noGroup
}

// checkStream checks the history against the stream and its group at
// the end.
func checkStream(recs []streamRecord, fin streamFinal) streamVerdict {
	var v streamVerdict
	example := func(format string, args ...any) {
		if len(v.examples) < 10 {
			v.examples = append(v.examples, fmt.Sprintf(format, args...))
		}
	}
	added := map[string]streamRecord{}       // by value
	delivered := map[string][]streamRecord{} // by ID
	acks := map[string][]streamRecord{}      // by ID, in call order
	claimed := map[string][]streamRecord{}   // by ID
	lostReads := map[string]bool{}           // consumers whose XREADGROUP or XCLAIM got no answer
	sorted := slices.Clone(recs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].call < sorted[j].call })
	for _, r := range sorted {
		switch r.op {
		case opXAdd:
			v.adds[r.st]++
			added[r.value] = r
		case opXGroup:
			v.groups[r.st]++
		case opXPending:
			v.pendings[r.st]++
		case opXClaim:
			v.claims[r.st]++
			switch r.st {
			case statusUnknown:
				lostReads[r.consumer] = true
			case statusOK:
				for _, e := range r.entries {
					v.redelivered++
					claimed[e.id] = append(claimed[e.id], r)
				}
			}
		case opXAck:
			v.acks[r.st]++
			for _, id := range r.ids {
				acks[id] = append(acks[id], r)
			}
		case opXReadGroup:
			v.reads[r.st]++
			switch {
			case r.st == statusUnknown:
				lostReads[r.consumer] = true
			case r.st == statusOK && len(r.entries) == 0:
				v.empty++
			case r.st == statusOK:
				for _, e := range r.entries {
					v.delivered++
					delivered[e.id] = append(delivered[e.id], r)
				}
			}
		}
	}
	if !fin.group {
		v.noGroup = v.groups[statusOK] > 0 || v.delivered > 0
		if v.noGroup {
			example("the group %s is missing at the end", streamGroup)
		}
	}

	// The stream against the XADDs.
	byID := map[string]string{}
	seen := map[string]int{}
	for _, e := range fin.entries {
		byID[e.id] = e.value
		seen[e.value]++
	}
	v.inStream = len(fin.entries)
	for _, val := range slices.Sorted(maps.Keys(seen)) {
		a, ok := added[val]
		switch {
		case !ok:
			v.invented++
			example("in the stream, never added: %s", val)
			continue
		case a.st == statusFail:
			v.failedSeen++
			example("XADD reported failed (%s), but in the stream: %s", a.detail, a)
		case a.st == statusUnknown:
			v.unknownSeen++
		}
		if seen[val] > 1 {
			v.duplicated++
			example("in the stream %d times: %s", seen[val], val)
		}
	}
	for _, a := range sorted {
		if a.op != opXAdd || a.st != statusOK {
			continue
		}
		if got, ok := byID[a.id]; !ok || got != a.value {
			v.lost++
			if ok {
				example("acknowledged, but %s holds %s: %s", a.id, got, a)
			} else {
				example("acknowledged, not in the stream: %s", a)
			}
		}
	}

	// Deliveries against the stream and the group.
	got := map[string][]streamRecord{} // by ID: the deliveries and claims, in return order
	for id, ds := range delivered {
		got[id] = append(got[id], ds...)
	}
	for id, cs := range claimed {
		got[id] = append(got[id], cs...)
		sort.SliceStable(got[id], func(i, j int) bool { return got[id][i].ret < got[id][j].ret })
	}
	for _, id := range slices.SortedFunc(maps.Keys(got), func(a, b string) int {
		if idLess(a, b) {
			return -1
		}
		if idLess(b, a) {
			return 1
		}
		return 0
	}) {
		ds := got[id]
		// Once with ">", or claimed once from an incarnation whose read
		// got no answer.
		if n := len(delivered[id]) + len(claimed[id]); n > 1 {
			v.doubleDelivered++
			var how []string
			for _, d := range ds[:min(len(ds), 5)] {
				verb := "to"
				if d.op == opXClaim {
					verb = "claimed by"
				}
				how = append(how, fmt.Sprintf("%s %s on n%d at %.3fs", verb, d.consumer, d.node, float64(d.ret)/1e9))
			}
			example("%s delivered %d times: %s", id, n, strings.Join(how, ", "))
		}
		val, ok := byID[id]
		switch {
		case !ok:
			v.misdelivered++
			example("%s delivered, not in the stream: %s", id, ds[0])
		case fin.group && idLess(fin.lastDelivered, id):
			v.misdelivered++
			example("%s delivered, past the group's last-delivered ID %s: %s", id, fin.lastDelivered, ds[0])
		}
		for _, d := range ds {
			for _, e := range d.entries {
				if e.id == id && ok && e.value != val {
					v.misdelivered++
					example("%s delivered as %s, the stream holds %s: %s", id, e.value, val, d)
				}
			}
		}
		// The last delivery decides where the entry must be now.
		d := ds[len(ds)-1]
		p, isPending := fin.pending[id]
		acked, mayAcked := false, false
		for _, a := range acks[id] {
			switch {
			case a.call < d.ret:
			case a.st == statusOK:
				acked = true
			case a.st == statusUnknown:
				mayAcked = true
			}
		}
		switch {
		case isPending && acked:
			v.pendingWrong++
			example("%s pending for %s, though acknowledged: %s", id, p.consumer, d)
		case isPending && p.consumer != d.consumer:
			v.pendingWrong++
			example("%s pending for %s, delivered to %s: %s", id, p.consumer, d.consumer, d)
		case !isPending && !acked && !mayAcked:
			v.pendingWrong++
			example("%s not pending, though never acknowledged: %s", id, d)
		}
	}
	// An XACK that acknowledged fewer than it named found some not
	// pending: allowed only when an XACK of them before it may have
	// acknowledged them.
	for _, a := range sorted {
		if a.op != opXAck || a.st != statusOK || a.acked == int64(len(a.ids)) {
			continue
		}
		before := false
		for _, id := range a.ids {
			for _, b := range acks[id] {
				if b.call < a.call && b.st != statusFail {
					before = true
				}
			}
		}
		if !before {
			v.pendingWrong++
			example("acknowledged %d of the %d entries its consumer was delivered: %s", a.acked, len(a.ids), a)
		}
	}

	// Every entry in the stream: delivered, pending for a consumer whose
	// read was lost, or not yet delivered.
	v.pending = len(fin.pending)
	for _, e := range fin.entries {
		p, isPending := fin.pending[e.id]
		_, wasDelivered := got[e.id]
		switch {
		case fin.group && idLess(fin.lastDelivered, e.id):
			v.undelivered++
			if isPending {
				v.pendingWrong++
				example("%s pending for %s, past the group's last-delivered ID %s", e.id, p.consumer, fin.lastDelivered)
			}
		case wasDelivered:
		case isPending && lostReads[p.consumer]:
			v.orphaned++
		case isPending:
			v.pendingWrong++
			example("%s pending for %s, which was never delivered it and whose reads were all answered", e.id, p.consumer)
		case fin.group:
			v.skipped++
			a := added[e.value]
			example("%s (%s) is before the group's last-delivered ID %s, but nobody was delivered it: %s", e.id, e.value, fin.lastDelivered, a)
		}
	}
	for id := range fin.pending {
		if _, ok := byID[id]; !ok {
			v.pendingWrong++
			example("%s pending, not in the stream", id)
		}
	}
	return v
}

// writeStreamHistory writes every operation, in call order, one a line.
func writeStreamHistory(path string, recs []streamRecord) error {
	return writeInCallOrder(path, recs, func(r streamRecord) int64 { return r.call }, func(r streamRecord) string { return fmt.Sprint(r) })
}

// printStream is print for -workload stream.
func (r *result) printStream(w io.Writer) {
	v := r.streamV
	fmt.Fprintf(w, "%-10s %8s %8s %8s\n", "op", "ok", "failed", "unknown")
	fmt.Fprintf(w, "%-10s %8d %8d %8d\n", "xadd", v.adds[statusOK], v.adds[statusFail], v.adds[statusUnknown])
	fmt.Fprintf(w, "%-10s %8d %8d %8d   (of the ok: %d delivered %d entries, %d nothing new)\n", "xreadgroup", v.reads[statusOK], v.reads[statusFail], v.reads[statusUnknown], v.reads[statusOK]-v.empty, v.delivered, v.empty)
	fmt.Fprintf(w, "%-10s %8d %8d %8d\n", "xack", v.acks[statusOK], v.acks[statusFail], v.acks[statusUnknown])
	fmt.Fprintf(w, "%-10s %8d %8d %8d\n", "xgroup", v.groups[statusOK], v.groups[statusFail], v.groups[statusUnknown])
	fmt.Fprintf(w, "%-10s %8d %8d %8d   (of a consumer whose read got no answer)\n", "xpending", v.pendings[statusOK], v.pendings[statusFail], v.pendings[statusUnknown])
	fmt.Fprintf(w, "%-10s %8d %8d %8d   (of the ok: %d entries redelivered)\n", "xclaim", v.claims[statusOK], v.claims[statusFail], v.claims[statusUnknown], v.redelivered)
	r.printCommon(w)
	fmt.Fprintf(w, "entries in the stream at the end: %d, of which not yet delivered: %d; pending: %d, of which for a consumer whose read got no answer: %d; acknowledged XADDs lost: %d\n",
		v.inStream, v.undelivered, v.pending, v.orphaned, v.lost)
	fmt.Fprintf(w, "delivered twice: %d; delivered wrong: %d; skipped by the group: %d; pending list wrong: %d; in the stream twice: %d; never added: %d; XADD definitely failed but in the stream: %d; unknown-outcome XADDs in the stream: %d\n",
		v.doubleDelivered, v.misdelivered, v.skipped, v.pendingWrong, v.duplicated, v.invented, v.failedSeen, v.unknownSeen)
	for _, e := range v.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	r.printAgree(w)
	r.printEnd(w)
}
