package resp

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// serverClient returns the server's state for the connection with the
// given CLIENT ID.
func serverClient(t *testing.T, s *Server, id string) *client {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if strconv.FormatInt(c.id, 10) == id {
			return c
		}
	}
	t.Fatalf("no client %s", id)
	return nil
}

// clientID returns the connection's CLIENT ID.
func clientID(t *testing.T, c *conn) string {
	t.Helper()
	r := c.do("CLIENT", "ID")
	return strings.TrimSpace(strings.TrimPrefix(r, ":"))
}

// readFor reads from c for d and returns what arrived.
func readFor(t *testing.T, c *conn, d time.Duration) string {
	t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := c.rd.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestParkedRequestHoldsPipeline checks a parked request (WAIT) holds back
// the requests after it in the pipeline, and is answered in order.
func TestParkedRequestHoldsPipeline(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	a := dial(t, addr)
	start := time.Now()
	if _, err := io.WriteString(a.c, cmd("PING", "1")+cmd("WAIT", "1", "300")+cmd("PING", "2")); err != nil {
		t.Fatal(err)
	}
	// Only the reply before the parked request arrives at first.
	if got := readFor(t, a, 150*time.Millisecond); got != "$1\r\n1\r\n" {
		t.Errorf("while parked: %q", got)
	}
	if got := readFor(t, a, 2*time.Second); got != ":0\r\n$1\r\n2\r\n" {
		t.Errorf("after: %q", got)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("WAIT 1 300 answered after %v", d)
	}
}

// TestPushes checks pushes from other goroutines reach an idle connection,
// and a parked one before its late reply, in order.
func TestPushes(t *testing.T) {
	srv, addr, _ := startServer(t, Config{})
	a := dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if !c.push([]byte("+idle\r\n")) {
		t.Fatal("push to an idle connection failed")
	}
	if got := readFor(t, a, 200*time.Millisecond); got != "+idle\r\n" {
		t.Errorf("push to idle connection: %q", got)
	}
	if _, err := io.WriteString(a.c, cmd("WAIT", "1", "300")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	c.pushWith(func(w *writer) {
		w.pushHeader(2)
		w.bulkString("message")
		w.bulkString("hi")
	})
	if got := readFor(t, a, 2*time.Second); got != "*2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n:0\r\n" {
		t.Errorf("push while parked, then the reply: %q", got)
	}
	// RESP3 clients get the protocol they asked for.
	a.do("HELLO", "3")
	c.pushWith(func(w *writer) { w.pushHeader(1); w.bulkString("x") })
	if got := readFor(t, a, 200*time.Millisecond); got != ">1\r\n$1\r\nx\r\n" {
		t.Errorf("push after HELLO 3: %q", got)
	}
}

func waitBlocked(t *testing.T, c *client, want bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for c.blocked.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("client blocked = %v, want %v", !want, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestParkedShowsBlocked checks INFO and CLIENT LIST show a parked client
// as blocked, as Redis shows a client in WAIT.
func TestParkedShowsBlocked(t *testing.T) {
	srv, addr, _ := startServer(t, Config{})
	a, b := dial(t, addr), dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("WAIT", "1", "500")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	if info := b.do("INFO", "clients"); !strings.Contains(info, "blocked_clients:1\r\n") {
		t.Errorf("INFO clients: %q", info)
	}
	if list := b.do("CLIENT", "LIST", "ID", strconv.FormatInt(c.id, 10)); !strings.Contains(list, " flags=b ") {
		t.Errorf("CLIENT LIST: %q", list)
	}
	waitBlocked(t, c, false)
}

// TestParkedDisconnect checks a client that goes away while parked ends
// its wait, and its connection, at once.
func TestParkedDisconnect(t *testing.T) {
	srv, addr, _ := startServer(t, Config{Timeout: time.Minute})
	a := dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("WAIT", "1", "0")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	c.ctl.Lock()
	p := c.parked
	c.ctl.Unlock()
	a.c.Close()
	select {
	case <-p.Context().Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the parked request's context was not cancelled by the disconnect")
	}
	if err := context.Cause(p.Context()); !errors.Is(err, ErrClientGone) {
		t.Errorf("cause %v, want ErrClientGone", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		srv.mu.Lock()
		n := len(srv.conns)
		srv.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left after the disconnect", n)
		}
		time.Sleep(time.Millisecond)
	}
	if p.reply(func(w *writer) { w.int(1) }) {
		t.Error("reply to an abandoned request reported success")
	}
}

// TestShutdownAnswersParked checks Shutdown cancels a parked request,
// whose owner answers at once, and then closes the connection, well before
// Shutdown's own deadline.
func TestShutdownAnswersParked(t *testing.T) {
	srv, addr, _, served := serveFake(t, Config{Timeout: time.Minute})
	a := dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("WAIT", "5", "0")+cmd("PING")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	c.ctl.Lock()
	p := c.parked
	c.ctl.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := context.Cause(p.Context()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("cause %v, want ErrServerClosed", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	// The WAIT is answered, and the PING read with it is served.
	_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(a.rd)
	if string(got) != ":0\r\n+PONG\r\n" {
		t.Errorf("got %q", got)
	}
}

// TestProtocolErrorAfterPipeline checks a protocol error is written after
// the replies of the requests before it, as Redis does.
func TestProtocolErrorAfterPipeline(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	tests := []struct{ name, req, want string }{
		{"after pipeline", cmd("PING") + cmd("ECHO", "x") + "*1\r\n+x\r\n",
			"+PONG\r\n$1\r\nx\r\n-ERR Protocol error: expected '$', got '+'\r\n"},
		{"multibulk length", cmd("PING") + "*x\r\n", "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"},
		{"unbalanced quotes", "PING\r\nECHO \"a\r\n", "+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"too big inline", "PING\r\n" + strings.Repeat("a", 70000), "+PONG\r\n-ERR Protocol error: too big inline request\r\n"},
		{"too big bulk count", cmd("PING") + "*1\r\n$" + strings.Repeat("1", 70000),
			"+PONG\r\n-ERR Protocol error: too big bulk count string\r\n"},
		{"too big mbulk count", cmd("PING") + "*" + strings.Repeat("1", 70000),
			"+PONG\r\n-ERR Protocol error: too big mbulk count string\r\n"},
		{"empty and null multibulk ignored", "*0\r\n*-1\r\n" + cmd("PING"), "+PONG\r\n"},
		{"terminator unchecked", "*1\r\n$4\r\nPINGxx", "+PONG\r\n"},
		{"big argument split", cmd("ECHO", strings.Repeat("z", 100000)) + cmd("PING"),
			"$100000\r\n" + strings.Repeat("z", 100000) + "\r\n+PONG\r\n"},
		{"quit drops the rest", cmd("PING") + cmd("QUIT") + cmd("PING"), "+PONG\r\n+OK\r\n"},
		{"cross protocol", cmd("PING") + "POST / HTTP/1.1\r\n" + cmd("PING"), "+PONG\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := roundTrip(t, addr, tc.req); got != tc.want {
				t.Errorf("got %q, want %q", truncate(got), truncate(tc.want))
			}
		})
	}
}

// TestParkedLaterWrites checks requests that arrive while a request is
// parked (read meanwhile, to watch the socket) are served after its reply.
func TestParkedLaterWrites(t *testing.T) {
	srv, addr, _ := startServer(t, Config{})
	a := dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("WAIT", "1", "300")+"*2\r\n$4\r\nECHO\r\n"); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	// The rest of a request, then whole ones, while parked.
	if _, err := io.WriteString(a.c, "$1\r\na\r\n"+cmd("ECHO", "b")+"PING\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := readFor(t, a, 100*time.Millisecond); got != "" {
		t.Errorf("served while parked: %q", got)
	}
	if got := readFor(t, a, 2*time.Second); got != ":0\r\n$1\r\na\r\n$1\r\nb\r\n+PONG\r\n" {
		t.Errorf("got %q", got)
	}
}

// TestParkedQueryBufferLimit checks a client piling up requests behind a
// parked one is closed at the query buffer limit, as Redis closes it.
func TestParkedQueryBufferLimit(t *testing.T) {
	srv, addr, _ := startServer(t, Config{MaxQueryBuffer: 64 << 10, Timeout: time.Minute})
	a := dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("WAIT", "1", "0")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	start := time.Now()
	go io.WriteString(a.c, strings.Repeat(cmd("PING"), 100000))
	_ = a.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(a.rd)
	if (err != nil && !isReset(err)) || len(got) != 0 {
		t.Errorf("got %q, %v; want the connection closed without a reply", got, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closed after %v", d)
	}
}

// TestShutdownOfRemovedNodeWithBlockedClient: a blocked BLPOP on a node
// that was removed from the cluster must not hold Shutdown: its unblock
// fails for good, and used to be retried for ten seconds, past the
// deadline (a removed jepsen node then exited with status 1).
func TestShutdownOfRemovedNodeWithBlockedClient(t *testing.T) {
	srv, addr, fc, served := serveFake(t, Config{Timeout: time.Minute})
	a := dial(t, addr)
	c := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("BLPOP", "queue", "0")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, true)
	fc.fail(cluster.ErrRemoved, cluster.ErrRemoved)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(a.rd)
	if want := "-UNBLOCKED the server is shutting down\r\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// servePopHoldingAcks starts a server with the request timeout given,
// whose log holds every acknowledgement of a delivery until acks closes,
// blocks client a in BLPOP q and serves it by client b's RPUSH q x.
func servePopHoldingAcks(t *testing.T, timeout time.Duration, acks <-chan struct{}) (a, b *conn) {
	t.Helper()
	srv, addr, fc := startServer(t, Config{Timeout: timeout})
	fc.mu.Lock()
	fc.gate = func(b []byte) <-chan struct{} {
		if c, err := fsm.Decode(b); err == nil && c.Name() == "ack" {
			return acks
		}
		return nil
	}
	fc.mu.Unlock()
	a, b = dial(t, addr), dial(t, addr)
	ca := serverClient(t, srv, clientID(t, a))
	if _, err := io.WriteString(a.c, cmd("BLPOP", "q", "0")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, ca, true)
	if got := b.do("RPUSH", "q", "x"); got != ":1\r\n" {
		t.Fatalf("RPUSH = %q", got)
	}
	return a, b
}

// TestServedPopRepliesAfterItsAck: a blocked pop served by a later push
// takes its element for good only when the log has the node's
// acknowledgement, and its reply must not reach the client before that:
// a node dying in between would have the element put back and popped
// again by another client.
func TestServedPopRepliesAfterItsAck(t *testing.T) {
	acks := make(chan struct{})
	a, _ := servePopHoldingAcks(t, time.Minute, acks)
	if got := readFor(t, a, 300*time.Millisecond); got != "" {
		t.Fatalf("BLPOP answered %q before its acknowledgement was in the log", got)
	}
	close(acks)
	if got, want := readFor(t, a, time.Second), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n"; got != want {
		t.Errorf("BLPOP after its acknowledgement = %q, want %q", got, want)
	}
}

// TestServedPopWithoutAckTimesOut: a served pop whose acknowledgement the
// log does not take within the request timeout (no quorum, a node that
// cannot persist) answers TRYAGAIN then, rather than hold its client
// forever, and the delivery is returned: the element is there again.
func TestServedPopWithoutAckTimesOut(t *testing.T) {
	never := make(chan struct{})
	defer close(never)
	a, b := servePopHoldingAcks(t, 300*time.Millisecond, never)
	start := time.Now() // the RPUSH that served the pop has just returned
	_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := readValue(a.rd)
	if err != nil || !strings.HasPrefix(got, "-TRYAGAIN write outcome unknown") {
		t.Fatalf("BLPOP without its acknowledgement = %q, want TRYAGAIN", got)
	}
	if d := time.Since(start); d > time.Second+300*time.Millisecond {
		t.Errorf("TRYAGAIN after %v, want about the 300ms timeout", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.do("LLEN", "q") != ":1\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("the returned delivery's element is not back in the list")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
