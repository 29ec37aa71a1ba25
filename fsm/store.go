package fsm

import (
	"sync"
)

// valueType is the type of a key's value, as TYPE reports it. Zero is
// reserved so a zero entry is never a valid value. The numbers are part of
// the snapshot format: only append.
type valueType uint8

const (
	typeString valueType = 1
)

func (t valueType) String() string {
	switch t {
	case typeString:
		return "string"
	}
	return "none"
}

// entry is one key's value and metadata. Entries are stored by value so that
// Snapshot can copy the map cheaply and still share the value bytes.
//
// Value bytes are immutable once stored: readers' replies and snapshots
// alias them after the lock is released. Writers replace them, with one
// exception: APPEND may append in place into the spare capacity past len,
// which no reader or snapshot can see because they only hold [:len]. Only the
// entry currently in the map may use that spare capacity, so every slice
// handed out or shared elsewhere (replies, COPY) has its capacity clipped.
type entry struct {
	str      []byte
	expireAt int64  // absolute deadline in ms; 0: none
	modIndex uint64 // log index of the last write to this key, for WATCH
	typ      valueType
}

func (e *entry) expired(now int64) bool { return e.expireAt != 0 && e.expireAt <= now }

// Store is the keyspace. Apply, Snapshot and Restore are called from one
// goroutine; Read, Len and ExpiresLen may run concurrently with them.
type Store struct {
	mu      sync.RWMutex
	keys    map[string]entry
	expires int    // entries with a deadline, for INFO keyspace
	applied uint64 // index of the last applied log entry
}

// New returns an empty Store.
func New() *Store {
	return &Store{keys: make(map[string]entry)}
}

// Len returns the number of keys, counting keys whose deadline has passed but
// which no write has removed yet, as Redis's DBSIZE does.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.keys)
}

// ExpiresLen returns the number of keys that carry a deadline.
func (s *Store) ExpiresLen() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.expires
}

// AppliedIndex returns the index of the last log entry applied, or the one a
// restored snapshot was taken at.
func (s *Store) AppliedIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// Apply decodes and applies the log entry at index. It returns a Reply (as
// any, to satisfy cluster.StateMachine): bad data yields an error Reply, never
// a panic. A read command in the log is answered as of its carried time.
func (s *Store) Apply(index uint64, data []byte) any {
	c, err := Decode(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = index
	if err != nil {
		return Error("ERR apply entry " + uitoa(index) + ": " + err.Error())
	}
	if !c.IsWrite() {
		return s.read(c, c.time)
	}
	w := writer{s: s, index: index, now: c.time}
	return w.apply(c)
}

// Read runs a read command (IsWrite() == false) against local state, hiding
// keys whose deadline is at or before now.
func (s *Store) Read(c Command, now int64) Reply {
	if c.IsWrite() {
		return Error("ERR fsm: " + c.Name() + " is a write and must go through Apply")
	}
	if !c.validShape() {
		return Error("ERR fsm: invalid command")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.read(c, now)
}

// lookupRead returns key's live entry as of now, without changing anything.
func (s *Store) lookupRead(key []byte, now int64) (entry, bool) {
	e, ok := s.keys[string(key)]
	if !ok || e.expired(now) {
		return entry{}, false
	}
	return e, true
}

func uitoa(n uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}

// valueReply returns b as a bulk reply whose capacity is clipped, so nothing
// downstream can append into the spare capacity APPEND may still use.
func valueReply(b []byte) Reply {
	if len(b) == 0 {
		return emptyBulk()
	}
	return Bulk(b[:len(b):len(b)])
}

func errorReply(e error) Reply { return Error(e.Error()) }

// emptyBulk returns "" as a bulk reply; []byte{} needs no allocation.
func emptyBulk() Reply { return Bulk([]byte{}) }
