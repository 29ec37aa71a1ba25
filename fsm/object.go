package fsm

// OBJECT: what Redis 7.0 says of a key's value. ENCODING follows Redis's
// encodings for the same history (see entry.raw and each type's
// Encoding); REFCOUNT is 1, or OBJ_SHARED_REFCOUNT for the small integers
// Redis shares; FREQ and IDLETIME read the key's replicated access
// statistics (see access.go) as of the reader's clock, with Redis's
// errors under the other kind of policy.

const (
	opObject     opcode = 100 // ints[0]: objectEncoding, objectRefcount, objectFreq or objectIdletime
	opObjectHelp opcode = 101
)

const (
	objectEncoding = iota + 1
	objectRefcount
	objectFreq
	objectIdletime
)

// Redis's shared integers (OBJ_SHARED_INTEGERS) and the reference count
// OBJECT REFCOUNT reports for them (OBJ_SHARED_REFCOUNT).
const (
	sharedIntegers      = 10000
	sharedRefcount      = 1<<31 - 1
	embstrSizeLimit     = 44 // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
	maxIntEncodedLength = 20
)

var objectSubcommands = []string{"encoding", "refcount", "freq", "idletime", "help"}

func objectTable() table {
	return table{
		commands: []parser{{"object", -2, parseObject}},
		subcommands: map[string][]string{
			"object": objectSubcommands,
		},
		ops: []opDef{
			{op: opObject, opShape: opShape{name: "object", minArgs: 1, maxArgs: 1, ints: 1},
				valid: func(c Command) bool { return c.ints[0] >= objectEncoding && c.ints[0] <= objectIdletime },
				read:  (*keyspace).object},
			{op: opObjectHelp, opShape: opShape{name: "object|help"}, read: objectHelp, keys: noKeys},
		},
	}
}

func parseObject(_ string, argv [][]byte, _ int64) (Command, error) {
	sub := argv[1]
	switch {
	case EqualFold(sub, "help"):
		if len(argv) != 2 {
			return Command{}, arityError("object|help")
		}
		return Command{op: opObjectHelp}, nil
	case len(argv) != 3:
		for _, name := range objectSubcommands {
			if EqualFold(sub, name) {
				return Command{}, arityError("object|" + name)
			}
		}
	}
	kind := int64(0)
	switch {
	case EqualFold(sub, "encoding"):
		kind = objectEncoding
	case EqualFold(sub, "refcount"):
		kind = objectRefcount
	case EqualFold(sub, "freq"):
		kind = objectFreq
	case EqualFold(sub, "idletime"):
		kind = objectIdletime
	default:
		return Command{}, redisError("ERR unknown subcommand '" + string(cString(sub, 128)) + "'. Try OBJECT HELP.")
	}
	return Command{op: opObject, ints: [4]int64{kind}, args: argv[2:3]}, nil
}

// cString is b as Redis's %s prints it: up to its first NUL, at most max
// bytes.
func cString(b []byte, max int) []byte {
	b = cBytes(b)
	if len(b) > max {
		b = b[:max]
	}
	return b
}

func (ks *keyspace) object(c Command, now int64) Reply {
	e, ok := ks.lookupRead(c.args[0], now)
	if !ok {
		// Counted, but no keymiss: Redis looks up with LOOKUP_NONOTIFY.
		ks.s.keyspaceMisses.Add(1)
		return Nil
	}
	ks.keyHit()
	switch c.ints[0] {
	case objectEncoding:
		return Bulk([]byte(e.encoding()))
	case objectRefcount:
		if e.typ == typeString && !e.raw && !e.noInt && !e.unshared && len(e.str) <= maxIntEncodedLength {
			if n, ok := ParseInt(e.str); ok && n >= 0 && n < sharedIntegers {
				return Int(sharedRefcount)
			}
		}
		return One
	}
	cfg := ks.s.evictCfg()
	if c.ints[0] == objectIdletime {
		if cfg.policy.LFU() {
			return Error("ERR An LFU maxmemory policy is selected, idle time not tracked. " +
				"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		}
		return Int(idleMillis(e.lru, now) / 1000)
	}
	if !cfg.policy.LFU() {
		return Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
			"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	}
	return Int(int64(lfuDecr(e.lru, now, cfg.lfuDecayTime)))
}

// encoding is what Redis 7.0's OBJECT ENCODING says of e's value.
func (e *entry) encoding() string {
	switch {
	case e.coll != nil:
		return e.coll.Encoding()
	case e.typ == typeHash && e.hash.index != nil:
		return "hashtable"
	case e.typ == typeHash:
		return "listpack"
	case e.raw:
		return "raw"
	}
	if len(e.str) <= maxIntEncodedLength && !e.noInt {
		if _, ok := ParseInt(e.str); ok {
			return "int"
		}
	}
	if len(e.str) <= embstrSizeLimit {
		return "embstr"
	}
	return "raw"
}

var objectHelpLines = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func objectHelp(*keyspace, Command, int64) Reply {
	elems := make([]Reply, len(objectHelpLines))
	for i, l := range objectHelpLines {
		elems[i] = Status(l)
	}
	return Array(elems...)
}
