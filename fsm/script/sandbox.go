package script

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// sandbox builds Redis's script environment in e.L: the libraries Redis
// loads, without what would differ between nodes or outlive a script, and
// readonly views of the globals and of every library table.
func (e *Engine) sandbox() {
	L := e.L
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage}, // base's require needs it; removed below
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	e.globals = g
	for _, name := range []string{"dofile", "loadfile", "print", "_printregs", "getfenv", "setfenv",
		"module", "require", "newproxy", "package", "_GOPHER_LUA_VERSION"} {
		g.RawSetString(name, lua.LNil)
	}
	L.G.Registry.RawSetString("_LOADED", L.NewTable())

	zero := func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }
	g.RawSetString("collectgarbage", L.NewFunction(zero))
	g.RawSetString("gcinfo", L.NewFunction(zero))
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(e.tostring(L.CheckAny(1))))
		return 1
	}))
	g.RawSetString("error", L.NewFunction(baseError))
	g.RawSetString("pcall", L.NewFunction(basePCall))
	e.rawset = g.RawGetString("rawset").(*lua.LFunction).GFunction
	g.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && e.readonly[t] {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		return e.rawset(L)
	}))
	rawget := g.RawGetString("rawget").(*lua.LFunction).GFunction
	g.RawSetString("rawget", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && e.readonly[t] {
			L.Push(t.Metatable.(*lua.LTable).RawGetString("__real").(*lua.LTable).RawGet(L.CheckAny(2)))
			return 1
		}
		return rawget(L)
	}))
	setmetatable := g.RawGetString("setmetatable").(*lua.LFunction).GFunction
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && e.readonly[t] {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		return setmetatable(L)
	}))
	getmetatable := g.RawGetString("getmetatable").(*lua.LFunction).GFunction
	g.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
		// The string metatable's __index is the string library
		// itself: handing it out would let a script change it.
		if _, ok := L.Get(1).(*lua.LTable); !ok {
			L.Push(lua.LNil)
			return 1
		}
		return getmetatable(L)
	}))

	strs := g.RawGetString("string").(*lua.LTable)
	format := strs.RawGetString("format").(*lua.LFunction).GFunction
	strs.RawSetString("format", L.NewFunction(func(L *lua.LState) int {
		for i := 2; i <= L.GetTop(); i++ {
			switch v := L.Get(i); v.Type() {
			case lua.LTTable, lua.LTFunction, lua.LTUserData, lua.LTThread:
				L.Replace(i, lua.LString(e.tostring(v)))
			}
		}
		return format(L)
	}))

	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(e.mathRandom))
	math.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
		e.rand.seed(int32(L.CheckInt(1)))
		return 0
	}))

	e.coroutines()
	e.redisLib()
	g.RawSetString("cjson", e.openCJSON())
	g.RawSetString("cmsgpack", e.openCMsgpack())
	g.RawSetString("bit", e.openBit())
	g.RawSetString("struct", e.openStruct())

	g.RawSetString("redis", e.redisView(g.RawGetString("redis").(*lua.LTable)))
	for _, name := range []string{"string", "table", "math", "coroutine", "cjson", "cmsgpack", "bit", "struct"} {
		g.RawSetString(name, e.readonlyView(g.RawGetString(name).(*lua.LTable), false))
	}
	e.env = e.readonlyView(g, true)
	g.RawSetString("_G", e.env)
}

// readonlyView returns an empty table that reads through to real and
// refuses writes, as Redis 7.0's readonly tables. strict views (the
// globals) also refuse to read a name that does not exist.
func (e *Engine) readonlyView(real *lua.LTable, strict bool) *lua.LTable {
	L := e.L
	view, mt := L.NewTable(), L.NewTable()
	mt.RawSetString("__real", real)
	if strict {
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			k := L.Get(2)
			v := real.RawGet(k)
			// A library's body, while FUNCTION LOAD runs it, sees
			// only the redis table, as in Redis 7.0.
			if v == lua.LNil || (e.loading != nil && k.String() != "redis") {
				L.RaiseError("Script attempted to access nonexistent global variable '%s'", e.tostring(k))
			}
			L.Push(v)
			return 1
		}))
	} else {
		mt.RawSetString("__index", real)
	}
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	view.Metatable = mt
	e.readonly[view] = true
	return view
}

// loadTimeRedis is what a library's body may use of the redis table while
// FUNCTION LOAD runs it, as Redis 7.0.
var loadTimeRedis = map[string]bool{
	"register_function": true, "log": true, "setresp": true, "REDIS_VERSION": true, "REDIS_VERSION_NUM": true,
	"LOG_DEBUG": true, "LOG_VERBOSE": true, "LOG_NOTICE": true, "LOG_WARNING": true,
}

// redisView is the readonly redis table, which hides what a library's
// body may not call while it loads (redis.call above all).
func (e *Engine) redisView(real *lua.LTable) *lua.LTable {
	view := e.readonlyView(real, false)
	view.Metatable.(*lua.LTable).RawSetString("__index", e.L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if e.loading != nil && !loadTimeRedis[k.String()] {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", e.tostring(k))
		}
		if e.loading == nil && k.String() == "register_function" {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(real.RawGet(k))
		return 1
	}))
	return view
}

// scrub empties the readonly views after a run: table.insert and friends
// write into a table without its metamethods, and whatever a script left
// in a view would be seen by the next one on this node only.
func (e *Engine) scrub() {
	for view := range e.readonly {
		if k, _ := view.Next(lua.LNil); k == lua.LNil {
			continue
		}
		var keys []lua.LValue
		view.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		for _, k := range keys {
			view.RawSet(k, lua.LNil)
		}
	}
}

// tostring is Lua's tostring, except that a table, function, coroutine or
// userdata is named by the order in which the run first printed it rather
// than by its address, which differs between nodes.
func (e *Engine) tostring(v lua.LValue) string {
	L := e.L
	switch v.Type() {
	case lua.LTTable, lua.LTFunction, lua.LTUserData, lua.LTThread:
		if L.GetMetaField(v, "__tostring") != lua.LNil {
			return L.ToStringMeta(v).String()
		}
		if e.names == nil {
			e.names = map[lua.LValue]int{}
		}
		n, ok := e.names[v]
		if !ok {
			n = len(e.names) + 1
			e.names[v] = n
		}
		return fmt.Sprintf("%s: 0x%08x", v.Type(), n)
	}
	return v.String()
}

// baseError is Lua 5.1's error, which also puts the position before a
// number (gopher-lua only does for strings).
func baseError(L *lua.LState) int {
	obj := L.CheckAny(1)
	if n, ok := obj.(lua.LNumber); ok {
		obj = lua.LString(n.String())
	}
	L.Error(obj, L.OptInt(2, 1))
	return 0
}

// basePCall is pcall as Redis 7.0.15 has it: an error table raised by
// redis.call or error_reply reaches the handler as its err string.
func basePCall(L *lua.LState) int {
	L.CheckAny(1)
	v := L.Get(1)
	if v.Type() != lua.LTFunction && L.GetMetaField(v, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + v.Type().String() + " value"))
		return 2
	}
	if err := L.PCall(L.GetTop()-1, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		obj := lua.LValue(lua.LString(err.Error()))
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
			if s, ok := obj.(lua.LString); ok {
				obj = lua.LString(luaMessage(string(s)))
			}
			if t, ok := obj.(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					obj = s
				}
			}
		}
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// mathRandom is Lua 5.1's math.random over Redis's rand48.
func (e *Engine) mathRandom(L *lua.LState) int {
	r := e.rand.float()
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(float64(int(r*float64(u)) + 1)))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(float64(int(r*float64(u-l+1)) + l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

// coroutines makes every coroutine count against the run's budget: its
// thread gets the Engine's counting context instead of gopher-lua's child
// context, which would never end.
func (e *Engine) coroutines() {
	L := e.L
	co := L.G.Global.RawGetString("coroutine").(*lua.LTable)
	create := co.RawGetString("create").(*lua.LFunction).GFunction
	newCreate := L.NewFunction(func(L *lua.LState) int {
		n := create(L)
		if th, ok := L.Get(-1).(*lua.LState); ok {
			th.SetContext(e.budget)
		}
		return n
	})
	co.RawSetString("create", newCreate)
	wrap, err := L.LoadString(`
local create, resume, error = ...
return function(f)
	local co = create(f)
	local function check(ok, ...)
		if not ok then error((...), 2) end
		return ...
	end
	return function(...) return check(resume(co, ...)) end
end`)
	if err != nil {
		panic(err)
	}
	L.Push(wrap)
	L.Push(newCreate)
	L.Push(co.RawGetString("resume"))
	L.Push(L.G.Global.RawGetString("error"))
	L.Call(3, 1)
	co.RawSetString("wrap", L.Get(-1))
	L.Pop(1)
}
