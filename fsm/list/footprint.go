package list

// Footprint is the list's size as memory accounting counts it: its
// elements' encoded bytes and a fixed cost per chunk and per list. Unlike
// MemoryUsage it depends only on the list's contents and chunks, never on
// slice capacities, which differ between a list built by pushes, its
// clone and its copy decoded from a snapshot: every node of a cluster
// computes the same figure for the same list. It costs O(chunks).
func (l *List) Footprint() int {
	const perList, perChunk = 48, 40
	m := perList
	for i := l.first; i < l.last; i++ {
		m += perChunk + l.cs[i].size()
	}
	return m
}
