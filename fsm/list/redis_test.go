package list

import (
	"fmt"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// This file checks the package against a real redis-server 7.0 (the
// project's oracle): the same list commands go to both and every reply,
// and the whole list after each command, must be equal.

// reply renders a reply, ours or Redis's, for comparison.
func reply(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case error:
		return "error " + v.Error()
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = reply(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case []string:
		return reply(anys(v))
	case []int:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = int64(e)
		}
		return reply(out)
	case int:
		return reply(int64(v))
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprintf("unexpected %T", v)
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestAgainstRedis sends random list commands to redis-server and to a
// List (a missing key is an empty list) and compares replies and contents.
func TestAgainstRedis(t *testing.T) {
	o := redistest.Start(t)
	for _, fill := range []int{-2, 3} {
		o.Do("CONFIG", "SET", "list-max-listpack-size", strconv.Itoa(fill))
		o.Do("DEL", "k")
		r := rand.New(rand.NewPCG(uint64(fill+10), 3))
		l := New(Limits{ListpackSize: fill})
		elem := func() string {
			if l.Len() > 0 && r.IntN(3) == 0 {
				e, _ := l.Index(r.IntN(l.Len()))
				return string(e)
			}
			return string(randElem(r))
		}
		index := func() string { return strconv.Itoa(r.IntN(2*l.Len()+6) - l.Len() - 3) }
		for op := 0; op < 3000; op++ {
			var args []string
			var ours any
			switch c := r.IntN(13); c {
			case 0, 1:
				args = []string{"RPUSH", "LPUSH"}[c:][:1]
				args = append(args, "k")
				es := make([][]byte, 1+r.IntN(8))
				for i := range es {
					es[i] = []byte(elem())
					args = append(args, string(es[i]))
				}
				if c == 0 {
					ours = l.PushBack(es...)
				} else {
					ours = l.PushFront(es...)
				}
			case 2, 3:
				args = []string{[]string{"LPOP", "RPOP"}[c-2], "k"}
				n, count := 1, r.IntN(3) > 0
				if count {
					n = r.IntN(12)
					args = append(args, strconv.Itoa(n))
				}
				empty := l.Len() == 0
				var got [][]byte
				if c == 2 {
					got = l.PopFront(n)
				} else {
					got = l.PopBack(n)
				}
				switch {
				case empty:
					ours = nil
				case !count:
					ours = string(got[0])
				default:
					ours = anys(strs(got))
				}
			case 4:
				i, e := index(), elem()
				args = []string{"LSET", "k", i, e}
				n, _ := strconv.Atoi(i)
				switch {
				case l.Len() == 0:
					ours = fmt.Errorf("ERR no such key")
				case !l.Set(n, []byte(e)):
					ours = fmt.Errorf("ERR index out of range")
				default:
					ours = "OK"
				}
			case 5:
				where, pivot, e := []string{"BEFORE", "AFTER"}[r.IntN(2)], elem(), elem()
				args = []string{"LINSERT", "k", where, pivot, e}
				if l.Len() == 0 {
					ours = int64(0)
				} else {
					ours = l.Insert(where == "AFTER", []byte(pivot), []byte(e))
				}
			case 6:
				count, e := r.IntN(7)-3, elem()
				args = []string{"LREM", "k", strconv.Itoa(count), e}
				ours = l.Remove(count, []byte(e))
			case 7:
				start, stop := r.IntN(4), -1-r.IntN(4)
				if r.IntN(3) == 0 {
					start, stop = r.IntN(l.Len()+2)-1, r.IntN(l.Len()+2)-1
				}
				args = []string{"LTRIM", "k", strconv.Itoa(start), strconv.Itoa(stop)}
				l.Trim(start, stop)
				ours = "OK"
			case 8, 9:
				e := elem()
				rank := r.IntN(7) - 3
				if rank == 0 {
					rank = -1
				}
				count, maxlen := r.IntN(4), r.IntN(3)*r.IntN(l.Len()+2)
				args = []string{"LPOS", "k", e, "RANK", strconv.Itoa(rank), "MAXLEN", strconv.Itoa(maxlen)}
				withCount := c == 9
				if withCount {
					args = append(args, "COUNT", strconv.Itoa(count))
				} else {
					count = 1
				}
				got := l.Pos([]byte(e), rank, count, maxlen)
				switch {
				case withCount:
					ours = got
					if got == nil {
						ours = []any{}
					}
				case len(got) == 0:
					ours = nil
				default:
					ours = got[0]
				}
			case 10:
				start, stop := index(), index()
				args = []string{"LRANGE", "k", start, stop}
				s, _ := strconv.Atoi(start)
				e, _ := strconv.Atoi(stop)
				var got []string
				l.Range(s, e, func(b []byte) bool { got = append(got, string(b)); return true })
				ours = anys(got)
				if got == nil {
					ours = []any{}
				}
			case 11:
				i := index()
				args = []string{"LINDEX", "k", i}
				n, _ := strconv.Atoi(i)
				if e, ok := l.Index(n); ok {
					ours = string(e)
				} else {
					ours = nil
				}
			case 12:
				args = []string{"LLEN", "k"}
				ours = l.Len()
			}
			if got, want := reply(ours), reply(o.Do(args...)); got != want {
				t.Fatalf("fill %d, op %d: %.80q: ours %.200s, redis %.200s", fill, op, args, got, want)
			}
			whole := anys(strs(elems(l)))
			if len(whole) == 0 {
				whole = []any{}
			}
			if got, want := reply(whole), reply(o.Do("LRANGE", "k", "0", "-1")); got != want {
				t.Fatalf("fill %d, after op %d %.80q: ours %.300s, redis %.300s", fill, op, args, got, want)
			}
			if l.Len() == 0 {
				l = New(Limits{ListpackSize: fill}) // Redis deleted the key
			}
		}
	}
}
