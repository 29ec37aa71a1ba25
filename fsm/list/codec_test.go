package list

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	big := strings.Repeat("x", 70000)
	tests := []struct {
		fill  int
		elems []string
	}{
		{-2, nil},
		{-2, []string{"a"}},
		{-2, []string{"", "0", "-1", "12345678901", "007", big, "tail"}},
		{3, []string{"a", "b", "c", "d", "e", "f", "g"}},
		{0, []string{"a", "b"}},
		{-5, []string{big, big}},
	}
	for _, tt := range tests {
		l := fromStrings(Limits{ListpackSize: tt.fill}, tt.elems...)
		l.PopFront(1) // a chunk whose bytes start after its buffer's
		l.PushFront([]byte("head"))
		want := elems(l)
		b := l.AppendBinary([]byte("x"))
		if _, err := Decode(append(b[1:], "next"...)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("fill %d: Decode with bytes after the list: %v", tt.fill, err)
		}
		d, err := Decode(b[1:])
		if err != nil {
			t.Fatalf("fill %d: Decode: %v", tt.fill, err)
		}
		check(t, d, want)
		if d.Limits() != l.Limits() || d.last-d.first != l.last-l.first {
			t.Fatalf("fill %d: decoded limits %v, %d chunks; want %v, %d", tt.fill, d.Limits(), d.last-d.first, l.Limits(), l.last-l.first)
		}
		if b2 := d.AppendBinary(nil); !bytes.Equal(b2, b[1:]) {
			t.Fatalf("fill %d: re-encoding differs", tt.fill)
		}
		d.PushBack([]byte("more"))
		check(t, l, want)
	}
}

// TestDecodeCorrupt feeds Decode every truncation and single-byte change
// of valid encodings: it must fail cleanly or give a list that works.
func TestDecodeCorrupt(t *testing.T) {
	l := fromStrings(Limits{ListpackSize: 3}, "a", "1", "-300", "70000", "hello", strings.Repeat("y", 200), "z")
	b := l.AppendBinary(nil)
	for i := 0; i < len(b); i++ {
		if _, err := Decode(b[:i]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode of the first %d bytes: %v, want ErrCorrupt", i, err)
		}
	}
	for i := 0; i < len(b); i++ {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xC0, 0xE0, 0xF0, 0xF4, 0xFF, b[i] + 1, b[i] - 1} {
			c := bytes.Clone(b)
			c[i] = v
			d, err := Decode(c)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("byte %d = %#x: error %v does not wrap ErrCorrupt", i, v, err)
				}
				continue
			}
			// Whatever it decoded must be a sound list.
			if err := checkList(d, elems(d)); err != nil {
				t.Errorf("byte %d = %#x: decoded a broken list: %v", i, v, err)
			}
			d.PushFront([]byte("x"))
			d.Remove(0, []byte("a"))
			d.PopBack(2)
		}
	}
	for _, bad := range []string{"", "\x02", "\x01\x7f", "\x01\x00\xff\xff\xff\xff\x0f", "\x01\x03\x01\x00\x00", "\x01\x03\x01\x01\x02\x81\x01"} {
		if _, err := Decode([]byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%q) = %v, want ErrCorrupt", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(fromStrings(Limits{ListpackSize: 2}, "a", "1", "-300", "hello").AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		want := elems(d)
		if err := checkList(d, want); err != nil {
			t.Fatal(err)
		}
		d.PushBack([]byte(fmt.Sprint(len(want))))
	})
}
