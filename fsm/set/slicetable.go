package set

import (
	"slices"
	"strings"
)

// sliceTable is a table kept as one sorted slice: O(log n) lookups, O(n)
// insertion, removal and clone. It is the stand-in until the shared B-tree
// (fsm/btree) lands.
type sliceTable struct {
	m []string
}

func (t *sliceTable) len() int { return len(t.m) }

func (t *sliceTable) find(m string) (int, bool) {
	return slices.BinarySearchFunc(t.m, m, strings.Compare)
}

func (t *sliceTable) has(m string) bool {
	_, ok := t.find(m)
	return ok
}

func (t *sliceTable) insert(m string) bool {
	i, ok := t.find(m)
	if ok {
		return false
	}
	t.m = slices.Insert(t.m, i, m)
	return true
}

func (t *sliceTable) remove(m string) bool {
	i, ok := t.find(m)
	if !ok {
		return false
	}
	t.m = slices.Delete(t.m, i, i+1)
	return true
}

func (t *sliceTable) at(i int) string { return t.m[i] }

func (t *sliceTable) removeAt(i int) string {
	m := t.m[i]
	t.m = slices.Delete(t.m, i, i+1)
	return m
}

func (t *sliceTable) ascend(fn func(string) bool) {
	for _, m := range t.m {
		if !fn(m) {
			return
		}
	}
}

func (t *sliceTable) clone() table { return &sliceTable{m: slices.Clone(t.m)} }

func (t *sliceTable) overhead() int { return 24 + 16*cap(t.m) }
