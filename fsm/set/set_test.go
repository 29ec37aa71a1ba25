package set

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func bs(ms ...string) [][]byte {
	out := make([][]byte, len(ms))
	for i, m := range ms {
		out[i] = []byte(m)
	}
	return out
}

func strs(ms [][]byte) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}

func lim(n int) Limits { return Limits{MaxIntsetEntries: n} }

// TestEncoding follows the encoding through SADD/SREM histories, with the
// OBJECT ENCODING and SMEMBERS answers redis-server 7.0 gives.
func TestEncoding(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		adds    [][]string // one SADD per element
		rems    []string
		enc     string
		members []string // SMEMBERS, when the order is Redis's (intsets)
		width   int
	}{
		{name: "ints", max: 512, adds: [][]string{{"3", "1", "2"}}, enc: "intset", members: []string{"1", "2", "3"}, width: 2},
		{name: "negative ints ascend numerically", max: 512, adds: [][]string{{"10", "-5", "2", "-100", "0"}}, enc: "intset", members: []string{"-100", "-5", "0", "2", "10"}, width: 2},
		{name: "int32 width", max: 512, adds: [][]string{{"1", "70000"}}, enc: "intset", members: []string{"1", "70000"}, width: 4},
		{name: "int64 width", max: 512, adds: [][]string{{"-9223372036854775808", "1", "9223372036854775807"}}, enc: "intset", members: []string{"-9223372036854775808", "1", "9223372036854775807"}, width: 8},
		{name: "width stays after remove", max: 512, adds: [][]string{{"1", "4294967296"}}, rems: []string{"4294967296"}, enc: "intset", members: []string{"1"}, width: 8},
		{name: "string converts", max: 512, adds: [][]string{{"1", "2"}, {"a"}}, enc: "hashtable"},
		{name: "string first", max: 512, adds: [][]string{{"a", "1"}}, enc: "hashtable"},
		{name: "leading zero is a string", max: 512, adds: [][]string{{"1", "01"}}, enc: "hashtable"},
		{name: "minus zero is a string", max: 512, adds: [][]string{{"-0"}}, enc: "hashtable"},
		{name: "plus sign is a string", max: 512, adds: [][]string{{"+1"}}, enc: "hashtable"},
		{name: "overflow is a string", max: 512, adds: [][]string{{"9223372036854775808"}}, enc: "hashtable"},
		{name: "empty member is a string", max: 512, adds: [][]string{{""}}, enc: "hashtable"},
		{name: "never converts back", max: 512, adds: [][]string{{"1", "a"}}, rems: []string{"a"}, enc: "hashtable"},
		{name: "at the limit", max: 3, adds: [][]string{{"1", "2", "3"}}, enc: "intset", members: []string{"1", "2", "3"}, width: 2},
		{name: "past the limit", max: 3, adds: [][]string{{"1", "2", "3", "4"}}, enc: "hashtable"},
		{name: "existing member does not convert", max: 3, adds: [][]string{{"1", "2", "3", "3", "1"}}, enc: "intset", members: []string{"1", "2", "3"}, width: 2},
		{name: "limit zero", max: 0, adds: [][]string{{"1"}}, enc: "hashtable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Set{}
			for _, add := range tt.adds {
				s.Add(lim(tt.max), bs(add...)...)
			}
			s.Remove(bs(tt.rems...)...)
			if got := s.Encoding(); got != tt.enc {
				t.Errorf("Encoding() = %q, want %q", got, tt.enc)
			}
			if tt.members != nil {
				if got := strs(s.Members()); !slices.Equal(got, tt.members) {
					t.Errorf("Members() = %q, want %q", got, tt.members)
				}
			}
			if tt.width != 0 && s.ints.width != tt.width {
				t.Errorf("width %d, want %d", s.ints.width, tt.width)
			}
		})
	}
}

// TestLoweredLimit: an intset past a limit lowered later (CONFIG SET)
// converts on its next new member only, as in Redis.
func TestLoweredLimit(t *testing.T) {
	s := New(lim(10), bs("1", "2", "3", "4")...)
	s.Add(lim(2), bs("1", "2")...)
	if s.Encoding() != "intset" {
		t.Fatalf("adding existing members converted: %s", s.Encoding())
	}
	s.Remove(bs("4")...)
	s.Add(lim(2), bs("4")...)
	if s.Encoding() != "hashtable" {
		t.Fatalf("adding a new member past the limit: %s", s.Encoding())
	}
}

func TestAddRemoveCounts(t *testing.T) {
	for _, max := range []int{0, 512} {
		s := &Set{}
		if n := s.Add(lim(max), bs("1", "2", "2", "x", "x", "1")...); n != 3 {
			t.Errorf("max %d: Add = %d, want 3", max, n)
		}
		if n := s.Remove(bs("1", "1", "y", "x", "01")...); n != 2 {
			t.Errorf("max %d: Remove = %d, want 2", max, n)
		}
		if s.Len() != 1 || !s.Contains([]byte("2")) || s.Contains([]byte("1")) || s.Contains([]byte("02")) {
			t.Errorf("max %d: members %q", max, strs(s.Members()))
		}
	}
}

// TestHashtableOrder: a hash table lists its members in the order of their
// hashes, and integers converted from an intset are stored as their
// canonical strings.
func TestHashtableOrder(t *testing.T) {
	s := New(DefaultLimits(), bs("10", "9", "-1")...)
	s.Add(DefaultLimits(), bs("b", "a", "")...)
	want := []string{"", "-1", "10", "9", "a", "b"}
	sortTable(want)
	if got := strs(s.Members()); !slices.Equal(got, want) {
		t.Fatalf("Members() = %q, want %q", got, want)
	}
	for i, w := range want {
		if got := string(s.At(i)); got != w {
			t.Errorf("At(%d) = %q, want %q", i, got, w)
		}
	}
	if m := s.At(0); m == nil {
		t.Errorf("the empty member is nil, not an empty bulk string")
	}
}

// TestMembersStayValid: slices from All stay valid after the iteration,
// including an intset's, which share buffers.
func TestMembersStayValid(t *testing.T) {
	s := &Set{}
	for i := range 300 {
		s.Add(DefaultLimits(), []byte(strconv.Itoa(i*1000003)))
	}
	ms := s.Members()
	for i, m := range ms {
		if want := strconv.FormatInt(s.ints.get(i), 10); string(m) != want {
			t.Fatalf("member %d = %q, want %q", i, m, want)
		}
	}
	// Early stop.
	n := 0
	for range s.All() {
		n++
		if n == 5 {
			break
		}
	}
}

// model is the reference a Set is checked against: a map plus the encoding
// rule stated the simple way.
type model struct {
	m         map[string]bool
	converted bool
	max       int
}

func newModel(max int) *model { return &model{m: map[string]bool{}, max: max} }

func (md *model) add(m string) bool {
	if md.m[m] {
		return false
	}
	md.m[m] = true
	if _, ok := canonical(m); !ok || len(md.m) > md.max {
		md.converted = true
	}
	return true
}

func (md *model) remove(m string) bool {
	if !md.m[m] {
		return false
	}
	delete(md.m, m)
	return true
}

func (md *model) clone() *model {
	c := *md
	c.m = make(map[string]bool, len(md.m))
	for k := range md.m {
		c.m[k] = true
	}
	return &c
}

func (md *model) encoding() string {
	if md.converted {
		return "hashtable"
	}
	return "intset"
}

// order is the order a Set with the model's history lists its members in.
func (md *model) order() []string {
	out := make([]string, 0, len(md.m))
	for k := range md.m {
		out = append(out, k)
	}
	if md.converted {
		sortTable(out)
	} else {
		slices.SortFunc(out, func(a, b string) int {
			x, _ := canonical(a)
			y, _ := canonical(b)
			return cmpInt(x, y)
		})
	}
	return out
}

// sortTable sorts ms in a hash table's order.
func sortTable(ms []string) {
	slices.SortFunc(ms, func(a, b string) int {
		if lessItem(key(a), key(b)) {
			return -1
		}
		if lessItem(key(b), key(a)) {
			return 1
		}
		return 0
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func check(t *testing.T, what string, s *Set, md *model) {
	t.Helper()
	if s.Len() != len(md.m) {
		t.Fatalf("%s: Len() = %d, model %d", what, s.Len(), len(md.m))
	}
	if s.Encoding() != md.encoding() {
		t.Fatalf("%s: Encoding() = %s, model %s", what, s.Encoding(), md.encoding())
	}
	want := md.order()
	got := strs(s.Members())
	if !slices.Equal(got, want) {
		t.Fatalf("%s: Members() = %q\nwant %q", what, got, want)
	}
	for i := range got {
		if a := string(s.At(i)); a != want[i] {
			t.Fatalf("%s: At(%d) = %q, want %q", what, i, a, want[i])
		}
	}
	rt, err := Decode(s.AppendBinary(nil))
	if err != nil {
		t.Fatalf("%s: Decode: %v", what, err)
	}
	if !equal(rt, s) {
		t.Fatalf("%s: Decode(AppendBinary) differs", what)
	}
}

// equal reports whether a and b are the same set in the same encoding,
// intset width included.
func equal(a, b *Set) bool {
	if a.Encoding() != b.Encoding() || a.Len() != b.Len() || a.tab == nil && max(a.ints.width, 2) != max(b.ints.width, 2) {
		return false
	}
	am, bm := a.Members(), b.Members()
	for i := range am {
		if !bytes.Equal(am[i], bm[i]) {
			return false
		}
	}
	return a.data == b.data
}

// randomMember draws from a small universe, mostly integers, so that
// members repeat, sets cross the intset limit both ways and widths change.
func randomMember(rng *rand.Rand, strings bool) string {
	switch r := rng.IntN(100); {
	case strings && r < 5:
		return fmt.Sprintf("m%d", rng.IntN(50))
	case r < 8:
		return []string{"-0", "01", "+1", "", " 1"}[rng.IntN(5)]
	case r < 15:
		return strconv.FormatInt(rng.Int64()-1<<62, 10)
	case r < 25:
		return strconv.Itoa(rng.IntN(200000) - 100000)
	}
	return strconv.Itoa(rng.IntN(300) - 100)
}

// TestRandomOperations runs random commands on Sets and on map models, and
// on clones taken along the way, mutating both sides of every clone.
func TestRandomOperations(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			max := []int{512, 16, 0, 128, 64, 1000}[seed]
			stringsToo := seed%2 == 1
			sets := []*Set{{}}
			models := []*model{newModel(max)}
			for op := range 8000 {
				k := rng.IntN(len(sets))
				s, md := sets[k], models[k]
				switch r := rng.IntN(100); {
				case r < 45:
					batch := make([]string, 1+rng.IntN(4))
					want := 0
					for i := range batch {
						batch[i] = randomMember(rng, stringsToo)
						if md.add(batch[i]) {
							want++
						}
					}
					if got := s.Add(lim(max), bs(batch...)...); got != want {
						t.Fatalf("op %d: Add(%q) = %d, want %d", op, batch, got, want)
					}
				case r < 75:
					m := randomMember(rng, stringsToo)
					if got, want := s.Remove([]byte(m)) == 1, md.remove(m); got != want {
						t.Fatalf("op %d: Remove(%q) = %v, want %v", op, m, got, want)
					}
				case r < 85:
					m := randomMember(rng, stringsToo)
					if got := s.Contains([]byte(m)); got != md.m[m] {
						t.Fatalf("op %d: Contains(%q) = %v, want %v", op, m, got, md.m[m])
					}
				case r < 90:
					if p := s.Pop(rng.IntN); p != nil {
						if !md.remove(string(p)) {
							t.Fatalf("op %d: Pop returned %q, not a member", op, p)
						}
					} else if len(md.m) != 0 {
						t.Fatalf("op %d: Pop of a non-empty set returned nil", op)
					}
				case r < 93 && len(sets) < 8:
					sets = append(sets, s.Clone())
					models = append(models, md.clone())
				case r < 95:
					check(t, fmt.Sprintf("op %d set %d", op, k), s, md)
				default:
					// Drop a set now and then, so the live ones keep changing.
					if len(sets) > 1 {
						sets = slices.Delete(sets, k, k+1)
						models = slices.Delete(models, k, k+1)
					}
				}
			}
			for k := range sets {
				check(t, fmt.Sprintf("end set %d", k), sets[k], models[k])
			}
		})
	}
}

func TestMemoryUsageGrows(t *testing.T) {
	s := &Set{}
	small := s.MemoryUsage()
	for i := range 100 {
		s.Add(DefaultLimits(), []byte(strconv.Itoa(i)))
	}
	ints := s.MemoryUsage()
	s.Add(DefaultLimits(), []byte(strings.Repeat("x", 1000)))
	if !(small < ints && ints < s.MemoryUsage() && s.MemoryUsage() > 1000) {
		t.Fatalf("MemoryUsage: empty %d, 100 ints %d, converted %d", small, ints, s.MemoryUsage())
	}
}
