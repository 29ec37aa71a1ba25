package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/raftcache/raftcache/cluster/transport"
)

// Replicate proposes cmd through raft, waits until this node has applied
// it, and returns what the state machine's Apply returned for it.
//
// An error wrapping ErrNoLeader, ErrProposalDropped or ErrCannotPersist
// (this node cannot write snapshots, see persistHealth) means the command
// was not applied and will not be; one wrapping ErrOutcomeUnknown means it may
// or may not be (the context ended, or no leader was known for two election
// timeouts, or the node stopped, while it was in flight: a leader change
// alone is waited out, see proposeAndWait).
func (n *Node) Replicate(ctx context.Context, cmd []byte) (any, error) {
	val, _, err := n.ReplicateIndex(ctx, cmd)
	return val, err
}

// ReplicateIndex is Replicate that also returns the log index of the entry
// that carried cmd, so that a caller can later ask which members have it
// (Members' Match), as Redis's WAIT does.
func (n *Node) ReplicateIndex(ctx context.Context, cmd []byte) (val any, index uint64, err error) {
	ws := []Write{{Cmd: cmd}}
	n.ReplicateBatch(ctx, ws)
	return ws[0].Val, ws[0].Index, ws[0].Err
}

// ReplicateBatch proposes the commands of ws as consecutive entries of one
// raft proposal, waits until this node has applied each, and sets each
// Write's outcome, with Replicate's meaning. Raft takes or drops the
// proposal as a whole, but once taken every command has its own outcome.
// The proposal may share a raft message, an append and an fsync with other
// callers' proposals.
func (n *Node) ReplicateBatch(ctx context.Context, ws []Write) {
	if len(ws) == 0 {
		return
	}
	if err := n.persist.check(); err != nil {
		for i := range ws {
			ws[i].Val, ws[i].Index, ws[i].Err = nil, 0, err
		}
		n.obs.ProposalsDone(0, len(ws))
		return
	}
	b := n.waiters.get()
	defer n.waiters.put(b)
	b.ws, b.epoch, b.byTerm = ws, n.leaderEpoch.Load(), true
	b.first = n.seq.Add(uint64(len(ws))) - uint64(len(ws)) + 1
	for i := range ws {
		ws[i].Val, ws[i].Index, ws[i].Err = nil, 0, nil
	}
	n.buildProposal(b, nil)
	n.proposeAndWait(ctx, b, func(ctx context.Context) error { return n.raft.propose(ctx, &b.prop) })
	failed := 0
	for i := range ws {
		if ws[i].Err != nil {
			failed++
		}
	}
	n.obs.ProposalsDone(len(ws)-failed, failed)
}

// buildProposal makes b's proposal: an entry for each command of b.ws, or
// for those at positions idx if not nil, under their sequence numbers.
// The raft loop writes the term in each entry's header when it steps them.
func (n *Node) buildProposal(b *batch, idx []int) {
	if idx == nil {
		idx = make([]int, len(b.ws))
		for i := range idx {
			idx[i] = i
		}
	}
	size := 0
	for _, i := range idx {
		size += entryHeader + len(b.ws[i].Cmd)
	}
	// One allocation for all the commands' data, two for the entries and
	// the pointers to them, whatever the batch's size. Raft copies entries
	// on append, but a follower forwards the proposal as it is: nothing
	// here is reused (see waiters.put), not even for a proposal made again.
	data := make([]byte, size)
	ents := make([]raftpb.Entry, len(idx))
	b.prop.ents = make([]*raftpb.Entry, len(idx))
	b.prop.size = size
	b.prop.term.Store(0)
	for k, i := range idx {
		cmd := b.ws[i].Cmd
		d := data[: entryHeader+len(cmd) : entryHeader+len(cmd)]
		data = data[len(d):]
		binary.BigEndian.PutUint64(d, n.id)
		binary.BigEndian.PutUint64(d[8:], (b.first+uint64(i))|stampedHeader)
		copy(d[entryHeader:], cmd)
		ents[k].Data = d
		b.prop.ents[k] = &ents[k]
	}
}

// proposeAndWait registers b's waiters, proposes with step, and waits
// until every command of b has its outcome.
//
// A leader change need not leave normal proposals in doubt. Each was
// stepped in a known term, and takes effect only as an entry of that term
// (see entryHeader); once this node has applied an entry of a later term,
// those of b's commands that were applied have their results, and the
// others never will. Those are proposed again, in the new term, until the
// context ends: a leadership transfer, or a failover that leaves this node
// in touch with the new leader, costs the caller a delay but no error. The
// outcome stays unknown only when the context ends first, or when no
// leader is known for two election timeouts (the proposer cut off from the
// new leader, or no quorum), when a proposal not yet made would fail with
// ErrNoLeader too.
func (n *Node) proposeAndWait(ctx context.Context, b *batch, step func(context.Context) error) {
	n.waiters.register(b)
	if err := n.propose(ctx, step); err != nil {
		n.waiters.cancel(b, err)
		return
	}
	var noLeader <-chan time.Time
	for {
		termc, leadLost := n.appliedTermChan()
		if noLeader == nil && n.lead.Load() == raft.None {
			t := time.NewTimer(2 * n.cfg.electionTimeout())
			defer t.Stop()
			noLeader = t.C
		}
		if t := b.prop.term.Load(); b.byTerm && t != 0 && n.appliedTerm.Load() > t {
			if again := n.waiters.waiting(b); len(again) > 0 {
				if ctx.Err() != nil {
					for _, i := range again {
						b.ws[i].Err = fmt.Errorf("%w: not applied before the deadline: %w", ErrProposalDropped, ctx.Err())
					}
					return
				}
				n.log.Debug("proposing again after a leader change", "commands", len(again), "term", t)
				n.buildProposal(b, again)
				n.waiters.registerSome(b, again)
				if err := n.propose(ctx, step); err != nil {
					n.waiters.cancel(b, err)
					return
				}
				continue
			}
		}
		select {
		case <-b.done:
			return
		case <-termc:
		case <-leadLost:
		case <-noLeader:
			if n.lead.Load() == raft.None {
				n.waiters.cancel(b, fmt.Errorf("%w: no leader known for %v", ErrOutcomeUnknown, 2*n.cfg.electionTimeout()))
				return
			}
			noLeader = nil // a leader is back: wait for it
		case <-ctx.Done():
			n.waiters.cancel(b, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err()))
			return
		case <-n.done:
			n.waiters.cancel(b, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ErrStopped))
			return
		}
	}
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
		case errors.Is(err, raft.ErrStopped), errors.Is(err, ErrStopped):
			return ErrStopped
		case errors.Is(err, errNotTaken):
			return fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
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

// LinearizableRead returns once this node's state machine reflects every
// write acknowledged before the call began, by raft's ReadIndex: the leader
// confirms it still leads with a quorum heartbeat round, and this node waits
// until it has applied up to the leader's commit index. Concurrent callers
// share one round.
func (n *Node) LinearizableRead(ctx context.Context) error {
	return n.WaitRead(ctx, n.StartRead())
}

// A ReadTicket is a ReadIndex round asked for by StartRead.
type ReadTicket struct{ r *readRound }

// StartRead asks for a ReadIndex round that starts after this call, so that
// a caller can do other work (propose writes, say) while it runs. WaitRead
// waits for its end: from then on the state machine reflects every write
// acknowledged before StartRead was called. Callers of StartRead that
// arrive close together share a round.
func (n *Node) StartRead() ReadTicket {
	n.readMu.Lock()
	r := n.readNext
	n.readMu.Unlock()
	select {
	case n.readwaitc <- struct{}{}:
	default: // a round is already requested and will include this caller
	}
	return ReadTicket{r}
}

// WaitRead waits for the round of t; see StartRead and LinearizableRead.
func (n *Node) WaitRead(ctx context.Context, t ReadTicket) error {
	select {
	case <-t.r.c:
		return t.r.err
	case <-ctx.Done():
		return fmt.Errorf("linearizable read: %w", ctx.Err())
	case <-n.done:
		return ErrStopped
	}
}

// maxReadRounds bounds the ReadIndex rounds waiting for their answer. A
// second round lets a read that arrives while a round is on its way wait
// for about one round trip, rather than for the end of that round and then
// a whole round of its own. More would only add rounds, each a heartbeat
// to every follower, without shortening reads.
const maxReadRounds = 2

// readLoop runs the ReadIndex rounds. A round starts when a caller asks for
// one and no round is waiting for its answer, or when the one waiting has
// been on its way for half the usual time a round takes: rounds overlap,
// staggered, so that each still gathers many callers. Each round is done
// once raft answered it and this node has applied up to the index in the
// answer.
func (n *Node) readLoop() {
	defer n.wg.Done()
	var (
		inflight []*readRound // in the order started
		wanted   bool         // callers wait for a round not started yet
		rtt      time.Duration
	)
	resendEvery := max(n.cfg.TickInterval*2, 50*time.Millisecond)
	resend := time.NewTicker(resendEvery)
	defer resend.Stop()
	stagger := time.NewTimer(time.Hour)
	stagger.Stop()
	for {
		// Rounds complete in order: raft answers them in order, and an
		// earlier round's index is never above a later one's. The channel
		// is taken before applied is read, so no advance goes unnoticed.
		appliedc := n.appliedChan()
		applied := n.applied.Load()
		done := 0
		for _, r := range inflight {
			if !r.answered || r.index > applied {
				break
			}
			r.finish(nil)
			done++
		}
		if done > 0 {
			// Let the readers just woken run, and ask for their next
			// read, before the next round starts: a round is quick on an
			// idle cluster, and this loop would otherwise start one per
			// reader as each is scheduled in turn.
			runtime.Gosched()
		}
		inflight = append(inflight[:0], inflight[done:]...)
		if len(inflight) == 0 || !inflight[0].answered {
			appliedc = nil
		}
		var staggerc <-chan time.Time
		if wanted {
			unanswered, newest := 0, time.Duration(0)
			for _, r := range inflight {
				if !r.answered {
					unanswered++
					newest = time.Since(r.start)
				}
			}
			switch {
			case unanswered == 0 || (unanswered < maxReadRounds && newest >= rtt/2):
				wanted = false
				if r := n.startRead(); r != nil {
					inflight = append(inflight, r)
				}
			case unanswered < maxReadRounds:
				stagger.Reset(rtt/2 - newest)
				staggerc = stagger.C
			}
		}
		select {
		case <-n.readwaitc:
			wanted = true
		case <-staggerc:
		case rs := <-n.readStatec:
			for _, r := range inflight {
				if !r.answered && string(r.rctx) == string(rs.RequestCtx) {
					r.index, r.answered = rs.Index, true
					if took := time.Since(r.start); rtt == 0 {
						rtt = took
					} else {
						rtt += (took - rtt) / 8
					}
					break
				}
			}
			// Otherwise an answer to a round that has already failed,
			// or to catchUp.
			n.noteCatchUp(rs)
		case <-appliedc:
		case now := <-resend.C:
			inflight = n.expireReads(inflight, now, resendEvery)
		case <-n.stopc:
			n.readMu.Lock()
			inflight = append(inflight, n.readNext)
			n.readMu.Unlock()
			for _, r := range inflight {
				r.finish(ErrStopped)
			}
			return
		}
		stagger.Stop()
	}
}

// startRead starts the round the callers of StartRead are waiting for; it
// returns nil if it failed at once.
func (n *Node) startRead() *readRound {
	// Callers that arrive from here on wait for the next round: this
	// round's request may already be on its way when they arrive.
	n.readMu.Lock()
	r := n.readNext
	n.readNext = newReadRound()
	n.readMu.Unlock()
	r.rctx = n.readContext()
	now := time.Now()
	r.start, r.sent = now, now
	if err := n.raft.readIndex(r.rctx); err != nil {
		r.finish(err)
		return nil
	}
	return r
}

// expireReads fails the rounds that ran out of time and asks raft again
// for those still unanswered: raft drops a ReadIndex silently when there
// is no leader.
func (n *Node) expireReads(inflight []*readRound, now time.Time, resendEvery time.Duration) []*readRound {
	keep := inflight[:0]
	for _, r := range inflight {
		age := now.Sub(r.start)
		switch {
		case age > n.cfg.ReadTimeout:
			r.finish(n.readTimeout(context.DeadlineExceeded))
			continue
		case !r.answered && n.lead.Load() == raft.None && age > 2*n.cfg.electionTimeout():
			r.finish(fmt.Errorf("%w: no leader elected within %v", ErrNoLeader, 2*n.cfg.electionTimeout()))
			continue
		case !r.answered && now.Sub(r.sent) >= resendEvery:
			if err := n.raft.readIndex(r.rctx); err != nil {
				r.finish(err)
				continue
			}
			r.sent = now
		}
		keep = append(keep, r)
	}
	clear(inflight[len(keep):])
	return keep
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
	st := Status{
		ID:      n.id,
		Role:    role,
		Term:    n.term.Load(),
		Leader:  lead,
		Commit:  n.commit.Load(),
		Applied: n.applied.Load(),
		Members: len(list),

		SnapshotIndex:     n.snapIndex.Load(),
		Snapshotting:      n.snapping.Load(),
		Snapshots:         n.snapStats.count.Load(),
		LastSnapshotTook:  time.Duration(n.snapStats.took.Load()),
		LastSnapshotError: n.snapStats.failed.Load(),
	}
	if at := n.snapStats.at.Load(); at != 0 {
		st.LastSnapshotAt = time.Unix(0, at)
	}
	return st
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
		mem := Member{ID: m.ID, RaftAddr: m.RaftAddr, APIAddr: m.APIAddr, RESPAddr: m.RESPAddr, Voter: voter[m.ID], KeepLearner: m.KeepLearner && !voter[m.ID],
			AwaitingJoin: m.Invited && m.ClaimedBy == 0}
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
//
// Unless forced, a removal that would leave the active voters unable to
// form a quorum is refused with ErrWouldLoseQuorum (see judgeChange); the
// last voter is never removed (ErrLastVoter).
func (n *Node) RemoveMember(ctx context.Context, id uint64, opts ...ChangeOption) error {
	o := Options(opts...)
	// Validated under confMu, so that this node's concurrent changes are
	// checked one after the other, each against the membership the one
	// before left; changes proposed on other members meanwhile are
	// checked again where they are applied (see membership.check).
	n.confMu.Lock()
	defer n.confMu.Unlock()
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
	if !o.Force {
		if err := n.judge(ctx, dropVoter, id); err != nil {
			return err
		}
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

// SetLearner demotes member id to a learner (learner true), which the
// leader then keeps a learner, or promotes it to a voter, and returns once
// the change is applied here. Demoting a learner only stops its automatic
// promotion; promoting a voter is a no-op.
//
// Unless forced, a demotion that would leave the active voters unable to
// form a quorum, or the promotion of a learner that is unreachable or has
// not caught up with the leader (90% of its log, as etcd), is refused with
// ErrWouldLoseQuorum or ErrLearnerNotReady; the last voter is never
// demoted (ErrLastVoter).
func (n *Node) SetLearner(ctx context.Context, id uint64, learner bool, opts ...ChangeOption) error {
	o := Options(opts...)
	n.confMu.Lock() // see RemoveMember
	defer n.confMu.Unlock()
	if err := n.LinearizableRead(ctx); err != nil {
		return err
	}
	m, ok := n.members.get(id)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownMember, FormatID(id))
	}
	voter := n.members.isVoter(id)
	if !learner && voter {
		return nil
	}
	op, typ := addVoter, raftpb.ConfChangeAddNode
	if learner {
		op, typ = dropVoter, raftpb.ConfChangeAddLearnerNode
		if voter && n.members.numVoters() == 1 {
			return fmt.Errorf("%w: %s", ErrLastVoter, FormatID(id))
		}
	}
	if !o.Force {
		if err := n.judge(ctx, op, id); err != nil {
			return err
		}
	}
	if learner && voter && id == n.lead.Load() {
		// As for a removal: a demoted leader steps down, better by
		// handing over than by an election.
		if err := n.TransferLeadership(ctx, n.transfereeOtherThan(id)); err != nil {
			return fmt.Errorf("move leadership before demoting the leader: %w", err)
		}
	}
	m.KeepLearner = learner
	return n.changeMembership(ctx, typ, id, &m)
}

// judge applies the quorum rules to a change of id's vote, with the
// leader's view of who is reachable and how far each log goes.
func (n *Node) judge(ctx context.Context, op voterChange, id uint64) error {
	prog, err := n.progress()
	if err != nil {
		lead := n.lead.Load()
		if lead == raft.None {
			return fmt.Errorf("%w: cannot judge the change's effect on quorum", ErrNoLeader)
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		prog, err = n.tr.Progress(pctx, lead)
		cancel()
		if err != nil {
			return fmt.Errorf("%w: cannot judge the change's effect on quorum: %w", ErrNoLeader, err)
		}
	}
	active := func(v uint64) bool { return v == prog.Leader || prog.Reachable[v] }
	ready := learnerReady(prog.Match[id], prog.Match[prog.Leader])
	return judgeChange(n.members.confState().GetVoters(), op, id, active, ready)
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

// AddMember adds a member reachable at the given addresses and returns its
// new ID once the change is applied here. It enters as a learner; the
// leader promotes it to a voter once it has caught up.
func (n *Node) AddMember(ctx context.Context, raftAddr, apiAddr, respAddr string) (uint64, error) {
	return n.addMember(ctx, 0, raftAddr, apiAddr, respAddr)
}

// AddMemberAt adds a member that peers reach at raftAddr, before any node
// runs there, and returns its ID once the change is applied here. The
// node later started with that (advertised) raft address and -join
// becomes that member: the join protocol hands it this ID. It is a
// learner until then, so it counts toward no quorum while it does not
// exist; with learner set it stays one (promote it with SetLearner),
// otherwise the leader promotes it once it has caught up.
func (n *Node) AddMemberAt(ctx context.Context, raftAddr string, learner bool) (uint64, error) {
	unlock, err := n.lockForAddition(ctx, raftAddr)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if m, ok := n.members.byRaftAddr(raftAddr); ok {
		return 0, addrTaken(raftAddr, m.ID)
	}
	id := n.unusedID()
	meta := &memberMeta{ID: id, RaftAddr: raftAddr, KeepLearner: learner, Invited: true}
	if err := n.changeMembership(ctx, raftpb.ConfChangeAddLearnerNode, id, meta); err != nil {
		return 0, err
	}
	return id, nil
}

// addMember is AddMember with the ID the joiner chose (0: pick one). A
// joiner that asks again with the same ID and address gets the same
// answer: its first answer was lost, or it crashed before it could make
// its identity durable. Either way it never ran as that member (a node
// with a WAL restarts rather than joins), so no state of the member is
// lost by handing it the same ID.
func (n *Node) addMember(ctx context.Context, id uint64, raftAddr, apiAddr, respAddr string) (uint64, error) {
	unlock, err := n.lockForAddition(ctx, raftAddr)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if m, ok := n.members.byRaftAddr(raftAddr); ok {
		switch {
		case id != 0 && m.ID == id:
			return id, nil
		case m.Invited && id != 0 && m.ClaimedBy == id:
			return m.ID, nil // our answer to this joiner's claim was lost
		case m.Invited && id != 0 && m.ClaimedBy == 0:
			// The member AddMemberAt made for this address: the joiner
			// becomes it, and tells us where its other doors are.
			claim := m
			claim.ClaimedBy, claim.APIAddr, claim.RESPAddr = id, apiAddr, respAddr
			if err := n.changeMembership(ctx, raftpb.ConfChangeUpdateNode, m.ID, &claim); err != nil {
				return 0, err
			}
			return m.ID, nil
		}
		return 0, addrTaken(raftAddr, m.ID)
	}
	switch _, taken := n.members.get(id); {
	case id == 0:
		id = n.unusedID()
	case taken || n.members.isRemoved(id):
		return 0, fmt.Errorf("%w: %s is, or was, another member's ID", ErrIDTaken, FormatID(id))
	}
	meta := &memberMeta{ID: id, RaftAddr: raftAddr, APIAddr: apiAddr, RESPAddr: respAddr}
	// As a learner: it counts toward no quorum until the leader sees it
	// caught up and promotes it (promoteLoop).
	if err := n.changeMembership(ctx, raftpb.ConfChangeAddLearnerNode, id, meta); err != nil {
		return 0, err
	}
	return id, nil
}

// lockForAddition checks that a member to be added at raftAddr has one,
// takes confMu (see RemoveMember) and waits until this node has applied
// every change acknowledged anywhere; unlock releases confMu.
func (n *Node) lockForAddition(ctx context.Context, raftAddr string) (unlock func(), err error) {
	if raftAddr == "" {
		return nil, errors.New("raftcache: a member needs a raft address")
	}
	n.confMu.Lock()
	if err := n.LinearizableRead(ctx); err != nil {
		n.confMu.Unlock()
		return nil, err
	}
	return n.confMu.Unlock, nil
}

// unusedID picks a member ID that no member has, or had; the caller holds
// confMu.
func (n *Node) unusedID() uint64 {
	for {
		id := randomID()
		if _, taken := n.members.get(id); !taken && !n.members.isRemoved(id) {
			return id
		}
	}
}

func addrTaken(raftAddr string, id uint64) error {
	return fmt.Errorf("%w: raft address %s is already member %s; remove it first", ErrAddrTaken, raftAddr, FormatID(id))
}

// changeMembership proposes a membership change and waits until it is
// applied here; the caller holds confMu. A change found invalid where it
// is applied returns why.
//
// Raft turns a change that reaches the leader while another is pending
// into an empty entry, silently: one proposed from here while the
// leader's own (its promotion of a learner) or another member's is in
// flight would wait for an outcome that never comes. Proposing one at a
// time from here, after the last one applied here (waitConfAdvanced),
// avoids refusing our own, not those of others. So the change is proposed
// again whenever it may have been dropped: once another change has been
// applied here while it waited, after an election timeout without an
// answer, and after a leader change. Every copy carries the same request
// ID, and the copies after the first to be applied are applied as no-ops
// (membership.seen), so the change takes effect once whichever copies
// commit.
func (n *Node) changeMembership(ctx context.Context, typ raftpb.ConfChangeType, id uint64, meta *memberMeta) error {
	seq := n.seq.Add(1)
	cc := &raftpb.ConfChange{Type: &typ, NodeId: &id, Context: encodeConfContext(n.id, seq, meta)}
	for attempt := 1; ; attempt++ {
		var err error
		proposed, again := false, false
		if err = n.waitConfAdvanced(ctx); err == nil {
			proposed, again, err = n.proposeConfChange(ctx, cc, seq)
		}
		switch {
		case again:
			n.log.Info("proposing a membership change again: raft may have dropped it", "type", typ.String(), "id", FormatID(id), "attempt", attempt+1)
			continue
		case !proposed && attempt > 1:
			// This copy never reached raft, but one before may be in
			// the log.
			return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		return err
	}
}

// proposeConfChange proposes cc, request seq, once and waits for it to be
// applied here, for ctx to end, or for a sign that raft may have dropped
// it; again reports the last (see changeMembership), proposed whether raft
// was handed cc at all.
func (n *Node) proposeConfChange(ctx context.Context, cc *raftpb.ConfChange, seq uint64) (proposed, again bool, err error) {
	b := n.waiters.get()
	defer n.waiters.put(b)
	ws := []Write{{}}
	b.ws, b.epoch, b.byTerm, b.first = ws, n.leaderEpoch.Load(), false, seq
	changed := n.members.changedChan()
	n.waiters.register(b)
	if err := n.propose(ctx, func(ctx context.Context) error { return n.raft.ProposeConfChange(ctx, cc) }); err != nil {
		n.waiters.cancel(b, err)
		return false, false, err
	}
	retry := time.NewTimer(n.cfg.electionTimeout())
	defer retry.Stop()
	select {
	case <-b.done:
	case <-changed:
	case <-retry.C:
	case <-ctx.Done():
		n.waiters.cancel(b, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err()))
	case <-n.done:
		n.waiters.cancel(b, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ErrStopped))
	}
	if len(n.waiters.waiting(b)) > 0 {
		return true, true, nil // no answer yet: it may have been dropped
	}
	if err, ok := ws[0].Val.(error); ok && ws[0].Err == nil {
		return true, false, err
	}
	if errors.Is(ws[0].Err, ErrOutcomeUnknown) && ctx.Err() == nil && !errors.Is(ws[0].Err, ErrStopped) {
		return true, true, nil // a leader change: the new leader may not have it
	}
	return true, false, ws[0].Err
}

// waitConfAdvanced waits until the raft loop has advanced past the last
// membership change this node applied. Until then raft still counts that
// change as pending and would turn a new one into an empty entry,
// silently: its proposer would wait for an outcome that never comes. The
// caller of the last change hears of it from the apply loop a moment
// before that, and may well propose the next one (a join then the
// leader's promotion of the joiner, say) in between.
func (n *Node) waitConfAdvanced(ctx context.Context) error {
	for {
		busy := false
		if !n.raft.call(func() { busy = n.confWait != nil }) {
			return ErrStopped
		}
		if !busy {
			return nil
		}
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		}
	}
}

// StepDown hands this node's leadership to another voter and waits until
// that one leads, when this node leads and has one; otherwise it returns
// nil at once. A node stopping cleanly calls it first, as etcd's server
// does, so that the others need not wait out an election timeout (and
// fail the writes meanwhile) before they serve again.
func (n *Node) StepDown(ctx context.Context) error {
	if !n.IsLeader() {
		return nil
	}
	to := n.stepDownTarget()
	if to == raft.None {
		n.log.Info("not handing over leadership: no other voter is reachable")
		return nil
	}
	return n.TransferLeadership(ctx, to)
}

// stepDownTarget is the voter a leader stepping down hands over to: of
// the other voters that are reachable and have answered within the last
// election timeout (raft's RecentActive, kept with CheckQuorum), the one
// whose log matches most of ours, so that raft has least to send it
// before it may campaign. None when there is no such voter: a transfer to
// a voter that is down or cut off could only wait out the caller's
// context, holding up a shutdown for nothing.
func (n *Node) stepDownTarget() uint64 {
	st := n.raft.Status()
	best, bestMatch := uint64(raft.None), uint64(0)
	for _, v := range n.members.confState().GetVoters() {
		pr, ok := st.Progress[v]
		if v == n.id || !ok || !pr.RecentActive || !n.tr.Reachable(v) {
			continue
		}
		if best == raft.None || pr.Match > bestMatch {
			best, bestMatch = v, pr.Match
		}
	}
	return best
}

// TransferLeadership asks the leader to hand leadership to the member
// transferee and waits until this node sees that member lead. It fails with
// ErrUnknownMember or ErrNotVoter when transferee cannot lead, and wraps
// ErrNoLeader when ctx ends while no leader is known. A transfer that ctx
// cut short may still complete.
func (n *Node) TransferLeadership(ctx context.Context, transferee uint64) error {
	if _, ok := n.members.get(transferee); !ok || !n.members.isVoter(transferee) {
		// This node may not have applied the change that added it yet (a
		// member that just joined knows nobody until it has): check
		// against a membership that includes every acknowledged change.
		if err := n.LinearizableRead(ctx); err != nil {
			return fmt.Errorf("transfer leadership to %s: %w", FormatID(transferee), err)
		}
	}
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
