package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/raftcache/raftcache/cluster/transport"
)

// Replicate proposes cmd through raft, waits until this node has applied
// it, and returns what the state machine's Apply returned for it.
//
// An error wrapping ErrNoLeader or ErrProposalDropped means the command was
// not applied and will not be; one wrapping ErrOutcomeUnknown means it may
// or may not be (the context ended, leadership changed, or the node stopped
// while it was in flight).
func (n *Node) Replicate(ctx context.Context, cmd []byte) (any, error) {
	val, _, err := n.ReplicateIndex(ctx, cmd)
	return val, err
}

// ReplicateIndex is Replicate that also returns the log index of the entry
// that carried cmd, so that a caller can later ask which members have it
// (Members' Match), as Redis's WAIT does.
func (n *Node) ReplicateIndex(ctx context.Context, cmd []byte) (val any, index uint64, err error) {
	seq := n.seq.Add(1)
	data := make([]byte, entryHeader+len(cmd))
	binary.BigEndian.PutUint64(data, n.id)
	binary.BigEndian.PutUint64(data[8:], seq)
	copy(data[entryHeader:], cmd)
	w := n.waiters.register(seq, n.leaderEpoch.Load())
	if err := n.propose(ctx, func(ctx context.Context) error { return n.raft.Propose(ctx, data) }); err != nil {
		n.waiters.cancel(seq)
		return nil, 0, err
	}
	r, err := n.wait(ctx, seq, w)
	return r.val, r.index, err
}

// propose hands a proposal to raft. Raft drops a proposal outright when no
// leader is known (an election is under way) or a leadership transfer is in
// progress; a dropped proposal was never appended anywhere, so it is safe
// to retry until about two election timeouts have passed.
func (n *Node) propose(ctx context.Context, step func(context.Context) error) error {
	giveUp := time.Now().Add(2 * n.cfg.electionTimeout())
	for {
		// Raft does not drop a proposal made while no leader is known: it
		// blocks until one is elected or ctx ends, and an error from ctx
		// could then not tell "never proposed" from "proposed". Not
		// proposing until a leader is known keeps that error definite.
		err := raft.ErrProposalDropped
		if n.lead.Load() != raft.None {
			err = step(ctx)
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, raft.ErrProposalDropped):
			if time.Now().After(giveUp) {
				if n.lead.Load() == raft.None {
					return fmt.Errorf("%w: no leader elected within %v", ErrNoLeader, 2*n.cfg.electionTimeout())
				}
				return ErrProposalDropped
			}
		case errors.Is(err, raft.ErrStopped):
			return ErrStopped
		default:
			// Propose returns the context's error when it ended while raft
			// was taking the proposal: raft may have appended it.
			return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		case <-n.stopc:
			return ErrStopped
		}
	}
}

func (n *Node) wait(ctx context.Context, seq uint64, w *waiter) (result, error) {
	select {
	case r := <-w.ch:
		return r, r.err
	case <-ctx.Done():
		n.waiters.cancel(seq)
		return result{}, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
	case <-n.done:
		return result{}, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ErrStopped)
	}
}

// LinearizableRead returns once this node's state machine reflects every
// write acknowledged before the call began, by raft's ReadIndex: the leader
// confirms it still leads with a quorum heartbeat round, and this node waits
// until it has applied up to the leader's commit index. Concurrent callers
// share one round.
func (n *Node) LinearizableRead(ctx context.Context) error {
	n.readMu.Lock()
	r := n.readNext
	n.readMu.Unlock()
	select {
	case n.readwaitc <- struct{}{}:
	default: // a round is already requested and will include this caller
	}
	select {
	case <-r.c:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("linearizable read: %w", ctx.Err())
	case <-n.done:
		return ErrStopped
	}
}

func (n *Node) readLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.readwaitc:
		case <-n.stopc:
			n.readMu.Lock()
			r := n.readNext
			n.readMu.Unlock()
			r.err = ErrStopped
			close(r.c)
			return
		}
		// Callers that arrive from here on wait for the next round: this
		// round's ReadIndex may already be in flight when they arrive.
		n.readMu.Lock()
		r := n.readNext
		n.readNext = newReadRound()
		n.readMu.Unlock()
		r.err = n.readBarrier()
		close(r.c)
	}
}

// readContext returns the context of a new ReadIndex request. The leader
// knows pending requests by context alone, whoever sent them, and answers
// by node ID: a context must never repeat across members (the leader would
// ignore the second request) nor across restarts of one member (an answer
// to the previous incarnation, still queued for this ID, would satisfy a
// newer request with an older index: a stale read). Hence this node's ID
// and a sequence that starts at the boot time.
func (n *Node) readContext() []byte {
	rctx := make([]byte, 16)
	binary.BigEndian.PutUint64(rctx, n.id)
	binary.BigEndian.PutUint64(rctx[8:], n.readSeq.Add(1))
	return rctx
}

// readBarrier runs one ReadIndex round and waits for the apply loop to
// reach the index it returns.
func (n *Node) readBarrier() error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ReadTimeout)
	defer cancel()
	rctx := n.readContext()
	// Raft drops a ReadIndex silently when there is no leader, so resend it
	// until an answer comes or the round times out.
	resend := time.NewTicker(max(n.cfg.TickInterval*2, 50*time.Millisecond))
	defer resend.Stop()
	var index uint64
	for sent := false; ; {
		if !sent {
			if err := n.raft.ReadIndex(ctx, rctx); err != nil {
				if errors.Is(err, raft.ErrStopped) {
					return ErrStopped
				}
				return n.readTimeout(err)
			}
			sent = true
		}
		select {
		case rs := <-n.readStatec:
			if string(rs.RequestCtx) != string(rctx) {
				continue // an answer to an earlier round that timed out
			}
			index = rs.Index
		case <-resend.C:
			if n.lead.Load() == raft.None && time.Since(start) > 2*n.cfg.electionTimeout() {
				return fmt.Errorf("%w: no leader elected within %v", ErrNoLeader, 2*n.cfg.electionTimeout())
			}
			sent = false
			continue
		case <-ctx.Done():
			return n.readTimeout(ctx.Err())
		case <-n.stopc:
			return ErrStopped
		}
		break
	}
	if err := n.waitApplied(ctx, index); err != nil {
		return n.readTimeout(err)
	}
	return nil
}

func (n *Node) readTimeout(err error) error {
	if n.lead.Load() == raft.None {
		return fmt.Errorf("%w: read index: %w", ErrNoLeader, err)
	}
	return fmt.Errorf("%w: read index not confirmed by a quorum: %w", ErrNoLeader, err)
}

// IsLeader reports whether this node is the raft leader right now. It is a
// hint (leadership can move at any moment), for work that only the leader
// should start, such as proposing the deletion of expired keys.
func (n *Node) IsLeader() bool {
	return raft.StateType(n.state.Load()) == raft.StateLeader
}

// Status returns this node's view of the raft state.
func (n *Node) Status() Status {
	lead := n.lead.Load()
	role := RoleFollower
	switch {
	case lead == n.id:
		role = RoleLeader
	case !n.members.isVoter(n.id):
		role = RoleLearner
	}
	list, _ := n.members.list()
	return Status{
		ID:      n.id,
		Role:    role,
		Term:    n.term.Load(),
		Leader:  lead,
		Commit:  n.commit.Load(),
		Applied: n.applied.Load(),
		Members: len(list),
	}
}

// Members lists the cluster's members. Match index and reachability are the
// leader's view; a follower asks the leader, and shows its own view of
// reachability (and no match index) when the leader cannot be asked.
func (n *Node) Members(ctx context.Context) ([]Member, error) {
	list, voter := n.members.list()
	lead := n.lead.Load()
	prog, err := n.progress()
	if err != nil && lead != raft.None {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		prog, err = n.tr.Progress(ctx, lead)
		cancel()
	}
	if err != nil {
		n.log.Debug("member progress unavailable; showing local view", "err", err)
	}
	out := make([]Member, 0, len(list))
	for _, m := range list {
		mem := Member{ID: m.ID, RaftAddr: m.RaftAddr, APIAddr: m.APIAddr, RESPAddr: m.RESPAddr, Voter: voter[m.ID]}
		switch {
		case m.ID == lead:
			mem.Role = RoleLeader
		case !mem.Voter:
			mem.Role = RoleLearner
		default:
			mem.Role = RoleFollower
		}
		if err == nil {
			mem.Match, mem.Reachable = prog.Match[m.ID], prog.Reachable[m.ID]
		} else {
			mem.Reachable = m.ID == n.id || n.tr.Reachable(m.ID)
		}
		out = append(out, mem)
	}
	return out, nil
}

// progress is the leader's view of every member's replication.
func (n *Node) progress() (transport.ProgressResponse, error) {
	if n.lead.Load() != n.id {
		return transport.ProgressResponse{}, errors.New("not the leader")
	}
	st := n.raft.Status()
	if st.RaftState != raft.StateLeader {
		return transport.ProgressResponse{}, errors.New("not the leader")
	}
	p := transport.ProgressResponse{Leader: n.id, Match: make(map[uint64]uint64), Reachable: make(map[uint64]bool)}
	for id, pr := range st.Progress {
		p.Match[id] = pr.Match
		p.Reachable[id] = id == n.id || n.tr.Reachable(id)
	}
	return p, nil
}

// RemoveMember removes a member from the cluster and returns once the
// removal is applied here. The removed node shuts itself down.
func (n *Node) RemoveMember(ctx context.Context, id uint64) error {
	// Validate against a membership that includes every change already
	// acknowledged anywhere, not one this node may not have applied yet.
	if err := n.LinearizableRead(ctx); err != nil {
		return err
	}
	if _, ok := n.members.get(id); !ok {
		return fmt.Errorf("%w: %s", ErrUnknownMember, FormatID(id))
	}
	if n.members.isVoter(id) && n.members.numVoters() == 1 {
		return fmt.Errorf("%w: %s", ErrLastVoter, FormatID(id))
	}
	// A leader that removes itself stops leading once the removal commits,
	// before the followers learn that it did: their callers would hear
	// "outcome unknown" and the cluster would wait an election timeout.
	// Handing leadership over first avoids both.
	if id == n.lead.Load() {
		if err := n.TransferLeadership(ctx, n.transfereeOtherThan(id)); err != nil {
			return fmt.Errorf("move leadership before removing the leader: %w", err)
		}
	}
	err := n.changeMembership(ctx, raftpb.ConfChangeRemoveNode, id, nil)
	if id == n.id && errors.Is(err, ErrOutcomeUnknown) {
		// A follower removing itself often never hears that its removal
		// committed: the leader stops talking to it once it applies it.
		// Its peers then refuse it as removed, which stops this node.
		select {
		case <-n.done:
			if errors.Is(n.stopErr, ErrRemoved) {
				return nil
			}
		case <-ctx.Done():
		}
	}
	return err
}

// transfereeOtherThan picks the voter to lead instead of id: this node if
// it can, else the first other voter.
func (n *Node) transfereeOtherThan(id uint64) uint64 {
	if id != n.id && n.members.isVoter(n.id) {
		return n.id
	}
	for _, v := range n.members.confState().GetVoters() {
		if v != id {
			return v
		}
	}
	return raft.None
}

// AddMember adds a voting member reachable at the given addresses and
// returns its new ID once the change is applied here.
func (n *Node) AddMember(ctx context.Context, raftAddr, apiAddr, respAddr string) (uint64, error) {
	return n.addMember(ctx, 0, raftAddr, apiAddr, respAddr)
}

// addMember is AddMember with the ID the joiner chose (0: pick one). A
// joiner that asks again with the same ID and address gets the same
// answer: its first answer was lost, or it crashed before it could make
// its identity durable. Either way it never ran as that member (a node
// with a WAL restarts rather than joins), so no state of the member is
// lost by handing it the same ID.
func (n *Node) addMember(ctx context.Context, id uint64, raftAddr, apiAddr, respAddr string) (uint64, error) {
	if raftAddr == "" {
		return 0, errors.New("raftcache: a member needs a raft address")
	}
	if err := n.LinearizableRead(ctx); err != nil {
		return 0, err
	}
	if m, ok := n.members.byRaftAddr(raftAddr); ok {
		if id != 0 && m.ID == id {
			return id, nil
		}
		return 0, fmt.Errorf("raft address %s is already member %s; remove it first", raftAddr, FormatID(m.ID))
	}
	switch _, taken := n.members.get(id); {
	case id == 0:
		id = randomID()
		for _, taken := n.members.get(id); taken || n.members.isRemoved(id); _, taken = n.members.get(id) {
			id = randomID()
		}
	case taken || n.members.isRemoved(id):
		return 0, fmt.Errorf("%w: %s is, or was, another member's ID", ErrIDTaken, FormatID(id))
	}
	meta := &memberMeta{ID: id, RaftAddr: raftAddr, APIAddr: apiAddr, RESPAddr: respAddr}
	if err := n.changeMembership(ctx, raftpb.ConfChangeAddNode, id, meta); err != nil {
		return 0, err
	}
	return id, nil
}

func (n *Node) changeMembership(ctx context.Context, typ raftpb.ConfChangeType, id uint64, meta *memberMeta) error {
	// Raft refuses (turns into a no-op) a change proposed while another is
	// pending; proposing one at a time from here avoids refusing our own.
	n.confMu.Lock()
	defer n.confMu.Unlock()
	seq := n.seq.Add(1)
	cc := &raftpb.ConfChange{Type: &typ, NodeId: &id, Context: encodeConfContext(n.id, seq, meta)}
	w := n.waiters.register(seq, n.leaderEpoch.Load())
	if err := n.propose(ctx, func(ctx context.Context) error { return n.raft.ProposeConfChange(ctx, cc) }); err != nil {
		n.waiters.cancel(seq)
		return err
	}
	_, err := n.wait(ctx, seq, w)
	return err
}

// TransferLeadership asks the leader to hand leadership to the member
// transferee and waits until this node sees that member lead. It fails with
// ErrUnknownMember or ErrNotVoter when transferee cannot lead, and wraps
// ErrNoLeader when ctx ends while no leader is known. A transfer that ctx
// cut short may still complete.
func (n *Node) TransferLeadership(ctx context.Context, transferee uint64) error {
	if _, ok := n.members.get(transferee); !ok {
		return fmt.Errorf("%w: %s", ErrUnknownMember, FormatID(transferee))
	}
	if !n.members.isVoter(transferee) {
		return fmt.Errorf("%w: %s", ErrNotVoter, FormatID(transferee))
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n.lead.Load() != transferee {
		if lead := n.lead.Load(); lead != raft.None {
			n.raft.TransferLeadership(ctx, lead, transferee)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			if n.lead.Load() == raft.None {
				return fmt.Errorf("transfer leadership to %s: %w: %w", FormatID(transferee), ErrNoLeader, ctx.Err())
			}
			return fmt.Errorf("transfer leadership to %s: %w", FormatID(transferee), ctx.Err())
		case <-n.stopc:
			return ErrStopped
		}
	}
	return nil
}
