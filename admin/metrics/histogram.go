package metrics

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// A Histogram counts durations in log-linear buckets: eight to each
// doubling, so that a bucket is at most an eighth wider than its lower
// bound, from 1ns to about 18 minutes (longer durations count in the last
// bucket). Observe is a few atomic adds, with no lock and no allocation,
// cheap enough to run for every command served; the percentiles Redis's
// LATENCY and INFO latencystats show, and the Prometheus buckets, are
// computed from the counts when asked for. The zero value is ready to use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	sum    atomic.Uint64 // nanoseconds
}

const (
	subBits    = 3 // 2^subBits buckets per doubling
	subCount   = 1 << subBits
	maxOctave  = 40 // values of 2^40 ns (18 min) and more share the last bucket
	numBuckets = (maxOctave-subBits+1)*subCount + subCount
)

// bucketOf returns the bucket index of v nanoseconds. Values below
// subCount have a bucket each; above, bucket (k-subBits+1)*subCount+s
// holds [ (subCount+s)<<(k-subBits), (subCount+s+1)<<(k-subBits) ) for v
// in [2^k, 2^(k+1)).
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	k := bits.Len64(v) - 1
	if k > maxOctave {
		return numBuckets - 1
	}
	s := int(v>>(k-subBits)) & (subCount - 1)
	return (k-subBits+1)*subCount + s
}

// upperBound is the smallest value above bucket i's range, in nanoseconds.
func upperBound(i int) uint64 {
	if i < subCount {
		return uint64(i) + 1
	}
	k := i/subCount + subBits - 1
	s := uint64(i % subCount)
	return (subCount + s + 1) << (k - subBits)
}

// Observe counts one duration (negative ones as zero).
func (h *Histogram) Observe(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.sum.Add(v)
}

// Count returns how many durations were observed.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Sum returns the total of the observed durations.
func (h *Histogram) Sum() time.Duration { return time.Duration(h.sum.Load()) }

// Reset forgets every observation. Observations made meanwhile may be kept
// or lost.
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.sum.Store(0)
}

// Percentile returns the upper bound of the bucket holding the p-th
// percentile (0 < p <= 100) of the observations, as HdrHistogram reports
// the highest value equivalent to it, or 0 when there are none.
func (h *Histogram) Percentile(p float64) time.Duration {
	var counts [numBuckets]uint64
	total := h.load(&counts)
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(total)))
	rank = min(max(rank, 1), total)
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			return time.Duration(upperBound(i))
		}
	}
	return time.Duration(upperBound(numBuckets - 1))
}

// Buckets returns the cumulative count of observations below each bound
// (a Prometheus histogram's buckets) and the total count. Each bound is
// rounded down to a power of two nanoseconds, so that it falls on a bucket
// edge and the counts are exact.
func (h *Histogram) Buckets(bounds []time.Duration) (cumulative []uint64, total uint64) {
	var counts [numBuckets]uint64
	total = h.load(&counts)
	cumulative = make([]uint64, len(bounds))
	for j, b := range bounds {
		edge := bucketOf(uint64(PowerOfTwo(b)))
		var n uint64
		for i := 0; i < edge; i++ {
			n += counts[i]
		}
		cumulative[j] = n
	}
	return cumulative, total
}

func (h *Histogram) load(counts *[numBuckets]uint64) uint64 {
	var total uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	return total
}

// PowerOfTwo rounds d down to a power of two nanoseconds (at least 1ns).
func PowerOfTwo(d time.Duration) time.Duration {
	if d < 1 {
		return 1
	}
	return 1 << (bits.Len64(uint64(d)) - 1)
}
