package script

import (
	"fmt"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Functions (FUNCTION LOAD, FCALL): a library is Lua code whose first line
// is "#!lua name=<library>" and whose body registers functions with
// redis.register_function. The Engine runs the body once per code (keyed
// by its SHA1) and keeps the registered closures; the library's metadata,
// what FUNCTION LIST shows, is the caller's state.

// FunctionInfo is one function a library registers.
type FunctionInfo struct {
	Name        string
	Description []byte   // nil: none
	Flags       []string // in Redis's order (functionFlags)
}

// NoWrites reports whether the function declared the no-writes flag.
func (f FunctionInfo) NoWrites() bool {
	for _, fl := range f.Flags {
		if fl == "no-writes" {
			return true
		}
	}
	return false
}

// functionChunk is the chunk name of libraries, which gives Redis's
// positions ("user_function:3: ...").
const functionChunk = "user_function"

// functionFlags are the flags a function may declare, in the order Redis
// lists them.
var functionFlags = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// library is a loaded library's closures, by function name.
type library struct {
	funcs map[string]*lua.LFunction
}

// loading is the state of a library body being run by LoadLibrary.
type loading struct {
	infos []FunctionInfo
	funcs map[string]*lua.LFunction
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}

const errLibraryName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// LibraryName parses code's shebang line as FUNCTION LOAD does and returns
// the library's name, or Redis's error text.
func LibraryName(code []byte) (string, error) {
	line, _, _ := strings.Cut(string(code), "\n")
	if !strings.HasPrefix(line, "#!") {
		return "", fmt.Errorf("ERR Missing library metadata")
	}
	parts := strings.Split(line[2:], " ")
	if !strings.EqualFold(parts[0], "lua") {
		return "", fmt.Errorf("ERR Engine '%s' not found", parts[0])
	}
	name, named := "", false
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", fmt.Errorf("ERR Invalid metadata value given: %s", p)
		}
		if named {
			return "", fmt.Errorf("ERR Invalid metadata value, name argument was given multiple times")
		}
		name, named = v, true
	}
	if !named {
		return "", fmt.Errorf("ERR Library name was not given")
	}
	if !validName(name) {
		return "", fmt.Errorf("ERR %s", errLibraryName)
	}
	return name, nil
}

// LoadLibrary runs a library's code (its SHA1 is sha) unless this engine
// already has, and returns the functions it registers, in order. err is
// Redis's error text. budget bounds the body's run as a script's.
func (e *Engine) LoadLibrary(sha string, code []byte, budget int64) ([]FunctionInfo, error) {
	if _, err := LibraryName(code); err != nil {
		return nil, err
	}
	// The shebang is not Lua: blank it, keeping the line count.
	body := string(code)
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[i:]
	} else {
		body = ""
	}
	proto, err := compileChunk([]byte(body), functionChunk)
	if err != nil {
		return nil, fmt.Errorf("ERR Error compiling function: %s", strings.TrimPrefix(err.Error(), "ERR Error compiling script (new function): "))
	}
	L := e.L
	st := &loading{funcs: map[string]*lua.LFunction{}}
	e.loading, e.sha, e.names = st, "", nil
	e.budget.left = budget
	if e.budget.left <= 0 {
		e.budget.left = DefaultBudget
	}
	defer func() {
		e.loading, e.names = nil, nil
		e.scrub()
		L.SetTop(0)
	}()
	fn := L.NewFunctionFromProto(proto)
	fn.Env = e.env
	L.Push(fn)
	if err := L.PCall(0, 0, L.NewFunction(e.errorHandler)); err != nil || e.budget.spent() {
		msg := errBudget.Error()
		if !e.budget.spent() {
			msg = errorText(err)
		}
		return nil, fmt.Errorf("ERR Error registering functions: %s", msg)
	}
	if len(st.infos) == 0 {
		return nil, fmt.Errorf("ERR No functions registered")
	}
	if e.libs == nil {
		e.libs = map[string]*library{}
	}
	e.libs[sha] = &library{funcs: st.funcs}
	return st.infos, nil
}

// ForgetLibraries drops every loaded library (FUNCTION FLUSH, a restore).
func (e *Engine) ForgetLibraries() { clear(e.libs) }

// LibraryLoaded reports whether the library with code SHA1 sha is loaded.
func (e *Engine) LibraryLoaded(sha string) bool { _, ok := e.libs[sha]; return ok }

// errorText is the text of an error raised in a run, as the error
// handler shaped it.
func errorText(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				return string(s)
			}
		}
		if s, ok := ae.Object.(lua.LString); ok {
			return "ERR " + luaMessage(string(s))
		}
	}
	return "ERR " + err.Error()
}

// registerFunction is redis.register_function, during LoadLibrary only.
func (e *Engine) registerFunction(L *lua.LState) int {
	st := e.loading
	fail := func(msg string) int { L.Error(lua.LString(msg), 0); return 0 }
	if st == nil {
		return fail("redis.register_function can only be called on FUNCTION LOAD command")
	}
	var info FunctionInfo
	var cb lua.LValue
	switch L.GetTop() {
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			return fail("wrong argument given to redis.register_function")
		}
		info.Name, cb = string(name), L.Get(2)
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		each(t, func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			switch k.String() {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "function_name argument given to redis.register_function must be a string"
				}
				info.Name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "description argument given to redis.register_function must be a string"
				}
				info.Description = []byte(s)
			case "callback":
				cb = v
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				given := map[string]bool{}
				for i := 1; i <= ft.Len(); i++ {
					f, ok := ft.RawGetInt(i).(lua.LString)
					if !ok || !slices.Contains(functionFlags, string(f)) {
						bad = "unknown flag given"
						return
					}
					given[string(f)] = true
				}
				for _, f := range functionFlags {
					if given[f] {
						info.Flags = append(info.Flags, f)
					}
				}
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			return fail(bad)
		}
		if info.Name == "" {
			return fail("redis.register_function must get a function name argument")
		}
		if cb == nil {
			return fail("redis.register_function must get a callback argument")
		}
	default:
		return fail("wrong number of arguments to redis.register_function")
	}
	fn, ok := cb.(*lua.LFunction)
	if !ok && L.GetTop() == 2 {
		return fail("second argument to redis.register_function must be a function")
	}
	if !ok {
		return fail("callback argument given to redis.register_function must be a function")
	}
	if !validName(info.Name) {
		// Redis 7.0 says "Library" for a function's name too.
		return fail(errLibraryName)
	}
	if _, dup := st.funcs[info.Name]; dup {
		return fail("Function already exists in the library")
	}
	st.funcs[info.Name] = fn
	st.infos = append(st.infos, info)
	return 0
}

// CallFunction runs function name of the loaded library sha, with keys and
// args as its two arguments, as FCALL does. It needs LoadLibrary first.
func (e *Engine) CallFunction(sha, name string, inv Invocation) Reply {
	lib := e.libs[sha]
	if lib == nil || lib.funcs[name] == nil {
		return Error("ERR Function not found")
	}
	L := e.L
	e.host, e.resp3, e.sha, e.names = inv.Host, false, name, nil
	e.chunk = functionChunk
	e.rand.seed(int32(inv.Seed))
	e.budget.left = inv.Budget
	if e.budget.left <= 0 {
		e.budget.left = DefaultBudget
	}
	defer func() {
		e.host, e.names, e.chunk = nil, nil, scriptName
		e.scrub()
		L.SetTop(0)
	}()
	L.Push(lib.funcs[name])
	L.Push(e.stringArray(inv.Keys))
	L.Push(e.stringArray(inv.Args))
	err := L.PCall(2, 1, L.NewFunction(e.errorHandler))
	if e.budget.spent() {
		return Error(errBudget.Error() + " script: " + name)
	}
	if err != nil {
		return e.scriptError(err)
	}
	return e.fromLua(L.Get(-1), 0)
}
