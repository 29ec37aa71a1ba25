package fsm

import (
	"github.com/raftcache/raftcache/fsm/list"
)

// The list commands: their table, their parsers and the adapter that keeps
// a fsm/list value as a collection. The writes are in listwrite.go, the
// reads in listread.go and the blocking pops in listblock.go.

// List opcodes (128-191). Part of the log format: never renumber.
const (
	opLPush    opcode = 128 // LPUSH RPUSH LPUSHX RPUSHX: args key, elements
	opLPop     opcode = 129 // LPOP RPOP: ints[0] count (with flagListCount)
	opLLen     opcode = 130
	opLRange   opcode = 131 // ints start, stop
	opLIndex   opcode = 132 // ints[0] index
	opLSet     opcode = 133 // ints[0] index; args key, element
	opLInsert  opcode = 134 // args key, pivot, element
	opLRem     opcode = 135 // ints[0] count; args key, element
	opLTrim    opcode = 136 // ints start, stop
	opLPos     opcode = 137 // ints rank, count, maxlen; args key, element
	opLMove    opcode = 138 // LMOVE RPOPLPUSH: args source, destination
	opLMPop    opcode = 139 // ints[0] count; args the keys
	opListErr  opcode = 140 // a bad argument reported after the key's type: args key, error
	opBLPop    opcode = 141 // BLPOP BRPOP: args the keys
	opBLMove   opcode = 142 // BLMOVE BRPOPLPUSH: args source, destination
	opBLMPop   opcode = 143 // ints[0] count; args the keys
	opListLast opcode = 191 // the range's end; not an operation
)

// List command flags; each list opcode reads only its own.
const (
	flagListBack      uint16 = 1 << iota // push/pop at the tail (RPUSH, RPOP, LMPOP RIGHT); LMOVE: from the tail
	flagListToBack                       // LMOVE: push at the tail
	flagListPushX                        // LPUSHX RPUSHX: only onto an existing list
	flagListCount                        // LPOP, LPOS: a COUNT was given (the reply is an array)
	flagListAfter                        // LINSERT AFTER
	flagListNoSuchKey                    // list error: an absent key gets "no such key" (LSET), not nil
)

// listValue adapts a *list.List to collection.
type listValue struct{ *list.List }

func (l listValue) Clone() collection { return listValue{l.List.Clone()} }

// newListValue makes a list with list-max-listpack-size as CONFIG SET left
// it, which the list keeps, as a Redis quicklist keeps its fill.
func newListValue(s *Store) collection { return listValue{list.New(s.listLimits())} }

func (s *Store) listLimits() list.Limits { return list.Limits{ListpackSize: s.cfg.ListMaxListpackSize} }

func decodeListValue(b []byte) (collection, error) {
	l, err := list.Decode(b)
	if err != nil {
		return nil, err
	}
	return listValue{l}, nil
}

func asList(c collection) *list.List { return c.(listValue).List }

func firstKey(c Command) [][]byte { return c.args[:1] }
func twoKeys(c Command) [][]byte  { return c.args[:2] }

func listTable() table {
	shape := func(name string, write bool, minArgs, maxArgs, ints int) opShape {
		return opShape{name: name, write: write, minArgs: minArgs, maxArgs: maxArgs, ints: ints}
	}
	return table{
		commands: []parser{
			{"lpush", -3, parsePush(0)},
			{"rpush", -3, parsePush(flagListBack)},
			{"lpushx", -3, parsePush(flagListPushX)},
			{"rpushx", -3, parsePush(flagListBack | flagListPushX)},
			{"lpop", -2, parsePop(0)},
			{"rpop", -2, parsePop(flagListBack)},
			{"llen", 2, keyArgs(opLLen, 0)},
			{"lrange", 4, parseListRange(opLRange)},
			{"lindex", 3, parseLIndex},
			{"lset", 4, parseLSet},
			{"linsert", 5, parseLInsert},
			{"lrem", 4, parseLRem},
			{"ltrim", 4, parseListRange(opLTrim)},
			{"lpos", -3, parseLPos},
			{"lmove", 5, parseLMove},
			{"rpoplpush", 3, parseRPopLPush},
			{"lmpop", -4, parseLMPop},
			{"blpop", -3, parseBLPop(0)},
			{"brpop", -3, parseBLPop(flagListBack)},
			{"blmove", 6, parseBLMove},
			{"brpoplpush", 4, parseBRPopLPush},
			{"blmpop", -5, parseBLMPop},
		},
		ops: []opDef{
			{op: opLPush, opShape: shape("lpush", true, 2, -1, 0), apply: (*writer).lpush, keys: firstKey},
			{op: opLPop, opShape: shape("lpop", true, 1, 1, 1), apply: (*writer).lpop,
				valid: func(c Command) bool { return c.ints[0] >= 0 }},
			{op: opLLen, opShape: shape("llen", false, 1, 1, 0), read: (*keyspace).llen},
			{op: opLRange, opShape: shape("lrange", false, 1, 1, 2), read: (*keyspace).lrange},
			{op: opLIndex, opShape: shape("lindex", false, 1, 1, 1), read: (*keyspace).lindex},
			{op: opLSet, opShape: shape("lset", true, 2, 2, 1), apply: (*writer).lset, keys: firstKey},
			{op: opLInsert, opShape: shape("linsert", true, 3, 3, 0), apply: (*writer).linsert, keys: firstKey},
			{op: opLRem, opShape: shape("lrem", true, 2, 2, 1), apply: (*writer).lrem, keys: firstKey},
			{op: opLTrim, opShape: shape("ltrim", true, 1, 1, 2), apply: (*writer).ltrim},
			{op: opLPos, opShape: shape("lpos", false, 2, 2, 3), read: (*keyspace).lpos, keys: firstKey,
				valid: func(c Command) bool { return c.ints[0] != 0 && c.ints[1] >= 0 && c.ints[2] >= 0 }},
			{op: opLMove, opShape: shape("lmove", true, 2, 2, 0), apply: (*writer).lmove},
			{op: opLMPop, opShape: shape("lmpop", true, 1, -1, 1), apply: (*writer).lmpop,
				valid: func(c Command) bool { return c.ints[0] >= 1 }},
			{op: opListErr, opShape: shape("listerror", false, 2, 2, 0), read: (*keyspace).listError, keys: firstKey},
			{op: opBLPop, opShape: shape("blpop", true, 1, -1, 0), serve: (*writer).serveBLPop,
				timeoutReply: Reply{Kind: KindNilArray}, unserve: (*writer).unserveListPop},
			{op: opBLMove, opShape: shape("blmove", true, 2, 2, 0), serve: (*writer).serveBLMove,
				timeoutReply: Nil, waitedReply: &Reply{Kind: KindNilArray}, blockKeys: firstKey},
			{op: opBLMPop, opShape: shape("blmpop", true, 1, -1, 1), serve: (*writer).serveBLMPop,
				timeoutReply: Reply{Kind: KindNilArray}, unserve: (*writer).unserveListPop,
				valid: func(c Command) bool { return c.ints[0] >= 1 }},
		},
		codecs: map[valueType]collectionCodec{typeList: decodeListValue},
	}
}

const (
	errIndexRange       redisError = "ERR index out of range"
	errMustBePositive   redisError = "ERR value is out of range, must be positive"
	errRankZero         redisError = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative    redisError = "ERR COUNT can't be negative"
	errMaxlenNegative   redisError = "ERR MAXLEN can't be negative"
	errNumkeys          redisError = "ERR numkeys should be greater than 0"
	errCountPositive    redisError = "ERR count should be greater than 0"
	errTimeoutNotFloat  redisError = "ERR timeout is not a float or out of range"
	errTimeoutNegative  redisError = "ERR timeout is negative"
	listPopCountDefault            = 1
)

func parsePush(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		return Command{op: opLPush, flags: flags, args: argv[1:]}, nil
	}
}

// parsePositive is getPositiveLongFromObjectOrReply: a non-negative long,
// else msg (for a non-integer too, when msg is Redis's own).
func parsePositive(b []byte, msg error) (int64, error) {
	n, ok := ParseInt(b)
	if !ok || n < 0 {
		return 0, msg
	}
	return n, nil
}

func parsePop(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(name string, argv [][]byte, _ int64) (Command, error) {
		c := Command{op: opLPop, flags: flags, ints: [4]int64{listPopCountDefault}, args: argv[1:2]}
		switch {
		case len(argv) > 3:
			return Command{}, arityError(name)
		case len(argv) == 3:
			n, err := parsePositive(argv[2], errMustBePositive)
			if err != nil {
				return Command{}, err
			}
			c.flags |= flagListCount
			c.ints[0] = n
		}
		return c, nil
	}
}

func parseListRange(op opcode) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		start, ok1 := ParseInt(argv[2])
		stop, ok2 := ParseInt(argv[3])
		if !ok1 || !ok2 {
			return Command{}, errNotInteger
		}
		return Command{op: op, ints: [4]int64{start, stop}, args: argv[1:2]}, nil
	}
}

// listError returns the read that answers a list command whose argument
// Redis rejects only after looking the key up: nil (or "no such key" with
// flagListNoSuchKey) for an absent key, WRONGTYPE, else err.
func listError(key []byte, err error, flags uint16) Command {
	return Command{op: opListErr, flags: flags, args: [][]byte{key, []byte(err.Error())}}
}

func parseLIndex(_ string, argv [][]byte, _ int64) (Command, error) {
	i, ok := ParseInt(argv[2])
	if !ok {
		return listError(argv[1], errNotInteger, 0), nil
	}
	return Command{op: opLIndex, ints: [4]int64{i}, args: argv[1:2]}, nil
}

func parseLSet(_ string, argv [][]byte, _ int64) (Command, error) {
	i, ok := ParseInt(argv[2])
	if !ok {
		return listError(argv[1], errNotInteger, flagListNoSuchKey), nil
	}
	return Command{op: opLSet, ints: [4]int64{i}, args: [][]byte{argv[1], argv[3]}}, nil
}

func parseLInsert(_ string, argv [][]byte, _ int64) (Command, error) {
	var flags uint16
	switch {
	case EqualFold(argv[2], "after"):
		flags = flagListAfter
	case EqualFold(argv[2], "before"):
	default:
		return Command{}, errSyntax
	}
	return Command{op: opLInsert, flags: flags, args: [][]byte{argv[1], argv[3], argv[4]}}, nil
}

func parseLRem(_ string, argv [][]byte, _ int64) (Command, error) {
	n, ok := ParseInt(argv[2])
	if !ok {
		return Command{}, errNotInteger
	}
	return Command{op: opLRem, ints: [4]int64{n}, args: [][]byte{argv[1], argv[3]}}, nil
}

// parseLPos parses LPOS's options in Redis's order: each option's errors
// as it comes, all before the key is looked up.
func parseLPos(_ string, argv [][]byte, _ int64) (Command, error) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch opt := argv[j]; {
		case EqualFold(opt, "rank") && more:
			j++
			n, ok := ParseInt(argv[j])
			if !ok {
				return Command{}, errNotInteger
			}
			if n == 0 {
				return Command{}, errRankZero
			}
			rank = n
		case EqualFold(opt, "count") && more:
			j++
			n, err := parsePositive(argv[j], errCountNegative)
			if err != nil {
				return Command{}, err
			}
			count = n
		case EqualFold(opt, "maxlen") && more:
			j++
			n, err := parsePositive(argv[j], errMaxlenNegative)
			if err != nil {
				return Command{}, err
			}
			maxlen = n
		default:
			return Command{}, errSyntax
		}
	}
	var flags uint16
	if count >= 0 {
		flags = flagListCount
	} else {
		count = 1
	}
	if rank == -1<<63 {
		// Redis negates the rank to search from the tail, which leaves
		// LLONG_MIN negative: every match counts from the first, and the
		// COUNT limit never trips (its arithmetic overflows).
		rank, count = -1, 0
		if flags&flagListCount == 0 {
			count = 1
		}
	}
	return Command{op: opLPos, flags: flags, ints: [4]int64{rank, count, maxlen}, args: argv[1:3]}, nil
}

// parseWhere parses LEFT or RIGHT: back is true for RIGHT.
func parseWhere(b []byte) (back bool, err error) {
	switch {
	case EqualFold(b, "left"):
		return false, nil
	case EqualFold(b, "right"):
		return true, nil
	}
	return false, errSyntax
}

// moveFlags parses LMOVE's wherefrom and whereto.
func moveFlags(from, to []byte) (uint16, error) {
	fromBack, err := parseWhere(from)
	if err != nil {
		return 0, err
	}
	toBack, err := parseWhere(to)
	if err != nil {
		return 0, err
	}
	var flags uint16
	if fromBack {
		flags |= flagListBack
	}
	if toBack {
		flags |= flagListToBack
	}
	return flags, nil
}

func parseLMove(_ string, argv [][]byte, _ int64) (Command, error) {
	flags, err := moveFlags(argv[3], argv[4])
	if err != nil {
		return Command{}, err
	}
	return Command{op: opLMove, flags: flags, args: argv[1:3]}, nil
}

func parseRPopLPush(_ string, argv [][]byte, _ int64) (Command, error) {
	return Command{op: opLMove, flags: flagListBack, args: argv[1:3]}, nil
}

// parseMPop parses LMPOP's (and BLMPOP's) numkeys, keys, LEFT|RIGHT and
// COUNT from argv[at] on, with Redis's checks in its order.
func parseMPop(op opcode, argv [][]byte, at int) (Command, error) {
	n, ok := ParseInt(argv[at])
	if !ok || n < 1 {
		return Command{}, errNumkeys
	}
	if n >= int64(len(argv)-at-1) {
		return Command{}, errSyntax // no room for LEFT|RIGHT after the keys
	}
	whereAt := at + 1 + int(n)
	back, err := parseWhere(argv[whereAt])
	if err != nil {
		return Command{}, err
	}
	count := int64(-1)
	for j := whereAt + 1; j < len(argv); j++ {
		if count == -1 && EqualFold(argv[j], "count") && j+1 < len(argv) {
			j++
			c, ok := ParseInt(argv[j])
			if !ok || c < 1 {
				return Command{}, errCountPositive
			}
			count = c
			continue
		}
		return Command{}, errSyntax
	}
	if count == -1 {
		count = 1
	}
	var flags uint16
	if back {
		flags = flagListBack
	}
	return Command{op: op, flags: flags, ints: [4]int64{count}, args: argv[at+1 : whereAt]}, nil
}

func parseLMPop(_ string, argv [][]byte, _ int64) (Command, error) {
	return parseMPop(opLMPop, argv, 1)
}
