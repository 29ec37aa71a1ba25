package fsm

// Memory accounting: the dataset's size as the state machine counts it,
// which maxmemory is compared with. It must be the same number on every
// node for the same log, whatever each node's allocator, snapshot times or
// slice capacities, so it is a function of the contents only: each key
// costs perKeyOverhead, its key's bytes and its value's accounted size
// (valueMem). Each keyspace keeps the sum (keyspace.mem) up to date on
// every put and remove, so reading it is O(databases), never a scan.
//
// The raft log, snapshots being written, client buffers and the Go
// runtime are not counted, as Redis leaves its replication buffers out:
// otherwise the log entries that delete keys to free memory would
// themselves use memory and trigger more evictions. How the figure
// relates to RSS is measured in the README.

// perKeyOverhead is what a key costs besides its key and value bytes: its
// record's header, modIndex and lru (recFixed), an index slot (8 bytes at
// a load of up to 3/4), the length prefixes and the arena's slack. It is a
// fixed estimate, like Redis's dictEntry and robj, so that the figure is
// the same everywhere.
const perKeyOverhead = 40

// perObjectOverhead is the extra cost of a value kept outside the arena:
// its objs slot and the heap object's header.
const perObjectOverhead = 48

// perHashField is what a hash's field costs besides its name and value.
const perHashField = 32

// footprinter is implemented by the collection types: their size from
// their contents alone (see list.List.Footprint).
type footprinter interface {
	Footprint() int
}

// valueMem is e's value's accounted size.
func valueMem(e *entry) int64 {
	switch {
	case e.coll != nil:
		if f, ok := e.coll.(footprinter); ok {
			return perObjectOverhead + int64(f.Footprint())
		}
		return perObjectOverhead + int64(e.coll.Len())*perHashField
	case e.hash != nil:
		return perObjectOverhead + int64(e.hash.data) + int64(len(e.hash.fields))*perHashField
	case len(e.str) > inlineMax:
		return perObjectOverhead + int64(len(e.str))
	}
	return int64(len(e.str))
}

// recordMem is what the key of record r counts for: its value's size as
// of its last write (entry.mem) if the value lives outside the arena, where
// a hash or collection may since have changed in place.
func recordMem(r *record) int64 {
	v := r.mem
	if r.obj < 0 {
		v = int64(len(r.str))
	}
	return perKeyOverhead + int64(len(r.key)) + v
}

// UsedMemory returns the dataset's accounted size in bytes (see
// evictmem.go): what maxmemory is compared with, the same on every node
// that applied the same log.
func (s *Store) UsedMemory() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usedMemory()
}

// usedMemory is UsedMemory for a caller that holds the lock.
func (s *Store) usedMemory() int64 {
	var n int64
	for _, ks := range s.dbs {
		n += ks.mem
	}
	return n
}
