package set

import "github.com/raftcache/raftcache/fsm/btree"

// treeTable is a table kept in the shared order-statistic B-tree: O(log n)
// lookups, changes and ranks, and an O(1) copy-on-write clone.
//
// Members are ordered by their hash first (see memberHash). That is the order
// SMEMBERS lists a hash table in (Redis's is its own hash table's), it makes
// SSCAN's cursor a hash, which survives members added and removed between
// calls as Redis's does, and it lets a lookup compare hashes stored in the
// node, one cache line after another, instead of following each member's
// string pointer.
type treeTable struct {
	t *btree.Tree[item]
}

// item is one member in the tree: 24 bytes inline in a node, plus the
// member's bytes.
type item struct {
	h uint64
	m string
}

func lessItem(a, b item) bool { return a.h < b.h || a.h == b.h && a.m < b.m }

func newTreeTable() *treeTable { return &treeTable{t: btree.New(lessItem)} }

func key(m string) item { return item{memberHash(m), m} }

func (t *treeTable) len() int          { return t.t.Len() }
func (t *treeTable) has(m string) bool { return t.t.Has(key(m)) }
func (t *treeTable) at(i int) string   { return t.t.At(i).m }

func (t *treeTable) insert(m string) bool {
	_, replaced := t.t.ReplaceOrInsert(key(m))
	return !replaced
}

func (t *treeTable) remove(m string) bool {
	_, ok := t.t.Delete(key(m))
	return ok
}

func (t *treeTable) removeAt(i int) string { return t.t.DeleteAt(i).m }

func (t *treeTable) ascend(fn func(string) bool) {
	t.t.Ascend(0, func(it item) bool { return fn(it.m) })
}

// scan calls fn with the members whose hash is at least cursor, in order:
// count of them and then any sharing the last one's hash, so that a cursor
// never splits members of one hash. It returns the hash of the first member
// left, or 0 when none is (no member hashes to 0).
func (t *treeTable) scan(cursor uint64, count int, fn func(string)) uint64 {
	var next, last uint64
	n := 0
	t.t.AscendFrom(item{h: cursor}, func(it item) bool {
		if n >= count && it.h != last {
			next = it.h
			return false
		}
		fn(it.m)
		n++
		last = it.h
		return true
	})
	return next
}

func (t *treeTable) clone() table { return &treeTable{t: t.t.Clone()} }

func (t *treeTable) fragmented() bool { return t.t.Fragmented() }
func (t *treeTable) compact()         { t.t.Compact() }

func (t *treeTable) overhead() int { return 8 + 64 + t.t.Bytes() }
