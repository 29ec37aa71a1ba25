package zset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCompact: the skiplist encoding's trees, built member by member, are
// fragmented; after Compact they are not, hold the same members, scores
// and ranks, and the set and a clone taken before go on changing
// independently, both against the model.
func TestCompact(t *testing.T) {
	lim := DefaultLimits()
	r := rand.New(rand.NewPCG(9, 10))
	g := gen{r: r, members: 4000, scores: 500}
	a := New()
	ma := &model{}
	for i := 0; i < 3000; i++ {
		m, sc := fmt.Sprintf("m%d", r.IntN(g.members)), float64(r.IntN(g.scores))
		a.Add(lim, []byte(m), sc, 0)
		ma.put(m, sc)
	}
	if a.Encoding() != "skiplist" || !a.Fragmented() {
		t.Fatalf("%s with %d members built one by one: Fragmented() = %v", a.Encoding(), a.Len(), a.Fragmented())
	}
	b := a.Clone()
	mb := &model{els: slices.Clone(ma.els)}
	a.Compact()
	if a.Fragmented() {
		t.Fatal("Fragmented right after Compact")
	}
	if !equalEls(contents(a), ma.els) || !equalEls(contents(b), mb.els) {
		t.Fatal("Compact changed the members, or the clone's")
	}
	for i, e := range ma.els {
		rk, ok := a.Rank([]byte(e.m), false)
		sc, _ := a.Score([]byte(e.m))
		if !ok || rk != i || sc != e.s {
			t.Fatalf("after Compact: Rank(%q) = %d %v, Score %v; want %d, %v", e.m, rk, ok, sc, i, e.s)
		}
	}
	for i := 0; i < 5000; i++ {
		step(t, g, lim, a, ma, false)
		step(t, g, lim, b, mb, false)
	}
	if !equalEls(contents(a), ma.els) || !equalEls(contents(b), mb.els) {
		t.Fatal("a compacted set and its clone affected each other")
	}
	lp := New()
	lp.Add(lim, []byte("m"), 1, 0)
	if lp.Fragmented() {
		t.Error("a listpack is Fragmented")
	}
	lp.Compact()
}
