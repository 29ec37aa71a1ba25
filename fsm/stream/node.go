package stream

import (
	"encoding/binary"
	"slices"
)

// Entry flags, as Redis stores them in each listpack entry.
const (
	flagDeleted    = 1 << 0 // a tombstone left by XDEL or exact trimming
	flagSameFields = 1 << 1 // the entry's fields are the node's master fields
)

// token identifies the Stream that may mutate a node or group in place; a
// Clone gives both copies new tokens, so everything shared is copied before
// it is written.
type token struct{ _ byte }

// node is one of Redis's listpacks: up to Limits.NodeMaxEntries entries
// (live and tombstones) in ID order, keyed by the ID of its first entry.
// Field names equal to the node's master fields (those of its first entry)
// are stored once, like Redis's SAMEFIELDS flag.
type node struct {
	owner   *token
	master  ID       // the first entry's ID: the node's key
	fields  [][]byte // master fields, slices of mdata
	ents    []ent
	data    []byte // the entries' values (and fields) packed: uvarint length, bytes
	live    int    // Redis's master "count"
	dead    int    // Redis's master "deleted"
	lpBytes int    // what lpBytes() of Redis's listpack would be
}

// ent is an entry's header; its payload starts at data[off].
type ent struct {
	id    ID
	off   uint32
	flags uint8
}

func newNode(owner *token, id ID, fv [][]byte) *node {
	n := &node{owner: owner, master: id}
	size := 0
	for i := 0; i < len(fv); i += 2 {
		size += len(fv[i])
	}
	mdata := make([]byte, 0, size)
	n.fields = make([][]byte, len(fv)/2)
	for i := range n.fields {
		start := len(mdata)
		mdata = append(mdata, fv[2*i]...)
		n.fields[i] = mdata[start:len(mdata):len(mdata)]
	}
	// count, deleted, num-fields, the fields, the 0 terminator.
	n.lpBytes = lpEmptySize + lpIntElem(0) + lpIntElem(0) + lpIntElem(int64(len(n.fields))) + lpIntElem(0)
	for _, f := range n.fields {
		n.lpBytes += lpStrElem(f)
	}
	return n
}

// clone copies n for owner; the master fields are immutable and shared.
func (n *node) clone(owner *token) *node {
	c := *n
	c.owner = owner
	c.ents = slices.Clone(n.ents)
	c.data = slices.Clone(n.data)
	return &c
}

func (n *node) last() ID { return n.ents[len(n.ents)-1].id }

// sameFields reports whether fv's fields are the master fields.
func (n *node) sameFields(fv [][]byte) bool {
	if len(fv)/2 != len(n.fields) {
		return false
	}
	for i, f := range n.fields {
		if string(f) != string(fv[2*i]) {
			return false
		}
	}
	return true
}

// setCounts changes the live/deleted counters, keeping lpBytes in step with
// the re-encoded integers.
func (n *node) setCounts(live, dead int) {
	n.lpBytes += lpIntElem(int64(live)) - lpIntElem(int64(n.live))
	n.lpBytes += lpIntElem(int64(dead)) - lpIntElem(int64(n.dead))
	n.live, n.dead = live, dead
}

// append adds an entry with an ID greater than every ID in n.
func (n *node) append(id ID, fv [][]byte) {
	flags := uint8(0)
	same := n.sameFields(fv)
	if same {
		flags = flagSameFields
	}
	nf := len(fv) / 2
	e := ent{id: id, off: uint32(len(n.data)), flags: flags}
	// flags, ms-diff, seq-diff, [num-fields], [fields], values, lp-count.
	b := lpIntElem(int64(flags)) + lpIntElem(int64(id.Ms-n.master.Ms)) + lpIntElem(int64(id.Seq-n.master.Seq))
	lpCount := nf + 3
	if !same {
		b += lpIntElem(int64(nf))
		lpCount += nf + 1
		n.data = binary.AppendUvarint(n.data, uint64(nf))
	}
	for i := 0; i < nf; i++ {
		if !same {
			b += lpStrElem(fv[2*i])
			n.data = binary.AppendUvarint(n.data, uint64(len(fv[2*i])))
			n.data = append(n.data, fv[2*i]...)
		}
		b += lpStrElem(fv[2*i+1])
		n.data = binary.AppendUvarint(n.data, uint64(len(fv[2*i+1])))
		n.data = append(n.data, fv[2*i+1]...)
	}
	b += lpIntElem(int64(lpCount))
	n.lpBytes += b
	n.ents = append(n.ents, e)
	n.setCounts(n.live+1, n.dead)
}

// fieldsValues appends entry i's fields and values, alternating, to buf;
// they are slices of n's memory, which the caller must not modify.
func (n *node) fieldsValues(i int, buf [][]byte) [][]byte {
	e := n.ents[i]
	p := n.data[e.off:]
	next := func() []byte {
		l, k := binary.Uvarint(p)
		v := p[k : k+int(l) : k+int(l)]
		p = p[k+int(l):]
		return v
	}
	if e.flags&flagSameFields != 0 {
		for _, f := range n.fields {
			buf = append(buf, f, next())
		}
		return buf
	}
	nf, k := binary.Uvarint(p)
	p = p[k:]
	for j := uint64(0); j < nf; j++ {
		f := next()
		buf = append(buf, f, next())
	}
	return buf
}

// entrySize is the number of payload bytes of entry i (for MemoryUsage and
// the codec).
func (n *node) entryEnd(i int) int {
	if i+1 < len(n.ents) {
		return int(n.ents[i+1].off)
	}
	return len(n.data)
}

// markDeleted turns live entry i into a tombstone.
func (n *node) markDeleted(i int) {
	n.ents[i].flags |= flagDeleted // flags stay one listpack byte
	n.setCounts(n.live-1, n.dead+1)
}

// search returns the index of the first entry with ID >= id.
func (n *node) search(id ID) int {
	lo, hi := 0, len(n.ents)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.ents[m].id.Less(id) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
