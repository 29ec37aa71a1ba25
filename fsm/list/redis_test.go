package list

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file checks the package against a real redis-server 7.0 (the
// project's oracle): the same list commands go to both and every reply,
// and the whole list after each command, must be equal.

type oracle struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func startOracle(t *testing.T) *oracle {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed; it is the oracle for exact Redis behaviour")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
		if err == nil {
			t.Cleanup(func() { conn.Close() })
			return &oracle{t: t, conn: conn, r: bufio.NewReader(conn)}
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to redis-server: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends one command and returns the reply: string (bulk or status),
// int64, []any, nil, or error for an error reply.
func (o *oracle) do(args ...string) any {
	o.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(o.conn, b.String()); err != nil {
		o.t.Fatalf("write to redis: %v", err)
	}
	v, err := o.read()
	if err != nil {
		o.t.Fatalf("%.60q: read reply: %v", args, err)
	}
	return v
}

func (o *oracle) read() (any, error) {
	line, err := o.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return fmt.Errorf("%s", body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$', '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		if line[0] == '$' {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(o.r, buf); err != nil {
				return nil, err
			}
			return string(buf[:n]), nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = o.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

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
	o := startOracle(t)
	for _, fill := range []int{-2, 3} {
		o.do("CONFIG", "SET", "list-max-listpack-size", strconv.Itoa(fill))
		o.do("DEL", "k")
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
			if got, want := reply(ours), reply(o.do(args...)); got != want {
				t.Fatalf("fill %d, op %d: %.80q: ours %.200s, redis %.200s", fill, op, args, got, want)
			}
			whole := anys(strs(elems(l)))
			if len(whole) == 0 {
				whole = []any{}
			}
			if got, want := reply(whole), reply(o.do("LRANGE", "k", "0", "-1")); got != want {
				t.Fatalf("fill %d, after op %d %.80q: ours %.300s, redis %.300s", fill, op, args, got, want)
			}
			if l.Len() == 0 {
				l = New(Limits{ListpackSize: fill}) // Redis deleted the key
			}
		}
	}
}
