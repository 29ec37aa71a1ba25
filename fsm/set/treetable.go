package set

import "github.com/raftcache/raftcache/fsm/btree"

// treeTable is a table kept in the shared order-statistic B-tree: O(log n)
// lookups, changes and ranks, and an O(1) copy-on-write clone. Members are
// strings stored inline in the nodes, 16 bytes each plus their bytes.
type treeTable struct {
	t *btree.Tree[string]
}

func lessString(a, b string) bool { return a < b }

func newTreeTable() *treeTable { return &treeTable{t: btree.New(lessString)} }

func (t *treeTable) len() int          { return t.t.Len() }
func (t *treeTable) has(m string) bool { return t.t.Has(m) }
func (t *treeTable) at(i int) string   { return t.t.At(i) }

func (t *treeTable) insert(m string) bool {
	_, replaced := t.t.ReplaceOrInsert(m)
	return !replaced
}

func (t *treeTable) remove(m string) bool {
	_, ok := t.t.Delete(m)
	return ok
}

func (t *treeTable) removeAt(i int) string { return t.t.DeleteAt(i) }

func (t *treeTable) ascend(fn func(string) bool) { t.t.Ascend(0, fn) }

func (t *treeTable) clone() table { return &treeTable{t: t.t.Clone()} }

func (t *treeTable) overhead() int { return 8 + 64 + t.t.Bytes() }
