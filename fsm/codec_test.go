package fsm

import (
	"bytes"
	"strings"
	"testing"
)

func parseLine(t testing.TB, now int64, line string) Command {
	t.Helper()
	args := splitArgs(line)
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	c, ok, err := Parse(argv, now)
	if !ok || err != nil {
		t.Fatalf("Parse(%q) = ok %v, err %v", line, ok, err)
	}
	return c
}

// TestRoundTrip checks that every command survives AppendBinary and Decode
// unchanged, including its carried time, flags and numeric arguments.
func TestRoundTrip(t *testing.T) {
	lines := []string{
		"GET k", "SET k v", "SET k v NX GET EX 10", "SET k v XX KEEPTTL", "SET k '' PXAT 99",
		"SETNX k v", "SETEX k 10 v", "PSETEX k 10 v", "GETSET k v", "GETDEL k",
		"GETEX k PERSIST", "GETEX k EXAT 5", "DEL a b c", "UNLINK a", "EXISTS a a",
		"MGET a b", "MSET a 1 b 2", "MSETNX a 1", "INCR k", "DECR k",
		"INCRBY k -9223372036854775808", "DECRBY k 9223372036854775807", "INCRBYFLOAT k 1.5",
		"DBSIZE", "FLUSHALL", "FLUSHDB ASYNC", "APPEND k v", "STRLEN k",
		"GETRANGE k -9223372036854775808 9223372036854775807", "SETRANGE k 536870911 x",
		"TYPE k", "TTL k", "PTTL k", "EXPIRETIME k", "PEXPIRETIME k",
		"EXPIRE k 10 XX GT", "PEXPIRE k -5", "EXPIREAT k 1 LT", "PEXPIREAT k 1 NX",
		"PERSIST k", "TOUCH a b", "RENAME a b", "RENAMENX a b", "COPY a b REPLACE DB 0",
		"HSET h a 1 b 2", "HMSET h a 1", "HSETNX h a 1", "HGET h a", "HMGET h a b", "HGETALL h",
		"HDEL h a b", "HEXISTS h a", "HLEN h", "HSTRLEN h a", "HINCRBY h a -9223372036854775808",
		"HINCRBYFLOAT h a 1.5", "HKEYS h", "HVALS h", "HSCAN h 18446744073709551615 MATCH a* COUNT 5",
		"HSCAN h 0 COUNT x", "HSCAN h 0 FOO", "KEYS a*", "SCAN 7 MATCH * COUNT 100 TYPE hash", "SCAN 0",
		"SCAN 0 TYPE string", "RANDOMKEY",
	}
	for _, now := range []int64{0, 1, scriptTime, -1} {
		for _, line := range lines {
			c := parseLine(t, now, line)
			enc := c.AppendBinary([]byte("prefix"))
			if !bytes.HasPrefix(enc, []byte("prefix")) {
				t.Fatalf("%s: AppendBinary lost dst", line)
			}
			enc = enc[len("prefix"):]
			d, err := Decode(enc)
			if err != nil {
				t.Fatalf("%s: Decode: %v", line, err)
			}
			if d.op != c.op || d.flags != c.flags || d.time != now || d.ints != c.ints ||
				len(d.args) != len(c.args) {
				t.Fatalf("%s: decoded %+v, want %+v", line, d, c)
			}
			for i := range c.args {
				if !bytes.Equal(d.args[i], c.args[i]) {
					t.Fatalf("%s: arg %d = %q, want %q", line, i, d.args[i], c.args[i])
				}
			}
			if d.IsWrite() != c.IsWrite() || d.Name() != c.Name() {
				t.Fatalf("%s: IsWrite/Name changed in the round trip", line)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := parseLine(t, scriptTime, "MSET a 1 b 2").AppendBinary(nil)
	cases := map[string][]byte{
		"empty":            nil,
		"opcode zero":      {0, 0, 0, 0},
		"unknown opcode":   {byte(opLegacyEnd), 0, 0, 0},
		"truncated":        valid[:len(valid)-1],
		"trailing bytes":   append(append([]byte{}, valid...), 0),
		"odd mset":         Command{op: opMSet, args: [][]byte{[]byte("a")}}.AppendBinary(nil),
		"get without key":  Command{op: opGet}.AppendBinary(nil),
		"set with 3 args":  Command{op: opSet, args: [][]byte{{1}, {2}, {3}}}.AppendBinary(nil),
		"huge arg count":   {byte(opDel), 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge arg length":  {byte(opGet), 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a'},
		"overlong varint":  {byte(opGet), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"flags over 16bit": {byte(opGet), 0x80, 0x80, 0x04, 0, 1, 1, 'a'},
	}
	for name, b := range cases {
		if c, err := Decode(b); err == nil {
			t.Errorf("%s: Decode(%x) = %+v, want an error", name, b, c)
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to the same bytes and can be applied without panicking.
func FuzzDecode(f *testing.F) {
	for _, line := range []string{"SET k v NX EX 10", "MSET a 1 b 2", "GETRANGE k 0 -1",
		"SETRANGE k 3 abc", "EXPIRE k 10 GT", "INCRBYFLOAT k 1e3", "COPY a b REPLACE",
		"HSET h a 1 b 2", "HINCRBYFLOAT h a 1.5", "HSCAN h 0 MATCH a*", "SCAN 3 MATCH a* TYPE hash"} {
		f.Add(parseLine(f, scriptTime, line).AppendBinary(nil))
	}
	f.Add(NewMulti([]Command{parseLine(f, scriptTime, "SET a 1"), parseLine(f, scriptTime, "HGETALL h")},
		[]Watch{{Key: []byte("a"), Mod: 3}}).AppendBinary(nil))
	f.Add(NewExpire([][]byte{[]byte("a"), []byte("b")}, scriptTime).AppendBinary(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			return
		}
		if again := c.AppendBinary(nil); !bytes.Equal(again, b) {
			// Varints have one canonical form per value only when minimal;
			// a non-minimal encoding may decode fine but re-encode shorter.
			if len(again) >= len(b) {
				t.Fatalf("re-encoding %x gave %x", b, again)
			}
		}
		s := New()
		s.Apply(1, b)
		s.Read(c, scriptTime)
	})
}

func TestParseUnknown(t *testing.T) {
	for _, argv := range [][][]byte{nil, {[]byte("PING")}, {[]byte(strings.Repeat("x", 100))}, {[]byte("NOSUCHCOMMAND"), []byte("l")}} {
		if _, ok, err := Parse(argv, 0); ok || err != nil {
			t.Errorf("Parse(%q) = ok %v, err %v; want not ok", argv, ok, err)
		}
	}
}

func TestParseCarriesTimeAndDeadlines(t *testing.T) {
	const now = 5_000
	cases := []struct {
		line     string
		deadline int64
	}{
		{"SET k v EX 10", now + 10_000},
		{"SET k v PX 10", now + 10},
		{"SET k v EXAT 10", 10_000},
		{"SET k v PXAT 10", 10},
		{"SETEX k 2 v", now + 2_000},
		{"PSETEX k 2 v", now + 2},
		{"GETEX k EX 1", now + 1_000},
		{"EXPIRE k 3", now + 3_000},
		{"PEXPIRE k 3", now + 3},
		{"EXPIREAT k 3", 3_000},
		{"PEXPIREAT k 3", 3},
		{"EXPIRE k -3", now - 3_000},
	}
	for _, tc := range cases {
		c := parseLine(t, now, tc.line)
		if c.Time() != now || c.ints[0] != tc.deadline {
			t.Errorf("%s: time %d deadline %d, want %d and %d", tc.line, c.Time(), c.ints[0], now, tc.deadline)
		}
	}
}

func TestKeys(t *testing.T) {
	cases := map[string]string{
		"MSET a 1 b 2":   "a b",
		"SET k v EX 10":  "k",
		"DEL a b":        "a b",
		"RENAME a b":     "a b",
		"SETRANGE k 1 v": "k",
		"DBSIZE":         "",
	}
	for line, want := range cases {
		var got []string
		for _, k := range parseLine(t, 0, line).Keys() {
			got = append(got, string(k))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: Keys() = %q, want %q", line, got, want)
		}
	}
}
