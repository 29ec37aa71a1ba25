package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The binary form of a Command, as it travels through the raft log:
//
//	database opInDB and the database, as uvarints, unless it is 0
//	user     opAsUser, the name's length (uvarint) and the name, for a
//	         command that runs a script as a user other than the default
//	waiter   opBlock and the WaiterID, as uvarints, for a blocking command
//	         that may wait
//	opcode   uvarint (one byte for opcodes below 128)
//	flags    uvarint
//	time     varint (ms)
//	ints     varint, as many as the opcode's shape says (0 to 4)
//	argc     uvarint
//	args     argc times: uvarint length, then the bytes
//
// There is no version byte: every entry costs one byte less, and the format
// evolves by adding opcodes, never by changing an existing one's layout.

// AppendBinary appends c's binary form to dst and returns the extended slice.
func (c Command) AppendBinary(dst []byte) []byte {
	if c.db != 0 {
		dst = binary.AppendUvarint(dst, uint64(opInDB))
		dst = binary.AppendUvarint(dst, uint64(c.db))
	}
	if c.user != "" {
		dst = binary.AppendUvarint(dst, uint64(opAsUser))
		dst = binary.AppendUvarint(dst, uint64(len(c.user)))
		dst = append(dst, c.user...)
	}
	if c.waiter != (WaiterID{}) {
		dst = appendWaiter(dst, c.waiter)
	}
	dst = binary.AppendUvarint(dst, uint64(c.op))
	dst = binary.AppendUvarint(dst, uint64(c.flags))
	dst = binary.AppendVarint(dst, c.time)
	if d := c.def(); d != nil {
		for i := 0; i < d.ints; i++ {
			dst = binary.AppendVarint(dst, c.ints[i])
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(c.args)))
	for _, a := range c.args {
		dst = binary.AppendUvarint(dst, uint64(len(a)))
		dst = append(dst, a...)
	}
	return dst
}

var errDecodeEmpty = errors.New("decode: empty command")

// Decode rebuilds a Command from its binary form. It never panics, whatever
// b holds, and bounds every length by len(b) before allocating.
//
// The Command's arguments alias b instead of copying it, which saves an
// allocation per argument on the apply path; b must stay unchanged while the
// Command is in use.
func Decode(b []byte) (Command, error) {
	if len(b) == 0 {
		return Command{}, errDecodeEmpty
	}
	op, p := binary.Uvarint(b)
	var db uint64
	if p > 0 && op == uint64(opInDB) {
		var n, m int
		db, n = binary.Uvarint(b[p:])
		if n <= 0 || db == 0 || db >= NumDBs {
			return Command{}, errors.New("decode: bad database")
		}
		op, m = binary.Uvarint(b[p+n:])
		if m <= 0 {
			return Command{}, errors.New("decode: bad opcode")
		}
		p += n + m
	}
	var user string
	if p > 0 && op == uint64(opAsUser) {
		size, n := binary.Uvarint(b[p:])
		if n <= 0 || size == 0 || size > uint64(len(b)-p-n) {
			return Command{}, errors.New("decode: bad user")
		}
		p += n
		user = string(b[p : p+int(size)])
		p += int(size)
		var m int
		op, m = binary.Uvarint(b[p:])
		if m <= 0 {
			return Command{}, errors.New("decode: bad opcode")
		}
		p += m
	}
	var waiter WaiterID
	if p > 0 && op == uint64(opBlock) {
		id, n, err := decodeWaiter(b[p:])
		if err != nil {
			return Command{}, err
		}
		var m int
		op, m = binary.Uvarint(b[p+n:])
		if m <= 0 {
			return Command{}, errors.New("decode: bad opcode")
		}
		p += n + m
		waiter = id
	}
	if p <= 0 || op >= opMax || opTable[op] == nil {
		return Command{}, fmt.Errorf("decode: unknown opcode %d", op)
	}
	c := Command{op: opcode(op), db: uint8(db), waiter: waiter, user: user}
	d := opTable[op]
	if user != "" && !runsScripts(c.op) {
		return Command{}, fmt.Errorf("decode %s: a user on a command that runs no script", d.name)
	}
	if waiter != (WaiterID{}) && d.serve == nil {
		return Command{}, fmt.Errorf("decode %s: a waiter on a command that cannot block", d.name)
	}
	flags, n := binary.Uvarint(b[p:])
	if n <= 0 || flags > 0xffff {
		return Command{}, fmt.Errorf("decode %s: bad flags", c.Name())
	}
	c.flags = uint16(flags)
	p += n
	if c.time, n = binary.Varint(b[p:]); n <= 0 {
		return Command{}, fmt.Errorf("decode %s: bad time", c.Name())
	}
	p += n
	for i := 0; i < d.ints; i++ {
		if c.ints[i], n = binary.Varint(b[p:]); n <= 0 {
			return Command{}, fmt.Errorf("decode %s: bad integer argument %d", c.Name(), i)
		}
		p += n
	}
	argc, n := binary.Uvarint(b[p:])
	// Every argument takes at least its one-byte length, so argc can be
	// checked against what is left before the slice is allocated.
	if n <= 0 || argc > uint64(len(b)-p-n) {
		return Command{}, fmt.Errorf("decode %s: bad argument count", c.Name())
	}
	p += n
	if argc > 0 {
		c.args = make([][]byte, argc)
	}
	for i := range c.args {
		size, n := binary.Uvarint(b[p:])
		if n <= 0 || size > uint64(len(b)-p-n) {
			return Command{}, fmt.Errorf("decode %s: argument %d: bad length", c.Name(), i)
		}
		p += n
		end := p + int(size)
		c.args[i] = b[p:end:end]
		p = end
	}
	if p != len(b) {
		return Command{}, fmt.Errorf("decode %s: %d trailing bytes", c.Name(), len(b)-p)
	}
	if !c.validShape() {
		return Command{}, fmt.Errorf("decode %s: %d arguments do not fit the command", c.Name(), len(c.args))
	}
	if c.op == opMulti {
		if err := c.validMulti(); err != nil {
			return Command{}, fmt.Errorf("decode exec: %w", err)
		}
	}
	return c, nil
}
