package fsm

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// recordEffects sets a sink on n's store that formats each entry's
// Effects as one line, copying what it keeps as a sink must.
func recordEffects(n *node) *[]string {
	var got []string
	n.store.SetEffectsSink(func(fx *Effects) {
		var parts []string
		for _, m := range fx.Messages {
			kind := "msg"
			if m.Sharded {
				kind = "smsg"
			}
			parts = append(parts, fmt.Sprintf("%s#%d %s=%s", kind, m.Seq, m.Channel, m.Payload))
		}
		for _, k := range fx.Keys {
			if k.Flush {
				parts = append(parts, fmt.Sprintf("flush(%d)", k.DB))
				continue
			}
			parts = append(parts, fmt.Sprintf("%d:%s", k.DB, k.Key))
		}
		got = append(got, fmt.Sprintf("@%d %s", fx.Index, strings.Join(parts, " ")))
	})
	return &got
}

func TestEffects(t *testing.T) {
	cases := []struct {
		name  string
		lines []string // run at time 1000 unless "@t line"
		want  []string // one per entry with effects
		reply string   // of the last line
	}{
		{name: "set and del", lines: []string{"SET a 1", "MSET b 2 c 3", "DEL a nokey", "GET b"},
			want: []string{"@1 0:a", "@2 0:b 0:c", "@3 0:a"}, reply: `"2"`},
		{name: "no change no effects", lines: []string{"DEL nokey", "SET a 1 XX", "PERSIST nokey"},
			want: nil, reply: "(integer) 0"},
		{name: "publish", lines: []string{"PUBLISH ch hello", "SPUBLISH sch hi"},
			want: []string{"@1 msg#0 ch=hello", "@2 smsg#0 sch=hi"}, reply: "(published) 0"},
		{name: "publish follows writes in a transaction", lines: []string{"MULTI_SET_PUBLISH"},
			want: []string{"@1 msg#0 ch=one msg#1 ch=two 0:k"}},
		{name: "expiry delete", lines: []string{"SET k v PX 10", "@2000 SET other v", "@2000 GET k", "@2000 APPEND k x"},
			want: []string{"@1 0:k", "@2 0:other", "@3 0:k 0:k"}, reply: "(integer) 1"},
		{name: "flushes", lines: []string{"SET a 1", "FLUSHDB", "SELECT1 SET b 1", "SELECT1 FLUSHDB", "FLUSHALL"},
			want: []string{"@1 0:a", "@2 flush(0)", "@3 1:b", "@4 flush(1)", "@5 flush(-1)"}, reply: "OK"},
		{name: "rename touches both", lines: []string{"SET a 1", "RENAME a b"},
			want: []string{"@1 0:a", "@2 0:a 0:b"}, reply: "OK"},
		{name: "hash field", lines: []string{"HSET h f v", "HDEL h f"},
			want: []string{"@1 0:h", "@2 0:h"}, reply: "(integer) 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode()
			got := recordEffects(n)
			var r Reply
			for _, line := range tc.lines {
				now := int64(1000)
				if strings.HasPrefix(line, "@") {
					fmt.Sscanf(line, "@%d", &now)
					line = line[strings.IndexByte(line, ' ')+1:]
				}
				n.db = 0
				if rest, ok := strings.CutPrefix(line, "SELECT1 "); ok {
					n.db, line = 1, rest
				}
				if line == "MULTI_SET_PUBLISH" {
					r = n.multi(t, now, "PUBLISH ch one", "PUBLISH ch two", "SET k v")
					continue
				}
				r = n.do(t, now, line)
			}
			if !slices.Equal(*got, tc.want) {
				t.Errorf("effects:\n got %q\nwant %q", *got, tc.want)
			}
			if tc.reply != "" && r.String() != tc.reply {
				t.Errorf("last reply %s, want %s", r, tc.reply)
			}
		})
	}
}

// multi applies lines as one MULTI/EXEC entry.
func (n *node) multi(t *testing.T, now int64, lines ...string) Reply {
	t.Helper()
	var cmds []Command
	for _, line := range lines {
		args := splitArgs(line)
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		c, ok, err := Parse(argv, now)
		if !ok || err != nil {
			t.Fatalf("parse %s: %v %v", line, ok, err)
		}
		cmds = append(cmds, c)
	}
	n.index++
	r, _ := n.store.Apply(n.index, NewMulti(cmds, nil).WithTime(now).AppendBinary(nil)).(Reply)
	return r
}

func TestPublishInTransactionReplies(t *testing.T) {
	n := newNode()
	recordEffects(n)
	r := n.multi(t, 1000, "PUBLISH a x", "SET k v", "SPUBLISH b y")
	if got, want := r.String(), "[(published) 0 OK (published) 1]"; got != want {
		t.Fatalf("EXEC = %s, want %s", got, want)
	}
}

// A restored snapshot may change any key: tracking clients hear of it as
// of a flush of everything.
func TestEffectsOfRestore(t *testing.T) {
	src := newNode()
	src.do(t, 1000, "SET a 1")
	snap := snapshotBytes(t, src.store)
	dst := newNode()
	got := recordEffects(dst)
	if err := dst.store.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"@1 flush(-1)"}; !slices.Equal(*got, want) {
		t.Errorf("effects %q, want %q", *got, want)
	}
}

// Without a sink nothing is collected, and PUBLISH still answers.
func TestEffectsWithoutSink(t *testing.T) {
	n := newNode()
	if r := n.do(t, 1000, "PUBLISH ch m"); r.Kind != KindPublished {
		t.Fatalf("PUBLISH = %s", r)
	}
	n.do(t, 1000, "SET a b")
	if len(n.store.effects.Keys) != 0 || len(n.store.effects.Messages) != 0 || len(n.store.effectsBuf) != 0 {
		t.Fatalf("effects collected without a sink: %+v", n.store.effects)
	}
}

// A script's PUBLISH is published like any other, and the script, which
// must end alike on every node, is told 0 receivers.
func TestPublishFromScript(t *testing.T) {
	n := newNode()
	got := recordEffects(n)
	r := n.doArgs(t, 1000, []string{"EVAL", "return redis.call('PUBLISH', 'ch', 'from-lua') + 1", "0"})
	if r.String() != "(integer) 1" {
		t.Fatalf("EVAL = %s", r)
	}
	if want := []string{"@1 msg#0 ch=from-lua"}; !slices.Equal(*got, want) {
		t.Errorf("effects %q, want %q", *got, want)
	}
}
