package set

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"123", 123, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"01", 0, false},
		{"-01", 0, false},
		{"+1", 0, false},
		{"-", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1a", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"--1", 0, false},
		{"123456789012345678901", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// canonical is the definition parseInt implements: the strings FormatInt
// produces.
func canonical(m string) (int64, bool) {
	v, err := strconv.ParseInt(m, 10, 64)
	return v, err == nil && strconv.FormatInt(v, 10) == m
}

func TestParseIntMatchesFormatInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789-+ x"
	for range 200000 {
		b := make([]byte, rng.IntN(22))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte('0' + rng.IntN(10))
			}
		}
		got, ok := parseInt(b)
		want, wantOK := canonical(string(b))
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("parseInt(%q) = %d, %v; want %d, %v", b, got, ok, want, wantOK)
		}
	}
}

func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-0", "9223372036854775807", "-9223372036854775808", "01", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseInt([]byte(s))
		want, wantOK := canonical(s)
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("parseInt(%q) = %d, %v; want %d, %v", s, got, ok, want, wantOK)
		}
	})
}
