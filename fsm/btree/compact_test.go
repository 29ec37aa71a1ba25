package btree

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestCompact compacts trees of every shape up to a few levels, with a
// clone sharing their nodes, and then keeps changing both: the compacted
// tree must hold the same items in valid, full nodes, and neither tree may
// see the other's changes.
func TestCompact(t *testing.T) {
	sizes := []int{1, 2, maxItems - 1, maxItems, maxItems + 1, 2*maxItems + 1, 500, 961, 962, 5000, 29791, 29792}
	for _, n := range sizes {
		r := rand.New(rand.NewPCG(7, uint64(n)))
		tr := New(lessKV)
		var m model
		for _, k := range r.Perm(n) {
			x := kv{k, r.Int()}
			tr.ReplaceOrInsert(x)
			m.insert(x)
		}
		clone, mc := tr.Clone(), slices.Clone(m)
		if nodes := tr.leaves + tr.inner; tr.Fragmented() != (nodes >= minCompactNodes) {
			t.Errorf("n=%d: Fragmented() = %v with %d nodes, all allocated one at a time", n, tr.Fragmented(), nodes)
		}
		tr.Compact()
		if tr.Fragmented() {
			t.Errorf("n=%d: Fragmented() right after Compact", n)
		}
		check(t, tr)
		equal(t, tr, m)
		equal(t, clone, mc)
		// Full: within 5% of the fewest leaves that hold n items (a root
		// of two children leaves each a little short of a full subtree).
		if n > maxItems {
			if fewest := (n + maxItems) / (maxItems + 1); tr.leaves > fewest*105/100+1 {
				t.Errorf("n=%d: %d leaves after Compact, want about %d", n, tr.leaves, fewest)
			}
		}
		for i := range tr.Len() {
			if got := tr.At(i); got != m[i] {
				t.Fatalf("n=%d: At(%d) = %v, want %v", n, i, got, m[i])
			}
		}
		keys := 2 * n
		for i := 0; i < min(3*n, 3000); i++ {
			step(t, r, tr, &m, keys)
			step(t, r, clone, &mc, keys)
		}
		check(t, tr)
		check(t, clone)
		equal(t, tr, m)
		equal(t, clone, mc)
	}
}

func TestCompactEmpty(t *testing.T) {
	tr := New(lessKV)
	tr.Compact()
	check(t, tr)
	if tr.Len() != 0 {
		t.Fatalf("Len %d after compacting an empty tree", tr.Len())
	}
}

// TestCompactFreesHoles builds the heap that copy-on-write leaves (a tree
// whose nodes were copied after a clone, and the clone dropped), and
// checks that Compact gives most of the holes back: the heap's in-use
// spans shrink by at least a fifth, where without Compact they stay.
func TestCompactFreesHoles(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a 200k-item tree")
	}
	const n = 200000
	r := rand.New(rand.NewPCG(3, 4))
	tr := New(lessKV)
	for _, k := range r.Perm(n) {
		tr.ReplaceOrInsert(kv{k: k})
	}
	// Snapshots every so often while half of the items change.
	for round := range 5 {
		c := tr.Clone()
		for i := 0; i < n/10; i++ {
			tr.ReplaceOrInsert(kv{k: r.IntN(n), v: round})
		}
		runtime.KeepAlive(c)
	}
	before := heapInUse()
	tr.Compact()
	after := heapInUse()
	runtime.KeepAlive(tr)
	t.Logf("heap in use: %d KB before Compact, %d KB after", before>>10, after>>10)
	if after > before*4/5 {
		t.Errorf("heap in use %d KB after Compact, %d KB before: want at least a fifth less", after>>10, before>>10)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
