package set

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestScanIntset(t *testing.T) {
	s := New(DefaultLimits(), bs("3", "1", "2")...)
	for _, cursor := range []uint64{0, 7} {
		next, got := s.Scan(cursor, 1)
		if next != 0 || !slices.Equal(strs(got), []string{"1", "2", "3"}) {
			t.Errorf("Scan(%d, 1) = %d, %q; want the whole intset and 0", cursor, next, strs(got))
		}
	}
}

// TestScanHashtable: a scan in steps of any count returns every member
// exactly once when nothing changes, and every member present throughout
// at least once while members come and go between the calls.
func TestScanHashtable(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, count := range []int{0, 1, 3, 10, 1000} {
		s := &Set{}
		for i := range 300 {
			s.Add(DefaultLimits(), fmt.Appendf(nil, "k%d", i))
		}
		seen := map[string]int{}
		cursor, calls := uint64(0), 0
		for {
			next, got := s.Scan(cursor, count)
			calls++
			if len(got) < max(count, 1) && next != 0 {
				t.Fatalf("count %d: %d members and cursor %d", count, len(got), next)
			}
			for _, m := range got {
				seen[string(m)]++
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		for m := range s.All() {
			if seen[string(m)] != 1 {
				t.Fatalf("count %d: %q returned %d times", count, m, seen[string(m)])
			}
		}
		if want := (300 + max(count, 1) - 1) / max(count, 1); calls != want && count <= 300 {
			t.Fatalf("count %d: %d calls, want %d", count, calls, want)
		}

		// Now with changes between calls: members k0-k149 stay, the others
		// and new ones come and go.
		seen = map[string]int{}
		cursor = 0
		for {
			next, got := s.Scan(cursor, count)
			for _, m := range got {
				seen[string(m)]++
			}
			for range 5 {
				m := fmt.Appendf(nil, "k%d", 150+rng.IntN(300))
				if rng.IntN(2) == 0 {
					s.Add(DefaultLimits(), m)
				} else {
					s.Remove(m)
				}
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		for i := range 150 {
			if m := fmt.Sprintf("k%d", i); seen[m] == 0 {
				t.Fatalf("count %d with changes: %q never returned", count, m)
			}
		}
	}
}
