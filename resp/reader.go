package resp

import (
	"errors"
	"math"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/raftcache/raftcache/fsm"
	"github.com/tidwall/redcon"
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
	// bigArg is Redis's PROTO_MBULK_BIG_ARG: a bulk at least this long
	// that is not already buffered is read into its own buffer, straight
	// from the socket, instead of through the connection's input buffer.
	bigArg = 32 * 1024
	// bigChunk caps a big bulk's first allocation, so that a header
	// announcing 512 MiB costs memory only as the bytes arrive.
	bigChunk = 1 << 20
	// readBufSize is the input buffer's size, and what it shrinks back to
	// after a large request.
	readBufSize = 16 * 1024
	// argOverhead is what one argument costs beyond its bytes once parsed
	// (a slice header in the batch and a reference while it is parsed).
	// It is counted against the query buffer limit, so that a request of
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

type parseState uint8

const (
	stCommand    parseState = iota // at the start of a request
	stBulkHeader                   // expecting "$<len>\r\n"
	stPayload                      // a bulk's payload and terminator, to be buffered whole in in
	stBig                          // a big bulk's payload, read into big
	stTerm                         // the terminator after a big bulk
)

// argRef is one parsed argument of the request being read: in[off:end], or
// b when it has its own buffer. Offsets, not slices, so that the input
// buffer can be compacted under a request that is still arriving.
type argRef struct {
	off, end int
	b        []byte
}

// reader reads one connection's requests and parses each once, with the
// rules, limits and error texts of Redis's processMultibulkBuffer and
// processInlineBuffer. (redcon's own parser differs: it buffers bulks of any
// size, has no inline size limit, rejects "*0\r\n", which Redis ignores, and
// splits inline requests differently from sdssplitargs.)
//
// parse hands out every complete request buffered, a pipeline, as
// redcon.Commands whose arguments alias the input buffer: they are valid
// until release.
type reader struct {
	nc     net.Conn
	limits *limits
	// authRequired reports whether the client must still authenticate.
	// While it must, requests are handed out one at a time, so that an
	// AUTH takes effect for the request after it.
	authRequired func() bool
	// passwordRequired reports whether the client must still give a
	// password this node knows of: while it must, requests are held to
	// Redis's unauthenticated limits. (A node that cannot yet tell
	// refuses the request itself with CLUSTERDOWN; failing its parse
	// instead would close a connection Redis would serve.)
	passwordRequired func() bool

	in     []byte // in[r:w] is read but not parsed
	r, w   int
	pinned bool // handed-out requests alias in: grow it, never compact it

	st       parseState
	argsLeft int   // bulks still to come in the current multibulk
	bulkLen  int   // the current bulk's length
	termLeft int   // terminator bytes still to skip after a big bulk
	cmdBytes int64 // size of the current request, for maxQuery
	cur      []argRef
	big      []byte // stBig: the payload read so far

	cmds   []redcon.Command // the batch handed out by parse
	argv   [][]byte         // the batch's arguments
	inline [][]byte         // splitArgs' output, reused

	perr string // a protocol error: written once the batch is answered
	err  error  // the read side is done (EOF, error, query buffer limit)
}

func newReader(nc net.Conn, l *limits) *reader {
	return &reader{
		nc:               nc,
		limits:           l,
		authRequired:     func() bool { return false },
		passwordRequired: func() bool { return false },
		in:               make([]byte, readBufSize),
	}
}

// parse parses buffered input and returns the complete requests in it, in
// order. It stops early at a protocol error (perr) or a broken limit (err),
// returning the requests before it, and after one request while the client
// must authenticate. The requests stay valid until release.
func (rd *reader) parse() []redcon.Command {
	rd.cmds, rd.argv = rd.cmds[:0], rd.argv[:0]
	for rd.perr == "" && !errors.Is(rd.err, errQueryBufferLimit) {
		if rd.st == stCommand && len(rd.cmds) > 0 && rd.authRequired() {
			break
		}
		if rd.r == rd.w && rd.st != stBig {
			break
		}
		ok := false
		switch rd.st {
		case stCommand:
			if rd.in[rd.r] == '*' {
				ok = rd.multibulkHeader()
			} else {
				ok = rd.inlineRequest()
			}
		case stBulkHeader:
			ok = rd.bulkHeader()
		case stPayload:
			ok = rd.payload()
		case stBig:
			ok = rd.bigPayload()
		case stTerm:
			ok = rd.term()
		}
		if !ok {
			break
		}
	}
	if len(rd.cmds) > 0 {
		rd.pinned = true
	}
	return rd.cmds
}

// release ends the batch parse handed out: its arguments may be
// overwritten from now on.
func (rd *reader) release() {
	clear(rd.cmds) // they alias the input, and big arguments
	clear(rd.argv)
	rd.pinned = false
	if cap(rd.cmds) > maxKeptCommands {
		rd.cmds, rd.argv = nil, nil
	}
	if len(rd.in) > maxKeptBuffer && rd.r == rd.w && len(rd.cur) == 0 {
		rd.in, rd.r, rd.w = make([]byte, readBufSize), 0, 0
	}
}

// done appends the request whose arguments are rd.cur to the batch.
func (rd *reader) done() {
	start := len(rd.argv)
	for _, a := range rd.cur {
		if a.b != nil {
			rd.argv = append(rd.argv, a.b)
		} else {
			rd.argv = append(rd.argv, rd.in[a.off:a.end:a.end])
		}
	}
	rd.cmds = append(rd.cmds, redcon.Command{Args: rd.argv[start:len(rd.argv):len(rd.argv)]})
	clear(rd.cur)
	rd.cur = rd.cur[:0]
	rd.st = stCommand
}

// fill reads more input from the socket, making room first. An error is
// kept in rd.err, after the bytes read with it.
func (rd *reader) fill() {
	if rd.st == stBig && rd.r == rd.w {
		rd.fillBig()
		return
	}
	if rd.pinned {
		// Requests handed out point into in: keep every offset. A
		// client piling up requests behind a parked one is closed at
		// the query buffer limit, as Redis closes it.
		if rd.w == len(rd.in) {
			if int64(2*len(rd.in)) > rd.limits.maxQuery.Load() {
				rd.err = errQueryBufferLimit
				return
			}
			rd.grow()
		}
	} else {
		rd.compact()
	}
	n, err := rd.nc.Read(rd.in[rd.w:])
	rd.limits.netIn.Add(int64(n))
	rd.w += n
	if err != nil {
		rd.err = err
	}
}

// compact moves what is still needed to the front of the input buffer, and
// grows it when that leaves no room.
func (rd *reader) compact() {
	keep := rd.r
	for _, a := range rd.cur {
		if a.b == nil {
			keep = min(keep, a.off)
			break
		}
	}
	if keep == rd.w {
		rd.r, rd.w = 0, 0
	} else if rd.w == len(rd.in) && keep > 0 {
		rd.w = copy(rd.in, rd.in[keep:rd.w])
		rd.r -= keep
		for i := range rd.cur {
			if rd.cur[i].b == nil {
				rd.cur[i].off -= keep
				rd.cur[i].end -= keep
			}
		}
	}
	if rd.w == len(rd.in) {
		rd.grow()
	}
}

func (rd *reader) grow() {
	nb := make([]byte, 2*len(rd.in))
	copy(nb, rd.in[:rd.w])
	rd.in = nb
}

// fillBig reads a big bulk's payload straight into its own buffer.
func (rd *reader) fillBig() {
	if len(rd.big) == cap(rd.big) {
		nb := make([]byte, len(rd.big), min(2*cap(rd.big), rd.bulkLen))
		copy(nb, rd.big)
		rd.big = nb
	}
	n, err := rd.nc.Read(rd.big[len(rd.big):cap(rd.big)])
	rd.limits.netIn.Add(int64(n))
	rd.big = rd.big[:len(rd.big)+n]
	if err != nil {
		rd.err = err
	}
}

// count adds n bytes to the current request and enforces maxQuery.
func (rd *reader) count(n int64) bool {
	rd.cmdBytes += n
	if rd.cmdBytes > rd.limits.maxQuery.Load() {
		// Requests before this one are still answered; this one is not.
		rd.err = errQueryBufferLimit
		return false
	}
	return true
}

// line finds the '\r' ending the header line at in[r:]. Like Redis it needs
// one more byte after '\r' and skips it without looking at it.
func (rd *reader) line(tooBig string) (end int, ok bool) {
	buf := rd.in[rd.r:rd.w]
	for i, c := range buf {
		if c == '\r' {
			if i+1 >= len(buf) {
				return 0, false
			}
			return rd.r + i, true
		}
	}
	if len(buf) > inlineMaxSize {
		rd.perr = tooBig
	}
	return 0, false
}

func (rd *reader) multibulkHeader() bool {
	end, ok := rd.line("too big mbulk count string")
	if !ok {
		return false
	}
	n, ok := fsm.ParseInt(rd.in[rd.r+1 : end])
	if !ok || n > math.MaxInt32 {
		rd.perr = "invalid multibulk length"
		return false
	}
	if n > unauthMaxArgs && rd.passwordRequired() {
		rd.perr = "unauthenticated multibulk length"
		return false
	}
	hdr := int64(end + 2 - rd.r)
	rd.r = end + 2
	if n <= 0 {
		return true // Redis ignores empty and null multibulks
	}
	rd.cmdBytes = 0
	if !rd.count(hdr) {
		return false
	}
	rd.argsLeft = int(n)
	rd.st = stBulkHeader
	return true
}

func (rd *reader) bulkHeader() bool {
	end, ok := rd.line("too big bulk count string")
	if !ok {
		return false
	}
	if c := rd.in[rd.r]; c != '$' {
		rd.perr = "expected '$', got '" + string(c) + "'"
		return false
	}
	n, ok := fsm.ParseInt(rd.in[rd.r+1 : end])
	if !ok || n < 0 || n > rd.limits.maxBulk.Load() {
		rd.perr = "invalid bulk length"
		return false
	}
	if n > unauthMaxBulkLen && rd.passwordRequired() {
		rd.perr = "unauthenticated bulk length"
		return false
	}
	if !rd.count(int64(end+2-rd.r) + n + 2 + argOverhead) {
		return false
	}
	rd.r = end + 2
	rd.bulkLen = int(n)
	if rd.bulkLen >= bigArg && rd.w-rd.r < rd.bulkLen+2 {
		// Copy what has arrived; the rest is read straight into big.
		have := min(rd.w-rd.r, rd.bulkLen)
		rd.big = make([]byte, have, max(have, min(rd.bulkLen, bigChunk)))
		copy(rd.big, rd.in[rd.r:rd.r+have])
		rd.r += have
		rd.st = stBig
		return true
	}
	rd.st = stPayload
	return true
}

// payload takes a buffered bulk once it and its terminator are all in. Redis
// skips the two bytes after a payload unchecked, and so does payload.
func (rd *reader) payload() bool {
	if rd.w-rd.r < rd.bulkLen+2 {
		return false
	}
	rd.cur = append(rd.cur, argRef{off: rd.r, end: rd.r + rd.bulkLen})
	rd.r += rd.bulkLen + 2
	rd.nextArg()
	return true
}

// bigPayload moves the buffered part of a big bulk into big.
func (rd *reader) bigPayload() bool {
	if k := min(rd.bulkLen-len(rd.big), rd.w-rd.r); k > 0 {
		if len(rd.big)+k > cap(rd.big) {
			nb := make([]byte, len(rd.big), min(max(2*cap(rd.big), len(rd.big)+k), rd.bulkLen))
			copy(nb, rd.big)
			rd.big = nb
		}
		rd.big = append(rd.big, rd.in[rd.r:rd.r+k]...)
		rd.r += k
	}
	if len(rd.big) < rd.bulkLen {
		return false
	}
	rd.cur = append(rd.cur, argRef{b: rd.big})
	rd.big = nil
	rd.st, rd.termLeft = stTerm, 2
	return true
}

func (rd *reader) term() bool {
	k := min(rd.termLeft, rd.w-rd.r)
	rd.r += k
	rd.termLeft -= k
	if rd.termLeft > 0 {
		return false
	}
	rd.nextArg()
	return true
}

func (rd *reader) nextArg() {
	rd.argsLeft--
	if rd.argsLeft > 0 {
		rd.st = stBulkHeader
		return
	}
	rd.done()
}

func (rd *reader) inlineRequest() bool {
	buf := rd.in[rd.r:rd.w]
	nl := -1
	for i, c := range buf {
		if c == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		if len(buf) > inlineMaxSize {
			rd.perr = "too big inline request"
		}
		return false
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitArgs(rd.inline[:0], line)
	if !ok {
		clear(args)
		rd.perr = "unbalanced quotes in request"
		return false
	}
	rd.r += nl + 1
	if len(args) > 0 {
		for _, a := range args {
			rd.cur = append(rd.cur, argRef{b: a}) // splitArgs' own copies
		}
		rd.done()
	}
	clear(args)
	rd.inline = args[:0]
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
