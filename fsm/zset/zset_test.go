package zset

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// model is the reference sorted set: a slice in (score, member) order.
type model struct{ els []el }

type el struct {
	m string
	s float64
}

func elLess(a, b el) int {
	switch {
	case a.s < b.s:
		return -1
	case a.s > b.s:
		return 1
	}
	return strings.Compare(a.m, b.m)
}

func (md *model) find(m string) int {
	for i, e := range md.els {
		if e.m == m {
			return i
		}
	}
	return -1
}

func (md *model) put(m string, s float64) {
	if i := md.find(m); i >= 0 {
		md.els = slices.Delete(md.els, i, i+1)
	}
	e := el{m, s}
	i, _ := slices.BinarySearchFunc(md.els, e, elLess)
	md.els = slices.Insert(md.els, i, e)
}

func collect(f func(fn func([]byte, float64) bool)) []el {
	var out []el
	f(func(m []byte, s float64) bool { out = append(out, el{string(m), s}); return true })
	return out
}

func contents(z *ZSet) []el { return collect(z.Range) }

func sameScore(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b)
}

func equalEls(a, b []el) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].m != b[i].m || !sameScore(a[i].s, b[i].s) {
			return false
		}
	}
	return true
}

func filter(els []el, in func(el) bool) []el {
	var out []el
	for _, e := range els {
		if in(e) {
			out = append(out, e)
		}
	}
	return out
}

func reversed(els []el) []el {
	out := slices.Clone(els)
	slices.Reverse(out)
	return out
}

func window(els []el, offset, limit int) []el {
	if offset < 0 || offset >= len(els) {
		return nil
	}
	els = els[offset:]
	if limit >= 0 && limit < len(els) {
		els = els[:limit]
	}
	return els
}

// gen makes random members, scores and ranges over a small space so that
// operations collide.
type gen struct {
	r        *rand.Rand
	members  int
	scores   int
	longOnes bool
}

func (g gen) member() string {
	if g.longOnes && g.r.IntN(20) == 0 {
		return strings.Repeat("L", 60+g.r.IntN(10)) + fmt.Sprint(g.r.IntN(3))
	}
	return fmt.Sprintf("m%d", g.r.IntN(g.members))
}

func (g gen) score() float64 {
	switch g.r.IntN(20) {
	case 0:
		return math.Inf(1)
	case 1:
		return math.Inf(-1)
	case 2:
		return math.Copysign(0, -1)
	}
	return float64(g.r.IntN(g.scores)) - float64(g.scores)/2
}

func (g gen) scoreRange() ScoreRange {
	return ScoreRange{Min: g.score(), Max: g.score(), MinEx: g.r.IntN(3) == 0, MaxEx: g.r.IntN(3) == 0}
}

func (g gen) lexBound() LexBound {
	switch g.r.IntN(8) {
	case 0:
		return LexBound{Inf: -1, Ex: true}
	case 1:
		return LexBound{Inf: 1, Ex: true}
	}
	return LexBound{Value: []byte(g.member()), Ex: g.r.IntN(2) == 0}
}

func inScore(r ScoreRange) func(el) bool {
	return func(e el) bool { return r.gteMin(nil, e.s) && r.lteMax(nil, e.s) }
}

func inLex(r LexRange) func(el) bool {
	return func(e el) bool { return r.gteMin([]byte(e.m), 0) && r.lteMax([]byte(e.m), 0) }
}

// step runs one random operation on z and the model and compares.
func step(t *testing.T, g gen, lim Limits, z *ZSet, md *model, lex bool) {
	t.Helper()
	r := g.r
	switch op := r.IntN(22); op {
	case 0, 1, 2, 3, 4, 5:
		m := g.member()
		s := g.score()
		if lex {
			s = 0
		}
		var flags Flags
		switch r.IntN(8) {
		case 0:
			flags = NX
		case 1:
			flags = XX
		case 2:
			flags = GT
		case 3:
			flags = LT
		}
		if !lex && r.IntN(4) == 0 {
			flags |= Incr
		}
		got, gs := z.Add(lim, []byte(m), s, flags)
		// The model: Redis's zsetAdd.
		i := md.find(m)
		want, ws := Added, s
		switch {
		case i >= 0:
			cur := md.els[i].s
			ns := s
			if flags&Incr != 0 {
				ns += cur
			}
			switch {
			case flags&NX != 0:
				want = Skipped
			case math.IsNaN(ns):
				want = NotANumber
			case (flags&LT != 0 && ns >= cur) || (flags&GT != 0 && ns <= cur):
				want = Skipped
			case ns == cur:
				want, ws = Unchanged, ns
			default:
				want, ws = Updated, ns
				stored := ns
				if z.Encoding() == "listpack" && stored == 0 {
					stored = 0
				}
				md.put(m, stored)
			}
		case flags&XX != 0:
			want = Skipped
		default:
			md.put(m, s)
			if z.Encoding() == "listpack" && s == 0 {
				md.put(m, 0) // a listpack keeps -0 as 0
			}
		}
		if got != want || ((want == Added || want == Updated || want == Unchanged) && !sameScore(gs, ws)) {
			t.Fatalf("Add(%q, %v, %b) = %v %v, want %v %v", m, s, flags, got, gs, want, ws)
		}
	case 6:
		m := g.member()
		got := z.Remove([]byte(m))
		i := md.find(m)
		if got != (i >= 0) {
			t.Fatalf("Remove(%q) = %v", m, got)
		}
		if i >= 0 {
			md.els = slices.Delete(md.els, i, i+1)
		}
	case 7:
		m := g.member()
		s, ok := z.Score([]byte(m))
		i := md.find(m)
		if ok != (i >= 0) || (ok && !sameScore(s, md.els[i].s)) {
			t.Fatalf("Score(%q) = %v %v", m, s, ok)
		}
		rev := r.IntN(2) == 0
		rank, ok := z.Rank([]byte(m), rev)
		wrank := i
		if rev && i >= 0 {
			wrank = len(md.els) - 1 - i
		}
		if ok != (i >= 0) || (ok && rank != wrank) {
			t.Fatalf("Rank(%q, %v) = %d %v, want %d", m, rev, rank, ok, wrank)
		}
		if len(md.els) > 0 {
			k := r.IntN(len(md.els))
			gm, gs := z.At(k)
			if string(gm) != md.els[k].m || !sameScore(gs, md.els[k].s) {
				t.Fatalf("At(%d) = %q %v", k, gm, gs)
			}
		}
	case 8:
		if lex {
			return
		}
		sr := g.scoreRange()
		if got, want := z.CountScore(sr), len(filter(md.els, inScore(sr))); got != want {
			t.Fatalf("CountScore(%+v) = %d, want %d", sr, got, want)
		}
	case 9:
		lo, hi, ok := NormalizeRanks(int64(r.IntN(20)-10), int64(r.IntN(20)-10), len(md.els))
		rev := r.IntN(2) == 0
		var want []el
		if ok {
			src := md.els
			if rev {
				src = reversed(src)
			}
			want = src[lo : hi+1]
		}
		got := collect(func(fn func([]byte, float64) bool) { z.RangeByRank(lo, hi, rev, fn) })
		if !ok {
			got = nil
		}
		if !equalEls(got, want) {
			t.Fatalf("RangeByRank(%d, %d, %v) = %v, want %v", lo, hi, rev, got, want)
		}
	case 10:
		if lex {
			return
		}
		sr := g.scoreRange()
		rev := r.IntN(2) == 0
		offset, limit := 0, -1
		if r.IntN(2) == 0 {
			offset, limit = r.IntN(8)-1, r.IntN(8)-1
		}
		want := filter(md.els, inScore(sr))
		if rev {
			want = reversed(want)
		}
		want = window(want, offset, limit)
		got := collect(func(fn func([]byte, float64) bool) { z.RangeByScore(sr, rev, offset, limit, fn) })
		if !equalEls(got, want) {
			t.Fatalf("RangeByScore(%+v, %v, %d, %d) = %v, want %v", sr, rev, offset, limit, got, want)
		}
	case 11:
		if !lex {
			return
		}
		lr := LexRange{g.lexBound(), g.lexBound()}
		rev := r.IntN(2) == 0
		offset, limit := 0, -1
		if r.IntN(2) == 0 {
			offset, limit = r.IntN(8)-1, r.IntN(8)-1
		}
		want := filter(md.els, inLex(lr))
		if got := z.CountLex(lr); got != len(want) {
			t.Fatalf("CountLex(%v) = %d, want %d", lr, got, len(want))
		}
		if rev {
			want = reversed(want)
		}
		want = window(want, offset, limit)
		got := collect(func(fn func([]byte, float64) bool) { z.RangeByLex(lr, rev, offset, limit, fn) })
		if !equalEls(got, want) {
			t.Fatalf("RangeByLex(%v, %v, %d, %d) = %v, want %v", lr, rev, offset, limit, got, want)
		}
	case 12:
		if r.IntN(4) != 0 {
			return
		}
		lo, hi, ok := NormalizeRanks(int64(r.IntN(10)-5), int64(r.IntN(10)-5), len(md.els))
		want := 0
		if ok {
			want = hi - lo + 1
			md.els = slices.Delete(md.els, lo, hi+1)
		} else {
			lo, hi = 1, 0
		}
		if got := z.RemoveRangeByRank(lo, hi); got != want {
			t.Fatalf("RemoveRangeByRank(%d, %d) = %d, want %d", lo, hi, got, want)
		}
	case 13:
		if lex || r.IntN(3) != 0 {
			return
		}
		sr := g.scoreRange()
		want := len(filter(md.els, inScore(sr)))
		md.els = filter(md.els, func(e el) bool { return !inScore(sr)(e) })
		if got := z.RemoveRangeByScore(sr); got != want {
			t.Fatalf("RemoveRangeByScore(%+v) = %d, want %d", sr, got, want)
		}
	case 14:
		if !lex || r.IntN(3) != 0 {
			return
		}
		lr := LexRange{g.lexBound(), g.lexBound()}
		want := len(filter(md.els, inLex(lr)))
		md.els = filter(md.els, func(e el) bool { return !inLex(lr)(e) })
		if got := z.RemoveRangeByLex(lr); got != want {
			t.Fatalf("RemoveRangeByLex(%v) = %d, want %d", lr, got, want)
		}
	case 15:
		count := r.IntN(4)
		max := r.IntN(2) == 0
		var got []el
		n := z.Pop(count, max, func(m []byte, s float64) { got = append(got, el{string(m), s}) })
		k := min(count, len(md.els))
		var want []el
		if max {
			want = reversed(md.els[len(md.els)-k:])
			md.els = md.els[:len(md.els)-k]
		} else {
			want = slices.Clone(md.els[:k])
			md.els = md.els[k:]
		}
		if n != k || !equalEls(got, want) {
			t.Fatalf("Pop(%d, %v) = %d %v, want %v", count, max, n, got, want)
		}
	case 16:
		count := r.IntN(12) - 4
		var got []el
		z.RandomMembers(count, r.IntN, func(m []byte, s float64) { got = append(got, el{string(m), s}) })
		checkRandom(t, md.els, count, got)
	case 17:
		// A full ZSCAN in small batches returns every member once.
		var got []el
		cursor := uint64(0)
		for {
			cursor = z.Scan(cursor, 1+r.IntN(5), func(m, s []byte) {
				f, err := ParseScore(s)
				if err != nil {
					t.Fatalf("Scan gave score %q: %v", s, err)
				}
				got = append(got, el{string(m), f})
			})
			if cursor == 0 {
				break
			}
		}
		slices.SortFunc(got, elLess)
		if !equalEls(got, md.els) {
			t.Fatalf("Scan returned %v, want %v", got, md.els)
		}
	default:
		if z.Len() != len(md.els) {
			t.Fatalf("Len %d, model %d", z.Len(), len(md.els))
		}
	}
}

func checkRandom(t *testing.T, els []el, count int, got []el) {
	t.Helper()
	want := count
	switch {
	case count >= len(els):
		if !equalEls(got, reversed(els)) {
			t.Fatalf("RandomMembers(%d) of %d = %v, want all, highest first", count, len(els), got)
		}
		return
	case count < 0:
		want = -count
		if len(els) == 0 {
			want = 0
		}
	}
	if len(got) != want {
		t.Fatalf("RandomMembers(%d) gave %d members, want %d", count, len(got), want)
	}
	seen := map[string]bool{}
	for _, e := range got {
		i := slices.IndexFunc(els, func(x el) bool { return x.m == e.m })
		if i < 0 || !sameScore(els[i].s, e.s) {
			t.Fatalf("RandomMembers gave %v, not in the set", e)
		}
		if count > 0 && seen[e.m] {
			t.Fatalf("RandomMembers(%d) repeated %q", count, e.m)
		}
		seen[e.m] = true
	}
}

func TestRandomAgainstModel(t *testing.T) {
	tests := []struct {
		name     string
		lim      Limits
		members  int
		scores   int
		longOnes bool
		lex      bool
	}{
		{"listpack", Limits{1000, 1000}, 60, 10, false, false},
		{"converts early", Limits{8, 64}, 60, 10, true, false},
		{"skiplist", Limits{0, 64}, 300, 50, false, false},
		{"default limits", DefaultLimits(), 400, 1000, true, false},
		{"lex listpack", Limits{1000, 1000}, 60, 1, false, true},
		{"lex skiplist", Limits{0, 64}, 300, 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gen{r: rand.New(rand.NewPCG(7, uint64(tt.members))), members: tt.members, scores: tt.scores, longOnes: tt.longOnes}
			z := New()
			md := &model{}
			for i := 0; i < 30000; i++ {
				step(t, g, tt.lim, z, md, tt.lex)
				if i%500 == 0 {
					if got := contents(z); !equalEls(got, md.els) {
						t.Fatalf("step %d: contents %v, want %v", i, got, md.els)
					}
					checkEncoding(t, z, md, tt.lim)
					roundTrip(t, z)
				}
			}
		})
	}
}

// checkEncoding: a set with more members than the limit, or a member
// longer than it, is a skiplist (the converse does not hold: sets never
// convert back).
func checkEncoding(t *testing.T, z *ZSet, md *model, lim Limits) {
	t.Helper()
	if z.Encoding() == "skiplist" {
		return
	}
	if len(md.els) > lim.MaxListpackEntries {
		t.Fatalf("listpack with %d members, limit %d", len(md.els), lim.MaxListpackEntries)
	}
	for _, e := range md.els {
		if len(e.m) > lim.MaxListpackValue {
			t.Fatalf("listpack with a %d-byte member", len(e.m))
		}
	}
}

func roundTrip(t *testing.T, z *ZSet) {
	t.Helper()
	b := z.AppendBinary([]byte("prefix"))
	d, err := Decode(b[len("prefix"):])
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if d.Encoding() != z.Encoding() || !equalEls(contents(d), contents(z)) {
		t.Fatalf("round trip changed the set: %s %v, want %s %v", d.Encoding(), contents(d), z.Encoding(), contents(z))
	}
	if again := d.AppendBinary(nil); !bytes.Equal(again, b[len("prefix"):]) {
		t.Fatal("round trip changed the bytes")
	}
}

func TestConversion(t *testing.T) {
	lim := DefaultLimits()
	z := New()
	for i := 0; i < 128; i++ {
		z.Add(lim, []byte(fmt.Sprint("m", i)), float64(i), 0)
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("128 members: %s", z.Encoding())
	}
	z.Add(lim, []byte("m5"), 1000, 0) // an update does not convert
	if z.Encoding() != "listpack" {
		t.Fatalf("after an update: %s", z.Encoding())
	}
	z.Add(lim, []byte("m128"), 128, 0)
	if z.Encoding() != "skiplist" {
		t.Fatalf("129 members: %s", z.Encoding())
	}
	z.RemoveRangeByRank(0, 127)
	if z.Encoding() != "skiplist" || z.Len() != 1 {
		t.Fatalf("after removals: %s with %d", z.Encoding(), z.Len())
	}

	long := New()
	long.Add(lim, []byte(strings.Repeat("x", 64)), 1, 0)
	if long.Encoding() != "listpack" {
		t.Fatalf("64-byte member: %s", long.Encoding())
	}
	long.Add(lim, []byte(strings.Repeat("x", 65)), 1, 0)
	if long.Encoding() != "skiplist" {
		t.Fatalf("65-byte member: %s", long.Encoding())
	}

	zero := New()
	zero.Add(Limits{0, 64}, []byte("a"), 1, 0)
	if zero.Encoding() != "skiplist" {
		t.Fatalf("zset-max-listpack-entries 0: %s", zero.Encoding())
	}
	// XX on a missing member adds nothing and converts nothing.
	xx := New()
	xx.Add(Limits{0, 64}, []byte("a"), 1, XX)
	if xx.Encoding() != "listpack" || xx.Len() != 0 {
		t.Fatalf("XX: %s with %d", xx.Encoding(), xx.Len())
	}
}

// TestNegativeZero: as Redis, a listpack stores -0 as 0 (its text "-0"
// reads back as the integer 0), a skiplist keeps -0; ZADD INCR still
// replies with the computed score.
func TestNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, tt := range []struct {
		lim  Limits
		want string
	}{{DefaultLimits(), "0"}, {Limits{0, 64}, "-0"}} {
		z := New()
		out, s := z.Add(tt.lim, []byte("a"), negZero, Incr)
		if out != Added || string(FormatScore(s)) != "-0" {
			t.Errorf("%s: Add INCR -0 = %v %s", z.Encoding(), out, FormatScore(s))
		}
		got, _ := z.Score([]byte("a"))
		if string(FormatScore(got)) != tt.want {
			t.Errorf("%s: Score = %s, want %s", z.Encoding(), FormatScore(got), tt.want)
		}
	}
}

func TestNaN(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits(), {0, 64}} {
		z := New()
		z.Add(lim, []byte("a"), math.Inf(1), 0)
		if out, _ := z.Add(lim, []byte("a"), math.Inf(-1), Incr); out != NotANumber {
			t.Errorf("%s: inf + -inf = %v, want NotANumber", z.Encoding(), out)
		}
		if out, _ := z.Add(lim, []byte("b"), math.NaN(), 0); out != NotANumber {
			t.Errorf("%s: NaN score = %v", z.Encoding(), out)
		}
		if s, _ := z.Score([]byte("a")); !math.IsInf(s, 1) || z.Len() != 1 {
			t.Errorf("%s: NaN changed the set", z.Encoding())
		}
	}
}

func TestClone(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits(), {0, 64}} {
		r := rand.New(rand.NewPCG(3, 4))
		g := gen{r: r, members: 200, scores: 30}
		a := New()
		ma := &model{}
		for i := 0; i < 2000; i++ {
			step(t, g, lim, a, ma, false)
		}
		b := a.Clone()
		mb := &model{els: slices.Clone(ma.els)}
		for i := 0; i < 3000; i++ {
			step(t, g, lim, a, ma, false)
			step(t, g, lim, b, mb, false)
		}
		if !equalEls(contents(a), ma.els) || !equalEls(contents(b), mb.els) {
			t.Fatalf("%s: a clone and its original affected each other", a.Encoding())
		}
	}
}

// TestMembersStayValid: members handed out earlier do not change when
// the set is written afterwards.
func TestMembersStayValid(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits(), {0, 64}} {
		z := New()
		for i := 0; i < 50; i++ {
			z.Add(lim, []byte(fmt.Sprintf("member%02d", i)), float64(i), 0)
		}
		var held [][]byte
		z.Range(func(m []byte, _ float64) bool { held = append(held, m); return true })
		z.RemoveRangeByRank(0, 24)
		for i := 0; i < 50; i++ {
			z.Add(lim, []byte(fmt.Sprintf("new%02d", i)), -float64(i), 0)
		}
		for i, m := range held {
			if want := fmt.Sprintf("member%02d", i); string(m) != want {
				t.Fatalf("%s: held member %d became %q", z.Encoding(), i, m)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	lim := DefaultLimits()
	good := New()
	good.Add(lim, []byte("a"), 1, 0)
	good.Add(lim, []byte("b"), 2, 0)
	enc := good.AppendBinary(nil)
	entry := func(m string, s float64) []byte { return lpAppendEntry(nil, []byte(m), s) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"bad encoding", cat([]byte{7, 1}, entry("a", 1))},
		{"count too high", cat([]byte{0, 2}, entry("a", 1))},
		{"count too low", cat([]byte{0, 1}, entry("a", 1), entry("b", 2))},
		{"out of order", cat([]byte{0, 2}, entry("b", 1), entry("a", 1))},
		{"score order", cat([]byte{1, 2}, entry("a", 2), entry("b", 1))},
		{"duplicate listpack", cat([]byte{0, 2}, entry("a", 1), entry("a", 2))},
		{"duplicate skiplist", cat([]byte{1, 2}, entry("a", 1), entry("a", 2))},
		{"nan", cat([]byte{0, 1}, entry("a", math.NaN()))},
		{"truncated", enc[:len(enc)-1]},
		{"trailing", cat(enc, []byte{0})},
	}
	for _, tt := range tests {
		if _, err := Decode(tt.b); err == nil {
			t.Errorf("%s: Decode accepted %q", tt.name, tt.b)
		}
	}
	// Every truncation and single-byte change of a valid form either
	// decodes or fails cleanly.
	big := New()
	for i := 0; i < 200; i++ {
		big.Add(lim, []byte(fmt.Sprint("m", i)), float64(i%7), 0)
	}
	for _, src := range [][]byte{enc, big.AppendBinary(nil)} {
		for i := range src {
			Decode(src[:i])
			c := slices.Clone(src)
			c[i] ^= 0x5a
			Decode(c)
		}
	}
}

func FuzzDecode(f *testing.F) {
	z := New()
	z.Add(DefaultLimits(), []byte("a"), 1, 0)
	f.Add(z.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(d.AppendBinary(nil), b) {
			t.Fatalf("Decode(%q) re-encodes differently", b)
		}
	})
}

// TestScanDuringWrites: members present for the whole scan are returned
// however the set changes between the calls.
func TestScanDuringWrites(t *testing.T) {
	lim := Limits{0, 64}
	r := rand.New(rand.NewPCG(8, 9))
	z := New()
	for i := 0; i < 2000; i++ {
		z.Add(lim, []byte(fmt.Sprint("keep", i)), float64(i), 0)
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	for calls := 0; ; calls++ {
		cursor = z.Scan(cursor, 10, func(m, _ []byte) { seen[string(m)] = true })
		if cursor == 0 {
			break
		}
		for k := 0; k < 20; k++ {
			m := []byte(fmt.Sprint("churn", r.IntN(500)))
			if r.IntN(2) == 0 {
				z.Add(lim, m, r.Float64(), 0)
			} else {
				z.Remove(m)
			}
		}
		if calls > 10000 {
			t.Fatal("scan does not end")
		}
	}
	for i := 0; i < 2000; i++ {
		if !seen[fmt.Sprint("keep", i)] {
			t.Fatalf("keep%d was never returned", i)
		}
	}
}

// An empty member read from the trees comes as nil; adding it to a
// listpack (ZRANGESTORE, ZUNIONSTORE from a skiplist) must store it.
func TestAddNilMemberToListpack(t *testing.T) {
	z := New()
	if out, _ := z.Add(DefaultLimits(), nil, 1, 0); out != Added {
		t.Fatalf("Add(nil) = %v, want Added", out)
	}
	var got [][]byte
	z.Range(func(m []byte, _ float64) bool { got = append(got, m); return true })
	if z.Len() != 1 || len(got) != 1 || len(got[0]) != 0 {
		t.Fatalf("after Add(nil): Len %d, members %q", z.Len(), got)
	}
	if s, ok := z.Score([]byte{}); !ok || s != 1 {
		t.Fatalf("Score(\"\") = %v, %v", s, ok)
	}
}
