package fsm

import (
	"math"
	"math/big"

	"github.com/raftcache/raftcache/fsm/set"
	"github.com/raftcache/raftcache/fsm/zset"
)

// The sorted-set commands. Their value is a *zset.ZSet (zsetValue is its
// collection adapter); this file has the table, the opcodes and the
// parsers, which check everything Redis 7.0 checks before it looks the key
// up, in Redis's order (see t_zset.c). Errors Redis reports only after the
// key's type are carried to Apply or Read (opZError).

const (
	opZAdd           opcode = 256 // flags: zaddFlags; args: key, score, member, ...
	opZRem           opcode = 257
	opZCard          opcode = 258
	opZScore         opcode = 259
	opZMScore        opcode = 260
	opZRank          opcode = 261 // flags: zrRev
	opZCount         opcode = 262 // args: key, min, max
	opZLexCount      opcode = 263
	opZRange         opcode = 264 // see parseZRange
	opZRangeStore    opcode = 265
	opZRemRangeRank  opcode = 266 // ints: start, stop
	opZRemRangeScore opcode = 267 // args: key, min, max
	opZRemRangeLex   opcode = 268
	opZPop           opcode = 269 // flags: zpMax, zpCount, zpMPop; ints[0]: count; args: keys
	opZRandMember    opcode = 270 // flags: zrandCount, zrWithScores; ints[0]: count
	opZSetOp         opcode = 271 // see parseZSetOp
	opZSetOpStore    opcode = 272
	opZInterCard     opcode = 273 // ints[0]: limit; args: keys
	opZScan          opcode = 274 // as opHScan
	opZError         opcode = 275 // args: the error, then keys that must be sorted sets or sets
	opBZPop          opcode = 276 // flags: zpMax; args: keys
	opBZMPop         opcode = 277 // flags: zpMax; ints[0]: count; args: keys
)

// ZADD's flags: zset.Flags in the low bits, then CH.
const (
	zaddCH    uint16 = 1 << 5
	zaddFlags uint16 = uint16(zset.NX | zset.XX | zset.GT | zset.LT | zset.Incr)
)

// ZRANGE's flags (opZRange, opZRangeStore).
const (
	zrByScore uint16 = 1 << iota
	zrByLex
	zrRev
	zrWithScores
)

// Pop flags (opZPop, opBZPop, opBZMPop).
const (
	zpMax   uint16 = 1 << iota // from the high end
	zpCount                    // a COUNT was given (ZPOPMIN's reply shape)
	zpMPop                     // ZMPOP: key and nested pairs; null array when empty
)

const zrandCount uint16 = 1 << 0 // ZRANDMEMBER got a count

// Set operation flags (opZSetOp, opZSetOpStore): the operation in the low
// two bits.
const (
	zopUnion uint16 = iota
	zopInter
	zopDiff
	zopMask      uint16 = 3
	zopWeights   uint16 = 1 << 2 // args end with a weight per key
	zopWithScore uint16 = 1 << 3
)

const (
	errZAddNXXX        redisError = "ERR XX and NX options at the same time are not compatible"
	errZAddGTLTNX      redisError = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZAddIncrPair    redisError = "ERR INCR option supports a single increment-element pair"
	errZRangeLimit     redisError = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZRangeLexScores redisError = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZRandRange      redisError = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errZRandScores     redisError = "ERR value is out of range"
	errZWeight         redisError = "ERR weight value is not a float"
	errZLimitNegative  redisError = "ERR LIMIT can't be negative"
	errZCount          redisError = "ERR count should be greater than 0"
	errZTimeoutFloat   redisError = "ERR timeout is not a float or out of range"
	errZTimeoutNeg     redisError = "ERR timeout is negative"
)

// zsetValue is a sorted set as a collection.
type zsetValue struct{ *zset.ZSet }

func (z zsetValue) Clone() collection { return zsetValue{z.ZSet.Clone()} }

func decodeZSet(b []byte) (collection, error) {
	z, err := zset.Decode(b)
	if err != nil {
		return nil, err
	}
	return zsetValue{z}, nil
}

func zsetTable() table {
	key1 := firstArg
	return table{
		codecs: map[valueType]collectionCodec{typeZSet: decodeZSet},
		commands: []parser{
			{"zadd", -4, parseZAdd},
			{"zincrby", 4, parseZIncrBy},
			{"zrem", -3, keyArgs(opZRem, 0)},
			{"zcard", 2, keyArgs(opZCard, 0)},
			{"zscore", 3, keyArgs(opZScore, 0)},
			{"zmscore", -3, keyArgs(opZMScore, 0)},
			{"zrank", 3, keyArgs(opZRank, 0)},
			{"zrevrank", 3, keyArgs(opZRank, zrRev)},
			{"zcount", 4, parseZCount(opZCount, false)},
			{"zlexcount", 4, parseZCount(opZLexCount, true)},
			{"zrange", -4, parseZRangeCmd(false, zrAuto, false)},
			{"zrangestore", -5, parseZRangeCmd(true, zrAuto, false)},
			{"zrevrange", -4, parseZRangeCmd(false, zrRank, true)},
			{"zrangebyscore", -4, parseZRangeCmd(false, zrScore, false)},
			{"zrevrangebyscore", -4, parseZRangeCmd(false, zrScore, true)},
			{"zrangebylex", -4, parseZRangeCmd(false, zrLex, false)},
			{"zrevrangebylex", -4, parseZRangeCmd(false, zrLex, true)},
			{"zremrangebyrank", 4, parseZRemRangeByRank},
			{"zremrangebyscore", 4, parseZCount(opZRemRangeScore, false)},
			{"zremrangebylex", 4, parseZCount(opZRemRangeLex, true)},
			{"zpopmin", -2, parseZPop(0)},
			{"zpopmax", -2, parseZPop(zpMax)},
			{"zmpop", -4, parseZMPop},
			{"zrandmember", -2, parseZRandMember},
			{"zunion", -3, parseZSetOp(zopUnion, false)},
			{"zunionstore", -4, parseZSetOp(zopUnion, true)},
			{"zinter", -3, parseZSetOp(zopInter, false)},
			{"zinterstore", -4, parseZSetOp(zopInter, true)},
			{"zintercard", -3, parseZInterCard},
			{"zdiff", -3, parseZSetOp(zopDiff, false)},
			{"zdiffstore", -4, parseZSetOp(zopDiff, true)},
			{"zscan", -3, parseZScan},
			{"bzpopmin", -3, parseBZPop(0)},
			{"bzpopmax", -3, parseBZPop(zpMax)},
			{"bzmpop", -5, parseBZMPop},
		},
		ops: []opDef{
			{op: opZAdd, opShape: opShape{name: "zadd", write: true, minArgs: 3, maxArgs: -1, oddArgs: true},
				valid: validZAdd, apply: (*writer).zadd, keys: key1},
			{op: opZRem, opShape: opShape{name: "zrem", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).zrem, keys: key1},
			{op: opZCard, opShape: opShape{name: "zcard", minArgs: 1, maxArgs: 1}, read: (*keyspace).zcard},
			{op: opZScore, opShape: opShape{name: "zscore", minArgs: 2, maxArgs: 2},
				read: (*keyspace).zscore, keys: key1},
			{op: opZMScore, opShape: opShape{name: "zmscore", minArgs: 2, maxArgs: -1},
				read: (*keyspace).zmscore, keys: key1},
			{op: opZRank, opShape: opShape{name: "zrank", minArgs: 2, maxArgs: 2},
				read: (*keyspace).zrank, keys: key1},
			{op: opZCount, opShape: opShape{name: "zcount", minArgs: 3, maxArgs: 3},
				read: (*keyspace).zcount, keys: key1},
			{op: opZLexCount, opShape: opShape{name: "zlexcount", minArgs: 3, maxArgs: 3},
				read: (*keyspace).zcount, keys: key1},
			{op: opZRange, opShape: opShape{name: "zrange", minArgs: 3, maxArgs: 3, ints: 4},
				read: (*keyspace).zrange, keys: key1},
			{op: opZRangeStore, opShape: opShape{name: "zrangestore", write: true, minArgs: 4, maxArgs: 4, ints: 4},
				apply: (*writer).zrangeStore, keys: func(c Command) [][]byte { return c.args[:2] }},
			{op: opZRemRangeRank, opShape: opShape{name: "zremrangebyrank", write: true, minArgs: 1, maxArgs: 1, ints: 2},
				apply: (*writer).zremRange},
			{op: opZRemRangeScore, opShape: opShape{name: "zremrangebyscore", write: true, minArgs: 3, maxArgs: 3},
				apply: (*writer).zremRange, keys: key1},
			{op: opZRemRangeLex, opShape: opShape{name: "zremrangebylex", write: true, minArgs: 3, maxArgs: 3},
				apply: (*writer).zremRange, keys: key1},
			{op: opZPop, opShape: opShape{name: "zpop", write: true, minArgs: 1, maxArgs: -1, ints: 1},
				valid: func(c Command) bool { return c.ints[0] >= 0 }, apply: (*writer).zpop},
			{op: opZRandMember, opShape: opShape{name: "zrandmember", minArgs: 1, maxArgs: 1, ints: 1},
				read: (*keyspace).zrandmember},
			{op: opZSetOp, opShape: opShape{name: "zsetop", minArgs: 1, maxArgs: -1, ints: 2},
				valid: validZSetOp(0), read: (*keyspace).zsetOp, keys: zsetOpKeys(0)},
			{op: opZSetOpStore, opShape: opShape{name: "zsetopstore", write: true, minArgs: 2, maxArgs: -1, ints: 2},
				valid: validZSetOp(1), apply: (*writer).zsetOpStore, keys: zsetOpKeys(1)},
			{op: opZInterCard, opShape: opShape{name: "zintercard", minArgs: 1, maxArgs: -1, ints: 1},
				read: (*keyspace).zinterCard},
			{op: opZScan, opShape: opShape{name: "zscan", minArgs: 1, maxArgs: 2, ints: 2},
				valid: func(c Command) bool { return len(c.args) == 1+boolInt(c.flags&flagScanMatch != 0) },
				read:  (*keyspace).zscan, keys: key1},
			{op: opZError, opShape: opShape{name: "zerror", minArgs: 1, maxArgs: -1},
				read: (*keyspace).zerror, keys: func(c Command) [][]byte { return c.args[1:] }},
			{op: opBZPop, opShape: opShape{name: "bzpop", write: true, minArgs: 1, maxArgs: -1},
				serve: (*writer).bzpop, timeoutReply: Reply{Kind: KindNilArray}, unserve: (*writer).unserveZPop},
			{op: opBZMPop, opShape: opShape{name: "bzmpop", write: true, minArgs: 1, maxArgs: -1, ints: 1},
				valid: func(c Command) bool { return c.ints[0] > 0 },
				serve: (*writer).bzpop, timeoutReply: Reply{Kind: KindNilArray}, unserve: (*writer).unserveZPop},
		},
	}
}

func firstArg(c Command) [][]byte { return c.args[:1] }

// zsetLimits are the encoding thresholds of a write: zset-max-listpack-entries
// and -value as CONFIG SET left them.
func (s *Store) zsetLimits() zset.Limits {
	return zset.Limits{MaxListpackEntries: s.cfg.ZSetMaxListpackEntries, MaxListpackValue: s.cfg.ZSetMaxListpackValue}
}

func validZAdd(c Command) bool {
	f := zset.Flags(c.flags & zaddFlags)
	return !(f&zset.NX != 0 && f&(zset.XX|zset.GT|zset.LT) != 0) && !(f&zset.GT != 0 && f&zset.LT != 0) &&
		!(f&zset.Incr != 0 && len(c.args) != 3)
}

// parseZAdd follows zaddGenericCommand: the flags up to the first word
// that is not one, then the pairs, the flag combinations, the scores.
func parseZAdd(_ string, argv [][]byte, _ int64) (Command, error) {
	var flags uint16
	i := 2
flags:
	for ; i < len(argv); i++ {
		switch a := argv[i]; {
		case EqualFold(a, "nx"):
			flags |= uint16(zset.NX)
		case EqualFold(a, "xx"):
			flags |= uint16(zset.XX)
		case EqualFold(a, "gt"):
			flags |= uint16(zset.GT)
		case EqualFold(a, "lt"):
			flags |= uint16(zset.LT)
		case EqualFold(a, "ch"):
			flags |= zaddCH
		case EqualFold(a, "incr"):
			flags |= uint16(zset.Incr)
		default:
			break flags
		}
	}
	pairs := argv[i:]
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return Command{}, errSyntax
	}
	f := zset.Flags(flags)
	switch {
	case f&zset.NX != 0 && f&zset.XX != 0:
		return Command{}, errZAddNXXX
	case (f&zset.GT != 0 && f&zset.NX != 0) || (f&zset.LT != 0 && f&zset.NX != 0) || (f&zset.GT != 0 && f&zset.LT != 0):
		return Command{}, errZAddGTLTNX
	case f&zset.Incr != 0 && len(pairs) > 2:
		return Command{}, errZAddIncrPair
	}
	for j := 0; j < len(pairs); j += 2 {
		if _, err := zset.ParseScore(pairs[j]); err != nil {
			return Command{}, redisError(zset.ErrNotFloat.Error())
		}
	}
	args := make([][]byte, 0, 1+len(pairs))
	args = append(append(args, argv[1]), pairs...)
	return Command{op: opZAdd, flags: flags, args: args}, nil
}

func parseZIncrBy(_ string, argv [][]byte, _ int64) (Command, error) {
	if _, err := zset.ParseScore(argv[2]); err != nil {
		return Command{}, redisError(zset.ErrNotFloat.Error())
	}
	return Command{op: opZAdd, flags: uint16(zset.Incr), args: argv[1:4]}, nil
}

// parseZCount parses a command of key, min, max, checking the range as a
// score range or (lex) a lex range before the key is looked up.
func parseZCount(op opcode, lex bool) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		if err := checkZRange(argv[2], argv[3], lex); err != nil {
			return Command{}, err
		}
		return Command{op: op, args: argv[1:4]}, nil
	}
}

func checkZRange(min, max []byte, lex bool) error {
	var err error
	if lex {
		_, err = zset.ParseLexRange(min, max)
	} else {
		_, err = zset.ParseScoreRange(min, max)
	}
	if err != nil {
		return redisError(err.Error())
	}
	return nil
}

func parseZRemRangeByRank(_ string, argv [][]byte, _ int64) (Command, error) {
	start, ok1 := ParseInt(argv[2])
	stop, ok2 := ParseInt(argv[3])
	if !ok1 || !ok2 {
		return Command{}, errNotInteger
	}
	return Command{op: opZRemRangeRank, ints: [4]int64{start, stop}, args: argv[1:2]}, nil
}

// The range types and directions of zrangeGenericCommand.
type zrangeType uint8

const (
	zrAuto zrangeType = iota
	zrRank
	zrScore
	zrLex
)

// parseZRangeCmd returns the parser of ZRANGE, ZRANGESTORE (store) or one
// of the older forms, which fix the range type and the direction.
func parseZRangeCmd(store bool, typ zrangeType, rev bool) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		start := 1
		if store {
			start = 2
		}
		return parseZRange(argv, start, store, typ, rev, typ == zrAuto)
	}
}

// parseZRange follows zrangeGenericCommand. The Command's args are the
// key (ZRANGESTORE: destination and source), min and max in that order
// (already swapped for a reversed score or lex range); ints are start and
// stop of a rank range, then LIMIT's offset and count (-1: none).
func parseZRange(argv [][]byte, at int, store bool, typ zrangeType, rev, auto bool) (Command, error) {
	var flags uint16
	offset, limit := int64(0), int64(-1)
	limitGiven := false
	for j := at + 3; j < len(argv); j++ {
		left := len(argv) - j - 1
		switch a := argv[j]; {
		case !store && EqualFold(a, "withscores"):
			flags |= zrWithScores
		case EqualFold(a, "limit") && left >= 2:
			var ok1, ok2 bool
			offset, ok1 = ParseInt(argv[j+1])
			if !ok1 {
				return Command{}, errNotInteger
			}
			limit, ok2 = ParseInt(argv[j+2])
			if !ok2 {
				return Command{}, errNotInteger
			}
			limitGiven = true
			j += 2
		case auto && !rev && EqualFold(a, "rev"):
			rev = true
		case typ == zrAuto && EqualFold(a, "bylex"):
			typ = zrLex
		case typ == zrAuto && EqualFold(a, "byscore"):
			typ = zrScore
		default:
			return Command{}, errSyntax
		}
	}
	if typ == zrAuto {
		typ = zrRank
	}
	// Redis tests the limit's value, not whether LIMIT was given.
	if limit != -1 && typ == zrRank {
		return Command{}, errZRangeLimit
	}
	_ = limitGiven
	if flags&zrWithScores != 0 && typ == zrLex {
		return Command{}, errZRangeLexScores
	}
	min, max := argv[at+1], argv[at+2]
	if rev && typ != zrRank {
		min, max = max, min
	}
	c := Command{op: opZRange, ints: [4]int64{0, 0, offset, limit}}
	switch typ {
	case zrRank:
		s, ok1 := ParseInt(min)
		e, ok2 := ParseInt(max)
		if !ok1 || !ok2 {
			return Command{}, errNotInteger
		}
		c.ints[0], c.ints[1] = s, e
	case zrScore:
		flags |= zrByScore
		if err := checkZRange(min, max, false); err != nil {
			return Command{}, err
		}
	case zrLex:
		flags |= zrByLex
		if err := checkZRange(min, max, true); err != nil {
			return Command{}, err
		}
	}
	if rev {
		flags |= zrRev
	}
	c.flags = flags
	if store {
		c.op = opZRangeStore
		c.args = [][]byte{argv[1], argv[2], min, max}
	} else {
		c.args = [][]byte{argv[at], min, max}
	}
	return c, nil
}

func parseZPop(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		if len(argv) > 3 {
			return Command{}, errSyntax
		}
		c := Command{op: opZPop, flags: flags, ints: [4]int64{1}, args: argv[1:2]}
		if len(argv) == 3 {
			n, err := parsePositive(argv[2], errPositive)
			if err != nil {
				return Command{}, err
			}
			c.flags |= zpCount
			c.ints[0] = n
		}
		return c, nil
	}
}

// parseZMPopArgs parses ZMPOP's and BZMPOP's arguments from numkeys on, as
// zmpopGenericCommand: it returns the keys, the direction and the count.
func parseZMPopArgs(argv [][]byte) (keys [][]byte, flags uint16, count int64, err error) {
	n, ok := ParseInt(argv[0])
	if !ok || n < 1 {
		return nil, 0, 0, errNumkeys
	}
	if n >= int64(len(argv))-1 {
		return nil, 0, 0, errSyntax
	}
	keys = argv[1 : 1+n]
	rest := argv[1+n:]
	switch {
	case EqualFold(rest[0], "min"):
	case EqualFold(rest[0], "max"):
		flags = zpMax
	default:
		return nil, 0, 0, errSyntax
	}
	count = -1
	for j := 1; j < len(rest); j++ {
		if count == -1 && EqualFold(rest[j], "count") && j+1 < len(rest) {
			j++
			v, ok := ParseInt(rest[j])
			if !ok || v < 1 {
				return nil, 0, 0, errZCount
			}
			count = v
			continue
		}
		return nil, 0, 0, errSyntax
	}
	if count == -1 {
		count = 1
	}
	return keys, flags, count, nil
}

func parseZMPop(_ string, argv [][]byte, _ int64) (Command, error) {
	keys, flags, count, err := parseZMPopArgs(argv[1:])
	if err != nil {
		return Command{}, err
	}
	return Command{op: opZPop, flags: flags | zpMPop | zpCount, ints: [4]int64{count}, args: keys}, nil
}

func parseZRandMember(_ string, argv [][]byte, _ int64) (Command, error) {
	c := Command{op: opZRandMember, args: argv[1:2]}
	if len(argv) == 2 {
		return c, nil
	}
	n, ok := ParseInt(argv[2])
	if !ok {
		return Command{}, errNotInteger
	}
	if n == -1<<63 {
		return Command{}, errZRandRange
	}
	switch {
	case len(argv) > 4 || (len(argv) == 4 && !EqualFold(argv[3], "withscores")):
		return Command{}, errSyntax
	case len(argv) == 4:
		c.flags |= zrWithScores
		const half = (1<<63 - 1) / 2
		if n < -half || n > half {
			return Command{}, errZRandScores
		}
	}
	c.flags |= zrandCount
	c.ints[0] = n
	return c, nil
}

// parseZSetOp follows zunionInterDiffGenericCommand. Its numkeys checks
// come first; its options are checked only after every key's type, so an
// error in them travels as opZError. The Command's args are the
// destination (store), the keys, then (zopWeights) one weight per key;
// ints are the aggregate and the number of keys.
func parseZSetOp(op uint16, store bool) func(string, [][]byte, int64) (Command, error) {
	return func(name string, argv [][]byte, _ int64) (Command, error) {
		at := 1
		if store {
			at = 2
		}
		n, ok := ParseInt(argv[at])
		if !ok {
			return Command{}, errNotInteger
		}
		if n < 1 {
			return Command{}, redisError("ERR at least 1 input key is needed for '" + name + "' command")
		}
		if n > int64(len(argv)-at-1) {
			return Command{}, errSyntax
		}
		keys := argv[at+1 : at+1+int(n)]
		flags, agg := op, zset.Sum
		var weights [][]byte
		err := func() error {
			for j := at + 1 + int(n); j < len(argv); {
				left := len(argv) - j
				switch a := argv[j]; {
				case op != zopDiff && left >= len(keys)+1 && EqualFold(a, "weights"):
					weights = argv[j+1 : j+1+len(keys)]
					for _, w := range weights {
						if _, err := zset.ParseScore(w); err != nil {
							return errZWeight
						}
					}
					flags |= zopWeights
					j += 1 + len(keys)
				case op != zopDiff && left >= 2 && EqualFold(a, "aggregate"):
					switch b := argv[j+1]; {
					case EqualFold(b, "sum"):
						agg = zset.Sum
					case EqualFold(b, "min"):
						agg = zset.Min
					case EqualFold(b, "max"):
						agg = zset.Max
					default:
						return errSyntax
					}
					j += 2
				case !store && EqualFold(a, "withscores"):
					flags |= zopWithScore
					j++
				default:
					return errSyntax
				}
			}
			return nil
		}()
		if err != nil {
			return zsetError(err, keys), nil
		}
		c := Command{op: opZSetOp, flags: flags, ints: [4]int64{int64(agg), n}}
		if store {
			c.op = opZSetOpStore
			c.args = append(c.args, argv[1])
		}
		c.args = append(append(c.args, keys...), weights...)
		return c, nil
	}
}

func validZSetOp(dst int) func(Command) bool {
	return func(c Command) bool {
		n := c.ints[1]
		want := int64(dst) + n
		if c.flags&zopWeights != 0 {
			want += n
		}
		return n >= 1 && int64(len(c.args)) == want && c.flags&zopMask <= zopDiff &&
			c.ints[0] >= int64(zset.Sum) && c.ints[0] <= int64(zset.Max)
	}
}

func zsetOpKeys(dst int) func(Command) [][]byte {
	return func(c Command) [][]byte { return c.args[:dst+int(c.ints[1])] }
}

func parseZInterCard(name string, argv [][]byte, _ int64) (Command, error) {
	n, ok := ParseInt(argv[1])
	if !ok {
		return Command{}, errNotInteger
	}
	if n < 1 {
		return Command{}, redisError("ERR at least 1 input key is needed for '" + name + "' command")
	}
	if n > int64(len(argv)-2) {
		return Command{}, errSyntax
	}
	keys := argv[2 : 2+n]
	limit := int64(0)
	var err error
	for j := 2 + int(n); j < len(argv) && err == nil; {
		if len(argv)-j >= 2 && EqualFold(argv[j], "limit") {
			v, ok := ParseInt(argv[j+1])
			if !ok || v < 0 {
				err = errZLimitNegative
			}
			limit = v
			j += 2
			continue
		}
		err = errSyntax
	}
	if err != nil {
		return zsetError(err, keys), nil
	}
	return Command{op: opZInterCard, ints: [4]int64{limit}, args: keys}, nil
}

// zsetError is the read that reports err after checking that each of keys
// is absent, a sorted set or a set (WRONGTYPE otherwise), as Redis does
// for the options of the set operations.
func zsetError(err error, keys [][]byte) Command {
	args := make([][]byte, 0, 1+len(keys))
	args = append(append(args, []byte(err.Error())), keys...)
	return Command{op: opZError, args: args}
}

func parseZScan(name string, argv [][]byte, now int64) (Command, error) {
	c, err := parseScan(opHScan)(name, argv, now)
	if err != nil {
		return Command{}, err
	}
	c.op = opZScan
	return c, nil
}

// parseZTimeout parses a blocking command's timeout in seconds as Redis's
// getTimeoutFromObjectOrReply (UNIT_SECONDS): a long double times 1000,
// converted to a long long (truncated toward zero; anything out of its
// range, infinities included, becomes LLONG_MIN on x86-64, so "negative").
// The result is in ms; 0 is for ever.
func parseZTimeout(b []byte) (int64, error) {
	x, inf, ok := parseLongDouble(b)
	switch {
	case !ok:
		return 0, errZTimeoutFloat
	case inf:
		return 0, errZTimeoutNeg
	}
	ms := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven)
	ms.Mul(x, big.NewFloat(1000))
	v, acc := ms.Int64()
	if v < 0 || (v == math.MaxInt64 && acc == big.Below) || (v == math.MinInt64 && acc == big.Above) {
		return 0, errZTimeoutNeg
	}
	return v, nil
}

func parseBZPop(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		timeout, err := parseZTimeout(argv[len(argv)-1])
		if err != nil {
			return Command{}, err
		}
		return Command{op: opBZPop, flags: flags, args: argv[1 : len(argv)-1], blocking: true, timeout: timeout}, nil
	}
}

// parseBZMPop checks the timeout last, as Redis 7.0 does.
func parseBZMPop(_ string, argv [][]byte, _ int64) (Command, error) {
	keys, flags, count, err := parseZMPopArgs(argv[2:])
	if err != nil {
		return Command{}, err
	}
	timeout, err := parseZTimeout(argv[1])
	if err != nil {
		return Command{}, err
	}
	return Command{op: opBZMPop, flags: flags, ints: [4]int64{count}, args: keys, blocking: true, timeout: timeout}, nil
}

// setInput is a set read as a sorted set whose every score is 1, as
// ZUNION, ZINTER, ZDIFF and ZINTERCARD read sets.
type setInput struct{ s *set.Set }

func (in setInput) Len() int { return in.s.Len() }

func (in setInput) Range(fn func(member []byte, score float64) bool) {
	for m := range in.s.All() {
		if !fn(m, 1) {
			return
		}
	}
}

func (in setInput) Score(member []byte) (float64, bool) { return 1, in.s.Contains(member) }
