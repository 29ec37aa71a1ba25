package fsm

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/raftcache/raftcache/fsm/acl"
)

func (n *node) propose(c Command) Reply {
	data := c.AppendBinary(nil)
	n.log = append(n.log, data)
	n.index++
	return n.store.Apply(n.index, data).(Reply)
}

func ops(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// TestACLThroughLog: users made and deleted through the log are the same
// on a replica that replays it and on a node restored from a snapshot; a
// failed SETUSER changes nothing; the default user starts from the base
// its first change carries.
func TestACLThroughLog(t *testing.T) {
	n := newNode()
	n.store.SetInitialPassword("local")
	if !n.store.Authenticate([]byte("default"), []byte("local")) || n.store.Authenticate([]byte("default"), []byte("x")) {
		t.Fatal("the initial password is not the default user's")
	}
	h := acl.HashPassword([]byte("pw"))
	if r := n.propose(NewACLSetUser([]byte("alice"), nil, ops("on", "#"+h, "~a*", "%R~b", "&ch", "+get", "-@all", "+@read"), 1)); r.Kind != KindStatus {
		t.Fatalf("SETUSER alice: %s", r)
	}
	if r := n.propose(NewACLSetUser([]byte("alice"), nil, ops("+set", "allkeys", "~x"), 1)); !r.IsError() {
		t.Fatalf("SETUSER after allkeys: %s, want an error", r)
	}
	if r := n.propose(NewACLSetUser([]byte("bob"), nil, ops("on", "nopass"), 1)); r.Kind != KindStatus {
		t.Fatalf("SETUSER bob: %s", r)
	}
	if r := n.propose(NewACLDelUser(ops("bob", "nobody"), 1)); r.Kind != KindInt || r.Int != 1 {
		t.Fatalf("DELUSER: %s", r)
	}
	base := acl.Default()
	base.NoPass, base.Passwords = false, []string{acl.HashPassword([]byte("base"))}
	if r := n.propose(NewACLSetUser([]byte("default"), base.Ops(), ops("-flushall"), 1)); r.Kind != KindStatus {
		t.Fatalf("SETUSER default: %s", r)
	}
	if !n.store.Authenticate([]byte("alice"), []byte("pw")) || !n.store.Authenticate([]byte("default"), []byte("base")) ||
		n.store.Authenticate([]byte("default"), []byte("local")) || n.store.Authenticate([]byte("bob"), nil) {
		t.Fatal("credentials after the log differ from what it set")
	}
	want := n.store.ACLUsers()
	if len(want) != 2 || want[0].Name != "alice" || len(want[0].Keys) != 2 || want[1].Rules[0] != "-flushall" {
		t.Fatalf("users: %+v", want)
	}
	replica := newNode()
	replica.store.SetInitialPassword("other") // replaced by the log's base
	for i, data := range n.log {
		replica.store.Apply(uint64(i+1), data)
	}
	snap := snapshotBytes(t, n.store)
	restored := newNode()
	if err := restored.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	for name, other := range map[string]*node{"replica": replica, "restored": restored} {
		if got := other.store.ACLUsers(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: users %+v, want %+v", name, got, want)
		}
	}
	if again := snapshotBytes(t, restored.store); !bytes.Equal(again, snap) {
		t.Fatal("restored users snapshot differently")
	}
}
