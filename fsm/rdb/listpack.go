package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Listpacks (listpack.c): a 4-byte total length and a 2-byte element count
// (65535: too many to count), the entries, and a 0xFF terminator. An entry
// is an encoding byte (which may hold a small integer or a string's
// length), its data, and its backward length: the size of encoding and
// data in 1 to 5 bytes of 7 bits, read from the end.

const (
	lpHeaderSize = 6
	lpEOF        = 0xff
	lpCountMax   = 65535 // LP_HDR_NUMELE_UNKNOWN
)

// string2ll is Redis's string2ll (and lpStringToInt64): a canonical
// decimal integer, no sign but '-', no leading zero, at most 20 bytes.
func string2ll(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range d {
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// lpAppendEntry appends elem as lpAppend stores it: a canonical integer as
// the narrowest integer encoding, anything else as a string.
func lpAppendEntry(b, elem []byte) []byte {
	start := len(b)
	if v, ok := string2ll(elem); ok {
		b = lpAppendInt(b, v)
	} else {
		switch n := len(elem); {
		case n < 64:
			b = append(b, 0x80|byte(n))
		case n < 4096:
			b = append(b, 0xe0|byte(n>>8), byte(n))
		default:
			b = binary.LittleEndian.AppendUint32(append(b, 0xf0), uint32(n))
		}
		b = append(b, elem...)
	}
	return lpAppendBacklen(b, len(b)-start)
}

func lpAppendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		return append(b, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xf1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		return append(b, 0xf2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, 0xf3), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xf4), uint64(v))
}

// lpAppendBacklen appends lpEncodeBacklen(l).
func lpAppendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte(l>>7&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte(l>>21&127)|128, byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
}

// listpack builds listpacks element by element.
type listpack struct {
	b []byte
	n int
}

func newListpack() *listpack { return &listpack{b: make([]byte, lpHeaderSize, 64)} }

func (lp *listpack) add(elem []byte) { lp.b = lpAppendEntry(lp.b, elem); lp.n++ }

func (lp *listpack) addInt(v int64) {
	start := len(lp.b)
	lp.b = lpAppendInt(lp.b, v)
	lp.b = lpAppendBacklen(lp.b, len(lp.b)-start)
	lp.n++
}

// bytes closes the listpack: its header and terminator.
func (lp *listpack) bytes() []byte {
	b := append(lp.b, lpEOF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(min(lp.n, lpCountMax)))
	return b
}

// lpEntries checks a listpack as lpValidateIntegrity(deep) does, and more
// (every entry within its bounds, every backward length right), and
// returns its elements. Integers come back as their decimal text, as
// lpGet gives them. The elements alias lp where they are strings.
func lpEntries(lp []byte) ([][]byte, error) {
	if len(lp) < lpHeaderSize+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != lpEOF {
		return nil, formatError("listpack header")
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	// Each entry takes at least 2 bytes.
	elems := make([][]byte, 0, min(count, len(lp)/2))
	p := lpHeaderSize
	for p < len(lp)-1 {
		elem, size, ok := lpEntry(lp[p : len(lp)-1])
		if !ok {
			return nil, formatError("listpack entry")
		}
		back := lpAppendBacklen(nil, size)
		if p+size+len(back) > len(lp)-1 || string(lp[p+size:p+size+len(back)]) != string(back) {
			return nil, formatError("listpack entry length")
		}
		elems = append(elems, elem)
		p += size + len(back)
	}
	if count != lpCountMax && count != len(elems) {
		return nil, formatError("listpack count")
	}
	return elems, nil
}

// lpEntry decodes the entry at the start of b: its element and the size of
// its encoding and data.
func lpEntry(b []byte) (elem []byte, size int, ok bool) {
	if len(b) == 0 {
		return nil, 0, false
	}
	c := b[0]
	var v int64
	switch {
	case c&0x80 == 0:
		return strconv.AppendInt(nil, int64(c), 10), 1, true
	case c&0xc0 == 0x80:
		n := int(c & 0x3f)
		if 1+n > len(b) {
			return nil, 0, false
		}
		return b[1 : 1+n], 1 + n, true
	case c&0xe0 == 0xc0:
		if len(b) < 2 {
			return nil, 0, false
		}
		u := uint64(c&0x1f)<<8 | uint64(b[1])
		v = int64(u<<51) >> 51
		size = 2
	case c&0xf0 == 0xe0:
		if len(b) < 2 {
			return nil, 0, false
		}
		n := int(c&0x0f)<<8 | int(b[1])
		if 2+n > len(b) {
			return nil, 0, false
		}
		return b[2 : 2+n], 2 + n, true
	case c == 0xf0:
		if len(b) < 5 {
			return nil, 0, false
		}
		n := uint64(binary.LittleEndian.Uint32(b[1:]))
		if n > uint64(len(b)-5) {
			return nil, 0, false
		}
		return b[5 : 5+n], 5 + int(n), true
	case c == 0xf1:
		if len(b) < 3 {
			return nil, 0, false
		}
		v, size = int64(int16(binary.LittleEndian.Uint16(b[1:]))), 3
	case c == 0xf2:
		if len(b) < 4 {
			return nil, 0, false
		}
		u := uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
		v, size = int64(int32(u<<8)>>8), 4
	case c == 0xf3:
		if len(b) < 5 {
			return nil, 0, false
		}
		v, size = int64(int32(binary.LittleEndian.Uint32(b[1:]))), 5
	case c == 0xf4:
		if len(b) < 9 {
			return nil, 0, false
		}
		v, size = int64(binary.LittleEndian.Uint64(b[1:])), 9
	default:
		return nil, 0, false
	}
	return strconv.AppendInt(nil, v, 10), size, true
}

// Ziplists (ziplist.c), the small encoding before listpacks: a 4-byte
// total length, the 4-byte offset of the last entry and a 2-byte count
// (65535: too many), then entries of a previous-entry length (1 byte, or
// 0xFE and 4 bytes), an encoding and the data, and 0xFF.

const zlHeaderSize = 10

func zlEntries(zl []byte) ([][]byte, error) {
	if len(zl) < zlHeaderSize+1 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xff {
		return nil, formatError("ziplist header")
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	elems := make([][]byte, 0, min(count, len(zl)/2))
	p, prev, last := zlHeaderSize, 0, zlHeaderSize
	for p < len(zl)-1 {
		b := zl[p : len(zl)-1]
		var prevLen, h int
		if b[0] < 0xfe {
			prevLen, h = int(b[0]), 1
		} else if b[0] == 0xfe && len(b) >= 5 {
			prevLen, h = int(binary.LittleEndian.Uint32(b[1:])), 5
		} else {
			return nil, formatError("ziplist entry")
		}
		if prevLen != prev {
			return nil, formatError("ziplist previous length")
		}
		elem, size, ok := zlEntry(b[h:])
		if !ok {
			return nil, formatError("ziplist entry")
		}
		elems = append(elems, elem)
		last = p
		prev = h + size
		p += h + size
	}
	if (count != 65535 && count != len(elems)) || (len(elems) > 0 && tail != last) || (len(elems) == 0 && tail != zlHeaderSize) {
		return nil, formatError("ziplist count or tail")
	}
	return elems, nil
}

// zlEntry decodes a ziplist entry's encoding and data.
func zlEntry(b []byte) (elem []byte, size int, ok bool) {
	if len(b) == 0 {
		return nil, 0, false
	}
	c := b[0]
	var v int64
	switch {
	case c>>6 == 0:
		n := int(c & 0x3f)
		if 1+n > len(b) {
			return nil, 0, false
		}
		return b[1 : 1+n], 1 + n, true
	case c>>6 == 1:
		if len(b) < 2 {
			return nil, 0, false
		}
		n := int(c&0x3f)<<8 | int(b[1])
		if 2+n > len(b) {
			return nil, 0, false
		}
		return b[2 : 2+n], 2 + n, true
	case c == 0x80:
		if len(b) < 5 {
			return nil, 0, false
		}
		n := uint64(binary.BigEndian.Uint32(b[1:]))
		if n > uint64(len(b)-5) {
			return nil, 0, false
		}
		return b[5 : 5+n], 5 + int(n), true
	case c == 0xc0:
		if len(b) < 3 {
			return nil, 0, false
		}
		v, size = int64(int16(binary.LittleEndian.Uint16(b[1:]))), 3
	case c == 0xd0:
		if len(b) < 5 {
			return nil, 0, false
		}
		v, size = int64(int32(binary.LittleEndian.Uint32(b[1:]))), 5
	case c == 0xe0:
		if len(b) < 9 {
			return nil, 0, false
		}
		v, size = int64(binary.LittleEndian.Uint64(b[1:])), 9
	case c == 0xf0:
		if len(b) < 4 {
			return nil, 0, false
		}
		u := uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
		v, size = int64(int32(u<<8)>>8), 4
	case c == 0xfe:
		if len(b) < 2 {
			return nil, 0, false
		}
		v, size = int64(int8(b[1])), 2
	case c >= 0xf1 && c <= 0xfd:
		v, size = int64(c&0x0f)-1, 1
	default:
		return nil, 0, false
	}
	return strconv.AppendInt(nil, v, 10), size, true
}

// Intsets (intset.c): a 4-byte width (2, 4 or 8), a 4-byte count, and the
// values, ascending and distinct, little-endian.

func intsetBytes(width int, vals []int64) []byte {
	b := make([]byte, 0, 8+width*len(vals))
	b = binary.LittleEndian.AppendUint32(b, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// intsetValues checks an intset as intsetValidateIntegrity(deep) does.
func intsetValues(b []byte) (width int, vals []int64, err error) {
	if len(b) < 8 {
		return 0, nil, formatError("intset header")
	}
	width = int(binary.LittleEndian.Uint32(b))
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if (width != 2 && width != 4 && width != 8) || n == 0 || n*uint64(width) != uint64(len(b)-8) {
		return 0, nil, formatError("intset size")
	}
	vals = make([]int64, n)
	for i := range vals {
		p := b[8+i*width:]
		switch width {
		case 2:
			vals[i] = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			vals[i] = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			vals[i] = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && vals[i] <= vals[i-1] {
			return 0, nil, formatError("intset order")
		}
	}
	return width, vals, nil
}
