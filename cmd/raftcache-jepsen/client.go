package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// record is one operation of the history.
type record struct {
	client int // worker number; final reads use clients+node index
	node   int // index of the node asked
	in     input
	out    output
	st     status
	call   int64 // ns since the run began
	ret    int64 // ns since the run began; for unknown writes, set at the end
	detail string
	late   bool // no answer before the client's deadline
	http   bool // through the HTTP API rather than RESP
}

// history collects records from every client.
type history struct {
	start time.Time
	recordLog[record]
}

func newHistory() *history { return &history{start: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// pickNode picks a random node to send an operation to, or returns nil
// after a pause when none is up, or the one picked is reserved by the
// nemesis (see node.reserve): the caller then tries again.
func (w *workload) pickNode(ctx context.Context, rng *rand.Rand) *node {
	n := w.cl.pick(rng)
	if n == nil {
		sleepCtx(ctx, 50*time.Millisecond)
		return nil
	}
	if n.reservation() != nil {
		sleepCtx(ctx, time.Millisecond) // see node.reserve
		return nil
	}
	return n
}

// workload drives the clients. Keys come in generations: after
// opsPerKey operations per key the clients move to fresh keys, which bounds
// how many operations the checker has to order within one key (an unknown
// write stays concurrent with everything after it, and a long run would
// otherwise make the search explode).
type workload struct {
	cl        *cluster
	hist      *history
	keys      int
	opsPerKey int
	multi     bool
	// scripts mixes in compare-and-set and pair scripts (-workload
	// script).
	scripts   bool
	opTimeout time.Duration
	think     time.Duration
	// clusterDownDefinite treats a CLUSTERDOWN reply to a write as proof
	// that the write did not happen.
	clusterDownDefinite bool
	// srvTimeout is the server's bound on a request: on a node the
	// nemesis left alone, every operation must be answered within it.
	srvTimeout time.Duration

	issued  atomic.Int64
	nextVal atomic.Int64
	maxGen  atomic.Int64

	mu         sync.Mutex
	oddReplies []string      // replies no correct server gives this workload (the first few)
	numOdd     int           // all of them
	late       []string      // operations a healthy node did not answer in time (the first few)
	numLate    int           // all of them
	maxHealthy time.Duration // slowest answer from a node the nemesis left alone
	// written holds the registers of the latest writes that may have
	// taken effect, newest last, each once: what a node killed now most
	// likely acknowledged last (see readAfterRestart).
	written []string
	// lastSeen is, per register, the value last seen there (see
	// noteSeen): what a compare-and-set expects.
	lastSeen map[string]int64
}

// setKeys is how many keys the add operations spread over.
const setKeys = 16

func setKey(i int) string { return fmt.Sprintf("jepsen:set:%d", i) }

// odd records a reply that no correct server gives this workload.
func (w *workload) odd(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.numOdd++
	if len(w.oddReplies) < 10 {
		w.oddReplies = append(w.oddReplies, fmt.Sprintf(format, args...))
	}
}

// keyName is key i of generation g.
func keyName(g int64, i int) string { return fmt.Sprintf("jepsen:%d:%d", g, i) }

// pickKey returns a key of the current generation.
func (w *workload) pickKey(rng *rand.Rand) string {
	g := w.issued.Add(1) / int64(w.keys*w.opsPerKey)
	for {
		cur := w.maxGen.Load()
		if g <= cur || w.maxGen.CompareAndSwap(cur, g) {
			break
		}
	}
	return keyName(g, rng.IntN(w.keys))
}

// usedKeys is every key a client may have touched.
func (w *workload) usedKeys() []string {
	var out []string
	for g := int64(0); g <= w.maxGen.Load(); g++ {
		for i := range w.keys {
			out = append(out, keyName(g, i))
			if w.scripts {
				out = append(out, pairOf(keyName(g, i)))
			}
		}
	}
	return out
}

// noteWritten records that a write to register key may have taken effect.
func (w *workload) noteWritten(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written = slices.DeleteFunc(w.written, func(k string) bool { return k == key })
	w.written = append(w.written, key)
	if len(w.written) > 2*w.keys {
		w.written = slices.Delete(w.written, 0, len(w.written)-2*w.keys)
	}
}

// recentlyWritten returns the registers of the latest writes that may
// have taken effect, at most twice -keys of them.
func (w *workload) recentlyWritten() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.written)
}

func (w *workload) pickKind(rng *rand.Rand) opKind {
	if w.scripts {
		return w.pickScriptKind(rng)
	}
	n := rng.IntN(100)
	switch {
	case n < 10:
		return opAdd
	case n < 45:
		return opGet
	case n < 65:
		return opSet
	case w.multi && n < 73:
		return opMulti
	case w.multi && n < 80:
		return opReadIncr
	default:
		return opIncr
	}
}

// runClient issues operations until ctx ends, each against a random node.
func (w *workload) runClient(ctx context.Context, id int, rng *rand.Rand) {
	conns := nodeConns{}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer func() {
		conns.closeAll()
		hc.CloseIdleConnections()
	}()
	for i := 0; ctx.Err() == nil; i++ {
		if i%64 == 0 {
			conns.dropGone()
		}
		n := w.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		in := input{kind: w.pickKind(rng)}
		switch in.kind {
		case opAdd:
			in.key, in.elem = setKey(rng.IntN(setKeys)), fmt.Sprintf("c%d-%d", id, i)
		case opSet, opMulti:
			in.key, in.val = w.pickKey(rng), w.nextVal.Add(1)*1000
		case opCAS:
			in.key, in.val = w.pickKey(rng), w.nextVal.Add(1)*1000
			in.old = w.expected(in.key)
		case opPairSet:
			in.key, in.val = pairOf(w.pickKey(rng)), w.nextVal.Add(1)*1000
		case opPairMGet, opPairEval:
			in.key = pairOf(w.pickKey(rng))
		default:
			in.key = w.pickKey(rng)
		}
		// A fifth of the reads and SETs go through the HTTP API, whose
		// errors map the same outcomes onto status codes.
		var rec record
		if (in.kind == opGet || in.kind == opSet) && rng.IntN(5) == 0 {
			rec = w.invokeHTTP(hc, id, n, in)
		} else {
			rec = w.invoke(conns, id, n, in)
		}
		w.hist.add(rec)
		// Pairs are read over RESP only (HTTP has no MGET), so they are
		// left out of the reads sent over HTTP at a restart.
		if in.kind.isWrite() && in.kind != opAdd && !isPair(in.key) && rec.st != statusFail {
			w.noteWritten(in.key)
		}
		if w.scripts {
			w.noteSeen(rec)
		}
		if w.think > 0 {
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(w.think))+1))
		}
	}
}

// invoke runs one operation on node n, reusing the client's connection to
// it; a connection that saw a transport error is closed.
func (w *workload) invoke(conns nodeConns, id int, n *node, in input) record {
	rec := record{client: id, node: n.idx, in: in}
	o, replies, ok := w.exchange(conns, n, w.opTimeout, func() string { return describeOp(in, output{unknown: true}) }, commands(in)...)
	rec.call, rec.ret, rec.st, rec.detail, rec.late = o.call, o.ret, o.st, o.detail, o.late
	switch {
	case ok:
		rec.st, rec.out, rec.detail = w.interpret(in, replies)
	case rec.st == statusUnknown:
		rec.out = output{unknown: true}
		if !in.kind.isWrite() {
			rec.st = statusFail // a read that got no answer changed nothing
		}
	}
	return rec
}

// outcome is how one operation went, as every workload's record keeps it.
type outcome struct {
	st        status
	call, ret int64 // ns since the run began
	detail    string
	late      bool // no answer before the client's deadline
}

// exchange is one operation's round trip: cmds sent to n together, on the
// client's connection to it, answered within deadline. It returns the
// replies, and ok, when they came; o then holds only the call's and the
// return's times, for the caller to judge the replies. Otherwise o says how
// the operation ended: failed when no connection could be had (nothing was
// sent), unknown when the commands were sent and no answer came (the
// connection, which may be out of step, is dropped). Either way the time
// the node took is noted for the run's health checks (noteAnswer); desc
// describes the operation there.
func (w *workload) exchange(conns nodeConns, n *node, deadline time.Duration, desc func() string, cmds ...[]string) (o outcome, replies []reply, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	epoch, faulted := n.health()
	o.call = w.hist.now()
	defer func() {
		w.noteAnswer(n, epoch, faulted, time.Duration(o.ret-o.call), o.late, func() string {
			return fmt.Sprintf("%s on %s at %.3fs: %s", desc(), n, float64(o.call)/1e9, o.detail)
		})
	}()
	c, err := conns.get(ctx, n)
	if err != nil {
		o.ret, o.st, o.detail, o.late = w.hist.now(), statusFail, err.Error(), isTimeout(err)
		return o, nil, false
	}
	replies, err = c.do(ctx, cmds...)
	o.ret = w.hist.now()
	if err != nil {
		conns.drop(n)
		o.st, o.detail, o.late = statusUnknown, err.Error(), isTimeout(err)
		return o, nil, false
	}
	return o, replies, true
}

// noteAnswer is timed for any operation: it took took on n, late says
// whether it got no answer by the client's deadline, and desc describes it.
func (w *workload) noteAnswer(n *node, epoch int, faulted bool, took time.Duration, late bool, desc func() string) {
	if e, f := n.health(); faulted || f || e != epoch {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.maxHealthy = max(w.maxHealthy, took)
	if late {
		w.numLate++
		if len(w.late) < 10 {
			w.late = append(w.late, desc())
		}
	}
}

// timed notes how long rec, an HTTP operation, took on n, whose health
// was epoch and faulted at the call (see noteAnswer).
func (w *workload) timed(rec *record, n *node, epoch int, faulted bool) {
	w.noteAnswer(n, epoch, faulted, time.Duration(rec.ret-rec.call), rec.late, func() string {
		return fmt.Sprintf("%s on %s at %.3fs: %s", describeOp(rec.in, output{unknown: true}), n, float64(rec.call)/1e9, rec.detail)
	})
}

// invokeHTTP runs a GET or SET on node n through the HTTP API.
func (w *workload) invokeHTTP(hc *http.Client, id int, n *node, in input) record {
	rec := record{client: id, node: n.idx, in: in, http: true}
	ctx, cancel := context.WithTimeout(context.Background(), w.opTimeout)
	defer cancel()
	epoch, faulted := n.health()
	rec.call = w.hist.now()
	defer w.timed(&rec, n, epoch, faulted)
	var req *http.Request
	var err error
	if in.kind == opGet {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.apiAddr+"/"+url.PathEscape(in.key), nil)
	} else {
		body := fmt.Sprintf(`{"Key":%q,"Value":"%d"}`, in.key, in.val)
		req, err = http.NewRequestWithContext(ctx, http.MethodPut, "http://"+n.apiAddr+"/", strings.NewReader(body))
	}
	if err != nil {
		panic(err) // the URL and body are ours
	}
	var code int
	var body []byte
	resp, err := hc.Do(req)
	if err == nil {
		code = resp.StatusCode
		body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
	}
	rec.ret = w.hist.now()
	if err != nil {
		rec.detail, rec.late = err.Error(), isTimeout(err)
		rec.st, rec.out = statusUnknown, output{unknown: true}
		var oe *net.OpError
		if in.kind == opGet || errors.As(err, &oe) && oe.Op == "dial" {
			rec.st = statusFail // a read, or nothing was sent
		}
		return rec
	}
	rec.st, rec.out, rec.detail = w.interpretHTTP(in, code, body)
	return rec
}

// interpretHTTP is interpret for the HTTP API: 200 with the value or 404
// for a GET, 204 for a SET; 503 when the cluster cannot serve, where a
// write whose outcome is unknown says so and any other 503 proves the
// write did not happen.
func (w *workload) interpretHTTP(in input, code int, body []byte) (status, output, string) {
	var e struct{ Error string }
	_ = json.Unmarshal(body, &e)
	detail := fmt.Sprintf("HTTP %d %s", code, e.Error)
	switch {
	case in.kind == opGet && code == http.StatusOK:
		v, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			w.odd("%s: HTTP %d %q", describeOp(in, output{unknown: true}), code, body)
			return statusOK, output{exists: true, val: math.MinInt64}, detail
		}
		return statusOK, output{exists: true, val: v}, ""
	case in.kind == opGet && code == http.StatusNotFound && e.Error == "key not found":
		return statusOK, output{}, ""
	case in.kind == opSet && code == http.StatusNoContent:
		return statusOK, output{}, ""
	case code == http.StatusInsufficientStorage && e.Error != "":
		// The admin API's MISCONF: refused before it was proposed.
		return statusFail, output{unknown: true}, detail
	case code == http.StatusServiceUnavailable && e.Error != "":
		switch {
		case in.kind == opGet:
			return statusFail, output{unknown: true}, detail
		case strings.Contains(e.Error, "outcome unknown") || !w.clusterDownDefinite:
			return statusUnknown, output{unknown: true}, detail
		}
		return statusFail, output{unknown: true}, detail
	}
	w.odd("%s: HTTP %d %q", describeOp(in, output{unknown: true}), code, body)
	if in.kind == opGet {
		return statusFail, output{unknown: true}, detail
	}
	return statusUnknown, output{unknown: true}, detail
}

// isTimeout reports whether err is a deadline passing, not a refused or
// broken connection.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// commands is the RESP commands an operation sends.
func commands(in input) [][]string {
	if in.kind.isScript() {
		return scriptCommands(in)
	}
	v := strconv.FormatInt(in.val, 10)
	switch in.kind {
	case opGet:
		return [][]string{{"GET", in.key}}
	case opSet:
		return [][]string{{"SET", in.key, v}}
	case opIncr:
		return [][]string{{"INCR", in.key}}
	case opAdd:
		return [][]string{{"HSET", in.key, in.elem, "1"}}
	case opReadIncr:
		return [][]string{{"MULTI"}, {"GET", in.key}, {"INCR", in.key}, {"EXEC"}}
	default:
		return [][]string{{"MULTI"}, {"SET", in.key, v}, {"INCR", in.key}, {"EXEC"}}
	}
}

// interpret maps the replies to an operation onto the model. A reply no
// correct server gives is recorded as odd; a read's is kept as a definite
// outcome with an impossible value, so that the checker also reports it.
func (w *workload) interpret(in input, rs []reply) (status, output, string) {
	last := rs[len(rs)-1]
	if last.isErr() && execAbortedByClusterDown(in, rs) {
		return statusFail, output{unknown: true}, last.str
	}
	if last.isErr() {
		return w.failure(in, last.str), output{unknown: true}, last.str
	}
	if in.kind.isScript() {
		return w.interpretScript(in, last)
	}
	bad := output{exists: true, val: math.MinInt64}
	unexpected := func(what string) (status, output, string) {
		w.odd("%s: %s", describeOp(in, output{unknown: true}), what)
		if in.kind.isWrite() {
			return statusUnknown, output{unknown: true}, what
		}
		return statusOK, bad, what
	}
	switch in.kind {
	case opGet:
		if last.kind != '$' {
			return unexpected("unexpected reply " + last.String())
		}
		if last.null {
			return statusOK, output{}, ""
		}
		v, err := strconv.ParseInt(last.str, 10, 64)
		if err != nil {
			return unexpected("not an integer: " + last.String())
		}
		return statusOK, output{exists: true, val: v}, ""
	case opSet:
		if last.kind != '+' || last.str != "OK" {
			return unexpected("unexpected reply " + last.String())
		}
		return statusOK, output{}, ""
	case opIncr:
		if last.kind != ':' {
			return unexpected("unexpected reply " + last.String())
		}
		return statusOK, output{val: last.num}, ""
	case opAdd:
		// The element is new: HSET counts one field added.
		if last.kind != ':' || last.num != 1 {
			return unexpected("unexpected reply " + last.String())
		}
		return statusOK, output{}, ""
	default:
		want := []string{"+OK", "+QUEUED", "+QUEUED"}
		for i, r := range rs[:len(rs)-1] {
			if r.String() != want[i] {
				return unexpected(fmt.Sprintf("reply %d inside MULTI: %s", i, r))
			}
		}
		if last.kind != '*' || last.null || len(last.elems) != 2 || last.elems[1].kind != ':' {
			return unexpected("unexpected EXEC reply " + last.String())
		}
		first, incr := last.elems[0], last.elems[1].num
		if in.kind == opMulti {
			if first.String() != "+OK" {
				return unexpected("unexpected EXEC reply " + last.String())
			}
			return statusOK, output{val: incr}, ""
		}
		switch v, err := strconv.ParseInt(first.str, 10, 64); {
		case first.kind == '$' && first.null:
			return statusOK, output{incr: incr}, ""
		case first.kind == '$' && err == nil:
			return statusOK, output{exists: true, val: v, incr: incr}, ""
		}
		return unexpected("unexpected EXEC reply " + last.String())
	}
}

// execAbortedByClusterDown reports whether rs are a transaction that
// EXEC discarded because a command was refused with CLUSTERDOWN as it was
// queued (a node that cannot yet check credentials refuses it so), or
// whose EXEC was: nothing in it ran.
func execAbortedByClusterDown(in input, rs []reply) bool {
	if !in.kind.isMulti() || len(rs) < 2 || rs[0].String() != "+OK" ||
		!strings.HasPrefix(rs[len(rs)-1].str, "EXECABORT ") {
		return false
	}
	down := strings.Contains(rs[len(rs)-1].str, "CLUSTERDOWN ")
	for _, r := range rs[1 : len(rs)-1] {
		switch {
		case r.isErr() && strings.HasPrefix(r.str, "CLUSTERDOWN "):
			down = true
		case r.String() != "+QUEUED":
			return false
		}
	}
	return down
}

// failure classifies an error reply. A read that failed is simply
// dropped. A write is unknown unless the server proves it did not happen:
// CLUSTERDOWN is promised (package cluster's ErrNoLeader and
// ErrProposalDropped, mapped by package resp) only when raft refused the
// proposal without appending it anywhere; TRYAGAIN says the outcome is
// unknown (for a script that only reads, it fails the read). Any other
// error is odd: every command the workload sends is valid.
func (w *workload) failure(in input, msg string) status {
	code, _, _ := strings.Cut(msg, " ")
	switch {
	case code == "CLUSTERDOWN" && (!in.kind.isWrite() || w.clusterDownDefinite):
		return statusFail
	case code == "CLUSTERDOWN" || code == "TRYAGAIN" && in.kind.isWrite():
		return statusUnknown
	case code == "MISCONF":
		// Refused before it was proposed: the node cannot persist.
		return statusFail
	case code == "TRYAGAIN" && in.kind == opPairEval:
		// A script's reads go through the log, whose outcome may be
		// unknown as a write's is: a read that did not answer is failed.
		return statusFail
	}
	w.odd("%s: error %s", describeOp(in, output{unknown: true}), msg)
	if in.kind.isWrite() {
		return statusUnknown
	}
	return statusFail
}

// detectMulti reports whether the server has transactions: an unknown
// command error means it has not.
func detectMulti(ctx context.Context, addr string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := dialRESP(ctx, addr)
	if err != nil {
		return false, err
	}
	defer c.close()
	rs, err := c.do(ctx, []string{"MULTI"})
	if err != nil {
		return false, fmt.Errorf("probe MULTI: %w", err)
	}
	if rs[0].isErr() {
		if strings.Contains(strings.ToLower(rs[0].str), "unknown command") {
			return false, nil
		}
		return false, fmt.Errorf("probe MULTI: %s", rs[0].str)
	}
	if _, err := c.do(ctx, []string{"DISCARD"}); err != nil {
		return false, fmt.Errorf("probe DISCARD: %w", err)
	}
	return true, nil
}

// readKey reads key on node n once, bounded by timeout.
func readKey(addr, key string, timeout time.Duration) (output, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dialRESP(ctx, addr)
	if err != nil {
		return output{}, err
	}
	defer c.close()
	rs, err := c.do(ctx, []string{"GET", key})
	if err != nil {
		return output{}, err
	}
	r := rs[0]
	switch {
	case r.isErr():
		return output{}, errors.New(r.str)
	case r.kind == '$' && r.null:
		return output{}, nil
	case r.kind == '$':
		v, err := strconv.ParseInt(r.str, 10, 64)
		if err != nil {
			return output{exists: true, val: math.MinInt64}, nil
		}
		return output{exists: true, val: v}, nil
	}
	return output{}, fmt.Errorf("unexpected reply %s", r)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
