package main

import (
	"fmt"
	etcdversion "go.etcd.io/etcd/api/v3/version"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The servers of a run, by the name the report uses.
const (
	srvRedis    = "redis"       // redis-server, no persistence
	srvRedisAOF = "redis-aof"   // redis-server, appendonly yes, appendfsync always
	srvSingle   = "raftcache"   // a raftcache single node
	srvCluster  = "raftcache-3" // a raftcache 3-node cluster, load sent to a follower
	// The replicated peers (issue 14), driven by the bench's own clients.
	srvRedisRepl = "redis-repl" // redis-server primary and two replicas, SET + WAIT 1 0
	srvEtcd      = "etcd-3"     // three embedded etcd members
)

// allServers are the throughput phase's servers in the order they run.
var allServers = []string{srvRedis, srvRedisAOF, srvSingle, srvCluster, srvRedisRepl, srvEtcd}

// peers are the replicated peers, the columns of the ratio table beside
// redis-server's two.
var peers = []string{srvRedisRepl, srvEtcd}

var serverNotes = []struct{ name, note string }{
	{srvRedis, "redis-server, no persistence (save \"\", appendonly no)"},
	{srvRedisAOF, "redis-server, appendonly yes, appendfsync always"},
	{srvSingle, "raftcache single node (durable: one fsync per raft Ready)"},
	{srvCluster, "raftcache 3-node cluster, load sent to a follower (writes forwarded, linearizable reads)"},
	{srvRedisRepl, "redis-server primary + 2 replicas, all appendfsync always; load on the primary; each SET followed by WAIT 1 0 (bench's Go client)"},
	{srvEtcd, "etcd " + etcdversion.Version + " 3 members (embedded, child processes); load on the leader: Put, linearizable Get (bench's Go client, " + strconv.Itoa(etcdPerConn) + " workers a connection; P=n: n requests at once)"},
}

// uhahaNote is issue 14's figures of tidwall/uhaha's kvdb, which the bench
// does not run: a reference, not a ratio of this run.
const uhahaNote = "uhaha kvdb, 3 nodes (not run here; issue 14, 2026-12-03, same machine class, redis-benchmark c=50): SET 19.7k/s on its leader, SET P=16 76.7k/s, GET 61.1k/s (leader, not linearizable)"

// runKey names one redis-benchmark run.
type runKey struct {
	Server   string
	Test     string // SET or GET
	Pipeline int
}

func (k runKey) String() string { return fmt.Sprintf("%s %s P=%d", k.Server, k.Test, k.Pipeline) }

// results is everything a run measured. A nil pointer or a missing key is
// a figure that was not measured (its phase was skipped or failed).
type results struct {
	Runs map[runKey]Row
	// CPU is, per run, the user+sys CPU time of all the run's server
	// processes (every node or member, not the clients) per request.
	CPU      map[runKey]time.Duration
	Order    []runKey // the runs in the order they were made
	Memory   *memoryResult
	Restart  *restartResult
	Snapshot *snapshotResult
	Elements []*elementsResult // in the order measured
	// Issue 14's scaling table (scaling.go, install.go, failover.go).
	Scaling  []scalingCell // in the order measured
	Install  *installResult
	Failover []*failoverResult
}

func newResults() *results { return &results{Runs: map[runKey]Row{}, CPU: map[runKey]time.Duration{}} }

func (r *results) add(k runKey, row Row) {
	if _, ok := r.Runs[k]; !ok {
		r.Order = append(r.Order, k)
	}
	r.Runs[k] = row
}

type memoryResult struct {
	Keys                     int
	RedisRSS, RaftcacheRSS   int64 // after loading Keys keys
	RedisBase, RaftcacheBase int64 // RSS of the empty process, for reference
}

func (m *memoryResult) perKey(rss int64) float64 { return float64(rss) / float64(m.Keys) }

type restartResult struct {
	Keys             int
	Redis, Raftcache time.Duration
	// RaftcacheSnapshot and RaftcacheWAL describe what the restart loaded:
	// the snapshot's index and the entries replayed after it.
	RaftcacheSnapshot, RaftcacheWALEntries uint64
}

type snapshotResult struct {
	Keys            int
	Without, During Row    // SET runs without and with a snapshot in the window
	Proof           string // how the log shows the snapshot fell in the window
}

// elementsResult is the memory of one collection of Elements elements in
// redis-server and in a raftcache node.
type elementsResult struct {
	Type             string // list, set or zset
	Elements         int
	Redis, Raftcache elementsMemory
}

// elementsMemory is one server's memory with the collection loaded and
// without it (the fresh process).
type elementsMemory struct {
	Base, Loaded memorySample
	Encoding     string // OBJECT ENCODING of the loaded key
	// LogEntries is, for raftcache, the log entries applied after its last
	// snapshot when memory was read (the node keeps them in memory; the
	// bench brings it to a snapshot first, see compactLog).
	LogEntries uint64
}

// perElement is the growth of RSS (rss) or used_memory over the empty
// process, per element.
func (r *elementsResult) perElement(m elementsMemory, rss bool) float64 {
	if rss {
		return float64(m.Loaded.RSS-m.Base.RSS) / float64(r.Elements)
	}
	return float64(m.Loaded.Used-m.Base.Used) / float64(r.Elements)
}

// verdict is one line of the targets table.
type verdict struct {
	What, Goal, Measured string
	Status               string // met, MISSED, or "not measured"
}

const (
	statusMet    = "met"
	statusMissed = "MISSED"
	statusNone   = "not measured"
)

// ratioTarget is a throughput target: Num's ops/s over Den's, at least Min.
type ratioTarget struct {
	What     string
	Num, Den runKey
	Min      float64
}

var ratioTargets = []ratioTarget{
	{"single node, durable SET, c=50", runKey{srvSingle, "SET", 1}, runKey{srvRedisAOF, "SET", 1}, 1.0},
	{"single node, GET, c=50", runKey{srvSingle, "GET", 1}, runKey{srvRedis, "GET", 1}, 1.0},
	{"single node, SET, c=50, P=16", runKey{srvSingle, "SET", 16}, runKey{srvRedis, "SET", 16}, 0.5},
	{"single node, GET, c=50, P=16", runKey{srvSingle, "GET", 16}, runKey{srvRedis, "GET", 16}, 1.0},
	{"3-node cluster, SET via a follower, c=50", runKey{srvCluster, "SET", 1}, runKey{srvRedisAOF, "SET", 1}, 0.5},
	{"3-node cluster, linearizable GET via a follower, c=50", runKey{srvCluster, "GET", 1}, runKey{srvRedis, "GET", 1}, 0.5},
}

// Targets that are not throughput ratios.
const (
	maxMemoryRatio   = 1.2
	maxSnapshotRatio = 2.0
	maxRestart       = 2 * time.Second
)

func status(ok bool) string {
	if ok {
		return statusMet
	}
	return statusMissed
}

// evaluate checks every target of issue 5 against r.
func evaluate(r *results) []verdict {
	var out []verdict
	for _, t := range ratioTargets {
		v := verdict{What: t.What, Goal: fmt.Sprintf(">= %.1fx %s %s P=%d", t.Min, t.Den.Server, t.Den.Test, t.Den.Pipeline), Status: statusNone}
		num, okN := r.Runs[t.Num]
		den, okD := r.Runs[t.Den]
		if okN && okD && den.RPS > 0 {
			ratio := num.RPS / den.RPS
			v.Measured = fmt.Sprintf("%.2fx (%s vs %s ops/s)", ratio, thousands(num.RPS), thousands(den.RPS))
			v.Status = status(ratio >= t.Min)
		}
		out = append(out, v)
	}

	out = append(out, peerVerdicts(r)...)
	out = append(out, collectionVerdicts(r)...)

	v := verdict{What: "memory per key (RSS)", Goal: fmt.Sprintf("<= %.1fx redis", maxMemoryRatio), Status: statusNone}
	if m := r.Memory; m != nil && m.Keys > 0 && m.RedisRSS > 0 {
		ratio := float64(m.RaftcacheRSS) / float64(m.RedisRSS)
		v.Measured = fmt.Sprintf("%.2fx (%.0f vs %.0f B/key)", ratio, m.perKey(m.RaftcacheRSS), m.perKey(m.RedisRSS))
		v.Status = status(ratio <= maxMemoryRatio)
	}
	out = append(out, v)

	v = verdict{What: "write p99 during a snapshot", Goal: fmt.Sprintf("<= %.0fx p99 without", maxSnapshotRatio), Status: statusNone}
	if s := r.Snapshot; s != nil && s.Without.P99Ms > 0 {
		ratio := s.During.P99Ms / s.Without.P99Ms
		v.What = fmt.Sprintf("write p99 during a %s-key snapshot", shortCount(s.Keys))
		v.Measured = fmt.Sprintf("%.2fx (%s vs %s ms)", ratio, ms(s.During.P99Ms), ms(s.Without.P99Ms))
		v.Status = status(ratio <= maxSnapshotRatio)
	}
	out = append(out, v)

	v = verdict{What: "restart", Goal: "<= " + maxRestart.String(), Status: statusNone}
	if s := r.Restart; s != nil {
		v.What = fmt.Sprintf("restart with %s keys", shortCount(s.Keys))
		v.Measured = fmt.Sprintf("%s (redis-server RDB: %s)", seconds(s.Raftcache), seconds(s.Redis))
		v.Status = status(s.Raftcache <= maxRestart)
	}
	out = append(out, v)

	for _, e := range r.Elements {
		v := verdict{What: fmt.Sprintf("memory per element, %s-element %s (RSS growth)", shortCount(e.Elements), e.Type),
			Goal: fmt.Sprintf("<= %.1fx redis", maxMemoryRatio), Status: statusNone}
		red, raft := e.perElement(e.Redis, true), e.perElement(e.Raftcache, true)
		if red > 0 {
			v.Measured = fmt.Sprintf("%.2fx (%.1f vs %.1f B/elem)", raft/red, raft, red)
			v.Status = status(raft/red <= maxMemoryRatio)
		}
		out = append(out, v)
	}
	return out
}

// peerTarget is an issue 14 target: a raftcache-3 run (via a follower)
// over the best replicated peer's run of the same test and depth (on its
// leader), at least Min; Uhaha is that figure of uhaha's from the issue.
type peerTarget struct {
	What  string
	Num   runKey
	Min   float64
	Uhaha float64
}

var peerTargets = []peerTarget{
	{"3-node cluster, SET via a follower, c=50", runKey{srvCluster, "SET", 1}, 1.5, 19_700},
	{"3-node cluster, SET via a follower, c=50, P=16", runKey{srvCluster, "SET", 16}, 2.0, 76_700},
	{"3-node cluster, linearizable GET via a follower, c=50", runKey{srvCluster, "GET", 1}, 1.0, 61_100},
}

// bestPeer returns the replicated peer with the most ops/s in test at
// pipeline, if any ran.
func bestPeer(r *results, test string, pipeline int) (string, Row, bool) {
	var (
		name string
		best Row
	)
	for _, p := range peers {
		if row, ok := r.Runs[runKey{p, test, pipeline}]; ok && row.RPS > best.RPS {
			name, best = p, row
		}
	}
	return name, best, name != ""
}

// peerVerdicts holds raftcache-3 to the best peer of this run, and to
// uhaha's figure from the issue (recorded elsewhere, so a line of its own).
func peerVerdicts(r *results) []verdict {
	var out []verdict
	for _, t := range peerTargets {
		num, okN := r.Runs[t.Num]
		v := verdict{What: t.What + " (vs peers)", Goal: fmt.Sprintf(">= %.1fx the best peer's %s P=%d", t.Min, t.Num.Test, t.Num.Pipeline), Status: statusNone}
		if name, den, ok := bestPeer(r, t.Num.Test, t.Num.Pipeline); ok && okN && den.RPS > 0 {
			ratio := num.RPS / den.RPS
			v.Goal = fmt.Sprintf(">= %.1fx %s %s P=%d (best peer)", t.Min, name, t.Num.Test, t.Num.Pipeline)
			v.Measured = fmt.Sprintf("%.2fx (%s vs %s ops/s)", ratio, thousands(num.RPS), thousands(den.RPS))
			v.Status = status(ratio >= t.Min)
		}
		out = append(out, v)
		u := verdict{What: t.What + " (vs uhaha)", Goal: fmt.Sprintf(">= %.1fx uhaha's recorded %s/s (%s/s)", t.Min, thousands(t.Uhaha), thousands(t.Min*t.Uhaha)), Status: statusNone}
		if okN {
			u.Measured = fmt.Sprintf("%.2fx (%s ops/s)", num.RPS/t.Uhaha, thousands(num.RPS))
			u.Status = status(num.RPS >= t.Min*t.Uhaha)
		}
		out = append(out, u)
	}
	v := verdict{What: "CPU per acknowledged replicated SET, c=50 (all nodes, user+sys)", Goal: "<= the best peer's", Status: statusNone}
	k := runKey{srvCluster, "SET", 1}
	if cpu, ok := r.CPU[k]; ok {
		if name, _, ok := bestPeer(r, "SET", 1); ok {
			peer := r.CPU[runKey{name, "SET", 1}]
			v.Goal = fmt.Sprintf("<= %s's", name)
			v.Measured = fmt.Sprintf("%s vs %s", micros(cpu), micros(peer))
			v.Status = status(cpu <= peer)
		}
	}
	return append(out, v)
}

func micros(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + " us"
}

// collectionServers are the raftcache servers whose collection throughput
// is held to their own SET/GET ratios, with the words the targets use.
var collectionServers = []struct{ name, what string }{
	{srvSingle, "single node"},
	{srvCluster, "3-node cluster via a follower"},
}

// collectionVerdicts holds each collection test's ratio to redis-server
// to the same server's SET (writes) or GET (reads) ratio at the same depth
// in the same run (issue 10). Only tests that ran get a line.
func collectionVerdicts(r *results) []verdict {
	var out []verdict
	for _, srv := range collectionServers {
		for _, p := range benchPipelines {
			for _, t := range benchTests {
				if t.Ref == "" {
					continue
				}
				num, ok := r.Runs[runKey{srv.name, t.Name, p}]
				if !ok {
					continue
				}
				v := verdict{What: fmt.Sprintf("%s, %s, c=50, P=%d", srv.what, t.Name, p),
					Goal: fmt.Sprintf(">= %s %s P=%d's x redis", srv.name, t.Ref, p), Status: statusNone}
				den, okD := r.Runs[runKey{srvRedis, t.Name, p}]
				refNum, okRN := r.Runs[runKey{srv.name, t.Ref, p}]
				refDen, okRD := r.Runs[runKey{srvRedis, t.Ref, p}]
				if okD && den.RPS > 0 {
					ratio := num.RPS / den.RPS
					v.Measured = fmt.Sprintf("%.2fx (%s vs %s ops/s)", ratio, thousands(num.RPS), thousands(den.RPS))
					if okRN && okRD && refDen.RPS > 0 {
						ref := refNum.RPS / refDen.RPS
						v.Goal = fmt.Sprintf(">= %.2fx (%s's)", ref, t.Ref)
						v.Status = status(ratio >= ref)
					}
				}
				out = append(out, v)
			}
		}
	}
	return out
}

// ratioCell is a/b for the throughput table, "-" when b is missing.
func ratioCell(a, b Row, okB bool) string {
	if !okB || b.RPS <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a.RPS/b.RPS)
}

// writeReport prints the throughput table, the other measurements and the
// targets.
func writeReport(w io.Writer, r *results) {
	if len(r.Order) > 0 {
		fmt.Fprintln(w, "throughput (redis-benchmark, peers the bench's client; x S = ops/s over server S's for the same test and P; CPU = all the run's server processes, user+sys, per request)")
		refs := append([]string{srvRedis, srvRedisAOF}, peers...)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "server     \ttest\tP\tops/s\tp50 ms\tp99 ms\tCPU us/op\t")
		for _, ref := range refs {
			fmt.Fprintf(tw, "x %s\t", ref)
		}
		fmt.Fprintln(tw)
		for _, k := range r.Order {
			row := r.Runs[k]
			cpu := "-"
			if d, ok := r.CPU[k]; ok {
				cpu = strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64)
			}
			fmt.Fprintf(tw, "%-11s\t%s\t%d\t%s\t%s\t%s\t%s\t", k.Server, k.Test, k.Pipeline,
				thousands(row.RPS), ms(row.P50Ms), ms(row.P99Ms), cpu)
			for _, ref := range refs {
				cell := "-"
				if k.Server != ref {
					den, ok := r.Runs[runKey{ref, k.Test, k.Pipeline}]
					cell = ratioCell(row, den, ok)
				}
				fmt.Fprintf(tw, "%s\t", cell)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
		for _, s := range serverNotes {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, s.note)
		}
		fmt.Fprintf(w, "  %s\n", uhahaNote)
		fmt.Fprintln(w)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "memory with %s keys (RSS / keys; and over the empty process's RSS)\n", thousands(float64(m.Keys)))
		fmt.Fprintf(w, "  redis-server  %s MiB  %.0f B/key  (empty: %s MiB; %.0f B/key over it)\n",
			mib(m.RedisRSS), m.perKey(m.RedisRSS), mib(m.RedisBase), m.perKey(m.RedisRSS-m.RedisBase))
		fmt.Fprintf(w, "  raftcache     %s MiB  %.0f B/key  (empty: %s MiB; %.0f B/key over it)\n\n",
			mib(m.RaftcacheRSS), m.perKey(m.RaftcacheRSS), mib(m.RaftcacheBase), m.perKey(m.RaftcacheRSS-m.RaftcacheBase))
	}
	if s := r.Restart; s != nil {
		fmt.Fprintf(w, "restart with %s keys (process start until PING answers and DBSIZE shows every key)\n", thousands(float64(s.Keys)))
		fmt.Fprintf(w, "  redis-server loading its RDB  %s\n", seconds(s.Redis))
		fmt.Fprintf(w, "  raftcache from its state dir  %s  (snapshot at index %d, then %d WAL entries)\n\n", seconds(s.Raftcache), s.RaftcacheSnapshot, s.RaftcacheWALEntries)
	}
	if s := r.Snapshot; s != nil {
		fmt.Fprintf(w, "raftcache SET, 50 clients one request each, %s keys: without a snapshot, and the writes in flight during one\n", thousands(float64(s.Keys)))
		fmt.Fprintf(w, "  without  %s ops/s  p50 %s ms  p99 %s ms  max %s ms\n", thousands(s.Without.RPS), ms(s.Without.P50Ms), ms(s.Without.P99Ms), ms(s.Without.MaxMs))
		fmt.Fprintf(w, "  during   %s ops/s  p50 %s ms  p99 %s ms  max %s ms\n", thousands(s.During.RPS), ms(s.During.P50Ms), ms(s.During.P99Ms), ms(s.During.MaxMs))
		fmt.Fprintf(w, "  %s\n\n", s.Proof)
	}
	if len(r.Elements) > 0 {
		writeElements(w, r.Elements)
	}
	if len(r.Order) == 0 && r.Memory == nil && r.Restart == nil && r.Snapshot == nil && len(r.Elements) == 0 {
		return // no phase with a target ran (a scaling run): a table of "not measured"
	}
	fmt.Fprintln(w, "targets (issues 5, 10 and 14)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "what\tgoal\tmeasured\tstatus")
	for _, v := range evaluate(r) {
		if len(r.Order) == 0 && v.Status == statusNone {
			continue // no throughput phase ran: its lines say nothing
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.What, v.Goal, v.Measured, v.Status)
	}
	tw.Flush()
}

// writeElements prints the elements phase: per collection, each server's
// growth over its empty process, in RSS and in used_memory.
func writeElements(w io.Writer, es []*elementsResult) {
	fmt.Fprintln(w, "memory per element, one key holding a collection of ~10-byte elements (growth over the empty process)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\telements\tserver      \tencoding  \tRSS MiB\tB/elem\tused_memory MiB\tB/elem\t")
	for _, e := range es {
		for _, m := range []struct {
			name string
			mem  elementsMemory
		}{{"redis-server", e.Redis}, {"raftcache", e.Raftcache}} {
			fmt.Fprintf(tw, "%-4s\t%s\t%-12s\t%-10s\t%s\t%.1f\t%s\t%.1f\t\n", e.Type, thousands(float64(e.Elements)), m.name, m.mem.Encoding,
				mib(m.mem.Loaded.RSS-m.mem.Base.RSS), e.perElement(m.mem, true), mib(m.mem.Loaded.Used-m.mem.Base.Used), e.perElement(m.mem, false))
		}
		rss, used := "-", "-"
		if red := e.perElement(e.Redis, true); red > 0 {
			rss = fmt.Sprintf("%.2fx", e.perElement(e.Raftcache, true)/red)
		}
		if red := e.perElement(e.Redis, false); red > 0 {
			used = fmt.Sprintf("%.2fx", e.perElement(e.Raftcache, false)/red)
		}
		fmt.Fprintf(tw, "%-4s\t\t%-12s\t\t\t%s\t\t%s\t\n", e.Type, "x redis", rss, used)
	}
	tw.Flush()
	for _, e := range es {
		fmt.Fprintf(w, "  %s: raftcache measured %d log entries past a snapshot taken right after the load; empty RSS redis-server %s MiB, raftcache %s MiB\n",
			e.Type, e.Raftcache.LogEntries, mib(e.Redis.Base.RSS), mib(e.Raftcache.Base.RSS))
	}
	fmt.Fprintln(w)
}

// thousands formats n rounded, with thousands separated by commas.
func thousands(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// shortCount is 1000000 as "1M" and 50000 as "50k".
func shortCount(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

func ms(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func mib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s" }
