package fsm

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	luascript "github.com/raftcache/raftcache/fsm/script"
)

// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. A script runs
// inside Apply, on every node, from the entry that carries its invocation
// (the body or SHA, the keys and the arguments); fsm/script makes it
// deterministic (see its package doc) and redis.call runs commands through
// this package's one command table (scriptHost).
//
// The script cache is replicated state: SCRIPT LOAD, EVAL (which caches
// what it runs, as Redis) and SCRIPT FLUSH go through the log, and the
// cache is part of snapshots. EVALSHA_RO is a read: it runs on the node
// that received it, after its read barrier, and never touches the log.
// EVAL_RO goes through the log, because Redis caches its body too.

const (
	opEval         opcode = 512 // ints[0]: number of keys; args: body or SHA, keys, arguments
	opScriptLoad   opcode = 513
	opScriptFlush  opcode = 514
	opScriptExists opcode = 515
	opScriptHelp   opcode = 516
	opEvalSHARO    opcode = 517 // EVALSHA_RO: as opEval with flagEvalSHA, a read
	opScriptDebug  opcode = 518 // SCRIPT DEBUG NO: nothing to turn off
)

// opEval's flags.
const (
	flagEvalSHA = flagNX // args[0] is a lower-case SHA, not a body
	flagEvalRO  = flagXX // EVAL_RO: writes are refused
)

const (
	errNoScript     redisError = "NOSCRIPT No matching script. Please use EVAL."
	errNegativeKeys redisError = "ERR Number of keys can't be negative"
	errTooManyKeys  redisError = "ERR Number of keys can't be greater than number of args"
	errWriteFlagRO  redisError = "ERR Can not execute a script with write flag using *_ro command."
)

func scriptTable() table {
	validKeys := func(c Command) bool { return c.ints[0] >= 0 && c.ints[0] <= int64(len(c.args)-1) }
	evalKeys := func(c Command) [][]byte { return c.args[1 : 1+c.ints[0]] }
	none := func(Command) [][]byte { return nil }
	return table{
		commands: []parser{
			{"eval", -3, parseEval(0)},
			{"evalsha", -3, parseEval(flagEvalSHA)},
			{"eval_ro", -3, parseEval(flagEvalRO)},
			{"evalsha_ro", -3, parseEval(flagEvalSHA | flagEvalRO)},
			{"script", -2, parseScript},
		},
		subcommands: map[string][]string{"script": {"debug", "exists", "flush", "kill", "load", "help"}},
		ops: []opDef{
			{op: opEval, opShape: opShape{name: "eval", write: true, minArgs: 1, maxArgs: -1, ints: 1},
				valid: validKeys, apply: (*writer).eval, keys: evalKeys},
			{op: opEvalSHARO, opShape: opShape{name: "evalsha_ro", minArgs: 1, maxArgs: -1, ints: 1},
				valid: validKeys, keys: evalKeys,
				read: func(ks *keyspace, c Command, now int64) Reply { return ks.evalROFor(c, now, "toplevel", denySink{}) },
				readInApply: func(w *writer, c Command) Reply {
					return w.ks.evalROFor(c, w.now, w.aclContext(), denySink{effects: w.s})
				}},
			{op: opScriptLoad, opShape: opShape{name: "script", write: true, minArgs: 1, maxArgs: 1},
				apply: (*writer).scriptLoad, keys: none},
			{op: opScriptFlush, opShape: opShape{name: "script", write: true},
				apply: (*writer).scriptFlush, keys: none},
			{op: opScriptExists, opShape: opShape{name: "script", minArgs: 1, maxArgs: -1},
				read: (*keyspace).scriptExists, keys: none},
			{op: opScriptHelp, opShape: opShape{name: "script"},
				read: func(*keyspace, Command, int64) Reply { return scriptHelp() }, keys: none},
			{op: opScriptDebug, opShape: opShape{name: "script"},
				read: func(*keyspace, Command, int64) Reply { return OK }, keys: none},
		},
	}
}

func parseEval(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		n, ok := ParseInt(argv[2])
		switch {
		case !ok:
			return Command{}, errNotInteger
		case n < 0:
			return Command{}, errNegativeKeys
		case n > int64(len(argv)-3):
			return Command{}, errTooManyKeys
		}
		args := make([][]byte, 0, len(argv)-2)
		args = append(append(args, argv[1]), argv[3:]...)
		if flags&flagEvalSHA != 0 {
			// Redis looks SHAs up in lower case.
			args[0] = bytes.ToLower(argv[1])
		}
		op := opEval
		if flags == flagEvalSHA|flagEvalRO {
			op = opEvalSHARO
		}
		return Command{op: op, flags: flags, ints: [4]int64{n}, args: args}, nil
	}
}

func subcommandArity(sub string) error {
	return redisError("ERR wrong number of arguments for 'script|" + sub + "' command")
}

func parseScript(_ string, argv [][]byte, _ int64) (Command, error) {
	sub := string(bytes.ToLower(argv[1]))
	switch sub {
	case "load":
		if len(argv) != 3 {
			return Command{}, subcommandArity(sub)
		}
		return Command{op: opScriptLoad, args: argv[2:3]}, nil
	case "exists":
		if len(argv) < 3 {
			return Command{}, subcommandArity(sub)
		}
		return Command{op: opScriptExists, args: argv[2:]}, nil
	case "flush":
		if len(argv) > 3 || (len(argv) == 3 && !EqualFold(argv[2], "sync") && !EqualFold(argv[2], "async")) {
			return Command{}, redisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		}
		return Command{op: opScriptFlush}, nil
	case "kill":
		if len(argv) != 2 {
			return Command{}, subcommandArity(sub)
		}
		// A script runs inside one Apply, to its end or its budget:
		// there is never one to kill between commands.
		return ErrorCommand("NOTBUSY No scripts in execution right now."), nil
	case "debug":
		if len(argv) != 3 {
			return Command{}, subcommandArity(sub)
		}
		switch {
		case EqualFold(argv[2], "no"):
			return Command{op: opScriptDebug}, nil
		case EqualFold(argv[2], "yes"), EqualFold(argv[2], "sync"):
			// Redis's debugger steps a script interactively; here a
			// script runs inside Apply on every node at once.
			return ErrorCommand("ERR The Lua debugger is not available: scripts run inside the replicated log"), nil
		}
		return Command{}, redisError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	case "help":
		if len(argv) != 2 {
			return Command{}, subcommandArity(sub)
		}
		return Command{op: opScriptHelp}, nil
	}
	return Command{}, redisError("ERR unknown subcommand '" + string(argv[1]) + "'. Try SCRIPT HELP.")
}

// scriptEngine returns the Store's Lua engine for writes. The caller holds
// the write lock.
func (s *Store) scriptEngine() *luascript.Engine {
	if s.lua == nil {
		s.lua = luascript.New()
	}
	return s.lua
}

// eval runs EVAL, EVALSHA and EVAL_RO.
func (w *writer) eval(c Command) Reply {
	s := w.s
	user, refusal, ok := s.scriptUserOf(c, w.aclContext(), denySink{effects: s})
	if !ok {
		return refusal
	}
	sha, body := "", c.args[0]
	if c.flags&flagEvalSHA != 0 {
		sha = string(c.args[0])
		b, ok := s.scripts[sha]
		if !ok {
			return errorReply(errNoScript)
		}
		body = b
	} else {
		sha = luascript.SHA1Hex(body)
	}
	declared, noWrites, err := luascript.Flags(body)
	if err != nil {
		return Error(err.Error())
	}
	e := s.scriptEngine()
	if err := e.Load(sha, body); err != nil {
		return Error(err.Error())
	}
	if _, ok := s.scripts[sha]; !ok {
		s.cacheScript(sha, body)
	}
	if declared && !noWrites && c.flags&flagEvalRO != 0 {
		return errorReply(errWriteFlagRO)
	}
	// Redis's OOM rules for scripts: one that declares flags, may write
	// and does not allow OOM is refused whole; one without flags runs,
	// but its commands that may grow memory fail (scriptVerifyOOM).
	oom := !scriptAllowsOOM(body) && s.overMemory()
	if oom && declared && !noWrites {
		return errorReply(errOOM)
	}
	nk := 1 + c.ints[0]
	h := &scriptHost{s: s, w: w, db: w.db, now: w.now, readOnly: c.flags&flagEvalRO != 0 || noWrites, oom: oom, user: user}
	r := e.Run(luascript.Invocation{SHA: sha, Keys: c.args[1:nk], Args: c.args[nk:], Seed: int64(w.index), Budget: s.scriptBudget, Host: h})
	return fromScript(r)
}

func (s *Store) cacheScript(sha string, body []byte) {
	if s.scripts == nil {
		s.scripts = map[string][]byte{}
	}
	s.scripts[sha] = ownedCopy(body)
}

// evalROFor runs EVALSHA_RO as a read, on an engine of the read pool.
// deny is where the commands its user is refused go; context is the ACL
// LOG's for the invocation itself.
func (ks *keyspace) evalROFor(c Command, now int64, context string, deny denySink) Reply {
	s := ks.s
	user, refusal, ok := s.scriptUserOf(c, context, deny)
	if !ok {
		return refusal
	}
	sha := string(c.args[0])
	body, ok := s.scripts[sha]
	if !ok {
		return errorReply(errNoScript)
	}
	if declared, noWrites, _ := luascript.Flags(body); declared && !noWrites {
		return errorReply(errWriteFlagRO)
	}
	e, _ := s.readLua.Get().(*luascript.Engine)
	if e == nil {
		e = luascript.New()
	}
	defer s.readLua.Put(e)
	if err := e.Load(sha, body); err != nil {
		return Error(err.Error())
	}
	nk := 1 + c.ints[0]
	h := &scriptHost{s: s, db: dbOf(s, ks), now: now, readOnly: true, user: user}
	r := e.Run(luascript.Invocation{SHA: sha, Keys: c.args[1:nk], Args: c.args[nk:], Seed: now, Budget: s.scriptBudget, Host: h})
	return fromScript(r)
}

// dbOf returns ks's database number.
func dbOf(s *Store, ks *keyspace) int {
	for i, k := range s.dbs {
		if k == ks {
			return i
		}
	}
	return 0
}

func (w *writer) scriptLoad(c Command) Reply {
	if _, _, err := luascript.Flags(c.args[0]); err != nil {
		return Error(err.Error())
	}
	sha := luascript.SHA1Hex(c.args[0])
	if err := w.s.scriptEngine().Load(sha, c.args[0]); err != nil {
		return Error(err.Error())
	}
	if _, ok := w.s.scripts[sha]; !ok {
		w.s.cacheScript(sha, c.args[0])
	}
	return Bulk([]byte(sha))
}

func (w *writer) scriptFlush(Command) Reply {
	w.s.scripts = nil
	if w.s.lua != nil {
		w.s.lua.Forget()
	}
	// Engines of the read pool compile what they run; a body that
	// comes back under the same SHA is the same script.
	return OK
}

func (ks *keyspace) scriptExists(c Command, _ int64) Reply {
	elems := make([]Reply, len(c.args))
	for i, sha := range c.args {
		elems[i] = Zero
		if _, ok := ks.s.scripts[string(bytes.ToLower(sha))]; ok {
			elems[i] = One
		}
	}
	return Array(elems...)
}

func scriptHelp() Reply {
	lines := []string{
		"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	}
	elems := make([]Reply, len(lines))
	for i, l := range lines {
		elems[i] = Status(l)
	}
	return Array(elems...)
}

// scriptHost runs a script's redis.call and redis.pcall: through Parse and
// the command table, as a client's command, in the script's database and
// at its entry's time and index. A read-only run (w nil) serves reads
// only.
type scriptHost struct {
	s        *Store
	w        *writer // nil for a read-only run outside Apply
	db       int
	now      int64
	readOnly bool
	// oom: the store was over maxmemory when the script started, and the
	// script does not allow OOM (see writer.eval).
	oom bool
	// user is the ACL user whose permissions the script's commands need,
	// nil if it has them all.
	user *scriptUser
}

// notFromScripts are the commands Redis flags noscript that Parse knows
// or that a script could name, and the connection's commands.
var notFromScripts = map[string]bool{
	"blpop": true, "brpop": true, "brpoplpush": true, "blmove": true, "blmpop": true,
	"bzpopmin": true, "bzpopmax": true, "bzmpop": true,
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "script": true,
	"fcall": true, "fcall_ro": true, "function": true,
	"multi": true, "exec": true, "discard": true, "watch": true, "unwatch": true,
	"subscribe": true, "psubscribe": true, "ssubscribe": true, "unsubscribe": true,
	"punsubscribe": true, "sunsubscribe": true, "wait": true, "client": true, "hello": true,
	"auth": true, "quit": true, "reset": true, "monitor": true, "sync": true, "psync": true,
}

const (
	errScriptUnknown  = "ERR Unknown Redis command called from script"
	errScriptArity    = "ERR Wrong number of args calling Redis command from script"
	errScriptNotAllow = "ERR This Redis command is not allowed from script"
	errScriptRO       = "ERR Write commands are not allowed from read-only scripts."
)

func (h *scriptHost) Call(argv [][]byte) luascript.Reply {
	name := string(bytes.ToLower(argv[0]))
	if notFromScripts[name] {
		return luascript.Error(errScriptNotAllow)
	}
	// Redis's order (scriptCall): the command and its arity, then the
	// ACL, then read-only and OOM, then the command's own errors.
	if arity := connectionArity(name); arity > 0 {
		if len(argv) != arity && !(name == "ping" && len(argv) == 1) {
			return luascript.Error(errScriptArity)
		}
		if r, denied := h.denied(argv, nil); denied {
			return r
		}
		return h.connectionCommand(name, argv)
	}
	cmd, ok, err := Parse(argv, h.now)
	switch {
	case !ok:
		return luascript.Error(errScriptUnknown)
	case err != nil && IsArityError(err):
		return luascript.Error(errScriptArity)
	}
	var keys [][]byte
	if err == nil {
		keys = cmd.Keys()
	}
	if r, denied := h.denied(argv, keys); denied {
		return r
	}
	switch {
	case err != nil:
		return luascript.Error(err.Error())
	case cmd.blocking && (name == "xread" || name == "xreadgroup"):
		return luascript.Error("ERR " + name + " command is not allowed with BLOCK option from scripts")
	case cmd.IsWrite() && h.readOnly:
		return luascript.Error(errScriptRO)
	case h.oom && cmd.denyOOM():
		return luascript.Error(string(errOOM))
	}
	cmd = cmd.InDB(h.db)
	if h.w == nil {
		return toScript(h.s.dbs[h.db].read(cmd, h.now))
	}
	sw := writer{s: h.s, ks: h.s.dbs[h.db], db: h.db, index: h.w.index, now: h.now}
	return toScript(sw.run(cmd))
}

// denied checks argv against the script's user, if it lacks any
// permission.
func (h *scriptHost) denied(argv, keys [][]byte) (luascript.Reply, bool) {
	if h.user == nil {
		return luascript.Reply{}, false
	}
	return h.user.denied(argv, keys)
}

// connectionArity is the arity of the connection's commands a script may
// call, which run here rather than through Parse (PING: 1 or 2), or 0.
func connectionArity(name string) int {
	switch name {
	case "time":
		return 1
	case "ping", "echo", "select":
		return 2
	}
	return 0
}

// connectionCommand runs one of connectionArity's commands.
func (h *scriptHost) connectionCommand(name string, argv [][]byte) luascript.Reply {
	switch name {
	case "time":
		return toScript(Array(
			Bulk(strconv.AppendInt(nil, h.now/1000, 10)),
			Bulk(strconv.AppendInt(nil, h.now%1000*1000, 10))))
	case "ping":
		if len(argv) == 1 {
			return luascript.Reply{Kind: luascript.KindStatus, Bytes: []byte("PONG")}
		}
		return luascript.Reply{Kind: luascript.KindBulk, Bytes: argv[1]}
	case "echo":
		return luascript.Reply{Kind: luascript.KindBulk, Bytes: argv[1]}
	}
	n, err := parseDBIndex(argv[1])
	if err != nil {
		return luascript.Error(err.Error())
	}
	if n < 0 || n >= NumDBs {
		return luascript.Error(string(errDBIndex))
	}
	h.db = int(n)
	return luascript.Reply{Kind: luascript.KindStatus, Bytes: []byte("OK")}
}

// toScript and fromScript convert between fsm's replies and fsm/script's,
// whose kinds are fsm's in the same order.
func toScript(r Reply) luascript.Reply {
	out := luascript.Reply{Kind: luascript.Kind(r.Kind), Int: r.Int, Bytes: r.Bytes}
	switch {
	case r.Kind == KindPublished:
		// How many clients received it is each node's own: a script,
		// which must run alike everywhere, is told 0.
		out = luascript.Reply{Kind: luascript.KindInt}
	case r.Kind == KindPairs:
		// WITHSCORES pairs reach a script flat, as a RESP2 client gets
		// them (a script that chose RESP3 would get them nested).
		out.Kind = luascript.KindArray
	case r.Kind > KindNilArray:
		out.Kind = luascript.KindNil
	}
	if r.Elems != nil {
		out.Elems = make([]luascript.Reply, len(r.Elems))
		for i, e := range r.Elems {
			out.Elems[i] = toScript(e)
		}
	}
	return out
}

func fromScript(r luascript.Reply) Reply {
	out := Reply{Kind: Kind(r.Kind), Int: r.Int, Bytes: r.Bytes}
	if r.Elems != nil {
		out.Elems = make([]Reply, len(r.Elems))
		for i, e := range r.Elems {
			out.Elems[i] = fromScript(e)
		}
	}
	return out
}

// scriptsInOrder returns the cached bodies in SHA1 order, for a snapshot.
// The caller holds the Store's lock.
func (s *Store) scriptsInOrder() [][]byte {
	shas := make([]string, 0, len(s.scripts))
	for sha := range s.scripts {
		shas = append(shas, sha)
	}
	slices.Sort(shas)
	bodies := make([][]byte, len(shas))
	for i, sha := range shas {
		bodies[i] = s.scripts[sha]
	}
	return bodies
}

// readScripts reads a snapshot's script cache.
func readScripts(sr *snapshotReader) (map[string][]byte, error) {
	n, err := sr.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read script count: %w", err)
	}
	var scripts map[string][]byte
	prev := ""
	for i := uint64(0); i < n; i++ {
		body, err := sr.readBytes()
		if err != nil {
			return nil, fmt.Errorf("read script %d: %w", i, err)
		}
		sha := luascript.SHA1Hex(body)
		if sha <= prev {
			return nil, fmt.Errorf("script %d out of order or repeated", i)
		}
		if scripts == nil {
			scripts = map[string][]byte{}
		}
		scripts[sha], prev = body, sha
	}
	return scripts, nil
}
