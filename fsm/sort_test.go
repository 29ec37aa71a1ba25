package fsm

import "testing"

func TestSortScores(t *testing.T) {
	for in, want := range map[string]bool{
		"1": true, " 1": true, "\t-2.5": true, "": true, "inf": true, "-inf": true, "1e308": true,
		"1e400": false, "-1e400": false, "nan": false, "1 ": false, "x": false, "1x": false,
	} {
		if _, ok := sortScore([]byte(in)); ok != want {
			t.Errorf("sortScore(%q) ok = %v, want %v", in, ok, want)
		}
	}
	n := newNode()
	n.do(t, scriptTime, "rpush big 1 1e400")
	if got := n.do(t, scriptTime, "sort big").String(); got != "(error) ERR One or more scores can't be converted into double" {
		t.Errorf("SORT of 1e400 = %s", got)
	}
}

// TestListPopPutBack: a served BLPOP, BRPOP or BLMPOP whose client never
// got its reply gives the elements back to the end they came from, in
// their order.
func TestListPopPutBack(t *testing.T) {
	for name, tc := range map[string]struct{ block, want string }{
		"blpop":        {"blpop q 0", `["a" "b" "c" "d"]`},
		"brpop":        {"brpop q 0", `["a" "b" "c" "d"]`},
		"blmpop left":  {"blmpop 0 1 q left count 3", `["a" "b" "c" "d"]`},
		"blmpop right": {"blmpop 0 1 q right count 3", `["a" "b" "c" "d"]`},
	} {
		t.Run(name, func(t *testing.T) {
			n := newNode()
			var events []Event
			n.store.SetEventSink(func(ev Event) { events = append(events, ev) })
			id := WaiterID{Node: 1, Session: 7, Seq: 1}
			cmd := parseLine(t, scriptTime, tc.block).WithWaiter(id)
			n.index++
			if r := n.store.Apply(n.index, cmd.AppendBinary(nil)).(Reply); r.Kind != KindBlocked {
				t.Fatalf("%s = %s, want blocked", tc.block, r)
			}
			n.do(t, scriptTime, "rpush q a b c d")
			if len(events) != 1 || !events[0].InFlight {
				t.Fatalf("events %+v, want one delivery in flight", events)
			}
			n.index++
			if r := n.store.Apply(n.index, NewReturn(id, scriptTime).AppendBinary(nil)).(Reply); r.String() != "(integer) 1" {
				t.Fatalf("NewReturn = %s", r)
			}
			if got := n.do(t, scriptTime, "lrange q 0 -1").String(); got != tc.want {
				t.Errorf("list after the return = %s, want %s", got, tc.want)
			}
			// Returned once: a second return, or an ack, finds nothing.
			n.index++
			if r := n.store.Apply(n.index, NewAck(id, scriptTime).AppendBinary(nil)).(Reply); r.String() != "(integer) 0" {
				t.Errorf("NewAck after the return = %s", r)
			}
		})
	}
}

// TestDropWaitersPutsBack: a node's restart (a new session) puts back its
// old sessions' deliveries; dropping an unreachable node's waiters does
// not.
func TestDropWaitersPutsBack(t *testing.T) {
	for name, tc := range map[string]struct {
		waitersOnly bool
		want        string
	}{
		"session ended": {false, `["x"]`},
		"unreachable":   {true, "[]"},
	} {
		t.Run(name, func(t *testing.T) {
			n := newNode()
			id := WaiterID{Node: 3, Session: 7, Seq: 1}
			n.index++
			n.store.Apply(n.index, parseLine(t, scriptTime, "blpop q 0").WithWaiter(id).AppendBinary(nil))
			n.do(t, scriptTime, "rpush q x")
			n.index++
			n.store.Apply(n.index, NewDropWaiters(3, 8, tc.waitersOnly, scriptTime).AppendBinary(nil))
			if got := n.do(t, scriptTime, "lrange q 0 -1").String(); got != tc.want {
				t.Errorf("list = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestZSetPopPutBack: a served BZPOPMIN, BZPOPMAX or BZMPOP whose client
// never got its reply gives the members back with their scores.
func TestZSetPopPutBack(t *testing.T) {
	for _, block := range []string{"bzpopmin z 0", "bzpopmax z 0", "bzmpop 0 1 z min count 2", "bzmpop 0 1 z max count 5"} {
		t.Run(block, func(t *testing.T) {
			n := newNode()
			var events []Event
			n.store.SetEventSink(func(ev Event) { events = append(events, ev) })
			id := WaiterID{Node: 1, Session: 7, Seq: 1}
			n.index++
			if r := n.store.Apply(n.index, parseLine(t, scriptTime, block).WithWaiter(id).AppendBinary(nil)).(Reply); r.Kind != KindBlocked {
				t.Fatalf("%s = %s, want blocked", block, r)
			}
			n.do(t, scriptTime, "zadd z 1 a 2.5 b inf c")
			if len(events) != 1 || !events[0].InFlight {
				t.Fatalf("events %+v, want one delivery in flight", events)
			}
			n.index++
			n.store.Apply(n.index, NewReturn(id, scriptTime).AppendBinary(nil))
			want := `["a" 1 "b" 2.5 "c" inf]`
			if got := n.do(t, scriptTime, "zrange z 0 -1 withscores").String(); got != want {
				t.Errorf("sorted set after the return = %s, want %s", got, want)
			}
		})
	}
}
