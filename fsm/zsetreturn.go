package fsm

import (
	"strconv"

	"github.com/raftcache/raftcache/fsm/zset"
)

// unserveZPop puts back what a served BZPOPMIN, BZPOPMAX or BZMPOP took,
// for a delivery its client never got (see blocking.go): r is [key,
// member, score] or [key, [[member, score], ...]]. Each member goes back
// with its score unless the key holds it again meanwhile (ZADD NX), and
// not at all if the key became another type, as Redis drops a popped
// member whose client is gone.
func (w *writer) unserveZPop(c Command, r Reply) {
	if r.Kind != KindArray || len(r.Elems) < 2 {
		return
	}
	key := r.Elems[0].Bytes
	var pairs [][2]Reply
	switch {
	case len(r.Elems) == 3:
		pairs = [][2]Reply{{r.Elems[1], r.Elems[2]}}
	case len(r.Elems) == 2 && r.Elems[1].Kind == KindArray:
		for _, p := range r.Elems[1].Elems {
			if len(p.Elems) == 2 {
				pairs = append(pairs, [2]Reply{p.Elems[0], p.Elems[1]})
			}
		}
	}
	if len(pairs) == 0 {
		return
	}
	coll, _, err := w.mutable(key, typeZSet, func(*Store) collection { return zsetValue{zset.New()} })
	if err != nil {
		return
	}
	z := coll.(zsetValue).ZSet
	for _, p := range pairs {
		// Scores were formatted to round-trip (%.17g, inf, -inf).
		score, err := strconv.ParseFloat(string(p[1].Bytes), 64)
		if err != nil {
			continue
		}
		z.Add(w.s.zsetLimits(), p[0].Bytes, score, zset.NX)
	}
	w.store(key, typeZSet, coll)
}

// sortElements gives SORT a sorted set's members by score, as copies.
func (z zsetValue) sortElements() [][]byte {
	out := make([][]byte, 0, z.Len())
	z.Range(func(member []byte, _ float64) bool {
		out = append(out, ownedCopy(member))
		return true
	})
	return out
}
