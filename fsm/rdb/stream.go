package rdb

import (
	"bytes"
	"encoding/binary"
)

// StreamID is a stream entry's ID.
type StreamID struct{ Ms, Seq uint64 }

func (a StreamID) less(b StreamID) bool { return a.Ms < b.Ms || a.Ms == b.Ms && a.Seq < b.Seq }

// Stream is a stream as Redis 7.0 keeps it: its entries in listpack nodes,
// each keyed by its first entry's ID, its metadata and its consumer groups.
type Stream struct {
	Nodes        []StreamNode
	Length       uint64
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	Groups       []StreamGroup // by name
}

// StreamNode is one listpack of entries.
type StreamNode struct {
	Master StreamID // the node's key: its first entry's ID
	Fields [][]byte // the master fields: those of its first entry
	// Entries are the node's entries in ID order, tombstones included.
	Entries []StreamEntry
}

// Stream entry flags (STREAM_ITEM_FLAG_*).
const (
	StreamDeleted    = 1 << 0 // a tombstone
	StreamSameFields = 1 << 1 // the entry's fields are the master fields
)

// StreamEntry is one entry of a node.
type StreamEntry struct {
	ID    StreamID
	Flags uint8
	// FV are the entry's fields and values: field, value, field...;
	// with StreamSameFields the fields are the node's master fields.
	FV [][]byte
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64            // -1: unknown
	PEL         []StreamPending  // by ID
	Consumers   []StreamConsumer // by name
}

// StreamPending is an entry delivered and not acknowledged.
type StreamPending struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount uint64
}

// StreamConsumer is a consumer and the IDs it owns, each in its group's
// PEL.
type StreamConsumer struct {
	Name     []byte
	SeenTime int64
	PEL      []StreamID
}

func appendStreamKey(b []byte, id StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// nodeListpack is the listpack of a node, as streamAppendItem builds it:
// the master entry (live count, deleted count, the master fields, 0), then
// each entry as flags, ID differences from the master, the fields unless
// they are the master's, the values, and how many elements it took.
func nodeListpack(n *StreamNode) []byte {
	lp := newListpack()
	live, dead := 0, 0
	for _, e := range n.Entries {
		if e.Flags&StreamDeleted != 0 {
			dead++
		} else {
			live++
		}
	}
	lp.addInt(int64(live))
	lp.addInt(int64(dead))
	lp.addInt(int64(len(n.Fields)))
	for _, f := range n.Fields {
		lp.add(f)
	}
	lp.addInt(0)
	for _, e := range n.Entries {
		lp.addInt(int64(e.Flags))
		lp.addInt(int64(e.ID.Ms - n.Master.Ms))
		lp.addInt(int64(e.ID.Seq - n.Master.Seq))
		nf := len(e.FV) / 2
		same := e.Flags&StreamSameFields != 0
		if !same {
			lp.addInt(int64(nf))
		}
		for i := 0; i < len(e.FV); i += 2 {
			if !same {
				lp.add(e.FV[i])
			}
			lp.add(e.FV[i+1])
		}
		count := 3 + nf
		if !same {
			count += nf + 1
		}
		lp.addInt(int64(count))
	}
	return lp.bytes()
}

// stream writes RDB_TYPE_STREAM_LISTPACKS_2 as rdbSaveObject does.
func (e *encoder) stream(s *Stream) {
	e.len(len(s.Nodes))
	var key []byte
	for i := range s.Nodes {
		key = appendStreamKey(key[:0], s.Nodes[i].Master)
		e.str(key)
		e.str(nodeListpack(&s.Nodes[i]))
	}
	e.b = AppendLen(e.b, s.Length)
	e.b = AppendLen(e.b, s.LastID.Ms)
	e.b = AppendLen(e.b, s.LastID.Seq)
	e.b = AppendLen(e.b, s.FirstID.Ms)
	e.b = AppendLen(e.b, s.FirstID.Seq)
	e.b = AppendLen(e.b, s.MaxDeletedID.Ms)
	e.b = AppendLen(e.b, s.MaxDeletedID.Seq)
	e.b = AppendLen(e.b, s.EntriesAdded)
	e.len(len(s.Groups))
	for _, g := range s.Groups {
		e.str(g.Name)
		e.b = AppendLen(e.b, g.LastID.Ms)
		e.b = AppendLen(e.b, g.LastID.Seq)
		e.b = AppendLen(e.b, uint64(g.EntriesRead))
		e.len(len(g.PEL))
		for _, p := range g.PEL {
			e.b = appendStreamKey(e.b, p.ID)
			e.b = binary.LittleEndian.AppendUint64(e.b, uint64(p.DeliveryTime))
			e.b = AppendLen(e.b, p.DeliveryCount)
		}
		e.len(len(g.Consumers))
		for _, c := range g.Consumers {
			e.str(c.Name)
			e.b = binary.LittleEndian.AppendUint64(e.b, uint64(c.SeenTime))
			e.len(len(c.PEL))
			for _, id := range c.PEL {
				e.b = appendStreamKey(e.b, id)
			}
		}
	}
}

func (r *Reader) len64() (uint64, error) {
	n, _, err := r.Length()
	return n, err
}

func (r *Reader) streamID() (StreamID, error) {
	ms, err := r.len64()
	if err != nil {
		return StreamID{}, err
	}
	seq, err := r.len64()
	return StreamID{ms, seq}, err
}

func (r *Reader) rawID() (StreamID, error) {
	b, err := r.take(16)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}

func (r *Reader) millis() (int64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// stream reads RDB_TYPE_STREAM_LISTPACKS (v1, without the first ID, the
// max deleted ID, entries-added and each group's entries-read) or _2, and
// checks what Redis's deep sanitization checks.
func (r *Reader) stream(v2 bool) (*Stream, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	s := &Stream{Nodes: make([]StreamNode, 0, n)}
	for i := range n {
		key, err := r.String()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, formatError("stream node key")
		}
		lp, err := r.String()
		if err != nil {
			return nil, err
		}
		nd, err := parseNode(StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}, lp)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			prev := &s.Nodes[i-1]
			if !prev.Entries[len(prev.Entries)-1].ID.less(nd.Master) {
				return nil, formatError("stream node order")
			}
		}
		s.Nodes = append(s.Nodes, nd)
	}
	if s.Length, err = r.len64(); err != nil {
		return nil, err
	}
	if s.LastID, err = r.streamID(); err != nil {
		return nil, err
	}
	var live uint64
	var first StreamID
	for i := range s.Nodes {
		for _, e := range s.Nodes[i].Entries {
			if e.Flags&StreamDeleted == 0 {
				if live == 0 {
					first = e.ID
				}
				live++
			}
		}
	}
	if live != s.Length {
		return nil, formatError("stream length")
	}
	if len(s.Nodes) > 0 {
		last := s.Nodes[len(s.Nodes)-1]
		if s.LastID.less(last.Entries[len(last.Entries)-1].ID) {
			return nil, formatError("stream last ID")
		}
	}
	if v2 {
		if s.FirstID, err = r.streamID(); err != nil {
			return nil, err
		}
		if s.MaxDeletedID, err = r.streamID(); err != nil {
			return nil, err
		}
		if s.EntriesAdded, err = r.len64(); err != nil {
			return nil, err
		}
	} else {
		// As Redis loads a v1 stream: entries-added is the length, the
		// first ID that of the first live entry.
		s.FirstID, s.EntriesAdded = first, s.Length
	}
	ng, err := r.count(3)
	if err != nil {
		return nil, err
	}
	s.Groups = make([]StreamGroup, ng)
	for i := range s.Groups {
		g, err := r.group(v2)
		if err != nil {
			return nil, err
		}
		if i > 0 && bytes.Compare(s.Groups[i-1].Name, g.Name) >= 0 {
			return nil, formatError("stream group order")
		}
		s.Groups[i] = g
	}
	return s, nil
}

func (r *Reader) group(v2 bool) (StreamGroup, error) {
	var g StreamGroup
	var err error
	if g.Name, err = r.String(); err != nil {
		return g, err
	}
	if g.LastID, err = r.streamID(); err != nil {
		return g, err
	}
	g.EntriesRead = -1
	if v2 {
		n, err := r.len64()
		if err != nil {
			return g, err
		}
		g.EntriesRead = int64(n)
		if g.EntriesRead < -1 {
			return g, formatError("stream group entries-read")
		}
	}
	np, err := r.count(16 + 8 + 1)
	if err != nil {
		return g, err
	}
	g.PEL = make([]StreamPending, np)
	owner := make(map[StreamID]bool, np)
	for i := range g.PEL {
		p := &g.PEL[i]
		if p.ID, err = r.rawID(); err != nil {
			return g, err
		}
		if p.DeliveryTime, err = r.millis(); err != nil {
			return g, err
		}
		if p.DeliveryCount, err = r.len64(); err != nil {
			return g, err
		}
		if i > 0 && !g.PEL[i-1].ID.less(p.ID) {
			return g, formatError("stream PEL order")
		}
		owner[p.ID] = false
	}
	nc, err := r.count(1 + 8 + 1)
	if err != nil {
		return g, err
	}
	g.Consumers = make([]StreamConsumer, nc)
	for i := range g.Consumers {
		c := &g.Consumers[i]
		if c.Name, err = r.String(); err != nil {
			return g, err
		}
		if i > 0 && bytes.Compare(g.Consumers[i-1].Name, c.Name) >= 0 {
			return g, formatError("stream consumer order")
		}
		if c.SeenTime, err = r.millis(); err != nil {
			return g, err
		}
		n, err := r.count(16)
		if err != nil {
			return g, err
		}
		c.PEL = make([]StreamID, n)
		for j := range c.PEL {
			if c.PEL[j], err = r.rawID(); err != nil {
				return g, err
			}
			owned, ok := owner[c.PEL[j]]
			if !ok || owned {
				return g, formatError("stream consumer PEL entry not in its group's PEL, or twice")
			}
			owner[c.PEL[j]] = true
			if j > 0 && !c.PEL[j-1].less(c.PEL[j]) {
				return g, formatError("stream consumer PEL order")
			}
		}
	}
	for _, owned := range owner {
		if !owned {
			return g, formatError("stream PEL entry without consumer")
		}
	}
	return g, nil
}

// parseNode reads a node's listpack (see nodeListpack), checking it as
// streamValidateListpackIntegrity does.
func parseNode(master StreamID, lp []byte) (StreamNode, error) {
	elems, err := lpEntries(lp)
	if err != nil {
		return StreamNode{}, err
	}
	p := 0
	num := func() (int64, bool) {
		if p >= len(elems) {
			return 0, false
		}
		v, ok := string2ll(elems[p])
		p++
		return v, ok
	}
	bad := formatError("stream listpack")
	live, ok1 := num()
	dead, ok2 := num()
	nf, ok3 := num()
	if !ok1 || !ok2 || !ok3 || live < 0 || dead < 0 || nf < 0 || nf > int64(len(elems)) || live+dead == 0 {
		return StreamNode{}, bad
	}
	nd := StreamNode{Master: master, Fields: make([][]byte, nf)}
	for i := range nd.Fields {
		if p >= len(elems) {
			return StreamNode{}, bad
		}
		nd.Fields[i] = elems[p]
		p++
	}
	if z, ok := num(); !ok || z != 0 {
		return StreamNode{}, bad
	}
	var gotLive, gotDead int64
	for p < len(elems) {
		start := p
		flags, ok1 := num()
		ms, ok2 := num()
		seq, ok3 := num()
		if !ok1 || !ok2 || !ok3 || flags&^(StreamDeleted|StreamSameFields) != 0 {
			return StreamNode{}, bad
		}
		e := StreamEntry{ID: StreamID{master.Ms + uint64(ms), master.Seq + uint64(seq)}, Flags: uint8(flags)}
		if flags&StreamSameFields != 0 {
			if p+int(nf) > len(elems) {
				return StreamNode{}, bad
			}
			e.FV = make([][]byte, 0, 2*nf)
			for i := range nd.Fields {
				e.FV = append(e.FV, nd.Fields[i], elems[p])
				p++
			}
		} else {
			n, ok := num()
			if !ok || n < 0 || n > int64(len(elems)-p)/2 {
				return StreamNode{}, bad
			}
			e.FV = elems[p : p+2*int(n)]
			p += 2 * int(n)
		}
		count, ok := num()
		if !ok || count != int64(p-start-1) {
			return StreamNode{}, bad
		}
		if len(nd.Entries) == 0 {
			if e.ID != master {
				return StreamNode{}, formatError("stream node key is not its first entry")
			}
		} else if !nd.Entries[len(nd.Entries)-1].ID.less(e.ID) {
			return StreamNode{}, formatError("stream entry order")
		}
		if flags&StreamDeleted != 0 {
			gotDead++
		} else {
			gotLive++
		}
		nd.Entries = append(nd.Entries, e)
	}
	if gotLive != live || gotDead != dead {
		return StreamNode{}, formatError("stream listpack counts")
	}
	return nd, nil
}

// ListpackBytes is the size of the listpack DUMP writes for n, which is
// what Redis's lpBytes says of the node.
func (n *StreamNode) ListpackBytes() int { return len(nodeListpack(n)) }
