package fsm

import (
	"strconv"
	"testing"
)

// BenchmarkReadGetHit is a GET that finds its key, from parallel readers:
// the read path that records accesses for the reports (see access.go).
func BenchmarkReadGetHit(b *testing.B) {
	s := New()
	const keys = 100_000
	for i := range keys {
		c, _, _ := Parse([][]byte{[]byte("SET"), []byte("key:" + strconv.Itoa(i)), []byte("value")}, scriptTime)
		s.Apply(uint64(i+1), c.AppendBinary(nil))
	}
	cmds := make([]Command, 1024)
	for i := range cmds {
		cmds[i], _, _ = Parse([][]byte{[]byte("GET"), []byte("key:" + strconv.Itoa(i*97%keys))}, scriptTime)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Read(cmds[i%len(cmds)], scriptTime)
			i++
		}
	})
}
