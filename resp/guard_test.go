package resp

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/fsm"
)

func TestString2ll(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", math.MaxInt64, true}, {"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false}, {"", 0, false}, {"-", 0, false}, {"+1", 0, false},
		{"01", 0, false}, {"-0", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1x", 0, false},
	}
	for _, tc := range tests {
		got, ok := string2ll([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("string2ll(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string // nil with ok=false: unbalanced
		ok   bool
	}{
		{"", nil, true},
		{"   ", nil, true},
		{"a b  c", []string{"a", "b", "c"}, true},
		{"\ta\vb\f", []string{"a\vb\f"}, true}, // only isspace() skips \v and \f
		{`"a b" c`, []string{"a b", "c"}, true},
		{`"" ''`, []string{"", ""}, true},
		{`"\x41\x4a\x4A\n\r\t\b\a\"\\\q"`, []string{"AJJ\n\r\t\b\a\"\\q"}, true},
		{`"\x4"`, []string{"x4"}, true},
		{`'a\'b\n'`, []string{`a'b\n`}, true},
		{`a"b c"d`, nil, false},
		{`a"b c"`, []string{"ab c"}, true},
		{`"a`, nil, false},
		{`'a`, nil, false},
		{`"a"b`, nil, false},
		{"a\x00b c", []string{"a"}, true},
		{"\"a\x00b\"", nil, false},
	}
	for _, tc := range tests {
		got, ok := splitArgs(nil, []byte(tc.in))
		if ok != tc.ok {
			t.Errorf("splitArgs(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		var s []string
		for _, a := range got {
			s = append(s, string(a))
		}
		if !reflect.DeepEqual(s, tc.want) {
			t.Errorf("splitArgs(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	long := strings.Repeat("y", 300)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"FOO"}, "ERR unknown command 'FOO', with args beginning with: "},
		{[]string{"FOO", "a", "b"}, "ERR unknown command 'FOO', with args beginning with: 'a' 'b' "},
		{[]string{long}, "ERR unknown command '" + long[:128] + "', with args beginning with: "},
		{[]string{"F", long, "z"}, "ERR unknown command 'F', with args beginning with: '" + long[:128] + "' "},
		{[]string{"F", strings.Repeat("a", 120), "bcdefghijkl"}, "ERR unknown command 'F', with args beginning with: '" +
			strings.Repeat("a", 120) + "' 'bcdef' "},
		{[]string{"F\x00G", "a\x00b"}, "ERR unknown command 'F', with args beginning with: 'a' "},
	}
	for _, tc := range tests {
		var args [][]byte
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		if got := unknownCommand(args); got != tc.want {
			t.Errorf("unknownCommand(%q)\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

// TestAppendReply covers the RESP3 kinds Redis converts for RESP2 clients.
func TestAppendReply(t *testing.T) {
	tests := []struct {
		r    fsm.Reply
		want string
	}{
		{fsm.Nil, "$-1\r\n"},
		{fsm.Reply{Kind: fsm.KindNilArray}, "*-1\r\n"},
		{fsm.OK, "+OK\r\n"},
		{fsm.Error("ERR bad\r\nthing"), "-ERR bad  thing\r\n"},
		{fsm.Int(-42), ":-42\r\n"},
		{fsm.Bulk([]byte("a\r\n\x00")), "$4\r\na\r\n\x00\r\n"},
		{fsm.Bulk(nil), "$0\r\n\r\n"},
		{fsm.Array(), "*0\r\n"},
		{fsm.Array(fsm.Int(1), fsm.Nil, fsm.Array(fsm.Bulk([]byte("x")))), "*3\r\n:1\r\n$-1\r\n*1\r\n$1\r\nx\r\n"},
		{fsm.Reply{Kind: fsm.KindMap, Elems: []fsm.Reply{fsm.Bulk([]byte("k")), fsm.Int(1)}}, "*2\r\n$1\r\nk\r\n:1\r\n"},
		{fsm.Reply{Kind: fsm.KindSet, Elems: []fsm.Reply{fsm.Bulk([]byte("m"))}}, "*1\r\n$1\r\nm\r\n"},
		{fsm.Reply{Kind: fsm.KindDouble, Bytes: []byte("1.5")}, "$3\r\n1.5\r\n"},
		{fsm.Reply{Kind: fsm.KindBool, Int: 1}, ":1\r\n"},
		{fsm.Reply{Kind: fsm.KindBool}, ":0\r\n"},
	}
	for _, tc := range tests {
		if got := string(appendReply(nil, tc.r)); got != tc.want {
			t.Errorf("appendReply(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestCommandTable(t *testing.T) {
	tab := newCommandTable()
	if len(tab.names) < 17 || len(tab.info) != len(tab.names) || len(tab.docs) != len(tab.names) {
		t.Fatalf("table: %d names, %d info, %d docs", len(tab.names), len(tab.info), len(tab.docs))
	}
	for _, name := range tab.names {
		if name != strings.ToLower(name) {
			t.Errorf("name %q not lower-case", name)
		}
	}
	if end := skipValue(commandInfoRaw, 0); end != len(commandInfoRaw) {
		t.Errorf("commandinfo.resp: value ends at %d of %d", end, len(commandInfoRaw))
	}
	if end := skipValue(tab.allDocs, 0); end != len(tab.allDocs) {
		t.Errorf("all docs: value ends at %d of %d", end, len(tab.allDocs))
	}
}

// BenchmarkHandleGet measures the per-command cost of the read path,
// including allocations.
func BenchmarkAppendReply(b *testing.B) {
	r := fsm.Array(fsm.Bulk([]byte("value")), fsm.Nil, fsm.Int(3))
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendReply(buf[:0], r)
	}
}
