package fsm

import (
	"bytes"
	"math"
)

// redisError is an error whose text is exactly the Redis error line without
// the leading '-', so callers can write it to the client unchanged.
type redisError string

func (e redisError) Error() string { return string(e) }

const (
	errSyntax           redisError = "ERR syntax error"
	errNotInteger       redisError = "ERR value is not an integer or out of range"
	errNotFloat         redisError = "ERR value is not a valid float"
	errOverflow         redisError = "ERR increment or decrement would overflow"
	errDecrOverflow     redisError = "ERR decrement would overflow"
	errFloatOverflow    redisError = "ERR increment would produce NaN or Infinity"
	errOffsetRange      redisError = "ERR offset is out of range"
	errStringTooLong    redisError = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errWrongType        redisError = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNoSuchKey        redisError = "ERR no such key"
	errSameObject       redisError = "ERR source and destination objects are the same"
	errDBIndex          redisError = "ERR DB index is out of range"
	errExpireNXCompat   redisError = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errExpireGTLTCompat redisError = "ERR GT and LT options at the same time are not compatible"
)

func arityError(name string) error {
	return redisError("ERR wrong number of arguments for '" + name + "' command")
}

func invalidExpireError(name string) error {
	return redisError("ERR invalid expire time in '" + name + "' command")
}

// parser turns the argv of one Redis command into a Command. arity follows
// Redis: the exact argc including the name, or -n for at least n.
type parser struct {
	name  string
	arity int
	parse func(name string, argv [][]byte, now int64) (Command, error)
}

// legacyCommands are the string, hash and key commands, served by the
// opcodes of command.go, in the order COMMAND lists them.
var legacyCommands = []parser{
	{"get", 2, keyArgs(opGet, 0)},
	{"set", -3, parseSet},
	{"setnx", 3, keyArgs(opSetNX, 0)},
	{"setex", 4, parseSetEx(optEX)},
	{"psetex", 4, parseSetEx(optPX)},
	{"getset", 3, keyArgs(opSet, flagGet)},
	{"getdel", 2, keyArgs(opGetDel, 0)},
	{"getex", -2, parseGetEx},
	{"del", -2, keyArgs(opDel, 0)},
	{"unlink", -2, keyArgs(opDel, 0)},
	{"exists", -2, keyArgs(opExists, 0)},
	{"mget", -2, keyArgs(opMGet, 0)},
	{"mset", -3, parsePairs(opMSet)},
	{"msetnx", -3, parsePairs(opMSetNX)},
	{"incr", 2, fixedDelta(1)},
	{"decr", 2, fixedDelta(-1)},
	{"incrby", 3, parseIncrBy},
	{"decrby", 3, parseDecrBy},
	{"incrbyfloat", 3, parseIncrByFloat},
	{"append", 3, keyArgs(opAppend, 0)},
	{"strlen", 2, keyArgs(opStrlen, 0)},
	{"getrange", 4, parseGetRange},
	{"substr", 4, parseGetRange},
	{"setrange", 4, parseSetRange},
	{"dbsize", 1, keyArgs(opDBSize, 0)},
	{"flushall", -1, parseFlush(flagAllDBs)},
	{"flushdb", -1, parseFlush(0)},
	{"type", 2, keyArgs(opType, 0)},
	{"ttl", 2, keyArgs(opTTL, 0)},
	{"pttl", 2, keyArgs(opTTL, flagMillis)},
	{"expiretime", 2, keyArgs(opExpireTime, 0)},
	{"pexpiretime", 2, keyArgs(opExpireTime, flagMillis)},
	{"expire", -3, parseExpire(true, true)},
	{"pexpire", -3, parseExpire(false, true)},
	{"expireat", -3, parseExpire(true, false)},
	{"pexpireat", -3, parseExpire(false, false)},
	{"persist", 2, keyArgs(opPersist, 0)},
	{"touch", -2, keyArgs(opTouch, 0)},
	{"rename", 3, keyArgs(opRename, 0)},
	{"renamenx", 3, keyArgs(opRename, flagNX)},
	{"copy", -3, parseCopy},

	{"hset", -4, parseHSet},
	{"hmset", -4, parseHSet},
	{"hsetnx", 4, keyArgs(opHSetNX, 0)},
	{"hget", 3, keyArgs(opHGet, 0)},
	{"hmget", -3, keyArgs(opHMGet, 0)},
	{"hgetall", 2, keyArgs(opHGetAll, 0)},
	{"hdel", -3, keyArgs(opHDel, 0)},
	{"hexists", 3, keyArgs(opHExists, 0)},
	{"hlen", 2, keyArgs(opHLen, 0)},
	{"hstrlen", 3, keyArgs(opHStrlen, 0)},
	{"hincrby", 4, parseHIncrBy},
	{"hincrbyfloat", 4, parseHIncrByFloat},
	{"hkeys", 2, keyArgs(opHKeys, 0)},
	{"hvals", 2, keyArgs(opHVals, 0)},
	{"hscan", -3, parseScan(opHScan)},
	{"keys", 2, keyArgs(opKeys, 0)},
	{"scan", -2, parseScan(opScan)},
	{"randomkey", 1, keyArgs(opRandomKey, 0)},
}

// maxCommandNameLen bounds the name Parse lower-cases on the stack; init
// checks that no command is longer.
const maxCommandNameLen = 24

// Parse turns a client's argv into a Command. argv[0] is the command name in
// any case. ok is false if fsm does not know the command (the caller handles
// it). err, when not nil, is the exact Redis error line without the leading
// '-'. now is the proposer's wall clock in ms: relative expiries become
// absolute deadlines here and the Command carries now for Apply.
//
// The Command aliases argv; see Command.
func Parse(argv [][]byte, now int64) (cmd Command, ok bool, err error) {
	if len(argv) == 0 || len(argv[0]) > maxCommandNameLen {
		return Command{}, false, nil
	}
	var lower [maxCommandNameLen]byte
	name := lower[:len(argv[0])]
	for i, c := range argv[0] {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		name[i] = c
	}
	p, known := commandIndex[string(name)]
	if !known {
		return Command{}, false, nil
	}
	if (p.arity > 0 && len(argv) != p.arity) || (p.arity < 0 && len(argv) < -p.arity) {
		return Command{}, true, arityError(p.name)
	}
	cmd, err = p.parse(p.name, argv, now)
	if err != nil {
		return Command{}, true, err
	}
	cmd.time = now
	return cmd, true, nil
}

// keyArgs parses commands whose arguments pass through unchanged.
func keyArgs(op opcode, flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		return Command{op: op, flags: flags, args: argv[1:]}, nil
	}
}

func parsePairs(op opcode) func(string, [][]byte, int64) (Command, error) {
	return func(name string, argv [][]byte, _ int64) (Command, error) {
		if len(argv)%2 == 0 {
			return Command{}, arityError(name)
		}
		return Command{op: op, args: argv[1:]}, nil
	}
}

// expiryOption is the expiry form a SET, SETEX or GETEX argument uses.
type expiryOption uint8

const (
	noExpiry expiryOption = iota
	optEX                 // relative seconds
	optPX                 // relative milliseconds
	optEXAT               // absolute unix seconds
	optPXAT               // absolute unix milliseconds
)

func expiryOptionOf(word []byte) expiryOption {
	switch {
	case EqualFold(word, "ex"):
		return optEX
	case EqualFold(word, "px"):
		return optPX
	case EqualFold(word, "exat"):
		return optEXAT
	case EqualFold(word, "pxat"):
		return optPXAT
	}
	return noExpiry
}

// expiryDeadline converts an EX/PX/EXAT/PXAT argument into an absolute
// deadline in ms, with Redis's checks and error texts
// (getExpireMillisecondsOrReply).
func expiryDeadline(name string, arg []byte, kind expiryOption, now int64) (int64, error) {
	ms, ok := ParseInt(arg)
	if !ok {
		return 0, errNotInteger
	}
	seconds := kind == optEX || kind == optEXAT
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, invalidExpireError(name)
	}
	if seconds {
		ms *= 1000
	}
	if kind == optEX || kind == optPX {
		// Redis lets the sum wrap negative and then rejects it.
		if now > 0 && ms > math.MaxInt64-now {
			return 0, invalidExpireError(name)
		}
		ms += now
	}
	if ms <= 0 {
		return 0, invalidExpireError(name)
	}
	return ms, nil
}

// parseStringOptions parses the options of SET (forSet) or GETEX, following
// Redis's parseExtendedStringArgumentsOrReply: which options may combine,
// and that a repeated expiry of the same kind replaces the earlier one.
func parseStringOptions(name string, opts [][]byte, now int64, forSet bool) (flags uint16, deadline int64, err error) {
	kind := noExpiry
	var expireArg []byte
	for j := 0; j < len(opts); j++ {
		opt := opts[j]
		switch {
		case forSet && EqualFold(opt, "nx") && flags&flagXX == 0:
			flags |= flagNX
			continue
		case forSet && EqualFold(opt, "xx") && flags&flagNX == 0:
			flags |= flagXX
			continue
		case forSet && EqualFold(opt, "get"):
			flags |= flagGet
			continue
		case forSet && EqualFold(opt, "keepttl") && kind == noExpiry:
			flags |= flagKeepTTL
			continue
		case !forSet && EqualFold(opt, "persist") && kind == noExpiry:
			flags |= flagPersist
			continue
		}
		if k := expiryOptionOf(opt); k != noExpiry && j+1 < len(opts) &&
			flags&(flagKeepTTL|flagPersist) == 0 && (kind == noExpiry || kind == k) {
			kind = k
			expireArg = opts[j+1]
			j++
			continue
		}
		return 0, 0, errSyntax
	}
	if kind == noExpiry {
		return flags, 0, nil
	}
	deadline, err = expiryDeadline(name, expireArg, kind, now)
	if err != nil {
		return 0, 0, err
	}
	return flags | flagDeadline, deadline, nil
}

func parseSet(name string, argv [][]byte, now int64) (Command, error) {
	flags, deadline, err := parseStringOptions(name, argv[3:], now, true)
	if err != nil {
		return Command{}, err
	}
	return Command{op: opSet, flags: flags, ints: [4]int64{deadline}, args: argv[1:3]}, nil
}

func parseSetEx(kind expiryOption) func(string, [][]byte, int64) (Command, error) {
	return func(name string, argv [][]byte, now int64) (Command, error) {
		deadline, err := expiryDeadline(name, argv[2], kind, now)
		if err != nil {
			return Command{}, err
		}
		return Command{op: opSet, flags: flagDeadline, ints: [4]int64{deadline},
			args: [][]byte{argv[1], argv[3]}}, nil
	}
}

func parseGetEx(name string, argv [][]byte, now int64) (Command, error) {
	flags, deadline, err := parseStringOptions(name, argv[2:], now, false)
	switch {
	case err == errSyntax:
		return Command{}, err
	case err != nil:
		// Redis looks the key up before it checks the expiry's value:
		// an absent key gets nil, a hash WRONGTYPE.
		return stringError(argv[1], err, flagMissingNil), nil
	}
	if flags == 0 {
		// Without options GETEX changes nothing, so it need not go
		// through the log.
		return Command{op: opGet, args: argv[1:2]}, nil
	}
	return Command{op: opGetEx, flags: flags, ints: [4]int64{deadline}, args: argv[1:2]}, nil
}

// stringError returns the read that answers a string command whose
// argument err rejects, for the commands where Redis reports that only
// after the key's type: nil (with flagMissingNil) or err for an absent key,
// WRONGTYPE for a key of another type, err for a string.
func stringError(key []byte, err error, flags uint16) Command {
	return Command{op: opStringError, flags: flags, args: [][]byte{key, []byte(err.Error())}}
}

func fixedDelta(delta int64) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		return Command{op: opIncrBy, ints: [4]int64{delta}, args: argv[1:2]}, nil
	}
}

func parseIncrBy(_ string, argv [][]byte, _ int64) (Command, error) {
	delta, ok := ParseInt(argv[2])
	if !ok {
		return Command{}, errNotInteger
	}
	return Command{op: opIncrBy, ints: [4]int64{delta}, args: argv[1:2]}, nil
}

func parseDecrBy(_ string, argv [][]byte, _ int64) (Command, error) {
	delta, ok := ParseInt(argv[2])
	if !ok {
		return Command{}, errNotInteger
	}
	if delta == math.MinInt64 {
		return Command{}, errDecrOverflow
	}
	return Command{op: opIncrBy, ints: [4]int64{-delta}, args: argv[1:2]}, nil
}

func parseIncrByFloat(_ string, argv [][]byte, _ int64) (Command, error) {
	if _, _, ok := parseLongDouble(argv[2]); !ok {
		// Redis checks the key's type before the increment.
		return stringError(argv[1], errNotFloat, 0), nil
	}
	return Command{op: opIncrByFloat, args: argv[1:3]}, nil
}

func parseGetRange(_ string, argv [][]byte, _ int64) (Command, error) {
	start, ok1 := ParseInt(argv[2])
	end, ok2 := ParseInt(argv[3])
	if !ok1 || !ok2 {
		return Command{}, errNotInteger
	}
	return Command{op: opGetRange, ints: [4]int64{start, end}, args: argv[1:2]}, nil
}

func parseSetRange(_ string, argv [][]byte, _ int64) (Command, error) {
	offset, ok := ParseInt(argv[2])
	if !ok {
		return Command{}, errNotInteger
	}
	if offset < 0 {
		return Command{}, errOffsetRange
	}
	// Checked here rather than in Apply so an oversized write never
	// reaches the log; an empty value skips the check, as in Redis, which
	// checks the key's type first.
	if n := int64(len(argv[3])); n > 0 && offset > maxStringLen-n {
		return stringError(argv[1], errStringTooLong, 0), nil
	}
	return Command{op: opSetRange, ints: [4]int64{offset}, args: [][]byte{argv[1], argv[3]}}, nil
}

func parseFlush(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		// ASYNC and SYNC differ only in how Redis frees memory; both
		// empty the keyspace at once.
		if len(argv) > 2 || (len(argv) == 2 && !EqualFold(argv[1], "async") && !EqualFold(argv[1], "sync")) {
			return Command{}, errSyntax
		}
		return Command{op: opFlushAll, flags: flags}, nil
	}
}

// parseExpire parses EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT, which differ in
// unit and in whether the time is relative to the proposer's clock.
func parseExpire(seconds, relative bool) func(string, [][]byte, int64) (Command, error) {
	return func(name string, argv [][]byte, now int64) (Command, error) {
		var flags uint16
		for _, opt := range argv[3:] {
			switch {
			case EqualFold(opt, "nx"):
				flags |= flagNX
			case EqualFold(opt, "xx"):
				flags |= flagXX
			case EqualFold(opt, "gt"):
				flags |= flagGT
			case EqualFold(opt, "lt"):
				flags |= flagLT
			default:
				// Redis formats the option with %s: it ends at a NUL.
				if i := bytes.IndexByte(opt, 0); i >= 0 {
					opt = opt[:i]
				}
				return Command{}, redisError("ERR Unsupported option " + string(opt))
			}
		}
		if flags&flagNX != 0 && flags&(flagXX|flagGT|flagLT) != 0 {
			return Command{}, errExpireNXCompat
		}
		if flags&flagGT != 0 && flags&flagLT != 0 {
			return Command{}, errExpireGTLTCompat
		}
		when, ok := ParseInt(argv[2])
		if !ok {
			return Command{}, errNotInteger
		}
		if seconds {
			if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
				return Command{}, invalidExpireError(name)
			}
			when *= 1000
		}
		if relative {
			if (now > 0 && when > math.MaxInt64-now) || (now < 0 && when < math.MinInt64-now) {
				return Command{}, invalidExpireError(name)
			}
			when += now
		}
		return Command{op: opExpire, flags: flags, ints: [4]int64{when}, args: argv[1:2]}, nil
	}
}

func parseCopy(_ string, argv [][]byte, _ int64) (Command, error) {
	var flags uint16
	db := int64(-1)
	for j := 3; j < len(argv); j++ {
		switch {
		case EqualFold(argv[j], "replace"):
			flags |= flagReplace
		case EqualFold(argv[j], "db") && j+1 < len(argv):
			n, err := parseDBIndex(argv[j+1])
			if err != nil {
				return Command{}, err
			}
			if n < 0 || n >= NumDBs {
				return Command{}, errDBIndex
			}
			db = n
			j++
		default:
			return Command{}, errSyntax
		}
	}
	if db >= 0 {
		// Whether the source and destination are the same object
		// depends on the command's database: Apply decides.
		return Command{op: opCopyDB, flags: flags, ints: [4]int64{db}, args: argv[1:3]}, nil
	}
	if string(argv[1]) == string(argv[2]) {
		return Command{}, errSameObject
	}
	return Command{op: opCopy, flags: flags, args: argv[1:3]}, nil
}
