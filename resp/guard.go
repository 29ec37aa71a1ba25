package resp

import (
	"errors"
	"io"
	"math"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/raftcache/raftcache/fsm"
)

// Redis 7 protocol limits (server.h, config.c), used as defaults.
const (
	inlineMaxSize      = 64 * 1024          // PROTO_INLINE_MAX_SIZE
	defaultMaxBulkLen  = 512 * 1024 * 1024  // proto-max-bulk-len
	defaultMaxQueryBuf = 1024 * 1024 * 1024 // client-query-buffer-limit
	// Before a client has authenticated (when a password is set), Redis
	// refuses requests bigger than these, so that an unauthenticated
	// client cannot make it allocate much.
	unauthMaxArgs    = 10
	unauthMaxBulkLen = 16384
	guardInitialBuf  = 16 * 1024
	guardMaxBuf      = 2 * inlineMaxSize // a header line plus one read must fit
	// argOverhead is what one argument costs beyond its bytes once parsed
	// (redcon keeps two offsets and a slice header per argument). It is
	// counted against the query buffer limit, so that a request of
	// millions of empty arguments is bounded by memory, not just by its
	// size on the wire.
	argOverhead = 48
)

// limits are the server's request limits, shared by every connection and
// changed at run time by CONFIG SET.
type limits struct {
	maxBulk  atomic.Int64 // proto-max-bulk-len
	maxQuery atomic.Int64 // client-query-buffer-limit
	netIn    atomic.Int64 // bytes read from clients, for INFO
	netOut   atomic.Int64 // bytes written to clients, for INFO
}

// errQueryBufferLimit ends a connection whose single command outgrows
// Config.MaxQueryBuffer; Redis closes such clients without a reply too.
var errQueryBufferLimit = errors.New("resp: client query buffer limit reached")

// errProtocol ends a connection after its protocol error was written.
var errProtocol = errors.New("resp: protocol error")

type guardState uint8

const (
	stCommand    guardState = iota // at the start of a request
	stBulkHeader                   // expecting "$<len>\r\n"
	stPayload                      // inside a bulk's payload or its terminator
)

// guardConn sits between the socket and redcon's reader. redcon's parser
// differs from Redis's (it buffers bulks of any size, so one client can
// exhaust memory; it has no inline size limit; it rejects "*0\r\n", which
// Redis ignores; its inline quoting differs from sdssplitargs), so guardConn
// parses the request stream with Redis's own rules and limits and hands
// redcon only canonical multibulk requests. A protocol error is written with
// Redis's text once redcon has answered every request before it, as Redis
// does, and then the connection ends.
type guardConn struct {
	net.Conn
	limits   *limits
	draining *atomic.Bool // set by Server.Shutdown: read no new requests
	// authRequired, set once the connection is accepted, reports whether
	// the client must still authenticate. While it must, requests are
	// held to Redis's unauthenticated limits and handed to redcon one at
	// a time, so that an AUTH takes effect for the request after it.
	authRequired func() bool

	in   []byte // raw bytes from the socket; in[r:w] not yet parsed
	r, w int
	out  []byte // canonical bytes for redcon; out[o:] not yet handed over
	o    int

	st       guardState
	argsLeft int   // bulks still to come in the current multibulk
	bulkLeft int64 // payload bytes still to come in the current bulk
	termLeft int   // terminator bytes of the current bulk still to skip
	cmdBytes int64 // size of the current request, for maxQuery
	cmdStart int   // where the current request starts in out

	perr   string // protocol error to write once redcon drains out
	err    error  // terminal read error, returned once out is drained
	inline [][]byte
}

func newGuardConn(c net.Conn, l *limits, draining *atomic.Bool) *guardConn {
	return &guardConn{
		Conn:         c,
		limits:       l,
		draining:     draining,
		authRequired: func() bool { return false },
		in:           make([]byte, guardInitialBuf),
	}
}

// Write counts the bytes written, for INFO.
func (g *guardConn) Write(p []byte) (int, error) {
	n, err := g.Conn.Write(p)
	g.limits.netOut.Add(int64(n))
	return n, err
}

// Read hands redcon canonical request bytes.
func (g *guardConn) Read(p []byte) (int, error) {
	for {
		if g.draining.Load() {
			return 0, io.EOF
		}
		if g.o < len(g.out) {
			n := copy(p, g.out[g.o:])
			g.o += n
			if g.o == len(g.out) {
				g.out, g.o = g.out[:0], 0
			}
			return n, nil
		}
		if g.perr != "" {
			// Every request before the error has been answered and
			// flushed: redcon reads again only after flushing.
			_ = g.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = g.Conn.Write([]byte("-ERR Protocol error: " + g.perr + "\r\n"))
			return 0, errProtocol
		}
		if g.parse() {
			continue
		}
		if g.err != nil {
			return 0, g.err
		}
		if g.st == stPayload && g.bulkLeft > 0 && g.r == g.w {
			// Large values go from the socket straight into redcon's
			// buffer instead of through ours.
			n := int(min(int64(len(p)), g.bulkLeft))
			n, err := g.Conn.Read(p[:n])
			g.limits.netIn.Add(int64(n))
			g.bulkLeft -= int64(n)
			if err := g.count(int64(n)); err != nil {
				return 0, err
			}
			if err != nil {
				g.err = g.readErr(err)
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		g.fill()
	}
}

// readErr turns the timeout Shutdown provokes into an orderly end.
func (g *guardConn) readErr(err error) error {
	if g.draining.Load() {
		return io.EOF
	}
	return err
}

// fill reads more raw bytes from the socket, making room first.
func (g *guardConn) fill() {
	if g.r == g.w {
		g.r, g.w = 0, 0
	} else if g.w == len(g.in) {
		if g.r > 0 {
			g.w = copy(g.in, g.in[g.r:g.w])
			g.r = 0
		} else if len(g.in) < guardMaxBuf {
			nb := make([]byte, min(2*len(g.in), guardMaxBuf))
			copy(nb, g.in[:g.w])
			g.in = nb
		}
	}
	n, err := g.Conn.Read(g.in[g.w:])
	g.limits.netIn.Add(int64(n))
	g.w += n
	if err != nil {
		g.err = g.readErr(err)
	}
}

// count adds n bytes to the current request and enforces maxQuery.
func (g *guardConn) count(n int64) error {
	g.cmdBytes += n
	if g.cmdBytes > g.limits.maxQuery.Load() {
		// Requests before this one are still answered; this one
		// never reaches redcon.
		g.err = errQueryBufferLimit
		g.out = g.out[:max(g.cmdStart, g.o)]
		return g.err
	}
	return nil
}

// parse consumes buffered input. It reports whether it produced output for
// redcon or a protocol error; false means it needs more input.
func (g *guardConn) parse() bool {
loop:
	for g.r < g.w && g.perr == "" && g.err == nil {
		switch g.st {
		case stCommand:
			if g.o < len(g.out) && g.authRequired() {
				// Let redcon run this request (an AUTH, maybe) before
				// the next one is checked against the limits.
				break loop
			}
			if g.in[g.r] == '*' {
				if !g.multibulkHeader() {
					break loop
				}
			} else if !g.inlineRequest() {
				break loop
			}
		case stBulkHeader:
			if !g.bulkHeader() {
				break loop
			}
		case stPayload:
			g.payload()
		}
	}
	return g.perr != "" || g.o < len(g.out)
}

// line finds the '\r' ending the header line at in[r:]. Like Redis it needs
// one more byte after '\r' and skips it without looking at it.
func (g *guardConn) line(tooBig string) (end int, ok bool) {
	buf := g.in[g.r:g.w]
	for i, c := range buf {
		if c == '\r' {
			if i+1 >= len(buf) {
				return 0, false
			}
			return g.r + i, true
		}
	}
	if len(buf) > inlineMaxSize {
		g.perr = tooBig
	}
	return 0, false
}

func (g *guardConn) multibulkHeader() bool {
	end, ok := g.line("too big mbulk count string")
	if !ok {
		return false
	}
	n, ok := fsm.ParseInt(g.in[g.r+1 : end])
	if !ok || n > math.MaxInt32 {
		g.perr = "invalid multibulk length"
		return false
	}
	if n > unauthMaxArgs && g.authRequired() {
		g.perr = "unauthenticated multibulk length"
		return false
	}
	hdr := int64(end + 2 - g.r)
	g.r = end + 2
	if n <= 0 {
		return true // Redis ignores empty and null multibulks
	}
	g.cmdBytes, g.cmdStart = 0, len(g.out)
	if g.count(hdr) != nil {
		return false
	}
	g.argsLeft = int(n)
	g.st = stBulkHeader
	g.out = appendHeader(g.out, '*', n)
	return true
}

func (g *guardConn) bulkHeader() bool {
	end, ok := g.line("too big bulk count string")
	if !ok {
		return false
	}
	if c := g.in[g.r]; c != '$' {
		g.perr = "expected '$', got '" + string(c) + "'"
		return false
	}
	n, ok := fsm.ParseInt(g.in[g.r+1 : end])
	if !ok || n < 0 || n > g.limits.maxBulk.Load() {
		g.perr = "invalid bulk length"
		return false
	}
	if n > unauthMaxBulkLen && g.authRequired() {
		g.perr = "unauthenticated bulk length"
		return false
	}
	if g.count(int64(end+2-g.r)+n+2+argOverhead) != nil {
		return false
	}
	g.r = end + 2
	g.out = appendHeader(g.out, '$', n)
	g.st, g.bulkLeft, g.termLeft = stPayload, n, 2
	return true
}

// payload copies a bulk's payload and swallows its terminator. Redis skips
// the two bytes after a payload unchecked, so guardConn does the same and
// always gives redcon (which checks them) a proper "\r\n".
func (g *guardConn) payload() {
	if g.bulkLeft > 0 {
		k := int(min(g.bulkLeft, int64(g.w-g.r)))
		g.out = append(g.out, g.in[g.r:g.r+k]...)
		g.r += k
		g.bulkLeft -= int64(k)
		if g.bulkLeft > 0 {
			return
		}
	}
	k := min(g.termLeft, g.w-g.r)
	g.r += k
	g.termLeft -= k
	if g.termLeft > 0 {
		return
	}
	g.out = append(g.out, '\r', '\n')
	g.argsLeft--
	if g.argsLeft > 0 {
		g.st = stBulkHeader
	} else {
		g.st = stCommand
	}
}

func (g *guardConn) inlineRequest() bool {
	buf := g.in[g.r:g.w]
	nl := -1
	for i, c := range buf {
		if c == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		if len(buf) > inlineMaxSize {
			g.perr = "too big inline request"
		}
		return false
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitArgs(g.inline[:0], line)
	g.inline = args[:0]
	if !ok {
		g.perr = "unbalanced quotes in request"
		return false
	}
	g.r += nl + 1
	if len(args) > 0 {
		g.out = appendHeader(g.out, '*', int64(len(args)))
		for _, a := range args {
			g.out = appendHeader(g.out, '$', int64(len(a)))
			g.out = append(g.out, a...)
			g.out = append(g.out, '\r', '\n')
		}
	}
	return true
}

func appendHeader(dst []byte, c byte, n int64) []byte {
	dst = append(dst, c)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// splitArgs splits an inline request as Redis's sdssplitargs does, appending
// the arguments to dst. ok is false for unbalanced quotes. A NUL byte ends
// the line, as it ends the C string sdssplitargs sees.
func splitArgs(dst [][]byte, line []byte) (args [][]byte, ok bool) {
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	p := 0
	for {
		for at(p) != 0 && isSpace(at(p)) {
			p++
		}
		if at(p) == 0 {
			return dst, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur = append(cur, hexVal(at(p+2))<<4|hexVal(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					switch e := at(p); e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return dst, false
					}
					done = true
				case c == 0:
					return dst, false
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return dst, false
					}
					done = true
				case c == 0:
					return dst, false
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if at(p) != 0 {
				p++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		dst = append(dst, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
