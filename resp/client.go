package resp

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// client is the server's state for one connection. Its reader goroutine
// (serveConn) serves the connection's requests one pipeline at a time, so
// the fields above ctl belong to it and need no lock; CLIENT LIST reads
// other connections, so what it shows is under mu or atomic. Other
// goroutines write to the connection only through out (push, pushWith, a
// parked request's reply).
type client struct {
	id      int64
	nc      net.Conn
	addr    string // remote, as host:port
	laddr   string // local, as host:port
	fd      int
	created time.Time
	// ctx ends with the connection, or when Shutdown gives up waiting.
	ctx    context.Context
	cancel context.CancelFunc

	rd         *reader
	out        *output
	endErr     error           // why the connection ended, for the log
	w          writer          // the current pipeline's replies
	cmd        []byte          // AppendBinary output, reused
	items      []item          // serveData's commands, reused
	specs      []*cmdSpec      // their specs, from dataRun, reused
	writes     []cluster.Write // a batch of writes, reused
	wbuf       []byte          // the batch's AppendBinary output, reused
	multi      *txn            // non-nil between MULTI and EXEC/DISCARD
	watches    []fsm.Watch     // WATCHed keys, copied
	lastWrite  uint64          // log index of the connection's last write, for WAIT
	inExec     bool            // running EXEC's queued commands
	closeAfter bool            // QUIT: close once the reply is written
	parked     *parked         // the request parked, if any; written under ctl too
	subs       clientSubs      // pub/sub subscriptions (see pubsub.go)
	trk        clientTracking  // client-side caching (see tracking.go)

	// ctl orders the reader's use of the read deadline with the
	// goroutines that interrupt its Read (a parked request's reply,
	// Shutdown).
	ctl  sync.Mutex
	stop bool // Shutdown: read no new requests

	authed      atomic.Bool             // AUTH succeeded, or no password was needed
	user        atomic.Pointer[string]  // the ACL user; nil: default
	readonly    atomic.Bool             // READONLY: reads skip the ReadIndex barrier
	lastCmd     atomic.Pointer[cmdSpec] // nil: unknown command ("NULL")
	lastActive  atomic.Int64            // unix seconds of the last request
	blocked     atomic.Bool             // a request is parked (WAIT)
	multiQueued atomic.Int64            // commands queued, or -1 outside MULTI
	db          atomic.Int64            // SELECTed database; written only by the connection
	slowDropped atomic.Bool             // closed for passing its output bound (pubsub.go)
	monitoring  atomic.Bool             // sent MONITOR (monitor.go)

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	resp    int // 2 or 3, as shown by CLIENT LIST
}

func newClient(id int64, nc net.Conn, authed bool, base context.Context, l *limits, errs *errorStats) *client {
	ctx, cancel := context.WithCancel(base)
	c := &client{
		id:      id,
		nc:      nc,
		addr:    nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		fd:      connFD(nc),
		created: time.Now(),
		ctx:     ctx,
		cancel:  cancel,
		rd:      newReader(nc, l),
		out:     newOutput(nc, &l.netOut),
		resp:    2,
	}
	c.authed.Store(authed)
	c.w.errs = errs
	c.lastActive.Store(c.created.Unix())
	c.multiQueued.Store(-1)
	return c
}

// push queues msg, a complete RESP value, to be written to the client
// after everything queued before it. Any goroutine may call it. While the
// connection is serving a pipeline, msg follows that pipeline's replies.
// It reports false, queuing nothing, once the connection is ending.
func (c *client) push(msg []byte) bool {
	return c.out.add(func(b []byte) []byte { return append(b, msg...) })
}

// pushWith is push with the value written by fn, in the protocol the
// client chose (w.resp3). fn runs under the connection's output lock: it
// must only write to w, quickly.
func (c *client) pushWith(fn func(w *writer)) bool {
	return c.out.add(func(b []byte) []byte {
		w := writer{buf: b, resp3: c.out.resp3.Load(), errs: c.w.errs}
		fn(&w)
		return w.buf
	})
}

// pushForEntry is pushWith for a push caused by the log entry at index (a
// message, an invalidation): see output.addForEntry.
func (c *client) pushForEntry(index uint64, fn func(w *writer)) bool {
	return c.out.addForEntry(index, false, false, func(b []byte) []byte {
		w := writer{buf: b, resp3: c.out.resp3.Load(), errs: c.w.errs}
		fn(&w)
		return w.buf
	})
}

// park parks the request being served, for a handler that answers it
// later (a blocked client, in Redis's terms). The handler returns without
// writing a reply; the replies to the requests before it are committed
// first, so the late reply follows them; and the connection serves none of
// its later requests until p.reply has been called. Meanwhile it still
// reads the socket: when the client disconnects, p.Context() is cancelled
// and the reply, if any, is dropped. Shutdown cancels p.Context() too,
// and then waits (until its own deadline) for the owner to reply.
//
// Only the handler running on the connection's reader may park, at most
// one request at a time, and never inside EXEC (Redis runs a blocking
// command in a transaction as if it timed out at once).
func (c *client) park() *parked {
	if c.inExec || c.parked != nil {
		panic("resp: park inside EXEC or while a request is parked")
	}
	c.out.commit(&c.w.buf)
	ctx, cancel := context.WithCancelCause(c.ctx)
	p := &parked{c: c, ctx: ctx, cancel: cancel, answered: make(chan struct{})}
	c.ctl.Lock()
	c.parked = p
	if c.stop {
		cancel(ErrServerClosed)
	}
	c.ctl.Unlock()
	c.blocked.Store(true)
	return p
}

// unpark forgets p once its wait is over.
func (c *client) unpark(p *parked) {
	c.ctl.Lock()
	c.parked = nil
	c.ctl.Unlock()
	p.cancel(context.Canceled) // the wait is over
	c.blocked.Store(false)
}

// interrupt makes the reader's Read return, to notice a parked request's
// reply.
func (c *client) interrupt() {
	c.ctl.Lock()
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	c.ctl.Unlock()
}

// resume clears the deadline interrupt or shutdown set, unless the server
// is shutting down: then it reports false.
func (c *client) resume() bool {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	if c.stop {
		return false
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	return true
}

// shutdown tells the connection to read no new requests, waking its reader
// and cancelling the request parked, if any.
func (c *client) shutdown() {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	c.stop = true
	if c.parked != nil {
		c.parked.cancel(ErrServerClosed)
	}
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
}

func (c *client) stopping() bool {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	return c.stop
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
	c.out.resp3.Store(v == 3)
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
	if cap(c.items) > maxKeptCommands {
		c.items, c.writes = nil, nil
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
	if c.monitoring.Load() {
		flags += "O"
	}
	if c.subs.active() {
		flags += "P"
	}
	if queued >= 0 {
		flags += "x"
	}
	if c.blocked.Load() {
		flags += "b"
	}
	flags += c.trackingListFlags()
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
	field("db", i(c.db.Load()))
	field("sub", i(c.subs.count[subChannel].Load()))
	field("psub", i(c.subs.count[subPattern].Load()))
	field("ssub", i(c.subs.count[subShard].Load()))
	field("multi", i(queued))
	for _, k := range []string{"qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem"} {
		field(k, "0")
	}
	field("events", "r")
	field("cmd", cmd)
	field("user", c.userName())
	field("redir", i(c.listRedir()))
	field("resp", strconv.Itoa(resp))
	field("lib-name", libName)
	field("lib-ver", libVer)
	b.WriteByte('\n')
	return b.String()
}
