package fsm

import "context"

// compactable is a collection whose storage can be rebuilt densely without
// changing what it holds (see CompactCollections).
type compactable interface {
	collection
	// fragmented reports whether compact would pay.
	fragmented() bool
	// compact rebuilds the storage in place; the collection must not be
	// reachable by anyone else.
	compact()
}

func (s setColl) fragmented() bool   { return s.Set.Fragmented() }
func (s setColl) compact()           { s.Set.Compact() }
func (z zsetValue) fragmented() bool { return z.ZSet.Fragmented() }
func (z zsetValue) compact()         { z.ZSet.Compact() }

// collectionSite is where a collection sits: a database, a shard, and a
// position in the shard's objs.
type collectionSite struct{ db, shard, obj int }

// CompactCollections rebuilds the storage of every collection whose type
// reports it fragmented (see btree.Tree.Compact) and returns how many it
// rebuilt. It is for a node gone quiet: the garbage collector never moves
// an object, so the holes copy-on-write leaves among a large collection's
// nodes after a snapshot stay, in spans no collection frees, until the
// nodes are copied out side by side and the old ones die together.
//
// Nothing a command sees changes: not the elements, their order, or any
// key's ModIndex. Only the layout does, which is node-local anyway. The
// O(n) work runs outside the Store's lock, on a clone: the lock is held
// to clone (O(1)) and to swap the rebuilt clone in, which happens only if
// no entry was applied (and nothing restored) in between, so that no
// write is lost; a collection changed meanwhile waits for the next call.
// A snapshot that shares the old collection keeps it.
func (s *Store) CompactCollections(ctx context.Context) int {
	s.mu.RLock()
	var sites []collectionSite
	for db, ks := range s.dbs {
		for i := range ks.shards {
			for j, o := range ks.shards[i].objs {
				if c, ok := o.coll.(compactable); ok && c.fragmented() {
					sites = append(sites, collectionSite{db, i, j})
				}
			}
		}
	}
	s.mu.RUnlock()
	done := 0
	for _, site := range sites {
		if ctx.Err() != nil {
			break
		}
		if s.compactAt(site) {
			done++
		}
	}
	return done
}

// compactAt compacts the collection at site, if it is still there and
// still fragmented, and reports whether it did.
func (s *Store) compactAt(site collectionSite) bool {
	s.mu.Lock()
	ks := s.dbs[site.db]
	objs := ks.shards[site.shard].objs
	if site.obj >= len(objs) {
		s.mu.Unlock()
		return false
	}
	orig, ok := objs[site.obj].coll.(compactable)
	if !ok || !orig.fragmented() {
		s.mu.Unlock()
		return false
	}
	c := orig.Clone().(compactable)
	applied := s.applied
	s.mu.Unlock()

	c.compact()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied != applied || s.dbs[site.db] != ks {
		return false
	}
	if objs := ks.shards[site.shard].objs; site.obj >= len(objs) || objs[site.obj].coll != collection(orig) {
		return false
	}
	sh := ks.own(site.shard)
	sh.objs[site.obj].coll, sh.objs[site.obj].collGen = c, s.gen
	return true
}
