package set

// table is the storage of the "hashtable" encoding: distinct members in byte
// order with access by rank (for uniform random choices), whose clone is
// cheap. It is an interface so that the storage can change without touching
// the operations built on it.
type table interface {
	len() int
	has(m string) bool
	// insert adds m, which the table keeps, and reports whether it was new.
	insert(m string) bool
	// remove deletes m and reports whether it was there.
	remove(m string) bool
	// removeAt deletes and returns the i-th member in byte order.
	removeAt(i int) string
	// at returns the i-th member in byte order, 0 <= i < len().
	at(i int) string
	// ascend calls fn with each member in byte order until fn returns false.
	ascend(fn func(m string) bool)
	// clone returns a table that shares nothing mutable with the receiver:
	// changing either never affects the other. It may change the
	// receiver's bookkeeping (the B-tree's ownership token), never what a
	// reader of it sees.
	clone() table
	// overhead estimates the bytes the table holds besides the members' own
	// bytes.
	overhead() int
}

func newTable() table { return newTreeTable() }
