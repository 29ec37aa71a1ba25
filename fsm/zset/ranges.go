package zset

import "bytes"

// ScoreRange is a score interval as ZRANGEBYSCORE, ZCOUNT and
// ZREMRANGEBYSCORE take it: [Min, Max], each end open when its Ex is set.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// ParseScoreRange parses min and max as zslParseRange does: a leading '('
// makes the end exclusive, the rest goes to strtod ("-inf", "+inf",
// "(5"). The error is ErrRangeNotFloat.
func ParseScoreRange(min, max []byte) (ScoreRange, error) {
	var r ScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = parseScoreBound(min); !ok {
		return r, ErrRangeNotFloat
	}
	if r.Max, r.MaxEx, ok = parseScoreBound(max); !ok {
		return r, ErrRangeNotFloat
	}
	return r, nil
}

func parseScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		f, ok = parseBound(b[1:])
		return f, true, ok
	}
	f, ok = parseBound(b)
	return f, false, ok
}

// Empty reports whether no score can be in r.
func (r ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

func (r ScoreRange) gteMin(_ []byte, score float64) bool {
	if r.MinEx {
		return score > r.Min
	}
	return score >= r.Min
}

func (r ScoreRange) lteMax(_ []byte, score float64) bool {
	if r.MaxEx {
		return score < r.Max
	}
	return score <= r.Max
}

// LexBound is one end of a LexRange.
type LexBound struct {
	// Inf is -1 for "-" (below every string), +1 for "+" (above every
	// string), 0 for Value.
	Inf   int
	Value []byte
	Ex    bool // exclusive: '(' (and always for - and +)
}

// LexRange is a member interval as ZRANGEBYLEX, ZLEXCOUNT and
// ZREMRANGEBYLEX take it. Redis (and this package) order members by bytes
// only among equal scores; with different scores the result follows the
// (score, member) order of the encoding's scan and is not meaningful.
type LexRange struct{ Min, Max LexBound }

// ParseLexRange parses min and max as zslParseLexRangeItem does: "[x"
// inclusive, "(x" exclusive, "-" and "+" the infinities. The error is
// ErrLexRange.
func ParseLexRange(min, max []byte) (LexRange, error) {
	var r LexRange
	var ok bool
	if r.Min, ok = parseLexBound(min); !ok {
		return r, ErrLexRange
	}
	if r.Max, ok = parseLexBound(max); !ok {
		return r, ErrLexRange
	}
	return r, nil
}

func parseLexBound(b []byte) (LexBound, bool) {
	if len(b) == 0 {
		return LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		// Redis tests c[1] != '\0' on the C string, so "+" followed by a
		// NUL byte also passes.
		if len(b) > 1 && b[1] != 0 {
			return LexBound{}, false
		}
		inf := 1
		if b[0] == '-' {
			inf = -1
		}
		return LexBound{Inf: inf, Ex: true}, true
	case '(':
		return LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return LexBound{Value: b[1:]}, true
	}
	return LexBound{}, false
}

// cmpLex compares a member with a bound as sdscmplex does.
func cmpLex(member []byte, b LexBound) int {
	if b.Inf != 0 {
		return -b.Inf
	}
	return bytes.Compare(member, b.Value)
}

// Empty reports whether no member can be in r.
func (r LexRange) Empty() bool {
	var cmp int
	switch {
	case r.Min.Inf != 0 && r.Min.Inf == r.Max.Inf:
		cmp = 0
	case r.Min.Inf == -1 || r.Max.Inf == 1:
		cmp = -1
	case r.Min.Inf == 1 || r.Max.Inf == -1:
		cmp = 1
	default:
		cmp = bytes.Compare(r.Min.Value, r.Max.Value)
	}
	return cmp > 0 || (cmp == 0 && (r.Min.Ex || r.Max.Ex))
}

func (r LexRange) gteMin(member []byte, _ float64) bool {
	c := cmpLex(member, r.Min)
	if r.Min.Ex {
		return c > 0
	}
	return c >= 0
}

func (r LexRange) lteMax(member []byte, _ float64) bool {
	c := cmpLex(member, r.Max)
	if r.Max.Ex {
		return c < 0
	}
	return c <= 0
}

// NormalizeRanks turns ZRANGE's (or ZREMRANGEBYRANK's) start and stop,
// which may count from the end when negative, into inclusive ranks
// 0 <= lo <= hi < n as Redis does; ok is false for an empty range.
func NormalizeRanks(start, stop int64, n int) (lo, hi int, ok bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), true
}
