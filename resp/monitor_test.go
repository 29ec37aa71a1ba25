package resp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// monitorLineRE matches a MONITOR line: time, database, client address (or
// "lua") and the arguments.
var monitorLineRE = regexp.MustCompile(`^(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)$`)

// readMonitor reads mc's monitor lines up to the one for ECHO marker, and
// returns them with the time masked and the address of client (that
// client's local address) as CLIENT; any other address fails the test.
func readMonitor(t *testing.T, mc *compatConn, client net.Conn, marker string) []string {
	t.Helper()
	var lines []string
	for {
		v, err := mc.recv()
		if err != nil {
			t.Fatalf("%s: monitor: %v after %q", mc.name, err, lines)
		}
		m := monitorLineRE.FindStringSubmatch(v.text)
		if v.typ != '+' || m == nil {
			t.Fatalf("%s: not a monitor line: %s", mc.name, v)
		}
		if sec := m[1]; len(sec) < 10 || time.Since(time.Unix(int64(atoi(t, sec)), 0)).Abs() > time.Minute {
			t.Fatalf("%s: monitor line's time is not now: %s", mc.name, v)
		}
		if m[5] == `"echo" "`+marker+`"` {
			return lines
		}
		addr := m[4]
		switch addr {
		case client.LocalAddr().String():
			addr = "CLIENT"
		case "lua":
		default:
			t.Fatalf("%s: monitor line from %s, want the client's %s: %s", mc.name, addr, client.LocalAddr(), v)
		}
		lines = append(lines, "["+m[3]+" "+addr+"] "+m[5])
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, ch := range s {
		n = n*10 + int(ch-'0')
	}
	return n
}

// monitorCases is what the client sends while another connection
// monitors: what Redis shows, hides or redacts.
var monitorCases = [][]string{
	{"set", "foo", "bar"},
	{"get", "foo"},
	{"set", "k\x01\x7f\xff\n\r\t\a\b\\\"é", "12345"},
	{"SET", "n", "-12"},
	{"select", "3"},
	{"set", "in3", "x"},
	{"select", "0"},
	// Refused before running: not shown.
	{"nosuchcommand", "a"},
	{"get"},
	{"set", "a"},
	// Admin commands: not shown.
	{"config", "get", "maxmemory"},
	{"client", "list"},
	{"slowlog", "len"},
	{"latency", "latest"},
	// Secrets redacted.
	{"auth", "pw"},
	{"auth", "user", "pw"},
	{"auth", "a", "b", "c"},
	{"hello", "2", "auth", "default", "wrong"},
	{"hello", "2", "AUTH", "u", "p", "bogus"},
	{"hello", "4", "auth", "u", "p"},
	{"hello", "x", "auth", "u", "p"},
	{"hello", "2", "setname", "bob"},
	{"client", "setname", "alice"},
	// Transactions: fed at EXEC, in their databases, then EXEC.
	{"multi"},
	{"set", "a", "1"},
	{"incr", "a"},
	{"select", "2"},
	{"set", "b", "2"},
	{"ping"},
	{"exec"},
	{"select", "0"},
	{"multi"},
	{"get"},
	{"set", "a", "2"},
	{"exec"},
	{"multi"},
	{"monitor"},
	{"set", "a", "3"},
	{"exec"},
	{"discard"},
	{"watch", "a"},
	{"unwatch"},
	{"incr", "foo"},
	{"eval", "return 1", "0"},
	{"evalsha", "0000", "0"},
	{"publish", "ch", "msg"},
	{"echo", "hi"},
	{"ping"},
	{"lpush", "l", "x"},
	{"lrange", "l", "0", "-1"},
	{"del", "l", "foo"},
}

// TestMonitorAgainstRedis sends the same commands to redis-server, a
// single node and a follower, each watched by a MONITOR, and requires the
// same monitor lines with the times and addresses masked. Then the
// monitor's own rules: a second MONITOR has no reply, a monitor may not
// touch the keyspace, RESET ends monitoring, and QUIT is shown.
func TestMonitorAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	targets, _ := compatTargets(t)
	all := append([]compatTarget{{name: "redis", addr: redisAddr}}, targets...)

	type side struct {
		mon, cl, other *compatConn
	}
	sides := make([]side, len(all))
	for i, tg := range all {
		sides[i] = side{
			mon:   dialCompat(t, tg.name+" monitor", tg.addr),
			cl:    dialCompat(t, tg.name, tg.addr),
			other: dialCompat(t, tg.name+" marker", tg.addr),
		}
		if v, err := sides[i].mon.do("monitor"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("%s: MONITOR: %v %v", tg.name, v, err)
		}
	}
	replies := make([][]string, len(all))
	for _, args := range monitorCases {
		for i, sd := range sides {
			v, err := sd.cl.do(args...)
			if err != nil {
				t.Fatalf("%s: %q: %v", all[i].name, args, err)
			}
			replies[i] = append(replies[i], v.raw)
		}
	}
	// The client quits; the marker, from another client, follows it.
	for i, sd := range sides {
		if v, err := sd.cl.do("quit"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("%s: QUIT: %v %v", all[i].name, v, err)
		}
		if _, err := sd.other.do("echo", "marker"); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i, sd := range sides {
		got := readMonitor(t, sd.mon, sd.cl.c, "marker")
		// The marker's client is not the one masked: cut at QUIT.
		if i == 0 {
			want = got
			if len(want) < 20 {
				t.Fatalf("redis showed only %q", want)
			}
			continue
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s's monitor lines differ from redis's:\n got: %q\nwant: %q", all[i].name, got, want)
		}
		for j := range replies[i] {
			// The replies themselves are the compat suite's; here only
			// the refusals and redactions' errors must agree.
			if strings.HasPrefix(replies[0][j], "-") != strings.HasPrefix(replies[i][j], "-") {
				t.Errorf("%s: %q: reply %q, redis %q", all[i].name, monitorCases[j], replies[i][j], replies[0][j])
			}
		}
	}

	// The monitor itself: MONITOR again has no reply (PING's comes
	// first, then PING's own line), a keyspace command is refused,
	// RESET ends it.
	var wantRaw string
	for i, sd := range sides {
		if err := sd.mon.send([][]string{{"monitor"}, {"ping"}, {"get", "x"}, {"publish", "c", "m"}, {"reset"}, {"ping"}}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 6 {
			v, err := sd.mon.recv()
			if err != nil {
				t.Fatalf("%s: %v after %q", all[i].name, err, b.String())
			}
			if m := monitorLineRE.FindStringSubmatch(v.text); v.typ == '+' && m != nil {
				v.raw = "+[" + m[3] + "] " + m[5] + "\r\n"
			}
			b.WriteString(v.raw)
		}
		if i == 0 {
			wantRaw = b.String()
			continue
		}
		if b.String() != wantRaw {
			t.Errorf("%s: monitor's own commands:\n got: %q\nwant: %q", all[i].name, b.String(), wantRaw)
		}
	}
	// After RESET, nothing more is shown: the next reply is PING's.
	for i, sd := range sides {
		if _, err := sd.other.do("set", "after", "reset"); err != nil {
			t.Fatal(err)
		}
		if v, err := sd.mon.do("ping"); err != nil || v.raw != "+PONG\r\n" {
			t.Errorf("%s: after RESET the monitor got %v %v, want PONG", all[i].name, v, err)
		}
	}
}

// TestMonitorOnFollower: a MONITOR on a follower shows the commands its
// own clients send, not the writes the leader's clients make, which the
// follower applies all the same.
func TestMonitorOnFollower(t *testing.T) {
	nodes := startRaftNodes(t, 3, nodeOptions{})
	lead := waitForLeader(t, nodes)
	f := followers(t, nodes)[0]
	fmon := dialCompat(t, "follower monitor", f.addr)
	lmon := dialCompat(t, "leader monitor", lead.addr)
	for _, m := range []*compatConn{fmon, lmon} {
		if v, err := m.do("monitor"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("MONITOR: %v %v", v, err)
		}
	}
	fc := dialCompat(t, "follower client", f.addr)
	lc := dialCompat(t, "leader client", lead.addr)
	for _, step := range []struct {
		c    *compatConn
		args []string
	}{
		{lc, []string{"set", "from-leader", "1"}},
		{fc, []string{"set", "from-follower", "2"}},
		{fc, []string{"get", "from-leader"}},
		{lc, []string{"get", "from-follower"}},
		{fc, []string{"echo", "marker"}},
		{lc, []string{"echo", "marker"}},
	} {
		if v, err := step.c.do(step.args...); err != nil || v.isError() {
			t.Fatalf("%s %q: %v %v", step.c.name, step.args, v, err)
		}
	}
	if got, want := readMonitor(t, fmon, fc.c, "marker"), []string{
		`[0 CLIENT] "set" "from-follower" "2"`, `[0 CLIENT] "get" "from-leader"`,
	}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("follower's monitor: %q, want %q", got, want)
	}
	if got, want := readMonitor(t, lmon, lc.c, "marker"), []string{
		`[0 CLIENT] "set" "from-leader" "1"`, `[0 CLIENT] "get" "from-follower"`,
	}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("leader's monitor: %q, want %q", got, want)
	}
}

// TestMonitorSlowDisconnected: a monitor that stops reading is
// disconnected once its output passes maxMonitorOutput; the clients it
// watches are never held up by it.
func TestMonitorSlowDisconnected(t *testing.T) {
	srv, addr, _ := startServer(t, Config{})
	const limit = 1 << 20
	srv.monitors.limit = limit
	mon, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	_ = mon.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := io.WriteString(mon, cmd("monitor")); err != nil {
		t.Fatal(err)
	}
	ok := make([]byte, 5)
	if _, err := io.ReadFull(mon, ok); err != nil || string(ok) != "+OK\r\n" {
		t.Fatalf("MONITOR: %q %v", ok, err)
	}
	cl := dialCompat(t, "client", addr)
	big := strings.Repeat("a", 64<<10)
	// Well past the bound and what the socket buffers hold.
	const sent = 16 * limit
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < sent/len(big); i++ {
		if v, err := cl.do("echo", big); err != nil || len(v.text) != len(big) {
			t.Fatalf("ECHO %d: %v", i, err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the client was held up by the monitor")
		}
	}
	// The monitor was dropped by the server (what the kernel still had
	// queued for it may reach it or not: an orphaned socket facing a
	// closed window is the kernel's), and the client goes on.
	eventually(t, "slow monitor dropped", func() string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if n := len(srv.conns); n != 1 {
			return fmt.Sprintf("%d connections", n)
		}
		if n := srv.monitors.n.Load(); n != 0 {
			return fmt.Sprintf("%d monitors", n)
		}
		return ""
	})
	if v, err := cl.do("client", "list"); err != nil || strings.Contains(v.text, "flags=O") {
		t.Fatalf("CLIENT LIST after the drop: %q %v", v.text, err)
	}
}

// TestMonitorEndsOnShutdown: a monitor is an idle connection to Shutdown,
// which ends it at once, as it ends every other one, while a client is
// still being fed to it.
func TestMonitorEndsOnShutdown(t *testing.T) {
	srv, addr, _ := startServer(t, Config{})
	mon := dialCompat(t, "monitor", addr)
	if v, err := mon.do("monitor"); err != nil || v.raw != "+OK\r\n" {
		t.Fatalf("MONITOR: %v %v", v, err)
	}
	cl := dialCompat(t, "client", addr)
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := cl.do("set", "k", "v"); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-fed }()
	if _, err := mon.recv(); err != nil {
		t.Fatalf("no monitor line: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a monitor: %v after %v", err, time.Since(start))
	}
	_ = mon.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := mon.recv(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the monitor's connection outlived Shutdown")
			}
			break
		}
	}
}
