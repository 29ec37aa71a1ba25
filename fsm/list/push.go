package list

// PushFront inserts each element at the head in turn, as LPUSH does (so
// the last one given ends up first), and returns the new length. The
// elements are copied.
func (l *List) PushFront(elems ...[]byte) int {
	for _, e := range elems {
		x := encode(e)
		l.pushFront(&x)
	}
	return l.n
}

// PushBack appends the elements at the tail in order, as RPUSH does, and
// returns the new length. The elements are copied.
func (l *List) PushBack(elems ...[]byte) int {
	for _, e := range elems {
		x := encode(e)
		l.pushBack(&x)
	}
	return l.n
}

func (l *List) pushBack(x *enc) {
	sz := x.size()
	nc := l.last - l.first
	if nc == 0 || !l.fits(l.cs[l.last-1].size()+sz, int(l.cs[l.last-1].n)+1) {
		l.insertChunks(nc, 1)
		l.cs[l.last-1].own = l.own
		nc++
	}
	c := &l.cs[l.last-1]
	if c.own != l.own || cap(c.buf)-len(c.buf) < sz {
		size := c.size()
		buf := newBuf(l.growCap(size + sz))
		lo := 0
		if nc == 1 { // both ends of the list: leave room at both
			lo = (len(buf) - size - sz) / 2
		}
		copy(buf[lo:], c.data())
		c.buf, c.lo, c.own = buf[:lo+size], int32(lo), l.own
	}
	end := len(c.buf)
	c.buf = c.buf[:end+sz]
	x.put(c.buf[end:])
	c.n++
	l.n++
}

func (l *List) pushFront(x *enc) {
	sz := x.size()
	nc := l.last - l.first
	if nc == 0 || !l.fits(l.cs[l.first].size()+sz, int(l.cs[l.first].n)+1) {
		l.insertChunks(0, 1)
		l.cs[l.first].own = l.own
		nc++
	}
	c := &l.cs[l.first]
	if c.own != l.own || int(c.lo) < sz {
		size := c.size()
		buf := newBuf(l.growCap(size + sz))
		free := len(buf) - size
		lo := free
		if nc == 1 { // both ends of the list: leave room at both
			lo = sz + (free-sz)/2
		}
		copy(buf[lo:], c.data())
		c.buf, c.lo, c.own = buf[:lo+size], int32(lo), l.own
	}
	c.lo -= int32(sz)
	x.put(c.buf[c.lo:])
	c.n++
	l.n++
}

// PopFront removes up to count elements from the head and returns copies
// of them in the order they were removed (LPOP's reply). It returns nil if
// count <= 0 or the list is empty.
func (l *List) PopFront(count int) [][]byte {
	count = min(count, l.n)
	if count <= 0 {
		return nil
	}
	out := make([][]byte, 0, count)
	var vals []byte
	var ends []int
	var scratch [20]byte
	for k := 0; k < count; k++ {
		c := &l.cs[l.first]
		e, el := value(c.buf, int(c.lo), &scratch)
		vals = append(vals, e...)
		ends = append(ends, len(vals))
		c.lo += int32(el + backlenSize(el))
		c.n--
		l.n--
		if c.n == 0 {
			l.removeChunks(0, 1)
		}
	}
	return splitAt(out, vals, ends)
}

// PopBack removes up to count elements from the tail and returns copies of
// them in the order they were removed (RPOP's reply: the last first).
func (l *List) PopBack(count int) [][]byte {
	count = min(count, l.n)
	if count <= 0 {
		return nil
	}
	out := make([][]byte, 0, count)
	var vals []byte
	var ends []int
	var scratch [20]byte
	for k := 0; k < count; k++ {
		c := &l.cs[l.last-1]
		el, s := backlenBefore(c.buf, len(c.buf))
		start := len(c.buf) - s - el
		e, _ := value(c.buf, start, &scratch)
		vals = append(vals, e...)
		ends = append(ends, len(vals))
		c.buf = c.buf[:start]
		c.n--
		l.n--
		if c.n == 0 {
			l.removeChunks(l.last-l.first-1, 1)
		}
	}
	return splitAt(out, vals, ends)
}

// splitAt appends to out the slices of vals that end at ends, all sharing
// vals's one allocation.
func splitAt(out [][]byte, vals []byte, ends []int) [][]byte {
	start := 0
	for _, e := range ends {
		out = append(out, vals[start:e:e])
		start = e
	}
	return out
}
