package set

import (
	"encoding/binary"
	"math"
	"sort"
)

// intset is Redis's intset: distinct integers in ascending order, packed
// little-endian in the narrowest width (2, 4 or 8 bytes) that has held every
// value added. Like Redis's, it widens when a value does not fit and never
// narrows again, so its size, and MEMORY USAGE, follow the same history.
type intset struct {
	width int    // bytes per value; 0 in an intset nothing was added to, which acts as 2
	b     []byte // len()*width bytes
}

// widthFor is the narrowest width that holds v.
func widthFor(v int64) int {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

func (s *intset) len() int {
	if s.width == 0 {
		return 0
	}
	return len(s.b) / s.width
}

func (s *intset) get(i int) int64 {
	return getWidth(s.b, s.width, i)
}

func getWidth(b []byte, width, i int) int64 {
	switch width {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return int64(binary.LittleEndian.Uint64(b[8*i:]))
}

func putWidth(b []byte, width, i int, v int64) {
	switch width {
	case 2:
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
}

// search returns where v is or would be inserted, and whether it is there.
func (s *intset) search(v int64) (int, bool) {
	n := s.len()
	switch {
	case n == 0:
		return 0, false
	case v > s.get(n-1):
		// Also how a value wider than the encoding ends up: it is
		// outside the range of every stored value.
		return n, false
	case v < s.get(0):
		return 0, false
	}
	i := sort.Search(n, func(i int) bool { return s.get(i) >= v })
	return i, s.get(i) == v
}

func (s *intset) contains(v int64) bool {
	_, ok := s.search(v)
	return ok
}

// add inserts v and reports whether it was new.
func (s *intset) add(v int64) bool {
	if s.width == 0 {
		s.width = 2
	}
	if w := widthFor(v); w > s.width {
		s.upgrade(w)
	}
	i, ok := s.search(v)
	if ok {
		return false
	}
	w := s.width
	n := len(s.b)
	s.b = append(s.b, make([]byte, w)...)
	copy(s.b[(i+1)*w:], s.b[i*w:n])
	putWidth(s.b, w, i, v)
	return true
}

// upgrade re-encodes every value in width w.
func (s *intset) upgrade(w int) {
	n := s.len()
	b := make([]byte, n*w, (n+1)*w)
	for i := range n {
		putWidth(b, w, i, s.get(i))
	}
	s.width, s.b = w, b
}

// remove deletes v and reports whether it was there.
func (s *intset) remove(v int64) bool {
	i, ok := s.search(v)
	if !ok {
		return false
	}
	w := s.width
	copy(s.b[i*w:], s.b[(i+1)*w:])
	s.b = s.b[:len(s.b)-w]
	return true
}

// removeAt deletes the i-th smallest value and returns it.
func (s *intset) removeAt(i int) int64 {
	v := s.get(i)
	w := s.width
	copy(s.b[i*w:], s.b[(i+1)*w:])
	s.b = s.b[:len(s.b)-w]
	return v
}

// clone returns an independent copy: an intset is at most
// Limits.MaxIntsetEntries values (4 KiB at Redis's default), so copying it is
// as cheap as sharing it would be, and simpler.
func (s *intset) clone() intset {
	if s.b == nil {
		return intset{width: s.width}
	}
	return intset{width: s.width, b: append(make([]byte, 0, len(s.b)), s.b...)}
}
