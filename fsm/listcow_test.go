package fsm

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomListWrite is a random list write over a few keys: pushes of small
// and chunk-sized elements, pops, edits in the middle, moves between keys
// (and onto strings, for WRONGTYPE), and the odd COPY, RENAME or DEL.
func randomListWrite(r *rand.Rand) string {
	key := func() string { return fmt.Sprintf("l%d", r.IntN(12)) }
	val := func() string {
		switch r.IntN(10) {
		case 0:
			return strings.Repeat("x", 100+r.IntN(9000))
		case 1, 2:
			return fmt.Sprint(r.IntN(200) - 100)
		}
		return fmt.Sprintf("v%d", r.IntN(30))
	}
	vals := func() string {
		out := make([]string, 1+r.IntN(40))
		for i := range out {
			out[i] = val()
		}
		return strings.Join(out, " ")
	}
	idx := func() int { return r.IntN(60) - 30 }
	switch r.IntN(16) {
	case 0, 1, 2:
		return "RPUSH " + key() + " " + vals()
	case 3, 4:
		return "LPUSH " + key() + " " + vals()
	case 5:
		return fmt.Sprintf("LPOP %s %d", key(), r.IntN(10))
	case 6:
		return fmt.Sprintf("RPOP %s %d", key(), r.IntN(10))
	case 7:
		return fmt.Sprintf("LSET %s %d %s", key(), idx(), val())
	case 8:
		return fmt.Sprintf("LINSERT %s %s %s %s", key(), []string{"BEFORE", "AFTER"}[r.IntN(2)], val(), val())
	case 9:
		return fmt.Sprintf("LREM %s %d %s", key(), r.IntN(5)-2, val())
	case 10:
		return fmt.Sprintf("LTRIM %s %d %d", key(), r.IntN(10), -1-r.IntN(10))
	case 11:
		return fmt.Sprintf("LMOVE %s %s LEFT RIGHT", key(), key())
	case 12:
		return fmt.Sprintf("LMPOP 2 %s %s RIGHT COUNT %d", key(), key(), 1+r.IntN(5))
	case 13:
		return "COPY " + key() + " " + key() + " REPLACE"
	case 14:
		return "RENAME " + key() + " " + key()
	}
	if r.IntN(3) == 0 {
		return "SET " + key() + " str"
	}
	return "DEL " + key()
}

// TestListSnapshotCopyOnWrite captures snapshots among random list writes
// and writes them out while the writes go on or later: each must hold
// exactly the state as of its capture, as a replay of the log up to there.
func TestListSnapshotCopyOnWrite(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			n := newNode()
			type capture struct {
				index int
				got   []byte
				done  chan struct{}
			}
			var caps []*capture
			var later []io.WriterTo
			for i := 0; i < 2000; i++ {
				n.do(t, scriptTime, randomListWrite(r))
				if r.IntN(100) != 0 {
					continue
				}
				wt, err := n.store.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				c := &capture{index: int(n.index), done: make(chan struct{})}
				caps = append(caps, c)
				if r.IntN(2) == 0 {
					go func() {
						defer close(c.done)
						var buf bytes.Buffer
						if _, err := wt.WriteTo(&buf); err != nil {
							t.Error(err)
						}
						c.got = buf.Bytes()
					}()
					later = append(later, nil)
				} else {
					later = append(later, wt)
				}
			}
			for i, c := range caps {
				if wt := later[i]; wt != nil {
					var buf bytes.Buffer
					if _, err := wt.WriteTo(&buf); err != nil {
						t.Fatal(err)
					}
					c.got = buf.Bytes()
					close(c.done)
				}
			}
			for _, c := range caps {
				<-c.done
				if want := replayed(t, n.log, c.index); !bytes.Equal(c.got, want) {
					t.Fatalf("snapshot captured after entry %d differs from a replay up to it", c.index)
				}
			}
			if !bytes.Equal(snapshotBytes(t, n.store), replayed(t, n.log, len(n.log))) {
				t.Fatal("the store differs from a replay of its log")
			}
		})
	}
}
