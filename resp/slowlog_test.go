package resp

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestSlowlogKeepsTheNewest: the log keeps the newest slowlog-max-len
// entries, newest first, and, as Redis does, trims to a lowered limit only
// when the next entry is added.
func TestSlowlogKeepsTheNewest(t *testing.T) {
	type step struct {
		max  int64 // slowlog-max-len before the adds
		adds int
		len  int     // SLOWLOG LEN after
		ids  []int64 // SLOWLOG GET -1's ids after, newest first; nil: not checked
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"below the limit", []step{{128, 3, 3, []int64{2, 1, 0}}}},
		{"at the limit", []step{{4, 4, 4, []int64{3, 2, 1, 0}}}},
		{"past the limit", []step{{4, 10, 4, []int64{9, 8, 7, 6}}}},
		{"far past the limit, reclaiming the front", []step{{3, 1000, 3, []int64{999, 998, 997}}}},
		{"lowered: trimmed at the next add", []step{
			{10, 10, 10, nil},
			{2, 0, 10, nil},
			{2, 1, 2, []int64{10, 9}},
		}},
		{"raised: keeps what it had and grows", []step{
			{2, 5, 2, []int64{4, 3}},
			{5, 2, 4, []int64{6, 5, 4, 3}},
		}},
		{"zero keeps nothing", []step{{0, 5, 0, []int64{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l slowlog
			c := &client{addr: "127.0.0.1:1"}
			for i, st := range tc.steps {
				l.maxLen.Store(st.max)
				for range st.adds {
					l.add(c, [][]byte{[]byte("SET"), []byte("k")}, time.Unix(1, 0), time.Second)
				}
				if got := l.len(); got != st.len {
					t.Fatalf("step %d: len %d, want %d", i, got, st.len)
				}
				if st.ids == nil {
					continue
				}
				var ids []int64
				for _, e := range l.newest(-1) {
					ids = append(ids, e.id)
				}
				if !slices.Equal(ids, st.ids) && !(len(ids) == 0 && len(st.ids) == 0) {
					t.Fatalf("step %d: ids %v, want %v", i, ids, st.ids)
				}
				if n := len(l.newest(1)); n != min(1, st.len) {
					t.Fatalf("step %d: newest(1) gave %d entries", i, n)
				}
			}
			l.reset()
			if l.len() != 0 || len(l.newest(-1)) != 0 {
				t.Fatalf("after reset: len %d", l.len())
			}
		})
	}
}

// BenchmarkSlowlogAdd: what a command slower than the threshold costs the
// node, at Redis's default slowlog-max-len, as every write does when the
// log is slow and the threshold is Redis's default 10 ms.
func BenchmarkSlowlogAdd(b *testing.B) {
	var l slowlog
	l.maxLen.Store(128)
	c := &client{addr: "127.0.0.1:1"}
	args := [][]byte{[]byte("SET"), []byte("key:000000000001"), []byte(fmt.Sprint(strconv.Itoa(64)))}
	b.ReportAllocs()
	for b.Loop() {
		l.add(c, args, time.Unix(1, 0), 20*time.Millisecond)
	}
}
