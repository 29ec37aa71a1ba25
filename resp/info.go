package resp

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/cluster"
)

// redisVersion is the Redis version raftcache claims compatibility with;
// clients use it to pick command variants.
const redisVersion = "7.0.0"

// infoSections are the sections raftcache has, in the order INFO lists them.
var infoSections = [...]string{"server", "clients", "memory", "stats", "cluster", "keyspace", "raft"}

// info serves INFO [section ...] with the sections raftcache has, in
// Redis's format: "# Title" lines, "field:value" lines with Redis's field
// names, sections separated by an empty line. Unknown sections are ignored,
// as Redis does.
func (s *Server) info(c *client, args [][]byte) {
	want := map[string]bool{}
	if len(args) == 1 {
		for _, name := range infoSections {
			want[name] = true
		}
	}
	for _, a := range args[1:] {
		switch name := lowerASCII(a); name {
		case "all", "everything", "default":
			for _, name := range infoSections {
				want[name] = true
			}
		default:
			want[name] = true
		}
	}
	var b strings.Builder
	section := func(title string) {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + title + "\r\n")
	}
	field := func(name, value string) { b.WriteString(name + ":" + value + "\r\n") }
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	if want["server"] {
		section("Server")
		now := time.Now()
		up := now.Sub(s.started)
		exe, _ := os.Executable()
		field("redis_version", redisVersion)
		field("raftcache_version", s.cfg.Version)
		field("redis_mode", "standalone")
		field("os", runtime.GOOS+" "+runtime.GOARCH)
		field("arch_bits", strconv.Itoa(strconv.IntSize))
		field("go_version", runtime.Version())
		field("process_id", strconv.Itoa(os.Getpid()))
		field("run_id", s.runID)
		field("tcp_port", i64(s.port.Load()))
		field("server_time_usec", i64(now.UnixMicro()))
		field("uptime_in_seconds", i64(int64(up/time.Second)))
		field("uptime_in_days", i64(int64(up/(24*time.Hour))))
		field("executable", exe)
		field("config_file", "")
	}
	if want["clients"] {
		section("Clients")
		s.mu.Lock()
		connected := len(s.conns)
		blocked := 0
		for _, cl := range s.conns {
			if cl.blocked.Load() {
				blocked++
			}
		}
		s.mu.Unlock()
		field("connected_clients", strconv.Itoa(connected))
		field("blocked_clients", strconv.Itoa(blocked))
	}
	if want["memory"] {
		section("Memory")
		// used_memory is the dataset as the state machine accounts it,
		// the figure maxmemory is compared with, the same on every node;
		// the fragmentation ratio is the process's RSS over it, as
		// Redis's is RSS over its allocator's figure.
		mi := s.store.MemoryInfo()
		rss := residentBytes()
		field("used_memory", i64(mi.Used))
		field("used_memory_human", humanBytes(uint64(max(mi.Used, 0))))
		field("used_memory_rss", strconv.FormatUint(rss, 10))
		field("used_memory_rss_human", humanBytes(rss))
		field("maxmemory", i64(mi.MaxMemory))
		field("maxmemory_human", humanBytes(uint64(mi.MaxMemory)))
		field("maxmemory_policy", mi.Policy)
		ratio := 0.0
		if mi.Used > 0 {
			ratio = float64(rss) / float64(mi.Used)
		}
		field("mem_fragmentation_ratio", strconv.FormatFloat(ratio, 'f', 2, 64))
	}
	if want["stats"] {
		section("Stats")
		st := s.store.Stats()
		field("total_connections_received", i64(s.stats.connections.Load()))
		field("total_commands_processed", i64(s.stats.commands.Load()))
		field("total_net_input_bytes", i64(s.limits.netIn.Load()))
		field("total_net_output_bytes", i64(s.limits.netOut.Load()))
		field("rejected_connections", "0")
		field("expired_keys", i64(st.ExpiredKeys))
		field("evicted_keys", i64(st.EvictedKeys))
		field("keyspace_hits", i64(st.KeyspaceHits))
		field("keyspace_misses", i64(st.KeyspaceMisses))
		field("total_error_replies", i64(s.errs.total.Load()))
	}
	if want["cluster"] {
		// Cluster-aware clients (redis-py's RedisCluster) refuse a node
		// whose INFO does not say this, before they ask CLUSTER SLOTS.
		section("Cluster")
		field("cluster_enabled", "1")
	}
	if want["keyspace"] {
		section("Keyspace")
		for db, st := range s.store.Stats().DBs {
			if st.Keys > 0 {
				field("db"+strconv.Itoa(db), "keys="+strconv.Itoa(st.Keys)+",expires="+strconv.Itoa(st.Expires)+",avg_ttl=0")
			}
		}
	}
	if want["raft"] {
		section("Raft")
		s.raftInfo(field)
	}
	c.w.verbatim(b.String())
}

// humanBytes formats n as Redis's bytesToHuman does.
func humanBytes(n uint64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatUint(n, 10) + "B"
	case n < 1024*1024:
		return strconv.FormatFloat(f/1024, 'f', 2, 64) + "K"
	case n < 1024*1024*1024:
		return strconv.FormatFloat(f/(1024*1024), 'f', 2, 64) + "M"
	default:
		return strconv.FormatFloat(f/(1024*1024*1024), 'f', 2, 64) + "G"
	}
}

func (s *Server) raftInfo(field func(name, value string)) {
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	id := func(n uint64) string {
		if n == 0 {
			return "none"
		}
		return cluster.FormatID(n)
	}
	bit := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	st := s.cluster.Status()
	field("node_id", id(st.ID))
	field("role", string(st.Role))
	field("term", u(st.Term))
	field("leader", id(st.Leader))
	field("commit_index", u(st.Commit))
	field("applied_index", u(st.Applied))
	field("members", strconv.Itoa(st.Members))
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	members, err := s.cluster.Members(ctx)
	if err != nil {
		// The summary above still helps; the list needs the leader.
		s.log.Debug("resp: INFO raft: listing members", "err", err)
		return
	}
	for i, m := range members {
		field("member"+strconv.Itoa(i), "id="+cluster.FormatID(m.ID)+",role="+string(m.Role)+
			",voter="+bit(m.Voter)+",reachable="+bit(m.Reachable)+",match="+u(m.Match)+
			",raft="+m.RaftAddr+",resp="+m.RESPAddr+",api="+m.APIAddr)
	}
}
