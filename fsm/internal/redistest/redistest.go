// Package redistest runs a real redis-server for fsm's tests: the oracle
// that fsm and its type packages compare their replies with.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster/clustertest"
)

// Error is an error reply.
type Error string

func (e Error) Error() string { return string(e) }

// Conn is a connection to a redis-server that lives as long as the test.
type Conn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Start runs a throwaway redis-server (no persistence) with extra
// command-line options, on a free port, and connects to it. The test is
// skipped in -short mode or where redis-server is not installed; the
// server is killed when the test ends.
func Start(t testing.TB, options ...string) *Conn {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed; it is the oracle for exact Redis behaviour")
	}
	addrs, err := clustertest.FreeAddrs("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, options...)
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := net.Dial("tcp", addrs[0])
		if err == nil {
			t.Cleanup(func() { conn.Close() })
			return &Conn{t: t, conn: conn, r: bufio.NewReader(conn)}
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to redis-server at %s: %v", addrs[0], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Do sends one command and returns its reply: a string (bulk or status),
// an int64, an []any, nil (a null bulk string or array) or an Error.
func (c *Conn) Do(args ...string) any {
	c.t.Helper()
	c.send(args)
	v, err := ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("%.60q: read reply: %v", args, err)
	}
	return v
}

// Raw sends one command and returns its reply's bytes as Redis sent them.
func (c *Conn) Raw(args ...string) []byte {
	c.t.Helper()
	c.send(args)
	b, err := ReadRaw(c.r, nil)
	if err != nil {
		c.t.Fatalf("%.60q: read reply: %v", args, err)
	}
	return b
}

func (c *Conn) send(args []string) {
	c.t.Helper()
	req := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		req = fmt.Appendf(req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.conn.Write(req); err != nil {
		c.t.Fatalf("write to redis-server: %v", err)
	}
}

// ReadReply reads one RESP2 reply, decoded as Do returns it.
func ReadReply(r *bufio.Reader) (any, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return Error(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$', '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, fmt.Errorf("bad length %q: %w", line, err)
		}
		if n < 0 {
			return nil, nil
		}
		if line[0] == '$' {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, err
			}
			return string(buf[:n]), nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = ReadReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

// ReadRaw appends one complete RESP2 reply, unparsed, to dst.
func ReadRaw(r *bufio.Reader, dst []byte) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	dst = append(dst, line...)
	if len(line) < 3 {
		return nil, fmt.Errorf("short line %q", line)
	}
	switch line[0] {
	case '+', '-', ':':
		return dst, nil
	case '$', '*':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return nil, fmt.Errorf("bad length %q: %w", line, err)
		}
		if line[0] == '$' {
			if n < 0 {
				return dst, nil
			}
			body := make([]byte, n+2)
			if _, err := io.ReadFull(r, body); err != nil {
				return nil, err
			}
			return append(dst, body...), nil
		}
		for i := 0; i < n; i++ {
			if dst, err = ReadRaw(r, dst); err != nil {
				return nil, err
			}
		}
		return dst, nil
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

// readLine reads a line without its CRLF.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, errors.New("short or malformed line " + strconv.Quote(string(line)))
	}
	return line[:len(line)-2], nil
}
