package resp

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcache/raftcache/admin/metrics"
)

// cmdStats are one command's counts since the server started (or since
// CONFIG RESETSTAT), for INFO commandstats and latencystats, LATENCY
// HISTOGRAM and /metrics. Recording a call is a few atomic adds: it runs
// for every command served.
type cmdStats struct {
	calls    atomic.Uint64
	failed   atomic.Uint64 // ran and answered an error
	rejected atomic.Uint64 // refused before running
	// latency is allocated at the command's first call: most of the
	// table's commands are never called, and a histogram is 2.5 KiB.
	latency atomic.Pointer[metrics.Histogram]
}

func (st *cmdStats) record(d time.Duration, failed bool) {
	st.calls.Add(1)
	if failed {
		st.failed.Add(1)
	}
	h := st.latency.Load()
	if h == nil {
		st.latency.CompareAndSwap(nil, new(metrics.Histogram))
		h = st.latency.Load()
	}
	h.Observe(d)
}

func (st *cmdStats) reset() {
	st.calls.Store(0)
	st.failed.Store(0)
	st.rejected.Store(0)
	if h := st.latency.Load(); h != nil {
		h.Reset()
	}
}

// maxErrorPrefixes bounds the error prefixes counted, as Redis's
// ERROR_STATS_NUMBER: a client cannot grow the table without bound with
// errors of its own making (a script's error_reply, say).
const maxErrorPrefixes = 128

// errorStats count the error replies, in all and by prefix (the first
// word: "ERR", "WRONGTYPE"), for INFO stats and errorstats.
type errorStats struct {
	total    atomic.Int64
	mu       sync.Mutex
	byPrefix map[string]*atomic.Uint64
}

// count counts one error reply whose text (after '-') is text.
func (e *errorStats) count(text []byte) {
	if e == nil {
		return
	}
	e.total.Add(1)
	prefix := text
	for i, ch := range text {
		if ch == ' ' {
			prefix = text[:i]
			break
		}
	}
	e.mu.Lock()
	n := e.byPrefix[string(prefix)]
	if n == nil && len(e.byPrefix) < maxErrorPrefixes {
		if e.byPrefix == nil {
			e.byPrefix = make(map[string]*atomic.Uint64)
		}
		n = new(atomic.Uint64)
		e.byPrefix[string(prefix)] = n
	}
	e.mu.Unlock()
	if n != nil {
		n.Add(1)
	}
}

// each calls f with each prefix's count, in name order.
func (e *errorStats) each(f func(prefix string, n uint64)) {
	e.mu.Lock()
	names := make([]string, 0, len(e.byPrefix))
	for p := range e.byPrefix {
		names = append(names, p)
	}
	counts := make([]*atomic.Uint64, len(names))
	slices.Sort(names)
	for i, p := range names {
		counts[i] = e.byPrefix[p]
	}
	e.mu.Unlock()
	for i, p := range names {
		f(p, counts[i].Load())
	}
}

func (e *errorStats) reset() {
	e.total.Store(0)
	e.mu.Lock()
	e.byPrefix = nil
	e.mu.Unlock()
}

// allSpecs returns every command and subcommand, in name order.
func (t *commandTable) allSpecs() []*cmdSpec {
	var out []*cmdSpec
	for _, sp := range t.specs {
		out = append(out, sp)
		for _, sub := range sp.subs {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b *cmdSpec) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	return out
}

// EachCommand calls f with the counts of every command called (or
// rejected) at least once, for package metrics.
func (s *Server) EachCommand(f func(metrics.CommandStats)) {
	for _, sp := range s.specList {
		calls, rejected := sp.stats.calls.Load(), sp.stats.rejected.Load()
		if calls == 0 && rejected == 0 {
			continue
		}
		f(metrics.CommandStats{Name: sp.name, Calls: calls, Failed: sp.stats.failed.Load(),
			Rejected: rejected, Latency: sp.stats.latency.Load()})
	}
}

// EachError calls f with the error replies of each prefix, for package
// metrics.
func (s *Server) EachError(f func(prefix string, count uint64)) { s.errs.each(f) }

// Connections returns the connections open now and accepted since start.
func (s *Server) Connections() (open, accepted int64) {
	s.mu.Lock()
	open = int64(len(s.conns))
	s.mu.Unlock()
	return open, s.stats.connections.Load()
}
