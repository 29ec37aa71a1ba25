package set

import (
	"fmt"
	"testing"
)

// TestCompact: a hash table built member by member is fragmented; after
// Compact it is not, holds the same members in the same order (SMEMBERS,
// ranks, SSCAN, the snapshot form), and it and a clone taken before go on
// changing independently.
func TestCompact(t *testing.T) {
	s := New(DefaultLimits())
	md := newModel(DefaultLimits().MaxIntsetEntries)
	for i := range 3000 {
		m := fmt.Sprintf("m%d", i)
		s.Add(DefaultLimits(), []byte(m))
		md.add(m)
	}
	if !s.Fragmented() {
		t.Fatal("a 3000-member hash table built member by member is not Fragmented")
	}
	c, mc := s.Clone(), md.clone()
	s.Compact()
	if s.Fragmented() {
		t.Fatal("Fragmented right after Compact")
	}
	check(t, "compacted", s, md)
	check(t, "clone", c, mc)
	for i := range 1000 {
		m, old := fmt.Sprintf("x%d", i), fmt.Sprintf("m%d", i*3)
		s.Add(DefaultLimits(), []byte(m))
		md.add(m)
		s.Remove([]byte(old))
		md.remove(old)
		c.Remove([]byte(m), []byte(fmt.Sprintf("m%d", i)))
		mc.remove(fmt.Sprintf("m%d", i))
	}
	check(t, "compacted, then changed", s, md)
	check(t, "clone, then changed", c, mc)

	small := New(DefaultLimits(), []byte("1"), []byte("2"))
	if small.Fragmented() {
		t.Error("an intset is Fragmented")
	}
	small.Compact() // nothing to do
	if small.Len() != 2 || small.Encoding() != "intset" {
		t.Errorf("intset after Compact: %d members, %s", small.Len(), small.Encoding())
	}
}
