package zset

import (
	"errors"
	"math"
	"testing"
)

// The replies of redis-server 7.0.15 to ZADD fmt <input> m; ZSCORE fmt m.
func TestAppendScoreMatchesRedis(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.1, "0.10000000000000001"},
		{1.5, "1.5"},
		{-2.5e-5, "-2.5000000000000001e-05"},
		{1e16, "10000000000000000"},
		{1e17, "1e+17"},
		{123456789012345678, "1.2345678901234568e+17"},
		{3.14159265358979, "3.14159265358979"},
		{1e-4, "0.0001"},
		{1e-5, "1.0000000000000001e-05"},
		{0.0001234, "0.00012339999999999999"},
		{4503599627370496, "4503599627370496"},
		{4503599627370497, "4503599627370497"},
		{-4503599627370495, "-4503599627370495"},
		{9007199254740993, "9007199254740992"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "4.9406564584124654e-324"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"},
		{1e-310, "9.9999999999999694e-311"},
		{100, "100"},
		{-100, "-100"},
		{1e21, "1e+21"},
		{12345678901234567890, "1.2345678901234567e+19"},
		{0.30000000000000004, "0.30000000000000004"},
		{1e-7, "9.9999999999999995e-08"},
		{1.5e-7, "1.4999999999999999e-07"},
		{7e22, "7.0000000000000004e+22"},
		{123456789.123, "123456789.123"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, tt := range tests {
		if got := string(AppendScore([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendScore(%v) = %q, want %q", tt.in, got[1:], tt.want)
		}
	}
}

// Accepted and refused by redis-server 7.0.15's ZADD.
func TestParseScore(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true},
		{"-1.5", -1.5, true},
		{"+2", 2, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"1e3", 1000, true},
		{"1E-3", 0.001, true},
		{"0x10", 16, true},
		{"0X1p4", 16, true},
		{"0x.8", 0.5, true},
		{"-0x1e", -30, true},
		{"inf", math.Inf(1), true},
		{"+inf", math.Inf(1), true},
		{"-inf", math.Inf(-1), true},
		{"Infinity", math.Inf(1), true},
		{"-INF", math.Inf(-1), true},
		{"1e-310", 1e-310, true},
		{"0", 0, true},
		{"-0", math.Copysign(0, -1), true},
		{"0e-400", 0, true},
		{"1e400", 0, false},
		{"-1e400", 0, false},
		{"1e-400", 0, false},
		{"0x1p-2000", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"", 0, false},
		{"nan", 0, false},
		{"NaN", 0, false},
		{"-nan", 0, false},
		{"1_0", 0, false},
		{"0x1_0", 0, false},
		{"0x", 0, false},
		{"0x1p", 0, false},
		{"1e", 0, false},
		{"e1", 0, false},
		{".", 0, false},
		{"+", 0, false},
		{"infin", 0, false},
		{"1\x00", 0, false},
		{"0b1", 0, false},
		{"abc", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseScore([]byte(tt.in))
		if tt.ok != (err == nil) || (tt.ok && (got != tt.want || math.Signbit(got) != math.Signbit(tt.want))) {
			t.Errorf("ParseScore(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNotFloat) {
			t.Errorf("ParseScore(%q) error %v, want ErrNotFloat", tt.in, err)
		}
	}
}

// Checked against redis-server 7.0.15's ZCOUNT.
func TestParseScoreRange(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ex   bool
		ok   bool
	}{
		{"1", 1, false, true},
		{"(1", 1, true, true},
		{" 1", 1, false, true},
		{"( 1", 1, true, true},
		{"\t\n2", 2, false, true},
		{"", 0, false, true},
		{"(", 0, true, true},
		{"1e400", math.Inf(1), false, true},
		{"1e-400", 0, false, true},
		{"0x10", 16, false, true},
		{"(0x10", 16, true, true},
		{"-inf", math.Inf(-1), false, true},
		{"(+inf", math.Inf(1), true, true},
		{" (1", 0, false, false},
		{"1 ", 0, false, false},
		{"nan", 0, false, false},
		{"(nan", 0, false, false},
		{"0x", 0, false, false},
		{"1_0", 0, false, false},
		{"[1", 0, false, false},
	}
	for _, tt := range tests {
		r, err := ParseScoreRange([]byte(tt.in), []byte("0"))
		if tt.ok != (err == nil) || (tt.ok && (r.Min != tt.want || r.MinEx != tt.ex)) {
			t.Errorf("ParseScoreRange(%q) = %+v, %v; want %v ex=%v ok=%v", tt.in, r, err, tt.want, tt.ex, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrRangeNotFloat) {
			t.Errorf("ParseScoreRange(%q) error %v", tt.in, err)
		}
		r, err = ParseScoreRange([]byte("0"), []byte(tt.in))
		if tt.ok != (err == nil) || (tt.ok && (r.Max != tt.want || r.MaxEx != tt.ex)) {
			t.Errorf("ParseScoreRange max %q = %+v, %v", tt.in, r, err)
		}
	}
}

func TestScoreRangeEmpty(t *testing.T) {
	tests := []struct {
		r     ScoreRange
		empty bool
	}{
		{ScoreRange{Min: 1, Max: 2}, false},
		{ScoreRange{Min: 2, Max: 1}, true},
		{ScoreRange{Min: 1, Max: 1}, false},
		{ScoreRange{Min: 1, Max: 1, MinEx: true}, true},
		{ScoreRange{Min: 1, Max: 1, MaxEx: true}, true},
		{ScoreRange{Min: math.Inf(-1), Max: math.Inf(1), MinEx: true, MaxEx: true}, false},
	}
	for _, tt := range tests {
		if got := tt.r.Empty(); got != tt.empty {
			t.Errorf("%+v.Empty() = %v", tt.r, got)
		}
	}
}

func TestParseLexRange(t *testing.T) {
	tests := []struct {
		min, max string
		ok       bool
		empty    bool
	}{
		{"-", "+", true, false},
		{"+", "-", true, true},
		{"-", "-", true, true},
		{"+", "+", true, true},
		{"[a", "[a", true, false},
		{"(a", "[a", true, true},
		{"[a", "(a", true, true},
		{"[b", "[a", true, true},
		{"[", "+", true, false},
		{"(", "(", true, true},
		{"-", "[a", true, false},
		{"[a", "+", true, false},
		{"+", "[a", true, true},
		{"[a", "-", true, true},
		{"+\x00", "+", true, true},
		{"a", "+", false, false},
		{"", "+", false, false},
		{"-", "", false, false},
		{"++", "+", false, false},
		{"-x", "+", false, false},
	}
	for _, tt := range tests {
		r, err := ParseLexRange([]byte(tt.min), []byte(tt.max))
		if tt.ok != (err == nil) {
			t.Errorf("ParseLexRange(%q, %q) error %v, want ok=%v", tt.min, tt.max, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrLexRange) {
				t.Errorf("ParseLexRange(%q, %q) error %v", tt.min, tt.max, err)
			}
			continue
		}
		if r.Empty() != tt.empty {
			t.Errorf("ParseLexRange(%q, %q).Empty() = %v", tt.min, tt.max, r.Empty())
		}
	}
}

func TestNormalizeRanks(t *testing.T) {
	tests := []struct {
		start, stop int64
		n           int
		lo, hi      int
		ok          bool
	}{
		{0, -1, 5, 0, 4, true},
		{-2, -1, 5, 3, 4, true},
		{-100, 100, 5, 0, 4, true},
		{3, 1, 5, 0, 0, false},
		{5, 10, 5, 0, 0, false},
		{0, -6, 5, 0, 0, false},
		{-1, -1, 5, 4, 4, true},
		{0, 0, 0, 0, 0, false},
		{math.MinInt64, math.MaxInt64, 3, 0, 2, true},
	}
	for _, tt := range tests {
		lo, hi, ok := NormalizeRanks(tt.start, tt.stop, tt.n)
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("NormalizeRanks(%d, %d, %d) = %d %d %v", tt.start, tt.stop, tt.n, lo, hi, ok)
		}
	}
}

func TestCombine(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		agg      Aggregate
		acc, val float64
		want     float64
	}{
		{Sum, 1, 2, 3},
		{Sum, inf, -inf, 0},
		{Min, 1, 2, 1},
		{Min, 2, 1, 1},
		{Max, 1, 2, 2},
		{Max, 2, -inf, 2},
	}
	for _, tt := range tests {
		if got := Combine(tt.agg, tt.acc, tt.val); got != tt.want {
			t.Errorf("Combine(%d, %v, %v) = %v, want %v", tt.agg, tt.acc, tt.val, got, tt.want)
		}
	}
	if got := Weigh(inf, 0); got != 0 {
		t.Errorf("Weigh(inf, 0) = %v, want 0", got)
	}
	if got := Weigh(2, 1.5); got != 3 {
		t.Errorf("Weigh(2, 1.5) = %v", got)
	}
}
