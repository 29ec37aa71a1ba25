package fsm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestListBlocking(t *testing.T) {
	cases := []struct {
		name  string
		steps []blockStep
	}{
		{"served at once, no waiter left", []blockStep{
			{cmd: "RPUSH a x y"},
			{block: 1, cmd: "BLPOP a 0", want: `["a" "x"]`},
			{block: 2, cmd: "BRPOP a 0", want: `["a" "y"]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
		}},
		{"FIFO on one key", []blockStep{
			{block: 1, cmd: "BLPOP a 0", want: blocked},
			{block: 2, cmd: "BRPOP a 0", want: blocked},
			{block: 3, cmd: "BLPOP a 0", want: blocked},
			{cmd: "RPUSH a x y", want: "(integer) 2", events: `1 ["a" "x"]; 2 ["a" "y"]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
			{cmd: "RPUSH a z", want: "(integer) 1", events: `3 ["a" "z"]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
		}},
		{"one waiter on several keys is served once", []blockStep{
			{block: 1, cmd: "BLPOP a b c 0", want: blocked},
			{cmd: "MSET x 1"},
			{cmd: "RPUSH c 1", want: "(integer) 1", events: `1 ["c" "1"]`},
			{cmd: "RPUSH b 2", want: "(integer) 1"},
			{cmd: "LRANGE b 0 -1", want: `["2"]`},
		}},
		{"served from the key made ready first", []blockStep{
			{block: 1, cmd: "BLPOP a b 0", want: blocked},
			{cmd: "MULTI-EXEC RPUSH b x | RPUSH a y", events: `1 ["b" "x"]`},
			{cmd: "LRANGE a 0 -1", want: `["y"]`},
		}},
		{"a waited key of another type keeps it waiting", []blockStep{
			{block: 1, cmd: "BLPOP a b 0", want: blocked},
			{cmd: "SET a v", want: "OK"},
			{cmd: "RPUSH b y", want: "(integer) 1", events: `1 ["b" "y"]`},
			{cmd: "GET a", want: `"v"`},
		}},
		{"WRONGTYPE at call time", []blockStep{
			{cmd: "SET s v"},
			{block: 1, cmd: "BLPOP s a 0", want: wrongType},
			{block: 2, cmd: "BLMOVE a s LEFT LEFT 0", want: blocked},
			{block: 3, cmd: "BLMPOP 0 2 nokey s LEFT", want: wrongType},
			{cmd: "RPUSH b 1"},
			{block: 4, cmd: "BLPOP b s 0", want: `["b" "1"]`},
		}},
		{"BLMOVE into a key of another type unblocks with WRONGTYPE", []blockStep{
			{cmd: "SET d v"},
			{block: 1, cmd: "BLMOVE src d LEFT LEFT 0", want: blocked},
			{block: 2, cmd: "BLPOP src 0", want: blocked},
			{cmd: "RPUSH src x", want: "(integer) 1", events: `1 ` + wrongType + `; 2 ["src" "x"]`},
		}},
		{"BLMOVE chains serve the destination's waiters", []blockStep{
			{block: 1, cmd: "BLMOVE a b RIGHT LEFT 0", want: blocked},
			{block: 2, cmd: "BRPOPLPUSH b c 0", want: blocked},
			{block: 3, cmd: "BLPOP c 0", want: blocked},
			{block: 4, cmd: "BLMPOP 0 1 c LEFT", want: blocked},
			{cmd: "RPUSH a 1 2", want: "(integer) 2",
				events: `1 "2"; 2 "2"; 3 ["c" "2"]`},
			{cmd: "LRANGE a 0 -1", want: `["1"]`},
			{cmd: "EXISTS b c", want: "(integer) 0"},
			{cmd: "LMOVE a c LEFT LEFT", want: `"1"`, events: `4 ["c" ["1"]]`},
			{cmd: "EXISTS a c", want: "(integer) 0"},
		}},
		{"BLMOVE waits on its source only", []blockStep{
			{block: 1, cmd: "BLMOVE a b LEFT LEFT 0", want: blocked},
			{cmd: "RPUSH b x", want: "(integer) 1"},
			{cmd: "RPUSH a y", want: "(integer) 1", events: `1 "y"`},
			{cmd: "LRANGE b 0 -1", want: `["y" "x"]`},
		}},
		{"BLMOVE rotating its own list", []blockStep{
			{block: 1, cmd: "BLMOVE a a LEFT RIGHT 0", want: blocked},
			{block: 2, cmd: "BLPOP a 0", want: blocked},
			{cmd: "RPUSH a x y", want: "(integer) 2", events: `1 "x"; 2 ["a" "y"]`},
			{cmd: "LRANGE a 0 -1", want: `["x"]`},
		}},
		{"BLMPOP pops up to COUNT", []blockStep{
			{block: 1, cmd: "BLMPOP 0 2 a b RIGHT COUNT 2", want: blocked},
			{block: 2, cmd: "BLMPOP 0 1 b LEFT COUNT 5", want: blocked},
			{cmd: "RPUSH b 1 2 3", want: "(integer) 3", events: `1 ["b" ["3" "2"]]; 2 ["b" ["1"]]`},
		}},
		{"unblock removes the waiter", []blockStep{
			{block: 1, cmd: "BLPOP a 0", want: blocked},
			{block: 2, cmd: "BLPOP a 0", want: blocked},
			{unblock: 1, want: "(integer) 1"},
			{unblock: 1, want: "(integer) 0"},
			{cmd: "RPUSH a x", want: "(integer) 1", events: `2 ["a" "x"]`},
			{unblock: 2, want: "(integer) 0"},
			{cmd: "RPUSH a y", want: "(integer) 1"},
		}},
		{"MULTI never blocks", []blockStep{
			{cmd: "MULTI-EXEC BLPOP a 0 | BRPOP a 0 | BLMOVE a b LEFT LEFT 0 | BRPOPLPUSH a b 0 | BLMPOP 0 1 a LEFT",
				want: `[(nil) (nil) (nil) (nil) (nil)]`},
			{cmd: "MULTI-EXEC RPUSH a 1 2 3 | BLPOP a 0 | BLMOVE a b LEFT LEFT 0 | BLMPOP 0 1 a LEFT",
				want: `[(integer) 3 ["a" "1"] "2" ["a" ["3"]]]`},
		}},
		{"a waiter in another database", []blockStep{
			{cmd: "SELECT 3"},
			{block: 1, cmd: "BLPOP a 0", want: blocked},
			{cmd: "SELECT 0"},
			{cmd: "RPUSH a x", want: "(integer) 1"},
			{cmd: "SELECT 3"},
			{cmd: "RPUSH a y", want: "(integer) 1", events: `1 ["a" "y"]`},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runBlockSteps(t, tc.steps) })
	}
}

func TestListBlockingTimeout(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		ms   int64
		err  string
		name string
	}{
		{arg: "0", ms: 0}, {arg: "1", ms: 1000}, {arg: "1.5", ms: 1500}, {arg: "0.0001", ms: 0},
		{arg: "-0.0001", ms: 0}, {arg: ".5", ms: 500}, {arg: "1e3", ms: 1_000_000}, {arg: "0x10", ms: 16000},
		{arg: "0.0015", ms: 1}, {arg: "9223372036854775", ms: 1},
		{arg: "-1", err: string(errTimeoutNegative)}, {arg: "inf", err: string(errTimeoutNegative)},
		{arg: "1e300", err: string(errTimeoutNegative)}, {arg: "9223372036854776", err: string(errTimeoutNegative)},
		{arg: "x", err: string(errTimeoutNotFloat)}, {arg: "nan", err: string(errTimeoutNotFloat)},
		{arg: "", err: string(errTimeoutNotFloat)}, {arg: " 1", err: string(errTimeoutNotFloat)},
	} {
		for _, line := range []string{"BLPOP k %s", "BRPOP a b %s", "BLMOVE a b LEFT RIGHT %s", "BRPOPLPUSH a b %s", "BLMPOP %s 1 a LEFT"} {
			argv := [][]byte{}
			for _, a := range strings.Fields(fmt.Sprintf(line, "T")) {
				if a == "T" {
					a = tc.arg
				}
				argv = append(argv, []byte(a))
			}
			cmd, _, err := Parse(argv, scriptTime)
			switch {
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("%q in %s: err %v, want %s", tc.arg, line, err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("%q in %s: %v", tc.arg, line, err)
			case tc.err == "" && (!cmd.IsBlocking() || cmd.BlockTimeout() != tc.ms):
				t.Errorf("%q in %s: blocking %v timeout %d, want %d", tc.arg, line, cmd.IsBlocking(), cmd.BlockTimeout(), tc.ms)
			}
		}
	}
}

// TestListWaitersSnapshot checks that lists and the waiters on them
// survive a snapshot: the restored store serves them in the same order.
func TestListWaitersSnapshot(t *testing.T) {
	src := newBlockNode()
	src.do(t, scriptTime, "RPUSH big "+strings.Repeat("element ", 3000))
	src.do(t, scriptTime, "RPUSH small 1 two 3 -4 ''")
	src.do(t, scriptTime, "EXPIRE small 1000")
	src.block(t, 1, "BLMOVE a b LEFT RIGHT 0")
	src.block(t, 2, "BLPOP b a 0")
	src.block(t, 3, "BLMPOP 0 1 b LEFT COUNT 3")
	snap := snapshotBytes(t, src.store)

	dst := newBlockNode()
	if err := dst.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	dst.index = src.index
	if again := snapshotBytes(t, dst.store); !bytes.Equal(again, snap) {
		t.Fatal("the restored store snapshots differently")
	}
	for _, line := range []string{"LRANGE big 2990 -1", "LLEN big", "LRANGE small 0 -1", "TTL small", "TYPE big"} {
		if a, b := src.do(t, scriptTime, line).String(), dst.do(t, scriptTime, line).String(); a != b {
			t.Errorf("%s: restored %s, original %s", line, b, a)
		}
	}
	for _, n := range []*blockNode{src, dst} {
		n.do(t, scriptTime, "RPUSH a 1 2 3")
		n.do(t, scriptTime, "RPUSH b 4 5 6")
	}
	// a is made ready first: waiter 1 moves its head to b, waiter 2 (on b
	// and a) is served from a, then b's waiter gets what 1 moved there.
	want := `1 "1"; 2 ["a" "2"]; 3 ["b" ["1"]]`
	if a, b := src.takeEvents(), dst.takeEvents(); a != want || b != want {
		t.Errorf("events: original %q, restored %q, want %q", a, b, want)
	}
}

// TestListRoundTrip checks that every list command survives the log's
// encoding, waiter included, and that its keys are its keys.
func TestListRoundTrip(t *testing.T) {
	for _, tc := range []struct{ line, keys string }{
		{"LPUSH l a b", "l"}, {"RPUSHX l a", "l"}, {"LPOP l", "l"}, {"RPOP l 0", "l"}, {"LLEN l", "l"},
		{"LRANGE l -9223372036854775808 9223372036854775807", "l"}, {"LINDEX l -1", "l"}, {"LINDEX l x", "l"},
		{"LSET l 0 v", "l"}, {"LSET l x v", "l"}, {"LINSERT l AFTER p v", "l"}, {"LREM l -2 v", "l"},
		{"LTRIM l 1 -1", "l"}, {"LPOS l v RANK -2 COUNT 0 MAXLEN 9", "l"}, {"LMOVE a b RIGHT LEFT", "a b"},
		{"RPOPLPUSH a b", "a b"}, {"LMPOP 2 a b RIGHT COUNT 3", "a b"}, {"BLPOP a b 1.5", "a b"},
		{"BRPOP a 0", "a"}, {"BLMOVE a b LEFT RIGHT 0", "a b"}, {"BRPOPLPUSH a b 2", "a b"},
		{"BLMPOP 0 2 a b LEFT COUNT 2", "a b"},
	} {
		c := parseLine(t, scriptTime, tc.line)
		if c.IsBlocking() {
			c = c.WithWaiter(WaiterID{Node: 1, Session: 2, Seq: 3})
		}
		d, err := Decode(c.InDB(5).AppendBinary(nil))
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		if d.op != c.op || d.flags != c.flags || d.ints != c.ints || d.waiter != c.waiter || d.DB() != 5 ||
			fmt.Sprintf("%q", d.args) != fmt.Sprintf("%q", c.args) {
			t.Errorf("%s: decoded %+v, want %+v", tc.line, d, c)
		}
		if got := string(bytes.Join(d.Keys(), []byte(" "))); got != tc.keys {
			t.Errorf("%s: keys %q, want %q", tc.line, got, tc.keys)
		}
	}
}

// TestListBlockingReturn checks unserve: a delivery in flight whose client
// never got it puts its elements back where they were popped from, in
// their order; BLMOVE's stays in its destination.
func TestListBlockingReturn(t *testing.T) {
	b := newBlockNode()
	id := func(seq uint64) WaiterID { return WaiterID{Node: 1, Session: 1, Seq: seq} }
	ret := func(seq uint64) string { return b.apply(t, NewReturn(id(seq), scriptTime)).String() }
	check := func(line, want string) {
		t.Helper()
		if got := b.do(t, scriptTime, line).String(); got != want {
			t.Errorf("%s = %s, want %s", line, got, want)
		}
	}
	for seq, line := range map[uint64]string{1: "BLPOP a 0", 2: "BRPOP b 0", 3: "BLMPOP 0 1 c LEFT COUNT 2",
		4: "BLMPOP 0 1 d RIGHT COUNT 2", 5: "BLMOVE e f LEFT LEFT 0", 6: "BLPOP g 0", 7: "BLPOP h 0", 8: "BLPOP i 0", 9: "BLPOP j 0"} {
		if r := b.block(t, seq, line); r.Kind != KindBlocked {
			t.Fatalf("%s: %s", line, r)
		}
	}
	for _, line := range []string{"RPUSH a 1 2", "RPUSH b 1 2", "RPUSH c 1 2 3", "RPUSH d 1 2 3", "RPUSH e x",
		"RPUSH g v", "RPUSH h v", "RPUSH i v", "RPUSH j v"} {
		b.do(t, scriptTime, line)
	}
	want := `1 ["a" "1"]; 2 ["b" "2"]; 3 ["c" ["1" "2"]]; 4 ["d" ["3" "2"]]; 5 "x"; 6 ["g" "v"]; 7 ["h" "v"]; 8 ["i" "v"]; 9 ["j" "v"]`
	if ev := b.takeEvents(); ev != want {
		t.Fatalf("events %s, want %s", ev, want)
	}
	for seq := uint64(1); seq <= 4; seq++ {
		if got := ret(seq); got != "(integer) 1" {
			t.Errorf("return %d: %s", seq, got)
		}
	}
	check("LRANGE a 0 -1", `["1" "2"]`)
	check("LRANGE b 0 -1", `["1" "2"]`)
	check("LRANGE c 0 -1", `["1" "2" "3"]`)
	check("LRANGE d 0 -1", `["1" "2" "3"]`)
	if got := ret(5); got != "(integer) 0" {
		t.Errorf("BLMOVE's delivery is not kept: return = %s", got)
	}
	check("LRANGE f 0 -1", `["x"]`)
	check("EXISTS e", "(integer) 0")
	ret(6)
	check("LRANGE g 0 -1", `["v"]`) // the emptied key comes back
	b.do(t, scriptTime, "SET h s")
	ret(7)
	check("GET h", `"s"`) // no list to return to
	b.apply(t, NewAck(id(8), scriptTime))
	if got := ret(8); got != "(integer) 0" {
		t.Errorf("return after ack: %s", got)
	}
	check("EXISTS i", "(integer) 0")
	// What comes back serves the next waiter, in the same Apply.
	b.block(t, 10, "BLPOP j 0")
	b.takeEvents()
	ret(9)
	if ev := b.takeEvents(); ev != `10 ["j" "v"]` {
		t.Errorf("events after the return: %q", ev)
	}
	check("EXISTS j", "(integer) 0")
}

func TestListTimeoutReplies(t *testing.T) {
	for line, want := range map[string]Kind{
		"BLPOP a 1": KindNilArray, "BRPOP a 1": KindNilArray, "BLMPOP 1 1 a LEFT": KindNilArray,
		// Redis 7.0's replyToBlockedClientTimedOut: a null array for every
		// list pop, BLMOVE's too (its reply in MULTI is a null bulk).
		"BLMOVE a b LEFT LEFT 1": KindNilArray, "BRPOPLPUSH a b 1": KindNilArray,
	} {
		if got := parseLine(t, scriptTime, line).TimeoutReply().Kind; got != want {
			t.Errorf("%s: timeout reply kind %d, want %d", line, got, want)
		}
	}
}
