package fsm

import (
	"math"

	"github.com/raftcache/raftcache/fsm/set"
)

// The set commands (SADD ... SSCAN) and their operations, opcodes 192-255.
// The value is a fsm/set.Set in a setColl; setread.go and setwrite.go run
// the operations.

const (
	opSAdd        opcode = 192 // key, members
	opSRem        opcode = 193 // key, members
	opSCard       opcode = 194 // key
	opSIsMember   opcode = 195 // key, member
	opSMIsMember  opcode = 196 // key, members
	opSRandMember opcode = 197 // key; flagSetCount: ints[0] is the count
	opSPop        opcode = 198 // key; flagSetCount: ints[0] is the count (>= 0)
	opSMove       opcode = 199 // source, destination, member
	opSInter      opcode = 200 // keys (SINTER, SMEMBERS)
	opSInterCard  opcode = 201 // keys; ints[0] the limit (0: none)
	opSInterStore opcode = 202 // destination, keys
	opSUnion      opcode = 203 // keys
	opSUnionStore opcode = 204 // destination, keys
	opSDiff       opcode = 205 // keys
	opSDiffStore  opcode = 206 // destination, keys
	opSScan       opcode = 207 // key[, pattern]; ints: cursor, count; flags as HSCAN's
)

// flagSetCount marks SRANDMEMBER and SPOP given a count, which changes the
// reply's shape (an array, not a bulk string) even for a count of 1.
const flagSetCount = flagNX

// maxRandomCount bounds SRANDMEMBER's negative count (members may repeat,
// so the reply has -count of them whatever the set's size). Redis 7.0
// tries to build any such reply and runs out of memory for a huge count;
// raftcache answers errRandomCount instead (see the README's differences).
const maxRandomCount = 1 << 20

const (
	errPositive      redisError = "ERR value is out of range, must be positive"
	errRandomRange   redisError = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errRandomCount   redisError = "ERR value is out of range"
	errNumKeys       redisError = "ERR numkeys should be greater than 0"
	errNumKeysArgs   redisError = "ERR Number of keys can't be greater than number of args"
	errLimitNegative redisError = "ERR LIMIT can't be negative"
)

func setTable() table {
	first := func(c Command) [][]byte { return c.args[:1] }
	firstTwo := func(c Command) [][]byte { return c.args[:2] }
	validCount := func(c Command) bool {
		return c.flags&flagSetCount != 0 || c.ints[0] == 0
	}
	return table{
		commands: []parser{
			{"sadd", -3, keyArgs(opSAdd, 0)},
			{"srem", -3, keyArgs(opSRem, 0)},
			{"scard", 2, keyArgs(opSCard, 0)},
			{"sismember", 3, keyArgs(opSIsMember, 0)},
			{"smismember", -3, keyArgs(opSMIsMember, 0)},
			// SMEMBERS is SINTER of one key in Redis too.
			{"smembers", 2, keyArgs(opSInter, 0)},
			{"srandmember", -2, parseSRandMember},
			{"spop", -2, parseSPop},
			{"smove", 4, keyArgs(opSMove, 0)},
			{"sinter", -2, keyArgs(opSInter, 0)},
			{"sintercard", -3, parseSInterCard},
			{"sinterstore", -3, keyArgs(opSInterStore, 0)},
			{"sunion", -2, keyArgs(opSUnion, 0)},
			{"sunionstore", -3, keyArgs(opSUnionStore, 0)},
			{"sdiff", -2, keyArgs(opSDiff, 0)},
			{"sdiffstore", -3, keyArgs(opSDiffStore, 0)},
			{"sscan", -3, parseSScan},
		},
		ops: []opDef{
			{op: opSAdd, opShape: opShape{name: "sadd", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).sadd, keys: first},
			{op: opSRem, opShape: opShape{name: "srem", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).srem, keys: first},
			{op: opSCard, opShape: opShape{name: "scard", minArgs: 1, maxArgs: 1}, read: (*keyspace).scard},
			{op: opSIsMember, opShape: opShape{name: "sismember", minArgs: 2, maxArgs: 2},
				read: (*keyspace).sismember, keys: first},
			{op: opSMIsMember, opShape: opShape{name: "smismember", minArgs: 2, maxArgs: -1},
				read: (*keyspace).smismember, keys: first},
			{op: opSRandMember, opShape: opShape{name: "srandmember", minArgs: 1, maxArgs: 1, ints: 1},
				valid: func(c Command) bool {
					return validCount(c) && c.ints[0] >= -maxRandomCount
				}, read: (*keyspace).srandmember, readInApply: (*writer).srandmemberInApply},
			{op: opSPop, opShape: opShape{name: "spop", write: true, minArgs: 1, maxArgs: 1, ints: 1},
				valid: func(c Command) bool { return validCount(c) && c.ints[0] >= 0 }, apply: (*writer).spop},
			{op: opSMove, opShape: opShape{name: "smove", write: true, minArgs: 3, maxArgs: 3},
				apply: (*writer).smove, keys: firstTwo},
			{op: opSInter, opShape: opShape{name: "sinter", minArgs: 1, maxArgs: -1}, read: (*keyspace).sinter},
			{op: opSInterCard, opShape: opShape{name: "sintercard", minArgs: 1, maxArgs: -1, ints: 1},
				valid: func(c Command) bool { return c.ints[0] >= 0 }, read: (*keyspace).sintercard},
			{op: opSInterStore, opShape: opShape{name: "sinterstore", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).sstore},
			{op: opSUnion, opShape: opShape{name: "sunion", minArgs: 1, maxArgs: -1}, read: (*keyspace).sunionDiff},
			{op: opSUnionStore, opShape: opShape{name: "sunionstore", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).sstore},
			{op: opSDiff, opShape: opShape{name: "sdiff", minArgs: 1, maxArgs: -1}, read: (*keyspace).sunionDiff},
			{op: opSDiffStore, opShape: opShape{name: "sdiffstore", write: true, minArgs: 2, maxArgs: -1},
				apply: (*writer).sstore},
			{op: opSScan, opShape: opShape{name: "sscan", minArgs: 1, maxArgs: 2, ints: 2},
				valid: func(c Command) bool {
					return len(c.args) == 1+boolInt(c.flags&flagScanMatch != 0) && c.ints[1] > 0
				}, read: (*keyspace).sscan, keys: first},
		},
		codecs: map[valueType]collectionCodec{typeSet: decodeSetColl},
	}
}

// setColl is a set as fsm keeps it: a collection.
type setColl struct{ *set.Set }

func (s setColl) Clone() collection { return setColl{s.Set.Clone()} }

func decodeSetColl(b []byte) (collection, error) {
	s, err := set.Decode(b)
	if err != nil {
		return nil, err
	}
	return setColl{s}, nil
}

// setLimits are the thresholds that decide a set's encoding:
// set-max-intset-entries as CONFIG SET left it. It is replicated (Store.cfg)
// because a limit that differed between nodes would make their encodings,
// and so their reply orders, differ.
func (s *Store) setLimits() set.Limits {
	return set.Limits{MaxIntsetEntries: s.cfg.SetMaxIntsetEntries}
}

func newSetColl(s *Store) collection { return setColl{set.New(s.setLimits())} }

// parseSRandMember parses SRANDMEMBER key [count]. The count is checked
// before the key, as Redis does.
func parseSRandMember(_ string, argv [][]byte, _ int64) (Command, error) {
	c := Command{op: opSRandMember, args: argv[1:2]}
	switch len(argv) {
	case 2:
		return c, nil
	case 3:
	default:
		return Command{}, errSyntax
	}
	n, ok := ParseInt(argv[2])
	switch {
	case !ok:
		return Command{}, errNotInteger
	case n == math.MinInt64:
		return Command{}, errRandomRange
	case n < -maxRandomCount:
		return Command{}, errRandomCount
	}
	c.flags, c.ints[0] = flagSetCount, n
	return c, nil
}

// parseSPop parses SPOP key [count]: Redis reports a count that is not a
// non-negative integer with one error, before looking at the key.
func parseSPop(_ string, argv [][]byte, _ int64) (Command, error) {
	c := Command{op: opSPop, args: argv[1:2]}
	switch len(argv) {
	case 2:
		return c, nil
	case 3:
	default:
		return Command{}, errSyntax
	}
	n, ok := ParseInt(argv[2])
	if !ok || n < 0 {
		return Command{}, errPositive
	}
	c.flags, c.ints[0] = flagSetCount, n
	return c, nil
}

// parseSInterCard parses SINTERCARD numkeys key [key ...] [LIMIT limit],
// with Redis's errors in Redis's order; a later LIMIT replaces an earlier.
func parseSInterCard(_ string, argv [][]byte, _ int64) (Command, error) {
	numKeys, ok := ParseInt(argv[1])
	if !ok || numKeys < 1 {
		return Command{}, errNumKeys
	}
	if numKeys > int64(len(argv)-2) {
		return Command{}, errNumKeysArgs
	}
	var limit int64
	for j := 2 + int(numKeys); j < len(argv); j++ {
		if !EqualFold(argv[j], "limit") || j+1 >= len(argv) {
			return Command{}, errSyntax
		}
		j++
		n, ok := ParseInt(argv[j])
		if !ok || n < 0 {
			return Command{}, errLimitNegative
		}
		limit = n
	}
	return Command{op: opSInterCard, ints: [4]int64{limit}, args: argv[2 : 2+numKeys]}, nil
}

// parseSScan parses SSCAN as HSCAN: the cursor is checked first, the
// options only once the key is known to be a set.
func parseSScan(name string, argv [][]byte, now int64) (Command, error) {
	c, err := parseScan(opHScan)(name, argv, now)
	if err != nil {
		return Command{}, err
	}
	c.op = opSScan
	return c, nil
}
