package resp

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The random half of the differential suite: a seeded generator of data
// commands and transactions, good and bad (wrong arity, unknown options,
// bad numbers, wrong types), replayed in random pipelines on Redis and on
// raftcache, in RESP2 and then in RESP3.
//
//	RAFTCACHE_COMPAT_OPS=200000 go test -run TestCompatRandom ./resp/   # a longer run
//	RAFTCACHE_COMPAT_SEED=42 go test -run TestCompatRandom ./resp/      # replay a failure
const (
	defaultRandomOps = 4000
	envRandomOps     = "RAFTCACHE_COMPAT_OPS"
	envRandomSeed    = "RAFTCACHE_COMPAT_SEED"
)

func TestCompatRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	ops := envInt(t, envRandomOps, defaultRandomOps)
	seed := envInt(t, envRandomSeed, time.Now().UnixNano())
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	s := newSession(t, redisAddr, targets, 2)
	s.check([]string{"FLUSHALL"})

	g := newCmdGen(uint64(seed))
	var history []string // the latest commands, to show with a failure
	start := time.Now()
	batches := 0
	resp3 := false
	for done := int64(0); done < ops; {
		if !resp3 && done >= ops/2 && !s.multi {
			// The second half speaks RESP3.
			s.check([]string{"HELLO", "3"})
			resp3 = true
		}
		var batch [][]string
		for size := 1 + g.r.IntN(16); len(batch) < size && done < ops; {
			args := g.next()
			batch = append(batch, args)
			done++
			if needsFollowUp(args) {
				break
			}
		}
		batches++
		for _, args := range batch {
			line := formatArgs(args)
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			history = append(history, line)
		}
		if len(history) > 40 {
			history = history[len(history)-40:]
		}
		if ms := s.run(batch); len(ms) > 0 {
			var b strings.Builder
			for _, m := range ms {
				b.WriteString("\n  " + m.Error())
			}
			t.Fatalf("seed %d, op %d of %d: %d differences:%s\nlatest commands:\n  %s\nreplay with %s=%d %s=%d",
				seed, done, ops, len(ms), b.String(), strings.Join(history, "\n  "),
				envRandomSeed, seed, envRandomOps, ops)
		}
	}
	t.Logf("seed %d: %d random commands (half in RESP2, half in RESP3) in %d pipelines in %v", seed, ops, batches,
		time.Since(start).Round(time.Millisecond))
}

func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

// cmdGen generates random commands from a seed. Its choices avoid only
// what no comparison could settle: replies that depend on when exactly a
// key expires. So relative TTLs are long and strictly increasing with the
// command's position (see relSeconds), SET's absolute deadlines are in the
// future (Redis keeps a key SET with a past deadline until something
// looks at it, so DBSIZE would vary), and SCAN starts at cursor 0.
type cmdGen struct {
	r     *rand.Rand
	n     int  // commands generated
	multi bool // a MULTI was sent and no EXEC or DISCARD since
}

func newCmdGen(seed uint64) *cmdGen {
	return &cmdGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *cmdGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *cmdGen) chance(p float64) bool { return g.r.Float64() < p }

// key names a few keys, so that commands meet each other's data (and
// types) often. They fall in distinct created-buckets of fsm (its WATCH
// of absent keys), so no creation of one aborts a WATCH of another, as
// none would in Redis.
func (g *cmdGen) key() string {
	return g.pick("k0", "k1", "k2", "k3", "h0", "h1", "h2", "x", "b\x00\r\n", "")
}

func (g *cmdGen) keys(min, max int) []string {
	n := min + g.r.IntN(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.key()
	}
	return out
}

var longValue = strings.Repeat("v", 70) // past hash-max-listpack-value

func (g *cmdGen) value() string {
	if g.chance(0.2) {
		return strconv.Itoa(g.r.IntN(2000) - 1000)
	}
	return g.pick("", "0", "1", "-1", "10", "3.5", "-0", "01", "+1", " 1", "abc", "1e3", "0x10", "inf",
		"nan", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "\x00\xff", longValue,
		"0.1", "-2.5e-3", "1_0")
}

func (g *cmdGen) field() string {
	if g.chance(0.05) {
		return longValue
	}
	return g.pick("f0", "f1", "f2", "f3", "f4", "", "\x00")
}

// integer is a count, offset or increment: mostly valid, sometimes not.
func (g *cmdGen) integer() string {
	if g.chance(0.5) {
		return strconv.Itoa(g.r.IntN(40) - 10)
	}
	return g.pick("0", "1", "-1", "100", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "abc", "", "1.5", "01", "+1", " 1")
}

func (g *cmdGen) float() string {
	if g.chance(0.4) {
		return strconv.FormatFloat(g.r.Float64()*200-100, 'f', g.r.IntN(6), 64)
	}
	return g.pick("0", "1", "-1", "0.1", "1e3", "-1e-3", "abc", "", "inf", "-inf", "nan", "1e400",
		"0x1p3", "1_0", " 1", ".5", "5.", "1e17", "-1e-17", "123456789.123456789", "-0.0", "5e-324",
		"1.7976931348623157e308", "1e4932", "3.0000000000000000001", "0x1.8p1", "+2", "1e", "0.1e-300")
}

// relSeconds is a relative TTL that is longer, by at least a second per
// command in between, than every relative TTL generated before it: the
// deadline it gives is later than theirs on every server, however long
// the commands took, so GT and LT decide alike on Redis and raftcache.
func (g *cmdGen) relSeconds() int64 { return 1000 + int64(g.n) }

// ttl is an EX or EXPIRE argument in seconds, or PX/PEXPIRE in ms.
func (g *cmdGen) ttl(millis bool) string {
	if g.chance(0.15) {
		return g.pick("0", "-1", "abc", "", "1.5", "9223372036854775807", "-9223372036854775808")
	}
	if millis {
		return strconv.FormatInt(g.relSeconds()*1000+int64(g.r.IntN(1000)), 10)
	}
	return strconv.FormatInt(g.relSeconds(), 10)
}

// deadline is an absolute EXAT/EXPIREAT (or PXAT/PEXPIREAT) argument: in
// 2100 (after every relative deadline), or for EXPIREAT also in the past.
func (g *cmdGen) deadline(millis, past bool) string {
	var s int64
	switch {
	case past && g.chance(0.2):
		s = 1 + int64(g.r.IntN(1000))
	case g.chance(0.1):
		return g.pick("0", "-1", "abc", "9223372036854775807")
	default:
		s = 4102444800 + int64(g.r.IntN(1000))
	}
	if millis {
		return strconv.FormatInt(s*1000+int64(g.r.IntN(1000)), 10)
	}
	return strconv.FormatInt(s, 10)
}

func (g *cmdGen) pattern() string {
	return g.pick("*", "k*", "h?", "[kh]*", "*\x00*", "[^k]*", "\\", "[", "b*", "*1", "x", "f*", "?", "[a-z]*")
}

// options returns up to max options drawn from opts (each a func that
// returns the option's words), in random order, repeats allowed.
func (g *cmdGen) options(max int, opts ...func() []string) []string {
	var out []string
	for range g.r.IntN(max + 1) {
		out = append(out, opts[g.r.IntN(len(opts))]()...)
	}
	return out
}

func word(w string) func() []string { return func() []string { return []string{w} } }

func (g *cmdGen) setOptions() []string {
	return g.options(3, word("NX"), word("XX"), word("GET"), word("KEEPTTL"), word("PERSIST"), word("FOO"),
		func() []string { return []string{"EX", g.ttl(false)} },
		func() []string { return []string{"PX", g.ttl(true)} },
		func() []string { return []string{"EXAT", g.deadline(false, false)} },
		func() []string { return []string{"PXAT", g.deadline(true, false)} },
		word("EX"))
}

func (g *cmdGen) getexOptions() []string {
	return g.options(2, word("PERSIST"), word("KEEPTTL"), word("NX"),
		func() []string { return []string{"EX", g.ttl(false)} },
		func() []string { return []string{"PX", g.ttl(true)} },
		func() []string { return []string{"EXAT", g.deadline(false, true)} },
		func() []string { return []string{"PXAT", g.deadline(true, true)} },
		word("PX"))
}

func (g *cmdGen) expireOptions() []string {
	return g.options(2, word("NX"), word("XX"), word("GT"), word("LT"), word("nx"), word("FOO"))
}

func (g *cmdGen) scanOptions(hash bool) []string {
	opts := []func() []string{
		func() []string { return []string{"MATCH", g.pattern()} },
		func() []string { return []string{"COUNT", g.pick("1", "2", "3", "10", "1000", "0", "-1", "x")} },
		word("COUNT"), word("FOO"),
	}
	if !hash {
		opts = append(opts, func() []string { return []string{"TYPE", g.pick("string", "hash", "HASH", "list", "nosuch")} })
	}
	return g.options(3, opts...)
}

func (g *cmdGen) pairs(max int, first func() string) []string {
	var out []string
	for range 1 + g.r.IntN(max) {
		out = append(out, first(), g.value())
	}
	return out
}

// bigHash fills a hash past Redis's listpack limit of 512 fields, where
// both its order and raftcache's change.
func (g *cmdGen) bigHash() []string {
	out := []string{"HSET", g.pick("h0", "h1", "h2")}
	for i := range 520 {
		out = append(out, "f"+strconv.Itoa(i), strconv.Itoa(g.r.IntN(100)))
	}
	return out
}

type genFunc func(g *cmdGen) []string

// generators are weighted by how many times they appear.
var generators = []genFunc{
	func(g *cmdGen) []string { return []string{"GET", g.key()} },
	func(g *cmdGen) []string { return []string{"GET", g.key()} },
	func(g *cmdGen) []string { return append([]string{"SET", g.key(), g.value()}, g.setOptions()...) },
	func(g *cmdGen) []string { return append([]string{"SET", g.key(), g.value()}, g.setOptions()...) },
	func(g *cmdGen) []string { return []string{"SETNX", g.key(), g.value()} },
	func(g *cmdGen) []string { return []string{"SETEX", g.key(), g.ttl(false), g.value()} },
	func(g *cmdGen) []string { return []string{"PSETEX", g.key(), g.ttl(true), g.value()} },
	func(g *cmdGen) []string { return []string{"GETSET", g.key(), g.value()} },
	func(g *cmdGen) []string { return []string{"GETDEL", g.key()} },
	func(g *cmdGen) []string { return append([]string{"GETEX", g.key()}, g.getexOptions()...) },
	func(g *cmdGen) []string { return append([]string{"MGET"}, g.keys(1, 4)...) },
	func(g *cmdGen) []string { return append([]string{"MSET"}, g.pairs(3, g.key)...) },
	func(g *cmdGen) []string { return append([]string{"MSETNX"}, g.pairs(3, g.key)...) },
	func(g *cmdGen) []string { return []string{"APPEND", g.key(), g.value()} },
	func(g *cmdGen) []string { return []string{"STRLEN", g.key()} },
	func(g *cmdGen) []string {
		return []string{g.pick("GETRANGE", "SUBSTR"), g.key(), g.integer(), g.integer()}
	},
	func(g *cmdGen) []string {
		// Offsets stay small: Redis would really allocate a 512 MB string.
		off := g.pick("0", "1", "3", "10", "100", "-1", "abc", "536870912", "9223372036854775807")
		return []string{"SETRANGE", g.key(), off, g.value()}
	},
	func(g *cmdGen) []string { return []string{g.pick("INCR", "DECR"), g.key()} },
	func(g *cmdGen) []string { return []string{g.pick("INCRBY", "DECRBY"), g.key(), g.integer()} },
	func(g *cmdGen) []string { return []string{"INCRBYFLOAT", g.key(), g.float()} },

	func(g *cmdGen) []string { return append([]string{g.pick("DEL", "UNLINK")}, g.keys(1, 3)...) },
	func(g *cmdGen) []string { return append([]string{g.pick("EXISTS", "TOUCH")}, g.keys(1, 4)...) },
	func(g *cmdGen) []string { return []string{"TYPE", g.key()} },
	func(g *cmdGen) []string {
		return []string{"OBJECT", g.pick("ENCODING", "REFCOUNT", "encoding"), g.key()}
	},
	func(g *cmdGen) []string { return []string{g.pick("RENAME", "RENAMENX"), g.key(), g.key()} },
	func(g *cmdGen) []string {
		return append([]string{"COPY", g.key(), g.key()},
			g.options(2, word("REPLACE"), word("FOO"), func() []string { return []string{"DB", g.pick("0", "1", "x")} })...)
	},
	func(g *cmdGen) []string {
		return append([]string{g.pick("EXPIRE", "PEXPIRE"), g.key(), ""}, g.expireOptions()...)
	},
	func(g *cmdGen) []string {
		return append([]string{g.pick("EXPIREAT", "PEXPIREAT"), g.key(), ""}, g.expireOptions()...)
	},
	func(g *cmdGen) []string {
		return []string{g.pick("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"), g.key()}
	},
	func(g *cmdGen) []string { return []string{"KEYS", g.pattern()} },
	func(g *cmdGen) []string {
		return append([]string{"SCAN", g.pick("0", "0", "0", "x", "1.5", " 0")}, g.scanOptions(false)...)
	},
	func(g *cmdGen) []string { return []string{"RANDOMKEY"} },
	func(g *cmdGen) []string { return []string{"DBSIZE"} },

	func(g *cmdGen) []string {
		return append([]string{g.pick("HSET", "HMSET"), g.key()}, g.pairs(3, g.field)...)
	},
	func(g *cmdGen) []string {
		return append([]string{g.pick("HSET", "HMSET"), g.key()}, g.pairs(3, g.field)...)
	},
	func(g *cmdGen) []string { return []string{"HSETNX", g.key(), g.field(), g.value()} },
	func(g *cmdGen) []string { return []string{"HGET", g.key(), g.field()} },
	func(g *cmdGen) []string { return []string{"HMGET", g.key(), g.field(), g.field()} },
	func(g *cmdGen) []string { return []string{g.pick("HGETALL", "HKEYS", "HVALS", "HLEN"), g.key()} },
	func(g *cmdGen) []string { return []string{"HDEL", g.key(), g.field(), g.field()} },
	func(g *cmdGen) []string { return []string{g.pick("HEXISTS", "HSTRLEN"), g.key(), g.field()} },
	func(g *cmdGen) []string { return []string{"HINCRBY", g.key(), g.field(), g.integer()} },
	func(g *cmdGen) []string { return []string{"HINCRBYFLOAT", g.key(), g.field(), g.float()} },
	func(g *cmdGen) []string {
		return append([]string{"HSCAN", g.key(), g.pick("0", "0", "0", "x")}, g.scanOptions(true)...)
	},

	func(g *cmdGen) []string { return append([]string{"WATCH"}, g.keys(1, 3)...) },
	func(g *cmdGen) []string { return []string{"UNWATCH"} },

	func(g *cmdGen) []string { return []string{"PING"} },
	func(g *cmdGen) []string { return []string{"ECHO", g.value()} },
}

// next returns the next command. Beside the generators' own bad options
// and numbers, a few commands get a wrong argument count, a name in mixed
// case, or are rare heavy ones (FLUSHALL, a hash past the listpack limit).
func (g *cmdGen) next() []string {
	g.n++
	// Transactions: queue a few commands, then EXEC (or DISCARD). Inside
	// one, commands whose comparison needs more round trips are left out:
	// those would run after EXEC, on a state the transaction changed.
	switch {
	case g.multi && g.chance(0.15):
		g.multi = false
		return []string{g.pick("EXEC", "EXEC", "EXEC", "DISCARD")}
	case !g.multi && g.chance(0.01):
		g.multi = true
		return []string{"MULTI"}
	}
	var args []string
	switch {
	case g.chance(0.003):
		args = append([]string{g.pick("FLUSHALL", "FLUSHDB")}, g.options(1, word("ASYNC"), word("SYNC"), word("LAZY"))...)
	case g.chance(0.005):
		args = g.bigHash()
	default:
		for args = nil; args == nil || (g.multi && needsFollowUp(args)); {
			args = generators[g.r.IntN(len(generators))](g)
		}
	}
	// The EXPIRE family's time is filled here, where the command is known.
	switch strings.ToUpper(args[0]) {
	case "EXPIRE":
		args[2] = g.ttl(false)
	case "PEXPIRE":
		args[2] = g.ttl(true)
	case "EXPIREAT":
		args[2] = g.deadline(false, true)
	case "PEXPIREAT":
		args[2] = g.deadline(true, true)
	}
	switch {
	case g.chance(0.03) && len(args) > 1:
		args = args[:1+g.r.IntN(len(args)-1)]
	case g.chance(0.02):
		args = append(args, g.value())
	}
	if g.chance(0.1) {
		b := []byte(args[0])
		for i := range b {
			if g.chance(0.5) {
				b[i] ^= 'a' - 'A'
			}
		}
		args[0] = string(b)
	}
	return args
}
