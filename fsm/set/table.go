package set

// table is the storage of the "hashtable" encoding: distinct members in a
// fixed order (see treeTable) with access by rank (for uniform random choices), whose clone is
// cheap. It is an interface so that the storage can change without touching
// the operations built on it.
type table interface {
	len() int
	has(m string) bool
	// insert adds m, which the table keeps, and reports whether it was new.
	insert(m string) bool
	// remove deletes m and reports whether it was there.
	remove(m string) bool
	// removeAt deletes and returns the i-th member.
	removeAt(i int) string
	// at returns the i-th member, 0 <= i < len().
	at(i int) string
	// ascend calls fn with each member in order until fn returns false.
	ascend(fn func(m string) bool)
	// scan calls fn with count or more members from cursor on (0 is the
	// start) and returns the cursor to continue from, 0 at the end.
	// Members present from the first call to the last are all returned.
	scan(cursor uint64, count int, fn func(m string)) uint64
	// clone returns a table that shares nothing mutable with the receiver:
	// changing either never affects the other. It may change the
	// receiver's bookkeeping (the B-tree's ownership token), never what a
	// reader of it sees.
	clone() table
	// overhead estimates the bytes the table holds besides the members' own
	// bytes.
	overhead() int
	// fragmented and compact are Set.Fragmented and Set.Compact.
	fragmented() bool
	compact()
}

func newTable() table { return newTreeTable() }
