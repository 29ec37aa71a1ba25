package zset

import (
	"fmt"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAgainstRedis runs random sorted-set commands on a real redis-server
// 7.0 and on ZSet (through redisModel, a minimal stand-in for fsm's
// commands) and requires identical RESP2 replies, OBJECT ENCODING
// included.
func TestAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	c := startRedis(t)
	tests := []struct {
		name    string
		entries int
		equal   bool // every score 0, so lex ranges are meaningful on the skiplist too
		steps   int
	}{
		{"default limits", 128, false, 6000},
		{"small listpack", 8, false, 6000},
		{"small listpack, equal scores", 8, true, 4000},
		{"skiplist only", 0, false, 3000},
		{"skiplist, equal scores", 0, true, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.do(t, "FLUSHALL")
			c.do(t, "CONFIG", "SET", "zset-max-listpack-entries", strconv.Itoa(tt.entries))
			m := &redisModel{lim: Limits{tt.entries, 64}, keys: map[string]*ZSet{}}
			g := cmdGen{r: rand.New(rand.NewPCG(11, uint64(tt.entries))), equal: tt.equal}
			var recent []string // the commands before a failure, to reproduce it
			for i := 0; i < tt.steps; i++ {
				args := g.next(m)
				if strings.HasPrefix(args[0], "ZUNION") || strings.HasPrefix(args[0], "ZINTER") || strings.HasPrefix(args[0], "ZDIFF") {
					for _, k := range []string{"z", "d"} {
						recent = append(recent, fmt.Sprintf("  %s = %v", k, c.do(t, "ZRANGE", k, "0", "-1", "WITHSCORES")))
					}
				}
				want := c.do(t, args...)
				got := m.do(args)
				recent = append(recent, fmt.Sprintf("%q -> %v", args, want))
				if len(recent) > 60 {
					recent = recent[len(recent)-60:]
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("step %d: %q\n zset  %v\n redis %v\nafter\n%s", i, args, got, want, strings.Join(recent, "\n"))
				}
			}
		})
	}
}

type cmdGen struct {
	r     *rand.Rand
	equal bool
}

func (g cmdGen) pick(opts ...string) string { return opts[g.r.IntN(len(opts))] }

func (g cmdGen) member() string {
	if g.r.IntN(60) == 0 {
		return strings.Repeat("long", 16) + "!"
	}
	return "m" + strconv.Itoa(g.r.IntN(20))
}

func (g cmdGen) score() string {
	if g.equal {
		return "0"
	}
	if g.r.IntN(8) == 0 {
		return g.pick("1.5", "0.1", "-0", "inf", "-inf", "+inf", "1e17", "0x10", "3e-5", "1e400", "nan", "abc", " 1", "")
	}
	return strconv.Itoa(g.r.IntN(11) - 5)
}

func (g cmdGen) scoreBound() string {
	if g.r.IntN(6) == 0 {
		return g.pick("-inf", "+inf", "(inf", "(-inf", " 2", "", "(", "nan", "x", "(1.5")
	}
	s := strconv.Itoa(g.r.IntN(13) - 6)
	if g.r.IntN(3) == 0 {
		return "(" + s
	}
	return s
}

func (g cmdGen) lexBound() string {
	switch g.r.IntN(10) {
	case 0:
		return "-"
	case 1:
		return "+"
	case 2:
		return g.pick("x", "[", "(", "")
	}
	return g.pick("[", "(") + g.member()
}

func (g cmdGen) rank() string { return strconv.Itoa(g.r.IntN(30) - 15) }

// next makes a random command against key z (sometimes d); lex commands
// only where their answer is defined (equal scores, or a listpack, which
// Redis scans in order).
func (g cmdGen) next(m *redisModel) []string {
	lexOK := g.equal || m.keys["z"] == nil || m.keys["z"].Encoding() == "listpack"
	for {
		switch g.r.IntN(27) {
		case 0, 1, 2, 3, 4, 5:
			args := []string{"ZADD", "z"}
			switch g.r.IntN(6) {
			case 0:
				args = append(args, "NX")
			case 1:
				args = append(args, "XX")
			}
			if args[len(args)-1] != "NX" && g.r.IntN(4) == 0 {
				args = append(args, g.pick("GT", "LT"))
			}
			if g.r.IntN(3) == 0 {
				args = append(args, "CH")
			}
			n := 1 + g.r.IntN(4)
			if !g.equal && g.r.IntN(5) == 0 {
				args = append(args, "INCR")
				n = 1
			}
			for i := 0; i < n; i++ {
				args = append(args, g.score(), g.member())
			}
			return args
		case 6:
			if g.equal {
				continue
			}
			return []string{"ZINCRBY", "z", g.score(), g.member()}
		case 7:
			return []string{"ZREM", "z", g.member(), g.member()}
		case 8:
			return []string{g.pick("ZSCORE", "ZRANK", "ZREVRANK"), "z", g.member()}
		case 9:
			return []string{"ZMSCORE", "z", g.member(), g.member()}
		case 10:
			return []string{"ZCOUNT", "z", g.scoreBound(), g.scoreBound()}
		case 11:
			if !lexOK {
				continue
			}
			return []string{"ZLEXCOUNT", "z", g.lexBound(), g.lexBound()}
		case 12, 13:
			args := []string{"ZRANGE", "z"}
			kind := g.r.IntN(3)
			switch {
			case kind == 1:
				args = append(args, g.scoreBound(), g.scoreBound(), "BYSCORE")
			case kind == 2 && lexOK:
				args = append(args, g.lexBound(), g.lexBound(), "BYLEX")
			default:
				kind = 0
				args = append(args, g.rank(), g.rank())
			}
			if g.r.IntN(2) == 0 {
				args = append(args, "REV")
			}
			if kind != 0 && g.r.IntN(2) == 0 {
				args = append(args, "LIMIT", strconv.Itoa(g.r.IntN(6)-1), strconv.Itoa(g.r.IntN(6)-1))
			}
			if kind != 2 && g.r.IntN(2) == 0 {
				args = append(args, "WITHSCORES")
			}
			return args
		case 14:
			return []string{"ZREMRANGEBYRANK", "z", g.rank(), g.rank()}
		case 15:
			return []string{"ZREMRANGEBYSCORE", "z", g.scoreBound(), g.scoreBound()}
		case 16:
			if !lexOK {
				continue
			}
			return []string{"ZREMRANGEBYLEX", "z", g.lexBound(), g.lexBound()}
		case 17:
			if g.r.IntN(2) == 0 {
				return []string{g.pick("ZPOPMIN", "ZPOPMAX"), "z"}
			}
			return []string{g.pick("ZPOPMIN", "ZPOPMAX"), "z", strconv.Itoa(g.r.IntN(4))}
		case 18:
			return []string{"ZCARD", "z"}
		case 19:
			return []string{"OBJECT", "ENCODING", g.pick("z", "d")}
		case 20:
			// Only the deterministic case: every member.
			return []string{"ZRANDMEMBER", "z", strconv.Itoa(21 + g.r.IntN(200)), "WITHSCORES"} // 21 members at most
		case 21:
			if m.keys["z"] != nil && m.keys["z"].Encoding() != "listpack" {
				continue // Redis's cursor walks its hash table
			}
			return []string{"ZSCAN", "z", "0"}
		case 22:
			return []string{"ZRANGESTORE", "d", "z", g.rank(), g.rank()}
		case 23:
			return []string{"ZRANGE", g.pick("d", "u"), "0", "-1", "WITHSCORES"}
		case 24:
			op := g.pick("ZUNION", "ZINTER", "ZDIFF")
			args := []string{op, "2", "z", "d"}
			if g.r.IntN(2) == 0 {
				args = []string{op + "STORE", "u", "2", "z", "d"}
			}
			if op != "ZDIFF" && g.r.IntN(2) == 0 {
				args = append(args, "WEIGHTS", g.pick("1", "2", "0", "-1", "inf", "0.5"), g.pick("1", "-inf", "3"))
			}
			if op != "ZDIFF" && g.r.IntN(2) == 0 {
				args = append(args, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
			}
			if args[1] == "2" && g.r.IntN(2) == 0 {
				args = append(args, "WITHSCORES")
			}
			return args
		case 25:
			return []string{"OBJECT", "ENCODING", "u"}
		case 26:
			return []string{"ZINTERCARD", "2", "z", g.pick("d", "u"), "LIMIT", strconv.Itoa(g.r.IntN(4))}
		}
	}
}

// redisModel answers the commands cmdGen makes from ZSets, as fsm will.
type redisModel struct {
	lim  Limits
	keys map[string]*ZSet
}

type respErr string

func (e respErr) String() string { return "(error) " + string(e) }

func (m *redisModel) do(args []string) any {
	key := args[1]
	if args[0] == "OBJECT" {
		key = args[2]
	}
	z := m.keys[key]
	if z == nil {
		z = New()
	}
	reply := m.apply(z, args)
	if z.Len() == 0 {
		delete(m.keys, key)
	} else {
		m.keys[key] = z
	}
	return reply
}

func bulk(b []byte) any { return string(b) }

func score(f float64) any { return string(FormatScore(f)) }

func errReply(err error) any { return respErr(err.Error()) }

func (m *redisModel) apply(z *ZSet, args []string) any {
	switch args[0] {
	case "ZADD", "ZINCRBY":
		var flags Flags
		ch := false
		i := 2
		if args[0] == "ZINCRBY" {
			flags = Incr
		} else {
			for ; ; i++ {
				switch args[i] {
				case "NX":
					flags |= NX
				case "XX":
					flags |= XX
				case "GT":
					flags |= GT
				case "LT":
					flags |= LT
				case "INCR":
					flags |= Incr
				case "CH":
					ch = true
				default:
					goto pairs
				}
			}
		}
	pairs:
		var scores []float64
		for j := i; j < len(args); j += 2 {
			s, err := ParseScore([]byte(args[j]))
			if err != nil {
				return errReply(err)
			}
			scores = append(scores, s)
		}
		added, updated, processed := 0, 0, 0
		var last float64
		for k, s := range scores {
			out, ns := z.Add(m.lim, []byte(args[i+2*k+1]), s, flags)
			switch out {
			case NotANumber:
				return errReply(ErrNaN)
			case Added:
				added++
			case Updated:
				updated++
			}
			if out != Skipped {
				processed++
			}
			last = ns
		}
		if flags&Incr != 0 {
			if processed == 0 {
				return nil
			}
			return score(last)
		}
		if ch {
			return int64(added + updated)
		}
		return int64(added)
	case "ZREM":
		n := 0
		for _, a := range args[2:] {
			if z.Remove([]byte(a)) {
				n++
			}
		}
		return int64(n)
	case "ZSCORE":
		if s, ok := z.Score([]byte(args[2])); ok {
			return score(s)
		}
		return nil
	case "ZMSCORE":
		var out []any
		for _, a := range args[2:] {
			if s, ok := z.Score([]byte(a)); ok {
				out = append(out, score(s))
			} else {
				out = append(out, nil)
			}
		}
		return out
	case "ZRANK", "ZREVRANK":
		if r, ok := z.Rank([]byte(args[2]), args[0] == "ZREVRANK"); ok {
			return int64(r)
		}
		return nil
	case "ZCARD":
		return int64(z.Len())
	case "ZCOUNT", "ZREMRANGEBYSCORE":
		r, err := ParseScoreRange([]byte(args[2]), []byte(args[3]))
		if err != nil {
			return errReply(err)
		}
		if args[0] == "ZCOUNT" {
			return int64(z.CountScore(r))
		}
		return int64(z.RemoveRangeByScore(r))
	case "ZLEXCOUNT", "ZREMRANGEBYLEX":
		r, err := ParseLexRange([]byte(args[2]), []byte(args[3]))
		if err != nil {
			return errReply(err)
		}
		if args[0] == "ZLEXCOUNT" {
			return int64(z.CountLex(r))
		}
		return int64(z.RemoveRangeByLex(r))
	case "ZREMRANGEBYRANK":
		start, _ := strconv.ParseInt(args[2], 10, 64)
		stop, _ := strconv.ParseInt(args[3], 10, 64)
		lo, hi, ok := NormalizeRanks(start, stop, z.Len())
		if !ok {
			return int64(0)
		}
		return int64(z.RemoveRangeByRank(lo, hi))
	case "ZRANGE":
		out, err := m.zrange(z, args[2:])
		if err != nil {
			return errReply(err)
		}
		return out
	case "ZRANGESTORE":
		src := m.keys[args[2]]
		if src == nil {
			src = New()
		}
		els, _ := m.zrange(src, append(slices.Clone(args[3:]), "WITHSCORES"))
		*z = *NewSized(m.lim, len(els)/2, 0) // the destination is replaced
		for i := 0; i < len(els); i += 2 {
			s, _ := ParseScore([]byte(els[i+1].(string)))
			z.Add(m.lim, []byte(els[i].(string)), s, 0)
		}
		return int64(z.Len())
	case "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER", "ZDIFF":
		return m.zunionInter(z, args)
	case "ZINTERCARD":
		var in []Input
		for _, k := range args[2:4] {
			if z := m.keys[k]; z != nil {
				in = append(in, z)
			} else {
				in = append(in, New())
			}
		}
		limit, _ := strconv.Atoi(args[5])
		return int64(InterCard(in, limit))
	case "ZPOPMIN", "ZPOPMAX":
		count := 1
		if len(args) > 2 {
			count, _ = strconv.Atoi(args[2])
		}
		out := []any{}
		z.Pop(count, args[0] == "ZPOPMAX", func(m []byte, s float64) { out = append(out, bulk(m), score(s)) })
		return out
	case "OBJECT":
		if z.Len() == 0 {
			return nil
		}
		return z.Encoding()
	case "ZRANDMEMBER":
		count, _ := strconv.Atoi(args[2])
		out := []any{}
		z.RandomMembers(count, rand.IntN, func(m []byte, s float64) { out = append(out, bulk(m), score(s)) })
		return out
	case "ZSCAN":
		out := []any{}
		next := z.Scan(0, 10, func(m, s []byte) { out = append(out, bulk(m), bulk(s)) })
		return []any{strconv.FormatUint(next, 10), out}
	}
	panic("redisModel: no " + args[0])
}

// zunionInter is ZUNION/ZINTER/ZDIFF[STORE] [dst] 2 a b [WEIGHTS x y]
// [AGGREGATE how] [WITHSCORES] through Union, Inter and Diff.
func (m *redisModel) zunionInter(dst *ZSet, args []string) any {
	store := strings.HasSuffix(args[0], "STORE")
	i := 1
	if store {
		i = 2
	}
	i++ // numkeys: always 2 here
	var in []Input
	for _, k := range args[i : i+2] {
		if z := m.keys[k]; z != nil {
			in = append(in, z)
		} else {
			in = append(in, New())
		}
	}
	var weights []float64
	agg := Sum
	withScores := false
	for i += 2; i < len(args); i++ {
		switch args[i] {
		case "WEIGHTS":
			weights = make([]float64, 2)
			for j := range weights {
				w, err := ParseScore([]byte(args[i+1+j]))
				if err != nil {
					return respErr("ERR weight value is not a float")
				}
				weights[j] = w
			}
			i += 2
		case "AGGREGATE":
			agg = map[string]Aggregate{"SUM": Sum, "MIN": Min, "MAX": Max}[args[i+1]]
			i++
		case "WITHSCORES":
			withScores = true
		}
	}
	lim := Limits{} // a reply: Redis keeps its skiplist-built result
	if store {
		lim = m.lim
	}
	var res *ZSet
	switch strings.TrimSuffix(args[0], "STORE") {
	case "ZUNION":
		res = Union(lim, in, weights, agg)
	case "ZINTER":
		res = Inter(lim, in, weights, agg)
	default:
		res = Diff(lim, in)
	}
	if store {
		*dst = *res
		return int64(dst.Len())
	}
	out := []any{}
	res.Range(func(mb []byte, s float64) bool {
		out = append(out, bulk(mb))
		if withScores {
			out = append(out, score(s))
		}
		return true
	})
	return out
}

// zrange is ZRANGE key's arguments after the key.
func (m *redisModel) zrange(z *ZSet, args []string) ([]any, error) {
	var byScore, byLex, rev, withScores bool
	offset, limit := 0, -1
	for i := 2; i < len(args); i++ {
		switch args[i] {
		case "BYSCORE":
			byScore = true
		case "BYLEX":
			byLex = true
		case "REV":
			rev = true
		case "WITHSCORES":
			withScores = true
		case "LIMIT":
			offset, _ = strconv.Atoi(args[i+1])
			limit, _ = strconv.Atoi(args[i+2])
			i += 2
		}
	}
	out := []any{}
	emit := func(mb []byte, s float64) bool {
		out = append(out, bulk(mb))
		if withScores {
			out = append(out, score(s))
		}
		return true
	}
	min, max := []byte(args[0]), []byte(args[1])
	if rev && (byScore || byLex) {
		min, max = max, min
	}
	switch {
	case byScore:
		r, err := ParseScoreRange(min, max)
		if err != nil {
			return nil, err
		}
		z.RangeByScore(r, rev, offset, limit, emit)
	case byLex:
		r, err := ParseLexRange(min, max)
		if err != nil {
			return nil, err
		}
		z.RangeByLex(r, rev, offset, limit, emit)
	default:
		start, _ := strconv.ParseInt(args[0], 10, 64)
		stop, _ := strconv.ParseInt(args[1], 10, 64)
		if lo, hi, ok := NormalizeRanks(start, stop, z.Len()); ok {
			z.RangeByRank(lo, hi, rev, emit)
		}
	}
	return out, nil
}

// redisConn is the oracle, with error replies as the model writes them.
type redisConn struct{ *redistest.Conn }

func (c redisConn) do(t *testing.T, args ...string) any {
	t.Helper()
	v := c.Do(args...)
	if e, ok := v.(redistest.Error); ok {
		return respErr(e)
	}
	return v
}

func startRedis(t *testing.T) redisConn { return redisConn{redistest.Start(t)} }
