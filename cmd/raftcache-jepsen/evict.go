package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// workloadEvict names the eviction workload (-workload evict).
const workloadEvict = "evict"

// evictMaxMemory is the cluster's maxmemory in the eviction workload:
// small, so that the writers pass it within a second or two and eviction
// (or, with noeviction, OOM refusals) runs through most of the faults.
const evictMaxMemory = 256 << 10

// evictPolicies are the policies the eviction workload runs with, one a
// run, chosen by the seed unless -evict_policy names one: those that leave
// some keys out of their reach (the keys without a TTL), which must then
// never be lost; noeviction, under which nothing acknowledged may be; and
// the allkeys policies, under which any key may go but every node must
// still evict the same ones.
func evictPolicies() []string {
	return []string{"volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random", "noeviction",
		"allkeys-lru", "allkeys-lfu", "allkeys-random"}
}

// evictPolicyFor is the policy of a run with seed, unless named.
func evictPolicyFor(named string, seed uint64) string {
	if named != "" {
		return named
	}
	// Through the generator rather than seed modulo 5: a clock that
	// counts microseconds makes every time-based seed a multiple of 5.
	p := evictPolicies()
	return p[rand.New(rand.NewPCG(seed, 0x706f6c)).IntN(len(p))]
}

// Key spaces of the eviction workload. A volatile key is SET once, with a
// long EX, by one client, and perhaps deleted by it later; a persistent
// key (no TTL) is SET over and over by the one client that owns it and
// read by all; a counter (no TTL) is INCRed by all.
const (
	evictVolatilePrefix   = "jepsen:evict:v:"
	evictPersistentPrefix = "jepsen:evict:p:"
	evictCounterPrefix    = "jepsen:evict:n:"
	// evictPersistentPerClient is how many persistent keys each client
	// owns: their few kilobytes stay far below evictMaxMemory, so that a
	// volatile policy always has volatile keys to evict.
	evictPersistentPerClient = 6
	// evictColdPerClient is how many more persistent keys each client
	// SETs once, first thing, and never touches again until the final
	// reads: the least recently and least frequently used keys of the
	// run, the first an LRU or LFU policy that reached past the volatile
	// keys would take (the others are written and read all the time).
	evictColdPerClient = 10
	evictCounters      = 4
	// evictMinEX is the shortest TTL the volatile keys get, in seconds:
	// none expires during a run, so that a volatile key that is gone was
	// evicted (or deleted).
	evictMinEX = 3600
)

func evictPersistentKey(client, j int) string {
	return fmt.Sprintf("%sc%d:%d", evictPersistentPrefix, client, j)
}

func evictCounterKey(j int) string { return fmt.Sprintf("%s%d", evictCounterPrefix, j) }

// oomError is Redis's reply to a write refused for memory, exactly.
const oomError = "OOM command not allowed when used memory > 'maxmemory'."

// evictOp is an operation of the eviction workload.
type evictOp uint8

const (
	evSetVolatile   evictOp = iota // SET k v EX n: within a volatile policy's reach
	evSetPersistent                // SET k v: outside it
	evIncr                         // INCR counter: outside it
	evDel                          // DEL of a volatile key this client SET and had acknowledged
	evGet                          // GET of a persistent key
	numEvictOps
)

func (o evictOp) String() string {
	return [...]string{"setex", "set", "incr", "del", "get"}[o]
}

func (o evictOp) isWrite() bool { return o != evGet }

// evictRecord is one operation of the eviction workload's history.
type evictRecord struct {
	client, node int
	op           evictOp
	key          string
	val          string // setex, set: the value written; get: the value read
	ex           int    // setex: its TTL in seconds
	null         bool   // get: found nothing
	num          int64  // incr: its reply; del: keys deleted
	st           status
	oom          bool // refused with Redis's OOM error (st is statusFail)
	call, ret    int64
	detail       string
	late         bool
}

func (r evictRecord) command() []string {
	switch r.op {
	case evSetVolatile:
		return []string{"SET", r.key, r.val, "EX", strconv.Itoa(r.ex)}
	case evSetPersistent:
		return []string{"SET", r.key, r.val}
	case evIncr:
		return []string{"INCR", r.key}
	case evDel:
		return []string{"DEL", r.key}
	}
	return []string{"GET", r.key}
}

func (r evictRecord) String() string {
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	cmd := r.command()
	if r.op == evSetVolatile || r.op == evSetPersistent {
		cmd[2] = shortVal(cmd[2])
	}
	op := strings.Join(cmd, " ")
	if r.st == statusOK {
		switch r.op {
		case evGet:
			got := "nil"
			if !r.null {
				got = shortVal(r.val)
			}
			op += " -> " + got
		case evIncr, evDel:
			op += fmt.Sprintf(" -> %d", r.num)
		}
	}
	s := fmt.Sprintf("%10.3f %-12s c%-4d n%-3d %-7s %s", float64(r.call)/1e9, ret, r.client, r.node, r.st, op)
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// shortVal is a value without its padding.
func shortVal(v string) string {
	if i := strings.IndexByte(v, 'x'); i > 0 {
		return fmt.Sprintf("%sx…(%d)", v[:i], len(v))
	}
	return v
}

// evictWorkload drives the eviction workload (issue 15): with the
// cluster's maxmemory set to evictMaxMemory and its policy to one of
// evictPolicies, clients SET fresh keys with a long EX (in a volatile
// policy's reach), a few hundred bytes each, and now and then delete one;
// SET persistent keys and INCR persistent counters (out of its reach); and
// GET persistent keys. Eviction must keep the cluster near maxmemory, no
// key outside the policy's reach may be lost, every write refused with
// Redis's OOM error must have had no effect, and at the end every node
// must hold the same keys and values (see checkEvict and finalReads).
type evictWorkload struct {
	*workload
	clients int
	policy  string

	recordLog[evictRecord]

	// memMu guards what the memory monitor saw.
	memMu sync.Mutex
	mem   evictMemory

	final evictFinal // what the final reads found
}

// check checks the history and the final reads into res (a run
// interrupted is excused the checks that eviction happened) and writes
// the history to path.
func (ew *evictWorkload) check(res *result, interrupted bool, path string) error {
	recs := ew.records()
	v := checkEvict(recs, ew.final.keys, ew.policy)
	v.mem, v.final = ew.memory(), ew.final
	res.evictV = &v
	res.problems = append(res.problems, evictMemoryProblems(ew.policy, v.mem, ew.final.mem, ew.final.names, &v, interrupted)...)
	return writeEvictHistory(path, recs)
}

// evictMemory is what the memory monitor saw during the run.
type evictMemory struct {
	samples  int
	maxUsed  int64  // highest used_memory reported by a node with the limit set
	maxNode  string // who reported it
	mismatch int    // samples of a node reporting another maxmemory or policy
	example  string // the first of those
}

// setup sets the cluster's maxmemory and policy through one node (they
// are cluster state) and waits until every member reports both.
func (ew *evictWorkload) setup(ctx context.Context) error {
	nodes := ew.cl.nodes()
	var c *respConn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for _, kv := range [][2]string{{"maxmemory-policy", ew.policy}, {"maxmemory", strconv.Itoa(evictMaxMemory)}} {
		if _, err := query(&c, nodes[0], []string{"CONFIG", "SET", kv[0], kv[1]}, 10*time.Second); err != nil {
			return fmt.Errorf("CONFIG SET %s %s on %s: %w", kv[0], kv[1], nodes[0], err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, n := range nodes {
		var nc *respConn
		for {
			mi, err := readMemInfo(&nc, n, 2*time.Second)
			if err == nil && mi.maxMemory == evictMaxMemory && mi.policy == ew.policy {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				if nc != nil {
					nc.close()
				}
				return fmt.Errorf("%s does not report maxmemory %d and policy %s (%+v, %v)", n, evictMaxMemory, ew.policy, mi, err)
			}
			sleepCtx(ctx, 50*time.Millisecond)
		}
		if nc != nil {
			nc.close()
		}
	}
	return nil
}

// memInfo is a node's INFO memory and stats fields the workload reads.
type memInfo struct {
	used, maxMemory, evicted int64
	policy                   string
}

// readMemInfo reads n's INFO memory and stats.
func readMemInfo(c **respConn, n *node, timeout time.Duration) (memInfo, error) {
	r, err := query(c, n, []string{"INFO", "memory", "stats"}, timeout)
	if err != nil {
		return memInfo{}, err
	}
	return parseMemInfo(r.str)
}

// parseMemInfo picks used_memory, maxmemory, maxmemory_policy and
// evicted_keys out of an INFO reply.
func parseMemInfo(s string) (memInfo, error) {
	var mi memInfo
	found := 0
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "used_memory":
			dst = &mi.used
		case "maxmemory":
			dst = &mi.maxMemory
		case "evicted_keys":
			dst = &mi.evicted
		case "maxmemory_policy":
			mi.policy = v
			found++
			continue
		default:
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return mi, fmt.Errorf("INFO %s: %q: %w", k, v, err)
		}
		*dst = n
		found++
	}
	if found != 4 {
		return mi, errors.New("INFO lacks one of used_memory, maxmemory, maxmemory_policy, evicted_keys")
	}
	return mi, nil
}

// monitor samples a random member's INFO every 100ms until ctx ends: the
// highest used_memory any node with the limit set reported is how far
// eviction let the dataset run past maxmemory under the writes.
func (ew *evictWorkload) monitor(ctx context.Context, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6d656d))
	conns := map[*node]*respConn{}
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	for ctx.Err() == nil {
		sleepCtx(ctx, 100*time.Millisecond)
		n := ew.cl.pick(rng)
		if n == nil {
			continue
		}
		c := conns[n]
		mi, err := readMemInfo(&c, n, time.Second)
		conns[n] = c
		if err != nil {
			continue
		}
		ew.memMu.Lock()
		ew.mem.samples++
		if mi.maxMemory != evictMaxMemory || mi.policy != ew.policy {
			// A member that joined and has not caught up yet reports
			// the defaults: its figure says nothing of eviction.
			ew.mem.mismatch++
			if ew.mem.example == "" {
				ew.mem.example = fmt.Sprintf("%s: maxmemory %d, policy %s", n, mi.maxMemory, mi.policy)
			}
		} else if mi.used > ew.mem.maxUsed {
			ew.mem.maxUsed, ew.mem.maxNode = mi.used, n.String()
		}
		ew.memMu.Unlock()
	}
}

func (ew *evictWorkload) memory() evictMemory {
	ew.memMu.Lock()
	defer ew.memMu.Unlock()
	return ew.mem
}

// runClient issues operations until ctx ends, each against a random
// node.
func (ew *evictWorkload) runClient(ctx context.Context, id int, rng *rand.Rand) {
	conns := nodeConns{}
	defer conns.closeAll()
	var mine []string // volatile keys this client SET and had acknowledged, not yet deleted
	cold := 0         // cold keys SET so far
	for i := 0; ctx.Err() == nil; i++ {
		if i%64 == 0 {
			conns.dropGone()
		}
		n := ew.pickNode(ctx, rng)
		if n == nil {
			continue
		}
		rec := evictRecord{client: id, node: n.idx}
		switch p := rng.IntN(100); {
		case cold < evictColdPerClient:
			rec.op, rec.key = evSetPersistent, evictPersistentKey(id, evictPersistentPerClient+cold)
			rec.val = fmt.Sprintf("c%d-%d", id, i)
			cold++
		case p < 10 && len(mine) > 0:
			j := rng.IntN(len(mine))
			rec.op, rec.key = evDel, mine[j]
			mine = slices.Delete(mine, j, j+1)
		case p < 55:
			rec.op, rec.key = evSetVolatile, fmt.Sprintf("%sc%d:%d", evictVolatilePrefix, id, i)
			rec.val = fmt.Sprintf("c%d-%d-", id, i) + strings.Repeat("x", 100+rng.IntN(300))
			rec.ex = evictMinEX + rng.IntN(100*evictMinEX)
		case p < 70:
			rec.op, rec.key = evSetPersistent, evictPersistentKey(id, rng.IntN(evictPersistentPerClient))
			rec.val = fmt.Sprintf("c%d-%d", id, i)
		case p < 82:
			rec.op, rec.key = evIncr, evictCounterKey(rng.IntN(evictCounters))
		default:
			rec.op, rec.key = evGet, evictPersistentKey(rng.IntN(ew.clients), rng.IntN(evictPersistentPerClient))
		}
		rec = ew.invoke(conns, n, rec)
		ew.add(rec)
		if rec.op == evSetVolatile && rec.st == statusOK {
			mine = append(mine, rec.key)
			if len(mine) > 256 {
				mine = mine[1:] // the oldest are likely evicted anyway
			}
		}
		if ew.think > 0 {
			sleepCtx(ctx, time.Duration(rng.Int64N(int64(ew.think))+1))
		}
	}
}

func (ew *evictWorkload) invoke(conns nodeConns, n *node, rec evictRecord) evictRecord {
	o, rs, ok := ew.exchange(conns, n, ew.opTimeout, func() string { return fmt.Sprint(rec.op) }, rec.command())
	rec.call, rec.ret, rec.st, rec.detail, rec.late = o.call, o.ret, o.st, o.detail, o.late
	switch {
	case ok:
		ew.interpret(&rec, rs[0])
	case rec.st == statusUnknown && !rec.op.isWrite():
		rec.st = statusFail // a read that got no answer changed nothing
	}
	return rec
}

// interpret classifies a reply: Redis's OOM error proves a write did
// not happen (Apply refused it), as CLUSTERDOWN does; TRYAGAIN leaves it
// unknown; anything else no correct server gives is odd, and unknown for
// a write.
func (ew *evictWorkload) interpret(rec *evictRecord, r reply) {
	desc := strings.Join(rec.command(), " ")
	if len(desc) > 80 {
		desc = desc[:80] + "…"
	}
	unexpected := func(what string) {
		ew.odd("%s: %s", desc, what)
		rec.st, rec.detail = statusUnknown, what
		if !rec.op.isWrite() {
			rec.st = statusFail
		}
	}
	if r.isErr() {
		if r.str == oomError && rec.op != evGet && rec.op != evDel {
			rec.st, rec.oom, rec.detail = statusFail, true, "OOM"
			return
		}
		if st, ok := clusterErrorStatus(r.str, ew.clusterDownDefinite); ok {
			rec.st, rec.detail = st, r.str
			if !rec.op.isWrite() {
				rec.st = statusFail
			}
			return
		}
		unexpected("error " + r.str)
		return
	}
	switch rec.op {
	case evSetVolatile, evSetPersistent:
		if r.kind == '+' && r.str == "OK" {
			rec.st = statusOK
			return
		}
	case evIncr:
		if r.kind == ':' && r.num >= 1 {
			rec.st, rec.num = statusOK, r.num
			return
		}
	case evDel:
		if r.kind == ':' && (r.num == 0 || r.num == 1) {
			rec.st, rec.num = statusOK, r.num
			return
		}
	case evGet:
		if r.kind == '$' {
			rec.st, rec.null, rec.val = statusOK, r.null, r.str
			return
		}
	}
	unexpected("unexpected reply " + r.String())
}

// evictNodeState is one member's view at the end.
type evictNodeState struct {
	keys map[string]string // every key and its value (string keys only; "" for another type)
	mem  memInfo
}

// readState reads every key and value on n: SCAN, then MGET in chunks,
// then INFO. A key removed between SCAN and MGET is left out.
func readState(c **respConn, n *node, timeout time.Duration) (evictNodeState, int, error) {
	st := evictNodeState{keys: map[string]string{}}
	reads := 0
	var all []string
	for cursor := "0"; ; {
		r, err := query(c, n, []string{"SCAN", cursor, "COUNT", "1000"}, timeout)
		if err != nil {
			return st, reads, fmt.Errorf("SCAN: %w", err)
		}
		reads++
		if r.kind != '*' || len(r.elems) != 2 {
			return st, reads, fmt.Errorf("SCAN: unexpected reply %s", r)
		}
		for _, e := range r.elems[1].elems {
			all = append(all, e.str)
		}
		if cursor = r.elems[0].str; cursor == "0" {
			break
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	for len(all) > 0 {
		chunk := all[:min(len(all), 200)]
		all = all[len(chunk):]
		r, err := query(c, n, append([]string{"MGET"}, chunk...), timeout)
		if err != nil {
			return st, reads, fmt.Errorf("MGET: %w", err)
		}
		reads++
		if r.kind != '*' || len(r.elems) != len(chunk) {
			return st, reads, fmt.Errorf("MGET: unexpected reply %s", r)
		}
		for i, e := range r.elems {
			if !e.null {
				st.keys[chunk[i]] = e.str
			}
		}
	}
	mi, err := readMemInfo(c, n, timeout)
	if err != nil {
		return st, reads, fmt.Errorf("INFO: %w", err)
	}
	st.mem = mi
	return st, reads, nil
}

// evictFinal is what the final reads found.
type evictFinal struct {
	finalState
	keys  map[string]string // the first member's keys and values
	mem   []memInfo         // each member's, in order
	names []string          // the members read, in order
	tries int               // rounds of reads until the members agreed (or gave up)
}

// finalReads reads every member's keys, values and INFO once the cluster
// has settled, again and again until they agree (the leader's last
// evictions may still be applying on some) or 20 rounds have passed; the
// disagreement of the last round is reported.
func (ew *evictWorkload) finalReads(ctx context.Context, timeout time.Duration) evictFinal {
	nodes := ew.cl.nodes()
	var f evictFinal
	f.nodes = len(nodes)
	for _, n := range nodes {
		f.names = append(f.names, n.String())
	}
	conns := make([]*respConn, len(nodes))
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	for f.tries = 1; ; f.tries++ {
		states := make([]evictNodeState, len(nodes))
		var problems []string
		for i, n := range nodes {
			var err error
			var reads int
			deadline := time.Now().Add(30 * time.Second)
			for {
				states[i], reads, err = readState(&conns[i], n, timeout)
				f.reads += reads
				if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				sleepCtx(ctx, 200*time.Millisecond)
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s did not answer the final reads: %v", n, err))
			}
		}
		f.problems = problems
		f.disagree = compareEvictStates(f.names, states)
		f.keys = states[0].keys
		f.mem = f.mem[:0]
		for _, s := range states {
			f.mem = append(f.mem, s.mem)
		}
		if len(f.disagree) == 0 || len(problems) > 0 || f.tries == 20 || ctx.Err() != nil {
			return f
		}
		sleepCtx(ctx, 500*time.Millisecond)
	}
}

// compareEvictStates reports how the members' views differ: keys some
// hold and others not, values that differ, used_memory that differs.
func compareEvictStates(names []string, states []evictNodeState) []string {
	var out []string
	ref := states[0]
	for i := 1; i < len(states); i++ {
		s := states[i]
		var only0, onlyI, differ []string
		for k, v := range ref.keys {
			w, ok := s.keys[k]
			switch {
			case !ok:
				only0 = append(only0, k)
			case v != w:
				differ = append(differ, k)
			}
		}
		for k := range s.keys {
			if _, ok := ref.keys[k]; !ok {
				onlyI = append(onlyI, k)
			}
		}
		show := func(what string, keys []string) {
			if len(keys) == 0 {
				return
			}
			sort.Strings(keys)
			ex := keys[:min(len(keys), 5)]
			out = append(out, fmt.Sprintf("%d keys %s, e.g. %s", len(keys), what, strings.Join(ex, ", ")))
		}
		show(fmt.Sprintf("on %s and not on %s", names[0], names[i]), only0)
		show(fmt.Sprintf("on %s and not on %s", names[i], names[0]), onlyI)
		show(fmt.Sprintf("with different values on %s and %s", names[0], names[i]), differ)
		if ref.mem.used != s.mem.used {
			out = append(out, fmt.Sprintf("used_memory %d on %s, %d on %s", ref.mem.used, names[0], s.mem.used, names[i]))
		}
	}
	return out
}

// writeEvictHistory writes every operation, in call order, one a line.
func writeEvictHistory(path string, recs []evictRecord) error {
	return writeInCallOrder(path, recs, func(r evictRecord) int64 { return r.call }, func(r evictRecord) string { return fmt.Sprint(r) })
}
