package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// codecVersion is the first byte of an encoded stream.
const codecVersion = 1

// ErrCorrupt is returned (wrapped) by Decode for malformed input.
var ErrCorrupt = errors.New("corrupt stream encoding")

func appendID(b []byte, id ID) []byte {
	b = binary.AppendUvarint(b, id.Ms)
	return binary.AppendUvarint(b, id.Seq)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// AppendBinary appends s's snapshot encoding to b: everything that affects
// replies, including node boundaries and tombstones, so that Decode gives a
// stream that answers exactly as s.
func (s *Stream) AppendBinary(b []byte) []byte {
	b = append(b, codecVersion)
	b = binary.AppendUvarint(b, s.length)
	b = appendID(b, s.lastID)
	b = appendID(b, s.firstID)
	b = appendID(b, s.maxDeleted)
	b = binary.AppendUvarint(b, s.entriesAdded)
	b = binary.AppendUvarint(b, uint64(s.nodes.Len()))
	s.nodes.Ascend(0, func(n *node) bool {
		b = appendID(b, n.master)
		b = binary.AppendUvarint(b, uint64(n.live))
		b = binary.AppendUvarint(b, uint64(n.dead))
		b = binary.AppendUvarint(b, uint64(n.lpBytes))
		b = binary.AppendUvarint(b, uint64(len(n.fields)))
		for _, f := range n.fields {
			b = appendBytes(b, f)
		}
		b = binary.AppendUvarint(b, uint64(len(n.ents)))
		for i, e := range n.ents {
			b = appendID(b, ID{e.id.Ms - n.master.Ms, e.id.Seq - n.master.Seq})
			b = append(b, e.flags)
			b = appendBytes(b, n.data[e.off:n.entryEnd(i)])
		}
		return true
	})
	return s.appendGroups(b)
}

// decoder reads what AppendBinary wrote; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in what is left of the input (each
// counted item takes at least one byte).
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail("count past end")
		return 0
	}
	return int(v)
}

func (d *decoder) id() ID { return ID{d.uvarint(), d.uvarint()} }

func (d *decoder) bytes() []byte {
	l := d.count()
	if d.err != nil {
		return nil
	}
	v := d.b[:l:l]
	d.b = d.b[l:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail("unexpected end")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// Decode reads a stream written by AppendBinary, which must be all of b.
// The stream copies what it keeps from b.
func Decode(b []byte) (*Stream, error) {
	d := &decoder{b: b}
	if v := d.byte(); d.err == nil && v != codecVersion {
		return nil, fmt.Errorf("%w: version %d", ErrCorrupt, v)
	}
	s := New()
	s.length = d.uvarint()
	s.lastID = d.id()
	s.firstID = d.id()
	s.maxDeleted = d.id()
	s.entriesAdded = d.uvarint()
	nn := d.count()
	var live uint64
	var prev *node
	for i := 0; i < nn && d.err == nil; i++ {
		n := &node{owner: s.tok, master: d.id()}
		n.live = int(d.uvarint())
		n.dead = int(d.uvarint())
		n.lpBytes = int(d.uvarint())
		nf := d.count()
		n.fields = make([][]byte, nf)
		for j := range n.fields {
			n.fields[j] = append([]byte(nil), d.bytes()...)
		}
		ne := d.count()
		if d.err == nil && ne == 0 {
			d.fail("empty node")
		}
		n.ents = make([]ent, 0, ne)
		gotLive, gotDead := 0, 0
		for j := 0; j < ne && d.err == nil; j++ {
			delta := d.id()
			e := ent{id: ID{n.master.Ms + delta.Ms, n.master.Seq + delta.Seq}, off: uint32(len(n.data))}
			e.flags = d.byte()
			payload := d.bytes()
			if d.err == nil && (e.flags&^(flagDeleted|flagSameFields) != 0 || !validPayload(payload, e.flags&flagSameFields != 0, len(n.fields))) {
				d.fail("bad entry")
			}
			n.data = append(n.data, payload...)
			if j > 0 && !n.ents[j-1].id.Less(e.id) || j == 0 && e.id != n.master {
				d.fail("entries out of order")
			}
			if e.flags&flagDeleted != 0 {
				gotDead++
			} else {
				gotLive++
			}
			n.ents = append(n.ents, e)
		}
		if d.err == nil && (gotLive != n.live || gotDead != n.dead) {
			d.fail("node counters")
		}
		if d.err == nil && prev != nil && !prev.last().Less(n.master) {
			d.fail("nodes out of order")
		}
		if d.err != nil {
			break
		}
		live += uint64(n.live)
		s.nodes.ReplaceOrInsert(n)
		prev = n
	}
	if d.err == nil && live != s.length {
		d.fail("stream length")
	}
	s.decodeGroups(d)
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

// MemoryUsage estimates the bytes s holds.
func (s *Stream) MemoryUsage() int {
	size := int(unsafe.Sizeof(*s)) + s.nodes.Bytes()
	s.nodes.Ascend(0, func(n *node) bool {
		size += int(unsafe.Sizeof(*n)) + cap(n.data) + cap(n.ents)*int(unsafe.Sizeof(ent{})) + cap(n.fields)*24
		for _, f := range n.fields {
			size += cap(f)
		}
		return true
	})
	return size + s.groupsMemory()
}

func (s *Stream) appendGroups(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s.groups)))
	for _, g := range s.groups {
		b = appendBytes(b, []byte(g.name))
		b = appendID(b, g.lastID)
		b = binary.AppendVarint(b, g.entriesRead)
		b = binary.AppendUvarint(b, uint64(g.pel.Len()))
		g.pel.Ascend(0, func(p pending) bool {
			b = appendID(b, p.id)
			b = appendBytes(b, []byte(p.consumer))
			b = binary.AppendVarint(b, p.deliveryTime)
			b = binary.AppendUvarint(b, p.deliveryCount)
			return true
		})
		// Consumers and their seen-times; their PELs follow from the group's.
		b = binary.AppendUvarint(b, uint64(len(g.consumers)))
		for _, c := range g.consumers {
			b = appendBytes(b, []byte(c.name))
			b = binary.AppendVarint(b, c.seenTime)
		}
	}
	return b
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (s *Stream) decodeGroups(d *decoder) {
	ng := d.count()
	for i := 0; i < ng && d.err == nil; i++ {
		g := &group{owner: s.tok, name: string(d.bytes()), lastID: d.id(), entriesRead: d.varint(), pel: newPEL()}
		np := d.count()
		pel := make([]pending, 0, np)
		for j := 0; j < np && d.err == nil; j++ {
			p := pending{id: d.id(), consumer: string(d.bytes()), deliveryTime: d.varint(), deliveryCount: d.uvarint()}
			if j > 0 && !pel[j-1].id.Less(p.id) {
				d.fail("pending entries out of order")
			}
			pel = append(pel, p)
		}
		nc := d.count()
		for j := 0; j < nc && d.err == nil; j++ {
			c := &consumer{name: string(d.bytes()), seenTime: d.varint(), pel: newConsumerPEL()}
			if j > 0 && g.consumers[j-1].name >= c.name {
				d.fail("consumers out of order")
			}
			g.consumers = append(g.consumers, c)
		}
		for _, p := range pel {
			c, _ := g.consumer(p.consumer)
			if c == nil {
				d.fail("pending entry of an unknown consumer")
				break
			}
			p.consumer = c.name // one copy of each name
			g.pel.ReplaceOrInsert(p)
			c.pel.ReplaceOrInsert(p.id)
		}
		if d.err == nil && len(s.groups) > 0 && s.groups[len(s.groups)-1].name >= g.name {
			d.fail("groups out of order")
		}
		s.groups = append(s.groups, g)
	}
}

func (s *Stream) groupsMemory() int {
	size := cap(s.groups) * 8
	for _, g := range s.groups {
		size += int(unsafe.Sizeof(*g)) + len(g.name) + g.pel.Bytes() + cap(g.consumers)*8
		for _, c := range g.consumers {
			size += int(unsafe.Sizeof(*c)) + len(c.name) + c.pel.Bytes()
		}
	}
	return size
}

// validPayload reports whether p is exactly what node.append writes for an
// entry, so that reading it later cannot go out of bounds.
func validPayload(p []byte, same bool, masterFields int) bool {
	d := &decoder{b: p}
	n := masterFields
	if !same {
		nf := d.count()
		if nf == 0 {
			return false
		}
		n = 2 * nf
	}
	for i := 0; i < n && d.err == nil; i++ {
		d.bytes()
	}
	return d.err == nil && len(d.b) == 0
}
