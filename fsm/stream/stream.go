package stream

import (
	"errors"
	"math"
	"slices"

	"github.com/raftcache/raftcache/fsm/btree"
)

// Limits are the stream-node-max-entries and stream-node-max-bytes
// settings (0 means no limit, as in Redis).
type Limits struct {
	NodeMaxEntries int
	NodeMaxBytes   int
}

// DefaultLimits are Redis 7.0's defaults.
func DefaultLimits() Limits { return Limits{NodeMaxEntries: 100, NodeMaxBytes: 4096} }

// DefaultTrimLimit is the LIMIT approximate trimming uses when none is
// given: 100 nodes' worth of entries, as Redis computes it.
func DefaultTrimLimit(l Limits) int64 {
	limit := int64(l.NodeMaxEntries) * 100
	if limit <= 0 {
		limit = 10000
	}
	return min(limit, 1000000)
}

// Stream is a stream value. The zero value is not usable; call New.
type Stream struct {
	tok          *token
	nodes        *btree.Tree[*node] // by first ID
	length       uint64
	lastID       ID // last-generated-id
	firstID      ID // recorded-first-entry-id: the first live entry, 0-0 when empty
	maxDeleted   ID // max-deleted-entry-id
	entriesAdded uint64
	groups       []*group // in name order; the slice is copied before a write while shared
	groupsShared bool
}

// New returns an empty stream.
func New() *Stream { return &Stream{tok: new(token), nodes: newNodeTree()} }

func newNodeTree() *btree.Tree[*node] {
	return btree.New(func(a, b *node) bool { return a.master.Less(b.master) })
}

// Clone returns a copy that shares all nodes and groups with s; after it,
// writing either copy never affects the other. It costs O(1): shared parts
// are copied lazily, node by node and group by group, on first write.
func (s *Stream) Clone() *Stream {
	c := *s
	c.tok, s.tok = new(token), new(token)
	c.nodes = s.nodes.Clone()
	c.groupsShared, s.groupsShared = true, true
	return &c
}

// Encoding is what OBJECT ENCODING says for a stream.
func (s *Stream) Encoding() string { return "stream" }

// Len is the number of entries (XLEN).
func (s *Stream) Len() int { return int(s.length) }

// LastID is the last generated ID (last-generated-id).
func (s *Stream) LastID() ID { return s.lastID }

// FirstID is the ID of the first entry, 0-0 when empty
// (recorded-first-entry-id).
func (s *Stream) FirstID() ID { return s.firstID }

// MaxDeletedID is the largest ID deleted by XDEL (max-deleted-entry-id).
func (s *Stream) MaxDeletedID() ID { return s.maxDeleted }

// EntriesAdded counts every entry ever added (entries-added).
func (s *Stream) EntriesAdded() uint64 { return s.entriesAdded }

// Nodes is the number of nodes (XINFO's radix-tree-keys).
func (s *Stream) Nodes() int { return s.nodes.Len() }

// mutNode returns n ready to be changed, copied first if a clone shares it.
func (s *Stream) mutNode(n *node) *node {
	if n.owner != s.tok {
		n = n.clone(s.tok)
		s.nodes.ReplaceOrInsert(n)
	}
	return n
}

// nextID computes the ID of an entry added with a, at time nowMs.
func (s *Stream) nextID(a AddID, nowMs int64) (ID, error) {
	if s.lastID == MaxID {
		return ID{}, ErrExhausted
	}
	var id ID
	switch {
	case a.Auto:
		if ms := uint64(nowMs); nowMs >= 0 && ms > s.lastID.Ms {
			id = ID{ms, 0}
		} else {
			id, _ = s.lastID.Next()
		}
	case a.AutoSeq:
		if a.ID.Ms == s.lastID.Ms {
			if s.lastID.Seq == math.MaxUint64 {
				// Redis 7.0.15 reports this overflow as ERANGE, whose
				// text is the too-large one.
				return ID{}, ErrTooLarge
			}
			id = ID{a.ID.Ms, s.lastID.Seq + 1}
		} else {
			id = ID{a.ID.Ms, 0}
		}
	default:
		id = a.ID
	}
	if id.Compare(s.lastID) <= 0 {
		return ID{}, ErrIDTooSmall
	}
	return id, nil
}

// Add appends an entry (XADD): fv holds fields and values alternating (at
// least one pair; the caller checks arity). nowMs is the raft entry's time,
// used by "*". It returns the new ID, or ErrExhausted, ErrIDTooSmall or
// ErrTooLarge. The stream keeps no reference to fv.
func (s *Stream) Add(lim Limits, a AddID, nowMs int64, fv [][]byte) (ID, error) {
	id, err := s.nextID(a, nowMs)
	if err != nil {
		return ID{}, err
	}
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	if total > streamListpackMaxSize {
		return ID{}, ErrTooLarge
	}
	n, ok := s.nodes.Max()
	if ok {
		maxBytes := lim.NodeMaxBytes
		if maxBytes <= 0 || maxBytes > streamListpackMaxSize {
			maxBytes = streamListpackMaxSize
		}
		if n.lpBytes+total >= maxBytes ||
			(lim.NodeMaxEntries > 0 && n.live+n.dead >= lim.NodeMaxEntries) {
			ok = false
		}
	}
	if ok {
		n = s.mutNode(n)
	} else {
		n = newNode(s.tok, id, fv)
		s.nodes.ReplaceOrInsert(n)
	}
	n.append(id, fv)
	s.length++
	s.entriesAdded++
	s.lastID = id
	if s.length == 1 {
		s.firstID = id
	}
	return id, nil
}

// seekNode returns the rank of the node that would hold id: the last node
// whose first ID is <= id, or 0.
func (s *Stream) seekNode(id ID) int {
	return max(s.nodes.Search(func(n *node) bool { return id.Less(n.master) })-1, 0)
}

// find locates the entry with this ID, tombstones included.
func (s *Stream) find(id ID) (n *node, ei int, ok bool) {
	if s.nodes.Len() == 0 {
		return nil, 0, false
	}
	n = s.nodes.At(s.seekNode(id))
	ei = n.search(id)
	return n, ei, ei < len(n.ents) && n.ents[ei].id == id
}

// Range calls fn for each entry with start <= ID <= end, in ID order, or in
// reverse when rev is set, until fn returns false. fv alternates fields and
// values; it and its slices are only valid during the call and must not be
// modified. The stream must not be modified during Range.
func (s *Stream) Range(start, end ID, rev bool, fn func(id ID, fv [][]byte) bool) {
	if s.nodes.Len() == 0 || end.Less(start) {
		return
	}
	var buf [][]byte
	if !rev {
		s.nodes.Ascend(s.seekNode(start), func(n *node) bool {
			for ei := n.search(start); ei < len(n.ents); ei++ {
				e := n.ents[ei]
				if end.Less(e.id) {
					return false
				}
				if e.flags&flagDeleted != 0 {
					continue
				}
				buf = n.fieldsValues(ei, buf[:0])
				if !fn(e.id, buf) {
					return false
				}
			}
			return true
		})
		return
	}
	s.nodes.Descend(s.seekNode(end), func(n *node) bool {
		ei := n.search(end)
		if ei < len(n.ents) && n.ents[ei].id == end {
			ei++
		}
		for ei--; ei >= 0; ei-- {
			e := n.ents[ei]
			if e.id.Less(start) {
				return false
			}
			if e.flags&flagDeleted != 0 {
				continue
			}
			buf = n.fieldsValues(ei, buf[:0])
			if !fn(e.id, buf) {
				return false
			}
		}
		return true
	})
}

// Get returns a copy of the fields and values of the entry with this ID.
func (s *Stream) Get(id ID) ([][]byte, bool) {
	n, ei, ok := s.findLive(id)
	if !ok {
		return nil, false
	}
	fv := n.fieldsValues(ei, nil)
	for i, b := range fv {
		fv[i] = slices.Clone(b)
	}
	return fv, true
}

// Has reports whether a live entry has this ID (streamEntryExists).
func (s *Stream) Has(id ID) bool {
	_, _, ok := s.findLive(id)
	return ok
}

// findLive locates the live entry with this ID.
func (s *Stream) findLive(id ID) (*node, int, bool) {
	n, ei, ok := s.find(id)
	if !ok || n.ents[ei].flags&flagDeleted != 0 {
		return nil, 0, false
	}
	return n, ei, true
}

// First and Last return the first and last live entries (XINFO's
// first-entry and last-entry), with fv as in Get.
func (s *Stream) First() (ID, [][]byte, bool) { return s.edge(false) }

// Last: see First.
func (s *Stream) Last() (ID, [][]byte, bool) { return s.edge(true) }

func (s *Stream) edge(rev bool) (id ID, fv [][]byte, ok bool) {
	s.Range(ID{}, MaxID, rev, func(i ID, f [][]byte) bool {
		id, ok = i, true
		fv = make([][]byte, len(f))
		for j, b := range f {
			fv[j] = slices.Clone(b)
		}
		return false
	})
	return id, fv, ok
}

// edgeID is streamGetEdgeID without tombstones: the first or last live ID.
func (s *Stream) edgeID(last bool) (id ID, ok bool) {
	if !last {
		s.nodes.Ascend(0, func(n *node) bool {
			for _, e := range n.ents {
				if e.flags&flagDeleted == 0 {
					id, ok = e.id, true
					return false
				}
			}
			return true
		})
		return id, ok
	}
	s.nodes.Descend(s.nodes.Len()-1, func(n *node) bool {
		for ei := len(n.ents) - 1; ei >= 0; ei-- {
			if n.ents[ei].flags&flagDeleted == 0 {
				id, ok = n.ents[ei].id, true
				return false
			}
		}
		return true
	})
	return id, ok
}

// Delete removes the entries with these IDs (XDEL) and returns how many
// existed. It updates max-deleted-entry-id and the first ID as Redis does.
func (s *Stream) Delete(ids ...ID) int {
	deleted, firstGone := 0, false
	for _, id := range ids {
		n, ei, ok := s.findLive(id)
		if !ok {
			continue
		}
		if n.live == 1 {
			s.nodes.Delete(n) // its last live entry: the whole node goes
		} else {
			s.mutNode(n).markDeleted(ei)
		}
		s.length--
		if id == s.firstID {
			firstGone = true
		}
		if s.maxDeleted.Less(id) {
			s.maxDeleted = id
		}
		deleted++
	}
	if deleted > 0 {
		if s.length == 0 {
			s.firstID = ID{}
		} else if firstGone {
			s.firstID, _ = s.edgeID(false)
		}
	}
	return deleted
}

// TrimStrategy selects MAXLEN or MINID trimming.
type TrimStrategy uint8

const (
	TrimNone TrimStrategy = iota
	TrimMaxLen
	TrimMinID
)

// Trim is the trimming part of XADD and XTRIM.
type Trim struct {
	Strategy TrimStrategy
	MaxLen   uint64 // TrimMaxLen: keep at most this many entries
	MinID    ID     // TrimMinID: remove entries below this ID
	Approx   bool   // "~": remove whole nodes only
	Limit    int64  // with Approx: at most this many entries (0: no limit); see DefaultTrimLimit
}

// Trim removes entries from the head as Redis's streamTrim does and returns
// how many it removed. Exact trimming leaves tombstones in the node where it
// stops; approximate trimming stops at the first node it cannot remove
// whole, or when removing the next node would pass Limit.
func (s *Stream) Trim(t Trim) int64 {
	if t.Strategy == TrimNone {
		return 0
	}
	var deleted int64
	for {
		n, ok := s.nodes.Min()
		if !ok || t.Strategy == TrimMaxLen && s.length <= t.MaxLen {
			break
		}
		entries := int64(n.live)
		if t.Limit > 0 && deleted+entries > t.Limit {
			break
		}
		var remove bool
		if t.Strategy == TrimMaxLen {
			remove = s.length-uint64(entries) >= t.MaxLen
		} else {
			remove = n.last().Less(t.MinID) // the last entry, tombstone or not
		}
		if remove {
			s.nodes.DeleteMin()
			s.length -= uint64(entries)
			deleted += entries
			continue
		}
		if t.Approx {
			break
		}
		n = s.mutNode(n)
		from := 0
		for ei := range n.ents {
			e := n.ents[ei]
			if t.Strategy == TrimMaxLen {
				if s.length-uint64(from) <= t.MaxLen {
					break
				}
			} else if !e.id.Less(t.MinID) {
				break
			}
			if e.flags&flagDeleted == 0 {
				n.ents[ei].flags |= flagDeleted
				from++
			}
		}
		// Redis rewrites both counters once, after marking.
		n.setCounts(n.live-from, n.dead+from)
		s.length -= uint64(from)
		deleted += int64(from)
		break
	}
	if s.length > 0 {
		s.firstID, _ = s.edgeID(false)
	} else {
		s.firstID = ID{}
	}
	return deleted
}

// XSETID errors.
var (
	ErrSetIDBelowMaxDeleted = errors.New("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
	ErrSetIDTooSmall        = errors.New("ERR The ID specified in XSETID is smaller than the target stream top item")
	ErrSetIDEntriesAdded    = errors.New("ERR The entries_added specified in XSETID is smaller than the target stream length")
	ErrEntriesAddedNegative = errors.New("ERR entries_added must be positive")
)

// CheckSetIDArgs is the check Redis makes while parsing XSETID, before it
// looks the key up: the new ID may not be below MAXDELETEDID.
func CheckSetIDArgs(id, maxDeleted ID) error {
	if id.Less(maxDeleted) {
		return ErrSetIDBelowMaxDeleted
	}
	return nil
}

// SetID is XSETID: entriesAdded < 0 means ENTRIESADDED was not given, a zero
// maxDeleted means MAXDELETEDID was not given (as in Redis, 0-0 leaves it).
// Redis 7.0 does not compare id with the stream's current
// max-deleted-entry-id, so neither does SetID.
func (s *Stream) SetID(id ID, entriesAdded int64, maxDeleted ID) error {
	if s.length > 0 {
		top, _ := s.edgeID(true)
		if id.Less(top) {
			return ErrSetIDTooSmall
		}
		if entriesAdded >= 0 && s.length > uint64(entriesAdded) {
			return ErrSetIDEntriesAdded
		}
	}
	s.lastID = id
	if entriesAdded >= 0 {
		s.entriesAdded = uint64(entriesAdded)
	}
	if !maxDeleted.IsZero() {
		s.maxDeleted = maxDeleted
	}
	return nil
}
