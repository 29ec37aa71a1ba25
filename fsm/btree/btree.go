// Package btree is an in-memory, generic, order-statistic B-tree with O(1)
// copy-on-write clones, for the sorted collections of the state machine
// (sorted sets, sets, streams).
//
// Items live inline in fixed arrays inside the nodes, so storing an item
// allocates nothing of its own. Every node knows how many items its subtree
// holds, which makes At, Rank, DeleteAt and iteration from a rank O(log n).
//
// Clone gives both trees a fresh ownership token and leaves every node
// shared: a node belongs to the tree whose token it carries, and a tree
// copies a node it does not own before the first change to it (the path from
// the root down), as google/btree's copy-on-write context does. So a clone is
// O(1), and after it mutating either tree never changes what the other sees.
//
// A Tree is not safe for concurrent use, but two trees sharing nodes after a
// Clone may each be used (read or written) by its own goroutine. Clone itself
// changes the tree it is called on, so it must run on that tree's goroutine.
package btree

import "unsafe"

const (
	// maxItems is the capacity of a node. 30 items of 24 bytes (a float64
	// score and a string) plus the header fill a 768-byte allocation class.
	maxItems = 30
	// minItems: a node below it after a removal borrows from a sibling or
	// merges with it. Nodes split unevenly when the tree is appended to at
	// either end (see insertAt), so a node may hold fewer items than this
	// until it is next removed from.
	minItems = maxItems/2 - 1
)

// cow is an ownership token. It has a non-zero size so that distinct tokens
// have distinct addresses.
type cow struct{ _ byte }

type node[T any] struct {
	cow   *cow
	kids  *kids[T] // nil for a leaf
	size  int      // items in this subtree
	n     int      // items in this node
	items [maxItems]T
}

// kids are an inner node's children and their subtree sizes, kept side by
// side so that finding a rank reads one array instead of every child.
type kids[T any] struct {
	child [maxItems + 1]*node[T]
	size  [maxItems + 1]int
}

// Tree is an ordered set of items of type T under a strict weak order less.
// Two items are equal when neither is less than the other; the tree holds at
// most one item of each equivalence class. The zero Tree is not usable; call
// New.
type Tree[T any] struct {
	less   func(a, b T) bool
	root   *node[T]
	cow    *cow
	leaves int // nodes without children, for Bytes
	inner  int // nodes with children
	loose  int // nodes allocated one at a time since the last Compact
}

// New returns an empty tree ordered by less.
func New[T any](less func(a, b T) bool) *Tree[T] {
	return &Tree[T]{less: less, cow: new(cow)}
}

// Len returns the number of items in the tree.
func (t *Tree[T]) Len() int {
	if t.root == nil {
		return 0
	}
	return t.root.size
}

// Clone returns a tree holding the same items, in O(1). The nodes are shared
// and copied lazily by whichever tree changes them first.
func (t *Tree[T]) Clone() *Tree[T] {
	c := *t
	t.cow = new(cow)
	c.cow = new(cow)
	return &c
}

// Bytes estimates the memory held by the tree's nodes (not counting memory
// the items point to, and counting shared nodes in full).
func (t *Tree[T]) Bytes() int {
	var n node[T]
	var c kids[T]
	nb, kb := AllocSize(int(unsafe.Sizeof(n))), AllocSize(int(unsafe.Sizeof(c)))
	return t.leaves*nb + t.inner*(nb+kb)
}

// AllocSize estimates the heap bytes Go spends on an n-byte allocation:
// below 16 bytes (pointer-free, as string data) the tiny allocator packs
// several in a block, above it rounds up to a size class (8 bytes apart to
// 32, 16 to 128, then about 1/8 apart).
func AllocSize(n int) int {
	switch {
	case n < 16:
		return n
	case n <= 32:
		return (n + 7) &^ 7
	case n <= 128:
		return (n + 15) &^ 15
	}
	step := 1
	for step*16 <= n {
		step <<= 1
	}
	return (n + step - 1) &^ (step - 1)
}

// mut returns n if t owns it, else a copy of it that t owns.
func (t *Tree[T]) mut(n *node[T]) *node[T] {
	if n.cow == t.cow {
		return n
	}
	c := new(node[T])
	*c = *n
	c.cow = t.cow
	t.loose++
	if n.kids != nil {
		k := *n.kids
		c.kids = &k
	}
	return c
}

func (t *Tree[T]) newNode(leaf bool) *node[T] {
	n := &node[T]{cow: t.cow}
	t.loose++
	if leaf {
		t.leaves++
	} else {
		n.kids = new(kids[T])
		t.inner++
	}
	return n
}

// find returns the index of the first item in n that is not less than key,
// and whether that item equals key.
func (t *Tree[T]) find(n *node[T], key T) (int, bool) {
	lo, hi := 0, n.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.less(n.items[m], key) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < n.n && !t.less(key, n.items[lo])
}

// Get returns the item equal to key, if any.
func (t *Tree[T]) Get(key T) (T, bool) {
	n := t.root
	for n != nil {
		i, found := t.find(n, key)
		if found {
			return n.items[i], true
		}
		if n.kids == nil {
			break
		}
		n = n.kids.child[i]
	}
	var zero T
	return zero, false
}

// Has reports whether the tree holds an item equal to key.
func (t *Tree[T]) Has(key T) bool {
	_, ok := t.Get(key)
	return ok
}

// Rank returns the number of items less than key and whether an item equal
// to key is in the tree (its index is then the returned rank).
func (t *Tree[T]) Rank(key T) (int, bool) {
	r := 0
	n := t.root
	for n != nil {
		i, found := t.find(n, key)
		r += i
		if n.kids == nil {
			return r, found
		}
		for _, s := range n.kids.size[:i] {
			r += s
		}
		if found {
			return r + n.kids.size[i], true
		}
		n = n.kids.child[i]
	}
	return r, false
}

// Search returns the smallest rank i in [0, Len()] such that pred is true
// for the item at rank i, assuming pred is false and then true along the
// order (as sort.Search); Len() if it is true for none.
func (t *Tree[T]) Search(pred func(T) bool) int {
	r := 0
	n := t.root
	for n != nil {
		lo, hi := 0, n.n
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if !pred(n.items[m]) {
				lo = m + 1
			} else {
				hi = m
			}
		}
		r += lo
		if n.kids == nil {
			break
		}
		for _, s := range n.kids.size[:lo] {
			r += s
		}
		n = n.kids.child[lo]
	}
	return r
}

// At returns the item at rank i (0 is the least). It panics unless
// 0 <= i < Len().
func (t *Tree[T]) At(i int) T {
	if i < 0 || i >= t.Len() {
		panic("btree: At index out of range")
	}
	n := t.root
	for {
		if n.kids == nil {
			return n.items[i]
		}
		for j := 0; ; j++ {
			cs := n.kids.size[j]
			if i < cs {
				n = n.kids.child[j]
				break
			}
			i -= cs
			if i == 0 {
				return n.items[j]
			}
			i--
		}
	}
}

// Min returns the least item, if the tree is not empty.
func (t *Tree[T]) Min() (T, bool) {
	if t.Len() == 0 {
		var zero T
		return zero, false
	}
	return t.At(0), true
}

// Max returns the greatest item, if the tree is not empty.
func (t *Tree[T]) Max() (T, bool) {
	if t.Len() == 0 {
		var zero T
		return zero, false
	}
	n := t.root
	for n.kids != nil {
		n = n.kids.child[n.n]
	}
	return n.items[n.n-1], true
}

// ReplaceOrInsert adds item, replacing and returning an equal item if the
// tree held one.
func (t *Tree[T]) ReplaceOrInsert(item T) (T, bool) {
	if t.root == nil {
		t.root = t.newNode(true)
		t.root.items[0] = item
		t.root.n, t.root.size = 1, 1
		var zero T
		return zero, false
	}
	t.root = t.mut(t.root)
	old, replaced, split, median, right := t.insert(t.root, item, edgeBoth)
	if split {
		left := t.root
		t.root = t.newNode(false)
		t.root.items[0] = median
		t.root.kids.child[0], t.root.kids.child[1] = left, right
		t.root.kids.size[0], t.root.kids.size[1] = left.size, right.size
		t.root.n = 1
		t.root.size = left.size + 1 + right.size
	}
	return old, replaced
}

// Edges of the tree a node lies on, for insertAt's uneven splits.
const (
	edgeLeft  = 1
	edgeRight = 2
	edgeBoth  = edgeLeft | edgeRight
)

// insert adds item to the subtree of n, which t owns. If n overflowed it
// returns the item to push up and the new right sibling.
func (t *Tree[T]) insert(n *node[T], item T, edge int) (old T, replaced, split bool, median T, right *node[T]) {
	i, found := t.find(n, item)
	if found {
		old = n.items[i]
		n.items[i] = item
		return old, true, false, median, nil
	}
	if n.kids == nil {
		n.size++
		split, median, right = t.insertAt(n, i, item, nil, edge)
		return old, false, split, median, right
	}
	ce := 0
	if i == 0 {
		ce |= edge & edgeLeft
	}
	if i == n.n {
		ce |= edge & edgeRight
	}
	child := t.mut(n.kids.child[i])
	n.kids.child[i] = child
	old, replaced, split, median, right = t.insert(child, item, ce)
	if replaced {
		return old, true, false, median, nil
	}
	n.size++
	n.kids.size[i] = child.size
	if !split {
		return old, false, false, median, nil
	}
	split, median, right = t.insertAt(n, i, median, right, edge)
	return old, false, split, median, right
}

// insertAt puts item at index i of n, and child (for an inner node) right of
// it. A full node splits; the caller gets the median and the new right node.
// A node on the tree's right (left) edge that overflows at its end (start)
// keeps all but one item on its own side, so that appending in order fills
// nodes instead of leaving them half empty.
func (t *Tree[T]) insertAt(n *node[T], i int, item T, child *node[T], edge int) (bool, T, *node[T]) {
	if n.n < maxItems {
		copy(n.items[i+1:n.n+1], n.items[i:n.n])
		n.items[i] = item
		if child != nil {
			copy(n.kids.child[i+2:n.n+2], n.kids.child[i+1:n.n+1])
			copy(n.kids.size[i+2:n.n+2], n.kids.size[i+1:n.n+1])
			n.kids.child[i+1] = child
			n.kids.size[i+1] = child.size
		}
		n.n++
		return false, item, nil
	}
	var items [maxItems + 1]T
	copy(items[:i], n.items[:i])
	items[i] = item
	copy(items[i+1:], n.items[i:])
	var children [maxItems + 2]*node[T]
	var sizes [maxItems + 2]int
	if child != nil {
		copy(children[:i+1], n.kids.child[:i+1])
		children[i+1] = child
		copy(children[i+2:], n.kids.child[i+1:])
		copy(sizes[:i+1], n.kids.size[:i+1])
		sizes[i+1] = child.size
		copy(sizes[i+2:], n.kids.size[i+1:])
	}
	s := (maxItems + 1) / 2
	switch {
	case i == maxItems && edge&edgeRight != 0:
		s = maxItems - 1
	case i == 0 && edge&edgeLeft != 0:
		s = 1
	}
	right := t.newNode(child == nil)
	var zero T
	copy(n.items[:], items[:s])
	for k := s; k < maxItems; k++ {
		n.items[k] = zero
	}
	n.n = s
	copy(right.items[:], items[s+1:])
	right.n = maxItems - s
	if child == nil {
		n.size, right.size = n.n, right.n
		return true, items[s], right
	}
	copy(n.kids.child[:], children[:s+1])
	copy(n.kids.size[:], sizes[:s+1])
	for k := s + 1; k <= maxItems; k++ {
		n.kids.child[k] = nil
		n.kids.size[k] = 0
	}
	copy(right.kids.child[:], children[s+1:])
	copy(right.kids.size[:], sizes[s+1:])
	n.size, right.size = n.n, right.n
	for _, sz := range n.kids.size[:n.n+1] {
		n.size += sz
	}
	for _, sz := range right.kids.size[:right.n+1] {
		right.size += sz
	}
	return true, items[s], right
}

// What remove looks for.
type target int

const (
	byKey target = iota
	byRank
	byMax
)

// Delete removes and returns the item equal to key, if any.
func (t *Tree[T]) Delete(key T) (T, bool) {
	return t.remove(byKey, key, 0)
}

// DeleteAt removes and returns the item at rank i. It panics unless
// 0 <= i < Len().
func (t *Tree[T]) DeleteAt(i int) T {
	if i < 0 || i >= t.Len() {
		panic("btree: DeleteAt index out of range")
	}
	var zero T
	item, _ := t.remove(byRank, zero, i)
	return item
}

// DeleteMin removes and returns the least item, if any.
func (t *Tree[T]) DeleteMin() (T, bool) {
	if t.Len() == 0 {
		var zero T
		return zero, false
	}
	return t.DeleteAt(0), true
}

// DeleteMax removes and returns the greatest item, if any.
func (t *Tree[T]) DeleteMax() (T, bool) {
	if t.Len() == 0 {
		var zero T
		return zero, false
	}
	var zero T
	return t.remove(byMax, zero, 0)
}

func (t *Tree[T]) remove(tg target, key T, rank int) (T, bool) {
	if t.root == nil {
		var zero T
		return zero, false
	}
	root, item, found := t.removeFrom(t.root, tg, key, rank)
	if !found {
		return item, false
	}
	t.root = root
	switch {
	case root.n > 0:
	case root.kids != nil:
		t.root = root.kids.child[0]
		t.inner--
	default:
		t.root = nil
		t.leaves--
	}
	return item, true
}

// removeFrom removes the target from the subtree of n and returns the node
// that replaces n (n itself if t owns it, else a copy), the item and whether
// it was found. Nodes are copied only on the way back up, so a miss copies
// nothing. The returned node may have fewer than minItems items; its parent
// rebalances it.
func (t *Tree[T]) removeFrom(n *node[T], tg target, key T, rank int) (*node[T], T, bool) {
	var i int
	var here bool
	switch tg {
	case byKey:
		i, here = t.find(n, key)
	case byMax:
		if n.kids == nil {
			i, here = n.n-1, true
		} else {
			i = n.n
		}
	case byRank:
		if n.kids == nil {
			i, here = rank, true
		} else {
			for i = 0; ; i++ {
				cs := n.kids.size[i]
				if rank < cs {
					break
				}
				rank -= cs
				if rank == 0 {
					here = true
					break
				}
				rank--
			}
		}
	}
	var item T
	if n.kids == nil {
		if !here {
			return n, item, false
		}
		n = t.mut(n)
		item = n.items[i]
		copy(n.items[i:n.n], n.items[i+1:n.n])
		n.n--
		n.size--
		var zero T
		n.items[n.n] = zero
		return n, item, true
	}
	if here {
		// Replace the item with its predecessor, the max of the child on
		// its left.
		child, pred, _ := t.removeFrom(n.kids.child[i], byMax, key, 0)
		n = t.mut(n)
		item = n.items[i]
		n.items[i] = pred
		n.kids.child[i] = child
		n.kids.size[i] = child.size
		n.size--
		t.rebalance(n, i)
		return n, item, true
	}
	child, item, found := t.removeFrom(n.kids.child[i], tg, key, rank)
	if !found {
		return n, item, false
	}
	n = t.mut(n)
	n.kids.child[i] = child
	n.kids.size[i] = child.size
	n.size--
	t.rebalance(n, i)
	return n, item, true
}

// rebalance restores child i of n (both owned by t) to at least minItems
// items if it has fewer, by borrowing from a sibling or merging with one.
func (t *Tree[T]) rebalance(n *node[T], i int) {
	k := n.kids
	c := k.child[i]
	if c.n >= minItems {
		return
	}
	var zero T
	if i > 0 && k.child[i-1].n > minItems {
		// Rotate right: the separator comes down to c's front, the left
		// sibling's last item goes up.
		l := t.mut(k.child[i-1])
		k.child[i-1] = l
		copy(c.items[1:c.n+1], c.items[:c.n])
		c.items[0] = n.items[i-1]
		n.items[i-1] = l.items[l.n-1]
		l.items[l.n-1] = zero
		moved := 1
		if c.kids != nil {
			ck, lk := c.kids, l.kids
			copy(ck.child[1:c.n+2], ck.child[:c.n+1])
			copy(ck.size[1:c.n+2], ck.size[:c.n+1])
			ck.child[0], ck.size[0] = lk.child[l.n], lk.size[l.n]
			lk.child[l.n], lk.size[l.n] = nil, 0
			moved += ck.size[0]
		}
		c.n++
		l.n--
		c.size += moved
		l.size -= moved
		k.size[i-1], k.size[i] = l.size, c.size
		return
	}
	if i < n.n && k.child[i+1].n > minItems {
		// Rotate left.
		r := t.mut(k.child[i+1])
		k.child[i+1] = r
		c.items[c.n] = n.items[i]
		n.items[i] = r.items[0]
		copy(r.items[:r.n-1], r.items[1:r.n])
		r.items[r.n-1] = zero
		moved := 1
		if c.kids != nil {
			ck, rk := c.kids, r.kids
			ck.child[c.n+1], ck.size[c.n+1] = rk.child[0], rk.size[0]
			copy(rk.child[:r.n], rk.child[1:r.n+1])
			copy(rk.size[:r.n], rk.size[1:r.n+1])
			rk.child[r.n], rk.size[r.n] = nil, 0
			moved += ck.size[c.n+1]
		}
		c.n++
		r.n--
		c.size += moved
		r.size -= moved
		k.size[i], k.size[i+1] = c.size, r.size
		return
	}
	// Merge children j and j+1 with the separator j between them. One of
	// them is c, below minItems, and the other could not lend, so they fit.
	j := i
	if i > 0 {
		j = i - 1
	}
	l := t.mut(k.child[j])
	r := k.child[j+1]
	l.items[l.n] = n.items[j]
	copy(l.items[l.n+1:], r.items[:r.n])
	if l.kids != nil {
		copy(l.kids.child[l.n+1:], r.kids.child[:r.n+1])
		copy(l.kids.size[l.n+1:], r.kids.size[:r.n+1])
		t.inner--
	} else {
		t.leaves--
	}
	l.n += 1 + r.n
	l.size += 1 + r.size
	k.child[j], k.size[j] = l, l.size
	copy(n.items[j:n.n-1], n.items[j+1:n.n])
	n.items[n.n-1] = zero
	copy(k.child[j+1:n.n], k.child[j+2:n.n+1])
	copy(k.size[j+1:n.n], k.size[j+2:n.n+1])
	k.child[n.n], k.size[n.n] = nil, 0
	n.n--
}

// Ascend calls fn for each item of rank >= from in ascending order until fn
// returns false.
func (t *Tree[T]) Ascend(from int, fn func(T) bool) {
	if from < 0 {
		from = 0
	}
	if t.root == nil || from >= t.root.size {
		return
	}
	t.root.ascend(from, fn)
}

func (n *node[T]) ascend(r int, fn func(T) bool) bool {
	if n.kids == nil {
		for k := r; k < n.n; k++ {
			if !fn(n.items[k]) {
				return false
			}
		}
		return true
	}
	for j := 0; j <= n.n; j++ {
		// Skipping a child reads only its size here, not the child.
		if cs := n.kids.size[j]; r < cs {
			if !n.kids.child[j].ascend(r, fn) {
				return false
			}
			r = 0
		} else {
			r -= cs
		}
		if j < n.n {
			if r == 0 {
				if !fn(n.items[j]) {
					return false
				}
			} else {
				r--
			}
		}
	}
	return true
}

// Descend calls fn for each item of rank <= from in descending order until
// fn returns false.
func (t *Tree[T]) Descend(from int, fn func(T) bool) {
	if t.root == nil || from < 0 {
		return
	}
	if from >= t.root.size {
		from = t.root.size - 1
	}
	t.root.descend(from, fn)
}

func (n *node[T]) descend(r int, fn func(T) bool) bool {
	if n.kids == nil {
		for k := r; k >= 0; k-- {
			if !fn(n.items[k]) {
				return false
			}
		}
		return true
	}
	// Find where rank r is: in child j, or item j.
	j := 0
	for ; ; j++ {
		cs := n.kids.size[j]
		if r < cs {
			if !n.kids.child[j].descend(r, fn) {
				return false
			}
			break
		}
		r -= cs
		if r == 0 {
			if !fn(n.items[j]) {
				return false
			}
			c := n.kids.child[j]
			if !c.descend(c.size-1, fn) {
				return false
			}
			break
		}
		r--
	}
	for k := j - 1; k >= 0; k-- {
		if !fn(n.items[k]) {
			return false
		}
		c := n.kids.child[k]
		if !c.descend(c.size-1, fn) {
			return false
		}
	}
	return true
}

// AscendFrom calls fn for each item >= pivot in ascending order until fn
// returns false.
func (t *Tree[T]) AscendFrom(pivot T, fn func(T) bool) {
	r, _ := t.Rank(pivot)
	t.Ascend(r, fn)
}

// DescendFrom calls fn for each item <= pivot in descending order until fn
// returns false.
func (t *Tree[T]) DescendFrom(pivot T, fn func(T) bool) {
	r, found := t.Rank(pivot)
	if !found {
		r--
	}
	t.Descend(r, fn)
}
