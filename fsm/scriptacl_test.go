package fsm

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/raftcache/raftcache/fsm/acl"
)

// ruleACL is a ScriptACL for fsm's tests: a user may run the commands its
// rules name with +, on keys its patterns match. (resp's is the real one,
// with categories and key specs.)
type ruleACL struct{ calls atomic.Int64 }

func (r *ruleACL) Check(u *acl.User, argv, keys [][]byte) (ACLReason, []byte) {
	r.calls.Add(1)
	name := r.Name(argv)
	allowed := u.AllCommands
	for _, rule := range u.Rules {
		if rule[1:] == name {
			allowed = rule[0] == '+'
		}
	}
	if !allowed {
		return ACLDeniedCommand, nil
	}
	for _, k := range keys {
		ok := u.AllKeys
		for _, p := range u.Keys {
			ok = ok || GlobMatch([]byte(p.Pattern), k)
		}
		if !ok {
			return ACLDeniedKey, k
		}
	}
	return 0, nil
}

func (r *ruleACL) Name(argv [][]byte) string { return strings.ToLower(string(argv[0])) }

// TestScriptACLJudgedAtApply: a script command carries its user through
// the log, and is judged, with every command it calls, by the users as of
// its entry: a change between proposal and apply counts, a deleted user
// runs nothing, and the default user with every permission is never
// checked.
func TestScriptACLJudgedAtApply(t *testing.T) {
	const now = 1_700_000_000_000
	n := newNode()
	checker := &ruleACL{}
	n.store.SetScriptACL(checker)
	var effects []ACLDenial
	n.store.SetEffectsSink(func(fx *Effects) { effects = append(effects, fx.Denials...) })
	n.do(t, now, "SET keep 1")
	setUser := func(ops ...string) {
		t.Helper()
		b := make([][]byte, len(ops))
		for i, op := range ops {
			b[i] = []byte(op)
		}
		data := NewACLSetUser([]byte("alice"), nil, b, now).AppendBinary(nil)
		n.index++
		if r := n.store.Apply(n.index, data).(Reply); r.IsError() {
			t.Fatalf("SETUSER: %s", r.String())
		}
	}
	// proposed parses and encodes an EVAL as alice, as the front door
	// does: it is applied later, after whatever changed meanwhile.
	proposed := func(script string, keys ...string) []byte {
		argv := [][]byte{[]byte("EVAL"), []byte(script), []byte(uitoa(uint64(len(keys))))}
		for _, k := range keys {
			argv = append(argv, []byte(k))
		}
		c, _, err := Parse(argv, now)
		if err != nil {
			t.Fatal(err)
		}
		return c.RunAs("alice").AppendBinary(nil)
	}
	apply := func(data []byte) string {
		n.index++
		return n.store.Apply(n.index, data).(Reply).String()
	}

	setUser("on", "nopass", "~a*", "-@all", "+eval", "+set", "+get")
	flush, setKeep, setA := proposed("return redis.call('flushall')"), proposed("return redis.call('set', 'keep', 'x')"),
		proposed("return redis.call('set', KEYS[1], 'x')", "a1")
	if got := apply(flush); !strings.HasPrefix(got, "(error) ERR The user executing the script can't run this command or subcommand script: ") {
		t.Fatalf("FLUSHALL: %s", got)
	}
	if got := apply(setKeep); !strings.HasPrefix(got, "(error) ERR The user executing the script can't access at least one of the keys") {
		t.Fatalf("SET keep: %s", got)
	}
	// Allowed at proposal, refused at apply: the entry's state judges.
	pending := proposed("return redis.call('set', 'a2', 'x')")
	setUser("-set")
	if got := apply(pending); !strings.HasPrefix(got, "(error) ERR The user executing the script can't run this command") {
		t.Fatalf("after -set: %s", got)
	}
	// The invocation itself is judged again.
	pending = proposed("return 1")
	setUser("-eval")
	if got := apply(pending); got != "(error) NOPERM this user has no permissions to run the 'eval' command" {
		t.Fatalf("after -eval: %s", got)
	}
	// Refused at proposal, allowed at apply.
	setUser("+eval", "+set", "allkeys")
	if got := apply(setKeep); got != "OK" {
		t.Fatalf("after allkeys: %s", got)
	}
	data := NewACLDelUser([][]byte{[]byte("alice")}, now).AppendBinary(nil)
	n.index++
	n.store.Apply(n.index, data)
	if got := apply(setA); got != "(error) NOPERM this user no longer exists" {
		t.Fatalf("deleted user: %s", got)
	}
	if got := n.do(t, now, "GET a1").String(); got != "(nil)" {
		t.Fatalf("a deleted user's script wrote: %s", got)
	}
	if got := n.do(t, now, "GET keep").String(); got != `"x"` {
		t.Fatalf("keep: %s", got)
	}
	var got []string
	for _, d := range effects {
		got = append(got, d.Context+" "+d.Object+" "+d.User)
	}
	want := "lua flushall alice|lua keep alice|lua set alice|toplevel eval alice"
	if s := strings.Join(got, "|"); s != want {
		t.Fatalf("denials %q, want %q", s, want)
	}

	// The default user, unrestricted, is never checked.
	checker.calls.Store(0)
	if got := n.doArgs(t, now, []string{"EVAL", "return redis.call('flushall')", "0"}).String(); got != "OK" {
		t.Fatalf("default user: %s", got)
	}
	if c := checker.calls.Load(); c != 0 {
		t.Fatalf("the default user's script was checked %d times", c)
	}
}

// TestRunAsEncoding: the user travels in the entry, and only on commands
// that run scripts; the default user's entries are as before.
func TestRunAsEncoding(t *testing.T) {
	c, _, err := Parse([][]byte{[]byte("EVAL"), []byte("return 1"), []byte("0")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	plain := c.AppendBinary(nil)
	if got := c.RunAs("default").AppendBinary(nil); string(got) != string(plain) {
		t.Fatalf("the default user changed the entry: %q, want %q", got, plain)
	}
	d, err := Decode(c.InDB(3).RunAs("bob").AppendBinary(nil))
	if err != nil || d.user != "bob" || d.db != 3 {
		t.Fatalf("decoded %+v, %v", d, err)
	}
	get, _, _ := Parse([][]byte{[]byte("SET"), []byte("k"), []byte("v")}, 1)
	if get.RunAs("bob").user != "" {
		t.Fatal("SET carries a user")
	}
	prefix := Command{op: opEval, user: "bob", args: [][]byte{[]byte("x")}}.AppendBinary(nil)
	prefix = prefix[:len(prefix)-len(Command{op: opEval, args: [][]byte{[]byte("x")}}.AppendBinary(nil))]
	bad := append(prefix, get.AppendBinary(nil)...)
	if _, err := Decode(bad); err == nil {
		t.Fatal("decoded a user on SET")
	}
}

// BenchmarkEvalApplyDefaultUser is the fast path: the default user's
// script, applied, whose commands are never checked.
func BenchmarkEvalApplyDefaultUser(b *testing.B) {
	s := New()
	c, _, err := Parse([][]byte{[]byte("EVAL"), []byte("redis.call('set', 'k', 'v'); return redis.call('get', 'k')"), []byte("0")}, 1)
	if err != nil {
		b.Fatal(err)
	}
	data := c.AppendBinary(nil)
	b.ReportAllocs()
	for i := range b.N {
		s.Apply(uint64(i+1), data)
	}
}

// TestEntryWithoutUser: an EVAL entry as written before the user prefix
// existed (its bytes frozen here, not built by AppendBinary) decodes with
// no user and runs as the default user: checked if that user is
// restricted, as every node judges it alike.
func TestEntryWithoutUser(t *testing.T) {
	body := "return redis.call('set', 'k', 'v')"
	old := []byte{
		0xc0, 0x06, // opInDB (832)
		0x01,       // database 1
		0x80, 0x04, // opEval (512)
		0x00, // flags
		0x02, // time: 1 (zigzag varint)
		0x00, // ints[0]: no keys
		0x01, // argc
		byte(len(body)),
	}
	old = append(old, body...)
	c, err := Decode(old)
	if err != nil || c.op != opEval || c.db != 1 || c.user != "" || c.time != 1 {
		t.Fatalf("decoded %+v, %v", c, err)
	}
	want, _, err := Parse([][]byte{[]byte("EVAL"), []byte(body), []byte("0")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := want.InDB(1).RunAs("default").AppendBinary(nil); !bytes.Equal(got, old) {
		t.Fatalf("the default user's entry is %x, want the old form %x", got, old)
	}

	n := newNode()
	n.store.SetScriptACL(&ruleACL{})
	n.index++
	if r := n.store.Apply(n.index, old).(Reply); r.String() != "OK" {
		t.Fatalf("old entry, unrestricted default user: %s", r.String())
	}
	rules := [][]byte{[]byte("-@all"), []byte("+eval"), []byte("allkeys")}
	n.index++
	if r := n.store.Apply(n.index, NewACLSetUser([]byte("default"), nil, rules, 1).AppendBinary(nil)).(Reply); r.IsError() {
		t.Fatalf("SETUSER default: %s", r.String())
	}
	n.index++
	r := n.store.Apply(n.index, old).(Reply)
	if !strings.HasPrefix(r.String(), "(error) ERR The user executing the script can't run this command or subcommand") {
		t.Fatalf("old entry, restricted default user: %s", r.String())
	}
}
