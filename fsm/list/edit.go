package list

// Set replaces the element at index i (negative counts from the tail) with
// a copy of elem, as LSET; it reports false if there is no such element.
func (l *List) Set(i int, elem []byte) bool {
	if i < 0 {
		i += l.n
	}
	if i < 0 || i >= l.n {
		return false
	}
	x := encode(elem)
	ci, j := l.locate(i)
	l.splice(ci, j, j+1, &x)
	return true
}

// Insert puts a copy of elem before (or, if after, after) the first
// element equal to pivot from the head, as LINSERT, and returns the new
// length, or -1 if no element equals pivot.
func (l *List) Insert(after bool, pivot, elem []byte) int {
	p := encode(pivot)
	for c := l.cursorAt(0); c.ok; c.next() {
		if p.matches(c.b, c.off) {
			x := encode(elem)
			j := l.indexIn(c.ci, c.off)
			if after {
				j++
			}
			l.splice(c.ci, j, j, &x)
			return l.n
		}
	}
	return -1
}

// Remove removes elements equal to elem as LREM count elem: the first
// count from the head if count > 0, the last -count from the tail if
// count < 0, all if count is 0. It returns how many it removed.
func (l *List) Remove(count int, elem []byte) int {
	x := encode(elem)
	want := -1 // unlimited
	if count > 0 {
		want = count
	} else if count < 0 {
		want = -count
		if want < 0 { // math.MinInt
			want = -1
		}
	}
	removed := 0
	tlo, thi := -1, -1 // positions of the chunks changed
	nc := l.last - l.first
	for k := 0; k < nc && removed != want; k++ {
		p := k
		if count < 0 {
			p = nc - 1 - k
		}
		left := -1
		if want >= 0 {
			left = want - removed
		}
		if m := l.removeIn(l.first+p, &x, left, count >= 0); m > 0 {
			removed += m
			if tlo < 0 || p < tlo {
				tlo = p
			}
			thi = max(thi, p)
		}
	}
	if removed == 0 {
		return 0
	}
	l.n -= removed
	for p := thi; p >= tlo; p-- {
		if l.cs[l.first+p].n == 0 {
			l.removeChunks(p, 1)
			thi--
		}
	}
	l.compact(tlo-1, thi+1)
	return removed
}

// removeIn removes from chunk ci up to limit (all if limit < 0) entries
// encoded as x: the first ones if fromFront, else the last ones. It returns
// how many it removed, leaving l.n to the caller.
func (l *List) removeIn(ci int, x *enc, limit int, fromFront bool) int {
	c := &l.cs[ci]
	b := c.buf
	total := 0
	for off := int(c.lo); off < len(b); off = skip(b, off) {
		if x.matches(b, off) {
			total++
		}
	}
	m := total
	if limit >= 0 && limit < total {
		m = limit
	}
	if m == 0 {
		return 0
	}
	// Matches with rank (from the front) in [skipLo, skipHi) go.
	skipLo, skipHi := 0, m
	if !fromFront {
		skipLo, skipHi = total-m, total
	}
	size := c.size() - m*x.size()
	dst, w := b, int(c.lo)
	if c.own != l.own {
		dst, w = newBuf(size), 0
	}
	start := w
	rank := 0
	for off := int(c.lo); off < len(b); {
		s := entrySizeAt(b, off)
		if x.matches(b, off) {
			r := rank
			rank++
			if r >= skipLo && r < skipHi {
				off += s
				continue
			}
		}
		w += copy(dst[w:], b[off:off+s])
		off += s
	}
	c.buf, c.lo, c.own = dst[:w], int32(start), l.own
	c.n -= int32(m)
	return m
}

// Trim keeps only the elements LTRIM start stop selects (see Bounds).
func (l *List) Trim(start, stop int) {
	from, to := l.Bounds(start, stop)
	if from == to {
		*l = List{fill: l.fill, own: l.own}
		return
	}
	l.removeBack(l.n - to)
	l.removeFront(from)
}

// removeFront drops the first k elements: whole chunks, then the head of
// the next by moving its bounds, so that no bytes are copied.
func (l *List) removeFront(k int) {
	l.n -= k
	whole := 0
	for ci := l.first; k > 0; ci++ {
		c := &l.cs[ci]
		if int(c.n) <= k {
			k -= int(c.n)
			whole++
			continue
		}
		off := int(c.lo)
		for ; k > 0; k-- {
			off += entrySizeAt(c.buf, off)
			c.n--
		}
		c.lo = int32(off)
	}
	if whole > 0 {
		l.removeChunks(0, whole)
	}
}

// removeBack drops the last k elements.
func (l *List) removeBack(k int) {
	l.n -= k
	whole := 0
	for ci := l.last - 1; k > 0; ci-- {
		c := &l.cs[ci]
		if int(c.n) <= k {
			k -= int(c.n)
			whole++
			continue
		}
		p := len(c.buf)
		for ; k > 0; k-- {
			el, s := backlenBefore(c.buf, p)
			p -= el + s
			c.n--
		}
		c.buf = c.buf[:p]
	}
	if whole > 0 {
		l.removeChunks(l.last-l.first-whole, whole)
	}
}

// splice replaces chunk ci's entries [from, to) with x (LSET replaces
// one, LINSERT none), in place when the chunk is l's and has the room,
// splitting the chunk when the result is over the limits, then merges the
// chunks it touched with their neighbours where they now fit together.
func (l *List) splice(ci, from, to int, x *enc) {
	c := &l.cs[ci]
	b := c.buf
	fo := offsetOf(c, from)
	toOff := fo
	for k := from; k < to; k++ {
		toOff += entrySizeAt(b, toOff)
	}
	xs := x.size()
	pre, suf := b[c.lo:fo], b[toOff:]
	preN, sufN := from, int(c.n)-to
	size, n := len(pre)+xs+len(suf), preN+1+sufN
	l.n += 1 - (to - from)
	pos := ci - l.first
	if l.fits(size, n) {
		if grow := xs - (toOff - fo); c.own == l.own && cap(b)-len(b) >= grow {
			nb := b[:len(b)+grow]
			copy(nb[fo+xs:], suf)
			x.put(nb[fo:])
			c.buf = nb
		} else {
			*c = l.join(pre, x, suf, n)
		}
		c.n = int32(n)
		l.compact(pos-1, pos+1)
		return
	}
	// Over the limits: split where the change is, as quicklist does, and
	// keep x with whichever side it fits with.
	var parts [3]chunk
	k := 0
	add := func(a []byte, x *enc, b []byte, n int) {
		if n > 0 {
			parts[k] = l.join(a, x, b, n)
			k++
		}
	}
	switch {
	case l.fits(len(pre)+xs, preN+1):
		add(pre, x, nil, preN+1)
		add(suf, nil, nil, sufN)
	case l.fits(xs+len(suf), 1+sufN):
		add(pre, nil, nil, preN)
		add(nil, x, suf, 1+sufN)
	default:
		add(pre, nil, nil, preN)
		add(nil, x, nil, 1)
		add(suf, nil, nil, sufN)
	}
	l.cs[ci] = parts[0]
	if k > 1 {
		l.insertChunks(pos+1, k-1)
		copy(l.cs[l.first+pos+1:], parts[1:k])
	}
	l.compact(pos-1, pos+k)
}

// join returns a new chunk of l's holding n entries: a, then x if not nil,
// then b.
func (l *List) join(a []byte, x *enc, b []byte, n int) chunk {
	size := len(a) + len(b)
	if x != nil {
		size += x.size()
	}
	buf := newBuf(size)[:size]
	w := copy(buf, a)
	if x != nil {
		x.put(buf[w:])
		w += x.size()
	}
	copy(buf[w:], b)
	return chunk{buf: buf, n: int32(n), own: l.own}
}

// compact merges neighbouring chunks among positions lo..hi (clamped to
// the list) while a pair fits the limits together.
func (l *List) compact(lo, hi int) {
	lo = max(lo, 0)
	for i := lo; i < hi && i+1 < l.last-l.first; {
		a, b := &l.cs[l.first+i], &l.cs[l.first+i+1]
		if !l.fits(a.size()+b.size(), int(a.n+b.n)) {
			i++
			continue
		}
		if a.own == l.own && cap(a.buf)-len(a.buf) >= b.size() {
			a.buf = append(a.buf, b.data()...)
			a.n += b.n
		} else {
			*a = l.join(a.data(), nil, b.data(), int(a.n+b.n))
		}
		l.removeChunks(i+1, 1)
		hi--
	}
}
