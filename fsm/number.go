package fsm

import (
	"math"
	"math/big"
	"strconv"
)

// maxStringLen is Redis's default proto-max-bulk-len: no string value may
// grow beyond it (APPEND, SETRANGE).
const maxStringLen = 512 << 20

// ParseInt parses b exactly as Redis's string2ll does: an optional '-', then
// digits without leading zeros, no '+', no spaces, within int64. Being this
// strict matters because "01" or " 1" must not count as integers for INCR;
// the RESP server parses lengths and integer arguments with it too.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	negative := b[0] == '-'
	digits := b
	if negative {
		digits = b[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if negative {
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

// appendInt is strconv.AppendInt, named for symmetry with ParseInt.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// Redis does INCRBYFLOAT in C long double, which on x86-64 is the 80-bit
// extended format: a 64-bit mantissa and a 15-bit exponent. Doing the same
// arithmetic in big.Float with 64 bits of precision gives byte-identical
// results to redis-server (e.g. 0.1+0.2 = "0.3"), and big.Float is exact and
// portable, so every node computes the same value whatever its CPU.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384  // values at or beyond 2^16384 overflow to inf
	longDoubleMinExp = -16444 // below the smallest subnormal strtold gives 0
	maxFloatArgLen   = 5 * 1024
)

// parseLongDouble parses b as Redis's string2ld does (strtold, whole string,
// no leading space, no NaN, no overflow or underflow to zero). inf reports an
// infinite value, which Redis accepts as an argument but never stores.
func parseLongDouble(b []byte) (x *big.Float, inf bool, ok bool) {
	if len(b) == 0 || len(b) >= maxFloatArgLen {
		return nil, false, false
	}
	s := string(b)
	unsigned := s
	if s[0] == '+' || s[0] == '-' {
		unsigned = s[1:]
	}
	switch lower := toLowerASCII(unsigned); lower {
	case "inf", "infinity":
		return nil, true, true
	}
	base := 10
	if len(unsigned) > 2 && unsigned[0] == '0' && (unsigned[1] == 'x' || unsigned[1] == 'X') {
		// strtold takes hex floats; big.Float does too, but only with base 0,
		// which would also take '_' separators, which strtold does not.
		for i := 0; i < len(s); i++ {
			if s[i] == '_' {
				return nil, false, false
			}
		}
		base = 0
	}
	x, _, err := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Parse(s, base)
	if err != nil || x.IsInf() {
		return nil, false, false
	}
	if x.Sign() != 0 {
		exp := x.MantExp(nil)
		if exp > longDoubleMaxExp || exp < longDoubleMinExp {
			return nil, false, false
		}
	}
	return x, false, true
}

// formatLongDouble formats x as Redis's ld2string in LD_STR_HUMAN mode:
// printf("%.17Lf") with trailing zeros and a trailing '.' removed, and
// "-0" written as "0".
func formatLongDouble(x *big.Float) []byte {
	b := x.Append(make([]byte, 0, 32), 'f', 17)
	for i := 0; i < len(b); i++ {
		if b[i] == '.' {
			for b[len(b)-1] == '0' {
				b = b[:len(b)-1]
			}
			if b[len(b)-1] == '.' {
				b = b[:len(b)-1]
			}
			break
		}
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[1:]
	}
	return b
}

func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// EqualFold reports whether b equals the lower-case ASCII word lower, ignoring
// the case of b, without allocating. It folds ASCII letters only, as Redis's
// strcasecmp does, where bytes.EqualFold would also take "\u212aeepttl"
// (KELVIN SIGN) for "keepttl". The RESP server matches its command options
// with it too.
func EqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
