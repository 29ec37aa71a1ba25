package set

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

func benchMembers(n int, ints bool) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		if ints {
			out[i] = []byte(strconv.Itoa(i * 7))
		} else {
			out[i] = fmt.Appendf(nil, "mem:%06d", i) // 10 bytes
		}
	}
	return out
}

var benchCases = []struct {
	name string
	n    int
	ints bool
}{
	{"intset-512", 512, true},
	{"hashtable-1k", 1000, false},
	{"hashtable-100k", 100000, false},
}

func BenchmarkAdd(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			ms := benchMembers(bc.n, bc.ints)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; {
				s := &Set{}
				for _, m := range ms {
					if i == b.N {
						break
					}
					s.Add(DefaultLimits(), m)
					i++
				}
			}
		})
	}
}

func BenchmarkContains(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			ms := benchMembers(bc.n, bc.ints)
			s := New(DefaultLimits(), ms...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if !s.Contains(ms[i%len(ms)]) {
					b.Fatal("missing")
				}
			}
		})
	}
}

func BenchmarkRandom(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			s := New(DefaultLimits(), benchMembers(bc.n, bc.ints)...)
			rng := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if s.Random(rng.IntN) == nil {
					b.Fatal("nil")
				}
			}
		})
	}
}

func BenchmarkRandomMembers10(b *testing.B) {
	s := New(DefaultLimits(), benchMembers(100000, false)...)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.RandomMembers(10, rng.IntN)
	}
}

func BenchmarkClone(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			s := New(DefaultLimits(), benchMembers(bc.n, bc.ints)...)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.Clone()
			}
		})
	}
}

// BenchmarkMemory reports the Go heap a set of 1M 10-byte non-integer
// members takes, per member, next to MemoryUsage's estimate. Redis 7.0.15
// takes 56.5 bytes per member for the same set (used_memory before and after
// SADD; MEMORY USAGE says 48.4). Run with -benchtime 1x.
func BenchmarkMemory(b *testing.B) {
	const n = 1000000
	ms := make([][]byte, n)
	for i := range ms {
		ms[i] = fmt.Appendf(nil, "m:%08d", (i*7919)%n) // distinct: 7919 is prime
	}
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := &Set{}
		for _, m := range ms {
			s.Add(DefaultLimits(), m)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "heap-B/member")
		b.ReportMetric(float64(s.MemoryUsage())/n, "estimate-B/member")
		runtime.KeepAlive(s)
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	s := New(DefaultLimits(), benchMembers(100000, false)...)
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for range b.N {
		buf = s.AppendBinary(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecode(b *testing.B) {
	enc := New(DefaultLimits(), benchMembers(100000, false)...).AppendBinary(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	b.ResetTimer()
	for range b.N {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
