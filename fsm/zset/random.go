package zset

import (
	"math"
	"strconv"
)

// RandomMember returns one member chosen by rng (ZRANDMEMBER without a
// count). rng(n) must return a uniform int in [0, n). The set must not be
// empty.
func (z *ZSet) RandomMember(rng func(n int) int) (member []byte, score float64) {
	return z.At(rng(z.Len()))
}

// RandomMembers calls fn for ZRANDMEMBER key count's members, by Redis
// 7.0's rules: a negative count gives -count members that may repeat; a
// count of at least Len() gives every member once, highest first (as
// Redis); otherwise
// count distinct members (in order for a listpack, as Redis's
// lpRandomPairsUnique; in the order drawn for the trees). rng(n) must
// return a uniform int in [0, n); the caller seeds it deterministically
// when the choice must agree across nodes.
func (z *ZSet) RandomMembers(count int, rng func(n int) int, fn func(member []byte, score float64)) {
	n := z.Len()
	if count == 0 || n == 0 {
		return
	}
	var buf [130]int
	v := z.view(buf[:0])
	switch {
	case count < 0:
		for ; count < 0; count++ {
			fn(v.at(rng(n)))
		}
	case count >= n:
		// Redis's zset iterator (zuiInitIterator) walks from the tail.
		z.descend(n-1, func(m []byte, s float64) bool { fn(m, s); return true })
	case z.t == nil:
		// Selection sampling: take each entry with probability
		// (still needed)/(still left).
		need := count
		for i := 0; i < n && need > 0; i++ {
			if rng(n-i) < need {
				fn(v.at(i))
				need--
			}
		}
	default:
		// Floyd's algorithm: count distinct ranks in count draws. The map
		// is only probed, never iterated, so the choice is deterministic.
		chosen := make(map[int]struct{}, count)
		for j := n - count; j < n; j++ {
			r := rng(j + 1)
			if _, dup := chosen[r]; dup {
				r = j
			}
			chosen[r] = struct{}{}
			fn(v.at(r))
		}
	}
}

// Scan calls fn for a batch of members starting at cursor (0 to begin)
// and returns the cursor to continue from, 0 when done (ZSCAN). score is
// the score's text as Redis's ZSCAN writes it: for a listpack the text the
// listpack holds (integers within ±2^62 in full, so 1e17 is
// "100000000000000000"), else as AppendScore.
//
// A listpack is returned whole with cursor 0, as Redis does. The trees are
// walked in member-hash order, the cursor being the next hash to visit, so
// a member present for the whole scan is returned at least once however
// the set changes; a batch has at least count members (fewer at the end)
// and ends between distinct hashes.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member, score []byte)) uint64 {
	var text []byte // one buffer for the batch's scores; slices of it stay valid
	if z.t == nil {
		z.Range(func(m []byte, s float64) bool {
			at := len(text)
			text = appendListpackScore(text, s)
			fn(m, text[at:len(text):len(text)])
			return true
		})
		return 0
	}
	bm := z.t.byMember
	i := bm.Search(func(x named) bool { return x.hash >= cursor })
	var next, last uint64
	done := 0
	bm.Ascend(i, func(x named) bool {
		if done > 0 && done >= count && x.hash != last {
			next = x.hash
			return false
		}
		at := len(text)
		text = AppendScore(text, x.score)
		fn(s2b(x.member), text[at:len(text):len(text)])
		last = x.hash
		done++
		return true
	})
	return next
}

// appendListpackScore appends the text of a score as a Redis 7.0 listpack
// holds it: zzlInsertAt stores an integral score within ±LLONG_MAX/2 as an
// integer (double2ll), anything else as d2string's text, which for those
// is "%.17g" or inf/-inf.
func appendListpackScore(b []byte, f float64) []byte {
	if f >= -float64(math.MaxInt64/2) && f <= float64(math.MaxInt64/2) {
		if ll := int64(f); float64(ll) == f {
			return strconv.AppendInt(b, ll, 10)
		}
	}
	return AppendScore(b, f)
}
