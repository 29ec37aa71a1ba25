package fsm

import (
	"github.com/raftcache/raftcache/fsm/zset"
)

// The sorted-set writes. Each changes the set in place (w.mutable, which
// clones a set a snapshot shares) and stores it only if it changed, so that
// a write that changes nothing does not touch the key's WATCH index, as in
// Redis.

// zsetMutable returns key's sorted set to change, nil for an absent key.
func (w *writer) zsetMutable(key []byte) (*zset.ZSet, error) {
	c, found, err := w.mutable(key, typeZSet, nil)
	if !found || err != nil {
		return nil, err
	}
	return c.(zsetValue).ZSet, nil
}

func (w *writer) zadd(c Command) Reply {
	key, pairs := c.args[0], c.args[1:]
	flags := zset.Flags(c.flags & zaddFlags)
	incr := flags&zset.Incr != 0
	scores := make([]float64, len(pairs)/2)
	for i := range scores {
		s, err := zset.ParseScore(pairs[2*i])
		if err != nil {
			return errorReply(err) // Parse checked; a corrupt entry must not panic
		}
		scores[i] = s
	}
	lim := w.s.zsetLimits()
	z, err := w.zsetMutable(key)
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		if flags&zset.XX != 0 {
			if incr {
				return Nil
			}
			return Zero
		}
		// Redis 7.0 creates a listpack (unless its first member is too
		// long, which the first Add handles alike), however many
		// elements ZADD brings.
		z = zset.New()
	}
	var added, updated int64
	processed := false
	var score float64
	for i, s := range scores {
		out, res := z.Add(lim, pairs[2*i+1], s, flags)
		switch out {
		case zset.NotANumber:
			w.zsetStoreIf(key, z, added+updated > 0)
			if added+updated > 0 {
				w.notify(notifyZSet, zaddEvent(incr), key)
			}
			return errorReply(zset.ErrNaN)
		case zset.Added:
			added++
		case zset.Updated:
			updated++
		}
		if out != zset.Skipped {
			processed, score = true, res
		}
	}
	w.zsetStoreIf(key, z, added+updated > 0)
	if added+updated > 0 {
		w.notify(notifyZSet, zaddEvent(incr), key)
	}
	switch {
	case incr && processed:
		return scoreReply(score)
	case incr:
		return Nil
	case c.flags&zaddCH != 0:
		return Int(added + updated)
	}
	return Int(added)
}

func zaddEvent(incr bool) string {
	if incr {
		return "zincr" // ZINCRBY, ZADD INCR
	}
	return "zadd"
}

// zsetStoreIf stores z as key's value if changed.
func (w *writer) zsetStoreIf(key []byte, z *zset.ZSet, changed bool) {
	if changed {
		w.store(key, typeZSet, zsetValue{z})
	}
}

func (w *writer) zrem(c Command) Reply {
	z, err := w.zsetMutable(c.args[0])
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		return Zero
	}
	var n int64
	for _, m := range c.args[1:] {
		if z.Remove(m) {
			n++
		}
	}
	if n > 0 {
		w.notify(notifyZSet, "zrem", c.args[0])
	}
	w.zsetStoreIf(c.args[0], z, n > 0)
	return Int(n)
}

// zremRange serves ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func (w *writer) zremRange(c Command) Reply {
	// The ranges are parsed before the key is looked up (Parse checked
	// them; a corrupt entry gets the error, not a panic).
	var sr zset.ScoreRange
	var lr zset.LexRange
	var err error
	switch c.op {
	case opZRemRangeScore:
		sr, err = zset.ParseScoreRange(c.args[1], c.args[2])
	case opZRemRangeLex:
		lr, err = zset.ParseLexRange(c.args[1], c.args[2])
	}
	if err != nil {
		return errorReply(err)
	}
	z, err := w.zsetMutable(c.args[0])
	if err != nil {
		return errorReply(err)
	}
	if z == nil {
		return Zero
	}
	n := 0
	switch c.op {
	case opZRemRangeScore:
		n = z.RemoveRangeByScore(sr)
	case opZRemRangeLex:
		n = z.RemoveRangeByLex(lr)
	default:
		if lo, hi, ok := zset.NormalizeRanks(c.ints[0], c.ints[1], z.Len()); ok {
			n = z.RemoveRangeByRank(lo, hi)
		}
	}
	if n > 0 {
		w.notify(notifyZSet, zremRangeEvent(c.op), c.args[0])
	}
	w.zsetStoreIf(c.args[0], z, n > 0)
	return Int(int64(n))
}

// zremRangeEvent is the event of a ZREMRANGEBY*, as Redis names it.
func zremRangeEvent(op opcode) string {
	switch op {
	case opZRemRangeScore:
		return "zremrangebyscore"
	case opZRemRangeLex:
		return "zremrangebylex"
	}
	return "zremrangebyrank"
}

// zrangeStore is ZRANGESTORE: the range of the source, stored fresh in the
// destination (deleted when the range is empty).
func (w *writer) zrangeStore(c Command) Reply {
	dst, src := c.args[0], c.args[1]
	coll, found, err := w.collectionOf(src, typeZSet)
	switch {
	case err != nil:
		w.ks.keyHit() // found, of another type
		return errorReply(err)
	case !found:
		w.ks.keyMiss(src) // Redis reads the source with lookupKeyRead
	default:
		w.ks.keyHit()
	}
	lim := w.s.zsetLimits()
	var members [][]byte
	var scores []float64
	if found {
		if err := zrangeVisit(coll.(zsetValue).ZSet, c, c.args[2], c.args[3], func(m []byte, s float64) bool {
			members, scores = append(members, m), append(scores, s)
			return true
		}); err != nil {
			return errorReply(err)
		}
	}
	// Redis sizes the destination by the range's length for a rank
	// range, and not at all for a score or lex range.
	size := 0
	if c.flags&(zrByScore|zrByLex) == 0 {
		size = len(members)
	}
	out := zset.NewSized(lim, size, 0)
	for i, m := range members {
		out.Add(lim, m, scores[i], 0)
	}
	w.replace(dst, typeZSet, zsetValue{out})
	if out.Len() > 0 {
		w.notify(notifyZSet, "zrangestore", dst)
	}
	return Int(int64(out.Len()))
}

func (w *writer) zsetOpStore(c Command) Reply {
	dst := c.args[0]
	n := int(c.ints[1])
	// Redis reads the sources with lookupKeyRead: a missing one is a
	// keymiss.
	in, err := zsetOpInputs(c.args[1:1+n], func(k []byte) (entry, bool) {
		e, ok := w.lookup(k)
		if ok {
			w.ks.keyHit()
		} else {
			w.ks.keyMiss(k)
		}
		return e, ok
	})
	if err != nil {
		return errorReply(err)
	}
	z := zsetOpRun(w.s.zsetLimits(), c, in, zsetOpWeights(c, n, 1+n))
	w.replace(dst, typeZSet, zsetValue{z})
	if z.Len() > 0 {
		event := "zunionstore"
		switch c.flags & zopMask {
		case zopInter:
			event = "zinterstore"
		case zopDiff:
			event = "zdiffstore"
		}
		w.notify(notifyZSet, event, dst)
	}
	return Int(int64(z.Len()))
}

// zpop serves ZPOPMIN, ZPOPMAX and ZMPOP (genericZpopCommand): the first
// of the keys that exists (WRONGTYPE if it is not a sorted set) gives up
// to count members.
func (w *writer) zpop(c Command) Reply {
	mpop := c.flags&zpMPop != 0
	for _, key := range c.args {
		coll, found, err := w.collectionOf(key, typeZSet)
		if err != nil {
			return errorReply(err)
		}
		if !found {
			continue
		}
		if c.ints[0] == 0 {
			return Array() // ZPOPMIN key 0
		}
		_ = coll
		return w.zpopFrom(key, c)
	}
	if mpop {
		return Reply{Kind: KindNilArray}
	}
	return Array()
}

// zpopFrom pops from key, a non-empty sorted set, and builds the reply of
// c's form: ZPOPMIN's pairs (flat without a count), ZMPOP's key and
// nested pairs, or BZPOPMIN's key, member and score.
func (w *writer) zpopFrom(key []byte, c Command) Reply {
	z, err := w.zsetMutable(key)
	if err != nil || z == nil {
		return errorReply(errWrongType) // the caller checked; never here
	}
	var elems []Reply
	pairs := c.op != opBZPop && c.flags&zpCount != 0
	z.Pop(int(c.ints[0]), c.flags&zpMax != 0, func(m []byte, s float64) {
		p := []Reply{valueReply(m), scoreReply(s)}
		if c.op == opBZMPop || c.flags&zpMPop != 0 {
			elems = append(elems, Array(p...))
		} else {
			elems = append(elems, p...)
		}
	})
	if c.flags&zpMax != 0 {
		w.notify(notifyZSet, "zpopmax", key)
	} else {
		w.notify(notifyZSet, "zpopmin", key)
	}
	w.store(key, typeZSet, zsetValue{z})
	switch {
	case c.op == opBZMPop || c.flags&zpMPop != 0:
		return Array(Bulk(ownedCopy(key)), Array(elems...))
	case c.op == opBZPop:
		return Array(append([]Reply{Bulk(ownedCopy(key))}, elems...)...)
	case pairs:
		return Reply{Kind: KindPairs, Elems: elems}
	}
	return Array(elems...)
}
