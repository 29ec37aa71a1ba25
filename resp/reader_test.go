package resp

import (
	"io"
	"net"
	"strings"
	"testing"
)

// loopConn is a net.Conn whose reads return data over and over.
type loopConn struct {
	net.Conn
	data string
	off  int
}

func (c *loopConn) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

// TestReaderPipeline checks parse hands out every complete request read,
// with a request split across reads finished by the next one.
func TestReaderPipeline(t *testing.T) {
	var l limits
	l.maxBulk.Store(defaultMaxBulkLen)
	l.maxQuery.Store(defaultMaxQueryBuf)
	srv, cli := net.Pipe()
	defer cli.Close()
	rd := newReader(srv, &l)
	go io.WriteString(cli, cmd("SET", "k", "v")+cmd("GET", "k")+"*2\r\n$3\r\nGET")
	var got []string
	for len(got) < 2 {
		rd.fill()
		for _, c := range rd.parse() {
			got = append(got, string(joinArgs(c.Args)))
		}
		rd.release()
	}
	go io.WriteString(cli, "\r\n$1\r\nk\r\n")
	for len(got) < 3 && rd.err == nil {
		rd.fill()
		for _, c := range rd.parse() {
			got = append(got, string(joinArgs(c.Args)))
		}
		rd.release()
	}
	if want := "SET k v|GET k|GET k"; strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

func joinArgs(args [][]byte) []byte {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a...)
	}
	return b
}

// BenchmarkReaderParse measures reading and parsing redis-benchmark's
// pipelined GETs, 16 to a read: no allocation per request.
func BenchmarkReaderParse(b *testing.B) {
	var l limits
	l.maxBulk.Store(defaultMaxBulkLen)
	l.maxQuery.Store(defaultMaxQueryBuf)
	data := strings.Repeat(cmd("GET", "key:000000001234"), 16)
	rd := newReader(&loopConn{data: data}, &l)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n == 0 {
			rd.release()
			rd.fill()
			n = len(rd.parse())
		}
		n--
	}
}
