package set

import "slices"

// Random returns a member chosen uniformly by rng (SRANDMEMBER and SPOP
// without a count), or nil if the set is empty.
func (s *Set) Random(rng Rand) []byte {
	n := s.Len()
	if n == 0 {
		return nil
	}
	return s.At(rng(n))
}

// RandomMembers answers SRANDMEMBER with a count, by Redis's rules: a
// positive count returns min(count, Len()) distinct members (the whole set,
// in its order, when count >= Len()), a negative count returns -count members
// chosen independently, so possibly repeated, and 0 returns none. The caller
// bounds -count, as Redis's reply would be as long.
func (s *Set) RandomMembers(count int, rng Rand) [][]byte {
	n := s.Len()
	switch {
	case count == 0 || n == 0:
		return [][]byte{}
	case count < 0:
		out := make([][]byte, -count)
		for i := range out {
			out[i] = s.At(rng(n))
		}
		return out
	case count >= n:
		return s.Members()
	}
	idx := sample(n, count, rng)
	out := make([][]byte, len(idx))
	for i, j := range idx {
		out[i] = s.At(j)
	}
	return out
}

// sample returns k distinct integers from [0, n), 0 < k <= n, each k-subset
// equally likely (Robert Floyd's algorithm: k calls of rng, O(k) space). The
// map only answers membership; the result's order is the order of the
// choices, never the map's.
func sample(n, k int, rng Rand) []int {
	chosen := make(map[int]struct{}, k)
	out := make([]int, 0, k)
	for j := n - k; j < n; j++ {
		t := rng(j + 1)
		if _, dup := chosen[t]; dup {
			t = j
		}
		chosen[t] = struct{}{}
		out = append(out, t)
	}
	return out
}

// Pop removes and returns a member chosen uniformly by rng (SPOP without a
// count), or nil if the set is empty.
func (s *Set) Pop(rng Rand) []byte {
	n := s.Len()
	if n == 0 {
		return nil
	}
	return s.popAt(rng(n))
}

func (s *Set) popAt(i int) []byte {
	if s.tab != nil {
		m := s.tab.removeAt(i)
		s.data -= allocSize(len(m))
		return bytesOf(m)
	}
	return formatInt(s.ints.removeAt(i))
}

// PopCount removes and returns min(count, Len()) members chosen by rng (SPOP
// with a count; count <= 0 pops nothing). It follows Redis 7.0's three cases,
// because they decide the encoding left behind:
//
//  1. count >= Len(): every member, in the order Redis replies with them
//     (it unions the set into a new one: ascending numeric when the members
//     are few enough integers, whatever the set's encoding); the set is left
//     empty (the caller deletes the key).
//  2. The members left would be more than a fifth of count: members are
//     popped one at a time; the encoding stays.
//  3. Otherwise Redis builds a new set from the members that stay, as SADD
//     to a new key would, and returns the old set's other members in its
//     order. So a hash table whose remaining members are few enough
//     integers becomes an intset again, and an intset may narrow.
func (s *Set) PopCount(lim Limits, count int, rng Rand) [][]byte {
	n := s.Len()
	switch {
	case count <= 0 || n == 0:
		return [][]byte{}
	case count >= n:
		out := s.unionOrder(lim)
		*s = Set{tab: s.emptyTable()}
		return out
	case (n-count)*5 > count:
		out := make([][]byte, count)
		for i := range out {
			out[i] = s.popAt(rng(s.Len()))
		}
		return out
	}
	keep := sample(n, n-count, rng)
	rest := &Set{}
	for _, i := range keep {
		if s.tab != nil {
			rest.addString(lim, s.tab.at(i), true)
		} else {
			rest.add(lim, s.At(i))
		}
	}
	slices.Sort(keep)
	out := make([][]byte, 0, count)
	i := 0
	for m := range s.All() {
		if len(keep) > 0 && keep[0] == i {
			keep = keep[1:]
		} else {
			out = append(out, m)
		}
		i++
	}
	*s = *rest
	return out
}

// unionOrder returns the members in the order of Union(lim, s), without
// building it: Redis's order where it has one (an intset result), the set's
// own otherwise.
func (s *Set) unionOrder(lim Limits) [][]byte {
	if s.tab == nil || s.Len() > lim.MaxIntsetEntries {
		return s.Members()
	}
	ints := make([]int64, 0, s.Len())
	all := true
	s.tab.ascend(func(m string) bool {
		v, ok := parseInt(m)
		ints, all = append(ints, v), ok
		return ok
	})
	if !all {
		return s.Members()
	}
	slices.Sort(ints)
	out := make([][]byte, len(ints))
	for i, v := range ints {
		out[i] = formatInt(v)
	}
	return out
}

// emptyTable returns an empty table if s is a hash table, so that an emptied
// set keeps its encoding; nil for an intset.
func (s *Set) emptyTable() table {
	if s.tab == nil {
		return nil
	}
	return newTable()
}
