package fsm

import (
	"bytes"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/raftcache/raftcache/fsm/stream"
)

// streamScripts run locally (TestStreamScripts) and against redis-server
// (TestStreamScriptsAgainstRedis). Their IDs are explicit: auto IDs come
// from the entry's time, which Redis takes from its clock.
var streamScripts = []script{
	{name: "xadd xlen xrange", steps: []step{
		{"XADD s 1-1 a 1", `"1-1"`},
		{"XADD s 1-1 a 1", "(error) ERR The ID specified in XADD is equal or smaller than the target stream top item"},
		{"XADD s 1-* b 2", `"1-2"`},
		{"XADD s 3 c 3 d 4", `"3-0"`},
		{"XLEN s", "(integer) 3"},
		{"XLEN nokey", "(integer) 0"},
		{"XRANGE s - +", `[["1-1" ["a" "1"]] ["1-2" ["b" "2"]] ["3-0" ["c" "3" "d" "4"]]]`},
		{"XREVRANGE s + - COUNT 2", `[["3-0" ["c" "3" "d" "4"]] ["1-2" ["b" "2"]]]`},
		{"XRANGE s (1-1 (3-0", `[["1-2" ["b" "2"]]]`},
		{"XRANGE s - + COUNT 0", "(nil)"},
		{"XRANGE nokey - +", "[]"},
		{"XRANGE s x +", "(error) ERR Invalid stream ID specified as stream command argument"},
		{"XREVRANGE s x y", "(error) ERR Invalid stream ID specified as stream command argument"},
		{"XADD s 0-0 a", "(error) ERR wrong number of arguments for 'xadd' command"},
		{"XADD s 0-0 a b", "(error) ERR The ID specified in XADD must be greater than 0-0"},
		{"XADD s MAXLEN 1 LIMIT 5 9 a b", "(error) ERR syntax error, LIMIT cannot be used without the special ~ option"},
		{"XADD s LIMIT 5 9 a b", "(error) ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"},
		{"XADD nokey NOMKSTREAM 1 a b", "(nil)"},
		{"EXISTS nokey", "(integer) 0"},
		{"SET str v", "OK"},
		{"XADD str 1 a b", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"XADD str 0-0 a b", "(error) ERR The ID specified in XADD must be greater than 0-0"},
		{"XRANGE str x +", "(error) ERR Invalid stream ID specified as stream command argument"},
		{"XRANGE str - +", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"XADD m 5-18446744073709551615 a b", `"5-18446744073709551615"`},
		{"XADD m 5-* a b", "(error) ERR Elements are too large to be stored"},
	}},
	{name: "xdel xtrim keep an empty stream", steps: []step{
		{"XADD s 1-1 a 1", `"1-1"`},
		{"XADD s 2-1 a 2", `"2-1"`},
		{"XDEL s 1-1 2-1 3-1", "(integer) 2"},
		{"EXISTS s", "(integer) 1"},
		{"TYPE s", "stream"},
		{"XLEN s", "(integer) 0"},
		{"XADD s 2-1 a 2", "(error) ERR The ID specified in XADD is equal or smaller than the target stream top item"},
		{"XADD s 3-1 a 3", `"3-1"`},
		{"XADD s 4-1 a 4", `"4-1"`},
		{"XTRIM s MAXLEN 1", "(integer) 1"},
		{"XTRIM s MINID 5", "(integer) 1"},
		{"EXISTS s", "(integer) 1"},
		{"XDEL s x", "(error) ERR Invalid stream ID specified as stream command argument"},
		{"XDEL nokey x", "(integer) 0"},
		{"XTRIM nokey MAXLEN 0", "(integer) 0"},
		{"XTRIM s", "(error) ERR wrong number of arguments for 'xtrim' command"},
		{"XTRIM s FOO 1", syntaxErr},
		{"XTRIM s LIMIT 1 MAXLEN ~ 1", "(integer) 0"},
		{"DEL s", "(integer) 1"},
	}},
	{name: "xread", steps: []step{
		{"XADD s 1-1 a 1", `"1-1"`},
		{"XADD t 2-1 b 2", `"2-1"`},
		{"XREAD STREAMS s t 0 0", `["s" [["1-1" ["a" "1"]]] "t" [["2-1" ["b" "2"]]]]`},
		{"XREAD COUNT 1 STREAMS s t 1-1 0", `["t" [["2-1" ["b" "2"]]]]`},
		{"XREAD STREAMS s $", "(nil)"},
		{"XREAD STREAMS nokey 0", "(nil)"},
		{"XREAD STREAMS s >", "(error) ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."},
		{"XREAD STREAMS s", "(error) ERR wrong number of arguments for 'xread' command"},
		{"XREAD STREAMS s t 0", "(error) ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."},
		{"XREAD BLOCK -1 STREAMS s 0", "(error) ERR timeout is negative"},
		{"XREAD BLOCK x STREAMS s 0", "(error) ERR timeout is not an integer or out of range"},
		{"XREAD BLOCK 0 STREAMS s 0", `["s" [["1-1" ["a" "1"]]]]`},
		{"SET str v", "OK"},
		{"XREAD STREAMS s str x 0", "(error) ERR Invalid stream ID specified as stream command argument"},
		{"XREAD STREAMS str s 0 x", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
	}},
}

func TestStreamScripts(t *testing.T) {
	for _, sc := range streamScripts {
		t.Run(sc.name, func(t *testing.T) {
			n := newNode()
			for i, st := range sc.steps {
				if got := n.do(t, scriptTime, st.cmd).String(); got != st.want {
					t.Errorf("step %d: %s\n got %s\nwant %s", i, st.cmd, got, st.want)
				}
			}
		})
	}
}

func TestStreamScriptsAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	redis := redistest.Start(t)
	for _, sc := range streamScripts {
		t.Run(sc.name, func(t *testing.T) {
			redis.Raw("FLUSHALL")
			n := newNode()
			for i, st := range sc.steps {
				args := splitArgs(st.cmd)
				want := redis.Raw(args...)
				got := appendRESP2(nil, n.doArgs(t, time.Now().UnixMilli(), args))
				if !bytes.Equal(got, want) {
					t.Errorf("step %d: %s\n fsm   %q\n redis %q", i, st.cmd, got, want)
				}
			}
		})
	}
}

// TestEmptyStreamSnapshot: an empty stream is a key like any other, in a
// snapshot too, while an empty collection of another type cannot decode.
func TestEmptyStreamSnapshot(t *testing.T) {
	src := newNode()
	for _, line := range []string{"XADD s 5-1 a 1", "XDEL s 5-1", "XADD t 1-1 a 1", "XTRIM t MAXLEN 0"} {
		if r := src.do(t, scriptTime, line); r.IsError() {
			t.Fatalf("%s: %s", line, r)
		}
	}
	snap := snapshotBytes(t, src.store)
	dst := newNode()
	if err := dst.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	for cmd, want := range map[string]string{
		"EXISTS s t":     "(integer) 2",
		"XLEN s":         "(integer) 0",
		"XADD s 5-1 a 1": "(error) ERR The ID specified in XADD is equal or smaller than the target stream top item",
		"XADD t 1-2 a 1": `"1-2"`,
	} {
		if got := dst.do(t, scriptTime, cmd).String(); got != want {
			t.Errorf("after restore %s = %s, want %s", cmd, got, want)
		}
	}
	empty := streamValue{stream.New()}
	if !dropsWhenEmpty(emptyList{}) || dropsWhenEmpty(empty) {
		t.Errorf("dropsWhenEmpty: a plain empty collection must go, an empty stream must stay")
	}
}

// emptyList is an empty collection that does not keep empty.
type emptyList struct{}

func (emptyList) Len() int                     { return 0 }
func (emptyList) Clone() collection            { return emptyList{} }
func (emptyList) MemoryUsage() int             { return 0 }
func (emptyList) Encoding() string             { return "quicklist" }
func (emptyList) AppendBinary(b []byte) []byte { return b }

// blockTest applies commands to a Store as the log would and collects the
// Events of served waiters.
type blockTest struct {
	t      *testing.T
	s      *Store
	index  uint64
	events []Event
}

func newBlockTest(t *testing.T) *blockTest {
	bt := &blockTest{t: t, s: New()}
	bt.s.SetEventSink(func(e Event) { bt.events = append(bt.events, e) })
	return bt
}

// apply runs line; seq, when not 0, blocks it as waiter {1, 1, seq}.
func (bt *blockTest) apply(line string, seq uint64) Reply {
	bt.t.Helper()
	c := parseLine(bt.t, scriptTime+int64(bt.index), line)
	if seq != 0 {
		if !c.IsBlocking() {
			bt.t.Fatalf("%s is not blocking", line)
		}
		c = c.WithWaiter(WaiterID{Node: 1, Session: 1, Seq: seq})
	}
	bt.index++
	if !c.IsWrite() {
		return bt.s.Read(c, scriptTime+int64(bt.index))
	}
	return bt.s.Apply(bt.index, c.AppendBinary(nil)).(Reply)
}

// take returns the events since the last take, as "seq: reply".
func (bt *blockTest) take() []string {
	var out []string
	for _, e := range bt.events {
		out = append(out, strconv.FormatUint(e.Waiter.Seq, 10)+": "+e.Reply.String())
	}
	bt.events = nil
	return out
}

func TestXReadBlock(t *testing.T) {
	bt := newBlockTest(t)
	steps := []struct {
		line   string
		seq    uint64
		want   string
		events []string
	}{
		{line: "XADD s 1-1 a 1", want: `"1-1"`},
		{line: "XREAD BLOCK 0 STREAMS s 0", seq: 1, want: `["s" [["1-1" ["a" "1"]]]]`},
		{line: "XREAD BLOCK 0 STREAMS s $", seq: 2, want: "(blocked)"},
		{line: "XREAD BLOCK 100 STREAMS nokey s $ 1-1", seq: 3, want: "(blocked)"},
		{line: "XREAD BLOCK 0 STREAMS s x", seq: 4, want: "(error) ERR Invalid stream ID specified as stream command argument"},
		{line: "XADD other 1-1 a 1", want: `"1-1"`},
		{line: "XADD s 2-1 b 2", want: `"2-1"`, events: []string{
			`2: ["s" [["2-1" ["b" "2"]]]]`, `3: ["s" [["2-1" ["b" "2"]]]]`}},
		{line: "XADD s 3-1 c 3", want: `"3-1"`},
		{line: "XREAD BLOCK 0 STREAMS nokey $", seq: 5, want: "(blocked)"},
		{line: "SET nokey v", want: "OK"},
		{line: "DEL nokey", want: "(integer) 1"},
		{line: "XADD nokey 1-1 k v", want: `"1-1"`, events: []string{`5: ["nokey" [["1-1" ["k" "v"]]]]`}},
	}
	for i, st := range steps {
		r := bt.apply(st.line, st.seq)
		got := r.String()
		if r.Kind == KindBlocked {
			got = "(blocked)"
		}
		if got != st.want {
			t.Errorf("step %d: %s = %s, want %s", i, st.line, got, st.want)
		}
		if ev := bt.take(); !slices.Equal(ev, st.events) {
			t.Errorf("step %d: %s: events %q, want %q", i, st.line, ev, st.events)
		}
	}
	if n := bt.s.Waiters(); n != 0 {
		t.Errorf("%d waiters left", n)
	}
}

// TestXReadBlockCount: a waiting XREAD without COUNT gets Redis's 1000,
// one served at once gets everything.
func TestXReadBlockCount(t *testing.T) {
	bt := newBlockTest(t)
	bt.apply("XREAD BLOCK 0 STREAMS s $", 1)
	var multi []Command
	for i := 1; i <= 1001; i++ {
		multi = append(multi, parseLine(t, scriptTime, "XADD s "+strconv.Itoa(i)+"-1 f v"))
	}
	bt.index++
	bt.s.Apply(bt.index, NewMulti(multi, nil).AppendBinary(nil))
	if len(bt.events) != 1 || len(bt.events[0].Reply.Elems) != 2 || len(bt.events[0].Reply.Elems[1].Elems) != xreadBlockedCount {
		t.Fatalf("a blocked XREAD got %v", bt.events)
	}
	r := bt.apply("XREAD BLOCK 0 STREAMS s 0", 2)
	if len(r.Elems) != 2 || len(r.Elems[1].Elems) != 1001 {
		t.Fatalf("an XREAD BLOCK served at once got %d entries", len(r.Elems[1].Elems))
	}
}

// TestXReadBlockSnapshot: a waiter survives a snapshot and is served on
// the restored store as on the original.
func TestXReadBlockSnapshot(t *testing.T) {
	bt := newBlockTest(t)
	bt.apply("XADD s 1-1 a 1", 0)
	bt.apply("XREAD BLOCK 0 STREAMS s $", 7)
	snap := snapshotBytes(t, bt.s)
	restored := newBlockTest(t)
	if err := restored.s.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	restored.index = bt.index
	for _, b := range []*blockTest{bt, restored} {
		b.apply("XADD s 2-1 b 2", 0)
		if ev := b.take(); !slices.Equal(ev, []string{`7: ["s" [["2-1" ["b" "2"]]]]`}) {
			t.Errorf("events %q", ev)
		}
	}
}

func TestXReadGroupBlock(t *testing.T) {
	bt := newBlockTest(t)
	steps := []struct {
		line   string
		seq    uint64
		want   string
		events []string
	}{
		{line: "XGROUP CREATE s g $ MKSTREAM", want: "OK"},
		{line: "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", seq: 1, want: "(blocked)"},
		{line: "XREADGROUP GROUP g c2 BLOCK 0 COUNT 1 STREAMS s >", seq: 2, want: "(blocked)"},
		{line: "XREADGROUP GROUP g c3 BLOCK 0 STREAMS s 0", seq: 3, want: `["s" []]`},
		{line: "XREADGROUP GROUP nog c BLOCK 0 STREAMS s >", seq: 4,
			want: "(error) NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"},
		// One entry: the first waiter takes it, the second keeps waiting.
		{line: "XADD s 1-1 a 1", want: `"1-1"`, events: []string{`1: ["s" [["1-1" ["a" "1"]]]]`}},
		{line: "XPENDING s g - + 10 c1", want: `[["1-1" "c1" (integer) 2 (integer) 1]]`},
		{line: "XADD s 2-1 b 2", want: `"2-1"`, events: []string{`2: ["s" [["2-1" ["b" "2"]]]]`}},
		{line: "XPENDING s g", want: `[(integer) 2 "1-1" "2-1" [["c1" "1"] ["c2" "1"]]]`},
		{line: "XREADGROUP GROUP g c1 NOACK BLOCK 0 STREAMS s >", seq: 5, want: "(blocked)"},
		{line: "XADD s 3-1 c 3", want: `"3-1"`, events: []string{`5: ["s" [["3-1" ["c" "3"]]]]`}},
		{line: "XPENDING s g", want: `[(integer) 2 "1-1" "2-1" [["c1" "1"] ["c2" "1"]]]`},
		// A destroyed group and a deleted stream end the wait with Redis's errors.
		{line: "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", seq: 6, want: "(blocked)"},
		{line: "XGROUP DESTROY s g", want: "(integer) 1",
			events: []string{"6: (error) NOGROUP the consumer group this client was blocked on no longer exists"}},
		{line: "XGROUP CREATE s g $", want: "OK"},
		{line: "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", seq: 7, want: "(blocked)"},
		{line: "XREAD BLOCK 0 STREAMS s $", seq: 8, want: "(blocked)"},
		{line: "DEL s", want: "(integer) 1", events: []string{"7: (error) UNBLOCKED the stream key no longer exists"}},
		{line: "XADD s 9-1 z 9", want: `"9-1"`, events: []string{`8: ["s" [["9-1" ["z" "9"]]]]`}},
	}
	for i, st := range steps {
		r := bt.apply(st.line, st.seq)
		got := r.String()
		if r.Kind == KindBlocked {
			got = "(blocked)"
		}
		if got != st.want {
			t.Errorf("step %d: %s = %s, want %s", i, st.line, got, st.want)
		}
		if ev := bt.take(); !slices.Equal(ev, st.events) {
			t.Errorf("step %d: %s: events %q, want %q", i, st.line, ev, st.events)
		}
	}
	if n := bt.s.Waiters(); n != 0 {
		t.Errorf("%d waiters left", n)
	}
}

// TestStreamGroupsSnapshot: groups, consumers, PELs and a blocked
// XREADGROUP survive a snapshot; the restored store answers and serves
// exactly as the original.
func TestStreamGroupsSnapshot(t *testing.T) {
	bt := newBlockTest(t)
	for _, line := range []string{
		"XADD s 1-1 a 1", "XADD s 2-1 b 2", "XGROUP CREATE s g 0", "XGROUP CREATE s h $ ENTRIESREAD 2",
		"XREADGROUP GROUP g c1 COUNT 1 STREAMS s >", "XGROUP CREATECONSUMER s h idle",
		"XGROUP CREATE e g $ MKSTREAM", "XREADGROUP GROUP g c2 STREAMS s >", "XACK s g 2-1",
	} {
		if r := bt.apply(line, 0); r.IsError() {
			t.Fatalf("%s: %s", line, r)
		}
	}
	bt.apply("XREADGROUP GROUP g c3 BLOCK 0 STREAMS s e > >", 9)
	snap := snapshotBytes(t, bt.s)
	restored := newBlockTest(t)
	if err := restored.s.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if again := snapshotBytes(t, restored.s); !bytes.Equal(again, snap) {
		t.Fatal("the restored store snapshots differently")
	}
	restored.index = bt.index
	for _, line := range []string{"XINFO STREAM s FULL", "XINFO STREAM e FULL", "XINFO GROUPS s", "XPENDING s g - + 10"} {
		a, b := bt.apply(line, 0).String(), restored.apply(line, 0).String()
		if a != b {
			t.Errorf("%s: restored %s, original %s", line, b, a)
		}
	}
	for _, b := range []*blockTest{bt, restored} {
		b.apply("XADD e 1-1 x y", 0)
		if ev := b.take(); !slices.Equal(ev, []string{`9: ["e" [["1-1" ["x" "y"]]]]`}) {
			t.Errorf("events %q", ev)
		}
		if got := b.apply("XPENDING e g", 0).String(); got != `[(integer) 1 "1-1" "1-1" [["c3" "1"]]]` {
			t.Errorf("XPENDING e g = %s", got)
		}
	}
}
