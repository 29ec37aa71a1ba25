package list

// Index returns a copy of the element at index i, counting from the head
// from 0 or, if i is negative, from the tail from -1 (LINDEX); ok is false
// if there is no such element.
func (l *List) Index(i int) (elem []byte, ok bool) {
	return l.AppendIndex(nil, i)
}

// AppendIndex is Index appending the element to dst, so that a caller
// with a buffer reads without allocating.
func (l *List) AppendIndex(dst []byte, i int) ([]byte, bool) {
	if i < 0 {
		i += l.n
	}
	if i < 0 || i >= l.n {
		return dst, false
	}
	ci, j := l.locate(i)
	c := &l.cs[ci]
	var scratch [20]byte
	e, _ := value(c.buf, offsetOf(c, j), &scratch)
	return append(dst, e...), true
}

// Bounds applies LRANGE's and LTRIM's rules to start and stop (inclusive,
// negative counting from the tail, clamped to the list) and returns the
// half-open range of indexes [from, to) they select; from == to if none.
func (l *List) Bounds(start, stop int) (from, to int) {
	n := l.n
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0
	}
	stop = min(stop, n-1)
	return start, stop + 1
}

// Range calls fn with each element LRANGE start stop selects, in order,
// until fn returns false. elem is valid only during the call.
func (l *List) Range(start, stop int, fn func(elem []byte) bool) {
	from, to := l.Bounds(start, stop)
	if from == to {
		return
	}
	l.Ascend(from, func(i int, elem []byte) bool {
		return i < to && fn(elem)
	})
}

// Ascend calls fn with each element from index from (0-based from the
// head) to the tail, with its index, until fn returns false. elem is valid
// only during the call.
func (l *List) Ascend(from int, fn func(i int, elem []byte) bool) {
	var scratch [20]byte
	l.walk(from, func(b []byte, off, i int) bool {
		e, _ := value(b, off, &scratch)
		return fn(i, e)
	})
}

// Descend calls fn with each element from index from down to the head,
// with its index, until fn returns false. elem is valid only during the
// call.
func (l *List) Descend(from int, fn func(i int, elem []byte) bool) {
	var scratch [20]byte
	l.walkBack(from, func(b []byte, off, i int) bool {
		e, _ := value(b, off, &scratch)
		return fn(i, e)
	})
}

// walk calls fn with each entry from index from to the tail: the chunk's
// buffer, the entry's offset in it and the element's index.
func (l *List) walk(from int, fn func(b []byte, off, i int) bool) {
	from = max(from, 0)
	if from >= l.n {
		return
	}
	ci, j := l.locate(from)
	off := offsetOf(&l.cs[ci], j)
	i := from
	for {
		b := l.cs[ci].buf
		for off < len(b) {
			if !fn(b, off, i) {
				return
			}
			off += entrySizeAt(b, off)
			i++
		}
		if ci++; ci == l.last {
			return
		}
		off = int(l.cs[ci].lo)
	}
}

// walkBack is walk from index from towards the head.
func (l *List) walkBack(from int, fn func(b []byte, off, i int) bool) {
	from = min(from, l.n-1)
	if from < 0 {
		return
	}
	ci, j := l.locate(from)
	c := &l.cs[ci]
	p := offsetOf(c, j) + entrySizeAt(c.buf, offsetOf(c, j))
	i := from
	for {
		b, lo := l.cs[ci].buf, int(l.cs[ci].lo)
		for p > lo {
			el, s := backlenBefore(b, p)
			p -= el + s
			if !fn(b, p, i) {
				return
			}
			i--
		}
		if ci == l.first {
			return
		}
		ci--
		p = len(l.cs[ci].buf)
	}
}

// Pos returns the indexes of the elements equal to elem as LPOS elem RANK
// rank COUNT count MAXLEN maxlen finds them: rank > 0 skips the first
// rank-1 matches from the head, rank < 0 searches from the tail skipping
// -rank-1; count 0 returns all matches, otherwise at most count; maxlen 0
// compares every element, otherwise only the first maxlen in the search's
// direction. The caller rejects rank 0 and negative count or maxlen, as
// Redis does.
func (l *List) Pos(elem []byte, rank, count, maxlen int) []int {
	x := encode(elem)
	var skip uint
	if rank > 0 {
		skip = uint(rank) - 1
	} else {
		skip = uint(-(rank + 1)) // -rank-1 without overflowing at math.MinInt
	}
	var out []int
	compared := 0
	visit := func(b []byte, off, i int) bool {
		if maxlen > 0 && compared == maxlen {
			return false
		}
		compared++
		if !x.matches(b, off) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out = append(out, i)
		return count == 0 || len(out) < count
	}
	if rank >= 0 {
		l.walk(0, visit)
	} else {
		l.walkBack(l.n-1, visit)
	}
	return out
}
