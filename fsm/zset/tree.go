package zset

import (
	"unsafe"

	"github.com/raftcache/raftcache/fsm/btree"
)

// The large encoding, Redis's "skiplist": two order-statistic B-trees that
// share each member's string. byScore orders by (score, member) for ranks
// and ranges; byMember maps a member to its score, ordered by (hash of the
// member, member) so that a lookup compares mostly integers held inline
// in the node, and so that ZSCAN can use the hash as a stable cursor.
// Both trees clone in O(1), so the whole encoding does.
type tree struct {
	byScore  *btree.Tree[scored]
	byMember *btree.Tree[named]
	// memberBytes estimates the heap bytes of the member strings.
	memberBytes int
}

type scored struct {
	score  float64
	member string
}

type named struct {
	hash   uint64
	member string
	score  float64
}

func lessScored(a, b scored) bool {
	return a.score < b.score || (a.score == b.score && a.member < b.member)
}

func lessNamed(a, b named) bool {
	return a.hash < b.hash || (a.hash == b.hash && a.member < b.member)
}

func newTree() *tree {
	return &tree{byScore: btree.New(lessScored), byMember: btree.New(lessNamed)}
}

func (t *tree) clone() *tree {
	return &tree{byScore: t.byScore.Clone(), byMember: t.byMember.Clone(), memberBytes: t.memberBytes}
}

func (t *tree) fragmented() bool { return t.byScore.Fragmented() || t.byMember.Fragmented() }

// compact rebuilds whichever of the two trees was allocated piecemeal (see
// ZSet.Compact).
func (t *tree) compact() {
	if t.byScore.Fragmented() {
		t.byScore.Compact()
	}
	if t.byMember.Fragmented() {
		t.byMember.Compact()
	}
}

// hashMember is 64-bit FNV-1a: fixed, so that every node (and every
// version) orders members and numbers ZSCAN cursors alike.
func hashMember(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// b2s views b as a string for a lookup key that is not kept.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// s2b views a member string as bytes; callers must not change them.
func s2b(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func (t *tree) lookup(member []byte) (named, bool) {
	return t.byMember.Get(named{hash: hashMember(member), member: b2s(member)})
}

// insert adds a member known to be absent.
func (t *tree) insert(member string, score float64) {
	t.byScore.ReplaceOrInsert(scored{score, member})
	t.byMember.ReplaceOrInsert(named{hashMember(s2b(member)), member, score})
	t.memberBytes += btree.AllocSize(len(member))
}

// update changes the score of a present member.
func (t *tree) update(n named, score float64) {
	t.byScore.Delete(scored{n.score, n.member})
	t.byScore.ReplaceOrInsert(scored{score, n.member})
	n.score = score
	t.byMember.ReplaceOrInsert(n)
}

func (t *tree) remove(n named) {
	t.byScore.Delete(scored{n.score, n.member})
	t.byMember.Delete(n)
	t.memberBytes -= btree.AllocSize(len(n.member))
}

// removeAt removes the element of rank i and returns it.
func (t *tree) removeAt(i int) scored {
	s := t.byScore.DeleteAt(i)
	t.byMember.Delete(named{hash: hashMember(s2b(s.member)), member: s.member})
	t.memberBytes -= btree.AllocSize(len(s.member))
	return s
}
