package resp

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// called counts one call of sp that ran from start to end, failed or not,
// and logs it to the slow log (and the latency monitor) when it was slow.
// Only a slow command costs more than a few atomic adds.
func (s *Server) called(c *client, sp *cmdSpec, args [][]byte, start, end time.Time, failed bool) {
	d := end.Sub(start)
	sp.stats.record(d, failed)
	s.feedMonitors(c, sp, args)
	if us := s.slowlog.slowerThan.Load(); us >= 0 && d.Microseconds() >= us {
		s.slowlog.add(c, args, start, d)
	}
	if ms := s.latency.threshold.Load(); ms > 0 && d.Milliseconds() >= ms {
		s.latency.add("command", end, d)
	}
}

// Redis's limits on what a slow log entry keeps of a command.
const (
	slowlogMaxArgs   = 32
	slowlogMaxArgLen = 128
)

// slowlog is this node's SLOWLOG: the most recent commands that took at
// least slowlog-log-slower-than microseconds (node-local, as in Redis).
type slowlog struct {
	slowerThan atomic.Int64 // microseconds; negative: off
	maxLen     atomic.Int64

	mu     sync.Mutex
	nextID int64
	// entries[first:] are the log, oldest first: an add appends and
	// trims from the front, both O(1) (amortized), where keeping the
	// newest first would move the whole log on every add, and a node
	// whose writes all wait longer than the threshold under load adds
	// one per command.
	entries []slowEntry
	first   int
}

type slowEntry struct {
	id       int64
	at       int64 // unix seconds
	duration int64 // microseconds
	args     []string
	addr     string
	name     string
}

func (l *slowlog) add(c *client, args [][]byte, start time.Time, d time.Duration) {
	n := min(len(args), slowlogMaxArgs)
	kept := make([]string, n)
	for i := range n {
		a := args[i]
		switch {
		case i == slowlogMaxArgs-1 && len(args) > slowlogMaxArgs:
			kept[i] = "... (" + strconv.Itoa(len(args)-slowlogMaxArgs+1) + " more arguments)"
		case len(a) > slowlogMaxArgLen:
			kept[i] = string(a[:slowlogMaxArgLen]) + "... (" + strconv.Itoa(len(a)-slowlogMaxArgLen) + " more bytes)"
		default:
			kept[i] = string(a)
		}
	}
	e := slowEntry{at: start.Unix(), duration: d.Microseconds(), args: kept, addr: c.addr, name: c.getName()}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	l.trimLocked()
}

// trimLocked drops the oldest entries beyond slowlog-max-len. As in Redis,
// it runs when an entry is added: lowering the limit trims the log at the
// next slow command, not at once.
func (l *slowlog) trimLocked() {
	max := int(l.maxLen.Load())
	if over := len(l.entries) - l.first - max; over > 0 {
		clear(l.entries[l.first : l.first+over])
		l.first += over
	}
	// Reclaim the dropped front once it is most of the slice.
	if l.first > 64 && l.first > len(l.entries)/2 {
		n := copy(l.entries, l.entries[l.first:])
		clear(l.entries[n:])
		l.entries, l.first = l.entries[:n], 0
	}
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries) - l.first
}

func (l *slowlog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.first = nil, 0
}

// newest returns up to n entries, newest first; n < 0: all.
func (l *slowlog) newest(n int) []slowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	log := l.entries[l.first:]
	if n < 0 || n > len(log) {
		n = len(log)
	}
	out := make([]slowEntry, n)
	for i := range out {
		out[i] = log[len(log)-1-i]
	}
	return out
}
