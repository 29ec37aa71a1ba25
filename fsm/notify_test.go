package fsm

import (
	"slices"
	"testing"
)

// The flag strings round-trip as Redis 7.0's CONFIG SET and CONFIG GET
// show them (checked against redis-server 7.0.15).
func TestNotifyKeyspaceEventsFlags(t *testing.T) {
	cases := []struct {
		in, out string
		ok      bool
	}{
		{"", "", true},
		{"KEA", "AKE", true},
		{"AKEnm", "AKEm", true}, // n is printed only without A
		{"Ex", "xE", true},
		{"g$lshzxetdn", "A", true}, // every class of A, one by one, and n
		{"g$lshzxetn", "g$lshzxetn", true},
		{"ntexzhsl$g", "g$lshzxetn", true},
		{"m", "m", true},
		{"KK", "K", true},
		{"Q", "", false},
		{"KEA ", "", false},
	}
	for _, tc := range cases {
		flags, ok := ParseNotifyKeyspaceEvents(tc.in)
		if ok != tc.ok {
			t.Errorf("parse %q: ok %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if got := FormatNotifyKeyspaceEvents(flags); ok && got != tc.out {
			t.Errorf("%q formats as %q, want %q", tc.in, got, tc.out)
		}
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
	n.store.SetNotifyKeyspaceEvents(NotifyKeyevent | NotifyExpired)
	n.do(t, 1000, "SET a 1 PX 10")
	n.do(t, 1000, "SET b 1 PX 10")
	n.do(t, 2000, "GET a")
	if len(*got) != 0 {
		t.Fatalf("before any removal: %q", *got)
	}
	n.index++
	n.store.Apply(n.index, NewExpire([][]byte{[]byte("a")}, 2000).AppendBinary(nil))
	n.do(t, 2000, "INCR b")
	want := []string{"__keyevent@0__:expired a", "__keyevent@0__:expired b"}
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
	n.store.SetNotifyKeyspaceEvents(NotifyKeyspace | NotifyKeyevent | NotifyAll)
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
	n.store.SetNotifyKeyspaceEvents(NotifyAll) // classes, but neither K nor E
	n.do(t, 1000, "SET k v")
	if len(*got) != 0 {
		t.Errorf("notifications %q, want none", *got)
	}
}

// notifyEvicted is what maxmemory's eviction calls for each key it drops.
func TestNotifyEvicted(t *testing.T) {
	n := newNode()
	got := recordNotifications(n)
	n.store.SetNotifyKeyspaceEvents(NotifyKeyspace | NotifyEvicted)
	n.store.mu.Lock()
	w := writer{s: n.store, ks: n.store.dbs[3], db: 3}
	w.notifyEvicted([]byte("k"))
	n.store.deliverEffects(1)
	n.store.mu.Unlock()
	if want := []string{"__keyspace@3__:k evicted"}; !slices.Equal(*got, want) {
		t.Errorf("notifications %q, want %q", *got, want)
	}
}
