package resp

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	rcmetrics "github.com/raftcache/raftcache/admin/metrics"
	"github.com/raftcache/raftcache/cluster"
)

// redisVersion is the Redis version raftcache claims compatibility with;
// clients use it to pick command variants.
const redisVersion = "7.0.0"

// infoSection is one section of INFO, in the order INFO lists them.
type infoSection struct {
	name  string
	title string
	// inDefault: shown by a bare INFO (and "default"), as Redis shows
	// every section but commandstats and latencystats.
	inDefault bool
	write     func(s *Server, f *infoWriter)
}

var infoSections = [...]infoSection{
	{"server", "Server", true, (*Server).infoServer},
	{"clients", "Clients", true, (*Server).infoClients},
	{"memory", "Memory", true, (*Server).infoMemory},
	{"persistence", "Persistence", true, (*Server).infoPersistence},
	{"stats", "Stats", true, (*Server).infoStats},
	{"replication", "Replication", true, (*Server).infoReplication},
	{"cpu", "CPU", true, (*Server).infoCPU},
	{"modules", "Modules", true, func(*Server, *infoWriter) {}},
	{"commandstats", "Commandstats", false, (*Server).infoCommandStats},
	{"errorstats", "Errorstats", true, (*Server).infoErrorStats},
	{"latencystats", "Latencystats", false, (*Server).infoLatencyStats},
	{"cluster", "Cluster", true, (*Server).infoCluster},
	{"keyspace", "Keyspace", true, (*Server).infoKeyspace},
	{"raft", "Raft", true, (*Server).infoRaft},
}

// infoWriter builds INFO's text: "# Title" lines, "field:value" lines with
// Redis's field names, sections separated by an empty line.
type infoWriter struct{ b strings.Builder }

func (f *infoWriter) section(title string) {
	if f.b.Len() > 0 {
		f.b.WriteString("\r\n")
	}
	f.b.WriteString("# " + title + "\r\n")
}

func (f *infoWriter) field(name, value string) { f.b.WriteString(name + ":" + value + "\r\n") }
func (f *infoWriter) int(name string, n int64) { f.field(name, strconv.FormatInt(n, 10)) }
func (f *infoWriter) uint(name string, n uint64) {
	f.field(name, strconv.FormatUint(n, 10))
}

// info serves INFO [section ...] in Redis 7.0's format. Unknown sections
// are ignored, as Redis does.
func (s *Server) info(c *client, args [][]byte) {
	want := map[string]bool{}
	all := func(everything bool) {
		for _, sec := range infoSections {
			if everything || sec.inDefault {
				want[sec.name] = true
			}
		}
	}
	if len(args) == 1 {
		all(false)
	}
	for _, a := range args[1:] {
		switch name := lowerASCII(a); name {
		case "default":
			all(false)
		case "all", "everything":
			all(true)
		default:
			want[name] = true
		}
	}
	var f infoWriter
	for _, sec := range infoSections {
		if want[sec.name] {
			f.section(sec.title)
			sec.write(s, &f)
		}
	}
	c.w.verbatim(f.b.String())
}

func (s *Server) infoServer(f *infoWriter) {
	now := time.Now()
	up := now.Sub(s.started)
	exe, _ := os.Executable()
	f.field("redis_version", redisVersion)
	f.field("redis_git_sha1", "00000000")
	f.field("redis_git_dirty", "0")
	f.field("redis_build_id", "0")
	f.field("raftcache_version", s.cfg.Version)
	f.field("redis_mode", "standalone")
	f.field("os", runtime.GOOS+" "+runtime.GOARCH)
	f.field("arch_bits", strconv.Itoa(strconv.IntSize))
	f.field("multiplexing_api", "go")
	f.field("go_version", runtime.Version())
	f.int("process_id", int64(os.Getpid()))
	f.field("process_supervised", "no")
	f.field("run_id", s.runID)
	f.int("tcp_port", s.port.Load())
	f.int("server_time_usec", now.UnixMicro())
	f.int("uptime_in_seconds", int64(up/time.Second))
	f.int("uptime_in_days", int64(up/(24*time.Hour)))
	f.field("hz", "10")
	f.field("configured_hz", "10")
	f.int("lru_clock", now.Unix()&(1<<24-1))
	f.field("executable", exe)
	f.field("config_file", "")
	f.field("io_threads_active", "0")
}

func (s *Server) infoClients(f *infoWriter) {
	s.mu.Lock()
	connected := len(s.conns)
	blocked := 0
	for _, cl := range s.conns {
		if cl.blocked.Load() {
			blocked++
		}
	}
	s.mu.Unlock()
	s.tracker.mu.Lock()
	tracking := len(s.tracker.clients)
	s.tracker.mu.Unlock()
	f.int("connected_clients", int64(connected))
	f.field("cluster_connections", "0")
	f.field("maxclients", "10000")
	f.field("client_recent_max_input_buffer", "0")
	f.field("client_recent_max_output_buffer", "0")
	f.int("blocked_clients", int64(blocked))
	f.int("tracking_clients", int64(tracking))
	f.field("clients_in_timeout_table", "0")
}

// memStats are the Go runtime's figures INFO memory and MEMORY STATS map
// to Redis's: live heap objects are what used_memory counts (the data and
// the server's structures), and the memory mapped from the system and not
// returned is the resident set the allocator holds. Reading them through
// runtime/metrics does not stop the world.
type memStats struct {
	used, heapTotal, released, goTotal uint64
}

func readMemStats() memStats {
	sample := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	metrics.Read(sample)
	st := memStats{used: sample[0].Value.Uint64(), goTotal: sample[1].Value.Uint64(), released: sample[2].Value.Uint64()}
	st.heapTotal = st.used + sample[3].Value.Uint64()
	return st
}

// rss is what the process holds from the system: mapped and not released.
func (m memStats) rss() uint64 { return m.goTotal - m.released }

func (s *Server) infoMemory(f *infoWriter) {
	// used_memory is the dataset as the state machine accounts it, the
	// figure maxmemory is compared with, the same on every node.
	m := readMemStats()
	mi := s.store.MemoryInfo()
	used := uint64(max(mi.Used, 0))
	rss := residentBytes()
	peak := s.notePeak(used)
	f.uint("used_memory", used)
	f.field("used_memory_human", humanBytes(used))
	f.uint("used_memory_rss", rss)
	f.field("used_memory_rss_human", humanBytes(rss))
	f.uint("used_memory_peak", peak)
	f.field("used_memory_peak_human", humanBytes(peak))
	f.field("used_memory_peak_perc", percent(used, peak))
	f.uint("used_memory_overhead", s.startMem)
	f.uint("used_memory_startup", s.startMem)
	f.uint("used_memory_dataset", m.used-min(s.startMem, m.used))
	f.uint("total_system_memory", totalSystemMemory())
	f.field("total_system_memory_human", humanBytes(totalSystemMemory()))
	f.int("maxmemory", mi.MaxMemory)
	f.field("maxmemory_human", humanBytes(uint64(mi.MaxMemory)))
	f.field("maxmemory_policy", mi.Policy)
	f.uint("allocator_allocated", m.used)
	f.uint("allocator_active", m.heapTotal)
	f.uint("allocator_resident", m.rss())
	f.field("allocator_frag_ratio", ratio(m.heapTotal, m.used))
	f.uint("allocator_frag_bytes", m.heapTotal-m.used)
	f.field("allocator_rss_ratio", ratio(m.rss(), m.heapTotal))
	f.int("allocator_rss_bytes", int64(m.rss())-int64(m.heapTotal))
	f.field("mem_fragmentation_ratio", ratio(rss, used))
	f.int("mem_fragmentation_bytes", int64(rss)-int64(used))
	// Client buffers and replication are not counted apart from the
	// heap: Redis's own zeros for an instance without replicas.
	f.field("mem_not_counted_for_evict", "0")
	f.field("mem_clients_slaves", "0")
	f.field("mem_clients_normal", "0")
	f.field("mem_allocator", "go-"+runtime.Version())
	f.field("active_defrag_running", "0")
	f.field("lazyfree_pending_objects", "0")
}

// notePeak records used as the peak if it is one, and returns the peak.
func (s *Server) notePeak(used uint64) uint64 {
	for {
		peak := s.memPeak.Load()
		if used <= peak {
			return peak
		}
		if s.memPeak.CompareAndSwap(peak, used) {
			return used
		}
	}
}

func percent(n, of uint64) string {
	if of == 0 {
		return "0.00%"
	}
	return strconv.FormatFloat(float64(n)*100/float64(of), 'f', 2, 64) + "%"
}

func ratio(n, of uint64) string {
	if of == 0 {
		return "0.00"
	}
	return strconv.FormatFloat(float64(n)/float64(of), 'f', 2, 64)
}

// totalSystemMemory reads MemTotal from /proc/meminfo, or 0.
var totalSystemMemory = sync.OnceValue(func() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
})

// infoPersistence maps Redis's RDB fields to raft snapshots: a snapshot is
// the node's point-in-time copy of the state, written in the background
// as a BGSAVE; the WAL, fsynced before every acknowledged write, is
// always on, as an AOF with appendfsync always would be.
func (s *Server) infoPersistence(f *infoWriter) {
	st := s.cluster.Status()
	lastSave := s.started.Unix()
	lastTook := int64(-1)
	if !st.LastSnapshotAt.IsZero() {
		lastSave = st.LastSnapshotAt.Unix()
		lastTook = int64(st.LastSnapshotTook / time.Second)
	}
	status := "ok"
	if st.LastSnapshotError {
		status = "err"
	}
	f.field("loading", "0")
	f.field("async_loading", "0")
	f.uint("rdb_changes_since_last_save", st.Applied-min(st.SnapshotIndex, st.Applied))
	f.field("rdb_bgsave_in_progress", bit(st.Snapshotting))
	f.int("rdb_last_save_time", lastSave)
	f.field("rdb_last_bgsave_status", status)
	f.int("rdb_last_bgsave_time_sec", lastTook)
	f.field("rdb_current_bgsave_time_sec", "-1")
	f.uint("rdb_saves", st.Snapshots)
	f.field("rdb_last_cow_size", "0")
	f.field("module_fork_in_progress", "0")
	f.field("module_fork_last_cow_size", "0")
	f.field("aof_enabled", "0")
	f.field("aof_rewrite_in_progress", "0")
	f.field("aof_rewrite_scheduled", "0")
	f.field("aof_last_rewrite_time_sec", "-1")
	f.field("aof_current_rewrite_time_sec", "-1")
	f.field("aof_last_bgrewrite_status", "ok")
	f.field("aof_last_write_status", "ok")
	f.uint("raft_snapshot_index", st.SnapshotIndex)
}

func (s *Server) infoStats(f *infoWriter) {
	st := s.store.Stats()
	commands := s.stats.commands.Load()
	f.int("total_connections_received", s.stats.connections.Load())
	f.int("total_commands_processed", commands)
	f.int("instantaneous_ops_per_sec", s.opsPerSec(commands))
	f.int("total_net_input_bytes", s.limits.netIn.Load())
	f.int("total_net_output_bytes", s.limits.netOut.Load())
	f.field("rejected_connections", "0")
	f.int("expired_keys", st.ExpiredKeys)
	f.field("expired_stale_perc", "0.00")
	f.field("expired_time_cap_reached_count", "0")
	f.int("evicted_keys", st.EvictedKeys)
	f.int("keyspace_hits", st.KeyspaceHits)
	f.int("keyspace_misses", st.KeyspaceMisses)
	s.pubsub.mu.RLock()
	channels, patterns, shard := len(s.pubsub.subs[subChannel]), len(s.pubsub.subs[subPattern]), len(s.pubsub.subs[subShard])
	s.pubsub.mu.RUnlock()
	f.int("pubsub_channels", int64(channels))
	f.int("pubsub_patterns", int64(patterns))
	f.int("pubsubshard_channels", int64(shard))
	// Raftcache never forks (a snapshot is captured copy-on-write in the
	// process), has no defragmenter, no MIGRATE and no IO threads, and a
	// follower catches up through raft, not a replication stream: these
	// are Redis's values for the same.
	f.field("sync_full", "0")
	f.field("sync_partial_ok", "0")
	f.field("sync_partial_err", "0")
	f.field("latest_fork_usec", "0")
	f.field("total_forks", "0")
	f.field("migrate_cached_sockets", "0")
	f.field("slave_expires_tracked_keys", "0")
	f.field("active_defrag_hits", "0")
	f.field("active_defrag_misses", "0")
	f.field("active_defrag_key_hits", "0")
	f.field("active_defrag_key_misses", "0")
	s.tracker.mu.Lock()
	tracked, items := len(s.tracker.keys), 0
	for _, ids := range s.tracker.keys {
		items += len(ids)
	}
	prefixes := len(s.tracker.bcast)
	s.tracker.mu.Unlock()
	f.int("tracking_total_keys", int64(tracked))
	f.int("tracking_total_items", int64(items))
	f.int("tracking_total_prefixes", int64(prefixes))
	f.field("unexpected_error_replies", "0")
	f.int("total_error_replies", s.errs.total.Load())
	f.field("dump_payload_sanitizations", "0")
	f.field("io_threaded_reads_processed", "0")
	f.field("io_threaded_writes_processed", "0")
}

// opsPerSec is the commands per second since the previous call that was
// at least 100ms ago (Redis samples every 100ms; this samples when asked).
func (s *Server) opsPerSec(commands int64) int64 {
	s.opsMu.Lock()
	defer s.opsMu.Unlock()
	now := time.Now()
	if el := now.Sub(s.opsAt); el >= 100*time.Millisecond {
		if !s.opsAt.IsZero() {
			s.opsRate = int64(float64(commands-s.opsCount) / el.Seconds())
		}
		s.opsAt, s.opsCount = now, commands
	}
	return s.opsRate
}

// infoReplication maps Redis's master and replicas to the raft leader and
// its followers: the leader is the master, each other member a replica
// whose offset is its match index; a follower is a replica of the leader,
// whose offset is its applied index.
func (s *Server) infoReplication(f *infoWriter) {
	st := s.cluster.Status()
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	members, err := s.cluster.Members(ctx)
	if err != nil {
		s.log.Debug("resp: INFO replication: listing members", "err", err)
	}
	replid := fmt.Sprintf("%040x", st.Leader)
	if st.Leader != 0 && st.Leader == st.ID {
		f.field("role", "master")
		n := 0
		for _, m := range members {
			if m.ID == st.ID {
				continue
			}
			host, port := splitHostPort(m.RESPAddr)
			state := "online"
			if !m.Reachable {
				state = "wait_bgsave"
			}
			f.field("slave"+strconv.Itoa(n), "ip="+host+",port="+port+",state="+state+
				",offset="+strconv.FormatUint(m.Match, 10)+",lag=0")
			n++
		}
		f.int("connected_slaves", int64(n))
	} else {
		f.field("role", "slave")
		host, port, link := "", "0", "down"
		for _, m := range members {
			if m.ID == st.Leader {
				host, port = splitHostPort(m.RESPAddr)
				if m.Reachable {
					link = "up"
				}
			}
		}
		f.field("master_host", host)
		f.field("master_port", port)
		f.field("master_link_status", link)
		f.field("master_last_io_seconds_ago", "0")
		f.field("master_sync_in_progress", "0")
		f.uint("slave_read_repl_offset", st.Applied)
		f.uint("slave_repl_offset", st.Applied)
		f.field("slave_priority", "100")
		f.field("slave_read_only", "0")
		f.field("replica_announced", "1")
		f.field("connected_slaves", "0")
	}
	f.field("master_failover_state", "no-failover")
	f.field("master_replid", replid)
	f.field("master_replid2", strings.Repeat("0", 40))
	f.uint("master_repl_offset", st.Commit)
	f.field("second_repl_offset", "-1")
	f.field("repl_backlog_active", "0")
	f.field("repl_backlog_size", "0")
	f.field("repl_backlog_first_byte_offset", "0")
	f.field("repl_backlog_histlen", "0")
}

func splitHostPort(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr, "0"
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

func (s *Server) infoCPU(f *infoWriter) {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	sec := func(t syscall.Timeval) string {
		return strconv.FormatFloat(float64(t.Sec)+float64(t.Usec)/1e6, 'f', 6, 64)
	}
	f.field("used_cpu_sys", sec(self.Stime))
	f.field("used_cpu_user", sec(self.Utime))
	f.field("used_cpu_sys_children", sec(children.Stime))
	f.field("used_cpu_user_children", sec(children.Utime))
}

func (s *Server) infoCommandStats(f *infoWriter) {
	for _, sp := range s.specList {
		calls, rejected := sp.stats.calls.Load(), sp.stats.rejected.Load()
		if calls == 0 && rejected == 0 {
			continue
		}
		var usec int64
		if h := sp.stats.latency.Load(); h != nil {
			usec = h.Sum().Microseconds()
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		f.field("cmdstat_"+sp.name, "calls="+strconv.FormatUint(calls, 10)+",usec="+strconv.FormatInt(usec, 10)+
			",usec_per_call="+strconv.FormatFloat(perCall, 'f', 2, 64)+
			",rejected_calls="+strconv.FormatUint(rejected, 10)+",failed_calls="+strconv.FormatUint(sp.stats.failed.Load(), 10))
	}
}

func (s *Server) infoErrorStats(f *infoWriter) {
	s.errs.each(func(prefix string, n uint64) {
		f.field("errorstat_"+prefix, "count="+strconv.FormatUint(n, 10))
	})
}

// latencyPercentiles are latency-tracking-info-percentiles' default.
var latencyPercentiles = []float64{50, 99, 99.9}

func (s *Server) infoLatencyStats(f *infoWriter) {
	for _, sp := range s.specList {
		h := sp.stats.latency.Load()
		if h == nil || h.Count() == 0 {
			continue
		}
		f.field("latency_percentiles_usec_"+sp.name, percentileList(h, latencyPercentiles))
	}
}

// percentileList is "p50=1.003,p99=2.007,p99.9=2.007", in microseconds.
func percentileList(h *rcmetrics.Histogram, ps []float64) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("p" + strconv.FormatFloat(p, 'f', -1, 64) + "=")
		b.WriteString(strconv.FormatFloat(float64(h.Percentile(p))/1e3, 'f', 3, 64))
	}
	return b.String()
}

func (s *Server) infoCluster(f *infoWriter) {
	// Cluster-aware clients (redis-py's RedisCluster) refuse a node whose
	// INFO does not say this, before they ask CLUSTER SLOTS.
	f.field("cluster_enabled", "1")
}

func (s *Server) infoKeyspace(f *infoWriter) {
	for db, st := range s.store.Stats().DBs {
		if st.Keys > 0 {
			f.field("db"+strconv.Itoa(db), "keys="+strconv.Itoa(st.Keys)+",expires="+strconv.Itoa(st.Expires)+",avg_ttl=0")
		}
	}
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
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

func (s *Server) infoRaft(f *infoWriter) {
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	id := func(n uint64) string {
		if n == 0 {
			return "none"
		}
		return cluster.FormatID(n)
	}
	st := s.cluster.Status()
	f.field("node_id", id(st.ID))
	f.field("role", string(st.Role))
	f.field("term", u(st.Term))
	f.field("leader", id(st.Leader))
	f.field("commit_index", u(st.Commit))
	f.field("applied_index", u(st.Applied))
	f.field("members", strconv.Itoa(st.Members))
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	members, err := s.cluster.Members(ctx)
	if err != nil {
		// The summary above still helps; the list needs the leader.
		s.log.Debug("resp: INFO raft: listing members", "err", err)
		return
	}
	for i, m := range members {
		f.field("member"+strconv.Itoa(i), "id="+cluster.FormatID(m.ID)+",role="+string(m.Role)+
			",voter="+bit(m.Voter)+",reachable="+bit(m.Reachable)+",match="+u(m.Match)+
			",raft="+m.RaftAddr+",resp="+m.RESPAddr+",api="+m.APIAddr)
	}
}
