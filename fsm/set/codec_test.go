package set

import (
	"strconv"
	"strings"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		set  *Set
	}{
		{"empty intset", &Set{}},
		{"intset", New(DefaultLimits(), bs("-3", "0", "7")...)},
		{"extremes", New(DefaultLimits(), bs("-9223372036854775808", "9223372036854775807")...)},
		{"wide after removal", func() *Set {
			s := New(DefaultLimits(), bs("1", "5000000000")...)
			s.Remove([]byte("5000000000"))
			return s
		}()},
		{"hashtable", New(DefaultLimits(), bs("a", "ab", "abc", "b", "", "1")...)},
		{"empty hashtable", func() *Set {
			s := New(DefaultLimits(), bs("a")...)
			s.Remove([]byte("a"))
			return s
		}()},
		{"hashtable of integers", New(lim(2), bs("1", "2", "3")...)},
		{"binary members", New(DefaultLimits(), bs("\x00", "\x00\x00", "\xff", strings.Repeat("k", 300))...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.set.AppendBinary([]byte("prefix"))
			got, err := Decode(b[len("prefix"):])
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, tt.set) || got.Encoding() != tt.set.Encoding() || got.ints.width != tt.set.ints.width && tt.set.ints.width != 0 {
				t.Fatalf("round trip: %s %q, want %s %q", got.Encoding(), strs(got.Members()), tt.set.Encoding(), strs(tt.set.Members()))
			}
			if got.MemoryUsage() <= 0 {
				t.Fatalf("MemoryUsage %d", got.MemoryUsage())
			}
		})
	}
}

// TestDecodeDamaged: every truncation and many corruptions of valid forms
// are errors (or, for a corruption that happens to be valid, a valid set);
// nothing panics.
func TestDecodeDamaged(t *testing.T) {
	var forms [][]byte
	forms = append(forms, New(DefaultLimits(), bs("-300", "1", "2", "70000", "5000000000")...).AppendBinary(nil))
	big := &Set{}
	for i := range 50 {
		big.Add(DefaultLimits(), []byte("member"+strconv.Itoa(i)))
	}
	forms = append(forms, big.AppendBinary(nil))
	for _, form := range forms {
		for n := range len(form) {
			if _, err := Decode(form[:n]); err == nil {
				t.Errorf("Decode of %d of %d bytes succeeded", n, len(form))
			}
		}
		if _, err := Decode(append(form, 0)); err == nil {
			t.Errorf("Decode with a trailing byte succeeded")
		}
		for i := range form {
			for _, x := range []byte{1, 0x80, 0xff} {
				damaged := append([]byte(nil), form...)
				damaged[i] ^= x
				s, err := Decode(damaged)
				if err == nil {
					// A valid set after all: it must behave as one.
					rt, err := Decode(s.AppendBinary(nil))
					if err != nil || !equal(rt, s) {
						t.Fatalf("a damaged form decoded to a set that does not round-trip: %v", err)
					}
				}
			}
		}
	}
	for _, bad := range [][]byte{
		{},
		{7},
		{tagIntset, 3, 0},
		{tagIntset, 2, 2, 2, 0},                 // duplicate
		{tagIntset, 2, 1, 0x80, 0x80, 0x04},     // 32768 does not fit 2 bytes
		{tagHashtable, 2, 0, 1, 'b', 0, 1, 'a'}, // out of order
		{tagHashtable, 2, 0, 1, 'a', 1, 0},      // duplicate
		{tagHashtable, 1, 1, 1, 'a'},            // prefix longer than the member before
		{tagHashtable, 200, 0, 1, 'a'},          // count past the bytes
		{tagIntset, 8, 2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2}, // overflow
	} {
		if s, err := Decode(bad); err == nil {
			t.Errorf("Decode(%v) = %q, want an error", bad, strs(s.Members()))
		}
	}
}

// outOfOrder is a hash table's form with two members swapped.
func outOfOrder() []byte {
	ms := []string{"a", "b"}
	sortTable(ms)
	return []byte{tagHashtable, 2, 1, ms[1][0], 1, ms[0][0]}
}
