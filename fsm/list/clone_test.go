package list

import (
	"fmt"
	"sync"
	"testing"
)

// TestCloneIndependent changes a list and its clone in every way and
// checks that neither sees the other's changes.
func TestCloneIndependent(t *testing.T) {
	mutations := []struct {
		name string
		do   func(l *List)
	}{
		{"PushFront", func(l *List) { l.PushFront([]byte("new")) }},
		{"PushBack", func(l *List) { l.PushBack([]byte("new")) }},
		{"PopFront", func(l *List) { l.PopFront(3) }},
		{"PopBack", func(l *List) { l.PopBack(3) }},
		{"PopBack then PushBack", func(l *List) { l.PopBack(1); l.PushBack([]byte("zz")) }},
		{"PopFront then PushFront", func(l *List) { l.PopFront(1); l.PushFront([]byte("zz")) }},
		{"Set", func(l *List) { l.Set(5, []byte("set")) }},
		{"Set integer", func(l *List) { l.Set(5, []byte("5")) }},
		{"Insert", func(l *List) { l.Insert(true, []byte("e7"), []byte("ins")) }},
		{"Remove", func(l *List) { l.Remove(0, []byte("e3")) }},
		{"Trim", func(l *List) { l.Trim(2, -3) }},
	}
	for _, fill := range []int{-2, 4} {
		base := func(do ...func(*List)) *List {
			l := New(Limits{ListpackSize: fill})
			for i := 0; i < 40; i++ {
				l.PushBack([]byte(fmt.Sprint("e", i%10)))
			}
			for _, f := range do {
				f(l)
			}
			return l
		}
		for _, a := range mutations {
			for _, b := range mutations {
				t.Run(fmt.Sprint(fill, a.name, "/", b.name), func(t *testing.T) {
					l := base()
					c := l.Clone()
					a.do(l)
					b.do(c)
					check(t, l, elems(base(a.do)))
					check(t, c, elems(base(b.do)))
					b.do(l)
					a.do(c)
					check(t, l, elems(base(a.do, b.do)))
					check(t, c, elems(base(b.do, a.do)))
					cc := c.Clone() // a clone of a clone
					a.do(cc)
					check(t, c, elems(base(b.do, a.do)))
					check(t, cc, elems(base(b.do, a.do, a.do)))
				})
			}
		}
	}
}

// TestCloneConcurrent reads a clone on another goroutine while the
// original changes, as a snapshot does; run with -race.
func TestCloneConcurrent(t *testing.T) {
	l := New(DefaultLimits())
	for i := 0; i < 5000; i++ {
		l.PushBack([]byte(fmt.Sprint("e", i)))
	}
	want := elems(l)
	snap := l.Clone()
	var wg sync.WaitGroup
	wg.Add(1)
	var snapErr error
	go func() {
		defer wg.Done()
		for k := 0; k < 3; k++ {
			if err := checkList(snap, want); err != nil {
				snapErr = err
				return
			}
			_ = snap.AppendBinary(nil)
		}
	}()
	for i := 0; i < 500; i++ {
		l.PushFront([]byte("f"))
		l.PushBack([]byte("b"))
		l.Set(i*2, []byte("s"))
		l.Insert(false, []byte(fmt.Sprint("e", i)), []byte("i"))
		l.Remove(1, []byte(fmt.Sprint("e", 4999-i)))
		if i%50 == 0 {
			l.PopFront(3)
			l.PopBack(3)
		}
	}
	wg.Wait()
	if snapErr != nil {
		t.Fatal(snapErr)
	}
}

// TestCloneCost checks that Clone copies no element bytes.
func TestCloneCost(t *testing.T) {
	l := New(DefaultLimits())
	for i := 0; i < 100000; i++ {
		l.PushBack([]byte("0123456789"))
	}
	allocs := testing.AllocsPerRun(10, func() { l.Clone() })
	if allocs > 4 {
		t.Errorf("Clone: %v allocations", allocs)
	}
	c := l.Clone()
	before := c.MemoryUsage()
	c.Set(50000, []byte("x"))
	if c.MemoryUsage() > before+2*8192 {
		t.Errorf("Set on a clone grew it from %d to %d bytes", before, c.MemoryUsage())
	}
}

// TestCloneWhileRead clones a list that another goroutine is reading (a
// snapshot writing it out) and changes the clone, as the state machine's
// copy-on-write does on the first write after a snapshot; run with -race.
func TestCloneWhileRead(t *testing.T) {
	orig := New(DefaultLimits())
	for i := 0; i < 3000; i++ {
		orig.PushBack([]byte(fmt.Sprint("e", i)))
	}
	want := orig.AppendBinary(nil)
	done := make(chan string)
	go func() {
		for k := 0; k < 20; k++ {
			if got := orig.AppendBinary(nil); string(got) != string(want) {
				done <- "the snapshot's list changed"
				return
			}
			orig.Range(0, -1, func([]byte) bool { return true })
		}
		done <- ""
	}()
	l := orig
	for i := 0; i < 200; i++ {
		l = l.Clone()
		l.PushFront([]byte("f"))
		l.Set(1500, []byte("s"))
		l.Remove(1, []byte(fmt.Sprint("e", i)))
		l.PopBack(1)
	}
	if msg := <-done; msg != "" {
		t.Fatal(msg)
	}
}
