package fsm

import (
	"fmt"
	"hash/maphash"
)

// collection is a value kept in one of fsm's type packages: a list, set,
// sorted set or stream. The packages know nothing of keys, expiry or the
// log; fsm keeps a collection in entry.coll and shares it with snapshots
// copy-on-write, which is why Clone must be cheap (structural sharing): the
// first write to a collection after a snapshot capture clones it (see
// writer.mutable).
type collection interface {
	// Len is the number of elements; a collection that becomes empty is
	// deleted with its key, as Redis does, unless it keeps empty (see
	// emptyKeeper).
	Len() int
	// Clone returns a copy that shares what it can; writes to either
	// never show in the other.
	Clone() collection
	// MemoryUsage estimates the bytes the collection holds.
	MemoryUsage() int
	// Encoding is what OBJECT ENCODING reports for it.
	Encoding() string
	// AppendBinary appends the snapshot form; the type's codec decodes it.
	AppendBinary(b []byte) []byte
}

// emptyKeeper is implemented by a collection that, unlike the others,
// lives on empty: Redis keeps an empty stream (XDEL of every entry, XTRIM
// MAXLEN 0, XGROUP CREATE MKSTREAM) with its last ID and its groups.
type emptyKeeper interface {
	keepsEmpty() bool
}

// dropsWhenEmpty reports whether c is empty and must go with its key.
func dropsWhenEmpty(c collection) bool {
	if c.Len() != 0 {
		return false
	}
	k, ok := c.(emptyKeeper)
	return !ok || !k.keepsEmpty()
}

// collectionCodecs decode each collection type's snapshot form. A type
// package registers its codec in its table file's init-time table; see
// collectionCodec.
type collectionCodec func(b []byte) (collection, error)

// collectionCodecs is built at package initialisation and only read
// afterwards.
var collectionCodecs [typeEnd]collectionCodec

func decodeCollection(typ valueType, b []byte) (collection, error) {
	if typ >= typeEnd || collectionCodecs[typ] == nil {
		return nil, fmt.Errorf("value type %d has no collection codec", typ)
	}
	c, err := collectionCodecs[typ](b)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	if dropsWhenEmpty(c) {
		return nil, fmt.Errorf("decode %s: empty", typ)
	}
	return c, nil
}

// collectionOf returns key's collection of type typ for reading: found is
// false for an absent key; err is WRONGTYPE for a key of another type.
// The caller holds the Store's lock.
func (ks *keyspace) collectionOf(key []byte, typ valueType, now int64) (c collection, found bool, err error) {
	e, ok := ks.lookupValue(key, now)
	if !ok {
		return nil, false, nil
	}
	if e.typ != typ {
		return nil, false, errWrongType
	}
	return e.coll, true, nil
}

// collectionOf is keyspace.collectionOf for a writer, which deletes an
// expired key on the way.
func (w *writer) collectionOf(key []byte, typ valueType) (c collection, found bool, err error) {
	e, ok := w.lookup(key)
	if !ok {
		return nil, false, nil
	}
	if e.typ != typ {
		return nil, false, errWrongType
	}
	return e.coll, true, nil
}

// mutable returns key's collection of type typ ready to be changed in
// place, cloning it first if it may be shared with a snapshot. An absent
// key gets the collection made by create (nil create: found false and no
// collection, for writes that do nothing to an absent key). After
// changing it the caller must call w.store(key, c) (or w.remove when it
// became empty), so that the key's modification index moves for WATCH.
func (w *writer) mutable(key []byte, typ valueType, create func(*Store) collection) (c collection, found bool, err error) {
	e, ok := w.lookup(key)
	switch {
	case !ok && create == nil:
		return nil, false, nil
	case !ok:
		return create(w.s), false, nil
	case e.typ != typ:
		return nil, false, errWrongType
	}
	if e.collGen != w.s.gen {
		e.coll, e.collGen = e.coll.Clone(), w.s.gen
		w.swapObject(key, e)
	}
	return e.coll, true, nil
}

// swapObject makes e's collection key's value in place, without stamping
// the write's index: cloning for a snapshot is not a change, and nodes
// snapshot at different times, so a write that then changes nothing must
// leave the key's ModIndex (WATCH) as it was on every node.
func (w *writer) swapObject(key []byte, e entry) {
	w.found.valid = false
	fh := keyHash(key)
	i := int(fh & (shardCount - 1))
	h := maphash.Bytes(w.s.seed, key)
	if _, _, ok := w.ks.shards[i].find(key, h); !ok {
		return
	}
	sh := w.ks.own(i)
	_, off, _ := sh.find(key, h)
	if r := sh.decode(off); r.obj >= 0 {
		sh.objs[r.obj] = e.object()
	}
}

// store records c as key's value after a write changed it: it keeps the
// key's deadline, stamps the write's index (for WATCH), and deletes the key
// if c is empty (and not an emptyKeeper), raising "del". So a write raises
// its own event before store when it removes elements (LPOP's "lpop"
// comes before the "del" of the list it emptied) and after when it adds
// (LPUSH's "lpush" after the "new" of the list it created), as Redis.
func (w *writer) store(key []byte, typ valueType, c collection) {
	if dropsWhenEmpty(c) {
		if _, ok := w.lookup(key); ok {
			w.del(key)
		}
		return
	}
	e, ok := w.lookup(key)
	if !ok || e.typ != typ {
		e = entry{typ: typ}
	}
	e.coll, e.collGen = c, w.s.gen
	w.put(key, e)
}

// replace sets key to a new collection (the STORE commands), dropping any
// deadline, or deletes key when c is empty (raising "del" if it existed);
// the caller raises its event ("sinterstore") after it, if c is not empty.
func (w *writer) replace(key []byte, typ valueType, c collection) {
	if dropsWhenEmpty(c) {
		if _, ok := w.lookup(key); ok {
			w.del(key)
		}
		return
	}
	w.lookup(key) // voids an expired key's statistics as any write does
	w.put(key, entry{typ: typ, coll: c, collGen: w.s.gen})
}
