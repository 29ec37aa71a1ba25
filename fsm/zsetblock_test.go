package fsm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestZSetBlocking(t *testing.T) {
	cases := []struct {
		name  string
		steps []blockStep
	}{
		{"served at once, no waiter left", []blockStep{
			{cmd: "ZADD a 1 x 2 y 3 z"},
			{block: 1, cmd: "BZPOPMIN nokey a 0", want: `["a" "x" 1]`},
			{block: 2, cmd: "BZPOPMAX a 0", want: `["a" "z" 3]`},
			{block: 3, cmd: "BZMPOP 0 2 nokey a MIN COUNT 5", want: `["a" [["y" 2]]]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
		}},
		{"FIFO on one key", []blockStep{
			{block: 1, cmd: "BZPOPMIN a 0", want: blocked},
			{block: 2, cmd: "BZPOPMAX a 0", want: blocked},
			{block: 3, cmd: "BZMPOP 0 1 a MIN COUNT 2", want: blocked},
			{block: 4, cmd: "BZPOPMIN a 0", want: blocked},
			{cmd: "ZADD a 1 x 2 y 3 z 4 w", want: "(integer) 4",
				events: `1 ["a" "x" 1]; 2 ["a" "w" 4]; 3 ["a" [["y" 2] ["z" 3]]]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
			{cmd: "ZINCRBY a 1.5 v", want: "1.5", events: `4 ["a" "v" 1.5]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
		}},
		{"nothing changes while it waits", []blockStep{
			{block: 1, cmd: "BZPOPMIN a b 0", want: blocked},
			{cmd: "ZADD c 1 x", want: "(integer) 1"},
			{cmd: "ZADD a XX 1 x", want: "(integer) 0"},
			{cmd: "EXISTS a b", want: "(integer) 0"},
			{cmd: "ZADD b 5 m 6 n", want: "(integer) 2", events: `1 ["b" "m" 5]`},
			{cmd: "ZRANGE b 0 -1", want: `["n"]`},
		}},
		{"served from the key made ready first", []blockStep{
			{block: 1, cmd: "BZPOPMIN a b 0", want: blocked},
			{cmd: "MULTI-EXEC ZADD b 1 x | ZADD a 2 y", events: `1 ["b" "x" 1]`},
			{cmd: "ZRANGE a 0 -1", want: `["y"]`},
		}},
		{"a waited key of another type keeps it waiting", []blockStep{
			{block: 1, cmd: "BZMPOP 0 2 a b MAX", want: blocked},
			{cmd: "SET a v", want: "OK"},
			{cmd: "RPUSH a2 v"},
			{cmd: "ZADD b 1 y", want: "(integer) 1", events: `1 ["b" [["y" 1]]]`},
			{cmd: "GET a", want: `"v"`},
		}},
		{"WRONGTYPE at call time", []blockStep{
			{cmd: "SET s v"},
			{cmd: "ZADD z 1 m"},
			{block: 1, cmd: "BZPOPMIN s z 0", want: wrongType},
			{block: 2, cmd: "BZMPOP 0 2 nokey s MIN", want: wrongType},
			{block: 3, cmd: "BZPOPMAX z s 0", want: `["z" "m" 1]`},
			{block: 4, cmd: "BZPOPMAX nokey 0", want: blocked},
		}},
		{"ZUNIONSTORE and RENAME wake waiters", []blockStep{
			{cmd: "ZADD src 1 a 2 b"},
			{block: 1, cmd: "BZPOPMAX d 0", want: blocked},
			{block: 2, cmd: "BZPOPMIN r 0", want: blocked},
			{cmd: "ZUNIONSTORE d 1 src", want: "(integer) 2", events: `1 ["d" "b" 2]`},
			{cmd: "RENAME d r", want: "OK", events: `2 ["r" "a" 1]`},
			{cmd: "EXISTS r d", want: "(integer) 0"},
		}},
		{"unblock removes the waiter", []blockStep{
			{block: 1, cmd: "BZPOPMIN a 0", want: blocked},
			{block: 2, cmd: "BZPOPMIN a 0", want: blocked},
			{unblock: 1, want: "(integer) 1"},
			{cmd: "ZADD a 1 x", want: "(integer) 1", events: `2 ["a" "x" 1]`},
			{cmd: "ZADD a 1 y", want: "(integer) 1"},
		}},
		{"MULTI never blocks", []blockStep{
			{cmd: "MULTI-EXEC BZPOPMIN a 0 | BZPOPMAX a b 0 | BZMPOP 0 1 a MIN",
				want: `[(nil) (nil) (nil)]`},
			{cmd: "MULTI-EXEC ZADD a 1 x 2 y 3 z | BZPOPMIN a 0 | BZMPOP 0 1 a MAX COUNT 5",
				want: `[(integer) 3 ["a" "x" 1] ["a" [["z" 3] ["y" 2]]]]`},
			{cmd: "EXISTS a", want: "(integer) 0"},
		}},
		{"a waiter in another database", []blockStep{
			{cmd: "SELECT 3"},
			{block: 1, cmd: "BZPOPMIN a 0", want: blocked},
			{cmd: "SELECT 0"},
			{cmd: "ZADD a 1 x", want: "(integer) 1"},
			{cmd: "SELECT 3"},
			{cmd: "ZADD a 1 y", want: "(integer) 1", events: `1 ["a" "y" 1]`},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runBlockSteps(t, tc.steps) })
	}
}

func TestZSetBlockingParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		ms   int64
		err  string
	}{
		{line: "BZPOPMIN k 0", ms: 0}, {line: "BZPOPMAX a b 1.5", ms: 1500}, {line: "BZMPOP 0.0015 1 a MIN", ms: 1},
		{line: "BZPOPMIN k -0.0001", ms: 0}, {line: "BZPOPMIN k 0x10", ms: 16000},
		{line: "BZPOPMIN k -1", err: string(errZTimeoutNeg)}, {line: "BZPOPMIN k inf", err: string(errZTimeoutNeg)},
		{line: "BZPOPMIN k 1e300", err: string(errZTimeoutNeg)}, {line: "BZPOPMIN k x", err: string(errZTimeoutFloat)},
		{line: "BZPOPMIN k nan", err: string(errZTimeoutFloat)}, {line: "BZMPOP x 1 a MIN", err: string(errZTimeoutFloat)},
		{line: "BZMPOP -1 0 a MIN", err: string(errNumkeys)}, {line: "BZMPOP x 1 a FOO", err: string(errSyntax)},
		{line: "BZMPOP -1 1 a MIN COUNT x", err: string(errZCount)}, {line: "BZMPOP -1 1 a MIN", err: string(errZTimeoutNeg)}, {line: "BZMPOP 1 0 a MIN", err: string(errNumkeys)},
		{line: "BZMPOP 1 2 a MIN", err: string(errSyntax)}, {line: "BZMPOP 1 1 a MIN COUNT 0", err: string(errZCount)},
	} {
		argv := [][]byte{}
		for _, a := range strings.Fields(tc.line) {
			argv = append(argv, []byte(a))
		}
		cmd, _, err := Parse(argv, scriptTime)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%s: err %v, want %s", tc.line, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.line, err)
		case tc.err == "" && (!cmd.IsBlocking() || cmd.BlockTimeout() != tc.ms || cmd.TimeoutReply().Kind != KindNilArray):
			t.Errorf("%s: blocking %v timeout %d (want %d), timeout reply %s", tc.line, cmd.IsBlocking(),
				cmd.BlockTimeout(), tc.ms, cmd.TimeoutReply())
		}
	}
}

// TestZSetSnapshot checks that sorted sets in both encodings, and the
// waiters on them, survive a snapshot: the restored store answers and
// serves exactly as the original.
func TestZSetSnapshot(t *testing.T) {
	src := newBlockNode()
	var big strings.Builder
	for i := range 300 {
		fmt.Fprintf(&big, " %d.5 m%d", i%7, i)
	}
	src.do(t, scriptTime, "ZADD big"+big.String())
	src.do(t, scriptTime, "ZADD small 1 a -0 b inf c 0.1 d")
	src.do(t, scriptTime, "ZADD long 1 "+strings.Repeat("x", 70))
	src.do(t, scriptTime, "EXPIRE small 1000")
	src.block(t, 1, "BZPOPMIN w1 w2 0")
	src.block(t, 2, "BZMPOP 0 1 w2 MAX COUNT 2")
	snap := snapshotBytes(t, src.store)

	dst := newBlockNode()
	if err := dst.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	dst.index = src.index
	if again := snapshotBytes(t, dst.store); !bytes.Equal(again, snap) {
		t.Fatal("the restored store snapshots differently")
	}
	for _, line := range []string{
		"ZRANGE big 0 -1 WITHSCORES", "ZRANGE small 0 -1 WITHSCORES", "OBJECT ENCODING big", "OBJECT ENCODING small",
		"OBJECT ENCODING long", "ZSCAN big 0 COUNT 50", "ZRANK big m150", "TTL small", "TYPE big", "ZCARD long",
	} {
		if a, b := src.do(t, scriptTime, line).String(), dst.do(t, scriptTime, line).String(); a != b {
			t.Errorf("%s: restored %s, original %s", line, b, a)
		}
	}
	for _, n := range []*blockNode{src, dst} {
		n.do(t, scriptTime, "ZADD w2 1 a 2 b 3 c")
		if got, want := n.takeEvents(), `1 ["w2" "a" 1]; 2 ["w2" [["c" 3] ["b" 2]]]`; got != want {
			t.Errorf("events %q, want %q", got, want)
		}
	}
	// A write to the original after the snapshot leaves the captured copy alone.
	src.do(t, scriptTime, "ZREM big m1 m2 m3")
	src.do(t, scriptTime, "ZADD small 9 z")
	if got := dst.do(t, scriptTime, "ZCARD big").String(); got != "(integer) 300" {
		t.Errorf("restored ZCARD big = %s after a write to the original", got)
	}
}
