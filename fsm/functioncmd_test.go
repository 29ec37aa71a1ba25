package fsm

import (
	"bytes"
	"strings"
	"testing"
)

const testLibrary = "#!lua name=mylib\n" +
	"redis.register_function('incr2', function(keys, args) return redis.call('incrby', keys[1], 2) end)\n" +
	"redis.register_function{function_name='peek', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}\n" +
	"redis.register_function('rnd', function(keys, args) redis.call('set', 'r', math.random(1000000)) return redis.call('get', 'r') end)\n" +
	"redis.register_function('boom', function(keys, args) redis.call('set', 'before', '1') error('boom') end)\n"

func TestFunctions(t *testing.T) {
	n := newNode()
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"FCALL", "incr2", "1", "c"}, "(error) ERR Function not found"},
		{[]string{"FUNCTION", "LOAD", testLibrary}, `"mylib"`},
		{[]string{"FUNCTION", "LOAD", testLibrary}, "(error) ERR Library 'mylib' already exists"},
		{[]string{"FUNCTION", "LOAD", "REPLACE", testLibrary}, `"mylib"`},
		{[]string{"FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('incr2', function() return 1 end)"}, "(error) ERR Function incr2 already exists"},
		{[]string{"FUNCTION", "LOAD", "redis.register_function('x', function() return 1 end)"}, "(error) ERR Missing library metadata"},
		{[]string{"FUNCTION", "LOAD", "#!lua name=empty\nreturn 1"}, "(error) ERR No functions registered"},
		{[]string{"FUNCTION", "LOAD", "#!lua name=calls\nredis.call('ping')"}, "(error) ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"},
		{[]string{"FCALL", "incr2", "1", "c"}, "(integer) 2"},
		{[]string{"FCALL", "incr2", "1", "c"}, "(integer) 4"},
		{[]string{"FCALL_RO", "peek", "1", "c"}, `"4"`},
		{[]string{"FCALL_RO", "incr2", "1", "c"}, "(error) ERR Can not execute a script with write flag using *_ro command."},
		{[]string{"FCALL", "boom", "0"}, "(error) ERR user_function:5: boom script: boom, on @user_function:5."},
		{[]string{"GET", "before"}, `"1"`},
		{[]string{"FCALL", "incr2", "x"}, "(error) ERR Bad number of keys provided"},
		{[]string{"FUNCTION", "DELETE", "nosuch"}, "(error) ERR Library not found"},
		{[]string{"FUNCTION", "STATS"}, "..."},
		{[]string{"FUNCTION", "KILL"}, "(error) NOTBUSY No scripts in execution right now."},
	}
	for _, st := range steps {
		got := n.eval(t, 1000, st.args...)
		if st.want == "..." {
			continue
		}
		if got != st.want {
			t.Fatalf("%q: got %s, want %s", st.args, got, st.want)
		}
	}
	list := n.eval(t, 1000, "FUNCTION", "LIST", "WITHCODE")
	if !strings.Contains(list, "mylib") || !strings.Contains(list, "reads") || !strings.Contains(list, "no-writes") {
		t.Fatalf("FUNCTION LIST: %s", list)
	}

	// The libraries are in snapshots: a restored store serves FCALL and
	// the next entries exactly as the store that applied the log.
	n.eval(t, 1000, "FCALL", "rnd", "0")
	snap := snapshotBytes(t, n.store)
	m := newNode()
	if err := m.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snapshotBytes(t, m.store), snap) {
		t.Fatal("a restored store's snapshot differs")
	}
	want := n.eval(t, 2000, "FCALL", "rnd", "0")
	got := m.store.Apply(uint64(len(n.log)), n.log[len(n.log)-1]).(Reply)
	if got.String() != want {
		t.Fatalf("restored store: %s, want %s", got.String(), want)
	}
	if got := m.eval(t, 2000, "FCALL_RO", "peek", "1", "c"); got != `"4"` {
		t.Fatalf("restored FCALL_RO: %s", got)
	}
	if got := n.eval(t, 2000, "FUNCTION", "DELETE", "mylib"); got != "OK" {
		t.Fatalf("FUNCTION DELETE: %s", got)
	}
	if got := n.eval(t, 2000, "FCALL", "incr2", "1", "c"); got != "(error) ERR Function not found" {
		t.Fatalf("after DELETE: %s", got)
	}
	n.eval(t, 2000, "FUNCTION", "LOAD", testLibrary)
	if got := n.eval(t, 2000, "FUNCTION", "FLUSH"); got != "OK" {
		t.Fatalf("FUNCTION FLUSH: %s", got)
	}
	if got := n.eval(t, 2000, "FUNCTION", "LIST"); got != "[]" {
		t.Fatalf("after FLUSH: %s", got)
	}
}
