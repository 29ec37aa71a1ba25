package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// cjson is Redis's lua-cjson 2.1.0 with its defaults: numbers with 14
// significant digits, '/' escaped, sparse arrays up to the ratio 2 (and
// any up to index 10) filled with null, nesting to 1000. Its settings
// functions report those defaults and change nothing: a setting that
// outlived a script would differ between nodes. An object's keys come in
// Lua's next order, which is insertion order here and hash order in Redis.
const (
	cjsonMaxDepth     = 1000
	cjsonSparseRatio  = 2
	cjsonSparseSafe   = 10
	cjsonNumPrecision = 14
)

func (e *Engine) openCJSON() *lua.LTable {
	L := e.L
	t := L.NewTable()
	null := L.NewUserData()
	e.null = null
	t.RawSetString("null", null)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		var b strings.Builder
		if msg := e.jsonEncode(&b, L.Get(1), 0); msg != "" {
			L.RaiseError("%s", msg)
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		d := jsonDecoder{e: e, s: L.CheckString(1)}
		v, msg := d.value(0)
		if msg == "" {
			d.space()
			if d.i < len(d.s) {
				msg = d.errorf("the end", d.tokenName())
			}
		}
		if msg != "" {
			L.RaiseError("%s", msg)
		}
		L.Push(v)
		return 1
	}))
	settings := map[string][]lua.LValue{
		"encode_sparse_array":     {lua.LFalse, lua.LNumber(cjsonSparseRatio), lua.LNumber(cjsonSparseSafe)},
		"encode_max_depth":        {lua.LNumber(cjsonMaxDepth)},
		"decode_max_depth":        {lua.LNumber(cjsonMaxDepth)},
		"encode_number_precision": {lua.LNumber(cjsonNumPrecision)},
		"encode_keep_buffer":      {lua.LTrue},
		"encode_invalid_numbers":  {lua.LFalse},
		"decode_invalid_numbers":  {lua.LTrue},
	}
	for name, vals := range settings {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			for _, v := range vals {
				L.Push(v)
			}
			return len(vals)
		}))
	}
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// jsonEncode appends v's JSON to b, or returns lua-cjson's error text.
func (e *Engine) jsonEncode(b *strings.Builder, v lua.LValue, depth int) string {
	switch v := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || f != f {
			return "Cannot serialise number: must not be NaN or Inf"
		}
		b.WriteString(formatG(f, cjsonNumPrecision))
	case lua.LString:
		jsonString(b, string(v))
	case *lua.LUserData:
		if v == e.null {
			b.WriteString("null")
			return ""
		}
		return "Cannot serialise userdata: type not supported"
	case *lua.LTable:
		depth++
		if depth > cjsonMaxDepth {
			return "Cannot serialise, excessive nesting (" + strconv.Itoa(depth) + ")"
		}
		n, isArray, msg := jsonArrayLength(v)
		if msg != "" {
			return msg
		}
		if isArray && n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if msg := e.jsonEncode(b, v.RawGetInt(i), depth); msg != "" {
					return msg
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first := true
		var err string
		each(v, func(k, val lua.LValue) {
			if err != "" {
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				jsonString(b, string(k))
			case lua.LNumber:
				b.WriteByte('"')
				b.WriteString(formatG(float64(k), cjsonNumPrecision))
				b.WriteByte('"')
			default:
				err = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
				return
			}
			b.WriteByte(':')
			err = e.jsonEncode(b, val, depth)
		})
		if err != "" {
			return err
		}
		b.WriteByte('}')
	default:
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// jsonArrayLength is lua-cjson's lua_array_length: a table whose keys are
// all positive integers is an array of its largest key, unless it is
// excessively sparse.
func jsonArrayLength(t *lua.LTable) (n int, isArray bool, msg string) {
	items := 0
	isArray = true
	each(t, func(k, _ lua.LValue) {
		if !isArray {
			return
		}
		num, ok := k.(lua.LNumber)
		if !ok || float64(num) < 1 || float64(num) != math.Floor(float64(num)) {
			isArray = false
			return
		}
		if int(num) > n {
			n = int(num)
		}
		items++
	})
	if !isArray {
		return 0, false, ""
	}
	if n > cjsonSparseSafe && n > items*cjsonSparseRatio {
		return 0, false, "Cannot serialise table: excessively sparse array"
	}
	return n, true, ""
}

func jsonString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// formatG formats as C's "%.<prec>g".
func formatG(f float64, prec int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// jsonDecoder is lua-cjson's decoder, with its error texts.
type jsonDecoder struct {
	e *Engine
	s string
	i int
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\t' || d.s[d.i] == '\n' || d.s[d.i] == '\r') {
		d.i++
	}
}

func (d *jsonDecoder) errorf(expected, found string) string {
	return "Expected " + expected + " but found " + found + " at character " + strconv.Itoa(d.i+1)
}

func (d *jsonDecoder) tokenName() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch d.s[d.i] {
	case '{':
		return "T_OBJ_BEGIN"
	case '}':
		return "T_OBJ_END"
	case '[':
		return "T_ARR_BEGIN"
	case ']':
		return "T_ARR_END"
	case ',':
		return "T_COMMA"
	case ':':
		return "T_COLON"
	case '"':
		return "T_STRING"
	}
	rest := d.s[d.i:]
	switch c := rest[0]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return "T_NUMBER"
	case strings.HasPrefix(rest, "true"), strings.HasPrefix(rest, "false"):
		return "T_BOOLEAN"
	case strings.HasPrefix(rest, "null"):
		return "T_NULL"
	}
	return "invalid token"
}

func (d *jsonDecoder) value(depth int) (lua.LValue, string) {
	L := d.e.L
	d.space()
	if d.i >= len(d.s) {
		return nil, d.errorf("value", "T_END")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		depth++
		if depth > cjsonMaxDepth {
			return nil, "Found too many nested data structures (" + strconv.Itoa(depth) + ") at character " + strconv.Itoa(d.i+1)
		}
		d.i++
		t := L.NewTable()
		d.space()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return t, ""
		}
		for {
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return nil, d.errorf("object key string", d.tokenName())
			}
			k, msg := d.str()
			if msg != "" {
				return nil, msg
			}
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, d.errorf("colon", d.tokenName())
			}
			d.i++
			v, msg := d.value(depth)
			if msg != "" {
				return nil, msg
			}
			t.RawSet(k, v)
			d.space()
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				return t, ""
			}
			if d.i >= len(d.s) || d.s[d.i] != ',' {
				return nil, d.errorf("comma or object end", d.tokenName())
			}
			d.i++
		}
	case c == '[':
		depth++
		if depth > cjsonMaxDepth {
			return nil, "Found too many nested data structures (" + strconv.Itoa(depth) + ") at character " + strconv.Itoa(d.i+1)
		}
		d.i++
		t := L.NewTable()
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return t, ""
		}
		for n := 1; ; n++ {
			v, msg := d.value(depth)
			if msg != "" {
				return nil, msg
			}
			t.RawSetInt(n, v)
			d.space()
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				return t, ""
			}
			if d.i >= len(d.s) || d.s[d.i] != ',' {
				return nil, d.errorf("comma or array end", d.tokenName())
			}
			d.i++
		}
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		j := d.i
		for j < len(d.s) && strings.IndexByte("+-0123456789.eE", d.s[j]) >= 0 {
			j++
		}
		f, err := strconv.ParseFloat(d.s[d.i:j], 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, d.errorf("value", "invalid number")
		}
		d.i = j
		return lua.LNumber(f), ""
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue, ""
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse, ""
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return d.e.null, ""
	}
	return nil, d.errorf("value", d.tokenName())
}

// str reads a JSON string at d.i (its opening quote).
func (d *jsonDecoder) str() (lua.LValue, string) {
	start := d.i
	d.i++
	var b strings.Builder
	for {
		if d.i >= len(d.s) {
			d.i = start
			return nil, d.errorf("value", "invalid token")
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return lua.LString(b.String()), ""
		case c == '\\':
			if d.i+1 >= len(d.s) {
				d.i = start
				return nil, d.errorf("value", "invalid escape code")
			}
			esc := d.s[d.i+1]
			d.i += 2
			switch esc {
			case '"', '\\', '/':
				b.WriteByte(esc)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if ok && r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(d.s[d.i:], `\u`) {
					d.i += 2
					lo, ok2 := d.hex4()
					if ok2 && lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					} else {
						ok = false
					}
				}
				if !ok {
					d.i = start
					return nil, d.errorf("value", "invalid unicode escape code")
				}
				b.WriteRune(r)
			default:
				d.i = start
				return nil, d.errorf("value", "invalid escape code")
			}
		default:
			b.WriteByte(c)
			d.i++
		}
	}
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
