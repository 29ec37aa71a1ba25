package btree

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
)

type kv struct{ k, v int }

func lessKV(a, b kv) bool { return a.k < b.k }

// model is the reference: a sorted slice.
type model []kv

func (m model) find(k int) (int, bool) {
	i := sort.Search(len(m), func(i int) bool { return m[i].k >= k })
	return i, i < len(m) && m[i].k == k
}

func (m *model) insert(x kv) (kv, bool) {
	i, ok := m.find(x.k)
	if ok {
		old := (*m)[i]
		(*m)[i] = x
		return old, true
	}
	*m = slices.Insert(*m, i, x)
	return kv{}, false
}

func (m *model) delete(k int) (kv, bool) {
	i, ok := m.find(k)
	if !ok {
		return kv{}, false
	}
	old := (*m)[i]
	*m = slices.Delete(*m, i, i+1)
	return old, true
}

// check verifies the tree's structure: order, subtree sizes, node counts,
// equal leaf depth and no empty non-root node.
func check[T any](t *testing.T, tr *Tree[T]) {
	t.Helper()
	if tr.root == nil {
		if tr.leaves != 0 || tr.inner != 0 {
			t.Fatalf("empty tree counts %d leaves %d inner", tr.leaves, tr.inner)
		}
		return
	}
	leaves, inner := 0, 0
	depth := -1
	var prev *T
	var walk func(n *node[T], d int, root bool) int
	walk = func(n *node[T], d int, root bool) int {
		if n.n < 1 || n.n > maxItems {
			t.Fatalf("node with %d items (root %v)", n.n, root)
		}
		for k := n.n; k < maxItems; k++ {
			if !reflect.ValueOf(&n.items[k]).Elem().IsZero() {
				t.Fatalf("stale item %v at %d of %d", n.items[k], k, n.n)
			}
		}
		size := n.n
		if n.kids == nil {
			leaves++
			if depth == -1 {
				depth = d
			} else if depth != d {
				t.Fatalf("leaf at depth %d, another at %d", d, depth)
			}
			for k := 0; k < n.n; k++ {
				if prev != nil && !tr.less(*prev, n.items[k]) {
					t.Fatalf("out of order: %v then %v", *prev, n.items[k])
				}
				it := n.items[k]
				prev = &it
			}
		} else {
			inner++
			for k := 0; k <= n.n; k++ {
				cs := walk(n.kids.child[k], d+1, false)
				if cs != n.kids.size[k] {
					t.Fatalf("child %d has %d items, parent records %d", k, cs, n.kids.size[k])
				}
				size += cs
				if k < n.n {
					if prev != nil && !tr.less(*prev, n.items[k]) {
						t.Fatalf("out of order: %v then %v", *prev, n.items[k])
					}
					it := n.items[k]
					prev = &it
				}
			}
			for k := n.n + 1; k <= maxItems; k++ {
				if n.kids.child[k] != nil || n.kids.size[k] != 0 {
					t.Fatalf("stale child at %d of %d", k, n.n)
				}
			}
		}
		if size != n.size {
			t.Fatalf("node size %d, counted %d", n.size, size)
		}
		return size
	}
	walk(tr.root, 0, true)
	if leaves != tr.leaves || inner != tr.inner {
		t.Fatalf("counted %d leaves %d inner, tree says %d %d", leaves, inner, tr.leaves, tr.inner)
	}
}

func collect(tr *Tree[kv]) []kv {
	var out []kv
	tr.Ascend(0, func(x kv) bool { out = append(out, x); return true })
	return out
}

func equal(t *testing.T, tr *Tree[kv], m model) {
	t.Helper()
	if tr.Len() != len(m) {
		t.Fatalf("Len %d, model %d", tr.Len(), len(m))
	}
	got := collect(tr)
	if !slices.Equal(got, []kv(m)) && !(len(got) == 0 && len(m) == 0) {
		t.Fatalf("items differ:\n got %v\nwant %v", got, m)
	}
}

// step applies one random operation to the tree and the model and compares
// the results.
func step(t *testing.T, r *rand.Rand, tr *Tree[kv], m *model, keys int) {
	t.Helper()
	k := r.IntN(keys)
	switch op := r.IntN(16); op {
	case 0, 1, 2, 3, 4:
		x := kv{k, r.Int()}
		old, ok := tr.ReplaceOrInsert(x)
		wold, wok := m.insert(x)
		if old != wold || ok != wok {
			t.Fatalf("ReplaceOrInsert(%v) = %v %v, want %v %v", x, old, ok, wold, wok)
		}
	case 5, 6:
		old, ok := tr.Delete(kv{k: k})
		wold, wok := m.delete(k)
		if old != wold || ok != wok {
			t.Fatalf("Delete(%d) = %v %v, want %v %v", k, old, ok, wold, wok)
		}
	case 7:
		if len(*m) == 0 {
			return
		}
		i := r.IntN(len(*m))
		got := tr.DeleteAt(i)
		want := (*m)[i]
		*m = slices.Delete(*m, i, i+1)
		if got != want {
			t.Fatalf("DeleteAt(%d) = %v, want %v", i, got, want)
		}
	case 8:
		got, ok := tr.DeleteMin()
		if ok != (len(*m) > 0) {
			t.Fatalf("DeleteMin ok %v with %d items", ok, len(*m))
		}
		if ok {
			if got != (*m)[0] {
				t.Fatalf("DeleteMin = %v, want %v", got, (*m)[0])
			}
			*m = (*m)[1:]
		}
	case 9:
		got, ok := tr.DeleteMax()
		if ok != (len(*m) > 0) {
			t.Fatalf("DeleteMax ok %v with %d items", ok, len(*m))
		}
		if ok {
			if got != (*m)[len(*m)-1] {
				t.Fatalf("DeleteMax = %v, want %v", got, (*m)[len(*m)-1])
			}
			*m = (*m)[:len(*m)-1]
		}
	case 10:
		got, ok := tr.Get(kv{k: k})
		i, wok := m.find(k)
		if ok != wok || (ok && got != (*m)[i]) {
			t.Fatalf("Get(%d) = %v %v", k, got, ok)
		}
		if tr.Has(kv{k: k}) != wok {
			t.Fatalf("Has(%d) != %v", k, wok)
		}
	case 11:
		rank, ok := tr.Rank(kv{k: k})
		i, wok := m.find(k)
		if rank != i || ok != wok {
			t.Fatalf("Rank(%d) = %d %v, want %d %v", k, rank, ok, i, wok)
		}
		if s := tr.Search(func(x kv) bool { return x.k >= k }); s != i {
			t.Fatalf("Search(>= %d) = %d, want %d", k, s, i)
		}
		if len(*m) > 0 {
			j := r.IntN(len(*m))
			if got := tr.At(j); got != (*m)[j] {
				t.Fatalf("At(%d) = %v, want %v", j, got, (*m)[j])
			}
		}
		mn, ok1 := tr.Min()
		mx, ok2 := tr.Max()
		if ok1 != (len(*m) > 0) || ok2 != ok1 || (ok1 && (mn != (*m)[0] || mx != (*m)[len(*m)-1])) {
			t.Fatalf("Min/Max = %v %v %v %v", mn, ok1, mx, ok2)
		}
	case 12:
		from := r.IntN(len(*m)+2) - 1
		limit := r.IntN(40)
		var got []kv
		tr.Ascend(from, func(x kv) bool { got = append(got, x); return len(got) < limit })
		var want []kv
		for i := max(from, 0); i < len(*m) && len(want) < limit; i++ {
			want = append(want, (*m)[i])
		}
		if limit == 0 && len(want) == 0 && len(got) == 1 {
			want = got // fn is called once before it can say stop
		}
		if limit > 0 && !slices.Equal(got, want) {
			t.Fatalf("Ascend(%d) limit %d = %v, want %v", from, limit, got, want)
		}
	case 13:
		from := r.IntN(len(*m)+2) - 1
		limit := 1 + r.IntN(40)
		var got []kv
		tr.Descend(from, func(x kv) bool { got = append(got, x); return len(got) < limit })
		var want []kv
		for i := min(from, len(*m)-1); i >= 0 && len(want) < limit; i-- {
			want = append(want, (*m)[i])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Descend(%d) limit %d = %v, want %v", from, limit, got, want)
		}
	case 14:
		limit := 1 + r.IntN(40)
		var got []kv
		tr.AscendFrom(kv{k: k}, func(x kv) bool { got = append(got, x); return len(got) < limit })
		var want []kv
		i, _ := m.find(k)
		for ; i < len(*m) && len(want) < limit; i++ {
			want = append(want, (*m)[i])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("AscendFrom(%d) = %v, want %v", k, got, want)
		}
	case 15:
		limit := 1 + r.IntN(40)
		var got []kv
		tr.DescendFrom(kv{k: k}, func(x kv) bool { got = append(got, x); return len(got) < limit })
		var want []kv
		i, ok := m.find(k)
		if !ok {
			i--
		}
		for ; i >= 0 && len(want) < limit; i-- {
			want = append(want, (*m)[i])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("DescendFrom(%d) = %v, want %v", k, got, want)
		}
	}
}

func TestRandomAgainstModel(t *testing.T) {
	tests := []struct {
		name  string
		keys  int
		steps int
	}{
		{"few keys", 50, 20000},
		{"hundreds", 1000, 50000},
		{"deep", 100000, 100000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tt.keys)))
			tr := New(lessKV)
			var m model
			for i := 0; i < tt.steps; i++ {
				step(t, r, tr, &m, tt.keys)
				if i%997 == 0 {
					check(t, tr)
					equal(t, tr, m)
				}
			}
			check(t, tr)
			equal(t, tr, m)
		})
	}
}

// TestSequential covers the uneven splits of in-order inserts at either end
// and draining the tree from either end, by rank and by key.
func TestSequential(t *testing.T) {
	const n = 20000
	tests := []struct {
		name string
		key  func(i int) int
	}{
		{"ascending", func(i int) int { return i }},
		{"descending", func(i int) int { return n - i }},
		{"zigzag", func(i int) int {
			if i%2 == 0 {
				return i
			}
			return -i
		}},
	}
	drains := []struct {
		name string
		del  func(tr *Tree[kv], m *model, r *rand.Rand)
	}{
		{"min", func(tr *Tree[kv], m *model, _ *rand.Rand) { tr.DeleteMin(); *m = (*m)[1:] }},
		{"max", func(tr *Tree[kv], m *model, _ *rand.Rand) { tr.DeleteMax(); *m = (*m)[:len(*m)-1] }},
		{"random", func(tr *Tree[kv], m *model, r *rand.Rand) {
			i := r.IntN(len(*m))
			tr.Delete((*m)[i])
			*m = slices.Delete(*m, i, i+1)
		}},
	}
	for _, tt := range tests {
		for _, d := range drains {
			t.Run(tt.name+"/"+d.name, func(t *testing.T) {
				tr := New(lessKV)
				var m model
				for i := 0; i < n; i++ {
					x := kv{tt.key(i), i}
					tr.ReplaceOrInsert(x)
					m.insert(x)
				}
				check(t, tr)
				equal(t, tr, m)
				r := rand.New(rand.NewPCG(2, 3))
				for i := 0; len(m) > 0; i++ {
					d.del(tr, &m, r)
					if i%2003 == 0 {
						check(t, tr)
						equal(t, tr, m)
					}
				}
				check(t, tr)
				equal(t, tr, m)
			})
		}
	}
}

// TestAppendFillsNodes: in-order inserts leave nodes nearly full, so the
// memory per item stays close to the item's size.
func TestAppendFillsNodes(t *testing.T) {
	for _, dir := range []int{1, -1} {
		tr := New(lessKV)
		const n = 100000
		for i := 0; i < n; i++ {
			tr.ReplaceOrInsert(kv{k: dir * i})
		}
		fill := float64(n) / float64((tr.leaves+tr.inner)*maxItems)
		if fill < 0.9 {
			t.Errorf("direction %d: nodes %.0f%% full after in-order inserts, want >= 90%%", dir, fill*100)
		}
	}
}

func TestClone(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const keys = 5000
	a := New(lessKV)
	var ma model
	for i := 0; i < 3000; i++ {
		step(t, r, a, &ma, keys)
	}
	// A chain of clones, each mutated on both sides.
	type pair struct {
		tr *Tree[kv]
		m  model
	}
	trees := []pair{{a, ma}}
	for round := 0; round < 8; round++ {
		src := &trees[r.IntN(len(trees))]
		c := src.tr.Clone()
		trees = append(trees, pair{c, slices.Clone(src.m)})
		for i := range trees {
			for j := 0; j < 500; j++ {
				step(t, r, trees[i].tr, &trees[i].m, keys)
			}
		}
		for i := range trees {
			check(t, trees[i].tr)
			equal(t, trees[i].tr, trees[i].m)
		}
	}
}

// TestCloneConcurrent mutates a tree and its clones on separate goroutines;
// under -race it shows the shared nodes are only read.
func TestCloneConcurrent(t *testing.T) {
	base := New(lessKV)
	var m model
	for i := 0; i < 20000; i++ {
		x := kv{i * 3, i}
		base.ReplaceOrInsert(x)
		m.insert(x)
	}
	trees := []*Tree[kv]{base}
	for i := 0; i < 3; i++ {
		trees = append(trees, base.Clone())
	}
	var wg sync.WaitGroup
	errs := make([]string, len(trees))
	for g, tr := range trees {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			mm := slices.Clone(m)
			for i := 0; i < 20000; i++ {
				k := r.IntN(70000)
				if r.IntN(2) == 0 {
					tr.ReplaceOrInsert(kv{k, g})
					mm.insert(kv{k, g})
				} else {
					tr.Delete(kv{k: k})
					mm.delete(k)
				}
			}
			if got := collect(tr); !slices.Equal(got, []kv(mm)) {
				errs[g] = fmt.Sprintf("tree %d differs from its model", g)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}

// TestDeleteMissCopiesNothing: deleting an absent key from a clone leaves
// every node shared.
func TestDeleteMissCopiesNothing(t *testing.T) {
	a := New(lessKV)
	for i := 0; i < 10000; i += 2 {
		a.ReplaceOrInsert(kv{k: i})
	}
	b := a.Clone()
	root := b.root
	for i := 1; i < 10000; i += 2 {
		if _, ok := b.Delete(kv{k: i}); ok {
			t.Fatalf("deleted absent %d", i)
		}
	}
	if b.root != root || a.root != root {
		t.Fatal("a miss copied the root")
	}
}

func TestEmpty(t *testing.T) {
	tr := New(lessKV)
	if _, ok := tr.Min(); ok {
		t.Error("Min of empty")
	}
	if _, ok := tr.Max(); ok {
		t.Error("Max of empty")
	}
	if _, ok := tr.DeleteMin(); ok {
		t.Error("DeleteMin of empty")
	}
	if _, ok := tr.DeleteMax(); ok {
		t.Error("DeleteMax of empty")
	}
	if _, ok := tr.Delete(kv{}); ok {
		t.Error("Delete of empty")
	}
	if r, ok := tr.Rank(kv{}); r != 0 || ok {
		t.Error("Rank of empty")
	}
	if s := tr.Search(func(kv) bool { return true }); s != 0 {
		t.Error("Search of empty")
	}
	tr.Ascend(0, func(kv) bool { t.Error("Ascend of empty"); return true })
	tr.Descend(0, func(kv) bool { t.Error("Descend of empty"); return true })
	if tr.Bytes() != 0 {
		t.Error("Bytes of empty")
	}
	for _, f := range []func(){func() { tr.At(0) }, func() { tr.DeleteAt(0) }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic out of range")
				}
			}()
			f()
		}()
	}
}

func TestAllocSize(t *testing.T) {
	// Go's size classes for these sizes (runtime/sizeclasses.go).
	tests := []struct{ n, want int }{
		{0, 0}, {10, 10}, {16, 16}, {17, 24}, {30, 32}, {33, 48}, {100, 112}, {128, 128},
		{129, 144}, {500, 512}, {752, 768}, {992, 1024}, {1025, 1152},
	}
	for _, tt := range tests {
		if got := AllocSize(tt.n); got != tt.want {
			t.Errorf("AllocSize(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}
