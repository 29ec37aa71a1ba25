package list

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// benchElem is the i-th element of the benchmarks' lists: 10 bytes that are
// not an integer, like the values memory is compared with Redis on.
func benchElem(i int) []byte { return fmt.Appendf(nil, "e%09d", i) }

func benchList(n int) *List {
	l := New(DefaultLimits())
	for i := 0; i < n; i++ {
		l.PushBack(benchElem(i))
	}
	return l
}

func BenchmarkPushBack(b *testing.B) {
	e := benchElem(1)
	b.ReportAllocs()
	l := New(DefaultLimits())
	for b.Loop() {
		l.PushBack(e)
	}
}

func BenchmarkPushFront(b *testing.B) {
	e := benchElem(1)
	b.ReportAllocs()
	l := New(DefaultLimits())
	for b.Loop() {
		l.PushFront(e)
	}
}

func BenchmarkPopFront(b *testing.B) {
	l := benchList(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if l.Len() == 0 {
			b.StopTimer()
			l = benchList(1 << 20)
			b.StartTimer()
		}
		l.PopFront(1)
	}
}

func BenchmarkIndex(b *testing.B) {
	for _, n := range []int{100, 10000, 1000000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			l := benchList(n)
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf, _ = l.AppendIndex(buf[:0], i%n)
				i += 7919
			}
		})
	}
}

func BenchmarkRange(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			l := benchList(100000)
			out := make([]byte, 0, 16*n)
			b.ReportAllocs()
			b.SetBytes(int64(10 * n))
			start := 0
			for b.Loop() {
				out = out[:0]
				l.Range(start, start+n-1, func(e []byte) bool {
					out = append(out, e...)
					return true
				})
				start = (start + 4999) % (100000 - n)
			}
		})
	}
}

func BenchmarkInsertMiddle(b *testing.B) {
	l := benchList(100000)
	pivot := benchElem(50000)
	e := benchElem(7)
	b.ReportAllocs()
	for b.Loop() {
		l.Insert(true, pivot, e)
		if l.Len() > 200000 {
			b.StopTimer()
			l = benchList(100000)
			b.StartTimer()
		}
	}
}

func BenchmarkClone(b *testing.B) {
	l := benchList(1000000)
	b.ReportAllocs()
	for b.Loop() {
		l.Clone()
	}
}

// BenchmarkMemory1M reports the memory per element of a 1M-element list of
// 10-byte values (and of the integers 0..999999), as MemoryUsage counts it
// and as the Go heap grew. Redis 7.0.15 took 12.17 (strings) and 5.00
// (integers) bytes per element in used_memory for the same lists.
func BenchmarkMemory1M(b *testing.B) {
	for _, kind := range []string{"strings", "integers"} {
		b.Run(kind, func(b *testing.B) {
			const n = 1000000
			elem := benchElem
			if kind == "integers" {
				elem = func(i int) []byte { return strconv.AppendInt(nil, int64(i), 10) }
			}
			var usage, heap float64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				l := New(DefaultLimits())
				buf := make([]byte, 0, 20)
				for i := 0; i < n; i++ {
					buf = append(buf[:0], elem(i)...)
					l.PushBack(buf)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				usage = float64(l.MemoryUsage()) / n
				heap = float64(after.HeapAlloc-before.HeapAlloc) / n
				runtime.KeepAlive(l)
			}
			b.ReportMetric(usage, "usage-B/elem")
			b.ReportMetric(heap, "heap-B/elem")
		})
	}
}
