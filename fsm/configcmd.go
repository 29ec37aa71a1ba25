package fsm

import (
	"errors"

	"github.com/raftcache/raftcache/fsm/config"
)

// CONFIG SET of replicated parameters goes through the log, so that it
// changes every node, in the same place in the order of writes, and is
// snapshotted with the data (see config and Store.cfg). The front door
// (resp) checks a CONFIG SET first, to answer Redis's error at once, and
// proposes only the replicated pairs; Apply checks them again against the
// values as of that entry and applies all of them or none.

const (
	opConfigSet opcode = 640 // args: name, value pairs, as the client gave them
)

func configTable() table {
	return table{
		ops: []opDef{
			{op: opConfigSet, opShape: opShape{name: "config|set", write: true, minArgs: 2, maxArgs: -1, evenArgs: true},
				apply: (*writer).configSet, keys: noKeys},
		},
	}
}

// NewConfigSet builds the write that sets replicated parameters: pairs are
// CONFIG SET's name/value arguments, each name one that config.Lookup
// finds and that is not Local. Its reply is OK, or Redis's CONFIG SET
// error.
func NewConfigSet(pairs [][]byte, now int64) Command {
	return Command{op: opConfigSet, time: now, args: pairs}
}

func (w *writer) configSet(c Command) Reply {
	err := w.s.cfg.Set(c.args)
	var cerr config.Error
	switch {
	case err == nil:
		return OK
	case errors.As(err, &cerr):
		return Error(string(cerr))
	}
	return Error("ERR fsm: " + err.Error())
}

// Config returns a copy of the replicated configuration, for CONFIG GET.
func (s *Store) Config() *config.Values {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg.Clone()
}
