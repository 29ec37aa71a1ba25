package resp

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterConfig is what TestConfigAcrossNodes sets, and reads back.
var clusterConfig = [][2]string{
	{"hash-max-listpack-entries", "2"}, {"maxmemory", "1048576"}, {"maxmemory-policy", "allkeys-lfu"},
	{"notify-keyspace-events", "AKE"}, {"lfu-log-factor", "7"}, {"save", "60 1"},
}

// checkConfig requires node's CONFIG GET of every clusterConfig parameter
// to be its value, and a hash of three fields to be a hash table there.
func checkConfig(t *testing.T, name string, n *raftNode) {
	t.Helper()
	c := dialCompat(t, name, n.addr)
	for _, kv := range clusterConfig {
		v, err := c.do("CONFIG", "GET", kv[0])
		if err != nil || len(v.elems) != 2 || v.elems[1].text != kv[1] {
			t.Errorf("%s: CONFIG GET %s: %q %v, want %s", name, kv[0], v.raw, err, kv[1])
		}
	}
	// The node-local parameter stays the node's own.
	if v, err := c.do("CONFIG", "GET", "proto-max-bulk-len"); err != nil || len(v.elems) != 2 ||
		(v.elems[1].text == "2097152") != (name == "follower") {
		t.Errorf("%s: CONFIG GET proto-max-bulk-len: %q %v", name, v.raw, err)
	}
	if v, err := c.do("OBJECT", "ENCODING", "h"); err != nil || v.text != "hashtable" {
		t.Errorf("%s: OBJECT ENCODING h: %q %v, want hashtable", name, v.raw, err)
	}
}

// TestConfigAcrossNodes: a CONFIG SET on a follower changes every node of
// its cluster, at once for a later read anywhere; a node that catches up
// from a snapshot, and one that restarts, have the same configuration.
func TestConfigAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	opts := nodeOptions{snapshotEntries: 20}
	nodes := startRaftNodes(t, 3, opts)
	fs := followers(t, nodes)
	f := dialCompat(t, "follower", fs[0].addr)
	args := []string{"CONFIG", "SET"}
	for _, kv := range clusterConfig {
		args = append(args, kv[0], kv[1])
	}
	// Node-local, in the same command: only the follower changes.
	args = append(args, "proto-max-bulk-len", "2mb")
	if v, err := f.do(args...); err != nil || v.raw != "+OK\r\n" {
		t.Fatalf("CONFIG SET on a follower: %q %v", v.raw, err)
	}
	// A failed CONFIG SET changes nothing anywhere.
	if v, err := f.do("CONFIG", "SET", "slowlog-max-len", "9", "maxmemory", "x"); err != nil || !v.isError() {
		t.Fatalf("bad CONFIG SET: %q %v", v.raw, err)
	}
	if v, err := f.do("HSET", "h", "a", "1", "b", "2", "c", "3"); err != nil || v.text != "3" {
		t.Fatalf("HSET: %q %v", v.raw, err)
	}
	lead := waitForLeader(t, nodes)
	checkConfig(t, "leader", lead)
	checkConfig(t, "follower", fs[0])
	checkConfig(t, "other follower", fs[1])

	// Enough writes that every node snapshots and compacts its log: a new
	// member can only catch up from a snapshot.
	for i := range 100 {
		if v, err := f.do("SET", "k"+strconv.Itoa(i), "v"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("SET: %q %v", v.raw, err)
		}
	}
	joined := startRaftNode(t, lead.raftAddr, opts)
	deadline := time.Now().Add(30 * time.Second)
	for joined.node.Status().Leader == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	checkConfig(t, "joined", joined)

	// A restart: the node replays its snapshot and log from its directory.
	if err := fs[1].stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	restarted := startRaftNode(t, "", nodeOptions{snapshotEntries: 20, restart: fs[1]})
	deadline = time.Now().Add(30 * time.Second)
	for restarted.node.Status().Leader == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	checkConfig(t, "restarted", restarted)
}

// TestConfigResetStatAndInfo: CONFIG RESETSTAT zeroes INFO's counters, and
// INFO memory shows maxmemory and its policy as CONFIG SET left them.
func TestConfigResetStatAndInfo(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	c := dialCompat(t, "single", addr)
	field := func(section, name string) string {
		t.Helper()
		v, err := c.do("INFO", section)
		if err != nil {
			t.Fatalf("INFO: %v", err)
		}
		for _, line := range strings.Split(v.text, "\r\n") {
			if value, ok := strings.CutPrefix(line, name+":"); ok {
				return value
			}
		}
		t.Fatalf("INFO %s has no %s: %q", section, name, v.text)
		return ""
	}
	for _, cmd := range [][]string{{"GET", "nokey"}, {"GET", "nokey"}, {"NOSUCH"}} {
		if _, err := c.do(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	if got := field("stats", "keyspace_misses"); got != "2" {
		t.Fatalf("keyspace_misses %s before RESETSTAT, want 2", got)
	}
	if v, err := c.do("CONFIG", "RESETSTAT"); err != nil || v.raw != "+OK\r\n" {
		t.Fatalf("CONFIG RESETSTAT: %q %v", v.raw, err)
	}
	for name, want := range map[string]string{"keyspace_misses": "0", "total_error_replies": "0",
		"expired_keys": "0", "total_connections_received": "0"} {
		if got := field("stats", name); got != want {
			t.Errorf("%s %s after RESETSTAT, want %s", name, got, want)
		}
	}
	if v, err := c.do("CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "allkeys-lru"); err != nil || v.raw != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q %v", v.raw, err)
	}
	for name, want := range map[string]string{"maxmemory": "1048576", "maxmemory_human": "1.00M",
		"maxmemory_policy": "allkeys-lru"} {
		if got := field("memory", name); got != want {
			t.Errorf("INFO %s %s, want %s", name, got, want)
		}
	}
}
