package fsm

import "fmt"

// A data type's commands are one table: the Redis commands it serves (name,
// arity, parse) and the operations they parse into (shape, apply or read,
// keys). Adding a command is an entry in its type's table and its functions;
// Parse, Decode, Apply, Read, MULTI and COMMAND (through Commands) all find
// it here.
//
// The string, hash and key commands predate the tables: their operations are
// served by the switches of write.go and read.go and their shapes are in
// command.go (legacyShapes).
type table struct {
	commands []parser
	ops      []opDef
	// codecs decode the snapshot form of the collection types the
	// table's commands make.
	codecs map[valueType]collectionCodec
	// subcommands lists the subcommands a container command serves
	// (OBJECT ENCODING...), so that COMMAND lists only those.
	subcommands map[string][]string
}

// opDef defines one operation: its shape, which Decode checks, and what
// runs it. A write has apply, a read has read.
type opDef struct {
	op opcode
	opShape
	// valid, if set, checks what the shape cannot say (flags against
	// arguments, ints in range) so that apply and read may trust c.
	valid func(c Command) bool
	// apply runs a write. The caller holds the Store's write lock.
	apply func(w *writer, c Command) Reply
	// read runs a read as of now. The caller holds the Store's lock.
	read func(ks *keyspace, c Command, now int64) Reply
	// keys returns the keys c touches (nil: all of c.args).
	keys func(c Command) [][]byte

	// serve, instead of apply, runs a blocking command (see blocking.go):
	// done is false when it cannot be served yet and must wait.
	// timeoutReply is its reply when it cannot wait (no waiter, as in
	// MULTI). blockKeys returns the keys it waits on (nil: c.args).
	serve        func(w *writer, c Command) (r Reply, done bool)
	timeoutReply Reply
	blockKeys    func(c Command) [][]byte
	// waitedReply, if set, is the reply when a wait ends unserved, where
	// it differs from timeoutReply: Redis 7.0 answers BLMOVE's timeout
	// with a null array but BLMOVE in MULTI with a null bulk string.
	waitedReply *Reply
	// resolve, if set, rewrites a blocking command once, when Apply first
	// runs it, before serve: XREAD's "$" becomes the stream's last ID as
	// of then, so that a waiter served later still reads after it.
	resolve func(w *writer, c Command) Command
	// readInApply, if set, runs a read when it runs inside Apply (in
	// MULTI, or called by a script) instead of read: a read that chooses
	// at random (SRANDMEMBER) must then choose as every node does, from
	// the entry (writer.entryRand), for a script may write what it chose.
	readInApply func(w *writer, c Command) Reply
	// unserve, if set, puts back what serve took for a waiter's reply r
	// (an element popped by BLPOP goes back to the head of its list),
	// for a delivery whose client never got it (see blocking.go). A
	// serve that takes nothing (XREAD, or BLMOVE, whose element stays in
	// its destination) has none, and its deliveries are not kept.
	unserve func(w *writer, c Command, r Reply)
}

// tables lists every data type's table; COMMAND lists their commands in
// this order.
var tables = []func() table{
	legacyTable,
	dbTable,
	blockingTable,
	objectTable,
	sortTable,
	setTable,
	scriptTable,
	listTable,
	streamTable,
	functionTable,
	pubsubTable,
	zsetTable,
	configTable,
	accessTable,
	evictTable,
	aclTable,
	dumpTable,
}

// opTable and commandIndex are built once, at package initialisation, from
// tables, and only read afterwards.
var (
	opTable      [opMax]*opDef
	commandIndex map[string]*parser
	commandOrder []string
	subcommands  = map[string][]string{}
)

func init() {
	commandIndex = map[string]*parser{}
	for _, mk := range tables {
		t := mk()
		for i := range t.ops {
			d := &t.ops[i]
			if d.op == opInvalid || d.op >= opMax || opTable[d.op] != nil {
				panic(fmt.Sprintf("fsm: opcode %d (%s) is invalid or defined twice", d.op, d.name))
			}
			n := 0
			for _, set := range []bool{d.apply != nil, d.read != nil, d.serve != nil} {
				if set {
					n++
				}
			}
			if n != 1 && d.op >= opLegacyEnd {
				panic(fmt.Sprintf("fsm: opcode %d (%s) needs exactly one of apply, read and serve", d.op, d.name))
			}
			if d.write != (d.apply != nil || d.serve != nil) && d.op >= opLegacyEnd {
				panic(fmt.Sprintf("fsm: opcode %d (%s): a write has apply, a read has read", d.op, d.name))
			}
			opTable[d.op] = d
		}
		for typ, codec := range t.codecs {
			if typ == typeString || typ == typeHash || typ >= typeEnd || collectionCodecs[typ] != nil {
				panic(fmt.Sprintf("fsm: value type %d has a codec twice or cannot have one", typ))
			}
			collectionCodecs[typ] = codec
		}
		for name, subs := range t.subcommands {
			subcommands[name] = subs
		}
		for i := range t.commands {
			p := &t.commands[i]
			if _, dup := commandIndex[p.name]; dup || len(p.name) > maxCommandNameLen {
				panic("fsm: command " + p.name + " is defined twice or its name is too long")
			}
			commandIndex[p.name] = p
			commandOrder = append(commandOrder, p.name)
		}
	}
	markDenyOOM()
}

// legacyTable wraps the operations of command.go.
func legacyTable() table {
	t := table{commands: legacyCommands}
	for op := opGet; op < opLegacyEnd; op++ {
		t.ops = append(t.ops, opDef{op: op, opShape: legacyShapes[op]})
	}
	return t
}

// Commands returns the names of the data commands Parse knows, lower-case,
// in table order.
func Commands() []string { return append([]string(nil), commandOrder...) }

// Subcommands returns the subcommands fsm serves of the container command
// name (lower-case), nil for a command that has none.
func Subcommands(name string) []string { return append([]string(nil), subcommands[name]...) }

// Arity returns Redis's arity of the data command name (lower-case): the
// exact argc including the name, or -n for at least n. ok is false for a
// command fsm does not know.
func Arity(name string) (arity int, ok bool) {
	p, ok := commandIndex[name]
	if !ok {
		return 0, false
	}
	return p.arity, true
}
