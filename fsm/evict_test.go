package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// forgetLRU zeroes every key's access clock, as a snapshot from before
// version 9 restores them.
func forgetLRU(s *Store) {
	for _, ks := range s.dbs {
		for i := range ks.shards {
			sh := &ks.shards[i]
			for _, v := range sh.slots {
				if v != 0 {
					binary.LittleEndian.PutUint32(sh.arena[slotOffset(v)+9:], 0)
				}
			}
		}
	}
}

// configure applies CONFIG SET name value... through the log.
func (n *node) configure(t *testing.T, pairs ...string) {
	t.Helper()
	var args [][]byte
	for _, p := range pairs {
		args = append(args, []byte(p))
	}
	n.index++
	data := NewConfigSet(args, scriptTime).AppendBinary(nil)
	n.log = append(n.log, data)
	if r := n.store.Apply(n.index, data).(Reply); r.IsError() {
		t.Fatalf("CONFIG SET %v: %s", pairs, r)
	}
}

// apply applies a command built here (an eviction, an access report).
func (n *node) apply(t *testing.T, c Command) Reply {
	t.Helper()
	n.index++
	data := c.AppendBinary(nil)
	n.log = append(n.log, data)
	return n.store.Apply(n.index, data).(Reply)
}

// scanMem recomputes the dataset's accounted size by visiting every key.
func scanMem(s *Store) int64 {
	var n int64
	for _, ks := range s.dbs {
		for i := range ks.shards {
			sh := &ks.shards[i]
			for _, v := range sh.slots {
				if v != 0 {
					r := sh.decode(slotOffset(v))
					n += perKeyOverhead + int64(len(r.key)) + valueMem(&r.entry)
				}
			}
		}
	}
	return n
}

func TestLFUMath(t *testing.T) {
	const min = 60_000
	for _, tc := range []struct {
		name      string
		counter   uint8
		logFactor int
		r         float64
		want      uint8
	}{
		{"new keys always grow", 5, 10, 0.999, 6},
		{"below init always grow", 0, 10, 0.5, 1},
		{"p is 1/11 at 6", 6, 10, 1.0 / 11.5, 7},
		{"just above p", 6, 10, 1.0 / 10.5, 6},
		{"factor 0 always grows", 200, 0, 0.999, 201},
		{"saturates", 255, 10, 0, 255},
	} {
		if got := lfuIncr(tc.counter, tc.logFactor, tc.r); got != tc.want {
			t.Errorf("%s: lfuIncr(%d, %d, %v) = %d, want %d", tc.name, tc.counter, tc.logFactor, tc.r, got, tc.want)
		}
	}
	base := int64(1000) * min // minute 1000
	for _, tc := range []struct {
		name        string
		counter     uint8
		elapsedMins int64
		decay       int
		want        uint8
	}{
		{"no time", 10, 0, 1, 10},
		{"one per minute", 10, 3, 1, 7},
		{"one per two minutes", 10, 5, 2, 8},
		{"floors at 0", 10, 30, 1, 0},
		{"decay off", 10, 30, 0, 10},
	} {
		lru := lfuStamp(base, tc.counter)
		if got := lfuDecr(lru, base+tc.elapsedMins*min, tc.decay); got != tc.want {
			t.Errorf("%s: lfuDecr = %d, want %d", tc.name, got, tc.want)
		}
	}
	// The minute clock wraps at 65536 minutes, as Redis's.
	if got := lfuElapsed(65530, 3*min); got != 8 {
		t.Errorf("lfuElapsed across the wrap = %d, want 8", got)
	}
	// The LRU clock wraps at 1<<24 seconds.
	if got := idleMillis(lruMax-1, 2000); got != 3000 {
		t.Errorf("idleMillis across the wrap = %d, want 3000", got)
	}
	if got := idleMillis(lruClock(10_000), 15_500); got != 5000 {
		t.Errorf("idleMillis = %d, want 5000", got)
	}
}

func TestLFURandomIsUniformAndDeterministic(t *testing.T) {
	var sum float64
	for i := range uint64(10000) {
		r := lfuRandom(i, 42, 0)
		if r < 0 || r >= 1 {
			t.Fatalf("lfuRandom = %v", r)
		}
		sum += r
	}
	if mean := sum / 10000; mean < 0.48 || mean > 0.52 {
		t.Errorf("mean %v, want about 0.5", mean)
	}
	if lfuRandom(7, 8, 9) != lfuRandom(7, 8, 9) || lfuRandom(7, 8, 9) == lfuRandom(7, 8, 10) {
		t.Error("lfuRandom is not a function of its inputs")
	}
}

func TestEvictionPool(t *testing.T) {
	ent := func(idle uint64) poolEntry { return poolEntry{idle: idle, key: []byte(fmt.Sprint(idle))} }
	for _, tc := range []struct {
		name   string
		insert []uint64
		want   []uint64 // ascending
	}{
		{"ordered", []uint64{5, 1, 3}, []uint64{1, 3, 5}},
		{"same key updated", []uint64{5, 5, 5}, []uint64{5}},
		{"full drops the worst", []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17},
			[]uint64{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
		{"full ignores a worse one", []uint64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 5},
			[]uint64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160}},
		{"full takes one in the middle", []uint64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 55},
			[]uint64{20, 30, 40, 50, 55, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160}},
	} {
		var p evictionPool
		for _, i := range tc.insert {
			p.insert(ent(i))
		}
		var got []uint64
		for _, e := range p.e {
			got = append(got, e.idle)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: pool %v, want %v", tc.name, got, tc.want)
		}
		if best, ok := p.pop(); !ok || best.idle != tc.want[len(tc.want)-1] {
			t.Errorf("%s: pop = %v, want the highest", tc.name, best.idle)
		}
	}
}

// memLines exercise every type, in place and not.
func memLines(r *rand.Rand, i int) string {
	k := fmt.Sprintf("k%d", r.IntN(40))
	v := strings.Repeat("v", r.IntN(400))
	switch r.IntN(26) {
	case 16:
		return "XGROUP CREATE x" + k + " g 0 MKSTREAM"
	case 17:
		return "XREADGROUP GROUP g c" + fmt.Sprint(r.IntN(3)) + " COUNT 2 STREAMS x" + k + " >"
	case 18:
		return "XACK x" + k + " g 0-1 " + fmt.Sprintf("%d-0", scriptTime)
	case 19:
		return "XAUTOCLAIM x" + k + " g c9 0 0-0 COUNT 3"
	case 20:
		return "LMOVE l" + k + " l" + fmt.Sprint(r.IntN(40)) + " LEFT RIGHT"
	case 21:
		return "SPOP s" + k + " 2"
	case 22:
		return "ZPOPMIN z" + k
	case 23:
		return "SINTERSTORE s" + k + " s" + fmt.Sprint(r.IntN(40)) + " s" + fmt.Sprint(r.IntN(40))
	case 24:
		return "XGROUP CREATECONSUMER x" + k + " g c" + fmt.Sprint(r.IntN(5))
	case 25:
		return "HINCRBY h" + k + " n 1"
	case 0:
		return "SET " + k + " x" + v
	case 1:
		return "APPEND " + k + " x" + v
	case 2:
		return "DEL " + k
	case 3:
		return "HSET h" + k + " f" + fmt.Sprint(r.IntN(600)) + " x" + v
	case 4:
		return "HDEL h" + k + " f" + fmt.Sprint(r.IntN(600))
	case 5:
		return "RPUSH l" + k + " x" + v + " y"
	case 6:
		return "LPOP l" + k
	case 7:
		return "SADD s" + k + " " + fmt.Sprint(r.IntN(1000)) + " m" + v[:min(len(v), 20)]
	case 8:
		return "SREM s" + k + " " + fmt.Sprint(r.IntN(1000))
	case 9:
		return "ZADD z" + k + " " + fmt.Sprint(r.IntN(100)) + " m" + fmt.Sprint(r.IntN(200)) + v[:min(len(v), 70)]
	case 10:
		return "ZREM z" + k + " m" + fmt.Sprint(r.IntN(200))
	case 11:
		return "XADD x" + k + " * f x" + v
	case 12:
		return "XTRIM x" + k + " MAXLEN 3"
	case 13:
		return "EXPIRE " + k + " 100"
	case 14:
		return "RENAME " + k + " k" + fmt.Sprint(r.IntN(40))
	}
	return "INCR n" + fmt.Sprint(i%7)
}

// TestUsedMemoryIsIncrementalAndTheSameEverywhere checks the accounted
// size against a full recount after every write, and that a store which
// snapshots (and so clones what it shares) and one restored from a
// snapshot reach the same figure as one that only applies the log.
func TestUsedMemoryIsIncrementalAndTheSameEverywhere(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	plain, snapping := newNode(), newNode()
	for i := range 3000 {
		line := memLines(r, i)
		now := scriptTime + int64(i)
		plain.do(t, now, line)
		if i%7 == 0 {
			if _, err := snapping.store.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
		snapping.do(t, now, line)
		if got, want := plain.store.UsedMemory(), scanMem(plain.store); got != want {
			t.Fatalf("after %q: used %d, a recount gives %d", line, got, want)
		}
		if a, b := plain.store.UsedMemory(), snapping.store.UsedMemory(); a != b {
			t.Fatalf("after %q: used %d, but %d on a store that snapshots", line, a, b)
		}
	}
	for _, ks := range plain.store.dbs {
		for i := range ks.shards {
			for _, o := range ks.shards[i].objs {
				if _, ok := o.coll.(footprinter); o.coll != nil && !ok {
					t.Errorf("%T has no Footprint: its size is a guess", o.coll)
				}
			}
		}
	}
	restored := New()
	if err := restored.Restore(bytes.NewReader(snapshotBytes(t, plain.store))); err != nil {
		t.Fatal(err)
	}
	if a, b := plain.store.UsedMemory(), restored.UsedMemory(); a != b || a == 0 {
		t.Fatalf("used %d, restored %d", a, b)
	}
	plain.do(t, scriptTime, "FLUSHALL")
	if got := plain.store.UsedMemory(); got != 0 {
		t.Errorf("after FLUSHALL used %d", got)
	}
}

func TestOOMUnderNoEviction(t *testing.T) {
	n := newNode()
	n.configure(t, "maxmemory", "2000", "maxmemory-policy", "noeviction")
	var acked int
	for i := 0; ; i++ {
		r := n.do(t, scriptTime, fmt.Sprintf("SET key%d %s", i, strings.Repeat("v", 100)))
		if r.IsError() {
			if r.String() != "(error) OOM command not allowed when used memory > 'maxmemory'." {
				t.Fatalf("reply %s", r)
			}
			break
		}
		acked++
	}
	if got := n.store.Len(); got != acked {
		t.Fatalf("%d keys, %d acknowledged", got, acked)
	}
	for _, tc := range []struct{ line, want string }{
		{"GET key0", `"` + strings.Repeat("v", 100) + `"`},
		{"EXPIRE key0 100", "(integer) 1"}, // not denyoom
		{"LPUSH l a", "(error) OOM command not allowed when used memory > 'maxmemory'."},
		{"EVAL \"return redis.call('set','x','y')\" 0", "(error) OOM command not allowed when used memory > 'maxmemory'."},
		{"EVAL \"#!lua\nreturn 1\" 0", "(error) OOM command not allowed when used memory > 'maxmemory'."},
		{"EVAL \"#!lua flags=allow-oom\nreturn redis.call('set','x','y')\" 0", "OK"},
		{"EVAL \"#!lua flags=no-writes\nreturn 1\" 0", "(integer) 1"},
		{"DEL key0 key1 x", "(integer) 3"},
	} {
		args := splitArgs(tc.line)
		if strings.HasPrefix(tc.line, "EVAL") {
			body := tc.line[len(`EVAL "`):strings.LastIndex(tc.line, `"`)]
			args = []string{"EVAL", body, "0"}
		}
		if got := n.doArgs(t, scriptTime, args).String(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %s", tc.line, got, tc.want)
		}
	}
	// A transaction with a command that may grow memory is discarded.
	n.do(t, scriptTime, "SET big "+strings.Repeat("b", 3000))
	sub, _, _ := Parse([][]byte{[]byte("SET"), []byte("t"), []byte("v")}, scriptTime)
	if got := n.apply(t, NewMulti([]Command{sub}, nil)).String(); !strings.Contains(got, "EXECABORT Transaction discarded because of: OOM") {
		t.Errorf("EXEC: %s", got)
	}
}

func TestVolatileWithoutVolatileKeysIsOOM(t *testing.T) {
	n := newNode()
	n.configure(t, "maxmemory", "660", "maxmemory-policy", "volatile-lru")
	n.do(t, scriptTime, "SET a "+strings.Repeat("v", 600))
	if got := n.do(t, scriptTime, "SET b c").String(); !strings.Contains(got, "OOM") {
		t.Errorf("volatile-lru without volatile keys: %s", got)
	}
	n.configure(t, "maxmemory-policy", "allkeys-lru")
	if got := n.do(t, scriptTime, "SET b c").String(); got != "OK" {
		t.Errorf("allkeys-lru slightly over: %s", got)
	}
}

func TestEvictEntryDeletesOnlyTheSampledVersion(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SET a 1")
	n.do(t, scriptTime, "SET b 1")
	ia := n.store.ModIndex(0, []byte("a"), scriptTime) >> 1
	ib := n.store.ModIndex(0, []byte("b"), scriptTime) >> 1
	n.do(t, scriptTime, "SET b 2") // b rewritten since the sample
	if got := n.apply(t, NewEvict(0, [][]byte{[]byte("a"), []byte("b")}, []uint64{ia, ib}, scriptTime)); got.String() != "(integer) 1" {
		t.Fatalf("evict: %s", got)
	}
	if got := n.do(t, scriptTime, "GET b").String(); got != `"2"` {
		t.Errorf("b = %s", got)
	}
	// The same decision again (a second leader's) evicts nothing.
	if got := n.apply(t, NewEvict(0, [][]byte{[]byte("a")}, []uint64{ia}, scriptTime)); got.String() != "(integer) 0" {
		t.Errorf("second evict: %s", got)
	}
	if got := n.store.EvictedKeys(); got != 1 {
		t.Errorf("evicted_keys %d", got)
	}
}

func TestObjectFreqAndIdletime(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SET k v")
	if got := n.do(t, scriptTime+5500, "OBJECT IDLETIME k").String(); got != "(integer) 5" {
		t.Errorf("IDLETIME %s", got)
	}
	if got := n.do(t, scriptTime, "OBJECT FREQ k").String(); !strings.Contains(got, "An LFU maxmemory policy is not selected") {
		t.Errorf("FREQ under LRU: %s", got)
	}
	n.configure(t, "maxmemory-policy", "allkeys-lfu")
	n.do(t, scriptTime, "SET f v")
	if got := n.do(t, scriptTime, "OBJECT FREQ f").String(); got != "(integer) 5" {
		t.Errorf("FREQ of a new key %s", got)
	}
	if got := n.do(t, scriptTime, "OBJECT IDLETIME f").String(); !strings.Contains(got, "An LFU maxmemory policy is selected") {
		t.Errorf("IDLETIME under LFU: %s", got)
	}
	// Reads are recorded, not applied, until a report.
	n.do(t, scriptTime, "GET f")
	n.do(t, scriptTime, "TOUCH f")
	if got := n.do(t, scriptTime, "OBJECT FREQ f").String(); got != "(integer) 5" {
		t.Errorf("FREQ before the report %s", got)
	}
	reports := n.store.AccessReports(scriptTime)
	if len(reports) != 1 {
		t.Fatalf("%d reports", len(reports))
	}
	n.index++
	n.store.Apply(n.index, reports[0])
	// From 5 the first increment is certain, the second has p 1/11.
	if got := n.do(t, scriptTime, "OBJECT FREQ f").String(); got != "(integer) 6" && got != "(integer) 7" {
		t.Errorf("FREQ after two reads %s", got)
	}
	// Ten minutes without access decay it by ten (lfu-decay-time 1).
	if got := n.do(t, scriptTime+10*60_000, "OBJECT FREQ f").String(); got != "(integer) 0" {
		t.Errorf("FREQ after ten idle minutes %s", got)
	}
}

// TestAccessReportsAreReplicatedState replays a log with access reports
// on a second store, which must reach the same snapshot, access clocks
// included, and checks that a report changes no key's modIndex.
func TestAccessReportsAreReplicatedState(t *testing.T) {
	n := newNode()
	n.configure(t, "maxmemory-policy", "allkeys-lfu")
	for i := range 50 {
		n.do(t, scriptTime, fmt.Sprintf("SET k%d v", i))
	}
	before := n.store.ModIndex(0, []byte("k1"), scriptTime)
	for i := range 200 {
		n.do(t, scriptTime, fmt.Sprintf("GET k%d", i%7))
	}
	for _, rep := range n.store.AccessReports(scriptTime + 1000) {
		n.index++
		n.log = append(n.log, rep)
		n.store.Apply(n.index, rep)
	}
	if after := n.store.ModIndex(0, []byte("k1"), scriptTime); after != before {
		t.Errorf("a report moved k1's modIndex from %d to %d", before, after)
	}
	if got := n.do(t, scriptTime+1000, "OBJECT FREQ k1").String(); got == "(integer) 5" {
		t.Errorf("FREQ of a key read 28 times: %s", got)
	}
	replay := New()
	for i, b := range n.log {
		replay.Apply(uint64(i+1), b)
	}
	if !bytes.Equal(snapshotBytes(t, replay), snapshotBytes(t, n.store)) {
		t.Error("a replayed log gives different access statistics")
	}
}

// TestChooseFollowsThePolicy fills a store and checks whom the leader's
// choice picks under each policy.
func TestChooseFollowsThePolicy(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			n := newNode()
			n.configure(t, "maxmemory-policy", policy)
			// old keys written at scriptTime, new ones 100 s later; the
			// even ones carry a deadline, the later the higher.
			for i := range 200 {
				at := scriptTime
				if i >= 100 {
					at += 100_000
				}
				line := fmt.Sprintf("SET k%03d v", i)
				if i%2 == 0 {
					line += fmt.Sprintf(" PXAT %d", scriptTime+1_000_000+int64(i)*1000)
				}
				n.do(t, at, line)
			}
			if strings.Contains(policy, "lfu") {
				// The new keys are read often.
				for i := 100; i < 200; i++ {
					for range 20 {
						n.do(t, scriptTime+100_000, fmt.Sprintf("GET k%03d", i))
					}
				}
				for _, rep := range n.store.AccessReports(scriptTime + 100_000) {
					n.index++
					n.store.Apply(n.index, rep)
				}
			}
			ev := &evictor{s: n.store}
			n.store.mu.RLock()
			victims := ev.choose(1<<40, 30, scriptTime+101_000)
			n.store.mu.RUnlock()
			if len(victims) != 30 {
				t.Fatalf("%d victims", len(victims))
			}
			old, seen := 0, map[string]bool{}
			for _, v := range victims {
				var i int
				fmt.Sscanf(string(v.key), "k%03d", &i)
				if strings.HasPrefix(policy, "volatile") && i%2 != 0 {
					t.Errorf("%s evicts %s, which has no deadline", policy, v.key)
				}
				if seen[string(v.key)] {
					t.Errorf("%s chosen twice", v.key)
				}
				seen[string(v.key)] = true
				if i < 100 {
					old++
				}
			}
			// Sampling is approximate, as Redis's: most, not all.
			if !strings.Contains(policy, "random") && old < 24 {
				t.Errorf("%s chose %d of 30 from the older / colder / sooner-expiring half", policy, old)
			}
		})
	}
}

// TestReadsInApplyAreAccesses checks that reads inside MULTI and scripts
// count as accesses, as Redis's lookupKeyRead counts them: applied with
// the entry, the same on a replay, never also in this node's reports.
func TestReadsInApplyAreAccesses(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SET k v")
	n.do(t, scriptTime, "SET gone v")
	get := func(key string, now int64) Command {
		c, _, err := Parse(ops("GET", key), now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	del, _, _ := Parse(ops("DEL", "gone"), scriptTime+5000)
	n.apply(t, NewMulti([]Command{get("k", scriptTime+5000), get("gone", scriptTime+5000), del}, nil))
	if got := n.do(t, scriptTime+5000, "OBJECT IDLETIME k").String(); got != "(integer) 0" {
		t.Errorf("IDLETIME after a GET in MULTI: %s, want 0", got)
	}
	n.doArgs(t, scriptTime+9000, []string{"EVAL", "return redis.call('get', KEYS[1])", "1", "k"})
	if got := n.do(t, scriptTime+9000, "OBJECT IDLETIME k").String(); got != "(integer) 0" {
		t.Errorf("IDLETIME after a GET in a script: %s, want 0", got)
	}
	n.configure(t, "maxmemory-policy", "allkeys-lfu")
	n.do(t, scriptTime, "SET f v")
	n.apply(t, NewMulti([]Command{get("f", scriptTime), get("f", scriptTime), get("nokey", scriptTime)}, nil))
	// From 5 the first increment is certain, the second has p 1/11.
	if got := n.do(t, scriptTime, "OBJECT FREQ f").String(); got != "(integer) 6" && got != "(integer) 7" {
		t.Errorf("FREQ after two reads in MULTI: %s", got)
	}
	if reports := n.store.AccessReports(scriptTime); len(reports) != 0 {
		t.Errorf("reads inside Apply also went to this node's reports (%d)", len(reports))
	}
	replay := New()
	for i, b := range n.log {
		replay.Apply(uint64(i+1), b)
	}
	if !bytes.Equal(snapshotBytes(t, replay), snapshotBytes(t, n.store)) {
		t.Error("a replayed log gives different access statistics")
	}
}

// TestVolatilePolicyAfterAllKeysKeepsKeysWithoutTTL checks that keys
// without a TTL, sampled into the leader's pool under an allkeys policy,
// are not evicted once the policy is volatile: Redis looks each pooled key
// up in the expires dict under a volatile policy and skips it if it is not
// there. Nor does an eviction entry decided under the allkeys policy and
// applied after the change delete one.
func TestVolatilePolicyAfterAllKeysKeepsKeysWithoutTTL(t *testing.T) {
	n := newNode()
	n.configure(t, "maxmemory-policy", "allkeys-lru")
	for i := range 50 {
		n.do(t, scriptTime, fmt.Sprintf("SET p%02d v", i))
	}
	ev := &evictor{s: n.store}
	n.store.mu.RLock()
	early := ev.choose(1, 1, scriptTime+1000) // fills the pool with keys without a TTL
	n.store.mu.RUnlock()
	if len(early) != 1 || len(ev.pool.e) == 0 {
		t.Fatalf("allkeys-lru chose %d, pooled %d", len(early), len(ev.pool.e))
	}
	n.configure(t, "maxmemory-policy", "volatile-lru")
	for i := range 50 {
		n.do(t, scriptTime+100_000, fmt.Sprintf("SET v%02d v PXAT %d", i, scriptTime+10_000_000))
	}
	n.store.mu.RLock()
	victims := ev.choose(1<<40, 30, scriptTime+101_000)
	n.store.mu.RUnlock()
	for _, v := range victims {
		if !strings.HasPrefix(string(v.key), "v") {
			t.Errorf("volatile-lru chose %s, which has no TTL (left in the pool from allkeys-lru)", v.key)
		}
	}
	ip := n.store.ModIndex(0, early[0].key, scriptTime) >> 1
	if got := n.apply(t, NewEvict(0, [][]byte{early[0].key}, []uint64{ip}, scriptTime+101_000)); got.String() != "(integer) 0" {
		t.Errorf("an eviction entry from allkeys-lru, applied under volatile-lru, evicted %s: %s", early[0].key, got)
	}
}
