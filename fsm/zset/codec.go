package zset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The snapshot form:
//
//	encoding byte (0 listpack, 1 skiplist)
//	uvarint count
//	count entries in ascending (score, member) order, each as a listpack
//	entry: uvarint(len(member)) member score(8 bytes LE)
//
// so a listpack is written as it is held.

const (
	encListpack = 0
	encSkiplist = 1
)

// AppendBinary appends the snapshot form of z to b.
func (z *ZSet) AppendBinary(b []byte) []byte {
	if z.t == nil {
		b = append(b, encListpack)
		b = binary.AppendUvarint(b, uint64(z.n))
		return append(b, z.lp...)
	}
	b = append(b, encSkiplist)
	b = binary.AppendUvarint(b, uint64(z.Len()))
	z.t.byScore.Ascend(0, func(s scored) bool {
		b = lpAppendEntry(b, s2b(s.member), s.score)
		return true
	})
	return b
}

var errCorrupt = errors.New("corrupt sorted set")

// Decode parses what AppendBinary wrote (all of b), with the same encoding.
// It checks everything an operation relies on (order, no duplicate
// members, no NaN) and never panics on bad input. The result does not
// alias b.
func Decode(b []byte) (*ZSet, error) {
	if len(b) < 2 || b[0] > encSkiplist {
		return nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	enc := b[0]
	count, w := binary.Uvarint(b[1:])
	if w <= 0 || count > uint64(len(b)) {
		return nil, fmt.Errorf("%w: bad count", errCorrupt)
	}
	body := b[1+w:]
	// Check every entry's framing and order before trusting lpEntry.
	var prevM []byte
	prevS := math.Inf(-1)
	n := 0
	for off := 0; off < len(body); n++ {
		l, w := binary.Uvarint(body[off:])
		if w <= 0 || l > uint64(len(body)-off-w) || uint64(len(body)-off-w)-l < 8 {
			return nil, fmt.Errorf("%w: entry %d truncated", errCorrupt, n)
		}
		m, s, next := lpEntry(body, off)
		if math.IsNaN(s) {
			return nil, fmt.Errorf("%w: entry %d: NaN score", errCorrupt, n)
		}
		if n > 0 && (s < prevS || (s == prevS && bytes.Compare(prevM, m) >= 0)) {
			return nil, fmt.Errorf("%w: entry %d out of order", errCorrupt, n)
		}
		prevM, prevS = m, s
		off = next
	}
	if uint64(n) != count {
		return nil, fmt.Errorf("%w: %d entries, header says %d", errCorrupt, n, count)
	}
	z := &ZSet{}
	if enc == encListpack {
		seen := make(map[string]struct{}, n)
		for off := 0; off < len(body); {
			m, _, next := lpEntry(body, off)
			if _, dup := seen[string(m)]; dup {
				return nil, fmt.Errorf("%w: duplicate member %q", errCorrupt, m)
			}
			seen[string(m)] = struct{}{}
			off = next
		}
		z.lp, z.n = bytes.Clone(body), n
		return z, nil
	}
	z.t = newTree()
	for off := 0; off < len(body); {
		m, s, next := lpEntry(body, off)
		if _, dup := z.t.lookup(m); dup {
			return nil, fmt.Errorf("%w: duplicate member %q", errCorrupt, m)
		}
		z.t.insert(string(m), s)
		off = next
	}
	return z, nil
}
