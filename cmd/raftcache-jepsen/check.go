package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// finalState is what the final reads found.
type finalState struct {
	disagree []string // keys on which members disagree
	problems []string // members that did not answer
	nodes    int      // members read
	reads    int      // register reads answered (keys × members when all answered)
	// sets holds each set key's elements, as every member that answered
	// read them (when they disagree, disagree says so and this is the
	// first member's view).
	sets map[string]map[string]bool
}

// finalReads reads every register key and every set key on every member
// once the cluster has settled, adds the register reads to the history,
// and reports the keys on which members disagree (register values, set
// elements, DBSIZE) and the members that did not answer.
func finalReads(ctx context.Context, w *workload, cl *cluster, h *history, keys []string, firstClient int, timeout time.Duration) finalState {
	nodes := cl.nodes()
	fs := finalState{nodes: len(nodes), sets: make(map[string]map[string]bool)}
	values := make(map[string][]string, len(keys)) // key -> one value per node
	var setKeyNames []string
	for i := range setKeys {
		setKeyNames = append(setKeyNames, setKey(i))
	}
	var all []string // every key, then DBSIZE, in reading order
	all = append(append(append(all, keys...), setKeyNames...), "(dbsize)")
	for i, n := range nodes {
		var c *respConn
		deadline := time.Now().Add(60 * time.Second)
		for _, k := range all {
			var got string
			var rec record
			var lastErr error
			for ok := false; !ok; {
				if time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				switch {
				case k == "(dbsize)":
					var rs reply
					rs, lastErr = query(&c, n, []string{"DBSIZE"}, timeout)
					got = rs.String()
				case strings.HasPrefix(k, "jepsen:set:"):
					var rs reply
					if rs, lastErr = query(&c, n, []string{"HKEYS", k}, timeout); lastErr == nil {
						elems := make(map[string]bool, len(rs.elems))
						for _, e := range rs.elems {
							elems[e.str] = true
						}
						if fs.sets[k] == nil {
							fs.sets[k] = elems
						}
						got = fmt.Sprintf("%d elements, hash %08x", len(elems), setHash(elems))
					}
				default:
					rec, lastErr = readOnce(w, &c, h, n, k, timeout)
					got = describeOp(rec.in, rec.out)
				}
				ok = lastErr == nil
				if !ok {
					sleepCtx(ctx, 100*time.Millisecond)
				}
			}
			if lastErr != nil {
				fs.problems = append(fs.problems, fmt.Sprintf("%s did not answer the final read of %s: %v", n, k, lastErr))
				values[k] = append(values[k], "(no answer)")
				continue
			}
			if (rec.in.kind == opGet || rec.in.kind == opPairMGet) && rec.in.key == k {
				rec.client = firstClient + i
				h.add(rec)
				fs.reads++
			}
			values[k] = append(values[k], got)
		}
		if c != nil {
			c.close()
		}
	}
	for _, k := range all {
		vs := values[k]
		for _, v := range vs[1:] {
			if v != vs[0] {
				var parts []string
				for i, v := range vs {
					parts = append(parts, fmt.Sprintf("%s: %s", nodes[i], v))
				}
				fs.disagree = append(fs.disagree, k+": "+strings.Join(parts, ", "))
				break
			}
		}
	}
	return fs
}

// setHash is an order-independent digest of a set, to compare members'
// views without printing them.
func setHash(elems map[string]bool) uint32 {
	var sum uint32
	for e := range elems {
		sum += crc32.ChecksumIEEE([]byte(e))
	}
	return sum
}

// query runs one read command on n over *c, dialing when *c is nil and
// closing it after a transport error; an error reply is an error.
func query(c **respConn, n *node, args []string, timeout time.Duration) (reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if *c == nil {
		rc, err := dialRESP(ctx, n.respAddr)
		if err != nil {
			return reply{}, err
		}
		*c = rc
	}
	rs, err := (*c).do(ctx, args)
	if err != nil {
		(*c).close()
		*c = nil
		return reply{}, err
	}
	if rs[0].isErr() {
		return reply{}, fmt.Errorf("%s", rs[0].str)
	}
	return rs[0], nil
}

// readAfterRestart reads every key in use on n, whose process was just
// started again with its log appended to from offset logFrom, recording
// each answer in the history: a node that serves a read before it has
// caught up with what it acknowledged before it was killed gives a stale
// value there, which the check finds. n is reserved (see node.reserve):
// nothing else has asked it anything since it started; unless alone, it
// is released at once.
//
// The reads are aimed at the node's first election. A single voter that
// answered a read barrier with the commit index it restarted with (issue
// 9, item 1) was wrong only for a ReadIndex that reaches raft in the pass
// in which the node becomes leader, before the first entry of its term
// is saved, and so only for one that is sent while the node is candidate
// (one sent earlier is dropped for want of a leader and asked again much
// later; one sent later waits for that save). So the registers of the
// latest writes, those the node most likely acknowledged last before it
// was killed, are read first, at once, each over HTTP on a connection of
// its own (clients firstID+1, +2, ...), the moment the node logs that it
// became candidate, or once it has served for a second without; the node
// of a larger cluster (alone false), which restarts as a follower, is
// read from as soon as it serves. HTTP, because a new RESP connection's first read barrier
// (the ACL sync of connectAuthed) would take that round for itself. Only
// then are other clients let at n, and every other key is read one by one
// over RESP (client firstID). Reads the node refuses are left out, as
// failed reads are.
func readAfterRestart(w *workload, h *history, n *node, alone bool, logFrom int64, firstID int, timeout time.Duration) (reads int) {
	defer n.release()
	if !alone {
		// Only a lone node's first election needs the reads first (see
		// above); holding clients off a member of a larger cluster that
		// cannot elect alone would only starve the run.
		n.release()
	}
	waitElection(n, logFrom, alone, 30*time.Second)
	recent := w.recentlyWritten()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	recs := make([]record, len(recent))
	var wg sync.WaitGroup
	for i, k := range recent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i] = w.invokeHTTP(hc, firstID+1+i, n, input{kind: opGet, key: k})
		}()
	}
	wg.Wait()
	n.release()
	for _, rec := range recs {
		if rec.st == statusOK {
			h.add(rec)
			reads++
		}
	}
	var c *respConn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for _, k := range w.usedKeys() {
		if slices.Contains(recent, k) {
			continue
		}
		rec, err := readOnce(w, &c, h, n, k, timeout)
		if err != nil {
			continue
		}
		rec.client = firstID
		h.add(rec)
		reads++
	}
	return reads
}

// waitElection returns once n's log, from offset from on, says raft made
// it a candidate, or it has served (for a second when alone), or its
// process exited, or d passed. It reads the log every millisecond: a
// candidate's vote for itself is saved within milliseconds on a fast disk.
func waitElection(n *node, from int64, alone bool, d time.Duration) {
	wait := time.Duration(0)
	if alone {
		wait = time.Second
	}
	deadline := time.Now().Add(d)
	var serving time.Time
	var buf []byte
	for time.Now().Before(deadline) && n.running() {
		buf = appendLogFrom(buf, n.logPath, from+int64(len(buf)))
		if bytes.Contains(buf, []byte(" became candidate at term ")) {
			return
		}
		if serving.IsZero() && bytes.Contains(buf, []byte(`msg=serving `)) {
			serving = time.Now()
		}
		if !serving.IsZero() && time.Since(serving) >= wait {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// appendLogFrom appends to buf what the file at path holds from offset
// off on (nothing when it cannot be read).
func appendLogFrom(buf []byte, path string, off int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return buf
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return buf
	}
	more, _ := io.ReadAll(f)
	return append(buf, more...)
}

// logSize is the size of the file at path, 0 if there is none.
func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readOnce reads key k on n over *c, dialing when *c is nil and closing
// it after a transport error.
func readOnce(w *workload, c **respConn, h *history, n *node, k string, timeout time.Duration) (record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rec := record{node: n.idx, in: input{kind: opGet, key: k}, call: h.now()}
	if isPair(k) {
		rec.in.kind = opPairMGet
	}
	if *c == nil {
		rc, err := dialRESP(ctx, n.respAddr)
		if err != nil {
			return rec, err
		}
		*c = rc
	}
	rs, err := (*c).do(ctx, commands(rec.in)...)
	rec.ret = h.now()
	if err != nil {
		(*c).close()
		*c = nil
		return rec, err
	}
	if rs[0].isErr() {
		return rec, fmt.Errorf("%s", rs[0].str)
	}
	rec.st, rec.out, rec.detail = w.interpret(rec.in, rs)
	return rec, nil
}

// setResult is what became of the add operations.
type setResult struct {
	acked, unknown, failed int // adds by outcome
	lost                   int // acknowledged, missing from the final sets
	unknownSeen            int // unknown outcome, present
	failedSeen             int // reported as definitely failed, present
	invented               int // present, never added
	examples               []string
}

// checkSets compares the adds in the history with the final sets: every
// acknowledged add must be there, no add that definitely failed may be,
// and nothing else.
func checkSets(recs []record, sets map[string]map[string]bool) setResult {
	var r setResult
	attempted := make(map[string]bool)
	example := func(format string, args ...any) {
		if len(r.examples) < 10 {
			r.examples = append(r.examples, fmt.Sprintf(format, args...))
		}
	}
	for _, rec := range recs {
		if rec.in.kind != opAdd {
			continue
		}
		attempted[rec.in.key+"\x00"+rec.in.elem] = true
		present := sets[rec.in.key][rec.in.elem]
		switch rec.st {
		case statusOK:
			r.acked++
			if !present {
				r.lost++
				example("lost: %s acknowledged at %.3fs by n%d", describeOp(rec.in, rec.out), float64(rec.ret)/1e9, rec.node)
			}
		case statusUnknown:
			r.unknown++
			if present {
				r.unknownSeen++
			}
		case statusFail:
			r.failed++
			if present {
				r.failedSeen++
				example("reported failed but present: %s (%s) at %.3fs by n%d", describeOp(rec.in, rec.out), rec.detail, float64(rec.ret)/1e9, rec.node)
			}
		}
	}
	keys := slices.Sorted(maps.Keys(sets))
	for _, k := range keys {
		for _, e := range slices.Sorted(maps.Keys(sets[k])) {
			if !attempted[k+"\x00"+e] {
				r.invented++
				example("never added but present: %s in %s", e, k)
			}
		}
	}
	return r
}

// operations turns the records into porcupine's history: failed
// operations are left out (a failed read tells nothing; a failed write
// did not happen), and writes of unknown outcome never return, so they
// may take effect at any point after their call, or not at all.
func operations(recs []record) []porcupine.Operation {
	var end int64
	for _, r := range recs {
		end = max(end, r.ret)
	}
	var ops []porcupine.Operation
	for _, r := range recs {
		if r.in.kind == opAdd {
			continue // checked by checkSets
		}
		ret := r.ret
		switch r.st {
		case statusFail:
			continue
		case statusUnknown:
			ret = end + 1
		}
		ops = append(ops, porcupine.Operation{
			ClientId: r.client, Input: r.in, Call: r.call, Output: r.out, Return: ret,
			Metadata: fmt.Sprintf("n%d %s %s", r.node, r.st, r.detail),
		})
	}
	return ops
}

// prune drops the unknown-outcome SETs (plain, in MULTI, of a pair, or a
// compare-and-set's) whose value nothing ever observed. That cannot change the verdict, and spares
// porcupine most of the writes that stay open to the end of the history,
// which is what makes a key expensive to check:
//   - a history linearizable without such a write is linearizable with
//     it, placed last (it may take effect at any time after its call, or
//     never);
//   - conversely, in a linearization with it, every operation until the
//     next SET either writes without looking (a SET) or has an unknown
//     outcome, or it would have observed a value from v to v+999 (SET
//     values are distinct multiples of 1000 and a key takes fewer than
//     1000 INCRs); removing the write leaves everything from that next
//     SET on in the same state.
//
// A compare-and-set looks: whatever its outcome, its expected value
// counts as observed. Then in that stretch after an unobserved write v,
// none succeeds or fails with an answer (either would have observed a
// value from v's range), and one of unknown outcome finds a value from
// v's range, which it does not expect, so it leaves the state alone: the
// stretch still holds only blind writes and unknown outcomes, whose
// effects, with the write removed, nothing sees before that next SET.
// An unknown compare-and-set is itself such a write when nothing observed
// its value. A pair is one register, its write a SET and its reads GETs.
//
// It returns the remaining operations and how many it dropped.
func prune(ops []porcupine.Operation) ([]porcupine.Operation, int) {
	seen := make(map[string]map[int64]bool) // key -> observed value bases
	for _, op := range ops {
		in, out := op.Input.(input), op.Output.(output)
		if seen[in.key] == nil {
			seen[in.key] = make(map[int64]bool)
		}
		if in.kind == opCAS {
			seen[in.key][base(in.old)] = true
		}
		if out.unknown {
			continue
		}
		switch {
		case in.kind == opGet && out.exists, in.kind == opIncr, in.kind == opMulti,
			in.kind == opCAS && !out.swapped && out.exists, in.kind.isPairRead() && out.exists:
			seen[in.key][base(out.val)] = true
		case in.kind == opReadIncr:
			seen[in.key][base(out.val)] = true
			seen[in.key][base(out.incr)] = true
		}
	}
	kept := ops[:0:0]
	for _, op := range ops {
		in, out := op.Input.(input), op.Output.(output)
		writes := in.kind == opSet || in.kind == opMulti || in.kind == opCAS || in.kind == opPairSet
		if out.unknown && writes && !seen[in.key][in.val] {
			continue
		}
		kept = append(kept, op)
	}
	return kept, len(ops) - len(kept)
}

// base is the SET value an observed value derives from.
func base(v int64) int64 {
	if v < 0 {
		return -1
	}
	return v / 1000 * 1000
}

// verdict is the linearizability check's outcome.
type verdict struct {
	ops, keys int // operations checked, and the keys they touch
	pruned    int // unknown writes nobody observed, left out (see prune)
	result    porcupine.CheckResult
	badKeys   []string // keys whose sub-history is not linearizable
	// caught is the first restart (1-based, 0: none) after whose reads
	// a bad key's history, up to the end of those reads, is already not
	// linearizable; caughtAt is that end (history time) and caughtKey
	// the key (see firstCaught).
	caught    int
	caughtAt  int64
	caughtKey string
	unchecked []string // keys the check ran out of time on
	vizPath   string   // porcupine's visualization, when not linearizable
}

// check runs porcupine over each key's history in turn, the keys sharing
// timeout, and on a violation writes the visualization of the offending
// keys and the history as text.
//
// restarts are the moments (history time, in order) at which the reads of
// a node just restarted had all been answered (see readAfterRestart).
func check(recs []record, timeout time.Duration, outDir string, restarts []int64) (verdict, error) {
	model := registerModel()
	ops, pruned := prune(operations(recs))
	byKey := make(map[string][]porcupine.Operation)
	for _, op := range ops {
		k := op.Input.(input).key
		byKey[k] = append(byKey[k], op)
	}
	v := verdict{ops: len(ops), keys: len(byKey), pruned: pruned}
	deadline := time.Now().Add(timeout)
	var bad []porcupine.Operation
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		left := time.Until(deadline)
		if left <= 0 {
			v.unchecked = append(v.unchecked, k)
			continue
		}
		switch porcupine.CheckOperationsTimeout(model, byKey[k], left) {
		case porcupine.Illegal:
			v.badKeys = append(v.badKeys, k)
			bad = append(bad, byKey[k]...)
			if i, at := firstCaught(model, byKey[k], restarts); i > 0 && (v.caught == 0 || i < v.caught) {
				v.caught, v.caughtAt, v.caughtKey = i, at, k
			}
		case porcupine.Unknown:
			v.unchecked = append(v.unchecked, k)
		}
	}
	switch {
	case len(v.badKeys) > 0:
		v.result = porcupine.Illegal
	case len(v.unchecked) > 0:
		v.result = porcupine.Unknown
	default:
		v.result = porcupine.Ok
		return v, nil
	}
	if err := writeHistory(filepath.Join(outDir, "history.txt"), recs); err != nil {
		return v, err
	}
	if len(bad) == 0 {
		return v, nil
	}
	_, info := porcupine.CheckOperationsVerbose(model, bad, min(timeout, time.Minute))
	v.vizPath = filepath.Join(outDir, "linearizability.html")
	if err := porcupine.VisualizePath(model, info, v.vizPath); err != nil {
		return v, fmt.Errorf("write visualization: %w", err)
	}
	return v, nil
}

// firstCaught returns the first restart (1-based) such that ops, cut
// after the reads of that restart (every operation called by then), is
// not linearizable, and that moment; 0 when no such cut is. It says which
// restart's reads a violation showed in first: with one node, nothing
// else is in flight across such a cut, as the node was down and then
// reserved for those reads (with more, an operation on another node
// called before the cut and answered after may be cut off from the write
// it read, so the restart named may be early).
func firstCaught(model porcupine.Model, ops []porcupine.Operation, restarts []int64) (int, int64) {
	for i, at := range restarts {
		var cut []porcupine.Operation
		for _, op := range ops {
			if op.Call <= at {
				cut = append(cut, op)
			}
		}
		if len(cut) > 0 && porcupine.CheckOperationsTimeout(model, cut, 10*time.Second) == porcupine.Illegal {
			return i + 1, at
		}
	}
	return 0, 0
}

// writeHistory writes every record, in call order, one a line.
func writeHistory(path string, recs []record) error {
	return writeInCallOrder(path, recs, func(r record) int64 { return r.call }, formatRecord)
}

// writeInCallOrder writes recs to path sorted by call (stably: records
// called together keep their order), one a line, as line formats them.
func writeInCallOrder[R any](path string, recs []R, call func(R) int64, line func(R) string) error {
	recs = slices.Clone(recs)
	sort.SliceStable(recs, func(i, j int) bool { return call(recs[i]) < call(recs[j]) })
	return writeLines(path, func(w *bufio.Writer) {
		for _, r := range recs {
			fmt.Fprintln(w, line(r))
		}
	})
}

// writeLines creates path and writes to it what write writes, buffered.
func writeLines(path string, write func(w *bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	w := bufio.NewWriter(f)
	write(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write history: %w", err)
	}
	return f.Close()
}

func formatRecord(r record) string {
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	op := describeOp(r.in, r.out)
	if r.http {
		op = "(HTTP) " + op
	}
	s := fmt.Sprintf("%10.3f %-12s c%-3d n%-3d %-7s %s", float64(r.call)/1e9, ret, r.client, r.node, r.st, op)
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// excerpt is the history of key k, at most limit lines, ending with its
// final reads.
func excerpt(recs []record, k string, limit int) []string {
	var lines []string
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].call < recs[j].call })
	for _, r := range recs {
		if r.in.key == k && r.st != statusFail {
			lines = append(lines, formatRecord(r))
		}
	}
	if len(lines) > limit {
		lines = append([]string{fmt.Sprintf("... %d earlier operations", len(lines)-limit)}, lines[len(lines)-limit:]...)
	}
	return lines
}
