package resp

import (
	"testing"
	"time"
)

// BenchmarkCalled is what counting one command costs the front door: its
// calls, its latency histogram, and the slow log's threshold check.
func BenchmarkCalled(b *testing.B) {
	s, _, _ := startServer(b, Config{})
	sp := s.cmds.lookup([]byte("get"))
	c := &client{}
	args := [][]byte{[]byte("GET"), []byte("k")}
	start := time.Now()
	end := start.Add(100 * time.Microsecond)
	b.ReportAllocs()
	for b.Loop() {
		s.called(c, sp, args, start, end, false)
	}
}
