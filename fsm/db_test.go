package fsm

import (
	"bytes"
	"testing"
)

func TestDatabases(t *testing.T) {
	type step struct {
		db   int
		cmd  string
		want string
	}
	tests := map[string][]step{
		"separate keyspaces": {
			{0, "set k zero", "OK"}, {3, "set k three", "OK"},
			{0, "get k", `"zero"`}, {3, "get k", `"three"`}, {5, "get k", "(nil)"},
			{0, "dbsize", "(integer) 1"}, {3, "dbsize", "(integer) 1"}, {5, "dbsize", "(integer) 0"},
		},
		"flushdb only its own": {
			{0, "set a 1", "OK"}, {1, "set b 2", "OK"},
			{1, "flushdb", "OK"}, {1, "dbsize", "(integer) 0"}, {0, "dbsize", "(integer) 1"},
		},
		"flushall every database": {
			{0, "set a 1", "OK"}, {1, "set b 2", "OK"}, {15, "set c 3", "OK"},
			{15, "flushall", "OK"}, {0, "dbsize", "(integer) 0"}, {1, "dbsize", "(integer) 0"},
			{15, "dbsize", "(integer) 0"},
		},
		"move": {
			{0, "set k v", "OK"}, {0, "pexpire k 100000", "(integer) 1"},
			{0, "move k 2", "(integer) 1"}, {0, "exists k", "(integer) 0"},
			{2, "get k", `"v"`}, {2, "pttl k", "(integer) 100000"},
			{2, "set other x", "OK"}, {0, "set other y", "OK"}, {0, "move other 2", "(integer) 0"},
			{0, "move missing 2", "(integer) 0"},
			{0, "move other 0", "(error) ERR source and destination objects are the same"},
			{0, "move other 16", "(error) ERR DB index is out of range"},
			{0, "move other -1", "(error) ERR DB index is out of range"},
			{0, "move other x", "(error) ERR value is not an integer or out of range"},
			{0, "move other 4294967296", "(error) ERR value is out of range, value must between -2147483648 and 2147483647"},
		},
		"swapdb": {
			{0, "set k zero", "OK"}, {1, "set k one", "OK"}, {1, "set only1 x", "OK"},
			{0, "swapdb 0 1", "OK"}, {0, "get k", `"one"`}, {1, "get k", `"zero"`},
			{0, "dbsize", "(integer) 2"}, {0, "swapdb 1 1", "OK"},
			{0, "swapdb x 1", "(error) ERR invalid first DB index"},
			{0, "swapdb 1 y", "(error) ERR invalid second DB index"},
			{0, "swapdb 0 16", "(error) ERR DB index is out of range"},
		},
		"copy db": {
			{0, "hset h f v", "(integer) 1"}, {0, "copy h h db 1", "(integer) 1"},
			{1, "hget h f", `"v"`}, {1, "hset h f changed", "(integer) 0"}, {0, "hget h f", `"v"`},
			{0, "copy h h db 0", "(error) ERR source and destination objects are the same"},
			{1, "copy h h", "(error) ERR source and destination objects are the same"},
			{0, "copy h h db 1", "(integer) 0"}, {0, "copy h h db 1 replace", "(integer) 1"},
			{0, "copy h x db 16", "(error) ERR DB index is out of range"},
			{0, "copy h x db z", "(error) ERR value is not an integer or out of range"},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			n := newNode()
			for _, st := range steps {
				n.db = st.db
				if got := n.do(t, scriptTime, st.cmd).String(); got != st.want {
					t.Fatalf("db %d: %s = %s, want %s", st.db, st.cmd, got, st.want)
				}
			}
		})
	}
}

func TestSwapDBAbortsWatches(t *testing.T) {
	n := newNode()
	n.db = 1
	n.do(t, scriptTime, "set k v")
	watches := []Watch{{DB: 1, Key: []byte("k"), Mod: n.store.ModIndex(1, []byte("k"), scriptTime)},
		{DB: 2, Key: []byte("absent"), Mod: n.store.ModIndex(2, []byte("absent"), scriptTime)}}
	n.do(t, scriptTime, "swapdb 3 4") // other databases: no effect
	exec := func() Reply {
		data := NewMulti(nil, watches).WithTime(scriptTime).AppendBinary(nil)
		n.index++
		return n.store.Apply(n.index, data).(Reply)
	}
	if r := exec(); r.Kind != KindArray {
		t.Fatalf("EXEC after an unrelated SWAPDB = %s, want an array", r)
	}
	n.do(t, scriptTime, "swapdb 2 5")
	if r := exec(); r.Kind != KindNilArray {
		t.Fatalf("EXEC after SWAPDB of a watched database = %s, want a null array", r)
	}
}

func TestDatabasesSnapshotRoundTrip(t *testing.T) {
	n := newNode()
	for db, cmd := range map[int]string{0: "set a 1", 4: "hset h f v", 15: "set z 26"} {
		n.db = db
		n.do(t, scriptTime, cmd)
	}
	n.db = 2
	n.do(t, scriptTime, "set app 1")
	n.do(t, scriptTime, "append app 2") // "raw" from now on
	n.db = 7
	n.do(t, scriptTime, "set gone x")
	n.do(t, scriptTime, "del gone") // history only: created buckets
	n.do(t, scriptTime, "swapdb 7 8")
	snap, err := n.store.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := New()
	if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	for db := 0; db < NumDBs; db++ {
		for _, k := range []string{"a", "h", "z", "gone"} {
			if a, b := n.store.ModIndex(db, []byte(k), scriptTime), restored.ModIndex(db, []byte(k), scriptTime); a != b {
				t.Errorf("db %d: ModIndex(%s) = %d, restored %d", db, k, a, b)
			}
		}
	}
	if got, want := restored.Stats().DBs, n.store.Stats().DBs; got != want {
		t.Errorf("restored databases %v, want %v", got, want)
	}
	enc := Command{op: opObject, ints: [4]int64{objectEncoding}, args: [][]byte{[]byte("app")}}.InDB(2)
	if got := restored.Read(enc, scriptTime).String(); got != `"raw"` {
		t.Errorf("OBJECT ENCODING of an appended string after restore = %s, want \"raw\"", got)
	}
	// A restored store writes the same snapshot.
	snap2, _ := restored.Snapshot()
	var buf2 bytes.Buffer
	snap2.WriteTo(&buf2)
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Error("a restored store's snapshot differs from the original's")
	}
}

func TestInDBEncoding(t *testing.T) {
	c, _, _ := Parse([][]byte{[]byte("set"), []byte("k"), []byte("v")}, 5)
	zero := c.AppendBinary(nil)
	if zero[0] != byte(opSet) {
		t.Fatalf("database 0 entry starts with %d, want SET's opcode alone", zero[0])
	}
	for db := 0; db < NumDBs; db++ {
		d, err := Decode(c.InDB(db).AppendBinary(nil))
		if err != nil || d.DB() != db || d.op != opSet {
			t.Fatalf("db %d: decoded %v db %d, %v", db, d.op, d.DB(), err)
		}
	}
	for name, b := range map[string][]byte{
		"database 0 prefixed": {0xc0, 0x06, 0, byte(opSet), 0, 0, 0},
		"database 16":         {0xc0, 0x06, 16, byte(opSet), 0, 0, 0},
		"prefix only":         {0xc0, 0x06, 3},
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
