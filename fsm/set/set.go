package set

import (
	"iter"
	"strconv"
	"strings"
	"unsafe"
)

// Set is one set value. The zero Set is an empty intset, ready to use.
//
// Members handed out (At, All, Members, Random...) are read-only: they may
// share memory with the set, and with its clones.
type Set struct {
	ints intset
	tab  table // the "hashtable" encoding once non-nil; ints is then unused
	data int   // bytes of the table's members, for MemoryUsage
}

// New returns an empty set holding members (added as SADD would add them to
// a new key, so the encoding is Redis's for the same SADD).
func New(lim Limits, members ...[]byte) *Set {
	s := &Set{}
	s.Add(lim, members...)
	return s
}

// Encoding returns what Redis 7.0's OBJECT ENCODING says for the set:
// "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.tab != nil {
		return "hashtable"
	}
	return "intset"
}

// Len returns the number of members (SCARD).
func (s *Set) Len() int {
	if s.tab != nil {
		return s.tab.len()
	}
	return s.ints.len()
}

// Add adds members, reporting how many were not there before (SADD). Like
// Redis, an intset converts to a hash table when a member is not a canonical
// integer or when it grows past lim.MaxIntsetEntries. Add copies what it
// keeps of members.
func (s *Set) Add(lim Limits, members ...[]byte) int {
	added := 0
	for _, m := range members {
		if s.add(lim, m) {
			added++
		}
	}
	return added
}

func (s *Set) add(lim Limits, m []byte) bool { return s.addString(lim, view(m), false) }

// addString adds m; owned says m is immutable and may be kept as it is (a
// member of another set, shared rather than copied), otherwise a table keeps
// a copy.
func (s *Set) addString(lim Limits, m string, owned bool) bool {
	if s.tab == nil {
		if v, ok := parseInt(m); ok {
			if !s.ints.add(v) {
				return false
			}
			if s.ints.len() > lim.MaxIntsetEntries {
				s.convert()
			}
			return true
		}
		s.convert()
	}
	if s.tab.has(m) {
		return false
	}
	if !owned {
		m = strings.Clone(m)
	}
	s.tab.insert(m)
	s.data += allocSize(len(m))
	return true
}

// convert moves an intset's members into a table, for good.
func (s *Set) convert() {
	t := newTable()
	for i := range s.ints.len() {
		m := strconv.FormatInt(s.ints.get(i), 10)
		t.insert(m)
		s.data += allocSize(len(m))
	}
	s.tab, s.ints = t, intset{}
}

// Remove removes members, reporting how many were there (SREM). A set never
// converts back to an intset, as in Redis.
func (s *Set) Remove(members ...[]byte) int {
	removed := 0
	for _, m := range members {
		if s.remove(m) {
			removed++
		}
	}
	return removed
}

func (s *Set) remove(m []byte) bool {
	if s.tab != nil {
		if s.tab.remove(view(m)) {
			s.data -= allocSize(len(m))
			return true
		}
		return false
	}
	v, ok := parseInt(m)
	return ok && s.ints.remove(v)
}

// Contains reports whether m is a member (SISMEMBER).
func (s *Set) Contains(m []byte) bool { return s.has(view(m)) }

func (s *Set) has(m string) bool {
	if s.tab != nil {
		return s.tab.has(m)
	}
	v, ok := parseInt(m)
	return ok && s.ints.contains(v)
}

// At returns the i-th member in the set's order (the order of All), for
// 0 <= i < Len(). It takes O(log n).
func (s *Set) At(i int) []byte {
	if s.tab != nil {
		return bytesOf(s.tab.at(i))
	}
	return strconv.AppendInt(nil, s.ints.get(i), 10)
}

// All yields the members in the set's order, SMEMBERS's: ascending numeric
// for an intset (as Redis), the order of a fixed hash of the members for a
// hash table (Redis's is its hash table's own). The set must not be
// changed during the iteration. Each yielded slice stays valid afterwards.
func (s *Set) All() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		if s.tab != nil {
			s.tab.ascend(func(m string) bool { return yield(bytesOf(m)) })
			return
		}
		var buf []byte
		for i := range s.ints.len() {
			// Members share one buffer, which is only ever appended to
			// (a full one is replaced, not overwritten), so each stays
			// valid.
			if cap(buf)-len(buf) < 20 {
				buf = make([]byte, 0, max(64, 2*cap(buf)))
			}
			start := len(buf)
			buf = strconv.AppendInt(buf, s.ints.get(i), 10)
			if !yield(buf[start:len(buf):len(buf)]) {
				return
			}
		}
	}
}

// each calls fn with each member in the set's order until fn returns false.
// A table's members are its own immutable strings, which another set may
// share (see addString).
func (s *Set) each(fn func(m string) bool) {
	if s.tab != nil {
		s.tab.ascend(fn)
		return
	}
	for i := range s.ints.len() {
		if !fn(strconv.FormatInt(s.ints.get(i), 10)) {
			return
		}
	}
}

// Scan answers SSCAN: it returns about count members from cursor on (0
// starts) and the cursor to pass next, 0 when the scan is done. As in Redis,
// an intset is returned whole with cursor 0 whatever the cursor and count,
// and a member present for the whole of a scan is returned at least once
// (possibly more, if the set changes between calls). The caller applies
// MATCH to the members returned, as Redis does.
func (s *Set) Scan(cursor uint64, count int) (next uint64, members [][]byte) {
	if s.tab == nil {
		return 0, s.Members()
	}
	count = max(count, 1)
	members = make([][]byte, 0, min(count, s.tab.len()))
	next = s.tab.scan(cursor, count, func(m string) { members = append(members, bytesOf(m)) })
	return next, members
}

// Members returns the members in the set's order (see All).
func (s *Set) Members() [][]byte {
	out := make([][]byte, 0, s.Len())
	for m := range s.All() {
		out = append(out, m)
	}
	return out
}

// Clone returns a copy of s that changes to either never affect: a snapshot
// keeps one while writes go on in the other. An intset (at most
// MaxIntsetEntries values) is copied; a hash table is shared structurally,
// so cloning it costs O(1) and each side copies only what it later changes.
//
// Clone gives s a new ownership token for its B-tree nodes, so it must be
// called where s may be written (its writer's goroutine); other goroutines
// may go on reading s meanwhile, and either Set may then be used on its own
// goroutine.
func (s *Set) Clone() *Set {
	c := &Set{data: s.data}
	if s.tab != nil {
		c.tab = s.tab.clone()
	} else {
		c.ints = s.ints.clone()
	}
	return c
}

// Fragmented reports whether Compact would pay: the set is a hash table
// enough of whose storage was allocated piecemeal since it was made or
// last compacted.
func (s *Set) Fragmented() bool {
	return s.tab != nil && s.tab.fragmented() // an intset is one packed buffer already
}

// Compact rebuilds a hash table's storage densely (see btree.Tree.Compact:
// copy-on-write after snapshots leaves holes the garbage collector cannot
// close). Members and their order are unchanged, and so is every clone of
// s. Compact changes s's storage: no other goroutine may be using s. It
// costs O(n); Fragmented tells when it pays.
func (s *Set) Compact() {
	if s.tab != nil {
		s.tab.compact()
	}
}

// MemoryUsage estimates the bytes the set holds (for INFO, MEMORY USAGE and
// eviction).
func (s *Set) MemoryUsage() int {
	const header = int(unsafe.Sizeof(Set{}))
	if s.tab != nil {
		return header + s.tab.overhead() + s.data
	}
	return header + cap(s.ints.b)
}

// view returns m as a string without copying, for lookups only: the string
// must not outlive m or be stored.
func view(m []byte) string { return unsafe.String(unsafe.SliceData(m), len(m)) }

// bytesOf returns a stored member's bytes without copying. Stored members are
// never changed, and callers must treat the result as read-only.
func bytesOf(m string) []byte {
	if len(m) == 0 {
		return []byte{} // a bulk string, not a nil reply
	}
	return unsafe.Slice(unsafe.StringData(m), len(m))
}
