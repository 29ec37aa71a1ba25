package resp

import (
	"context"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/fsm"
)

// SLOWLOG, LATENCY and MEMORY: Redis's introspection, answered from this
// node's own counts (Redis keeps them per server too), so that
// redis_exporter, redis-cli --stat and --memkeys work unchanged.

var slowlogHelp = [...]string{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

func (s *Server) slowlogHelp(c *client, args [][]byte) { writeHelp(c, slowlogHelp[:]) }

func (s *Server) slowlogLen(c *client, args [][]byte) { c.w.int(int64(s.slowlog.len())) }

func (s *Server) slowlogReset(c *client, args [][]byte) {
	s.slowlog.reset()
	c.w.status("OK")
}

// slowlogGet serves SLOWLOG GET [count]: the newest entries first, each
// [id, unix time, microseconds, [args...], client address, client name].
func (s *Server) slowlogGet(c *client, args [][]byte) {
	n := int64(10)
	if len(args) == 3 {
		v, ok := fsm.ParseInt(args[2])
		if !ok || v < -1 {
			c.w.err("ERR count should be greater than or equal to -1")
			return
		}
		n = v
	} else if len(args) > 3 {
		// Redis's arity of SLOWLOG GET is -2: it checks the rest itself.
		c.w.err("ERR unknown subcommand or wrong number of arguments for '" + string(cString(args[1], 128)) + "'. Try SLOWLOG HELP.")
		return
	}
	entries := s.slowlog.newest(int(min(n, 1<<31)))
	c.w.array(len(entries))
	for _, e := range entries {
		c.w.array(6)
		c.w.int(e.id)
		c.w.int(e.at)
		c.w.int(e.duration)
		c.w.array(len(e.args))
		for _, a := range e.args {
			c.w.bulkString(a)
		}
		c.w.bulkString(e.addr)
		c.w.bulkString(e.name)
	}
}

var latencyHelp = [...]string{
	"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
	"HELP",
	"    Prints this help.",
}

func (s *Server) latencyHelp(c *client, args [][]byte) { writeHelp(c, latencyHelp[:]) }

// latencyLatest serves LATENCY LATEST: for each event, [name, unix time
// of its latest sample, that sample's and the worst latency in ms].
func (s *Server) latencyLatest(c *client, args [][]byte) {
	m := &s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	names := sortedEvents(m.events)
	c.w.array(len(names))
	for _, name := range names {
		ts := m.events[name]
		last := ts.samples[len(ts.samples)-1]
		c.w.array(4)
		c.w.bulkString(name)
		c.w.int(last.at)
		c.w.int(last.latency)
		c.w.int(ts.max)
	}
}

func sortedEvents(events map[string]*latencySeries) []string {
	names := make([]string, 0, len(events))
	for name, ts := range events {
		if len(ts.samples) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// latencyHistory serves LATENCY HISTORY event: [unix time, ms] samples,
// oldest first.
func (s *Server) latencyHistory(c *client, args [][]byte) {
	m := &s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[string(args[2])]
	if ts == nil {
		c.w.array(0)
		return
	}
	c.w.array(len(ts.samples))
	for _, smp := range ts.samples {
		c.w.array(2)
		c.w.int(smp.at)
		c.w.int(smp.latency)
	}
}

// latencyReset serves LATENCY RESET [event ...] and answers how many
// events it reset.
func (s *Server) latencyReset(c *client, args [][]byte) {
	m := &s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if len(args) == 2 {
		n = len(m.events)
		m.events = nil
	}
	for _, a := range args[2:] {
		if _, ok := m.events[string(a)]; ok {
			delete(m.events, string(a))
			n++
		}
	}
	c.w.int(int64(n))
}

// latencyDoctor serves LATENCY DOCTOR with Redis's report, in short: the
// events seen and their worst latencies.
func (s *Server) latencyDoctor(c *client, args [][]byte) {
	m := &s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	var text string
	switch names := sortedEvents(m.events); {
	case len(names) == 0 && s.latency.threshold.Load() == 0:
		text = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
			"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
			"If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	case len(names) == 0:
		text = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. " +
			"I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
	default:
		var b strings.Builder
		b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		for i, name := range names {
			ts := m.events[name]
			var sum int64
			for _, smp := range ts.samples {
				sum += smp.latency
			}
			b.WriteString(strconv.Itoa(i+1) + ". " + name + ": " + strconv.Itoa(len(ts.samples)) +
				" latency spikes (average " + strconv.FormatInt(sum/int64(len(ts.samples)), 10) + "ms, mean deviation 0ms, period 0 sec). " +
				"Worst all time event " + strconv.FormatInt(ts.max, 10) + "ms.\n")
		}
		b.WriteString("\nI have a few advices for you:\n\n" +
			"- Check your Raft cluster's disks (raftcache_wal_fsync_duration_seconds) and network " +
			"(raftcache_raft_peer_round_trip_seconds): a command's latency includes its round trip through the log.\n")
		text = b.String()
	}
	c.w.verbatim(text)
}

// latencyHistogram serves LATENCY HISTOGRAM [command ...]: for each
// command called, its calls and the cumulative count of calls at or under
// each power-of-two bucket from 1µs, keyed as Redis keys them (the
// bucket's top in µs, as its HdrHistogram with two significant digits
// has it), listing only the buckets where the count grows.
func (s *Server) latencyHistogram(c *client, args [][]byte) {
	var specs []*cmdSpec
	if len(args) == 2 {
		specs = s.specList
	} else {
		for _, a := range args[2:] {
			sp := s.cmds.lookup(a)
			if name := lowerASCII(a); sp == nil && strings.Contains(name, "|") {
				top, sub, _ := strings.Cut(name, "|")
				if t := s.cmds.lookup([]byte(top)); t != nil {
					sp = t.subs[sub]
				}
			}
			if sp != nil && !slices.Contains(specs, sp) {
				specs = append(specs, sp)
			}
		}
	}
	type row struct {
		name   string
		calls  uint64
		bounds []int64
		counts []uint64
	}
	var rows []row
	for _, sp := range specs {
		h := sp.stats.latency.Load()
		if h == nil || h.Count() == 0 {
			continue
		}
		var bounds []time.Duration
		for d := time.Duration(1024); d <= 1<<40; d <<= 1 {
			bounds = append(bounds, d)
		}
		cum, total := h.Buckets(bounds)
		r := row{name: sp.name, calls: total}
		prev := uint64(0)
		for i, n := range cum {
			// Redis's HdrHistogram rounds each bucket up to the top of
			// its range (a 128th of it) before dividing into µs.
			if n > prev {
				top := int64(bounds[i]) + int64(bounds[i])/128 - 1
				r.bounds, r.counts = append(r.bounds, top/1000), append(r.counts, n)
			}
			prev = n
		}
		if prev < total {
			top := int64(bounds[len(bounds)-1]) * 2
			r.bounds, r.counts = append(r.bounds, top/1000), append(r.counts, total)
		}
		rows = append(rows, r)
	}
	c.w.mapHeader(len(rows))
	for _, r := range rows {
		c.w.bulkString(r.name)
		c.w.mapHeader(2)
		c.w.bulkString("calls")
		c.w.int(int64(r.calls))
		c.w.bulkString("histogram_usec")
		c.w.mapHeader(len(r.bounds))
		for i := range r.bounds {
			c.w.int(r.bounds[i])
			c.w.int(int64(r.counts[i]))
		}
	}
}

var memoryHelp = [...]string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

func (s *Server) memoryHelp(c *client, args [][]byte) { writeHelp(c, memoryHelp[:]) }

// memoryPurge serves MEMORY PURGE: a collection, then the heap's free
// pages back to the system, as jemalloc's purge of dirty pages.
func (s *Server) memoryPurge(c *client, args [][]byte) {
	debug.FreeOSMemory()
	c.w.status("OK")
}

// memoryMallocStats serves MEMORY MALLOC-STATS with the Go runtime's
// memory classes: Redis prints its allocator's own report.
func (s *Server) memoryMallocStats(c *client, args [][]byte) {
	m := readMemStats()
	var b strings.Builder
	b.WriteString("___ Begin Go runtime memory statistics ___\n")
	b.WriteString("Version: " + runtime.Version() + "\n")
	for _, f := range []struct {
		name string
		v    uint64
	}{
		{"heap objects (used_memory)", m.used},
		{"heap in use, free slots included", m.heapTotal},
		{"mapped from the system", m.goTotal},
		{"released to the system", m.released},
		{"resident (mapped, not released)", m.rss()},
	} {
		b.WriteString(f.name + ": " + strconv.FormatUint(f.v, 10) + "\n")
	}
	b.WriteString("--- End Go runtime memory statistics ---\n")
	c.w.verbatim(b.String())
}

// memoryDoctor serves MEMORY DOCTOR. Redis's detector looks at
// fragmentation and allocator overheads that a Go heap does not have in
// that form; what is left is its verdict on an almost empty instance.
func (s *Server) memoryDoctor(c *client, args [][]byte) {
	m := readMemStats()
	text := "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	if m.used-min(s.startMem, m.used) < 5<<20 {
		text = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
			"Please, leave for your mission on Earth and fill it with some data. " +
			"The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	}
	c.w.verbatim(text)
}

// memoryStats serves MEMORY STATS with Redis 7.0's fields, in its order,
// from the Go runtime's figures (see readMemStats).
func (s *Server) memoryStats(c *client, args [][]byte) {
	m := readMemStats()
	peak := s.notePeak(m.used)
	st := s.store.Stats()
	dataset := m.used - min(s.startMem, m.used)
	double := func(f float64) fsm.Reply {
		return fsm.Reply{Kind: fsm.KindDouble, Bytes: []byte(strconv.FormatFloat(float64(float32(f)), 'g', 17, 64))}
	}
	div := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	i := func(n uint64) fsm.Reply { return fsm.Int(int64(n)) }
	key := func(k string) fsm.Reply { return fsm.Bulk([]byte(k)) }
	r := []fsm.Reply{
		key("peak.allocated"), i(peak),
		key("total.allocated"), i(m.used),
		key("startup.allocated"), i(s.startMem),
		key("replication.backlog"), i(0),
		key("clients.slaves"), i(0),
		key("clients.normal"), i(0),
		key("cluster.links"), i(0),
		key("aof.buffer"), i(0),
		key("lua.caches"), i(0),
		key("functions.caches"), i(0),
	}
	for db, d := range st.DBs {
		if d.Keys == 0 && d.Expires == 0 {
			continue
		}
		r = append(r, key("db."+strconv.Itoa(db)), fsm.Reply{Kind: fsm.KindMap, Elems: []fsm.Reply{
			key("overhead.hashtable.main"), i(0),
			key("overhead.hashtable.expires"), i(0),
			key("overhead.hashtable.slot-to-keys"), i(0),
		}})
	}
	perKey := uint64(0)
	if st.Keys > 0 {
		perKey = dataset / uint64(st.Keys)
	}
	r = append(r,
		key("overhead.total"), i(s.startMem),
		key("keys.count"), i(uint64(st.Keys)),
		key("keys.bytes-per-key"), i(perKey),
		key("dataset.bytes"), i(dataset),
		key("dataset.percentage"), double(100*div(dataset, m.used-min(s.startMem, m.used)+s.startMem)),
		key("peak.percentage"), double(100*div(m.used, peak)),
		key("allocator.allocated"), i(m.used),
		key("allocator.active"), i(m.heapTotal),
		key("allocator.resident"), i(m.rss()),
		key("allocator-fragmentation.ratio"), double(div(m.heapTotal, m.used)),
		key("allocator-fragmentation.bytes"), i(m.heapTotal-m.used),
		key("allocator-rss.ratio"), double(div(m.rss(), m.heapTotal)),
		key("allocator-rss.bytes"), i(m.rss()-min(m.heapTotal, m.rss())),
		key("rss-overhead.ratio"), double(1),
		key("rss-overhead.bytes"), i(0),
		key("fragmentation"), double(div(m.rss(), m.used)),
		key("fragmentation.bytes"), i(m.rss()-min(m.used, m.rss())),
	)
	c.w.reply(fsm.Reply{Kind: fsm.KindMap, Elems: r})
}

// memoryUsage serves MEMORY USAGE key [SAMPLES count], with Redis's
// checks; the count is accepted and ignored, as every estimate here is
// exact for the structures counted (see fsm.Store.MemoryUsage). Like
// other reads it waits for the read barrier first.
func (s *Server) memoryUsage(c *client, args [][]byte) {
	for j := 3; j < len(args); j++ {
		if !fsm.EqualFold(args[j], "samples") || j+1 >= len(args) {
			c.w.err("ERR syntax error")
			return
		}
		n, ok := fsm.ParseInt(args[j+1])
		if !ok {
			c.w.err("ERR value is not an integer or out of range")
			return
		}
		if n < 0 {
			c.w.err("ERR syntax error")
			return
		}
		j++
	}
	if !c.readonly.Load() {
		ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
		defer cancel()
		if err := s.cluster.LinearizableRead(ctx); err != nil {
			c.w.err(readFailure(err, s.cfg.Timeout))
			return
		}
	}
	n, ok := s.store.MemoryUsage(int(c.db.Load()), args[2], s.cfg.Clock())
	if !ok {
		c.w.null()
		return
	}
	c.w.int(n)
}
