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
	"time"
)

// workloadPubsub names the pub/sub workload (-workload pubsub).
const workloadPubsub = "pubsub"

// pubsubChannel is the channel every message goes to; half the
// subscribers subscribe to it by name, half through pubsubPattern.
const (
	pubsubChannel = "jepsen:pubsub"
	pubsubPattern = "jepsen:pub*"
)

// pubsubEnd prefixes the payloads of the messages the checker publishes
// once everything is healed: a subscriber that receives one has applied
// every acknowledged message (they precede it in the log) and is done.
const pubsubEnd = "end-"

// afterHealSeq numbers the messages published once the cluster is healed,
// after the workload's: no publisher reaches it during the run.
const afterHealSeq = 1 << 30

// pubsubMarkKey is the set a publisher adds each message's number to
// before it publishes the message: on receipt, a subscriber reads it on
// its own node (READONLY: no read barrier, so what the node has applied)
// and must find the number there.
func pubsubMarkKey(client int) string { return fmt.Sprintf("jepsen:pubsub:mark:c%d", client) }

// pubRecord is one SADD of a marker and the PUBLISH that followed it.
type pubRecord struct {
	client, node int
	seq          int
	payload      string // c<client>-<seq>
	markOK       bool   // the marker's SADD was acknowledged before the PUBLISH was sent
	st           status
	call, ret    int64
	detail       string
}

func (r pubRecord) String() string {
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	s := fmt.Sprintf("%10.3f %-12s c%-4d n%-3d %-7s PUBLISH %s %s (marker %v)", float64(r.call)/1e9, ret, r.client, r.node, r.st, pubsubChannel, r.payload, r.markOK)
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// receipt is one message a subscriber received, and what the read of its
// marker on the subscriber's node found: 1 present, 0 absent, -1 no
// answer (the session then ends as broken).
type receipt struct {
	payload string
	at      int64
	mark    int
}

// subSession is one subscriber connection, from its subscription's
// confirmation to its end.
type subSession struct {
	client, node int
	pattern      bool
	subscribed   int64 // when the confirmation was read
	end          int64
	// complete: it received a pubsubEnd message, so its connection
	// stayed up to the end and every acknowledged message published
	// after it subscribed must be among its receipts.
	complete bool
	detail   string // why it ended, if not complete
	recv     []receipt
}

func (s *subSession) name() string {
	kind := "SUBSCRIBE"
	if s.pattern {
		kind = "PSUBSCRIBE"
	}
	return fmt.Sprintf("c%d on n%d (%s at %.3fs)", s.client, s.node, kind, float64(s.subscribed)/1e9)
}

// pubsubWorkload drives publishers and subscribers (issue 15): the
// even-numbered clients publish unique payloads on a random node, each
// after adding its number to the publisher's marker set; the odd-numbered
// ones subscribe, each to a node of its own (client 2k+1 to member k mod
// the cluster's size), again after every broken connection, and on every
// message read its marker on that node. See checkPubsub for what must
// hold.
type pubsubWorkload struct {
	*workload
	pubs     recordLog[pubRecord]
	sessions recordLog[*subSession] // ended
}

// records returns the publishes and the ended sessions.
func (pw *pubsubWorkload) records() ([]pubRecord, []*subSession) {
	return pw.pubs.records(), pw.sessions.records()
}

// runPublisher publishes until ctx ends, each message on a random node,
// numbering them from firstSeq.
func (pw *pubsubWorkload) runPublisher(ctx context.Context, id int, rng *rand.Rand, firstSeq int) {
	conns := nodeConns{}
	defer conns.closeAll()
	for seq := firstSeq; ctx.Err() == nil; seq++ {
		if seq%64 == 0 {
			conns.dropGone()
		}
		n := pw.cl.pick(rng)
		if n == nil || n.reservation() != nil {
			sleepCtx(ctx, time.Millisecond)
			continue
		}
		rec := pubRecord{client: id, node: n.idx, seq: seq, payload: fmt.Sprintf("c%d-%d", id, seq)}
		mark, _ := pw.call(conns, n, []string{"SADD", pubsubMarkKey(id), strconv.Itoa(seq)})
		rec.markOK = mark.st == statusOK
		pw.pubs.add(pw.publish(conns, n, rec))
		if pw.think > 0 {
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(pw.think))+1))
		}
	}
}

// callResult is one command's outcome.
type callResult struct {
	st        status
	r         reply
	detail    string
	call, ret int64
}

// call runs one write (SADD or PUBLISH) on n, dialing if need be, and
// classifies its outcome: an integer reply is success (SADD must answer
// 1: every number is new), CLUSTERDOWN proves nothing happened, a broken
// connection or TRYAGAIN leaves it unknown, and anything else is odd.
func (pw *pubsubWorkload) call(conns nodeConns, n *node, cmd []string) (callResult, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), pw.opTimeout)
	defer cancel()
	epoch, faulted := n.health()
	res := callResult{call: pw.hist.now()}
	late := false
	defer func() {
		pw.noteAnswer(n, epoch, faulted, time.Duration(res.ret-res.call), late, func() string {
			return fmt.Sprintf("%s on %s at %.3fs: %s", strings.Join(cmd, " "), n, float64(res.call)/1e9, res.detail)
		})
	}()
	c, err := conns.get(ctx, n)
	if err != nil {
		res.ret, res.st, res.detail, late = pw.hist.now(), statusFail, err.Error(), isTimeout(err)
		return res, false
	}
	rs, err := c.do(ctx, cmd)
	res.ret = pw.hist.now()
	if err != nil {
		conns.drop(n)
		res.st, res.detail, late = statusUnknown, err.Error(), isTimeout(err)
		return res, true
	}
	res.r = rs[0]
	res.st, res.detail = pw.interpretWrite(cmd, rs[0])
	return res, true
}

// interpretWrite classifies the reply to a marker's SADD or a PUBLISH.
func (pw *pubsubWorkload) interpretWrite(cmd []string, r reply) (status, string) {
	desc := strings.Join(cmd, " ")
	if r.isErr() {
		if st, ok := clusterErrorStatus(r.str, pw.clusterDownDefinite); ok {
			return st, r.str
		}
		pw.odd("%s: error %s", desc, r.str)
		return statusUnknown, r.str
	}
	switch {
	case cmd[0] == "SADD" && r.kind == ':' && r.num == 1:
		return statusOK, ""
	case cmd[0] == "PUBLISH" && r.kind == ':' && r.num >= 0:
		return statusOK, ""
	}
	pw.odd("%s: unexpected reply %s", desc, r)
	return statusUnknown, "unexpected reply " + r.String()
}

// publish sends rec's PUBLISH on n.
func (pw *pubsubWorkload) publish(conns nodeConns, n *node, rec pubRecord) pubRecord {
	res, _ := pw.call(conns, n, []string{"PUBLISH", pubsubChannel, rec.payload})
	rec.st, rec.detail, rec.call, rec.ret = res.st, res.detail, res.call, res.ret
	return rec
}

// runSubscriber keeps a subscription open on its member while work is
// not done: a session that breaks is recorded and a new one started.
// Once work is done it starts no new session, and the one open ends when
// it receives a pubsubEnd message or stop is done. The checker passes
// the same context as both, so that a subscriber whose connection a
// fault at the end of the run broke subscribes again once healed, and
// receives the messages published then (see afterHealSeq).
func (pw *pubsubWorkload) runSubscriber(work, stop context.Context, id int) {
	for i := 0; work.Err() == nil; i++ {
		nodes := pw.cl.nodes()
		if len(nodes) == 0 {
			sleepCtx(work, 50*time.Millisecond)
			continue
		}
		n := nodes[(id/2)%len(nodes)]
		if n.reservation() != nil || n.gone() {
			sleepCtx(work, 5*time.Millisecond)
			continue
		}
		s := pw.session(work, stop, n, id, i%2 == 1)
		if s == nil {
			sleepCtx(work, 20*time.Millisecond)
			continue
		}
		pw.sessions.add(s)
		if s.complete {
			return
		}
	}
}

// session subscribes on n and receives until the connection breaks, a
// pubsubEnd message arrives, or stop is done. It returns nil if it never
// subscribed.
func (pw *pubsubWorkload) session(work, stop context.Context, n *node, id int, pattern bool) *subSession {
	dctx, cancel := context.WithTimeout(work, pw.opTimeout)
	defer cancel()
	sub, err := dialRESP(dctx, n.respAddr)
	if err != nil {
		return nil
	}
	defer sub.close()
	local, runID, err := dialLocal(dctx, n)
	if err != nil {
		return nil
	}
	defer func() {
		if local != nil {
			local.close()
		}
	}()
	cmd, want := []string{"SUBSCRIBE", pubsubChannel}, "subscribe"
	if pattern {
		cmd, want = []string{"PSUBSCRIBE", pubsubPattern}, "psubscribe"
	}
	rs, err := sub.do(dctx, cmd)
	if err != nil {
		return nil
	}
	if c := rs[0]; c.kind != '*' || len(c.elems) != 3 || c.elems[0].str != want || c.elems[2].num != 1 {
		pw.odd("%s on %s: unexpected confirmation %s", strings.Join(cmd, " "), n, c)
		return nil
	}
	s := &subSession{client: id, node: n.idx, pattern: pattern, subscribed: pw.hist.now()}
	// A reader of its own, so that waiting for a message needs no read
	// deadline (which could cut a reply in half); closing sub ends it.
	if err := sub.c.SetDeadline(time.Time{}); err != nil {
		s.end, s.detail = pw.hist.now(), err.Error()
		return s
	}
	type pushed struct {
		r   reply
		err error
	}
	ch := make(chan pushed, 64)
	go func() {
		defer close(ch)
		for {
			r, err := sub.read(0)
			ch <- pushed{r, err}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		sub.close()
		for range ch { // until the reader has ended
		}
	}()
	for {
		var p pushed
		select {
		case p = <-ch:
		case <-stop.Done():
			s.end, s.detail = pw.hist.now(), "still connected when the checker stopped waiting for the end message"
			return s
		}
		at := pw.hist.now()
		if p.err != nil {
			s.end, s.detail = at, p.err.Error()
			return s
		}
		payload, ok := messagePayload(p.r, pattern)
		if !ok {
			pw.odd("subscriber %s: unexpected push %s", s.name(), p.r)
			s.end, s.detail = at, "unexpected push "+p.r.String()
			return s
		}
		if strings.HasPrefix(payload, pubsubEnd) {
			s.end, s.complete = at, true
			return s
		}
		rc := receipt{payload: payload, at: at, mark: -1}
		if local == nil && runID != "" {
			// Only the process the subscription is on: its applied
			// index never goes back, a restarted one's may.
			rctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if c, id, err := dialLocal(rctx, n); err == nil && id == runID {
				local = c
			} else if err == nil {
				c.close()
				runID = "" // restarted: this session's markers go unread
			}
			cancel()
		}
		if client, seq, ok := parsePayload(payload); ok && local != nil {
			rctx, cancel := context.WithTimeout(context.Background(), pw.opTimeout)
			rs, err := local.do(rctx, []string{"SISMEMBER", pubsubMarkKey(client), strconv.Itoa(seq)})
			cancel()
			switch {
			case err != nil:
				// Paused, most likely: dialed again for the next
				// message, if the process is still the same.
				local.close()
				local = nil
			case rs[0].kind == ':' && (rs[0].num == 0 || rs[0].num == 1):
				rc.mark = int(rs[0].num)
			default:
				pw.odd("SISMEMBER on %s: unexpected reply %s", n, rs[0])
			}
		}
		s.recv = append(s.recv, rc)
	}
}

// dialLocal opens a READONLY connection to n and returns it with the
// run_id of n's process.
func dialLocal(ctx context.Context, n *node) (*respConn, string, error) {
	c, err := dialRESP(ctx, n.respAddr)
	if err != nil {
		return nil, "", err
	}
	rs, err := c.do(ctx, []string{"READONLY"}, []string{"INFO", "server"})
	if err != nil || rs[0].kind != '+' || rs[1].kind != '$' {
		c.close()
		return nil, "", fmt.Errorf("READONLY, INFO on %s: %v %v", n, rs, err)
	}
	for _, l := range strings.Split(rs[1].str, "\r\n") {
		if id, ok := strings.CutPrefix(l, "run_id:"); ok && id != "" {
			return c, id, nil
		}
	}
	c.close()
	return nil, "", fmt.Errorf("INFO server on %s: no run_id", n)
}

// messagePayload returns the payload of a message push: [message channel
// payload] for a channel subscription, [pmessage pattern channel payload]
// for a pattern's.
func messagePayload(r reply, pattern bool) (string, bool) {
	if r.kind != '*' {
		return "", false
	}
	e := r.elems
	switch {
	case !pattern && len(e) == 3 && e[0].str == "message" && e[1].str == pubsubChannel && e[2].kind == '$':
		return e[2].str, true
	case pattern && len(e) == 4 && e[0].str == "pmessage" && e[1].str == pubsubPattern && e[2].str == pubsubChannel && e[3].kind == '$':
		return e[3].str, true
	}
	return "", false
}

// parsePayload splits c<client>-<seq>.
func parsePayload(p string) (client, seq int, ok bool) {
	c, s, found := strings.Cut(strings.TrimPrefix(p, "c"), "-")
	if !found || !strings.HasPrefix(p, "c") {
		return 0, 0, false
	}
	client, err1 := strconv.Atoi(c)
	seq, err2 := strconv.Atoi(s)
	return client, seq, err1 == nil && err2 == nil
}

// publishEnd publishes pubsubEnd messages, through each member in turn,
// until one is acknowledged, and returns how many it sent.
func (pw *pubsubWorkload) publishEnd(ctx context.Context) (int, error) {
	conns := nodeConns{}
	defer conns.closeAll()
	for i := 0; ; i++ {
		nodes := pw.cl.nodes()
		if len(nodes) == 0 {
			return i, fmt.Errorf("publish the end message: no members")
		}
		res, _ := pw.call(conns, nodes[i%len(nodes)], []string{"PUBLISH", pubsubChannel, fmt.Sprintf("%s%d", pubsubEnd, i)})
		if res.st == statusOK {
			return i + 1, nil
		}
		if ctx.Err() != nil {
			return i + 1, fmt.Errorf("publish the end message: %s", res.detail)
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

// finalReads reads every publisher's marker set, and DBSIZE, on every
// member once the cluster has settled, and reports the members that
// disagree.
func (pw *pubsubWorkload) finalReads(ctx context.Context, cl *cluster, publishers []int, timeout time.Duration) finalState {
	nodes := cl.nodes()
	fs := finalState{nodes: len(nodes)}
	var cmds [][]string
	for _, p := range publishers {
		cmds = append(cmds, []string{"SMEMBERS", pubsubMarkKey(p)})
	}
	cmds = append(cmds, []string{"DBSIZE"})
	values := make([][]string, len(cmds))
	for _, n := range nodes {
		var c *respConn
		deadline := time.Now().Add(60 * time.Second)
		for i, cmd := range cmds {
			got := "(no answer)"
			var lastErr error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				var rs reply
				if rs, lastErr = query(&c, n, cmd, timeout); lastErr == nil {
					fs.reads++
					elems := make([]string, len(rs.elems))
					for j, e := range rs.elems {
						elems[j] = e.str
					}
					slices.Sort(elems) // a set's order is not state
					got = fmt.Sprintf("%s %v", rs, elems)
					if rs.kind == '*' {
						got = fmt.Sprint(len(elems), elems)
					}
					break
				}
				sleepCtx(ctx, 100*time.Millisecond)
			}
			if lastErr != nil {
				fs.problems = append(fs.problems, fmt.Sprintf("%s did not answer the final %s: %v", n, strings.Join(cmd, " "), lastErr))
			}
			values[i] = append(values[i], got)
		}
		if c != nil {
			c.close()
		}
	}
	for i, vs := range values {
		for _, v := range vs[1:] {
			if v != vs[0] {
				var parts []string
				for j, v := range vs {
					if len(v) > 200 {
						v = v[:200] + "..."
					}
					parts = append(parts, fmt.Sprintf("%s: %s", nodes[j], v))
				}
				fs.disagree = append(fs.disagree, strings.Join(cmds[i], " ")+": "+strings.Join(parts, ", "))
				break
			}
		}
	}
	return fs
}

// pubsubVerdict is what became of the messages.
type pubsubVerdict struct {
	pubs       [3]int // by status
	sessions   int    // subscriber sessions
	complete   int    // of which stayed connected to the end
	received   int    // messages received, over all sessions
	required   int    // (session, message) pairs a complete session had to receive
	missing    int    // of which not received
	duplicated int    // a message received twice in one session
	invented   int    // received, never published
	failedSeen int    // received, though its PUBLISH definitely failed
	early      int    // received before its marker was visible on the subscriber's node
	misordered int    // pairs of sessions that saw two messages in opposite orders
	cycle      bool   // no single order agrees with every session
	unchecked  int    // receipts whose marker read got no answer
	examples   []string
}

func (v *pubsubVerdict) ok() bool {
	return v.missing == 0 && v.duplicated == 0 && v.invented == 0 && v.failedSeen == 0 &&
		v.early == 0 && v.misordered == 0 && !v.cycle
}

// checkPubsub checks the publishes against what the subscriber sessions
// received:
//   - a session that stayed connected to the end (complete) received
//     every acknowledged message whose PUBLISH was sent after its
//     subscription was confirmed (the PUBLISH's entry then follows, in the
//     log, everything the node had applied when it subscribed);
//   - no session received a message twice, one nobody published or one
//     whose PUBLISH definitely failed (an unknown one may be received, or
//     not);
//   - every two sessions received the messages they share in the same
//     order, and one order agrees with all of them (the log's);
//   - a message whose marker was acknowledged before its PUBLISH was sent
//     was never received before the marker was visible on the
//     subscriber's node.
//
// Broken sessions' messages are checked for all but the first.
func checkPubsub(pubs []pubRecord, sessions []*subSession) pubsubVerdict {
	var v pubsubVerdict
	example := func(format string, args ...any) {
		if len(v.examples) < 12 {
			v.examples = append(v.examples, fmt.Sprintf(format, args...))
		}
	}
	published := map[string]pubRecord{}
	for _, p := range pubs {
		v.pubs[p.st]++
		published[p.payload] = p
	}
	v.sessions = len(sessions)
	for _, s := range sessions {
		if s.complete {
			v.complete++
		}
		got := map[string]int{}
		for _, r := range s.recv {
			v.received++
			got[r.payload]++
			if got[r.payload] == 2 {
				v.duplicated++
				example("%s received %s twice", s.name(), r.payload)
			}
			p, ok := published[r.payload]
			switch {
			case !ok:
				v.invented++
				example("%s received %q, which nobody published", s.name(), r.payload)
				continue
			case p.st == statusFail && got[r.payload] == 1:
				v.failedSeen++
				example("%s received %s, whose PUBLISH definitely failed: %s", s.name(), r.payload, p)
			}
			switch {
			case r.mark == -1:
				v.unchecked++
			case r.mark == 0 && p.markOK:
				v.early++
				example("%s received %s at %.3fs, before its marker (acknowledged before the PUBLISH) was visible on n%d: %s",
					s.name(), r.payload, float64(r.at)/1e9, s.node, p)
			}
		}
		if !s.complete {
			continue
		}
		var missing []pubRecord
		for _, p := range pubs {
			if p.st != statusOK || p.call <= s.subscribed {
				continue
			}
			v.required++
			if got[p.payload] == 0 {
				missing = append(missing, p)
			}
		}
		v.missing += len(missing)
		if len(missing) > 0 {
			sort.Slice(missing, func(i, j int) bool { return missing[i].call < missing[j].call })
			example("%s stayed connected to the end but missed %d acknowledged messages, the first: %s", s.name(), len(missing), missing[0])
		}
	}
	v.misordered = checkPairwiseOrder(sessions, example)
	if cyc := orderCycle(sessions); len(cyc) > 0 {
		v.cycle = true
		example("no single order of the messages agrees with every session: %s", strings.Join(cyc, " < "))
	}
	return v
}

// checkPairwiseOrder counts the pairs of sessions that received two
// messages in opposite orders, and gives an example of the first.
func checkPairwiseOrder(sessions []*subSession, example func(string, ...any)) int {
	pos := make([]map[string]int, len(sessions))
	for i, s := range sessions {
		pos[i] = make(map[string]int, len(s.recv))
		for j, r := range s.recv {
			if _, dup := pos[i][r.payload]; !dup {
				pos[i][r.payload] = j
			}
		}
	}
	bad := 0
	for i, a := range sessions {
		for j := i + 1; j < len(sessions); j++ {
			// a's messages that j also received, in a's order, must be
			// in increasing positions of j.
			last, lastMsg := -1, ""
			for k, r := range a.recv {
				p, ok := pos[j][r.payload]
				if !ok || pos[i][r.payload] != k { // not shared, or a repeat
					continue
				}
				if p < last {
					bad++
					example("%s received %s before %s, %s the other way round", a.name(), lastMsg, r.payload, sessions[j].name())
					break
				}
				last, lastMsg = p, r.payload
			}
		}
	}
	return bad
}

// orderCycle looks for a cycle in the order the sessions received the
// messages in (each message after the one a session received before
// it), which pairwise agreement alone does not rule out, and returns one
// if there is.
func orderCycle(sessions []*subSession) []string {
	next := map[string]map[string]bool{}
	for _, s := range sessions {
		seen := map[string]bool{}
		prev := ""
		for _, r := range s.recv {
			if seen[r.payload] {
				continue // a duplicate is reported as such
			}
			seen[r.payload] = true
			if prev != "" {
				if next[prev] == nil {
					next[prev] = map[string]bool{}
				}
				next[prev][r.payload] = true
			}
			prev = r.payload
		}
	}
	// Depth-first search, iterative, in sorted order for a stable report.
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	parent := map[string]string{}
	for _, root := range slices.Sorted(mapKeys(next, next)) {
		if color[root] != white {
			continue
		}
		type frame struct {
			n    string
			succ []string
		}
		stack := []frame{{root, slices.Sorted(mapKeys(next[root], next[root]))}}
		color[root] = grey
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if len(top.succ) == 0 {
				color[top.n] = black
				stack = stack[:len(stack)-1]
				continue
			}
			m := top.succ[0]
			top.succ = top.succ[1:]
			switch color[m] {
			case grey:
				cyc := []string{m}
				for x := top.n; x != m; x = parent[x] {
					cyc = append(cyc, x)
				}
				cyc = append(cyc, m)
				slices.Reverse(cyc)
				return cyc
			case white:
				color[m], parent[m] = grey, top.n
				stack = append(stack, frame{m, slices.Sorted(mapKeys(next[m], next[m]))})
			}
		}
	}
	return nil
}

// writePubsubHistory writes every publish, in call order, then every
// session with what it received.
func writePubsubHistory(path string, pubs []pubRecord, sessions []*subSession) error {
	pubs = slices.Clone(pubs)
	sort.SliceStable(pubs, func(i, j int) bool { return pubs[i].call < pubs[j].call })
	return writeLines(path, func(w *bufio.Writer) {
		for _, p := range pubs {
			fmt.Fprintln(w, p)
		}
		for _, s := range sessions {
			end := "complete"
			if !s.complete {
				end = "broken: " + s.detail
			}
			fmt.Fprintf(w, "session %s, ended %.3fs, %s, %d messages:\n", s.name(), float64(s.end)/1e9, end, len(s.recv))
			for _, r := range s.recv {
				fmt.Fprintf(w, "  %10.3f %s marker %d\n", float64(r.at)/1e9, r.payload, r.mark)
			}
		}
	})
}
