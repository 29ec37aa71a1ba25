package fsm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks below are the state machine's side of `make bench`'s
// collection tests (issue 10), shaped as redis-benchmark sends them: each
// operation is parsed, encoded as its log entry and applied (writes), or
// parsed and read (reads), on one key.

// benchWrites parses, encodes and applies argv(i) for i in 0..b.N-1 on s,
// after entries already applied up to index. It fails on an error reply.
func benchWrites(b *testing.B, s *Store, index uint64, argv func(i int) [][]byte) {
	b.Helper()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, ok, err := Parse(argv(i), scriptTime)
		if !ok || err != nil {
			b.Fatalf("parse %q: %v", argv(i), err)
		}
		buf = c.AppendBinary(buf[:0])
		if r, _ := s.Apply(index+uint64(i)+1, buf).(Reply); r.Kind == KindError {
			b.Fatalf("%q: %s", argv(i), r.Bytes)
		}
	}
}

// applyLine applies one write to s at index, outside the timed loop.
func applyLine(b *testing.B, s *Store, index uint64, argv [][]byte) {
	b.Helper()
	c, ok, err := Parse(argv, scriptTime)
	if !ok || err != nil {
		b.Fatalf("parse %q: %v", argv[0], err)
	}
	if r, _ := s.Apply(index, c.AppendBinary(nil)).(Reply); r.Kind == KindError {
		b.Fatalf("%q: %s", argv[0], r.Bytes)
	}
}

// randomElements are redis-benchmark's "element:__rand_int__" over -r 1M,
// from a fixed seed.
func randomElements(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "element:%012d", r.IntN(1_000_000))
	}
	return out
}

// BenchmarkLPush is redis-benchmark's LPUSH: a 64-byte value pushed onto
// one list, which grows.
func BenchmarkLPush(b *testing.B) {
	argv := [][]byte{[]byte("LPUSH"), []byte("mylist"), benchValue}
	benchWrites(b, New(), 0, func(int) [][]byte { return argv })
}

// BenchmarkLPop is redis-benchmark's LPOP of the list LPUSH filled: every
// pop finds an element.
func BenchmarkLPop(b *testing.B) {
	s := New()
	push := [][]byte{[]byte("RPUSH"), []byte("mylist")}
	for range 100 {
		push = append(push, benchValue)
	}
	var index uint64
	for n := 0; n < b.N; n += 100 {
		index++
		applyLine(b, s, index, push)
	}
	argv := [][]byte{[]byte("LPOP"), []byte("mylist")}
	benchWrites(b, s, index, func(int) [][]byte { return argv })
}

// BenchmarkSAdd is redis-benchmark's SADD of random members ("element:"
// and one of 1M numbers) to one set, which grows to hold most of them.
func BenchmarkSAdd(b *testing.B) {
	elems := randomElements(min(b.N, 1<<20))
	argv := [][]byte{[]byte("SADD"), []byte("myset"), nil}
	benchWrites(b, New(), 0, func(i int) [][]byte {
		argv[2] = elems[i%len(elems)]
		return argv
	})
}
