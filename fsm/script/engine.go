package script

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Host runs the commands a script sends with redis.call and redis.pcall.
// An error is an error Reply (its text as Redis would write it, without the
// '-'): the Engine raises it (redis.call) or returns it (redis.pcall).
type Host interface {
	Call(argv [][]byte) Reply
}

// Invocation is one run of a script.
type Invocation struct {
	SHA        string   // the script's SHA1, lower-case hex, as Load returned it
	Keys, Args [][]byte // KEYS and ARGV
	// Seed seeds math.random (Redis's rand48) for this run: the log
	// index, so that every node draws the same numbers.
	Seed int64
	// Budget is how many Lua instructions the run may take; 0 means
	// DefaultBudget.
	Budget int64
	Host   Host
}

// Engine is one Lua state and the scripts compiled for it. It is not safe
// for concurrent use: fsm keeps one per Store, used under the Store's write
// lock, and a pool for read-only scripts.
type Engine struct {
	L      *lua.LState
	protos map[string]*lua.FunctionProto
	// globals is the real global table; env is the readonly view scripts
	// see as their environment and as _G.
	globals, env *lua.LTable
	readonly     map[*lua.LTable]bool
	budget       *budget
	rand         rand48
	null         *lua.LUserData      // cjson.null
	libs         map[string]*library // FUNCTION libraries by code SHA1
	loading      *loading            // a library body being run

	// The current run.
	host   Host
	resp3  bool
	sha    string             // the script's SHA1, or the function's name
	chunk  string             // scriptName or functionChunk, for error positions
	names  map[lua.LValue]int // tostring's numbers for tables and functions
	rawset lua.LGFunction
}

// New returns an Engine with Redis's script environment.
func New() *Engine {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       200, // Lua 5.1's LUAI_MAXCCALLS
		RegistrySize:        1024 * 4,
		RegistryMaxSize:     1024 * 256,
		IncludeGoStackTrace: false,
	})
	e := &Engine{L: L, protos: map[string]*lua.FunctionProto{}, readonly: map[*lua.LTable]bool{},
		budget: newBudget(), chunk: scriptName}
	e.sandbox()
	L.SetContext(e.budget)
	return e
}

// Close releases the Lua state.
func (e *Engine) Close() { e.L.Close() }

// SHA1Hex returns the lower-case hex SHA1 of b, the name Redis gives a
// script.
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Loaded reports whether sha has been compiled.
func (e *Engine) Loaded(sha string) bool { _, ok := e.protos[sha]; return ok }

// Load compiles body under sha (its SHA1Hex) unless it is already compiled.
// err is Redis's error text for a script that does not compile.
func (e *Engine) Load(sha string, body []byte) error {
	if _, ok := e.protos[sha]; ok {
		return nil
	}
	if bytes.HasPrefix(body, []byte("#!")) {
		// The shebang is not Lua: blank it, keeping the line count.
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			body = body[i:]
		} else {
			body = nil
		}
	}
	proto, err := compileChunk(body, scriptName)
	if err != nil {
		return err
	}
	e.protos[sha] = proto
	return nil
}

// Flags parses a script's shebang line ("#!lua flags=no-writes,...") as
// Redis 7.0's evalExtractShebangFlags: declared is whether there is one,
// noWrites whether it declares no-writes; err is Redis's error text.
func Flags(body []byte) (declared, noWrites bool, err error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return false, false, nil
	}
	line, _, found := bytes.Cut(body, []byte("\n"))
	if !found {
		return false, false, fmt.Errorf("ERR Invalid script shebang")
	}
	parts := strings.Split(string(line[2:]), " ")
	if parts[0] != "lua" {
		return false, false, fmt.Errorf("ERR Unexpected engine in script shebang: %s", line)
	}
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return false, false, fmt.Errorf("ERR Unknown lua shebang option: %s", p)
		}
		for _, f := range strings.Split(list, ",") {
			switch {
			case f == "":
			case f == "no-writes":
				noWrites = true
			case slices.Contains(functionFlags, f):
			default:
				return false, false, fmt.Errorf("ERR Unexpected flag in script shebang: %s", f)
			}
		}
	}
	return true, noWrites, nil
}

// Forget drops every compiled script (SCRIPT FLUSH, a restore).
func (e *Engine) Forget() { clear(e.protos) }

// scriptName is the chunk name, which gives Redis's error positions
// ("user_script:1: ...").
const scriptName = "user_script"

// compileChunk compiles a script body as Redis's luaCreateFunction, with
// its error text for a body that does not parse.
func compileChunk(body []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(string(body)), name)
	if err == nil {
		var proto *lua.FunctionProto
		if proto, err = lua.Compile(chunk, name); err == nil {
			return proto, nil
		}
	}
	msg := strings.TrimSpace(err.Error())
	if pe, ok := err.(*parse.Error); ok {
		line := pe.Pos.Line
		near := pe.Token
		if line == parse.EOF || line <= 0 {
			line, near = strings.Count(string(body), "\n")+1, "<eof>"
		}
		// gopher-lua's parser says "syntax error" where Lua 5.1's
		// names the most common case.
		text := pe.Message
		if text == "syntax error" {
			text = "unexpected symbol"
		}
		msg = fmt.Sprintf("%s:%d: %s near '%s'", name, line, text, near)
	}
	return nil, fmt.Errorf("ERR Error compiling script (new function): %s", msg)
}

// Run runs the loaded script inv.SHA and returns its reply: its result
// converted as Redis does, or the error it ended with, formatted as Redis
// 7.0 ("... script: <sha>, on @user_script:<line>.").
func (e *Engine) Run(inv Invocation) Reply {
	proto, ok := e.protos[inv.SHA]
	if !ok {
		return Error("NOSCRIPT No matching script. Please use EVAL.")
	}
	L := e.L
	e.host, e.resp3, e.sha, e.names = inv.Host, false, inv.SHA, nil
	e.rand.seed(int32(inv.Seed))
	e.budget.left = inv.Budget
	if e.budget.left <= 0 {
		e.budget.left = DefaultBudget
	}
	defer func() {
		e.host, e.names = nil, nil
		e.scrub()
		e.globals.RawSetString("KEYS", lua.LNil)
		e.globals.RawSetString("ARGV", lua.LNil)
		L.SetTop(0)
	}()
	e.globals.RawSetString("KEYS", e.stringArray(inv.Keys))
	e.globals.RawSetString("ARGV", e.stringArray(inv.Args))

	fn := L.NewFunctionFromProto(proto)
	fn.Env = e.env
	L.Push(fn)
	err := L.PCall(0, 1, L.NewFunction(e.errorHandler))
	if e.budget.spent() {
		return Error(errBudget.Error() + " script: " + e.sha)
	}
	if err != nil {
		return e.scriptError(err)
	}
	return e.fromLua(L.Get(-1), 0)
}

func (e *Engine) stringArray(b [][]byte) *lua.LTable {
	t := e.L.CreateTable(len(b), 0)
	for _, s := range b {
		t.Append(lua.LString(s))
	}
	return t
}

// errorHandler is Redis 7.0's __redis__err__handler: it runs where the
// error was raised, turns it into a table {err=...} ("ERR " before a
// string) and records the line of the innermost Lua function.
func (e *Engine) errorHandler(L *lua.LState) int {
	v := L.Get(1)
	t, ok := v.(*lua.LTable)
	if !ok || t.RawGetString("err").Type() != lua.LTString {
		msg := "nil"
		if v != lua.LNil {
			msg = e.tostring(v)
		}
		if ok {
			// A table without an err string (error({})): Redis 7.0
			// crashes on it; report it as a string would be.
			msg = "Script raised an error object without an 'err' field"
		}
		t = L.CreateTable(0, 2)
		t.RawSetString("err", lua.LString("ERR "+luaMessage(msg)))
	}
	if t.RawGetString("line") == lua.LNil {
		for level := 1; ; level++ {
			dbg, ok := L.GetStack(level)
			if !ok {
				break
			}
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
				break
			}
			if dbg.What != "G" && dbg.CurrentLine > 0 {
				t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
				break
			}
		}
	}
	L.Push(t)
	return 1
}

// scriptError formats the error a run ended with.
func (e *Engine) scriptError(err error) Reply {
	msg, line := err.Error(), "0"
	if ae, ok := err.(*lua.ApiError); ok {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				msg = string(s)
			}
			if n, ok := t.RawGetString("line").(lua.LNumber); ok {
				line = strconv.Itoa(int(n))
			}
		} else {
			msg = "ERR " + luaMessage(e.tostring(ae.Object))
		}
	}
	msg = strings.TrimPrefix(msg, "-")
	return Error(oneLine(msg + " script: " + e.sha + ", on @" + e.chunk + ":" + line + "."))
}

// badArgument matches gopher-lua's argument errors, which leave out the
// quotes Lua 5.1 puts around the function's name.
var badArgument = regexp.MustCompile(`bad argument #(-?[0-9]+) to ([A-Za-z_][A-Za-z0-9_.:]*) \(`)

// luaMessage rewrites an error message of gopher-lua's into Lua 5.1's
// form where they differ only in punctuation.
func luaMessage(s string) string {
	if !strings.Contains(s, "bad argument #") {
		return s
	}
	return badArgument.ReplaceAllString(s, "bad argument #$1 to '$2' (")
}
