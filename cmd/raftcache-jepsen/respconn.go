package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// respConn is a minimal RESP2 client connection. The checker speaks the
// protocol itself rather than through a client library so that nothing
// retries, pipelines or renegotiates behind its back: one call is exactly
// the commands it writes, and any transport error closes the connection.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

// reply is one RESP2 reply.
type reply struct {
	kind  byte // '+', '-', ':', '$', '*'
	str   string
	num   int64
	null  bool // a null bulk or null array
	elems []reply
}

func (r reply) isErr() bool { return r.kind == '-' }

func (r reply) String() string {
	switch r.kind {
	case ':':
		return strconv.FormatInt(r.num, 10)
	case '*':
		if r.null {
			return "(nil array)"
		}
		parts := make([]string, len(r.elems))
		for i, e := range r.elems {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, " ") + "]"
	case '$':
		if r.null {
			return "(nil)"
		}
		return strconv.Quote(r.str)
	default:
		return string(r.kind) + r.str
	}
}

func dialRESP(ctx context.Context, addr string) (*respConn, error) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &respConn{c: c, r: bufio.NewReader(c)}, nil
}

func (c *respConn) close() { c.c.Close() }

// do sends the commands in one write and reads one reply per command, all
// before ctx's deadline (which it must have).
func (c *respConn) do(ctx context.Context, cmds ...[]string) ([]reply, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		return nil, errors.New("resp call without a deadline")
	}
	if err := c.c.SetDeadline(dl); err != nil {
		return nil, fmt.Errorf("set deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Now()) })
	defer stop()
	var b []byte
	for _, args := range cmds {
		b = append(b, '*')
		b = strconv.AppendInt(b, int64(len(args)), 10)
		b = append(b, '\r', '\n')
		for _, a := range args {
			b = append(b, '$')
			b = strconv.AppendInt(b, int64(len(a)), 10)
			b = append(b, '\r', '\n')
			b = append(b, a...)
			b = append(b, '\r', '\n')
		}
	}
	if _, err := c.c.Write(b); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	out := make([]reply, 0, len(cmds))
	for range cmds {
		r, err := c.read(0)
		if err != nil {
			return out, fmt.Errorf("read reply: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *respConn) read(depth int) (reply, error) {
	// An XREADGROUP reply nests six deep: the streams, a stream, its
	// entries, an entry, its fields, a field.
	if depth > 5 {
		return reply{}, errors.New("reply nested too deep")
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return reply{}, fmt.Errorf("malformed reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-':
		return reply{kind: kind, str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return reply{}, fmt.Errorf("malformed integer %q", body)
		}
		return reply{kind: kind, num: n}, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 1<<20 {
			return reply{}, fmt.Errorf("malformed bulk length %q", body)
		}
		if n == -1 {
			return reply{kind: kind, null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return reply{}, err
		}
		return reply{kind: kind, str: string(buf[:n])}, nil
	case '*':
		n, err := strconv.Atoi(body)
		// The final reads of a long run's stream or queues may be
		// large.
		if err != nil || n < -1 || n > 1<<20 {
			return reply{}, fmt.Errorf("malformed array length %q", body)
		}
		if n == -1 {
			return reply{kind: kind, null: true}, nil
		}
		r := reply{kind: kind, elems: make([]reply, 0, n)}
		for range n {
			e, err := c.read(depth + 1)
			if err != nil {
				return reply{}, err
			}
			r.elems = append(r.elems, e)
		}
		return r, nil
	default:
		return reply{}, fmt.Errorf("unknown reply type %q", line)
	}
}

// nodeConns is one client's RESP connections, at most one per node,
// dialed when first needed and dropped when they fail.
type nodeConns map[*node]*respConn

// get returns n's connection, dialing one if there is none; on an error
// nothing was sent.
func (cs nodeConns) get(ctx context.Context, n *node) (*respConn, error) {
	if c := cs[n]; c != nil {
		return c, nil
	}
	c, err := dialRESP(ctx, n.respAddr)
	if err != nil {
		return nil, err
	}
	cs[n] = c
	return c, nil
}

// drop closes and forgets n's connection, after it failed.
func (cs nodeConns) drop(n *node) {
	if c := cs[n]; c != nil {
		c.close()
		delete(cs, n)
	}
}

// dropGone drops the connections to nodes that are no longer members.
func (cs nodeConns) dropGone() {
	for n := range cs {
		if n.gone() {
			cs.drop(n)
		}
	}
}

// closeAll closes every connection.
func (cs nodeConns) closeAll() {
	for _, c := range cs {
		c.close()
	}
}

// clusterErrorStatus classifies the errors a correct server gives a
// write it could not complete: CLUSTERDOWN proves it did not happen (when
// the server promises so, clusterDownDefinite), as MISCONF always does (a
// node that cannot persist refuses writes before proposing them), and
// TRYAGAIN leaves it unknown. ok is false for any other error.
func clusterErrorStatus(msg string, clusterDownDefinite bool) (st status, ok bool) {
	switch code, _, _ := strings.Cut(msg, " "); {
	case code == "CLUSTERDOWN" && clusterDownDefinite, code == "MISCONF":
		return statusFail, true
	case code == "CLUSTERDOWN" || code == "TRYAGAIN":
		return statusUnknown, true
	}
	return 0, false
}
