package zset

import "slices"

// Input is one input of ZUNION, ZINTER, ZDIFF and ZINTERCARD (and their
// STORE forms): a *ZSet, or an adapter over a plain set that gives every
// member the score 1, as Redis reads sets there. A missing key is an
// empty input (a nil *ZSet will not do; use New()).
type Input interface {
	Len() int
	// Range calls fn for every member until fn returns false.
	Range(fn func(member []byte, score float64) bool)
	Score(member []byte) (float64, bool)
}

// bySize orders inputs (with their weights) from the smallest, stably, as
// Redis's qsort (glibc's merge sort) does before the set operation: the
// order decides which input ZINTER iterates, MIN(-0, 0) and how sums
// round.
func bySize(in []Input, weights []float64) ([]Input, []float64) {
	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return in[a].Len() - in[b].Len() })
	sorted := make([]Input, len(in))
	w := make([]float64, len(in))
	for i, k := range idx {
		sorted[i] = in[k]
		w[i] = 1
		if weights != nil {
			w[i] = weights[k]
		}
	}
	return sorted, w
}

// result collects a set operation's members in the order found, with
// their scores kept exactly (a map, as Redis's dict; only probed).
type result struct {
	order  [][]byte
	scores map[string]float64
	maxLen int
}

func (r *result) build(lim Limits) *ZSet {
	z := NewSized(lim, len(r.order), r.maxLen)
	for _, m := range r.order {
		z.Add(lim, m, r.scores[string(m)], 0)
	}
	return z
}

func (r *result) add(m []byte, s float64) {
	r.order = append(r.order, m)
	r.scores[string(m)] = s
	r.maxLen = max(r.maxLen, len(m))
}

// Union is ZUNION/ZUNIONSTORE: every member of any input, its score the
// aggregate of its weighted scores (weights nil: all 1). The result's
// encoding is what Redis stores for ZUNIONSTORE under lim (NewSized); for
// a ZUNION reply pass Limits{} so that, as in Redis's reply, a -0 score
// stays -0.
func Union(lim Limits, in []Input, weights []float64, agg Aggregate) *ZSet {
	in, weights = bySize(in, weights)
	r := &result{scores: map[string]float64{}}
	for i, src := range in {
		src.Range(func(m []byte, s float64) bool {
			v := Weigh(s, weights[i])
			if cur, ok := r.scores[string(m)]; ok {
				r.scores[string(m)] = Combine(agg, cur, v)
			} else {
				r.add(m, v)
			}
			return true
		})
	}
	return r.build(lim)
}

// Inter is ZINTER/ZINTERSTORE: the members in every input, scored as
// Union does, except that (as Redis) only the smallest input's weighted
// score has NaN turned into 0. lim as for Union.
func Inter(lim Limits, in []Input, weights []float64, agg Aggregate) *ZSet {
	in, weights = bySize(in, weights)
	r := &result{scores: map[string]float64{}}
	if len(in) > 0 && in[0].Len() > 0 {
		in[0].Range(func(m []byte, s float64) bool {
			score := Weigh(s, weights[0])
			for j := 1; j < len(in); j++ {
				v, ok := in[j].Score(m)
				if !ok {
					return true
				}
				score = Combine(agg, score, v*weights[j])
			}
			r.add(m, score)
			return true
		})
	}
	return r.build(lim)
}

// InterCard is ZINTERCARD: the size of the intersection, counting stops
// at limit when limit > 0.
func InterCard(in []Input, limit int) int {
	in, _ = bySize(in, nil)
	n := 0
	if len(in) == 0 || in[0].Len() == 0 {
		return 0
	}
	in[0].Range(func(m []byte, _ float64) bool {
		for _, o := range in[1:] {
			if _, ok := o.Score(m); !ok {
				return true
			}
		}
		n++
		return limit <= 0 || n < limit
	})
	return n
}

// Diff is ZDIFF/ZDIFFSTORE: the members of the first input in none of
// the others, with the first input's scores. lim as for Union.
func Diff(lim Limits, in []Input) *ZSet {
	r := &result{scores: map[string]float64{}}
	if len(in) > 0 {
		in[0].Range(func(m []byte, s float64) bool {
			for _, o := range in[1:] {
				if _, ok := o.Score(m); ok {
					return true
				}
			}
			r.add(m, s)
			return true
		})
	}
	return r.build(lim)
}
