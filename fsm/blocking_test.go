package fsm

import (
	"fmt"
	"strings"
	"testing"
)

// The harness of the blocking commands' tests (listblock_test.go,
// zsetblock_test.go): a node whose blocking commands carry waiters, and
// steps checked for their reply and the Events they deliver.

// blocked is how a KindBlocked reply prints (an empty array).
const blocked = "[]"

// blockNode is a node whose blocking commands carry waiters, as resp
// sends them outside MULTI, and which records the Events Apply delivers.
type blockNode struct {
	*node
	events []string // "seq reply"
}

func newBlockNode() *blockNode {
	b := &blockNode{node: newNode()}
	b.store.SetEventSink(func(e Event) {
		b.events = append(b.events, fmt.Sprintf("%d %s", e.Waiter.Seq, e.Reply))
	})
	return b
}

// block applies line as waiter seq and returns its reply.
func (b *blockNode) block(t *testing.T, seq uint64, line string) Reply {
	t.Helper()
	argv := [][]byte{}
	for _, a := range splitArgs(line) {
		argv = append(argv, []byte(a))
	}
	cmd, ok, err := Parse(argv, scriptTime)
	if !ok || err != nil {
		t.Fatalf("%s: ok %v err %v", line, ok, err)
	}
	if !cmd.IsBlocking() {
		t.Fatalf("%s: not blocking", line)
	}
	return b.apply(t, cmd.InDB(b.db).WithWaiter(WaiterID{Node: 1, Session: 1, Seq: seq}))
}

func (b *blockNode) apply(t *testing.T, cmd Command) Reply {
	t.Helper()
	b.index++
	return b.store.Apply(b.index, cmd.AppendBinary(nil)).(Reply)
}

// takeEvents returns the Events delivered since the last call.
func (b *blockNode) takeEvents() string {
	s := strings.Join(b.events, "; ")
	b.events = nil
	return s
}

// blockStep is one command: block (a waiter seq) > 0 applies it as a
// blocking command of that waiter; unblock > 0 applies NewUnblock of it.
// want is its reply, events what Apply delivered.
type blockStep struct {
	block, unblock uint64
	cmd            string
	want, events   string
}

// runBlockSteps applies steps in order on a new blockNode. A step
// "SELECT n" changes the database of the steps after it; "MULTI-EXEC a |
// b" runs its commands in one transaction.
func runBlockSteps(t *testing.T, steps []blockStep) {
	t.Helper()
	b := newBlockNode()
	for i, st := range steps {
		var r Reply
		switch {
		case st.block > 0:
			r = b.block(t, st.block, st.cmd)
		case st.unblock > 0:
			r = b.apply(t, NewUnblock(WaiterID{Node: 1, Session: 1, Seq: st.unblock}, scriptTime))
		case strings.HasPrefix(st.cmd, "SELECT "):
			fmt.Sscan(st.cmd[len("SELECT "):], &b.db)
			continue
		case strings.HasPrefix(st.cmd, "MULTI-EXEC "):
			r = b.exec(t, scriptTime, nil, strings.Split(st.cmd[len("MULTI-EXEC "):], " | ")...)
		default:
			r = b.do(t, scriptTime, st.cmd)
		}
		got := r.String()
		if r.Kind == KindBlocked {
			got = blocked
		}
		if st.want != "" && got != st.want {
			t.Errorf("step %d: %s: got %s, want %s", i, st.cmd, got, st.want)
		}
		if ev := b.takeEvents(); ev != st.events {
			t.Errorf("step %d: %s: events %q, want %q", i, st.cmd, ev, st.events)
		}
	}
}
