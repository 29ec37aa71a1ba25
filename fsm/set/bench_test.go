package set

import (
	"fmt"
	"math/rand/v2"
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
	for range b.N {
		s.RandomMembers(10, rng.IntN)
	}
}

func BenchmarkClone(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			s := New(DefaultLimits(), benchMembers(bc.n, bc.ints)...)
			b.ReportAllocs()
			for range b.N {
				s.Clone()
			}
		})
	}
}
