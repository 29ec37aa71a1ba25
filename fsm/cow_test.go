package fsm

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
)

// randomWrite returns a random write over a small keyspace, of every kind
// that changes a shard: short and long strings (inline and objects),
// appends that cross inlineMax, deadlines set, changed and removed, hashes
// small and converted, renames and copies across shards, deletions and the
// odd FLUSHALL.
func randomWrite(r *rand.Rand, now int64) string {
	key := func() string { return fmt.Sprintf("k%d", r.IntN(300)) }
	hkey := func() string { return fmt.Sprintf("h%d", r.IntN(40)) }
	val := func() string {
		if r.IntN(8) == 0 {
			return strings.Repeat(string(rune('a'+r.IntN(26))), inlineMax-5+r.IntN(20))
		}
		return fmt.Sprintf("v%d", r.IntN(1000))
	}
	switch r.IntN(22) {
	case 0, 1, 2, 3:
		return "SET " + key() + " " + val()
	case 4:
		return fmt.Sprintf("SET %s %s PX %d", key(), val(), 1+r.IntN(50))
	case 5:
		return "APPEND " + key() + " " + val()
	case 6:
		return "DEL " + key() + " " + key()
	case 7:
		return fmt.Sprintf("PEXPIREAT %s %d", key(), now+int64(r.IntN(100)-20))
	case 8:
		return "PERSIST " + key()
	case 9:
		return "RENAME " + key() + " " + key()
	case 10:
		return "COPY " + hkey() + " " + hkey() + " REPLACE"
	case 11:
		return "COPY " + key() + " " + key()
	case 12, 13:
		return fmt.Sprintf("HSET %s f%d %s", hkey(), r.IntN(20), val())
	case 14:
		return fmt.Sprintf("HDEL %s f%d f%d", hkey(), r.IntN(20), r.IntN(20))
	case 15:
		return fmt.Sprintf("HINCRBY %s n %d", hkey(), r.IntN(10))
	case 16:
		return "INCR " + key()
	case 17:
		return fmt.Sprintf("SETRANGE %s %d x", key(), r.IntN(300))
	case 18:
		return "GETDEL " + key()
	case 19:
		return fmt.Sprintf("MSET %s %s %s %s", key(), val(), key(), val())
	case 20:
		return fmt.Sprintf("PEXPIRE %s %d", hkey(), 1+r.IntN(50))
	default:
		if r.IntN(10) == 0 {
			return "FLUSHALL"
		}
		return "SET " + key() + " " + val()
	}
}

// replayed returns the snapshot of a fresh store that applied the first n
// entries of log: what a snapshot captured after entry n must hold.
func replayed(t testing.TB, log [][]byte, n int) []byte {
	t.Helper()
	s := New()
	for i := 0; i < n; i++ {
		s.Apply(uint64(i+1), log[i])
	}
	return snapshotBytes(t, s)
}

// TestSnapshotCopyOnWrite captures snapshots among random writes and
// writes them out later, some while writes go on and some after more
// captures: each must hold exactly the state after its index, as a replay
// of the log up to there gives it.
func TestSnapshotCopyOnWrite(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			n := newNode()
			type capture struct {
				wt    io.WriterTo
				index int
				got   []byte
				async bool
				done  chan struct{}
			}
			var caps []*capture
			now := scriptTime
			for i := 0; i < 3000; i++ {
				now += int64(r.IntN(3))
				n.do(t, now, randomWrite(r, now))
				if r.IntN(150) != 0 {
					continue
				}
				wt, err := n.store.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				c := &capture{wt: wt, index: int(n.index), done: make(chan struct{})}
				caps = append(caps, c)
				if c.async = r.IntN(2) == 0; c.async {
					// Written while the writes go on.
					go func() {
						defer close(c.done)
						var buf bytes.Buffer
						if _, err := c.wt.WriteTo(&buf); err != nil {
							t.Error(err)
						}
						c.got = buf.Bytes()
					}()
				}
			}
			if len(caps) < 5 {
				t.Fatalf("only %d captures", len(caps))
			}
			for _, c := range caps {
				if !c.async {
					var buf bytes.Buffer
					if _, err := c.wt.WriteTo(&buf); err != nil {
						t.Fatal(err)
					}
					c.got = buf.Bytes()
					close(c.done)
				}
			}
			for _, c := range caps {
				<-c.done
				if want := replayed(t, n.log, c.index); !bytes.Equal(c.got, want) {
					t.Fatalf("snapshot captured after entry %d differs from a replay up to it", c.index)
				}
			}
			// And the store itself still equals a replay of the whole log.
			if !bytes.Equal(snapshotBytes(t, n.store), replayed(t, n.log, len(n.log))) {
				t.Fatal("the store differs from a replay of its log")
			}
		})
	}
}

// TestSnapshotConcurrentReads reads every key while snapshots are written
// out and writes change the shards they share, for -race.
func TestSnapshotConcurrentReads(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := newNode()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	reads := []Command{parseLine(t, 0, "KEYS *"), parseLine(t, 0, "SCAN 0 COUNT 1000"),
		parseLine(t, 0, "HGETALL h1"), parseLine(t, 0, "MGET k1 k2 k3"), parseLine(t, 0, "RANDOMKEY")}
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, c := range reads {
					_ = appendRESP2(nil, n.store.Read(c, scriptTime))
				}
				n.store.ExpiredSample(0, scriptTime, 10)
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		n.do(t, scriptTime, randomWrite(r, scriptTime))
		if i%200 == 0 {
			wt, _ := n.store.Snapshot()
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = wt.WriteTo(io.Discard) }()
		}
	}
	close(stop)
	wg.Wait()
}

// TestKeyspaceAgainstModel runs many random writes over enough keys to
// grow, rehash and compact the shards' indexes and arenas, and checks every
// key against a plain map after each batch.
func TestKeyspaceAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := newNode()
	model := map[string]string{}
	const keys = 20000
	for round := 0; round < 6; round++ {
		for i := 0; i < 30000; i++ {
			k := fmt.Sprintf("key:%d", r.IntN(keys))
			switch r.IntN(5) {
			case 0:
				n.do(t, scriptTime, "DEL "+k)
				delete(model, k)
			case 1:
				v := strings.Repeat("y", r.IntN(2*inlineMax))
				if v == "" {
					v = "e"
				}
				n.do(t, scriptTime, "SET "+k+" "+v)
				model[k] = v
			default:
				v := fmt.Sprint(r.IntN(1 << 30))
				n.do(t, scriptTime, "SET "+k+" "+v)
				model[k] = v
			}
		}
		if got := n.store.Len(); got != len(model) {
			t.Fatalf("round %d: Len = %d, want %d", round, got, len(model))
		}
		for i := 0; i < keys; i++ {
			k := fmt.Sprintf("key:%d", i)
			got := n.store.Read(parseLine(t, 0, "GET "+k), scriptTime)
			want, ok := model[k]
			if !ok && got.Kind != KindNil || ok && string(got.Bytes) != want {
				t.Fatalf("round %d: GET %s = %s, want %q (present %v)", round, k, got, want, ok)
			}
		}
		seen := 0
		for cursor := "0"; ; {
			rep := n.store.Read(parseLine(t, 0, "SCAN "+cursor+" COUNT 500"), scriptTime)
			for _, e := range rep.Elems[1].Elems {
				if _, ok := model[string(e.Bytes)]; !ok {
					t.Fatalf("SCAN returned %q, which is not in the model", e.Bytes)
				}
				seen++
			}
			if cursor = string(rep.Elems[0].Bytes); cursor == "0" {
				break
			}
		}
		if seen != len(model) {
			t.Fatalf("round %d: SCAN saw %d keys, want %d", round, seen, len(model))
		}
	}
	// Arena garbage stays bounded by compaction.
	for i := range n.store.dbs[0].shards {
		sh := &n.store.dbs[0].shards[i]
		if sh.garbage > len(sh.arena)/4+512+2*recordMax {
			t.Fatalf("shard %d: %d of %d arena bytes are garbage", i, sh.garbage, len(sh.arena))
		}
	}
}

// recordMax bounds one record of TestKeyspaceAgainstModel: a shard's
// garbage may exceed a quarter of its arena by the records written into
// the room its last compaction left.
const recordMax = 2*inlineMax + 64

var fixtureLines = []string{
	"SET a 1", "SET b 2 EX 100", "SET empty ''", "MSET c 3 d 4", "INCRBY n 42",
	"APPEND app x", "APPEND app y", "SETRANGE bin 3 z", "PEXPIREAT c 1800000000000",
	"INCRBYFLOAT f 1.5", "HSET h b 2 a 1 c 3", "HDEL h a", "HSET h a 9", "EXPIRE h 100",
	"HSET conv f1 v1 f2 " + strings.Repeat("w", 70), "HDEL conv f1",
	"SET long " + strings.Repeat("L", 300), "APPEND long tail", "DEL d",
}

// TestRestoreVersion3 restores a version 3 snapshot, written by the
// previous release from fixtureLines (testdata/snapshot-v3.bin), into the
// state those commands give now.
func TestRestoreVersion3(t *testing.T) {
	old, err := os.ReadFile("testdata/snapshot-v3.bin")
	if err != nil {
		t.Fatal(err)
	}
	if old[4] != 3 {
		t.Fatalf("fixture is version %d", old[4])
	}
	want := newNode()
	for _, l := range fixtureLines {
		if r := want.do(t, scriptTime, l); r.IsError() {
			t.Fatalf("%s: %s", l, r)
		}
	}
	s := New()
	if err := s.Restore(bytes.NewReader(old)); err != nil {
		t.Fatalf("Restore v3: %v", err)
	}
	// Version 3 did not record which strings Redis would encode "raw"
	// or never "int"
	// (APPEND, SETRANGE): they come back as what their bytes say.
	forgetRaw(want.store)
	// Nor, before version 9, access clocks: they come back as 0.
	forgetLRU(want.store)
	if !bytes.Equal(snapshotBytes(t, s), snapshotBytes(t, want.store)) {
		t.Fatal("the restored version 3 snapshot differs from the state its commands give")
	}
	if got := s.Read(parseLine(t, 0, "GET long"), scriptTime).String(); got != `"`+strings.Repeat("L", 300)+`tail"` {
		t.Errorf("GET long = %s", got)
	}
	for i := range old[:len(old)-4] {
		bad := bytes.Clone(old)
		bad[i] ^= 0x20
		if err := New().Restore(bytes.NewReader(bad)); err == nil {
			t.Fatalf("a version 3 snapshot with byte %d flipped was accepted", i)
		}
	}
}

// TestRestoreRejectsMisplacedKeys checks version 4's structure checks: a
// stream whose checksum is right but whose shards or keys are out of place
// is refused.
func TestRestoreRejectsMisplacedKeys(t *testing.T) {
	// Two keys in one shard and one in another, built by hand.
	var k1, k2 []byte
	for i := 0; k2 == nil; i++ {
		k := []byte(fmt.Sprintf("x%d", i))
		switch {
		case k1 == nil:
			k1 = k
		case shardOf(k) == shardOf(k1):
			k2 = k
		}
	}
	if bytes.Compare(k1, k2) > 0 {
		k1, k2 = k2, k1
	}
	entry := func(k []byte) []byte {
		return append(append(append([]byte{byte(typeString), byte(len(k))}, k...), 0, 1), 1, 'v')
	}
	stream := func(shard int, keys ...[]byte) []byte {
		b := append([]byte("RCSN"), 4, 9, 0, byte(len(keys)), byte(shard&0x7f|0x80), byte(shard>>7), byte(len(keys)))
		var body []byte
		for _, k := range keys {
			body = append(body, entry(k)...)
		}
		b = append(append(b, byte(len(body))), body...)
		return castagnoliAppend(b)
	}
	if err := New().Restore(bytes.NewReader(stream(shardOf(k1), k1, k2))); err != nil {
		t.Fatalf("a well-formed hand-built stream: %v", err)
	}
	for name, b := range map[string][]byte{
		"keys out of order": stream(shardOf(k1), k2, k1),
		"duplicate key":     stream(shardOf(k1), k1, k1),
		"wrong shard":       stream((shardOf(k1)+1)%shardCount, k1, k2),
	} {
		if err := New().Restore(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestShardKeyOrder checks the sort behind SCAN, KEYS and snapshots on
// keys that share long prefixes, differ only past eight bytes, or hold zero
// bytes where a shorter key ends.
func TestShardKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := New()
	w := writer{s: s, ks: s.dbs[0], index: 1, now: scriptTime}
	alphabet := []byte{0, 1, 'a', 'b', 0xff}
	for i := 0; i < 5000; i++ {
		k := []byte("common-prefix:")
		for n := r.IntN(14); n > 0; n-- {
			k = append(k, alphabet[r.IntN(len(alphabet))])
		}
		w.put(k, stringEntry([]byte("v"), 0))
	}
	for i := range s.dbs[0].shards {
		sh := &s.dbs[0].shards[i]
		offs := sh.offsets(nil)
		if len(offs) != sh.count {
			t.Fatalf("shard %d: %d offsets for %d keys", i, len(offs), sh.count)
		}
		for j := 1; j < len(offs); j++ {
			if bytes.Compare(sh.keyAt(offs[j-1]), sh.keyAt(offs[j])) >= 0 {
				t.Fatalf("shard %d: %q before %q", i, sh.keyAt(offs[j-1]), sh.keyAt(offs[j]))
			}
		}
	}
}

// forgetRaw clears every record's raw and noInt marks, as a snapshot older than
// version 5 restores it.
func forgetRaw(s *Store) {
	for _, ks := range s.dbs {
		for i := range ks.shards {
			sh := &ks.shards[i]
			for _, v := range sh.slots {
				if v != 0 {
					sh.arena[slotOffset(v)] &^= recRaw | recNoInt
				}
			}
		}
	}
}

// TestSnapshotsChangeNoState replays one log on two stores, one of which
// captures a snapshot before every entry: nodes snapshot at different
// times, so the two must end byte for byte alike, WATCH's modification
// indexes included, even for writes that clone a shared value and then
// change nothing.
func TestSnapshotsChangeNoState(t *testing.T) {
	lines := []string{
		"rpush l a b c", "sadd s 1 2 x", "hset h f v", "xadd x 1-1 f v",
		"lrem l 0 nothere", "srem s nothere", "hdel h nothere", "xdel x 9-9",
		"lpos l nothere", "smove s s2 nothere", "spop s 0", "linsert l before nothere x",
		"ltrim l 0 -1", "lrem l 1 a", "srem s 1", "rpush l d",
	}
	plain, snapping := newNode(), newNode()
	for _, l := range lines {
		plain.do(t, scriptTime, l)
		if _, err := snapping.store.Snapshot(); err != nil {
			t.Fatal(err)
		}
		snapping.do(t, scriptTime, l)
		for _, k := range []string{"l", "s", "h", "x", "s2"} {
			if a, b := plain.store.ModIndex(0, []byte(k), scriptTime), snapping.store.ModIndex(0, []byte(k), scriptTime); a != b {
				t.Fatalf("after %q: ModIndex(%s) = %d without snapshots, %d with", l, k, a, b)
			}
		}
	}
	if !bytes.Equal(snapshotBytes(t, plain.store), snapshotBytes(t, snapping.store)) {
		t.Error("the states differ")
	}
}

// TestMutableAfterSnapshotKeepsModIndex: writer.mutable clones a
// collection shared with a snapshot; that clone alone is no change, so the
// key's ModIndex stays what it was.
func TestMutableAfterSnapshotKeepsModIndex(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "rpush l a b")
	before := n.store.ModIndex(0, []byte("l"), scriptTime)
	if _, err := n.store.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s := n.store
	s.mu.Lock()
	w := writer{s: s, ks: s.dbs[0], index: 99, now: scriptTime}
	c, found, err := w.mutable([]byte("l"), typeList, nil)
	s.mu.Unlock()
	if err != nil || !found || c.Len() != 2 {
		t.Fatalf("mutable = %v, %v, %v", c, found, err)
	}
	if after := s.ModIndex(0, []byte("l"), scriptTime); after != before {
		t.Errorf("ModIndex %d after mutable's clone, %d before", after, before)
	}
	if got := n.do(t, scriptTime, "lrange l 0 -1").String(); got != `["a" "b"]` {
		t.Errorf("list = %s", got)
	}
}
