package resp

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"
)

// serveConn serves one connection until it ends: it reads and parses the
// requests, hands each pipeline (every complete request read so far) to
// handle, commits the replies to the connection's output, and, while a
// request is parked, keeps watching the socket without serving the later
// ones.
func (s *Server) serveConn(nc net.Conn, id int64) {
	c := newClient(id, nc, s.connectAuthed(), s.base, &s.limits, &s.errs)
	c.rd.authRequired = func() bool { return s.authRequired(c) }
	c.rd.passwordRequired = func() bool { return !c.authed.Load() && s.defaultNeedsAuth() }
	if !s.register(c) {
		c.cancel()
		nc.Close()
		return
	}
	go c.out.run()
	defer s.endConn(c)
	rd := c.rd
	for {
		if cmds := rd.parse(); len(cmds) > 0 {
			ok := s.serveBatch(c, cmds)
			rd.release()
			c.trim()
			if !ok {
				return
			}
			continue
		}
		switch {
		case rd.perr != "":
			// Every request before the error has been answered.
			msg := "-ERR Protocol error: " + rd.perr + "\r\n"
			c.out.add(func(b []byte) []byte { return append(b, msg...) })
			// A client sending garbage may not read either: bound the
			// last writes, so that it cannot pin the connection.
			_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
			c.endErr = errProtocol
			return
		case rd.err != nil:
			c.endErr = rd.err
			return
		case c.stopping():
			return
		}
		c.out.wait(maxPendingOutput)
		rd.fill()
		if isTimeout(rd.err) {
			// Shutdown's wake-up, or a stale one from a parked request
			// answered while its reader was not reading.
			rd.err = nil
			if !c.resume() {
				rd.err = io.EOF
			}
		}
	}
}

// serveBatch serves the requests of one pipeline, waiting for a parked one
// to be answered before going on. false: the connection must end.
func (s *Server) serveBatch(c *client, cmds []redcon.Command) bool {
	for len(cmds) > 0 {
		c.out.hold()
		n := s.handle(c, cmds)
		c.out.commit(&c.w.buf)
		cmds = cmds[n:]
		if c.closeAfter {
			return false
		}
		if p := c.parked; p != nil && !s.waitParked(c, p) {
			return false
		}
	}
	return true
}

// waitParked waits until the parked request p is answered, reading the
// socket meanwhile (without parsing) to notice a client that goes away, as
// Redis does for a blocked client. false: the client disconnected (p's
// context is cancelled and its answer, if any, dropped) or the server gave
// up on it.
func (s *Server) waitParked(c *client, p *parked) bool {
	defer c.unpark(p)
	rd := c.rd
	for {
		select {
		case <-p.answered:
			c.resume()
			return true
		default:
		}
		if rd.err != nil {
			p.abandon()
			return false
		}
		if c.stopping() {
			// Shutdown cancelled p's context: its owner answers now.
			select {
			case <-p.answered:
				c.resume()
				return true
			case <-c.ctx.Done(): // Shutdown's deadline, or the end
				p.abandon()
				return false
			}
		}
		rd.fill()
		if isTimeout(rd.err) {
			rd.err = nil
			c.resume()
		}
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// register adds c to the server's connections, unless the server is
// shutting down.
func (s *Server) register(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c.nc] = c
	s.stats.connections.Add(1)
	return true
}

// endConn writes what is queued, closes the connection and forgets it.
func (s *Server) endConn(c *client) {
	switch err := c.endErr; {
	case err == nil, errors.Is(err, errProtocol), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		s.log.Debug("resp: connection closed", "remote", c.addr, "err", err)
	case errors.Is(err, errQueryBufferLimit):
		s.log.Warn("resp: closing client that reached the query buffer limit",
			"remote", c.addr, "limit", s.limits.maxQuery.Load())
	default:
		s.log.Debug("resp: connection ended", "remote", c.addr, "err", err)
	}
	s.pubsub.dropAll(c)
	s.tracker.disable(c)
	s.monitors.remove(c)
	c.out.close()
	c.cancel()
	c.nc.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c.nc)
	if s.idle != nil && len(s.conns) == 0 {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// A parked request is one a handler answers later, from any goroutine,
// as Redis answers a blocked client: see client.park.
type parked struct {
	c        *client
	ctx      context.Context
	cancel   context.CancelCauseFunc
	state    atomic.Int32  // stateWaiting, then stateAnswered or stateAbandoned
	answered chan struct{} // closed by reply
}

// Context is cancelled when the parked request's client disconnects
// (context.Cause is ErrClientGone) or the server shuts down (ErrServerClosed):
// its owner stops waiting, and on shutdown answers at once (the answer still
// reaches the client). Its parent is the server's base context, which
// Shutdown cancels when its own deadline passes.
func (p *parked) Context() context.Context { return p.ctx }

// reply writes the parked request's reply with fn (which runs under the
// connection's output lock and must only write) and lets the connection
// serve its next requests. It reports false, writing nothing, when the
// request was already answered or abandoned by a disconnect.
func (p *parked) reply(fn func(w *writer)) bool {
	if !p.state.CompareAndSwap(stateWaiting, stateAnswered) {
		return false
	}
	ok := p.c.pushWith(fn)
	close(p.answered)
	p.c.interrupt()
	return ok
}

// abandon ends the wait of a request whose client is gone.
func (p *parked) abandon() {
	p.state.CompareAndSwap(stateWaiting, stateAbandoned)
	p.cancel(ErrClientGone)
}

// ErrClientGone is the cause of a parked request's cancelled context when
// its client disconnected.
var ErrClientGone = errors.New("resp: client disconnected")

const (
	stateWaiting int32 = iota
	stateAnswered
	stateAbandoned
)
