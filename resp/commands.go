package resp

//go:generate go run ./internal/gencmd

import (
	_ "embed"
	"strconv"
	"strings"

	"github.com/raftcache/raftcache/fsm"
)

// The COMMAND INFO and COMMAND DOCS replies of redis-server itself for the
// commands raftcache serves, in RESP2 and RESP3, captured by
// internal/gencmd. Serving Redis's own bytes keeps key specs, flags and docs
// exact without copying them by hand; the same capture gives each command's
// arity and flags to the dispatcher, so both always agree.
var (
	//go:embed commandinfo.resp
	commandInfoRaw string
	//go:embed commanddocs.resp
	commandDocsRaw string
	//go:embed commandinfo3.resp
	commandInfo3Raw string
	//go:embed commanddocs3.resp
	commandDocs3Raw string
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

// handler serves one command. It writes its reply to c.w.
type handler func(s *Server, c *client, args [][]byte)

// cmdSpec is one command or subcommand as the dispatcher sees it.
type cmdSpec struct {
	name   string // full lower-case name: "get", "client|setname"
	arity  int    // Redis's: exact argc, or -n for at least n
	noAuth bool   // may run before AUTH
	// unsureOK: PING and MULTI reveal nothing, so a node that cannot yet
	// tell whether the cluster has a password serves them (authRefusal).
	unsureOK bool
	// txnControl commands run at once inside MULTI instead of being queued.
	txnControl bool
	data       bool // a state machine command: Server.data runs it
	blocking   bool // may block (BLPOP, XREAD BLOCK): served alone, see serveBlocking
	noMulti    bool // refused inside MULTI (SAVE, SHUTDOWN), Redis's no_multi flag
	admin      bool // Redis's admin flag: never shown to MONITOR
	// keyspace: flagged readonly, write or may_replicate, which Redis
	// refuses to a monitor ("Replica can't interact with the keyspace").
	keyspace bool
	run      handler
	subs     map[string]*cmdSpec // a container's subcommands
	stats    cmdStats            // this server's counts of the command
	// ACL (see acl.go): the command's index in the ACL bitmap, its ACL
	// categories (bits of aclCategories) and the access its key specs
	// ask for, from COMMAND INFO.
	aclID    int
	aclCats  uint32
	keyRead  bool
	keyWrite bool
}

// protoTable is the captured metadata in one protocol.
type protoTable struct {
	info    map[string]string // name → raw COMMAND INFO entry
	docs    map[string]string // name → raw COMMAND DOCS value
	all     string            // raw reply to a bare COMMAND
	allDocs string            // raw reply to a bare COMMAND DOCS
}

// commandTable indexes the captured replies by command name.
type commandTable struct {
	names []string // top-level, lower-case, in capture order
	p2    protoTable
	p3    protoTable
	specs map[string]*cmdSpec
}

func (t *commandTable) proto(c *client) *protoTable {
	if c.w.resp3 {
		return &t.p3
	}
	return &t.p2
}

func newCommandTable(own map[string]handler) *commandTable {
	t := &commandTable{specs: map[string]*cmdSpec{}}
	t.names, t.p2 = parseTables(commandInfoRaw, commandDocsRaw, false)
	_, t.p3 = parseTables(commandInfo3Raw, commandDocs3Raw, true)
	for _, name := range t.names {
		t.specs[name] = newSpec(t.p2.info[name], own)
	}
	return t
}

// newSpec builds the spec of one COMMAND INFO entry: an array of name,
// arity, flags, first key, last key, key step, ACL categories, tips, key
// specs and subcommands. A name without its own handler is a data command.
func newSpec(entry string, own map[string]handler) *cmdSpec {
	f := children(entry, 0)
	sp := &cmdSpec{name: bulkText(entry, f[0]), arity: intValue(entry, f[1])}
	for _, flag := range children(entry, f[2]) {
		switch line, _ := readLine(entry, flag); line {
		case "+no_auth":
			sp.noAuth = true
		case "+blocking":
			sp.blocking = true
		case "+no_multi":
			sp.noMulti = true
		case "+admin":
			sp.admin = true
		case "+readonly", "+write", "+may_replicate":
			sp.keyspace = true
		}
	}
	switch sp.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		sp.txnControl = true
		sp.unsureOK = sp.name == "multi"
	case "ping":
		sp.unsureOK = true
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "publish", "spublish":
		// Redis 7.0's may_replicate commands, a flag COMMAND INFO
		// does not show.
		sp.keyspace = true
	}
	sp.aclCats = categoryBits(entry, f[6])
	sp.keyRead, sp.keyWrite = keySpecAccess(entry, f[8])
	sp.run = own[sp.name]
	subs := children(entry, f[9])
	switch {
	case sp.run != nil:
	case len(subs) > 0:
		// A bare container never runs: its arity asks for a subcommand.
		sp.run = func(s *Server, c *client, args [][]byte) { c.w.err(arityError(sp.name)) }
	default:
		sp.run, sp.data = (*Server).data, true
	}
	for _, sub := range subs {
		end := skipValue(entry, sub)
		s := newSpec(entry[sub:end], own)
		if sp.subs == nil {
			sp.subs = map[string]*cmdSpec{}
		}
		sp.subs[strings.TrimPrefix(s.name, sp.name+"|")] = s
	}
	return sp
}

func parseTables(infoRaw, docsRaw string, resp3 bool) ([]string, protoTable) {
	p := protoTable{info: map[string]string{}, docs: map[string]string{}, all: infoRaw}
	var names []string
	for _, i := range children(infoRaw, 0) {
		entry := infoRaw[i:skipValue(infoRaw, i)]
		name := bulkText(entry, children(entry, 0)[0])
		names = append(names, name)
		p.info[name] = entry
	}
	kv := children(docsRaw, 0)
	for k := 0; k+1 < len(kv); k += 2 {
		p.docs[bulkText(docsRaw, kv[k])] = docsRaw[kv[k+1]:skipValue(docsRaw, kv[k+1])]
	}
	var b strings.Builder
	if resp3 {
		b.WriteString("%" + strconv.Itoa(len(names)) + "\r\n")
	} else {
		b.WriteString("*" + strconv.Itoa(2*len(names)) + "\r\n")
	}
	for _, name := range names {
		b.WriteString("$" + strconv.Itoa(len(name)) + "\r\n" + name + "\r\n")
		b.WriteString(p.docs[name])
	}
	p.allDocs = b.String()
	return names, p
}

// The captured replies are trusted input (generated, embedded), so these
// helpers assume them well formed; TestCommandTable checks they are.

func readLine(s string, i int) (line string, next int) {
	end := i + strings.Index(s[i:], "\r\n")
	return s[i:end], end + 2
}

// children returns the offsets of the elements of the aggregate at i (a
// map's keys and values alternate).
func children(s string, i int) []int {
	line, next := readLine(s, i)
	n, _ := strconv.Atoi(line[1:])
	if line[0] == '%' {
		n *= 2
	}
	out := make([]int, 0, max(n, 0))
	for range n {
		out = append(out, next)
		next = skipValue(s, next)
	}
	return out
}

func bulkText(s string, i int) string {
	line, next := readLine(s, i)
	n, _ := strconv.Atoi(line[1:])
	return s[next : next+n]
}

func intValue(s string, i int) int {
	line, _ := readLine(s, i)
	n, _ := strconv.Atoi(line[1:])
	return n
}

// skipValue returns where the RESP2 or RESP3 value at i ends.
func skipValue(s string, i int) int {
	line, next := readLine(s, i)
	switch line[0] {
	case '*', '~', '%':
		n, _ := strconv.Atoi(line[1:])
		if line[0] == '%' {
			n *= 2
		}
		for range n {
			next = skipValue(s, next)
		}
	case '$', '=':
		if n, _ := strconv.Atoi(line[1:]); n >= 0 {
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

// command serves COMMAND with no subcommand: every command's info.
func (s *Server) command(c *client, args [][]byte) {
	c.w.raw(s.cmds.proto(c).all)
}

func (s *Server) commandCount(c *client, args [][]byte) {
	c.w.int(int64(len(s.cmds.names)))
}

func (s *Server) commandList(c *client, args [][]byte) {
	if len(args) != 2 {
		// FILTERBY would need Redis's ACL categories and glob
		// matching; no client needs it to work.
		c.w.err("ERR COMMAND LIST FILTERBY is not supported by raftcache")
		return
	}
	c.w.array(len(s.cmds.names))
	for _, name := range s.cmds.names {
		c.w.bulkString(name)
	}
}

func (s *Server) commandInfo(c *client, args [][]byte) {
	t := s.cmds.proto(c)
	if len(args) == 2 {
		c.w.raw(t.all)
		return
	}
	c.w.array(len(args) - 2)
	for _, a := range args[2:] {
		if e, ok := t.info[lowerASCII(a)]; ok {
			c.w.raw(e)
		} else {
			c.w.null()
		}
	}
}

func (s *Server) commandDocs(c *client, args [][]byte) {
	t := s.cmds.proto(c)
	// redis-cli sends a bare COMMAND DOCS at start-up for its hints.
	if len(args) == 2 {
		c.w.raw(t.allDocs)
		return
	}
	var found []string
	for _, a := range args[2:] {
		if _, ok := t.docs[lowerASCII(a)]; ok {
			found = append(found, lowerASCII(a))
		}
	}
	c.w.mapHeader(len(found))
	for _, name := range found {
		c.w.bulkString(name)
		c.w.raw(t.docs[name])
	}
}

func (s *Server) commandHelp(c *client, args [][]byte) {
	writeHelp(c, commandHelp[:])
}

func writeHelp(c *client, lines []string) {
	c.w.array(len(lines))
	for _, line := range lines {
		c.w.status(line)
	}
}

func (s *Server) commandGetKeys(c *client, args [][]byte) {
	cmd, ok, err := fsm.Parse(args[2:], s.cfg.Clock())
	switch {
	case !ok:
		if _, known := s.cmds.specs[lowerASCII(args[2])]; known {
			c.w.err("ERR The command has no key arguments")
		} else {
			c.w.err("ERR Invalid command specified")
		}
	case err != nil:
		c.w.err("ERR Invalid arguments specified for command")
	case len(cmd.Keys()) == 0:
		c.w.err("ERR The command has no key arguments")
	default:
		keys := cmd.Keys()
		c.w.array(len(keys))
		for _, k := range keys {
			c.w.bulk(k)
		}
	}
}
