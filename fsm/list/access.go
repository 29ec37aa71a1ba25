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
	l.ascend(from, to, func(_ int, e []byte) bool { return fn(e) })
}

// Ascend calls fn with each element from index from (0-based from the
// head) to the tail, with its index, until fn returns false. elem is valid
// only during the call.
func (l *List) Ascend(from int, fn func(i int, elem []byte) bool) {
	l.ascend(max(from, 0), l.n, fn)
}

// ascend calls fn with the elements [from, to), chunk by chunk in a tight
// loop (LRANGE's hot path).
func (l *List) ascend(from, to int, fn func(i int, elem []byte) bool) {
	if from >= to || from >= l.n {
		return
	}
	var scratch [20]byte
	ci, j := l.locate(from)
	off := offsetOf(&l.cs[ci], j)
	for i := from; i < to; ci++ {
		c := &l.cs[ci]
		if i != from {
			off = int(c.lo)
		}
		b := c.buf
		for off < len(b) && i < to {
			var e []byte
			if h := b[off]; h&0xC0 == encStr6 {
				n := int(h & 0x3f)
				e = b[off+1 : off+1+n]
				off += n + 2
			} else {
				var el int
				e, el = value(b, off, &scratch)
				off += el + backlenSize(el)
			}
			if !fn(i, e) {
				return
			}
			i++
		}
	}
}

// Descend calls fn with each element from index from down to the head,
// with its index, until fn returns false. elem is valid only during the
// call.
func (l *List) Descend(from int, fn func(i int, elem []byte) bool) {
	var scratch [20]byte
	for c := l.cursorAt(min(from, l.n-1)); c.ok; c.prev() {
		if !fn(c.i, elemAt(c.b, c.off, &scratch)) {
			return
		}
	}
}

// elemAt is value with the short strings inline.
func elemAt(b []byte, off int, scratch *[20]byte) []byte {
	if h := b[off]; h&0xC0 == encStr6 {
		return b[off+1 : off+1+int(h&0x3f)]
	}
	e, _ := value(b, off, scratch)
	return e
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
	var skip uint // matches to pass over
	if rank > 0 {
		skip = uint(rank) - 1
	} else {
		skip = uint(-(rank + 1)) // -rank-1 without overflowing at math.MinInt
	}
	var out []int
	c := l.cursorAt(0)
	if rank < 0 {
		c = l.cursorAt(l.n - 1)
	}
	for compared := 0; c.ok && (maxlen == 0 || compared < maxlen); compared++ {
		if x.matches(c.b, c.off) {
			if skip > 0 {
				skip--
			} else if out = append(out, c.i); count > 0 && len(out) == count {
				break
			}
		}
		if rank < 0 {
			c.prev()
		} else {
			c.next()
		}
	}
	return out
}
