package list

import (
	"encoding/binary"
	"strconv"
)

// Listpack entry encodings (Redis 7.0's listpack.c). The first byte of an
// entry says how it is encoded and, for the small forms, carries the value
// or the string's length too.
const (
	encStr6  = 0x80 // 10xxxxxx: string of up to 63 bytes
	encInt13 = 0xC0 // 110xxxxx xxxxxxxx: 13-bit signed integer
	encStr12 = 0xE0 // 1110xxxx xxxxxxxx: string of up to 4095 bytes
	encStr32 = 0xF0 // then a 32-bit little-endian length
	encInt16 = 0xF1
	encInt24 = 0xF2
	encInt32 = 0xF3
	encInt64 = 0xF4
)

// enc is one element encoded as a listpack entry, ready to be written: the
// encoding bytes (all of an integer, or a string's header) and the string's
// bytes, which are the caller's and are copied when written.
type enc struct {
	hdr  [9]byte
	hn   uint8
	data []byte
}

func encode(e []byte) enc {
	var x enc
	if v, ok := parseInt(e); ok {
		x.hn = uint8(putInt(x.hdr[:], v))
		return x
	}
	switch n := len(e); {
	case n < 64:
		x.hdr[0] = encStr6 | byte(n)
		x.hn = 1
	case n < 4096:
		x.hdr[0] = encStr12 | byte(n>>8)
		x.hdr[1] = byte(n)
		x.hn = 2
	default:
		x.hdr[0] = encStr32
		binary.LittleEndian.PutUint32(x.hdr[1:], uint32(n))
		x.hn = 5
	}
	x.data = e
	return x
}

// encLen is the entry's length without its backward length.
func (x *enc) encLen() int { return int(x.hn) + len(x.data) }

// size is the bytes the entry takes in a chunk.
func (x *enc) size() int {
	l := x.encLen()
	return l + backlenSize(l)
}

// put writes the entry at the start of dst, which has room for size bytes.
func (x *enc) put(dst []byte) {
	n := copy(dst, x.hdr[:x.hn])
	n += copy(dst[n:], x.data)
	putBacklen(dst[n:], n)
}

// matches reports whether the entry starting at b[off] encodes the same
// element as x. The encoding byte fixes an entry's length, so comparing the
// encoding bytes first keeps the data comparison inside the entry.
func (x *enc) matches(b []byte, off int) bool {
	if b[off] != x.hdr[0] {
		return false
	}
	h := x.hdr[:x.hn]
	end := off + len(h) + len(x.data)
	return end <= len(b) && string(b[off+1:off+len(h)]) == string(h[1:]) && string(b[off+len(h):end]) == string(x.data)
}

// putInt writes v in the smallest integer encoding, as lpEncodeIntegerGetType.
func putInt(b []byte, v int64) int {
	switch {
	case v >= 0 && v <= 127:
		b[0] = byte(v)
		return 1
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		b[0] = encInt13 | byte(u>>8)
		b[1] = byte(u)
		return 2
	case v >= -32768 && v <= 32767:
		b[0] = encInt16
		binary.LittleEndian.PutUint16(b[1:], uint16(v))
		return 3
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		b[0], b[1], b[2], b[3] = encInt24, byte(u), byte(u>>8), byte(u>>16)
		return 4
	case v >= -2147483648 && v <= 2147483647:
		b[0] = encInt32
		binary.LittleEndian.PutUint32(b[1:], uint32(v))
		return 5
	default:
		b[0] = encInt64
		binary.LittleEndian.PutUint64(b[1:], uint64(v))
		return 9
	}
}

// encLenAt is the length, without its backward length, of the entry that
// starts at b[off]; -1 if its encoding byte is not one of listpack's or the
// entry runs past b. Every entry in a chunk is valid (Decode checks), so the
// hot paths use it without checking for -1.
func encLenAt(b []byte, off int) int {
	h := b[off]
	var l int
	switch {
	case h < 0x80:
		return 1
	case h < 0xC0:
		l = 1 + int(h&0x3f)
	case h < 0xE0:
		l = 2
	case h < 0xF0:
		if off+1 >= len(b) {
			return -1
		}
		l = 2 + (int(h&0x0f)<<8 | int(b[off+1]))
	case h == encStr32:
		if off+5 > len(b) {
			return -1
		}
		n := binary.LittleEndian.Uint32(b[off+1:])
		if uint64(n) > uint64(len(b)) {
			return -1
		}
		l = 5 + int(n)
	case h == encInt16:
		l = 3
	case h == encInt24:
		l = 4
	case h == encInt32:
		l = 5
	case h == encInt64:
		l = 9
	default:
		return -1
	}
	if off+l > len(b) {
		return -1
	}
	return l
}

// value returns the element whose entry starts at b[off] and the entry's
// length without its backward length. A string is returned in place; an
// integer is written in decimal into scratch.
func value(b []byte, off int, scratch *[20]byte) ([]byte, int) {
	h := b[off]
	var v int64
	var l int
	switch {
	case h < 0x80:
		v, l = int64(h), 1
	case h < 0xC0:
		n := int(h & 0x3f)
		return b[off+1 : off+1+n], 1 + n
	case h < 0xE0:
		u := int64(h&0x1f)<<8 | int64(b[off+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		v, l = u, 2
	case h < 0xF0:
		n := int(h&0x0f)<<8 | int(b[off+1])
		return b[off+2 : off+2+n], 2 + n
	case h == encStr32:
		n := int(binary.LittleEndian.Uint32(b[off+1:]))
		return b[off+5 : off+5+n], 5 + n
	case h == encInt16:
		v, l = int64(int16(binary.LittleEndian.Uint16(b[off+1:]))), 3
	case h == encInt24:
		u := uint32(b[off+1]) | uint32(b[off+2])<<8 | uint32(b[off+3])<<16
		v, l = int64(int32(u<<8)>>8), 4
	case h == encInt32:
		v, l = int64(int32(binary.LittleEndian.Uint32(b[off+1:]))), 5
	default: // encInt64
		v, l = int64(binary.LittleEndian.Uint64(b[off+1:])), 9
	}
	return strconv.AppendInt(scratch[:0], v, 10), l
}

// backlenSize is the bytes of the backward length of an entry whose
// encoding and data take l bytes (lpEncodeBacklen's thresholds).
func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	default:
		return 5
	}
}

// putBacklen writes l read right to left: the last byte holds the low seven
// bits, and a byte's high bit says another, more significant, precedes it.
func putBacklen(b []byte, l int) {
	k := backlenSize(l)
	for i := 0; i < k; i++ {
		c := byte(l>>(7*(k-1-i))) & 127
		if i > 0 {
			c |= 128
		}
		b[i] = c
	}
}

// backlenBefore reads the backward length that ends at b[p-1]: the length
// of the entry before p without its backward length, and the backward
// length's own size.
func backlenBefore(b []byte, p int) (l, size int) {
	var shift uint
	for {
		p--
		c := b[p]
		l |= int(c&127) << shift
		size++
		if c&128 == 0 {
			return l, size
		}
		shift += 7
	}
}

// parseInt reports whether e is an integer in the canonical decimal form
// strconv.AppendInt writes (Redis's string2ll: no sign but '-', no leading
// zeros, no "-0", within int64), so that storing it as an integer gives the
// same bytes back.
func parseInt(e []byte) (int64, bool) {
	n := len(e)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && e[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if e[0] == '-' {
		i, neg = 1, true
	}
	if i == n || e[i] < '1' || e[i] > '9' {
		return 0, false
	}
	var u uint64
	for ; i < n; i++ {
		c := e[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (1<<64-1)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
		if u < uint64(c-'0') {
			return 0, false
		}
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
