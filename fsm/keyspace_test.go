package fsm

import (
	"bytes"
	"context"
	"fmt"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", false}, {"", "", true}, {"", "a", false}, {"a", "", false},
		{"h?llo", "hello", true}, {"h*llo", "hllo", true}, {"h[ae]llo", "hallo", true},
		{"h[^e]llo", "hello", false}, {"h[^e]llo", "hallo", true}, {"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true}, {`h\*llo`, "h*llo", true}, {`h\*llo`, "hallo", false},
		{"[abc", "a", true}, {"[abc", "ab", false}, {"a[", "ab", false}, {`a\`, `a\`, true},
		{`[\]]`, "]", true}, {"[a-]", "-", false}, {"[a-]", "a", true},
		{"**a", "ba", true}, {"a*", "a", true}, {"*a*b", "xaxb", true},
		{"[]", "]", false},
		{"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tc := range cases {
		if got := globMatch([]byte(tc.pattern), []byte(tc.s)); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestGlobAgainstRedis checks random patterns, malformed ones included,
// against redis-server's KEYS over the same random keys.
func TestGlobAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	redis := redistest.Start(t)
	rng := rand.New(rand.NewPCG(1, 2))
	randString := func(alphabet string, maxLen int) string {
		b := make([]byte, rng.IntN(maxLen+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	n := newNode()
	redis.Raw("FLUSHALL")
	for i := 0; i < 60; i++ {
		k := randString("abc-^]\\*\xe9", 5)
		redis.Raw("SET", k, "v")
		n.doArgs(t, scriptTime, []string{"SET", k, "v"})
	}
	for i := 0; i < 2000; i++ {
		p := randString("abc*?[]^-\\\xe9", 7)
		args := []string{"KEYS", p}
		want := sortedRESP(t, "KEYS", redis.Raw(args...))
		got := sortedRESP(t, "KEYS", appendRESP2(nil, n.doArgs(t, scriptTime, args)))
		if !bytes.Equal(got, want) {
			t.Fatalf("KEYS %q\n fsm   %q\n redis %q", p, got, want)
		}
	}
}

// TestScanGuarantee checks SCAN's promise under concurrent writes: a key
// present for the whole iteration is returned, and cursor 0 ends it.
func TestScanGuarantee(t *testing.T) {
	n := newNode()
	for i := 0; i < 3000; i++ {
		n.do(t, scriptTime, fmt.Sprintf("SET stable:%d v", i))
	}
	seen := map[string]bool{}
	cursor := "0"
	calls := 0
	for {
		r := n.do(t, scriptTime, "SCAN "+cursor+" COUNT 7")
		for _, k := range r.Elems[1].Elems {
			seen[string(k.Bytes)] = true
		}
		cursor = string(r.Elems[0].Bytes)
		calls++
		// Churn between the calls: new keys, deleted keys, a flush of
		// keys that come and go.
		n.do(t, scriptTime, fmt.Sprintf("SET churn:%d v", calls))
		n.do(t, scriptTime, fmt.Sprintf("DEL churn:%d", calls-1))
		if cursor == "0" {
			break
		}
		if calls > shardCount+1 {
			t.Fatalf("SCAN did not end after %d calls", calls)
		}
	}
	for i := 0; i < 3000; i++ {
		if !seen[fmt.Sprintf("stable:%d", i)] {
			t.Fatalf("stable:%d was present throughout but never returned", i)
		}
	}
	if calls < 2 {
		t.Errorf("COUNT 7 over 3000 keys took %d call(s); COUNT is ignored", calls)
	}
}

func TestRandomKey(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SET live v")
	n.do(t, scriptTime, "SET dead v PX 10")
	for i := 0; i < 50; i++ {
		if got := n.store.Read(parseLine(t, 0, "RANDOMKEY"), scriptTime+10).String(); got != `"live"` {
			t.Fatalf("RANDOMKEY = %s, want the only live key", got)
		}
	}
}

func expireAll(t *testing.T, n *node, count int, prefix string, px int) {
	t.Helper()
	for i := 0; i < count; i++ {
		n.do(t, scriptTime, fmt.Sprintf("SET %s%d v PX %d", prefix, i, px))
	}
}

func TestExpiredSampleAndNewExpire(t *testing.T) {
	n := newNode()
	expireAll(t, n, 1000, "e", 10)
	n.do(t, scriptTime, "SET keep v EX 100")
	n.do(t, scriptTime, "SET plain v")
	now := scriptTime + 10
	if got := n.store.ExpiredSample(0, scriptTime+9, 100); len(got) != 0 {
		t.Fatalf("sampled %d keys before their deadline", len(got))
	}
	removed := map[string]bool{}
	for round := 0; round < 100 && len(removed) < 1000; round++ {
		keys := n.store.ExpiredSample(0, now, 64)
		if len(keys) > 64 {
			t.Fatalf("ExpiredSample returned %d keys, max 64", len(keys))
		}
		for _, k := range keys {
			if k[0] != 'e' {
				t.Fatalf("sampled %q, which has not expired", k)
			}
			removed[string(k)] = true
		}
		n.index++
		n.store.Apply(n.index, NewExpire(keys, now).AppendBinary(nil))
	}
	if len(removed) != 1000 || n.store.Len() != 2 || n.store.ExpiresLen() != 1 {
		t.Fatalf("removed %d, Len %d, ExpiresLen %d; want 1000, 2, 1", len(removed), n.store.Len(), n.store.ExpiresLen())
	}
	if st := n.store.Stats(); st.ExpiredKeys != 1000 {
		t.Errorf("ExpiredKeys = %d, want 1000", st.ExpiredKeys)
	}
	// A key set again after the sample survives its stale deletion.
	n.do(t, scriptTime, "SET again v PX 10")
	keys := n.store.ExpiredSample(0, now, 10)
	n.do(t, now, "SET again fresh")
	n.index++
	if r := n.store.Apply(n.index, NewExpire(keys, now).AppendBinary(nil)).(Reply); r.String() != "(integer) 0" {
		t.Errorf("expiring a key set again = %s, want 0", r)
	}
	if got := n.do(t, now, "GET again").String(); got != `"fresh"` {
		t.Errorf("GET again = %s", got)
	}
}

// TestRunActiveExpiry runs the loop with a fake leadership and a propose
// that applies to another Store, as the cluster would.
func TestRunActiveExpiry(t *testing.T) {
	n := newNode()
	expireAll(t, n, 2500, "x", 10)
	n.do(t, scriptTime, "SET keep v")
	var mu sync.Mutex
	leader := false
	proposals := 0
	isLeader := func() bool { mu.Lock(); defer mu.Unlock(); return leader }
	propose := func(_ context.Context, cmd []byte) error {
		mu.Lock()
		proposals++
		mu.Unlock()
		if c, err := Decode(cmd); err != nil || c.op != opExpireKeys || len(c.args) > activeExpiryBatch {
			t.Errorf("proposed %x: %v", cmd, err)
		}
		n.store.Apply(n.store.AppliedIndex()+1, cmd)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunActiveExpiry(ctx, n.store, isLeader, propose, func() int64 { return scriptTime + 10 })
	}()
	time.Sleep(3 * activeExpiryInterval)
	mu.Lock()
	if proposals != 0 {
		t.Errorf("a follower proposed %d entries", proposals)
	}
	leader = true
	mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for n.store.Len() > 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n.store.Len() != 1 {
		t.Fatalf("Len = %d after active expiry, want 1", n.store.Len())
	}
	if st := n.store.Stats(); st.ExpiredKeys != 2500 || st.Expires != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestStatsHitsMisses(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SET a 1")
	n.do(t, scriptTime, "HSET h f v")
	for _, line := range []string{"GET a", "GET b", "MGET a b c", "HGET h f", "HGET nokey f", "EXISTS a"} {
		n.do(t, scriptTime, line)
	}
	st := n.store.Stats()
	// EXISTS counts as Redis's (a read lookup without touching the key).
	if st.KeyspaceHits != 4 || st.KeyspaceMisses != 4 || st.Keys != 2 {
		t.Errorf("Stats = %+v, want 4 hits, 4 misses, 2 keys", st)
	}
}

func TestSnapshotHashes(t *testing.T) {
	src := newNode()
	populate(t, src)
	src.do(t, scriptTime, "HSET h b 2 a 1 c 3")
	src.do(t, scriptTime, "HDEL h a")
	src.do(t, scriptTime, "HSET h a 9")
	src.do(t, scriptTime, "EXPIRE h 100")
	for i := 0; i < 600; i++ { // a converted hash
		src.do(t, scriptTime, fmt.Sprintf("HSET big f%d %d", i, i))
	}
	src.do(t, scriptTime, "HDEL big f3")
	snap := snapshotBytes(t, src.store)
	dst := New()
	if err := dst.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if again := snapshotBytes(t, dst); !bytes.Equal(again, snap) {
		t.Fatal("restored state snapshots differently")
	}
	if got := dst.Read(parseLine(t, 0, "HGETALL h"), scriptTime).String(); got != `["b" "2" "c" "3" "a" "9"]` {
		t.Errorf("HGETALL h = %s", got)
	}
	// The same HDEL on both keeps their order equal.
	src.do(t, scriptTime, "HDEL big f7")
	dst.Apply(dst.AppliedIndex()+1, parseLine(t, scriptTime, "HDEL big f7").AppendBinary(nil))
	a := src.store.Read(parseLine(t, 0, "HKEYS big"), scriptTime).String()
	b := dst.Read(parseLine(t, 0, "HKEYS big"), scriptTime).String()
	if a != b {
		t.Errorf("converted hash order differs after restore:\n%s\n%s", a, b)
	}
	for _, k := range []string{"a", "h", "x"} {
		if src.store.ModIndex(0, []byte(k), scriptTime) != dst.ModIndex(0, []byte(k), scriptTime) {
			t.Errorf("ModIndex(%s) differs after restore", k)
		}
	}
}

// TestRestoreVersion1 restores a stream in the previous format.
func TestRestoreVersion1(t *testing.T) {
	var b []byte
	b = append(b, "RCSN"...)
	b = append(b, 1)
	b = append(b, 7, 1) // applied 7, one entry
	b = append(b, byte(typeString), 1, 'k', 0, 5, 1, 'v')
	b = castagnoliAppend(b)
	s := New()
	if err := s.Restore(bytes.NewReader(b)); err != nil {
		t.Fatalf("Restore v1: %v", err)
	}
	if got := s.Read(parseLine(t, 0, "GET k"), 0).String(); got != `"v"` || s.AppliedIndex() != 7 {
		t.Errorf("GET k = %s, applied %d", got, s.AppliedIndex())
	}
	bad := slices.Clone(b[:len(b)-4])
	bad[len("RCSN")+3] = byte(typeHash)
	if err := s.Restore(bytes.NewReader(castagnoliAppend(bad))); err == nil {
		t.Error("a version 1 stream with a hash was accepted")
	}
}
