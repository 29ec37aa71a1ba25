package fsm

import (
	"github.com/raftcache/raftcache/fsm/stream"
)

// The stream commands. Redis interleaves a stream command's argument checks
// with its key lookup (XREAD checks each ID after its key's type, XDEL
// looks the key up before it parses any ID), so each command keeps its
// arguments as the client sent them (after the command name) and one
// function per command runs Redis's whole sequence on the state: Parse
// runs the checks Redis makes before any lookup, so that a bad command
// never reaches the log, and the command's apply or read parses again and
// goes on in Redis's order. Decode's valid check is that same pre-lookup
// parse.

// Opcodes 384-511 are streams'. Never renumber.
const (
	opXAdd            opcode = 384
	opXLen            opcode = 385
	opXRange          opcode = 386 // flagXRev: XREVRANGE
	opXDel            opcode = 387
	opXTrim           opcode = 388
	opXRead           opcode = 389 // without BLOCK: a read
	opXGroup          opcode = 390 // args[0] is the subcommand
	opXReadGroup      opcode = 391 // without BLOCK
	opXAck            opcode = 392
	opXPending        opcode = 393
	opXClaim          opcode = 394
	opXAutoClaim      opcode = 395
	opXInfo           opcode = 396 // args[0] is the subcommand
	opXSetID          opcode = 397
	opXReadBlock      opcode = 398 // XREAD with BLOCK: serve
	opXReadGroupBlock opcode = 399 // XREADGROUP with BLOCK: serve
	opXHelp           opcode = 400 // XGROUP HELP, XINFO HELP: args[0] names which
)

// Flags of the stream opcodes.
const (
	flagXRev = flagNX // XRANGE: XREVRANGE, whose bounds come end first
	// flagXFailed marks a blocking XREAD/XREADGROUP that resolve found
	// failing (WRONGTYPE, NOGROUP, a bad ID) when first applied: its last
	// argument is the error, which serve replies.
	flagXFailed = flagXX
)

// streamValue adapts *stream.Stream to fsm's collection.
type streamValue struct{ *stream.Stream }

func (v streamValue) Clone() collection { return streamValue{v.Stream.Clone()} }

// keepsEmpty: Redis keeps an empty stream (after XDEL, XTRIM, or XGROUP
// CREATE MKSTREAM), with its last ID and its groups.
func (streamValue) keepsEmpty() bool { return true }

func decodeStream(b []byte) (collection, error) {
	s, err := stream.Decode(b)
	if err != nil {
		return nil, err
	}
	return streamValue{s}, nil
}

// streamLimits are the node limits XADD packs entries with:
// stream-node-max-entries and stream-node-max-bytes as CONFIG SET left them.
func (s *Store) streamLimits() stream.Limits {
	return stream.Limits{NodeMaxEntries: int(s.cfg.StreamNodeMaxEntries), NodeMaxBytes: int(s.cfg.StreamNodeMaxBytes)}
}

func streamTable() table {
	key0 := func(c Command) [][]byte { return c.args[:1] }
	key1 := func(c Command) [][]byte { return c.args[1:2] }
	valid := func(check func(args [][]byte) error) func(Command) bool {
		return func(c Command) bool { return check(c.args) == nil }
	}
	return table{
		commands: []parser{
			{"xadd", -5, streamParser(opXAdd, checkXAdd)},
			{"xlen", 2, keyArgs(opXLen, 0)},
			{"xrange", -4, parseXRange(0)},
			{"xrevrange", -4, parseXRange(flagXRev)},
			{"xdel", -3, keyArgs(opXDel, 0)},
			{"xtrim", -4, streamParser(opXTrim, checkXTrim)},
			{"xread", -4, parseXRead},
			{"xgroup", -2, parseXGroup},
			{"xreadgroup", -7, parseXRead},
			{"xack", -4, keyArgs(opXAck, 0)},
			{"xpending", -3, streamParser(opXPending, checkXPending)},
			{"xclaim", -6, streamParser(opXClaim, checkXClaim)},
			{"xautoclaim", -6, streamParser(opXAutoClaim, checkXAutoClaim)},
			{"xinfo", -2, parseXInfo},
			{"xsetid", -3, streamParser(opXSetID, checkXSetID)},
		},
		ops: []opDef{
			{op: opXAdd, opShape: opShape{name: "xadd", write: true, minArgs: 4, maxArgs: -1},
				valid: valid(checkXAdd), apply: (*writer).xadd, keys: key0},
			{op: opXLen, opShape: opShape{name: "xlen", minArgs: 1, maxArgs: 1}, read: (*keyspace).xlen},
			{op: opXRange, opShape: opShape{name: "xrange", minArgs: 3, maxArgs: -1},
				valid: func(c Command) bool { _, err := parseXRangeArgs(c.args, c.flags&flagXRev != 0); return err == nil },
				read:  (*keyspace).xrange, keys: key0},
			{op: opXDel, opShape: opShape{name: "xdel", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).xdel, keys: key0},
			{op: opXTrim, opShape: opShape{name: "xtrim", write: true, minArgs: 3, maxArgs: -1},
				valid: valid(checkXTrim), apply: (*writer).xtrim, keys: key0},
			{op: opXRead, opShape: opShape{name: "xread", minArgs: 3, maxArgs: -1},
				valid: validXRead(false), read: (*keyspace).xread, keys: xreadKeys},
			{op: opXReadBlock, opShape: opShape{name: "xread", write: true, minArgs: 3, maxArgs: -1},
				valid: validXRead(false), serve: (*writer).serveXRead, resolve: (*writer).resolveXRead,
				timeoutReply: Reply{Kind: KindNilArray}, keys: xreadKeys, blockKeys: xreadKeys},
			{op: opXGroup, opShape: opShape{name: "xgroup", write: true, minArgs: 3, maxArgs: -1},
				valid: valid(checkXGroup), apply: (*writer).xgroup, keys: key1},
			{op: opXReadGroup, opShape: opShape{name: "xreadgroup", write: true, minArgs: 6, maxArgs: -1},
				valid: validXRead(true), apply: (*writer).xreadGroup, keys: xreadKeys},
			{op: opXReadGroupBlock, opShape: opShape{name: "xreadgroup", write: true, minArgs: 6, maxArgs: -1},
				valid: validXRead(true), serve: (*writer).serveXRead, resolve: (*writer).resolveXRead,
				timeoutReply: Reply{Kind: KindNilArray}, keys: xreadKeys, blockKeys: xreadKeys},
			{op: opXAck, opShape: opShape{name: "xack", write: true, minArgs: 3, maxArgs: -1},
				apply: (*writer).xack, keys: key0},
			{op: opXPending, opShape: opShape{name: "xpending", minArgs: 2, maxArgs: -1},
				valid: valid(checkXPending), read: (*keyspace).xpending, keys: key0},
			{op: opXClaim, opShape: opShape{name: "xclaim", write: true, minArgs: 5, maxArgs: -1},
				apply: (*writer).xclaim, keys: key0},
			{op: opXAutoClaim, opShape: opShape{name: "xautoclaim", write: true, minArgs: 5, maxArgs: -1},
				valid: valid(checkXAutoClaim), apply: (*writer).xautoclaim, keys: key0},
			{op: opXInfo, opShape: opShape{name: "xinfo", minArgs: 2, maxArgs: -1},
				valid: valid(checkXInfo), read: (*keyspace).xinfo, keys: key1},
			{op: opXSetID, opShape: opShape{name: "xsetid", write: true, minArgs: 2, maxArgs: -1},
				valid: valid(checkXSetID), apply: (*writer).xsetid, keys: key0},
			{op: opXHelp, opShape: opShape{name: "xhelp", minArgs: 1, maxArgs: 1},
				valid: func(c Command) bool { _, ok := streamHelpLines[string(c.args[0])]; return ok },
				read:  func(_ *keyspace, c Command, _ int64) Reply { return streamHelp(c.args[0]) }, keys: noKeys},
		},
		codecs: map[valueType]collectionCodec{typeStream: decodeStream},
		// Listed so that COMMAND shows them in a fixed order (Redis's own
		// changes with every redis-server process).
		subcommands: map[string][]string{
			"xgroup": {"create", "setid", "destroy", "createconsumer", "delconsumer", "help"},
			"xinfo":  {"stream", "groups", "consumers", "help"},
		},
	}
}

// streamParser parses a command whose pre-lookup checks are check(argv[1:]).
func streamParser(op opcode, check func(args [][]byte) error) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		if err := check(argv[1:]); err != nil {
			return Command{}, err
		}
		return Command{op: op, args: argv[1:]}, nil
	}
}

func parseXRange(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		if _, err := parseXRangeArgs(argv[1:], flags&flagXRev != 0); err != nil {
			return Command{}, err
		}
		return Command{op: opXRange, flags: flags, args: argv[1:]}, nil
	}
}
