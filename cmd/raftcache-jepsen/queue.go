package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// workloadQueue names the queue workload (-workload queue).
const workloadQueue = "queue"

// queueKeys is how many queues the producers spread over; every
// consumer pops from all of them.
const queueKeys = 2

func queueKey(i int) string { return fmt.Sprintf("jepsen:queue:%d", i) }

// queueBlock is how long a consumer's BRPOP or BLMOVE blocks (whole
// seconds): below the server's -timeout, so that an empty queue is
// answered with nil rather than an error.
const queueBlock = time.Second

// unblockedShutdown is what a node that shuts down (stopped, or removed
// from the cluster) answers its blocked clients: whether the wait was
// served first, and by what, is unknown.
const unblockedShutdown = "UNBLOCKED the server is shutting down"

// blockingDeadline is the client's deadline for a blocking command that
// blocks up to block: the server first proposes the wait (up to its
// -timeout), then, once block has passed since the command arrived,
// proposes its end (up to -timeout again: the log decides whether a push
// or the timeout came first), so it answers within max(timeout, block) +
// timeout; the client waits that plus the margin opTimeout leaves over
// timeout.
func (w *workload) blockingDeadline(block time.Duration) time.Duration {
	return w.opTimeout + max(w.srvTimeout, block)
}

// producerSlowdown is how much longer producers pause between
// operations than consumers: enough that the consumers keep up and
// mostly wait in blocking pops on empty queues, the case blocking pops
// are for, rather than draining a backlog that never empties.
const producerSlowdown = 4

// procKey is the processing list of BLMOVE consumer client: the reliable
// queue pattern (RQ, Sidekiq's super_fetch) moves each job there
// atomically, and removes it only once it is processed, so that a worker
// that dies mid-job leaves the job where it can be found.
func procKey(client int) string { return fmt.Sprintf("jepsen:queue:proc:c%d", client) }

// queueOp is what a queue operation does.
type queueOp uint8

const (
	opLPush  queueOp = iota // a producer's LPUSH
	opBRPop                 // a BRPOP consumer's pop
	opBLMove                // a BLMOVE consumer's move into its processing list
	opLRem                  // a BLMOVE consumer's removal of a processed element
)

// blmoveConsumer reports whether client id consumes with BLMOVE (and
// LREM) rather than BRPOP: every other consumer does.
func blmoveConsumer(id int) bool { return id%2 == 1 && (id/2)%2 == 0 }

// queueRecord is one LPUSH, BRPOP, BLMOVE or LREM of the history.
type queueRecord struct {
	client, node int
	op           queueOp
	queue, elem  string // push: what was pushed; pop: what was popped ("" for none); LREM: what was removed
	proc         string // BLMOVE and LREM: the consumer's processing list
	removed      int64  // LREM: its reply
	st           status
	call, ret    int64
	detail       string
	late         bool
}

func (r queueRecord) String() string {
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	got := "?"
	switch {
	case r.st == statusOK && r.elem == "":
		got = "nil"
	case r.st == statusOK:
		got = r.queue + " " + r.elem
	}
	var op string
	switch r.op {
	case opLPush:
		op = fmt.Sprintf("LPUSH %s %s", r.queue, r.elem)
	case opBRPop:
		op = "BRPOP -> " + got
	case opBLMove:
		op = fmt.Sprintf("BLMOVE %s %s -> %s", r.queue, r.proc, got)
	case opLRem:
		op = fmt.Sprintf("LREM %s 1 %s", r.proc, r.elem)
		if r.st == statusOK {
			op += fmt.Sprintf(" -> %d", r.removed)
		}
	}
	s := fmt.Sprintf("%10.3f %-12s c%-4d n%-3d %-7s %s", float64(r.call)/1e9, ret, r.client, r.node, r.st, op)
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// queueWorkload drives producers and consumers (issue 15): the
// even-numbered clients LPUSH unique elements onto one of queueKeys lists
// on a random node; of the odd-numbered ones, every other one BRPOPs from
// all of them on a random node, and the rest BLMOVE from one of them into
// a processing list of their own and then LREM the element from it (see
// procKey), each command on a random node. Every acknowledged element
// must be delivered exactly once, or still be queued, or (moved by a
// BLMOVE whose reply was lost, or whose LREM was not confirmed) be in one
// processing list at the end; a BRPOP whose outcome is unknown (its
// connection broke, or TRYAGAIN) may have taken one element with it, and
// only that many acknowledged elements may go missing; no element may be
// delivered twice, or delivered and still queued or in a processing list
// it was removed from, and none that nobody pushed, or whose push
// definitely failed, may appear.
type queueWorkload struct {
	*workload
	recordLog[queueRecord]
	procsMu sync.Mutex
	procs   map[int]bool // the BLMOVE consumers that ran
}

// processingLists returns the processing lists of the BLMOVE consumers
// that ran, by client.
func (qw *queueWorkload) processingLists() map[int]string {
	qw.procsMu.Lock()
	defer qw.procsMu.Unlock()
	out := map[int]string{}
	for c := range qw.procs {
		out[c] = procKey(c)
	}
	return out
}

// runClient pushes (even id), or pops (odd id) with BRPOP or BLMOVE and
// LREM (see blmoveConsumer), until ctx ends, each command against a
// random node.
func (qw *queueWorkload) runClient(ctx context.Context, id int, rng *rand.Rand) {
	conns := nodeConns{}
	defer conns.closeAll()
	rec := queueRecord{client: id, op: opBRPop}
	switch {
	case id%2 == 0:
		rec.op = opLPush
	case blmoveConsumer(id):
		rec.op, rec.proc = opBLMove, procKey(id)
		qw.procsMu.Lock()
		if qw.procs == nil {
			qw.procs = map[int]bool{}
		}
		qw.procs[id] = true
		qw.procsMu.Unlock()
	}
	for i := 0; ctx.Err() == nil; i++ {
		if i%64 == 0 {
			conns.dropGone()
		}
		n := qw.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		r := rec
		r.node = n.idx
		switch r.op {
		case opLPush:
			r.queue, r.elem = queueKey(rng.IntN(queueKeys)), fmt.Sprintf("c%d-%d", id, i)
		case opBLMove:
			r.queue = queueKey(rng.IntN(queueKeys))
		}
		r = qw.invoke(conns, n, r)
		qw.add(r)
		if r.op == opBLMove && r.st == statusOK && r.elem != "" {
			qw.remove(ctx, conns, r, rng)
		}
		if think := qw.think; think > 0 {
			if r.op == opLPush {
				think *= producerSlowdown
			}
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(think))+1))
		}
	}
}

// remove "processes" the element moved by mv and LREMs it from the
// processing list, on random nodes, until an LREM is answered or ctx
// ends: a worker retries its acknowledgement, and an LREM of an element
// already removed removes nothing.
func (qw *queueWorkload) remove(ctx context.Context, conns nodeConns, mv queueRecord, rng *rand.Rand) {
	for ctx.Err() == nil {
		n := qw.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		r := qw.invoke(conns, n, queueRecord{client: mv.client, node: n.idx, op: opLRem, queue: mv.queue, elem: mv.elem, proc: mv.proc})
		qw.add(r)
		if r.st == statusOK {
			return
		}
		sleepCtx(ctx, 10*time.Millisecond)
	}
}

// blockSeconds is queueBlock as BRPOP and BLMOVE take it.
func blockSeconds() string { return strconv.Itoa(int(queueBlock / time.Second)) }

func queueCommand(rec queueRecord) []string {
	switch rec.op {
	case opLPush:
		return []string{"LPUSH", rec.queue, rec.elem}
	case opBLMove:
		return []string{"BLMOVE", rec.queue, rec.proc, "RIGHT", "LEFT", blockSeconds()}
	case opLRem:
		return []string{"LREM", rec.proc, "1", rec.elem}
	}
	cmd := []string{"BRPOP"}
	for i := range queueKeys {
		cmd = append(cmd, queueKey(i))
	}
	return append(cmd, blockSeconds())
}

func (qw *queueWorkload) invoke(conns nodeConns, n *node, rec queueRecord) queueRecord {
	deadline := qw.opTimeout
	if rec.op == opBRPop || rec.op == opBLMove {
		deadline = qw.blockingDeadline(queueBlock)
	}
	cmd := queueCommand(rec)
	o, rs, ok := qw.exchange(conns, n, deadline, func() string { return strings.Join(cmd, " ") }, cmd)
	rec.call, rec.ret, rec.st, rec.detail, rec.late = o.call, o.ret, o.st, o.detail, o.late
	// Unknown, sent and no answer: a push may have happened, a pop may
	// have taken an element that is now lost with the connection (or, a
	// BLMOVE, left it in the processing list).
	if ok {
		rec.st, rec.detail = qw.interpret(&rec, rs[0])
	}
	return rec
}

// interpret classifies a reply: an LPUSH answers the list's length, a
// BRPOP the queue and element or nil once it has blocked for queueBlock,
// a BLMOVE the element or a null array, an LREM how many it removed (0 or 1);
// CLUSTERDOWN proves nothing happened, TRYAGAIN leaves it unknown, as
// does a blocked pop's node shutting down, and anything else is odd (and
// unknown).
func (qw *queueWorkload) interpret(rec *queueRecord, r reply) (status, string) {
	desc := strings.Join(queueCommand(*rec), " ")
	if r.isErr() {
		if st, ok := clusterErrorStatus(r.str, qw.clusterDownDefinite); ok {
			return st, r.str
		}
		if (rec.op == opBRPop || rec.op == opBLMove) && r.str == unblockedShutdown {
			return statusUnknown, r.str
		}
		qw.odd("%s: error %s", desc, r.str)
		return statusUnknown, r.str
	}
	switch {
	case rec.op == opLPush && r.kind == ':' && r.num >= 1:
		return statusOK, ""
	case rec.op == opBRPop && r.kind == '*' && r.null:
		return statusOK, "" // nothing to pop within queueBlock
	case rec.op == opBRPop && r.kind == '*' && len(r.elems) == 2 && r.elems[0].kind == '$' && r.elems[1].kind == '$':
		rec.queue, rec.elem = r.elems[0].str, r.elems[1].str
		return statusOK, ""
	case rec.op == opBLMove && r.kind == '*' && r.null:
		return statusOK, "" // timed out: Redis answers a null array, as BRPOP
	case rec.op == opBLMove && r.kind == '$' && !r.null:
		rec.elem = r.str
		return statusOK, ""
	case rec.op == opLRem && r.kind == ':' && (r.num == 0 || r.num == 1):
		rec.removed = r.num
		return statusOK, ""
	}
	qw.odd("%s: unexpected reply %s", desc, r)
	return statusUnknown, "unexpected reply " + r.String()
}

// queueFinal is where the elements are at the end, as the first member
// read them.
type queueFinal struct {
	queued     map[string]int         // element: how often it is in the queues
	processing map[string]map[int]int // element: consumer: how often it is in its processing list
}

// finalReads reads every queue and processing list, and DBSIZE, on every
// member once the cluster has settled, and reports the members that
// disagree; where the elements are is the first member's view.
func (qw *queueWorkload) finalReads(ctx context.Context, cl *cluster, timeout time.Duration) (finalState, queueFinal) {
	nodes := cl.nodes()
	fs := finalState{nodes: len(nodes)}
	qf := queueFinal{queued: map[string]int{}, processing: map[string]map[int]int{}}
	var keys []string
	for i := range queueKeys {
		keys = append(keys, queueKey(i))
	}
	procs := qw.processingLists()
	owner := map[string]int{}
	for _, c := range slices.Sorted(maps.Keys(procs)) {
		keys = append(keys, procs[c])
		owner[procs[c]] = c
	}
	keys = append(keys, "(dbsize)")
	values := make(map[string][]string, len(keys))
	for i, n := range nodes {
		var c *respConn
		deadline := time.Now().Add(60 * time.Second)
		for _, k := range keys {
			var got string
			var lastErr error
			for ok := false; !ok; {
				if time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				var rs reply
				if k == "(dbsize)" {
					rs, lastErr = query(&c, n, []string{"DBSIZE"}, timeout)
				} else {
					rs, lastErr = query(&c, n, []string{"LRANGE", k, "0", "-1"}, timeout)
				}
				if ok = lastErr == nil; !ok {
					sleepCtx(ctx, 100*time.Millisecond)
					continue
				}
				got = rs.String()
				fs.reads++
				if i != 0 || k == "(dbsize)" {
					continue
				}
				for _, e := range rs.elems {
					if c, ok := owner[k]; ok {
						if qf.processing[e.str] == nil {
							qf.processing[e.str] = map[int]int{}
						}
						qf.processing[e.str][c]++
					} else {
						qf.queued[e.str]++
					}
				}
			}
			if lastErr != nil {
				fs.problems = append(fs.problems, fmt.Sprintf("%s did not answer the final read of %s: %v", n, k, lastErr))
				got = "(no answer)"
			}
			values[k] = append(values[k], got)
		}
		if c != nil {
			c.close()
		}
	}
	fs.disagree = disagreements(nodes, keys, values)
	return fs, qf
}

// disagreements lists the keys whose values (one per node, in order)
// differ between nodes, each with every node's value, shortened.
func disagreements(nodes []*node, keys []string, values map[string][]string) []string {
	var out []string
	for _, k := range keys {
		vs := values[k]
		for _, v := range vs[1:] {
			if v != vs[0] {
				var parts []string
				for i, v := range vs {
					if len(v) > 200 {
						v = v[:200] + "..."
					}
					parts = append(parts, fmt.Sprintf("%s: %s", nodes[i], v))
				}
				out = append(out, k+": "+strings.Join(parts, ", "))
				break
			}
		}
	}
	return out
}

// queueVerdict is what became of the elements.
type queueVerdict struct {
	pushes, pops [3]int // by status
	moves, lrems [3]int // BLMOVEs and LREMs by status
	delivered    int    // BRPOPs and BLMOVEs that returned an element
	empty        int    // pops that found every queue empty for queueBlock
	queued       int    // elements still queued at the end
	processing   int    // elements in a processing list at the end
	orphaned     int    // of which moved there by a BLMOVE whose reply was lost
	missing      int    // acknowledged, neither delivered nor queued nor in a processing list
	lost         int    // missing beyond what the unknown BRPOPs may have taken
	duplicated   int    // delivered twice, or delivered and still queued, or in two places
	// dropped are elements a BLMOVE delivered that left its processing
	// list though no LREM of them may have happened, or were not in it
	// when an LREM first looked; unexplained are elements in a
	// processing list beyond what its consumer's BLMOVEs of unknown
	// outcome may have put there.
	dropped, unexplained int
	invented             int // delivered or queued, never pushed
	failedSeen           int // delivered or queued, though the push definitely failed
	unknownSeen          int // unknown-outcome pushes delivered or queued
	examples             []string
}

func (v *queueVerdict) ok() bool {
	return v.lost == 0 && v.duplicated == 0 && v.invented == 0 && v.failedSeen == 0 && v.dropped == 0 && v.unexplained == 0
}

// checkQueue checks the history against where the elements are at the
// end.
func checkQueue(recs []queueRecord, fin queueFinal) queueVerdict {
	var v queueVerdict
	example := func(format string, args ...any) {
		if len(v.examples) < 10 {
			v.examples = append(v.examples, fmt.Sprintf(format, args...))
		}
	}
	type key struct {
		client int
		elem   string
	}
	pushed := map[string]queueRecord{}
	delivered := map[string][]queueRecord{}
	lrems := map[key][]queueRecord{} // in call order: each client's are sequential
	unknownMoves := map[int]int{}    // by client
	var unknownPops int
	for _, r := range recs {
		switch r.op {
		case opLPush:
			v.pushes[r.st]++
			pushed[r.elem] = r
			continue
		case opLRem:
			v.lrems[r.st]++
			lrems[key{r.client, r.elem}] = append(lrems[key{r.client, r.elem}], r)
			continue
		case opBLMove:
			v.moves[r.st]++
			if r.st == statusUnknown {
				unknownMoves[r.client]++
			}
		case opBRPop:
			v.pops[r.st]++
			if r.st == statusUnknown {
				unknownPops++
			}
		}
		switch {
		case r.st != statusOK:
		case r.elem == "":
			v.empty++
		default:
			v.delivered++
			delivered[r.elem] = append(delivered[r.elem], r)
		}
	}
	for _, k := range slices.Collect(maps.Keys(lrems)) {
		slices.SortFunc(lrems[k], func(a, b queueRecord) int { return int(a.call - b.call) })
	}
	for _, n := range fin.queued {
		v.queued += n
	}
	orphans := map[int]int{} // by client
	copies := func(e string) int {
		n := len(delivered[e]) + fin.queued[e]
		for c, k := range fin.processing[e] {
			n += k
			for _, d := range delivered[e] {
				if d.op == opBLMove && d.client == c && !removedBy(lrems[key{c, e}]) {
					n-- // the delivery's own copy, not yet removed
					break
				}
			}
		}
		return n
	}
	for _, e := range slices.Sorted(maps.Keys(fin.processing)) {
		for _, c := range slices.Sorted(maps.Keys(fin.processing[e])) {
			k := fin.processing[e][c]
			v.processing += k
			if !slices.ContainsFunc(delivered[e], func(d queueRecord) bool { return d.op == opBLMove && d.client == c }) {
				v.orphaned += k
				orphans[c] += k
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(orphans)) {
		if n := orphans[c]; n > unknownMoves[c] {
			v.unexplained += n - unknownMoves[c]
			example("%d elements in %s no BLMOVE of c%d delivered, beyond its %d BLMOVEs of unknown outcome", n, procKey(c), c, unknownMoves[c])
		}
	}
	for _, e := range slices.Sorted(mapKeys(delivered, fin.queued)) {
		for _, d := range delivered[e] {
			if d.op != opBLMove {
				continue
			}
			ls := lrems[key{d.client, e}]
			if bad, why := lremTrouble(ls, fin.processing[e][d.client]); bad {
				v.dropped++
				example("%s delivered by %s: %s", e, d, why)
			}
		}
	}
	for _, e := range slices.Sorted(mapKeys(mapKeys2(delivered, fin.queued), fin.processing)) {
		n := copies(e)
		p, ok := pushed[e]
		switch {
		case !ok:
			v.invented++
			example("never pushed, but delivered %d times, queued %d times and in processing lists %v: %s", len(delivered[e]), fin.queued[e], fin.processing[e], e)
			continue
		case p.st == statusFail:
			v.failedSeen++
			example("push reported failed (%s), but seen: %s", p.detail, p)
		case p.st == statusUnknown:
			v.unknownSeen++
		}
		if n > 1 {
			v.duplicated++
			var how []string
			for _, d := range delivered[e] {
				how = append(how, fmt.Sprintf("to c%d on n%d at %.3fs", d.client, d.node, float64(d.ret)/1e9))
			}
			if fin.queued[e] > 0 {
				how = append(how, fmt.Sprintf("still queued ×%d", fin.queued[e]))
			}
			for _, c := range slices.Sorted(maps.Keys(fin.processing[e])) {
				how = append(how, fmt.Sprintf("in %s ×%d", procKey(c), fin.processing[e][c]))
			}
			if len(how) > 6 {
				how = append(how[:5], fmt.Sprintf("... (%d places in all)", n))
			}
			example("%s delivered more than once: %s", e, strings.Join(how, ", "))
		}
	}
	var missing []queueRecord
	for _, p := range pushed {
		if p.st == statusOK && len(delivered[p.elem])+fin.queued[p.elem]+len(fin.processing[p.elem]) == 0 {
			missing = append(missing, p)
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].call < missing[j].call })
	v.missing = len(missing)
	v.lost = max(0, v.missing-unknownPops)
	if v.lost > 0 {
		for _, p := range missing[:min(len(missing), 5)] {
			example("acknowledged, neither delivered nor queued nor in a processing list: %s", p)
		}
	}
	return v
}

// removedBy reports whether one of a consumer's LREMs of an element
// removed it.
func removedBy(ls []queueRecord) bool {
	return slices.ContainsFunc(ls, func(l queueRecord) bool { return l.st == statusOK && l.removed == 1 })
}

// lremTrouble checks what a consumer's LREMs of an element its BLMOVE
// delivered (ls, in order) say against how often the element is in its
// processing list at the end (inProc): the first answered LREM must
// have found it there unless an LREM before it may have removed it, and
// unless one may have removed it, it must still be there.
func lremTrouble(ls []queueRecord, inProc int) (bool, string) {
	mayHave := false
	for _, l := range ls {
		switch {
		case l.st == statusUnknown:
			mayHave = true
		case l.st == statusOK && l.removed == 0 && !mayHave:
			return true, fmt.Sprintf("not in the processing list when %s", l)
		case l.st == statusOK:
			return false, ""
		}
	}
	if !mayHave && inProc == 0 {
		return true, "gone from the processing list, though no LREM of it may have happened"
	}
	return false, ""
}

// mapKeys2 is the union of the keys of a and b, as a set.
func mapKeys2[V1, V2 any](a map[string]V1, b map[string]V2) map[string]bool {
	out := map[string]bool{}
	for k := range mapKeys(a, b) {
		out[k] = true
	}
	return out
}

// mapKeys is the union of the keys of a and b.
func mapKeys[V1, V2 any](a map[string]V1, b map[string]V2) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if _, dup := a[k]; dup {
				continue
			}
			if !yield(k) {
				return
			}
		}
	}
}

// writeQueueHistory writes every operation, in call order, one a line.
func writeQueueHistory(path string, recs []queueRecord) error {
	return writeInCallOrder(path, recs, func(r queueRecord) int64 { return r.call }, func(r queueRecord) string { return fmt.Sprint(r) })
}
