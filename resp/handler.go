package resp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
	"github.com/tidwall/redcon"
)

// maxKeptBuffer bounds the per-connection buffers kept between commands, so
// that one huge value does not pin its memory for the connection's life.
const maxKeptBuffer = 64 * 1024

// handle serves one request. redcon calls it in order for each connection,
// so pipelined requests are answered in order.
func (s *Server) handle(conn redcon.Conn, cmd redcon.Command) {
	st, _ := conn.Context().(*connState)
	if st == nil || len(cmd.Args) == 0 {
		return
	}
	defer st.trim()
	args := cmd.Args
	name := args[0]
	switch len(name) {
	case 4:
		switch {
		case equalFold(name, "ping"):
			s.ping(conn, st, args)
			return
		case equalFold(name, "echo"):
			if len(args) != 2 {
				s.writeError(conn, st, arityError("echo"))
				return
			}
			conn.WriteBulk(args[1])
			return
		case equalFold(name, "quit"):
			conn.WriteString("OK")
			conn.Close()
			return
		case equalFold(name, "info"):
			s.info(conn, st, args)
			return
		case equalFold(name, "post"):
			s.crossProtocol(conn)
			return
		}
	case 5:
		if equalFold(name, "host:") {
			s.crossProtocol(conn)
			return
		}
	case 7:
		if equalFold(name, "command") {
			s.command(conn, st, args)
			return
		}
	}
	s.data(conn, st, args)
}

// data serves a command of the state machine.
func (s *Server) data(conn redcon.Conn, st *connState, args [][]byte) {
	c, ok, err := fsm.Parse(args, time.Now().UnixMilli())
	if !ok {
		s.writeError(conn, st, unknownCommand(args))
		return
	}
	if err != nil {
		s.writeError(conn, st, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	if c.IsWrite() {
		st.cmd = c.AppendBinary(st.cmd[:0])
		res, err := s.cluster.Replicate(ctx, st.cmd)
		if err != nil {
			s.log.Debug("resp: write failed", "remote", conn.RemoteAddr(), "err", err)
			s.writeError(conn, st, writeFailure(err, s.cfg.Timeout))
			return
		}
		r, ok := res.(fsm.Reply)
		if !ok {
			s.log.Error("resp: replicate returned an unexpected result", "type", fmt.Sprintf("%T", res))
			s.writeError(conn, st, "ERR internal error: unexpected write result")
			return
		}
		s.writeReply(conn, st, r)
		return
	}
	if err := s.cluster.LinearizableRead(ctx); err != nil {
		s.log.Debug("resp: read barrier failed", "remote", conn.RemoteAddr(), "err", err)
		s.writeError(conn, st, readFailure(err, s.cfg.Timeout))
		return
	}
	// The clock is read again after the barrier, which may have waited,
	// so that keys expiring meanwhile are not served.
	s.writeReply(conn, st, s.store.Read(c, time.Now().UnixMilli()))
}

func (s *Server) writeReply(conn redcon.Conn, st *connState, r fsm.Reply) {
	st.reply = appendReply(st.reply[:0], r)
	conn.WriteRaw(st.reply)
}

func (s *Server) writeError(conn redcon.Conn, st *connState, text string) {
	st.reply = appendLine(st.reply[:0], '-', text)
	conn.WriteRaw(st.reply)
}

// crossProtocol drops a connection that looks like an HTTP request, as
// Redis does, so that a browser tricked into posting to the port cannot
// run commands.
func (s *Server) crossProtocol(conn redcon.Conn) {
	s.log.Warn("resp: possible cross-protocol scripting attack; connection aborted", "remote", conn.RemoteAddr())
	conn.Close()
}

func (st *connState) trim() {
	if cap(st.cmd) > maxKeptBuffer {
		st.cmd = nil
	}
	if cap(st.reply) > maxKeptBuffer {
		st.reply = nil
	}
}

func (s *Server) ping(conn redcon.Conn, st *connState, args [][]byte) {
	switch len(args) {
	case 1:
		conn.WriteString("PONG")
	case 2:
		conn.WriteBulk(args[1])
	default:
		s.writeError(conn, st, arityError("ping"))
	}
}

func arityError(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// writeFailure turns a failed Replicate into a Redis error. Only errors that
// prove the write was not applied become CLUSTERDOWN; anything else (a
// timeout, a stop mid-flight) may have been committed, and the client must
// be told so rather than led to assume it failed.
func writeFailure(err error, timeout time.Duration) string {
	if errors.Is(err, cluster.ErrNoLeader) || errors.Is(err, cluster.ErrProposalDropped) {
		return "CLUSTERDOWN The cluster is down: " + failureReason(err, timeout)
	}
	return "TRYAGAIN write outcome unknown: " + failureReason(err, timeout)
}

// readFailure turns a failed read barrier into a Redis error. A read changes
// nothing, so every failure is simply "cannot serve now".
func readFailure(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "CLUSTERDOWN The cluster is down: read barrier timed out after " + timeout.String()
	}
	return "CLUSTERDOWN The cluster is down: " + failureReason(err, timeout)
}

func failureReason(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, cluster.ErrNoLeader):
		return "no leader"
	case errors.Is(err, cluster.ErrProposalDropped):
		return "proposal dropped"
	case errors.Is(err, cluster.ErrOutcomeUnknown):
		return strings.ReplaceAll(err.Error(), "raftcache: ", "")
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out after " + timeout.String()
	case errors.Is(err, context.Canceled):
		return "server shutting down"
	case errors.Is(err, cluster.ErrStopped):
		return "node stopped"
	case errors.Is(err, cluster.ErrRemoved):
		return "node removed from the cluster"
	}
	return strings.ReplaceAll(err.Error(), "raftcache: ", "")
}

// unknownCommand is Redis 7's reply to an unknown command, down to the
// quoting, the 128-byte caps and the trailing space.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.Write(cString(args[0], 128))
	b.WriteString("', with args beginning with: ")
	n := 0 // length of the argument list so far, as Redis counts it
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		a = cString(a, 128-n)
		b.WriteByte('\'')
		b.Write(a)
		b.WriteString("' ")
		n += len(a) + 3
	}
	return b.String()
}

// cString is b as C's "%.*s" prints it: cut at the first NUL and at most
// max bytes.
func cString(b []byte, max int) []byte {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return b
}

// equalFold reports whether b equals lower ignoring ASCII case; lower must
// be lower-case. It does not allocate, unlike lower-casing b.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// appendReply appends r's RESP2 encoding, converting RESP3 kinds as Redis
// does for a RESP2 client.
func appendReply(dst []byte, r fsm.Reply) []byte {
	switch r.Kind {
	case fsm.KindNil:
		return append(dst, "$-1\r\n"...)
	case fsm.KindNilArray:
		return append(dst, "*-1\r\n"...)
	case fsm.KindStatus:
		return appendLine(dst, '+', r.Bytes)
	case fsm.KindError:
		return appendLine(dst, '-', r.Bytes)
	case fsm.KindInt:
		return appendHeader(dst, ':', r.Int)
	case fsm.KindBool:
		if r.Int != 0 {
			return append(dst, ":1\r\n"...)
		}
		return append(dst, ":0\r\n"...)
	case fsm.KindBulk, fsm.KindDouble:
		dst = appendHeader(dst, '$', int64(len(r.Bytes)))
		dst = append(dst, r.Bytes...)
		return append(dst, '\r', '\n')
	case fsm.KindArray, fsm.KindSet, fsm.KindMap:
		// A map's Elems already alternate keys and values, which is
		// exactly the flat array RESP2 wants.
		dst = appendHeader(dst, '*', int64(len(r.Elems)))
		for _, e := range r.Elems {
			dst = appendReply(dst, e)
		}
		return dst
	}
	return appendLine(dst, '-', "ERR internal error: unknown reply kind "+strconv.Itoa(int(r.Kind)))
}

// appendLine appends a simple string or error, replacing CR and LF with
// spaces as Redis does, since either would end the line early.
func appendLine[T string | []byte](dst []byte, prefix byte, text T) []byte {
	dst = append(dst, prefix)
	start := len(dst)
	dst = append(dst, text...)
	for i := start; i < len(dst); i++ {
		if dst[i] == '\r' || dst[i] == '\n' {
			dst[i] = ' '
		}
	}
	return append(dst, '\r', '\n')
}
