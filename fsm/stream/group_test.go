package stream

import (
	"errors"
	"slices"
	"testing"
)

// groupStream is 1-0..5-0 with group g that delivered all five to c at
// time 100.
func groupStream(t *testing.T) *Stream {
	t.Helper()
	s := New()
	for i := 1; i <= 5; i++ {
		mustAdd(t, s, string(rune('0'+i)), 0, "f", "v")
	}
	if err := s.CreateGroup("g", ID{}, EntriesReadUnknown); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ReadGroup("g", "c", 100, 0, false, func(ID, [][]byte) {}); n != 5 || err != nil {
		t.Fatalf("ReadGroup = %d, %v", n, err)
	}
	return s
}

func ids(t *testing.T, s ...string) []ID {
	var out []ID
	for _, x := range s {
		id, err := ParseStrictID([]byte(x), 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func TestGroupErrors(t *testing.T) {
	s := groupStream(t)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create existing", s.CreateGroup("g", ID{}, 0), ErrBusyGroup},
		{"setid missing", s.SetGroupID("nog", ID{}, 0), ErrNoGroup},
		{"read missing", second(s.ReadGroup("nog", "c", 0, 0, false, nil)), ErrNoGroup},
		{"history missing", second(s.ReadHistory("nog", "c", ID{}, 0, 0, nil)), ErrNoGroup},
		{"delconsumer missing", second(s.DeleteConsumer("nog", "c")), ErrNoGroup},
		{"createconsumer missing", second(s.CreateConsumer("nog", "c", 0)), ErrNoGroup},
		{"pending missing", second(s.PendingSummary("nog")), ErrNoGroup},
		{"claim missing", second(s.Claim("nog", "c", 0, nil, ClaimOptions{})), ErrNoGroup},
		{"consumers missing", s.Consumers("nog", func(ConsumerInfo) bool { return true }), ErrNoGroup},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	texts := map[error]string{
		ErrBusyGroup:            "BUSYGROUP Consumer Group name already exists",
		ErrEntriesRead:          "ERR value for ENTRIESREAD must be positive or -1",
		NoGroupError("k", "g"):  "NOGROUP No such consumer group 'g' for key name 'k'",
		ErrDollarInGroup:        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
		ErrGTWithoutGroup:       "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
		ErrLimitNeedsApprox:     "ERR syntax error, LIMIT cannot be used without the special ~ option",
		ErrTooLarge:             "ERR Elements are too large to be stored",
		ErrSetIDBelowMaxDeleted: "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
	}
	for err, want := range texts {
		if err.Error() != want {
			t.Errorf("error text %q, want %q", err, want)
		}
	}
	if _, _, _, err := s.AutoClaim("nog", "c", 0, 0, ID{}, 1, false); !errors.Is(err, ErrNoGroup) {
		t.Errorf("autoclaim missing: %v", err)
	}
	if n := s.Ack("nog", ID{1, 0}); n != 0 {
		t.Errorf("Ack on a missing group = %d", n)
	}
}

func second[T any](_ T, err error) error { return err }

// TestGroupScenarios replays sessions run against redis-server 7.0.15.
func TestGroupScenarios(t *testing.T) {
	s := groupStream(t)
	// History after 2-0 skips 1-0 and 2-0; a deleted entry comes back as nil.
	s.Delete(ID{3, 0})
	var got []string
	s.ReadHistory("g", "c", ID{2, 0}, 200, 0, func(id ID, fv [][]byte) {
		got = append(got, id.String()+map[bool]string{true: " nil", false: ""}[fv == nil])
	})
	if want := []string{"3-0 nil", "4-0", "5-0"}; !slices.Equal(got, want) {
		t.Errorf("history = %q, want %q", got, want)
	}
	p, _ := s.Pending("g", PendingQuery{Start: ID{}, End: MaxID, Count: 10})
	if p[3].DeliveryCount != 2 || p[3].DeliveryTime != 200 || p[2].DeliveryCount != 1 || p[2].DeliveryTime != 100 {
		t.Errorf("history delivery counts/times: %+v", p)
	}
	// XAUTOCLAIM: cursor is the next unexamined ID; a deleted entry is
	// dropped from the PEL, reported, and counts against COUNT.
	claimed, next, deleted, _ := s.AutoClaim("g", "d", 300, 0, ID{}, 1, false)
	if !slices.Equal(claimed, ids(t, "1-0")) || next != (ID{2, 0}) || deleted != nil {
		t.Errorf("autoclaim 1: %v %v %v", claimed, next, deleted)
	}
	claimed, next, deleted, _ = s.AutoClaim("g", "d", 300, 0, ID{3, 0}, 1, false)
	if claimed != nil || next != (ID{4, 0}) || !slices.Equal(deleted, ids(t, "3-0")) {
		t.Errorf("autoclaim 2: %v %v %v", claimed, next, deleted)
	}
	claimed, next, _, _ = s.AutoClaim("g", "d", 300, 0, ID{5, 0}, 5, true)
	if !slices.Equal(claimed, ids(t, "5-0")) || next != (ID{}) {
		t.Errorf("autoclaim 3: %v %v", claimed, next)
	}
	// MIN-IDLE: 2-0 was delivered at 100, 4-0 at 200.
	claimed, _, _, _ = s.AutoClaim("g", "e", 350, 200, ID{}, 10, true)
	if !slices.Equal(claimed, ids(t, "2-0")) {
		t.Errorf("autoclaim min-idle: %v", claimed)
	}
	sum, _ := s.PendingSummary("g")
	if sum.Count != 4 || sum.Min != (ID{1, 0}) || sum.Max != (ID{5, 0}) ||
		!slices.Equal(sum.Consumers, []ConsumerPending{{"c", 1}, {"d", 2}, {"e", 1}}) {
		t.Errorf("summary %+v", sum)
	}
	// XCLAIM FORCE on an ID not pending: created with count 1, then
	// incremented (2); with JUSTID not incremented.
	s2 := groupStream(t)
	s2.Ack("g", ID{1, 0}, ID{2, 0})
	claimed, _ = s2.Claim("g", "x", 500, ids(t, "1-0", "2-0", "9-0"), ClaimOptions{Force: true, RetryCount: -1})
	if !slices.Equal(claimed, ids(t, "1-0", "2-0")) {
		t.Errorf("force claim = %v", claimed)
	}
	claimed, _ = s2.Claim("g", "y", 600, ids(t, "1-0"), ClaimOptions{JustID: true, RetryCount: -1, HasDeliveryTime: true, DeliveryTime: 550})
	p, _ = s2.Pending("g", PendingQuery{End: MaxID, Count: 2})
	if p[0].DeliveryCount != 2 || p[0].Consumer != "y" || p[0].DeliveryTime != 550 || p[1].DeliveryCount != 2 || p[1].Consumer != "x" {
		t.Errorf("after claims: %+v", p)
	}
	// A claim with a min-idle not reached claims nothing and does not create
	// or refresh the consumer.
	claimed, _ = s2.Claim("g", "z", 600, ids(t, "3-0"), ClaimOptions{MinIdle: 1000, RetryCount: -1})
	var names []string
	s2.Consumers("g", func(c ConsumerInfo) bool { names = append(names, c.Name); return true })
	if claimed != nil || !slices.Equal(names, []string{"c", "x", "y"}) {
		t.Errorf("idle claim %v, consumers %v", claimed, names)
	}
	if n, _ := s2.DeleteConsumer("g", "c"); n != 3 {
		t.Errorf("DeleteConsumer = %d, want 3", n)
	}
	if sum, _ := s2.PendingSummary("g"); sum.Count != 2 {
		t.Errorf("pending after DeleteConsumer %d", sum.Count)
	}
}

func TestGroupLag(t *testing.T) {
	s := New()
	mustAdd(t, s, "1", 0, "a", "b")
	mustAdd(t, s, "2", 0, "a", "b")
	s.Delete(ID{1, 0}, ID{2, 0})
	s.CreateGroup("g", ID{}, EntriesReadUnknown)
	s.CreateGroup("h", s.LastID(), EntriesReadUnknown)
	for _, name := range []string{"g", "h"} {
		gi, _ := s.Group(name)
		if gi.EntriesRead != EntriesReadUnknown || !gi.LagValid || gi.Lag != 0 {
			t.Errorf("%s: %+v, want entries-read nil, lag 0", name, gi)
		}
	}
	// entries-read is counted while reading without tombstones ahead.
	s = New()
	for i := 1; i <= 4; i++ {
		mustAdd(t, s, string(rune('0'+i)), 0, "a", "b")
	}
	s.CreateGroup("g", ID{}, 0)
	s.ReadGroup("g", "c", 0, 1, true, func(ID, [][]byte) {})
	if gi, _ := s.Group("g"); gi.EntriesRead != 1 || gi.Lag != 3 || !gi.LagValid {
		t.Errorf("after one read: %+v", gi)
	}
	s.Delete(ID{3, 0})
	if gi, _ := s.Group("g"); gi.LagValid {
		t.Errorf("lag with a tombstone ahead: %+v", gi)
	}
	s.ReadGroup("g", "c", 0, 0, true, func(ID, [][]byte) {})
	if gi, _ := s.Group("g"); gi.EntriesRead != 4 || gi.Lag != 0 || !gi.LagValid {
		t.Errorf("read to the end: %+v", gi)
	}
}

func TestGroupCloneAndCodec(t *testing.T) {
	s := groupStream(t)
	s.CreateGroup("a", ID{2, 0}, 2)
	s.ReadGroup("a", "z", 7, 1, false, func(ID, [][]byte) {})
	before := s.AppendBinary(nil)
	c := s.Clone()
	scribble(c, DefaultLimits())
	if string(s.AppendBinary(nil)) != string(before) {
		t.Error("writes to a clone changed the original")
	}
	d := roundTrip(t, s)
	if string(d.AppendBinary(nil)) != string(before) {
		t.Error("round trip differs")
	}
	scribble(s, DefaultLimits())
	scribble(d, DefaultLimits())
	if string(s.AppendBinary(nil)) != string(d.AppendBinary(nil)) {
		t.Error("decoded stream diverges under the same writes")
	}
	if d.MemoryUsage() <= New().MemoryUsage() {
		t.Error("MemoryUsage does not count groups")
	}
}

// BenchmarkReadAck is XREADGROUP of one entry then XACK of it, with a
// standing PEL of 10000 entries.
func BenchmarkReadAck(b *testing.B) {
	s := New()
	lim := DefaultLimits()
	args := fv("name", "value")
	for i := 0; i < 10000; i++ {
		s.Add(lim, AddID{Auto: true}, int64(i), args)
	}
	s.CreateGroup("g", ID{}, 0)
	s.ReadGroup("g", "c", 0, 0, false, func(ID, [][]byte) {})
	b.ReportAllocs()
	var got ID
	for i := 0; b.Loop(); i++ {
		id, _ := s.Add(lim, AddID{Auto: true}, int64(10000+i), args)
		s.ReadGroup("g", "c", int64(i), 1, false, func(id ID, _ [][]byte) { got = id })
		if s.Ack("g", got) != 1 || got != id {
			b.Fatal("ack failed")
		}
	}
}
