package set

// Footprint is the set's size as memory accounting counts it, in O(1):
// the members' bytes (data) and a fixed cost per member and per set, or
// the intset's bytes. Unlike MemoryUsage it depends only on the set's
// contents and encoding, never on table or slice capacities, which differ
// between a set, its clone and its copy decoded from a snapshot: every
// node of a cluster computes the same figure for the same set.
func (s *Set) Footprint() int {
	const perSet, perMember = 48, 24
	if s.tab != nil {
		return perSet + s.data + s.tab.len()*perMember
	}
	return perSet + len(s.ints.b)
}
