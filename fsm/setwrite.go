package fsm

import (
	"math/rand/v2"

	"github.com/raftcache/raftcache/fsm/set"
)

// The set writes. The caller holds the Store's write lock.
//
// A write that changes nothing (SADD of members already there, SREM of
// absent ones, SPOP 0, a failed SMOVE) leaves the key untouched, so that
// it does not abort a WATCH, as in Redis: each looks before it calls
// w.mutable, which stamps the key even when only cloning.

// setOf is keyspace.setOf for a writer: an expired key is deleted on the
// way.
func (w *writer) setOf(key []byte) (*set.Set, error) {
	c, found, err := w.collectionOf(key, typeSet)
	if err != nil || !found {
		return nil, err
	}
	return c.(setColl).Set, nil
}

// mutableSet returns key's set ready to change (cloned if a snapshot may
// share it), a new empty one for an absent key when create is set.
func (w *writer) mutableSet(key []byte, create bool) (collection, *set.Set) {
	var mk func(*Store) collection
	if create {
		mk = newSetColl
	}
	c, _, err := w.mutable(key, typeSet, mk)
	if err != nil || c == nil {
		return nil, nil
	}
	return c, c.(setColl).Set
}

// entryRand returns the random source of the log entry being applied:
// seeded from its index and drawn from in the order the entry's commands
// run (a transaction's, a script's calls), so that every node makes the
// same choices, and two choices in one entry differ.
func (w *writer) entryRand() *rand.Rand {
	s := w.s
	if s.entryRand == nil || s.entryRandAt != w.index {
		s.entryRand = rand.New(rand.NewPCG(w.index, 0x5e7c0de))
		s.entryRandAt = w.index
	}
	return s.entryRand
}

func (w *writer) sadd(c Command) Reply {
	key, members := c.args[0], c.args[1:]
	s, err := w.setOf(key)
	if err != nil {
		return errorReply(err)
	}
	if s != nil && !anyMissing(s, members) {
		return Zero
	}
	coll, s := w.mutableSet(key, true)
	n := s.Add(w.s.setLimits(), members...)
	w.store(key, typeSet, coll)
	w.notify(notifySet, "sadd", key)
	return Int(int64(n))
}

func anyMissing(s *set.Set, members [][]byte) bool {
	for _, m := range members {
		if !s.Contains(m) {
			return true
		}
	}
	return false
}

func (w *writer) srem(c Command) Reply {
	key, members := c.args[0], c.args[1:]
	s, err := w.setOf(key)
	switch {
	case err != nil:
		return errorReply(err)
	case s == nil:
		return Zero
	}
	present := false
	for _, m := range members {
		if s.Contains(m) {
			present = true
			break
		}
	}
	if !present {
		return Zero
	}
	coll, s := w.mutableSet(key, false)
	n := s.Remove(members...)
	w.notify(notifySet, "srem", key)
	w.store(key, typeSet, coll)
	return Int(int64(n))
}

// spop implements SPOP with and without a count. The reply is built before
// the set is stored (and, emptied, deleted).
func (w *writer) spop(c Command) Reply {
	key := c.args[0]
	withCount := c.flags&flagSetCount != 0
	s, err := w.setOf(key)
	switch {
	case err != nil:
		return errorReply(err)
	case s == nil && withCount:
		return emptySet()
	case s == nil:
		return Nil
	case withCount && c.ints[0] == 0:
		return emptySet()
	}
	coll, s := w.mutableSet(key, false)
	rng := w.entryRand().IntN
	var r Reply
	if withCount {
		count := int(min(c.ints[0], int64(s.Len())))
		r = membersReply(KindSet, s.PopCount(w.s.setLimits(), count, rng))
	} else {
		r = memberReply(s.Pop(rng))
	}
	w.notify(notifySet, "spop", key)
	w.store(key, typeSet, coll)
	return r
}

// smove implements SMOVE with Redis's order of checks: an absent source
// replies 0 whatever the destination holds; then both keys' types.
func (w *writer) smove(c Command) Reply {
	srcKey, dstKey, m := c.args[0], c.args[1], c.args[2]
	src, err := w.setOf(srcKey)
	switch {
	case err != nil:
		return errorReply(err)
	case src == nil:
		return Zero
	}
	dst, err := w.setOf(dstKey)
	switch {
	case err != nil:
		return errorReply(err)
	case !src.Contains(m):
		return Zero
	case src == dst:
		return One // the same key: nothing moves
	}
	srcColl, src := w.mutableSet(srcKey, false)
	src.Remove(m)
	w.notify(notifySet, "srem", srcKey)
	w.store(srcKey, typeSet, srcColl)
	dstColl, dst := w.mutableSet(dstKey, true)
	added := dst.Add(w.s.setLimits(), m) > 0
	w.store(dstKey, typeSet, dstColl) // changed for WATCH either way, as in Redis
	if added {
		w.notify(notifySet, "sadd", dstKey)
	}
	return One
}

// sstore implements SINTERSTORE, SUNIONSTORE and SDIFFSTORE: the result
// replaces the destination whatever its type (and deadline), and an empty
// result deletes it.
func (w *writer) sstore(c Command) Reply {
	dst, keys := c.args[0], c.args[1:]
	sets := make([]*set.Set, len(keys))
	for i, k := range keys {
		s, err := w.setOf(k)
		switch {
		case err != nil:
			w.ks.keyHit() // found, of another type
			return errorReply(err)
		case s == nil:
			w.ks.keyMiss(k) // Redis reads each source with lookupKeyRead
		default:
			w.ks.keyHit()
		}
		sets[i] = s
	}
	result := unionOrDiff(w.s.setLimits(), c.op, sets)
	w.replace(dst, typeSet, setColl{result})
	if result.Len() > 0 {
		w.notify(notifySet, c.Name(), dst) // "sinterstore", "sunionstore", "sdiffstore"
	}
	return Int(int64(result.Len()))
}
