package fsm

import (
	"math/rand/v2"

	"github.com/raftcache/raftcache/fsm/zset"
)

// The sorted-set reads. Members and scores handed out by package zset are
// never written after they are handed out (see its package doc), so replies
// alias them without copying.

// zsetOf returns key's sorted set for reading: nil for an absent key.
func (ks *keyspace) zsetOf(key []byte, now int64) (*zset.ZSet, error) {
	c, found, err := ks.collectionOf(key, typeZSet, now)
	if !found || err != nil {
		return nil, err
	}
	return c.(zsetValue).ZSet, nil
}

// scoreReply is a score as Redis replies with one: a double (a bulk string
// in RESP2).
func scoreReply(f float64) Reply { return Reply{Kind: KindDouble, Bytes: zset.FormatScore(f)} }

// memberReplies collects the members (and scores) a range visits, as a
// reply: pairs when withScores (flat in RESP2, [member, score] arrays in
// RESP3), else an array of members.
type memberReplies struct {
	elems      []Reply
	withScores bool
}

func (m *memberReplies) add(member []byte, score float64) bool {
	m.elems = append(m.elems, valueReply(member))
	if m.withScores {
		m.elems = append(m.elems, scoreReply(score))
	}
	return true
}

func (m *memberReplies) reply() Reply {
	if m.withScores {
		return Reply{Kind: KindPairs, Elems: m.elems}
	}
	return Array(m.elems...)
}

func (ks *keyspace) zcard(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		return Zero
	}
	return Int(int64(z.Len()))
}

func (ks *keyspace) zscore(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		return Nil
	}
	if s, ok := z.Score(c.args[1]); ok {
		return scoreReply(s)
	}
	return Nil
}

func (ks *keyspace) zmscore(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	elems := make([]Reply, len(c.args)-1)
	for i, m := range c.args[1:] {
		elems[i] = Nil
		if z != nil {
			if s, ok := z.Score(m); ok {
				elems[i] = scoreReply(s)
			}
		}
	}
	return Array(elems...)
}

func (ks *keyspace) zrank(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		return Nil
	}
	if r, ok := z.Rank(c.args[1], c.flags&zrRev != 0); ok {
		return Int(int64(r))
	}
	return Nil
}

// zcount serves ZCOUNT and ZLEXCOUNT.
func (ks *keyspace) zcount(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		return Zero
	}
	if c.op == opZLexCount {
		r, err := zset.ParseLexRange(c.args[1], c.args[2])
		if err != nil {
			return errorReply(err)
		}
		return Int(int64(z.CountLex(r)))
	}
	r, err := zset.ParseScoreRange(c.args[1], c.args[2])
	if err != nil {
		return errorReply(err)
	}
	return Int(int64(z.CountScore(r)))
}

// zrangeVisit runs the range c describes (see parseZRange) over z.
func zrangeVisit(z *zset.ZSet, c Command, min, max []byte, fn func(member []byte, score float64) bool) error {
	rev := c.flags&zrRev != 0
	switch {
	case c.flags&zrByScore != 0:
		r, err := zset.ParseScoreRange(min, max)
		if err != nil {
			return err
		}
		z.RangeByScore(r, rev, int(c.ints[2]), int(c.ints[3]), fn)
	case c.flags&zrByLex != 0:
		r, err := zset.ParseLexRange(min, max)
		if err != nil {
			return err
		}
		z.RangeByLex(r, rev, int(c.ints[2]), int(c.ints[3]), fn)
	default:
		if lo, hi, ok := zset.NormalizeRanks(c.ints[0], c.ints[1], z.Len()); ok {
			z.RangeByRank(lo, hi, rev, fn)
		}
	}
	return nil
}

func (ks *keyspace) zrange(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	out := memberReplies{withScores: c.flags&zrWithScores != 0}
	if z != nil {
		if err := zrangeVisit(z, c, c.args[1], c.args[2], out.add); err != nil {
			return errorReply(err)
		}
	}
	return out.reply()
}

func (ks *keyspace) zrandmember(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case c.flags&zrandCount == 0 && z == nil:
		return Nil
	case c.flags&zrandCount == 0:
		m, _ := z.RandomMember(rand.IntN)
		return valueReply(m)
	case z == nil || c.ints[0] == 0:
		return Array()
	}
	out := memberReplies{withScores: c.flags&zrWithScores != 0}
	// A read: its choice shows only in its reply, so any RNG will do.
	z.RandomMembers(int(c.ints[0]), rand.IntN, func(m []byte, s float64) { out.add(m, s) })
	return out.reply()
}

// zsetOpInputs returns the inputs of a set operation: each key's sorted
// set, a set read as scores of 1, or an empty set for an absent key.
func zsetOpInputs(keys [][]byte, lookup func(key []byte) (entry, bool)) ([]zset.Input, error) {
	in := make([]zset.Input, len(keys))
	for i, k := range keys {
		e, ok := lookup(k)
		switch {
		case !ok:
			in[i] = zset.New()
		case e.typ == typeZSet:
			in[i] = e.coll.(zsetValue).ZSet
		case e.typ == typeSet:
			in[i] = setInput{e.coll.(setColl).Set}
		default:
			return nil, errWrongType
		}
	}
	return in, nil
}

// zsetOpWeights returns the weights of a set operation, nil for none.
func zsetOpWeights(c Command, keys int, at int) []float64 {
	if c.flags&zopWeights == 0 {
		return nil
	}
	w := make([]float64, keys)
	for i, b := range c.args[at : at+keys] {
		w[i], _ = zset.ParseScore(b) // checked by Parse
	}
	return w
}

// zsetOpRun computes a set operation (ZUNION, ZINTER, ZDIFF) under lim.
func zsetOpRun(lim zset.Limits, c Command, in []zset.Input, weights []float64) *zset.ZSet {
	agg := zset.Aggregate(c.ints[0])
	switch c.flags & zopMask {
	case zopInter:
		return zset.Inter(lim, in, weights, agg)
	case zopDiff:
		return zset.Diff(lim, in)
	}
	return zset.Union(lim, in, weights, agg)
}

func (ks *keyspace) zsetOp(c Command, now int64) Reply {
	n := int(c.ints[1])
	in, err := zsetOpInputs(c.args[:n], func(k []byte) (entry, bool) { return ks.lookupValue(k, now) })
	if err != nil {
		return errorReply(err)
	}
	// A reply keeps every score as computed (no listpack turns -0
	// into 0), as Redis's reply does.
	z := zsetOpRun(zset.Limits{}, c, in, zsetOpWeights(c, n, n))
	out := memberReplies{withScores: c.flags&zopWithScore != 0}
	z.Range(out.add)
	return out.reply()
}

func (ks *keyspace) zinterCard(c Command, now int64) Reply {
	in, err := zsetOpInputs(c.args, func(k []byte) (entry, bool) { return ks.lookupValue(k, now) })
	if err != nil {
		return errorReply(err)
	}
	return Int(int64(zset.InterCard(in, int(c.ints[0]))))
}

// zerror reports a set operation's option error after the keys' types.
func (ks *keyspace) zerror(c Command, now int64) Reply {
	if _, err := zsetOpInputs(c.args[1:], func(k []byte) (entry, bool) { return ks.lookupValue(k, now) }); err != nil {
		return errorReply(err)
	}
	return Error(string(c.args[0]))
}

// zscan answers ZSCAN as HSCAN does: the cursor was checked by Parse, then
// the key's type, then the options.
func (ks *keyspace) zscan(c Command, now int64) Reply {
	z, err := ks.zsetOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case z == nil:
		return scanReply(0, nil)
	case c.flags&flagScanSyntaxError != 0:
		return errorReply(errSyntax)
	case c.flags&flagScanNotInteger != 0:
		return errorReply(errNotInteger)
	}
	var pattern []byte
	if c.flags&flagScanMatch != 0 {
		pattern = c.args[1]
	}
	all := pattern == nil || (len(pattern) == 1 && pattern[0] == '*')
	var elems []Reply
	next := z.Scan(uint64(c.ints[0]), int(c.ints[1]), func(member, score []byte) {
		if all || globMatch(pattern, member) {
			elems = append(elems, valueReply(member), valueReply(score))
		}
	})
	return scanReply(next, elems)
}
