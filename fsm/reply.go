package fsm

import "strconv"

// Kind says how a Reply is written on the wire.
type Kind uint8

// Reply kinds, named after the RESP types they become. Map, Set, Double and
// Bool are RESP3 types; a RESP2 connection writes them as Redis 7 does
// (flat arrays, bulk strings, integers).
const (
	KindNil      Kind = iota // null bulk string (RESP2 "$-1"), RESP3 null
	KindStatus               // simple string: +OK
	KindError                // error: -ERR ..., Bytes holds the text after '-'
	KindInt                  // integer
	KindBulk                 // bulk string
	KindArray                // array of Elems
	KindMap                  // RESP3 map: Elems holds key, value, key, value, ...
	KindSet                  // RESP3 set
	KindDouble               // RESP3 double, Bytes holds its text
	KindBool                 // RESP3 boolean, Int is 0 or 1
	KindNilArray             // null array (RESP2 "*-1")
	// KindBlocked is the reply of a blocking command that registered its
	// waiter: the real reply comes later, as an Event. It never reaches a
	// client.
	KindBlocked
	// KindPairMap is a RESP3 map whose RESP2 form is an array of [key,
	// value] arrays rather than a flat one, as XREAD and XREADGROUP reply.
	KindPairMap
	// KindPublished is the reply of PUBLISH and SPUBLISH: Int is the
	// message's Seq among its entry's Effects. How many clients received
	// it is known only on each node, after Apply: the proposing node
	// replaces it with its own count (see Effects).
	KindPublished
	// KindPairs is a sequence of pairs, Elems holding first, second,
	// first, second, ...: a flat array in RESP2 and an array of
	// two-element arrays in RESP3, as Redis writes WITHSCORES replies.
	KindPairs
)

// Reply is the result of one command in the shape RESP needs. Apply returns
// one for every write, so that a write's outcome (SET NX, INCR) reaches the
// client that proposed it.
type Reply struct {
	Kind  Kind
	Int   int64
	Bytes []byte
	Elems []Reply
}

// Common replies. They are values, so callers cannot change them.
var (
	OK   = Reply{Kind: KindStatus, Bytes: []byte("OK")}
	Nil  = Reply{Kind: KindNil}
	Zero = Reply{Kind: KindInt, Int: 0}
	One  = Reply{Kind: KindInt, Int: 1}
)

// Status returns a simple-string reply.
func Status(s string) Reply { return Reply{Kind: KindStatus, Bytes: []byte(s)} }

// Error returns an error reply; text is what follows '-' on the wire,
// e.g. "ERR syntax error" or "WRONGTYPE Operation against a key holding the wrong kind of value".
func Error(text string) Reply { return Reply{Kind: KindError, Bytes: []byte(text)} }

// Int returns an integer reply.
func Int(n int64) Reply { return Reply{Kind: KindInt, Int: n} }

// Bulk returns a bulk-string reply holding b (not copied).
func Bulk(b []byte) Reply { return Reply{Kind: KindBulk, Bytes: b} }

// Array returns an array reply.
func Array(elems ...Reply) Reply { return Reply{Kind: KindArray, Elems: elems} }

// IsError reports whether r is an error reply.
func (r Reply) IsError() bool { return r.Kind == KindError }

// String returns a readable form of r, for logs and test failures.
func (r Reply) String() string {
	switch r.Kind {
	case KindNil, KindNilArray:
		return "(nil)"
	case KindStatus, KindDouble:
		return string(r.Bytes)
	case KindError:
		return "(error) " + string(r.Bytes)
	case KindInt:
		return "(integer) " + strconv.FormatInt(r.Int, 10)
	case KindPublished:
		return "(published) " + strconv.FormatInt(r.Int, 10)
	case KindBool:
		return "(boolean) " + strconv.FormatBool(r.Int != 0)
	case KindBulk:
		return strconv.Quote(string(r.Bytes))
	default:
		s := "["
		for i, e := range r.Elems {
			if i > 0 {
				s += " "
			}
			s += e.String()
		}
		return s + "]"
	}
}
