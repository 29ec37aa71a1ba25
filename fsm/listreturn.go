package fsm

import (
	"slices"

	"github.com/raftcache/raftcache/fsm/list"
)

// unserveListPop puts back what a served BLPOP, BRPOP or BLMPOP took, for
// a delivery its client never got (see blocking.go): r is [key, element]
// or [key, [elements]], popped in that order from the head, or from the
// tail with flagListBack; they go back to the same end, in their order,
// as if never popped. A key that became another type meanwhile cannot
// take them back, and they are dropped, as Redis drops a popped element
// whose client is gone.
func (w *writer) unserveListPop(c Command, r Reply) {
	if r.Kind != KindArray || len(r.Elems) != 2 {
		return
	}
	key := r.Elems[0].Bytes
	var elems [][]byte
	switch v := r.Elems[1]; v.Kind {
	case KindBulk:
		elems = [][]byte{v.Bytes}
	case KindArray:
		for _, e := range v.Elems {
			elems = append(elems, e.Bytes)
		}
	default:
		return
	}
	coll, _, err := w.mutable(key, typeList, newListValue)
	if err != nil {
		return
	}
	l := asList(coll)
	// The first popped was nearest its end: pushing them back last first
	// leaves it there again.
	back := slices.Clone(elems)
	slices.Reverse(back)
	if c.flags&flagListBack != 0 {
		l.PushBack(back...)
	} else {
		l.PushFront(back...)
	}
	w.store(key, typeList, coll)
}

// sortElements gives SORT a list's elements in order, as copies.
func (l listValue) sortElements() [][]byte {
	out := make([][]byte, 0, l.Len())
	l.Range(0, -1, func(e []byte) bool {
		out = append(out, ownedCopy(e))
		return true
	})
	return out
}

// newListOf returns a new list holding elems (SORT ... STORE).
func newListOf(s *Store, elems [][]byte) collection {
	l := list.New(s.listLimits())
	l.PushBack(elems...)
	return listValue{l}
}

// sortElements gives SORT a set's elements in its iteration order, as
// copies.
func (s setColl) sortElements() [][]byte {
	members := s.Members()
	out := make([][]byte, len(members))
	for i, m := range members {
		out[i] = ownedCopy(m)
	}
	return out
}
