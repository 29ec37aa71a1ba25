package resp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The stream commands' hand-written differential cases. Auto IDs ("*")
// come from each server's own clock, so the cases give explicit IDs
// except where only the reply's shape is compared; idle and delivery
// times have their comparison rule in compareStream.

// streamCommandNames are the stream commands, for the arity cases.
var streamCommandNames = []string{
	"xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xread",
}

func streamCompatCases() []compatCase {
	return []compatCase{
		{name: "xadd ids", lines: []string{
			"XADD s 1-1 f v", "XADD s 1-1 f v", "XADD s 1-0 f v", "XADD s 1-2 f v g w", "XADD s 2 f v",
			"XADD s 2-* a b", "XADD s 2-* a b", "XADD s 1-* a b", "XADD s 3-* a b", "XLEN s", "XRANGE s - +",
			"XADD s 0-0 f v", "XADD s 0 f v", "XADD n 0-0 f v", "XADD n 0-1 f v", "XADD n2 0-* f v",
			"XADD s 5-x f v", "XADD s 5- f v", "XADD s -5 f v", "XADD s ' 5' f v", "XADD s 5-5-5 f v",
			"XADD s 99999999999999999999 f v", "XADD s 18446744073709551615 f v",
			"XADD s 18446744073709551615-18446744073709551615 f v", "XADD s 18446744073709551615-* f v",
			"XADD s 1-1 f v", "XADD m 6-18446744073709551615 f v", "XADD m 6-* f v", "XADD m 7-* f v",
			"XADD s 1 f", "XADD s 1 f v g", "XADD s", "XADD s 1", "XADD s '*' f", "XADD s 0-0 f",
			"XADD s + f v", "XADD s - f v", "XADD s '' f v", "XADD s 1-18446744073709551616 f v",
			"SET str x", "XADD str 1-1 f v", "XADD str 0-0 f v", "XADD str 1-1 f", "TYPE n", "XLEN str",
			"XADD e 1-1 '' ''", "XRANGE e - +", "XADD big 1-1 f " + strings.Repeat("x", 5000), "XLEN big",
		}},
		{name: "xadd auto id", lines: []string{
			"XADD a '*' f v", "XADD a '*' f v", "XLEN a", "XADD a 1-1 f v", "XLEN a",
			"XADD b NOMKSTREAM '*' f v", "EXISTS b",
		}},
		{name: "xadd trim options", lines: []string{
			"XADD s MAXLEN 2 1-1 a 1", "XADD s MAXLEN 2 2-1 a 2", "XADD s MAXLEN = 2 3-1 a 3", "XRANGE s - +",
			"XADD s MAXLEN ~ 2 4-1 a 4", "XLEN s", "XADD s MINID 3-1 5-1 a 5", "XRANGE s - +",
			"XADD s MINID = 5 6-1 a 6", "XRANGE s - +", "XADD s MINID ~ 100 7-1 a 7", "XLEN s",
			"XADD s MAXLEN ~ 1 LIMIT 10 8-1 a 8", "XADD s MINID ~ 8 LIMIT 0 9-1 a 9", "XLEN s",
			"XADD s maxlen 0 10-1 a 10", "XLEN s",
			"XADD s MAXLEN -1 11-1 a b", "XADD s MAXLEN ~ -1 11-1 a b", "XADD s MAXLEN x 11-1 a b",
			"XADD s MAXLEN 9223372036854775808 11-1 a b", "XADD s MAXLEN 1 MINID 1 11-1 a b",
			"XADD s MAXLEN 1 MAXLEN 1 11-1 a b", "XADD s MINID 1 MINID 1 11-1 a b", "XADD s LIMIT 10 11-1 a b",
			"XADD s LIMIT 0 11-1 a b", "XADD s MAXLEN 1 LIMIT 10 11-1 a b", "XADD s MAXLEN = 1 LIMIT 1 11-1 a b",
			"XADD s MAXLEN ~ 1 LIMIT -1 11-1 a b", "XADD s MAXLEN ~ 1 LIMIT x 11-1 a b",
			"XADD s MAXLEN ~ 1 LIMIT 99999999999 11-1 a b", "XADD s MINID x 11-1 a b", "XADD s MINID - 11-1 a b",
			"XADD s MINID + 11-1 a b", "XADD s MINID ~ (5 11-1 a b", "XADD s MAXLEN ~ 1 a b", "XADD s MAXLEN",
			"XADD s MAXLEN ~", "XADD s MAXLEN ~ 5", "XADD s NOMKSTREAM", "XADD s FOO 1-1 a b", "XADD s ~ 1-1 a b",
			"XADD s MAXLEN 1 0-0 a b", "XADD s MAXLEN 1 0-0 a", "XADD s MAXLEN x 0-0 a",
			"XADD s NOMKSTREAM NOMKSTREAM 12-1 a b", "XADD s nomkstream MAXLEN 1 13-1 a b", "XRANGE s - +",
			"XADD none NOMKSTREAM 1-1 a b", "EXISTS none", "XADD none NOMKSTREAM MAXLEN 1 1-1 a b",
			"XADD none NOMKSTREAM 0-0 a b", "SET str x", "XADD str NOMKSTREAM 1-1 a b",
			"XADD str MAXLEN x 1-1 a b",
		}},
		{name: "xadd approximate trim", lines: streamBigLines()},
		{name: "xrange xrevrange", lines: []string{
			"XADD s 1-1 a 1", "XADD s 1-2 b 2", "XADD s 2-0 c 3 d 4", "XADD s 3-5 e 5", "XADD s 5-0 f 6",
			"XRANGE s - +", "XREVRANGE s + -", "XRANGE s 1 1", "XRANGE s 1-2 3", "XRANGE s (1-1 (3-5",
			"XREVRANGE s (5-0 (1-1", "XRANGE s - + COUNT 2", "XREVRANGE s + - COUNT 2", "XRANGE s - + COUNT 0",
			"XRANGE s - + COUNT -1", "XRANGE s - + count 1 COUNT 3", "XRANGE s 4 +", "XRANGE s 6 +",
			"XRANGE s 3 1", "XREVRANGE s 1 3", "XRANGE nokey - +", "XREVRANGE nokey + -",
			"XRANGE nokey - + COUNT 0", "XRANGE s x +", "XRANGE s - x", "XREVRANGE s x +", "XREVRANGE s + x",
			"XREVRANGE s x y", "XRANGE s x y", "XRANGE s - + COUNT", "XRANGE s - + COUNT x", "XRANGE s - + FOO 1",
			"XRANGE s - + COUNT 1 FOO", "XRANGE s (- +", "XRANGE s - (+", "XRANGE s (18446744073709551615-18446744073709551615 +",
			"XRANGE s - (0-0", "XRANGE s (0 +", "XRANGE s ( +", "XRANGE s 1-x +", "XRANGE s 18446744073709551615 +",
			"XRANGE s 0-18446744073709551615 +", "SET str x", "XRANGE str - +", "XRANGE str x +", "XREVRANGE str + - COUNT 0",
			"XRANGE str - + COUNT x", "XRANGE", "XRANGE s", "XRANGE s -",
		}},
		{name: "xdel", lines: []string{
			"XADD s 1-1 a 1", "XADD s 2-1 b 2", "XADD s 3-1 c 3", "XDEL s 2-1", "XDEL s 2-1", "XRANGE s - +",
			"XDEL s 1-1 3-1 9-9", "XLEN s", "EXISTS s", "TYPE s", "XRANGE s - +", "XADD s 3-1 x y", "XADD s 4-1 x y",
			"XLEN s", "XDEL s x", "XDEL s 4-1 x", "XLEN s", "XDEL s +", "XDEL s -", "XDEL s 4", "XDEL nokey 1-1",
			"XDEL nokey x", "SET str x", "XDEL str 1-1", "XDEL str x", "XDEL", "XDEL s",
		}},
		{name: "xtrim", lines: []string{
			"XADD s 1-1 a 1", "XADD s 2-1 a 2", "XADD s 3-1 a 3", "XADD s 4-1 a 4", "XADD s 5-1 a 5",
			"XTRIM s MAXLEN 3", "XRANGE s - +", "XTRIM s MAXLEN = 3", "XTRIM s MINID 4", "XRANGE s - +",
			"XTRIM s MAXLEN ~ 0", "XTRIM s MINID ~ 9", "XLEN s", "XTRIM s MAXLEN 0", "XLEN s", "EXISTS s",
			"XADD s 6-1 a 6", "XTRIM s MINID 7", "EXISTS s", "XLEN s", "XTRIM nokey MAXLEN 1", "EXISTS nokey",
			"XTRIM s", "XTRIM s MAXLEN", "XTRIM s FOO 1", "XTRIM s MAXLEN 1 extra", "XTRIM s MAXLEN -1",
			"XTRIM s MAXLEN x", "XTRIM s MINID x", "XTRIM s LIMIT 1 MAXLEN 1", "XTRIM s MAXLEN 1 LIMIT 1",
			"XTRIM s MAXLEN ~ 1 LIMIT 1", "XTRIM s MAXLEN ~ 1 LIMIT -1", "XTRIM s MAXLEN 1 MINID 1",
			"XTRIM s NOMKSTREAM MAXLEN 1", "XTRIM s '*' MAXLEN 1", "SET str x", "XTRIM str MAXLEN 1",
			"XTRIM str MAXLEN x", "XTRIM nokey MAXLEN x",
		}},
		{name: "xread", lines: []string{
			"XADD s 1-1 a 1", "XADD s 2-1 b 2", "XADD t 3-1 c 3",
			"XREAD STREAMS s 0", "XREAD STREAMS s 1-1", "XREAD STREAMS s 2-1", "XREAD STREAMS s t 0 0",
			"XREAD STREAMS s t 1 3", "XREAD COUNT 1 STREAMS s t 0 0", "XREAD count 0 STREAMS s 0",
			"XREAD COUNT -5 STREAMS s 0", "XREAD STREAMS s $", "XREAD STREAMS s nokey 0 0", "XREAD STREAMS nokey 0",
			"XREAD STREAMS nokey $", "XREAD STREAMS s s 0 1-1", "XREAD COUNT 1 COUNT 2 STREAMS s 0",
			"XREAD STREAMS s x", "XREAD STREAMS s +", "XREAD STREAMS s -", "XREAD STREAMS s >", "XREAD STREAMS s",
			"XREAD STREAMS s t 0", "XREAD STREAMS", "XREAD COUNT x STREAMS s 0", "XREAD COUNT STREAMS s 0",
			"XREAD FOO STREAMS s 0", "XREAD GROUP g c STREAMS s 0", "XREAD NOACK STREAMS s 0",
			"XREAD STREAMS s (0", "XREAD STREAMS s 18446744073709551615-18446744073709551615",
			"SET str x", "XREAD STREAMS str 0", "XREAD STREAMS s str 0 0", "XREAD STREAMS s str x 0",
			"XREAD STREAMS str s 0 x", "XREAD STREAMS nokey str 0 x",
			"XDEL s 2-1", "XREAD STREAMS s 1-1", "XREAD STREAMS s 1-5", "XREAD streams s 0",
			"MULTI", "XREAD STREAMS s 0", "XADD s 9-1 z 9", "XREAD STREAMS s $", "EXEC",
		}},
		{name: "xread block options", lines: []string{
			"XADD s 1-1 a 1", "XREAD BLOCK 0 STREAMS s 0", "XREAD BLOCK 100 COUNT 1 STREAMS s 0",
			"XREAD BLOCK -1 STREAMS s 0", "XREAD BLOCK x STREAMS s 0", "XREAD BLOCK 1.5 STREAMS s 0",
			"XREAD BLOCK 10 BLOCK x STREAMS s 0", "XREAD BLOCK STREAMS s 0", "XREAD BLOCK 10 STREAMS s x",
			"SET str v", "XREAD BLOCK 10 STREAMS str 0", "XREAD BLOCK 10 STREAMS s 1-1 x",
			"MULTI", "XREAD BLOCK 0 STREAMS s $", "XREAD BLOCK 0 STREAMS s 1-1", "XREAD BLOCK 10 STREAMS s 0", "EXEC",
		}},
		{name: "stream empty key kept", lines: []string{
			"XADD s 1-1 a 1", "XDEL s 1-1", "EXISTS s", "TYPE s", "XLEN s", "XRANGE s - +", "XADD s 1-1 a 1",
			"XADD s 2-1 a 1", "XTRIM s MAXLEN 0", "EXISTS s", "XADD s 1-5 a 1", "XREAD STREAMS s 0", "DEL s",
			"EXISTS s", "XADD s 1-5 a 1", "XLEN s",
		}},
	}
}

// streamBigLines fill several stream nodes (100 entries each) so that
// approximate trimming removes whole nodes, as Redis does.
func streamBigLines() []string {
	var lines []string
	for i := 1; i <= 350; i++ {
		lines = append(lines, fmt.Sprintf("XADD s %d-1 f %d", i, i))
	}
	lines = append(lines, "XLEN s", "XTRIM s MAXLEN ~ 120", "XLEN s", "XRANGE s - + COUNT 1",
		"XTRIM s MAXLEN ~ 10 LIMIT 50", "XLEN s", "XTRIM s MAXLEN ~ 10 LIMIT 100", "XLEN s",
		"XADD s MAXLEN ~ 50 351-1 f v", "XLEN s", "XTRIM s MINID ~ 300", "XLEN s", "XRANGE s - + COUNT 1",
		"XTRIM s MINID 340", "XLEN s", "XRANGE s - + COUNT 1")
	for i := 1; i <= 250; i++ {
		lines = append(lines, fmt.Sprintf("XADD t %d-1 field%d %s", i, i%3, strings.Repeat("y", i%50)))
	}
	lines = append(lines, "XLEN t", "XTRIM t MAXLEN ~ 30", "XLEN t", "XREVRANGE t + - COUNT 2",
		"XADD t MINID ~ 200 251-1 f v", "XLEN t")
	return lines
}

// streamTimesMatch is the comparison rule for the stream replies that
// hold a time of the server's own clock, which Redis and raftcache read
// at different moments: an auto ID ("*"), and idle times, seen-times and
// delivery times. The replies must have the same shape and be equal but
// for such times, which must be within timeSlack of each other.
func streamTimesMatch(args []string, want, got replyValue) bool {
	slack := int64(timeSlack / time.Millisecond)
	if commandName(args) == "xadd" {
		wms, _, wok := splitStreamID(want)
		gms, _, gok := splitStreamID(got)
		return wok && gok && want.typ == got.typ && slices.Contains(args, "*") && abs64(wms-gms) <= slack
	}
	return sameButTimes(want, got, slack, false)
}

// splitStreamID parses a bulk "ms-seq" reply.
func splitStreamID(v replyValue) (ms, seq int64, ok bool) {
	if v.typ != '$' || v.null {
		return 0, 0, false
	}
	a, b, found := strings.Cut(v.text, "-")
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return x, y, found && err1 == nil && err2 == nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// streamTimeFields are the map keys of XINFO whose values are times.
var streamTimeFields = map[string]bool{"idle": true, "seen-time": true, "active-time": true, "inactive": true}

// sameButTimes compares two replies recursively; an integer may differ by
// slack where isTime says it is a time: after a time field's name in a
// map (or its RESP2 flat form), or at a pending entry's time position.
func sameButTimes(want, got replyValue, slack int64, isTime bool) bool {
	if want.raw == got.raw {
		return true
	}
	if want.typ != got.typ || want.null != got.null {
		return false
	}
	if want.typ == ':' {
		w, err1 := strconv.ParseInt(want.text, 10, 64)
		g, err2 := strconv.ParseInt(got.text, 10, 64)
		return isTime && err1 == nil && err2 == nil && abs64(w-g) <= slack
	}
	if len(want.elems) != len(got.elems) || len(want.elems) == 0 {
		return false
	}
	// A pending entry: [id, consumer, time, count] (XPENDING, XINFO
	// STREAM FULL's group PEL) or [id, time, count] (a consumer's PEL).
	pendingTime := -1
	if _, _, ok := splitStreamID(want.elems[0]); ok && want.typ == '*' {
		switch n := len(want.elems); {
		case n == 4 && want.elems[1].typ == '$' && want.elems[2].typ == ':' && want.elems[3].typ == ':':
			pendingTime = 2
		case n == 3 && want.elems[1].typ == ':' && want.elems[2].typ == ':':
			pendingTime = 1
		}
	}
	for i := range want.elems {
		t := i == pendingTime
		if i > 0 && (want.typ == '%' || want.typ == '*') && want.elems[i-1].typ == '$' && (want.typ != '%' || i%2 == 1) {
			t = t || streamTimeFields[want.elems[i-1].text]
		}
		if !sameButTimes(want.elems[i], got.elems[i], slack, t) {
			return false
		}
	}
	return true
}
