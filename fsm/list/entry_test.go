package list

import (
	"bytes"
	"strings"
	"testing"
)

func TestEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		elem  string
		size  int // bytes in a chunk, as in a Redis 7.0 listpack
		isInt bool
	}{
		{"0", 2, true},
		{"127", 2, true},
		{"128", 3, true},
		{"-1", 3, true},
		{"4095", 3, true},
		{"-4096", 3, true},
		{"4096", 4, true},
		{"-4097", 4, true},
		{"32767", 4, true},
		{"-32768", 4, true},
		{"32768", 5, true},
		{"8388607", 5, true},
		{"-8388608", 5, true},
		{"8388608", 6, true},
		{"2147483647", 6, true},
		{"-2147483648", 6, true},
		{"2147483648", 10, true},
		{"9223372036854775807", 10, true},
		{"-9223372036854775808", 10, true},
		{"9223372036854775808", 21, false},
		{"-9223372036854775809", 22, false},
		{"", 2, false},
		{"007", 5, false},
		{"+1", 4, false},
		{"-0", 4, false},
		{"-", 3, false},
		{"1a", 4, false},
		{" 1", 4, false},
		{"1.5", 5, false},
		{"e000000001", 12, false},
		{strings.Repeat("x", 63), 65, false},
		{strings.Repeat("x", 64), 67, false},
		{strings.Repeat("x", 125), 128, false},
		{strings.Repeat("x", 126), 130, false},
		{strings.Repeat("x", 4095), 4099, false},
		{strings.Repeat("x", 4096), 4103, false},
		{strings.Repeat("x", 20000), 20008, false},
	}
	for _, tt := range tests {
		x := encode([]byte(tt.elem))
		if got := x.size(); got != tt.size {
			t.Errorf("%.20q: size %d, want %d", tt.elem, got, tt.size)
		}
		if isInt := x.data == nil; isInt != tt.isInt {
			t.Errorf("%.20q: integer %v, want %v", tt.elem, isInt, tt.isInt)
		}
		b := make([]byte, x.size()+3)
		b[0], b[1] = 0xAA, 0xBB // an entry is read at any offset
		x.put(b[2:])
		b = b[:2+x.size()]
		if l := encLenAt(b, 2); l != x.encLen() {
			t.Errorf("%.20q: encLenAt %d, want %d", tt.elem, l, x.encLen())
		}
		var scratch [20]byte
		if v, l := value(b, 2, &scratch); string(v) != tt.elem || l != x.encLen() {
			t.Errorf("%.20q: value = %.20q, %d", tt.elem, v, l)
		}
		if l, s := backlenBefore(b, len(b)); l+s != x.size() {
			t.Errorf("%.20q: backlen %d+%d, want %d", tt.elem, l, s, x.size())
		}
		if !x.matches(b, 2) {
			t.Errorf("%.20q: does not match itself", tt.elem)
		}
		if err := checkEntries(b[2:], 1); err != nil {
			t.Errorf("%.20q: %v", tt.elem, err)
		}
	}
}

func TestBacklen(t *testing.T) {
	for _, l := range []int{0, 1, 127, 128, 16382, 16383, 2097150, 2097151, 268435454, 268435455, 1 << 30} {
		b := make([]byte, 5)
		putBacklen(b, l)
		s := backlenSize(l)
		if got, gs := backlenBefore(b[:s], s); got != l || gs != s {
			t.Errorf("backlen %d: read %d in %d bytes, want %d", l, got, gs, s)
		}
	}
}

func TestMatchesOnlyEqual(t *testing.T) {
	elems := []string{"", "1", "01", "10", "-1", "a", "ab", "abc", "1000", "100000", strings.Repeat("z", 70)}
	for _, a := range elems {
		x := encode([]byte(a))
		for _, b := range elems {
			y := encode([]byte(b))
			buf := make([]byte, y.size())
			y.put(buf)
			if got := x.matches(buf, 0); got != (a == b) {
				t.Errorf("encode(%q).matches(%q) = %v", a, b, got)
			}
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "18446744073709551615", "99999999999999999999", "-99999999999999999999", "12345678901234567890"} {
		v, ok := parseInt([]byte(s))
		canon := ok && bytes.Equal([]byte(s), []byte(itoa(v)))
		if ok != canon {
			t.Errorf("parseInt(%q) = %d, %v", s, v, ok)
		}
	}
}
