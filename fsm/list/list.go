package list

import (
	"slices"
	"unsafe"
)

// Limits are the configuration a list is made with and keeps for its
// life, as a Redis quicklist keeps the fill it was created with.
type Limits struct {
	// ListpackSize is list-max-listpack-size: -1..-5 bound a chunk to
	// 4, 8, 16, 32 or 64 KB; n > 0 bounds it to n elements (and 8 KB);
	// 0 puts each element in a chunk of its own, as it does in Redis.
	// Values outside [-5, 32767] are clamped, as quicklistSetFill does.
	ListpackSize int
}

// DefaultLimits are Redis 7.0's defaults (list-max-listpack-size -2).
func DefaultLimits() Limits { return Limits{ListpackSize: -2} }

// Redis's bounds on a quicklist's fill and the byte limits of the negative
// fills (quicklist.c's optimization_level and SIZE_SAFETY_LIMIT).
const (
	fillMax     = 1<<15 - 1
	fillMin     = -5
	safetyLimit = 8192
)

// token identifies the list that may write into a chunk's buffer. It has a
// size so that every token has its own address.
type token struct{ _ byte }

// chunk is a run of entries: buf[lo:] holds n entries back to back, the
// room in buf before lo and after len(buf) is free for pushes, and cap(buf)
// is what the chunk holds in memory. Only the list whose token is own may
// write into buf; other lists sharing the chunk (after Clone) copy it first.
type chunk struct {
	buf []byte
	lo  int32
	n   int32
	own *token
}

func (c *chunk) data() []byte { return c.buf[c.lo:] }
func (c *chunk) size() int    { return len(c.buf) - int(c.lo) }

// List is a Redis list. The zero value is not usable; make one with New or
// Decode.
type List struct {
	cs          []chunk // backing array; the chunks in order are cs[first:last]
	first, last int
	n           int // elements
	fill        int
	own         *token
}

// New returns an empty list bounded by lim.
func New(lim Limits) *List {
	return &List{fill: clampFill(lim.ListpackSize), own: new(token)}
}

func clampFill(f int) int {
	return min(max(f, fillMin), fillMax)
}

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// Limits returns the limits the list was made with.
func (l *List) Limits() Limits { return Limits{ListpackSize: l.fill} }

// Encoding returns what Redis 7.0's OBJECT ENCODING says of a list: lists
// are always quicklists there.
func (l *List) Encoding() string { return "quicklist" }

// Clone returns a copy of l in O(chunks). The copies share the chunks'
// bytes; from now on neither owns them, so the first change either makes to
// a chunk copies that chunk alone. Clone writes only l's owner token, which
// no read looks at, so it may run while another goroutine reads l.
func (l *List) Clone() *List {
	c := &List{n: l.n, fill: l.fill, own: new(token)}
	if nc := l.last - l.first; nc > 0 {
		c.cs = slices.Clone(l.cs[l.first:l.last])
		c.last = nc
	}
	l.own = new(token)
	return c
}

// MemoryUsage estimates the bytes l holds: its chunks' buffers, the array
// of chunks and the List itself. A buffer shared with a clone is counted in
// each copy, as both hold it.
func (l *List) MemoryUsage() int {
	m := int(unsafe.Sizeof(*l)) + cap(l.cs)*int(unsafe.Sizeof(chunk{}))
	for i := l.first; i < l.last; i++ {
		m += cap(l.cs[i].buf)
	}
	return m
}

// maxBytes is the most bytes a chunk of more than one element may hold.
func (l *List) maxBytes() int {
	if l.fill < 0 {
		return 4096 << (-l.fill - 1)
	}
	return safetyLimit
}

// fits reports whether a chunk of n elements taking size bytes is within
// the limits. A single element always fits: it gets a chunk of its own
// however large it is.
func (l *List) fits(size, n int) bool {
	if n <= 1 {
		return true
	}
	if size > l.maxBytes() {
		return false
	}
	return l.fill < 0 || n <= l.fill
}

// newBuf returns a buffer of at least n bytes, of the full size the
// allocator would round n up to (so none of it is wasted), with len = cap.
func newBuf(n int) []byte {
	b := slices.Grow([]byte(nil), n)
	return b[:cap(b)]
}

// growCap is the capacity to give a chunk that must hold want bytes and
// grows at an end: a quarter more, within the chunk byte limit. Doubling
// would copy less but leave a small list up to half empty, where Redis
// reallocates its listpack to the byte.
func (l *List) growCap(want int) int {
	return max(want, min(want+want/4, l.maxBytes()), 16)
}

// insertChunks makes room for k zeroed chunks before the chunk at
// position at (0 <= at <= number of chunks); the new ones are at
// l.cs[l.first+at : l.first+at+k].
func (l *List) insertChunks(at, k int) {
	nc := l.last - l.first
	front, back := l.first, len(l.cs)-l.last
	switch {
	case front >= k && (at <= nc/2 || back < k):
		copy(l.cs[l.first-k:], l.cs[l.first:l.first+at])
		l.first -= k
	case back >= k:
		copy(l.cs[l.first+at+k:], l.cs[l.first+at:l.last])
		l.last += k
	default:
		// Grow by half, with the room on the side being pushed to, so
		// that a list growing at one end moves its chunks only when it
		// grows.
		want := nc + k
		extra := want / 2
		cs := make([]chunk, want+extra)
		f := extra / 2
		switch at {
		case 0:
			f = extra
		case nc:
			f = 0
		}
		copy(cs[f:], l.cs[l.first:l.first+at])
		copy(cs[f+at+k:], l.cs[l.first+at:l.last])
		l.cs, l.first, l.last = cs, f, f+want
		return
	}
	clear(l.cs[l.first+at : l.first+at+k])
}

// removeChunks drops the k chunks from position at, moving the shorter
// side, and clears the freed slots so that their buffers can be collected.
func (l *List) removeChunks(at, k int) {
	nc := l.last - l.first
	if at < nc-at-k {
		copy(l.cs[l.first+k:], l.cs[l.first:l.first+at])
		clear(l.cs[l.first : l.first+k])
		l.first += k
	} else {
		copy(l.cs[l.first+at:], l.cs[l.first+at+k:l.last])
		clear(l.cs[l.last-k : l.last])
		l.last -= k
	}
	if l.first == l.last {
		l.cs, l.first, l.last = nil, 0, 0
	}
}

// locate returns the index in l.cs of the chunk holding element i
// (0 <= i < l.n) and i's position in it, walking from the nearer end.
func (l *List) locate(i int) (ci, j int) {
	if i < l.n/2 {
		for ci = l.first; ; ci++ {
			n := int(l.cs[ci].n)
			if i < n {
				return ci, i
			}
			i -= n
		}
	}
	r := l.n - 1 - i // position from the back
	for ci = l.last - 1; ; ci-- {
		n := int(l.cs[ci].n)
		if r < n {
			return ci, n - 1 - r
		}
		r -= n
	}
}

// offsetOf returns the offset in c.buf where c's entry j starts, walking
// from the nearer end.
func offsetOf(c *chunk, j int) int {
	b := c.buf
	if j <= int(c.n)/2 {
		off := int(c.lo)
		for ; j > 0; j-- {
			l := encLenAt(b, off)
			off += l + backlenSize(l)
		}
		return off
	}
	p := len(b)
	for k := int(c.n) - j; k > 0; k-- {
		l, s := backlenBefore(b, p)
		p -= l + s
	}
	return p
}

// entrySizeAt is the size in a chunk of the entry at b[off].
func entrySizeAt(b []byte, off int) int {
	l := encLenAt(b, off)
	return l + backlenSize(l)
}

// indexIn returns the position in chunk ci of the entry at offset off.
func (l *List) indexIn(ci, off int) int {
	b := l.cs[ci].buf
	j := 0
	for p := int(l.cs[ci].lo); p < off; p = skip(b, p) {
		j++
	}
	return j
}
