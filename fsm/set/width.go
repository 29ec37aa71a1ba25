package set

// IntsetWidth is an intset's bytes per value (2, 4 or 8), which DUMP
// writes; 0 for a hash table.
func (s *Set) IntsetWidth() int {
	if s.tab != nil {
		return 0
	}
	return max(s.ints.width, 2)
}

// WidenIntset makes an intset's values at least width bytes wide, as an
// intset RESTORE reads keeps the width it was dumped with.
func (s *Set) WidenIntset(width int) {
	if s.tab == nil && (width == 4 || width == 8) && width > s.ints.width && s.ints.len() > 0 {
		s.ints.upgrade(width)
	}
}
