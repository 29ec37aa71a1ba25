package list

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// fills are the list-max-listpack-size values the tests run with: the
// default, the smallest byte limit, and element counts small enough that
// short lists have many chunks.
var fills = []int{-2, -1, 0, 1, 2, 3, 5, 128}

func TestPushPop(t *testing.T) {
	for _, fill := range fills {
		t.Run(fmt.Sprint(fill), func(t *testing.T) {
			l := New(Limits{ListpackSize: fill})
			if n := l.PushFront(bss("a", "b", "c")...); n != 3 {
				t.Fatalf("PushFront = %d", n)
			}
			check(t, l, bss("c", "b", "a"))
			if n := l.PushBack(bss("1", "22", "-3")...); n != 6 {
				t.Fatalf("PushBack = %d", n)
			}
			check(t, l, bss("c", "b", "a", "1", "22", "-3"))
			if got := l.PopFront(2); !equal(got, bss("c", "b")) {
				t.Fatalf("PopFront(2) = %q", strs(got))
			}
			if got := l.PopBack(2); !equal(got, bss("-3", "22")) {
				t.Fatalf("PopBack(2) = %q", strs(got))
			}
			check(t, l, bss("a", "1"))
			if got := l.PopBack(0); got != nil {
				t.Fatalf("PopBack(0) = %q", strs(got))
			}
			if got := l.PopFront(10); !equal(got, bss("a", "1")) {
				t.Fatalf("PopFront(10) = %q", strs(got))
			}
			check(t, l, nil)
			if got := l.PopFront(1); got != nil {
				t.Fatalf("PopFront on empty = %q", strs(got))
			}
			if l.MemoryUsage() <= 0 {
				t.Fatal("MemoryUsage of an empty list <= 0")
			}
		})
	}
}

func TestPopResultsAreCopies(t *testing.T) {
	l := fromStrings(DefaultLimits(), "abc", "def", "ghi")
	got := l.PopFront(1)
	l.PushFront([]byte("xyz"))
	got = append(got, l.PopBack(1)...)
	l.PushBack([]byte("uvw"))
	if !equal(got, bss("abc", "ghi")) {
		t.Fatalf("popped elements changed: %q", strs(got))
	}
	e, _ := l.Index(0)
	l.Set(0, []byte("QQQ"))
	if string(e) != "xyz" {
		t.Fatalf("Index result changed: %q", e)
	}
}

func TestIndex(t *testing.T) {
	l := fromStrings(Limits{ListpackSize: 2}, "a", "b", "c", "d", "e")
	tests := []struct {
		i    int
		want string
		ok   bool
	}{
		{0, "a", true}, {4, "e", true}, {2, "c", true}, {5, "", false},
		{-1, "e", true}, {-5, "a", true}, {-6, "", false},
		{math.MaxInt, "", false}, {math.MinInt, "", false},
	}
	for _, tt := range tests {
		got, ok := l.Index(tt.i)
		if ok != tt.ok || string(got) != tt.want {
			t.Errorf("Index(%d) = %q, %v, want %q, %v", tt.i, got, ok, tt.want, tt.ok)
		}
		buf := []byte("pre:")
		got, ok = l.AppendIndex(buf, tt.i)
		if ok != tt.ok || string(got) != "pre:"+tt.want {
			t.Errorf("AppendIndex(%d) = %q, %v", tt.i, got, ok)
		}
	}
}

func TestRange(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		start, stop int
		want        []string
	}{
		{0, -1, all},
		{0, 0, all[:1]},
		{1, 3, all[1:4]},
		{-2, -1, all[3:]},
		{-100, 100, all},
		{3, 1, nil},
		{5, 10, nil},
		{-1, -2, nil},
		{-100, -6, nil},
		{-100, -5, all[:1]},
		{4, 4, all[4:]},
		{2, math.MaxInt, all[2:]},
		{math.MinInt, math.MaxInt, all},
		{math.MaxInt, math.MaxInt, nil},
	}
	for _, fill := range []int{-2, 1, 2} {
		l := fromStrings(Limits{ListpackSize: fill}, all...)
		for _, tt := range tests {
			var got []string
			l.Range(tt.start, tt.stop, func(e []byte) bool {
				got = append(got, string(e))
				return true
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("fill %d: Range(%d, %d) = %q, want %q", fill, tt.start, tt.stop, got, tt.want)
			}
			from, to := l.Bounds(tt.start, tt.stop)
			if to-from != len(tt.want) {
				t.Errorf("fill %d: Bounds(%d, %d) = [%d, %d), want %d elements", fill, tt.start, tt.stop, from, to, len(tt.want))
			}
		}
	}
	l := fromStrings(DefaultLimits(), all...)
	n := 0
	l.Range(0, -1, func([]byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("Range went on after false: %d calls", n)
	}
}

func TestAscendDescend(t *testing.T) {
	l := fromStrings(Limits{ListpackSize: 2}, "a", "b", "c", "d", "e")
	var got []string
	l.Ascend(2, func(i int, e []byte) bool { got = append(got, fmt.Sprint(i, string(e))); return true })
	l.Descend(2, func(i int, e []byte) bool { got = append(got, fmt.Sprint(i, string(e))); return true })
	l.Descend(99, func(i int, e []byte) bool { got = append(got, fmt.Sprint(i, string(e))); return i > 3 })
	l.Ascend(-3, func(i int, e []byte) bool { got = append(got, fmt.Sprint(i, string(e))); return i < 0 })
	l.Ascend(5, func(i int, e []byte) bool { got = append(got, "past the end"); return true })
	l.Descend(-1, func(i int, e []byte) bool { got = append(got, "before the head"); return true })
	want := []string{"2c", "3d", "4e", "2c", "1b", "0a", "4e", "3d", "0a"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSet(t *testing.T) {
	big := strings.Repeat("B", 9000)
	tests := []struct {
		name string
		fill int
		i    int
		elem string
		ok   bool
		want []string
	}{
		{"head", -2, 0, "x", true, []string{"x", "b", "c", "d"}},
		{"tail negative", -2, -1, "x", true, []string{"a", "b", "c", "x"}},
		{"integer", -2, 1, "12345", true, []string{"a", "12345", "c", "d"}},
		{"out of range", -2, 4, "x", false, []string{"a", "b", "c", "d"}},
		{"out of range negative", -2, -5, "x", false, []string{"a", "b", "c", "d"}},
		{"count fill", 2, 2, "x", true, []string{"a", "b", "x", "d"}},
		{"larger than a chunk", -2, 1, big, true, []string{"a", big, "c", "d"}},
		{"larger than a chunk, count fill", 3, 2, big, true, []string{"a", "b", big, "d"}},
		{"one per chunk", 0, 1, "x", true, []string{"a", "x", "c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := fromStrings(Limits{ListpackSize: tt.fill}, "a", "b", "c", "d")
			if ok := l.Set(tt.i, []byte(tt.elem)); ok != tt.ok {
				t.Fatalf("Set = %v", ok)
			}
			check(t, l, bss(tt.want...))
		})
	}
}

func TestInsert(t *testing.T) {
	tests := []struct {
		name  string
		after bool
		pivot string
		elem  string
		ret   int
		want  []string
	}{
		{"before head", false, "a", "x", 5, []string{"x", "a", "b", "a", "5"}},
		{"after head", true, "a", "x", 5, []string{"a", "x", "b", "a", "5"}},
		{"after tail", true, "5", "x", 5, []string{"a", "b", "a", "5", "x"}},
		{"before tail", false, "5", "-7", 5, []string{"a", "b", "a", "-7", "5"}},
		{"first pivot only", false, "b", "x", 5, []string{"a", "x", "b", "a", "5"}},
		{"no pivot", false, "z", "x", -1, []string{"a", "b", "a", "5"}},
		{"pivot is not an integer's other spelling", false, "05", "x", -1, []string{"a", "b", "a", "5"}},
	}
	for _, fill := range []int{-2, 1, 2} {
		for _, tt := range tests {
			t.Run(fmt.Sprint(fill, tt.name), func(t *testing.T) {
				l := fromStrings(Limits{ListpackSize: fill}, "a", "b", "a", "5")
				if got := l.Insert(tt.after, []byte(tt.pivot), []byte(tt.elem)); got != tt.ret {
					t.Fatalf("Insert = %d, want %d", got, tt.ret)
				}
				check(t, l, bss(tt.want...))
			})
		}
	}
}

func TestRemove(t *testing.T) {
	start := []string{"a", "b", "a", "c", "a", "10", "a"}
	tests := []struct {
		count int
		elem  string
		ret   int
		want  []string
	}{
		{0, "a", 4, []string{"b", "c", "10"}},
		{1, "a", 1, []string{"b", "a", "c", "a", "10", "a"}},
		{2, "a", 2, []string{"b", "c", "a", "10", "a"}},
		{-1, "a", 1, []string{"a", "b", "a", "c", "a", "10"}},
		{-3, "a", 3, []string{"a", "b", "c", "10"}},
		{100, "a", 4, []string{"b", "c", "10"}},
		{-100, "a", 4, []string{"b", "c", "10"}},
		{math.MinInt, "a", 4, []string{"b", "c", "10"}},
		{0, "10", 1, []string{"a", "b", "a", "c", "a", "a"}},
		{0, "z", 0, start},
	}
	for _, fill := range fills {
		for _, tt := range tests {
			t.Run(fmt.Sprint(fill, "/", tt.count, tt.elem), func(t *testing.T) {
				l := fromStrings(Limits{ListpackSize: fill}, start...)
				if got := l.Remove(tt.count, []byte(tt.elem)); got != tt.ret {
					t.Fatalf("Remove = %d, want %d", got, tt.ret)
				}
				check(t, l, bss(tt.want...))
			})
		}
	}
	l := fromStrings(Limits{ListpackSize: 2}, "a", "a", "a", "a", "a")
	if got := l.Remove(0, []byte("a")); got != 5 {
		t.Fatalf("Remove all = %d", got)
	}
	check(t, l, nil)
	l.PushBack([]byte("b"))
	check(t, l, bss("b"))
}

func TestTrim(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e", "f", "g"}
	tests := []struct {
		start, stop int
		want        []string
	}{
		{0, -1, all},
		{1, -2, all[1:6]},
		{3, 3, all[3:4]},
		{0, 0, all[:1]},
		{-1, -1, all[6:]},
		{5, 2, nil},
		{7, 10, nil},
		{-100, 2, all[:3]},
		{2, 100, all[2:]},
	}
	for _, fill := range fills {
		for _, tt := range tests {
			l := fromStrings(Limits{ListpackSize: fill}, all...)
			l.Trim(tt.start, tt.stop)
			if err := checkList(l, bss(tt.want...)); err != nil {
				t.Errorf("fill %d: Trim(%d, %d): %v", fill, tt.start, tt.stop, err)
			}
			l.PushFront([]byte("x"))
			l.PushBack([]byte("y"))
			want := append(append([]string{"x"}, tt.want...), "y")
			if err := checkList(l, bss(want...)); err != nil {
				t.Errorf("fill %d: push after Trim(%d, %d): %v", fill, tt.start, tt.stop, err)
			}
		}
	}
}

func TestPos(t *testing.T) {
	// Redis's LPOS examples and more: indexes 0..7.
	start := []string{"a", "b", "c", "1", "2", "3", "c", "c"}
	tests := []struct {
		elem                string
		rank, count, maxlen int
		want                []int
	}{
		{"c", 1, 1, 0, []int{2}},
		{"c", 2, 1, 0, []int{6}},
		{"c", -1, 1, 0, []int{7}},
		{"c", -2, 1, 0, []int{6}},
		{"c", 1, 0, 0, []int{2, 6, 7}},
		{"c", 1, 2, 0, []int{2, 6}},
		{"c", -1, 0, 0, []int{7, 6, 2}},
		{"c", -1, 2, 0, []int{7, 6}},
		{"c", 2, 0, 0, []int{6, 7}},
		{"c", 1, 0, 3, []int{2}},
		{"c", 1, 0, 2, nil},
		{"c", -1, 0, 2, []int{7, 6}},
		{"c", -1, 0, 1, []int{7}},
		{"c", 4, 1, 0, nil},
		{"c", -4, 1, 0, nil},
		{"c", math.MaxInt, 1, 0, nil},
		{"c", math.MinInt, 1, 0, nil},
		{"2", 1, 1, 0, []int{4}},
		{"02", 1, 1, 0, nil},
		{"z", 1, 0, 0, nil},
	}
	for _, fill := range []int{-2, 1, 3} {
		l := fromStrings(Limits{ListpackSize: fill}, start...)
		for _, tt := range tests {
			if got := l.Pos([]byte(tt.elem), tt.rank, tt.count, tt.maxlen); !slices.Equal(got, tt.want) {
				t.Errorf("fill %d: Pos(%q, rank %d, count %d, maxlen %d) = %v, want %v", fill, tt.elem, tt.rank, tt.count, tt.maxlen, got, tt.want)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		fill        int
		elem        int // element length
		elems       int
		maxPerChunk int
	}{
		{-1, 10, 2000, 4096 / 12},
		{-2, 10, 2000, 8192 / 12},
		{-5, 10, 20000, 65536 / 12},
		{-100, 10, 20000, 65536 / 12}, // clamped to -5
		{4, 10, 100, 4},
		{1000, 100, 1000, 8192 / 103}, // a count fill still stops at 8 KB
		{0, 10, 10, 1},
	}
	for _, tt := range tests {
		l := New(Limits{ListpackSize: tt.fill})
		e := bytes.Repeat([]byte("x"), tt.elem)
		for i := 0; i < tt.elems; i++ {
			if i%2 == 0 {
				l.PushBack(e)
			} else {
				l.PushFront(e)
			}
		}
		most := 0
		for ci := l.first; ci < l.last; ci++ {
			most = max(most, int(l.cs[ci].n))
		}
		if most != tt.maxPerChunk {
			t.Errorf("fill %d: fullest chunk has %d elements, want %d", tt.fill, most, tt.maxPerChunk)
		}
	}
	if got := New(Limits{ListpackSize: 1 << 20}).Limits().ListpackSize; got != fillMax {
		t.Errorf("fill 1<<20 clamped to %d", got)
	}
}

func TestEncoding(t *testing.T) {
	if got := New(DefaultLimits()).Encoding(); got != "quicklist" {
		t.Fatalf("Encoding = %q", got)
	}
}

// TestCompactAfterRemovals checks that removals in the middle leave the
// list in few chunks, not many sparse ones.
func TestCompactAfterRemovals(t *testing.T) {
	l := New(DefaultLimits())
	for i := 0; i < 20000; i++ {
		l.PushBack([]byte(fmt.Sprintf("e%09d", i%10)))
	}
	l.Remove(0, []byte("e000000003"))
	for i := 0; i < 1000; i++ {
		l.Remove(-1, []byte("e000000005"))
	}
	l.Remove(0, []byte("e000000007"))
	l.Remove(0, []byte("e000000001"))
	// Any two neighbours that fit together are merged, so chunks are on
	// average more than half full.
	chunks := l.last - l.first
	if least := l.Len()/(8192/12) + 1; chunks > 2*least {
		t.Errorf("%d elements in %d chunks, want at most %d", l.Len(), chunks, 2*least)
	}
	for ci := l.first; ci+1 < l.last; ci++ {
		a, b := &l.cs[ci], &l.cs[ci+1]
		if l.fits(a.size()+b.size(), int(a.n+b.n)) {
			t.Errorf("chunks %d and %d fit together: %d + %d bytes", ci-l.first, ci-l.first+1, a.size(), b.size())
		}
	}
}

// TestSmallListMemory holds small lists to Redis's memory: MEMORY USAGE of
// an RPUSHed list of n 10-byte strings in redis-server 7.0.15, less the 32
// bytes of key and dict entry it also counts, times 1.2 (the project's
// memory goal).
func TestSmallListMemory(t *testing.T) {
	redis := map[int]int{1: 160, 5: 208, 10: 256, 50: 768, 100: 1408, 500: 6272, 1000: 12456, 5000: 60824}
	for n, usage := range redis {
		l, f := New(DefaultLimits()), New(DefaultLimits())
		for i := 1; i <= n; i++ {
			l.PushBack(fmt.Appendf(nil, "e%09d", i))
			f.PushFront(fmt.Appendf(nil, "e%09d", i))
		}
		limit := (usage - 32) * 12 / 10
		if got := l.MemoryUsage(); got > limit {
			t.Errorf("%d elements pushed at the tail: %d bytes, want <= %d", n, got, limit)
		}
		if got := f.MemoryUsage(); got > limit {
			t.Errorf("%d elements pushed at the head: %d bytes, want <= %d", n, got, limit)
		}
	}
}
