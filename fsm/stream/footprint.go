package stream

// Footprint is the stream's size as memory accounting counts it: each
// node's listpack size as Redis's would be (lpBytes) and a fixed cost per
// node, group, consumer and pending entry. Unlike MemoryUsage it depends
// only on the stream's contents, never on capacities, so every node of a
// cluster computes the same figure for the same stream. It costs
// O(nodes + groups + consumers).
func (s *Stream) Footprint() int {
	const perStream, perNode, perGroup, perConsumer, perPending = 64, 48, 64, 48, 40
	m := perStream
	s.nodes.Ascend(0, func(n *node) bool {
		m += perNode + n.lpBytes
		return true
	})
	for _, g := range s.groups {
		m += perGroup + len(g.name) + g.pel.Len()*perPending
		for _, c := range g.consumers {
			m += perConsumer + len(c.name) + c.pel.Len()*16
		}
	}
	return m
}
