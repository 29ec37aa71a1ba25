package fsm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestEvictionInApplyBoundsABurst applies a burst of writes that no leader
// evicts for, under each evicting policy: the dataset never goes past
// maxmemory by more than the slack and one write, and a store restored
// from a snapshot midway (another index layout) evicts the same keys.
func TestEvictionInApplyBoundsABurst(t *testing.T) {
	const maxMemory = 100_000
	value := strings.Repeat("v", 100)
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
		"volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			n := newNode()
			n.configure(t, "maxmemory", fmt.Sprint(maxMemory), "maxmemory-policy", policy)
			var restored *Store
			for i := range 3000 {
				now := scriptTime + int64(i)*10
				line := fmt.Sprintf("SET k%d %s", i, value)
				if i%10 != 0 {
					line += fmt.Sprintf(" PX %d", 1_000_000+i*7%1000)
				}
				n.do(t, now, line)
				if i%5 == 0 {
					n.do(t, now, fmt.Sprintf("GET k%d", i/2)) // some keys are warm
				}
				if used := n.store.UsedMemory(); used > maxMemory+evictSlack(maxMemory)+300 {
					t.Fatalf("after %d writes used_memory is %d, limit %d", i+1, used, maxMemory)
				}
				if i == 1500 {
					restored = New()
					if err := restored.Restore(bytes.NewReader(snapshotBytes(t, n.store))); err != nil {
						t.Fatal(err)
					}
				}
				if restored != nil && i > 1500 {
					restored.Apply(n.index, n.log[len(n.log)-1])
				}
			}
			if n.store.EvictedKeys() == 0 {
				t.Fatal("nothing evicted")
			}
			if !bytes.Equal(snapshotBytes(t, restored), snapshotBytes(t, n.store)) {
				t.Error("a store restored from a snapshot evicted other keys")
			}
			if strings.HasPrefix(policy, "volatile") {
				for i := 0; i < 3000; i += 10 {
					if got := n.do(t, scriptTime+30_000, fmt.Sprintf("EXISTS k%d", i)).String(); got != "(integer) 1" {
						t.Fatalf("%s evicted k%d, which has no deadline", policy, i)
					}
				}
			}
		})
	}
}

// TestEvictEntryStopsWithinTheLimit checks that a leader's eviction entry
// deletes its victims only while the dataset is over maxmemory.
func TestEvictEntryStopsWithinTheLimit(t *testing.T) {
	n := newNode()
	n.do(t, scriptTime, "SET a 1")
	n.do(t, scriptTime, "SET b 1")
	ia := n.store.ModIndex(0, []byte("a"), scriptTime) >> 1
	ib := n.store.ModIndex(0, []byte("b"), scriptTime) >> 1
	n.configure(t, "maxmemory", fmt.Sprint(n.store.UsedMemory()-1), "maxmemory-policy", "allkeys-lru")
	if got := n.apply(t, NewEvict(0, [][]byte{[]byte("a"), []byte("b")}, []uint64{ia, ib}, scriptTime)); got.String() != "(integer) 1" {
		t.Fatalf("evict: %s, want 1: one key brings the dataset within the limit", got)
	}
	if got := n.do(t, scriptTime, "EXISTS b").String(); got != "(integer) 1" {
		t.Errorf("b evicted though the dataset was within the limit: EXISTS %s", got)
	}
}
