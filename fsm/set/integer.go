package set

import (
	"math"
	"strconv"
)

// parseInt reports whether m is a canonical 64-bit integer, the strings that
// Redis's string2ll accepts and so the only members an intset may hold: an
// optional '-' and then digits without a leading zero, in range of int64.
// "0" is canonical; "-0", "+1", "01", " 1", "1 " and "" are not. These are
// exactly the strings strconv.FormatInt produces, which the tests check.
func parseInt[M string | []byte](m M) (int64, bool) {
	n := len(m)
	// 20 bytes hold "-9223372036854775808"; anything longer overflows.
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && m[0] == '0' {
		return 0, true
	}
	i := 0
	neg := m[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if m[i] < '1' || m[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := m[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true // -(1<<63) wraps to math.MinInt64, as wanted
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// formatInt returns v as a member, in the canonical form parseInt accepts.
func formatInt(v int64) []byte { return strconv.AppendInt(nil, v, 10) }

// allocSize estimates the bytes Go's allocator takes for a string of n bytes
// (its size classes: 8-byte steps for small sizes, coarser above).
func allocSize(n int) int {
	round := func(n, to int) int { return (n + to - 1) / to * to }
	switch {
	case n == 0:
		return 0
	case n <= 32:
		return round(n, 8)
	case n <= 256:
		return round(n, 16)
	case n <= 1024:
		return round(n, 64)
	case n <= 32<<10:
		return round(n, 512)
	}
	return round(n, 8<<10)
}
