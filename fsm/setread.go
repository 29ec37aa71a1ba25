package fsm

import (
	"math/rand/v2"
	"strconv"

	"github.com/raftcache/raftcache/fsm/set"
)

// The set reads. The caller holds the Store's lock; a reply is written
// after it is released, so every member in a reply is copied out of the set
// (membersReply).

// setOf returns key's set, nil for an absent key, errWrongType for a key of
// another type.
func (ks *keyspace) setOf(key []byte, now int64) (*set.Set, error) {
	c, found, err := ks.collectionOf(key, typeSet, now)
	if err != nil || !found {
		return nil, err
	}
	return c.(setColl).Set, nil
}

// setsOf returns the sets of keys in order (nil for an absent key), or
// errWrongType if any key holds another type, as Redis checks every key
// before it computes anything.
func (ks *keyspace) setsOf(keys [][]byte, now int64) ([]*set.Set, error) {
	sets := make([]*set.Set, len(keys))
	for i, k := range keys {
		s, err := ks.setOf(k, now)
		if err != nil {
			return nil, err
		}
		sets[i] = s
	}
	return sets, nil
}

// membersReply copies members into one buffer and returns them as a reply
// of kind (KindSet or KindArray).
func membersReply(kind Kind, members [][]byte) Reply {
	n := 0
	for _, m := range members {
		n += len(m)
	}
	buf := make([]byte, 0, n)
	elems := make([]Reply, len(members))
	for i, m := range members {
		start := len(buf)
		buf = append(buf, m...)
		elems[i] = valueReply(buf[start:])
	}
	return Reply{Kind: kind, Elems: elems}
}

// memberReply copies one member into a bulk reply.
func memberReply(m []byte) Reply { return valueReply(ownedCopy(m)) }

func emptySet() Reply { return Reply{Kind: KindSet, Elems: []Reply{}} }

func (ks *keyspace) scard(c Command, now int64) Reply {
	s, err := ks.setOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	if s == nil {
		return Zero
	}
	return Int(int64(s.Len()))
}

func (ks *keyspace) sismember(c Command, now int64) Reply {
	s, err := ks.setOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case s != nil && s.Contains(c.args[1]):
		return One
	}
	return Zero
}

func (ks *keyspace) smismember(c Command, now int64) Reply {
	s, err := ks.setOf(c.args[0], now)
	if err != nil {
		return errorReply(err)
	}
	elems := make([]Reply, len(c.args)-1)
	for i, m := range c.args[1:] {
		elems[i] = Zero
		if s != nil && s.Contains(m) {
			elems[i] = One
		}
	}
	return Array(elems...)
}

// srandmember answers SRANDMEMBER. It is a read, served on any node
// without the log, so its choices need not agree between nodes and come
// from the process's random source; Redis's rules (distinct members for a
// positive count, repeats for a negative one) hold.
func (ks *keyspace) srandmember(c Command, now int64) Reply {
	return ks.srandmemberFrom(c, now, rand.IntN)
}

// srandmemberInApply answers SRANDMEMBER inside Apply (MULTI, a script),
// choosing from the entry's random source: a script may write what it
// chose, and every node must write the same.
func (w *writer) srandmemberInApply(c Command) Reply {
	return w.ks.srandmemberFrom(c, w.now, w.entryRand().IntN)
}

func (ks *keyspace) srandmemberFrom(c Command, now int64, rng set.Rand) Reply {
	s, err := ks.setOf(c.args[0], now)
	withCount := c.flags&flagSetCount != 0
	switch {
	case err != nil:
		return errorReply(err)
	case s == nil && withCount:
		return Array()
	case s == nil:
		return Nil
	case !withCount:
		return memberReply(s.Random(rng))
	}
	return membersReply(KindArray, s.RandomMembers(int(c.ints[0]), rng))
}

// sinter answers SINTER and SMEMBERS.
func (ks *keyspace) sinter(c Command, now int64) Reply {
	sets, err := ks.setsOf(c.args, now)
	if err != nil {
		return errorReply(err)
	}
	return membersReply(KindSet, set.InterMembers(sets...))
}

func (ks *keyspace) sintercard(c Command, now int64) Reply {
	sets, err := ks.setsOf(c.args, now)
	if err != nil {
		return errorReply(err)
	}
	return Int(int64(set.InterCard(int(c.ints[0]), sets...)))
}

// sunionDiff answers SUNION and SDIFF: the members of the set SUNIONSTORE
// or SDIFFSTORE would store, in its order.
func (ks *keyspace) sunionDiff(c Command, now int64) Reply {
	sets, err := ks.setsOf(c.args, now)
	if err != nil {
		return errorReply(err)
	}
	return membersReply(KindSet, unionOrDiff(ks.s.setLimits(), c.op, sets).Members())
}

func unionOrDiff(lim set.Limits, op opcode, sets []*set.Set) *set.Set {
	switch op {
	case opSUnion, opSUnionStore:
		return set.Union(lim, sets...)
	case opSDiff, opSDiffStore:
		return set.Diff(lim, sets...)
	}
	return set.Inter(lim, sets...)
}

// sscan answers SSCAN. Errors come in Redis's order: the cursor (at
// Parse), then the key's type, then the options; MATCH filters what the
// set's Scan returns, as Redis's does.
func (ks *keyspace) sscan(c Command, now int64) Reply {
	s, err := ks.setOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case s == nil:
		return scanReply(0, nil)
	case c.flags&flagScanSyntaxError != 0:
		return errorReply(errSyntax)
	case c.flags&flagScanNotInteger != 0:
		return errorReply(errNotInteger)
	}
	next, members := s.Scan(uint64(c.ints[0]), int(c.ints[1]))
	if c.flags&flagScanMatch != 0 {
		pattern := c.args[1]
		if !(len(pattern) == 1 && pattern[0] == '*') {
			kept := members[:0]
			for _, m := range members {
				if globMatch(pattern, m) {
					kept = append(kept, m)
				}
			}
			members = kept
		}
	}
	r := membersReply(KindArray, members)
	return Array(Bulk(strconv.AppendUint(nil, next, 10)), r)
}
