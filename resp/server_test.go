package resp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
)

// TestClusterErrors checks that every Raft failure becomes the right Redis
// error, and that a stuck cluster costs a request at most Config.Timeout.
func TestClusterErrors(t *testing.T) {
	const timeout = 200 * time.Millisecond
	_, addr, fc := startServer(t, Config{Timeout: timeout})
	// A node that has reached the cluster once (synced its ACL state)
	// answers PING without it; TestUnsyncedNodeFailsClosed covers the
	// node that never has.
	if got := roundTrip(t, addr, cmd("PING")); got != "+PONG\r\n" {
		t.Fatalf("PING before the failures: %q", got)
	}
	tests := []struct {
		name        string
		err         error
		write, read string
	}{
		{"no leader", cluster.ErrNoLeader,
			"-CLUSTERDOWN The cluster is down: no leader\r\n",
			"-CLUSTERDOWN The cluster is down: no leader\r\n"},
		{"dropped", fmt.Errorf("propose: %w", cluster.ErrProposalDropped),
			"-CLUSTERDOWN The cluster is down: proposal dropped\r\n",
			"-CLUSTERDOWN The cluster is down: proposal dropped\r\n"},
		{"outcome unknown", fmt.Errorf("leader lost\nmid-flight: %w", cluster.ErrOutcomeUnknown),
			"-TRYAGAIN write outcome unknown: leader lost mid-flight: outcome unknown\r\n",
			"-CLUSTERDOWN The cluster is down: leader lost mid-flight: outcome unknown\r\n"},
		{"timeout", context.DeadlineExceeded,
			"-TRYAGAIN write outcome unknown: timed out after 200ms\r\n",
			"-CLUSTERDOWN The cluster is down: read barrier timed out after 200ms\r\n"},
		{"stopped", cluster.ErrStopped,
			"-TRYAGAIN write outcome unknown: node stopped\r\n",
			"-CLUSTERDOWN The cluster is down: node stopped\r\n"},
		{"removed", cluster.ErrRemoved,
			"-TRYAGAIN write outcome unknown: node removed from the cluster\r\n",
			"-CLUSTERDOWN The cluster is down: node removed from the cluster\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc.fail(tc.err, tc.err)
			defer fc.fail(nil, nil)
			start := time.Now()
			got := roundTrip(t, addr, cmd("SET", "k", "v")+cmd("GET", "k")+cmd("PING"))
			if want := tc.write + tc.read + "+PONG\r\n"; got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
			if d := time.Since(start); d > 2*timeout+2*time.Second {
				t.Errorf("took %v; each request must be bounded by the timeout", d)
			}
		})
	}
	// Once the cluster recovers, so does the connection's service.
	if got := roundTrip(t, addr, cmd("SET", "k", "v")+cmd("GET", "k")); got != "+OK\r\n$1\r\nv\r\n" {
		t.Errorf("after recovery: %q", got)
	}
}

// TestPipeline sends 1000 commands in one write and expects 1000 replies in
// order.
func TestPipeline(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	var req, want strings.Builder
	for i := range 1000 {
		v := strconv.Itoa(i)
		switch i % 3 {
		case 0:
			req.WriteString(cmd("SET", "k"+v, "v\x00\r\n"+v))
			want.WriteString("+OK\r\n")
		case 1:
			req.WriteString(cmd("GET", "k"+strconv.Itoa(i-1)))
			val := "v\x00\r\n" + strconv.Itoa(i-1)
			want.WriteString("$" + strconv.Itoa(len(val)) + "\r\n" + val + "\r\n")
		default:
			req.WriteString(cmd("INCR", "counter"))
			want.WriteString(":" + strconv.Itoa(i/3+1) + "\r\n")
		}
	}
	if got := roundTrip(t, addr, req.String()); got != want.String() {
		t.Errorf("pipelined replies differ (got %d bytes, want %d)", len(got), len(want.String()))
	}
}

// TestLargeValue checks values much larger than the read buffers survive
// the guard's direct-copy path, in both directions.
func TestLargeValue(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	val := strings.Repeat("0123456789\r\n\x00", 300000)
	got := roundTrip(t, addr, cmd("SET", "big", val)+cmd("GET", "big")+cmd("STRLEN", "big"))
	want := "+OK\r\n$" + strconv.Itoa(len(val)) + "\r\n" + val + "\r\n:" + strconv.Itoa(len(val)) + "\r\n"
	if got != want {
		t.Errorf("large value round trip differs (got %d bytes, want %d)", len(got), len(want))
	}
}

func TestLimits(t *testing.T) {
	_, addr, _ := startServer(t, Config{MaxBulkLen: 10, MaxQueryBuffer: 300})
	tests := []struct{ name, req, want string }{
		{"bulk at limit", cmd("ECHO", "0123456789"), "$10\r\n0123456789\r\n"},
		{"bulk over limit", cmd("PING") + cmd("ECHO", "0123456789X"), "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
		// Many empty arguments count their parsing overhead against the
		// limit, so they cannot make a huge allocation.
		{"empty arguments", cmd("PING") + "*1000\r\n" + strings.Repeat("$0\r\n\r\n", 1000), "+PONG\r\n"},
		// Redis closes a client over the query buffer limit without a reply.
		{"query buffer", cmd("PING") + cmd("MGET", strings.Repeat("k", 10), strings.Repeat("k", 10),
			strings.Repeat("k", 10), strings.Repeat("k", 10), strings.Repeat("k", 10), strings.Repeat("k", 10)), "+PONG\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := roundTrip(t, addr, tc.req); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSlowClient feeds a request one byte at a time, so every parser state
// is entered with partial input.
func TestSlowClient(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := cmd("SET", "a\r\nb", "xyz") + "GET \"a\\r\\nb\"\r\n" + "*0\r\n" + cmd("PING")
	for i := range len(req) {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Microsecond)
	}
	want := "+OK\r\n$3\r\nxyz\r\n+PONG\r\n"
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
}

func TestInfo(t *testing.T) {
	_, addr, _ := startServer(t, Config{Version: "1.2.3"})
	port := addr[strings.LastIndex(addr, ":")+1:]
	roundTrip(t, addr, cmd("SET", "a", "1")+cmd("SET", "b", "2", "EX", "100"))
	tests := []struct {
		args        []string
		contain     []string
		notContains []string
	}{
		{[]string{"INFO"}, []string{"# Server\r\n", "redis_version:7.0.0\r\n", "raftcache_version:1.2.3\r\n",
			"tcp_port:" + port + "\r\n", "process_id:", "uptime_in_seconds:",
			"\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n\r\n# Raft\r\n",
			"node_id:0000000000000abc\r\n", "role:leader\r\n", "term:3\r\n", "leader:0000000000000abc\r\n",
			"commit_index:2\r\n", "applied_index:2\r\n", "members:1\r\n",
			"member0:id=0000000000000abc,role=leader,voter=1,reachable=1,match=7,raft=127.0.0.1:1,resp=127.0.0.1:3,api=127.0.0.1:2\r\n"}, nil},
		{[]string{"INFO", "raft"}, []string{"# Raft\r\n"}, []string{"# Server", "# Keyspace"}},
		{[]string{"info", "SERVER"}, []string{"# Server\r\n"}, []string{"# Raft", "# Keyspace"}},
		{[]string{"INFO", "keyspace", "server"}, []string{"# Server\r\n", "\r\n\r\n# Keyspace\r\n"}, []string{"# Raft"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := roundTrip(t, addr, cmd(tc.args...))
			if !strings.HasPrefix(got, "$") || !strings.HasSuffix(got, "\r\n") {
				t.Fatalf("not a bulk reply: %q", got)
			}
			for _, s := range tc.contain {
				if !strings.Contains(got, s) {
					t.Errorf("%q lacks %q", got, s)
				}
			}
			for _, s := range tc.notContains {
				if strings.Contains(got, s) {
					t.Errorf("%q has %q", got, s)
				}
			}
		})
	}
}

// TestCommand checks the bare forms redis-cli and client libraries use.
func TestCommand(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	r := bufio.NewReader(strings.NewReader(roundTrip(t, addr,
		cmd("COMMAND", "COUNT")+cmd("COMMAND")+cmd("COMMAND", "DOCS")+cmd("COMMAND", "LIST")+cmd("COMMAND", "INFO"))))
	var replies []string
	for {
		v, err := readValue(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, v)
	}
	if len(replies) != 5 {
		t.Fatalf("got %d replies, want 5", len(replies))
	}
	count := replies[0]
	n, _ := strconv.Atoi(strings.TrimSpace(count[1:]))
	if n < 17 {
		t.Fatalf("COMMAND COUNT = %q", count)
	}
	for i, want := range []string{"*" + strconv.Itoa(n) + "\r\n", "*" + strconv.Itoa(2*n) + "\r\n",
		"*" + strconv.Itoa(n) + "\r\n", "*" + strconv.Itoa(n) + "\r\n"} {
		if !strings.HasPrefix(replies[i+1], want) {
			t.Errorf("reply %d starts %q, want %q", i+1, replies[i+1][:min(20, len(replies[i+1]))], want)
		}
	}
	for _, name := range []string{"get", "set", "ping", "command", "info"} {
		if !strings.Contains(replies[3], "$"+strconv.Itoa(len(name))+"\r\n"+name+"\r\n") {
			t.Errorf("COMMAND LIST lacks %s", name)
		}
	}
}

// TestRedisCLI drives the server with the real redis-cli. (Interactive
// mode needs a terminal; the bare COMMAND DOCS it sends at start-up is
// covered by TestCommand.)
func TestRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	_, addr, _ := startServer(t, Config{})
	host, port, _ := net.SplitHostPort(addr)
	run := func(stdin string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, cli, append([]string{"-h", host, "-p", port}, args...)...)
		c.Stdin = strings.NewReader(stdin)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if got := run("", "SET", "greeting", "hello world"); got != "OK\n" {
		t.Errorf("SET: %q", got)
	}
	if got := run("", "GET", "greeting"); got != "hello world\n" {
		t.Errorf("GET: %q", got)
	}
	if got := run("GET greeting\nINCR n\nNOSUCH x\n"); got != "hello world\n1\nERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n" {
		t.Errorf("stdin batch: %q", got)
	}

}

// TestShutdown checks that Shutdown lets a request in flight finish, closes
// idle connections, and cuts short requests when its context ends.
func TestShutdown(t *testing.T) {
	srv, addr, fc, served := serveFake(t, Config{})

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// Make sure both connections are accepted before the cluster holds
	// its operations: a connection's first read barrier (connectAuthed)
	// would otherwise be the operation held, on a connection the server
	// does not yet track.
	pingPong(t, idle)
	pingPong(t, busy)

	hold := make(chan struct{})
	started := make(chan struct{}, 1)
	fc.mu.Lock()
	fc.hold, fc.started = hold, started
	fc.mu.Unlock()
	if _, err := io.WriteString(busy, cmd("SET", "k", "v")); err != nil {
		t.Fatal(err)
	}
	<-started

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	// The idle connection is closed promptly...
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: read %d, %v; want EOF", n, err)
	}
	// ...new connections are refused...
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("dial succeeded after Shutdown")
	}
	// ...and the busy one gets its reply before being closed.
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(hold)
	_ = busy.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(busy)
	if string(got) != "+OK\r\n" {
		t.Errorf("busy connection got %q, want +OK", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	srv, addr, fc, served := serveFake(t, Config{Timeout: time.Minute})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pingPong(t, c) // accepted and tracked before the hold; see TestShutdown
	started := make(chan struct{}, 1)
	fc.mu.Lock()
	fc.hold, fc.started = make(chan struct{}), started
	fc.mu.Unlock()
	if _, err := io.WriteString(c, cmd("SET", "k", "v")); err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want DeadlineExceeded", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); err != nil && !isReset(err) {
		t.Errorf("connection not closed: %v", err)
	}
	// A second Shutdown, and Serve after Shutdown, return at once.
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := srv.Serve(lis); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

// TestHugeArgumentCount checks a request announcing 2^31-1 arguments (the
// most Redis accepts) allocates nothing up front: the connection waits for
// them and others are served.
func TestHugeArgumentCount(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := dial(t, addr)
	if _, err := io.WriteString(a.c, "*2147483647\r\n"+strings.Repeat("$1\r\nx\r\n", 1000)); err != nil {
		t.Fatal(err)
	}
	if got := dial(t, addr).do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING on another connection = %q", got)
	}
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Errorf("heap grew by %d MiB", grew>>20)
	}
	if got := roundTrip(t, addr, "*2147483648\r\n"); got != "-ERR Protocol error: invalid multibulk length\r\n" {
		t.Errorf("2^31 arguments: %q", got)
	}
}

// pingPong makes one PING round trip on c: once it returns, the server
// has accepted and registered the connection.
func pingPong(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.WriteString(c, cmd("PING")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	pong := make([]byte, len("+PONG\r\n"))
	if _, err := io.ReadFull(c, pong); err != nil || string(pong) != "+PONG\r\n" {
		t.Fatalf("PING: %q, %v", pong, err)
	}
	_ = c.SetReadDeadline(time.Time{})
}
