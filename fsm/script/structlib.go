package script

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// struct is Roberto Ierusalimschy's struct library as Redis loads it:
// pack, unpack and size over formats of '<' '>' '=' (byte order), 'x'
// (padding), 'b' 'B' 'h' 'H' 'l' 'L' 'T' 'i'n 'I'n (integers), 'f' 'd'
// (floats), 'c'n and 's' (strings), on a 64-bit little-endian machine.
// '!' (alignment) is accepted and aligns nothing beyond 1.
func (e *Engine) openStruct() *lua.LTable {
	L := e.L
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(func(L *lua.LState) int {
		f := L.CheckString(1)
		n := 0
		for i := 0; i < len(f); i++ {
			size, _ := structItem(L, f, &i)
			if f[i] == 's' || (f[i] == 'c' && size == 0) {
				L.ArgError(1, "options 'c0' - 's' have undefined sizes")
			}
			n += size
		}
		L.Push(lua.LNumber(n))
		return 1
	}))
	return t
}

// structItem reads the option at f[*i] (and its count) and returns its
// size in bytes; order options return 0.
func structItem(L *lua.LState, f string, i *int) (size int, bigEndian bool) {
	num := func(def int) int {
		j := *i + 1
		n := 0
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			n = n*10 + int(f[j]-'0')
			j++
		}
		if j == *i+1 {
			return def
		}
		*i = j - 1
		return n
	}
	switch f[*i] {
	case 'b', 'B', 'x':
		return 1, false
	case 'h', 'H':
		return 2, false
	case 'l', 'L', 'T':
		return 8, false
	case 'i', 'I':
		n := num(4)
		if n < 1 || n > 8 {
			L.RaiseError("integral size %d is larger than limit of 8", n)
		}
		return n, false
	case 'f':
		return 4, false
	case 'd':
		return 8, false
	case 'c':
		return num(1), false
	case 's', '<', '>', '=', ' ':
		return 0, false
	case '!':
		num(8)
		return 0, false
	}
	L.RaiseError("invalid format option '%c'", f[*i])
	return 0, false
}

func putInt(b []byte, v uint64, big bool) {
	for k := range b {
		if big {
			b[len(b)-1-k] = byte(v >> (8 * k))
		} else {
			b[k] = byte(v >> (8 * k))
		}
	}
}

func structPack(L *lua.LState) int {
	f := L.CheckString(1)
	arg := 2
	big := false
	var out []byte
	for i := 0; i < len(f); i++ {
		c := f[i]
		size, _ := structItem(L, f, &i)
		switch c {
		case '<', '=':
			big = false
		case '>':
			big = true
		case 'x':
			out = append(out, 0)
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			v := float64(L.CheckNumber(arg))
			arg++
			b := make([]byte, size)
			putInt(b, uint64(int64(v)), big)
			out = append(out, b...)
		case 'f':
			v := float32(L.CheckNumber(arg))
			arg++
			b := make([]byte, 4)
			putInt(b, uint64(math.Float32bits(v)), big)
			out = append(out, b...)
		case 'd':
			v := float64(L.CheckNumber(arg))
			arg++
			b := make([]byte, 8)
			putInt(b, math.Float64bits(v), big)
			out = append(out, b...)
		case 'c', 's':
			s := L.CheckString(arg)
			arg++
			n := size
			if c == 's' || n == 0 {
				n = len(s)
			}
			if len(s) < n {
				L.ArgError(arg-1, "string too short")
			}
			out = append(out, s[:n]...)
			if c == 's' {
				out = append(out, 0)
			}
		}
	}
	L.Push(lua.LString(out))
	return 1
}

func structUnpack(L *lua.LState) int {
	f := L.CheckString(1)
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1
	if pos < 0 || pos > len(data) {
		L.ArgError(3, "offset must be 1 or greater")
	}
	big := false
	n := 0
	need := func(size int) {
		if pos+size > len(data) {
			L.ArgError(2, "data string too short")
		}
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		size, _ := structItem(L, f, &i)
		switch c {
		case '<', '=':
			big = false
		case '>':
			big = true
		case 'x':
			need(1)
			pos++
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			need(size)
			var v uint64
			for k := 0; k < size; k++ {
				b := uint64(data[pos+k])
				if big {
					v = v<<8 | b
				} else {
					v |= b << (8 * k)
				}
			}
			pos += size
			signed := c == 'b' || c == 'h' || c == 'l' || c == 'i'
			if signed && size < 8 && v&(1<<(8*size-1)) != 0 {
				v |= ^uint64(0) << (8 * size)
			}
			if signed {
				L.Push(lua.LNumber(float64(int64(v))))
			} else {
				L.Push(lua.LNumber(float64(v)))
			}
			n++
		case 'f', 'd':
			need(size)
			b := []byte(data[pos : pos+size])
			pos += size
			if c == 'f' {
				bo := binary.ByteOrder(binary.LittleEndian)
				if big {
					bo = binary.BigEndian
				}
				L.Push(lua.LNumber(math.Float32frombits(bo.Uint32(b))))
			} else if big {
				L.Push(lua.LNumber(math.Float64frombits(binary.BigEndian.Uint64(b))))
			} else {
				L.Push(lua.LNumber(math.Float64frombits(binary.LittleEndian.Uint64(b))))
			}
			n++
		case 'c':
			if size == 0 {
				// The length is the previous value unpacked.
				if n == 0 {
					L.ArgError(1, "format 'c0' needs a previous size")
				}
				size = int(L.CheckNumber(L.GetTop()))
				L.Pop(1)
				n--
			}
			need(size)
			L.Push(lua.LString(data[pos : pos+size]))
			pos += size
			n++
		case 's':
			end := strings.IndexByte(data[pos:], 0)
			if end < 0 {
				L.ArgError(2, "unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+end]))
			pos += end + 1
			n++
		}
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}
