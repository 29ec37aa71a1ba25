package resp

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcache/raftcache/fsm"
)

// MONITOR streams the commands this node serves to the clients that sent
// it, one status line per command, in Redis 7.0's format:
//
//	+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
//
// As in Redis 7.0's call(), a command is fed once it has run (its reply,
// error or not, is written), with the client's database after it ran (so
// SELECT 3 shows as [3 ...]); a command refused before it ran (unknown,
// wrong arity, NOAUTH, NOPERM, OOM, a transaction's queued command before
// EXEC) is not, and neither are the commands flagged admin (CONFIG, ACL
// SETUSER, CLIENT LIST, SLOWLOG...). A transaction's commands are fed at
// EXEC, each in its place, then the EXEC. The secrets of AUTH and HELLO
// AUTH are "(redacted)", as redactClientCommandArgument does.
//
// Every node applies every write, but a node's monitors see only the
// commands its own clients send: MONITOR on a follower shows what that
// follower serves, not the writes it applies for other nodes.
//
// Redis shows the commands a script runs as [db lua] lines after its
// EVAL; here a write script runs inside Apply on every node, and its
// calls are not reported back to the front door, so only the EVAL line is
// shown.

// maxMonitorOutput bounds what may wait for a monitor's socket. Redis
// treats a monitor as a normal client (no output limit by default); here
// the feed runs on every other client's goroutine, and a monitor that
// stops reading must not grow this node's memory without bound, so it is
// disconnected as a slow subscriber is (see pushMessage).
const maxMonitorOutput = 32 << 20

// monitors is this node's MONITOR clients.
type monitors struct {
	n     atomic.Int32 // len(cs), read without the lock on every command
	limit int          // maxMonitorOutput; tests lower it
	mu    sync.Mutex
	cs    []*client
}

func (m *monitors) add(c *client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cs = append(m.cs, c)
	m.n.Store(int32(len(m.cs)))
}

// remove forgets c, if it is a monitor; a no-op otherwise.
func (m *monitors) remove(c *client) {
	if !c.monitoring.Load() {
		return
	}
	c.monitoring.Store(false)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, mc := range m.cs {
		if mc == c {
			m.cs = append(m.cs[:i], m.cs[i+1:]...)
			break
		}
	}
	m.n.Store(int32(len(m.cs)))
}

// monitor serves MONITOR. As Redis, a client already monitoring gets no
// reply at all, and one inside EXEC (which expects a reply per command)
// an error.
func (s *Server) monitor(c *client, args [][]byte) {
	if c.inExec {
		c.w.err("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.monitoring.Load() {
		return
	}
	c.monitoring.Store(true)
	s.monitors.add(c)
	c.w.status("OK")
}

// feedMonitors shows the command c has just run (sp, args) to every
// monitor, unless Redis hides it.
func (s *Server) feedMonitors(c *client, sp *cmdSpec, args [][]byte) {
	if s.monitors.n.Load() == 0 || sp.admin {
		return
	}
	line := monitorLine(time.Now(), int(c.db.Load()), c.addr, sp.name, args)
	m := &s.monitors
	m.mu.Lock()
	var slow []*client
	for _, mc := range m.cs {
		switch {
		case mc == c:
			// A monitor's own command: its line follows its reply at
			// once, before the rest of its pipeline's replies, as in
			// Redis.
			c.w.buf = append(c.w.buf, line...)
		case mc.out.pending() > m.limit:
			slow = append(slow, mc)
		default:
			mc.push(line)
		}
	}
	m.mu.Unlock()
	for _, mc := range slow {
		s.log.Warn("resp: disconnecting a monitor that does not read its output",
			"remote", mc.addr, "limit", m.limit)
		m.remove(mc)
		mc.dropSlow()
	}
}

// monitorLine formats one command as replicationFeedMonitors does: the
// time in seconds and microseconds, the database and client address, and
// each argument quoted as sdscatrepr quotes it.
func monitorLine(at time.Time, db int, addr, name string, args [][]byte) []byte {
	b := make([]byte, 0, 64+len(addr)+monitorArgsLen(args))
	b = append(b, '+')
	b = strconv.AppendInt(b, at.Unix(), 10)
	b = append(b, '.')
	us := at.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(us), 10)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, addr...)
	b = append(b, "] "...)
	redact := redactedArgs(name, args)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if redact(i) {
			a = redacted
		}
		b = appendRepr(b, a)
	}
	return append(b, "\r\n"...)
}

var redacted = []byte("(redacted)")

func monitorArgsLen(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a) + 3
	}
	return n
}

// redactedArgs returns which arguments of a command Redis 7.0 hides from
// monitors (redactClientCommandArgument): AUTH's, once its arity is known
// good, and each HELLO AUTH's username and password, up to the first
// option HELLO refuses.
func redactedArgs(name string, args [][]byte) func(i int) bool {
	switch name {
	case "auth":
		if len(args) > 3 {
			return func(int) bool { return false } // a syntax error, shown whole
		}
		return func(i int) bool { return i > 0 }
	case "hello":
		hide := map[int]bool{}
		next := 1
		if len(args) >= 2 {
			v, ok := fsm.ParseInt(args[1])
			if !ok || v < 2 || v > 3 {
				return func(int) bool { return false }
			}
			next = 2
		}
		for j := next; j < len(args); j++ {
			more := len(args) - 1 - j
			switch {
			case fsm.EqualFold(args[j], "auth") && more >= 2:
				hide[j+1], hide[j+2] = true, true
				j += 2
			case fsm.EqualFold(args[j], "setname") && more >= 1:
				j++
			default:
				return func(i int) bool { return hide[i] }
			}
		}
		return func(i int) bool { return hide[i] }
	}
	return func(int) bool { return false }
}

// appendRepr appends a quoted as Redis's sdscatrepr does: printable ASCII
// as is, backslash and double quote escaped, \n \r \t \a \b, and any
// other byte as \xhh.
func appendRepr(b, a []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range a {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch <= 0x7e {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&0xf])
			}
		}
	}
	return append(b, '"')
}
