package btree

import (
	"math/rand/v2"
	"testing"
)

func lessInt(a, b int) bool { return a < b }

func benchTree(n int) (*Tree[int], []int) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]int, n)
	tr := New(lessInt)
	for i := range keys {
		keys[i] = r.Int()
		tr.ReplaceOrInsert(keys[i])
	}
	return tr, keys
}

func BenchmarkInsertRandom(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	tr := New(lessInt)
	for b.Loop() {
		tr.ReplaceOrInsert(r.Int())
	}
}

func BenchmarkInsertAscending(b *testing.B) {
	tr := New(lessInt)
	i := 0
	for b.Loop() {
		tr.ReplaceOrInsert(i)
		i++
	}
}

func BenchmarkGet1M(b *testing.B) {
	tr, keys := benchTree(1 << 20)
	i := 0
	for b.Loop() {
		tr.Get(keys[i&(len(keys)-1)])
		i++
	}
}

func BenchmarkRank1M(b *testing.B) {
	tr, keys := benchTree(1 << 20)
	i := 0
	for b.Loop() {
		tr.Rank(keys[i&(len(keys)-1)])
		i++
	}
}

func BenchmarkAt1M(b *testing.B) {
	tr, _ := benchTree(1 << 20)
	i := 0
	for b.Loop() {
		tr.At(i & (1<<20 - 1))
		i += 7919
	}
}

// BenchmarkDeleteInsert1M keeps the size steady: delete one key, put it back.
func BenchmarkDeleteInsert1M(b *testing.B) {
	tr, keys := benchTree(1 << 20)
	i := 0
	for b.Loop() {
		k := keys[i&(len(keys)-1)]
		tr.Delete(k)
		tr.ReplaceOrInsert(k)
		i++
	}
}

// BenchmarkInsertAfterClone1M: the cost of writes right after a snapshot's
// Clone, when every write copies its path.
func BenchmarkInsertAfterClone1M(b *testing.B) {
	tr, keys := benchTree(1 << 20)
	i := 0
	for b.Loop() {
		if i%1024 == 0 {
			tr.Clone()
		}
		tr.ReplaceOrInsert(keys[i&(len(keys)-1)] + 1)
		i++
	}
}

func BenchmarkAscend100(b *testing.B) {
	tr, _ := benchTree(1 << 20)
	i := 0
	for b.Loop() {
		n := 0
		tr.Ascend(i&(1<<20-1), func(int) bool { n++; return n < 100 })
		i += 7919
	}
}

// BenchmarkCompact1M is the cost of compacting a 1M-item tree, which the
// node pays under the store's lock when it goes quiet.
func BenchmarkCompact1M(b *testing.B) {
	tr, _ := benchTree(1 << 20)
	for b.Loop() {
		tr.Compact()
	}
}

// BenchmarkInsert1M and BenchmarkInsertAfterCompact1M are inserts into a
// 1M-item tree built by random inserts, as is and compacted: the compacted
// tree's full nodes split on the first insert into each.
func BenchmarkInsert1M(b *testing.B) {
	tr, _ := benchTree(1 << 20)
	r := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		tr.ReplaceOrInsert(r.Int())
	}
}

func BenchmarkInsertAfterCompact1M(b *testing.B) {
	tr, _ := benchTree(1 << 20)
	tr.Compact()
	r := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		tr.ReplaceOrInsert(r.Int())
	}
}
