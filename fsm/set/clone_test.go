package set

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestCloneConcurrent is the state machine's snapshot pattern under -race:
// one goroutine reads (and encodes) a set while another writes its clone,
// and the other way round. The reader must see the set as it was at the
// Clone, whatever the writer does.
func TestCloneConcurrent(t *testing.T) {
	ints, others := benchMembers(400, true), benchMembers(400, false)
	for _, mk := range []func() *Set{
		func() *Set { return New(DefaultLimits(), benchMembers(400, true)...) },
		func() *Set { return New(DefaultLimits(), benchMembers(5000, false)...) },
	} {
		for _, writeOriginal := range []bool{false, true} {
			s := mk()
			want := strs(s.Members())
			c := s.Clone()
			read, write := s, c
			if writeOriginal {
				read, write = c, s
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					if got := strs(read.Members()); !slices.Equal(got, want) {
						t.Errorf("%s: the read side changed", read.Encoding())
						return
					}
					if _, err := Decode(read.AppendBinary(nil)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			for i := range 1000 {
				write.Add(DefaultLimits(), fmt.Appendf(nil, "new%d", i))
				write.Remove(ints[i%400], others[i%400])
				write.Pop(func(n int) int { return i % n })
			}
			wg.Wait()
			if got := strs(read.Members()); !slices.Equal(got, want) {
				t.Fatalf("%s: the read side changed after the writes", read.Encoding())
			}
		}
	}
}
