package zset

import (
	"bytes"
	"encoding/binary"
	"math"
)

// The small encoding, Redis's "listpack": every entry in one byte slice, in
// (score, member) order, each entry
//
//	uvarint(len(member)) member score(8 bytes, little-endian float64 bits)
//
// The slice is never changed once built: a write builds a new one. So a
// Clone shares it for free, and the member slices handed to callers stay
// valid and unchanged. Lookups scan it, as Redis scans its listpack; it
// holds at most zset-max-listpack-entries entries.

// lpEntry decodes the entry at off; next is the offset after it. The slice
// is valid (it was built here or checked by Decode).
func lpEntry(lp []byte, off int) (member []byte, score float64, next int) {
	n, w := binary.Uvarint(lp[off:])
	off += w
	member = lp[off : off+int(n) : off+int(n)]
	off += int(n)
	score = math.Float64frombits(binary.LittleEndian.Uint64(lp[off:]))
	return member, score, off + 8
}

func lpEntryLen(member []byte) int {
	return uvarintLen(uint64(len(member))) + len(member) + 8
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func lpAppendEntry(b []byte, member []byte, score float64) []byte {
	b = binary.AppendUvarint(b, uint64(len(member)))
	b = append(b, member...)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(score))
}

// lpFind returns the entry of member: its offset, the offset after it, its
// index and score.
func lpFind(lp []byte, member []byte) (off, next, idx int, score float64, ok bool) {
	for off < len(lp) {
		m, s, nx := lpEntry(lp, off)
		if bytes.Equal(m, member) {
			return off, nx, idx, s, true
		}
		off = nx
		idx++
	}
	return 0, 0, 0, 0, false
}

// lpInsertPos returns the offset and index where (member, score) goes: before
// the first entry greater than it.
func lpInsertPos(lp []byte, member []byte, score float64) (off, idx int) {
	for off < len(lp) {
		m, s, nx := lpEntry(lp, off)
		if s > score || (s == score && bytes.Compare(m, member) > 0) {
			return off, idx
		}
		off = nx
		idx++
	}
	return off, idx
}

// lpSplice returns a new listpack: lp with bytes [from, to) replaced by the
// entry (member, score) if member is not nil.
func lpSplice(lp []byte, from, to int, member []byte, score float64) []byte {
	n := len(lp) - (to - from)
	if member != nil {
		n += lpEntryLen(member)
	}
	if n == 0 {
		return nil
	}
	b := make([]byte, 0, n)
	b = append(b, lp[:from]...)
	if member != nil {
		b = lpAppendEntry(b, member, score)
	}
	return append(b, lp[to:]...)
}

// lpOffsets appends the offset of every entry, then len(lp), to buf.
func lpOffsets(lp []byte, buf []int) []int {
	off := 0
	for off < len(lp) {
		buf = append(buf, off)
		n, w := binary.Uvarint(lp[off:])
		off += w + int(n) + 8
	}
	return append(buf, off)
}
