package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Kind says what a Reply is. The values are fsm's reply kinds, in its
// order, so that fsm converts with a cast.
type Kind uint8

// Reply kinds (see fsm.Kind).
const (
	KindNil Kind = iota
	KindStatus
	KindError
	KindInt
	KindBulk
	KindArray
	KindMap
	KindSet
	KindDouble
	KindBool
	KindNilArray
)

// Reply is a command's reply (from the Host) or a script's result, shaped
// as fsm's.
type Reply struct {
	Kind  Kind
	Int   int64
	Bytes []byte
	Elems []Reply
}

// Error returns an error reply with text (without the leading '-').
func Error(text string) Reply { return Reply{Kind: KindError, Bytes: []byte(text)} }

// toLua pushes nothing: it returns r as a Lua value, as Redis 7.0's
// redisProtocolToLuaType does for the protocol the script chose with
// redis.setresp (2 by default).
func (e *Engine) toLua(r Reply) lua.LValue {
	L := e.L
	switch r.Kind {
	case KindInt:
		return lua.LNumber(r.Int)
	case KindBulk:
		return lua.LString(r.Bytes)
	case KindStatus:
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(r.Bytes))
		return t
	case KindError:
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(r.Bytes))
		return t
	case KindNil, KindNilArray:
		if e.resp3 {
			return lua.LNil
		}
		return lua.LFalse
	case KindBool:
		if e.resp3 {
			return lua.LBool(r.Int != 0)
		}
		return lua.LNumber(r.Int)
	case KindDouble:
		if e.resp3 {
			f, _ := strconv.ParseFloat(string(r.Bytes), 64)
			t := L.CreateTable(0, 1)
			t.RawSetString("double", lua.LNumber(f))
			return t
		}
		return lua.LString(r.Bytes)
	case KindMap:
		if e.resp3 {
			m := L.CreateTable(0, len(r.Elems)/2)
			for i := 0; i+1 < len(r.Elems); i += 2 {
				m.RawSet(e.toLua(r.Elems[i]), e.toLua(r.Elems[i+1]))
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("map", m)
			return t
		}
	case KindSet:
		if e.resp3 {
			m := L.CreateTable(0, len(r.Elems))
			for _, el := range r.Elems {
				m.RawSet(e.toLua(el), lua.LTrue)
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", m)
			return t
		}
	}
	// Arrays, and RESP2's flat maps and sets.
	t := L.CreateTable(len(r.Elems), 0)
	for _, el := range r.Elems {
		t.Append(e.toLua(el))
	}
	return t
}

// fromLua converts a script's result as Redis 7.0's luaReplyToRedisReply:
// numbers truncate to integers, strings are bulk, true is 1 and false nil
// (RESP3 booleans after redis.setresp(3)), a table with an err or ok
// string is an error or status, {map=}, {set=} and {double=} are RESP3
// types, and any other table an array up to its first nil.
func (e *Engine) fromLua(v lua.LValue, depth int) Reply {
	switch v := v.(type) {
	case lua.LNumber:
		return Reply{Kind: KindInt, Int: truncate(float64(v))}
	case lua.LString:
		return Reply{Kind: KindBulk, Bytes: []byte(v)}
	case lua.LBool:
		switch {
		case e.resp3:
			return Reply{Kind: KindBool, Int: boolInt(bool(v))}
		case bool(v):
			return Reply{Kind: KindInt, Int: 1}
		}
		return Reply{Kind: KindNil}
	case *lua.LTable:
		if depth > maxReplyDepth {
			return Error("ERR reached lua stack limit")
		}
		if s, ok := v.RawGetString("err").(lua.LString); ok {
			return Error(oneLine(string(s)))
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			return Reply{Kind: KindStatus, Bytes: []byte(oneLine(string(s)))}
		}
		if d, ok := v.RawGetString("double").(lua.LNumber); ok {
			return Reply{Kind: KindDouble, Bytes: []byte(formatDouble(float64(d)))}
		}
		if s, ok := v.RawGetString("big_number").(lua.LString); ok {
			// fsm has no big-number kind: RESP2's form, a bulk string.
			return Reply{Kind: KindBulk, Bytes: []byte(s)}
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			r := Reply{Kind: KindMap}
			each(m, func(k, val lua.LValue) {
				r.Elems = append(r.Elems, e.fromLua(k, depth+1), e.fromLua(val, depth+1))
			})
			return r
		}
		if m, ok := v.RawGetString("set").(*lua.LTable); ok {
			r := Reply{Kind: KindSet}
			each(m, func(k, _ lua.LValue) { r.Elems = append(r.Elems, e.fromLua(k, depth+1)) })
			return r
		}
		r := Reply{Kind: KindArray, Elems: []Reply{}}
		for i := 1; ; i++ {
			el := v.RawGetInt(i)
			if el == lua.LNil {
				break
			}
			r.Elems = append(r.Elems, e.fromLua(el, depth+1))
		}
		return r
	}
	return Reply{Kind: KindNil}
}

// maxReplyDepth bounds the nesting of a script's result, which Redis
// bounds by its C stack (LUA_MINSTACK checks).
const maxReplyDepth = 1000

// truncate converts as C's (long long) cast does on x86-64: out of range
// and NaN give the "integer indefinite" value, math.MinInt64.
func truncate(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// oneLine replaces line breaks, which an error or status line cannot hold,
// with spaces, as Redis does.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// formatDouble formats as Redis's "%.17g", with its inf and nan.
func formatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// each calls fn for every pair of t in Lua's next order, which gopher-lua
// keeps as the order of insertion and so is the same on every node.
// LTable.ForEach ranges over Go maps: never use it where order shows.
func each(t *lua.LTable, fn func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		fn(k, v)
	}
}
