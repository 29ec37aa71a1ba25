package script

import (
	"context"
	"log/slog"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Redis 7.0.15's version, as scripts see it.
const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f
)

// redisLib builds the redis table.
func (e *Engine) redisLib() {
	L := e.L
	r := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":  func(L *lua.LState) int { return e.call(L, true) },
		"pcall": func(L *lua.LState) int { return e.call(L, false) },
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				L.Error(lua.LString("wrong number of arguments"), 0)
			}
			L.Push(lua.LString(SHA1Hex([]byte(L.ToString(1)))))
			return 1
		},
		"error_reply": func(L *lua.LState) int {
			return replyTable(L, "err")
		},
		"status_reply": func(L *lua.LState) int {
			return replyTable(L, "ok")
		},
		"log": e.log,
		"setresp": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				L.Error(lua.LString("redis.setresp() requires one argument."), 0)
			}
			switch n, _ := L.Get(1).(lua.LNumber); n {
			case 2, 3:
				e.resp3 = n == 3
			default:
				L.Error(lua.LString("RESP version must be 2 or 3."), 0)
			}
			return 0
		},
		"set_repl": func(L *lua.LState) int {
			// The log replicates the invocation: there are no
			// effects to choose from.
			if L.GetTop() != 1 {
				L.Error(lua.LString("redis.set_repl() requires one argument."), 0)
			}
			if n, ok := L.Get(1).(lua.LNumber); !ok || n < 0 || n > 3 {
				L.Error(lua.LString("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."), 0)
			}
			return 0
		},
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"register_function":  e.registerFunction,
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
	}
	for name, fn := range fns {
		r.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]lua.LValue{
		"REDIS_VERSION":     lua.LString(redisVersion),
		"REDIS_VERSION_NUM": lua.LNumber(redisVersionNum),
		"LOG_DEBUG":         lua.LNumber(0), "LOG_VERBOSE": lua.LNumber(1),
		"LOG_NOTICE": lua.LNumber(2), "LOG_WARNING": lua.LNumber(3),
		"REPL_NONE": lua.LNumber(0), "REPL_AOF": lua.LNumber(1), "REPL_SLAVE": lua.LNumber(2),
		"REPL_REPLICA": lua.LNumber(2), "REPL_ALL": lua.LNumber(3),
	} {
		r.RawSetString(name, v)
	}
	L.G.Global.RawSetString("redis", r)
}

// replyTable is redis.error_reply and redis.status_reply: {field=text}.
func replyTable(L *lua.LState, field string) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Error(lua.LString("wrong number or type of arguments"), 0)
	}
	t := L.CreateTable(0, 1)
	text := string(s)
	if field == "err" {
		text = strings.TrimPrefix(text, "-")
	}
	t.RawSetString(field, lua.LString(text))
	L.Push(t)
	return 1
}

// call is redis.call (raise) and redis.pcall: it converts the arguments as
// Redis does (strings as they are, numbers as "%.17g"), runs the command
// through the Host and converts its reply.
func (e *Engine) call(L *lua.LState, raise bool) int {
	fail := func(text string) int {
		if raise {
			t := L.CreateTable(0, 1)
			t.RawSetString("err", lua.LString(text))
			L.Error(t, 0)
		}
		L.Push(e.toLua(Error(text)))
		return 1
	}
	if e.budget.spent() {
		L.RaiseError("%s", errBudget.Error())
	}
	n := L.GetTop()
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	argv := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			argv[i-1] = []byte(v)
		case lua.LNumber:
			argv[i-1] = []byte(formatDouble(float64(v)))
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	if e.host == nil {
		return fail("ERR redis.call is not available here")
	}
	r := e.host.Call(argv)
	if r.Kind == KindError && raise {
		return fail(string(r.Bytes))
	}
	L.Push(e.toLua(r))
	return 1
}

// log is redis.log, to slog: every node logs it.
func (e *Engine) log(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		L.Error(lua.LString("redis.log() requires two arguments or more."), 0)
	}
	level, ok := L.Get(1).(lua.LNumber)
	if !ok {
		L.Error(lua.LString("First argument must be a number"), 0)
	}
	if level < 0 || level > 3 {
		L.Error(lua.LString("Invalid debug level."), 0)
	}
	parts := make([]string, 0, n-1)
	for i := 2; i <= n; i++ {
		parts = append(parts, L.ToString(i))
	}
	lv := [...]slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn}[int(level)]
	slog.Log(context.Background(), lv, "script: "+strings.Join(parts, " "), "sha", e.sha)
	return 0
}
