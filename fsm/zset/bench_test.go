package zset

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

const benchN = 1 << 20

func benchMembers(n int) [][]byte {
	ms := make([][]byte, n)
	for i := range ms {
		ms[i] = fmt.Appendf(nil, "m%09d", i) // 10 bytes, as in the Redis comparison
	}
	return ms
}

func benchSet(b *testing.B, n int) (*ZSet, [][]byte) {
	b.Helper()
	ms := benchMembers(n)
	r := rand.New(rand.NewPCG(1, 2))
	z := New()
	lim := DefaultLimits()
	for _, m := range ms {
		z.Add(lim, m, float64(r.IntN(1_000_000)), 0)
	}
	return z, ms
}

func BenchmarkAdd(b *testing.B) {
	ms := benchMembers(benchN)
	r := rand.New(rand.NewPCG(1, 2))
	lim := DefaultLimits()
	z := New()
	i := 0
	for b.Loop() {
		z.Add(lim, ms[i&(benchN-1)], float64(r.IntN(1_000_000)), 0)
		i++
	}
}

// BenchmarkAddListpack: a small set, where every write rebuilds the
// listpack.
func BenchmarkAddListpack(b *testing.B) {
	ms := benchMembers(100)
	lim := DefaultLimits()
	z := New()
	i := 0
	for b.Loop() {
		z.Add(lim, ms[i%100], float64(i%1000), 0)
		i++
	}
}

func BenchmarkScore(b *testing.B) {
	z, ms := benchSet(b, benchN)
	i := 0
	for b.Loop() {
		z.Score(ms[(i*7919)&(benchN-1)])
		i++
	}
}

func BenchmarkRank(b *testing.B) {
	z, ms := benchSet(b, benchN)
	i := 0
	for b.Loop() {
		z.Rank(ms[(i*7919)&(benchN-1)], false)
		i++
	}
}

// BenchmarkRangeByRank10: ZRANGE key i i+9 WITHSCORES.
func BenchmarkRangeByRank10(b *testing.B) {
	z, _ := benchSet(b, benchN)
	i := 0
	for b.Loop() {
		lo := (i * 7919) & (benchN - 1)
		z.RangeByRank(lo, lo+9, false, func([]byte, float64) bool { return true })
		i++
	}
}

func BenchmarkRangeByScore10(b *testing.B) {
	z, _ := benchSet(b, benchN)
	i := 0
	for b.Loop() {
		lo := float64((i * 7919) % 1_000_000)
		z.RangeByScore(ScoreRange{Min: lo, Max: lo + 100}, false, 0, 10, func([]byte, float64) bool { return true })
		i++
	}
}

func BenchmarkAppendScore(b *testing.B) {
	buf := make([]byte, 0, 32)
	i := 0
	for b.Loop() {
		buf = AppendScore(buf[:0], float64(i)*0.37)
		i++
	}
}

// BenchmarkMemory1M builds the sorted set of the Redis comparison (2^20
// members "m000000000".., 10 bytes, random integer scores) and reports
// the heap bytes per member and MemoryUsage's estimate. redis-server 7.0.15
// holds the same set in 101.7 bytes per member (MEMORY USAGE), 109.7 by
// used_memory's growth.
func BenchmarkMemory1M(b *testing.B) {
	for _, order := range []string{"random", "ascending"} {
		b.Run(order, func(b *testing.B) {
			for b.Loop() {
				ms := benchMembers(benchN)
				r := rand.New(rand.NewPCG(1, 2))
				scores := make([]float64, benchN)
				for i := range scores {
					if order == "random" {
						scores[i] = float64(r.IntN(1_000_000))
					} else {
						scores[i] = float64(i)
					}
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				z := New()
				lim := DefaultLimits()
				for i, m := range ms {
					z.Add(lim, m, scores[i], 0)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/benchN, "heap-B/member")
				b.ReportMetric(float64(z.MemoryUsage())/benchN, "usage-B/member")
				runtime.KeepAlive(z)
				runtime.KeepAlive(ms)
			}
		})
	}
}
