package fsm

import (
	"strings"
	"testing"
)

// node plays the cluster's part for tests: writes are encoded, "replicated"
// as bytes and applied at increasing indexes; reads go to Read.
type node struct {
	store *Store
	index uint64
	log   [][]byte // every write proposed, to replay on another store
	db    int      // the database commands run in, as a client's SELECT
}

func newNode() *node { return &node{store: New()} }

// do runs one command line (arguments split on spaces) at time now.
func (n *node) do(t testing.TB, now int64, line string) Reply {
	t.Helper()
	return n.doArgs(t, now, splitArgs(line))
}

func (n *node) doArgs(t testing.TB, now int64, args []string) Reply {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd, ok, err := Parse(argv, now)
	cmd = cmd.InDB(n.db)
	if !ok {
		return Error("ERR unknown command '" + args[0] + "'")
	}
	if err != nil {
		return Error(err.Error())
	}
	if !cmd.IsWrite() {
		return n.store.Read(cmd, now)
	}
	data := cmd.AppendBinary(nil)
	n.log = append(n.log, data)
	n.index++
	r, isReply := n.store.Apply(n.index, data).(Reply)
	if !isReply {
		t.Fatalf("Apply returned %T, want Reply", r)
	}
	return r
}

// splitArgs splits on spaces; an argument of two single quotes stands for
// an empty argument.
func splitArgs(line string) []string {
	args := strings.Fields(line)
	for i, a := range args {
		if a == "''" {
			args[i] = ""
		}
	}
	return args
}
