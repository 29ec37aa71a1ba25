package resp

//go:generate go run ./internal/gencmd

import (
	"context"
	_ "embed"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
	"github.com/tidwall/redcon"
)

// The COMMAND INFO and COMMAND DOCS replies of redis-server itself for the
// commands raftcache serves, captured by internal/gencmd. Serving Redis's own
// bytes keeps key specs, flags and docs exact without copying them by hand.
var (
	//go:embed commandinfo.resp
	commandInfoRaw string
	//go:embed commanddocs.resp
	commandDocsRaw string
)

// commandHelp is Redis 7's COMMAND HELP.
var commandHelp = [...]string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

// commandTable indexes the captured replies by command name.
type commandTable struct {
	names   []string          // lower-case, in capture order
	info    map[string]string // name → its raw COMMAND INFO entry
	docs    map[string]string // name → its raw COMMAND DOCS value
	allInfo string            // the raw reply to a bare COMMAND
	allDocs string            // the raw reply to a bare COMMAND DOCS
}

func newCommandTable() *commandTable {
	t := &commandTable{info: map[string]string{}, docs: map[string]string{}}
	n, i := arrayHeader(commandInfoRaw, 0)
	for range n {
		end := skipValue(commandInfoRaw, i)
		entry := commandInfoRaw[i:end]
		// An entry is an array whose first element is the name.
		_, j := arrayHeader(entry, 0)
		name := bulkText(entry, j)
		t.names = append(t.names, name)
		t.info[name] = entry
		i = end
	}
	n, i = arrayHeader(commandDocsRaw, 0)
	for k := 0; k < n; k += 2 {
		name := bulkText(commandDocsRaw, i)
		i = skipValue(commandDocsRaw, i)
		end := skipValue(commandDocsRaw, i)
		t.docs[name] = commandDocsRaw[i:end]
		i = end
	}
	t.allInfo = commandInfoRaw
	var b strings.Builder
	b.WriteString("*" + strconv.Itoa(2*len(t.names)) + "\r\n")
	for _, name := range t.names {
		b.WriteString("$" + strconv.Itoa(len(name)) + "\r\n" + name + "\r\n")
		b.WriteString(t.docs[name])
	}
	t.allDocs = b.String()
	return t
}

// The captured replies are trusted input (generated, embedded), so these
// helpers assume them well formed; TestCommandTable checks they are.

func readLine(s string, i int) (line string, next int) {
	end := i + strings.Index(s[i:], "\r\n")
	return s[i:end], end + 2
}

func arrayHeader(s string, i int) (n int, next int) {
	line, next := readLine(s, i)
	n, _ = strconv.Atoi(line[1:])
	return n, next
}

func bulkText(s string, i int) string {
	line, next := readLine(s, i)
	n, _ := strconv.Atoi(line[1:])
	return s[next : next+n]
}

func skipValue(s string, i int) int {
	line, next := readLine(s, i)
	n, _ := strconv.Atoi(line[1:])
	switch line[0] {
	case '*':
		for range n {
			next = skipValue(s, next)
		}
	case '$':
		if n >= 0 {
			next += n + 2
		}
	}
	return next
}

func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

func (s *Server) command(conn redcon.Conn, st *connState, args [][]byte) {
	t := s.cmds
	if len(args) == 1 {
		conn.WriteRaw([]byte(t.allInfo))
		return
	}
	sub := args[1]
	switch {
	case equalFold(sub, "count"):
		if len(args) != 2 {
			s.writeError(conn, st, arityError("command|count"))
			return
		}
		conn.WriteInt(len(t.names))
	case equalFold(sub, "list"):
		if len(args) != 2 {
			// FILTERBY would need Redis's ACL categories and glob
			// matching; no client needs it to work.
			s.writeError(conn, st, "ERR COMMAND LIST FILTERBY is not supported by raftcache")
			return
		}
		conn.WriteArray(len(t.names))
		for _, name := range t.names {
			conn.WriteBulkString(name)
		}
	case equalFold(sub, "info"):
		if len(args) == 2 {
			conn.WriteRaw([]byte(t.allInfo))
			return
		}
		conn.WriteArray(len(args) - 2)
		for _, a := range args[2:] {
			if e, ok := t.info[lowerASCII(a)]; ok {
				conn.WriteRaw([]byte(e))
			} else {
				conn.WriteNull()
			}
		}
	case equalFold(sub, "docs"):
		// redis-cli sends a bare COMMAND DOCS at start-up for its hints.
		if len(args) == 2 {
			conn.WriteRaw([]byte(t.allDocs))
			return
		}
		var found []string
		for _, a := range args[2:] {
			if _, ok := t.docs[lowerASCII(a)]; ok {
				found = append(found, lowerASCII(a))
			}
		}
		conn.WriteArray(2 * len(found))
		for _, name := range found {
			conn.WriteBulkString(name)
			conn.WriteRaw([]byte(t.docs[name]))
		}
	case equalFold(sub, "help"):
		if len(args) != 2 {
			s.writeError(conn, st, arityError("command|help"))
			return
		}
		conn.WriteArray(len(commandHelp))
		for _, line := range commandHelp {
			conn.WriteString(line)
		}
	case equalFold(sub, "getkeys"):
		if len(args) < 4 {
			s.writeError(conn, st, arityError("command|getkeys"))
			return
		}
		c, ok, err := fsm.Parse(args[2:], time.Now().UnixMilli())
		switch {
		case !ok:
			s.writeError(conn, st, "ERR Invalid command specified")
		case err != nil:
			s.writeError(conn, st, "ERR Invalid arguments specified for command")
		case len(c.Keys()) == 0:
			s.writeError(conn, st, "ERR The command has no key arguments")
		default:
			keys := c.Keys()
			conn.WriteArray(len(keys))
			for _, k := range keys {
				conn.WriteBulk(k)
			}
		}
	case equalFold(sub, "getkeysandflags"):
		s.writeError(conn, st, "ERR COMMAND GETKEYSANDFLAGS is not supported by raftcache")
	default:
		s.writeError(conn, st, "ERR unknown subcommand '"+string(cString(sub, 128))+"'. Try COMMAND HELP.")
	}
}

// info serves INFO [section ...] with the sections raftcache has, in
// Redis's format: "# Title" lines, "field:value" lines, sections separated
// by an empty line. Unknown sections are ignored, as Redis does.
func (s *Server) info(conn redcon.Conn, st *connState, args [][]byte) {
	var server, keyspace, raft bool
	if len(args) == 1 {
		server, keyspace, raft = true, true, true
	}
	for _, a := range args[1:] {
		switch {
		case equalFold(a, "all"), equalFold(a, "everything"), equalFold(a, "default"):
			server, keyspace, raft = true, true, true
		case equalFold(a, "server"):
			server = true
		case equalFold(a, "keyspace"):
			keyspace = true
		case equalFold(a, "raft"):
			raft = true
		}
	}
	var b strings.Builder
	section := func(title string) {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + title + "\r\n")
	}
	field := func(name, value string) { b.WriteString(name + ":" + value + "\r\n") }
	if server {
		section("Server")
		now := time.Now()
		up := now.Sub(s.started)
		field("redis_version", redisVersion)
		field("raftcache_version", s.cfg.Version)
		field("redis_mode", "standalone")
		field("os", runtime.GOOS+" "+runtime.GOARCH)
		field("arch_bits", strconv.Itoa(strconv.IntSize))
		field("go_version", runtime.Version())
		field("process_id", strconv.Itoa(os.Getpid()))
		field("tcp_port", strconv.FormatInt(s.port.Load(), 10))
		field("server_time_usec", strconv.FormatInt(now.UnixMicro(), 10))
		field("uptime_in_seconds", strconv.FormatInt(int64(up/time.Second), 10))
		field("uptime_in_days", strconv.FormatInt(int64(up/(24*time.Hour)), 10))
	}
	if keyspace {
		section("Keyspace")
		if n := s.store.Len(); n > 0 {
			field("db0", "keys="+strconv.Itoa(n)+",expires="+strconv.Itoa(s.store.ExpiresLen())+",avg_ttl=0")
		}
	}
	if raft {
		section("Raft")
		s.raftInfo(field)
	}
	conn.WriteBulkString(b.String())
}

// redisVersion is the Redis version raftcache claims compatibility with;
// clients use it to pick command variants.
const redisVersion = "7.0.0"

func (s *Server) raftInfo(field func(name, value string)) {
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	id := func(n uint64) string {
		if n == 0 {
			return "none"
		}
		return cluster.FormatID(n)
	}
	bit := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	st := s.cluster.Status()
	field("node_id", id(st.ID))
	field("role", string(st.Role))
	field("term", u(st.Term))
	field("leader", id(st.Leader))
	field("commit_index", u(st.Commit))
	field("applied_index", u(st.Applied))
	field("members", strconv.Itoa(st.Members))
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	members, err := s.cluster.Members(ctx)
	if err != nil {
		// The summary above still helps; the list needs the leader.
		s.log.Debug("resp: INFO raft: listing members", "err", err)
		return
	}
	for i, m := range members {
		field("member"+strconv.Itoa(i), "id="+cluster.FormatID(m.ID)+",role="+string(m.Role)+
			",voter="+bit(m.Voter)+",reachable="+bit(m.Reachable)+",match="+u(m.Match)+
			",raft="+m.RaftAddr+",resp="+m.RESPAddr+",api="+m.APIAddr)
	}
}
