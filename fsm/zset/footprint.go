package zset

// Footprint is the sorted set's size as memory accounting counts it, in
// O(1): the listpack's bytes, or the members' bytes and a fixed cost per
// member (two tree entries) and per set. Unlike MemoryUsage it depends
// only on the contents and encoding, never on capacities or tree shapes,
// which differ between a set, its clone and its copy decoded from a
// snapshot: every node of a cluster computes the same figure.
func (z *ZSet) Footprint() int {
	const perSet, perMember = 48, 64
	if z.t == nil {
		return perSet + len(z.lp)
	}
	return perSet + z.t.memberBytes + z.t.byScore.Len()*perMember
}
