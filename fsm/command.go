package fsm

// opcode names one operation of the state machine. Several Redis commands
// share an opcode when they differ only in their arguments (SETEX is SET with
// a deadline, DECRBY is INCRBY with a negated delta), which keeps Apply small.
// Opcodes are part of the log and snapshot format: never renumber them, only
// append. They travel as a uvarint, so the first 127 (all of the string,
// hash and key operations) still take one byte.
//
// Each data type owns a range, so that its operations are added in its own
// file (see table.go) without renumbering anyone else's:
//
//	1-127     strings, hashes, keys, transactions (this file)
//	128-191   lists
//	192-255   sets
//	256-383   sorted sets
//	384-511   streams
//	512-575   scripting
//	576-639   pub/sub
//	640-703   configuration
//	704-767   blocking commands
//	768-831   eviction
//	832-863   databases
//	864-895   ACL users
type opcode uint16

const (
	opInvalid opcode = iota
	opGet
	opSet
	opSetNX
	opDel
	opExists
	opMGet
	opMSet
	opMSetNX
	opIncrBy
	opIncrByFloat
	opDBSize
	opFlushAll
	opGetDel
	opGetEx
	opAppend
	opStrlen
	opGetRange
	opSetRange
	opType
	opTTL
	opExpireTime
	opExpire
	opPersist
	opTouch
	opRename
	opCopy
	opHSet
	opHSetNX
	opHGet
	opHMGet
	opHGetAll
	opHDel
	opHExists
	opHLen
	opHStrlen
	opHIncrBy
	opHIncrByFloat
	opHKeys
	opHVals
	opHScan
	opKeys
	opScan
	opRandomKey
	opMulti
	opExpireKeys
	opError
	opStringError
	opLegacyEnd // the first opcode past this file's; not an operation
)

// opMax bounds every opcode: the op table has this many entries.
const opMax = 1024

// opInDB is not an operation but a prefix: a command on a database other
// than 0 travels as opInDB, the database (uvarint), then the command, so
// that database 0's entries keep their form (see AppendBinary).
const opInDB opcode = 832

// Command flags. Each opcode reads only the flags that make sense for it.
const (
	flagNX       uint16 = 1 << iota // SET, EXPIRE: only if absent / no deadline; RENAME: RENAMENX
	flagXX                          // SET, EXPIRE: only if present / has a deadline
	flagGT                          // EXPIRE: only if the new deadline is later
	flagLT                          // EXPIRE: only if the new deadline is earlier
	flagGet                         // SET: reply with the old value (SET GET, GETSET)
	flagKeepTTL                     // SET: keep the key's deadline
	flagDeadline                    // SET, GETEX: ints[0] is the new absolute deadline
	flagPersist                     // GETEX: remove the deadline
	flagMillis                      // TTL, EXPIRETIME: reply in milliseconds
	flagReplace                     // COPY: overwrite the destination
	flagAllDBs                      // FLUSHALL: every database, not only the command's
)

// Flags of the opcodes that take none of the above reuse their bits.
const (
	flagScanMatch       = flagNX  // SCAN, HSCAN: args hold a MATCH pattern
	flagScanType        = flagXX  // SCAN: the last arg is a TYPE name
	flagScanSyntaxError = flagGT  // HSCAN: bad options, reported after the key's type check
	flagScanNotInteger  = flagLT  // HSCAN: COUNT was not an integer, likewise
	flagHMSet           = flagGet // HSET: reply OK, as HMSET does
	flagMissingNil      = flagNX  // string error: reply nil, not the error, for an absent key
)

// Command is one parsed data command. A write travels through the raft log
// in its AppendBinary form and is rebuilt with Decode on every node.
//
// A Command aliases the byte slices it was built from (Parse's argv,
// Decode's input) rather than copying them, so it is valid only while those
// bytes are unchanged. The Store copies whatever it keeps.
type Command struct {
	op    opcode
	flags uint16
	// time is the proposer's wall clock in ms when it parsed the command;
	// every expiry decision in Apply uses it instead of the local clock.
	time int64
	// ints carries the numeric arguments, already validated: the absolute
	// deadline (SET, GETEX, EXPIRE), the delta (INCRBY), the offset
	// (SETRANGE) or start and end (GETRANGE).
	ints [4]int64
	args [][]byte
	db   uint8 // the database it runs in, below NumDBs
	// user is the ACL user whose permissions the scripts of a script
	// command (EVAL, FCALL...) run with, "" for the default user; it
	// travels as the opAsUser prefix (see scriptacl.go).
	user string

	// waiter, if set, is the blocked client a blocking command registers
	// when it cannot be served at once (see blocking.go).
	waiter WaiterID
	// blocking and timeout are Parse's verdict on a blocking command
	// (BLPOP, XREAD BLOCK...): whether it may block, and for how long in
	// ms (0: for ever). They do not travel through the log: the client's
	// node keeps the time.
	blocking bool
	timeout  int64
}

// InDB returns c to run in database db (0 to NumDBs-1; anything else is
// database 0, which callers prevent by checking SELECT's argument).
func (c Command) InDB(db int) Command {
	if db < 0 || db >= NumDBs {
		db = 0
	}
	c.db = uint8(db)
	return c
}

// DB returns the database c runs in.
func (c Command) DB() int { return int(c.db) }

// opShape describes an opcode: whether it writes, and what a well-formed
// encoding holds. Decode checks every decoded Command against it, so Apply can
// index args and ints without bounds worries.
type opShape struct {
	name     string // lower-case name, for logs and metrics
	write    bool
	minArgs  int
	maxArgs  int // -1: no limit
	evenArgs bool
	oddArgs  bool // a key, then pairs
	ints     int  // how many entries of ints are encoded
}

// legacyShapes are the shapes of this file's opcodes, which Apply and Read
// serve in write.go and read.go; opcodes of the other ranges bring their
// shape and functions in an opDef (see table.go).
var legacyShapes = [opLegacyEnd]opShape{
	opGet:         {name: "get", minArgs: 1, maxArgs: 1},
	opSet:         {name: "set", write: true, minArgs: 2, maxArgs: 2, ints: 1},
	opSetNX:       {name: "setnx", write: true, minArgs: 2, maxArgs: 2},
	opDel:         {name: "del", write: true, minArgs: 1, maxArgs: -1},
	opExists:      {name: "exists", minArgs: 1, maxArgs: -1},
	opMGet:        {name: "mget", minArgs: 1, maxArgs: -1},
	opMSet:        {name: "mset", write: true, minArgs: 2, maxArgs: -1, evenArgs: true},
	opMSetNX:      {name: "msetnx", write: true, minArgs: 2, maxArgs: -1, evenArgs: true},
	opIncrBy:      {name: "incrby", write: true, minArgs: 1, maxArgs: 1, ints: 1},
	opIncrByFloat: {name: "incrbyfloat", write: true, minArgs: 2, maxArgs: 2},
	opDBSize:      {name: "dbsize", minArgs: 0, maxArgs: 0},
	opFlushAll:    {name: "flushall", write: true, minArgs: 0, maxArgs: 0},
	opGetDel:      {name: "getdel", write: true, minArgs: 1, maxArgs: 1},
	opGetEx:       {name: "getex", write: true, minArgs: 1, maxArgs: 1, ints: 1},
	opAppend:      {name: "append", write: true, minArgs: 2, maxArgs: 2},
	opStrlen:      {name: "strlen", minArgs: 1, maxArgs: 1},
	opGetRange:    {name: "getrange", minArgs: 1, maxArgs: 1, ints: 2},
	opSetRange:    {name: "setrange", write: true, minArgs: 2, maxArgs: 2, ints: 1},
	opType:        {name: "type", minArgs: 1, maxArgs: 1},
	opTTL:         {name: "ttl", minArgs: 1, maxArgs: 1},
	opExpireTime:  {name: "expiretime", minArgs: 1, maxArgs: 1},
	opExpire:      {name: "expire", write: true, minArgs: 1, maxArgs: 1, ints: 1},
	opPersist:     {name: "persist", write: true, minArgs: 1, maxArgs: 1},
	opTouch:       {name: "touch", minArgs: 1, maxArgs: -1},
	opRename:      {name: "rename", write: true, minArgs: 2, maxArgs: 2},
	opCopy:        {name: "copy", write: true, minArgs: 2, maxArgs: 2},

	opHSet:         {name: "hset", write: true, minArgs: 3, maxArgs: -1, oddArgs: true},
	opHSetNX:       {name: "hsetnx", write: true, minArgs: 3, maxArgs: 3},
	opHGet:         {name: "hget", minArgs: 2, maxArgs: 2},
	opHMGet:        {name: "hmget", minArgs: 2, maxArgs: -1},
	opHGetAll:      {name: "hgetall", minArgs: 1, maxArgs: 1},
	opHDel:         {name: "hdel", write: true, minArgs: 2, maxArgs: -1},
	opHExists:      {name: "hexists", minArgs: 2, maxArgs: 2},
	opHLen:         {name: "hlen", minArgs: 1, maxArgs: 1},
	opHStrlen:      {name: "hstrlen", minArgs: 2, maxArgs: 2},
	opHIncrBy:      {name: "hincrby", write: true, minArgs: 2, maxArgs: 2, ints: 1},
	opHIncrByFloat: {name: "hincrbyfloat", write: true, minArgs: 3, maxArgs: 3},
	opHKeys:        {name: "hkeys", minArgs: 1, maxArgs: 1},
	opHVals:        {name: "hvals", minArgs: 1, maxArgs: 1},
	opHScan:        {name: "hscan", minArgs: 1, maxArgs: 2, ints: 2},
	opKeys:         {name: "keys", minArgs: 1, maxArgs: 1},
	opScan:         {name: "scan", minArgs: 0, maxArgs: 2, ints: 2},
	opRandomKey:    {name: "randomkey", minArgs: 0, maxArgs: 0},
	// MULTI/EXEC: ints[0] watches as (key, 8-byte token) pairs, then the
	// queued commands, each in its AppendBinary form.
	opMulti: {name: "exec", write: true, minArgs: 0, maxArgs: -1, ints: 1},
	// Active expiry: delete each key in args if expired at the carried time.
	opExpireKeys: {name: "expirekeys", write: true, minArgs: 1, maxArgs: -1},
	// A command that failed Parse, queued in a transaction: replies args[0].
	opError: {name: "error", minArgs: 1, maxArgs: 1},
	// A string command with a bad argument that Redis checks only after
	// looking the key up (GETEX's expiry, INCRBYFLOAT's increment): args
	// are the key and the error text; see Store.read.
	opStringError: {name: "stringerror", minArgs: 2, maxArgs: 2},
}

// IsWrite reports whether c changes state and so must go through Raft.
func (c Command) IsWrite() bool { d := c.def(); return d != nil && d.write }

// Name returns the lower-case name of c's operation. Commands that share an
// operation share its name: SETEX and GETSET report "set".
func (c Command) Name() string {
	if d := c.def(); d != nil {
		return d.name
	}
	return "invalid"
}

// def returns the definition of c's opcode, nil for an unknown one.
func (c Command) def() *opDef {
	if c.op >= opMax {
		return nil
	}
	return opTable[c.op]
}

// Time returns the proposer's wall clock, in ms, carried by c.
func (c Command) Time() int64 { return c.time }

// Keys returns the keys c touches, in argument order (for WATCH, routing
// and logs). It aliases c's arguments.
func (c Command) Keys() [][]byte {
	switch c.op {
	case opMSet, opMSetNX:
		keys := make([][]byte, 0, len(c.args)/2)
		for i := 0; i < len(c.args); i += 2 {
			keys = append(keys, c.args[i])
		}
		return keys
	case opSet, opSetNX, opIncrByFloat, opAppend, opSetRange, opHSet, opHSetNX, opHGet,
		opHMGet, opHDel, opHExists, opHStrlen, opHIncrBy, opHIncrByFloat, opHScan, opStringError:
		return c.args[:1]
	case opKeys, opScan, opRandomKey, opError:
		return nil // a pattern or type name is not a key
	case opMulti:
		return c.multiKeys()
	}
	if d := c.def(); d != nil && d.keys != nil {
		return d.keys(c)
	}
	return c.args
}

// validShape reports whether c is something Apply and Read can run safely.
func (c Command) validShape() bool {
	d := c.def()
	if d == nil {
		return false
	}
	sh := &d.opShape
	n := len(c.args)
	if n < sh.minArgs || (sh.maxArgs >= 0 && n > sh.maxArgs) || (sh.evenArgs && n%2 != 0) ||
		(sh.oddArgs && n%2 != 1) {
		return false
	}
	switch c.op {
	case opScan:
		return n == boolInt(c.flags&flagScanMatch != 0)+boolInt(c.flags&flagScanType != 0)
	case opHScan:
		return n == 1+boolInt(c.flags&flagScanMatch != 0)
	case opMulti:
		return c.ints[0] >= 0 && c.ints[0] <= int64(n/2)
	}
	return d.valid == nil || d.valid(c)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
