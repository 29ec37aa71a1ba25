package resp

import (
	"bytes"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startRedis runs a throwaway redis-server on a free port for the test,
// with extra command-line options if given.
func startRedis(t *testing.T, options ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed; the differential test needs it as the oracle")
	}
	addrs, err := clustertest.FreeAddrs("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	addr := addrs[0]
	_, port, _ := net.SplitHostPort(addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no"}, options...)
	srv := exec.Command(bin, args...)
	var out bytes.Buffer
	srv.Stdout, srv.Stderr = &out, &out
	if err := srv.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = srv.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("redis-server %q exited:\n%s", args, out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = srv.Process.Kill()
			<-exited
			t.Fatalf("redis-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAgainstRedis sends the same raw requests to redis-server and to a
// Server and requires byte-identical replies. Every case starts with a
// FLUSHALL so that cases do not depend on each other.
func TestAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	_, ourAddr, _ := startServer(t, Config{})

	bigArg := strings.Repeat("x", 200)
	cases := []struct{ name, req string }{
		// Connection commands.
		{"ping", cmd("PING") + cmd("ping", "hello") + cmd("PiNg", "") + cmd("PING", "a", "b")},
		{"ping inline", "PING\r\nping   hi  \r\n"},
		{"echo", cmd("ECHO", "x") + cmd("ECHO") + cmd("ECHO", "a", "b") + cmd("echo", "")},
		{"quit", cmd("QUIT") + cmd("PING")},
		{"quit with args", cmd("quit", "now") + cmd("PING")},

		// Unknown commands.
		{"unknown", cmd("NOSUCHCMD", "a", "b") + cmd("nosuchcmd") + cmd("x", "")},
		{"unknown long args", cmd("NOSUCHCMD", bigArg, bigArg) + cmd(bigArg)},
		{"unknown many args", cmd("NOSUCH", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
			"11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24",
			"25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "37", "38")},
		{"unknown binary", cmd("NO\x00SUCH", "a\x00b", "c\r\nd") + cmd("a\r\nb")},

		// Strings.
		{"set get", cmd("SET", "k", "v") + cmd("GET", "k") + cmd("GET", "missing") + cmd("get", "K")},
		{"binary safe", cmd("SET", "k\x00\r\ney", "v\r\n\x00al\r\n") + cmd("GET", "k\x00\r\ney") +
			cmd("MGET", "k\x00\r\ney", "nope") + cmd("EXISTS", "k\x00\r\ney")},
		{"set options", cmd("SET", "k", "v", "EX", "100") + cmd("SET", "k", "v", "EX", "x") +
			cmd("SET", "k", "v", "EX", "0") + cmd("SET", "k", "v", "NX", "XX") +
			cmd("SET", "k", "w", "NX") + cmd("SET", "k", "w", "XX", "GET") + cmd("GET", "k") +
			cmd("SET", "k", "v", "PX", "-1") + cmd("SET", "k", "v", "FOO")},
		{"set arity", cmd("SET") + cmd("SET", "k") + cmd("GET") + cmd("GET", "a", "b")},
		{"incr", cmd("SET", "n", "10") + cmd("INCR", "n") + cmd("INCRBY", "n", "5") +
			cmd("DECR", "n") + cmd("DECRBY", "n", "3") + cmd("INCRBY", "n", "x") +
			cmd("INCRBY", "n", "1.5") + cmd("INCRBY", "n", "99999999999999999999") +
			cmd("INCR", "fresh") + cmd("GET", "n")},
		{"incr errors", cmd("SET", "s", "abc") + cmd("INCR", "s") + cmd("SET", "big", "9223372036854775807") +
			cmd("INCR", "big") + cmd("SET", "small", "-9223372036854775808") + cmd("DECR", "small") +
			cmd("DECRBY", "n", "-9223372036854775808") + cmd("INCR") + cmd("INCRBY", "n")},
		{"del exists", cmd("MSET", "a", "1", "b", "2", "c", "3") + cmd("EXISTS", "a", "b", "x", "a") +
			cmd("DEL", "a", "x") + cmd("EXISTS", "a") + cmd("DEL") + cmd("EXISTS")},
		{"mset mget", cmd("MSET", "a", "1", "b") + cmd("MSET") + cmd("MSET", "a", "1", "b", "2") +
			cmd("MGET", "a", "b", "c") + cmd("MGET")},
		{"dbsize flushall", cmd("MSET", "a", "1", "b", "2") + cmd("DBSIZE") + cmd("DBSIZE", "x") +
			cmd("FLUSHALL", "SYNC") + cmd("FLUSHALL", "BAD") + cmd("DBSIZE")},
		{"more strings", cmd("APPEND", "a", "xy") + cmd("STRLEN", "a") + cmd("GETRANGE", "a", "0", "-1") +
			cmd("SETRANGE", "a", "1", "Z") + cmd("TYPE", "a") + cmd("TYPE", "none") + cmd("TTL", "a") +
			cmd("INCRBYFLOAT", "f", "1.5") + cmd("GETDEL", "a") + cmd("RENAME", "nope", "x")},

		// Inline requests, parsed as sdssplitargs does.
		{"inline quoting", "SET a \"b c\"\r\nGET a\r\nECHO \"x\\x41\\n\"\r\nECHO 'it\\'s'\r\nECHO a\"b c\"\r\n"},
		{"inline blank lines", "\r\n\n   \r\nPING\n"},
		{"inline unbalanced", "PING\r\nSET \"a b\r\nPING\r\n"},
		{"inline closing quote", "PING\r\nECHO \"a\"b\r\n"},

		// Protocol edge cases and errors.
		{"empty multibulk", "*0\r\n*-1\r\n" + cmd("PING")},
		{"unchecked terminator", "*1\r\n$4\r\nPINGxx" + cmd("PING")},
		{"null bulk", cmd("PING") + "*1\r\n$-1\r\n"},
		{"bad multibulk length", cmd("PING") + "*x\r\n"},
		{"multibulk plus sign", "*+1\r\n$4\r\nPING\r\n"},
		{"multibulk leading zero", "*01\r\n$4\r\nPING\r\n"},
		{"multibulk too long", "*2147483648\r\n"},
		{"expected dollar", "*1\r\nx\r\n"},
		{"bare CR in header", "*1\r$4\r\nPING\r\n"},
		{"bulk length huge", "*1\r\n$99999999999\r\n"},
		{"bulk length over limit", "*1\r\n$536870913\r\n"},
		{"bulk length sign", "*1\r\n$+4\r\nPING\r\n"},
		{"inline too big", cmd("PING") + strings.Repeat("A", 70000)},
		{"bulk count too big", "*1\r\n$" + strings.Repeat("1", 70000)},
		{"mbulk count too big", "*" + strings.Repeat("1", 70000)},
		{"error after pipeline", cmd("SET", "a", "1") + cmd("GET", "a") + "*1\r\n$-3\r\n" + cmd("PING")},

		// COMMAND, with Redis's captured metadata.
		{"command info", cmd("COMMAND", "INFO", "get", "SET", "nosuch", "ping") + cmd("command", "info", "mset")},
		{"command docs", cmd("COMMAND", "DOCS", "get", "nosuch", "INCRBY") + cmd("COMMAND", "DOCS", "nosuch")},
		{"command errors", cmd("COMMAND", "foo") + cmd("COMMAND", "COUNT", "x") + cmd("COMMAND", "HELP", "x") +
			cmd("COMMAND", "GETKEYS") + cmd("COMMAND", "GETKEYS", "get")},
		{"command help", cmd("COMMAND", "HELP")},
		{"command getkeys", cmd("COMMAND", "GETKEYS", "set", "a", "b") + cmd("COMMAND", "GETKEYS", "mset", "a", "b", "c", "d")},

		// INFO sections whose content can match Redis's.
		{"info unknown section", cmd("INFO", "nosuch")},
		{"info keyspace", cmd("INFO", "keyspace") + cmd("SET", "a", "1") + cmd("MSET", "b", "2", "c", "3") +
			cmd("INFO", "KEYSPACE") + cmd("DEL", "a", "b", "c") + cmd("INFO", "keyspace")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := cmd("FLUSHALL") + tc.req
			want := roundTrip(t, redisAddr, req)
			got := roundTrip(t, ourAddr, req)
			if got != want {
				t.Errorf("request %q\n got: %q\nwant: %q", truncate(tc.req), truncate(got), truncate(want))
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}
