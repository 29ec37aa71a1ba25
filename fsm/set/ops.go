package set

import (
	"cmp"
	"slices"
)

// Each function here takes the sets of a multi-key command in argument
// order; a nil *Set stands for a key that does not exist (an empty set).

// bySize returns sets sorted by size, smallest first. The sort is stable,
// like glibc's qsort of Redis (a merge sort) in practice, so of two sets of
// one size the one named first is iterated.
func bySize(sets []*Set) []*Set {
	sorted := slices.Clone(sets)
	slices.SortStableFunc(sorted, func(a, b *Set) int { return cmp.Compare(a.Len(), b.Len()) })
	return sorted
}

func anyEmpty(sets []*Set) bool {
	for _, s := range sets {
		if s == nil || s.Len() == 0 {
			return true
		}
	}
	return len(sets) == 0
}

// inter calls fn with each member of the intersection, in the order Redis
// 7.0 finds them (the smallest set's order), until fn returns false. The
// members are immutable (see each).
func inter(sets []*Set, fn func(m string) bool) {
	if anyEmpty(sets) {
		return
	}
	sorted := bySize(sets)
	first, rest := sorted[0], sorted[1:]
	first.each(func(m string) bool {
		for _, o := range rest {
			if o != first && !o.has(m) {
				return true
			}
		}
		return fn(m)
	})
}

// InterMembers returns the intersection of sets in SINTER's reply order:
// Redis iterates the smallest set, so the reply is in ascending numeric
// order whenever that set is an intset.
func InterMembers(sets ...*Set) [][]byte {
	out := [][]byte{}
	inter(sets, func(m string) bool {
		out = append(out, bytesOf(m))
		return true
	})
	return out
}

// InterCard returns the size of the intersection of sets, counting no
// further than limit when limit > 0 (SINTERCARD ... LIMIT).
func InterCard(limit int, sets ...*Set) int {
	n := 0
	inter(sets, func(string) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n
}

// Inter returns the intersection of sets as SINTERSTORE stores it: Redis
// adds each member to a new intset, so the result is an intset exactly when
// its members are all integers and at most lim.MaxIntsetEntries.
func Inter(lim Limits, sets ...*Set) *Set {
	out := &Set{}
	inter(sets, func(m string) bool {
		out.addString(lim, m, true)
		return true
	})
	return out
}

// Union returns the union of sets (SUNION, SUNIONSTORE), built as Redis
// builds it: every member added to a new intset. SUNION replies with the
// result's members in its order.
func Union(lim Limits, sets ...*Set) *Set {
	out := &Set{}
	for _, s := range sets {
		if s == nil {
			continue
		}
		s.each(func(m string) bool {
			out.addString(lim, m, true)
			return true
		})
	}
	return out
}

// Diff returns the members of sets[0] that are in none of the others (SDIFF,
// SDIFFSTORE; SDIFF replies with the result's members in its order). Redis
// 7.0 picks one of two algorithms by the sizes, and the pick shows in the
// encoding, so Diff picks the same: the first adds only the surviving members
// to a new intset; the second adds all of sets[0] and then removes the
// others' members, and a set that became a hash table on the way stays one.
func Diff(lim Limits, sets ...*Set) *Set {
	out := &Set{}
	if len(sets) == 0 || sets[0] == nil || sets[0].Len() == 0 {
		return out
	}
	first := sets[0]
	var one, two int64
	for _, s := range sets {
		if s != nil {
			one += int64(first.Len())
			two += int64(s.Len())
		}
	}
	// Redis halves the first algorithm's work: it has better constants.
	if one/2 <= two {
		first.each(func(m string) bool {
			for _, o := range sets[1:] {
				if o != nil && (o == first || o.has(m)) {
					return true
				}
			}
			out.addString(lim, m, true)
			return true
		})
		return out
	}
	first.each(func(m string) bool {
		out.addString(lim, m, true)
		return true
	})
	for _, o := range sets[1:] {
		if out.Len() == 0 {
			break
		}
		if o == nil {
			continue
		}
		o.each(func(m string) bool {
			out.remove(bytesOf(m))
			return out.Len() > 0
		})
	}
	return out
}
