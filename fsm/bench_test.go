package fsm

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// The benchmarks below follow the shape of `make bench`'s load: redis-
// benchmark's keys ("key:" and 12 digits) with 64-byte values.

// benchKey is redis-benchmark's key for i.
func benchKey(i int) []byte { return fmt.Appendf(nil, "key:%012d", i) }

var benchValue = bytes.Repeat([]byte("x"), 64)

// encodedSet is the log entry of SET key value, as resp proposes it.
func encodedSet(tb testing.TB, key, value []byte) []byte {
	tb.Helper()
	c, ok, err := Parse([][]byte{[]byte("SET"), key, value}, scriptTime)
	if !ok || err != nil {
		tb.Fatalf("parse SET: %v", err)
	}
	return c.AppendBinary(nil)
}

// BenchmarkApplySetNewKey applies SETs of distinct keys, so the map grows as
// it does while a keyspace is loaded: the cost per key includes its share of
// map growth.
func BenchmarkApplySetNewKey(b *testing.B) {
	entries := make([][]byte, b.N)
	for i := range entries {
		entries[i] = encodedSet(b, benchKey(i), benchValue)
	}
	s := New()
	b.ReportAllocs()
	b.SetBytes(int64(len(entries[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Apply(uint64(i+1), entries[i])
	}
}

// BenchmarkApplySetOverwrite applies SETs over a keyspace that already holds
// every key, the steady state of `make bench`'s SET runs.
func BenchmarkApplySetOverwrite(b *testing.B) {
	const keys = 1 << 16
	s := New()
	entries := make([][]byte, keys)
	for i := range entries {
		entries[i] = encodedSet(b, benchKey(i), benchValue)
		s.Apply(uint64(i+1), entries[i])
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(entries[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Apply(uint64(keys+i+1), entries[i%keys])
	}
}

// BenchmarkEncodeSet is the proposer's side of a SET: parse the arguments
// redcon hands over and encode the log entry into a reused buffer.
func BenchmarkEncodeSet(b *testing.B) {
	argv := [][]byte{[]byte("SET"), benchKey(123456), benchValue}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		c, _, err := Parse(argv, scriptTime)
		if err != nil {
			b.Fatal(err)
		}
		buf = c.AppendBinary(buf[:0])
	}
}

// BenchmarkDecodeSet is the applier's side: decode a SET entry.
func BenchmarkDecodeSet(b *testing.B) {
	data := encodedSet(b, benchKey(123456), benchValue)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// loadedStore returns a Store holding n string keys with 64-byte values.
func loadedStore(tb testing.TB, n int) *Store {
	tb.Helper()
	s := New()
	for i := 0; i < n; i++ {
		s.Apply(uint64(i+1), encodedSet(tb, benchKey(i), benchValue))
	}
	return s
}

var snapshotSizes = []int{100_000, 1_000_000}

// BenchmarkSnapshotCapture is the part of a snapshot that runs on the apply
// loop, holding the Store's lock: writes wait for it.
func BenchmarkSnapshotCapture(b *testing.B) {
	for _, n := range snapshotSizes {
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			s := loadedStore(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Snapshot(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
		})
	}
}

// BenchmarkSnapshotWrite is the part that runs on its own goroutine: sort
// the captured entries and encode them (to io.Discard here; the node also
// writes and fsyncs a file).
func BenchmarkSnapshotWrite(b *testing.B) {
	for _, n := range snapshotSizes {
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			s := loadedStore(b, n)
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				b.StopTimer()
				wt, err := s.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if size, err = wt.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(size)
		})
	}
}

// BenchmarkRestore is what a restart spends on the state machine: read and
// verify a snapshot stream and rebuild the keyspace.
func BenchmarkRestore(b *testing.B) {
	for _, n := range snapshotSizes {
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			wt, err := loadedStore(b, n).Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := wt.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := New().Restore(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
