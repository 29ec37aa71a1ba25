package set

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func intSet(n int) *Set {
	s := &Set{}
	for i := range n {
		s.Add(lim(1<<20), []byte(strconv.Itoa(i)))
	}
	return s
}

func strSet(n int) *Set {
	s := &Set{}
	for i := range n {
		s.Add(DefaultLimits(), fmt.Appendf(nil, "m%d", i))
	}
	return s
}

func TestRandomMembers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []*Set{intSet(10), strSet(10), strSet(1000), {}} {
		n := s.Len()
		for _, count := range []int{0, 1, 2, 3, 4, 5, 9, 10, 11, 100, 999, 1000, 5000, -1, -5, -20, -3000} {
			got := s.RandomMembers(count, rng.IntN)
			want := count
			if count < 0 {
				want = -count
			} else if count > n {
				want = n
			}
			if n == 0 {
				want = 0
			}
			if len(got) != want {
				t.Fatalf("%s of %d: RandomMembers(%d) returned %d members, want %d", s.Encoding(), n, count, len(got), want)
			}
			seen := map[string]bool{}
			for _, m := range got {
				if !s.Contains(m) {
					t.Fatalf("RandomMembers(%d) returned %q, not a member", count, m)
				}
				if count > 0 && seen[string(m)] {
					t.Fatalf("RandomMembers(%d) repeated %q", count, m)
				}
				seen[string(m)] = true
			}
			if count >= n && count > 0 && !slices.Equal(strs(got), strs(s.Members())) {
				t.Fatalf("RandomMembers(%d) of %d is not the whole set in order", count, n)
			}
		}
	}
}

// TestRandomIsUniform: every member of a small set comes up about equally
// often, for Random and for distinct samples.
func TestRandomIsUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range []*Set{intSet(20), strSet(20)} {
		counts := map[string]int{}
		const draws = 20000
		for range draws {
			counts[string(s.Random(rng.IntN))]++
			for _, m := range s.RandomMembers(3, rng.IntN) {
				counts[string(m)]++
			}
		}
		// Each member: expected (1+3)*draws/20 = 4000.
		for m, c := range counts {
			if c < 3500 || c > 4500 {
				t.Errorf("%s: %q drawn %d times, want about 4000", s.Encoding(), m, c)
			}
		}
		if len(counts) != 20 {
			t.Errorf("%s: %d members drawn, want 20", s.Encoding(), len(counts))
		}
	}
}

func TestPopCount(t *testing.T) {
	tests := []struct {
		name    string
		set     func() *Set
		count   int
		wantEnc string
	}{
		{"all of an intset", func() *Set { return intSet(10) }, 10, "intset"},
		{"more than all", func() *Set { return strSet(10) }, 50, "hashtable"},
		{"few of an intset", func() *Set { return intSet(100) }, 10, "intset"},
		{"few of a hash table", func() *Set { return strSet(100) }, 10, "hashtable"},
		// Case 3: 2 left of 100, rebuilt from the members kept.
		{"most of an intset", func() *Set { return intSet(100) }, 98, "intset"},
		{"most of a hash table", func() *Set { return strSet(100) }, 98, "hashtable"},
		{"most of a hash table of integers", func() *Set {
			s := intSet(100)
			s.Add(DefaultLimits(), []byte("x"))
			s.Remove([]byte("x"))
			return s
		}, 95, "intset"},
		{"boundary: remaining*5 == count rebuilds", intTable600, 500, "intset"},
		{"boundary: remaining*5 > count pops", intTable600, 499, "hashtable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			s := tt.set()
			before := s.Members()
			n := len(before)
			got := s.PopCount(DefaultLimits(), tt.count, rng.IntN)
			want := min(tt.count, n)
			if len(got) != want || s.Len() != n-want {
				t.Fatalf("popped %d leaving %d, want %d leaving %d", len(got), s.Len(), want, n-want)
			}
			all := map[string]int{}
			for _, m := range before {
				all[string(m)]++
			}
			for _, m := range got {
				all[string(m)]--
				if s.Contains(m) {
					t.Fatalf("popped %q still a member", m)
				}
			}
			for m := range s.All() {
				all[string(m)]--
			}
			for m, c := range all {
				if c != 0 {
					t.Fatalf("member %q: %d more before than popped plus left", m, c)
				}
			}
			if s.Encoding() != tt.wantEnc {
				t.Fatalf("encoding after PopCount = %s, want %s", s.Encoding(), tt.wantEnc)
			}
			if tt.count >= n && !slices.Equal(strs(got), strs(before)) {
				t.Fatalf("popping all did not return the set in order")
			}
		})
	}
}

// TestPopAllOrder: SPOP of the whole set replies in the order of a union of
// it (Redis builds one), which is ascending numeric for a hash table of few
// enough integers, and not for an intset past a lowered limit.
func TestPopAllOrder(t *testing.T) {
	tests := []struct {
		name    string
		set     func() *Set
		lim     Limits
		ordered bool
	}{
		{"hash table of integers", func() *Set {
			s := New(DefaultLimits(), bs("5", "40", "3", "100", "7", "x")...)
			s.Remove([]byte("x"))
			return s
		}, DefaultLimits(), true},
		{"hash table with a string", func() *Set { return New(DefaultLimits(), bs("5", "40", "x")...) }, DefaultLimits(), false},
		{"intset past a lowered limit", func() *Set { return New(DefaultLimits(), bs("5", "40", "3", "100", "7")...) }, lim(3), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.set()
			want := Union(tt.lim, s)
			if got := want.Encoding() == "intset"; got != tt.ordered {
				t.Fatalf("union encoding %s", want.Encoding())
			}
			got := s.PopCount(tt.lim, 100, rand.New(rand.NewPCG(1, 1)).IntN)
			if tt.ordered && !slices.Equal(strs(got), strs(want.Members())) {
				t.Fatalf("popped %q, want %q", strs(got), strs(want.Members()))
			}
		})
	}
}

// intTable600 is a hash table of the integers 0-599: the 513th converted it.
func intTable600() *Set {
	s := &Set{}
	for i := range 600 {
		s.Add(DefaultLimits(), []byte(strconv.Itoa(i)))
	}
	return s
}

// TestPopCountNarrows: a rebuilt intset (case 3) takes the width its
// remaining members need, as Redis's new set does.
func TestPopCountNarrows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	wide := []byte("5000000000")
	for range 100 {
		s := intSet(20)
		s.Add(DefaultLimits(), wide)
		s.PopCount(DefaultLimits(), 18, rng.IntN)
		if !s.Contains(wide) {
			if s.ints.width != 2 {
				t.Fatalf("width %d after a rebuild without the wide value, want 2", s.ints.width)
			}
			return
		}
	}
	t.Fatal("the wide value stayed in 100 pops of 18 of 21")
}
