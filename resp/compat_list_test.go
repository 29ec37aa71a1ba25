package resp

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The list commands' part of the differential suite: hand-written cases
// (listCompatCases, run by TestCompatLists) and the random generator's list
// commands (listGenerators, added to generators).
//
// Blocking pops appear only where Redis does not block: with data, inside
// MULTI, or with a short timeout on absent keys (Redis answers when it
// fires; raftcache answers the same).

var listCompatCases = []compatCase{
	{name: "list push pop len", lines: []string{
		"LPUSH l a b c", "RPUSH l d e", "LLEN l", "LRANGE l 0 -1", "LPUSHX nokey a", "RPUSHX nokey a",
		"EXISTS nokey", "LPUSHX l x", "RPUSHX l y z", "LRANGE l 0 -1", "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 2",
		"LPOP l 0", "LRANGE l 0 -1", "LPOP l 100", "EXISTS l", "LPOP l", "LPOP l 0", "LPOP l 3", "RPOP nokey",
		"RPOP nokey 0", "LPOP l abc", "LPOP l -1", "LPOP l 1.5", "LPOP l 1 2", "LLEN nokey",
		"RPUSH n 1 -7 012 +7 9223372036854775807 -9223372036854775808 9223372036854775808 '' 00", "LRANGE n 0 -1",
		"LPOP n 20", "LPUSH l", "LPUSHX l", "LLEN", "LLEN a b",
	}},
	{name: "list range index", lines: []string{
		"RPUSH l a b c d e f", "LRANGE l 0 0", "LRANGE l -1 -1", "LRANGE l -3 -1", "LRANGE l 2 1",
		"LRANGE l -100 100", "LRANGE l 5 10", "LRANGE l 6 10", "LRANGE l -7 -6",
		"LRANGE l 9223372036854775807 -9223372036854775808", "LRANGE l -9223372036854775808 9223372036854775807",
		"LRANGE l a 1", "LRANGE l 0 1.0", "LRANGE nokey 0 -1", "LRANGE nokey a 1", "LINDEX l 0", "LINDEX l -1",
		"LINDEX l 5", "LINDEX l 6", "LINDEX l -6", "LINDEX l -7", "LINDEX l 9223372036854775807",
		"LINDEX l -9223372036854775808", "LINDEX l x", "LINDEX nokey x", "LINDEX nokey 0", "LRANGE l 0",
		"LINDEX l",
	}},
	{name: "list wrongtype", lines: []string{
		"SET s v", "HSET h f v", "LPUSH s a", "RPUSH h a", "LPUSHX s a", "RPUSHX s a", "LPOP s", "RPOP s 2",
		"LPOP s 0", "LPOP s x", "LLEN s", "LRANGE s 0 -1", "LRANGE s x 1", "LINDEX s 0", "LINDEX s x",
		"LSET s 0 x", "LSET s x x", "LINSERT s BEFORE a b", "LINSERT s middle a b", "LREM s 0 a", "LREM s x a",
		"LTRIM s 0 1", "LPOS s a", "LPOS s a RANK 0", "LMOVE s d LEFT LEFT", "RPOPLPUSH s d", "RPUSH l a",
		"LMOVE l s LEFT RIGHT", "RPOPLPUSH l h", "LMOVE nokey s LEFT LEFT", "LRANGE l 0 -1", "LMPOP 2 s l LEFT",
		"LMPOP 2 l s LEFT", "LMPOP 2 nokey s LEFT", "GET s", "TYPE l",
	}},
	{name: "list lset linsert", lines: []string{
		"RPUSH l a b c", "LSET l 0 x", "LSET l -1 z", "LSET l 3 q", "LSET l -4 q", "LSET l 9223372036854775807 q",
		"LSET l -9223372036854775808 q", "LSET l x q", "LSET nokey 0 q", "LSET nokey x q", "LRANGE l 0 -1",
		"LSET l 1 12345", "LSET l 1 ''", "LRANGE l 0 -1", "LINSERT l BEFORE x a", "LINSERT l after z end",
		"LINSERT l AFTER nope v", "LINSERT l before '' mid", "LINSERT nokey before a b", "LINSERT l middle a b",
		"LINSERT nokey middle a b", "LRANGE l 0 -1", "LSET l", "LINSERT l before a",
	}},
	{name: "list lrem ltrim", lines: []string{
		"RPUSH l a b a c a d a", "LREM l 2 a", "LRANGE l 0 -1", "LREM l -1 a", "LRANGE l 0 -1", "LREM l 0 a",
		"LRANGE l 0 -1", "LREM l 0 zz", "LREM l x a", "LREM nokey 1 a", "LREM nokey x a", "LREM l 0 b",
		"LREM l 0 c", "LREM l 0 d", "EXISTS l", "RPUSH t 1 2 3 4 5 6 7", "LTRIM t 1 -2", "LRANGE t 0 -1",
		"LTRIM t -100 100", "LRANGE t 0 -1", "LTRIM t 2 2", "LRANGE t 0 -1", "LTRIM t 1 0", "EXISTS t",
		"LTRIM nokey 0 1", "LTRIM nokey x 1", "RPUSH t a b", "LTRIM t 0 x",
		"LTRIM t 9223372036854775807 -9223372036854775808", "EXISTS t", "LREM l", "LTRIM t 0",
	}},
	{name: "list lpos", lines: []string{
		"RPUSH l a b c 1 2 3 c c", "LPOS l c", "LPOS l c RANK 2", "LPOS l c RANK -1", "LPOS l c RANK -2",
		"LPOS l c RANK 4", "LPOS l c RANK -4", "LPOS l c COUNT 0", "LPOS l c COUNT 2", "LPOS l c COUNT 2 RANK 2",
		"LPOS l c COUNT 0 RANK -1", "LPOS l c MAXLEN 3", "LPOS l c MAXLEN 3 COUNT 0", "LPOS l c MAXLEN 6 COUNT 0",
		"LPOS l c RANK -1 MAXLEN 2 COUNT 0", "LPOS l c RANK -1 MAXLEN 4 COUNT 0", "LPOS l 1", "LPOS l 01",
		"LPOS l z", "LPOS l z COUNT 1", "LPOS nokey z", "LPOS nokey z COUNT 1", "LPOS nokey z COUNT 0 RANK 2",
		"LPOS l c RANK 0", "LPOS l c RANK x", "LPOS l c RANK 9223372036854775807",
		"LPOS l c RANK -9223372036854775807", "LPOS l c RANK -9223372036854775808",
		"LPOS l c RANK -9223372036854775808 COUNT 1", "LPOS l c RANK -9223372036854775808 COUNT 1 MAXLEN 2",
		"LPOS l c RANK -9223372036854775809", "LPOS l c COUNT -1", "LPOS l c COUNT x", "LPOS l c MAXLEN -1",
		"LPOS l c MAXLEN x", "LPOS l c COUNT 1 COUNT 2", "LPOS l c RANK", "LPOS l c FOO 1", "LPOS l c COUNT",
		"LPOS l", "LPOS nokey c COUNT -1", "LPOS l c rank 1 count 1 maxlen 0",
	}},
	{name: "list lmove rpoplpush", lines: []string{
		"RPUSH a 1 2 3", "LMOVE a b LEFT RIGHT", "LMOVE a b RIGHT LEFT", "LMOVE a b left left",
		"LMOVE a b LEFT RIGHT", "LRANGE b 0 -1", "EXISTS a", "RPOPLPUSH b b", "LRANGE b 0 -1",
		"LMOVE b b LEFT RIGHT", "LRANGE b 0 -1", "RPOPLPUSH b c", "RPOPLPUSH nokey c", "LMOVE nokey c LEFT LEFT",
		"LMOVE b c MIDDLE LEFT", "LMOVE b c LEFT up", "LMOVE nokey c foo LEFT", "RPUSH one x",
		"PEXPIRE one 100000000", "RPOPLPUSH one one", "PTTL one", "LMOVE one one LEFT LEFT", "LRANGE one 0 -1",
		"LMOVE one two LEFT LEFT", "EXISTS one", "LRANGE two 0 -1", "LMOVE a b LEFT", "RPOPLPUSH a",
	}},
	{name: "list lmpop", lines: []string{
		"RPUSH a 1 2 3", "RPUSH b 4 5", "LMPOP 1 a LEFT", "LMPOP 2 nokey a RIGHT", "LMPOP 2 nokey b LEFT COUNT 10",
		"EXISTS b", "LMPOP 2 a b left count 1", "LMPOP 1 a RIGHT COUNT 5", "LMPOP 1 a RIGHT", "LMPOP 3 x y z LEFT",
		"LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT", "LMPOP 2 a LEFT", "LMPOP 5 a LEFT",
		"LMPOP 9223372036854775807 a LEFT", "LMPOP 1 a MIDDLE", "LMPOP 1 a LEFT COUNT 0",
		"LMPOP 1 a LEFT COUNT -1", "LMPOP 1 a LEFT COUNT x", "LMPOP 1 a LEFT COUNT 1 COUNT 1",
		"LMPOP 1 a LEFT COUNT", "LMPOP 1 a LEFT FOO", "LMPOP 1 a", "LMPOP 1", "LMPOP 1 a a LEFT",
		"LMPOP 0 a LEFT COUNT 0", "LMPOP 1 a MIDDLE COUNT 0",
	}},
	{name: "list blocking commands served at once", lines: []string{
		"RPUSH a 1 2 3", "RPUSH b 4", "BLPOP a 0", "BRPOP a 0", "BLPOP nokey b a 0", "BLPOP a 0.5", "RPUSH a 9",
		"BLPOP x y a 1e3", "RPUSH a 1 2 3 4 5", "BLMPOP 0 2 nokey a LEFT COUNT 2", "BLMPOP 0 1 a RIGHT",
		"BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0", "LRANGE b 0 -1", "EXISTS a", "SET s v", "RPUSH a 1",
		"BLPOP s a 0", "BLPOP a s 0", "RPUSH a 1", "BLMPOP 0 2 s a LEFT", "BLMPOP 0 2 a s LEFT", "RPUSH a 1",
		"BLMOVE a s LEFT LEFT 0", "BRPOPLPUSH s a 0", "BLMOVE s a LEFT LEFT 0", "LRANGE a 0 -1", "BLPOP a x",
		"BLPOP a -1", "RPUSH a 1", "BLPOP a -0.0001", "BLPOP a inf", "BLPOP a -inf", "BLPOP a nan",
		"BLPOP a 1e300", "BLPOP a 9223372036854776", "RPUSH a 1", "BLPOP a 9223372036854775", "BLPOP a ''",
		"RPUSH a 1", "BLPOP a 0x10", "BLPOP a ' 1'", "RPUSH a 1 2", "BLPOP a 1.", "BRPOP a .5",
		"BLMPOP 0 0 a LEFT", "BLMPOP x 1 a LEFT", "BLMPOP -1 1 a LEFT", "BLMPOP x 1 a MIDDLE", "BLMPOP x 0 a LEFT",
		"BLMPOP x 1 a LEFT COUNT 0", "BLMPOP 0 1 a LEFT COUNT 0", "BLMOVE a d MIDDLE LEFT x",
		"BLMOVE a d LEFT LEFT x", "BLMOVE a d LEFT LEFT -1", "BRPOPLPUSH a d x", "BRPOPLPUSH a d -1", "BLPOP",
		"BLPOP a", "BLMOVE a b LEFT RIGHT", "BRPOPLPUSH a b", "BLMPOP 0 1 a",
	}},
	{name: "list types copy rename", lines: []string{
		"RPUSH l a b c", "TYPE l", "COPY l l2", "RPUSH l2 d", "LRANGE l 0 -1", "LRANGE l2 0 -1", "RENAME l2 l3",
		"LRANGE l3 0 -1", "EXISTS l2", "PEXPIRE l 100000000", "RPUSH l z", "LPOP l", "PTTL l", "LSET l 0 q",
		"PTTL l", "RENAME l l4", "PTTL l4", "SCAN 0 TYPE list", "SCAN 0 TYPE LIST", "MOVE l4 1",
	}},
	{name: "list blocking with a timeout", lines: []string{
		"BLPOP nokey 0.01", "BRPOP a b 0.01", "BLMPOP 0.01 2 a b LEFT COUNT 2", "SET s v", "BLPOP nokey s 0.01",
		"BLPOP a s 0.01", "BLMPOP 0.01 2 a s RIGHT", "BLMOVE nokey s LEFT LEFT 0.01 extra",
		// A timeout is a null array even for BLMOVE, whose MULTI reply is a
		// null bulk string.
		"BLMOVE nokey d LEFT RIGHT 0.01", "BRPOPLPUSH nokey d 0.01", "MULTI", "BLMOVE nokey d LEFT RIGHT 0",
		"BRPOPLPUSH nokey d 0", "EXEC",
	}},
	{name: "list blocking in multi", lines: []string{
		"MULTI", "BLPOP a 0", "BRPOP a b 0", "BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0", "BLMPOP 0 2 a b LEFT",
		"EXEC", "MULTI", "RPUSH a 1 2 3 4 5", "BLPOP a 0", "BRPOP a 0", "BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0",
		"BLMPOP 0 2 a b LEFT COUNT 5", "BLMPOP 0 2 a b LEFT COUNT 5", "BLPOP a b 0", "EXEC", "EXISTS a b",
		"SET s v", "MULTI", "BLPOP s 0", "BLMOVE nokey s LEFT LEFT 0", "RPUSH a 1", "BLMOVE a s LEFT LEFT 0",
		"BLMPOP 0 1 s LEFT", "BLPOP a x", "BLMPOP 0 0 a LEFT", "LRANGE a 0 -1", "EXEC", "MULTI", "BLPOP a -1",
		"EXEC",
	}},
	{name: "list multi watch", lines: []string{
		"RPUSH l a b c", "MULTI", "LPUSH l x", "RPOP l 2", "LRANGE l 0 -1", "LSET l 0 y", "LPOS l y COUNT 0",
		"LINSERT l AFTER y z", "LREM l 0 a", "LTRIM l 0 -1", "LMOVE l m LEFT LEFT", "LMPOP 2 l m RIGHT COUNT 9",
		"LLEN l", "LINDEX l 0", "LINDEX l x", "LSET l x v", "LPOS l a RANK 0", "EXEC", "WATCH l", "@1 RPUSH l q",
		"MULTI", "LLEN l", "EXEC", "WATCH l", "@1 LREM l 0 nothing", "MULTI", "LLEN l", "EXEC", "WATCH l",
		"@1 LPOP l 0", "MULTI", "LLEN l", "EXEC", "WATCH l", "@1 LINSERT l BEFORE nothing x", "MULTI", "LLEN l",
		"EXEC", "WATCH l", "@1 LTRIM l 0 -1", "MULTI", "LLEN l", "EXEC", "MULTI", "LPUSH l", "LPOP l",
		"EXEC", "LRANGE l 0 -1",
	}},
	{name: "list keys types databases", lines: []string{
		"RPUSH l a b c", "TYPE l", "OBJECT ENCODING l", "SCAN 0 TYPE list", "SCAN 0 TYPE LIST", "KEYS *", "COPY l l2", "RPUSH l2 d",
		"LRANGE l 0 -1", "LRANGE l2 0 -1", "COPY l l2", "COPY l l2 REPLACE", "LRANGE l2 0 -1", "RENAME l2 l3",
		"LRANGE l3 0 -1", "EXISTS l2", "RENAMENX l3 l", "EXPIRE l 1000", "RPUSH l z", "LPOP l", "LSET l 0 q",
		"LTRIM l 0 -1", "RPOPLPUSH l l", "TTL l", "RENAME l l4", "TTL l4", "MOVE l4 1", "SELECT 1", "LRANGE l4 0 -1",
		"TTL l4", "COPY l4 l5 DB 0", "SELECT 0", "LRANGE l5 0 -1", "SET s v", "COPY l5 s", "COPY l5 s REPLACE",
		"TYPE s", "LRANGE s 0 -1", "SWAPDB 0 1", "LRANGE l4 0 -1", "DEL l4 s", "DBSIZE", "SWAPDB 0 1",
		"RPUSH one x", "EXPIRE one 1000", "LMOVE one one LEFT RIGHT", "TTL one", "LMOVE one two LEFT RIGHT",
		"TTL two", "HSET h f v", "SCAN 0 TYPE list", "FLUSHDB", "LLEN l",
	}},
	{name: "list binary and integers", lines: []string{
		`RPUSH "l\x00" "a\r\nb" "" "\x00\xff" 0 -0 1 -1 127 128 -128 -129 255 256 32767 32768 -32768 -32769`,
		`RPUSH "l\x00" 8388607 8388608 -8388608 -8388609 2147483647 2147483648 -2147483648 -2147483649`,
		`RPUSH "l\x00" 9223372036854775807 -9223372036854775808 9223372036854775808 1.5 1e3 " 1" "1 " 0x1 +1 01`,
		`LRANGE "l\x00" 0 -1`, `LPOS "l\x00" "" COUNT 0`, `LPOS "l\x00" 128`, `LPOS "l\x00" 0128`,
		`LREM "l\x00" 0 -1`, `LINSERT "l\x00" BEFORE 32768 "\x00"`, `LSET "l\x00" 2 12345678901`,
		`LINDEX "l\x00" 2`, `LRANGE "l\x00" 0 -1`, `LPOP "l\x00" 50`, `EXISTS "l\x00"`,
	}},
	{name: "list large", lines: largeListLines()},
	{name: "list pipeline", pipeline: true, lines: []string{
		"RPUSH l a b c", "LPUSH l z", "LPOP l", "RPOP l 2", "LLEN l", "LRANGE l 0 -1", "NOSUCH", "RPUSH", "LINDEX l 0",
		"LSET l 0 v", "LPOS l v", "RPOPLPUSH l m", "LMPOP 1 m LEFT", "RPUSH m q", "BLPOP l m 0", "LINSERT l BEFORE x y",
		"RPUSH l 1 2 3", "LTRIM l 1 -1", "LRANGE l 0 -1", "LREM l 1 3", "LRANGE l 0 -1",
	}},
	listArityCases(),
	listCommandInfoCases(),
}

// largeListLines builds lists of many chunks in Redis's terms (more than
// one listpack of 8 KB) and edits them in the middle, at the ends and
// across chunk boundaries.
func largeListLines() []string {
	push := func(cmd, key string, n, size int) string {
		var b strings.Builder
		b.WriteString(cmd + " " + key)
		for i := range n {
			v := strconv.Itoa(i)
			if size > 0 {
				v = fmt.Sprintf("%s-%s", v, strings.Repeat("x", size*(i%7)))
			}
			b.WriteString(" " + v)
		}
		return b.String()
	}
	return []string{
		push("RPUSH", "l", 3000, 0), push("LPUSH", "l", 1000, 9), "LLEN l", "LRANGE l 990 1010", "LRANGE l -5 -1",
		"LINDEX l 2500", "LINDEX l -2500", "LSET l 2000 " + strings.Repeat("y", 9000), "LINDEX l 2000",
		"LRANGE l 1998 2002", "LINSERT l BEFORE 1500 mid", "LINSERT l AFTER 2999 end", "LRANGE l -3 -1",
		"LPOS l 77 RANK -1", "LPOS l 1234 COUNT 0", "LPOS l 5 MAXLEN 1500", "LREM l 0 mid", "LREM l -2 1",
		"LTRIM l 100 -100", "LLEN l", "LRANGE l 0 3", "LRANGE l -3 -1", "LPOP l 300", "RPOP l 7", "LLEN l",
		"LMPOP 1 l RIGHT COUNT 1000", "LLEN l", "RPUSH big " + strings.Repeat("z", 20000), "RPUSH big small",
		"LPUSH big " + strings.Repeat("w", 70000), "LRANGE big 1 -1", "LLEN big", "LMOVE big l RIGHT LEFT",
		"LINDEX l 0", "LTRIM l 0 -1", "LRANGE l 0 -1",
	}
}

// listCommandNames are the list commands, for the arity and COMMAND cases.
var listCommandNames = []string{
	"lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset", "linsert", "lrem",
	"ltrim", "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop", "blmove", "brpoplpush", "blmpop",
}

// listArityCases sends each list command with no arguments, one, and too
// many. A blocking pop whose arguments parse would block in Redis, so the
// long forms end in a bad timeout or a syntax error.
func listArityCases() compatCase {
	c := compatCase{name: "list arity"}
	for _, n := range listCommandNames {
		c.lines = append(c.lines, n, strings.ToUpper(n)+" a")
		switch n {
		case "blpop", "brpop", "brpoplpush":
			c.lines = append(c.lines, n+" a b c d e f g h")
		default:
			if !strings.HasPrefix(n, "b") {
				c.lines = append(c.lines, n+" a b c d e f g h")
			}
		}
	}
	return c
}

// listCommandInfoCases asks COMMAND INFO and COMMAND DOCS about each list
// command.
func listCommandInfoCases() compatCase {
	c := compatCase{name: "list command info and docs"}
	for _, n := range listCommandNames {
		c.lines = append(c.lines, "COMMAND INFO "+n, "COMMAND DOCS "+n)
	}
	return c
}

// TestCompatLists runs the list cases on Redis, a single node and a
// follower, in RESP2 and RESP3, as TestCompat does.
func TestCompatLists(t *testing.T) {
	runCompatCases(t, "list cases", listCompatCases, 2, 3)
}

func init() {
	generators = append(generators, listGenerators...)
}

// listGenerators are the random generator's list commands, on the same
// keys as every other type's, so that WRONGTYPE crossings come often.
// Blocking pops are drawn only inside MULTI, where they never block: out
// of it, a timeout of 0 (or one the generator appends) would block Redis.
var listGenerators = []genFunc{
	func(g *cmdGen) []string {
		return append([]string{g.pick("LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), g.key()},
			g.listValues(1, 4)...)
	},
	func(g *cmdGen) []string {
		return append([]string{g.pick("LPUSH", "RPUSH"), g.key()}, g.listValues(1, 4)...)
	},
	func(g *cmdGen) []string {
		args := []string{g.pick("LPOP", "RPOP"), g.key()}
		if g.chance(0.5) {
			args = append(args, g.listCount())
		}
		return args
	},
	func(g *cmdGen) []string { return []string{"LLEN", g.key()} },
	func(g *cmdGen) []string { return []string{"LRANGE", g.key(), g.listIndex(), g.listIndex()} },
	func(g *cmdGen) []string { return []string{"LRANGE", g.key(), "0", "-1"} },
	func(g *cmdGen) []string { return []string{"LINDEX", g.key(), g.listIndex()} },
	func(g *cmdGen) []string { return []string{"LSET", g.key(), g.listIndex(), g.listValue()} },
	func(g *cmdGen) []string {
		return []string{"LINSERT", g.key(), g.pick("BEFORE", "AFTER", "after", "MIDDLE"), g.listValue(), g.listValue()}
	},
	func(g *cmdGen) []string { return []string{"LREM", g.key(), g.listIndex(), g.listValue()} },
	func(g *cmdGen) []string { return []string{"LTRIM", g.key(), g.listIndex(), g.listIndex()} },
	func(g *cmdGen) []string {
		return append([]string{"LPOS", g.key(), g.listValue()}, g.options(3,
			func() []string {
				return []string{"RANK", g.pick("1", "2", "-1", "-2", "0", "x", "-9223372036854775808")}
			},
			func() []string { return []string{"COUNT", g.pick("0", "1", "2", "-1", "x")} },
			func() []string { return []string{"MAXLEN", g.pick("0", "1", "3", "-1", "x")} },
			word("FOO"))...)
	},
	func(g *cmdGen) []string {
		return []string{"LMOVE", g.key(), g.key(), g.listWhere(), g.listWhere()}
	},
	func(g *cmdGen) []string { return []string{"RPOPLPUSH", g.key(), g.key()} },
	func(g *cmdGen) []string {
		keys := g.keys(1, 3)
		args := append([]string{"LMPOP", g.listNumkeys(len(keys))}, keys...)
		return append(append(args, g.listWhere()), g.mpopOptions()...)
	},
	func(g *cmdGen) []string {
		if !g.multi {
			return nil // drawn again
		}
		timeout := g.pick("0", "0", "0.5", "1", "-1", "x", "inf")
		switch g.r.IntN(4) {
		case 0:
			return append(append([]string{g.pick("BLPOP", "BRPOP")}, g.keys(1, 3)...), timeout)
		case 1:
			return []string{"BLMOVE", g.key(), g.key(), g.listWhere(), g.listWhere(), timeout}
		case 2:
			return []string{"BRPOPLPUSH", g.key(), g.key(), timeout}
		}
		keys := g.keys(1, 3)
		args := append([]string{"BLMPOP", timeout, g.listNumkeys(len(keys))}, keys...)
		return append(append(args, g.listWhere()), g.mpopOptions()...)
	},
}

// listValue is an element: mostly from a small set, so that LPOS, LREM and
// LINSERT find what was pushed; integers and binary too.
func (g *cmdGen) listValue() string {
	if g.chance(0.7) {
		return g.pick("a", "b", "c", "1", "-1", "12345", "")
	}
	return g.value()
}

func (g *cmdGen) listValues(min, max int) []string {
	out := make([]string, min+g.r.IntN(max-min+1))
	for i := range out {
		out[i] = g.listValue()
	}
	return out
}

func (g *cmdGen) listIndex() string {
	if g.chance(0.8) {
		return strconv.Itoa(g.r.IntN(14) - 7)
	}
	return g.integer()
}

func (g *cmdGen) listCount() string {
	if g.chance(0.8) {
		return strconv.Itoa(g.r.IntN(5))
	}
	return g.pick("-1", "x", "9223372036854775807", "1.5", "")
}

func (g *cmdGen) listWhere() string { return g.pick("LEFT", "RIGHT", "left", "Right", "UP") }

// listNumkeys is LMPOP's numkeys for n keys: mostly right.
func (g *cmdGen) listNumkeys(n int) string {
	if g.chance(0.85) {
		return strconv.Itoa(n)
	}
	return g.pick("0", "-1", "x", strconv.Itoa(n+1), strconv.Itoa(max(n-1, 1)), "9223372036854775807")
}

func (g *cmdGen) mpopOptions() []string {
	return g.options(2, func() []string { return []string{"COUNT", g.pick("1", "2", "5", "0", "-1", "x")} }, word("FOO"))
}
