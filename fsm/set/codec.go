package set

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The binary form, for snapshots (version 1):
//
//	intset:    byte 0; byte width (2, 4 or 8); uvarint count; the smallest
//	           value as a varint, then each next one as the uvarint of its
//	           difference from the one before (the values ascend).
//	hashtable: byte 1; uvarint count; then each member in the table's
//	           order (see treeTable) as uvarint length and bytes.
//
// Decode checks everything an in-memory set relies on (order, distinctness,
// widths), so a damaged snapshot is an error, never a corrupt set.
const (
	tagIntset    = 0
	tagHashtable = 1
)

var errTruncated = errors.New("truncated")

// AppendBinary appends the set's binary form to b: its members and its
// encoding, including an intset's width, so that Decode restores a set that
// answers every command, OBJECT ENCODING and MEMORY USAGE as s does.
func (s *Set) AppendBinary(b []byte) []byte {
	if s.tab != nil {
		b = append(b, tagHashtable)
		b = binary.AppendUvarint(b, uint64(s.tab.len()))
		s.tab.ascend(func(m string) bool {
			b = binary.AppendUvarint(b, uint64(len(m)))
			b = append(b, m...)
			return true
		})
		return b
	}
	n := s.ints.len()
	b = append(b, tagIntset, byte(max(s.ints.width, 2)))
	b = binary.AppendUvarint(b, uint64(n))
	for i := range n {
		v := s.ints.get(i)
		if i == 0 {
			b = binary.AppendVarint(b, v)
		} else {
			b = binary.AppendUvarint(b, uint64(v-s.ints.get(i-1)))
		}
	}
	return b
}

// Decode returns the set whose binary form (see AppendBinary) is all of b.
func Decode(b []byte) (*Set, error) {
	d := decoder{b: b}
	s, err := d.set()
	if err == nil && len(d.b) > 0 {
		err = fmt.Errorf("%d bytes after the set", len(d.b))
	}
	if err != nil {
		return nil, fmt.Errorf("decode set: %w", err)
	}
	return s, nil
}

type decoder struct{ b []byte }

func (d *decoder) byte() (byte, error) {
	if len(d.b) == 0 {
		return 0, errTruncated
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errTruncated
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *decoder) varint() (int64, error) {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		return 0, errTruncated
	}
	d.b = d.b[n:]
	return v, nil
}

// count reads a member count, which cannot exceed the bytes left (every
// member takes at least one), so a damaged count never allocates much.
func (d *decoder) count() (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	if n > uint64(len(d.b)) {
		return 0, fmt.Errorf("count %d: %w", n, errTruncated)
	}
	return int(n), nil
}

func (d *decoder) set() (*Set, error) {
	tag, err := d.byte()
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	switch tag {
	case tagIntset:
		return d.intset()
	case tagHashtable:
		return d.hashtable()
	}
	return nil, fmt.Errorf("unknown encoding %d", tag)
}

func (d *decoder) intset() (*Set, error) {
	w, err := d.byte()
	if err != nil {
		return nil, fmt.Errorf("intset width: %w", err)
	}
	if w != 2 && w != 4 && w != 8 {
		return nil, fmt.Errorf("intset width %d", w)
	}
	n, err := d.count()
	if err != nil {
		return nil, fmt.Errorf("intset %w", err)
	}
	width := int(w)
	s := &Set{ints: intset{width: width, b: make([]byte, n*width)}}
	var prev int64
	for i := range n {
		var v int64
		if i == 0 {
			v, err = d.varint()
		} else {
			var delta uint64
			delta, err = d.uvarint()
			v = prev + int64(delta)
			// The values ascend: delta > 0, and prev+delta must not pass
			// MaxInt64 (the uint64 subtraction is exact: prev <= MaxInt64).
			if err == nil && (delta == 0 || delta > uint64(math.MaxInt64)-uint64(prev)) {
				err = fmt.Errorf("value %d: not above %d", v, prev)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("intset value %d: %w", i, err)
		}
		if widthFor(v) > width {
			return nil, fmt.Errorf("intset value %d: %d is wider than %d bytes", i, v, width)
		}
		putWidth(s.ints.b, width, i, v)
		prev = v
	}
	return s, nil
}

func (d *decoder) hashtable() (*Set, error) {
	n, err := d.count()
	if err != nil {
		return nil, fmt.Errorf("hashtable %w", err)
	}
	s := &Set{tab: newTable()}
	var prev item
	for i := range n {
		l, err := d.uvarint()
		if err != nil {
			return nil, fmt.Errorf("member %d: %w", i, err)
		}
		if l > uint64(len(d.b)) {
			return nil, fmt.Errorf("member %d: %w", i, errTruncated)
		}
		it := key(string(d.b[:l]))
		d.b = d.b[l:]
		if i > 0 && !lessItem(prev, it) {
			return nil, fmt.Errorf("member %d: %q out of order", i, it.m)
		}
		s.tab.insert(it.m)
		s.data += allocSize(len(it.m))
		prev = it
	}
	return s, nil
}
