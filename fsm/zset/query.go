package zset

// Ranges, counts, removals by range, pops: each follows the scan of
// Redis 7.0's t_zset.c for the encoding in use (zzlFirstInRange,
// zslLastInLexRange...), which only matters for lex ranges over members
// of different scores, where the order is not by member and Redis's answer
// is whatever its scan finds. For a listpack this package scans exactly as
// Redis does; for the trees it binary-searches, as the skiplist descends.

type pred func(member []byte, score float64) bool

// view indexes the set by rank in O(1): the trees do so already, a
// listpack gets its entry offsets computed once.
type view struct {
	z    *ZSet
	offs []int
}

func (z *ZSet) view(buf []int) view {
	v := view{z: z}
	if z.t == nil {
		v.offs = lpOffsets(z.lp, buf)
	}
	return v
}

func (v view) at(i int) ([]byte, float64) {
	if v.z.t != nil {
		s := v.z.t.byScore.At(i)
		return s2b(s.member), s.score
	}
	m, s, _ := lpEntry(v.z.lp, v.offs[i])
	return m, s
}

// firstIn returns the rank of the first member in the range, or -1.
func (v view) firstIn(empty bool, gte, lte pred) int {
	n := v.z.Len()
	if empty || n == 0 || !gte(v.at(n-1)) || !lte(v.at(0)) {
		return -1
	}
	i := 0
	if v.z.t != nil {
		i = v.z.t.byScore.Search(func(s scored) bool { return gte(s2b(s.member), s.score) })
	} else {
		for i < n && !gte(v.at(i)) {
			i++
		}
	}
	if i >= n || !lte(v.at(i)) {
		return -1
	}
	return i
}

// lastIn returns the rank of the last member in the range, or -1.
func (v view) lastIn(empty bool, gte, lte pred) int {
	n := v.z.Len()
	if empty || n == 0 || !gte(v.at(n-1)) || !lte(v.at(0)) {
		return -1
	}
	var i int
	if v.z.t != nil {
		i = v.z.t.byScore.Search(func(s scored) bool { return !lte(s2b(s.member), s.score) }) - 1
	} else {
		i = n - 1
		for i >= 0 && !lte(v.at(i)) {
			i--
		}
	}
	if i < 0 || !gte(v.at(i)) {
		return -1
	}
	return i
}

func (z *ZSet) count(empty bool, gte, lte pred) int {
	var buf [130]int
	v := z.view(buf[:0])
	first := v.firstIn(empty, gte, lte)
	if first < 0 {
		return 0
	}
	if z.t != nil {
		return v.lastIn(empty, gte, lte) - first + 1
	}
	n := 0
	for i := first; i < z.n && lte(v.at(i)); i++ {
		n++
	}
	return n
}

// CountScore returns how many members have a score in r (ZCOUNT).
func (z *ZSet) CountScore(r ScoreRange) int { return z.count(r.Empty(), r.gteMin, r.lteMax) }

// CountLex returns how many members are in r (ZLEXCOUNT).
func (z *ZSet) CountLex(r LexRange) int { return z.count(r.Empty(), r.gteMin, r.lteMax) }

// RangeByRank calls fn for ranks lo..hi inclusive (as NormalizeRanks
// returns them), counted from the highest member when rev, until fn
// returns false (ZRANGE, ZREVRANGE).
func (z *ZSet) RangeByRank(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if lo < 0 || hi < lo || lo >= z.Len() {
		return
	}
	left := hi - lo + 1
	each := func(m []byte, s float64) bool {
		left--
		return fn(m, s) && left > 0
	}
	if rev {
		z.descend(z.Len()-1-lo, each)
	} else {
		z.ascend(lo, each)
	}
}

// rangeBy is genericZrangebyscoreCommand's and genericZrangebylexCommand's
// walk: from the first member in range (last when rev), skip offset
// members, then emit up to limit (all when negative) while in range.
func (z *ZSet) rangeBy(empty bool, gte, lte pred, rev bool, offset, limit int, fn func([]byte, float64) bool) {
	if offset < 0 || limit == 0 {
		return // Redis skips a negative offset's worth: nothing is left
	}
	var buf [130]int
	v := z.view(buf[:0])
	emit := func(in pred) func([]byte, float64) bool {
		return func(m []byte, s float64) bool {
			if !in(m, s) || !fn(m, s) {
				return false
			}
			if limit > 0 {
				limit--
			}
			return limit != 0
		}
	}
	if rev {
		if last := v.lastIn(empty, gte, lte); last >= 0 {
			z.descend(last-offset, emit(gte))
		}
		return
	}
	if first := v.firstIn(empty, gte, lte); first >= 0 && first+offset < z.Len() {
		z.ascend(first+offset, emit(lte))
	}
}

// RangeByScore calls fn for the members with a score in r, ascending (or
// descending when rev), after skipping offset of them and for at most
// limit (negative: no limit), until fn returns false (ZRANGE BYSCORE,
// ZRANGEBYSCORE, ZREVRANGEBYSCORE). A negative offset gives nothing, as in
// Redis.
func (z *ZSet) RangeByScore(r ScoreRange, rev bool, offset, limit int, fn func(member []byte, score float64) bool) {
	z.rangeBy(r.Empty(), r.gteMin, r.lteMax, rev, offset, limit, fn)
}

// RangeByLex is RangeByScore for a lex range (ZRANGE BYLEX,
// ZRANGEBYLEX, ZREVRANGEBYLEX).
func (z *ZSet) RangeByLex(r LexRange, rev bool, offset, limit int, fn func(member []byte, score float64) bool) {
	z.rangeBy(r.Empty(), r.gteMin, r.lteMax, rev, offset, limit, fn)
}

// removeRanks removes ranks lo..hi inclusive.
func (z *ZSet) removeRanks(v view, lo, hi int) {
	if z.t != nil {
		for i := lo; i <= hi; i++ {
			z.t.removeAt(lo)
		}
		return
	}
	z.lp = lpSplice(z.lp, v.offs[lo], v.offs[hi+1], nil, 0)
	z.n -= hi - lo + 1
}

func (z *ZSet) removeBy(empty bool, gte, lte pred) int {
	var buf [130]int
	v := z.view(buf[:0])
	first := v.firstIn(empty, gte, lte)
	if first < 0 {
		return 0
	}
	last := first
	if z.t != nil {
		last = v.lastIn(empty, gte, lte)
	} else {
		for last+1 < z.n && lte(v.at(last+1)) {
			last++
		}
	}
	z.removeRanks(v, first, last)
	return last - first + 1
}

// RemoveRangeByRank removes ranks lo..hi inclusive (as NormalizeRanks
// returns them) and returns how many it removed (ZREMRANGEBYRANK).
func (z *ZSet) RemoveRangeByRank(lo, hi int) int {
	if lo < 0 || hi < lo || lo >= z.Len() {
		return 0
	}
	hi = min(hi, z.Len()-1)
	var buf [130]int
	z.removeRanks(z.view(buf[:0]), lo, hi)
	return hi - lo + 1
}

// RemoveRangeByScore removes the members with a score in r and returns
// how many (ZREMRANGEBYSCORE).
func (z *ZSet) RemoveRangeByScore(r ScoreRange) int { return z.removeBy(r.Empty(), r.gteMin, r.lteMax) }

// RemoveRangeByLex removes the members in r and returns how many
// (ZREMRANGEBYLEX).
func (z *ZSet) RemoveRangeByLex(r LexRange) int { return z.removeBy(r.Empty(), r.gteMin, r.lteMax) }

// Pop removes up to count members from the low end (the high end when
// max), calling fn for each in the order popped (ZPOPMIN, ZPOPMAX, ZMPOP,
// BZPOPMIN...), and returns how many it removed.
func (z *ZSet) Pop(count int, max bool, fn func(member []byte, score float64)) int {
	n := z.Len()
	if count <= 0 || n == 0 {
		return 0
	}
	count = min(count, n)
	lo, hi := 0, count-1
	each := func(m []byte, s float64) bool {
		fn(m, s)
		return true
	}
	if max {
		lo, hi = n-count, n-1
		z.RangeByRank(0, count-1, true, each)
	} else {
		z.RangeByRank(0, count-1, false, each)
	}
	var buf [130]int
	z.removeRanks(z.view(buf[:0]), lo, hi)
	return count
}
