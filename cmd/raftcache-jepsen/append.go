package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcache/raftcache/cmd/raftcache-jepsen/elle"
)

// Workloads, as named by -workload.
const (
	workloadRegister = "register" // registers, INCR, small transactions, set adds (porcupine)
	workloadAppend   = "append"   // list-append transactions (elle)
)

// txnMode is how a list-append transaction is sent.
type txnMode uint8

const (
	modeMulti txnMode = iota // MULTI; RPUSH/LRANGE...; EXEC
	modeEval                 // one EVAL of appendScript
	modeBare                 // a single micro-operation, as a plain command
	numModes
)

func (m txnMode) String() string { return [...]string{"multi", "eval", "bare"}[m] }

// appendScript runs a transaction's micro-operations in order: KEYS[i]
// is the i-th one's key and ARGV[i] its value to append, or "r" for a
// read of the whole list. It returns one reply per micro-operation, as
// EXEC does.
const appendScript = `local r = {}
for i = 1, #KEYS do
  if ARGV[i] == 'r' then
    r[i] = redis.call('LRANGE', KEYS[i], 0, -1)
  else
    r[i] = redis.call('RPUSH', KEYS[i], ARGV[i])
  end
end
return r`

// txnRecord is one list-append transaction of the history.
type txnRecord struct {
	client, node int
	mode         txnMode
	ops          []elle.Op // as invoked; reads filled in when st is statusOK
	st           status
	call, ret    int64 // ns since the run began
	detail       string
	late         bool // no answer before the client's deadline
}

func (r txnRecord) writes() bool {
	return slices.ContainsFunc(r.ops, func(o elle.Op) bool { return o.Kind == elle.Append })
}

func (r txnRecord) String() string {
	ops := make([]string, len(r.ops))
	for i, o := range r.ops {
		switch {
		case o.Kind == elle.Append:
			ops[i] = fmt.Sprintf("append %s %d", o.Key, o.Value)
		case r.st == statusOK:
			ops[i] = fmt.Sprintf("read %s %v", o.Key, o.List)
		default:
			ops[i] = fmt.Sprintf("read %s ?", o.Key)
		}
	}
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	s := fmt.Sprintf("%10.3f %-12s c%-4d n%-3d %-7s %-5s [%s]", float64(r.call)/1e9, ret, r.client, r.node, r.st, r.mode, strings.Join(ops, ", "))
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// appendWorkload drives list-append transactions: 1 to 4 micro-operations
// each, an RPUSH of a value unique across the run or an LRANGE 0 -1, over
// -keys keys at a time that rotate after -ops_per_key micro-operations
// (reads return whole lists, so a key must not grow without bound). Each
// transaction goes to a random node as MULTI/EXEC or as an EVAL of
// appendScript, half each; a third of the single-operation ones go as the
// bare command instead, so that plain reads take the read barrier (a
// transaction's reads go through the log). It shares the register
// workload's bookkeeping of odd replies and late answers.
type appendWorkload struct {
	*workload
	recordLog[txnRecord]
	value atomic.Int64
	// recent holds the keys of the latest appends that may have taken
	// effect, newest last, each once (see readAfterRestart).
	recent []string
}

// listKey is list key i of generation g.
func listKey(g int64, i int) string { return fmt.Sprintf("jepsen:list:%d:%d", g, i) }

// usedKeys is every list key a client may have touched.
func (aw *appendWorkload) usedKeys() []string {
	var out []string
	for g := int64(0); g <= aw.maxGen.Load(); g++ {
		for i := range aw.keys {
			out = append(out, listKey(g, i))
		}
	}
	return out
}

func (aw *appendWorkload) pickListKey(rng *rand.Rand) string {
	g := aw.issued.Add(1) / int64(aw.keys*aw.opsPerKey)
	for {
		cur := aw.maxGen.Load()
		if g <= cur || aw.maxGen.CompareAndSwap(cur, g) {
			break
		}
	}
	return listKey(g, rng.IntN(aw.keys))
}

func (aw *appendWorkload) noteAppended(keys []string) {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	for _, k := range keys {
		aw.recent = slices.DeleteFunc(aw.recent, func(x string) bool { return x == k })
		aw.recent = append(aw.recent, k)
	}
	if len(aw.recent) > 2*aw.keys {
		aw.recent = slices.Delete(aw.recent, 0, len(aw.recent)-2*aw.keys)
	}
}

func (aw *appendWorkload) recentlyAppended() []string {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	return slices.Clone(aw.recent)
}

// newTxn draws a transaction.
func (aw *appendWorkload) newTxn(rng *rand.Rand) (txnMode, []elle.Op) {
	ops := make([]elle.Op, 1+rng.IntN(4))
	for i := range ops {
		ops[i].Key = aw.pickListKey(rng)
		if rng.IntN(2) == 0 {
			ops[i].Kind, ops[i].Value = elle.Append, int(aw.value.Add(1))
		} else {
			ops[i].Kind = elle.Read
		}
	}
	switch {
	case len(ops) == 1 && rng.IntN(3) == 0:
		return modeBare, ops
	case rng.IntN(2) == 0:
		return modeMulti, ops
	}
	return modeEval, ops
}

// runClient issues transactions until ctx ends, each against a random
// node.
func (aw *appendWorkload) runClient(ctx context.Context, id int, rng *rand.Rand) {
	conns := nodeConns{}
	defer conns.closeAll()
	for i := 0; ctx.Err() == nil; i++ {
		if i%64 == 0 {
			conns.dropGone()
		}
		n := aw.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		mode, ops := aw.newTxn(rng)
		rec := aw.invokeTxn(conns, id, n, mode, ops)
		aw.add(rec)
		if rec.st != statusFail {
			var keys []string
			for _, o := range ops {
				if o.Kind == elle.Append {
					keys = append(keys, o.Key)
				}
			}
			aw.noteAppended(keys)
		}
		if aw.think > 0 {
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(aw.think))+1))
		}
	}
}

// txnCommands is the RESP commands a transaction sends.
func txnCommands(mode txnMode, ops []elle.Op) [][]string {
	one := func(o elle.Op) []string {
		if o.Kind == elle.Append {
			return []string{"RPUSH", o.Key, strconv.Itoa(o.Value)}
		}
		return []string{"LRANGE", o.Key, "0", "-1"}
	}
	switch mode {
	case modeBare:
		return [][]string{one(ops[0])}
	case modeEval:
		args := []string{"EVAL", appendScript, strconv.Itoa(len(ops))}
		for _, o := range ops {
			args = append(args, o.Key)
		}
		for _, o := range ops {
			if o.Kind == elle.Append {
				args = append(args, strconv.Itoa(o.Value))
			} else {
				args = append(args, "r")
			}
		}
		return [][]string{args}
	}
	cmds := [][]string{{"MULTI"}}
	for _, o := range ops {
		cmds = append(cmds, one(o))
	}
	return append(cmds, []string{"EXEC"})
}

// invokeTxn runs one transaction on node n, reusing the client's
// connection to it; a connection that saw a transport error is closed.
func (aw *appendWorkload) invokeTxn(conns nodeConns, id int, n *node, mode txnMode, ops []elle.Op) txnRecord {
	rec := txnRecord{client: id, node: n.idx, mode: mode, ops: ops}
	ctx, cancel := context.WithTimeout(context.Background(), aw.opTimeout)
	defer cancel()
	epoch, faulted := n.health()
	rec.call = aw.hist.now()
	defer func() {
		aw.noteAnswer(n, epoch, faulted, time.Duration(rec.ret-rec.call), rec.late, func() string {
			return fmt.Sprintf("%s transaction %v on %s at %.3fs: %s", rec.mode, rec.ops, n, float64(rec.call)/1e9, rec.detail)
		})
	}()
	c, err := conns.get(ctx, n)
	if err != nil {
		// Nothing was sent: the transaction did not happen.
		rec.ret, rec.st, rec.detail = aw.hist.now(), statusFail, err.Error()
		rec.late = isTimeout(err)
		return rec
	}
	replies, err := c.do(ctx, txnCommands(mode, ops)...)
	rec.ret = aw.hist.now()
	if err != nil {
		conns.drop(n)
		rec.detail, rec.late = err.Error(), isTimeout(err)
		rec.st = statusUnknown
		if !rec.writes() {
			rec.st = statusFail // a read that failed did nothing
		}
		return rec
	}
	rec.st, rec.detail = aw.interpretTxn(&rec, replies)
	return rec
}

// interpretTxn classifies a transaction's replies and fills in its reads.
// EXEC answering nil, EXECABORT and CLUSTERDOWN prove that nothing ran
// (the last as package resp promises, see workload.failure); TRYAGAIN
// leaves the outcome unknown; a reply no correct server gives is odd, and
// leaves a transaction that writes unknown. A transaction that only reads
// and did not succeed is a failure whatever the reason: it changed
// nothing.
func (aw *appendWorkload) interpretTxn(rec *txnRecord, rs []reply) (status, string) {
	desc := func() string { return fmt.Sprintf("%s transaction %v", rec.mode, rec.ops) }
	st := func(s status) status {
		if s == statusUnknown && !rec.writes() {
			return statusFail
		}
		return s
	}
	odd := func(what string) (status, string) {
		aw.odd("%s: %s", desc(), what)
		return st(statusUnknown), what
	}
	var res reply // one element per micro-operation, or the bare reply
	switch rec.mode {
	case modeMulti:
		if rs[0].String() != "+OK" {
			return odd("MULTI answered " + rs[0].String())
		}
		queued := true
		for _, r := range rs[1 : len(rs)-1] {
			queued = queued && r.String() == "+QUEUED"
		}
		last := rs[len(rs)-1]
		switch {
		case last.kind == '*' && last.null:
			// Nothing ran; with no WATCH, no correct server says so.
			aw.odd("%s: EXEC answered a nil array without WATCH", desc())
			return statusFail, "EXEC nil"
		case last.isErr() && strings.HasPrefix(last.str, "EXECABORT"):
			if queued {
				aw.odd("%s: %s after every command was queued", desc(), last.str)
			}
			return statusFail, last.str
		case !queued:
			return odd(fmt.Sprintf("a command inside MULTI was not queued: %v", rs))
		case last.isErr():
			return st(aw.failureTxn(desc, last.str)), last.str
		}
		res = last
	case modeEval:
		if rs[0].isErr() {
			return st(aw.failureTxn(desc, rs[0].str)), rs[0].str
		}
		res = rs[0]
	case modeBare:
		if rs[0].isErr() {
			return st(aw.failureTxn(desc, rs[0].str)), rs[0].str
		}
		res = reply{kind: '*', elems: rs}
	}
	if res.kind != '*' || res.null || len(res.elems) != len(rec.ops) {
		return odd("unexpected reply " + res.String())
	}
	for i, e := range res.elems {
		o := &rec.ops[i]
		if o.Kind == elle.Append {
			if e.kind != ':' || e.num < 1 {
				return odd(fmt.Sprintf("RPUSH answered %s", e))
			}
			continue
		}
		if e.kind != '*' || e.null {
			return odd(fmt.Sprintf("LRANGE answered %s", e))
		}
		o.List = make([]int, 0, len(e.elems))
		for _, x := range e.elems {
			v, err := strconv.Atoi(x.str)
			if x.kind != '$' || err != nil || v <= 0 {
				// Kept as a value nobody appended: elle reports it.
				aw.odd("%s: LRANGE element %s", desc(), x)
				v = -1
			}
			o.List = append(o.List, v)
		}
	}
	return statusOK, ""
}

// failureTxn is workload.failure for a transaction: CLUSTERDOWN (when
// promised) and MISCONF prove it did not run, TRYAGAIN leaves it unknown,
// anything else is odd.
func (aw *appendWorkload) failureTxn(desc func() string, msg string) status {
	code, _, _ := strings.Cut(msg, " ")
	switch {
	case code == "CLUSTERDOWN" && aw.clusterDownDefinite, code == "MISCONF":
		return statusFail
	case code == "CLUSTERDOWN" || code == "TRYAGAIN":
		return statusUnknown
	}
	aw.odd("%s: error %s", desc(), msg)
	return statusUnknown
}

// readList reads a whole list on n over *c (dialing when *c is nil,
// closing it after a transport error) as a one-read transaction.
func (aw *appendWorkload) readList(c **respConn, n *node, client int, key string, timeout time.Duration) (txnRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rec := txnRecord{client: client, node: n.idx, mode: modeBare, ops: []elle.Op{{Kind: elle.Read, Key: key}}, call: aw.hist.now()}
	if *c == nil {
		rc, err := dialRESP(ctx, n.respAddr)
		if err != nil {
			return rec, err
		}
		*c = rc
	}
	rs, err := (*c).do(ctx, txnCommands(modeBare, rec.ops)...)
	rec.ret = aw.hist.now()
	if err != nil {
		(*c).close()
		*c = nil
		return rec, err
	}
	if rs[0].isErr() {
		return rec, fmt.Errorf("%s", rs[0].str)
	}
	rec.st, rec.detail = aw.interpretTxn(&rec, rs)
	if rec.st != statusOK {
		return rec, fmt.Errorf("%s", rec.detail)
	}
	return rec, nil
}

// readAfterRestart is readAfterRestart for lists: once n has become
// candidate, or served for a while, the lists appended to last are read
// at once, each on a connection of its own, then every other list in use,
// each read joining the history.
func (aw *appendWorkload) readAfterRestart(n *node, alone bool, logFrom int64, firstID int, timeout time.Duration) (reads int) {
	defer n.release()
	if !alone {
		n.release() // see readAfterRestart
	}
	waitElection(n, logFrom, alone, 30*time.Second)
	recent := aw.recentlyAppended()
	recs := make([]txnRecord, len(recent))
	errs := make([]error, len(recent))
	var wg sync.WaitGroup
	for i, k := range recent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *respConn
			recs[i], errs[i] = aw.readList(&c, n, firstID+1+i, k, timeout)
			if c != nil {
				c.close()
			}
		}()
	}
	wg.Wait()
	n.release()
	for i, rec := range recs {
		if errs[i] == nil {
			aw.add(rec)
			reads++
		}
	}
	var c *respConn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for _, k := range aw.usedKeys() {
		if slices.Contains(recent, k) {
			continue
		}
		if rec, err := aw.readList(&c, n, firstID, k, timeout); err == nil {
			aw.add(rec)
			reads++
		}
	}
	return reads
}

// finalReads reads every list in use, and DBSIZE, on every member once
// the cluster has settled; the reads join the history (so that a lost
// append shows), and members that disagree are reported.
func (aw *appendWorkload) finalReads(ctx context.Context, cl *cluster, firstClient int, timeout time.Duration) finalState {
	nodes := cl.nodes()
	fs := finalState{nodes: len(nodes)}
	keys := append(aw.usedKeys(), "(dbsize)")
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
				if k == "(dbsize)" {
					var rs reply
					rs, lastErr = query(&c, n, []string{"DBSIZE"}, timeout)
					got = rs.String()
				} else {
					var rec txnRecord
					if rec, lastErr = aw.readList(&c, n, firstClient+i, k, timeout); lastErr == nil {
						aw.add(rec)
						fs.reads++
						got = fmt.Sprint(rec.ops[0].List)
					}
				}
				ok = lastErr == nil
				if !ok {
					sleepCtx(ctx, 100*time.Millisecond)
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
					parts = append(parts, fmt.Sprintf("%s: %s", nodes[i], v))
				}
				fs.disagree = append(fs.disagree, k+": "+strings.Join(parts, ", "))
				break
			}
		}
	}
	return fs
}

// elleHistory turns the records into elle's transactions, in call order
// (so that the indices elle reports follow time).
func elleHistory(recs []txnRecord) ([]elle.Txn, []txnRecord) {
	recs = slices.Clone(recs)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].call < recs[j].call })
	h := make([]elle.Txn, len(recs))
	for i, r := range recs {
		out := elle.OK
		switch r.st {
		case statusFail:
			out = elle.Fail
		case statusUnknown:
			out = elle.Info
		}
		h[i] = elle.Txn{Process: r.client, Invoke: r.call, Complete: r.ret, Outcome: out, Ops: r.ops}
	}
	return h, recs
}

// writeTxnHistory writes every transaction, in call order, one a line,
// prefixed with the index elle's report names it by (T<i>).
func writeTxnHistory(path string, recs []txnRecord) error {
	return writeLines(path, func(w *bufio.Writer) {
		for i, r := range recs {
			fmt.Fprintf(w, "T%-6d %s\n", i, r)
		}
	})
}

// appendVerdict is what elle made of a list-append history.
type appendVerdict struct {
	res      elle.Result
	counts   [numModes][3]int // transactions by mode and status
	reads    int              // successful transactions that read
	writes   int              // successful transactions that appended
	appended int              // acknowledged appends
}

// checkAppend runs elle over the history and writes it to path.
func checkAppend(recs []txnRecord, clients int, path string) (appendVerdict, error) {
	h, sorted := elleHistory(recs)
	var v appendVerdict
	for _, r := range sorted {
		if r.client >= clients {
			continue // the checker's own reads
		}
		v.counts[r.mode][r.st]++
		if r.st != statusOK {
			continue
		}
		if r.writes() {
			v.writes++
		}
		if slices.ContainsFunc(r.ops, func(o elle.Op) bool { return o.Kind == elle.Read }) {
			v.reads++
		}
		for _, o := range r.ops {
			if o.Kind == elle.Append {
				v.appended++
			}
		}
	}
	v.res = elle.Check(h)
	return v, writeTxnHistory(path, sorted)
}
