package fsm

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestAgainstRedis runs every script against a real redis-server and checks
// that fsm's replies are byte-for-byte what Redis sends (RESP2).
func TestAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	conn := startRedis(t)
	r := bufio.NewReader(conn)
	for _, sc := range allScripts() {
		if sc.localOnly != "" {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			redisDo(t, conn, r, []string{"FLUSHALL"})
			n := newNode()
			for i, st := range sc.steps {
				args := splitArgs(st.cmd)
				want := redisDo(t, conn, r, args)
				got := appendRESP2(nil, n.doArgs(t, time.Now().UnixMilli(), args))
				if unordered(st.cmd) {
					want = sortedRESP(t, st.cmd, want)
					got = sortedRESP(t, st.cmd, got)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("step %d: %s\n fsm   %q\n redis %q", i, st.cmd, got, want)
				}
			}
		})
	}
}

// startRedis starts a throwaway redis-server on a free port and returns a
// connection to it; the server is killed when the test ends.
func startRedis(t *testing.T) net.Conn {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed; it is the oracle for exact Redis replies")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			t.Cleanup(func() { conn.Close() })
			return conn
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to redis-server at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisDo sends one command and returns Redis's raw reply.
func redisDo(t *testing.T, conn net.Conn, r *bufio.Reader, args []string) []byte {
	t.Helper()
	req := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		req = fmt.Appendf(req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write(req); err != nil {
		t.Fatalf("write to redis: %v", err)
	}
	reply, err := readRawReply(r, nil)
	if err != nil {
		t.Fatalf("read from redis: %v", err)
	}
	return reply
}

// readRawReply appends one complete RESP2 reply, unparsed, to dst.
func readRawReply(r *bufio.Reader, dst []byte) ([]byte, error) {
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
	case '$':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil || n < 0 {
			return dst, err
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return append(dst, body...), nil
	case '*':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			if dst, err = readRawReply(r, dst); err != nil {
				return nil, err
			}
		}
		return dst, nil
	}
	return nil, fmt.Errorf("unknown reply type %q", line)
}

// appendRESP2 writes r as a RESP2 server would.
func appendRESP2(dst []byte, r Reply) []byte {
	switch r.Kind {
	case KindNil:
		return append(dst, "$-1\r\n"...)
	case KindNilArray:
		return append(dst, "*-1\r\n"...)
	case KindStatus:
		return append(append(append(dst, '+'), r.Bytes...), "\r\n"...)
	case KindError:
		return append(append(append(dst, '-'), r.Bytes...), "\r\n"...)
	case KindInt, KindBool:
		return append(strconv.AppendInt(append(dst, ':'), r.Int, 10), "\r\n"...)
	case KindBulk, KindDouble:
		dst = strconv.AppendInt(append(dst, '$'), int64(len(r.Bytes)), 10)
		return append(append(append(dst, "\r\n"...), r.Bytes...), "\r\n"...)
	case KindPairMap:
		dst = strconv.AppendInt(append(dst, '*'), int64(len(r.Elems)/2), 10)
		dst = append(dst, "\r\n"...)
		for i := 0; i+1 < len(r.Elems); i += 2 {
			dst = appendRESP2(append(dst, "*2\r\n"...), r.Elems[i])
			dst = appendRESP2(dst, r.Elems[i+1])
		}
		return dst
	default:
		dst = strconv.AppendInt(append(dst, '*'), int64(len(r.Elems)), 10)
		dst = append(dst, "\r\n"...)
		for _, e := range r.Elems {
			dst = appendRESP2(dst, e)
		}
		return dst
	}
}

// sortedRESP parses a raw RESP2 reply and writes it again with sortedReply's
// order, for the commands whose replies have no defined order.
func sortedRESP(t *testing.T, cmd string, raw []byte) []byte {
	t.Helper()
	r, rest, err := parseRESP2(raw)
	if err != nil || len(rest) != 0 {
		t.Fatalf("parse reply %q: %v (%d bytes left)", raw, err, len(rest))
	}
	return appendRESP2(nil, sortedReply(cmd, r))
}

// parseRESP2 parses one RESP2 reply into a Reply.
func parseRESP2(b []byte) (Reply, []byte, error) {
	end := bytes.Index(b, []byte("\r\n"))
	if end < 1 {
		return Reply{}, nil, fmt.Errorf("no line in %q", b)
	}
	line, rest := b[1:end], b[end+2:]
	switch b[0] {
	case '+':
		return Status(string(line)), rest, nil
	case '-':
		return Error(string(line)), rest, nil
	case ':':
		n, err := strconv.ParseInt(string(line), 10, 64)
		return Int(n), rest, err
	case '$':
		n, err := strconv.Atoi(string(line))
		if err != nil || n < 0 {
			return Nil, rest, err
		}
		if len(rest) < n+2 {
			return Reply{}, nil, fmt.Errorf("short bulk")
		}
		return Bulk(rest[:n]), rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(string(line))
		if err != nil {
			return Reply{}, nil, err
		}
		if n < 0 {
			return Reply{Kind: KindNilArray}, rest, nil
		}
		elems := make([]Reply, n)
		for i := range elems {
			if elems[i], rest, err = parseRESP2(rest); err != nil {
				return Reply{}, nil, err
			}
		}
		return Array(elems...), rest, nil
	}
	return Reply{}, nil, fmt.Errorf("unknown reply type %q", b[0])
}
