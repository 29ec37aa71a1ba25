package resp

import (
	"cmp"
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// The CLUSTER commands describe the Raft membership as a Redis cluster of
// one shard: the leader is the master and owns all 16384 slots, every other
// member is its replica. Cluster-aware clients then send writes to the
// leader directly, and a client that lands on a follower still gets its
// answer: the follower forwards writes through Raft and never redirects.

const clusterSlots = 16384

// clusterHelp is CLUSTER HELP, in Redis's words, for the subcommands
// raftcache serves.
var clusterHelp = [...]string{
	"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"FAILOVER [FORCE|TAKEOVER]",
	"    Promote current replica node to being a master.",
	"INFO",
	"    Return information about the cluster.",
	"KEYSLOT <key>",
	"    Return the hash slot for <key>.",
	"MYID",
	"    Return the node id.",
	"NODES",
	"    Return cluster configuration seen by node. Output format:",
	"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
	"SLOTS",
	"    Return information about slots range mappings. Each range is made of:",
	"    start, end, master and replicas IP addresses, ports and ids",
	"SHARDS",
	"    Return information about slot range mappings and the nodes associated with them.",
	"HELP",
	"    Prints this help.",
}

// clusterNode is one member as the CLUSTER commands show it.
type clusterNode struct {
	id        string // 40 hex digits, as Redis node IDs
	ip        string
	port      int
	busPort   int // the raft transport's port, Redis's cluster bus
	master    bool
	myself    bool
	learner   bool
	reachable bool
	offset    uint64 // replication offset: the log index the member has
}

// redisNodeID turns a raft ID into a Redis-shaped node ID: 40 hex digits.
func redisNodeID(id uint64) string {
	return "000000000000000000000000" + cluster.FormatID(id)
}

// clusterView is the membership as the CLUSTER commands show it, the
// master (the leader) first; it has no master when no leader is known.
type clusterView struct {
	nodes  []clusterNode
	leader bool // nodes[0] is the master
	term   uint64
}

// view builds the cluster view from this node's membership. A member's
// address is its RESP address; when that has no host (":6379"), the host of
// its raft address stands in, and failing that the address this client
// connected to, which is right when the members share a host.
func (s *Server) view(c *client) clusterView {
	st := s.cluster.Status()
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	members, err := s.cluster.Members(ctx)
	if err != nil {
		s.log.Debug("resp: CLUSTER: listing members", "err", err)
	}
	localHost, _, _ := net.SplitHostPort(c.laddr)
	v := clusterView{term: st.Term}
	for _, m := range members {
		n := clusterNode{
			id:        redisNodeID(m.ID),
			master:    m.ID == st.Leader,
			myself:    m.ID == st.ID,
			learner:   !m.Voter,
			reachable: m.Reachable || m.ID == st.ID,
			offset:    m.Match,
		}
		if n.myself {
			n.offset = st.Applied
		}
		host, port := splitAddr(m.RESPAddr)
		raftHost, busPort := splitAddr(m.RaftAddr)
		if host == "" {
			host = raftHost
		}
		if host == "" {
			host = localHost
		}
		n.ip, n.port, n.busPort = host, port, busPort
		v.nodes = append(v.nodes, n)
	}
	slices.SortStableFunc(v.nodes, func(a, b clusterNode) int {
		if a.master != b.master {
			if a.master {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	v.leader = len(v.nodes) > 0 && v.nodes[0].master
	return v
}

// splitAddr returns addr's host, empty when unspecified ("", 0.0.0.0, ::),
// and its port, 0 when it has none.
func splitAddr(addr string) (string, int) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	port, _ := strconv.Atoi(portStr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = ""
	}
	return host, port
}

// available reports whether a replica is listed by CLUSTER SLOTS: Redis
// leaves out replicas that failed or have nothing yet.
func (n *clusterNode) available() bool { return n.reachable && n.offset != 0 }

func (s *Server) clusterInfo(c *client, args [][]byte) {
	v := s.view(c)
	state, slots, size := "fail", 0, 0
	if v.leader && v.nodes[0].reachable {
		state, slots, size = "ok", clusterSlots, 1
	}
	var b strings.Builder
	field := func(name string, value int64) {
		b.WriteString(name + ":" + strconv.FormatInt(value, 10) + "\r\n")
	}
	b.WriteString("cluster_state:" + state + "\r\n")
	field("cluster_slots_assigned", int64(slots))
	field("cluster_slots_ok", int64(slots))
	field("cluster_slots_pfail", 0)
	field("cluster_slots_fail", 0)
	field("cluster_known_nodes", int64(len(v.nodes)))
	field("cluster_size", int64(size))
	field("cluster_current_epoch", int64(v.term))
	field("cluster_my_epoch", int64(v.term))
	field("cluster_stats_messages_sent", 0)
	field("cluster_stats_messages_received", 0)
	field("total_cluster_links_buffer_limit_exceeded", 0)
	c.w.verbatim(b.String())
}

func (s *Server) clusterMyID(c *client, args [][]byte) {
	c.w.bulkString(redisNodeID(s.cluster.Status().ID))
}

// clusterNodes serves CLUSTER NODES: one line per member in Redis's
// format. Raft has no pings: a member the leader reaches shows a pong
// received now and the link connected.
func (s *Server) clusterNodes(c *client, args [][]byte) {
	v := s.view(c)
	now := strconv.FormatInt(s.cfg.Clock(), 10)
	epoch := strconv.FormatUint(v.term, 10)
	var b strings.Builder
	for _, n := range v.nodes {
		b.WriteString(n.id + " " + n.ip + ":" + strconv.Itoa(n.port) + "@" + strconv.Itoa(n.busPort) + " ")
		if n.myself {
			b.WriteString("myself,")
		}
		role, master := "master", "-"
		if !n.master {
			if v.leader {
				master = v.nodes[0].id
				role = "slave"
			}
			if n.learner {
				role += ",nofailover"
			}
		}
		b.WriteString(role)
		pong, link := now, "connected"
		if !n.reachable {
			b.WriteString(",fail")
			pong, link = "0", "disconnected"
		}
		b.WriteString(" " + master + " 0 " + pong + " " + epoch + " " + link)
		if n.master {
			b.WriteString(" 0-16383")
		}
		b.WriteByte('\n')
	}
	c.w.verbatim(b.String())
}

// clusterSlots serves CLUSTER SLOTS: one range, all the slots, served by
// the leader and its available replicas; none while no leader is known.
func (s *Server) clusterSlots(c *client, args [][]byte) {
	v := s.view(c)
	if !v.leader {
		c.w.array(0)
		return
	}
	nodes := v.nodes[:1]
	for _, n := range v.nodes[1:] {
		if n.available() {
			nodes = append(nodes, n)
		}
	}
	c.w.array(1)
	c.w.array(2 + len(nodes))
	c.w.int(0)
	c.w.int(clusterSlots - 1)
	for _, n := range nodes {
		c.w.array(4)
		c.w.bulkString(n.ip)
		c.w.int(int64(n.port))
		c.w.bulkString(n.id)
		c.w.mapHeader(0)
	}
}

// clusterShards serves CLUSTER SHARDS: one shard holding all the slots and
// every member; none while no leader is known.
func (s *Server) clusterShards(c *client, args [][]byte) {
	v := s.view(c)
	if !v.leader {
		c.w.array(0)
		return
	}
	c.w.array(1)
	c.w.mapHeader(2)
	c.w.bulkString("slots")
	c.w.array(2)
	c.w.int(0)
	c.w.int(clusterSlots - 1)
	c.w.bulkString("nodes")
	c.w.array(len(v.nodes))
	for _, n := range v.nodes {
		role, health := "master", "online"
		if !n.master {
			role = "replica"
		}
		switch {
		case !n.reachable:
			health = "fail"
		case !n.master && n.offset == 0:
			health = "loading"
		}
		c.w.mapHeader(7)
		c.w.bulkString("id")
		c.w.bulkString(n.id)
		c.w.bulkString("port")
		c.w.int(int64(n.port))
		c.w.bulkString("ip")
		c.w.bulkString(n.ip)
		c.w.bulkString("endpoint")
		c.w.bulkString(n.ip)
		c.w.bulkString("role")
		c.w.bulkString(role)
		c.w.bulkString("replication-offset")
		c.w.int(int64(n.offset))
		c.w.bulkString("health")
		c.w.bulkString(health)
	}
}

func (s *Server) clusterKeySlot(c *client, args [][]byte) {
	c.w.int(int64(keySlot(args[2])))
}

// keySlot is Redis Cluster's hash slot of key: CRC16 of the key, or of its
// {hash tag} when it has a non-empty one, modulo 16384.
func keySlot(key []byte) uint16 {
	if i := slices.Index(key, '{'); i >= 0 {
		if j := slices.Index(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return crc16(key) & (clusterSlots - 1)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the variant
// Redis Cluster uses.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// clusterFailover serves CLUSTER FAILOVER [FORCE|TAKEOVER] on a follower:
// it makes this node the raft leader, and replies once it is.
func (s *Server) clusterFailover(c *client, args [][]byte) {
	switch {
	case len(args) == 3 && !fsm.EqualFold(args[2], "force") && !fsm.EqualFold(args[2], "takeover"):
		c.w.err("ERR syntax error")
		return
	case len(args) > 3:
		c.w.err("ERR unknown subcommand or wrong number of arguments for 'FAILOVER'. Try CLUSTER HELP.")
		return
	}
	st := s.cluster.Status()
	switch {
	case st.Leader == st.ID:
		c.w.err("ERR You should send CLUSTER FAILOVER to a replica")
		return
	case st.Leader == 0:
		c.w.err("ERR I'm a replica but my master is unknown to me")
		return
	case st.Role == cluster.RoleLearner:
		c.w.err("ERR a learner (non-voting member) cannot become the master")
		return
	}
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	if err := s.cluster.TransferLeadership(ctx, st.ID); err != nil {
		c.w.err("ERR failover did not complete: " + failureReason(err, s.cfg.Timeout))
		return
	}
	c.w.status("OK")
}

func (s *Server) clusterHelp(c *client, args [][]byte) { writeHelp(c, clusterHelp[:]) }

// wait serves WAIT numreplicas timeout: it blocks until numreplicas
// replicas (members other than the leader) hold the connection's last
// write, or timeout milliseconds pass, and returns how many do. A replica
// holds a write once the leader knows its log has the entry (its match
// index), which means it is on that replica's disk. WAIT 0 timeout waits at
// most Config.Timeout: every request here has a bound.
func (s *Server) wait(c *client, args [][]byte) {
	want, ok := fsm.ParseInt(args[1])
	if !ok {
		c.w.err("ERR value is not an integer or out of range")
		return
	}
	ms, ok := fsm.ParseInt(args[2])
	switch {
	case !ok:
		c.w.err("ERR timeout is not an integer or out of range")
		return
	case ms < 0:
		c.w.err("ERR timeout is negative")
		return
	}
	timeout := s.cfg.Timeout
	if ms > 0 {
		timeout = time.Duration(min(ms, int64(1<<62)/int64(time.Millisecond))) * time.Millisecond
	}
	got := s.replicasHaving(c.lastWrite)
	if got >= want || c.inExec {
		c.w.int(got)
		return
	}
	// Park the request, as Redis blocks the client: the connection serves
	// nothing else until the reply, and a disconnect ends the wait.
	p := c.park()
	index := c.lastWrite
	go func() {
		ctx, cancel := context.WithTimeout(p.Context(), timeout)
		defer cancel()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for got < want {
			select {
			case <-ctx.Done():
				p.reply(func(w *writer) { w.int(got) })
				return
			case <-tick.C:
			}
			got = s.replicasHaving(index)
		}
		p.reply(func(w *writer) { w.int(got) })
	}()
}

// replicasHaving counts the reachable members other than the leader whose
// log holds index, in the leader's view. It does not use WAIT's deadline,
// which would turn a last look at the leader's view into a local one.
func (s *Server) replicasHaving(index uint64) int64 {
	members, err := s.cluster.Members(s.base)
	if err != nil {
		return 0
	}
	var n int64
	for _, m := range members {
		if m.Role != cluster.RoleLeader && m.Reachable && m.Match >= index {
			n++
		}
	}
	return n
}
