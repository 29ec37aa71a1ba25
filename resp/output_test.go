package resp

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pipeOutput returns an output writing to one end of a synchronous pipe,
// with its flusher running, and the other end: a Write to the pipe blocks
// until the test reads, which holds a flush in progress for as long as the
// test wants.
func pipeOutput(t *testing.T) (*output, net.Conn) {
	t.Helper()
	srv, cli := net.Pipe()
	var netOut atomic.Int64
	o := newOutput(srv, &netOut)
	go o.run()
	t.Cleanup(func() {
		cli.Close()
		srv.Close()
		closed := make(chan struct{})
		go func() { o.close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			t.Error("close did not return: the flusher was never woken to end")
		}
	})
	return o, cli
}

// readN reads exactly n bytes from c, failing after a second: bytes queued
// but never written (a flusher nobody woke) show up as a timeout.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	b := make([]byte, n)
	if k, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d of %d bytes (%q): %v", k, n, b[:k], err)
	}
	return string(b)
}

func appendStr(s string) func([]byte) []byte {
	return func(b []byte) []byte { return append(b, s...) }
}

// TestOutputWakes checks every way bytes are queued gets them written with
// nothing else happening afterwards: the bug to avoid is bytes left queued
// without waking the flusher. Each case's actions run while nothing reads
// the pipe, so a write in progress blocks until the test reads want.
func TestOutputWakes(t *testing.T) {
	commit := func(o *output, r string) {
		o.hold()
		b := []byte(r)
		o.commit(&b)
	}
	tests := []struct {
		name string
		want string
		run  func(t *testing.T, o *output)
	}{
		{"push while idle", "+a\r\n", func(t *testing.T, o *output) {
			o.add(appendStr("+a\r\n"))
		}},
		{"commit then idle", "+r1\r\n+r2\r\n", func(t *testing.T, o *output) {
			go commit(o, "+r1\r\n+r2\r\n") // writes itself: blocks until read
		}},
		{"push during a flush", "+first\r\n+second\r\n", func(t *testing.T, o *output) {
			o.add(appendStr("+first\r\n"))
			waitFlushing(t, o)
			// The flusher is blocked writing "+first": queue more from
			// another goroutine before the write finishes.
			done := make(chan struct{})
			go func() { o.add(appendStr("+second\r\n")); close(done) }()
			<-done
		}},
		{"push during the reader's own write", "+reply\r\n>push\r\n", func(t *testing.T, o *output) {
			go commit(o, "+reply\r\n")
			waitFlushing(t, o)
			o.add(appendStr(">push\r\n"))
		}},
		{"commit during a flush", "+push\r\n+reply\r\n", func(t *testing.T, o *output) {
			o.add(appendStr("+push\r\n"))
			waitFlushing(t, o)
			commit(o, "+reply\r\n") // the flusher has the turn: only queues
		}},
		{"push held by a batch follows its replies", "+reply\r\n>push\r\n", func(t *testing.T, o *output) {
			o.hold()
			o.add(appendStr(">push\r\n"))
			r := []byte("+reply\r\n")
			go o.commit(&r)
		}},
		{"held push during a flush", "+a\r\n+held\r\n", func(t *testing.T, o *output) {
			o.add(appendStr("+a\r\n"))
			waitFlushing(t, o)
			o.hold()
			o.add(appendStr("+held\r\n"))
			commit(o, "") // no replies: only the held push
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, cli := pipeOutput(t)
			tc.run(t, o)
			if got := readN(t, cli, len(tc.want)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// waitFlushing waits until o's flusher has taken its queue and is writing.
func waitFlushing(t *testing.T, o *output) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		o.mu.Lock()
		busy := o.inflight > 0
		o.mu.Unlock()
		if busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the flusher did not start writing")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOutputCloseDrains checks close writes everything queued before it
// returns, and that nothing is queued afterwards.
func TestOutputCloseDrains(t *testing.T) {
	srv, cli := net.Pipe()
	defer cli.Close()
	var netOut atomic.Int64
	o := newOutput(srv, &netOut)
	go o.run()
	o.add(appendStr("+x\r\n"))
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(cli)
		got <- string(b)
	}()
	o.close()
	srv.Close()
	if g := <-got; g != "+x\r\n" {
		t.Errorf("got %q", g)
	}
	if o.add(appendStr("+late\r\n")) {
		t.Error("add after close reported success")
	}
	if n := netOut.Load(); n != 4 {
		t.Errorf("netOut = %d, want 4", n)
	}
}

// TestOutputWriteError checks a failed write ends the flusher and makes
// later adds report false, without blocking anyone.
func TestOutputWriteError(t *testing.T) {
	srv, cli := net.Pipe()
	cli.Close()
	var netOut atomic.Int64
	o := newOutput(srv, &netOut)
	go o.run()
	o.add(appendStr("+x\r\n"))
	deadline := time.Now().Add(time.Second)
	for o.add(appendStr("+y\r\n")) {
		if time.Now().After(deadline) {
			t.Fatal("add still succeeds after the write failed")
		}
		time.Sleep(time.Millisecond)
	}
	o.wait(0)
	o.close()
}

// TestOutputConcurrent has several goroutines push while the reader-side
// commits batches; every byte arrives, and each goroutine's pushes stay in
// order.
func TestOutputConcurrent(t *testing.T) {
	o, cli := pipeOutput(t)
	const pushers, each = 4, 500
	var total int
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				o.add(appendStr(fmt.Sprintf("p%d:%d\n", p, i)))
			}
		}()
		for i := range each {
			total += len(fmt.Sprintf("p%d:%d\n", p, i))
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var r []byte
		for i := range each {
			o.hold()
			r = append(r, fmt.Sprintf("r:%d\n", i)...)
			o.commit(&r)
		}
	}()
	for i := range each {
		total += len(fmt.Sprintf("r:%d\n", i))
	}
	_ = cli.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, total)
	if _, err := io.ReadFull(cli, b); err != nil {
		t.Fatalf("read: %v", err)
	}
	wg.Wait()
	next := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		who, n, _ := strings.Cut(line, ":")
		if want := fmt.Sprint(next[who]); n != want {
			t.Fatalf("%s: got %s, want %s", who, n, want)
		}
		next[who]++
	}
	if !bytes.Equal(b[len(b)-1:], []byte("\n")) {
		t.Errorf("stream ends %q", b[len(b)-10:])
	}
}

// BenchmarkOutputCommit measures committing one pipeline's replies and
// having them written, the reply path of every request.
func BenchmarkOutputCommit(b *testing.B) {
	var netOut atomic.Int64
	o := newOutput(discardConn{}, &netOut)
	go o.run()
	defer o.close()
	r := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		o.hold()
		r = append(r, "+OK\r\n"...)
		o.commit(&r)
		o.wait(0)
	}
}

// discardConn is a net.Conn whose writes succeed at once.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }
