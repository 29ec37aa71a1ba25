package fsm

import (
	"bytes"
	"testing"

	"github.com/raftcache/raftcache/fsm/config"
)

// configSet applies a CONFIG SET of name/value pairs through the log.
func (n *node) configSet(t testing.TB, pairs ...string) Reply {
	t.Helper()
	args := make([][]byte, len(pairs))
	for i, p := range pairs {
		args[i] = []byte(p)
	}
	data := NewConfigSet(args, scriptTime).AppendBinary(nil)
	n.log = append(n.log, data)
	n.index++
	return n.store.Apply(n.index, data).(Reply)
}

func TestConfigSetThroughLog(t *testing.T) {
	n := newNode()
	if r := n.configSet(t, "maxmemory", "1mb", "maxmemory-policy", "ALLKEYS-LFU",
		"notify-keyspace-events", "KEA", "hash-max-ziplist-entries", "3"); r.Kind != KindStatus {
		t.Fatalf("CONFIG SET: %s", r)
	}
	cfg := n.store.Config()
	if cfg.MaxMemory != 1<<20 || cfg.MaxMemoryPolicy != config.AllKeysLFU ||
		cfg.NotifyKeyspaceEvents != config.NotifyAll|config.NotifyKeyspace|config.NotifyKeyevent ||
		cfg.HashMaxListpackEntries != 3 {
		t.Fatalf("after CONFIG SET: %+v", cfg)
	}
	// All or nothing: the second pair is bad, so the first stays unset.
	r := n.configSet(t, "maxmemory-samples", "7", "maxmemory", "x")
	want := "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
	if !r.IsError() || string(r.Bytes) != want {
		t.Fatalf("bad CONFIG SET: %s, want %s", r, want)
	}
	if got := n.store.Config().MaxMemorySamples; got != 5 {
		t.Fatalf("maxmemory-samples %d after a failed CONFIG SET, want 5", got)
	}
	// A node-local parameter never goes through the log.
	if r := n.configSet(t, "proto-max-bulk-len", "2mb"); !r.IsError() {
		t.Fatalf("CONFIG SET of a node-local parameter through the log: %s", r)
	}

	// A replica that replays the log, and one restored from a snapshot,
	// agree with it.
	replica := newNode()
	for i, data := range n.log {
		replica.store.Apply(uint64(i+1), data)
	}
	snap := snapshotBytes(t, n.store)
	restored := newNode()
	if err := restored.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	for _, other := range []*node{replica, restored} {
		for _, p := range config.Params() {
			if p.Local {
				continue
			}
			if got, want := other.store.Config().Get(p), n.store.Config().Get(p); got != want {
				t.Errorf("%s: %q, want %q", p.Name, got, want)
			}
		}
	}
	if again := snapshotBytes(t, restored.store); !bytes.Equal(again, snap) {
		t.Fatal("restored configuration snapshots differently")
	}
}

// TestConfigSnapshotKeepsNewKeyEvents: "An" reads back as "A", as in
// Redis, but a snapshot keeps the n, so a restored node publishes the
// same events as one that applied the log.
func TestConfigSnapshotKeepsNewKeyEvents(t *testing.T) {
	n := newNode()
	n.configSet(t, "notify-keyspace-events", "AnK")
	p, _ := config.Lookup("notify-keyspace-events")
	if got := n.store.Config().Get(p); got != "AK" {
		t.Fatalf("CONFIG GET notify-keyspace-events: %q, want AK", got)
	}
	restored := newNode()
	if err := restored.store.Restore(bytes.NewReader(snapshotBytes(t, n.store))); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got, want := restored.store.Config().NotifyKeyspaceEvents, n.store.Config().NotifyKeyspaceEvents; got != want {
		t.Fatalf("restored flags %b, want %b", got, want)
	}
}
