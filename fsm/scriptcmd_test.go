package fsm

import (
	"bytes"
	"strings"
	"testing"

	luascript "github.com/raftcache/raftcache/fsm/script"
)

// eval runs one command given as arguments (which may hold spaces).
func (n *node) eval(t testing.TB, now int64, args ...string) string {
	t.Helper()
	return n.doArgs(t, now, args).String()
}

func TestEvalReplies(t *testing.T) {
	const now = 1_700_000_000_123
	sha := func(s string) string { return luascript.SHA1Hex([]byte(s)) }
	tests := []struct {
		name string
		args []string
		want string // Reply.String(), or a prefix ending in "..."
	}{
		{"int", []string{"EVAL", "return 1", "0"}, "(integer) 1"},
		{"truncated", []string{"EVAL", "return -3.99", "0"}, "(integer) -3"},
		{"nil", []string{"EVAL", "return nil", "0"}, "(nil)"},
		{"false", []string{"EVAL", "return false", "0"}, "(nil)"},
		{"true", []string{"EVAL", "return true", "0"}, "(integer) 1"},
		{"array to first nil", []string{"EVAL", "return {1, 'a', nil, 4}", "0"}, `[(integer) 1 "a"]`},
		{"status", []string{"EVAL", "return redis.status_reply('FINE')", "0"}, "FINE"},
		{"error reply", []string{"EVAL", "return redis.error_reply('MY failure')", "0"}, "(error) MY failure"},
		{"keys argv", []string{"EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "k", "a"},
			`["k" "a" (integer) 1 (integer) 1]`},
		{"call set get", []string{"EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "k", "v"}, `"v"`},
		{"call status", []string{"EVAL", "return redis.call('set', 'k', 'v')", "0"}, "OK"},
		{"call nil is false", []string{"EVAL", "return type(redis.call('get', 'nokey'))", "0"}, `"boolean"`},
		{"number args", []string{"EVAL", "redis.call('set', 'n', 0.1); return redis.call('get', 'n')", "0"}, `"0.10000000000000001"`},
		{"time from the entry", []string{"EVAL", "return redis.call('time')", "0"}, `["1700000000" "123000"]`},
		{"runtime error", []string{"EVAL", "error('x')", "0"},
			"(error) ERR user_script:1: x script: " + sha("error('x')") + ", on @user_script:1."},
		{"call error", []string{"EVAL", "redis.call('set', 'str', 'v')\nreturn redis.call('hset', 'str', 'f', 'x')", "0"},
			"(error) WRONGTYPE Operation against a key holding the wrong kind of value script: " +
				sha("redis.call('set', 'str', 'v')\nreturn redis.call('hset', 'str', 'f', 'x')") + ", on @user_script:2."},
		{"pcall error", []string{"EVAL", "return redis.pcall('nosuch')", "0"}, "(error) ERR Unknown Redis command called from script"},
		{"arity", []string{"EVAL", "return redis.pcall('get')", "0"}, "(error) ERR Wrong number of args calling Redis command from script"},
		{"not allowed", []string{"EVAL", "return redis.pcall('blpop', 'l', 0)", "0"}, "(error) ERR This Redis command is not allowed from script"},
		{"global write", []string{"EVAL", "x = 1", "0"}, "(error) ERR user_script:1: Attempt to modify a readonly table script: ..."},
		{"global read", []string{"EVAL", "return x", "0"}, "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: ..."},
		{"no os", []string{"EVAL", "return os.time()", "0"}, "(error) ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: ..."},
		{"compile error", []string{"EVAL", "return +", "0"}, "(error) ERR Error compiling script (new function): user_script:1: ..."},
		{"negative keys", []string{"EVAL", "return 1", "-1"}, "(error) ERR Number of keys can't be negative"},
		{"too many keys", []string{"EVAL", "return 1", "2", "a"}, "(error) ERR Number of keys can't be greater than number of args"},
		{"keys not a number", []string{"EVAL", "return 1", "x"}, "(error) ERR value is not an integer or out of range"},
		{"unknown sha", []string{"EVALSHA", strings.Repeat("f", 40), "0"}, "(error) NOSCRIPT No matching script. Please use EVAL."},
		{"read-only refuses writes", []string{"EVAL_RO", "return redis.call('set', 'k', 'v')", "0"},
			"(error) ERR Write commands are not allowed from read-only scripts. script: ..."},
		{"seeded random", []string{"EVAL", "math.randomseed(7); return {math.random(100), math.random(1000)}", "0"},
			"[(integer) 27 (integer) 683]"},
		{"runaway", []string{"EVAL", "while true do end", "0"}, "(error) ERR Script exceeded its budget of Lua instructions ..."},
		{"resp3 map", []string{"EVAL", "redis.setresp(3); redis.call('hset', 'h', 'f', 'v'); return redis.call('hgetall', 'h').map.f", "0"}, `"v"`},
		{"select", []string{"EVAL", "redis.call('select', 3); redis.call('set', 'k3', 'x'); return redis.call('dbsize')", "0"}, "(integer) 1"},
	}
	n := newNode()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.ReplaceAll(n.eval(t, now, tt.args...), "\n", "|")
			if p, ok := strings.CutSuffix(tt.want, "..."); ok {
				if !strings.HasPrefix(got, p) {
					t.Fatalf("got %s, want %s...", got, p)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	// SELECT inside a script does not change the client's database.
	if got := n.eval(t, now, "EXISTS", "k3"); got != "(integer) 0" {
		t.Fatalf("EXISTS k3 in database 0: %s", got)
	}
}

func TestEvalCacheAndScriptCommands(t *testing.T) {
	n := newNode()
	body := "return redis.call('incr', KEYS[1])"
	sha := luascript.SHA1Hex([]byte(body))
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"SCRIPT", "EXISTS", sha}, "[(integer) 0]"},
		{[]string{"SCRIPT", "LOAD", body}, `"` + sha + `"`},
		{[]string{"SCRIPT", "EXISTS", strings.ToUpper(sha), "nope"}, "[(integer) 1 (integer) 0]"},
		{[]string{"EVALSHA", strings.ToUpper(sha), "1", "c"}, "(integer) 1"},
		{[]string{"EVALSHA_RO", sha, "1", "c"}, "(error) ERR Write commands are not allowed from read-only scripts. script: ..."},
		{[]string{"SCRIPT", "FLUSH"}, "OK"},
		{[]string{"EVALSHA", sha, "1", "c"}, "(error) NOSCRIPT No matching script. Please use EVAL."},
		{[]string{"EVAL", body, "1", "c"}, "(integer) 2"}, // EVAL caches what it runs
		{[]string{"EVALSHA", sha, "1", "c"}, "(integer) 3"},
		{[]string{"SCRIPT", "KILL"}, "(error) NOTBUSY No scripts in execution right now."},
		{[]string{"SCRIPT", "LOAD", "return +"}, "(error) ERR Error compiling script (new function): ..."},
		{[]string{"SCRIPT", "LOAD"}, "(error) ERR wrong number of arguments for 'script|load' command"},
		{[]string{"SCRIPT", "FLUSH", "LATER"}, "(error) ERR SCRIPT FLUSH only support SYNC|ASYNC option"},
		{[]string{"SCRIPT", "NOPE"}, "(error) ERR unknown subcommand 'NOPE'. Try SCRIPT HELP."},
	}
	for _, st := range steps {
		got := strings.ReplaceAll(n.eval(t, 1000, st.args...), "\n", "|")
		if p, ok := strings.CutSuffix(st.want, "..."); ok && strings.HasPrefix(got, p) {
			continue
		}
		if got != st.want {
			t.Fatalf("%q: got %s, want %s", st.args, got, st.want)
		}
	}
	ro := "return redis.call('get', KEYS[1])"
	n.eval(t, 1000, "SCRIPT", "LOAD", ro)
	if got := n.eval(t, 1000, "EVALSHA_RO", luascript.SHA1Hex([]byte(ro)), "1", "c"); got != `"3"` {
		t.Fatalf("EVALSHA_RO: %s", got)
	}
}

// A script that fails half way keeps the writes it made, as Redis does.
func TestEvalErrorKeepsEarlierWrites(t *testing.T) {
	n := newNode()
	got := n.eval(t, 1000, "EVAL", "redis.call('set', 'a', '1'); redis.call('incr', 'a'); error('stop'); redis.call('set', 'b', '1')", "0")
	if !strings.HasPrefix(got, "(error) ERR user_script:1: stop") {
		t.Fatalf("EVAL: %s", got)
	}
	if got := n.eval(t, 1000, "MGET", "a", "b"); got != `["2" (nil)]` {
		t.Fatalf("MGET a b: %s", got)
	}
}

// The same log applied on two Stores gives the same replies and the same
// snapshot bytes, with scripts that use random numbers, the time, table
// addresses and a runaway loop; a third Store restored from the first's
// snapshot then answers the next script alike.
func TestEvalDeterminism(t *testing.T) {
	a := newNode()
	a.store.scriptBudget = 200_000
	bodies := []string{
		"local t = {} for i = 1, 20 do t[i] = math.random(1000) end redis.call('hset', 'l', 'f', table.concat(t, ',')) return t",
		"return redis.call('set', 'tm', redis.call('time')[1] .. tostring(math.random()))",
		"redis.call('set', 'addr', tostring({}) .. tostring(print) .. tostring(function() end)) return redis.call('get', 'addr')",
		"local n = 0 while true do n = n + 1 redis.call('set', 'spin', n) end",
		"local h = {} for i = 1, 50 do h['f' .. i] = i end local out = {} for k, v in pairs(h) do out[#out + 1] = k end redis.call('hset', 'order', 'keys', table.concat(out, ',')) return out",
		"local co = coroutine.create(function() while true do redis.call('incr', 'co') end end) return coroutine.resume(co)",
	}
	var replies []string
	for i, body := range bodies {
		replies = append(replies, a.eval(t, int64(1000+i), "EVAL", body, "0"))
	}
	b := newNode()
	b.store.scriptBudget = a.store.scriptBudget
	for i, data := range a.log {
		r := b.store.Apply(uint64(i+1), data).(Reply)
		if r.String() != replies[i] {
			t.Fatalf("entry %d: replies differ:\n%s\n%s", i+1, r.String(), replies[i])
		}
	}
	snapA, snapB := snapshotBytes(t, a.store), snapshotBytes(t, b.store)
	if !bytes.Equal(snapA, snapB) {
		t.Fatal("snapshots differ after the same log")
	}
	if got := a.eval(t, 2000, "GET", "spin"); got == "(nil)" {
		t.Fatal("the runaway script's writes before its bound were lost")
	}
	c := newNode()
	c.store.scriptBudget = a.store.scriptBudget
	if err := c.store.Restore(bytes.NewReader(snapA)); err != nil {
		t.Fatal(err)
	}
	next := "return {redis.call('hlen', 'l'), math.random(1000000)}"
	sha := a.eval(t, 3000, "SCRIPT", "LOAD", next)
	data := a.log[len(a.log)-1]
	c.store.Apply(uint64(len(a.log)), data)
	c.index = uint64(len(a.log))
	b.store.Apply(uint64(len(a.log)), data)
	args := []string{"EVALSHA", strings.Trim(sha, `"`), "0"}
	want := a.eval(t, 3001, args...)
	for name, n := range map[string]*node{"replayed": b, "restored": c} {
		r := n.store.Apply(uint64(len(a.log)), a.log[len(a.log)-1]).(Reply)
		if r.String() != want {
			t.Fatalf("%s store: %s, want %s", name, r.String(), want)
		}
	}
	if !bytes.Equal(snapshotBytes(t, b.store), snapshotBytes(t, c.store)) {
		t.Fatal("a restored store and a replayed one differ")
	}
}

// Scripts share nothing: what one leaves in a library table through
// table.insert (which ignores metamethods) is gone for the next.
func TestEvalScriptsShareNothing(t *testing.T) {
	n := newNode()
	n.eval(t, 1000, "EVAL", "table.insert(string, 'left') table.insert(_G, 'x') return 1", "0")
	if got := n.eval(t, 1000, "EVAL", "return {rawget(string, 1) or 'none', rawget(_G, 1) or 'none'}", "0"); got != `["none" "none"]` {
		t.Fatalf("second script sees %s", got)
	}
}

func TestEvalInMulti(t *testing.T) {
	n := newNode()
	set, _, _ := Parse([][]byte{[]byte("SET"), []byte("k"), []byte("1")}, 1000)
	ev, _, _ := Parse([][]byte{[]byte("EVAL"), []byte("return redis.call('incrby', KEYS[1], ARGV[1])"), []byte("1"), []byte("k"), []byte("5")}, 1000)
	m := NewMulti([]Command{set, ev}, nil)
	r := n.store.Apply(1, m.AppendBinary(nil)).(Reply)
	if got := r.String(); got != "[OK (integer) 6]" {
		t.Fatalf("EXEC: %s", got)
	}
}
