package list

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// model is the obvious list the random test compares against.
type model [][]byte

func (m model) bounds(start, stop int) (int, int) {
	n := len(m)
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0
	}
	return start, min(stop, n-1) + 1
}

// randElem draws elements that collide often and cover every encoding:
// small and large integers, non-canonical integers, short and long strings.
func randElem(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return []byte(strconv.Itoa(r.IntN(200) - 100))
	case 1:
		return []byte(strconv.FormatInt(r.Int64()>>r.IntN(63)*int64(1-2*r.IntN(2)), 10))
	case 2:
		return []byte("0" + strconv.Itoa(r.IntN(10)))
	case 3:
		return bytes.Repeat([]byte{'a' + byte(r.IntN(3))}, r.IntN(300))
	case 4:
		if r.IntN(20) == 0 {
			return bytes.Repeat([]byte("L"), 4000+r.IntN(9000))
		}
		return []byte("v" + strconv.Itoa(r.IntN(5)))
	default:
		return []byte("e" + strconv.Itoa(r.IntN(8)))
	}
}

// TestRandomOps applies random operations to lists and to models, cloning
// now and then and going on with both copies, and compares them after
// every operation.
func TestRandomOps(t *testing.T) {
	for _, fill := range []int{-2, -1, 0, 1, 2, 3, 7, 128} {
		t.Run(strconv.Itoa(fill), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(fill+100), 7))
			ops := 3000
			if testing.Short() {
				ops = 1000
			}
			randomOps(t, r, Limits{ListpackSize: fill}, ops)
		})
	}
}

func randomOps(t *testing.T, r *rand.Rand, lim Limits, ops int) {
	type pair struct {
		l *List
		m model
	}
	ps := []pair{{New(lim), nil}}
	randIndex := func(n int) int {
		return r.IntN(2*n+5) - n - 2
	}
	var log []string
	for op := 0; op < ops; op++ {
		k := r.IntN(len(ps))
		l, m := ps[k].l, ps[k].m
		var what string
		switch o := r.IntN(100); {
		case o < 4 && len(ps) < 6:
			c := l.Clone()
			ps = append(ps, pair{c, slices.Clone(m)})
			what = "Clone"
		case o < 6 && len(ps) > 1:
			ps = slices.Delete(ps, k, k+1)
			what = "drop"
			k = 0
			l, m = ps[0].l, ps[0].m
		case o < 25:
			es := make([][]byte, 1+r.IntN(40))
			for i := range es {
				es[i] = randElem(r)
			}
			l.PushBack(es...)
			m = append(m, es...)
			what = fmt.Sprintf("PushBack %d", len(es))
		case o < 42:
			es := make([][]byte, 1+r.IntN(40))
			for i := range es {
				es[i] = randElem(r)
				m = slices.Insert(m, 0, es[i])
			}
			l.PushFront(es...)
			what = fmt.Sprintf("PushFront %d", len(es))
		case o < 50:
			n := r.IntN(30)
			got := l.PopFront(n)
			n = min(n, len(m))
			if want := m[:n]; n > 0 && !equal(got, want) || n == 0 && got != nil {
				t.Fatalf("op %d PopFront(%d) = %q, want %q", op, n, strs(got), strs(want))
			}
			m = m[n:]
			what = fmt.Sprintf("PopFront %d", n)
		case o < 58:
			n := r.IntN(30)
			got := l.PopBack(n)
			n = min(n, len(m))
			want := slices.Clone(m[len(m)-n:])
			slices.Reverse(want)
			if n > 0 && !equal(got, want) || n == 0 && got != nil {
				t.Fatalf("op %d PopBack(%d) = %q, want %q", op, n, strs(got), strs(want))
			}
			m = m[:len(m)-n]
			what = fmt.Sprintf("PopBack %d", n)
		case o < 64:
			i := randIndex(len(m))
			e := randElem(r)
			ok := l.Set(i, e)
			j := i
			if j < 0 {
				j += len(m)
			}
			if want := j >= 0 && j < len(m); ok != want {
				t.Fatalf("op %d Set(%d) = %v", op, i, ok)
			}
			if ok {
				m = slices.Clone(m)
				m[j] = e
			}
			what = fmt.Sprintf("Set %d %.10q", i, e)
		case o < 72:
			pivot, e, after := randElem(r), randElem(r), r.IntN(2) == 0
			got := l.Insert(after, pivot, e)
			want := -1
			if j := slices.IndexFunc(m, func(b []byte) bool { return bytes.Equal(b, pivot) }); j >= 0 {
				if after {
					j++
				}
				m = slices.Insert(slices.Clone(m), j, e)
				want = len(m)
			}
			if got != want {
				t.Fatalf("op %d Insert(%v, %q) = %d, want %d", op, after, pivot, got, want)
			}
			what = fmt.Sprintf("Insert %v %.10q %.10q", after, pivot, e)
		case o < 80:
			e, count := randElem(r), r.IntN(7)-3
			got := l.Remove(count, e)
			var nm model
			removed := 0
			if count >= 0 {
				for _, b := range m {
					if bytes.Equal(b, e) && (count == 0 || removed < count) {
						removed++
						continue
					}
					nm = append(nm, b)
				}
			} else {
				for i := len(m) - 1; i >= 0; i-- {
					if bytes.Equal(m[i], e) && removed < -count {
						removed++
						continue
					}
					nm = append(nm, m[i])
				}
				slices.Reverse(nm)
			}
			if got != removed {
				t.Fatalf("op %d Remove(%d, %q) = %d, want %d", op, count, e, got, removed)
			}
			m = nm
			what = fmt.Sprintf("Remove %d %.10q", count, e)
		case o < 84:
			var start, stop int
			if r.IntN(2) == 0 { // mostly keep most of it
				start, stop = r.IntN(5), -1-r.IntN(5)
			} else {
				start, stop = randIndex(len(m)), randIndex(len(m))
			}
			l.Trim(start, stop)
			from, to := m.bounds(start, stop)
			m = m[from:to]
			what = fmt.Sprintf("Trim %d %d", start, stop)
		case o < 90:
			start, stop := randIndex(len(m)), randIndex(len(m))
			var got [][]byte
			l.Range(start, stop, func(e []byte) bool {
				got = append(got, bytes.Clone(e))
				return true
			})
			from, to := m.bounds(start, stop)
			if want := m[from:to]; !equal(got, want) {
				t.Fatalf("op %d Range(%d, %d) = %q, want %q", op, start, stop, strs(got), strs(want))
			}
			what = "Range"
		case o < 95:
			e := randElem(r)
			if len(m) > 0 && r.IntN(2) == 0 {
				e = m[r.IntN(len(m))]
			}
			rank := r.IntN(7) - 3
			if rank == 0 {
				rank = 1
			}
			count, maxlen := r.IntN(4), r.IntN(3)*r.IntN(len(m)+1)
			got := l.Pos(e, rank, count, maxlen)
			if want := modelPos(m, e, rank, count, maxlen); !slices.Equal(got, want) {
				t.Fatalf("op %d Pos(%q, %d, %d, %d) = %v, want %v", op, e, rank, count, maxlen, got, want)
			}
			what = "Pos"
		default:
			b := l.AppendBinary([]byte("prefix"))
			d, err := Decode(b[len("prefix"):])
			if err != nil {
				t.Fatalf("op %d Decode: %v", op, err)
			}
			if b2 := d.AppendBinary(nil); !bytes.Equal(b2, b[len("prefix"):]) {
				t.Fatalf("op %d: Decode then AppendBinary differs", op)
			}
			ps = append(ps, pair{d, slices.Clone(m)})
			what = "Decode"
		}
		if k < len(ps) {
			ps[k].m = m
		}
		log = append(log, fmt.Sprintf("list %d: %s", k, what))
		for pi, p := range ps {
			if pi != k && op%25 != 0 {
				continue // the others change only by a bug
			}
			if err := checkList(p.l, p.m); err != nil {
				t.Fatalf("after op %d on list %d, list %d: %v\nlast ops:\n%s", op, k, pi, err, strings.Join(log[max(0, len(log)-10):], "\n"))
			}
		}
		if len(ps) > 8 {
			ps = ps[len(ps)-6:]
		}
	}
}

func modelPos(m model, e []byte, rank, count, maxlen int) []int {
	var out []int
	skip := rank - 1
	if rank < 0 {
		skip = -rank - 1
	}
	for k := 0; k < len(m) && (maxlen == 0 || k < maxlen); k++ {
		i := k
		if rank < 0 {
			i = len(m) - 1 - k
		}
		if !bytes.Equal(m[i], e) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, i)
		if count != 0 && len(out) == count {
			break
		}
	}
	return out
}
