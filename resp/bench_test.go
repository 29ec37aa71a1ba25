package resp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// benchServer serves a Server over the fake cluster (writes applied at once,
// reads without a barrier), so that what is measured is the front door
// alone: redcon's parsing, fsm.Parse, the command encoding and the reply.
func benchServer(b *testing.B) (string, *fakeCluster) {
	b.Helper()
	fc := newFakeCluster()
	srv := NewServer(Config{Logger: quietLogger()}, fc, fc.store)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
		<-done
	})
	return lis.Addr().String(), fc
}

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
// through the front door, one command at a time and pipelined 16 deep.
func BenchmarkServerSet(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("P=%d", depth), func(b *testing.B) {
			addr, _ := benchServer(b)
			benchPipeline(b, addr, depth, benchRequests("SET", benchValue))
		})
	}
}

// BenchmarkServerGet is redis-benchmark's GET of keys that hold a 64-byte
// value.
func BenchmarkServerGet(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("P=%d", depth), func(b *testing.B) {
			addr, _ := benchServer(b)
			// Load the keys first; the measured call resets the timer.
			benchPipeline(b, addr, 64, benchRequests("SET", benchValue)[:min(b.N, benchKeys)])
			benchPipeline(b, addr, depth, benchRequests("GET"))
		})
	}
}
