package resp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
)

// conn is a test client that sends one request at a time and reads its
// reply, for scenarios across several connections.
type conn struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dial(t *testing.T, addr string) *conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c, rd: bufio.NewReader(c)}
}

// do sends args and returns the raw reply.
func (c *conn) do(args ...string) string {
	c.t.Helper()
	_ = c.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.c, cmd(args...)); err != nil {
		c.t.Fatal(err)
	}
	v, err := readValue(c.rd)
	if err != nil {
		c.t.Fatalf("%v: read reply: %v", args, err)
	}
	return v
}

// readValue reads one RESP2 or RESP3 value, returning its raw bytes.
func readValue(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	switch line[0] {
	case '*', '~', '%':
		if line[0] == '%' {
			n *= 2
		}
		for range n {
			v, err := readValue(r)
			if err != nil {
				return "", err
			}
			line += v
		}
	case '$', '=':
		if n >= 0 {
			b := make([]byte, n+2)
			if _, err := io.ReadFull(r, b); err != nil {
				return "", err
			}
			line += string(b)
		}
	}
	return line, nil
}

// bulkBody returns the text of a bulk or verbatim reply.
func bulkBody(t *testing.T, reply string) string {
	t.Helper()
	_, body, ok := strings.Cut(reply, "\r\n")
	if !ok || (reply[0] != '$' && reply[0] != '=') {
		t.Fatalf("not a bulk reply: %q", reply)
	}
	body = strings.TrimSuffix(body, "\r\n")
	if reply[0] == '=' {
		body = strings.TrimPrefix(body, "txt:")
	}
	return body
}

// clientFields parses one CLIENT LIST line into its fields, in order.
func clientFields(t *testing.T, line string) (keys []string, vals map[string]string) {
	t.Helper()
	vals = map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("field %q in %q", f, line)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	return keys, vals
}

// TestClientListFormat checks CLIENT INFO and CLIENT LIST list Redis's
// fields, in Redis's order, plus Redis 7.2's lib-name and lib-ver, and
// that the values raftcache tracks are right.
func TestClientListFormat(t *testing.T) {
	redisAddr := startRedis(t)
	_, ourAddr, _ := startServer(t, Config{})
	redisKeys, _ := clientFields(t, bulkBody(t, dial(t, redisAddr).do("CLIENT", "INFO")))

	a, b := dial(t, ourAddr), dial(t, ourAddr)
	idA, idB := a.do("CLIENT", "ID"), b.do("CLIENT", "ID")
	if idA != ":1\r\n" || idB != ":2\r\n" {
		t.Errorf("client IDs %q %q, want 1 and 2 in connection order", idA, idB)
	}
	a.do("CLIENT", "SETNAME", "alpha")
	a.do("CLIENT", "SETINFO", "LIB-NAME", "go-redis(test)")
	a.do("CLIENT", "SETINFO", "lib-ver", "9.9.9")
	b.do("HELLO", "3")
	b.do("READONLY")
	b.do("MULTI")
	b.do("PING")

	keys, vals := clientFields(t, bulkBody(t, a.do("CLIENT", "INFO")))
	if want := append(append([]string{}, redisKeys...), "lib-name", "lib-ver"); strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("CLIENT INFO fields\n got %v\nwant %v", keys, want)
	}
	for k, want := range map[string]string{"id": "1", "name": "alpha", "flags": "N", "db": "0", "multi": "-1",
		"cmd": "client|info", "user": "default", "resp": "2", "lib-name": "go-redis(test)", "lib-ver": "9.9.9",
		"laddr": ourAddr} {
		if vals[k] != want {
			t.Errorf("CLIENT INFO %s=%q, want %q", k, vals[k], want)
		}
	}
	if _, err := strconv.Atoi(vals["fd"]); err != nil || vals["fd"] == "-1" {
		t.Errorf("fd=%q, want the socket's descriptor", vals["fd"])
	}

	list := bulkBody(t, a.do("CLIENT", "LIST"))
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST has %d lines: %q", len(lines), list)
	}
	_, va := clientFields(t, lines[0])
	_, vb := clientFields(t, lines[1])
	if va["id"] != "1" || vb["id"] != "2" || va["cmd"] != "client|list" {
		t.Errorf("CLIENT LIST order or cmd: %q", list)
	}
	for k, want := range map[string]string{"flags": "xr", "multi": "1", "resp": "3", "cmd": "ping", "name": ""} {
		if vb[k] != want {
			t.Errorf("second client %s=%q, want %q", k, vb[k], want)
		}
	}
	if got := bulkBody(t, a.do("CLIENT", "LIST", "ID", "2", "7", "1")); !strings.HasPrefix(got, "id=2 ") ||
		!strings.Contains(got, "\nid=1 ") || strings.Count(got, "\n") != 2 {
		t.Errorf("CLIENT LIST ID 2 7 1 = %q", got)
	}
	if got := bulkBody(t, a.do("CLIENT", "LIST", "TYPE", "normal")); got != list[:len(got)] || strings.Count(got, "\n") != 2 {
		t.Errorf("CLIENT LIST TYPE normal = %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "SETINFO", "lib-foo", "x"}, "-ERR Unrecognized option 'lib-foo'\r\n"},
		{[]string{"CLIENT", "SETINFO", "LIB-NAME", "a b"}, "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-name"}, "-ERR wrong number of arguments for 'client|setinfo' command\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-name", ""}, "+OK\r\n"},
	} {
		if got := a.do(tc.args...); got != tc.want {
			t.Errorf("%v = %q, want %q", tc.args, got, tc.want)
		}
	}
	if _, vals := clientFields(t, bulkBody(t, a.do("CLIENT", "INFO"))); vals["lib-name"] != "" || vals["lib-ver"] != "9.9.9" {
		t.Errorf("after clearing lib-name: %v", vals)
	}
	// RESET keeps the library's name, as Redis does, and ends the rest.
	b.do("RESET")
	if _, vals := clientFields(t, bulkBody(t, b.do("CLIENT", "INFO"))); vals["flags"] != "N" || vals["resp"] != "2" || vals["multi"] != "-1" {
		t.Errorf("after RESET: %v", vals)
	}
}

// TestInfoFieldNames checks every INFO field raftcache reports, outside its
// own Raft section, is one Redis reports too, under the same section.
func TestInfoFieldNames(t *testing.T) {
	redisAddr := startRedis(t)
	_, ourAddr, _ := startServer(t, Config{})
	sections := func(text string) map[string]map[string]string {
		out := map[string]map[string]string{}
		var cur map[string]string
		for _, line := range strings.Split(text, "\r\n") {
			switch {
			case strings.HasPrefix(line, "# "):
				cur = map[string]string{}
				out[strings.ToLower(line[2:])] = cur
			case line != "":
				k, v, _ := strings.Cut(line, ":")
				cur[k] = v
			}
		}
		return out
	}
	r := dial(t, redisAddr)
	r.do("SET", "a", "1")
	ours := dial(t, ourAddr)
	ours.do("SET", "a", "1")
	theirs := sections(bulkBody(t, r.do("INFO", "everything")))
	got := sections(bulkBody(t, ours.do("INFO")))
	ownFields := map[string]bool{"raftcache_version": true, "go_version": true}
	for _, name := range []string{"server", "clients", "memory", "stats", "keyspace"} {
		if got[name] == nil {
			t.Errorf("INFO lacks section %s", name)
			continue
		}
		for k := range got[name] {
			if _, ok := theirs[name][k]; !ok && !ownFields[k] {
				t.Errorf("INFO %s has %q, which Redis does not report there", name, k)
			}
		}
	}
	if got["raft"] == nil {
		t.Error("INFO lacks section raft")
	}
	for _, k := range []string{"expired_keys", "keyspace_hits", "keyspace_misses", "total_commands_processed"} {
		if _, ok := got["stats"][k]; !ok {
			t.Errorf("INFO stats lacks %s", k)
		}
	}
	if got["keyspace"]["db0"] != "keys=1,expires=0,avg_ttl=0" {
		t.Errorf("INFO keyspace db0 = %q", got["keyspace"]["db0"])
	}
	// Sections asked for by name, in any case, and only those.
	only := sections(bulkBody(t, ours.do("INFO", "STATS", "clients", "nosuch")))
	if len(only) != 2 || only["stats"] == nil || only["clients"] == nil {
		t.Errorf("INFO STATS clients nosuch gave sections %v", only)
	}
	if n := got["clients"]["connected_clients"]; n != "1" {
		t.Errorf("connected_clients = %q", n)
	}
	hits, _ := strconv.Atoi(got["stats"]["keyspace_hits"])
	ours.do("GET", "a")
	ours.do("GET", "nope")
	after := sections(bulkBody(t, ours.do("INFO", "stats")))["stats"]
	if h, _ := strconv.Atoi(after["keyspace_hits"]); h != hits+1 || after["keyspace_misses"] != "1" {
		t.Errorf("keyspace_hits %d -> %s, misses %s after one hit and one miss", hits, after["keyspace_hits"], after["keyspace_misses"])
	}
}

// TestTime checks TIME is this machine's clock, as two bulk strings.
func TestTime(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	got := dial(t, addr).do("TIME")
	m := regexp.MustCompile(`^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("TIME = %q", got)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	usec, _ := strconv.ParseInt(m[2], 10, 64)
	if d := time.Since(time.Unix(sec, usec*1000)); d < 0 || d > 5*time.Second || usec >= 1e6 {
		t.Errorf("TIME = %d.%06d, %v from now", sec, usec, d)
	}
}

// TestReadOnly checks that READONLY lets a connection read without the
// read barrier (so it still reads while the barrier fails), that READWRITE
// and RESET undo it, and that it never affects writes or other connections.
func TestReadOnly(t *testing.T) {
	_, addr, fc := startServer(t, Config{Timeout: 200 * time.Millisecond})
	a, b := dial(t, addr), dial(t, addr)
	a.do("SET", "k", "v")
	fc.fail(nil, cluster.ErrNoLeader)
	defer fc.fail(nil, nil)
	down := "-CLUSTERDOWN The cluster is down: no leader\r\n"
	if got := a.do("GET", "k"); got != down {
		t.Errorf("default GET = %q, want the barrier's error", got)
	}
	for _, step := range []struct {
		c    *conn
		args []string
		want string
	}{
		{a, []string{"READONLY"}, "+OK\r\n"},
		{a, []string{"GET", "k"}, "$1\r\nv\r\n"},
		{a, []string{"MGET", "k", "nope"}, "*2\r\n$1\r\nv\r\n$-1\r\n"},
		{b, []string{"GET", "k"}, down},
		{a, []string{"READWRITE"}, "+OK\r\n"},
		{a, []string{"GET", "k"}, down},
		{a, []string{"READONLY"}, "+OK\r\n"},
		{a, []string{"RESET"}, "+RESET\r\n"},
		{a, []string{"GET", "k"}, down},
		{a, []string{"READONLY", "x"}, "-ERR wrong number of arguments for 'readonly' command\r\n"},
	} {
		if got := step.c.do(step.args...); got != step.want {
			t.Errorf("%v = %q, want %q", step.args, got, step.want)
		}
	}
}

// TestWatchAcrossConnections checks a write from another connection
// between WATCH and EXEC aborts the transaction, and that EXEC is one log
// entry however many commands it holds.
func TestWatchAcrossConnections(t *testing.T) {
	_, addr, fc := startServer(t, Config{})
	a, b := dial(t, addr), dial(t, addr)
	a.do("SET", "k", "1")
	a.do("WATCH", "k", "other")
	b.do("SET", "k", "2")
	a.do("MULTI")
	a.do("INCR", "k")
	if got := a.do("EXEC"); got != "*-1\r\n" {
		t.Errorf("EXEC after another client's write = %q, want a null array", got)
	}
	a.do("WATCH", "k")
	b.do("SET", "unrelated", "x")
	a.do("MULTI")
	for range 10 {
		a.do("INCR", "k")
	}
	a.do("PING")
	fc.mu.Lock()
	before := fc.index
	fc.mu.Unlock()
	if got := a.do("EXEC"); !strings.HasPrefix(got, "*11\r\n:3\r\n") || !strings.HasSuffix(got, ":12\r\n+PONG\r\n") {
		t.Errorf("EXEC = %q", got)
	}
	fc.mu.Lock()
	after := fc.index
	fc.mu.Unlock()
	if after != before+1 {
		t.Errorf("EXEC of 10 writes took %d log entries, want 1", after-before)
	}
	// A transaction of only connection commands needs no entry at all.
	a.do("MULTI")
	a.do("PING")
	a.do("EXEC")
	fc.mu.Lock()
	if fc.index != after {
		t.Errorf("EXEC of PING proposed %d entries", fc.index-after)
	}
	fc.mu.Unlock()
}

// TestExecFailure checks that a transaction whose entry cannot be proposed
// gets the Raft error, and that the connection is out of MULTI afterwards.
func TestExecFailure(t *testing.T) {
	_, addr, fc := startServer(t, Config{Timeout: 200 * time.Millisecond})
	a := dial(t, addr)
	a.do("MULTI")
	a.do("SET", "k", "v")
	fc.fail(cluster.ErrNoLeader, nil)
	if got := a.do("EXEC"); got != "-CLUSTERDOWN The cluster is down: no leader\r\n" {
		t.Errorf("EXEC = %q", got)
	}
	fc.fail(nil, nil)
	if got := a.do("EXEC"); got != "-ERR EXEC without MULTI\r\n" {
		t.Errorf("second EXEC = %q", got)
	}
	// WATCH needs the read barrier.
	fc.fail(nil, cluster.ErrNoLeader)
	if got := a.do("WATCH", "k"); got != "-CLUSTERDOWN The cluster is down: no leader\r\n" {
		t.Errorf("WATCH = %q", got)
	}
	fc.fail(nil, nil)
}

// TestTransactionSizeLimit checks the queue of a transaction is bounded by
// the query buffer limit, failing the EXEC like a refused command.
func TestTransactionSizeLimit(t *testing.T) {
	_, addr, _ := startServer(t, Config{MaxQueryBuffer: 2000})
	a := dial(t, addr)
	a.do("MULTI")
	val := strings.Repeat("v", 500)
	var last string
	for i := range 4 {
		last = a.do("SET", "k"+strconv.Itoa(i), val)
	}
	if want := "-ERR transaction too large: its commands exceed client-query-buffer-limit\r\n"; last != want {
		t.Errorf("4th queued SET = %q, want %q", last, want)
	}
	if got := a.do("EXEC"); got != "-EXECABORT Transaction discarded because of previous errors.\r\n" {
		t.Errorf("EXEC = %q", got)
	}
}

// TestConfigSetLimits checks CONFIG SET changes the request limits of
// connections already open, and requirepass of new ones.
func TestConfigSetLimits(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	a := dial(t, addr)
	big := strings.Repeat("x", 1<<20+1)
	if got := a.do("ECHO", big); len(got) != len(big)+len("$1048577\r\n\r\n") {
		t.Fatalf("ECHO of 1 MiB + 1 failed: %q", truncate(got))
	}
	if got := a.do("CONFIG", "SET", "proto-max-bulk-len", "1mb"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := roundTrip(t, addr, cmd("PING")+"*2\r\n$4\r\nECHO\r\n$1048577\r\n"); got != "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n" {
		t.Errorf("after lowering proto-max-bulk-len: %q", truncate(got))
	}
	if got := a.do("CONFIG", "SET", "requirepass", "pw"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	// a connected before the password: it stays authenticated, as in Redis.
	if got := a.do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING on an older connection = %q", got)
	}
	b := dial(t, addr)
	if got := b.do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Errorf("PING on a new connection = %q", got)
	}
	if got := b.do("AUTH", "pw"); got != "+OK\r\n" {
		t.Errorf("AUTH = %q", got)
	}
	if got := a.do("CONFIG", "GET", "requirepass"); got != "*2\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n" {
		t.Errorf("CONFIG GET requirepass = %q", got)
	}
	// Clearing the password lets unauthenticated clients in again.
	a.do("CONFIG", "SET", "requirepass", "")
	if got := dial(t, addr).do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING after clearing the password = %q", got)
	}
	if got := a.do("CONFIG", "GET", "databases"); got != "*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n" {
		t.Errorf("CONFIG GET databases = %q", got)
	}
	if got := a.do("SELECT", "16"); got != "-ERR DB index is out of range\r\n" {
		t.Errorf("SELECT 16 = %q", got)
	}
}

// TestWaitSingleNode checks WAIT with no replicas returns 0 at once when 0
// are asked for, and after its timeout otherwise.
func TestWaitSingleNode(t *testing.T) {
	_, addr, _ := startServer(t, Config{Timeout: time.Second})
	a := dial(t, addr)
	a.do("SET", "k", "v")
	if got := a.do("WAIT", "0", "0"); got != ":0\r\n" {
		t.Errorf("WAIT 0 0 = %q", got)
	}
	start := time.Now()
	if got := a.do("WAIT", "1", "100"); got != ":0\r\n" {
		t.Errorf("WAIT 1 100 = %q", got)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("WAIT 1 100 took %v", d)
	}
	// WAIT 1 0 would block forever in Redis; here it is bounded by the
	// request timeout.
	start = time.Now()
	if got := a.do("WAIT", "1", "0"); got != ":0\r\n" {
		t.Errorf("WAIT 1 0 = %q", got)
	}
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Errorf("WAIT 1 0 took %v, want the 1s request timeout", d)
	}
}

// TestShutdownEndsWait checks a blocked WAIT does not hold up Shutdown.
func TestShutdownEndsWait(t *testing.T) {
	srv, addr, _, served := serveFake(t, Config{Timeout: time.Minute})
	a := dial(t, addr)
	if _, err := io.WriteString(a.c, cmd("WAIT", "5", "0")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = srv.Shutdown(ctx)
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v with a WAIT blocked", d)
	}
}
