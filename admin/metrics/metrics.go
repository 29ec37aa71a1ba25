package metrics

import (
	"net/http"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

const namespace = "raftcache"

// Registry holds one node's metrics.
type Registry struct {
	reg  *prometheus.Registry
	raft *Raft
	http *HTTP
}

// New returns a registry with the Go runtime's and the process's metrics,
// and the Raft and HTTP metrics that Raft and HTTP feed.
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r := &Registry{reg: reg, raft: newRaft(), http: newHTTP()}
	reg.MustRegister(r.raft, r.http)
	return r
}

// Handler serves the metrics in Prometheus's text format (or OpenMetrics,
// when the scraper asks for it).
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Gatherer is the registry as Prometheus's client library sees it, for
// tests and for embedding.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Raft is the cluster.Observer to give the node (cluster.Config.Observer).
func (r *Registry) Raft() *Raft { return r.raft }

// HTTP measures the admin API's requests.
func (r *Registry) HTTP() *HTTP { return r.http }

// NodeSource is what the registry reads from the Raft node when scraped.
type NodeSource interface {
	Status() cluster.Status
}

// WatchNode exports node's gauges: term, indexes, leader, snapshots.
func (r *Registry) WatchNode(node NodeSource) { r.reg.MustRegister(nodeCollector{node}) }

// CacheSource is what the registry reads from the store when scraped.
type CacheSource interface {
	Stats() fsm.Stats
	EvictedKeys() int64 // keys eviction entries removed on this node (INFO's evicted_keys)
}

// WatchCache exports the cache's keys and counters, and the heap memory in
// use.
func (r *Registry) WatchCache(store CacheSource) { r.reg.MustRegister(cacheCollector{store}) }

// CommandStats are one RESP command's counts.
type CommandStats struct {
	Name     string // Redis's lower-case name: "get", "client|list"
	Calls    uint64
	Failed   uint64 // ran and answered an error
	Rejected uint64 // refused before running (arity, NOAUTH, ...)
	Latency  *Histogram
}

// CommandSource is the RESP server as the registry reads it when scraped.
type CommandSource interface {
	// EachCommand calls f with every command called at least once.
	EachCommand(f func(CommandStats))
	// EachError calls f with the count of error replies of each prefix
	// ("ERR", "WRONGTYPE"), as INFO errorstats.
	EachError(f func(prefix string, count uint64))
	// Connections returns the connections open now and accepted so far.
	Connections() (open, accepted int64)
}

// WatchRESP exports the RESP front door's commands and connections.
func (r *Registry) WatchRESP(src CommandSource) { r.reg.MustRegister(respCollector{src}) }

// latencyBounds are the bucket bounds exported for per-command latency:
// powers of four from about 1µs to about 4s. They are powers of two
// nanoseconds so that they fall on Histogram bucket edges.
var latencyBounds = func() []time.Duration {
	var b []time.Duration
	for d := time.Duration(1 << 10); d <= 1<<32; d <<= 2 {
		b = append(b, d)
	}
	return b
}()

// constHistogram turns h into a Prometheus histogram in seconds.
func constHistogram(desc *prometheus.Desc, h *Histogram, labels ...string) prometheus.Metric {
	cum, total := h.Buckets(latencyBounds)
	buckets := make(map[float64]uint64, len(cum))
	for i, b := range latencyBounds {
		buckets[b.Seconds()] = cum[i]
	}
	return prometheus.MustNewConstHistogram(desc, total, h.Sum().Seconds(), buckets, labels...)
}

// Raft counts the node's events; see cluster.Observer.
type Raft struct {
	leaderChanges prometheus.Counter
	committed     prometheus.Counter
	failed        prometheus.Counter
	fsync         prometheus.Histogram
	snapshot      prometheus.Histogram
	sendFailures  *prometheus.CounterVec
	rtt           *prometheus.HistogramVec

	mu    sync.Mutex
	peers map[uint64]peerMetrics // label lookups done once per peer
}

type peerMetrics struct {
	sendFailures prometheus.Counter
	rtt          prometheus.Observer
}

var _ cluster.Observer = (*Raft)(nil)

func newRaft() *Raft {
	// Disk and network latencies: from 100µs to about 6.5s.
	durations := prometheus.ExponentialBuckets(0.0001, 2, 17)
	return &Raft{
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "raft", Name: "leader_changes_total",
			Help: "Times this node learned of a new leader."}),
		committed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "raft", Name: "proposals_committed_total",
			Help: "Commands this node proposed that were committed and applied."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "raft", Name: "proposals_failed_total",
			Help: "Commands this node proposed that failed or whose outcome is unknown."}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "wal", Name: "fsync_duration_seconds",
			Help: "Time to write one Ready's entries and HardState to the WAL and fsync them.", Buckets: durations}),
		snapshot: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "raft", Name: "snapshot_duration_seconds",
			Help: "Time to write a snapshot and compact the log behind it; the count is the snapshots written.", Buckets: durations}),
		sendFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "raft", Name: "peer_send_failures_total",
			Help: "Times messages to a peer were dropped or its stream broke."}, []string{"peer"}),
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "raft", Name: "peer_round_trip_seconds",
			Help: "Round trip of the leader's heartbeats to each peer.", Buckets: durations}, []string{"peer"}),
		peers: make(map[uint64]peerMetrics),
	}
}

func (r *Raft) peer(id uint64) peerMetrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.peers[id]
	if !ok {
		label := cluster.FormatID(id)
		p = peerMetrics{sendFailures: r.sendFailures.WithLabelValues(label), rtt: r.rtt.WithLabelValues(label)}
		r.peers[id] = p
	}
	return p
}

func (r *Raft) LeaderChanged(uint64) { r.leaderChanges.Inc() }

func (r *Raft) ProposalsDone(committed, failed int) {
	r.committed.Add(float64(committed))
	if failed > 0 {
		r.failed.Add(float64(failed))
	}
}

func (r *Raft) WALSynced(d time.Duration)               { r.fsync.Observe(d.Seconds()) }
func (r *Raft) SnapshotSaved(_ uint64, d time.Duration) { r.snapshot.Observe(d.Seconds()) }
func (r *Raft) PeerSendFailed(peer uint64)              { r.peer(peer).sendFailures.Inc() }
func (r *Raft) PeerRoundTrip(peer uint64, d time.Duration) {
	r.peer(peer).rtt.Observe(d.Seconds())
}

func (r *Raft) Describe(ch chan<- *prometheus.Desc) {
	r.leaderChanges.Describe(ch)
	r.committed.Describe(ch)
	r.failed.Describe(ch)
	r.fsync.Describe(ch)
	r.snapshot.Describe(ch)
	r.sendFailures.Describe(ch)
	r.rtt.Describe(ch)
}

func (r *Raft) Collect(ch chan<- prometheus.Metric) {
	r.leaderChanges.Collect(ch)
	r.committed.Collect(ch)
	r.failed.Collect(ch)
	r.fsync.Collect(ch)
	r.snapshot.Collect(ch)
	r.sendFailures.Collect(ch)
	r.rtt.Collect(ch)
}

func desc(subsystem, name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, labels, nil)
}

var (
	termDesc       = desc("raft", "term", "Current raft term.")
	isLeaderDesc   = desc("raft", "is_leader", "1 if this node is the leader.")
	hasLeaderDesc  = desc("raft", "has_leader", "1 if this node knows a leader.")
	commitDesc     = desc("raft", "commit_index", "Highest log index this node knows is committed.")
	appliedDesc    = desc("raft", "applied_index", "Highest log index applied to this node's state machine.")
	lagDesc        = desc("raft", "apply_lag", "Committed entries this node has not applied yet.")
	membersDesc    = desc("raft", "members", "Members of the cluster.")
	snapIndexDesc  = desc("raft", "snapshot_index", "Log index of this node's newest durable snapshot.")
	snapshotsDesc  = desc("raft", "snapshots_total", "Snapshots this node wrote since it started.")
	keysDesc       = desc("cache", "keys", "Keys in a database, expired but not yet removed included.", "db")
	expiresDesc    = desc("cache", "keys_with_expiry", "Keys in a database that carry a deadline.", "db")
	hitsDesc       = desc("cache", "hits_total", "Reads served by this node that found their key.")
	missesDesc     = desc("cache", "misses_total", "Reads served by this node that did not find their key.")
	expiredDesc    = desc("cache", "expired_keys_total", "Keys this node removed because their deadline passed.")
	evictedDesc    = desc("cache", "evicted_keys_total", "Keys this node removed for maxmemory, as INFO's evicted_keys: every node applies the same evictions.")
	memoryDesc     = desc("cache", "memory_used_bytes", "Live heap objects: what Redis's used_memory counts.")
	cmdCallsDesc   = desc("resp", "commands_total", "Commands served, by command.", "cmd")
	cmdLatencyDesc = desc("resp", "command_duration_seconds", "Time from reading a command to writing its reply, by command.", "cmd")
	cmdErrorsDesc  = desc("resp", "command_errors_total", "Commands answered with an error, by command and whether they ran (failed) or were refused (rejected).", "cmd", "kind")
	errorsDesc     = desc("resp", "errors_total", "Error replies, by their first word, as INFO errorstats.", "prefix")
	connsDesc      = desc("resp", "connections", "RESP connections open.")
	connsTotalDesc = desc("resp", "connections_total", "RESP connections accepted.")
)

type nodeCollector struct{ node NodeSource }

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, termDesc, isLeaderDesc, hasLeaderDesc, commitDesc, appliedDesc, lagDesc, membersDesc, snapIndexDesc, snapshotsDesc)
}

// describe sends descs. A collector whose series come and go (a command's
// appear once it is first called) must describe every desc it may ever
// send: the registry refuses metrics whose desc it was not told of.
func describe(ch chan<- *prometheus.Desc, descs ...*prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.node.Status()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	gauge(termDesc, float64(st.Term))
	gauge(isLeaderDesc, bit(st.Leader != 0 && st.Leader == st.ID))
	gauge(hasLeaderDesc, bit(st.Leader != 0))
	gauge(commitDesc, float64(st.Commit))
	gauge(appliedDesc, float64(st.Applied))
	gauge(lagDesc, float64(st.Commit-min(st.Applied, st.Commit)))
	gauge(membersDesc, float64(st.Members))
	gauge(snapIndexDesc, float64(st.SnapshotIndex))
	ch <- prometheus.MustNewConstMetric(snapshotsDesc, prometheus.CounterValue, float64(st.Snapshots))
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

type cacheCollector struct{ store CacheSource }

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, keysDesc, expiresDesc, hitsDesc, missesDesc, expiredDesc, evictedDesc, memoryDesc)
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.Stats()
	for db, s := range st.DBs {
		// Every database, empty ones too: a series that vanishes when
		// its database empties reads as "no data", not as zero.
		label := strconv.Itoa(db)
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.Keys), label)
		ch <- prometheus.MustNewConstMetric(expiresDesc, prometheus.GaugeValue, float64(s.Expires), label)
	}
	ch <- prometheus.MustNewConstMetric(hitsDesc, prometheus.CounterValue, float64(st.KeyspaceHits))
	ch <- prometheus.MustNewConstMetric(missesDesc, prometheus.CounterValue, float64(st.KeyspaceMisses))
	ch <- prometheus.MustNewConstMetric(expiredDesc, prometheus.CounterValue, float64(st.ExpiredKeys))
	ch <- prometheus.MustNewConstMetric(evictedDesc, prometheus.CounterValue, float64(c.store.EvictedKeys()))
	ch <- prometheus.MustNewConstMetric(memoryDesc, prometheus.GaugeValue, float64(HeapObjectBytes()))
}

// HeapObjectBytes returns the bytes of live heap objects, read through
// runtime/metrics, which does not stop the world.
func HeapObjectBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

type respCollector struct{ src CommandSource }

func (c respCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, cmdCallsDesc, cmdLatencyDesc, cmdErrorsDesc, errorsDesc, connsDesc, connsTotalDesc)
}

func (c respCollector) Collect(ch chan<- prometheus.Metric) {
	c.src.EachCommand(func(s CommandStats) {
		ch <- prometheus.MustNewConstMetric(cmdCallsDesc, prometheus.CounterValue, float64(s.Calls), s.Name)
		ch <- prometheus.MustNewConstMetric(cmdErrorsDesc, prometheus.CounterValue, float64(s.Failed), s.Name, "failed")
		ch <- prometheus.MustNewConstMetric(cmdErrorsDesc, prometheus.CounterValue, float64(s.Rejected), s.Name, "rejected")
		if s.Latency != nil {
			ch <- constHistogram(cmdLatencyDesc, s.Latency, s.Name)
		}
	})
	c.src.EachError(func(prefix string, n uint64) {
		ch <- prometheus.MustNewConstMetric(errorsDesc, prometheus.CounterValue, float64(n), prefix)
	})
	open, accepted := c.src.Connections()
	ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(open))
	ch <- prometheus.MustNewConstMetric(connsTotalDesc, prometheus.CounterValue, float64(accepted))
}

// HTTP measures the admin API's requests, by route.
type HTTP struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTP() *HTTP {
	return &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "Admin API requests, by route, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help: "Admin API request latency, by route and method.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"route", "method"}),
	}
}

// Observe counts one request: route is its pattern ("/{key}"), not its
// path, so that keys do not become series.
func (h *HTTP) Observe(route, method string, code int, d time.Duration) {
	h.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	h.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

func (h *HTTP) Describe(ch chan<- *prometheus.Desc) {
	h.requests.Describe(ch)
	h.latency.Describe(ch)
}

func (h *HTTP) Collect(ch chan<- prometheus.Metric) {
	h.requests.Collect(ch)
	h.latency.Collect(ch)
}
