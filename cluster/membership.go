package cluster

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"go.etcd.io/raft/v3/raftpb"
)

// memberMeta is what the cluster replicates about a member besides its raft
// ID: the addresses clients and peers use to reach it. It travels in the
// context of the ConfChange that adds the member, so every node learns it
// from the log, and it is saved in snapshots.
type memberMeta struct {
	ID       uint64 `json:"id"`
	RaftAddr string `json:"raft"`
	APIAddr  string `json:"api,omitempty"`
	RESPAddr string `json:"resp,omitempty"`
	// KeepLearner: the operator made it a learner (or asked for it to
	// stay one), so the leader does not promote it when it catches up.
	KeepLearner bool `json:"keep_learner,omitempty"`
	// Invited: added by address (AddMemberAt) before any node ran as it.
	// The first joiner at that address takes it over, and ClaimedBy is
	// the ID that joiner asked for, so that it gets the same answer if it
	// asks again and any other joiner is refused.
	Invited   bool   `json:"invited,omitempty"`
	ClaimedBy uint64 `json:"claimed_by,omitempty"`
}

// A ConfChange context is the proposer's request ID (origin node and
// sequence, so the proposer can find its waiter) followed by the JSON of the
// member's addresses (empty for removals).
func encodeConfContext(origin, seq uint64, m *memberMeta) []byte {
	b := make([]byte, 16, 128)
	binary.BigEndian.PutUint64(b, origin)
	binary.BigEndian.PutUint64(b[8:], seq)
	if m != nil {
		j, _ := json.Marshal(m) // a struct of strings and ints cannot fail to encode
		b = append(b, j...)
	}
	return b
}

func decodeConfContext(b []byte) (origin, seq uint64, m *memberMeta, err error) {
	if len(b) < 16 {
		return 0, 0, nil, errors.New("conf change context too short")
	}
	origin, seq = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	if len(b) > 16 {
		m = new(memberMeta)
		if err := json.Unmarshal(b[16:], m); err != nil {
			return origin, seq, nil, fmt.Errorf("decode member: %w", err)
		}
	}
	return origin, seq, m, nil
}

// membership is the replicated member list. The apply loop writes it, in log
// order; front doors read it concurrently, hence the lock.
type membership struct {
	mu       sync.RWMutex
	members  map[uint64]memberMeta
	removed  map[uint64]bool
	voters   []uint64
	learners []uint64
	// recent are the last recentChanges changes applied, oldest first:
	// a proposer that cannot tell whether raft dropped its change
	// proposes it again (see Node.changeMembership), and the copy that
	// lands second is then recognised and applied as a no-op.
	recent []confKey
	// changed is closed and replaced whenever a membership change entry
	// is applied, valid or not: a proposer waiting on its own change
	// learns that the change raft may have refused it for is done.
	changed chan struct{}
}

// A confKey names a proposed membership change: its proposer and that
// node's sequence number for it (see encodeConfContext).
type confKey struct {
	Origin uint64 `json:"origin"`
	Seq    uint64 `json:"seq"`
}

// recentChanges bounds membership.recent. A copy of a change proposed
// again arrives within moments of the first, while its proposer still
// waits (one change at a time per node), long before this many other
// changes could be applied.
const recentChanges = 64

func newMembership() *membership {
	return &membership{members: make(map[uint64]memberMeta), removed: make(map[uint64]bool), changed: make(chan struct{})}
}

// seen reports whether the change k was applied already.
func (ms *membership) seen(k confKey) bool {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return k.Seq != 0 && slices.Contains(ms.recent, k)
}

// changedChan returns a channel closed when the next membership change
// entry is applied.
func (ms *membership) changedChan() <-chan struct{} {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return ms.changed
}

// entryApplied wakes the waiters of changedChan.
func (ms *membership) entryApplied() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	close(ms.changed)
	ms.changed = make(chan struct{})
}

// restore replaces the membership with the one saved in a snapshot header.
func (ms *membership) restore(h snapHeader) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.members = make(map[uint64]memberMeta, len(h.Members))
	for _, m := range h.Members {
		ms.members[m.ID] = m
	}
	ms.removed = make(map[uint64]bool, len(h.Removed))
	for _, id := range h.Removed {
		ms.removed[id] = true
	}
	ms.voters, ms.learners = slices.Clone(h.Voters), slices.Clone(h.Learners)
	ms.recent = slices.Clone(h.Recent)
}

// header returns the membership as a snapshot header records it, sorted so
// the same state always gives the same bytes.
func (ms *membership) header(term, index uint64) snapHeader {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	h := snapHeader{Term: term, Index: index, Voters: slices.Clone(ms.voters), Learners: slices.Clone(ms.learners),
		Recent: slices.Clone(ms.recent)}
	for _, m := range ms.members {
		h.Members = append(h.Members, m)
	}
	slices.SortFunc(h.Members, func(a, b memberMeta) int { return cmpUint(a.ID, b.ID) })
	for id := range ms.removed {
		h.Removed = append(h.Removed, id)
	}
	slices.Sort(h.Removed)
	return h
}

// apply records a committed conf change, proposed as k, and the
// configuration raft computed for it.
func (ms *membership) apply(k confKey, cc *raftpb.ConfChange, m *memberMeta, cs *raftpb.ConfState) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if k.Seq != 0 {
		if len(ms.recent) == recentChanges {
			ms.recent = slices.Delete(ms.recent, 0, 1)
		}
		ms.recent = append(ms.recent, k)
	}
	id := cc.GetNodeId()
	switch cc.GetType() {
	case raftpb.ConfChangeAddNode, raftpb.ConfChangeAddLearnerNode, raftpb.ConfChangeUpdateNode:
		if m != nil && !ms.removed[id] {
			m.ID = id
			ms.members[id] = *m
		}
	case raftpb.ConfChangeRemoveNode:
		delete(ms.members, id)
		ms.removed[id] = true
	}
	ms.voters, ms.learners = slices.Clone(cs.GetVoters()), slices.Clone(cs.GetLearners())
}

// check says why the committed change cc must not be applied to the
// membership as it is, or returns nil. It depends only on the membership,
// which every node derives from the same log, so every node decides alike.
func (ms *membership) check(cc *raftpb.ConfChange) error {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	id := cc.GetNodeId()
	switch cc.GetType() {
	case raftpb.ConfChangeAddNode, raftpb.ConfChangeAddLearnerNode:
		if ms.removed[id] {
			return fmt.Errorf("%w: %s was removed", ErrIDTaken, FormatID(id))
		}
		m, known := ms.members[id]
		if !known && len(cc.GetContext()) <= 16 {
			// A change without addresses can only be about a member
			// already known: anything else would be a phantom that
			// counts toward quorum and that nobody can reach.
			return fmt.Errorf("%w: %s", ErrUnknownMember, FormatID(id))
		}
		voter := slices.Contains(ms.voters, id)
		if cc.GetType() == raftpb.ConfChangeAddLearnerNode && voter && len(ms.voters) == 1 {
			// Demoting the last voter: raft panics on a configuration
			// without voters.
			return fmt.Errorf("%w: %s", ErrLastVoter, FormatID(id))
		}
		if cc.GetType() == raftpb.ConfChangeAddNode && known && len(cc.GetContext()) <= 16 && !voter && m.KeepLearner {
			// The leader's automatic promotion carries no addresses; an
			// operator's demotion that committed after the leader decided
			// to promote wins.
			return fmt.Errorf("%w: %s is kept a learner", ErrNotVoter, FormatID(id))
		}
	case raftpb.ConfChangeUpdateNode:
		// Only a joiner's claim of an invited member updates one.
		m, known := ms.members[id]
		if !known {
			return fmt.Errorf("%w: %s", ErrUnknownMember, FormatID(id))
		}
		_, _, upd, err := decodeConfContext(cc.GetContext())
		if err != nil || upd == nil {
			return fmt.Errorf("update of %s without addresses", FormatID(id))
		}
		if m.ClaimedBy != 0 && upd.ClaimedBy != m.ClaimedBy {
			return fmt.Errorf("%w: %s was taken by another joiner", ErrIDTaken, FormatID(id))
		}
	case raftpb.ConfChangeRemoveNode:
		voter := slices.Contains(ms.voters, id)
		if voter && len(ms.voters) == 1 {
			return fmt.Errorf("%w: %s", ErrLastVoter, FormatID(id))
		}
		if !voter && !slices.Contains(ms.learners, id) {
			return fmt.Errorf("%w: %s", ErrUnknownMember, FormatID(id))
		}
	}
	return nil
}

func (ms *membership) confState() *raftpb.ConfState {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return &raftpb.ConfState{Voters: slices.Clone(ms.voters), Learners: slices.Clone(ms.learners)}
}

func (ms *membership) get(id uint64) (memberMeta, bool) {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	m, ok := ms.members[id]
	return m, ok
}

func (ms *membership) isRemoved(id uint64) bool {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return ms.removed[id]
}

func (ms *membership) isVoter(id uint64) bool {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return slices.Contains(ms.voters, id)
}

func (ms *membership) numVoters() int {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return len(ms.voters)
}

// byRaftAddr finds the member that peers reach at addr.
func (ms *membership) byRaftAddr(addr string) (memberMeta, bool) {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	for _, m := range ms.members {
		if m.RaftAddr == addr {
			return m, true
		}
	}
	return memberMeta{}, false
}

// list returns the members sorted by ID, with whether each is a voter.
func (ms *membership) list() ([]memberMeta, map[uint64]bool) {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	out := make([]memberMeta, 0, len(ms.members))
	for _, m := range ms.members {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b memberMeta) int { return cmpUint(a.ID, b.ID) })
	voter := make(map[uint64]bool, len(ms.voters))
	for _, id := range ms.voters {
		voter[id] = true
	}
	return out, voter
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
