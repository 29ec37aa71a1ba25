package fsm

import (
	"hash/maphash"
	"math"
	"math/big"
	"slices"
)

// writer applies one write command. Every expiry decision uses now, the
// command's carried time, so all nodes decide alike. The caller holds s.mu.
type writer struct {
	s     *Store
	ks    *keyspace // the command's database
	db    int       // ks's number
	index uint64    // log index, recorded on every key the command changes
	now   int64
	// inMulti: the command is one of a transaction's (for the ACL LOG's
	// context of a refused script).
	inMulti bool

	// readyKey, while serveReady serves a waiter, is the key whose write
	// woke it: Redis serves a blocked client from that key, not from the
	// first of its keys that has data (see listblock.go).
	readyKey []byte

	// found is where the last lookup found its key (or the empty slot it
	// would take), so that the put that usually follows for the same key
	// need not hash and probe again. Any change to the shard voids it.
	found lookupHint
}

type lookupHint struct {
	key       []byte
	fh, h     uint64 // keyHash and index hash
	slot, off int
	ok, valid bool
}

// lookup returns key's live entry. A key whose deadline has passed is
// deleted on the way, which is deterministic because now is the command's
// time, not the local clock.
func (w *writer) lookup(key []byte) (entry, bool) {
	fh := keyHash(key)
	h := maphash.Bytes(w.s.seed, key)
	sh := &w.ks.shards[fh&(shardCount-1)]
	slot, off, ok := sh.find(key, h)
	w.found = lookupHint{key: key, fh: fh, h: h, slot: slot, off: off, ok: ok, valid: true}
	if !ok {
		return entry{}, false
	}
	e := sh.decode(off).entry
	if e.expired(w.now) {
		w.remove(key)
		w.s.expiredKeys.Add(1)
		w.notifyExpired(key)
		return entry{}, false
	}
	return e, true
}

// own returns the shard at i for writing: the first write after a snapshot
// capture copies its index and objects and freezes its arena (see shard).
func (ks *keyspace) own(i int) *shard {
	sh := &ks.shards[i]
	if gen := ks.s.gen; sh.gen != gen {
		sh.slots = slices.Clone(sh.slots)
		sh.objs = slices.Clone(sh.objs)
		sh.frozen = len(sh.arena)
		sh.gen = gen
	}
	return sh
}

// put stores e under key, stamped with the command's index. A key that did
// not exist (or had expired) is a creation, recorded for ModIndex.
func (w *writer) put(key []byte, e entry) {
	s, ks := w.s, w.ks
	hint := w.found
	w.found.valid = false
	var fh, h uint64
	if hint.valid && sameBytes(hint.key, key) {
		fh, h = hint.fh, hint.h
	} else {
		hint.valid = false
		fh, h = keyHash(key), maphash.Bytes(s.seed, key)
	}
	sh := ks.own(int(fh & (shardCount - 1)))
	if sh.reserve(s.seed) {
		hint.valid = false
	}
	slot, off, found := hint.slot, hint.off, hint.ok
	if !hint.valid {
		slot, off, found = sh.find(key, h)
	}
	old := record{obj: -1}
	created := !found
	live := false
	if found {
		old = sh.decode(off)
		live = !old.expired(w.now)
		if !live {
			// Overwriting a key past its deadline that no lookup
			// dropped first (MSET) expires it, as Redis's setKey.
			ks.markCreated(fh, w.index)
			s.expiredKeys.Add(1)
			w.notifyExpired(key)
			created = true
		}
		if old.expireAt != 0 {
			ks.expires--
		}
		ks.mem -= recordMem(&old)
	} else {
		ks.count++
		ks.markCreated(fh, w.index)
	}
	if created {
		w.notify(notifyNew, "new", key)
	}
	if e.expireAt != 0 {
		ks.expires++
	}
	e.modIndex = w.index
	e.lru = w.writeLRU(fh, old.lru, live, e.lru)
	e.mem = valueMem(&e)
	ks.mem += perKeyOverhead + int64(len(key)) + e.mem
	s.noteReady(w.db, key)
	s.noteChanged(w.db, key)

	obj := -1
	switch {
	case e.needsObject() && old.obj >= 0:
		obj = old.obj
		sh.objs[obj] = e.object()
	case e.needsObject():
		obj = sh.objPut(e.object())
	case old.obj >= 0:
		sh.objFree(old.obj)
	}
	// A record past frozen that keeps its shape and its value bytes (a
	// new deadline, a hash or long string changed in place, WATCH's
	// index) is rewritten in place rather than appended.
	if found && off >= sh.frozen && old.typ == e.typ && old.raw == e.raw && old.noInt == e.noInt && old.unshared == e.unshared && (old.expireAt != 0) == (e.expireAt != 0) &&
		((obj >= 0 && obj == old.obj) || (obj < 0 && old.obj < 0 && sameBytes(old.str, e.str))) {
		sh.patch(off, e.modIndex, e.lru, e.expireAt)
		return
	}
	newOff := sh.appendRecord(key, &e, obj)
	if found {
		// A compaction while appending copied the old record too.
		sh.garbage += old.size
		sh.slots[slot] = makeSlot(h, newOff)
		return
	}
	sh.slots[slot] = makeSlot(h, newOff)
	sh.count++
}

// sameBytes reports whether a and b are the same bytes in memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (w *writer) remove(key []byte) {
	w.found.valid = false
	s, ks := w.s, w.ks
	fh := keyHash(key)
	i := int(fh & (shardCount - 1))
	h := maphash.Bytes(s.seed, key)
	slot, off, ok := ks.shards[i].find(key, h)
	if !ok {
		return
	}
	// A blocked XREADGROUP learns that its stream is gone (Redis's
	// signalDeletedKeyAsReady); other waiters find nothing to take.
	s.noteReady(w.db, key)
	// own copies the index as it is: the slot found stays the key's.
	sh := ks.own(i)
	s.noteChanged(w.db, key)
	old := sh.decode(off)
	if old.expireAt != 0 {
		ks.expires--
	}
	if old.obj >= 0 {
		sh.objFree(old.obj)
	}
	ks.mem -= recordMem(&old)
	ks.count--
	sh.count--
	sh.garbage += old.size
	sh.deleteSlot(s.seed, slot)
	sh.maybeCompact()
}

// ownedCopy copies b into a slice the store owns, with no spare capacity.
func ownedCopy(b []byte) []byte {
	if len(b) == 0 {
		return []byte{}
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

func stringEntry(b []byte, expireAt int64) entry {
	return entry{typ: typeString, str: b, expireAt: expireAt}
}

// newString is stringEntry for a value Redis makes with its integer
// encoding tried (tryObjectEncoding, createStringObjectFromLongLongForValue):
// whether a small integer is one of Redis's shared objects depends on the
// maxmemory settings when it is made.
func (w *writer) newString(b []byte, expireAt int64) entry { return w.s.newString(b, expireAt) }

// newString is a string entry made now: as Redis's
// createStringObjectFromLongLongForValue, a small integer made under an
// LRU or LFU maxmemory policy is not shared, as each key needs its own
// access clock.
func (s *Store) newString(b []byte, expireAt int64) entry {
	e := stringEntry(b, expireAt)
	if cfg := s.evictCfg(); cfg.maxMemory != 0 && (cfg.policy.LRU() || cfg.policy.LFU()) {
		e.unshared = true
	}
	return e
}

// run applies c, whatever it is: a transaction, a read (answered as of the
// carried time) or a write.
func (w *writer) run(c Command) Reply {
	w.found.valid = false
	switch {
	case c.op == opMulti:
		return w.multi(c)
	case !c.IsWrite():
		if d := c.def(); d != nil && d.readInApply != nil {
			return d.readInApply(w, c)
		}
		return w.ks.read(c, w.now)
	}
	return w.apply(c)
}

func (w *writer) apply(c Command) Reply {
	if d := c.def(); d != nil && d.apply != nil {
		return d.apply(w, c)
	} else if d != nil && d.serve != nil {
		return w.block(c, d)
	}
	switch c.op {
	case opSet:
		return w.set(c)
	case opSetNX:
		if _, found := w.lookup(c.args[0]); found {
			return Zero
		}
		w.put(c.args[0], w.newString(ownedCopy(c.args[1]), 0))
		w.notify(notifyString, "set", c.args[0])
		return One
	case opDel:
		var n int64
		for _, k := range c.args {
			if _, found := w.lookup(k); found {
				w.del(k)
				n++
			}
		}
		return Int(n)
	case opMSet:
		for i := 0; i < len(c.args); i += 2 {
			w.put(c.args[i], w.newString(ownedCopy(c.args[i+1]), 0))
			w.notify(notifyString, "set", c.args[i])
		}
		return OK
	case opMSetNX:
		for i := 0; i < len(c.args); i += 2 {
			if _, found := w.lookup(c.args[i]); found {
				return Zero
			}
		}
		for i := 0; i < len(c.args); i += 2 {
			w.put(c.args[i], w.newString(ownedCopy(c.args[i+1]), 0))
			w.notify(notifyString, "set", c.args[i])
		}
		return One
	case opIncrBy:
		return w.incrBy(c.args[0], c.ints[0])
	case opIncrByFloat:
		return w.incrByFloat(c.args[0], c.args[1])
	case opFlushAll:
		if c.flags&flagAllDBs != 0 {
			for _, ks := range w.s.dbs {
				ks.reset()
			}
			w.s.noteFlushed(-1)
		} else {
			w.ks.reset()
			w.s.noteFlushed(w.db)
		}
		w.found.valid = false
		return OK
	case opGetDel:
		e, found := w.lookup(c.args[0])
		if !found {
			w.ks.keyMiss(c.args[0])
			return Nil
		}
		w.ks.keyHit()
		if e.typ != typeString {
			return errorReply(errWrongType)
		}
		w.del(c.args[0])
		return valueReply(e.str)
	case opGetEx:
		return w.getEx(c)
	case opAppend:
		return w.append(c.args[0], c.args[1])
	case opSetRange:
		return w.setRange(c.args[0], c.ints[0], c.args[1])
	case opExpire:
		return w.expire(c)
	case opPersist:
		e, found := w.lookup(c.args[0])
		if !found || e.expireAt == 0 {
			return Zero
		}
		e.expireAt = 0
		w.put(c.args[0], e)
		w.notify(notifyGeneric, "persist", c.args[0])
		return One
	case opRename:
		return w.rename(c.args[0], c.args[1], c.flags&flagNX != 0)
	case opCopy:
		return w.copyKey(c.args[0], w, c.args[1], c.flags&flagReplace != 0)
	case opHSet, opHSetNX, opHDel, opHIncrBy, opHIncrByFloat:
		return w.applyHash(c)
	case opExpireKeys:
		return w.expireKeys(c)
	}
	return Error("ERR fsm: " + c.Name() + " is not a write command")
}

// copyKey implements COPY from w's database into dst's.
func (w *writer) copyKey(srcKey []byte, dst *writer, dstKey []byte, replace bool) Reply {
	src, found := w.lookup(srcKey)
	if !found {
		w.ks.keyMiss(srcKey)
		return Zero
	}
	w.ks.keyHit()
	if _, exists := dst.lookup(dstKey); exists {
		if !replace {
			return Zero
		}
		// Redis deletes the old value first: the copy is a "new" key.
		dst.remove(dstKey)
	}
	// The copy shares the value bytes, clipped so that an APPEND to
	// either key cannot write into bytes the other one sees; a hash's or
	// a collection's structure is changed in place, so it is cloned.
	src.str = src.str[:len(src.str):len(src.str)]
	// dupStringObject: an integer string's copy is an object of its own.
	src.unshared = src.typ == typeString
	if src.hash != nil {
		src.hash = src.hash.clone()
		src.hash.gen = w.s.gen
	}
	if src.coll != nil {
		src.coll, src.collGen = src.coll.Clone(), w.s.gen
	}
	dst.put(dstKey, src)
	dst.notify(notifyGeneric, "copy_to", dstKey)
	return One
}

// set implements SET with all its options, and SETEX, PSETEX and GETSET.
func (w *writer) set(c Command) Reply {
	key := c.args[0]
	old, found := w.lookup(key)
	reply := OK
	if c.flags&flagGet != 0 {
		switch {
		case !found:
			// Redis's SET GET and GETSET read the old value as GET
			// does: a miss is a keymiss.
			w.ks.keyMiss(key)
			reply = Nil
		case old.typ != typeString:
			w.ks.keyHit()
			return errorReply(errWrongType)
		default:
			w.ks.keyHit()
			reply = valueReply(old.str)
		}
	}
	if (c.flags&flagNX != 0 && found) || (c.flags&flagXX != 0 && !found) {
		if c.flags&flagGet != 0 {
			return reply
		}
		return Nil
	}
	e := w.newString(ownedCopy(c.args[1]), 0)
	switch {
	case c.flags&flagKeepTTL != 0 && found:
		e.expireAt = old.expireAt
	case c.flags&flagDeadline != 0:
		// A deadline already past is stored as given, as Redis 7.0
		// does; lookups treat the key as absent from now on.
		e.expireAt = c.ints[0]
	}
	w.put(key, e)
	w.notify(notifyString, "set", key)
	if c.flags&flagDeadline != 0 {
		w.notify(notifyGeneric, "expire", key)
	}
	return reply
}

func (w *writer) incrBy(key []byte, delta int64) Reply {
	e, found := w.lookup(key)
	var v int64
	if found {
		if e.typ != typeString {
			return errorReply(errWrongType)
		}
		var ok bool
		if v, ok = ParseInt(e.str); !ok {
			return errorReply(errNotInteger)
		}
	}
	if (delta < 0 && v < math.MinInt64-delta) || (delta > 0 && v > math.MaxInt64-delta) {
		return errorReply(errOverflow)
	}
	v += delta
	// INCR keeps the key's deadline; e.expireAt is 0 for a new key.
	w.put(key, w.newString(appendInt(make([]byte, 0, 20), v), e.expireAt))
	w.notify(notifyString, "incrby", key)
	return Int(v)
}

func (w *writer) incrByFloat(key, incrArg []byte) Reply {
	e, found := w.lookup(key)
	value := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven)
	valueInf := false
	if found {
		if e.typ != typeString {
			return errorReply(errWrongType)
		}
		x, inf, ok := parseLongDouble(e.str)
		if !ok {
			return errorReply(errNotFloat)
		}
		valueInf = inf
		if !inf {
			value.Set(x)
		}
	}
	incr, incrInf, ok := parseLongDouble(incrArg)
	if !ok {
		return errorReply(errNotFloat)
	}
	if valueInf || incrInf {
		return errorReply(errFloatOverflow)
	}
	value.Add(value, incr)
	if value.Sign() != 0 && value.MantExp(nil) > longDoubleMaxExp {
		return errorReply(errFloatOverflow)
	}
	out := formatLongDouble(value)
	ne := stringEntry(out, e.expireAt)
	ne.noInt = true // createStringObjectFromLongDouble: no integer encoding
	w.put(key, ne)
	w.notify(notifyString, "incrbyfloat", key)
	return valueReply(out)
}

func (w *writer) getEx(c Command) Reply {
	key := c.args[0]
	e, found := w.lookup(key)
	if !found {
		return Nil
	}
	if e.typ != typeString {
		return errorReply(errWrongType)
	}
	reply := valueReply(e.str)
	switch {
	case c.flags&flagDeadline != 0 && c.ints[0] <= w.now:
		w.del(key)
	case c.flags&flagDeadline != 0:
		e.expireAt = c.ints[0]
		w.put(key, e)
		w.notify(notifyGeneric, "expire", key)
	case c.flags&flagPersist != 0 && e.expireAt != 0:
		e.expireAt = 0
		w.put(key, e)
		w.notify(notifyGeneric, "persist", key)
	}
	return reply
}

func (w *writer) append(key, suffix []byte) Reply {
	e, found := w.lookup(key)
	if !found {
		w.put(key, w.newString(ownedCopy(suffix), 0))
		w.notify(notifyString, "append", key)
		return Int(int64(len(suffix)))
	}
	if e.typ != typeString {
		return errorReply(errWrongType)
	}
	if int64(len(e.str))+int64(len(suffix)) > maxStringLen {
		return errorReply(errStringTooLong)
	}
	// Appending in place into spare capacity is safe (see entry) and
	// makes repeated APPENDs amortised O(1) instead of a full copy each.
	e.str = append(e.str, suffix...)
	e.raw = true
	w.put(key, e)
	w.notify(notifyString, "append", key)
	return Int(int64(len(e.str)))
}

func (w *writer) setRange(key []byte, offset int64, value []byte) Reply {
	e, found := w.lookup(key)
	if found && e.typ != typeString {
		return errorReply(errWrongType)
	}
	if len(value) == 0 {
		return Int(int64(len(e.str)))
	}
	// Parse already rejected this; checking again keeps a corrupt log
	// entry from allocating without bound.
	if offset < 0 || offset > maxStringLen-int64(len(value)) {
		return errorReply(errStringTooLong)
	}
	// Values are immutable once stored, so SETRANGE builds a new one:
	// O(len) per call where Redis edits in place.
	size := max(int64(len(e.str)), offset+int64(len(value)))
	out := make([]byte, size)
	copy(out, e.str)
	copy(out[offset:], value)
	ne := stringEntry(out, e.expireAt)
	ne.raw = true
	w.put(key, ne)
	w.notify(notifyString, "setrange", key)
	return Int(size)
}

func (w *writer) expire(c Command) Reply {
	key, when := c.args[0], c.ints[0]
	e, found := w.lookup(key)
	if !found {
		return Zero
	}
	current := e.expireAt // 0: no deadline, which GT treats as infinite
	switch {
	case c.flags&flagNX != 0 && current != 0,
		c.flags&flagXX != 0 && current == 0,
		c.flags&flagGT != 0 && (current == 0 || when <= current),
		c.flags&flagLT != 0 && current != 0 && when >= current:
		return Zero
	}
	if when <= w.now {
		w.del(key)
		return One
	}
	e.expireAt = when
	w.put(key, e)
	w.notify(notifyGeneric, "expire", key)
	return One
}

func (w *writer) rename(src, dst []byte, nx bool) Reply {
	e, found := w.lookup(src)
	if !found {
		return errorReply(errNoSuchKey)
	}
	if string(src) == string(dst) {
		if nx {
			return Zero
		}
		return OK
	}
	if _, exists := w.lookup(dst); exists {
		if nx {
			return Zero
		}
		// Redis deletes the old value first: dst is a "new" key.
		w.remove(dst)
	}
	w.remove(src)
	w.put(dst, e)
	w.notify(notifyGeneric, "rename_from", src)
	w.notify(notifyGeneric, "rename_to", dst)
	if nx {
		return One
	}
	return OK
}
