package script

import (
	"strconv"
	"strings"
	"testing"
)

// countingHost answers every command with an integer and counts the calls.
type countingHost struct{ calls int }

func (h *countingHost) Call(argv [][]byte) Reply {
	h.calls++
	if string(argv[0]) == "fail" {
		return Error("ERR failed on purpose")
	}
	return Reply{Kind: KindInt, Int: int64(h.calls)}
}

func run(t *testing.T, e *Engine, body string, inv Invocation) Reply {
	t.Helper()
	sha := SHA1Hex([]byte(body))
	if err := e.Load(sha, []byte(body)); err != nil {
		t.Fatalf("load %q: %v", body, err)
	}
	inv.SHA = sha
	if inv.Host == nil {
		inv.Host = &countingHost{}
	}
	return e.Run(inv)
}

func TestRand48IsRedis(t *testing.T) {
	// redis-server 7.0: EVAL "math.randomseed(7); return
	// {math.random(100), math.random(1000)}" 0 replies 27, 683.
	var r rand48
	r.seed(7)
	a := int(r.float()*100) + 1
	b := int(r.float()*1000) + 1
	if a != 27 || b != 683 {
		t.Fatalf("got %d %d, want 27 683", a, b)
	}
}

// A runaway script ends after exactly its budget on every engine: the
// same number of host calls, whatever the machine's speed.
func TestBudgetIsDeterministic(t *testing.T) {
	body := "while true do redis.call('x') end"
	var calls []int
	for i := 0; i < 3; i++ {
		h := &countingHost{}
		r := run(t, New(), body, Invocation{Budget: 100_000, Host: h})
		if r.Kind != KindError || !strings.HasPrefix(string(r.Bytes), "ERR Script exceeded its budget") {
			t.Fatalf("reply %v %q", r.Kind, r.Bytes)
		}
		calls = append(calls, h.calls)
	}
	if calls[0] == 0 || calls[0] != calls[1] || calls[1] != calls[2] {
		t.Fatalf("calls before the bound: %v", calls)
	}
}

// pcall cannot swallow the bound: every later instruction fails again.
func TestBudgetSurvivesPcall(t *testing.T) {
	body := "while true do pcall(function() while true do end end) end"
	r := run(t, New(), body, Invocation{Budget: 50_000})
	if r.Kind != KindError || !strings.HasPrefix(string(r.Bytes), "ERR Script exceeded its budget") {
		t.Fatalf("reply %v %q", r.Kind, r.Bytes)
	}
}

// The same seed gives the same numbers; another seed others.
func TestRandomFromSeed(t *testing.T) {
	body := "local t = {} for i = 1, 5 do t[i] = math.random(1000000) end return t"
	show := func(r Reply) string {
		var b strings.Builder
		for _, el := range r.Elems {
			b.WriteString(strconv.FormatInt(el.Int, 10) + " ")
		}
		return b.String()
	}
	e := New()
	a := show(run(t, e, body, Invocation{Seed: 42}))
	b := show(run(t, New(), body, Invocation{Seed: 42}))
	c := show(run(t, e, body, Invocation{Seed: 43}))
	if a != b || a == c {
		t.Fatalf("seed 42: %s and %s; seed 43: %s", a, b, c)
	}
}

func TestConversions(t *testing.T) {
	tests := []struct {
		body string
		want Reply
	}{
		{"return 2.9", Reply{Kind: KindInt, Int: 2}},
		{"return 'x'", Reply{Kind: KindBulk, Bytes: []byte("x")}},
		{"return false", Reply{Kind: KindNil}},
		{"redis.setresp(3) return false", Reply{Kind: KindBool, Int: 0}},
		{"return {double=1.5}", Reply{Kind: KindDouble, Bytes: []byte("1.5")}},
		{"return {ok='fine'}", Reply{Kind: KindStatus, Bytes: []byte("fine")}},
		{"return {err='bad\\nline'}", Reply{Kind: KindError, Bytes: []byte("bad line")}},
		{"return {map={a=1}}", Reply{Kind: KindMap, Elems: []Reply{{Kind: KindBulk, Bytes: []byte("a")}, {Kind: KindInt, Int: 1}}}},
		{"return redis.pcall('fail')", Reply{Kind: KindError, Bytes: []byte("ERR failed on purpose")}},
	}
	e := New()
	for _, tt := range tests {
		got := run(t, e, tt.body, Invocation{})
		if got.Kind != tt.want.Kind || string(got.Bytes) != string(tt.want.Bytes) || got.Int != tt.want.Int ||
			len(got.Elems) != len(tt.want.Elems) {
			t.Errorf("%s: got %+v, want %+v", tt.body, got, tt.want)
		}
	}
}

func BenchmarkRunSmallScript(b *testing.B) {
	e := New()
	body := []byte("local v = redis.call('get', KEYS[1]) if v == ARGV[1] then return redis.call('del', KEYS[1]) end return 0")
	sha := SHA1Hex(body)
	if err := e.Load(sha, body); err != nil {
		b.Fatal(err)
	}
	h := &countingHost{}
	keys, args := [][]byte{[]byte("lock")}, [][]byte{[]byte("tok")}
	for b.Loop() {
		e.Run(Invocation{SHA: sha, Keys: keys, Args: args, Host: h})
	}
}
