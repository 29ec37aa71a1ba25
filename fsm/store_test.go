package fsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"testing"
)

func snapshotBytes(t testing.TB, s *Store) []byte {
	t.Helper()
	wt, err := s.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	var buf bytes.Buffer
	n, err := wt.WriteTo(&buf)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// populate fills a node with keys of every shape: with and without
// deadlines, empty and binary values, appended values with spare capacity.
func populate(t testing.TB, n *node) {
	t.Helper()
	for _, line := range []string{
		"SET a 1", "SET b 2 EX 100", "SET empty ''", "MSET c 3 d 4", "INCRBY n 42",
		"APPEND app x", "APPEND app y", "SETRANGE bin 3 z", "PEXPIREAT c 1800000000000",
		"INCRBYFLOAT f 1.5", "COPY a acopy",
	} {
		if r := n.do(t, scriptTime, line); r.IsError() {
			t.Fatalf("%s: %s", line, r)
		}
	}
}

func TestSnapshotRestore(t *testing.T) {
	src := newNode()
	populate(t, src)
	snap := snapshotBytes(t, src.store)

	dst := newNode()
	dst.do(t, scriptTime, "SET stale value EX 100")
	dst.do(t, scriptTime, "SET a overwritten")
	if err := dst.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if again := snapshotBytes(t, dst.store); !bytes.Equal(again, snap) {
		t.Fatalf("restored state snapshots differently:\n%x\n%x", again, snap)
	}
	if got := dst.do(t, scriptTime, "EXISTS stale").String(); got != "(integer) 0" {
		t.Errorf("Restore merged instead of replacing: EXISTS stale = %s", got)
	}
	checks := map[string]string{
		"GET a":                 `"1"`,
		"TTL b":                 "(integer) 100",
		"GET empty":             `""`,
		"GET app":               `"xy"`,
		"GET bin":               `"\x00\x00\x00z"`,
		"PEXPIRETIME c":         "(integer) 1800000000000",
		"GET f":                 `"1.5"`,
		"DBSIZE":                "(integer) 10",
		"OBJECT REFCOUNT a":     "(integer) 2147483647",
		"OBJECT REFCOUNT acopy": "(integer) 1",
		"GETRANGE app 1 1":      `"y"`,
	}
	for cmd, want := range checks {
		if got := dst.do(t, scriptTime, cmd).String(); got != want {
			t.Errorf("after restore %s = %s, want %s", cmd, got, want)
		}
	}
	if dst.store.Len() != src.store.Len() || dst.store.ExpiresLen() != src.store.ExpiresLen() {
		t.Errorf("Len/ExpiresLen = %d/%d, want %d/%d", dst.store.Len(), dst.store.ExpiresLen(),
			src.store.Len(), src.store.ExpiresLen())
	}
	if dst.store.AppliedIndex() != src.store.AppliedIndex() {
		t.Errorf("AppliedIndex = %d, want %d", dst.store.AppliedIndex(), src.store.AppliedIndex())
	}
}

func TestSnapshotEmpty(t *testing.T) {
	snap := snapshotBytes(t, New())
	s := New()
	s.Apply(1, parseLine(t, 0, "SET k v").AppendBinary(nil))
	if err := s.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if s.Len() != 0 || s.ExpiresLen() != 0 {
		t.Fatalf("after restoring an empty snapshot Len=%d ExpiresLen=%d", s.Len(), s.ExpiresLen())
	}
}

// TestRestoreRejectsDamage checks that every truncation and every single-byte
// corruption of a snapshot is rejected and leaves the old state in place.
func TestRestoreRejectsDamage(t *testing.T) {
	src := newNode()
	populate(t, src)
	snap := snapshotBytes(t, src.store)

	dst := newNode()
	dst.do(t, scriptTime, "SET keep me")
	before := snapshotBytes(t, dst.store)
	check := func(what string, data []byte) {
		t.Helper()
		if err := dst.store.Restore(bytes.NewReader(data)); err == nil {
			t.Fatalf("%s: Restore accepted a damaged stream", what)
		}
		if after := snapshotBytes(t, dst.store); !bytes.Equal(after, before) {
			t.Fatalf("%s: a failed Restore changed the state", what)
		}
	}
	for n := 0; n < len(snap); n++ {
		check(fmt.Sprintf("truncated to %d bytes", n), snap[:n])
	}
	for i := range snap {
		bad := bytes.Clone(snap)
		bad[i] ^= 0x40
		check(fmt.Sprintf("byte %d flipped", i), bad)
	}
	err := dst.store.Restore(bytes.NewReader(snap[:len(snap)/2]))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated stream: error %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

// TestSnapshotIsolation checks that a snapshot's WriteTo writes the state as
// of Snapshot(), even though writes (including in-place APPENDs) continue.
func TestSnapshotIsolation(t *testing.T) {
	n := newNode()
	populate(t, n)
	want := snapshotBytes(t, n.store)
	wt, err := n.store.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"APPEND app zzz", "SET a changed", "DEL b", "FLUSHALL", "SET new v"} {
		n.do(t, scriptTime, line)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("WriteTo saw writes applied after Snapshot returned")
	}
}

// TestDeterminism replays one log on two stores and expects identical
// snapshots: nothing in Apply may depend on the local clock or map order.
func TestDeterminism(t *testing.T) {
	a := newNode()
	for i, sc := range allScripts() {
		for _, st := range sc.steps {
			a.do(t, scriptTime+int64(i)*1000, st.cmd)
		}
	}
	populate(t, a)
	b := New()
	for i, entry := range a.log {
		b.Apply(uint64(i+1), entry)
	}
	if !bytes.Equal(snapshotBytes(t, a.store), snapshotBytes(t, b)) {
		t.Fatal("the same log gave different snapshots")
	}
	if a.store.ExpiresLen() != b.ExpiresLen() {
		t.Fatalf("ExpiresLen %d vs %d", a.store.ExpiresLen(), b.ExpiresLen())
	}
}

// TestExpiryUsesCarriedTime checks that writes decide expiry by the time
// the command carries and reads by the time passed to Read.
func TestExpiryUsesCarriedTime(t *testing.T) {
	const t0 = int64(1_000_000)
	steps := []struct {
		at   int64
		cmd  string
		want string
	}{
		{t0, "SET k v PX 100", "OK"},
		{t0 + 99, "GET k", `"v"`},
		{t0 + 99, "PTTL k", "(integer) 1"},
		{t0 + 100, "GET k", "(nil)"}, // a deadline equal to now has passed
		{t0 + 100, "PTTL k", "(integer) -2"},
		{t0 + 100, "DBSIZE", "(integer) 1"}, // expired but not yet removed, as in Redis
		{t0 + 50, "SET k v2 NX", "(nil)"},   // the command's time, not the latest one, decides
		{t0 + 150, "SET k v3 NX", "OK"},
		{t0 + 150, "SET n 5 PX 10", "OK"},
		{t0 + 160, "INCR n", "(integer) 1"}, // an expired counter starts from 0
		{t0 + 160, "TTL n", "(integer) -1"},
		{t0 + 160, "SET e v PX 10", "OK"},
		{t0 + 170, "APPEND e x", "(integer) 1"},
		{t0 + 170, "SET r v PX 10", "OK"},
		{t0 + 180, "RENAME r s", "(error) ERR no such key"},
		{t0 + 180, "SET g v PX 10", "OK"},
		{t0 + 189, "PTTL g", "(integer) 1"},
		{t0 + 190, "EXPIRE g 10 XX", "(integer) 0"},
		{t0 + 190, "EXPIRE g 10", "(integer) 0"},
		{t0 + 190, "SET x v", "OK"},
		{t0 + 190, "PEXPIREAT x 1000190", "(integer) 1"}, // deadline == now deletes at once
		{t0 + 190, "EXISTS x", "(integer) 0"},
		{t0 + 190, "MSET a 1 b 2", "OK"},
		{t0 + 190, "PEXPIRE a 5", "(integer) 1"},
		{t0 + 200, "MSETNX a 9 c 3", "(integer) 1"},
		{t0 + 200, "DEL a b c", "(integer) 3"},
	}
	n := newNode()
	for i, st := range steps {
		if got := n.do(t, st.at, st.cmd).String(); got != st.want {
			t.Errorf("step %d at +%d: %s = %s, want %s", i, st.at-t0, st.cmd, got, st.want)
		}
	}
	if n.store.ExpiresLen() != 0 {
		t.Errorf("ExpiresLen = %d, want 0", n.store.ExpiresLen())
	}
}

func TestExpiresLen(t *testing.T) {
	n := newNode()
	for _, st := range []struct {
		cmd  string
		want int
	}{
		{"SET a v EX 100", 1},
		{"SET b v EX 100", 2},
		{"SET a v", 1},
		{"PERSIST b", 0},
		{"EXPIRE b 10", 1},
		{"COPY b c", 2},
		{"RENAME c d", 2},
		{"GETEX d PERSIST", 1},
		{"DEL b", 0},
		{"SET x v EX 10", 1},
		{"FLUSHALL", 0},
	} {
		n.do(t, scriptTime, st.cmd)
		if got := n.store.ExpiresLen(); got != st.want {
			t.Errorf("after %s ExpiresLen = %d, want %d", st.cmd, got, st.want)
		}
	}
}

func TestApplyBadData(t *testing.T) {
	s := New()
	for _, data := range [][]byte{nil, {0xff}, {byte(opSet), 0, 0}} {
		r, ok := s.Apply(7, data).(Reply)
		if !ok || !r.IsError() || !strings.Contains(string(r.Bytes), "apply entry 7") {
			t.Errorf("Apply(%x) = %v, want an error reply naming the index", data, r)
		}
	}
	if s.AppliedIndex() != 7 {
		t.Errorf("AppliedIndex = %d, want 7: a bad entry still consumes its index", s.AppliedIndex())
	}
}

func TestApplyReadAndReadWrite(t *testing.T) {
	s := New()
	s.Apply(1, parseLine(t, 0, "SET k v PX 100").AppendBinary(nil))
	// A read in the log is answered as of its carried time.
	if r := s.Apply(2, parseLine(t, 50, "GET k").AppendBinary(nil)).(Reply); r.String() != `"v"` {
		t.Errorf("GET via Apply at 50 = %s", r)
	}
	if r := s.Apply(3, parseLine(t, 100, "GET k").AppendBinary(nil)).(Reply); r.String() != "(nil)" {
		t.Errorf("GET via Apply at 100 = %s", r)
	}
	if r := s.Read(parseLine(t, 0, "SET k v"), 0); !r.IsError() {
		t.Errorf("Read of a write = %s, want an error", r)
	}
	if r := s.Read(Command{}, 0); !r.IsError() {
		t.Errorf("Read of a zero Command = %s, want an error", r)
	}
}

// TestReplyValuesAreStable checks that a reply keeps its bytes after later
// writes, since the caller writes it to the client after the lock is gone.
func TestReplyValuesAreStable(t *testing.T) {
	n := newNode()
	n.do(t, 0, "SET k ab")
	n.do(t, 0, "APPEND k c")
	got := n.do(t, 0, "GET k")
	n.do(t, 0, "APPEND k d")
	n.do(t, 0, "SETRANGE k 0 Z")
	if string(got.Bytes) != "abc" || cap(got.Bytes) != len(got.Bytes) {
		t.Errorf("reply changed to %q (cap %d)", got.Bytes, cap(got.Bytes))
	}
}

// TestConcurrentReads runs reads beside Apply and Snapshot, for -race.
func TestConcurrentReads(t *testing.T) {
	n := newNode()
	populate(t, n)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmds := []Command{parseLine(t, 0, "GET app"), parseLine(t, 0, "MGET a b app"),
				parseLine(t, 0, "GETRANGE app 0 -1"), parseLine(t, 0, "DBSIZE")}
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, c := range cmds {
					r := n.store.Read(c, scriptTime)
					_ = appendRESP2(nil, r)
				}
				_ = n.store.Len() + n.store.ExpiresLen()
			}
		}()
	}
	var snaps []io.WriterTo
	for i := 0; i < 500; i++ {
		n.do(t, scriptTime, "APPEND app x")
		n.do(t, scriptTime, fmt.Sprintf("SET k%d v", i%10))
		if i%100 == 0 {
			wt, _ := n.store.Snapshot()
			snaps = append(snaps, wt)
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = wt.WriteTo(io.Discard) }()
		}
	}
	close(stop)
	wg.Wait()
}

func BenchmarkApplySet(b *testing.B) {
	s := New()
	entries := make([][]byte, 1024)
	for i := range entries {
		entries[i] = parseLine(b, scriptTime, fmt.Sprintf("SET key:%d value-%d", i, i)).AppendBinary(nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Apply(uint64(i+1), entries[i%len(entries)])
	}
}

func BenchmarkDecode(b *testing.B) {
	data := parseLine(b, scriptTime, "SET user:1000:session 0123456789abcdef0123456789abcdef EX 3600").AppendBinary(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEncode(b *testing.B) {
	argv := [][]byte{[]byte("set"), []byte("user:1000:session"), []byte("0123456789abcdef"), []byte("EX"), []byte("3600")}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, _, _ := Parse(argv, scriptTime)
		buf = c.AppendBinary(buf[:0])
	}
}

func BenchmarkReadGet(b *testing.B) {
	n := newNode()
	n.do(b, scriptTime, "SET k value")
	c := parseLine(b, scriptTime, "GET k")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n.store.Read(c, scriptTime)
	}
}

func castagnoliAppend(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}
