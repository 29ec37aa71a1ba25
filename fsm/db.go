package fsm

// The commands that address a database other than the command's own:
// MOVE, SWAPDB and COPY ... DB (parsed with COPY, in parse.go). SELECT is
// the connection's business (resp), which runs each command in its
// client's database (Command.InDB).

const (
	opMove   opcode = 833 // ints[0]: the destination database
	opSwapDB opcode = 834 // ints[0], ints[1]: the databases
	opCopyDB opcode = 835 // COPY ... DB: ints[0] the destination database
)

func dbTable() table {
	validDB := func(n int64) bool { return n >= 0 && n < NumDBs }
	return table{
		commands: []parser{
			{"move", 3, parseMove},
			{"swapdb", 3, parseSwapDB},
		},
		ops: []opDef{
			{op: opMove, opShape: opShape{name: "move", write: true, minArgs: 1, maxArgs: 1, ints: 1},
				valid: func(c Command) bool { return validDB(c.ints[0]) }, apply: (*writer).move},
			{op: opSwapDB, opShape: opShape{name: "swapdb", write: true, ints: 2},
				valid: func(c Command) bool { return validDB(c.ints[0]) && validDB(c.ints[1]) },
				apply: (*writer).swapDB, keys: func(Command) [][]byte { return nil }},
			{op: opCopyDB, opShape: opShape{name: "copy", write: true, minArgs: 2, maxArgs: 2, ints: 1},
				valid: func(c Command) bool { return validDB(c.ints[0]) }, apply: (*writer).copyDB},
		},
	}
}

// errIntRange is getIntFromObjectOrReply's error for an integer that does
// not fit a C int.
const errIntRange redisError = "ERR value is out of range, value must between -2147483648 and 2147483647"

// parseDBIndex parses a database number as Redis's getIntFromObjectOrReply
// does: a long long (else errNotInteger) that must also fit an int (else
// errIntRange). Range against NumDBs is the caller's check.
func parseDBIndex(b []byte) (int64, error) {
	n, ok := ParseInt(b)
	if !ok {
		return 0, errNotInteger
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, errIntRange
	}
	return n, nil
}

func parseMove(_ string, argv [][]byte, _ int64) (Command, error) {
	db, err := parseDBIndex(argv[2])
	if err != nil {
		return Command{}, err
	}
	if db < 0 || db >= NumDBs {
		return Command{}, errDBIndex
	}
	return Command{op: opMove, ints: [4]int64{db}, args: argv[1:2]}, nil
}

func parseSwapDB(_ string, argv [][]byte, _ int64) (Command, error) {
	a, err := parseDBIndex(argv[1])
	if err != nil {
		return Command{}, redisError("ERR invalid first DB index")
	}
	b, err := parseDBIndex(argv[2])
	if err != nil {
		return Command{}, redisError("ERR invalid second DB index")
	}
	if a < 0 || a >= NumDBs || b < 0 || b >= NumDBs {
		return Command{}, errDBIndex
	}
	return Command{op: opSwapDB, ints: [4]int64{a, b}}, nil
}

// in returns a writer for the same command in database db.
func (w *writer) in(db int64) *writer {
	return &writer{s: w.s, ks: w.s.dbs[db], db: int(db), index: w.index, now: w.now}
}

// move implements MOVE: the key, its value and its deadline go to the
// other database unless the key exists there.
func (w *writer) move(c Command) Reply {
	dst := w.in(c.ints[0])
	if dst.ks == w.ks {
		return errorReply(errSameObject)
	}
	key := c.args[0]
	e, found := w.lookup(key)
	if !found {
		return Zero
	}
	if _, exists := dst.lookup(key); exists {
		return Zero
	}
	w.remove(key)
	dst.put(key, e)
	w.notify(notifyGeneric, "move_from", key)
	dst.notify(notifyGeneric, "move_to", key)
	return One
}

// swapDB implements SWAPDB. Every key of both databases counts as changed
// for WATCH (keyspace.swapped), as Redis touches every watched key of
// both.
func (w *writer) swapDB(c Command) Reply {
	a, b := c.ints[0], c.ints[1]
	if a == b {
		return OK
	}
	s := w.s
	s.dbs[a], s.dbs[b] = s.dbs[b], s.dbs[a]
	s.dbs[a].swapped, s.dbs[b].swapped = w.index, w.index
	w.found.valid = false
	// Clients stay in their database: the data that came may serve them.
	s.noteAllReady(int(a))
	s.noteAllReady(int(b))
	return OK
}

// copyDB implements COPY ... DB.
func (w *writer) copyDB(c Command) Reply {
	dst := w.in(c.ints[0])
	if dst.ks == w.ks && string(c.args[0]) == string(c.args[1]) {
		return errorReply(errSameObject)
	}
	return w.copyKey(c.args[0], dst, c.args[1], c.flags&flagReplace != 0)
}
