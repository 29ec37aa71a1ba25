package fsm

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	luascript "github.com/raftcache/raftcache/fsm/script"
)

// FUNCTION and FCALL: libraries of Lua functions, replicated state like
// the script cache. FUNCTION LOAD, DELETE and FLUSH and FCALL go through
// the log; FCALL_RO, LIST and STATS are reads. A library's code is what
// is kept (and snapshotted); each engine runs it once to get the
// functions' closures, so a restored node rebuilds them from the code.

const (
	opFunctionLoad   opcode = 519 // flagReplace: REPLACE
	opFCall          opcode = 520 // ints[0]: number of keys; args: function, keys, arguments
	opFCallRO        opcode = 521 // FCALL_RO, a read
	opFunctionDelete opcode = 522
	opFunctionFlush  opcode = 523
	opFunctionList   opcode = 524 // flagWithCode; args: the LIBRARYNAME pattern, if any
	opFunctionStats  opcode = 525
	opFunctionHelp   opcode = 526
)

const (
	flagWithCode    = flagNX
	flagLibraryName = flagXX
)

// library is one loaded FUNCTION library.
type library struct {
	name  string
	code  []byte // immutable once stored
	sha   string // SHA1 of code, the engines' key
	funcs []luascript.FunctionInfo
}

func functionTable() table {
	validKeys := func(c Command) bool { return c.ints[0] >= 0 && c.ints[0] <= int64(len(c.args)-1) }
	fcallKeys := func(c Command) [][]byte { return c.args[1 : 1+c.ints[0]] }
	none := func(Command) [][]byte { return nil }
	return table{
		commands: []parser{
			{"fcall", -3, parseFCall(opFCall)},
			{"fcall_ro", -3, parseFCall(opFCallRO)},
			{"function", -2, parseFunction},
		},
		subcommands: map[string][]string{"function": {"delete", "dump", "flush", "help", "kill", "list", "load", "restore", "stats"}},
		ops: []opDef{
			{op: opFunctionLoad, opShape: opShape{name: "function", write: true, minArgs: 1, maxArgs: 1},
				apply: (*writer).functionLoad, keys: none},
			{op: opFCall, opShape: opShape{name: "fcall", write: true, minArgs: 1, maxArgs: -1, ints: 1},
				valid: validKeys, apply: (*writer).fcall, keys: fcallKeys},
			{op: opFCallRO, opShape: opShape{name: "fcall_ro", minArgs: 1, maxArgs: -1, ints: 1},
				valid: validKeys, keys: fcallKeys,
				read: func(ks *keyspace, c Command, now int64) Reply { return ks.fcallROFor(c, now, "toplevel", denySink{}) },
				readInApply: func(w *writer, c Command) Reply {
					return w.ks.fcallROFor(c, w.now, w.aclContext(), denySink{effects: w.s})
				}},
			{op: opFunctionDelete, opShape: opShape{name: "function", write: true, minArgs: 1, maxArgs: 1},
				apply: (*writer).functionDelete, keys: none},
			{op: opFunctionFlush, opShape: opShape{name: "function", write: true},
				apply: (*writer).functionFlush, keys: none},
			{op: opFunctionList, opShape: opShape{name: "function", maxArgs: 1},
				read: (*keyspace).functionList, keys: none},
			{op: opFunctionStats, opShape: opShape{name: "function"},
				read: (*keyspace).functionStats, keys: none},
			{op: opFunctionDump, opShape: opShape{name: "function"},
				read: (*keyspace).functionDump, keys: none},
			{op: opFunctionRestore, opShape: opShape{name: "function", write: true, minArgs: 1, maxArgs: 1},
				apply: (*writer).functionRestore, keys: none},
			{op: opFunctionHelp, opShape: opShape{name: "function"},
				read: func(*keyspace, Command, int64) Reply { return functionHelp() }, keys: none},
		},
	}
}

func parseFCall(op opcode) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		n, ok := ParseInt(argv[2])
		switch {
		case !ok:
			return Command{}, redisError("ERR Bad number of keys provided")
		case n < 0:
			return Command{}, errNegativeKeys
		case n > int64(len(argv)-3):
			return Command{}, errTooManyKeys
		}
		args := make([][]byte, 0, len(argv)-2)
		args = append(append(args, argv[1]), argv[3:]...)
		return Command{op: op, ints: [4]int64{n}, args: args}, nil
	}
}

func parseFunction(_ string, argv [][]byte, _ int64) (Command, error) {
	sub := string(bytes.ToLower(argv[1]))
	arity := func() error { return redisError("ERR wrong number of arguments for 'function|" + sub + "' command") }
	switch sub {
	case "load":
		if len(argv) < 3 {
			return Command{}, arity()
		}
		var flags uint16
		for _, opt := range argv[2 : len(argv)-1] {
			if !EqualFold(opt, "replace") {
				return Command{}, redisError("ERR Unknown option given: " + string(opt))
			}
			flags |= flagReplace
		}
		return Command{op: opFunctionLoad, flags: flags, args: argv[len(argv)-1:]}, nil
	case "delete":
		if len(argv) != 3 {
			return Command{}, arity()
		}
		return Command{op: opFunctionDelete, args: argv[2:3]}, nil
	case "flush":
		if len(argv) > 3 || (len(argv) == 3 && !EqualFold(argv[2], "sync") && !EqualFold(argv[2], "async")) {
			return Command{}, redisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		}
		return Command{op: opFunctionFlush}, nil
	case "kill":
		if len(argv) != 2 {
			return Command{}, arity()
		}
		return ErrorCommand("NOTBUSY No scripts in execution right now."), nil
	case "dump":
		if len(argv) != 2 {
			return Command{}, arity()
		}
		return Command{op: opFunctionDump}, nil
	case "restore":
		if len(argv) < 3 {
			return Command{}, arity()
		}
		return parseFunctionRestore(argv)
	case "stats", "help":
		if len(argv) != 2 {
			return Command{}, arity()
		}
		if sub == "help" {
			return Command{op: opFunctionHelp}, nil
		}
		return Command{op: opFunctionStats}, nil
	case "list":
		c := Command{op: opFunctionList}
		for j := 2; j < len(argv); j++ {
			switch {
			case EqualFold(argv[j], "withcode") && c.flags&flagWithCode == 0:
				c.flags |= flagWithCode
			case EqualFold(argv[j], "libraryname") && c.flags&flagLibraryName == 0:
				if j+1 >= len(argv) {
					return Command{}, redisError("ERR library name argument was not given")
				}
				c.flags |= flagLibraryName
				c.args = [][]byte{argv[j+1]}
				j++
			default:
				return Command{}, redisError("ERR Unknown argument " + string(argv[j]))
			}
		}
		return c, nil
	}
	return Command{}, redisError("ERR unknown subcommand '" + string(argv[1]) + "'. Try FUNCTION HELP.")
}

// loadLibrary runs code in the write engine and returns its library.
func (s *Store) loadLibrary(code []byte) (*library, error) {
	name, err := luascript.LibraryName(code)
	if err != nil {
		return nil, err
	}
	sha := luascript.SHA1Hex(code)
	funcs, err := s.scriptEngine().LoadLibrary(sha, code, s.scriptBudget)
	if err != nil {
		return nil, err
	}
	return &library{name: name, code: code, sha: sha, funcs: funcs}, nil
}

func (w *writer) functionLoad(c Command) Reply {
	s := w.s
	lib, err := s.loadLibrary(ownedCopy(c.args[0]))
	if err != nil {
		return Error(err.Error())
	}
	old := s.libraries[lib.name]
	if old != nil && c.flags&flagReplace == 0 {
		return Error("ERR Library '" + lib.name + "' already exists")
	}
	for _, f := range lib.funcs {
		if other := s.functions[strings.ToLower(f.Name)]; other != nil && other != old {
			return Error("ERR Function " + f.Name + " already exists")
		}
	}
	s.addLibrary(lib, old)
	return Bulk([]byte(lib.name))
}

// addLibrary records lib, replacing old (which may be nil).
func (s *Store) addLibrary(lib, old *library) {
	if s.libraries == nil {
		s.libraries, s.functions = map[string]*library{}, map[string]*library{}
	}
	if old != nil {
		for _, f := range old.funcs {
			delete(s.functions, strings.ToLower(f.Name))
		}
	}
	s.libraries[lib.name] = lib
	for _, f := range lib.funcs {
		s.functions[strings.ToLower(f.Name)] = lib
	}
}

func (w *writer) functionDelete(c Command) Reply {
	s := w.s
	lib := s.libraries[string(c.args[0])]
	if lib == nil {
		return Error("ERR Library not found")
	}
	for _, f := range lib.funcs {
		delete(s.functions, strings.ToLower(f.Name))
	}
	delete(s.libraries, lib.name)
	return OK
}

func (w *writer) functionFlush(Command) Reply {
	w.s.libraries, w.s.functions = nil, nil
	if w.s.lua != nil {
		w.s.lua.ForgetLibraries()
	}
	return OK
}

// function returns the library and info of function name, which Redis
// looks up ignoring case.
func (s *Store) function(name string) (*library, luascript.FunctionInfo, bool) {
	lib := s.functions[strings.ToLower(name)]
	if lib == nil {
		return nil, luascript.FunctionInfo{}, false
	}
	for _, f := range lib.funcs {
		if strings.EqualFold(f.Name, name) {
			return lib, f, true
		}
	}
	return nil, luascript.FunctionInfo{}, false
}

func (w *writer) fcall(c Command) Reply {
	s := w.s
	user, refusal, ok := s.scriptUserOf(c, w.aclContext(), denySink{effects: s})
	if !ok {
		return refusal
	}
	lib, info, ok := s.function(string(c.args[0]))
	if !ok {
		return Error("ERR Function not found")
	}
	e := s.scriptEngine()
	if !e.LibraryLoaded(lib.sha) {
		if _, err := e.LoadLibrary(lib.sha, lib.code, s.scriptBudget); err != nil {
			return Error(err.Error())
		}
	}
	// A function always declares its flags: one that may write and does
	// not allow OOM is refused while over maxmemory, as Redis does.
	if !info.NoWrites() && !slices.Contains(info.Flags, "allow-oom") && s.overMemory() {
		return errorReply(errOOM)
	}
	nk := 1 + c.ints[0]
	h := &scriptHost{s: s, w: w, db: w.db, now: w.now, readOnly: info.NoWrites(), user: user}
	r := e.CallFunction(lib.sha, info.Name, luascript.Invocation{Keys: c.args[1:nk], Args: c.args[nk:],
		Seed: int64(w.index), Budget: s.scriptBudget, Host: h})
	return fromScript(r)
}

// fcallROFor runs FCALL_RO. deny is where the commands its user is
// refused go; context is the ACL LOG's for the invocation itself.
func (ks *keyspace) fcallROFor(c Command, now int64, context string, deny denySink) Reply {
	s := ks.s
	user, refusal, ok := s.scriptUserOf(c, context, deny)
	if !ok {
		return refusal
	}
	lib, info, ok := s.function(string(c.args[0]))
	if !ok {
		return Error("ERR Function not found")
	}
	if !info.NoWrites() {
		return errorReply(errWriteFlagRO)
	}
	e, _ := s.readLua.Get().(*luascript.Engine)
	if e == nil {
		e = luascript.New()
	}
	defer s.readLua.Put(e)
	if !e.LibraryLoaded(lib.sha) {
		if _, err := e.LoadLibrary(lib.sha, lib.code, s.scriptBudget); err != nil {
			return Error(err.Error())
		}
	}
	nk := 1 + c.ints[0]
	h := &scriptHost{s: s, db: dbOf(s, ks), now: now, readOnly: true, user: user}
	r := e.CallFunction(lib.sha, info.Name, luascript.Invocation{Keys: c.args[1:nk], Args: c.args[nk:],
		Seed: now, Budget: s.scriptBudget, Host: h})
	return fromScript(r)
}

// librariesInOrder returns the libraries by name. The caller holds the
// Store's lock.
func (s *Store) librariesInOrder() []*library {
	libs := make([]*library, 0, len(s.libraries))
	for _, l := range s.libraries {
		libs = append(libs, l)
	}
	slices.SortFunc(libs, func(a, b *library) int { return bytes.Compare([]byte(a.name), []byte(b.name)) })
	return libs
}

// functionList is FUNCTION LIST: libraries by name (Redis: its
// dictionary's order), functions in the order they were registered.
func (ks *keyspace) functionList(c Command, _ int64) Reply {
	var out []Reply
	for _, lib := range ks.s.librariesInOrder() {
		if c.flags&flagLibraryName != 0 && !globMatch(c.args[0], []byte(lib.name)) {
			continue
		}
		funcs := make([]Reply, len(lib.funcs))
		for i, f := range lib.funcs {
			desc := Nil
			if f.Description != nil {
				desc = Bulk(f.Description)
			}
			flags := make([]Reply, len(f.Flags))
			for j, fl := range f.Flags {
				flags[j] = Status(fl)
			}
			funcs[i] = Reply{Kind: KindMap, Elems: []Reply{
				Bulk([]byte("name")), Bulk([]byte(f.Name)),
				Bulk([]byte("description")), desc,
				Bulk([]byte("flags")), {Kind: KindSet, Elems: flags},
			}}
		}
		m := []Reply{
			Bulk([]byte("library_name")), Bulk([]byte(lib.name)),
			Bulk([]byte("engine")), Bulk([]byte("LUA")),
			Bulk([]byte("functions")), Array(funcs...),
		}
		if c.flags&flagWithCode != 0 {
			m = append(m, Bulk([]byte("library_code")), valueReply(lib.code))
		}
		out = append(out, Reply{Kind: KindMap, Elems: m})
	}
	return Array(out...)
}

func (ks *keyspace) functionStats(Command, int64) Reply {
	nf := len(ks.s.functions)
	return Reply{Kind: KindMap, Elems: []Reply{
		Bulk([]byte("running_script")), Nil,
		Bulk([]byte("engines")), {Kind: KindMap, Elems: []Reply{
			Bulk([]byte("LUA")), {Kind: KindMap, Elems: []Reply{
				Bulk([]byte("libraries_count")), Int(int64(len(ks.s.libraries))),
				Bulk([]byte("functions_count")), Int(int64(nf)),
			}},
		}},
	}}
}

func functionHelp() Reply {
	lines := []string{
		"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
		"HELP",
		"    Prints this help.",
	}
	elems := make([]Reply, len(lines))
	for i, l := range lines {
		elems[i] = Status(l)
	}
	return Array(elems...)
}

// readLibraries reads a snapshot's FUNCTION libraries and loads each into
// engine, which gives their functions.
func readLibraries(sr *snapshotReader, load func(code []byte) (*library, error)) ([]*library, error) {
	n, err := sr.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read library count: %w", err)
	}
	var libs []*library
	for i := uint64(0); i < n; i++ {
		code, err := sr.readBytes()
		if err != nil {
			return nil, fmt.Errorf("read library %d: %w", i, err)
		}
		lib, err := load(code)
		if err != nil {
			return nil, fmt.Errorf("library %d: %w", i, err)
		}
		if i > 0 && lib.name <= libs[i-1].name {
			return nil, fmt.Errorf("library %d out of order or repeated", i)
		}
		libs = append(libs, lib)
	}
	return libs, nil
}
