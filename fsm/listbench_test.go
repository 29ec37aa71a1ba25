package fsm

import "testing"

// LPUSH and LPOP are in collection_bench_test.go.

// encoded returns the log entry of the command line args, as resp
// proposes it.
func encoded(tb testing.TB, args ...string) []byte {
	tb.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	c, ok, err := Parse(argv, scriptTime)
	if !ok || err != nil {
		tb.Fatalf("parse %q: %v", args, err)
	}
	return c.AppendBinary(nil)
}

// BenchmarkReadLRange is redis-benchmark's LRANGE_100 on a 10000-element
// list.
func BenchmarkReadLRange(b *testing.B) {
	s := New()
	push := encoded(b, "RPUSH", "mylist", string(benchValue))
	for i := range 10000 {
		s.Apply(uint64(i+1), push)
	}
	c := parseLine(b, scriptTime, "LRANGE mylist 0 99")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := s.Read(c, scriptTime); len(r.Elems) != 100 {
			b.Fatal(r)
		}
	}
}

// BenchmarkServeBLPop is a push that serves a blocked client: the waiter's
// registration, then the push and the pop it causes.
func BenchmarkServeBLPop(b *testing.B) {
	s := New()
	s.SetEventSink(func(Event) {})
	push := encoded(b, "RPUSH", "mylist", "v")
	blpop := parseLine(b, scriptTime, "BLPOP mylist 0")
	idx := uint64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx++
		s.Apply(idx, blpop.WithWaiter(WaiterID{Node: 1, Session: 1, Seq: uint64(i + 1)}).AppendBinary(nil))
		idx++
		s.Apply(idx, push)
	}
}
