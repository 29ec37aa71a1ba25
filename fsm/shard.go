package fsm

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// A shard holds its keys as records appended to one byte arena, found
// through an open-addressing index of arena offsets. Neither the arena nor
// the index holds a pointer, so the garbage collector neither scans them
// nor counts millions of objects: a key costs its bytes, a record header
// and an index slot, where a Go map of strings costs a map slot, a string
// allocation and a value allocation per key, all scanned at every
// collection. Only hashes and long strings live outside the arena, in objs.
//
// A record, at an arena offset:
//
//	header    1 byte: the valueType in the low bits, recExpire, recObject
//	modIndex  8 bytes little-endian
//	lru       4 bytes little-endian: the access clock or LFU counter
//	          (see entry.lru)
//	expireAt  8 bytes little-endian, if recExpire
//	key       uvarint length, bytes
//	value     recObject: a uint32 little-endian index into objs;
//	          otherwise the string's uvarint length, bytes
//
// Records are immutable once written, except for modIndex, lru and
// expireAt of records past frozen (see below): a write appends a new record and the old
// one becomes garbage until the shard is compacted into a new arena. So
// value and key bytes may be aliased by replies after the lock is released,
// as they always could.
//
// Snapshots share a shard instead of copying it (copy on write). Store.gen
// counts captures; a shard whose gen is older may be shared with a
// snapshot, and the first write to it after a capture (own) copies the
// index and objs, which are small, and marks the arena's current length as
// frozen: the snapshot reads only arena[:frozen], whose bytes no write
// changes any more, while new records are appended past it. A hash is
// shared the same way and cloned by its first write after a capture (see
// hashValue.gen). A long string's bytes are immutable up to its length, as
// before (APPEND may only use its spare capacity).
type shard struct {
	// slots is the index: 0 for an empty slot, else the record's offset
	// plus one in the low 40 bits and the top 24 bits of the key's
	// index hash (a tag that spares most key comparisons). Linear
	// probing; deletion shifts the following entries back, so there are
	// no tombstones.
	slots   []uint64
	arena   []byte
	objs    []object
	free    []uint32 // unused objs positions
	count   int      // records in the index
	garbage int      // arena bytes of records no longer indexed
	frozen  int      // arena[:frozen] may be shared with a snapshot
	gen     uint64   // Store.gen when this shard's slots and objs were last copied
}

// object is a value kept outside the arena: a hash, or a string longer than
// inlineMax, so that neither is copied by compaction and APPEND to a long
// string stays amortised O(1).
type object struct {
	str     []byte
	hash    *hashValue
	coll    collection
	collGen uint64
	mem     int64 // see entry.mem
}

const (
	recTypeMask = 0x07
	recExpire   = 0x08
	recObject   = 0x10
	recRaw      = 0x20 // a string Redis would encode "raw" (see entry.raw)
	recNoInt    = 0x40 // a string Redis would not encode "int" (see entry.noInt)
	recUnshared = 0x80 // an integer string Redis does not share (see entry.unshared)

	// recFixed is the size of a record's fixed part: header, modIndex
	// and lru.
	recFixed = 1 + 8 + 4

	// inlineMax is the longest string value kept in the arena.
	inlineMax = 256

	slotOffsetBits = 40
	slotOffsetMask = 1<<slotOffsetBits - 1
	// maxArena keeps offsets (plus one) within slotOffsetBits.
	maxArena = slotOffsetMask - 1

	minSlots = 8
)

// record is a decoded record.
type record struct {
	entry
	key  []byte
	obj  int // objs position, or -1
	size int // bytes in the arena
}

// decode reads the record at off. Value and key slices alias the arena with
// their capacity clipped, so appending to them never writes into it.
func (sh *shard) decode(off int) record {
	a := sh.arena
	hdr := a[off]
	p := off + 1
	r := record{obj: -1}
	r.typ = valueType(hdr & recTypeMask)
	r.raw = hdr&recRaw != 0
	r.noInt = hdr&recNoInt != 0
	r.unshared = hdr&recUnshared != 0
	r.modIndex = binary.LittleEndian.Uint64(a[p:])
	r.lru = binary.LittleEndian.Uint32(a[p+8:])
	p += 12
	if hdr&recExpire != 0 {
		r.expireAt = int64(binary.LittleEndian.Uint64(a[p:]))
		p += 8
	}
	klen, n := binary.Uvarint(a[p:])
	p += n
	r.key = a[p : p+int(klen) : p+int(klen)]
	p += int(klen)
	if hdr&recObject != 0 {
		r.obj = int(binary.LittleEndian.Uint32(a[p:]))
		p += 4
		o := sh.objs[r.obj]
		r.str, r.hash, r.coll, r.collGen, r.mem = o.str, o.hash, o.coll, o.collGen, o.mem
	} else {
		vlen, n := binary.Uvarint(a[p:])
		p += n
		r.str = a[p : p+int(vlen) : p+int(vlen)]
		p += int(vlen)
	}
	r.size = p - off
	return r
}

// keyAt returns the key of the record at off.
func (sh *shard) keyAt(off int) []byte {
	a := sh.arena
	p := off + recFixed
	if a[off]&recExpire != 0 {
		p += 8
	}
	klen, n := binary.Uvarint(a[p:])
	p += n
	return a[p : p+int(klen) : p+int(klen)]
}

// expireAt returns the deadline of the record at off (0: none).
func (sh *shard) expireAt(off int) int64 {
	if sh.arena[off]&recExpire == 0 {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(sh.arena[off+recFixed:]))
}

// needsObject reports whether e's value lives in objs.
func (e *entry) needsObject() bool { return e.typ != typeString || len(e.str) > inlineMax }

// object returns what of e lives in objs.
func (e *entry) object() object {
	return object{str: e.str, hash: e.hash, coll: e.coll, collGen: e.collGen, mem: e.mem}
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// appendRecord appends the record for key and e (whose value is objs[obj]
// if obj >= 0) and returns its offset.
func (sh *shard) appendRecord(key []byte, e *entry, obj int) int {
	off := sh.appendHead(key, e, obj, len(e.str))
	if obj < 0 {
		sh.arena = append(sh.arena, e.str...)
	}
	return off
}

// appendHead appends a record but for the bytes of its inline value, if
// any, which are to be vlen long and for which it leaves room, and returns
// its offset.
func (sh *shard) appendHead(key []byte, e *entry, obj, vlen int) int {
	size := recFixed + uvarintLen(uint64(len(key))) + len(key)
	if e.expireAt != 0 {
		size += 8
	}
	if obj >= 0 {
		size += 4
	} else {
		size += uvarintLen(uint64(vlen)) + vlen
	}
	sh.room(size)
	off := len(sh.arena)
	if off+size > maxArena {
		// Terabytes in one shard: the offsets cannot say more.
		panic("fsm: shard arena exceeds its offset range")
	}
	hdr := byte(e.typ)
	if e.expireAt != 0 {
		hdr |= recExpire
	}
	if obj >= 0 {
		hdr |= recObject
	}
	if e.raw {
		hdr |= recRaw
	}
	if e.noInt {
		hdr |= recNoInt
	}
	if e.unshared {
		hdr |= recUnshared
	}
	a := append(sh.arena, hdr)
	a = binary.LittleEndian.AppendUint64(a, e.modIndex)
	a = binary.LittleEndian.AppendUint32(a, e.lru)
	if e.expireAt != 0 {
		a = binary.LittleEndian.AppendUint64(a, uint64(e.expireAt))
	}
	a = binary.AppendUvarint(a, uint64(len(key)))
	a = append(a, key...)
	if obj >= 0 {
		a = binary.LittleEndian.AppendUint32(a, uint32(obj))
	} else {
		a = binary.AppendUvarint(a, uint64(vlen))
	}
	sh.arena = a
	return off
}

// room makes room for n more arena bytes: by compacting the arena when a
// fifth of it is garbage (which a compaction's room for a quarter more
// garbage reaches when it is full), else by growing it. It grows by an eighth
// rather than append's quarter: spare capacity is memory held per key, and
// copying a shard's arena is cheap.
func (sh *shard) room(n int) {
	need := len(sh.arena) + n
	if need <= cap(sh.arena) {
		return
	}
	if sh.garbage*5 >= len(sh.arena) && sh.garbage > 0 {
		sh.compact(n)
		return
	}
	a := make([]byte, len(sh.arena), max(need+need/8, 256))
	copy(a, sh.arena)
	sh.arena = a
	// A new array is shared with nobody.
	sh.frozen = 0
}

// objPut stores o in objs and returns its position.
func (sh *shard) objPut(o object) int {
	if n := len(sh.free); n > 0 {
		i := sh.free[n-1]
		sh.free = sh.free[:n-1]
		sh.objs[i] = o
		return int(i)
	}
	sh.objs = append(sh.objs, o)
	return len(sh.objs) - 1
}

func (sh *shard) objFree(i int) {
	sh.objs[i] = object{}
	sh.free = append(sh.free, uint32(i))
}

// home is the slot where a key with index hash h starts its probe.
func (sh *shard) home(h uint64) int {
	return int(uint64(uint32(h)) * uint64(len(sh.slots)) >> 32)
}

func slotTag(h uint64) uint64 { return h >> slotOffsetBits }

// find returns the slot holding key (hashed to h) and its record's offset,
// or the empty slot where it would go and ok false.
func (sh *shard) find(key []byte, h uint64) (slot, off int, ok bool) {
	if len(sh.slots) == 0 {
		return -1, 0, false
	}
	tag := slotTag(h)
	i := sh.home(h)
	for {
		v := sh.slots[i]
		if v == 0 {
			return i, 0, false
		}
		if v>>slotOffsetBits == tag {
			off := int(v&slotOffsetMask) - 1
			if bytes.Equal(sh.keyAt(off), key) {
				return i, off, true
			}
		}
		if i++; i == len(sh.slots) {
			i = 0
		}
	}
}

func makeSlot(h uint64, off int) uint64 { return slotTag(h)<<slotOffsetBits | uint64(off+1) }

func slotOffset(v uint64) int { return int(v&slotOffsetMask) - 1 }

// reserve grows the index, if needed, so that one more key keeps the load
// at most 3/4. Capacities grow by half, not double, which keeps the
// average load higher; home maps a hash onto any capacity. It reports
// whether it rebuilt the index, which moves every key's slot.
func (sh *shard) reserve(seed maphash.Seed) bool {
	if (sh.count+1)*4 <= len(sh.slots)*3 {
		return false
	}
	sh.rehash(seed, max(minSlots, len(sh.slots)+len(sh.slots)/2))
	return true
}

// rehash rebuilds the index with n slots.
func (sh *shard) rehash(seed maphash.Seed, n int) {
	old := sh.slots
	sh.slots = make([]uint64, n)
	for _, v := range old {
		if v != 0 {
			sh.insertNew(seed, slotOffset(v))
		}
	}
}

// insertNew indexes the record at off, whose key is not in the index.
func (sh *shard) insertNew(seed maphash.Seed, off int) {
	h := maphash.Bytes(seed, sh.keyAt(off))
	i := sh.home(h)
	for sh.slots[i] != 0 {
		if i++; i == len(sh.slots) {
			i = 0
		}
	}
	sh.slots[i] = makeSlot(h, off)
}

// deleteSlot empties slot i and shifts back the entries after it that
// would otherwise no longer be found (backward-shift deletion).
func (sh *shard) deleteSlot(seed maphash.Seed, i int) {
	n := len(sh.slots)
	for {
		sh.slots[i] = 0
		j := i
		for {
			if j++; j == n {
				j = 0
			}
			v := sh.slots[j]
			if v == 0 {
				return
			}
			home := sh.home(maphash.Bytes(seed, sh.keyAt(slotOffset(v))))
			// The entry at j may move to i unless its home lies
			// cyclically in (i, j].
			if (i < j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
				sh.slots[i] = v
				i = j
				break
			}
		}
	}
}

// maybeCompact compacts the arena once a quarter of it is garbage, after a
// deletion: writes compact when they need room (see room).
func (sh *shard) maybeCompact() {
	if sh.garbage >= 512 && sh.garbage*4 >= len(sh.arena) {
		sh.compact(0)
	}
}

// compact copies the live records into a new arena with room for n more
// bytes and for a quarter more garbage, so that each byte of garbage pays
// for copying at most about four live bytes. The old arena stays as it
// was: snapshots and replies may still read it.
func (sh *shard) compact(n int) {
	live := len(sh.arena) - sh.garbage
	a := make([]byte, 0, live+max(live/4, n))
	for i, v := range sh.slots {
		if v == 0 {
			continue
		}
		off := slotOffset(v)
		size := sh.recordLen(off)
		sh.slots[i] = v&^slotOffsetMask | uint64(len(a)+1)
		a = append(a, sh.arena[off:off+size]...)
	}
	sh.arena, sh.garbage, sh.frozen = a, 0, 0
}

// recordLen returns the size of the record at off.
func (sh *shard) recordLen(off int) int {
	a := sh.arena
	hdr := a[off]
	p := off + recFixed
	if hdr&recExpire != 0 {
		p += 8
	}
	klen, n := binary.Uvarint(a[p:])
	p += n + int(klen)
	if hdr&recObject != 0 {
		return p + 4 - off
	}
	vlen, n := binary.Uvarint(a[p:])
	return p + n + int(vlen) - off
}

// patch rewrites the modIndex, lru and expireAt of the record at off in
// place. The caller has checked that off is past frozen and that the record
// keeps its shape (a deadline where it had one).
func (sh *shard) patch(off int, modIndex uint64, lru uint32, expireAt int64) {
	binary.LittleEndian.PutUint64(sh.arena[off+1:], modIndex)
	binary.LittleEndian.PutUint32(sh.arena[off+9:], lru)
	if expireAt != 0 {
		binary.LittleEndian.PutUint64(sh.arena[off+recFixed:], uint64(expireAt))
	}
}

// lruAt returns the lru of the record at off.
func (sh *shard) lruAt(off int) uint32 { return binary.LittleEndian.Uint32(sh.arena[off+9:]) }

// modIndexAt returns the modIndex of the record at off.
func (sh *shard) modIndexAt(off int) uint64 { return binary.LittleEndian.Uint64(sh.arena[off+1:]) }

// offsets appends the offsets of the shard's records to buf[:0], in the
// order of their keys: the order SCAN, KEYS and snapshots use, the same on
// every node whatever the index's layout.
func (sh *shard) offsets(buf []int) []int {
	var keys []prefixed
	buf, _ = sh.sortedOffsets(buf, keys)
	return buf
}

// prefixed is a record's offset with eight bytes of its key, from the
// first byte where the shard's keys differ, as a big-endian number: most
// comparisons of a sort are then one integer comparison, with no cache
// miss into the arena.
type prefixed struct {
	prefix uint64
	off    int
}

// sortedOffsets is offsets with scratch space for the sort, which it
// returns for reuse.
func (sh *shard) sortedOffsets(buf []int, keys []prefixed) ([]int, []prefixed) {
	buf, keys = buf[:0], keys[:0]
	var first []byte
	lcp := -1
	for _, v := range sh.slots {
		if v == 0 {
			continue
		}
		off := slotOffset(v)
		keys = append(keys, prefixed{off: off})
		k := sh.keyAt(off)
		if lcp < 0 {
			first, lcp = k, len(k)
			continue
		}
		n := min(lcp, len(k))
		i := 0
		for i < n && k[i] == first[i] {
			i++
		}
		lcp = i
	}
	lcp = max(lcp, 0)
	for i := range keys {
		k := sh.keyAt(keys[i].off)
		var p [8]byte
		if lcp < len(k) {
			copy(p[:], k[lcp:])
		}
		keys[i].prefix = binary.BigEndian.Uint64(p[:])
	}
	slices.SortFunc(keys, func(x, y prefixed) int {
		switch {
		case x.prefix < y.prefix:
			return -1
		case x.prefix > y.prefix:
			return 1
		}
		return bytes.Compare(sh.keyAt(x.off), sh.keyAt(y.off))
	})
	for _, k := range keys {
		buf = append(buf, k.off)
	}
	return buf, keys
}
