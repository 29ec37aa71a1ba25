package resp

import (
	"strconv"

	"github.com/raftcache/raftcache/fsm"
)

// writer encodes one connection's replies in the protocol it chose with
// HELLO: RESP2 by default, RESP3 after HELLO 3. Types that RESP2 lacks are
// written as Redis 7 writes them to a RESP2 client: maps as flat arrays,
// sets as arrays, doubles as bulk strings, booleans as integers, and the
// RESP3 null as a null bulk string or a null array.
type writer struct {
	buf   []byte
	resp3 bool
	errs  *errorStats // counts error replies, for INFO; nil: not counted
	// nerr counts the error replies written, so that the server can tell
	// whether a command failed.
	nerr int
}

func (w *writer) status(s string) { w.buf = appendLine(w.buf, '+', s) }

// err writes an error reply; text is what follows '-'.
func (w *writer) err(text string) {
	w.nerr++
	w.buf = appendLine(w.buf, '-', text)
	w.errs.count(w.buf[len(w.buf)-2-len(text) : len(w.buf)-2])
}

func (w *writer) int(n int64) { w.buf = appendHeader(w.buf, ':', n) }

func (w *writer) bulk(b []byte) {
	w.buf = appendHeader(w.buf, '$', int64(len(b)))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *writer) bulkString(s string) {
	w.buf = appendHeader(w.buf, '$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// null is a missing value: "$-1" in RESP2.
func (w *writer) null() {
	if w.resp3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// nullArray is a missing aggregate, such as an aborted EXEC: "*-1" in RESP2.
func (w *writer) nullArray() {
	if w.resp3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

func (w *writer) array(n int) { w.buf = appendHeader(w.buf, '*', int64(n)) }

// mapHeader starts a map of n key/value pairs.
func (w *writer) mapHeader(n int) {
	if w.resp3 {
		w.buf = appendHeader(w.buf, '%', int64(n))
		return
	}
	w.buf = appendHeader(w.buf, '*', int64(2*n))
}

// setHeader starts a set of n elements: an array in RESP2.
func (w *writer) setHeader(n int) {
	if w.resp3 {
		w.buf = appendHeader(w.buf, '~', int64(n))
		return
	}
	w.buf = appendHeader(w.buf, '*', int64(n))
}

// pushHeader starts an out-of-band push of n elements (a pub/sub message,
// a tracking invalidation): RESP3's push type, an array in RESP2.
func (w *writer) pushHeader(n int) {
	if w.resp3 {
		w.buf = appendHeader(w.buf, '>', int64(n))
		return
	}
	w.buf = appendHeader(w.buf, '*', int64(n))
}

// verbatim writes text as a RESP3 verbatim string of format "txt", or a
// bulk string for RESP2, as Redis writes INFO, CLIENT INFO and CLUSTER NODES.
func (w *writer) verbatim(text string) {
	if !w.resp3 {
		w.bulkString(text)
		return
	}
	w.buf = appendHeader(w.buf, '=', int64(len(text)+4))
	w.buf = append(w.buf, "txt:"...)
	w.buf = append(w.buf, text...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *writer) raw(s string) { w.buf = append(w.buf, s...) }

// reply writes a state machine reply.
func (w *writer) reply(r fsm.Reply) {
	if r.Kind == fsm.KindError {
		w.nerr++
		w.errs.count(r.Bytes)
	}
	w.buf = appendReply(w.buf, r, w.resp3)
}

// appendReply appends r's encoding in RESP3, or in RESP2 converting RESP3
// kinds as Redis does for a RESP2 client.
func appendReply(dst []byte, r fsm.Reply, resp3 bool) []byte {
	switch r.Kind {
	case fsm.KindNil:
		if resp3 {
			return append(dst, "_\r\n"...)
		}
		return append(dst, "$-1\r\n"...)
	case fsm.KindNilArray:
		if resp3 {
			return append(dst, "_\r\n"...)
		}
		return append(dst, "*-1\r\n"...)
	case fsm.KindStatus:
		return appendLine(dst, '+', r.Bytes)
	case fsm.KindError:
		return appendLine(dst, '-', r.Bytes)
	case fsm.KindInt:
		return appendHeader(dst, ':', r.Int)
	case fsm.KindBool:
		switch {
		case resp3 && r.Int != 0:
			return append(dst, "#t\r\n"...)
		case resp3:
			return append(dst, "#f\r\n"...)
		case r.Int != 0:
			return append(dst, ":1\r\n"...)
		}
		return append(dst, ":0\r\n"...)
	case fsm.KindDouble:
		if resp3 {
			return appendLine(dst, ',', r.Bytes)
		}
		dst = appendHeader(dst, '$', int64(len(r.Bytes)))
		dst = append(dst, r.Bytes...)
		return append(dst, '\r', '\n')
	case fsm.KindBulk:
		dst = appendHeader(dst, '$', int64(len(r.Bytes)))
		dst = append(dst, r.Bytes...)
		return append(dst, '\r', '\n')
	case fsm.KindPairMap:
		if resp3 {
			dst = appendHeader(dst, '%', int64(len(r.Elems)/2))
		} else {
			dst = appendHeader(dst, '*', int64(len(r.Elems)/2))
		}
		for i := 0; i+1 < len(r.Elems); i += 2 {
			if !resp3 {
				dst = append(dst, "*2\r\n"...)
			}
			dst = appendReply(dst, r.Elems[i], resp3)
			dst = appendReply(dst, r.Elems[i+1], resp3)
		}
		return dst
	case fsm.KindPairs:
		if !resp3 || len(r.Elems)%2 != 0 {
			dst = appendHeader(dst, '*', int64(len(r.Elems)))
			for _, e := range r.Elems {
				dst = appendReply(dst, e, resp3)
			}
			return dst
		}
		dst = appendHeader(dst, '*', int64(len(r.Elems)/2))
		for i := 0; i < len(r.Elems); i += 2 {
			dst = append(dst, "*2\r\n"...)
			dst = appendReply(dst, r.Elems[i], resp3)
			dst = appendReply(dst, r.Elems[i+1], resp3)
		}
		return dst
	case fsm.KindArray, fsm.KindSet, fsm.KindMap:
		switch {
		case resp3 && r.Kind == fsm.KindMap:
			dst = appendHeader(dst, '%', int64(len(r.Elems)/2))
		case resp3 && r.Kind == fsm.KindSet:
			dst = appendHeader(dst, '~', int64(len(r.Elems)))
		default:
			// A map's Elems already alternate keys and values, which is
			// exactly the flat array RESP2 wants.
			dst = appendHeader(dst, '*', int64(len(r.Elems)))
		}
		for _, e := range r.Elems {
			dst = appendReply(dst, e, resp3)
		}
		return dst
	}
	return appendLine(dst, '-', "ERR internal error: unknown reply kind "+strconv.Itoa(int(r.Kind)))
}

// appendLine appends a simple string or error, replacing CR and LF with
// spaces as Redis does, since either would end the line early.
func appendLine[T string | []byte](dst []byte, prefix byte, text T) []byte {
	dst = append(dst, prefix)
	start := len(dst)
	dst = append(dst, text...)
	for i := start; i < len(dst); i++ {
		if dst[i] == '\r' || dst[i] == '\n' {
			dst[i] = ' '
		}
	}
	return append(dst, '\r', '\n')
}
