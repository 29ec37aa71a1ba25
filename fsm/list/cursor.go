package list

// cursor walks a list's entries from the head towards the tail (or back)
// without a callback per entry, which the hot loops (LRANGE, the searches)
// would pay for on every element. b[off] is the current entry of chunk ci,
// and i its index in the list; ok is false once the walk has passed an end.
type cursor struct {
	l   *List
	ci  int
	b   []byte
	off int // forward: the entry's start; backward: its start too
	i   int
	ok  bool
}

// cursorAt returns a cursor on element i, or one that is not ok if i is
// out of range.
func (l *List) cursorAt(i int) cursor {
	if i < 0 || i >= l.n {
		return cursor{}
	}
	ci, j := l.locate(i)
	c := &l.cs[ci]
	return cursor{l: l, ci: ci, b: c.buf, off: offsetOf(c, j), i: i, ok: true}
}

// next moves to the following element.
func (c *cursor) next() {
	c.off = skip(c.b, c.off)
	c.i++
	if c.off == len(c.b) {
		c.nextChunk()
	}
}

//go:noinline
func (c *cursor) nextChunk() {
	c.ci++
	if c.ci == c.l.last {
		c.ok = false
		return
	}
	ch := &c.l.cs[c.ci]
	c.b, c.off = ch.buf, int(ch.lo)
}

// prev moves to the preceding element.
func (c *cursor) prev() {
	c.i--
	if c.off == int(c.l.cs[c.ci].lo) {
		c.prevChunk()
		return
	}
	el, s := backlenBefore(c.b, c.off)
	c.off -= el + s
}

func (c *cursor) prevChunk() {
	if c.ci == c.l.first {
		c.ok = false
		return
	}
	c.ci--
	c.b = c.l.cs[c.ci].buf
	el, s := backlenBefore(c.b, len(c.b))
	c.off = len(c.b) - el - s
}

// skip returns the offset of the entry after the one at b[off], with the
// small forms (7-bit integers, strings under 64 bytes) inline.
func skip(b []byte, off int) int {
	h := b[off]
	if h < 0x80 {
		return off + 2
	}
	if h < 0xC0 {
		return off + 2 + int(h&0x3f)
	}
	return skipLong(b, off)
}

//go:noinline
func skipLong(b []byte, off int) int { return off + entrySizeAt(b, off) }
