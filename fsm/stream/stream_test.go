package stream

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func fv(kv ...string) [][]byte {
	b := make([][]byte, len(kv))
	for i, s := range kv {
		b[i] = []byte(s)
	}
	return b
}

func mustAdd(t testing.TB, s *Stream, arg string, now int64, kv ...string) ID {
	t.Helper()
	a, err := ParseAddID([]byte(arg))
	if err != nil {
		t.Fatalf("ParseAddID(%q): %v", arg, err)
	}
	id, err := s.Add(DefaultLimits(), a, now, fv(kv...))
	if err != nil {
		t.Fatalf("Add(%q): %v", arg, err)
	}
	return id
}

func TestAddIDs(t *testing.T) {
	max := uint64(math.MaxUint64)
	tests := []struct {
		name    string
		last    ID // set with SetID first (zero: fresh stream)
		arg     string
		now     int64
		want    ID
		err     error
		errText string
	}{
		{name: "auto new ms", arg: "*", now: 1000, want: ID{1000, 0}},
		{name: "auto clock behind", last: ID{2000, 5}, arg: "*", now: 1000, want: ID{2000, 6}},
		{name: "auto same ms", last: ID{1000, 5}, arg: "*", now: 1000, want: ID{1000, 6}},
		{name: "auto seq wraps to next ms", last: ID{1000, max}, arg: "*", now: 5, want: ID{1001, 0}},
		{name: "auto exhausted", last: MaxID, arg: "*", now: 5, err: ErrExhausted,
			errText: "ERR The stream has exhausted the last possible ID, unable to add more items"},
		{name: "explicit exhausted", last: MaxID, arg: "1-1", err: ErrExhausted},
		{name: "ms-* fresh", arg: "0-*", want: ID{0, 1}},
		{name: "ms-* new ms", last: ID{5, 3}, arg: "6-*", want: ID{6, 0}},
		{name: "ms-* same ms", last: ID{5, 3}, arg: "5-*", want: ID{5, 4}},
		{name: "ms-* older ms", last: ID{5, 3}, arg: "4-*", err: ErrIDTooSmall},
		{name: "ms-* seq exhausted", last: ID{5, max}, arg: "5-*", err: ErrTooLarge},
		{name: "explicit", last: ID{5, 3}, arg: "5-4", want: ID{5, 4}},
		{name: "explicit equal", last: ID{5, 3}, arg: "5-3", err: ErrIDTooSmall,
			errText: "ERR The ID specified in XADD is equal or smaller than the target stream top item"},
		{name: "explicit smaller", last: ID{5, 3}, arg: "4", err: ErrIDTooSmall},
		{name: "explicit max", arg: "18446744073709551615-18446744073709551615", want: MaxID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			if !tt.last.IsZero() {
				if err := s.SetID(tt.last, -1, ID{}); err != nil {
					t.Fatal(err)
				}
			}
			a, err := ParseAddID([]byte(tt.arg))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Add(DefaultLimits(), a, tt.now, fv("f", "v"))
			if !errors.Is(err, tt.err) || err == nil && got != tt.want {
				t.Fatalf("Add = %v, %v; want %v, %v", got, err, tt.want, tt.err)
			}
			if tt.errText != "" && err.Error() != tt.errText {
				t.Errorf("error text %q, want %q", err, tt.errText)
			}
			if err != nil && (s.Len() != 0 || s.EntriesAdded() != 0 || s.LastID() != tt.last) {
				t.Errorf("failed Add changed the stream: len %d added %d last %v", s.Len(), s.EntriesAdded(), s.LastID())
			}
		})
	}
}

// collect returns the IDs and "f=v,..." strings of a range.
func collect(s *Stream, start, end ID, rev bool, count int) []string {
	var out []string
	s.Range(start, end, rev, func(id ID, fv [][]byte) bool {
		var b bytes.Buffer
		b.WriteString(id.String())
		for i := 0; i < len(fv); i += 2 {
			fmt.Fprintf(&b, " %s=%s", fv[i], fv[i+1])
		}
		out = append(out, b.String())
		return count <= 0 || len(out) < count
	})
	return out
}

func TestRangeDeleteMetadata(t *testing.T) {
	s := New()
	for i := 1; i <= 250; i++ {
		if i%3 == 0 {
			mustAdd(t, s, fmt.Sprintf("%d-1", i), 0, "a", fmt.Sprint(i), "b", "x")
		} else {
			mustAdd(t, s, fmt.Sprintf("%d-1", i), 0, "a", fmt.Sprint(i))
		}
	}
	if s.Nodes() != 3 {
		t.Errorf("250 small entries in %d nodes, want 3 (100 per node)", s.Nodes())
	}
	if got := collect(s, ID{3, 0}, ID{4, 1}, false, 0); !slices.Equal(got, []string{"3-1 a=3 b=x", "4-1 a=4"}) {
		t.Errorf("range = %q", got)
	}
	if got := collect(s, ID{99, 0}, ID{102, 0}, true, 0); !slices.Equal(got, []string{"101-1 a=101", "100-1 a=100", "99-1 a=99 b=x"}) {
		t.Errorf("reverse range = %q", got)
	}
	if got := collect(s, ID{}, MaxID, true, 2); !slices.Equal(got, []string{"250-1 a=250", "249-1 a=249 b=x"}) {
		t.Errorf("reverse count 2 = %q", got)
	}
	if n := s.Delete(ID{1, 1}, ID{1, 1}, ID{2, 1}, ID{7, 7}, ID{150, 1}); n != 3 {
		t.Errorf("Delete = %d, want 3", n)
	}
	if s.Len() != 247 || s.FirstID() != (ID{3, 1}) || s.MaxDeletedID() != (ID{150, 1}) || s.EntriesAdded() != 250 || s.LastID() != (ID{250, 1}) {
		t.Errorf("metadata len %d first %v maxdel %v added %d last %v", s.Len(), s.FirstID(), s.MaxDeletedID(), s.EntriesAdded(), s.LastID())
	}
	if s.Has(ID{150, 1}) || !s.Has(ID{151, 1}) {
		t.Error("Has wrong after Delete")
	}
	if got := collect(s, ID{149, 0}, ID{151, 5}, false, 0); !slices.Equal(got, []string{"149-1 a=149", "151-1 a=151"}) {
		t.Errorf("range over tombstone = %q", got)
	}
	if id, fv, ok := s.First(); !ok || id != (ID{3, 1}) || string(fv[1]) != "3" {
		t.Errorf("First = %v %q %v", id, fv, ok)
	}
	if id, _, ok := s.Last(); !ok || id != (ID{250, 1}) {
		t.Errorf("Last = %v %v", id, ok)
	}
	// Deleting every entry of the last node removes it.
	for i := 201; i <= 250; i++ {
		s.Delete(ID{uint64(i), 1})
	}
	if s.Nodes() != 2 {
		t.Errorf("after emptying the tail node: %d nodes, want 2", s.Nodes())
	}
}

func TestTrim(t *testing.T) {
	build := func() *Stream {
		s := New()
		for i := 1; i <= 250; i++ {
			mustAdd(t, s, fmt.Sprint(i), 0, "f", "v")
		}
		return s
	}
	tests := []struct {
		name    string
		trim    Trim
		deleted int64
		first   ID
	}{
		{"maxlen exact", Trim{Strategy: TrimMaxLen, MaxLen: 120}, 130, ID{131, 0}},
		{"maxlen approx keeps a partial node", Trim{Strategy: TrimMaxLen, MaxLen: 120, Approx: true}, 100, ID{101, 0}},
		{"maxlen approx limit", Trim{Strategy: TrimMaxLen, MaxLen: 0, Approx: true, Limit: 150}, 100, ID{101, 0}},
		{"maxlen approx no limit", Trim{Strategy: TrimMaxLen, MaxLen: 0, Approx: true}, 250, ID{}},
		{"maxlen above length", Trim{Strategy: TrimMaxLen, MaxLen: 300}, 0, ID{1, 0}},
		{"minid exact", Trim{Strategy: TrimMinID, MinID: ID{105, 0}}, 104, ID{105, 0}},
		{"minid approx", Trim{Strategy: TrimMinID, MinID: ID{205, 0}, Approx: true}, 200, ID{201, 0}},
		{"minid approx limit", Trim{Strategy: TrimMinID, MinID: ID{205, 0}, Approx: true, Limit: 100}, 100, ID{101, 0}},
		{"none", Trim{}, 0, ID{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build()
			if got := s.Trim(tt.trim); got != tt.deleted {
				t.Errorf("Trim = %d, want %d", got, tt.deleted)
			}
			if s.Len() != 250-int(tt.deleted) || s.FirstID() != tt.first {
				t.Errorf("len %d first %v, want %d %v", s.Len(), s.FirstID(), 250-tt.deleted, tt.first)
			}
			if s.MaxDeletedID() != (ID{}) {
				t.Errorf("trimming set max-deleted-entry-id %v", s.MaxDeletedID())
			}
		})
	}
	// A MINID stop on a tombstone leaves a node with no live entries, as in Redis.
	s := New()
	mustAdd(t, s, "1", 0, "f", "v")
	mustAdd(t, s, "2", 0, "f", "v")
	mustAdd(t, s, "3", 0, "f", "v")
	s.Delete(ID{2, 0})
	if got := s.Trim(Trim{Strategy: TrimMinID, MinID: ID{2, 0}}); got != 1 || s.Len() != 1 || s.FirstID() != (ID{3, 0}) {
		t.Errorf("minid on tombstone: deleted %d len %d first %v", got, s.Len(), s.FirstID())
	}
}

func TestSetID(t *testing.T) {
	s := New()
	mustAdd(t, s, "5", 0, "f", "v")
	mustAdd(t, s, "6", 0, "f", "v")
	tests := []struct {
		id      ID
		added   int64
		maxDel  ID
		err     error
		errText string
	}{
		{id: ID{5, 9}, added: -1, err: ErrSetIDTooSmall, errText: "ERR The ID specified in XSETID is smaller than the target stream top item"},
		{id: ID{9, 0}, added: 1, err: ErrSetIDEntriesAdded, errText: "ERR The entries_added specified in XSETID is smaller than the target stream length"},
		{id: ID{9, 0}, added: 7, maxDel: ID{3, 0}},
	}
	for _, tt := range tests {
		err := s.SetID(tt.id, tt.added, tt.maxDel)
		if !errors.Is(err, tt.err) {
			t.Errorf("SetID(%v, %d, %v) = %v, want %v", tt.id, tt.added, tt.maxDel, err, tt.err)
		}
		if tt.errText != "" && err != nil && err.Error() != tt.errText {
			t.Errorf("error text %q", err)
		}
	}
	if s.LastID() != (ID{9, 0}) || s.EntriesAdded() != 7 || s.MaxDeletedID() != (ID{3, 0}) {
		t.Errorf("after SetID: last %v added %d maxdel %v", s.LastID(), s.EntriesAdded(), s.MaxDeletedID())
	}
	if err := CheckSetIDArgs(ID{1, 0}, ID{5, 0}); err == nil || err.Error() != "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id" {
		t.Errorf("CheckSetIDArgs = %v", err)
	}
	if got := ErrEntriesAddedNegative.Error(); got != "ERR entries_added must be positive" {
		t.Errorf("text %q", got)
	}
}

// TestNodeBytes checks that nodes are cut by stream-node-max-bytes where
// Redis 7.0.15 cuts them (radix-tree-keys, checked with redis-server).
func TestNodeBytes(t *testing.T) {
	s := New()
	big := string(bytes.Repeat([]byte("x"), 1000))
	for i := 1; i <= 9; i++ {
		mustAdd(t, s, fmt.Sprint(i), 0, "f", big)
	}
	if s.Nodes() != 3 {
		t.Errorf("9 entries of 1000 bytes in %d nodes, want 3 (4 per 4096-byte node)", s.Nodes())
	}
	// An unlimited node count with only the entries limit.
	s = New()
	lim := Limits{NodeMaxEntries: 10}
	for i := 1; i <= 25; i++ {
		if _, err := s.Add(lim, AddID{ID: ID{uint64(i), 0}}, 0, fv("f", big)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Nodes() != 3 {
		t.Errorf("25 entries with max-entries 10 in %d nodes, want 3", s.Nodes())
	}
}

func TestCloneIsolation(t *testing.T) {
	s := New()
	for i := 1; i <= 150; i++ {
		mustAdd(t, s, fmt.Sprint(i), 0, "f", fmt.Sprint(i))
	}
	want := collect(s, ID{}, MaxID, false, 0)
	c := s.Clone()
	// Mutate both sides.
	mustAdd(t, s, "200", 0, "f", "s")
	s.Delete(ID{5, 0}, ID{120, 0})
	s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 50})
	mustAdd(t, c, "300", 0, "f", "c")
	c.Delete(ID{7, 0})
	gotS := collect(s, ID{}, MaxID, false, 0)
	gotC := collect(c, ID{}, MaxID, false, 0)
	wantC := slices.Concat(want[:6], want[7:], []string{"300-0 f=c"})
	if !slices.Equal(gotC, wantC) {
		t.Errorf("clone changed by writes to the original:\n got %q", gotC)
	}
	if len(gotS) != 50 || gotS[49] != "200-0 f=s" {
		t.Errorf("original: %d entries, last %q", len(gotS), gotS[len(gotS)-1])
	}
	cc := c.Clone()
	cc.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 0})
	if !slices.Equal(collect(c, ID{}, MaxID, false, 0), wantC) || cc.Len() != 0 {
		t.Error("clone of a clone not isolated")
	}
}

func roundTrip(t *testing.T, s *Stream) *Stream {
	t.Helper()
	b := s.AppendBinary([]byte("prefix"))
	d, err := Decode(b[6:])
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if _, err := Decode(append(b[6:len(b):len(b)], 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Decode with a trailing byte: %v", err)
	}
	if again := d.AppendBinary(nil); !bytes.Equal(again, b[6:]) {
		t.Fatal("re-encoding differs")
	}
	for cut := 0; cut < len(b)-6; cut += 1 + len(b)/50 {
		if _, err := Decode(b[6 : 6+cut]); err == nil {
			t.Fatalf("Decode of %d-byte prefix succeeded", cut)
		}
	}
	return d
}

func TestCodecRoundTrip(t *testing.T) {
	s := New()
	for i := 1; i <= 230; i++ {
		if i%7 == 0 {
			mustAdd(t, s, "*", int64(i), "g", "1", "h", "2")
		} else {
			mustAdd(t, s, "*", int64(i), "f", fmt.Sprint(i))
		}
	}
	s.Delete(ID{10, 0}, ID{150, 0})
	s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 200})
	d := roundTrip(t, s)
	if !slices.Equal(collect(d, ID{}, MaxID, false, 0), collect(s, ID{}, MaxID, false, 0)) {
		t.Error("entries differ after round trip")
	}
	if d.Len() != s.Len() || d.LastID() != s.LastID() || d.FirstID() != s.FirstID() || d.MaxDeletedID() != s.MaxDeletedID() ||
		d.EntriesAdded() != s.EntriesAdded() || d.Nodes() != s.Nodes() {
		t.Error("metadata differs after round trip")
	}
	// Both keep growing identically (same node boundaries and byte model).
	for i := 0; i < 300; i++ {
		a := mustAdd(t, s, "*", 1000, "f", "v")
		b := mustAdd(t, d, "*", 1000, "f", "v")
		if a != b {
			t.Fatal("IDs diverge")
		}
	}
	if d.Nodes() != s.Nodes() || !bytes.Equal(d.AppendBinary(nil), s.AppendBinary(nil)) {
		t.Error("decoded stream grows differently")
	}
	if _, err := Decode([]byte{9}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad version: %v", err)
	}
	if s.MemoryUsage() <= 0 || s.Encoding() != "stream" {
		t.Error("MemoryUsage/Encoding")
	}
}

// model is the obvious implementation: a sorted slice of live entries.
type model struct {
	ents                []modelEnt
	last, first, maxDel ID
	added               uint64
}

type modelEnt struct {
	id ID
	fv string
}

func (m *model) clone() *model {
	c := *m
	c.ents = slices.Clone(m.ents)
	return &c
}

func (m *model) check(t *testing.T, s *Stream, rng *rand.Rand) {
	t.Helper()
	if s.Len() != len(m.ents) || s.LastID() != m.last || s.MaxDeletedID() != m.maxDel || s.EntriesAdded() != m.added || s.FirstID() != m.first {
		t.Fatalf("metadata: len %d/%d last %v/%v maxdel %v/%v added %d/%d first %v/%v",
			s.Len(), len(m.ents), s.LastID(), m.last, s.MaxDeletedID(), m.maxDel, s.EntriesAdded(), m.added, s.FirstID(), m.first)
	}
	start, end := ID{uint64(rng.IntN(300)), uint64(rng.IntN(3))}, ID{uint64(rng.IntN(300)), uint64(rng.IntN(3))}
	rev := rng.IntN(2) == 0
	count := rng.IntN(5)
	var want []string
	for i := range m.ents {
		e := m.ents[i]
		if rev {
			e = m.ents[len(m.ents)-1-i]
		}
		if !e.id.Less(start) && !end.Less(e.id) && (count == 0 || len(want) < count) {
			want = append(want, e.id.String()+" "+e.fv)
		}
	}
	if got := collect(s, start, end, rev, count); !slices.Equal(got, want) {
		t.Fatalf("range %v %v rev=%v count=%d:\n got %q\nwant %q", start, end, rev, count, got, want)
	}
}

func TestRandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lim := Limits{NodeMaxEntries: 7, NodeMaxBytes: 200}
	type pair struct {
		s *Stream
		m *model
	}
	live := []pair{{New(), &model{}}}
	for step := 0; step < 20000; step++ {
		p := live[rng.IntN(len(live))]
		s, m := p.s, p.m
		switch op := rng.IntN(10); {
		case op < 5: // add
			var a AddID
			switch rng.IntN(3) {
			case 0:
				a = AddID{Auto: true}
			case 1:
				a = AddID{AutoSeq: true, ID: ID{m.last.Ms + uint64(rng.IntN(2)), 0}}
			default:
				a = AddID{ID: ID{m.last.Ms + uint64(rng.IntN(2)), uint64(rng.IntN(3))}}
			}
			now := int64(m.last.Ms) + int64(rng.IntN(3)) - 1
			nf := 1 + rng.IntN(2)
			kv := make([]string, 0, 2*nf)
			for i := 0; i < nf; i++ {
				kv = append(kv, fmt.Sprint("f", i*rng.IntN(2)), fmt.Sprint(rng.IntN(1000)))
			}
			id, err := s.Add(lim, a, now, fv(kv...))
			if err != nil {
				if !errors.Is(err, ErrIDTooSmall) || a.Auto {
					t.Fatalf("Add %+v: %v", a, err)
				}
				continue
			}
			if !m.last.Less(id) {
				t.Fatalf("Add gave %v after %v", id, m.last)
			}
			str := ""
			for i := 0; i < len(kv); i += 2 {
				str += kv[i] + "=" + kv[i+1] + " "
			}
			m.ents = append(m.ents, modelEnt{id, str[:len(str)-1]})
			m.last, m.added = id, m.added+1
			if len(m.ents) == 1 {
				m.first = id
			}
		case op < 7: // delete
			var id ID
			if len(m.ents) > 0 && rng.IntN(4) > 0 {
				id = m.ents[rng.IntN(len(m.ents))].id
			} else {
				id = ID{uint64(rng.IntN(300)), 0}
			}
			i := slices.IndexFunc(m.ents, func(e modelEnt) bool { return e.id == id })
			want := 0
			if i >= 0 {
				m.ents = slices.Delete(m.ents, i, i+1)
				want = 1
				if m.maxDel.Less(id) {
					m.maxDel = id
				}
				m.first = ID{}
				if len(m.ents) > 0 {
					m.first = m.ents[0].id
				}
			}
			if got := s.Delete(id); got != want {
				t.Fatalf("Delete(%v) = %d, want %d", id, got, want)
			}
		case op < 8: // trim
			tr := Trim{Strategy: TrimMaxLen, MaxLen: uint64(rng.IntN(40)), Approx: rng.IntN(2) == 0}
			if rng.IntN(2) == 0 {
				tr = Trim{Strategy: TrimMinID, MinID: ID{m.last.Ms - min(m.last.Ms, uint64(rng.IntN(40))), 0}, Approx: tr.Approx}
			}
			if tr.Approx && rng.IntN(2) == 0 {
				tr.Limit = int64(rng.IntN(30))
			}
			got := s.Trim(tr)
			var need int // what an exact trim removes
			for need < len(m.ents) && (tr.Strategy == TrimMaxLen && uint64(len(m.ents)-need) > tr.MaxLen ||
				tr.Strategy == TrimMinID && m.ents[need].id.Less(tr.MinID)) {
				need++
			}
			if !tr.Approx && got != int64(need) || got > int64(need) || tr.Limit > 0 && got > tr.Limit {
				t.Fatalf("Trim %+v removed %d, exact would remove %d", tr, got, need)
			}
			m.ents = m.ents[got:]
			m.first = ID{}
			if len(m.ents) > 0 {
				m.first = m.ents[0].id
			}
		case op < 9: // clone
			if len(live) < 4 {
				live = append(live, pair{s.Clone(), m.clone()})
			} else {
				live[rng.IntN(len(live))] = pair{s.Clone(), m.clone()}
			}
		default: // snapshot round trip
			d, err := Decode(s.AppendBinary(nil))
			if err != nil {
				t.Fatal(err)
			}
			live[rng.IntN(len(live))] = pair{d, m.clone()}
		}
		for _, p := range live {
			p.m.check(t, p.s, rng)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	s := New()
	lim := DefaultLimits()
	args := fv("name", "value-1234567890", "count", "42")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Add(lim, AddID{Auto: true}, int64(i/10), args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRange(b *testing.B) {
	s := New()
	args := fv("name", "value-1234567890", "count", "42")
	for i := 0; i < 100000; i++ {
		s.Add(DefaultLimits(), AddID{Auto: true}, int64(i), args)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := 0
		s.Range(ID{uint64(i % 99000), 0}, MaxID, i%2 == 0, func(ID, [][]byte) bool {
			n++
			return n < 10
		})
	}
}

func FuzzDecode(f *testing.F) {
	s := New()
	for i := 1; i <= 12; i++ {
		if i%3 == 0 {
			mustAdd(f, s, fmt.Sprint(i), 0, "g", "1", "h", "2")
		} else {
			mustAdd(f, s, fmt.Sprint(i), 0, "f", fmt.Sprint(i))
		}
	}
	s.Delete(ID{4, 0})
	s.CreateGroup("g", ID{}, 0)
	s.ReadGroup("g", "c", 5, 3, false, func(ID, [][]byte) {})
	f.Add(s.AppendBinary(nil))
	f.Add(New().AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		collect(d, ID{}, MaxID, false, 0)
		collect(d, ID{}, MaxID, true, 0)
		d.Groups(func(GroupInfo) bool { return true })
		d.ReadGroup("g", "c", 9, 0, false, func(ID, [][]byte) {})
		d.ReadHistory("g", "c", ID{}, 9, 0, func(ID, [][]byte) {})
		d.AppendBinary(nil)
	})
}
