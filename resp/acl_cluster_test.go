package resp

import (
	"bytes"
	"testing"
	"time"

	"github.com/raftcache/raftcache/fsm"
	"github.com/raftcache/raftcache/fsm/acl"
)

// TestACLAcrossNodes: a user made on one node logs in on every node at
// once, keeps its permissions there, and survives a restart (replayed from
// the node's snapshot and log) and a catch-up from a snapshot; the default
// user's password set by CONFIG SET requirepass is the cluster's.
func TestACLAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	opts := nodeOptions{snapshotEntries: 20}
	nodes := startRaftNodes(t, 3, opts)
	one := dialCompat(t, "node 1", nodes[0].addr)
	mustDo := func(c *compatConn, want string, args ...string) {
		t.Helper()
		if v, err := c.do(args...); err != nil || v.raw != want {
			t.Fatalf("%v: %q %v, want %q", args, v.raw, err, want)
		}
	}
	mustDo(one, "+OK\r\n", "ACL", "SETUSER", "alice", "on", ">wonder", "~a*", "+@read", "+set", "+acl|whoami")
	mustDo(one, "+OK\r\n", "CONFIG", "SET", "requirepass", "s3cret")
	mustDo(one, "+OK\r\n", "AUTH", "s3cret")
	login := func(name string, n *raftNode) {
		t.Helper()
		c := dialCompat(t, name, n.addr)
		mustDo(c, "-NOAUTH Authentication required.\r\n", "GET", "a1")
		mustDo(c, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "alice", "nope")
		mustDo(c, "+OK\r\n", "AUTH", "alice", "wonder")
		mustDo(c, "$5\r\nalice\r\n", "ACL", "WHOAMI")
		mustDo(c, "+OK\r\n", "SET", "a1", "v")
		mustDo(c, "$1\r\nv\r\n", "GET", "a1")
		mustDo(c, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n", "GET", "b1")
		mustDo(c, "-NOPERM this user has no permissions to run the 'del' command\r\n", "DEL", "a1")
		d := dialCompat(t, name+" default", n.addr)
		mustDo(d, "+OK\r\n", "AUTH", "default", "s3cret")
	}
	login("node 3", nodes[2])

	// Enough writes that every node snapshots and compacts its log.
	for i := range 60 {
		mustDo(one, "+OK\r\n", "SET", "k"+string(rune('a'+i%26)), "v")
	}
	if err := nodes[2].stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	restarted := startRaftNode(t, "", nodeOptions{snapshotEntries: 20, restart: nodes[2]})
	deadline := time.Now().Add(30 * time.Second)
	for restarted.node.Status().Leader == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	login("node 3 restarted", restarted)
	joined := startRaftNode(t, nodes[0].raftAddr, opts)
	deadline = time.Now().Add(30 * time.Second)
	for joined.node.Status().Leader == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	login("joined", joined)

	// A deleted user is gone everywhere.
	mustDo(one, ":1\r\n", "ACL", "DELUSER", "alice")
	c := dialCompat(t, "node 2", nodes[1].addr)
	mustDo(c, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "alice", "wonder")
}

// TestACLLogHoldsNoPassword: SETUSER's passwords are hashed before they
// are proposed, so no log entry or snapshot holds one.
func TestACLLogHoldsNoPassword(t *testing.T) {
	entry := fsm.NewACLSetUser([]byte("u"), nil, hashOps([][]byte{[]byte(">s3cret-pw"), []byte("<other-pw"), []byte("on")}), 1).AppendBinary(nil)
	for _, pw := range []string{"s3cret-pw", "other-pw"} {
		if bytes.Contains(entry, []byte(pw)) {
			t.Fatalf("the log entry holds the password %q: %q", pw, entry)
		}
	}
	if !bytes.Contains(entry, []byte("#"+acl.HashPassword([]byte("s3cret-pw")))) {
		t.Fatalf("the log entry lacks the password's hash: %q", entry)
	}
}
