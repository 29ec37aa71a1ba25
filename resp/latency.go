package resp

import (
	"sync"
	"sync/atomic"
	"time"
)

// latencyHistoryLen is how many samples an event keeps, as Redis's
// LATENCY_TS_LEN.
const latencyHistoryLen = 160

// latencyMonitor is this node's LATENCY monitor: for each event, the
// samples at or above latency-monitor-threshold milliseconds (0: off, the
// default, as in Redis), at most one a second (the worst).
type latencyMonitor struct {
	threshold atomic.Int64 // milliseconds

	mu     sync.Mutex
	events map[string]*latencySeries
}

type latencySeries struct {
	samples []latencySample // oldest first, at most latencyHistoryLen
	max     int64           // milliseconds, the worst ever seen
}

type latencySample struct {
	at      int64 // unix seconds
	latency int64 // milliseconds
}

func (m *latencyMonitor) add(event string, at time.Time, d time.Duration) {
	ms, sec := d.Milliseconds(), at.Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string]*latencySeries)
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	if n := len(ts.samples); n > 0 && ts.samples[n-1].at == sec {
		ts.samples[n-1].latency = max(ts.samples[n-1].latency, ms)
		return
	}
	if len(ts.samples) == latencyHistoryLen {
		copy(ts.samples, ts.samples[1:])
		ts.samples = ts.samples[:latencyHistoryLen-1]
	}
	ts.samples = append(ts.samples, latencySample{at: sec, latency: ms})
}
