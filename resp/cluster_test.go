package resp

import (
	"context"
	"fmt"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/redis/go-redis/v9"
)

// clusterNodes are the options of this file's clusters: elections quick
// enough for tests, slow enough for a loaded machine, and a request timeout
// above the 5s that the WAIT tests wait.
func clusterNodes() nodeOptions {
	return nodeOptions{tickInterval: 50 * time.Millisecond, electionTicks: 10, timeout: 10 * time.Second}
}

// eventually retries f until it returns "" or the deadline passes, and
// reports its last complaint.
func eventually(t *testing.T, what string, f func() string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last = f(); last == "" {
			return
		}
	}
	t.Fatalf("%s: %s", what, last)
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// TestClusterCommands checks CLUSTER SLOTS, SHARDS, NODES, INFO and MYID on
// every node of a real 3-node cluster describe it as Redis would describe a
// master (the leader) with two replicas.
func TestClusterCommands(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	lead := waitForLeader(t, nodes)
	followers := followers(t, nodes)
	if got := dial(t, followers[0].addr).do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET on a follower: %q", got)
	}
	leadID := redisNodeID(lead.node.ID())
	node := func(n *raftNode) string {
		id := redisNodeID(n.node.ID())
		return "*4\r\n$9\r\n127.0.0.1\r\n:" + strconv.Itoa(portOf(t, n.addr)) + "\r\n$40\r\n" + id + "\r\n*0\r\n"
	}
	slices.SortFunc(followers, func(a, b *raftNode) int { return strings.Compare(redisNodeID(a.node.ID()), redisNodeID(b.node.ID())) })
	wantSlots := "*1\r\n*5\r\n:0\r\n:16383\r\n" + node(lead) + node(followers[0]) + node(followers[1])
	for _, n := range nodes {
		c := dial(t, n.addr)
		if got, want := c.do("CLUSTER", "MYID"), "$40\r\n"+redisNodeID(n.node.ID())+"\r\n"; got != want {
			t.Errorf("CLUSTER MYID = %q, want %q", got, want)
		}
		eventually(t, "CLUSTER SLOTS", func() string {
			if got := c.do("CLUSTER", "SLOTS"); got != wantSlots {
				return fmt.Sprintf("got %q, want %q", got, wantSlots)
			}
			return ""
		})
		info := bulkBody(t, c.do("CLUSTER", "INFO"))
		for _, want := range []string{"cluster_state:ok\r\n", "cluster_slots_assigned:16384\r\n",
			"cluster_known_nodes:3\r\n", "cluster_size:1\r\n"} {
			if !strings.Contains(info, want) {
				t.Errorf("CLUSTER INFO lacks %q: %q", want, info)
			}
		}
		// Retried, like SLOTS: on a loaded machine a link may blink.
		eventually(t, "CLUSTER NODES", func() string {
			term := n.node.Status().Term
			lines := strings.Split(strings.TrimSuffix(bulkBody(t, c.do("CLUSTER", "NODES")), "\n"), "\n")
			if len(lines) != 3 {
				return fmt.Sprintf("%q", lines)
			}
			for _, line := range lines {
				f := strings.Fields(line)
				m := nodeByID(nodes, f[0])
				if m == nil || len(f) < 8 {
					return "a line for an unknown node: " + line
				}
				wantFlags, wantMaster, slots := "slave", leadID, ""
				if m == lead {
					wantFlags, wantMaster, slots = "master", "-", " 0-16383"
				}
				if m == n {
					wantFlags = "myself," + wantFlags
				}
				want := fmt.Sprintf("%s 127.0.0.1:%d@%d %s %s 0 %s %d connected%s", f[0], portOf(t, m.addr),
					portOf(t, m.raftAddr), wantFlags, wantMaster, f[5], term, slots)
				if line != want {
					return fmt.Sprintf("line\n got %q\nwant %q", line, want)
				}
			}
			return ""
		})
	}
	shards := dial(t, followers[1].addr).do("CLUSTER", "SHARDS")
	for _, want := range []string{"*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*3\r\n*14\r\n$2\r\nid\r\n$40\r\n" + leadID,
		"$4\r\nrole\r\n$6\r\nmaster\r\n", "$4\r\nrole\r\n$7\r\nreplica\r\n", "$6\r\nhealth\r\n$6\r\nonline\r\n"} {
		if !strings.Contains(shards, want) {
			t.Errorf("CLUSTER SHARDS lacks %q:\n%q", want, shards)
		}
	}
	if got := dial(t, lead.addr).do("CLUSTER", "FAILOVER"); got != "-ERR You should send CLUSTER FAILOVER to a replica\r\n" {
		t.Errorf("CLUSTER FAILOVER on the leader = %q", got)
	}
	if got := dial(t, lead.addr).do("CLUSTER", "KEYSLOT", "{user1}.a"); got != ":8106\r\n" {
		t.Errorf("CLUSTER KEYSLOT = %q", got)
	}
}

func nodeByID(nodes []*raftNode, id string) *raftNode {
	for _, n := range nodes {
		if redisNodeID(n.node.ID()) == id {
			return n
		}
	}
	return nil
}

// TestClusterFailover moves leadership with CLUSTER FAILOVER on a follower.
func TestClusterFailover(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	f := followers(t, nodes)[0]
	c := dial(t, f.addr)
	if got := c.do("CLUSTER", "FAILOVER", "FORCE"); got != "+OK\r\n" {
		t.Fatalf("CLUSTER FAILOVER = %q", got)
	}
	if lead := waitForLeader(t, nodes); lead != f {
		t.Fatalf("leader is %s, want %s", cluster.FormatID(lead.node.ID()), cluster.FormatID(f.node.ID()))
	}
	eventually(t, "CLUSTER SLOTS after the failover", func() string {
		got := c.do("CLUSTER", "SLOTS")
		if want := "*4\r\n$9\r\n127.0.0.1\r\n:" + strconv.Itoa(portOf(t, f.addr)) + "\r\n"; !strings.Contains(got, "\r\n:16383\r\n"+want) {
			return fmt.Sprintf("%q does not start with the new leader", got)
		}
		return ""
	})
	for _, tc := range []struct{ args []string }{{[]string{"CLUSTER", "FAILOVER", "x"}}, {[]string{"CLUSTER", "FAILOVER", "a", "b"}}} {
		if got := c.do(tc.args...); !strings.HasPrefix(got, "-ERR ") {
			t.Errorf("%v = %q", tc.args, got)
		}
	}
}

// TestWaitCluster checks WAIT counts the replicas holding the connection's
// last write, on a follower and on the leader, and notices a replica that
// stopped.
func TestWaitCluster(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	lead := waitForLeader(t, nodes)
	followers := followers(t, nodes)
	for _, n := range []*raftNode{followers[0], lead} {
		c := dial(t, n.addr)
		if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
			t.Fatalf("SET: %q", got)
		}
		if got := c.do("WAIT", "2", "5000"); got != ":2\r\n" {
			t.Errorf("WAIT 2 5000 = %q, want 2", got)
		}
		start := time.Now()
		if got := c.do("WAIT", "3", "200"); got != ":2\r\n" {
			t.Errorf("WAIT 3 200 = %q, want 2 (there are 2 replicas)", got)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("WAIT 3 200 returned after %v", d)
		}
		// A transaction is one write.
		c.do("MULTI")
		c.do("INCR", "n")
		c.do("EXEC")
		if got := c.do("WAIT", "2", "5000"); got != ":2\r\n" {
			t.Errorf("WAIT after EXEC = %q", got)
		}
	}
	if err := followers[1].stop(); err != nil {
		t.Fatal(err)
	}
	c := dial(t, lead.addr)
	if got := c.do("SET", "k", "w"); got != "+OK\r\n" {
		t.Fatalf("SET with a replica down: %q", got)
	}
	if got := c.do("WAIT", "1", "5000"); got != ":1\r\n" {
		t.Errorf("WAIT 1 5000 with a replica down = %q, want 1", got)
	}
	if got := c.do("WAIT", "2", "300"); got != ":1\r\n" {
		t.Errorf("WAIT 2 300 with a replica down = %q, want 1", got)
	}
}

// TestGoRedisClusterClient points go-redis's ClusterClient at a follower:
// it must find the leader through CLUSTER SLOTS and work, transactions and
// reads from replicas included.
func TestGoRedisClusterClient(t *testing.T) {
	nodes := startRaftNodes(t, 3, clusterNodes())
	lead := waitForLeader(t, nodes)
	f := followers(t, nodes)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, readOnly := range []bool{false, true} {
		t.Run("readonly="+strconv.FormatBool(readOnly), func(t *testing.T) {
			cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{f.addr}, ReadOnly: readOnly,
				ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
			defer cc.Close()
			var masters []string
			if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
				masters = append(masters, c.Options().Addr)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(masters) != 1 || masters[0] != lead.addr {
				t.Errorf("masters = %v, want the leader %s", masters, lead.addr)
			}
			if err := cc.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
				t.Fatal(err)
			}
			// With ReadOnly, reads go to replicas: stale until they catch up,
			// the client's explicit choice.
			check := func(what string, f func() string) {
				if readOnly {
					eventually(t, what, f)
				} else if msg := f(); msg != "" {
					t.Errorf("%s: %s", what, msg)
				}
			}
			check("GET greeting", func() string {
				if got, err := cc.Get(ctx, "greeting").Result(); err != nil || got != "hello" {
					return fmt.Sprintf("%q, %v", got, err)
				}
				return ""
			})
			if err := cc.HSet(ctx, "user:1", "name", "ann", "age", "42").Err(); err != nil {
				t.Fatal(err)
			}
			check("HGETALL user:1", func() string {
				if got, err := cc.HGetAll(ctx, "user:1").Result(); err != nil || got["name"] != "ann" || got["age"] != "42" {
					return fmt.Sprintf("%v, %v", got, err)
				}
				return ""
			})
			cmds, err := cc.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "{c}n")
				p.Incr(ctx, "{c}n")
				p.Get(ctx, "{c}n")
				return nil
			})
			if err != nil || len(cmds) != 3 || cmds[2].(*redis.StringCmd).Val() == "" {
				t.Errorf("TxPipelined = %v, %v", cmds, err)
			}
			err = cc.Watch(ctx, func(tx *redis.Tx) error {
				n, err := tx.Get(ctx, "{c}n").Int()
				if err != nil {
					return err
				}
				_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, "{c}n", n*10, 0)
					return nil
				})
				return err
			}, "{c}n")
			if err != nil {
				t.Errorf("Watch: %v", err)
			}
			check("GET {c}n after the WATCH transaction", func() string {
				if got, err := cc.Get(ctx, "{c}n").Int(); err != nil || got%10 != 0 || got == 0 {
					return fmt.Sprintf("%d, %v", got, err)
				}
				return ""
			})
			if readOnly {
				// The reads went to replicas, in READONLY mode.
				flagged := 0
				for _, n := range followers(t, nodes) {
					for _, line := range strings.Split(bulkBody(t, dial(t, n.addr).do("CLIENT", "LIST")), "\n") {
						if _, v := clientFields(t, line); strings.Contains(v["flags"], "r") {
							flagged++
						}
					}
				}
				if flagged == 0 {
					t.Error("no replica has a READONLY connection")
				}
			}
			if err := cc.Del(ctx, "greeting", "user:1", "{c}n").Err(); err != nil {
				t.Errorf("DEL: %v", err)
			}
		})
	}
}

// TestClusterFormatsAgainstRedis sets up a real Redis cluster of one master
// with all the slots and two replicas, and checks raftcache's CLUSTER
// replies have the same shape, byte for byte once IDs, ports, offsets and
// times are hidden, in RESP2 and RESP3.
func TestClusterFormatsAgainstRedis(t *testing.T) {
	start := time.Now()
	redisAddrs := startRedisCluster(t)
	t.Logf("Redis cluster ready in %v", time.Since(start))
	nodes := startRaftNodes(t, 3, clusterNodes())
	f := followers(t, nodes)[0]
	if got := dial(t, f.addr).do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	for _, proto := range []string{"2", "3"} {
		for _, sub := range []string{"SLOTS", "SHARDS", "MYID", "INFO", "NODES"} {
			r, o := dial(t, redisAddrs[1]), dial(t, f.addr)
			r.do("HELLO", proto)
			o.do("HELLO", proto)
			var want, got string
			eventually(t, "CLUSTER "+sub+" in RESP"+proto, func() string {
				want = normalizeCluster(r.do("CLUSTER", sub))
				got = normalizeCluster(o.do("CLUSTER", sub))
				if got != want {
					return fmt.Sprintf("\n got %q\nwant %q", got, want)
				}
				return ""
			})
		}
	}
}

var (
	clusterIDs    = regexp.MustCompile(`[0-9a-f]{40}`)
	clusterInts   = regexp.MustCompile(`(?m)^:(\d+)\r$`)
	clusterStats  = regexp.MustCompile(`cluster_stats_messages_[a-z_]+:\d+\r\n`)
	clusterEpochs = regexp.MustCompile(`(cluster_(current|my)_epoch):\d+`)
	clusterLine   = regexp.MustCompile(`(?m)^(?:txt:)?<id> 127\.0\.0\.1:\d+@\d+ ([a-z,?]+) (-|<id>) \d+ \d+ \d+ (connected|disconnected)`)
	bulkHeader    = regexp.MustCompile(`(?m)^([$=])\d+\r$`)
)

// normalizeCluster hides what differs between two clusters of the same
// shape: node IDs, ports, replication offsets, times, epochs, message
// counts, the order of CLUSTER NODES lines and the bulk lengths that follow
// from all that. Slot numbers stay.
func normalizeCluster(s string) string {
	s = bulkHeader.ReplaceAllString(s, "$1<len>\r")
	s = clusterIDs.ReplaceAllString(s, "<id>")
	s = clusterStats.ReplaceAllString(s, "")
	s = clusterEpochs.ReplaceAllString(s, "$1:<n>")
	s = clusterInts.ReplaceAllStringFunc(s, func(m string) string {
		if m == ":0\r" || m == ":16383\r" {
			return m
		}
		return ":<n>\r"
	})
	if !clusterLine.MatchString(s) {
		return s
	}
	s = clusterLine.ReplaceAllStringFunc(s, func(m string) string {
		prefix := ""
		if strings.HasPrefix(m, "txt:") {
			prefix = "txt:"
		}
		return prefix + clusterLine.ReplaceAllString(strings.TrimPrefix(m, "txt:"), "<id> 127.0.0.1:<port> $1 $2 <ping> <pong> <epoch> $3")
	})
	head, body, _ := strings.Cut(s, "\r\n")
	verbatim := strings.HasPrefix(body, "txt:")
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(body, "txt:"), "\n\r\n"), "\n")
	slices.Sort(lines)
	if verbatim {
		head += "\r\ntxt:"
	} else {
		head += "\r\n"
	}
	return head + strings.Join(lines, "\n") + "\n\r\n"
}

// startRedisCluster starts three cluster-enabled redis-servers, gives the
// first all the slots, makes the others its replicas, and waits until both
// replicas are online. It returns their addresses, the master first.
func startRedisCluster(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	var addrs []string
	// The cluster bus would listen on port+10000, which may be in the
	// ephemeral range or another test's port: give it a free one.
	bus, err := clustertest.FreeAddrs("127.0.0.1", 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, busPort, _ := net.SplitHostPort(bus[i])
		addrs = append(addrs, startRedis(t, "--cluster-enabled", "yes", "--cluster-port", busPort,
			"--dir", t.TempDir(), "--cluster-node-timeout", "5000", "--repl-diskless-sync-delay", "0"))
	}
	master := dial(t, addrs[0])
	if got := master.do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); got != "+OK\r\n" {
		t.Fatalf("ADDSLOTSRANGE: %q", got)
	}
	host, port, _ := net.SplitHostPort(addrs[0])
	_, masterBus, _ := net.SplitHostPort(bus[0])
	for _, a := range addrs[1:] {
		if got := dial(t, a).do("CLUSTER", "MEET", host, port, masterBus); got != "+OK\r\n" {
			t.Fatalf("MEET: %q", got)
		}
	}
	masterID := bulkBody(t, master.do("CLUSTER", "MYID"))
	for _, a := range addrs[1:] {
		c := dial(t, a)
		eventually(t, "replica learns the master", func() string {
			if got := c.do("CLUSTER", "REPLICATE", masterID); got != "+OK\r\n" {
				return got
			}
			return ""
		})
	}
	conns := []*conn{master, dial(t, addrs[1]), dial(t, addrs[2])}
	eventually(t, "replicas online", func() string {
		master.do("SET", "k", "v")
		for _, c := range conns {
			if got := c.do("CLUSTER", "SHARDS"); strings.Count(got, "$6\r\nonline\r\n") != 3 {
				return "not yet: " + got
			}
		}
		return ""
	})
	return addrs
}
