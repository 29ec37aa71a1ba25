package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// Redis's crc64 test vector (crc64.c).
func TestRedisCRC64(t *testing.T) {
	if got := redisCRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
}

// redisDump is redis-server 7.0.15's FUNCTION DUMP of one library (its
// code LZF-compressed, as Redis writes code longer than 20 bytes).
const redisDump = "f5c34056405b1f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e6374696f6e28276d79" +
	"400b02272c2040066012116b6579732c2061726773292072657475726e600c075b315d20656e64290a008d5936adc6e707da"

const redisDumpCode = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"

func TestFunctionRestoreRedisDump(t *testing.T) {
	payload, _ := hex.DecodeString(redisDump)
	n := newNode()
	if r := n.doArgs(t, 1000, []string{"FUNCTION", "RESTORE", string(payload)}); r.String() != "OK" {
		t.Fatalf("RESTORE: %s", r)
	}
	if lib := n.store.libraries["mylib"]; lib == nil || string(lib.code) != redisDumpCode {
		t.Fatalf("restored %+v", n.store.libraries)
	}
	if r := n.do(t, 1000, "FCALL myfunc 0 hello"); r.String() != `"hello"` {
		t.Fatalf("FCALL: %s", r)
	}
	// Its own dump restores into a fresh node with the same code.
	dump := n.do(t, 1000, "FUNCTION DUMP")
	m := newNode()
	if r := m.doArgs(t, 1000, []string{"FUNCTION", "RESTORE", string(dump.Bytes)}); r.String() != "OK" {
		t.Fatalf("RESTORE of own dump: %s", r)
	}
	if lib := m.store.libraries["mylib"]; lib == nil || string(lib.code) != redisDumpCode {
		t.Fatalf("restored %+v", m.store.libraries)
	}
}

// dumpOf builds a payload of the given records, with a good footer.
func dumpOf(records ...[]byte) []byte {
	b := bytes.Join(records, nil)
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	return binary.LittleEndian.AppendUint64(b, redisCRC64(b))
}

func libRecord(code string) []byte {
	return append(appendRDBLen([]byte{rdbOpcodeFunction2}, uint64(len(code))), code...)
}

func TestFunctionRestorePolicies(t *testing.T) {
	lib := func(name, fn string) string {
		return "#!lua name=" + name + "\nredis.register_function('" + fn + "', function() return '" + name + "' end)"
	}
	a, b, a2 := lib("a", "fa"), lib("b", "fb"), lib("a", "fa2")
	clash := lib("c", "fb")
	badVersion := dumpOf(libRecord(a))
	badVersion[len(badVersion)-10] = rdbVersion + 1
	binary.LittleEndian.PutUint64(badVersion[len(badVersion)-8:], redisCRC64(badVersion[:len(badVersion)-8]))
	corrupt := dumpOf(libRecord(a))
	corrupt[3] ^= 1
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"FUNCTION", "LOAD", a}, `"a"`},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(b)))}, "OK"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(a2)))}, "(error) ERR Library a already exists"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(a2))), "append"}, "(error) ERR Library a already exists"},
		{[]string{"FCALL", "fa", "0"}, `"a"`},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(a2))), "REPLACE"}, "OK"},
		{[]string{"FCALL", "fa", "0"}, "(error) ERR Function not found"},
		{[]string{"FCALL", "fa2", "0"}, `"a"`},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(clash))), "REPLACE"}, "(error) ERR Function fb already exists"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(a), libRecord(a)))}, "(error) ERR Library 'a' already exists"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(b), libRecord(clash))), "FLUSH"}, "(error) ERR Function fb already exists"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf([]byte{rdbOpcodeFunctionPreGA, 0}))}, "(error) ERR Failed loading engine name"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf([]byte{0, 0}))}, "(error) ERR given type is not a function"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf([]byte{rdbOpcodeFunction2, 0xc3, 5, 9, 1}))}, "(error) ERR Failed loading library payload"},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord("return 1")))}, "(error) ERR Missing library metadata"},
		{[]string{"FUNCTION", "RESTORE", string(badVersion)}, "(error) ERR DUMP payload version or checksum are wrong"},
		{[]string{"FUNCTION", "RESTORE", string(corrupt)}, "(error) ERR DUMP payload version or checksum are wrong"},
		{[]string{"FUNCTION", "RESTORE", "short"}, "(error) ERR DUMP payload version or checksum are wrong"},
		{[]string{"FUNCTION", "RESTORE", "x", "MERGE"}, "(error) ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."},
		{[]string{"FUNCTION", "RESTORE", "x", "FLUSH", "more"}, "(error) ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."},
		{[]string{"FCALL", "fb", "0"}, `"b"`},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf(libRecord(clash))), "FLUSH"}, "OK"},
		{[]string{"FCALL", "fa2", "0"}, "(error) ERR Function not found"},
		{[]string{"FCALL", "fb", "0"}, `"c"`},
		{[]string{"FUNCTION", "RESTORE", string(dumpOf()), "FLUSH"}, "OK"},
		{[]string{"FCALL", "fb", "0"}, "(error) ERR Function not found"},
	}
	n := newNode()
	for _, st := range steps {
		if got := n.doArgs(t, 1000, st.args).String(); got != st.want {
			t.Errorf("%.60q: got %s, want %s", st.args, got, st.want)
		}
	}
}

func TestLZFDecompress(t *testing.T) {
	// "abcabcabc": a literal of 3, then a back reference of 6 at offset 3.
	in := []byte{2, 'a', 'b', 'c', 4 << 5, 2}
	if out, ok := lzfDecompress(in, 9); !ok || string(out) != "abcabcabc" {
		t.Fatalf("got %q %v", out, ok)
	}
	for _, bad := range []struct {
		in []byte
		n  int
	}{
		{in, 8},                        // longer than said
		{in, 10},                       // shorter than said
		{[]byte{2, 'a'}, 3},            // literal past the end
		{[]byte{0, 'a', 1 << 5, 5}, 3}, // reference before the start
		{[]byte{0, 'a', 7 << 5}, 12},   // cut in a reference
	} {
		if out, ok := lzfDecompress(bad.in, bad.n); ok {
			t.Errorf("lzfDecompress(%v, %d) = %q, want a failure", bad.in, bad.n, out)
		}
	}
}
