// Command gencmd captures redis-server's own COMMAND INFO and COMMAND DOCS
// replies for the commands raftcache serves, in RESP2 and in RESP3, so that
// resp can answer COMMAND byte-for-byte as Redis 7 does without hand-copying
// Redis's key specs.
//
// It starts a throwaway redis-server (which must be on PATH) and writes
// commandinfo.resp, commanddocs.resp (RESP2) and commandinfo3.resp,
// commanddocs3.resp (RESP3) into the current directory:
//
//	go generate ./resp/
//
// A container command (CLIENT, CONFIG, CLUSTER, COMMAND) keeps only the
// subcommands raftcache serves, so COMMAND INFO and DOCS never advertise one
// that would answer "unknown subcommand". Subcommands newer than the
// redis-server at hand (CLIENT SETINFO came with Redis 7.2) are described by
// hand below, from Redis's command JSON.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/fsm"
)

// command is one command raftcache serves; a container lists the
// subcommands it serves.
type command struct {
	name string
	subs []string
}

// own lists resp's own commands, in the order COMMAND lists them, after
// fsm's data commands (fsm.Commands, in table order).
var own = []command{
	{name: "ping"}, {name: "echo"}, {name: "quit"}, {name: "reset"}, {name: "hello"}, {name: "auth"},
	{name: "select"}, {name: "time"}, {name: "info"}, {name: "wait"}, {name: "readonly"}, {name: "readwrite"},
	{name: "multi"}, {name: "exec"}, {name: "discard"}, {name: "watch"}, {name: "unwatch"},
	{name: "subscribe"}, {name: "unsubscribe"}, {name: "psubscribe"}, {name: "punsubscribe"},
	{name: "ssubscribe"}, {name: "sunsubscribe"},
	{name: "pubsub", subs: []string{"channels", "numsub", "numpat", "shardchannels", "shardnumsub", "help"}},
	{name: "command", subs: []string{"count", "list", "info", "docs", "getkeys", "help"}},
	{name: "client", subs: []string{"id", "getname", "setname", "setinfo", "info", "list",
		"tracking", "caching", "getredir", "trackinginfo", "help"}},
	{name: "config", subs: []string{"get", "set", "resetstat", "rewrite", "help"}},
	{name: "cluster", subs: []string{"info", "myid", "nodes", "shards", "slots", "keyslot", "failover", "help"}},
	{name: "acl", subs: []string{"setuser", "getuser", "deluser", "list", "users", "whoami", "cat", "genpass",
		"dryrun", "log", "help"}},
	{name: "slowlog", subs: []string{"get", "len", "reset", "help"}},
	{name: "latency", subs: []string{"latest", "history", "reset", "doctor", "histogram", "help"}},
	{name: "memory", subs: []string{"usage", "stats", "doctor", "malloc-stats", "purge", "help"}},
	{name: "save"}, {name: "bgsave"}, {name: "lastsave"}, {name: "shutdown"}, {name: "monitor"},
}

// servedCommands lists everything raftcache serves, in the order COMMAND
// lists it.
func servedCommands() []command {
	var cmds []command
	for _, name := range fsm.Commands() {
		cmds = append(cmds, command{name: name, subs: fsm.Subcommands(name)})
	}
	return append(cmds, own...)
}

// handMade describes, as redis-server 7.2 would, subcommands the local
// redis-server may be too old to know.
var handMade = map[string]struct{ info, docs value }{
	"client|setinfo": {
		info: array(bulk("client|setinfo"), integer(4), set(status("noscript"), status("loading"), status("stale")),
			integer(0), integer(0), integer(0), set(status("@slow"), status("@connection")),
			set(), set(), set()),
		docs: dict(
			bulk("summary"), bulk("Sets information specific to the client or connection."),
			bulk("since"), bulk("7.2.0"),
			bulk("group"), bulk("connection"),
			bulk("complexity"), bulk("O(1)"),
			bulk("arguments"), array(dict(
				bulk("name"), bulk("attr"),
				bulk("type"), bulk("oneof"),
				bulk("arguments"), array(
					dict(bulk("name"), bulk("libname"), bulk("type"), bulk("string"), bulk("token"), bulk("lib-name")),
					dict(bulk("name"), bulk("libver"), bulk("type"), bulk("string"), bulk("token"), bulk("lib-ver")),
				),
			)),
		),
	},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gencmd:", err)
		os.Exit(1)
	}
}

func run() error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := lis.Addr().(*net.TCPAddr).Port
	lis.Close()
	srv := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()

	var conn net.Conn
	for i := 0; i < 100; i++ {
		conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("dial redis-server: %w", err)
	}
	defer conn.Close()
	c := &client{conn: conn, rd: bufio.NewReader(conn)}
	for _, proto := range []string{"2", "3"} {
		if _, err := c.do("HELLO", proto); err != nil {
			return fmt.Errorf("HELLO %s: %w", proto, err)
		}
		info, docs, err := capture(c)
		if err != nil {
			return err
		}
		suffix := ".resp"
		if proto == "3" {
			suffix = "3.resp"
		}
		if err := os.WriteFile("commandinfo"+suffix, info.appendTo(nil), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile("commanddocs"+suffix, docs.appendTo(nil), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// capture returns the COMMAND INFO and COMMAND DOCS replies for what
// raftcache serves, in the connection's current protocol.
func capture(c *client) (info, docs value, err error) {
	served := servedCommands()
	args := []string{"COMMAND", "INFO"}
	for _, s := range served {
		args = append(args, s.name)
	}
	info, err = c.do(args...)
	if err != nil {
		return value{}, value{}, err
	}
	args[1] = "DOCS"
	docs, err = c.do(args...)
	if err != nil {
		return value{}, value{}, err
	}
	if len(info.elems) != len(served) {
		return value{}, value{}, fmt.Errorf("COMMAND INFO: %d entries for %d commands", len(info.elems), len(served))
	}
	byName := map[string]value{}
	for i := 0; i+1 < len(docs.elems); i += 2 {
		byName[docs.elems[i].text] = docs.elems[i+1]
	}
	outDocs := value{kind: docs.kind}
	for i, s := range served {
		entry := info.elems[i]
		if entry.null || len(entry.elems) != 10 || entry.elems[0].text != s.name {
			return value{}, value{}, fmt.Errorf("redis-server does not know %q", s.name)
		}
		doc, ok := byName[s.name]
		if !ok {
			return value{}, value{}, fmt.Errorf("no COMMAND DOCS for %q", s.name)
		}
		if s.subs != nil {
			if entry.elems[9], err = keepSubcommands(c, entry.elems[9], s.name, s.subs, docs.kind == '%'); err != nil {
				return value{}, value{}, err
			}
			if doc, err = keepSubcommandDocs(doc, s.name, s.subs, docs.kind == '%'); err != nil {
				return value{}, value{}, err
			}
			info.elems[i] = entry
		}
		outDocs.elems = append(outDocs.elems, bulk(s.name), doc)
	}
	return info, outDocs, nil
}

// keepSubcommands filters a container's subcommand entries down to subs,
// in the order of subs (Redis's own order is its dictionary's, which
// changes from one redis-server process to the next, and would make every
// regeneration rewrite the files), adding hand-made entries for those
// Redis lacks.
func keepSubcommands(c *client, list value, name string, subs []string, resp3 bool) (value, error) {
	out := value{kind: list.kind}
	for _, sub := range subs {
		full := name + "|" + sub
		i := slices.IndexFunc(list.elems, func(e value) bool { return e.elems[0].text == full })
		if i >= 0 {
			out.elems = append(out.elems, list.elems[i])
			continue
		}
		h, ok := handMade[full]
		if !ok {
			return value{}, fmt.Errorf("redis-server does not know %q and there is no hand-made entry", full)
		}
		out.elems = append(out.elems, h.info.forProto(resp3))
	}
	return out, nil
}

// keepSubcommandDocs filters the "subcommands" field of a container's docs.
func keepSubcommandDocs(doc value, name string, subs []string, resp3 bool) (value, error) {
	for i := 0; i+1 < len(doc.elems); i += 2 {
		if doc.elems[i].text != "subcommands" {
			continue
		}
		all := doc.elems[i+1]
		out := value{kind: all.kind}
		for _, sub := range subs {
			full := name + "|" + sub
			found := false
			for j := 0; j+1 < len(all.elems); j += 2 {
				if all.elems[j].text == full {
					out.elems = append(out.elems, all.elems[j], all.elems[j+1])
					found = true
				}
			}
			if !found {
				h, ok := handMade[full]
				if !ok {
					return value{}, fmt.Errorf("no docs for %q", full)
				}
				out.elems = append(out.elems, bulk(full), h.docs.forProto(resp3))
			}
		}
		doc.elems[i+1] = out
		return doc, nil
	}
	return value{}, fmt.Errorf("docs of %q have no subcommands", name)
}

type client struct {
	conn net.Conn
	rd   *bufio.Reader
}

func (c *client) do(args ...string) (value, error) {
	var req bytes.Buffer
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(req.Bytes()); err != nil {
		return value{}, err
	}
	v, err := readValue(c.rd)
	if err != nil {
		return value{}, err
	}
	if v.kind == '-' {
		return value{}, errors.New(v.text)
	}
	return v, nil
}

// value is one RESP2 or RESP3 value. Aggregates keep their elements (a
// map's alternate keys and values); everything else keeps its text.
type value struct {
	kind  byte // the RESP type byte
	text  string
	null  bool
	elems []value
}

func bulk(s string) value         { return value{kind: '$', text: s} }
func status(s string) value       { return value{kind: '+', text: s} }
func integer(n int) value         { return value{kind: ':', text: strconv.Itoa(n)} }
func array(e ...value) value      { return value{kind: '*', elems: e} }
func set(e ...value) value        { return value{kind: '~', elems: e} }
func dict(kv ...value) value      { return value{kind: '%', elems: kv} }
func (v value) isAggregate() bool { return v.kind == '*' || v.kind == '%' || v.kind == '~' }

// forProto returns v as Redis writes it for a RESP2 client when resp3 is
// false: maps become flat arrays and sets arrays.
func (v value) forProto(resp3 bool) value {
	if !v.isAggregate() {
		return v
	}
	out := v
	if !resp3 {
		out.kind = '*'
	}
	out.elems = make([]value, len(v.elems))
	for i, e := range v.elems {
		out.elems[i] = e.forProto(resp3)
	}
	return out
}

func readValue(rd *bufio.Reader) (value, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return value{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return value{}, fmt.Errorf("bad line %q", line)
	}
	v := value{kind: line[0], text: line[1 : len(line)-2]}
	switch v.kind {
	case '*', '%', '~':
		n, err := strconv.Atoi(v.text)
		if err != nil {
			return value{}, fmt.Errorf("bad length %q", line)
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		if v.kind == '%' {
			n *= 2
		}
		for range n {
			e, err := readValue(rd)
			if err != nil {
				return value{}, err
			}
			v.elems = append(v.elems, e)
		}
		v.text = ""
	case '$', '=':
		n, err := strconv.Atoi(v.text)
		if err != nil {
			return value{}, fmt.Errorf("bad length %q", line)
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(rd, b); err != nil {
			return value{}, err
		}
		v.text = string(b[:n])
	case '+', '-', ':', '_', ',', '#':
	default:
		return value{}, fmt.Errorf("unknown RESP type in %q", line)
	}
	return v, nil
}

func (v value) appendTo(dst []byte) []byte {
	dst = append(dst, v.kind)
	switch {
	case v.null:
		return append(dst, "-1\r\n"...)
	case v.isAggregate():
		n := len(v.elems)
		if v.kind == '%' {
			n /= 2
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, '\r', '\n')
		for _, e := range v.elems {
			dst = e.appendTo(dst)
		}
		return dst
	case v.kind == '$' || v.kind == '=':
		dst = strconv.AppendInt(dst, int64(len(v.text)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, v.text...)
		return append(dst, '\r', '\n')
	}
	dst = append(dst, v.text...)
	return append(dst, '\r', '\n')
}
