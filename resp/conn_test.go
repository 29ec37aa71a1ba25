package resp

import (
	"regexp"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/fsm"
)

// helloVaries matches the fields of HELLO's reply that differ between two
// servers by design: the version (raftcache claims 7.0.0) and the client ID.
var helloVaries = regexp.MustCompile(`(\$7\r\nversion\r\n)\$\d+\r\n[^\r]*\r\n|(\$2\r\nid\r\n):\d+\r\n`)

func normalizeHello(s string) string { return helloVaries.ReplaceAllString(s, "$1$2<varies>\r\n") }

// diffCase is a request whose raw replies from redis-server and from a
// Server must be byte-identical, once what legitimately varies is hidden.
type diffCase struct{ name, req string }

// runDiff sends prefix+req of each case, on a fresh connection, to both
// servers and compares the replies.
func runDiff(t *testing.T, redisAddr, ourAddr, prefix string, cases []diffCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := prefix + tc.req
			want := normalizeHello(roundTrip(t, redisAddr, req))
			got := normalizeHello(roundTrip(t, ourAddr, req))
			if got != want {
				t.Errorf("request %q\n got: %q\nwant: %q", truncate(req), truncate(got), truncate(want))
			}
		})
	}
}

// TestTransactionsAgainstRedis covers MULTI, EXEC, DISCARD, WATCH and
// UNWATCH, their errors, and errors inside EXEC, in RESP2 and RESP3.
func TestTransactionsAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	_, ourAddr, _ := startServer(t, Config{})
	cases := []diffCase{
		{"basic", cmd("MULTI") + cmd("SET", "a", "1") + cmd("INCR", "a") + cmd("GET", "a") + cmd("EXEC") + cmd("GET", "a")},
		{"empty", cmd("MULTI") + cmd("EXEC")},
		{"reads only", cmd("SET", "a", "1") + cmd("MULTI") + cmd("GET", "a") + cmd("GET", "nope") +
			cmd("EXISTS", "a") + cmd("HGETALL", "h") + cmd("EXEC")},
		{"discard", cmd("MULTI") + cmd("SET", "a", "1") + cmd("DISCARD") + cmd("GET", "a") + cmd("EXEC") + cmd("DISCARD")},
		{"nested multi", cmd("MULTI") + cmd("MULTI") + cmd("SET", "a", "1") + cmd("EXEC")},
		{"watch inside multi", cmd("MULTI") + cmd("WATCH", "a") + cmd("SET", "a", "2") + cmd("EXEC")},
		{"exec without multi", cmd("EXEC") + cmd("DISCARD")},
		{"unknown command queued", cmd("MULTI") + cmd("SET", "a", "1") + cmd("NOSUCH", "x") + cmd("EXEC") + cmd("GET", "a")},
		{"wrong arity queued", cmd("MULTI") + cmd("GET") + cmd("SET", "a", "1") + cmd("EXEC") + cmd("GET", "a")},
		{"unknown subcommand queued", cmd("MULTI") + cmd("CLIENT", "NOSUCH") + cmd("EXEC")},
		{"container arity queued", cmd("MULTI") + cmd("CLIENT") + cmd("EXEC")},
		{"discard arity in multi", cmd("MULTI") + cmd("DISCARD", "x") + cmd("SET", "a", "3") + cmd("EXEC") + cmd("GET", "a")},
		{"exec arity in multi", cmd("MULTI") + cmd("SET", "a", "1") + cmd("EXEC", "x") + cmd("EXEC") + cmd("GET", "a")},
		{"exec arity outside multi", cmd("EXEC", "x") + cmd("WATCH") + cmd("UNWATCH", "x")},
		{"errors inside exec", cmd("SET", "s", "abc") + cmd("MULTI") + cmd("INCR", "s") + cmd("HSET", "s", "f", "v") +
			cmd("SET", "k", "v", "EX", "x") + cmd("MSET", "a", "b", "c") + cmd("HSET", "h", "a", "b", "c") +
			cmd("SET", "k", "v") + cmd("GET", "k") + cmd("EXEC")},
		{"connection commands queued", cmd("MULTI") + cmd("PING") + cmd("PING", "x") + cmd("PING", "a", "b") +
			cmd("ECHO", "hi") + cmd("CLIENT", "SETNAME", "n") + cmd("CLIENT", "GETNAME") + cmd("SELECT", "0") +
			cmd("SELECT", "5000") + cmd("WAIT", "0", "0") + cmd("WAIT", "x", "0") + cmd("CONFIG", "GET", "nosuch") +
			cmd("EXEC") + cmd("CLIENT", "GETNAME")},
		{"hello inside exec", cmd("MULTI") + cmd("SET", "a", "1") + cmd("HELLO", "3") + cmd("GET", "nope") + cmd("EXEC") +
			cmd("GET", "nope")},
		{"watch unchanged", cmd("SET", "k", "1") + cmd("WATCH", "k", "missing") + cmd("MULTI") + cmd("INCR", "k") +
			cmd("EXEC") + cmd("GET", "k")},
		{"watch changed by self", cmd("SET", "k", "1") + cmd("WATCH", "k") + cmd("SET", "k", "2") + cmd("MULTI") +
			cmd("INCR", "k") + cmd("EXEC") + cmd("GET", "k")},
		{"watch missing key created", cmd("WATCH", "k") + cmd("SET", "k", "1") + cmd("MULTI") + cmd("INCR", "k") +
			cmd("EXEC") + cmd("GET", "k")},
		{"watch deleted", cmd("SET", "k", "1") + cmd("WATCH", "k") + cmd("DEL", "k") + cmd("MULTI") + cmd("PING") + cmd("EXEC")},
		{"watch changed then unwatch", cmd("SET", "k", "1") + cmd("WATCH", "k") + cmd("SET", "k", "2") + cmd("UNWATCH") +
			cmd("MULTI") + cmd("INCR", "k") + cmd("EXEC")},
		{"watch twice", cmd("SET", "k", "1") + cmd("WATCH", "k") + cmd("WATCH", "k") + cmd("MULTI") + cmd("GET", "k") + cmd("EXEC")},
		{"watch then discard forgets", cmd("SET", "k", "1") + cmd("WATCH", "k") + cmd("SET", "k", "2") + cmd("MULTI") +
			cmd("DISCARD") + cmd("MULTI") + cmd("GET", "k") + cmd("EXEC")},
		{"watch then exec forgets", cmd("WATCH", "k") + cmd("MULTI") + cmd("EXEC") + cmd("SET", "k", "2") + cmd("MULTI") +
			cmd("GET", "k") + cmd("EXEC")},
		{"watch changed inside transaction", cmd("WATCH", "k") + cmd("MULTI") + cmd("SET", "k", "1") + cmd("GET", "k") + cmd("EXEC")},
		{"reset ends multi", cmd("MULTI") + cmd("SET", "a", "1") + cmd("RESET") + cmd("EXEC") + cmd("GET", "a")},
		{"multi after errors", cmd("MULTI") + cmd("NOSUCH") + cmd("DISCARD") + cmd("MULTI") + cmd("SET", "a", "1") + cmd("EXEC")},
	}
	runDiff(t, redisAddr, ourAddr, cmd("FLUSHALL"), cases)
	t.Run("resp3", func(t *testing.T) {
		runDiff(t, redisAddr, ourAddr, cmd("FLUSHALL")+cmd("HELLO", "3"), cases)
	})
}

// TestConnectionAgainstRedis covers the connection and server commands
// whose replies can be byte-identical to Redis's.
func TestConnectionAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	_, ourAddr, _ := startServer(t, Config{})
	cases := []diffCase{
		{"hello", cmd("HELLO") + cmd("HELLO", "2") + cmd("HELLO", "3") + cmd("HELLO", "2")},
		{"hello errors", cmd("HELLO", "4") + cmd("HELLO", "1") + cmd("HELLO", "-1") + cmd("HELLO", "x") +
			cmd("HELLO", "99999999999999999999") + cmd("HELLO", "2", "foo") + cmd("HELLO", "3", "AUTH", "default") +
			cmd("HELLO", "3", "SETNAME") + cmd("HELLO", "3", "SETNAME", "a b") + cmd("PING")},
		{"hello setname and auth", cmd("HELLO", "3", "SETNAME", "me") + cmd("CLIENT", "GETNAME") +
			cmd("HELLO", "2", "AUTH", "default", "anything", "SETNAME", "you") + cmd("CLIENT", "GETNAME") +
			cmd("HELLO", "2", "AUTH", "other", "x") + cmd("HELLO", "2", "SETNAME", "x", "AUTH", "default", "y")},
		{"auth without password", cmd("AUTH", "x") + cmd("AUTH", "default", "x") + cmd("AUTH", "Default", "x") +
			cmd("AUTH", "other", "x") + cmd("AUTH", "a", "b", "c") + cmd("AUTH")},
		{"reset", cmd("HELLO", "3", "SETNAME", "n") + cmd("MULTI") + cmd("RESET") + cmd("CLIENT", "GETNAME") +
			cmd("HGETALL", "h") + cmd("RESET", "x")},
		{"select", cmd("SELECT", "0") + cmd("SELECT", "x") + cmd("SELECT", "16") + cmd("SELECT", "-1") +
			cmd("SELECT", "99999999999") + cmd("SELECT") + cmd("SELECT", "0", "1")},
		{"time arity", cmd("TIME", "x")},
		{"client", cmd("CLIENT") + cmd("CLIENT", "NOSUCH") + cmd("CLIENT", "ID", "x") + cmd("CLIENT", "GETNAME") +
			cmd("CLIENT", "SETNAME") + cmd("CLIENT", "SETNAME", "a b") + cmd("CLIENT", "SETNAME", "a\nb") +
			cmd("CLIENT", "SETNAME", "\x01") + cmd("CLIENT", "SETNAME", "foo") + cmd("CLIENT", "GETNAME") +
			cmd("CLIENT", "SETNAME", "") + cmd("CLIENT", "GETNAME") + cmd("CLIENT", "INFO", "x")},
		{"client list options", cmd("CLIENT", "LIST", "TYPE", "foo") + cmd("CLIENT", "LIST", "TYPE", "master") +
			cmd("CLIENT", "LIST", "TYPE", "PUBSUB") + cmd("CLIENT", "LIST", "foo") + cmd("CLIENT", "LIST", "ID", "x") +
			cmd("CLIENT", "LIST", "ID", "999999") + cmd("CLIENT", "LIST", "TYPE")},
		{"config get", cmd("CONFIG", "GET", "proto-max-bulk-len") + cmd("CONFIG", "GET", "PROTO-MAX-BULK-LEN") +
			cmd("CONFIG", "GET", "client-query-buffer-limit") + cmd("CONFIG", "GET", "requirepass") +
			cmd("CONFIG", "GET", "nosuch") + cmd("CONFIG", "GET", "proto*") + cmd("CONFIG", "GET", "PROTO*") +
			cmd("CONFIG", "GET", "*query-buf*") + cmd("CONFIG", "GET", "requirepas?") + cmd("CONFIG", "GET", "[r]equirepass") +
			cmd("CONFIG", "GET", "proto-max-bulk-len", "Proto-Max-Bulk-Len", "proto*") + cmd("CONFIG", "GET")},
		{"config set", cmd("CONFIG", "SET", "proto-max-bulk-len", "2mb") + cmd("CONFIG", "GET", "proto-max-bulk-len") +
			cmd("CONFIG", "SET", "PROTO-MAX-BULK-LEN", "1gb") + cmd("CONFIG", "GET", "proto-max-bulk-len") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "536870912") + cmd("CONFIG", "GET", "proto-max-bulk-len") +
			cmd("CONFIG", "SET", "client-query-buffer-limit", "2GB", "proto-max-bulk-len", "1k") +
			cmd("CONFIG", "GET", "client-query-buffer-limit") +
			cmd("CONFIG", "SET", "client-query-buffer-limit", "1gb") + cmd("CONFIG", "GET", "client-query-buffer-limit")},
		{"config set errors", cmd("CONFIG", "SET", "nosuch", "1") + cmd("CONFIG", "SET", "proto-max-bulk-len") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "10") + cmd("CONFIG", "SET", "proto-max-bulk-len", "x") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "-1") + cmd("CONFIG", "SET", "proto-max-bulk-len", "0") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "+5mb") + cmd("CONFIG", "SET", "proto-max-bulk-len", "1.5mb") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "") + cmd("CONFIG", "SET", "proto-max-bulk-len", "mb") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "99999999999999999999") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "99999999999gb") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb", "Proto-Max-Bulk-Len", "2mb") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb", "nosuch", "2") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb", "x") +
			cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb", "client-query-buffer-limit", "0") +
			cmd("CONFIG", "SET", "client-query-buffer-limit", "1048575") + cmd("CONFIG", "GET", "proto-max-bulk-len")},
		{"config other", cmd("CONFIG") + cmd("CONFIG", "FOO") + cmd("CONFIG", "REWRITE") + cmd("CONFIG", "REWRITE", "x")},
		{"wait", cmd("WAIT", "0", "0") + cmd("WAIT", "x", "0") + cmd("WAIT", "0", "x") + cmd("WAIT", "0", "-1") +
			cmd("WAIT", "-1", "0") + cmd("WAIT", "0") + cmd("SET", "a", "1") + cmd("WAIT", "0", "0")},
		{"command errors", cmd("COMMAND", "INFO", "get", "nosuch") + cmd("COMMAND", "DOCS", "nosuch")},
	}
	runDiff(t, redisAddr, ourAddr, cmd("FLUSHALL"), cases)
	t.Run("resp3", func(t *testing.T) {
		runDiff(t, redisAddr, ourAddr, cmd("FLUSHALL")+cmd("HELLO", "3"), []diffCase{
			{"nulls", cmd("GET", "nope") + cmd("MGET", "a", "nope") + cmd("SET", "a", "1") + cmd("MGET", "a", "nope") +
				cmd("SET", "a", "2", "GET") + cmd("SET", "b", "v", "XX", "GET") + cmd("GETDEL", "nope") + cmd("HGET", "h", "f") + cmd("HMGET", "h", "f") +
				cmd("CLIENT", "GETNAME") + cmd("RANDOMKEY") + cmd("FLUSHALL") + cmd("RANDOMKEY")},
			{"maps", cmd("HSET", "h", "a", "1", "b", "2") + cmd("HGETALL", "h") + cmd("HGETALL", "nope") +
				cmd("CONFIG", "GET", "proto-max-bulk-len") + cmd("CONFIG", "GET", "nosuch")},
			{"arrays", cmd("HSET", "h", "a", "1") + cmd("HKEYS", "h") + cmd("HVALS", "h") + cmd("SCAN", "0") +
				cmd("HSCAN", "h", "0") + cmd("KEYS", "*")},
			{"numbers", cmd("INCRBYFLOAT", "f", "1.5") + cmd("HINCRBYFLOAT", "h", "a", "2.5") + cmd("INCR", "n") +
				cmd("EXISTS", "n") + cmd("TTL", "n")},
			{"info keyspace", cmd("SET", "a", "1") + cmd("INFO", "keyspace")},
			{"command info and docs", cmd("COMMAND", "INFO", "get", "set", "nosuch") + cmd("COMMAND", "DOCS", "get", "hgetall")},
		})
	})
}

// TestAuthAgainstRedis runs the AUTH and NOAUTH cases against servers that
// require a password.
func TestAuthAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t, "--requirepass", "s3cret")
	_, ourAddr, _ := startServer(t, Config{RequirePass: "s3cret"})
	big := strings.Repeat("x", 20000)
	runDiff(t, redisAddr, ourAddr, "", []diffCase{
		{"noauth", cmd("PING") + cmd("GET", "a") + cmd("SET", "a", "1") + cmd("MULTI") + cmd("CLIENT", "ID") +
			cmd("HELLO") + cmd("CONFIG", "GET", "requirepass")},
		{"checks before auth", cmd("NOSUCH", "x") + cmd("GET") + cmd("CLIENT", "NOSUCH") + cmd("CLIENT")},
		{"exec before auth", cmd("EXEC") + cmd("EXEC", "x") + cmd("DISCARD")},
		{"auth", cmd("AUTH") + cmd("AUTH", "wrong") + cmd("AUTH", "a", "b", "c") + cmd("AUTH", "default", "wrong") +
			cmd("AUTH", "other", "s3cret") + cmd("PING") + cmd("AUTH", "s3cret") + cmd("PING") +
			cmd("AUTH", "wrong") + cmd("PING")},
		{"auth default", cmd("AUTH", "default", "s3cret") + cmd("GET", "a")},
		{"hello before auth", cmd("HELLO", "3") + cmd("HELLO", "3", "SETNAME", "x") + cmd("HELLO", "3", "AUTH", "default", "bad") +
			cmd("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "n") + cmd("CLIENT", "GETNAME")},
		{"hello auth resp3", cmd("HELLO", "3", "AUTH", "default", "s3cret") + cmd("GET", "a")},
		{"quit before auth", cmd("QUIT") + cmd("PING")},
		{"reset deauthenticates", cmd("AUTH", "s3cret") + cmd("PING") + cmd("RESET") + cmd("PING")},
		{"auth in multi", cmd("AUTH", "s3cret") + cmd("MULTI") + cmd("AUTH", "wrong") + cmd("PING") + cmd("EXEC") + cmd("PING")},
		{"unauthenticated multibulk", cmd("PING") + "*11\r\n"},
		{"unauthenticated bulk", "*1\r\n$16385\r\n"},
		{"unauthenticated limits at the edge", cmd("ECHO", strings.Repeat("y", 16384)) + cmd("MGET", "1", "2", "3", "4", "5", "6", "7", "8", "9")},
		{"pipelined auth lifts the limits", cmd("AUTH", "s3cret") + cmd("ECHO", big) + cmd("MGET", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")},
		{"inline before auth", "PING\r\nAUTH s3cret\r\nPING\r\n"},
	})
}

// TestEveryCommandInTable checks, over every command redis-server knows,
// that each one fsm parses is in the command table (so the dispatcher
// routes it and COMMAND describes it): run go generate ./resp/ after
// adding a command to gencmd's list.
func TestEveryCommandInTable(t *testing.T) {
	redisAddr := startRedis(t)
	tab := newCommandTable(ownCommands())
	list := dial(t, redisAddr).do("COMMAND", "LIST")
	names := regexp.MustCompile(`\$\d+\r\n([a-z|\-_]+)\r\n`).FindAllStringSubmatch(list, -1)
	if len(names) < 200 {
		t.Fatalf("COMMAND LIST gave %d names", len(names))
	}
	for _, m := range names {
		name := m[1]
		if _, ok, _ := fsm.Parse([][]byte{[]byte(name)}, 0); ok && tab.specs[name] == nil {
			t.Errorf("fsm serves %q but the command table lacks it", name)
		}
	}
}
