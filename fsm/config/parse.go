package config

import (
	"math"
	"strconv"
	"strings"
)

// check parses value for p as Redis's CONFIG SET does, given the current
// values cur (some parameters change only part of their value). It returns
// the value's stored form, the number apply takes, and why Redis refuses
// the value ("" if it does not).
func (p *Param) check(value string, cur *Values) (canon string, n int64, why string) {
	if !p.binary {
		value = cString(value)
	}
	switch p.Kind {
	case Bool:
		switch {
		case strings.EqualFold(value, "yes"):
			return "yes", 1, ""
		case strings.EqualFold(value, "no"):
			return "no", 0, ""
		}
		return "", 0, "argument must be 'yes' or 'no'"
	case Int, Memory:
		n, why := p.number(value)
		if why != "" {
			return "", 0, why
		}
		if p.fix != nil {
			n = p.fix(n)
		}
		return p.format(n), n, ""
	case Enum:
		for i, name := range p.Enum {
			if strings.EqualFold(value, name) {
				if same, ok := p.enumSame[name]; ok {
					return same, int64(p.enumIndex(same)), ""
				}
				return name, int64(i), ""
			}
		}
		why := "argument(s) must be one of the following: " + strings.Join(p.Enum, ", ")
		if len(why) > loadBufSize-1 {
			why = why[:loadBufSize-1]
		}
		return "", 0, why
	}
	if p.parse != nil {
		return p.parse(value, cur)
	}
	return value, 0, ""
}

// loadBufSize is Redis's LOADBUF_SIZE: an enum's error is cut to fit it.
const loadBufSize = 256

func (p *Param) enumIndex(name string) int {
	for i, n := range p.Enum {
		if n == name {
			return i
		}
	}
	return -1
}

// number parses an Int or Memory value as Redis's numericParseString and
// numericBoundaryCheck do.
func (p *Param) number(v string) (int64, string) {
	var n int64
	ok := false
	if p.Kind == Memory {
		var u uint64
		if u, ok = MemToUint(v); ok {
			n = int64(u)
		}
	}
	if !ok && p.Percent && len(v) > 1 && v[len(v)-1] == '%' {
		if x, good := string2ll(v[:len(v)-1]); good && x >= 0 {
			n, ok = -x, true
		}
	}
	if !ok && p.Kind == Int {
		n, ok = string2ll(v)
	}
	if !ok {
		switch {
		case p.Kind == Memory && p.Percent:
			return 0, "argument must be a memory or percent value"
		case p.Kind == Memory:
			return 0, "argument must be a memory value"
		}
		return 0, "argument couldn't be parsed into an integer"
	}
	switch {
	case p.Unsigned:
		if u := uint64(n); u > uint64(p.Max) || u < uint64(p.Min) {
			return 0, "argument must be between " + strconv.FormatUint(uint64(p.Min), 10) + " and " +
				strconv.FormatUint(uint64(p.Max), 10) + " inclusive"
		}
	case p.Percent && n < 0:
		if n < p.Min {
			return 0, "percentage argument must be less or equal to " + strconv.FormatInt(-p.Min, 10)
		}
	case n > p.Max || n < p.Min:
		return 0, "argument must be between " + strconv.FormatInt(p.Min, 10) + " and " +
			strconv.FormatInt(p.Max, 10) + " inclusive"
	}
	return n, ""
}

// format is numericConfigGet: a percentage as "n%", a memory value as an
// unsigned number, anything else signed.
func (p *Param) format(n int64) string {
	switch {
	case p.Percent && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case p.Kind == Memory:
		return strconv.FormatUint(uint64(n), 10)
	}
	return strconv.FormatInt(n, 10)
}

// cString is s up to its first NUL, as Redis's char* parameters keep it.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// MemToUint is Redis's memtoull, including its quirks: no sign, digits then
// a unit (b, k, kb, m, mb, g, gb, any case), nothing at all is 0, a number
// past the range saturates (strtoull) and a product past it wraps.
func MemToUint(v string) (uint64, bool) {
	if len(v) > 0 && v[0] == '-' {
		return 0, false
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	var mul uint64
	switch unit := strings.ToLower(v[i:]); unit {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var n uint64
	for _, c := range []byte(v[:i]) {
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			n = math.MaxUint64
			break
		}
		n = n*10 + d
	}
	return n * mul, true
}

// string2ll is Redis's string2ll: an optional '-', then digits without a
// leading zero (or "0" alone), in range.
func string2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	neg := s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c < '0' || c > '9' || u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u > 1<<63:
		return 0, false
	case neg:
		return int64(-u), true
	case u > math.MaxInt64:
		return 0, false
	}
	return int64(u), true
}

// strtoll is C's strtoll in base 10 with Redis's "*eptr == '\0'" check:
// leading white space and a sign are allowed, an out-of-range number
// saturates, and ok is false if anything but digits follows. As in C, no
// digits at all is 0 with nothing consumed, which the check accepts only for
// an empty string.
func strtoll(s string) (n int64, ok bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits := i
	var u uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if u > (math.MaxUint64-9)/10 {
			over = true
		} else {
			u = u*10 + uint64(s[i]-'0')
		}
		i++
	}
	if i == digits {
		// No digits: strtoll consumes nothing, so the end pointer is at
		// the start of the string.
		return 0, len(s) == 0
	}
	if i != len(s) {
		return 0, false
	}
	switch {
	case neg && (over || u > 1<<63):
		return math.MinInt64, true
	case neg:
		return int64(-u), true
	case over || u > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(u), true
}
