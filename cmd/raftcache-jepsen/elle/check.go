package elle

import (
	"fmt"
	"sort"
	"strings"
)

// Limits of the report and of the cycle search.
const (
	maxPerKind = 20 // anomalies of one kind listed (all are counted)
	// searchBudget bounds the edges one component's cycle search may
	// visit; a component larger than the budget still gets a cycle (the
	// G2 fallback visits it once), maybe not the shortest.
	searchBudget = 2_000_000
)

type wkey struct {
	key string
	val int
}

// edge is an adjacency entry; a, b are the values that explain it.
type edge struct {
	to    int
	kind  EdgeKind
	key   string
	a, b  int
	empty bool // rw: the read was empty (a means nothing)
}

type checker struct {
	h   []Txn
	res Result

	writer map[wkey]int // ok and info appends
	failed map[wkey]int // fail appends
	// inter: a transaction's non-final append to a key -> its final one.
	inter map[wkey]int
	order map[string][]int        // key -> version order (longest read)
	pos   map[string]map[int]int  // key -> value -> index in order
	bad   map[string]map[int]bool // reads (txn -> true) incompatible with the order, per key
	adj   [][]edge
}

// Check analyses a list-append history.
func Check(h []Txn) Result {
	c := &checker{
		h:      h,
		res:    Result{Counts: map[string]int{}, Txns: len(h)},
		writer: map[wkey]int{},
		failed: map[wkey]int{},
		inter:  map[wkey]int{},
		order:  map[string][]int{},
		pos:    map[string]map[int]int{},
		bad:    map[string]map[int]bool{},
		adj:    make([][]edge, len(h)),
	}
	c.indexAppends()
	c.checkReads()
	c.versionOrders()
	c.lostAppends()
	c.dependencies()
	c.realtime()
	c.cycles()
	return c.res
}

func (c *checker) report(kind string, txns []int, cycle []Edge, format string, args ...any) {
	c.res.Counts[kind]++
	if c.res.Counts[kind] > maxPerKind {
		return
	}
	c.res.Anomalies = append(c.res.Anomalies, Anomaly{Kind: kind, Txns: txns, Cycle: cycle, Text: fmt.Sprintf(format, args...)})
}

// name is how a report names transaction i.
func (c *checker) name(i int) string { return fmt.Sprintf("T%d (%s)", i, c.h[i]) }

func (c *checker) indexAppends() {
	for i, t := range c.h {
		last := map[string]int{}
		for _, o := range t.Ops {
			if o.Kind != Append {
				continue
			}
			k := wkey{o.Key, o.Value}
			if j, ok := c.writer[k]; ok {
				c.report("duplicate-append", []int{j, i}, nil, "value %d appended to %s twice, by T%d and T%d: the history breaks the unique-value rule", o.Value, o.Key, j, i)
				continue
			}
			if j, ok := c.failed[k]; ok {
				c.report("duplicate-append", []int{j, i}, nil, "value %d appended to %s twice, by T%d and T%d: the history breaks the unique-value rule", o.Value, o.Key, j, i)
				continue
			}
			if t.Outcome == Fail {
				c.failed[k] = i
				continue
			}
			c.writer[k] = i
			if v, ok := last[o.Key]; ok {
				c.inter[wkey{o.Key, v}] = o.Value
			}
			last[o.Key] = o.Value
		}
	}
}

// checkReads finds what single reads show: garbage, duplicates, G1a,
// G1b and internal inconsistency.
func (c *checker) checkReads() {
	for i, t := range c.h {
		if t.Outcome != OK {
			continue
		}
		own := map[string]int{} // key -> this txn's last append so far
		for _, o := range t.Ops {
			if o.Kind == Append {
				own[o.Key] = o.Value
				continue
			}
			seen := make(map[int]bool, len(o.List))
			for _, v := range o.List {
				k := wkey{o.Key, v}
				if seen[v] {
					c.report("duplicate-elements", []int{i}, nil, "%s: %d appears twice in its read of %s", c.name(i), v, o.Key)
				}
				seen[v] = true
				if j, ok := c.failed[k]; ok {
					c.report("G1a", []int{j, i}, nil, "%s read %d in %s, appended by the failed %s", c.name(i), v, o.Key, c.name(j))
				} else if _, ok := c.writer[k]; !ok {
					c.report("garbage-read", []int{i}, nil, "%s read %d in %s, which nobody appended", c.name(i), v, o.Key)
				}
			}
			if v, ok := own[o.Key]; ok && (len(o.List) == 0 || o.List[len(o.List)-1] != v) {
				c.report("internal", []int{i}, nil, "%s read %s after appending %d to it in the same transaction, and does not end with it", c.name(i), o.Key, v)
			}
			if n := len(o.List); n > 0 {
				last := o.List[n-1]
				if fin, ok := c.inter[wkey{o.Key, last}]; ok {
					if j := c.writer[wkey{o.Key, last}]; j != i {
						c.report("G1b", []int{j, i}, nil, "%s read %s ending in %d, an intermediate append of %s, whose final append to %s is %d", c.name(i), o.Key, last, c.name(j), o.Key, fin)
					}
				}
			}
		}
	}
}

// versionOrders takes each key's longest read as its order and checks
// every other read is a prefix of it.
func (c *checker) versionOrders() {
	type rd struct {
		txn  int
		list []int
	}
	reads := map[string][]rd{}
	var keys []string
	for i, t := range c.h {
		if t.Outcome != OK {
			continue
		}
		for _, o := range t.Ops {
			if o.Kind == Read {
				if _, ok := reads[o.Key]; !ok {
					keys = append(keys, o.Key)
				}
				reads[o.Key] = append(reads[o.Key], rd{i, o.List})
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		rs := reads[k]
		longest := rs[0]
		for _, r := range rs[1:] {
			if len(r.list) > len(longest.list) {
				longest = r
			}
		}
		c.order[k] = longest.list
		p := make(map[int]int, len(longest.list))
		for i, v := range longest.list {
			if _, dup := p[v]; !dup {
				p[v] = i
			}
		}
		c.pos[k] = p
		for _, r := range rs {
			if !isPrefix(r.list, longest.list) {
				if c.bad[k] == nil {
					c.bad[k] = map[int]bool{}
				}
				c.bad[k][r.txn] = true
				c.report("incompatible-order", []int{r.txn, longest.txn}, nil, "%s read %s = %v, which is not a prefix of %v read by %s", c.name(r.txn), k, r.list, longest.list, c.name(longest.txn))
			}
		}
	}
}

func isPrefix(a, b []int) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lostAppends finds acknowledged appends missing from a read of their key
// invoked after they completed.
func (c *checker) lostAppends() {
	type rd struct {
		txn    int
		invoke int64
		n      int
	}
	reads := map[string][]rd{}
	for i, t := range c.h {
		if t.Outcome != OK {
			continue
		}
		for _, o := range t.Ops {
			if o.Kind == Read && !c.bad[o.Key][i] {
				reads[o.Key] = append(reads[o.Key], rd{i, t.Invoke, len(o.List)})
			}
		}
	}
	// minAfter[k][j]: the index of the shortest read among reads[k][j:].
	minAfter := map[string][]int{}
	for k, rs := range reads {
		sort.Slice(rs, func(a, b int) bool { return rs[a].invoke < rs[b].invoke })
		m := make([]int, len(rs)+1)
		m[len(rs)] = -1
		for j := len(rs) - 1; j >= 0; j-- {
			m[j] = j
			if m[j+1] >= 0 && rs[m[j+1]].n < rs[j].n {
				m[j] = m[j+1]
			}
		}
		minAfter[k] = m
	}
	for i, t := range c.h {
		if t.Outcome != OK {
			continue
		}
		for _, o := range t.Ops {
			if o.Kind != Append {
				continue
			}
			rs := reads[o.Key]
			j := sort.Search(len(rs), func(j int) bool { return rs[j].invoke > t.Complete })
			if j == len(rs) {
				continue
			}
			r := rs[minAfter[o.Key][j]]
			p, in := c.pos[o.Key][o.Value]
			if !in || r.n <= p {
				c.report("lost-append", []int{i, r.txn}, nil, "%s was acknowledged at %d, but %s, invoked at %d, read %s without %d", c.name(i), t.Complete, c.name(r.txn), r.invoke, o.Key, o.Value)
			}
		}
	}
}

func (c *checker) addEdge(from, to int, kind EdgeKind, key string, a, b int) {
	if from == to {
		return
	}
	c.adj[from] = append(c.adj[from], edge{to: to, kind: kind, key: key, a: a, b: b})
	c.res.Edges++
}

func (c *checker) dependencies() {
	keys := make([]string, 0, len(c.order))
	for k := range c.order {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ord := c.order[k]
		for i := 1; i < len(ord); i++ {
			a, okA := c.writer[wkey{k, ord[i-1]}]
			b, okB := c.writer[wkey{k, ord[i]}]
			if okA && okB {
				c.addEdge(a, b, WW, k, ord[i-1], ord[i])
			}
		}
	}
	for i, t := range c.h {
		if t.Outcome != OK {
			continue
		}
		for _, o := range t.Ops {
			if o.Kind != Read {
				continue
			}
			n := len(o.List)
			if n > 0 {
				if w, ok := c.writer[wkey{o.Key, o.List[n-1]}]; ok {
					c.addEdge(w, i, WR, o.Key, o.List[n-1], 0)
				}
			}
			if c.bad[o.Key][i] {
				continue
			}
			if ord := c.order[o.Key]; n < len(ord) {
				if w, ok := c.writer[wkey{o.Key, ord[n]}]; ok {
					prev := 0
					if n > 0 {
						prev = o.List[n-1]
					}
					c.addEdge(i, w, RW, o.Key, prev, ord[n])
					if n == 0 && w != i {
						c.adj[i][len(c.adj[i])-1].empty = true
					}
				}
			}
		}
	}
}

// realtime adds T1 -> T2 when T1 completed before T2 was invoked, for a
// transitive reduction only: the "frontier" holds the completed
// transactions no later-completed one follows, and every invocation gets
// an edge from each; the frontier is about as large as the concurrency.
func (c *checker) realtime() {
	type ev struct {
		t      int64
		invoke bool
		txn    int
	}
	var evs []ev
	for i, t := range c.h {
		if t.Outcome == Fail {
			continue
		}
		evs = append(evs, ev{t.Invoke, true, i})
		if t.Outcome == OK {
			evs = append(evs, ev{t.Complete, false, i})
		}
	}
	// Equal times are concurrent: invocations first.
	sort.Slice(evs, func(a, b int) bool {
		if evs[a].t != evs[b].t {
			return evs[a].t < evs[b].t
		}
		return evs[a].invoke && !evs[b].invoke
	})
	var frontier []int
	for _, e := range evs {
		if e.invoke {
			for _, f := range frontier {
				c.addEdge(f, e.txn, RT, "", 0, 0)
			}
			continue
		}
		inv := c.h[e.txn].Invoke
		kept := frontier[:0]
		for _, f := range frontier {
			if c.h[f].Complete >= inv { // concurrent with e: stays
				kept = append(kept, f)
			}
		}
		frontier = append(kept, e.txn)
	}
}

func (c *checker) why(from int, e edge) string {
	switch e.kind {
	case WW:
		return fmt.Sprintf("T%d appended %d to %s, T%d appended %d right after it (ww)", from, e.a, e.key, e.to, e.b)
	case WR:
		return fmt.Sprintf("T%d appended %d to %s, T%d read %s ending in it (wr)", from, e.a, e.key, e.to, e.key)
	case RW:
		seen := fmt.Sprintf("up to %d", e.a)
		if e.empty {
			seen = "empty"
		}
		return fmt.Sprintf("T%d read %s (%s) without %d, which T%d appended next (rw)", from, e.key, seen, e.b, e.to)
	}
	return fmt.Sprintf("T%d completed at %d, before T%d was invoked at %d (realtime)", from, c.h[from].Complete, e.to, c.h[e.to].Invoke)
}

// tarjan returns the strongly connected components (of more than one
// node) of the subgraph of nodes with in(n), over edges of kinds in mask.
func (c *checker) tarjan(nodes []int, in func(int) bool, mask EdgeKind) [][]int {
	index := map[int]int{}
	low := map[int]int{}
	onStack := map[int]bool{}
	var stack []int
	var comps [][]int
	next := 0
	type frame struct{ v, ei int }
	for _, root := range nodes {
		if _, seen := index[root]; seen {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.ei < len(c.adj[f.v]) {
				e := c.adj[f.v][f.ei]
				f.ei++
				if e.kind&mask == 0 || !in(e.to) {
					continue
				}
				if _, seen := index[e.to]; !seen {
					index[e.to], low[e.to] = next, next
					next++
					stack = append(stack, e.to)
					onStack[e.to] = true
					call = append(call, frame{e.to, 0})
				} else if onStack[e.to] && index[e.to] < low[f.v] {
					low[f.v] = index[e.to]
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				if p := call[len(call)-1].v; low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				if len(comp) > 1 {
					sort.Ints(comp)
					comps = append(comps, comp)
				}
			}
		}
	}
	return comps
}

type step struct {
	from int
	e    edge
}

// path is a shortest path from src to dst over edges of mask within in,
// visiting at most *budget edges; nil if none found.
func (c *checker) path(src, dst int, in func(int) bool, mask EdgeKind, budget *int) []step {
	prev := map[int]step{}
	queue := []int{src}
	visited := map[int]bool{src: true}
	for len(queue) > 0 && *budget > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, e := range c.adj[v] {
			*budget--
			if e.kind&mask == 0 || !in(e.to) {
				continue
			}
			if e.to == dst {
				p := []step{{v, e}}
				for x := v; x != src; {
					s := prev[x]
					p = append(p, s)
					x = s.from
				}
				for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
					p[i], p[j] = p[j], p[i]
				}
				return p
			}
			if !visited[e.to] {
				visited[e.to] = true
				prev[e.to] = step{v, e}
				queue = append(queue, e.to)
			}
		}
	}
	return nil
}

// cycles reports one cycle per strongly connected component of the whole
// graph, of the most severe class it holds.
func (c *checker) cycles() {
	all := make([]int, len(c.h))
	for i := range all {
		all[i] = i
	}
	for _, comp := range c.tarjan(all, func(int) bool { return true }, WW|WR|RW|RT) {
		member := make(map[int]bool, len(comp))
		for _, v := range comp {
			member[v] = true
		}
		in := func(v int) bool { return member[v] }
		budget := searchBudget
		var cyc []step
		for _, rt := range []EdgeKind{0, RT} {
			// G0, then G1c: a cycle within a component of the ww (ww+wr) subgraph.
			for _, mask := range []EdgeKind{WW | rt, WW | WR | rt} {
				if cyc != nil {
					break
				}
				if sub := c.tarjan(comp, in, mask); len(sub) > 0 {
					sm := make(map[int]bool, len(sub[0]))
					for _, v := range sub[0] {
						sm[v] = true
					}
					b := searchBudget
					cyc = c.path(sub[0][0], sub[0][0], func(v int) bool { return sm[v] }, mask, &b)
				}
			}
			// G-single: one rw edge a -> b closed by a path b -> a without rw.
			for _, a := range comp {
				if cyc != nil || budget <= 0 {
					break
				}
				for _, e := range c.adj[a] {
					if e.kind != RW || !in(e.to) {
						continue
					}
					if p := c.path(e.to, a, in, WW|WR|rt, &budget); p != nil && (cyc == nil || len(p)+1 < len(cyc)) {
						cyc = append([]step{{a, e}}, p...)
					}
					if budget <= 0 {
						break
					}
				}
			}
			if cyc != nil {
				break
			}
		}
		if cyc == nil { // G2: any cycle
			b := len(c.h) * 64
			for _, e := range c.adj[comp[0]] {
				if in(e.to) {
					if p := c.path(e.to, comp[0], in, WW|WR|RW|RT, &b); p != nil {
						cyc = append([]step{{comp[0], e}}, p...)
						break
					}
				}
			}
		}
		if cyc == nil {
			c.report("cycle-search-exhausted", comp, nil, "a strongly connected component of %d transactions, in which no cycle was found within the budget", len(comp))
			continue
		}
		c.reportCycle(cyc, len(comp))
	}
}

func (c *checker) reportCycle(cyc []step, compSize int) {
	var rw, wr, rt int
	edges := make([]Edge, len(cyc))
	txns := make([]int, len(cyc))
	var lines []string
	for i, s := range cyc {
		switch s.e.kind {
		case RW:
			rw++
		case WR:
			wr++
		case RT:
			rt++
		}
		why := c.why(s.from, s.e)
		edges[i] = Edge{From: s.from, To: s.e.to, Kind: s.e.kind, Why: why}
		txns[i] = s.from
		lines = append(lines, "  "+why)
	}
	kind := "G2"
	switch {
	case rw == 0 && wr == 0:
		kind = "G0"
	case rw == 0:
		kind = "G1c"
	case rw == 1:
		kind = "G-single"
	}
	if rt > 0 {
		kind += "-realtime"
	}
	for _, t := range txns {
		lines = append(lines, "  "+c.name(t))
	}
	c.report(kind, txns, edges, "a cycle of %d transactions (in a component of %d):\n%s", len(cyc), compSize, strings.Join(lines, "\n"))
}
