// Package zset is a Redis 7.0 sorted set as a value: the operations every
// Z* command needs, on the two encodings Redis uses, with copy-on-write
// clones for snapshots.
//
// A set starts in the small encoding, "listpack" (one immutable byte slice
// in (score, member) order), and moves to "skiplist" (two order-statistic
// B-trees, see tree.go) when an add would make it hold more than
// Limits.MaxListpackEntries members or a member longer than
// Limits.MaxListpackValue bytes. Like Redis 7.0 it never moves back: removing
// members keeps the encoding. Where Redis builds a fresh value (the
// destinations of ZRANGESTORE, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE), build
// it with NewSized and Add, which gives the encoding Redis ends up with
// (skiplist iff the result has more than MaxListpackEntries members or one
// longer than MaxListpackValue).
//
// Members handed to callbacks and returned by methods alias the set's
// memory, which is never written after it is handed out: they stay valid
// after later writes, but callers must not modify them.
//
// Everything is deterministic: iteration follows the encoding's order and
// random choices come from the caller's RNG.
package zset

import (
	"math"
	"unsafe"
)

// Limits are the encoding thresholds, Redis's zset-max-listpack-entries and
// zset-max-listpack-value. They are passed to each write that may convert,
// as Redis reads its configuration at that moment.
type Limits struct {
	MaxListpackEntries int
	MaxListpackValue   int
}

// DefaultLimits are Redis 7.0's defaults.
func DefaultLimits() Limits { return Limits{MaxListpackEntries: 128, MaxListpackValue: 64} }

// lpMaxSafety is listpack's LISTPACK_MAX_SAFETY_SIZE: Redis converts
// rather than grow a listpack past 1 GiB (lpSafeToAdd).
const lpMaxSafety = 1 << 30

// ZSet is a sorted set. The zero value is an empty set in the listpack
// encoding, as New returns.
type ZSet struct {
	lp []byte // listpack entries; unused once t is set
	n  int    // entries in lp
	t  *tree  // the skiplist encoding, nil while listpack
}

// New returns an empty listpack set, as ZADD and ZINCRBY create one (if
// zset-max-listpack-entries is 0 the first Add converts it, as Redis's
// does).
func New() *ZSet { return &ZSet{} }

// NewSized returns an empty set in the encoding Redis 7.0's
// zsetTypeCreate(size, maxMemberLen) picks for a destination it is about
// to fill with size members, the longest maxMemberLen bytes: skiplist if
// either is over its limit, else listpack. ZRANGESTORE uses it with
// (result length, 0) and then adds the members in range order;
// ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE end up the same with (result
// length, longest member). The choice is visible: a listpack turns -0
// into 0.
func NewSized(lim Limits, size, maxMemberLen int) *ZSet {
	z := &ZSet{}
	if size > lim.MaxListpackEntries || maxMemberLen > lim.MaxListpackValue {
		z.t = newTree()
	}
	return z
}

// Len returns the number of members.
func (z *ZSet) Len() int {
	if z.t != nil {
		return z.t.byScore.Len()
	}
	return z.n
}

// Encoding returns what OBJECT ENCODING says: "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.t != nil {
		return "skiplist"
	}
	return "listpack"
}

// Clone returns an independent copy in O(1): the listpack is immutable and
// shared, the trees are shared copy-on-write.
func (z *ZSet) Clone() *ZSet {
	c := *z
	if z.t != nil {
		c.t = z.t.clone()
	}
	return &c
}

// Fragmented reports whether Compact would pay: the set is a skiplist
// encoding enough of whose trees was allocated piecemeal since they were
// made or last compacted.
func (z *ZSet) Fragmented() bool {
	return z.t != nil && z.t.fragmented() // a listpack is one packed buffer already
}

// Compact rebuilds the skiplist encoding's trees densely (see
// btree.Tree.Compact: copy-on-write after snapshots leaves holes the
// garbage collector cannot close). Members, scores and ranks are
// unchanged, and so is every clone of z. Compact changes z's storage: no
// other goroutine may be using z. It costs O(n); Fragmented tells when it
// pays.
func (z *ZSet) Compact() {
	if z.t != nil {
		z.t.compact()
	}
}

// MemoryUsage estimates the bytes the set holds.
func (z *ZSet) MemoryUsage() int {
	n := int(unsafe.Sizeof(*z))
	if z.t == nil {
		return n + cap(z.lp)
	}
	return n + int(unsafe.Sizeof(*z.t)) + z.t.byScore.Bytes() + z.t.byMember.Bytes() + z.t.memberBytes
}

// convert moves a listpack set to the skiplist encoding.
func (z *ZSet) convert() {
	t := newTree()
	for off := 0; off < len(z.lp); {
		m, s, next := lpEntry(z.lp, off)
		t.insert(string(m), s)
		off = next
	}
	z.t, z.lp, z.n = t, nil, 0
}

// Flags are ZADD's options.
type Flags uint8

const (
	NX   Flags = 1 << iota // only add new members
	XX                     // only update existing members
	GT                     // only update when the new score is greater
	LT                     // only update when the new score is less
	Incr                   // add the score to the current one (ZADD INCR, ZINCRBY)
)

// Outcome is what Add did.
type Outcome uint8

const (
	// Unchanged: the member was there with that score already. It counts
	// as processed: ZADD INCR replies with the score.
	Unchanged Outcome = iota
	Added
	Updated
	// Skipped: NX, XX, GT or LT ruled the change out; ZADD INCR replies
	// nil.
	Skipped
	// NotANumber: the score (with INCR, the sum) is NaN; nothing changed
	// and the command fails with ErrNaN.
	NotANumber
)

// Add adds member with score, or updates its score, under flags as Redis
// 7.0's zsetAdd. It returns what happened and the resulting score (for
// INCR; meaningful for Unchanged, Added and Updated). The caller checks
// the flag combinations ZADD refuses (NX with XX, GT, LT; GT with LT).
func (z *ZSet) Add(lim Limits, member []byte, score float64, flags Flags) (Outcome, float64) {
	if math.IsNaN(score) {
		return NotANumber, 0
	}
	cur, found := z.Score(member)
	if found {
		if flags&NX != 0 {
			return Skipped, cur
		}
		if flags&Incr != 0 {
			score += cur
			if math.IsNaN(score) {
				return NotANumber, 0
			}
		}
		if (flags&LT != 0 && score >= cur) || (flags&GT != 0 && score <= cur) {
			return Skipped, cur
		}
		if score == cur {
			return Unchanged, score
		}
		z.update(member, cur, score)
		return Updated, score
	}
	if flags&XX != 0 {
		return Skipped, 0
	}
	if z.t == nil && (z.n+1 > lim.MaxListpackEntries || len(member) > lim.MaxListpackValue ||
		len(z.lp)+len(member) > lpMaxSafety) {
		z.convert()
	}
	if z.t != nil {
		z.t.insert(string(member), score)
		return Added, score
	}
	if member == nil {
		// lpSplice inserts nothing for a nil member; an empty member
		// (handed out by the trees as nil) must still be inserted.
		member = []byte{}
	}
	off, _ := lpInsertPos(z.lp, member, score)
	z.lp = lpSplice(z.lp, off, off, member, lpScore(score))
	z.n++
	return Added, score
}

// lpScore is the score a listpack keeps: Redis stores it as text, where
// "-0" reads back as the integer 0.
func lpScore(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

func (z *ZSet) update(member []byte, cur, score float64) {
	if z.t != nil {
		n, _ := z.t.lookup(member)
		z.t.update(n, score)
		return
	}
	// One new listpack: the entry moves to where the new score puts it,
	// which is before its old place or after it, never inside it.
	off, next, _, _, _ := lpFind(z.lp, member)
	at, _ := lpInsertPos(z.lp, member, score)
	b := make([]byte, 0, len(z.lp)-(next-off)+lpEntryLen(member))
	if at <= off {
		b = append(b, z.lp[:at]...)
		b = lpAppendEntry(b, member, lpScore(score))
		b = append(b, z.lp[at:off]...)
		z.lp = append(b, z.lp[next:]...)
		return
	}
	b = append(b, z.lp[:off]...)
	b = append(b, z.lp[next:at]...)
	b = lpAppendEntry(b, member, lpScore(score))
	z.lp = append(b, z.lp[at:]...)
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.t != nil {
		n, ok := z.t.lookup(member)
		return n.score, ok
	}
	_, _, _, s, ok := lpFind(z.lp, member)
	return s, ok
}

// Remove removes member and reports whether it was there.
func (z *ZSet) Remove(member []byte) bool {
	if z.t != nil {
		n, ok := z.t.lookup(member)
		if ok {
			z.t.remove(n)
		}
		return ok
	}
	off, next, _, _, ok := lpFind(z.lp, member)
	if ok {
		z.lp = lpSplice(z.lp, off, next, nil, 0)
		z.n--
	}
	return ok
}

// Rank returns member's 0-based rank in ascending (score, member) order,
// or counted from the highest when rev (ZREVRANK).
func (z *ZSet) Rank(member []byte, rev bool) (int, bool) {
	var r int
	if z.t != nil {
		n, ok := z.t.lookup(member)
		if !ok {
			return 0, false
		}
		r, _ = z.t.byScore.Rank(scored{n.score, n.member})
	} else {
		var ok bool
		if _, _, r, _, ok = lpFind(z.lp, member); !ok {
			return 0, false
		}
	}
	if rev {
		r = z.Len() - 1 - r
	}
	return r, true
}

// At returns the member of rank i (0 <= i < Len()) in ascending order.
func (z *ZSet) At(i int) (member []byte, score float64) {
	if z.t != nil {
		s := z.t.byScore.At(i)
		return s2b(s.member), s.score
	}
	off := 0
	for ; i > 0; i-- {
		_, _, off = lpEntry(z.lp, off)
	}
	m, s, _ := lpEntry(z.lp, off)
	return m, s
}

// Range calls fn for every member in ascending (score, member) order
// until fn returns false; ZUNION, ZINTER and ZDIFF read their inputs so.
func (z *ZSet) Range(fn func(member []byte, score float64) bool) {
	z.ascend(0, fn)
}

// ascend calls fn from rank i upwards.
func (z *ZSet) ascend(i int, fn func(member []byte, score float64) bool) {
	if z.t != nil {
		z.t.byScore.Ascend(i, func(s scored) bool { return fn(s2b(s.member), s.score) })
		return
	}
	off := 0
	for k := 0; off < len(z.lp); k++ {
		m, s, next := lpEntry(z.lp, off)
		if k >= i && !fn(m, s) {
			return
		}
		off = next
	}
}

// descend calls fn from rank i downwards.
func (z *ZSet) descend(i int, fn func(member []byte, score float64) bool) {
	if i < 0 {
		return
	}
	if z.t != nil {
		z.t.byScore.Descend(i, func(s scored) bool { return fn(s2b(s.member), s.score) })
		return
	}
	var buf [130]int
	offs := lpOffsets(z.lp, buf[:0])
	for k := min(i, z.n-1); k >= 0; k-- {
		m, s, _ := lpEntry(z.lp, offs[k])
		if !fn(m, s) {
			return
		}
	}
}
