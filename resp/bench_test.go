package resp

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
)

// benchPipeline sends b.N commands to addr over one connection, depth at a
// time, cycling through reqs, and reads each reply (a line, or a bulk).
// Requests are built up front so that B/op and allocs/op are the server's.
func benchPipeline(b *testing.B, addr string, depth int, reqs []string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	req := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		req = req[:0]
		n := min(depth, b.N-sent)
		for j := 0; j < n; j++ {
			req = append(req, reqs[(sent+j)%len(reqs)]...)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < n; j++ {
			line, err := r.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			switch line[0] {
			case '-':
				b.Fatalf("error reply %q", line)
			case '$':
				if !bytes.Equal(line, []byte("$-1\r\n")) {
					if _, err := r.ReadSlice('\n'); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		sent += n
	}
}

const benchKeys = 4096

// benchRequests builds one request of the command name for each of redis-
// benchmark's first benchKeys keys, with extra arguments after the key.
func benchRequests(name string, extra ...string) []string {
	reqs := make([]string, benchKeys)
	for i := range reqs {
		reqs[i] = cmd(append([]string{name, fmt.Sprintf("key:%012d", i)}, extra...)...)
	}
	return reqs
}

var benchValue = strings.Repeat("x", 64)

// BenchmarkServerSet is redis-benchmark's SET (64-byte value, random keys)
// through the front door, one command at a time and pipelined 16 deep. The
// server runs over the fake cluster (writes applied at once, reads without
// a barrier), so that what is measured is the front door alone: redcon's
// parsing, fsm.Parse, the command encoding and the reply.
func BenchmarkServerSet(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("P=%d", depth), func(b *testing.B) {
			_, addr, _ := startServer(b, Config{})
			benchPipeline(b, addr, depth, benchRequests("SET", benchValue))
		})
	}
}

// BenchmarkServerGet is redis-benchmark's GET of keys that hold a 64-byte
// value, over the fake cluster as BenchmarkServerSet.
func BenchmarkServerGet(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("P=%d", depth), func(b *testing.B) {
			_, addr, _ := startServer(b, Config{})
			// Load the keys first; the measured call resets the timer.
			benchPipeline(b, addr, 64, benchRequests("SET", benchValue)[:min(b.N, benchKeys)])
			benchPipeline(b, addr, depth, benchRequests("GET"))
		})
	}
}
