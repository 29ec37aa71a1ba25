package resp

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// trackingScript exercises client-side caching: A tracks in RESP3, B
// writes (on another node in the cluster setup), C is a RESP2 subscriber
// of __redis__:invalidate and D tracks in RESP2 with REDIRECT to C.
var trackingScript = []pubsubStep{
	{conn: 0, line: "HELLO 3", skip: true},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 0, line: "CLIENT GETREDIR"},
	{conn: 0, line: "CLIENT CACHING yes"},
	{conn: 0, line: "CLIENT TRACKING on"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 0, line: "CLIENT GETREDIR"},
	{conn: 0, line: "CLIENT CACHING yes"},
	{conn: 0, line: "CLIENT CACHING maybe"},
	{conn: 0, line: "GET k1"},
	{conn: 0, line: "MGET k2 k3 k1"},
	{conn: 1, line: "SET k1 v"},
	{conn: 1, line: "SET k1 v2"},
	{conn: 1, line: "MSET k2 x k3 y"},
	{conn: 0, line: "GET k1"},
	{conn: 0, line: "EXISTS k1 nokey"},
	{conn: 1, line: "DEL k1 nokey"},
	{conn: 0, line: "HGET h f"},
	{conn: 1, line: "HSET h f v"},
	{conn: 0, line: "GET k5"},
	{conn: 0, line: "CLIENT TRACKING off"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 1, line: "SET k5 v"},
	{conn: 0, line: "CLIENT TRACKING on bcast prefix user: prefix obj:"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 1, line: "SET user:1 a"},
	{conn: 1, line: "MSET user:2 b obj:1 c other d user:1 e"},
	{conn: 1, line: "SET other x"},
	{conn: 0, line: "CLIENT TRACKING on prefix x"},
	{conn: 0, line: "CLIENT TRACKING on bcast prefix us"},
	{conn: 0, line: "CLIENT TRACKING on bcast prefix a prefix ab"},
	{conn: 0, line: "CLIENT TRACKING on"},
	{conn: 0, line: "CLIENT TRACKING on bcast optin"},
	{conn: 0, line: "CLIENT TRACKING on bcast prefix new:"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 0, line: "CLIENT TRACKING off"},
	{conn: 0, line: "CLIENT TRACKING on optin optout"},
	{conn: 0, line: "CLIENT TRACKING on optin"},
	{conn: 0, line: "CLIENT TRACKING on optout"},
	{conn: 0, line: "GET o1"},
	{conn: 0, line: "CLIENT CACHING yes"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 0, line: "CLIENT CACHING yes ; GET o2 ; GET o3"},
	{conn: 0, line: "CLIENT CACHING yes ; CLIENT TRACKINGINFO ; GET o4"},
	{conn: 0, line: "CLIENT CACHING yes ; PING ; GET o5"},
	{conn: 0, line: "CLIENT CACHING no"},
	{conn: 1, line: "MSET o1 1 o2 2 o3 3 o4 4 o5 5"},
	{conn: 0, line: "CLIENT TRACKING off"},
	{conn: 0, line: "CLIENT TRACKING on optout"},
	{conn: 0, line: "CLIENT CACHING no ; GET p1"},
	{conn: 0, line: "GET p2"},
	{conn: 1, line: "MSET p1 1 p2 2"},
	{conn: 0, line: "CLIENT TRACKING off"},
	{conn: 0, line: "CLIENT TRACKING on noloop"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 0, line: "GET n1"},
	{conn: 0, line: "SET n1 mine"},
	{conn: 0, line: "GET n1"},
	{conn: 1, line: "SET n1 theirs"},
	{conn: 0, line: "CLIENT TRACKING off"},
	{conn: 0, line: "CLIENT TRACKING on"},
	{conn: 0, line: "GET s1"},
	{conn: 0, line: "SET s1 self"},
	{conn: 0, line: "MULTI"},
	{conn: 0, line: "GET m1"},
	{conn: 0, line: "GET m2"},
	{conn: 0, line: "EXEC"},
	{conn: 1, line: "MSET m1 1 m2 2"},
	{conn: 0, line: "GET q1 ; SET q1 a ; GET q2 ; SET q2 b ; GET q2"},
	{conn: 0, line: "CLIENT TRACKING off ; CLIENT TRACKING on optin"},
	{conn: 0, line: "MULTI ; CLIENT CACHING yes ; GET t1 ; EXEC"},
	{conn: 0, line: "CLIENT CACHING yes ; MULTI ; GET t2 ; GET t3 ; EXEC"},
	{conn: 1, line: "MSET t1 1 t2 2 t3 3"},
	{conn: 2, line: "SUBSCRIBE __redis__:invalidate"},
	{conn: 3, line: "CLIENT TRACKING on redirect $ID2"},
	{conn: 3, line: "CLIENT TRACKING on redirect 999999"},
	{conn: 3, line: "CLIENT TRACKING on redirect x"},
	{conn: 3, line: "CLIENT GETREDIR", skip: true},
	{conn: 3, line: "GET r1"},
	{conn: 1, line: "SET r1 x"},
	{conn: 0, line: "GET f1"},
	{conn: 3, line: "GET f1"},
	{conn: 1, line: "FLUSHDB"},
	{conn: 1, line: "SET f1 after-flush"},
	{conn: 0, line: "GET f1"},
	{conn: 1, line: "FLUSHALL"},
	{conn: 1, line: "CLIENT TRACKING on"},
	{conn: 1, line: "GET b1"},
	{conn: 0, line: "SET b1 no-push-for-resp2"},
	{conn: 2, line: "UNSUBSCRIBE"},
	{conn: 3, line: "GET r2"},
	{conn: 1, line: "SET r2 x"},
	{conn: 0, line: "RESET"},
	{conn: 0, line: "CLIENT TRACKINGINFO"},
	{conn: 1, line: "SET f1 after-reset"},
}

// TestTrackingAgainstRedis compares the replies and invalidation pushes of
// the tracking script on Redis, a single node, and a cluster where every
// invalidation comes from a write through another node.
func TestTrackingAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	compareScripts(t, trackingScript)
}

// An expiry is a change like any other: the key's active expiry (through
// the log, from the leader) invalidates a follower's tracking client.
func TestTrackingExpiryOnFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes := startRaftNodes(t, 3, nodeOptions{})
	f := followers(t, nodes)[0]
	cc := dialCompat(t, "tracking", f.addr)
	for _, line := range []string{"HELLO 3", "CLIENT TRACKING on", "SET e v PX 200", "GET e"} {
		if v, err := cc.do(parseLine(t, line)...); err != nil || v.isError() {
			t.Fatalf("%s: %q %v", line, v.raw, err)
		}
	}
	_ = cc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	v, err := cc.recv()
	if err != nil || v.raw != ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ne\r\n" {
		t.Fatalf("after expiry: %q %v", v.raw, err)
	}
}

// A REDIRECT connection that is gone makes a RESP3 tracking client hear
// tracking-redir-broken, and CLIENT LIST and TRACKINGINFO show it.
func TestTrackingBrokenRedirect(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	target := dialCompat(t, "target", addr)
	id, err := target.do("CLIENT", "ID")
	if err != nil {
		t.Fatal(err)
	}
	cc := dialCompat(t, "tracking", addr)
	for _, line := range []string{"HELLO 3", "CLIENT TRACKING on redirect " + id.text, "GET k"} {
		if v, err := cc.do(parseLine(t, line)...); err != nil || v.isError() {
			t.Fatalf("%s: %q %v", line, v.raw, err)
		}
	}
	target.c.Close()
	writer := dialCompat(t, "writer", addr)
	eventually(t, "redirect target gone", func() string {
		v, _ := writer.do("CLIENT", "LIST", "ID", id.text)
		return v.text
	})
	if _, err := writer.do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	_ = cc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	v, err := cc.recv()
	if want := ">2\r\n$21\r\ntracking-redir-broken\r\n:" + id.text + "\r\n"; err != nil || v.raw != want {
		t.Fatalf("push %q %v, want %q", v.raw, err, want)
	}
	v, err = cc.do("CLIENT", "INFO")
	if err != nil || !strings.Contains(v.text, "flags=tR ") || !strings.Contains(v.text, "redir="+id.text+" ") {
		t.Fatalf("CLIENT INFO %q %v", v.text, err)
	}
	v, err = cc.do("CLIENT", "TRACKINGINFO")
	if err != nil || !strings.Contains(v.raw, "broken_redirect") {
		t.Fatalf("TRACKINGINFO %q %v", v.raw, err)
	}
}

// The pushes an entry causes take their places among the replies of the
// connection's own writes: a message before its write's reply, an
// invalidation after it, a NOLOOP one not at all, others' in log order.
func TestOutputEntryPushes(t *testing.T) {
	var netOut atomic.Int64
	o := newOutput(nil, &netOut)
	o.hold()
	add := func(index uint64, after, dropOwn bool, s string) {
		o.addForEntry(index, after, dropOwn, func(b []byte) []byte { return append(b, s...) })
	}
	add(3, true, false, "[inv3]")
	add(5, false, false, "[msg5]")
	add(5, true, true, "[own5]")
	add(5, true, false, "[inv5]")
	add(6, true, true, "[other6]")
	add(7, false, false, "[msg7]")
	var out []byte
	out = o.takeEntries(5, out)
	out = append(out, "<reply5>"...)
	out = o.flushEntries(5, out)
	out = o.takeEntries(7, out)
	out = append(out, "<reply7>"...)
	if got, want := string(out), "[inv3][msg5]<reply5>[inv5][other6][msg7]<reply7>"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if len(o.entryHeld) != 0 || len(o.entryMarks) != 0 {
		t.Fatalf("left %q %v", o.entryHeld, o.entryMarks)
	}
}
