package btree

import "unsafe"

// compactChunk is the size of the blocks Compact lays nodes out in: above
// the runtime's 32 KB small-object limit, so that each block is an
// allocation with pages of its own, returned to the OS whole once none of
// its nodes is reachable.
const compactChunk = 64 << 10

// Compact rebuilds t's nodes, as full as the B-tree allows, side by side in
// a few large blocks; items, order and ranks stay as they are.
//
// Why: the garbage collector never moves an object, and copy-on-write
// leaves the heap full of holes. After a snapshot, every node a write
// touches is copied; when the snapshot is done, the old copies die, one
// here and one there in the runtime's 8 KB spans of same-sized objects,
// each span kept by the live nodes around the holes. A 1M-member set
// loaded under a snapshot every 10,000 entries ended with its nodes'
// spans a third empty, which no collection can give back. Rebuilt, the
// old nodes all die together and free their spans whole, and nodes fill
// their B-tree bound (30 items) instead of the 70% random inserts leave.
//
// A clone sharing t's nodes keeps the old ones and is not changed. The
// blocks live as long as any of their nodes: a later copy-on-write of a
// node leaves its slot unused until the whole block is, so after heavy
// writes the tree holds up to about what it held before Compact, until
// it is compacted again. Compact is O(n) in time and allocates the n
// items once more while it runs; call it when the tree is quiet.
func (t *Tree[T]) Compact() {
	n := t.Len()
	if n == 0 {
		return
	}
	items := make([]T, 0, n)
	t.Ascend(0, func(it T) bool {
		items = append(items, it)
		return true
	})
	caps := []int{maxItems} // caps[h]: the most items a subtree of height h holds
	for caps[len(caps)-1] < n {
		h := caps[len(caps)-1]
		caps = append(caps, (maxItems+1)*h+maxItems)
	}
	height := len(caps) - 1
	var leaves, inner int
	countNodes(caps, n, height, &leaves, &inner)
	b := &builder[T]{cow: t.cow, items: items, leavesLeft: leaves + inner, kidsLeft: inner}
	t.root = b.build(caps, n, height)
	t.leaves, t.inner, t.loose = leaves, inner, 0
}

// minCompactNodes is the smallest tree Fragmented considers: below it the
// holes a tree can leave are a few KB.
const minCompactNodes = 8

// Fragmented reports whether Compact would pay: the tree has at least
// minCompactNodes nodes and a quarter of them or more were allocated one
// at a time (by inserts, splits and copy-on-write) since it was made or
// last compacted. Such nodes fill to about 70% under random inserts and
// are what copy-on-write leaves holes among.
func (t *Tree[T]) Fragmented() bool {
	nodes := t.leaves + t.inner
	return nodes >= minCompactNodes && t.loose*4 >= nodes
}

// split returns how many children a subtree of n items and height h > 0
// has, so that each child (of height h-1, holding at most caps[h-1]) is as
// full as the fewest children allow, and how many items each child gets:
// q, and q+1 for the first r.
func split(caps []int, n, h int) (c, q, r int) {
	c = max(2, (n+1+caps[h-1])/(caps[h-1]+1)) // ceil((n+1) / (caps[h-1]+1))
	childItems := n - (c - 1)
	return c, childItems / c, childItems % c
}

// countNodes adds the leaves and inner nodes build makes for a subtree of
// n items and height h.
func countNodes(caps []int, n, h int, leaves, inner *int) {
	if h == 0 {
		*leaves++
		return
	}
	*inner++
	c, q, r := split(caps, n, h)
	for k := range c {
		countNodes(caps, q+b2i(k < r), h-1, leaves, inner)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// builder hands out nodes from blocks sized to the nodes still to come,
// and takes the items in order.
type builder[T any] struct {
	cow        *cow
	items      []T
	nodes      []node[T]
	kids       []kids[T]
	leavesLeft int // nodes not handed out yet (inner nodes included)
	kidsLeft   int
}

func (b *builder[T]) node(leaf bool) *node[T] {
	if len(b.nodes) == 0 {
		per := max(1, compactChunk/int(unsafe.Sizeof(node[T]{})))
		b.nodes = make([]node[T], min(per, b.leavesLeft))
	}
	n := &b.nodes[0]
	b.nodes = b.nodes[1:]
	b.leavesLeft--
	n.cow = b.cow
	if !leaf {
		if len(b.kids) == 0 {
			per := max(1, compactChunk/int(unsafe.Sizeof(kids[T]{})))
			b.kids = make([]kids[T], min(per, b.kidsLeft))
		}
		n.kids = &b.kids[0]
		b.kids = b.kids[1:]
		b.kidsLeft--
	}
	return n
}

// build makes the subtree of the next n items, of height h.
func (b *builder[T]) build(caps []int, n, h int) *node[T] {
	nd := b.node(h == 0)
	nd.size = n
	if h == 0 {
		nd.n = copy(nd.items[:n], b.items[:n])
		b.items = b.items[n:]
		return nd
	}
	c, q, r := split(caps, n, h)
	for k := range c {
		cs := q + b2i(k < r)
		nd.kids.child[k] = b.build(caps, cs, h-1)
		nd.kids.size[k] = cs
		if k < c-1 {
			nd.items[k] = b.items[0]
			b.items = b.items[1:]
		}
	}
	nd.n = c - 1
	return nd
}
