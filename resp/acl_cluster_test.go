package resp

import (
	"bytes"
	"strings"
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

// TestScriptACLAcrossNodes: a restricted user made on node 1 runs, on
// node 3, scripts that call what it may not (FLUSHALL, a key outside its
// pattern, a channel outside its list), by EVAL, EVALSHA, FCALL and inside
// MULTI. Each is judged in Apply, on every node, by the users as of its
// entry: no node writes anything, every node ends with the same state,
// and only node 3, where the client ran the scripts, logs the refusals.
func TestScriptACLAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes := startRaftNodes(t, 3, nodeOptions{})
	one := dialCompat(t, "node 1", nodes[0].addr)
	mustDo := func(c *compatConn, want string, args ...string) {
		t.Helper()
		if v, err := c.do(args...); err != nil || v.raw != want {
			t.Fatalf("%v: %q %v, want %q", args, v.raw, err, want)
		}
	}
	mustDo(one, "+OK\r\n", "ACL", "SETUSER", "mallory", "on", ">pw", "~m*", "&news", "-@all", "+eval", "+evalsha",
		"+fcall", "+set", "+publish", "+multi", "+exec")
	mustDo(one, "+OK\r\n", "SET", "keep", "1")
	mustDo(one, "$7\r\nmallory\r\n", "FUNCTION", "LOAD", "#!lua name=mallory\n"+
		"redis.register_function('wipe', function() return redis.call('flushall') end)")
	flush := "return redis.call('flushall')"
	mustDo(one, "$40\r\n"+sha1hex(flush)+"\r\n", "SCRIPT", "LOAD", flush)

	three := dialCompat(t, "node 3", nodes[2].addr)
	mustDo(three, "+OK\r\n", "AUTH", "mallory", "pw")
	denied := "-ERR The user executing the script can't run this command or subcommand script: "
	mustDo(three, denied+sha1hex(flush)+", on @user_script:1.\r\n", "EVAL", flush, "0")
	mustDo(three, denied+sha1hex(flush)+", on @user_script:1.\r\n", "EVALSHA", sha1hex(flush), "0")
	mustDo(three, denied+"wipe, on @user_function:2.\r\n", "FCALL", "wipe", "0")
	pdel := "redis.pcall('del', 'keep'); return 'ran'"
	mustDo(three, "$3\r\nran\r\n", "EVAL", pdel, "0")
	other := "return redis.call('set', 'keep', 'pwned')"
	mustDo(three, "-ERR The user executing the script can't access at least one of the keys mentioned in the command "+
		"arguments script: "+sha1hex(other)+", on @user_script:1.\r\n", "EVAL", other, "0")
	pub := "return redis.call('publish', 'secrets', 'x')"
	mustDo(three, "-ERR The user executing the script can't publish to the channel mentioned in the command script: "+
		sha1hex(pub)+", on @user_script:1.\r\n", "EVAL", pub, "0")
	mustDo(three, "+OK\r\n", "MULTI")
	mustDo(three, "+QUEUED\r\n", "EVAL", flush, "0")
	v, err := three.do("EXEC")
	if err != nil || len(v.elems) != 1 || !strings.HasPrefix(v.elems[0].raw, denied) {
		t.Fatalf("EXEC: %q %v", v.raw, err)
	}

	eventually(t, "the same state everywhere", func() string { return sameState(t, nodes) })
	for i, n := range nodes {
		c := dialCompat(t, "default", n.addr)
		mustDo(c, ":1\r\n", "DBSIZE")
		mustDo(c, "$1\r\n1\r\n", "GET", "keep")
		log, err := c.do("ACL", "LOG")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log.elems {
			f := map[string]string{}
			for j := 0; j+1 < len(e.elems); j += 2 {
				f[e.elems[j].text] = e.elems[j+1].text
			}
			got = append(got, f["reason"]+" "+f["context"]+" "+f["object"]+" "+f["username"]+" "+f["count"])
			if !strings.Contains(f["client-info"], " cmd=") {
				t.Errorf("node %d: client-info %q", i+1, f["client-info"])
			}
		}
		want := ""
		if i == 2 {
			// Newest first; FLUSHALL's refusals (EVAL, EVALSHA, FCALL,
			// then in the transaction) are one entry, moved to the
			// front by the last, as Redis's addACLLogEntry.
			want = "command lua flushall mallory 4|channel lua secrets mallory 1|key lua keep mallory 1|command lua del mallory 1"
		}
		if s := strings.Join(got, "|"); s != want {
			t.Errorf("node %d's ACL LOG: %q, want %q", i+1, s, want)
		}
	}
}
