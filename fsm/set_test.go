package fsm

import (
	"bytes"
	"fmt"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// setScripts are the set commands' cases. They run locally (TestSetScripts)
// and against redis-server (TestSetScriptsAgainstRedis). A command written
// "~CMD ..." has a reply whose order Redis does not fix (a hash-table
// set): both replies are compared with their members sorted. Every other
// reply, intsets' included, must match exactly.
var setScripts = []script{
	{name: "sadd srem scard sismember smismember", steps: []step{
		{"SADD s 3 1 2", "(integer) 3"},
		{"SADD s 2 3 4 4", "(integer) 1"},
		{"SCARD s", "(integer) 4"},
		{"SMEMBERS s", `["1" "2" "3" "4"]`},
		{"SISMEMBER s 2", "(integer) 1"},
		{"SISMEMBER s 9", "(integer) 0"},
		{"SISMEMBER s 02", "(integer) 0"},
		{"SISMEMBER nokey 2", "(integer) 0"},
		{"SMISMEMBER s 1 9 4", "[(integer) 1 (integer) 0 (integer) 1]"},
		{"SMISMEMBER nokey 1", "[(integer) 0]"},
		{"SREM s 1 9 1", "(integer) 1"},
		{"SREM nokey 1", "(integer) 0"},
		{"SREM s 9", "(integer) 0"},
		{"SMEMBERS s", `["2" "3" "4"]`},
		{"SADD s -5 100000 -9223372036854775808", "(integer) 3"},
		{"SMEMBERS s", `["-9223372036854775808" "-5" "2" "3" "4" "100000"]`},
		{"SREM s 2 3 4 -5 100000 -9223372036854775808", "(integer) 6"},
		{"EXISTS s", "(integer) 0"},
		{"SCARD s", "(integer) 0"},
		{"SMEMBERS nokey", "[]"},
		{"SADD t a", "(integer) 1"},
		{"SADD t b ''", "(integer) 2"},
		{"~SMEMBERS t", `["" "a" "b"]`},
		{"TYPE t", "set"},
		{"SADD t", arity("sadd")},
		{"SREM t", arity("srem")},
		{"SCARD", arity("scard")},
		{"SCARD t x", arity("scard")},
		{"SISMEMBER t", arity("sismember")},
		{"SISMEMBER t a b", arity("sismember")},
		{"SMISMEMBER t", arity("smismember")},
		{"SMEMBERS", arity("smembers")},
		{"SMEMBERS t x", arity("smembers")},
	}},
	{name: "set wrong types", steps: []step{
		{"SET str v", "OK"},
		{"HSET h f v", "(integer) 1"},
		{"SADD str a", wrongType},
		{"SADD h a", wrongType},
		{"SREM str a", wrongType},
		{"SCARD str", wrongType},
		{"SISMEMBER str a", wrongType},
		{"SMISMEMBER h a", wrongType},
		{"SMEMBERS str", wrongType},
		{"SRANDMEMBER str", wrongType},
		{"SRANDMEMBER str 0", wrongType},
		{"SPOP str", wrongType},
		{"SPOP h 0", wrongType},
		{"SINTER nokey str", wrongType},
		{"SINTERCARD 2 nokey str", wrongType},
		{"SUNION str", wrongType},
		{"SDIFF nokey h", wrongType},
		{"SSCAN str 0", wrongType},
		{"SSCAN str 0 COUNT x", wrongType},
		{"SADD s 1", "(integer) 1"},
		{"SMOVE str s 1", wrongType},
		{"SMOVE s str 1", wrongType},
		{"SMOVE s str 9", wrongType},
		{"SMOVE nokey str 1", "(integer) 0"},
		{"SINTERSTORE d str", wrongType},
		{"SUNIONSTORE d s h", wrongType},
		{"SDIFFSTORE d s str", wrongType},
		{"EXISTS d", "(integer) 0"},
		{"GET s", wrongType},
		{"HGET s f", wrongType},
		// A STORE replaces a destination of any type.
		{"SINTERSTORE str s", "(integer) 1"},
		{"TYPE str", "set"},
		{"SUNIONSTORE h s", "(integer) 1"},
		{"SMEMBERS h", `["1"]`},
	}},
	{name: "srandmember spop", steps: []step{
		{"SADD s 7", "(integer) 1"},
		{"SRANDMEMBER s", `"7"`},
		{"SRANDMEMBER s 1", `["7"]`},
		{"SRANDMEMBER s 5", `["7"]`},
		{"SRANDMEMBER s -3", `["7" "7" "7"]`},
		{"SRANDMEMBER s 0", "[]"},
		{"SRANDMEMBER nokey", "(nil)"},
		{"SRANDMEMBER nokey 5", "[]"},
		{"SRANDMEMBER nokey -5", "[]"},
		{"SRANDMEMBER s x", notInteger},
		{"SRANDMEMBER nokey 1.5", notInteger},
		{"SRANDMEMBER s -9223372036854775808", "(error) ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
		{"SRANDMEMBER s 1 2", syntaxErr},
		{"SRANDMEMBER", arity("srandmember")},
		{"SADD i 3 1 2", "(integer) 3"},
		{"SRANDMEMBER i 3", `["1" "2" "3"]`},
		{"SRANDMEMBER i 100", `["1" "2" "3"]`},
		{"SPOP i 3", `["1" "2" "3"]`},
		{"EXISTS i", "(integer) 0"},
		{"SADD i 3 1 2", "(integer) 3"},
		{"SPOP i 9223372036854775807", `["1" "2" "3"]`},
		{"SPOP s", `"7"`},
		{"EXISTS s", "(integer) 0"},
		{"SPOP s", "(nil)"},
		{"SPOP s 0", "[]"},
		{"SPOP s 5", "[]"},
		{"SADD s a", "(integer) 1"},
		{"SPOP s 0", "[]"},
		{"SPOP s 1", `["a"]`},
		{"SPOP s -1", "(error) ERR value is out of range, must be positive"},
		{"SPOP s x", "(error) ERR value is out of range, must be positive"},
		{"SPOP nokey 1.0", "(error) ERR value is out of range, must be positive"},
		{"SPOP s 1 2", syntaxErr},
		{"SPOP", arity("spop")},
	}},
	{name: "smove", steps: []step{
		{"SADD a 1 2", "(integer) 2"},
		{"SMOVE a b 1", "(integer) 1"},
		{"SMOVE a b 1", "(integer) 0"},
		{"SMEMBERS a", `["2"]`},
		{"SMEMBERS b", `["1"]`},
		{"SMOVE a a 2", "(integer) 1"},
		{"SMOVE a a 9", "(integer) 0"},
		{"SMOVE a b 2", "(integer) 1"},
		{"EXISTS a", "(integer) 0"},
		{"SMEMBERS b", `["1" "2"]`},
		{"SMOVE nokey b 1", "(integer) 0"},
		{"SADD c x", "(integer) 1"},
		{"SMOVE b c 1", "(integer) 1"},
		{"~SMEMBERS c", `["1" "x"]`},
		{"SMOVE b", arity("smove")},
		{"SMOVE b c 1 2", arity("smove")},
	}},
	{name: "sinter sintercard sinterstore", steps: []step{
		{"SADD a 1 2 3 4 5", "(integer) 5"},
		{"SADD b 5 4 3 9", "(integer) 4"},
		{"SADD c 3 4 x", "(integer) 3"},
		{"SINTER a b", `["3" "4" "5"]`},
		{"SINTER a", `["1" "2" "3" "4" "5"]`},
		{"~SINTER a b c", `["3" "4"]`},
		{"SINTER a nokey", "[]"},
		{"SINTER nokey", "[]"},
		{"SINTERCARD 2 a b", "(integer) 3"},
		{"SINTERCARD 2 a b LIMIT 2", "(integer) 2"},
		{"SINTERCARD 2 a b LIMIT 0", "(integer) 3"},
		{"SINTERCARD 2 a b limit 10", "(integer) 3"},
		{"SINTERCARD 1 a LIMIT 1 LIMIT 4", "(integer) 4"},
		{"SINTERCARD 2 a nokey", "(integer) 0"},
		{"SINTERCARD 0 a", "(error) ERR numkeys should be greater than 0"},
		{"SINTERCARD -1 a", "(error) ERR numkeys should be greater than 0"},
		{"SINTERCARD x a", "(error) ERR numkeys should be greater than 0"},
		{"SINTERCARD 2 a", "(error) ERR Number of keys can't be greater than number of args"},
		{"SINTERCARD 9223372036854775807 a", "(error) ERR Number of keys can't be greater than number of args"},
		{"SINTERCARD 1 a LIMIT -1", "(error) ERR LIMIT can't be negative"},
		{"SINTERCARD 1 a LIMIT x", "(error) ERR LIMIT can't be negative"},
		{"SINTERCARD 1 a LIMIT", syntaxErr},
		{"SINTERCARD 1 a b", syntaxErr},
		{"SINTERCARD 1", arity("sintercard")},
		{"SINTERSTORE d a b", "(integer) 3"},
		{"SMEMBERS d", `["3" "4" "5"]`},
		{"SINTERSTORE d a c", "(integer) 2"},
		{"SMEMBERS d", `["3" "4"]`},
		{"EXPIRE d 100", "(integer) 1"},
		{"SINTERSTORE d d a", "(integer) 2"},
		{"TTL d", "(integer) -1"},
		{"SINTERSTORE d a nokey", "(integer) 0"},
		{"EXISTS d", "(integer) 0"},
		{"SINTERSTORE d", arity("sinterstore")},
		{"SINTER", arity("sinter")},
	}},
	{name: "sunion sdiff and their stores", steps: []step{
		{"SADD a 5 1 3", "(integer) 3"},
		{"SADD b 2 3 4", "(integer) 3"},
		{"SUNION a b", `["1" "2" "3" "4" "5"]`},
		{"SUNION a nokey b", `["1" "2" "3" "4" "5"]`},
		{"SUNION nokey", "[]"},
		{"SDIFF a b", `["1" "5"]`},
		{"SDIFF b a", `["2" "4"]`},
		{"SDIFF a a", "[]"},
		{"SDIFF a nokey", `["1" "3" "5"]`},
		{"SDIFF nokey a", "[]"},
		{"SUNIONSTORE d a b", "(integer) 5"},
		{"SMEMBERS d", `["1" "2" "3" "4" "5"]`},
		{"SDIFFSTORE d d a", "(integer) 2"},
		{"SMEMBERS d", `["2" "4"]`},
		{"SDIFFSTORE d a a", "(integer) 0"},
		{"EXISTS d", "(integer) 0"},
		{"SUNIONSTORE d nokey", "(integer) 0"},
		{"SADD c x y", "(integer) 2"},
		{"~SUNION a c", `["1" "3" "5" "x" "y"]`},
		{"~SDIFF c a", `["x" "y"]`},
		{"SUNIONSTORE e a c", "(integer) 5"},
		{"SREM e x y", "(integer) 2"},
		{"~SMEMBERS e", `["1" "3" "5"]`},
		{"SUNION", arity("sunion")},
		{"SDIFF", arity("sdiff")},
		{"SUNIONSTORE d", arity("sunionstore")},
		{"SDIFFSTORE d", arity("sdiffstore")},
	}},
	{name: "sscan", steps: []step{
		{"SADD i 10 2 33", "(integer) 3"},
		{"SSCAN i 0", `["0" ["2" "10" "33"]]`},
		{"SSCAN i 7 COUNT 1", `["0" ["2" "10" "33"]]`},
		{"SSCAN i 0 MATCH 3*", `["0" ["33"]]`},
		{"SSCAN i 0 MATCH *0 COUNT 100", `["0" ["10"]]`},
		{"SSCAN i 0 MATCH a MATCH 1*", `["0" ["10"]]`},
		{"SSCAN i 0 COUNT 0", syntaxErr},
		{"SSCAN i 0 COUNT x", notInteger},
		{"SSCAN i 0 MATCH", syntaxErr},
		{"SSCAN i 0 TYPE set", syntaxErr},
		{"SSCAN i 0 NOVALUES", syntaxErr},
		{"SSCAN i x", "(error) ERR invalid cursor"},
		{"SSCAN nokey 0", `["0" []]`},
		{"SSCAN nokey 0 COUNT x", `["0" []]`},
		{"SSCAN nokey x", "(error) ERR invalid cursor"},
		{"SADD h a b", "(integer) 2"},
		{"~SSCAN h 0 COUNT 100", `["0" ["a" "b"]]`},
		{"SSCAN h 0 MATCH a COUNT 100", `["0" ["a"]]`},
		{"SSCAN i", arity("sscan")},
	}},
	{name: "set encodings", steps: []step{
		{"SADD i 1 2 -3", "(integer) 3"},
		{"OBJECT ENCODING i", `"intset"`},
		{"SADD i 70000 9223372036854775807", "(integer) 2"},
		{"OBJECT ENCODING i", `"intset"`},
		{"SADD i 01", "(integer) 1"},
		{"OBJECT ENCODING i", `"hashtable"`},
		{"SREM i 01", "(integer) 1"},
		{"OBJECT ENCODING i", `"hashtable"`},
		{"SADD h a", "(integer) 1"},
		{"OBJECT ENCODING h", `"hashtable"`},
		{"SUNIONSTORE u i", "(integer) 5"},
		{"OBJECT ENCODING u", `"intset"`},
		{"SINTERSTORE v i h", "(integer) 0"},
		{"SMOVE i n 1", "(integer) 1"},
		{"OBJECT ENCODING n", `"intset"`},
		{"SMOVE h n a", "(integer) 1"},
		{"OBJECT ENCODING n", `"hashtable"`},
		{"SDIFFSTORE d i n", "(integer) 4"},
		{"OBJECT ENCODING d", `"intset"`},
	}},
	{name: "sets and the key commands", steps: []step{
		{"SADD s 1 2", "(integer) 2"},
		{"TYPE s", "set"},
		{"COPY s c", "(integer) 1"},
		{"SADD c 3", "(integer) 1"},
		{"SMEMBERS s", `["1" "2"]`},
		{"SMEMBERS c", `["1" "2" "3"]`},
		{"RENAME c r", "OK"},
		{"SMEMBERS r", `["1" "2" "3"]`},
		{"EXISTS c", "(integer) 0"},
		{"MOVE r 3", "(integer) 1"},
		{"EXISTS r", "(integer) 0"},
		{"COPY s s2 DB 5", "(integer) 1"},
		{"SCAN 0 TYPE set COUNT 1000", `["0" ["s"]]`},
		{"SET str v", "OK"},
		{"SCAN 0 TYPE SET COUNT 1000", `["0" ["s"]]`},
		{"EXPIRE s 100", "(integer) 1"},
		{"SADD s 3", "(integer) 1"},
		{"SREM s 1", "(integer) 1"},
		{"TTL s", "(integer) 100"},
		{"SMOVE s other 3", "(integer) 1"},
		{"TTL s", "(integer) 100"},
		{"SPOP s 1", `["2"]`},
		{"EXISTS s", "(integer) 0"},
		{"SADD s 1", "(integer) 1"},
		{"TTL s", "(integer) -1"},
	}},
}

// setSortedStep reports a "~" step and returns its command.
func setSortedStep(cmd string) (string, bool) {
	c, ok := strings.CutPrefix(cmd, "~")
	return c, ok
}

// sortMembers sorts a set reply's members, or an SSCAN reply's.
func sortMembers(r Reply) Reply {
	if len(r.Elems) == 2 && r.Elems[1].Kind == KindArray && r.Elems[0].Kind == KindBulk {
		return Array(r.Elems[0], sortMembers(r.Elems[1]))
	}
	out := slices.Clone(r.Elems)
	slices.SortFunc(out, func(a, b Reply) int { return bytes.Compare(a.Bytes, b.Bytes) })
	r.Elems = out
	return r
}

func TestSetScripts(t *testing.T) {
	for _, sc := range setScripts {
		t.Run(sc.name, func(t *testing.T) {
			n := newNode()
			for i, st := range sc.steps {
				cmd, sorted := setSortedStep(st.cmd)
				r := n.do(t, scriptTime, cmd)
				if sorted {
					r = sortMembers(r)
				}
				if got := r.String(); got != st.want {
					t.Errorf("step %d: %s\n got %s\nwant %s", i, cmd, got, st.want)
				}
			}
		})
	}
}

func TestSetScriptsAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	redis := redistest.Start(t)
	for _, sc := range setScripts {
		t.Run(sc.name, func(t *testing.T) {
			redis.Raw("FLUSHALL")
			n := newNode()
			for i, st := range sc.steps {
				cmd, sorted := setSortedStep(st.cmd)
				args := splitArgs(cmd)
				want := redis.Raw(args...)
				mine := n.doArgs(t, time.Now().UnixMilli(), args)
				if sorted {
					parsed, _, err := parseRESP2(want)
					if err != nil {
						t.Fatal(err)
					}
					want = appendRESP2(nil, sortMembers(parsed))
					mine = sortMembers(mine)
				}
				if got := appendRESP2(nil, mine); !bytes.Equal(got, want) {
					t.Errorf("step %d: %s\n fsm   %q\n redis %q", i, cmd, got, want)
				}
			}
		})
	}
}

// TestSetRandom checks SRANDMEMBER's and SPOP's rules on sets of both
// encodings, and that SPOP's choices come from the log entry alone.
func TestSetRandom(t *testing.T) {
	for _, members := range []string{"1 2 3 4 5 6 7 8 9 10", "a b c d e f g h i j"} {
		n := newNode()
		n.do(t, scriptTime, "SADD s "+members)
		all := map[string]bool{}
		for _, m := range strings.Fields(members) {
			all[m] = true
		}
		for _, count := range []int{1, 3, 9, 10, 11, -1, -5, -30} {
			r := n.do(t, scriptTime, fmt.Sprintf("SRANDMEMBER s %d", count))
			want := min(count, 10)
			if count < 0 {
				want = -count
			}
			if r.Kind != KindArray || len(r.Elems) != want {
				t.Fatalf("SRANDMEMBER s %d = %v, want %d members", count, r, want)
			}
			seen := map[string]bool{}
			for _, e := range r.Elems {
				if !all[string(e.Bytes)] || (count > 0 && seen[string(e.Bytes)]) {
					t.Fatalf("SRANDMEMBER s %d = %v: a stranger or a repeat", count, r)
				}
				seen[string(e.Bytes)] = true
			}
		}
		// Pops with every one of Redis's three cases, then a replay.
		left := 10
		for _, count := range []int{1, 6, 2, 1} {
			r := n.do(t, scriptTime, "SPOP s "+strconv.Itoa(count))
			if r.Kind != KindSet || len(r.Elems) != min(count, left) {
				t.Fatalf("SPOP s %d = %v with %d left", count, r, left)
			}
			for _, e := range r.Elems {
				if !all[string(e.Bytes)] {
					t.Fatalf("SPOP s %d popped %q twice or invented it", count, e.Bytes)
				}
				delete(all, string(e.Bytes))
			}
			left -= len(r.Elems)
			if got := n.do(t, scriptTime, "SCARD s"); got.Int != int64(left) {
				t.Fatalf("SCARD after SPOP = %v, want %d", got, left)
			}
		}
		replay := New()
		for i, e := range n.log {
			replay.Apply(uint64(i+1), e)
		}
		if !bytes.Equal(snapshotBytes(t, n.store), snapshotBytes(t, replay)) {
			t.Fatal("replaying the log of SPOPs gave another state")
		}
	}
	n := newNode()
	if r := n.do(t, scriptTime, "SRANDMEMBER s -1048577"); r.String() != "(error) ERR value is out of range" {
		t.Errorf("a huge negative count: %v", r)
	}
}

// TestSetSnapshotRoundTrip restores sets of both encodings, with and
// without deadlines and in another database, and expects every read to
// answer as before, the encodings to be kept and the snapshot to be
// written again identically. (MemoryUsage is an estimate from capacities,
// which a decoded set sizes exactly: it may be lower after a restore.)
func TestSetSnapshotRoundTrip(t *testing.T) {
	n := newNode()
	var big strings.Builder
	big.WriteString("SADD big")
	for i := range 600 {
		fmt.Fprintf(&big, " %d", i*7)
	}
	for _, cmd := range []string{
		"SADD i16 1 2 3", "SADD i64 1 9223372036854775807", "SADD h a b c 1", "SADD t 5",
		"EXPIRE t 1000", big.String(), "SREM big 0 7 14", "SADD shrunk 1 2 x", "SREM shrunk x",
	} {
		n.do(t, scriptTime, cmd)
	}
	n.db = 3
	n.do(t, scriptTime, "SADD other x y")
	snap, err := n.store.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := &node{store: New(), index: n.index}
	if err := restored.store.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	for db, keys := range map[int][]string{0: {"i16", "i64", "h", "t", "big", "shrunk", "nokey"}, 3: {"other"}} {
		n.db, restored.db = db, db
		for _, k := range keys {
			for _, cmd := range []string{"SMEMBERS ", "SCARD ", "TYPE ", "TTL ", "SSCAN %s 0 COUNT 5", "SISMEMBER %s 14"} {
				line := cmd + k
				if strings.Contains(cmd, "%s") {
					line = fmt.Sprintf(cmd, k)
				}
				if a, b := n.do(t, scriptTime, line).String(), restored.do(t, scriptTime, line).String(); a != b {
					t.Errorf("db %d: %s = %s, restored %s", db, line, a, b)
				}
			}
			e1, ok1 := n.store.dbs[db].lookupValue([]byte(k), scriptTime)
			e2, ok2 := restored.store.dbs[db].lookupValue([]byte(k), scriptTime)
			if ok1 != ok2 || (ok1 && e1.coll.Encoding() != e2.coll.Encoding()) {
				t.Errorf("db %d: %s is %s, restored %s", db, k, e1.coll.Encoding(), e2.coll.Encoding())
			}
		}
	}
	// The same SPOP applied to both pops the same members.
	n.db, restored.db = 0, 0
	if a, b := n.do(t, scriptTime, "SPOP big 300").String(), restored.do(t, scriptTime, "SPOP big 300").String(); a != b {
		t.Errorf("SPOP after restore: %s, original %s", b, a)
	}
	if !bytes.Equal(snapshotBytes(t, n.store), snapshotBytes(t, restored.store)) {
		t.Error("the restored store's snapshot differs from the original's")
	}
}

// TestSetWritesThatChangeNothing checks that they do not move the key's
// modification index, so that they abort no WATCH, as in Redis.
func TestSetWritesThatChangeNothing(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SADD s 1 2")
	n.do(t, scriptTime, "SADD d 1")
	if _, err := n.store.Snapshot(); err != nil { // so that the next write would clone
		t.Fatal(err)
	}
	before := n.store.ModIndex(0, []byte("s"), scriptTime)
	for _, cmd := range []string{"SADD s 1 2", "SREM s 9", "SPOP s 0", "SMOVE s d 9", "SMOVE s s 1",
		"SINTERSTORE nokey s nokey2"} {
		n.do(t, scriptTime, cmd)
		if got := n.store.ModIndex(0, []byte("s"), scriptTime); got != before {
			t.Errorf("%s moved the modification index from %d to %d", cmd, before, got)
		}
	}
	if got := n.store.ModIndex(0, []byte("nokey"), scriptTime); got != 0 {
		t.Errorf("an empty SINTERSTORE touched its absent destination: %d", got)
	}
	n.do(t, scriptTime, "SADD s 3")
	if got := n.store.ModIndex(0, []byte("s"), scriptTime); got == before {
		t.Error("SADD of a new member left the modification index")
	}
}

// randomSetWrite is a set write on a few keys, with members that keep a
// set an intset or convert it, and the commands that clone, move and
// replace sets.
func randomSetWrite(r *rand.Rand) string {
	key := func() string { return fmt.Sprintf("s%d", r.IntN(12)) }
	members := func() string {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			if r.IntN(5) == 0 {
				fmt.Fprintf(&b, " m%d", r.IntN(50))
			} else {
				fmt.Fprintf(&b, " %d", r.IntN(700))
			}
		}
		return b.String()
	}
	switch r.IntN(14) {
	case 0, 1, 2, 3:
		return "SADD " + key() + members()
	case 4:
		var b strings.Builder
		for range 520 {
			fmt.Fprintf(&b, " %d", r.IntN(5000))
		}
		return "SADD " + key() + b.String()
	case 5, 6:
		return "SREM " + key() + members()
	case 7:
		return fmt.Sprintf("SPOP %s %d", key(), r.IntN(400))
	case 8:
		return "SPOP " + key()
	case 9:
		return fmt.Sprintf("SMOVE %s %s %d", key(), key(), r.IntN(700))
	case 10:
		return fmt.Sprintf("%s %s %s %s", []string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.IntN(3)], key(), key(), key())
	case 11:
		return "COPY " + key() + " " + key() + " REPLACE"
	case 12:
		return "RENAME " + key() + " " + key()
	}
	return "DEL " + key()
}

// TestSetSnapshotCopyOnWrite captures snapshots among random set writes and
// writes some out while the writes go on: each must hold exactly the state
// after its index, so no write reached a set a snapshot shares.
func TestSetSnapshotCopyOnWrite(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		n := newNode()
		type capture struct {
			index int
			got   []byte
			done  chan struct{}
		}
		var caps []*capture
		for i := 0; i < 1500; i++ {
			n.do(t, scriptTime, randomSetWrite(r))
			if r.IntN(100) != 0 {
				continue
			}
			wt, err := n.store.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			c := &capture{index: int(n.index), done: make(chan struct{})}
			caps = append(caps, c)
			go func() {
				defer close(c.done)
				var buf bytes.Buffer
				if _, err := wt.WriteTo(&buf); err != nil {
					t.Error(err)
				}
				c.got = buf.Bytes()
			}()
		}
		for _, c := range caps {
			<-c.done
			if want := replayed(t, n.log, c.index); !bytes.Equal(c.got, want) {
				t.Fatalf("seed %d: snapshot after entry %d differs from a replay up to it", seed, c.index)
			}
		}
		if !bytes.Equal(snapshotBytes(t, n.store), replayed(t, n.log, len(n.log))) {
			t.Fatalf("seed %d: the store differs from a replay of its log", seed)
		}
	}
}

// FuzzDecodeSets feeds corrupt set commands to Decode, Apply and Read,
// which must reject or run them without panicking.
func FuzzDecodeSets(f *testing.F) {
	for _, line := range []string{"SADD s 1 a", "SREM s 1", "SPOP s 3", "SPOP s", "SRANDMEMBER s -5",
		"SMOVE a b 1", "SINTERCARD 2 a b LIMIT 3", "SUNIONSTORE d a b", "SSCAN s 0 MATCH a* COUNT 3",
		"SSCAN s 0 COUNT x", "SMISMEMBER s a b"} {
		f.Add(parseLine(f, scriptTime, line).AppendBinary(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			return
		}
		n := newNode()
		n.do(t, scriptTime, "SADD s 1 2 3")
		n.do(t, scriptTime, "SADD a x 1 y")
		n.store.Apply(n.index+1, b)
		n.store.Read(c, scriptTime)
	})
}

// TestSetRandomInApply checks that SRANDMEMBER inside a script or a
// transaction, and SPOP, choose from the entry: replaying the log gives the
// same state, though a script writes what it chose.
func TestSetRandomInApply(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SADD s a b c d e f g h i j k l m n o p")
	script := "local x = redis.call('srandmember', KEYS[1], 3) " +
		"local y = redis.call('srandmember', KEYS[1], -3) " +
		"redis.call('sadd', KEYS[2], unpack(x)) redis.call('sadd', KEYS[3], unpack(y)) " +
		"redis.call('sadd', KEYS[2], redis.call('srandmember', KEYS[1])) " +
		"redis.call('sadd', KEYS[3], redis.call('spop', KEYS[1])) return x"
	for range 5 {
		if r := n.doArgs(t, scriptTime, []string{"EVAL", script, "3", "s", "x", "y"}); r.Kind != KindArray || len(r.Elems) != 3 {
			t.Fatalf("EVAL = %v", r)
		}
	}
	n.doArgs(t, scriptTime, []string{"SADD", "s", "a", "b", "c"})
	replay := New()
	for i, e := range n.log {
		replay.Apply(uint64(i+1), e)
	}
	if !bytes.Equal(snapshotBytes(t, n.store), snapshotBytes(t, replay)) {
		t.Fatal("replaying scripts that write SRANDMEMBER's choices gave another state")
	}
	// Two choices in one entry are not the same choice.
	same := 0
	for range 20 {
		r := n.doArgs(t, scriptTime, []string{"EVAL",
			"return {redis.call('srandmember', KEYS[1], 5), redis.call('srandmember', KEYS[1], 5)}", "1", "s"})
		if r.Elems[0].String() == r.Elems[1].String() {
			same++
		}
	}
	if same > 2 {
		t.Errorf("%d of 20 scripts chose the same members twice", same)
	}
}

// encodedCommand is the log entry of args, as resp proposes it.
func encodedCommand(tb testing.TB, args ...string) []byte {
	tb.Helper()
	return parseLine(tb, scriptTime, strings.Join(args, " ")).AppendBinary(nil)
}

// BenchmarkApplySPop pops one member at a time from a large hash-table set.
func BenchmarkApplySPop(b *testing.B) {
	s := New()
	const members = 1 << 16
	for i := range members {
		s.Apply(uint64(i+1), encodedCommand(b, "SADD", "s", fmt.Sprintf("m%d", i)))
	}
	pop := encodedCommand(b, "SPOP", "s")
	refill := encodedCommand(b, "SADD", "s", "m0", "m1", "m2", "m3")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Apply(uint64(members+2*i+1), pop)
		s.Apply(uint64(members+2*i+2), refill)
	}
}

// BenchmarkReadSMembers reads a 100-member set whole, as a cache of tags
// would.
func BenchmarkReadSMembers(b *testing.B) {
	n := newNode()
	var line strings.Builder
	line.WriteString("SADD tags")
	for i := range 100 {
		fmt.Fprintf(&line, " tag%d", i)
	}
	n.do(b, scriptTime, line.String())
	c := parseLine(b, scriptTime, "SMEMBERS tags")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := n.store.Read(c, scriptTime); len(r.Elems) != 100 {
			b.Fatal(r)
		}
	}
}
