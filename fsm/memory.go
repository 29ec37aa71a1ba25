package fsm

import "unsafe"

// MemoryUsage estimates the bytes key and its value hold in database db,
// for MEMORY USAGE (redis-cli --memkeys and --bigkeys): the key, its entry
// and its slot in the shard's map, and the value, each collection type
// estimating its own. Redis counts its allocator's sizes; these are the
// Go structures'. ok is false when the key does not exist. Like Redis's,
// the lookup counts neither a hit nor a miss.
func (s *Store) MemoryUsage(db int, key []byte, now int64) (n int64, ok bool) {
	if db < 0 || db >= NumDBs {
		return 0, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.dbs[db].get(key, keyHash(key))
	if !ok || e.expired(now) {
		return 0, false
	}
	return int64(len(key) + entryBytes + mapSlotBytes + e.valueBytes()), true
}

// Per-key overheads: the entry itself, and a Go map slot (the key's
// string header, the entry, the control byte) at its load factor.
const (
	entryBytes   = int(unsafe.Sizeof(entry{}))
	mapSlotBytes = 32
	fieldBytes   = int(unsafe.Sizeof(hashField{}))
)

func (e *entry) valueBytes() int {
	switch {
	case e.coll != nil:
		return e.coll.MemoryUsage()
	case e.hash != nil:
		n := int(unsafe.Sizeof(hashValue{})) + cap(e.hash.fields)*fieldBytes
		for _, f := range e.hash.fields {
			n += len(f.name) + len(f.value)
			if e.hash.index != nil {
				n += len(f.name) + mapSlotBytes // the index repeats each name
			}
		}
		return n
	}
	return cap(e.str)
}
