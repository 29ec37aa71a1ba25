package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
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

// queueBlock is how long a consumer's BRPOP blocks, in seconds: below the
// server's -timeout, so that an empty queue is answered with nil rather
// than an error.
const queueBlock = "1"

// queueRecord is one LPUSH or BRPOP of the history.
type queueRecord struct {
	client, node int
	push         bool
	queue, elem  string // push: what was pushed; pop: what was popped ("" for none)
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
	op := fmt.Sprintf("LPUSH %s %s", r.queue, r.elem)
	if !r.push {
		got := "?"
		switch {
		case r.st == statusOK && r.elem == "":
			got = "nil"
		case r.st == statusOK:
			got = r.queue + " " + r.elem
		}
		op = "BRPOP -> " + got
	}
	s := fmt.Sprintf("%10.3f %-12s c%-4d n%-3d %-7s %s", float64(r.call)/1e9, ret, r.client, r.node, r.st, op)
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// queueWorkload drives producers and consumers (issue 15): the
// even-numbered clients LPUSH unique elements onto one of queueKeys lists
// on a random node, the odd-numbered ones BRPOP from all of them on a
// random node. Every acknowledged element must be delivered exactly once,
// or still be queued at the end; a pop whose outcome is unknown (its
// connection broke, or TRYAGAIN) may have taken one element with it, and
// only that many acknowledged elements may go missing; no element may be
// delivered twice, or delivered and still queued, and none that nobody
// pushed, or whose push definitely failed, may appear.
type queueWorkload struct {
	*workload
	recsMu sync.Mutex
	recs   []queueRecord
}

func (qw *queueWorkload) add(r queueRecord) {
	qw.recsMu.Lock()
	qw.recs = append(qw.recs, r)
	qw.recsMu.Unlock()
}

func (qw *queueWorkload) records() []queueRecord {
	qw.recsMu.Lock()
	defer qw.recsMu.Unlock()
	return slices.Clone(qw.recs)
}

// runClient pushes (even id) or pops (odd id) until ctx ends, each
// operation against a random node.
func (qw *queueWorkload) runClient(ctx context.Context, id int, rng *rand.Rand) {
	conns := nodeConns{}
	defer conns.closeAll()
	for i := 0; ctx.Err() == nil; i++ {
		if i%64 == 0 {
			conns.dropGone()
		}
		n := qw.cl.pick(rng)
		if n == nil {
			sleepCtx(ctx, 50*time.Millisecond)
			continue
		}
		if n.reservation() != nil {
			sleepCtx(ctx, time.Millisecond) // see node.reserve
			continue
		}
		rec := queueRecord{client: id, node: n.idx, push: id%2 == 0}
		if rec.push {
			rec.queue, rec.elem = queueKey(rng.IntN(queueKeys)), fmt.Sprintf("c%d-%d", id, i)
		}
		qw.add(qw.invoke(conns, n, rec))
		if qw.think > 0 {
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(qw.think))+1))
		}
	}
}

func queueCommand(rec queueRecord) []string {
	if rec.push {
		return []string{"LPUSH", rec.queue, rec.elem}
	}
	cmd := []string{"BRPOP"}
	for i := range queueKeys {
		cmd = append(cmd, queueKey(i))
	}
	return append(cmd, queueBlock)
}

func (qw *queueWorkload) invoke(conns nodeConns, n *node, rec queueRecord) queueRecord {
	ctx, cancel := context.WithTimeout(context.Background(), qw.opTimeout)
	defer cancel()
	epoch, faulted := n.health()
	rec.call = qw.hist.now()
	defer func() {
		qw.noteAnswer(n, epoch, faulted, time.Duration(rec.ret-rec.call), rec.late, func() string {
			return fmt.Sprintf("%s on %s at %.3fs: %s", strings.Join(queueCommand(rec), " "), n, float64(rec.call)/1e9, rec.detail)
		})
	}()
	c, err := conns.get(ctx, n)
	if err != nil {
		rec.ret, rec.st, rec.detail, rec.late = qw.hist.now(), statusFail, err.Error(), isTimeout(err)
		return rec
	}
	rs, err := c.do(ctx, queueCommand(rec))
	rec.ret = qw.hist.now()
	if err != nil {
		// Sent, and no answer: a push may have happened, a pop may have
		// taken an element that is now lost with the connection.
		conns.drop(n)
		rec.st, rec.detail, rec.late = statusUnknown, err.Error(), isTimeout(err)
		return rec
	}
	rec.st, rec.detail = qw.interpret(&rec, rs[0])
	return rec
}

// interpret classifies a reply: an LPUSH answers the list's length, a
// BRPOP the queue and element or nil once it has blocked for queueBlock;
// CLUSTERDOWN proves nothing happened, TRYAGAIN leaves it unknown, and
// anything else is odd (and unknown).
func (qw *queueWorkload) interpret(rec *queueRecord, r reply) (status, string) {
	desc := strings.Join(queueCommand(*rec), " ")
	if r.isErr() {
		if st, ok := clusterErrorStatus(r.str, qw.clusterDownDefinite); ok {
			return st, r.str
		}
		qw.odd("%s: error %s", desc, r.str)
		return statusUnknown, r.str
	}
	switch {
	case rec.push && r.kind == ':' && r.num >= 1:
		return statusOK, ""
	case !rec.push && r.kind == '*' && r.null:
		return statusOK, "" // nothing to pop within queueBlock
	case !rec.push && r.kind == '*' && len(r.elems) == 2 && r.elems[0].kind == '$' && r.elems[1].kind == '$':
		rec.queue, rec.elem = r.elems[0].str, r.elems[1].str
		return statusOK, ""
	}
	qw.odd("%s: unexpected reply %s", desc, r)
	return statusUnknown, "unexpected reply " + r.String()
}

// finalReads reads every queue, and DBSIZE, on every member once the
// cluster has settled, and reports the members that disagree; the
// elements still queued are the first member's.
func (qw *queueWorkload) finalReads(ctx context.Context, cl *cluster, timeout time.Duration) (finalState, map[string]int) {
	nodes := cl.nodes()
	fs := finalState{nodes: len(nodes)}
	queued := map[string]int{}
	var keys []string
	for i := range queueKeys {
		keys = append(keys, queueKey(i))
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
				if i == 0 && k != "(dbsize)" {
					for _, e := range rs.elems {
						queued[e.str]++
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
				fs.disagree = append(fs.disagree, k+": "+strings.Join(parts, ", "))
				break
			}
		}
	}
	return fs, queued
}

// queueVerdict is what became of the elements.
type queueVerdict struct {
	pushes, pops [3]int // by status
	delivered    int    // pops that returned an element
	empty        int    // pops that found every queue empty for queueBlock
	queued       int    // elements still queued at the end
	missing      int    // acknowledged, neither delivered nor queued
	lost         int    // missing beyond what the unknown pops may have taken
	duplicated   int    // delivered twice, or delivered and still queued
	invented     int    // delivered or queued, never pushed
	failedSeen   int    // delivered or queued, though the push definitely failed
	unknownSeen  int    // unknown-outcome pushes delivered or queued
	examples     []string
}

func (v *queueVerdict) ok() bool {
	return v.lost == 0 && v.duplicated == 0 && v.invented == 0 && v.failedSeen == 0
}

// checkQueue checks the history against the elements still queued.
func checkQueue(recs []queueRecord, queued map[string]int) queueVerdict {
	var v queueVerdict
	example := func(format string, args ...any) {
		if len(v.examples) < 10 {
			v.examples = append(v.examples, fmt.Sprintf(format, args...))
		}
	}
	pushed := map[string]queueRecord{}
	delivered := map[string][]queueRecord{}
	for _, r := range recs {
		if r.push {
			v.pushes[r.st]++
			pushed[r.elem] = r
			continue
		}
		v.pops[r.st]++
		switch {
		case r.st != statusOK:
		case r.elem == "":
			v.empty++
		default:
			v.delivered++
			delivered[r.elem] = append(delivered[r.elem], r)
		}
	}
	for _, n := range queued {
		v.queued += n
	}
	seen := func(e string) int { return len(delivered[e]) + queued[e] }
	for _, e := range slices.Sorted(mapKeys(delivered, queued)) {
		n := seen(e)
		p, ok := pushed[e]
		switch {
		case !ok:
			v.invented++
			example("never pushed, but delivered %d times and queued %d times: %s", len(delivered[e]), queued[e], e)
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
			if queued[e] > 0 {
				how = append(how, fmt.Sprintf("still queued ×%d", queued[e]))
			}
			example("%s delivered more than once: %s", e, strings.Join(how, ", "))
		}
	}
	var missing []queueRecord
	for _, p := range pushed {
		if p.st == statusOK && seen(p.elem) == 0 {
			missing = append(missing, p)
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].call < missing[j].call })
	v.missing = len(missing)
	v.lost = max(0, v.missing-v.pops[statusUnknown])
	if v.lost > 0 {
		for _, p := range missing[:min(len(missing), 5)] {
			example("acknowledged, neither delivered nor queued: %s", p)
		}
	}
	return v
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
	recs = slices.Clone(recs)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].call < recs[j].call })
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, r := range recs {
		fmt.Fprintln(w, r)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write history: %w", err)
	}
	return f.Close()
}
