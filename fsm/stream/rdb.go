package stream

import (
	"encoding/binary"

	"github.com/raftcache/raftcache/fsm/rdb"
)

// ToRDB describes s as Redis's DUMP writes a stream: its nodes (tombstones
// included), metadata and groups. The description aliases s's memory.
func (s *Stream) ToRDB() *rdb.Stream {
	out := &rdb.Stream{
		Length: s.length, LastID: toRDBID(s.lastID), FirstID: toRDBID(s.firstID),
		MaxDeletedID: toRDBID(s.maxDeleted), EntriesAdded: s.entriesAdded,
		Nodes: make([]rdb.StreamNode, 0, s.nodes.Len()),
	}
	s.nodes.Ascend(0, func(n *node) bool {
		nd := rdb.StreamNode{Master: toRDBID(n.master), Fields: n.fields, Entries: make([]rdb.StreamEntry, len(n.ents))}
		for i, e := range n.ents {
			nd.Entries[i] = rdb.StreamEntry{ID: toRDBID(e.id), Flags: e.flags, FV: n.fieldsValues(i, nil)}
		}
		out.Nodes = append(out.Nodes, nd)
		return true
	})
	for _, g := range s.groups {
		rg := rdb.StreamGroup{Name: []byte(g.name), LastID: toRDBID(g.lastID), EntriesRead: g.entriesRead}
		g.pel.Ascend(0, func(p pending) bool {
			rg.PEL = append(rg.PEL, rdb.StreamPending{ID: toRDBID(p.id), DeliveryTime: p.deliveryTime, DeliveryCount: p.deliveryCount})
			return true
		})
		for _, c := range g.consumers {
			rc := rdb.StreamConsumer{Name: []byte(c.name), SeenTime: c.seenTime}
			c.pel.Ascend(0, func(id ID) bool {
				rc.PEL = append(rc.PEL, toRDBID(id))
				return true
			})
			rg.Consumers = append(rg.Consumers, rc)
		}
		out.Groups = append(out.Groups, rg)
	}
	return out
}

// FromRDB returns the stream r describes, with its node boundaries, as
// RESTORE loads one. It goes through the snapshot form (AppendBinary), so
// Decode's checks guard every invariant the package relies on.
func FromRDB(r *rdb.Stream) (*Stream, error) {
	b := []byte{codecVersion}
	b = binary.AppendUvarint(b, r.Length)
	b = appendID(b, fromRDBID(r.LastID))
	b = appendID(b, fromRDBID(r.FirstID))
	b = appendID(b, fromRDBID(r.MaxDeletedID))
	b = binary.AppendUvarint(b, r.EntriesAdded)
	b = binary.AppendUvarint(b, uint64(len(r.Nodes)))
	var payload []byte
	for i := range r.Nodes {
		n := &r.Nodes[i]
		live, dead := 0, 0
		for _, e := range n.Entries {
			if e.Flags&flagDeleted != 0 {
				dead++
			} else {
				live++
			}
		}
		b = appendID(b, fromRDBID(n.Master))
		b = binary.AppendUvarint(b, uint64(live))
		b = binary.AppendUvarint(b, uint64(dead))
		b = binary.AppendUvarint(b, uint64(n.ListpackBytes()))
		b = binary.AppendUvarint(b, uint64(len(n.Fields)))
		for _, f := range n.Fields {
			b = appendBytes(b, f)
		}
		b = binary.AppendUvarint(b, uint64(len(n.Entries)))
		for _, e := range n.Entries {
			b = appendID(b, ID{e.ID.Ms - n.Master.Ms, e.ID.Seq - n.Master.Seq})
			b = append(b, e.Flags)
			payload = payload[:0]
			same := e.Flags&flagSameFields != 0
			if !same {
				payload = binary.AppendUvarint(payload, uint64(len(e.FV)/2))
			}
			for j := 0; j+1 < len(e.FV); j += 2 {
				if !same {
					payload = appendBytes(payload, e.FV[j])
				}
				payload = appendBytes(payload, e.FV[j+1])
			}
			b = appendBytes(b, payload)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.Groups)))
	for _, g := range r.Groups {
		owner := map[rdb.StreamID][]byte{}
		for _, c := range g.Consumers {
			for _, id := range c.PEL {
				owner[id] = c.Name
			}
		}
		b = appendBytes(b, g.Name)
		b = appendID(b, fromRDBID(g.LastID))
		b = binary.AppendVarint(b, g.EntriesRead)
		b = binary.AppendUvarint(b, uint64(len(g.PEL)))
		for _, p := range g.PEL {
			b = appendID(b, fromRDBID(p.ID))
			b = appendBytes(b, owner[p.ID])
			b = binary.AppendVarint(b, p.DeliveryTime)
			b = binary.AppendUvarint(b, p.DeliveryCount)
		}
		b = binary.AppendUvarint(b, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			b = appendBytes(b, c.Name)
			b = binary.AppendVarint(b, c.SeenTime)
		}
	}
	return Decode(b)
}

func toRDBID(id ID) rdb.StreamID   { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }
func fromRDBID(id rdb.StreamID) ID { return ID{Ms: id.Ms, Seq: id.Seq} }
