package fsm

import (
	"github.com/raftcache/raftcache/fsm/stream"
)

// The stream commands' argument parsing, in Redis 7.0's order
// (t_stream.c). Each parse takes the arguments after the command name.

const (
	errXMaxLenNegative  redisError = "ERR The MAXLEN argument must be >= 0."
	errXLimitNegative   redisError = "ERR The LIMIT argument must be >= 0."
	errXTrimBoth        redisError = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errXLimitNoStrategy redisError = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errXTrimNoStrategy  redisError = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errXTimeoutNotInt   redisError = "ERR timeout is not an integer or out of range"
	errXTimeoutNegative redisError = "ERR timeout is negative"
	errXMissingGroup    redisError = "ERR Missing GROUP option for XREADGROUP"
	errXGroupInXRead    redisError = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errXNoAckInXRead    redisError = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
)

// isWord reports whether b is exactly w (for "~", "=", "$", ">", "*").
func isWord(b []byte, w string) bool { return string(b) == w }

// xaddArgs are XADD's (or XTRIM's) parsed arguments.
type xaddArgs struct {
	noMkStream bool
	trim       stream.Trim
	id         stream.AddID
	fv         [][]byte
}

// parseAddOrTrim is streamParseAddOrTrimArgsOrReply: args[0] is the key,
// options start at args[1]. For XADD it returns the index of the ID (or
// len(args) when none was found) and whether the ID was an explicit 0-0,
// which XADD reports only after its arity check.
func parseAddOrTrim(args [][]byte, xadd bool) (a xaddArgs, idAt int, zeroID bool, err error) {
	n := len(args)
	limitGiven := false
	var limit int64
	i := 1
loop:
	for ; i < n; i++ {
		more := n - 1 - i
		opt := args[i]
		switch {
		case xadd && isWord(opt, "*"):
			a.id = stream.AddID{Auto: true}
			break loop
		case (EqualFold(opt, "maxlen") || EqualFold(opt, "minid")) && more > 0:
			if a.trim.Strategy != stream.TrimNone {
				return a, 0, false, errXTrimBoth
			}
			a.trim.Approx = false
			if next := args[i+1]; more >= 2 && isWord(next, "~") {
				a.trim.Approx = true
				i++
			} else if more >= 2 && isWord(next, "=") {
				i++
			}
			if EqualFold(opt, "maxlen") {
				v, ok := ParseInt(args[i+1])
				if !ok {
					return a, 0, false, errNotInteger
				}
				if v < 0 {
					return a, 0, false, errXMaxLenNegative
				}
				a.trim.Strategy, a.trim.MaxLen = stream.TrimMaxLen, uint64(v)
			} else {
				id, err := stream.ParseStrictID(args[i+1], 0)
				if err != nil {
					return a, 0, false, err
				}
				a.trim.Strategy, a.trim.MinID = stream.TrimMinID, id
			}
			i++
		case EqualFold(opt, "limit") && more > 0:
			v, ok := ParseInt(args[i+1])
			if !ok {
				return a, 0, false, errNotInteger
			}
			if v < 0 {
				return a, 0, false, errXLimitNegative
			}
			limit, limitGiven = v, true
			i++
		case xadd && EqualFold(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, err := stream.ParseAddID(opt)
			if err == stream.ErrIDZero {
				zeroID, err = true, nil
			}
			if err != nil {
				return a, 0, false, err
			}
			a.id = id
			break loop
		default:
			return a, 0, false, errSyntax
		}
	}
	if limit != 0 && a.trim.Strategy == stream.TrimNone {
		return a, 0, false, errXLimitNoStrategy
	}
	if !xadd && a.trim.Strategy == stream.TrimNone {
		return a, 0, false, errXTrimNoStrategy
	}
	switch {
	case limitGiven && !a.trim.Approx:
		return a, 0, false, stream.ErrLimitNeedsApprox
	case limitGiven:
		a.trim.Limit = limit
	case a.trim.Approx:
		// Redis's default, 100 nodes' worth, depends on
		// stream-node-max-entries as of the write: Apply resolves it.
		a.trim.Limit = trimLimitDefault
	}
	return a, i, zeroID, nil
}

// parseXAdd parses all of XADD's arguments, in Redis's order, up to the
// key lookup.
func parseXAdd(args [][]byte) (xaddArgs, error) {
	a, idAt, zeroID, err := parseAddOrTrim(args, true)
	if err != nil {
		return a, err
	}
	if fv := len(args) - idAt - 1; fv < 2 || fv%2 == 1 {
		return a, arityError("xadd")
	}
	if zeroID {
		return a, stream.ErrIDZero
	}
	a.fv = args[idAt+1:]
	return a, nil
}

func checkXAdd(args [][]byte) error { _, err := parseXAdd(args); return err }

func parseXTrim(args [][]byte) (stream.Trim, error) {
	a, _, _, err := parseAddOrTrim(args, false)
	return a.trim, err
}

func checkXTrim(args [][]byte) error { _, err := parseXTrim(args); return err }

// xrangeArgs are XRANGE's and XREVRANGE's parsed arguments.
type xrangeArgs struct {
	start, end stream.ID
	count      int64 // -1: no COUNT
}

// parseXRangeArgs is xrangeGenericCommand's parsing: XREVRANGE gives the
// end first, and Redis parses the start first either way.
func parseXRangeArgs(args [][]byte, rev bool) (r xrangeArgs, err error) {
	startArg, endArg := args[1], args[2]
	if rev {
		startArg, endArg = endArg, startArg
	}
	if r.start, err = stream.ParseRangeStart(startArg); err != nil {
		return r, err
	}
	if r.end, err = stream.ParseRangeEnd(endArg); err != nil {
		return r, err
	}
	r.count = -1
	for j := 3; j < len(args); j++ {
		if !EqualFold(args[j], "count") || j+1 >= len(args) {
			return r, errSyntax
		}
		v, ok := ParseInt(args[j+1])
		if !ok {
			return r, errNotInteger
		}
		r.count = max(v, 0)
		j++
	}
	return r, nil
}

// xreadArgs are XREAD's and XREADGROUP's options; keys and ids are the
// arguments after STREAMS, which the command checks one by one against
// the state (each ID after its key's type).
type xreadArgs struct {
	group, consumer []byte // XREADGROUP
	count           int64
	block           bool
	timeout         int64 // ms, with block; 0: for ever
	noack           bool
	keys, ids       [][]byte
	streamsAt       int // index in args of the first key
}

// parseXReadArgs is the option loop of xreadCommand.
func parseXReadArgs(args [][]byte, group bool) (x xreadArgs, err error) {
	streamsAt := -1
	for i := 0; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case EqualFold(o, "block") && more > 0:
			i++
			v, ok := ParseInt(args[i])
			if !ok {
				return x, errXTimeoutNotInt
			}
			if v < 0 {
				return x, errXTimeoutNegative
			}
			x.block, x.timeout = true, v
		case EqualFold(o, "count") && more > 0:
			i++
			v, ok := ParseInt(args[i])
			if !ok {
				return x, errNotInteger
			}
			x.count = max(v, 0)
		case EqualFold(o, "streams") && more > 0:
			streamsAt = i + 1
			if (len(args)-streamsAt)%2 != 0 {
				// XREADGROUP's too, in Redis 7.0.
				return x, redisError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
			}
			i = len(args)
		case EqualFold(o, "group") && more >= 2:
			if !group {
				return x, errXGroupInXRead
			}
			x.group, x.consumer = args[i+1], args[i+2]
			i += 2
		case EqualFold(o, "noack"):
			if !group {
				return x, errXNoAckInXRead
			}
			x.noack = true
		default:
			return x, errSyntax
		}
	}
	if streamsAt < 0 {
		return x, errSyntax
	}
	if group && x.group == nil {
		return x, errXMissingGroup
	}
	half := (len(args) - streamsAt) / 2
	x.keys, x.ids, x.streamsAt = args[streamsAt:streamsAt+half], args[streamsAt+half:], streamsAt
	return x, nil
}

// parseXRead parses XREAD and XREADGROUP: with BLOCK they are blocking
// commands (see blocking.go), else XREAD is a read and XREADGROUP a write.
func parseXRead(name string, argv [][]byte, _ int64) (Command, error) {
	group := name == "xreadgroup"
	x, err := parseXReadArgs(argv[1:], group)
	if err != nil {
		return Command{}, err
	}
	c := Command{op: opXRead, args: argv[1:]}
	switch {
	case group && x.block:
		c.op = opXReadGroupBlock
	case group:
		c.op = opXReadGroup
	case x.block:
		c.op = opXReadBlock
	}
	if x.block {
		c.blocking, c.timeout = true, x.timeout
	}
	return c, nil
}

func validXRead(group bool) func(Command) bool {
	return func(c Command) bool {
		if c.flags&flagXFailed != 0 {
			return len(c.args) > 0
		}
		_, err := parseXReadArgs(c.args, group)
		return err == nil
	}
}

// xreadKeys returns the stream keys of an XREAD or XREADGROUP.
func xreadKeys(c Command) [][]byte {
	args := c.args
	if c.flags&flagXFailed != 0 {
		args = args[:len(args)-1]
	}
	x, err := parseXReadArgs(args, c.op == opXReadGroup || c.op == opXReadGroupBlock)
	if err != nil {
		return nil
	}
	return x.keys
}

// subcommand is one subcommand of a container command (XGROUP, XINFO):
// Redis checks its name and arity before the command runs.
type subcommand struct {
	name  string
	arity int // including the command and subcommand names
}

var (
	xgroupSubcommands = []subcommand{{"create", -5}, {"setid", -5}, {"destroy", 4},
		{"createconsumer", 5}, {"delconsumer", 5}, {"help", 2}}
	xinfoSubcommands = []subcommand{{"stream", -3}, {"groups", 3}, {"consumers", 4}, {"help", 2}}
)

// checkSubcommand is processCommand's check of a container's subcommand
// (argv[1], which Parse's arity check guarantees).
func checkSubcommand(cmd string, subs []subcommand, argv [][]byte) (string, error) {
	for _, sc := range subs {
		if !EqualFold(argv[1], sc.name) {
			continue
		}
		if (sc.arity > 0 && len(argv) != sc.arity) || (sc.arity < 0 && len(argv) < -sc.arity) {
			return "", redisError("ERR wrong number of arguments for '" + cmd + "|" + sc.name + "' command")
		}
		return sc.name, nil
	}
	return "", redisError("ERR unknown subcommand '" + string(cString(argv[1], 128)) + "'. Try " + upper(cmd) + " HELP.")
}

// subcommandSyntaxError is addReplySubcommandSyntaxError.
func subcommandSyntaxError(cmd string, sub []byte) error {
	return redisError("ERR unknown subcommand or wrong number of arguments for '" + string(cString(sub, 128)) +
		"'. Try " + upper(cmd) + " HELP.")
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// xgroupArgs are XGROUP's options (args[0] the subcommand, args[1] the
// key, args[2] the group).
type xgroupArgs struct {
	sub         string
	mkstream    bool
	entriesRead int64
}

// parseXGroupArgs is xgroupCommand's parsing before the key lookup.
func parseXGroupArgs(args [][]byte) (x xgroupArgs, err error) {
	argv := append([][]byte{[]byte("xgroup")}, args...)
	if x.sub, err = checkSubcommand("xgroup", xgroupSubcommands, argv); err != nil {
		return x, err
	}
	x.entriesRead = stream.EntriesReadUnknown
	parseEntriesRead := func(b []byte) error {
		v, ok := ParseInt(b)
		if !ok {
			return errNotInteger
		}
		if v < 0 && v != stream.EntriesReadUnknown {
			return stream.ErrEntriesRead
		}
		x.entriesRead = v
		return nil
	}
	// CREATE's and SETID's options are parsed before the key lookup; the
	// subcommand's argument count is checked after it, at dispatch (see
	// xgroupArgcOK), as in xgroupCommand.
	if x.sub == "create" || x.sub == "setid" {
		for i := 5; i < len(argv); {
			switch {
			case x.sub == "create" && EqualFold(argv[i], "mkstream"):
				x.mkstream = true
				i++
			case EqualFold(argv[i], "entriesread") && i+1 < len(argv):
				if err := parseEntriesRead(argv[i+1]); err != nil {
					return x, err
				}
				i += 2
			default:
				return x, subcommandSyntaxError("xgroup", argv[1])
			}
		}
	}
	return x, nil
}

// xgroupArgcOK is xgroupCommand's dispatch check of CREATE's and SETID's
// argument count (argc, the command's name included).
func xgroupArgcOK(sub string, argc int) bool {
	switch sub {
	case "create":
		return argc >= 5 && argc <= 8
	case "setid":
		return argc == 5 || argc == 7
	}
	return true
}

func checkXGroup(args [][]byte) error { _, err := parseXGroupArgs(args); return err }

func parseXGroup(_ string, argv [][]byte, _ int64) (Command, error) {
	x, err := parseXGroupArgs(argv[1:])
	if err != nil {
		return Command{}, err
	}
	if x.sub == "help" {
		return Command{op: opXHelp, args: [][]byte{[]byte("xgroup")}}, nil
	}
	return Command{op: opXGroup, args: argv[1:]}, nil
}

func parseXInfo(_ string, argv [][]byte, _ int64) (Command, error) {
	sub, err := checkSubcommand("xinfo", xinfoSubcommands, argv)
	if err != nil {
		return Command{}, err
	}
	if sub == "help" {
		return Command{op: opXHelp, args: [][]byte{[]byte("xinfo")}}, nil
	}
	return Command{op: opXInfo, args: argv[1:]}, nil
}

func checkXInfo(args [][]byte) error {
	_, err := checkSubcommand("xinfo", xinfoSubcommands, append([][]byte{[]byte("xinfo")}, args...))
	return err
}

// xpendingArgs are XPENDING's arguments (args[0] the key, args[1] the
// group).
type xpendingArgs struct {
	summary    bool
	start, end stream.ID
	count      int64
	minIdle    int64
	consumer   []byte // nil: every consumer
}

// parseXPendingArgs is xpendingCommand's parsing, which comes before the
// key lookup.
func parseXPendingArgs(args [][]byte) (x xpendingArgs, err error) {
	argc := len(args) + 1
	x.summary = argc == 3
	if argc != 3 && (argc < 6 || argc > 9) {
		return x, errSyntax
	}
	if argc < 6 {
		return x, nil
	}
	at := 2 // the start, in args, without IDLE
	if EqualFold(args[2], "idle") {
		v, ok := ParseInt(args[3])
		if !ok {
			return x, errNotInteger
		}
		x.minIdle = v
		if argc < 8 {
			return x, errSyntax
		}
		at += 2
	}
	v, ok := ParseInt(args[at+2])
	if !ok {
		return x, errNotInteger
	}
	x.count = max(v, 0)
	if x.start, err = stream.ParseRangeStart(args[at]); err != nil {
		return x, err
	}
	if x.end, err = stream.ParseRangeEnd(args[at+1]); err != nil {
		return x, err
	}
	if at+3 < len(args) {
		x.consumer = args[at+3]
	}
	return x, nil
}

func checkXPending(args [][]byte) error { _, err := parseXPendingArgs(args); return err }

// xautoclaimArgs are XAUTOCLAIM's arguments (args[0] the key, args[1] the
// group, args[2] the consumer).
type xautoclaimArgs struct {
	minIdle int64
	start   stream.ID
	count   int64
	justID  bool
}

const xautoclaimMaxCount = (1<<63 - 1) / 10 // LONG_MAX / attempts_factor

// parseXAutoClaimArgs is xautoclaimCommand's parsing before the lookup.
func parseXAutoClaimArgs(args [][]byte) (x xautoclaimArgs, err error) {
	v, ok := ParseInt(args[3])
	if !ok {
		return x, redisError("ERR Invalid min-idle-time argument for XAUTOCLAIM")
	}
	x.minIdle = max(v, 0)
	if x.start, err = stream.ParseRangeStart(args[4]); err != nil {
		return x, err
	}
	x.count = 100
	for j := 5; j < len(args); j++ {
		switch {
		case EqualFold(args[j], "count") && j+1 < len(args):
			v, ok := ParseInt(args[j+1])
			if !ok || v < 1 || v > xautoclaimMaxCount {
				return x, redisError("ERR COUNT must be > 0")
			}
			x.count = v
			j++
		case EqualFold(args[j], "justid"):
			x.justID = true
		default:
			return x, errSyntax
		}
	}
	return x, nil
}

func checkXAutoClaim(args [][]byte) error { _, err := parseXAutoClaimArgs(args); return err }

// xsetidArgs are XSETID's arguments.
type xsetidArgs struct {
	id           stream.ID
	entriesAdded int64 // -1: not given
	maxDeleted   stream.ID
}

// parseXSetIDArgs is xsetidCommand's parsing before the lookup.
func parseXSetIDArgs(args [][]byte) (x xsetidArgs, err error) {
	if x.id, err = stream.ParseStrictID(args[1], 0); err != nil {
		return x, err
	}
	x.entriesAdded = -1
	for i := 2; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case EqualFold(args[i], "entriesadded") && more > 0:
			v, ok := ParseInt(args[i+1])
			if !ok {
				return x, errNotInteger
			}
			if v < 0 {
				return x, stream.ErrEntriesAddedNegative
			}
			x.entriesAdded = v
		case EqualFold(args[i], "maxdeletedid") && more > 0:
			if x.maxDeleted, err = stream.ParseStrictID(args[i+1], 0); err != nil {
				return x, err
			}
			if err := stream.CheckSetIDArgs(x.id, x.maxDeleted); err != nil {
				return x, err
			}
		default:
			return x, errSyntax
		}
	}
	return x, nil
}

func checkXSetID(args [][]byte) error { _, err := parseXSetIDArgs(args); return err }

// checkXClaim: XCLAIM looks its key up before it parses anything.
func checkXClaim([][]byte) error { return nil }
