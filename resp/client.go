package resp

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
	"github.com/tidwall/redcon"
)

// client is the server's state for one connection. redcon calls the
// handler for one connection's requests one at a time, so the fields above
// mu belong to that sequence of calls and need no lock; CLIENT LIST reads
// other connections, so what it shows is under mu or atomic.
type client struct {
	id      int64
	guard   *guardConn
	addr    string // remote, as host:port
	laddr   string // local, as host:port
	fd      int
	created time.Time

	w          writer
	cmd        []byte           // AppendBinary output, reused
	pipe       []redcon.Command // the pipeline being served, reused
	items      []item           // serveData's commands, reused
	writes     []cluster.Write  // a batch of writes, reused
	wbuf       []byte           // the batch's AppendBinary output, reused
	multi      *txn             // non-nil between MULTI and EXEC/DISCARD
	watches    []fsm.Watch      // WATCHed keys, copied
	lastWrite  uint64           // log index of the connection's last write, for WAIT
	inExec     bool             // running EXEC's queued commands
	closeAfter bool             // QUIT: close once the reply is written

	authed      atomic.Bool             // AUTH succeeded, or no password was needed
	readonly    atomic.Bool             // READONLY: reads skip the ReadIndex barrier
	lastCmd     atomic.Pointer[cmdSpec] // nil: unknown command ("NULL")
	lastActive  atomic.Int64            // unix seconds of the last request
	blocked     atomic.Bool             // in WAIT
	multiQueued atomic.Int64            // commands queued, or -1 outside MULTI

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	resp    int // 2 or 3, as shown by CLIENT LIST
}

func newClient(id int64, g *guardConn, authed bool, errors *atomic.Int64) *client {
	c := &client{
		id:      id,
		guard:   g,
		addr:    g.RemoteAddr().String(),
		laddr:   g.LocalAddr().String(),
		fd:      connFD(g.Conn),
		created: time.Now(),
		resp:    2,
	}
	c.authed.Store(authed)
	c.w.errors = errors
	c.lastActive.Store(c.created.Unix())
	c.multiQueued.Store(-1)
	return c
}

// connFD returns the socket's file descriptor, as CLIENT LIST shows it, or
// -1 when the connection has none.
func connFD(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = raw.Control(func(u uintptr) { fd = int(u) })
	return fd
}

func (c *client) setProto(v int) {
	c.w.resp3 = v == 3
	c.mu.Lock()
	c.resp = v
	c.mu.Unlock()
}

func (c *client) setName(name string) {
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
}

func (c *client) getName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// trim drops per-connection buffers that grew large, so that one huge value
// does not pin its memory for the connection's life.
func (c *client) trim() {
	if cap(c.cmd) > maxKeptBuffer {
		c.cmd = nil
	}
	if cap(c.wbuf) > maxKeptBuffer {
		c.wbuf = nil
	}
	if cap(c.pipe) > maxKeptCommands {
		c.pipe, c.items, c.writes = nil, nil, nil
	}
	if cap(c.w.buf) > maxKeptBuffer {
		c.w.buf = nil
	}
}

// maxKeptBuffer bounds the per-connection buffers kept between commands,
// maxKeptCommands the per-command slices kept between pipelines.
const (
	maxKeptBuffer   = 64 * 1024
	maxKeptCommands = 1024
)

// info formats the connection as one line of CLIENT LIST, in Redis 7.2's
// field order. Fields about Redis's own buffers, which raftcache does not
// have, are 0.
func (c *client) info(now time.Time) string {
	c.mu.Lock()
	name, libName, libVer, resp := c.name, c.libName, c.libVer, c.resp
	c.mu.Unlock()
	queued := c.multiQueued.Load()
	flags := ""
	if queued >= 0 {
		flags += "x"
	}
	if c.blocked.Load() {
		flags += "b"
	}
	if c.readonly.Load() {
		flags += "r"
	}
	if flags == "" {
		flags = "N"
	}
	cmd := "NULL"
	if s := c.lastCmd.Load(); s != nil {
		cmd = s.name
	}
	var b strings.Builder
	b.Grow(256)
	field := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	field("id", i(c.id))
	field("addr", c.addr)
	field("laddr", c.laddr)
	field("fd", strconv.Itoa(c.fd))
	field("name", name)
	field("age", i(int64(now.Sub(c.created)/time.Second)))
	field("idle", i(max(0, now.Unix()-c.lastActive.Load())))
	field("flags", flags)
	field("db", "0")
	field("sub", "0")
	field("psub", "0")
	field("ssub", "0")
	field("multi", i(queued))
	for _, k := range []string{"qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem"} {
		field(k, "0")
	}
	field("events", "r")
	field("cmd", cmd)
	field("user", "default")
	field("redir", "-1")
	field("resp", strconv.Itoa(resp))
	field("lib-name", libName)
	field("lib-ver", libVer)
	b.WriteByte('\n')
	return b.String()
}
