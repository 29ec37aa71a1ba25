package fsm

import (
	"bytes"
	"fmt"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"strconv"
	"testing"
	"time"
)

// TestAgainstRedis runs every script against a real redis-server and checks
// that fsm's replies are byte-for-byte what Redis sends (RESP2).
func TestAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server; skipped in -short mode")
	}
	redis := redistest.Start(t)
	for _, sc := range allScripts() {
		if sc.localOnly != "" {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			redis.Raw("FLUSHALL")
			n := newNode()
			for i, st := range sc.steps {
				args := splitArgs(st.cmd)
				want := redis.Raw(args...)
				got := appendRESP2(nil, n.doArgs(t, time.Now().UnixMilli(), args))
				if unordered(st.cmd) {
					want = sortedRESP(t, st.cmd, want)
					got = sortedRESP(t, st.cmd, got)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("step %d: %s\n fsm   %q\n redis %q", i, st.cmd, got, want)
				}
			}
		})
	}
}

// appendRESP2 writes r as a RESP2 server would.
func appendRESP2(dst []byte, r Reply) []byte {
	switch r.Kind {
	case KindNil:
		return append(dst, "$-1\r\n"...)
	case KindNilArray:
		return append(dst, "*-1\r\n"...)
	case KindStatus:
		return append(append(append(dst, '+'), r.Bytes...), "\r\n"...)
	case KindError:
		return append(append(append(dst, '-'), r.Bytes...), "\r\n"...)
	case KindInt, KindBool:
		return append(strconv.AppendInt(append(dst, ':'), r.Int, 10), "\r\n"...)
	case KindBulk, KindDouble:
		dst = strconv.AppendInt(append(dst, '$'), int64(len(r.Bytes)), 10)
		return append(append(append(dst, "\r\n"...), r.Bytes...), "\r\n"...)
	case KindPairMap:
		dst = strconv.AppendInt(append(dst, '*'), int64(len(r.Elems)/2), 10)
		dst = append(dst, "\r\n"...)
		for i := 0; i+1 < len(r.Elems); i += 2 {
			dst = appendRESP2(append(dst, "*2\r\n"...), r.Elems[i])
			dst = appendRESP2(dst, r.Elems[i+1])
		}
		return dst
	default:
		dst = strconv.AppendInt(append(dst, '*'), int64(len(r.Elems)), 10)
		dst = append(dst, "\r\n"...)
		for _, e := range r.Elems {
			dst = appendRESP2(dst, e)
		}
		return dst
	}
}

// sortedRESP parses a raw RESP2 reply and writes it again with sortedReply's
// order, for the commands whose replies have no defined order.
func sortedRESP(t *testing.T, cmd string, raw []byte) []byte {
	t.Helper()
	r, rest, err := parseRESP2(raw)
	if err != nil || len(rest) != 0 {
		t.Fatalf("parse reply %q: %v (%d bytes left)", raw, err, len(rest))
	}
	return appendRESP2(nil, sortedReply(cmd, r))
}

// parseRESP2 parses one RESP2 reply into a Reply.
func parseRESP2(b []byte) (Reply, []byte, error) {
	end := bytes.Index(b, []byte("\r\n"))
	if end < 1 {
		return Reply{}, nil, fmt.Errorf("no line in %q", b)
	}
	line, rest := b[1:end], b[end+2:]
	switch b[0] {
	case '+':
		return Status(string(line)), rest, nil
	case '-':
		return Error(string(line)), rest, nil
	case ':':
		n, err := strconv.ParseInt(string(line), 10, 64)
		return Int(n), rest, err
	case '$':
		n, err := strconv.Atoi(string(line))
		if err != nil || n < 0 {
			return Nil, rest, err
		}
		if len(rest) < n+2 {
			return Reply{}, nil, fmt.Errorf("short bulk")
		}
		return Bulk(rest[:n]), rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(string(line))
		if err != nil {
			return Reply{}, nil, err
		}
		if n < 0 {
			return Reply{Kind: KindNilArray}, rest, nil
		}
		elems := make([]Reply, n)
		for i := range elems {
			if elems[i], rest, err = parseRESP2(rest); err != nil {
				return Reply{}, nil, err
			}
		}
		return Array(elems...), rest, nil
	}
	return Reply{}, nil, fmt.Errorf("unknown reply type %q", b[0])
}
