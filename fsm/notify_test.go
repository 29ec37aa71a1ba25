package fsm

import (
	"slices"
	"testing"
)

// setNotify sets notify-keyspace-events through the log, as CONFIG SET.
func setNotify(t *testing.T, n *node, classes string) {
	t.Helper()
	n.index++
	r, _ := n.store.Apply(n.index, NewConfigSet([][]byte{[]byte("notify-keyspace-events"), []byte(classes)}, 1000).AppendBinary(nil)).(Reply)
	if r.String() != "OK" {
		t.Fatalf("CONFIG SET notify-keyspace-events %s: %s", classes, r)
	}
}

// recordNotifications collects the keyspace notifications of n's entries
// as "channel payload" lines.
func recordNotifications(n *node) *[]string {
	var got []string
	n.store.SetEffectsSink(func(fx *Effects) {
		for _, m := range fx.Messages {
			got = append(got, string(m.Channel)+" "+string(m.Payload))
		}
	})
	return &got
}

// Expirations are events of the entries that drop the keys: the active
// expiry's, and a write's that finds its key past its deadline; a read
// that hides an expired key drops nothing and tells nothing.
func TestNotifyExpired(t *testing.T) {
	n := newNode()
	got := recordNotifications(n)
	setNotify(t, n, "Ex")
	n.do(t, 1000, "SET a 1 PX 10")
	n.do(t, 1000, "SET b 1 PX 10")
	n.do(t, 2000, "GET a")
	if len(*got) != 0 {
		t.Fatalf("before any removal: %q", *got)
	}
	n.index++
	n.store.Apply(n.index, NewExpire([][]byte{[]byte("a")}, 2000).AppendBinary(nil))
	n.do(t, 2000, "INCR b")
	// MSET overwrites without looking first: put expires the old key.
	n.do(t, 2000, "SET c 1 PX 10")
	setNotify(t, n, "Exn$")
	n.do(t, 3000, "MSET c 2")
	want := []string{"__keyevent@0__:expired a", "__keyevent@0__:expired b",
		"__keyevent@0__:expired c", "__keyevent@0__:new c", "__keyevent@0__:set c"}
	if !slices.Equal(*got, want) {
		t.Errorf("notifications %q, want %q", *got, want)
	}
}

// A script's PUBLISH keeps its Seq in the entry's messages whatever
// notifications come before it, so its reply still finds its count.
func TestNotifyAndPublishSeq(t *testing.T) {
	n := newNode()
	var seqs []int64
	n.store.SetEffectsSink(func(fx *Effects) {
		for _, m := range fx.Messages {
			seqs = append(seqs, m.Seq)
		}
	})
	setNotify(t, n, "KEA")
	r := n.multi(t, 1000, "SET k v", "PUBLISH ch x")
	if got, want := r.String(), "[OK (published) 2]"; got != want {
		t.Errorf("EXEC = %s, want %s", got, want)
	}
	if want := []int64{0, 1, 2}; !slices.Equal(seqs, want) {
		t.Errorf("seqs %v, want %v", seqs, want)
	}
}

// With notifications off, or no sink, nothing is built.
func TestNotifyOff(t *testing.T) {
	n := newNode()
	got := recordNotifications(n)
	n.do(t, 1000, "SET k v")
	setNotify(t, n, "A") // classes, but neither K nor E
	n.do(t, 1000, "SET k v")
	if len(*got) != 0 {
		t.Errorf("notifications %q, want none", *got)
	}
}

// notifyEvicted is what maxmemory's eviction calls for each key it drops.
func TestNotifyEvicted(t *testing.T) {
	n := newNode()
	got := recordNotifications(n)
	setNotify(t, n, "Ke")
	n.store.mu.Lock()
	w := writer{s: n.store, ks: n.store.dbs[3], db: 3}
	w.notifyEvicted([]byte("k"))
	n.store.deliverEffects(n.index + 1)
	n.store.mu.Unlock()
	if want := []string{"__keyspace@3__:k evicted"}; !slices.Equal(*got, want) {
		t.Errorf("notifications %q, want %q", *got, want)
	}
}
