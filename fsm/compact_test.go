package fsm

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"runtime"
	"testing"
)

// loadCollection applies n elements of typ to key in commands of ten, as
// the bench loads them, taking (and writing out) a snapshot every
// snapEvery entries, as a node does: the copy-on-write that leaves holes.
func loadCollection(t testing.TB, s *Store, typ, key string, n, snapEvery int) {
	t.Helper()
	idx := s.applied
	for i := 0; i < n; i += 10 {
		var args []string
		switch typ {
		case "list":
			args = []string{"RPUSH", key}
		case "set":
			args = []string{"SADD", key}
		case "zset":
			args = []string{"ZADD", key}
		}
		for j := i; j < min(i+10, n); j++ {
			switch typ {
			case "list":
				args = append(args, fmt.Sprintf("e%09d", j))
			case "set":
				args = append(args, fmt.Sprintf("m:%08d", j))
			case "zset":
				args = append(args, fmt.Sprint((j*7919)%1000003), fmt.Sprintf("m%09d", j))
			}
		}
		idx++
		if r := s.Apply(idx, encoded(t, args...)); r.(Reply).Kind == KindError {
			t.Fatalf("%s: %v", args[0], r)
		}
		if idx%uint64(snapEvery) == 0 {
			sn, err := s.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sn.WriteTo(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// replySum is a checksum of a reply's elements, in order.
func replySum(r Reply) uint64 {
	h := fnv.New64a()
	for _, e := range r.Elems {
		h.Write(e.Bytes)
		h.Write([]byte{0})
	}
	return h.Sum64() ^ uint64(len(r.Elems))
}

func heapInUse() (inuse, alloc uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.HeapAlloc
}

func TestCompactCollectionsFreesHoles(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100k-element collections")
	}
	const n = 100000
	for _, typ := range []string{"list", "set", "zset"} {
		t.Run(typ, func(t *testing.T) {
			s := New()
			in0, al0 := heapInUse()
			loadCollection(t, s, typ, "k", n, 500)
			in1, al1 := heapInUse()
			read := parseLine(t, scriptTime, map[string]string{"list": "LRANGE k 0 -1", "set": "SMEMBERS k", "zset": "ZRANGE k 0 -1 WITHSCORES"}[typ])
			before := replySum(s.Read(read, scriptTime))
			got := s.CompactCollections(context.Background())
			in2, al2 := heapInUse()
			t.Logf("%s: compacted %d; per element: heap in use %.1f B before, %.1f after; live %.1f before, %.1f after",
				typ, got, float64(in1-in0)/n, float64(in2-in0)/n, float64(al1-al0)/n, float64(al2-al0)/n)
			if after := replySum(s.Read(read, scriptTime)); after != before {
				t.Fatalf("reply after CompactCollections differs")
			}
			if typ != "list" && (got != 1 || in2-in0 > (in1-in0)*4/5) {
				t.Errorf("compacted %d collections, heap in use %d KB after, %d KB before: want 1, and a fifth less", got, (in2-in0)>>10, (in1-in0)>>10)
			}
			// Compacted and unchanged: nothing to do the next time.
			if again := s.CompactCollections(context.Background()); again != 0 {
				t.Errorf("second CompactCollections compacted %d, want 0", again)
			}
		})
	}
}

// TestCompactCollectionsConcurrent compacts while entries are applied and
// snapshots written: no write may be lost to a compacted copy taken before
// it, and a snapshot must read what it captured (run it with -race).
func TestCompactCollectionsConcurrent(t *testing.T) {
	s := New()
	loadCollection(t, s, "set", "s", 5000, 100)
	loadCollection(t, s, "zset", "z", 5000, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		n := 0
		for ctx.Err() == nil {
			n += s.CompactCollections(ctx)
		}
		done <- n
	}()
	idx := s.applied
	for i := range 3000 {
		idx++
		s.Apply(idx, encoded(t, "SADD", "s", fmt.Sprintf("new:%d", i)))
		idx++
		s.Apply(idx, encoded(t, "ZADD", "z", fmt.Sprint(i), fmt.Sprintf("new:%d", i)))
		if i%500 == 0 {
			sn, err := s.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sn.WriteTo(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel()
	t.Logf("%d compactions during the writes", <-done)
	for _, c := range []struct{ cmd, want string }{{"SCARD s", "8000"}, {"ZCARD z", "8000"}} {
		if r := s.Read(parseLine(t, scriptTime, c.cmd), scriptTime); fmt.Sprint(r.Int) != c.want {
			t.Errorf("%s = %v, want %s", c.cmd, r, c.want)
		}
	}
}

// BenchmarkCompactCollection is the work CompactCollections does off the
// lock for a 100k-member set and a 100k-member sorted set loaded under
// snapshots: clone, then rebuild.
func BenchmarkCompactCollection(b *testing.B) {
	for _, typ := range []string{"set", "zset"} {
		b.Run(typ, func(b *testing.B) {
			s := New()
			loadCollection(b, s, typ, "k", 100000, 500)
			c, _, err := s.dbs[0].collectionOf([]byte("k"), map[string]valueType{"set": typeSet, "zset": typeZSet}[typ], scriptTime)
			if err != nil || !c.(compactable).fragmented() {
				b.Fatalf("collection %v (%v) not fragmented after the load", c, err)
			}
			for b.Loop() {
				c.Clone().(compactable).compact()
			}
		})
	}
}
