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
	out := l.copyOut(l.cursorAt(0), count, true)
	l.removeFront(count)
	return out
}

// PopBack removes up to count elements from the tail and returns copies of
// them in the order they were removed (RPOP's reply: the last first).
func (l *List) PopBack(count int) [][]byte {
	count = min(count, l.n)
	if count <= 0 {
		return nil
	}
	out := l.copyOut(l.cursorAt(l.n-1), count, false)
	l.removeBack(count)
	return out
}

// copyOut returns copies of count elements from c on, towards the tail if
// forward, in two allocations: one for the slices and one for all the
// bytes (sized in a first pass).
func (l *List) copyOut(c cursor, count int, forward bool) [][]byte {
	var scratch [20]byte
	step := func(c *cursor) {
		if forward {
			c.next()
		} else {
			c.prev()
		}
	}
	total := 0
	for k, d := 0, c; k < count; k++ {
		total += len(elemAt(d.b, d.off, &scratch))
		step(&d)
	}
	vals := make([]byte, 0, total)
	out := make([][]byte, count)
	for k := range out {
		start := len(vals)
		vals = append(vals, elemAt(c.b, c.off, &scratch)...)
		out[k] = vals[start:len(vals):len(vals)]
		step(&c)
	}
	return out
}
