package list

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
)

// elems returns l's elements in order, read with Ascend.
func elems(l *List) [][]byte {
	var out [][]byte
	l.Ascend(0, func(i int, e []byte) bool {
		out = append(out, bytes.Clone(e))
		return true
	})
	return out
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func bss(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// check fails t unless l holds exactly want and its chunks are consistent:
// counts add up, every chunk is within the limits (or a single element),
// entries walk the same forwards and backwards, and the indexes agree.
func check(t *testing.T, l *List, want [][]byte) {
	t.Helper()
	if err := checkList(l, want); err != nil {
		t.Fatal(err)
	}
}

func checkList(l *List, want [][]byte) error {
	if l.Len() != len(want) {
		return fmt.Errorf("Len = %d, want %d", l.Len(), len(want))
	}
	total := 0
	for ci := l.first; ci < l.last; ci++ {
		c := &l.cs[ci]
		if c.n <= 0 {
			return fmt.Errorf("chunk %d has %d elements", ci-l.first, c.n)
		}
		if !l.fits(c.size(), int(c.n)) {
			return fmt.Errorf("chunk %d: %d elements in %d bytes is over fill %d", ci-l.first, c.n, c.size(), l.fill)
		}
		if err := checkEntries(c.data(), int(c.n)); err != nil {
			return fmt.Errorf("chunk %d: %v", ci-l.first, err)
		}
		total += int(c.n)
	}
	if total != l.n {
		return fmt.Errorf("chunks hold %d elements, n = %d", total, l.n)
	}
	got := elems(l)
	if !equal(got, want) {
		return fmt.Errorf("elements = %q, want %q", strs(got), strs(want))
	}
	var back [][]byte
	l.Descend(l.Len()-1, func(i int, e []byte) bool {
		if i != l.Len()-1-len(back) {
			back = append(back, []byte("BAD INDEX"))
		}
		back = append(back, bytes.Clone(e))
		return true
	})
	for i := range back {
		if j := len(back) - 1 - i; !bytes.Equal(back[i], want[j]) {
			return fmt.Errorf("Descend: element %d = %q, want %q", j, back[i], want[j])
		}
	}
	if len(back) != len(want) {
		return fmt.Errorf("Descend gave %d elements, want %d", len(back), len(want))
	}
	for _, i := range []int{0, len(want) / 3, len(want) / 2, len(want) - 1} {
		if i < 0 || i >= len(want) {
			continue
		}
		if e, ok := l.Index(i); !ok || !bytes.Equal(e, want[i]) {
			return fmt.Errorf("Index(%d) = %q, %v, want %q", i, e, ok, want[i])
		}
	}
	return nil
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func fromStrings(lim Limits, ss ...string) *List {
	l := New(lim)
	l.PushBack(bss(ss...)...)
	return l
}

func itoa(v int64) string {
	var s [20]byte
	return string(appendInt(s[:0], v))
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }
