package stream

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/raftcache/raftcache/fsm/btree"
)

// EntriesReadUnknown is a group's entries-read when it cannot be known
// (Redis's SCG_INVALID_ENTRIES_READ; XINFO shows it as nil).
const EntriesReadUnknown = -1

// Consumer group errors. ErrNoGroup is what the methods return for a
// missing group; each command words that differently (see NoGroupError).
var (
	ErrNoGroup     = errors.New("NOGROUP no such consumer group")
	ErrBusyGroup   = errors.New("BUSYGROUP Consumer Group name already exists")
	ErrEntriesRead = errors.New("ERR value for ENTRIESREAD must be positive or -1")
)

// NoGroupError is the NOGROUP error of XGROUP SETID/CREATECONSUMER/
// DELCONSUMER and XINFO CONSUMERS.
func NoGroupError(key, group string) error {
	return fmt.Errorf("NOGROUP No such consumer group '%s' for key name '%s'", group, key)
}

// group is a consumer group. Its PEL holds one pending entry per delivered,
// unacknowledged ID; each consumer's PEL holds the IDs it owns.
type group struct {
	owner       *token
	name        string
	lastID      ID
	entriesRead int64
	pel         *btree.Tree[pending] // by ID
	consumers   []*consumer          // by name
}

type pending struct {
	id            ID
	consumer      string
	deliveryTime  int64
	deliveryCount uint64
}

type consumer struct {
	name     string
	seenTime int64
	pel      *btree.Tree[ID]
}

func newPEL() *btree.Tree[pending] {
	return btree.New(func(a, b pending) bool { return a.id.Less(b.id) })
}

func newConsumerPEL() *btree.Tree[ID] { return btree.New(ID.Less) }

func (g *group) clone(owner *token) *group {
	c := *g
	c.owner = owner
	c.pel = g.pel.Clone()
	c.consumers = make([]*consumer, len(g.consumers))
	for i, k := range g.consumers {
		kc := *k
		kc.pel = k.pel.Clone()
		c.consumers[i] = &kc
	}
	return &c
}

func (g *group) getPending(id ID) (pending, bool) { return g.pel.Get(pending{id: id}) }

// firstPending returns the first pending entry with an ID >= id.
func (g *group) firstPending(id ID) (p pending, ok bool) {
	g.pel.AscendFrom(pending{id: id}, func(x pending) bool {
		p, ok = x, true
		return false
	})
	return p, ok
}

func (g *group) consumer(name string) (*consumer, int) {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *consumer, n string) int { return strings.Compare(c.name, n) })
	if !ok {
		return nil, i
	}
	return g.consumers[i], i
}

// lookupConsumer is streamLookupConsumer + streamCreateConsumer: it refreshes
// the seen-time, creating the consumer if needed.
func (g *group) lookupConsumer(name string, now int64) *consumer {
	c, i := g.consumer(name)
	if c == nil {
		c = &consumer{name: name, pel: newConsumerPEL()}
		g.consumers = slices.Insert(g.consumers, i, c)
	}
	c.seenTime = now
	return c
}

// removeFromConsumer drops id from the PEL of the consumer that owns it.
func (g *group) removeFromConsumer(owner string, id ID) {
	if c, _ := g.consumer(owner); c != nil {
		c.pel.Delete(id)
	}
}

func (s *Stream) ownGroups() {
	if s.groupsShared {
		s.groups = slices.Clone(s.groups)
		s.groupsShared = false
	}
}

func (s *Stream) groupIndex(name string) (int, bool) {
	return slices.BinarySearchFunc(s.groups, name, func(g *group, n string) int { return strings.Compare(g.name, n) })
}

func (s *Stream) getGroup(name string) *group {
	if i, ok := s.groupIndex(name); ok {
		return s.groups[i]
	}
	return nil
}

// mutGroup returns the named group ready to be written, copying it first if
// a clone shares it.
func (s *Stream) mutGroup(name string) *group {
	i, ok := s.groupIndex(name)
	if !ok {
		return nil
	}
	if g := s.groups[i]; g.owner != s.tok {
		s.ownGroups()
		s.groups[i] = g.clone(s.tok)
	}
	return s.groups[i]
}

// NumGroups is the number of consumer groups.
func (s *Stream) NumGroups() int { return len(s.groups) }

// HasGroup reports whether the group exists.
func (s *Stream) HasGroup(name string) bool { return s.getGroup(name) != nil }

// CreateGroup is XGROUP CREATE: last is the group's last-delivered-id (the
// caller resolves "$" to LastID), entriesRead its entries-read
// (EntriesReadUnknown unless ENTRIESREAD was given).
func (s *Stream) CreateGroup(name string, last ID, entriesRead int64) error {
	i, ok := s.groupIndex(name)
	if ok {
		return ErrBusyGroup
	}
	s.ownGroups()
	s.groups = slices.Insert(s.groups, i, &group{owner: s.tok, name: name, lastID: last, entriesRead: entriesRead, pel: newPEL()})
	return nil
}

// SetGroupID is XGROUP SETID.
func (s *Stream) SetGroupID(name string, last ID, entriesRead int64) error {
	g := s.mutGroup(name)
	if g == nil {
		return ErrNoGroup
	}
	g.lastID, g.entriesRead = last, entriesRead
	return nil
}

// DestroyGroup is XGROUP DESTROY; it reports whether the group existed.
func (s *Stream) DestroyGroup(name string) bool {
	i, ok := s.groupIndex(name)
	if ok {
		s.ownGroups()
		s.groups = slices.Delete(s.groups, i, i+1)
	}
	return ok
}

// HasConsumer reports whether group has a consumer called name.
func (s *Stream) HasConsumer(group, name string) bool {
	g := s.getGroup(group)
	if g == nil {
		return false
	}
	c, _ := g.consumer(name)
	return c != nil
}

// CreateConsumer is XGROUP CREATECONSUMER; it reports whether the consumer
// is new (an existing one is left untouched, seen-time included).
func (s *Stream) CreateConsumer(group, name string, now int64) (bool, error) {
	g := s.getGroup(group)
	if g == nil {
		return false, ErrNoGroup
	}
	if c, _ := g.consumer(name); c != nil {
		return false, nil
	}
	s.mutGroup(group).lookupConsumer(name, now)
	return true, nil
}

// DeleteConsumer is XGROUP DELCONSUMER: it drops the consumer and its
// pending entries and returns how many it had (0 for a missing consumer).
func (s *Stream) DeleteConsumer(group, name string) (int, error) {
	g := s.getGroup(group)
	if g == nil {
		return 0, ErrNoGroup
	}
	if c, _ := g.consumer(name); c == nil {
		return 0, nil
	}
	g = s.mutGroup(group)
	c, i := g.consumer(name)
	c.pel.Ascend(0, func(id ID) bool {
		g.pel.Delete(pending{id: id})
		return true
	})
	g.consumers = slices.Delete(g.consumers, i, i+1)
	return c.pel.Len(), nil
}

// rangeHasTombstones is streamRangeHasTombstones(s, start, MaxID).
func (s *Stream) rangeHasTombstones(start ID) bool {
	if s.length == 0 || s.maxDeleted.IsZero() || s.maxDeleted.Less(s.firstID) {
		return false
	}
	return !s.maxDeleted.Less(start)
}

// estimateEntriesRead is streamEstimateDistanceFromFirstEverEntry as in
// Redis 7.0.15: the logical read counter of id, or EntriesReadUnknown.
// (Later Redis versions also give up for any id below the last tombstone;
// 7.0 does not, and a group behind an XDEL gets a counter.)
func (s *Stream) estimateEntriesRead(id ID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Compare(s.lastID) <= 0 {
		return int64(s.entriesAdded)
	}
	switch c := id.Compare(s.lastID); {
	case c == 0:
		return int64(s.entriesAdded)
	case c > 0:
		return EntriesReadUnknown
	}
	if s.maxDeleted.IsZero() || s.maxDeleted.Less(s.firstID) {
		switch c := id.Compare(s.firstID); {
		case c < 0:
			return int64(s.entriesAdded - s.length)
		case c == 0:
			return int64(s.entriesAdded - s.length + 1)
		}
	}
	return EntriesReadUnknown
}

// ReadGroup is XREADGROUP with ">": it delivers up to count (0: all) entries
// never delivered to the group, in ID order, to consumer, calling fn for
// each (fv as in Range; fn must not modify s). Unless noack, each goes into
// the group's and the consumer's PEL with delivery time now and count 1.
// When there is nothing new it does nothing at all (Redis then neither
// creates nor refreshes the consumer) and returns 0; a blocked XREADGROUP
// calls it again when entries arrive.
func (s *Stream) ReadGroup(group, consumerName string, now int64, count int, noack bool, fn func(id ID, fv [][]byte)) (int, error) {
	g := s.getGroup(group)
	if g == nil {
		return 0, ErrNoGroup
	}
	if top, ok := s.edgeID(true); !ok || !g.lastID.Less(top) {
		return 0, nil
	}
	g = s.mutGroup(group)
	c := g.lookupConsumer(consumerName, now)
	start, _ := g.lastID.Next()
	n := 0
	s.Range(start, MaxID, false, func(id ID, fv [][]byte) bool {
		if g.lastID.Less(id) {
			if g.entriesRead != EntriesReadUnknown && !s.rangeHasTombstones(id) {
				g.entriesRead++
			} else if s.entriesAdded != 0 {
				g.entriesRead = s.estimateEntriesRead(id)
			}
			g.lastID = id
		}
		fn(id, fv)
		if !noack {
			// XGROUP SETID can make an entry delivered again: then it moves
			// to this consumer with a fresh count.
			if old, found := g.pel.ReplaceOrInsert(pending{id: id, consumer: c.name, deliveryTime: now, deliveryCount: 1}); found && old.consumer != c.name {
				g.removeFromConsumer(old.consumer, id)
			}
			c.pel.ReplaceOrInsert(id)
		}
		n++
		return count <= 0 || n < count
	})
	return n, nil
}

// ReadHistory is XREADGROUP with an explicit ID: the consumer's pending
// entries with IDs greater than after, up to count (0: all). fn gets nil fv
// for an entry that was deleted from the stream since. Each entry still in
// the stream gets delivery time now and its delivery count incremented. The
// consumer is created if needed and its seen-time refreshed.
func (s *Stream) ReadHistory(group, consumerName string, after ID, now int64, count int, fn func(id ID, fv [][]byte)) (int, error) {
	if s.getGroup(group) == nil {
		return 0, ErrNoGroup
	}
	g := s.mutGroup(group)
	c := g.lookupConsumer(consumerName, now)
	start, ok := after.Next()
	if !ok {
		return 0, nil
	}
	n := 0
	var buf [][]byte
	c.pel.AscendFrom(start, func(id ID) bool {
		if count > 0 && n >= count {
			return false
		}
		if nd, e, ok := s.findLive(id); ok {
			buf = nd.fieldsValues(e, buf[:0])
			fn(id, buf)
			if p, ok := g.getPending(id); ok {
				p.deliveryTime = now
				p.deliveryCount++
				g.pel.ReplaceOrInsert(p)
			}
		} else {
			fn(id, nil)
		}
		n++
		return true
	})
	return n, nil
}

// Ack is XACK: it removes these IDs from the group's PEL and returns how
// many were pending (0 for a missing group).
func (s *Stream) Ack(group string, ids ...ID) int {
	if s.getGroup(group) == nil {
		return 0
	}
	g := s.mutGroup(group)
	n := 0
	for _, id := range ids {
		if p, ok := g.pel.Delete(pending{id: id}); ok {
			g.removeFromConsumer(p.consumer, id)
			n++
		}
	}
	return n
}

// PendingSummary is the short form of XPENDING.
type PendingSummary struct {
	Count     int
	Min, Max  ID                // valid when Count > 0
	Consumers []ConsumerPending // consumers with pending entries, by name
}

// ConsumerPending is a consumer's count of pending entries.
type ConsumerPending struct {
	Name  string
	Count int
}

// PendingSummary is XPENDING key group.
func (s *Stream) PendingSummary(group string) (PendingSummary, error) {
	g := s.getGroup(group)
	if g == nil {
		return PendingSummary{}, ErrNoGroup
	}
	sum := PendingSummary{Count: g.pel.Len()}
	if lo, ok := g.pel.Min(); ok {
		hi, _ := g.pel.Max()
		sum.Min, sum.Max = lo.id, hi.id
	}
	for _, c := range g.consumers {
		if n := c.pel.Len(); n > 0 {
			sum.Consumers = append(sum.Consumers, ConsumerPending{c.name, n})
		}
	}
	return sum, nil
}

// PendingEntry is a pending entry as XPENDING's extended form and XINFO
// STREAM FULL report it.
type PendingEntry struct {
	ID            ID
	Consumer      string
	DeliveryTime  int64 // ms; XPENDING shows now-DeliveryTime (at least 0) as idle
	DeliveryCount uint64
}

// PendingQuery selects pending entries for XPENDING's extended form.
type PendingQuery struct {
	Start, End ID
	Count      int    // at most this many; <= 0 gives none
	MinIdle    int64  // IDLE: skip entries delivered less than this many ms before Now
	Now        int64  // for MinIdle
	Consumer   string // with ByConsumer: only this consumer's entries
	ByConsumer bool
}

// Pending returns the pending entries q selects, in ID order.
func (s *Stream) Pending(group string, q PendingQuery) ([]PendingEntry, error) {
	g := s.getGroup(group)
	if g == nil {
		return nil, ErrNoGroup
	}
	var out []PendingEntry
	emit := func(p pending) bool {
		if q.End.Less(p.id) {
			return false
		}
		if q.MinIdle > 0 && q.Now-p.deliveryTime < q.MinIdle {
			return true
		}
		out = append(out, PendingEntry{p.id, p.consumer, p.deliveryTime, p.deliveryCount})
		return len(out) < q.Count
	}
	if q.Count <= 0 {
		return nil, nil
	}
	if q.ByConsumer {
		c, _ := g.consumer(q.Consumer)
		if c == nil {
			return nil, nil
		}
		c.pel.AscendFrom(q.Start, func(id ID) bool {
			p, _ := g.getPending(id)
			return emit(p)
		})
		return out, nil
	}
	g.pel.AscendFrom(pending{id: q.Start}, emit)
	return out, nil
}

// ClaimOptions are XCLAIM's options.
type ClaimOptions struct {
	MinIdle         int64 // min-idle-time (negative is 0)
	DeliveryTime    int64 // from IDLE (now-idle) or TIME; used when HasDeliveryTime
	HasDeliveryTime bool
	RetryCount      int64 // RETRYCOUNT; negative: not given
	Force           bool
	JustID          bool
	LastID          ID // LASTID: raises the group's last-delivered-id
}

// Claim is XCLAIM: it gives consumer the pending entries among ids that
// have been idle at least MinIdle (with Force, also entries not pending),
// and returns the claimed IDs in argument order (the reply, or the entries
// to fetch with Get without JUSTID). Pending entries whose stream entry is
// gone are dropped from the PEL. The consumer is created or refreshed only
// when something is claimed.
func (s *Stream) Claim(group, consumerName string, now int64, ids []ID, o ClaimOptions) ([]ID, error) {
	if s.getGroup(group) == nil {
		return nil, ErrNoGroup
	}
	g := s.mutGroup(group)
	if g.lastID.Less(o.LastID) {
		g.lastID = o.LastID
	}
	dt := now
	if o.HasDeliveryTime && o.DeliveryTime >= 0 && o.DeliveryTime <= now {
		dt = o.DeliveryTime
	}
	var c *consumer
	var claimed []ID
	for _, id := range ids {
		p, found := g.getPending(id)
		if !s.Has(id) {
			if found {
				g.removeFromConsumer(p.consumer, id)
				g.pel.Delete(p)
			}
			continue
		}
		if !found {
			if !o.Force {
				continue
			}
			// FORCE makes the entry pending: created with count 1, then
			// counted as delivered like any claim.
			p = pending{id: id, deliveryCount: 1}
			g.pel.ReplaceOrInsert(p)
		} else if o.MinIdle > 0 && now-p.deliveryTime < o.MinIdle {
			continue
		}
		if c == nil {
			c = g.lookupConsumer(consumerName, now)
		}
		if found && p.consumer != c.name {
			g.removeFromConsumer(p.consumer, id)
		}
		p.deliveryTime = dt
		if o.RetryCount >= 0 {
			p.deliveryCount = uint64(o.RetryCount)
		} else if !o.JustID {
			p.deliveryCount++
		}
		p.consumer = c.name // shared by all its pending entries
		g.pel.ReplaceOrInsert(p)
		c.pel.ReplaceOrInsert(id)
		claimed = append(claimed, id)
	}
	return claimed, nil
}

// AutoClaim is XAUTOCLAIM: it scans the group's PEL from start, claiming
// for consumer up to count entries idle at least minIdle (checking at most
// 10*count entries), and dropping those whose stream entry is gone (they
// count against count). It returns the claimed IDs, the cursor for the next
// call (0-0 when the scan reached the end) and the dropped IDs.
func (s *Stream) AutoClaim(group, consumerName string, now, minIdle int64, start ID, count int, justID bool) (claimed []ID, next ID, deleted []ID, err error) {
	if s.getGroup(group) == nil {
		return nil, ID{}, nil, ErrNoGroup
	}
	g := s.mutGroup(group)
	attempts := count * 10
	var c *consumer
	// cur is the next PEL entry to examine: the cursor Redis returns.
	cur, more := g.firstPending(start)
	for ; attempts > 0 && count > 0 && more; attempts-- {
		p := cur
		id := p.id
		after, ok := id.Next()
		if !ok {
			more = false
		} else {
			cur, more = g.firstPending(after)
		}
		if !s.Has(id) {
			g.removeFromConsumer(p.consumer, id)
			g.pel.Delete(p)
			deleted = append(deleted, id)
			count--
			continue
		}
		if minIdle > 0 && now-p.deliveryTime < minIdle {
			continue
		}
		if c == nil {
			c = g.lookupConsumer(consumerName, now)
		}
		if p.consumer != c.name {
			g.removeFromConsumer(p.consumer, id)
		}
		p.deliveryTime = now
		if !justID {
			p.deliveryCount++
		}
		p.consumer = c.name // shared by all its pending entries
		g.pel.ReplaceOrInsert(p)
		c.pel.ReplaceOrInsert(id)
		claimed = append(claimed, id)
		count--
	}
	if more {
		next = cur.id
	}
	return claimed, next, deleted, nil
}

// GroupInfo is a group as XINFO GROUPS and XINFO STREAM FULL report it.
type GroupInfo struct {
	Name        string
	Consumers   int
	Pending     int
	LastID      ID    // last-delivered-id
	EntriesRead int64 // EntriesReadUnknown shows as nil
	Lag         int64 // valid when LagValid, else nil
	LagValid    bool
}

func (s *Stream) groupInfo(g *group) GroupInfo {
	gi := GroupInfo{Name: g.name, Consumers: len(g.consumers), Pending: g.pel.Len(), LastID: g.lastID, EntriesRead: g.entriesRead}
	switch {
	case s.entriesAdded == 0:
		gi.LagValid = true
	case g.entriesRead != EntriesReadUnknown && !s.rangeHasTombstones(g.lastID):
		gi.Lag, gi.LagValid = int64(s.entriesAdded)-g.entriesRead, true
	default:
		if er := s.estimateEntriesRead(g.lastID); er != EntriesReadUnknown {
			gi.Lag, gi.LagValid = int64(s.entriesAdded)-er, true
		}
	}
	return gi
}

// Group returns the named group's information.
func (s *Stream) Group(name string) (GroupInfo, bool) {
	g := s.getGroup(name)
	if g == nil {
		return GroupInfo{}, false
	}
	return s.groupInfo(g), true
}

// Groups calls fn for each group in name order until fn returns false.
func (s *Stream) Groups(fn func(GroupInfo) bool) {
	for _, g := range s.groups {
		if !fn(s.groupInfo(g)) {
			return
		}
	}
}

// ConsumerInfo is a consumer as XINFO CONSUMERS and XINFO STREAM FULL
// report it. Redis 7.0 shows "idle" as now-SeenTime (at least 0) and FULL's
// "seen-time" as SeenTime.
type ConsumerInfo struct {
	Name     string
	Pending  int
	SeenTime int64
}

// Consumers calls fn for each consumer of the group in name order until fn
// returns false.
func (s *Stream) Consumers(group string, fn func(ConsumerInfo) bool) error {
	g := s.getGroup(group)
	if g == nil {
		return ErrNoGroup
	}
	for _, c := range g.consumers {
		if !fn(ConsumerInfo{c.name, c.pel.Len(), c.seenTime}) {
			break
		}
	}
	return nil
}
