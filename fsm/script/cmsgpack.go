package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpack is Redis's lua-cmsgpack 0.4.0: pack, unpack, unpack_one and
// unpack_limit. A table whose keys are exactly 1..n is an array, any
// other a map (in Lua's next order); a number that is an integer packs as
// the smallest integer type, any other as a float 32 when that is exact,
// else a float 64; nesting deeper than 16 packs nil.
const cmsgpackMaxNesting = 16

func (e *Engine) openCMsgpack() *lua.LTable {
	L := e.L
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		if n == 0 {
			L.ArgError(0, "MessagePack pack needs input.")
		}
		var b []byte
		for i := 1; i <= n; i++ {
			b = e.msgpackEncode(b, L.Get(i), 0)
		}
		L.Push(lua.LString(b))
		return 1
	}))
	unpack := func(L *lua.LState, limit, offset int) int {
		s := L.CheckString(1)
		if offset < 0 || limit < 0 {
			L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, limit)
		}
		if offset > len(s) {
			L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
		}
		d := msgpackDecoder{L: L, s: s, i: offset}
		count := 0
		for d.i < len(d.s) && (limit == 0 || count < limit) {
			v := d.value()
			if d.err != "" {
				L.RaiseError("%s", d.err)
			}
			L.Push(v)
			count++
		}
		if limit == 0 {
			return count
		}
		// unpack_one and unpack_limit return the next offset first.
		next := d.i
		if d.i >= len(d.s) {
			next = -1
		}
		L.Insert(lua.LNumber(next), L.GetTop()-count+1)
		return count + 1
	}
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return unpack(L, 0, 0) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return unpack(L, 1, L.OptInt(2, 0))
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return unpack(L, L.OptInt(2, 0), L.OptInt(3, 0))
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	return t
}

func (e *Engine) msgpackEncode(b []byte, v lua.LValue, depth int) []byte {
	switch v := v.(type) {
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return msgpackInt(b, int64(f))
		}
		if float64(float32(f)) == f {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = append(b, 0xda)
			b = binary.BigEndian.AppendUint16(b, uint16(n))
		default:
			b = append(b, 0xdb)
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return append(b, v...)
	case *lua.LTable:
		if depth >= cmsgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLength(v); ok {
			b = msgpackHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = e.msgpackEncode(b, v.RawGetInt(i), depth+1)
			}
			return b
		}
		n := 0
		each(v, func(lua.LValue, lua.LValue) { n++ })
		b = msgpackHeader(b, n, 0x80, 0xde, 0xdf)
		each(v, func(k, val lua.LValue) {
			b = e.msgpackEncode(b, k, depth+1)
			b = e.msgpackEncode(b, val, depth+1)
		})
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLength is lua-cmsgpack's table_is_an_array: every key a
// positive integer and as many keys as the largest.
func msgpackArrayLength(t *lua.LTable) (int, bool) {
	count, maxKey, ok := 0, 0, true
	each(t, func(k, _ lua.LValue) {
		num, isNum := k.(lua.LNumber)
		if !ok || !isNum || float64(num) < 1 || float64(num) != math.Floor(float64(num)) {
			ok = false
			return
		}
		count++
		maxKey = max(maxKey, int(num))
	})
	return count, ok && count == maxKey
}

func msgpackHeader(b []byte, n int, fix, c16, c32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, c16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, c32), uint32(n))
}

func msgpackInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n < 128:
		return append(b, byte(n))
	case n >= 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(int16(n)))
	case n >= -(1 << 31):
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

type msgpackDecoder struct {
	L   *lua.LState
	s   string
	i   int
	err string
}

func (d *msgpackDecoder) take(n int) string {
	if d.err != "" {
		return ""
	}
	if n < 0 || d.i+n > len(d.s) || d.i+n < d.i {
		d.err = "Missing bytes in input."
		return ""
	}
	out := d.s[d.i : d.i+n]
	d.i += n
	return out
}

func (d *msgpackDecoder) uint(n int) uint64 {
	b := d.take(n)
	var v uint64
	for i := 0; i < len(b); i++ {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (d *msgpackDecoder) value() lua.LValue {
	if d.err != "" {
		return lua.LNil
	}
	c := d.take(1)
	if d.err != "" {
		return lua.LNil
	}
	t := c[0]
	switch {
	case t < 0x80:
		return lua.LNumber(t)
	case t >= 0xe0:
		return lua.LNumber(int8(t))
	case t&0xe0 == 0xa0:
		return lua.LString(d.take(int(t & 0x1f)))
	case t&0xf0 == 0x90:
		return d.array(int(t & 0x0f))
	case t&0xf0 == 0x80:
		return d.dict(int(t & 0x0f))
	}
	switch t {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xcc:
		return lua.LNumber(d.uint(1))
	case 0xcd:
		return lua.LNumber(d.uint(2))
	case 0xce:
		return lua.LNumber(d.uint(4))
	case 0xcf:
		return lua.LNumber(float64(d.uint(8)))
	case 0xd0:
		return lua.LNumber(int8(d.uint(1)))
	case 0xd1:
		return lua.LNumber(int16(d.uint(2)))
	case 0xd2:
		return lua.LNumber(int32(d.uint(4)))
	case 0xd3:
		return lua.LNumber(float64(int64(d.uint(8))))
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.uint(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.uint(8)))
	case 0xd9, 0xc4:
		return lua.LString(d.take(int(d.uint(1))))
	case 0xda, 0xc5:
		return lua.LString(d.take(int(d.uint(2))))
	case 0xdb, 0xc6:
		return lua.LString(d.take(int(d.uint(4))))
	case 0xdc:
		return d.array(int(d.uint(2)))
	case 0xdd:
		return d.array(int(d.uint(4)))
	case 0xde:
		return d.dict(int(d.uint(2)))
	case 0xdf:
		return d.dict(int(d.uint(4)))
	}
	d.err = "Bad data format in input."
	return lua.LNil
}

func (d *msgpackDecoder) array(n int) lua.LValue {
	if d.err != "" || n > len(d.s)-d.i {
		d.err = "Missing bytes in input."
		return lua.LNil
	}
	t := d.L.CreateTable(n, 0)
	for i := 1; i <= n && d.err == ""; i++ {
		t.RawSetInt(i, d.value())
	}
	return t
}

func (d *msgpackDecoder) dict(n int) lua.LValue {
	if d.err != "" || n > (len(d.s)-d.i)/2 {
		d.err = "Missing bytes in input."
		return lua.LNil
	}
	t := d.L.CreateTable(0, n)
	for i := 0; i < n && d.err == ""; i++ {
		k := d.value()
		v := d.value()
		if k != lua.LNil && d.err == "" {
			t.RawSet(k, v)
		}
	}
	return t
}
