package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Watch is one key a transaction watched, in database DB: Mod is what
// Store.ModIndex returned for it at WATCH time.
type Watch struct {
	DB  int
	Key []byte
	Mod uint64
}

// NewMulti builds the single log entry that runs a MULTI/EXEC transaction:
// Apply first checks every watch (the key's ModIndex at the entry's carried
// time must still be Mod) and replies a null array if one changed;
// otherwise it runs cmds in order, all at the carried time, and replies an
// array of their replies. A command's runtime error is one element of that
// array and does not undo the others, as in Redis.
//
// The carried time is the latest of the commands' times; a caller that wants
// EXEC's own time (or has no commands but watches) sets it with WithTime.
// cmds must not hold transactions: the entry would not decode, and Apply
// would reply an error.
func NewMulti(cmds []Command, watches []Watch) Command {
	c := Command{op: opMulti, ints: [4]int64{int64(len(watches))}}
	c.args = make([][]byte, 0, 2*len(watches)+len(cmds))
	for _, w := range watches {
		token := binary.BigEndian.AppendUint64(make([]byte, 0, 9), w.Mod)
		if w.DB > 0 && w.DB < NumDBs {
			// A ninth byte names a database other than 0.
			token = append(token, byte(w.DB))
		}
		c.args = append(c.args, w.Key, token)
	}
	for i, sub := range cmds {
		if i == 0 || sub.time > c.time {
			c.time = sub.time
		}
		c.args = append(c.args, sub.AppendBinary(nil))
	}
	return c
}

// NewExpire builds the write that active expiry proposes: it deletes each
// of keys that has expired as of now, the command's carried time, and leaves
// alone any key written again meanwhile with a later deadline or none. Its
// reply is the number of keys deleted.
func NewExpire(keys [][]byte, now int64) Command {
	return Command{op: opExpireKeys, time: now, args: keys}
}

// ErrorCommand returns a command whose reply is the error text (without
// the leading '-'). It is for a transaction's queue: Redis rejects at queue
// time (EXECABORT) only unknown commands and wrong arity; a command whose
// arguments are bad (syntax error, not an integer...) is queued and fails
// inside EXEC, as one element of EXEC's reply. So the caller queues
// ErrorCommand(err.Error()) when Parse fails with anything but
// IsArityError(err).
func ErrorCommand(text string) Command {
	return Command{op: opError, args: [][]byte{[]byte(text)}}
}

// IsArityError reports whether err, from Parse, is a wrong-number-of-
// arguments error, which Redis reports when a command is queued in MULTI.
func IsArityError(err error) bool {
	e, ok := err.(redisError)
	return ok && strings.HasPrefix(string(e), "ERR wrong number of arguments for ")
}

// WithTime returns c carrying now instead of its parse time. Deadlines that
// Parse already made absolute do not change.
func (c Command) WithTime(now int64) Command {
	c.time = now
	return c
}

var errNestedMulti = errors.New("a transaction inside a transaction")

// validMulti checks what Apply relies on in a transaction: 8-byte watch
// tokens and queued commands that decode and are not transactions
// themselves, which bounds the nesting (and Decode's recursion) to one level.
func (c Command) validMulti() error {
	nw := int(c.ints[0])
	for i := 0; i < nw; i++ {
		t := c.args[2*i+1]
		if len(t) != 8 && (len(t) != 9 || t[8] == 0 || t[8] >= NumDBs) {
			return fmt.Errorf("watch %d: token of %d bytes, want 8, or 9 naming a database", i, len(t))
		}
	}
	for i, b := range c.args[2*nw:] {
		if op, n := binary.Uvarint(b); n > 0 && opcode(op) == opMulti {
			return fmt.Errorf("command %d: %w", i, errNestedMulti)
		}
		sub, err := Decode(b)
		if err != nil {
			return fmt.Errorf("command %d: %w", i, err)
		}
		if sub.op == opMulti {
			return fmt.Errorf("command %d: %w", i, errNestedMulti)
		}
	}
	return nil
}

// multiKeys returns the watched keys, then the keys of every queued command.
func (c Command) multiKeys() [][]byte {
	nw := int(c.ints[0])
	var keys [][]byte
	for i := 0; i < nw; i++ {
		keys = append(keys, c.args[2*i])
	}
	for _, b := range c.args[2*nw:] {
		if sub, err := Decode(b); err == nil && sub.op != opMulti {
			keys = append(keys, sub.Keys()...)
		}
	}
	return keys
}

func (w *writer) multi(c Command) Reply {
	nw := int(c.ints[0])
	for i := 0; i < nw; i++ {
		token := c.args[2*i+1]
		db := 0
		if len(token) == 9 {
			db = int(token[8])
		}
		if w.s.dbs[db].modIndex(c.args[2*i], w.now) != binary.BigEndian.Uint64(token) {
			return Reply{Kind: KindNilArray}
		}
	}
	subs := c.args[2*nw:]
	replies := make([]Reply, len(subs))
	for i, b := range subs {
		sub, err := Decode(b)
		if err != nil || sub.op == opMulti {
			// Decode has validated the entry; this guards a future
			// change to that, without panicking.
			replies[i] = Error("ERR fsm: bad command in transaction")
			continue
		}
		sw := writer{s: w.s, ks: w.s.dbs[sub.db], db: int(sub.db), index: w.index, now: w.now, inMulti: true}
		replies[i] = sw.run(sub.WithTime(c.time))
	}
	return Array(replies...)
}

// expireKeys applies NewExpire's command.
func (w *writer) expireKeys(c Command) Reply {
	var n int64
	for _, k := range c.args {
		if e, ok := w.ks.get(k, keyHash(k)); ok && e.expired(w.now) {
			w.remove(k)
			w.s.expiredKeys.Add(1)
			w.notifyExpired(k)
			n++
		}
	}
	return Int(n)
}
