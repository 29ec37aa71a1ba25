package zset

import (
	"errors"
	"math"
	"strconv"
)

// Errors with Redis 7.0's reply text.
var (
	// ErrNotFloat: a score or increment (ZADD, ZINCRBY) is not a float.
	ErrNotFloat = errors.New("ERR value is not a valid float")
	// ErrRangeNotFloat: a score range bound is not a float.
	ErrRangeNotFloat = errors.New("ERR min or max is not a float")
	// ErrLexRange: a lex range bound does not start with ( or [ and is
	// not - or +.
	ErrLexRange = errors.New("ERR min or max not valid string range item")
	// ErrNaN: ZADD INCR or ZINCRBY made a NaN (inf plus -inf).
	ErrNaN = errors.New("ERR resulting score is not a number (NaN)")
)

// AppendScore appends f as Redis 7.0 writes a score in a reply: "inf" and
// "-inf" for the infinities, else C's "%.17g" (17 significant digits with
// trailing zeros dropped, so 0.1 is "0.10000000000000001" and 3 is "3"),
// which Go's 'g' format with precision 17 reproduces digit for digit,
// exponent form included ("1e+17", "1.0000000000000001e-05").
func AppendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// FormatScore is AppendScore to a new slice.
func FormatScore(f float64) []byte { return AppendScore(nil, f) }

// ParseScore parses a score or increment as Redis 7.0's string2d does
// (ZADD, ZINCRBY, and the weights of ZUNIONSTORE): all of b must be a
// number strtod accepts: decimal or hexadecimal (0x1p4, and 0x10 without
// an exponent), "inf"/"infinity" in any case with an optional sign; no
// leading or trailing space, no NaN, nothing that overflows to infinity or
// underflows to zero (subnormal results are accepted).
func ParseScore(b []byte) (float64, error) {
	f, ok := parseStrtod(b, true)
	if !ok {
		return 0, ErrNotFloat
	}
	return f, nil
}

// parseBound parses one score range bound's number as zslParseRange does:
// plain strtod over the whole string, which (unlike string2d) skips
// leading white space, takes "" as 0, and lets overflow and underflow
// through as inf and 0. Only trailing garbage and NaN are errors.
func parseBound(b []byte) (float64, bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	if i == len(b) {
		return 0, true // strtod converts nothing; eptr is at the NUL
	}
	return parseStrtod(b[i:], false)
}

func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// parseStrtod accepts exactly the strings strtod converts in full, with
// strtod's value. strict adds string2d's ERANGE rule: overflow and
// underflow to zero are errors.
func parseStrtod(b []byte, strict bool) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	s := string(b)
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if len(body) == 0 {
		return 0, false
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	nonzero := false // a non-zero digit in the mantissa, to tell underflow from 0
	expAt := -1
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '_':
			return 0, false // Go allows digit separators after a base prefix; strtod does not
		case hex && i > 1 && (c == 'p' || c == 'P'):
			expAt = i
		case !hex && (c == 'e' || c == 'E'):
			if expAt < 0 {
				expAt = i
			}
		case expAt < 0 && c >= '1' && c <= '9',
			expAt < 0 && hex && i > 1 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')):
			nonzero = true
		}
		if expAt >= 0 {
			break
		}
	}
	if hex && expAt < 0 {
		s += "p0" // strtod's hex exponent is optional, Go's is not
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange || strict {
			return 0, false
		}
		// Overflow: strtod returns ±HUGE_VAL, as ParseFloat does.
	}
	if math.IsNaN(f) {
		return 0, false
	}
	if strict && f == 0 && nonzero {
		return 0, false // underflowed to zero: ERANGE
	}
	return f, true
}

// Aggregate is ZUNIONSTORE's and ZINTERSTORE's AGGREGATE option.
type Aggregate uint8

const (
	Sum Aggregate = iota
	Min
	Max
)

// Weigh returns score times weight with Redis's convention that a NaN
// product (0 * inf) is 0. ZUNION weighs every input so; ZINTER only its
// first (smallest) input: the others' plain products go to Combine, where
// a NaN makes a SUM 0 and leaves MIN and MAX unchanged.
func Weigh(score, weight float64) float64 {
	v := score * weight
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// Combine folds val into acc as zunionInterAggregate does: for Sum a NaN
// (inf + -inf) becomes 0. Redis adds the inputs in its own order (inputs
// sorted by cardinality), which callers must follow for sums to round
// alike.
func Combine(agg Aggregate, acc, val float64) float64 {
	switch agg {
	case Min:
		if val < acc {
			return val
		}
		return acc
	case Max:
		if val > acc {
			return val
		}
		return acc
	}
	acc += val
	if math.IsNaN(acc) {
		return 0
	}
	return acc
}
