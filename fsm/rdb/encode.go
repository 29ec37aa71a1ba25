package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Encode returns v's DUMP payload: its type, the object as Redis 7.0's
// rdbSaveObject writes it, and the trailer (see Seal).
func Encode(v *Value) []byte {
	var e encoder
	e.object(v)
	return Seal(e.b)
}

// encoder appends an object; its LZF table is reused across the object's
// strings.
type encoder struct {
	b   []byte
	lzf lzfTable
}

// AppendLen appends n as rdbSaveLen does: 6 bits, 14 bits, or a marker
// byte and 4 or 8 bytes big-endian.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

func (e *encoder) len(n int) { e.b = AppendLen(e.b, uint64(n)) }

// str is rdbSaveRawString: up to 11 bytes that are an integer of 32 bits
// as that integer; over 20 bytes LZF-compressed if that saves at least 4
// bytes; otherwise the length and the bytes.
func (e *encoder) str(s []byte) {
	if len(s) <= 11 {
		if v, ok := string2ll(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				e.b = append(e.b, 0xc0, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				e.b = binary.LittleEndian.AppendUint16(append(e.b, 0xc1), uint16(v))
			default:
				e.b = binary.LittleEndian.AppendUint32(append(e.b, 0xc2), uint32(v))
			}
			return
		}
	}
	if len(s) > 20 {
		if c := e.lzf.compress(s, len(s)-4); c != nil {
			e.b = append(e.b, 0xc3)
			e.len(len(c))
			e.len(len(s))
			e.b = append(e.b, c...)
			return
		}
	}
	e.len(len(s))
	e.b = append(e.b, s...)
}

func (e *encoder) object(v *Value) {
	switch v.Kind {
	case KindString:
		e.b = append(e.b, TypeString)
		e.str(v.Str)
	case KindList:
		e.b = append(e.b, TypeListQuicklist2)
		e.len(len(v.Nodes))
		for _, nd := range v.Nodes {
			lp := newListpack()
			for _, el := range nd {
				lp.add(el)
			}
			e.len(quicklistPacked)
			e.str(lp.bytes())
		}
	case KindSet:
		if v.Intset {
			vals := make([]int64, len(v.Members))
			for i, m := range v.Members {
				vals[i], _ = string2ll(m)
			}
			e.b = append(e.b, TypeSetIntset)
			e.str(intsetBytes(max(v.IntsetWidth, 2), vals))
			return
		}
		e.b = append(e.b, TypeSet)
		e.len(len(v.Members))
		for _, m := range v.Members {
			e.str(m)
		}
	case KindZSet:
		if v.Compact {
			lp := newListpack()
			var buf []byte
			for _, m := range v.Scored {
				lp.add(m.Member)
				buf = appendListpackScore(buf[:0], m.Score)
				lp.add(buf)
			}
			e.b = append(e.b, TypeZSetListpack)
			e.str(lp.bytes())
			return
		}
		// From the greatest score to the least, as zsetSave walks the
		// skiplist from its tail, so that loading inserts at the head.
		e.b = append(e.b, TypeZSet2)
		e.len(len(v.Scored))
		for i := len(v.Scored) - 1; i >= 0; i-- {
			e.str(v.Scored[i].Member)
			e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v.Scored[i].Score))
		}
	case KindHash:
		if v.Compact {
			lp := newListpack()
			for _, f := range v.Pairs {
				lp.add(f)
			}
			e.b = append(e.b, TypeHashListpack)
			e.str(lp.bytes())
			return
		}
		e.b = append(e.b, TypeHash)
		e.len(len(v.Pairs) / 2)
		for _, f := range v.Pairs {
			e.str(f)
		}
	case KindStream:
		e.b = append(e.b, TypeStreamListpacks2)
		e.stream(v.Stream)
	default:
		panic("rdb: Encode of a Value of no kind")
	}
}

// Quicklist node containers (QUICKLIST_NODE_CONTAINER_*).
const (
	quicklistPlain  = 1
	quicklistPacked = 2
)

// appendListpackScore appends a score as zzlInsertAt stores it in a
// listpack: an integral score within ±LLONG_MAX/2 as an integer, anything
// else as d2string's text ("%.17g", "inf", "-inf").
func appendListpackScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f >= -float64(math.MaxInt64/2) && f <= float64(math.MaxInt64/2):
		if ll := int64(f); float64(ll) == f {
			return strconv.AppendInt(b, ll, 10)
		}
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}
