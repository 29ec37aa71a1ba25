package fsm

import (
	"bytes"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"strconv"
	"testing"
)

// exec applies a transaction of lines, watching keys with the tokens given.
func (n *node) exec(t *testing.T, now int64, watches []Watch, lines ...string) Reply {
	t.Helper()
	cmds := make([]Command, len(lines))
	for i, l := range lines {
		args := splitArgs(l)
		argv := make([][]byte, len(args))
		for j, a := range args {
			argv[j] = []byte(a)
		}
		c, ok, err := Parse(argv, now)
		switch {
		case !ok || IsArityError(err):
			t.Fatalf("%s: Redis would abort the whole transaction at queue time", l)
		case err != nil:
			c = ErrorCommand(err.Error())
		}
		cmds[i] = c
	}
	data := NewMulti(cmds, watches).WithTime(now).AppendBinary(nil)
	n.log = append(n.log, data)
	n.index++
	return n.store.Apply(n.index, data).(Reply)
}

func (n *node) watch(now int64, keys ...string) []Watch {
	var ws []Watch
	for _, k := range keys {
		ws = append(ws, Watch{Key: []byte(k), Mod: n.store.ModIndex(0, []byte(k), now)})
	}
	return ws
}

// TestWatchSemantics replays, with carried times, what redis-server 7.0
// does when a watched key changes or expires between WATCH and EXEC (each
// case was checked against redis-server 7.0.15 by hand with a short PX).
func TestWatchSemantics(t *testing.T) {
	const t0 = scriptTime
	cases := []struct {
		name    string
		setup   []string // at t0
		watchAt int64
		between []string // at t0+200
		execAt  int64
		aborted bool
	}{
		{"untouched live key", []string{"SET k v"}, t0, nil, t0 + 300, false},
		{"live key written", []string{"SET k v"}, t0, []string{"SET k v"}, t0 + 300, true},
		{"live key, no-op PERSIST", []string{"SET k v"}, t0, []string{"PERSIST k"}, t0 + 300, false},
		{"live key, failed SET NX", []string{"SET k v"}, t0, []string{"SET k w NX"}, t0 + 300, false},
		{"live key deleted", []string{"SET k v"}, t0, []string{"DEL k"}, t0 + 300, true},
		{"live key flushed", []string{"SET k v"}, t0, []string{"FLUSHALL"}, t0 + 300, true},
		{"live at WATCH, expired at EXEC", []string{"SET k v PX 100"}, t0, nil, t0 + 300, true},
		{"live at WATCH, expired and removed", []string{"SET k v PX 100"}, t0, []string{"GET k", "DEL k"}, t0 + 300, true},
		{"expired at WATCH, untouched", []string{"SET k v PX 50"}, t0 + 100, nil, t0 + 300, false},
		{"expired at WATCH, removed by a write", []string{"SET k v PX 50"}, t0 + 100, []string{"DEL k"}, t0 + 300, false},
		{"expired at WATCH, flushed", []string{"SET k v PX 50"}, t0 + 100, []string{"FLUSHALL"}, t0 + 300, false},
		{"expired at WATCH, set again", []string{"SET k v PX 50"}, t0 + 100, []string{"SET k new"}, t0 + 300, true},
		{"absent, flushed", nil, t0, []string{"SET other v", "FLUSHALL"}, t0 + 300, false},
		{"absent, set then deleted", nil, t0, []string{"SET k v", "DEL k"}, t0 + 300, true},
		{"absent, set then flushed", nil, t0, []string{"SET k v", "FLUSHALL"}, t0 + 300, true},
		{"absent, other key deleted", []string{"SET other v"}, t0, []string{"DEL other"}, t0 + 300, false},
		{"hash field changed", []string{"HSET k f v"}, t0, []string{"HSET k g w"}, t0 + 300, true},
		{"hash, HDEL of no field", []string{"HSET k f v"}, t0, []string{"HDEL k zz"}, t0 + 300, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode()
			for _, l := range tc.setup {
				n.do(t, t0, l)
			}
			ws := n.watch(tc.watchAt, "k")
			for _, l := range tc.between {
				n.do(t, t0+200, l)
			}
			r := n.exec(t, tc.execAt, ws, "SET x 1")
			if aborted := r.Kind == KindNilArray; aborted != tc.aborted {
				t.Errorf("EXEC = %s, aborted %v, want %v", r, aborted, tc.aborted)
			}
			if tc.aborted {
				if got := n.do(t, tc.execAt, "EXISTS x").String(); got != "(integer) 0" {
					t.Errorf("an aborted EXEC ran its commands")
				}
			}
		})
	}
}

func TestMultiRepliesAndTime(t *testing.T) {
	n := newNode()
	r := n.exec(t, scriptTime, nil, "SET s v PX 100", "INCR s", "GET s", "HSET s f v", "APPEND s x", "GET s", "PTTL s")
	want := `[OK (error) ERR value is not an integer or out of range "v" ` + wrongType + ` (integer) 2 "vx" (integer) 100]`
	if r.String() != want {
		t.Errorf("EXEC = %s\nwant %s", r, want)
	}
	if r := n.exec(t, scriptTime, nil); r.Kind != KindArray || len(r.Elems) != 0 {
		t.Errorf("empty EXEC = %s (kind %d), want an empty array", r, r.Kind)
	}
	// Every command runs at the entry's carried time, reads included.
	r = n.exec(t, scriptTime+100, nil, "GET s", "SET s w NX")
	if r.String() != `[(nil) OK]` {
		t.Errorf("EXEC at the deadline = %s", r)
	}
	// A transaction's keys are the watched ones, then its commands'.
	c := NewMulti([]Command{parseLine(t, 0, "MSET a 1 b 2"), parseLine(t, 0, "GET c")}, []Watch{{Key: []byte("w")}})
	var keys []string
	for _, k := range c.Keys() {
		keys = append(keys, string(k))
	}
	if got := keys; len(got) != 4 || got[0] != "w" || got[3] != "c" || !c.IsWrite() {
		t.Errorf("Keys() = %q, IsWrite %v", got, c.IsWrite())
	}
}

func TestMultiDecodeRejects(t *testing.T) {
	inner := NewMulti([]Command{parseLine(t, 0, "SET a 1")}, nil)
	nested := Command{op: opMulti, args: [][]byte{inner.AppendBinary(nil)}}.AppendBinary(nil)
	badToken := Command{op: opMulti, ints: [4]int64{1}, args: [][]byte{[]byte("k"), {1, 2}}}.AppendBinary(nil)
	badSub := Command{op: opMulti, args: [][]byte{{0xff}}}.AppendBinary(nil)
	tooManyWatches := Command{op: opMulti, ints: [4]int64{2}, args: [][]byte{[]byte("k"), make([]byte, 8)}}.AppendBinary(nil)
	negWatches := Command{op: opMulti, ints: [4]int64{-1}}.AppendBinary(nil)
	for name, b := range map[string][]byte{"nested": nested, "bad token": badToken, "bad command": badSub,
		"too many watches": tooManyWatches, "negative watches": negWatches} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode accepted %x", name, b)
		}
		if r := New().Apply(1, b).(Reply); !r.IsError() {
			t.Errorf("%s: Apply = %s, want an error", name, r)
		}
	}
}

// TestMultiAgainstRedis compares EXEC's reply with redis-server's for the
// same queued commands.
func TestMultiAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	redis := redistest.Start(t)
	txs := [][]string{
		{"SET s v", "INCR s", "GET s", "HSET s f v", "HSET h f 1", "HINCRBY h f 2", "HGETALL h", "HGET s f", "DEL s h", "MGET s h"},
		{},
		{"INCRBYFLOAT n 1.5", "HINCRBYFLOAT h f x", "KEYS n", "TYPE n", "EXISTS n nokey", "SET n v EX 0",
			"SCAN 0 COUNT 0", "HSCAN n 0", "GET n"},
	}
	redis.Raw("FLUSHALL")
	n := newNode()
	for _, tx := range txs {
		redis.Raw("MULTI")
		for _, l := range tx {
			redis.Raw(splitArgs(l)...)
		}
		want := redis.Raw("EXEC")
		got := appendRESP2(nil, n.exec(t, scriptTime, nil, tx...))
		if !bytes.Equal(got, want) {
			t.Errorf("EXEC of %q\n fsm   %q\n redis %q", tx, got, want)
		}
	}
}

func TestIsArityError(t *testing.T) {
	_, _, arityErr := Parse([][]byte{[]byte("HSET"), []byte("h")}, 0)
	_, _, syntaxErr := Parse([][]byte{[]byte("SCAN"), []byte("0"), []byte("FOO")}, 0)
	if !IsArityError(arityErr) || IsArityError(syntaxErr) || IsArityError(nil) {
		t.Errorf("IsArityError: %v for %v, %v for %v", IsArityError(arityErr), arityErr, IsArityError(syntaxErr), syntaxErr)
	}
}

// TestWatchAbsentNeighbours: creating "user:2" must not abort a WATCH of
// the absent "user:1" (Redis never does). Keys that differ only in their
// last byte once shared a created-bucket, so it always did.
func TestWatchAbsentNeighbours(t *testing.T) {
	n := newNode()
	for i := range 10 {
		key := "user:" + string(rune('0'+i))
		ws := n.watch(scriptTime, key)
		n.do(t, scriptTime, "SET user:"+string(rune('0'+(i+1)%10))+" v")
		n.do(t, scriptTime, "SET user:x"+string(rune('0'+i))+" v")
		if r := n.exec(t, scriptTime, ws, "GET zz"); r.Kind != KindArray {
			t.Errorf("WATCH %s aborted by the creation of a neighbour: %s", key, r)
		}
		n.do(t, scriptTime, "FLUSHALL")
	}
	// The buckets still spread: in 20000 keys of one pattern, none holds
	// many more than the 1.2 keys it would on average.
	var count [createdBuckets]int
	most := 0
	for i := range 20000 {
		b := createdBucketOf(keyHash([]byte("key:" + strconv.Itoa(i))))
		count[b]++
		most = max(most, count[b])
	}
	if most > 10 {
		t.Errorf("a created-bucket holds %d of 20000 keys", most)
	}
}
