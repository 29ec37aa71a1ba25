package resp

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// nConns is how many connections a script has.
const nConns = 4

// pubsubStep is one command of a pub/sub script, sent on one of the
// script's connections.
type pubsubStep struct {
	conn int // 0: A, 1: B, 2: C, 3: D; "$ID2" in line is C's client ID
	line string
	// sorted compares the step's replies with their elements sorted
	// (PUBSUB CHANNELS lists in Redis's hash table order); skip does not
	// compare them at all (HELLO's reply names the server).
	sorted, skip bool
	// counts marks a step whose reply holds PUBLISH counts (EXEC), which
	// on the cluster count only the publisher node's receivers.
	counts bool
}

// pubsubScript exercises subscribed mode in RESP2 (A), a publisher (B) and
// a RESP3 subscriber (C). A and C share a node in the cluster setup, B is
// on another one.
var pubsubScript = []pubsubStep{
	{conn: 2, line: "HELLO 3", skip: true},
	{conn: 0, line: "SUBSCRIBE news sport"},
	{conn: 0, line: "PSUBSCRIBE n* s?ort"},
	{conn: 0, line: "SUBSCRIBE news"},
	{conn: 2, line: "SUBSCRIBE news"},
	{conn: 2, line: "SSUBSCRIBE shard1 shard2"},
	{conn: 1, line: "PUBLISH news hello"},
	{conn: 1, line: "PUBLISH sport goal"},
	{conn: 1, line: "PUBLISH nothing x"},
	{conn: 1, line: "PUBLISH '' empty"},
	{conn: 1, line: "SPUBLISH shard1 s1"},
	{conn: 1, line: "SPUBLISH news not-to-channel-subscribers"},
	{conn: 2, line: "PUBLISH news from-c"},
	{conn: 2, line: "PUBSUB NUMSUB news sport nothing"},
	{conn: 2, line: "PUBSUB NUMSUB"},
	{conn: 2, line: "PUBSUB NUMPAT"},
	{conn: 2, line: "PUBSUB CHANNELS", sorted: true},
	{conn: 2, line: "PUBSUB CHANNELS n*"},
	{conn: 2, line: "PUBSUB SHARDCHANNELS", sorted: true},
	{conn: 2, line: "PUBSUB SHARDCHANNELS *1"},
	{conn: 2, line: "PUBSUB SHARDNUMSUB shard1 x"},
	{conn: 2, line: "PUBSUB HELP"},
	{conn: 2, line: "PUBSUB CHANNELS a b"},
	{conn: 2, line: "PUBSUB NUMPAT x"},
	{conn: 2, line: "PUBSUB HELP x"},
	{conn: 2, line: "PUBSUB FOO"},
	{conn: 2, line: "PUBSUB"},
	{conn: 2, line: "GET x"},
	{conn: 2, line: "PING"},
	{conn: 0, line: "PING"},
	{conn: 0, line: "PING hi"},
	{conn: 0, line: "PING a b"},
	{conn: 0, line: "GET x"},
	{conn: 0, line: "SET x 1"},
	{conn: 0, line: "MULTI"},
	{conn: 0, line: "CLIENT ID"},
	{conn: 0, line: "NOSUCHCOMMAND"},
	{conn: 0, line: "SUBSCRIBE"},
	{conn: 0, line: "UNSUBSCRIBE news nosuch"},
	{conn: 1, line: "PUBLISH news again"},
	{conn: 0, line: "PUNSUBSCRIBE s?ort"},
	{conn: 0, line: "PUNSUBSCRIBE"},
	{conn: 0, line: "PUNSUBSCRIBE"},
	{conn: 0, line: "UNSUBSCRIBE"},
	{conn: 0, line: "UNSUBSCRIBE"},
	{conn: 0, line: "GET x"},
	{conn: 0, line: "PING"},
	{conn: 0, line: "SSUBSCRIBE shard1"},
	{conn: 1, line: "SPUBLISH shard1 s2"},
	{conn: 0, line: "SUNSUBSCRIBE shard1 other"},
	{conn: 0, line: "SUNSUBSCRIBE"},
	{conn: 0, line: "MULTI"},
	{conn: 0, line: "SUBSCRIBE m"},
	{conn: 0, line: "SSUBSCRIBE m"},
	{conn: 0, line: "EXEC"},
	{conn: 1, line: "PUBLISH m after-exec"},
	{conn: 0, line: "SUBSCRIBE news"},
	{conn: 1, line: "MULTI"},
	{conn: 1, line: "PUBLISH news in-a-transaction"},
	{conn: 1, line: "SET k v"},
	{conn: 1, line: "PUBLISH nothing two"},
	{conn: 1, line: "EXEC", counts: true},
	{conn: 0, line: "RESET"},
	{conn: 1, line: "PUBLISH m after-reset"},
	{conn: 0, line: "GET x"},
	{conn: 2, line: "UNSUBSCRIBE"},
	{conn: 2, line: "SUNSUBSCRIBE shard2"},
	{conn: 2, line: "PSUBSCRIBE *"},
	{conn: 2, line: "PUNSUBSCRIBE"},
	{conn: 2, line: "SUNSUBSCRIBE"},
	{conn: 1, line: "PUBLISH news nobody"},
	{conn: 1, line: "SPUBLISH shard1 nobody"},
	{conn: 2, line: "PUBSUB CHANNELS"},
	{conn: 2, line: "PUBSUB NUMPAT"},
	{conn: 1, line: "COMMAND GETKEYS PUBLISH a b"},
}

// pubsubSetup is where the script's three connections go, and how to wait
// until every node has applied what any has (nil: nothing to wait for).
type pubsubSetup struct {
	name   string
	addrs  [nConns]string
	node   [nConns]int // which node each connection is on
	settle func(t *testing.T)
}

// pubsubTranscript runs the script and returns, per step, what each
// connection received, one line per reply or push.
func pubsubTranscript(t *testing.T, setup pubsubSetup, script []pubsubStep) [][nConns][]replyValue {
	t.Helper()
	var conns [nConns]*compatConn
	var ids [nConns]string
	for i, addr := range setup.addrs {
		conns[i] = dialCompat(t, fmt.Sprintf("%s/%c", setup.name, 'A'+i), addr)
		v, err := conns[i].do("CLIENT", "ID")
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = v.text
	}
	out := make([][nConns][]replyValue, len(script))
	var inMulti [nConns]bool // a marker PING would be queued, not answered
	for si, step := range script {
		for _, line := range strings.Split(step.line, " ; ") {
			switch strings.ToUpper(strings.Fields(line)[0]) {
			case "MULTI":
				inMulti[step.conn] = true
			case "EXEC", "DISCARD", "RESET":
				inMulti[step.conn] = false
			}
		}
		// " ; " separates commands sent as one pipeline.
		var cmds [][]string
		for _, line := range strings.Split(strings.ReplaceAll(step.line, "$ID2", ids[2]), " ; ") {
			cmds = append(cmds, parseLine(t, line))
		}
		if err := conns[step.conn].send(cmds); err != nil {
			t.Fatal(err)
		}
		if _, err := readUntilMarker(conns[step.conn], "", &out[si][step.conn], len(cmds)); err != nil {
			t.Fatalf("step %d %q: %v", si, step.line, err)
		}
		if setup.settle != nil {
			setup.settle(t)
		}
		// Every connection answers a marker PING: what it received
		// before that answer belongs to this step.
		for ci, cc := range conns {
			if inMulti[ci] {
				continue
			}
			marker := fmt.Sprintf("sync-%d", si)
			if err := cc.send([][]string{{"PING", marker}}); err != nil {
				t.Fatal(err)
			}
			if _, err := readUntilMarker(cc, marker, &out[si][ci], 0); err != nil {
				t.Fatalf("step %d %q: %v", si, step.line, err)
			}
		}
	}
	return out
}

// readUntilMarker reads replies into dst until one mentioning marker
// (dropped), or, with marker "", until n replies have been read... then
// returns. A command's confirmations (SUBSCRIBE a b) beyond the first are
// read with the marker that follows.
func readUntilMarker(cc *compatConn, marker string, dst *[]replyValue, n int) (int, error) {
	_ = cc.c.SetReadDeadline(time.Now().Add(batchTimeout))
	read := 0
	for {
		if marker == "" && read == n {
			return read, nil
		}
		v, err := cc.recv()
		if err != nil {
			return read, err
		}
		if marker != "" && strings.Contains(v.raw, marker) {
			return read, nil
		}
		*dst = append(*dst, v)
		read++
	}
}

func raws(vs []replyValue, sorted bool) []string {
	var out []string
	for _, v := range vs {
		if sorted && len(v.elems) > 0 {
			out = append(out, strings.Join(sortedRaw(v.elems), ""))
			continue
		}
		out = append(out, v.raw)
	}
	return out
}

// TestPubsubAgainstRedis runs the pub/sub script on redis-server, on a
// single node, and on a 3-node cluster with the publisher on another node
// than the subscribers, and compares every connection's stream of replies
// and pushes. On the cluster PUBLISH counts the publisher node's receivers
// only (README): there its reply must be the number of messages the
// connections on the publisher's node received in that step.
func TestPubsubAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	compareScripts(t, pubsubScript)
}

// compareScripts runs script on redis-server, on a single node, and on a
// 3-node cluster where B is on the leader and the other connections on a
// follower, and compares every connection's stream of replies and pushes.
func compareScripts(t *testing.T, script []pubsubStep) {
	redisAddr := startCompatRedis(t)
	single := startRaftNodes(t, 1, nodeOptions{})[0]
	nodes := startRaftNodes(t, 3, nodeOptions{})
	fs := followers(t, nodes)
	lead := waitForLeader(t, nodes)
	setups := []pubsubSetup{
		{name: "redis", addrs: [nConns]string{redisAddr, redisAddr, redisAddr, redisAddr}},
		{name: "single", addrs: [nConns]string{single.addr, single.addr, single.addr, single.addr}},
		{name: "cluster", addrs: [nConns]string{fs[0].addr, lead.addr, fs[0].addr, fs[0].addr}, node: [nConns]int{0, 1, 0, 0},
			settle: func(t *testing.T) { settleNodes(t, nodes) }},
	}
	want := pubsubTranscript(t, setups[0], script)
	for _, setup := range setups[1:] {
		t.Run(setup.name, func(t *testing.T) {
			got := pubsubTranscript(t, setup, script)
			for si, step := range script {
				if step.skip {
					continue
				}
				for ci := range nConns {
					w, g := raws(want[si][ci], step.sorted), raws(got[si][ci], step.sorted)
					if ci == step.conn && setup.node[ci] != setup.node[0] && len(w) > 0 &&
						(step.counts || strings.Contains(step.line, "PUBLISH")) {
						// The count of the publisher's own node, where no
						// other connection of the script is.
						w[0] = countsRE.ReplaceAllString(w[0], ":0\r\n")
					}
					if !slices.Equal(g, w) {
						t.Errorf("step %d %q, connection %c:\n got %q\nwant %q", si, step.line, 'A'+ci, g, w)
					}
				}
			}
		})
	}
}

var countsRE = regexp.MustCompile(`:[0-9]+\r\n`)

// settleNodes waits until every node has applied every entry any of them
// has applied.
func settleNodes(t *testing.T, nodes []*raftNode) {
	t.Helper()
	var target uint64
	for _, n := range nodes {
		target = max(target, n.node.Status().Applied)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		behind := false
		for _, n := range nodes {
			if n.node.Status().Applied < target {
				behind = true
			}
		}
		if !behind {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not reach applied index %d", target)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A subscriber that does not read is disconnected once its pending output
// passes maxPubsubOutput, and the publisher is never held up by it.
func TestSlowSubscriberDisconnected(t *testing.T) {
	srv, addr, _ := startServer(t, Config{})
	sub := dialCompat(t, "sub", addr)
	if _, err := sub.do("SUBSCRIBE", "c"); err != nil {
		t.Fatal(err)
	}
	pub := dialCompat(t, "pub", addr)
	big := strings.Repeat("x", 1<<20)
	for i := 0; i < 3*maxPubsubOutput/len(big); i++ {
		if _, err := pub.do("PUBLISH", "c", big); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "slow subscriber dropped", func() string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if n := len(srv.conns); n != 1 {
			return fmt.Sprintf("%d connections", n)
		}
		return ""
	})
	if v, err := pub.do("PUBSUB", "NUMSUB", "c"); err != nil || v.raw != "*2\r\n$1\r\nc\r\n:0\r\n" {
		t.Fatalf("NUMSUB after the drop: %q %v", v.raw, err)
	}
}

func TestClientListPubsub(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	sub := dialCompat(t, "sub", addr)
	other := dialCompat(t, "other", addr)
	for _, args := range [][]string{{"SUBSCRIBE", "a", "b"}, {"PSUBSCRIBE", "p*"}, {"SSUBSCRIBE", "s"}} {
		if err := sub.send([][]string{args}); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		if _, err := sub.recv(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ typ, want, not string }{
		{"pubsub", "flags=P db=0 sub=2 psub=1 ssub=1", "cmd=client|list"},
		{"normal", "cmd=client|list", "flags=P"},
	} {
		v, err := other.do("CLIENT", "LIST", "TYPE", tc.typ)
		if err != nil || !strings.Contains(v.text, tc.want) || strings.Contains(v.text, tc.not) {
			t.Errorf("CLIENT LIST TYPE %s = %q %v, want %q and no %q", tc.typ, v.text, err, tc.want, tc.not)
		}
	}
}
