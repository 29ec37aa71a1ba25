package list

// ChunkLens returns how many elements each chunk holds, in list order:
// Redis's quicklist nodes, which DUMP writes one listpack each.
func (l *List) ChunkLens() []int {
	lens := make([]int, 0, l.last-l.first)
	for i := l.first; i < l.last; i++ {
		lens = append(lens, int(l.cs[i].n))
	}
	return lens
}

// AppendChunk appends elems as a chunk of their own after the last, as
// Redis's RESTORE appends each node of a dumped quicklist as it was, and
// reports true; or, if they are over the list's limits for one chunk,
// appends nothing and reports false.
func (l *List) AppendChunk(elems [][]byte) bool {
	if len(elems) == 0 {
		return true
	}
	xs := make([]enc, len(elems))
	size := 0
	for i, e := range elems {
		xs[i] = encode(e)
		size += xs[i].size()
	}
	if !l.fits(size, len(elems)) {
		return false
	}
	buf := newBuf(size)[:size]
	off := 0
	for i := range xs {
		xs[i].put(buf[off:])
		off += xs[i].size()
	}
	l.insertChunks(l.last-l.first, 1)
	l.cs[l.last-1] = chunk{buf: buf, n: int32(len(elems)), own: l.own}
	l.n += len(elems)
	return true
}
