package stream

import "encoding/binary"

// RadixTreeNodes is what XINFO STREAM reports as radix-tree-nodes: the
// number of nodes of the radix tree (rax) in which Redis would keep this
// stream's nodes, keyed by their first IDs as 16 big-endian bytes. It is
// computed from the keys, as the canonical compressed trie rax maintains:
// a node with one child is a compressed node whose run of bytes ends at a
// leaf or at a node with several children. It costs O(nodes).
func (s *Stream) RadixTreeNodes() int {
	keys := make([][16]byte, 0, s.nodes.Len())
	s.nodes.Ascend(0, func(n *node) bool {
		var k [16]byte
		binary.BigEndian.PutUint64(k[:8], n.master.Ms)
		binary.BigEndian.PutUint64(k[8:], n.master.Seq)
		keys = append(keys, k)
		return true
	})
	if len(keys) == 0 {
		return 1 // the empty root
	}
	return raxCount(keys, 0)
}

// raxCount counts the rax nodes of the subtree at depth d holding keys,
// which share their first d bytes.
func raxCount(keys [][16]byte, d int) int {
	if d == 16 {
		return 1 // a key's leaf
	}
	// The longest prefix all keys share (sorted: first and last decide).
	lcp := d
	first, last := &keys[0], &keys[len(keys)-1]
	for lcp < 16 && first[lcp] == last[lcp] {
		lcp++
	}
	if lcp > d {
		// A compressed node, then whatever ends its run.
		return 1 + raxCount(keys, lcp)
	}
	// A node with a child per distinct byte at d.
	n := 1
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		n += raxCount(keys[i:j], d+1)
		i = j
	}
	return n
}
