package resp

import (
	"reflect"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/fsm"
)

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

// TestAppendReply covers every reply kind in RESP2, where RESP3 kinds are
// converted as Redis does, and in RESP3.
func TestAppendReply(t *testing.T) {
	tests := []struct {
		r            fsm.Reply
		resp2, resp3 string
	}{
		{fsm.Nil, "$-1\r\n", "_\r\n"},
		{fsm.Reply{Kind: fsm.KindNilArray}, "*-1\r\n", "_\r\n"},
		{fsm.OK, "+OK\r\n", "+OK\r\n"},
		{fsm.Error("ERR bad\r\nthing"), "-ERR bad  thing\r\n", "-ERR bad  thing\r\n"},
		{fsm.Int(-42), ":-42\r\n", ":-42\r\n"},
		{fsm.Bulk([]byte("a\r\n\x00")), "$4\r\na\r\n\x00\r\n", "$4\r\na\r\n\x00\r\n"},
		{fsm.Bulk(nil), "$0\r\n\r\n", "$0\r\n\r\n"},
		{fsm.Array(), "*0\r\n", "*0\r\n"},
		{fsm.Array(fsm.Int(1), fsm.Nil, fsm.Array(fsm.Bulk([]byte("x")))),
			"*3\r\n:1\r\n$-1\r\n*1\r\n$1\r\nx\r\n", "*3\r\n:1\r\n_\r\n*1\r\n$1\r\nx\r\n"},
		{fsm.Reply{Kind: fsm.KindMap, Elems: []fsm.Reply{fsm.Bulk([]byte("k")), fsm.Int(1)}},
			"*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{fsm.Reply{Kind: fsm.KindMap}, "*0\r\n", "%0\r\n"},
		{fsm.Reply{Kind: fsm.KindSet, Elems: []fsm.Reply{fsm.Bulk([]byte("m"))}}, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
		{fsm.Reply{Kind: fsm.KindDouble, Bytes: []byte("1.5")}, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{fsm.Reply{Kind: fsm.KindBool, Int: 1}, ":1\r\n", "#t\r\n"},
		{fsm.Reply{Kind: fsm.KindBool}, ":0\r\n", "#f\r\n"},
	}
	for _, tc := range tests {
		if got := string(appendReply(nil, tc.r, false)); got != tc.resp2 {
			t.Errorf("RESP2 appendReply(%v) = %q, want %q", tc.r, got, tc.resp2)
		}
		if got := string(appendReply(nil, tc.r, true)); got != tc.resp3 {
			t.Errorf("RESP3 appendReply(%v) = %q, want %q", tc.r, got, tc.resp3)
		}
	}
}

// TestCommandTable checks the captured tables parse, that the RESP2 and
// RESP3 captures describe the same commands, and that every command the
// table routes to the state machine is one fsm knows.
func TestCommandTable(t *testing.T) {
	tab := newCommandTable(ownCommands())
	if len(tab.names) < 60 || len(tab.p2.info) != len(tab.names) || len(tab.p2.docs) != len(tab.names) ||
		len(tab.p3.info) != len(tab.names) || len(tab.p3.docs) != len(tab.names) {
		t.Fatalf("table: %d names, %d/%d info, %d/%d docs", len(tab.names),
			len(tab.p2.info), len(tab.p3.info), len(tab.p2.docs), len(tab.p3.docs))
	}
	for _, raw := range []string{commandInfoRaw, commandDocsRaw, commandInfo3Raw, commandDocs3Raw,
		tab.p2.allDocs, tab.p3.allDocs} {
		if end := skipValue(raw, 0); end != len(raw) {
			t.Errorf("value ends at %d of %d", end, len(raw))
		}
	}
	for _, name := range tab.names {
		if name != strings.ToLower(name) {
			t.Errorf("name %q not lower-case", name)
		}
		sp := tab.specs[name]
		if sp.data {
			if _, ok, _ := fsm.Parse([][]byte{[]byte(name)}, 0); !ok {
				t.Errorf("%s: routed to fsm, which does not know it", name)
			}
		}
	}
	// Every handler of resp's own is reachable through the table.
	for name := range ownCommands() {
		top, sub, _ := strings.Cut(name, "|")
		sp := tab.specs[top]
		if sp != nil && sub != "" {
			sp = sp.subs[sub]
		}
		if sp == nil || sp.data || sp.name != name {
			t.Errorf("handler %q: not in the command table (gencmd's list)", name)
		}
	}
	// Spot checks of what the dispatcher takes from the table.
	for _, tc := range []struct {
		name   string
		arity  int
		noAuth bool
	}{{"get", 2, false}, {"set", -3, false}, {"auth", -2, true}, {"hello", -1, true}, {"quit", -1, true}, {"reset", 1, true}} {
		sp := tab.specs[tc.name]
		if sp == nil || sp.arity != tc.arity || sp.noAuth != tc.noAuth {
			t.Errorf("%s: spec %+v, want arity %d noAuth %v", tc.name, sp, tc.arity, tc.noAuth)
		}
	}
	if sp := tab.specs["client"].subs["setname"]; sp == nil || sp.arity != 3 || sp.name != "client|setname" {
		t.Errorf("client|setname: %+v", sp)
	}
}

// BenchmarkHandleGet measures the per-command cost of the read path,
// including allocations.
func BenchmarkAppendReply(b *testing.B) {
	r := fsm.Array(fsm.Bulk([]byte("value")), fsm.Nil, fsm.Int(3))
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendReply(buf[:0], r, false)
	}
}
