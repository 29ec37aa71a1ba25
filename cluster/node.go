package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/raftcache/raftcache/cluster/transport"
)

// Config configures a Node. StateDir, RaftAddr and StateMachine are
// required; zero values elsewhere take the defaults noted.
type Config struct {
	StateDir string // WAL and snapshots; an existing one means restart
	RaftAddr string // where this node's transport listens
	// AdvertiseRaft is the address peers dial to reach this node (default
	// RaftAddr): different when they reach it through a proxy or NAT.
	AdvertiseRaft string
	// SourceIP, if set, is the local IP outgoing raft connections use.
	SourceIP string
	APIAddr  string // advertised in the member list
	RESPAddr string // advertised in the member list
	// Join is the raft address of any member of an existing cluster. It is
	// used only when StateDir holds no state: a restart keeps its identity.
	Join string
	// ForceNewCluster makes a restarting member the only member of its
	// cluster, keeping its state (see disk.forceNewCluster): the way out
	// of a quorum lost for good. It needs a StateDir holding a member.
	ForceNewCluster bool

	StateMachine StateMachine
	Logger       *slog.Logger
	// Observer is told of the events metrics count; default none.
	Observer Observer
	// PeerSecurity is how members authenticate each other: mutual TLS, a
	// cluster secret, both or (the zero value) neither. Every member of a
	// cluster needs the same.
	PeerSecurity transport.Security
	// Listener, if set, is used instead of listening on RaftAddr (tests
	// bind port 0 and advertise what they got).
	Listener net.Listener
	// Network, if set, carries raft traffic and joins instead of the gRPC
	// transport on Listener or RaftAddr, which is then not listened on:
	// tests pass an in-memory one (clustertest.Network) to cut, drop and
	// delay messages. AdvertiseRaft is still the address peers use.
	Network transport.Network

	// crashAfterJoin makes Start return errCrashForTest right after a
	// joiner created its WAL, leaving the state a crash there would.
	crashAfterJoin bool
	// beforeSave, if set, runs before each Ready is persisted: tests
	// widen the window in which applied entries are not yet durable here.
	beforeSave func()
	// walFault, if set, is asked before each call into the WAL (op names
	// it); an error it returns is taken as the call's.
	walFault func(op string) error

	TickInterval    time.Duration // raft tick; default 100ms
	ElectionTicks   int           // ticks without a leader before an election; default 10
	SnapshotEntries uint64        // applied entries between snapshots, or more for a large state (see snapshotInterval); default 10000
	CatchUpEntries  uint64        // entries kept behind a snapshot for slow followers; default 5000, or SnapshotEntries if fewer
	CatchUpBytes    uint64        // and at most this many bytes of them (see catchUpFrom); default 32 MiB
	ReadTimeout     time.Duration // bound on one ReadIndex round; default 5s
	JoinTimeout     time.Duration // how long to keep trying to join; default 20s
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = noObserver{}
	}
	if c.AdvertiseRaft == "" {
		c.AdvertiseRaft = c.RaftAddr
	}
	if c.TickInterval == 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = 10
	}
	if c.SnapshotEntries == 0 {
		c.SnapshotEntries = 10000
	}
	if c.CatchUpEntries == 0 {
		// Frequent snapshots are asked for to keep the log short in
		// memory; keeping more than a snapshot interval behind would
		// defeat that.
		c.CatchUpEntries = min(5000, c.SnapshotEntries)
	}
	if c.CatchUpBytes == 0 {
		c.CatchUpBytes = defaultCatchUpBytes
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 5 * time.Second
	}
	if c.JoinTimeout == 0 {
		c.JoinTimeout = 20 * time.Second
	}
}

func (c *Config) electionTimeout() time.Duration {
	return time.Duration(c.ElectionTicks) * c.TickInterval
}

var errCrashForTest = errors.New("cluster: crash requested by a test")

// Node is one member of a raftcache cluster: an etcd raft node with its
// durable storage, its transport to the peers, and the loops that drive
// them. Proposals from any member are forwarded to the leader by raft.
type Node struct {
	cfg     Config
	log     *slog.Logger
	obs     Observer
	id      uint64
	raft    *raftNode
	disk    *disk
	sm      StateMachine
	members *membership
	tr      transport.Endpoint
	waiters *waiters
	seq     atomic.Uint64 // proposal sequence; starts at the boot time so restarts never reuse one
	confMu  sync.Mutex    // one membership change proposed at a time from this node

	term atomic.Uint64
	lead atomic.Uint64
	// leaderEpoch counts the leader changes this node has seen. Proposals
	// remember it so that those made under a leader that is gone can be told
	// at once that their outcome is unknown.
	leaderEpoch atomic.Uint64
	state       atomic.Uint32 // raft.StateType
	commit      atomic.Uint64
	applied     atomic.Uint64
	heartbeats  heartbeats    // for Observer.PeerRoundTrip
	caughtUp    atomic.Bool   // see Ready
	catchUpTo   atomic.Uint64 // the leader's commit index catchUp learned

	// The raft loop's own: batches not yet taken by the apply loop, in
	// log order, and the done channel of a membership change among them
	// (or being applied) that the loop waits for before it advances.
	pending  []*applyBatch
	confWait <-chan struct{}

	// The apply loop's own state.
	applyc      chan *applyBatch
	appliedTerm atomic.Uint64 // the term of the entry at applied
	snapIndex   atomic.Uint64
	snapping    atomic.Bool
	snapStats   snapStats
	snapReqc    chan chan snapCapture // snapshot requests for followers, served between applies
	snapDonec   chan struct{}         // a snapshot was written: the apply loop checks whether another is due
	persistMu   sync.Mutex            // one snapshot written and compacted at a time
	persist     persistHealth         // whether snapshots fail, and writes are refused

	appliedMu sync.Mutex
	appliedCh chan struct{} // closed and replaced whenever applied advances
	termCh    chan struct{} // closed and replaced whenever appliedTerm grows; under appliedMu
	leadLost  chan struct{} // closed and replaced whenever the leader becomes unknown; under appliedMu

	// Linearizable reads share one ReadIndex round per batch of callers.
	readwaitc  chan struct{}
	readStatec chan raft.ReadState
	readMu     sync.Mutex
	readNext   *readRound
	readSeq    atomic.Uint64 // see readContext

	leaders leaderLog // the last leader changes, for the status page (status.go)

	stopOnce sync.Once
	stopc    chan struct{} // closed to stop the loops
	done     chan struct{} // closed when everything is stopped and the WAL closed
	stopErr  error
	wg       sync.WaitGroup
}

// applyBatch is one Ready's worth of work for the apply loop.
type applyBatch struct {
	snap    *raftpb.Snapshot // restore this first, if set
	entries []*raftpb.Entry
	done    chan struct{} // closed when applied, if the raft loop waits for it
	saved   chan struct{} // closed once the Ready that carried the batch is persisted
	// failBefore, when set, is a new leader epoch: once entries are applied,
	// proposals made before it are failed as having an unknown outcome.
	failBefore uint64
}

// readRound is one shared ReadIndex round; err is set before c is closed.
// The other fields are the read loop's.
type readRound struct {
	c   chan struct{}
	err error

	rctx        []byte
	start, sent time.Time
	index       uint64 // the answer's read index, once answered
	answered    bool
}

func (r *readRound) finish(err error) {
	r.err = err
	close(r.c)
}

func newReadRound() *readRound { return &readRound{c: make(chan struct{})} }

// Start starts a node: it restarts from StateDir when that holds state, joins
// the cluster at Join otherwise, or else bootstraps a new single-node
// cluster. It returns once the node is running; ctx bounds joining.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	cfg.setDefaults()
	if err := armFailpoints(&cfg); err != nil {
		return nil, err
	}
	if cfg.StateMachine == nil || cfg.StateDir == "" || cfg.RaftAddr == "" {
		return nil, errors.New("cluster: StateMachine, StateDir and RaftAddr are required")
	}
	if cfg.Network != nil {
		return start(ctx, cfg)
	}
	lis := cfg.Listener
	if lis == nil {
		var err error
		if lis, err = net.Listen("tcp", cfg.RaftAddr); err != nil {
			return nil, fmt.Errorf("listen raft: %w", err)
		}
	}
	cfg.Network = transport.GRPCNetwork{Listener: lis}
	n, err := start(ctx, cfg)
	if err != nil {
		lis.Close()
		return nil, err
	}
	return n, nil
}

// start starts the node once cfg.Network is set.
func start(ctx context.Context, cfg Config) (*Node, error) {
	log := cfg.Logger
	d, err := newDisk(cfg.StateDir, log)
	if err != nil {
		return nil, err
	}
	d.fault = cfg.walFault
	n := &Node{
		cfg:        cfg,
		log:        log,
		obs:        cfg.Observer,
		disk:       d,
		sm:         cfg.StateMachine,
		members:    newMembership(),
		waiters:    newWaiters(),
		applyc:     make(chan *applyBatch, 64),
		snapReqc:   make(chan chan snapCapture),
		snapDonec:  make(chan struct{}, 1),
		appliedCh:  make(chan struct{}),
		termCh:     make(chan struct{}),
		leadLost:   make(chan struct{}),
		readwaitc:  make(chan struct{}, 1),
		readStatec: make(chan raft.ReadState, 64),
		readNext:   newReadRound(),
		stopc:      make(chan struct{}),
		done:       make(chan struct{}),
	}
	n.seq.Store(uint64(time.Now().UnixNano()))
	n.readSeq.Store(uint64(time.Now().UnixNano()))
	self := memberMeta{RaftAddr: cfg.AdvertiseRaft, APIAddr: cfg.APIAddr, RESPAddr: cfg.RESPAddr}

	var (
		bootstrap bool
		soleVoter bool // restarting as the only voter of its configuration
		peers     []transport.MemberInfo
	)
	switch {
	case hasState(cfg.StateDir):
		rec, err := d.open()
		if err != nil {
			return nil, err
		}
		if cfg.ForceNewCluster {
			if err := d.forceNewCluster(rec, log); err != nil {
				d.close()
				return nil, err
			}
		}
		if err := removeJoinID(cfg.StateDir); err != nil {
			d.close()
			return nil, err
		}
		n.id = rec.meta.ID
		for _, m := range rec.meta.Peers {
			peers = append(peers, transport.MemberInfo{ID: m.ID, RaftAddr: m.RaftAddr})
		}
		if cfg.Join != "" {
			log.Info("state dir holds a member; restarting it and ignoring -join", "id", FormatID(n.id), "join", cfg.Join)
		}
		if rec.snap != nil {
			if err := n.restoreSnapshot(rec.snap.Term, rec.snap.Index); err != nil {
				d.close()
				return nil, err
			}
		}
		// A founder that crashed before its first Ready was durable has
		// voted for nobody and has, at most, its bootstrap entries without
		// the HardState that commits them (a torn write of that Ready:
		// raft would start with no configuration, and never campaign).
		// Nothing else can be in its log before that HardState, so
		// bootstrapping again, over those entries, is the same as the
		// first attempt.
		bootstrap = rec.meta.Founder && rec.snap == nil && raft.IsEmptyHardState(rec.hard)
		if bootstrap && rec.nEntries > 0 {
			log.Warn("founder's bootstrap was not made durable whole; bootstrapping again", "wal_entries", rec.nEntries)
			d.mem = raft.NewMemoryStorage()
		}
		soleVoter = rec.snap != nil && len(rec.snap.Voters) == 1 && rec.snap.Voters[0] == n.id
		log.Info("restarting member", "id", FormatID(n.id), "snapshot_index", n.applied.Load(), "wal_entries", rec.nEntries)
	case cfg.ForceNewCluster:
		d.close()
		return nil, fmt.Errorf("cluster: force a new cluster: %s holds no member to keep", cfg.StateDir)
	case cfg.Join != "":
		// The ID is chosen here and made durable before asking, so that a
		// joiner that crashes after the cluster added it, but before its
		// WAL exists, comes back as that member rather than as a second
		// one, leaving the first to count against every quorum forever.
		id, err := joinID(cfg.StateDir)
		if err != nil {
			return nil, err
		}
		resp, err := joinCluster(ctx, cfg, self, id)
		if err != nil {
			if strings.Contains(err.Error(), ErrIDTaken.Error()) {
				// Not ours to ask for again: the next start picks another.
				err = errors.Join(err, removeJoinID(cfg.StateDir))
			}
			return nil, err
		}
		if resp.ID != id && !listedAt(resp.Members, resp.ID, self.RaftAddr) {
			return nil, fmt.Errorf("join %s: asked to join as %s, added as %s", cfg.Join, FormatID(id), FormatID(resp.ID))
		}
		if resp.ID != id {
			// An operator added a member at this address (AddMemberAt):
			// this node is that member. Asking again with the join ID
			// gets the same answer, so the ID stays whatever happens
			// before the WAL holds it.
			log.Info("joining as the member added for this address", "id", FormatID(resp.ID), "raft", self.RaftAddr)
		}
		n.id, peers = resp.ID, resp.Members
		meta := walMeta{ID: n.id}
		for _, m := range peers {
			meta.Peers = append(meta.Peers, memberMeta{ID: m.ID, RaftAddr: m.RaftAddr, APIAddr: m.APIAddr, RESPAddr: m.RESPAddr})
		}
		if err := d.create(meta); err != nil {
			return nil, err
		}
		if cfg.crashAfterJoin {
			d.close()
			return nil, errCrashForTest
		}
		// From here on the WAL is the identity; a join ID left behind
		// would let a node whose WAL was lost rejoin under its old ID.
		if err := removeJoinID(cfg.StateDir); err != nil {
			return nil, err
		}
		log.Info("joined cluster", "id", FormatID(n.id), "via", cfg.Join, "members", len(resp.Members))
	default:
		n.id = randomID()
		if err := d.create(walMeta{ID: n.id, Founder: true}); err != nil {
			return nil, err
		}
		bootstrap = true
		log.Info("bootstrapping a new cluster", "id", FormatID(n.id))
	}
	n.log = log.With("node", FormatID(n.id))

	rc := &raft.Config{
		ID:                        n.id,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             1,
		Storage:                   d.mem,
		Applied:                   n.applied.Load(),
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   true,
		ReadOnlyOption:            raft.ReadOnlySafe,
		StepDownOnRemoval:         true,
		Logger:                    raftLogger{n.log.With("component", "raft")},
	}
	rn, err := raft.NewRawNode(rc)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	if bootstrap {
		self.ID = n.id
		if err := rn.Bootstrap([]raft.Peer{{ID: n.id, Context: encodeConfContext(0, 0, &self)}}); err != nil {
			// As raft.StartNode: a founder restarting before its first
			// Ready was saved finds its bootstrap entries already there.
			n.log.Warn("bootstrap raft", "err", err)
		}
	}
	n.noteRestored(rn)
	n.raft = newRaftNode(rn, n.id, n.stopc, &n.appliedTerm, n.appliedChan)

	n.tr, err = cfg.Network.Endpoint(transport.Config{ID: n.id, Handler: transportHandler{n}, SourceIP: cfg.SourceIP,
		Security: cfg.PeerSecurity, Logger: n.log.With("component", "transport")}, cfg.AdvertiseRaft)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("start raft transport: %w", err)
	}
	for _, p := range peers {
		if p.ID != n.id {
			n.tr.AddPeer(p.ID, p.RaftAddr)
		}
	}
	n.syncPeers()
	n.wg.Add(6)
	go n.promoteLoop()
	go n.watchPurge()
	go n.catchUp()
	go n.raftLoop()
	go n.applyLoop()
	go n.readLoop()
	if soleVoter {
		// Nobody else can vote, so waiting out an election timeout only
		// delays the first request. raft itself refuses to campaign while
		// committed membership changes after the snapshot are unapplied,
		// which is when the configuration may have more voters.
		if err := n.raft.Campaign(ctx); err != nil {
			n.log.Warn("campaign at restart", "err", err)
		}
	}
	return n, nil
}

// watchPurge stops the node when the WAL purge fails: the purge gives up
// at its first error, and the WAL would then grow without bound, unnoticed
// (etcd's server exits too).
func (n *Node) watchPurge() {
	defer n.wg.Done()
	select {
	case err := <-n.disk.purgeErrc:
		err = fmt.Errorf("%w: purge wal: %w", ErrStorage, err)
		n.log.Error("storage failed; stopping the node", "err", err)
		go n.stop(err)
	case <-n.stopc:
	}
}

// joinCluster asks the member at cfg.Join to add this node as member id,
// retrying while that member is unreachable (it may be starting too) or
// the outcome is unknown: asking again for the same ID is safe.
func joinCluster(ctx context.Context, cfg Config, self memberMeta, id uint64) (transport.JoinResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.JoinTimeout)
	defer cancel()
	req := transport.JoinRequest{ID: id, RaftAddr: self.RaftAddr, APIAddr: self.APIAddr, RESPAddr: self.RESPAddr}
	backoff := 100 * time.Millisecond
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 10*time.Second)
		resp, err := cfg.Network.Join(attempt, transport.Config{Security: cfg.PeerSecurity}, cfg.Join, req)
		cancelAttempt()
		if err == nil {
			return resp, nil
		}
		if errors.Is(err, transport.ErrUnauthenticated) {
			// The same credentials will be refused again.
			cfg.Logger.Error("join refused: this node does not have the cluster's credentials", "via", cfg.Join, "err", err)
			return resp, fmt.Errorf("join %s: %w", cfg.Join, err)
		}
		cfg.Logger.Warn("join attempt", "via", cfg.Join, "err", err)
		select {
		case <-ctx.Done():
			return resp, fmt.Errorf("join %s: %w", cfg.Join, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// listedAt reports whether members lists id at raftAddr.
func listedAt(members []transport.MemberInfo, id uint64, raftAddr string) bool {
	for _, m := range members {
		if m.ID == id && m.RaftAddr == raftAddr {
			return true
		}
	}
	return false
}

func randomID() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if id := binary.BigEndian.Uint64(b[:]); id != 0 && !raft.IsLocalMsgTarget(id) {
			return id
		}
	}
}

// ID returns this node's raft ID.
func (n *Node) ID() uint64 { return n.id }

// Done is closed when the node has stopped: after Shutdown, after it was
// removed from the cluster, or after a fatal storage error. Err says which.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err returns why the node stopped: nil after Shutdown, ErrRemoved, or the
// fatal error. It is meaningful once Done is closed.
func (n *Node) Err() error {
	<-n.done
	return n.stopErr
}

// Shutdown stops the node: the loops finish the batch in hand, the
// transport closes and the WAL is closed. Proposals still waiting get an
// error saying their outcome is unknown.
func (n *Node) Shutdown(ctx context.Context) error {
	go n.stop(nil)
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shutdown: %w", ctx.Err())
	}
}

// stop runs once. It must not be called from a loop goroutine directly (it
// waits for them): loops use `go n.stop(err)`.
func (n *Node) stop(err error) {
	n.stopOnce.Do(func() {
		n.stopErr = err
		close(n.stopc)
		if err := n.tr.Close(); err != nil {
			n.log.Warn("close transport", "err", err)
		}
		n.wg.Wait()
		n.waiters.failAll(fmt.Errorf("%w: %w", ErrOutcomeUnknown, ErrStopped))
		if err := n.disk.close(); err != nil {
			n.log.Error("close storage", "err", err)
		}
		close(n.done)
	})
}

// raftLoop drives etcd raft: ticks, messages, proposals, and each Ready in
// the order the raft package requires. It never applies entries itself, so
// a slow apply or snapshot cannot delay heartbeats.
func (n *Node) raftLoop() {
	defer n.wg.Done()
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	r := n.raft
	for {
		r.drain(ticker.C)
		n.flushApply()
		if !r.rn.HasReady() {
			// Nothing to do until something arrives.
			if !n.serve(ticker.C, nil) {
				return
			}
			continue
		}
		rd := r.rn.Ready()
		if err := n.handleReady(&rd); err != nil {
			n.log.Error("raft loop stopping", "err", err)
			go n.stop(err)
			return
		}
		// A membership change must be in effect (peers added or
		// removed, raft's configuration changed) before raft produces
		// messages under the new configuration, and before raft counts
		// it as applied (Advance), after which it would campaign or take
		// the next change under the old one. Meanwhile the loop goes on
		// ticking, stepping messages and serving calls (the apply loop's
		// ApplyConfChange among them), as raft.Node does between a Ready
		// and its Advance; what that produces waits for the next Ready.
		confChanged := n.confWait != nil
		for n.confWait != nil {
			select {
			case <-n.confWait:
				n.confWait = nil
				continue
			default:
			}
			if !n.serve(ticker.C, n.confWait) {
				return
			}
		}
		// Advance may commit (the leader's own acknowledgement of what it
		// just saved): loop round for the next Ready without blocking.
		r.rn.Advance(rd)
		if confChanged {
			n.campaignIfAlone()
		}
		select {
		case <-n.stopc:
			return
		default:
		}
	}
}

// serve waits for one input of the raft loop, or for wake, handing the
// apply loop its next batch meanwhile; false means the node is stopping.
func (n *Node) serve(tick <-chan time.Time, wake <-chan struct{}) bool {
	var next *applyBatch
	if len(n.pending) > 0 {
		next = n.pending[0]
	}
	handed, ok := n.raft.serve(tick, n.applyc, next, wake)
	if handed {
		n.popApply()
	}
	return ok
}

// maxPendingApply is how many batches may wait for the apply loop before
// the raft loop stops taking local proposals. Raft keeps every unapplied
// entry in its storage anyway, so a longer queue costs little memory; the
// bound only keeps a leader whose apply loop is slow from taking writes
// faster than it can apply them.
const maxPendingApply = 256

// queueApply queues b for the apply loop, in log order, and hands over
// what it can without waiting: the raft loop never blocks on the apply
// loop, so a slow apply (a large snapshot restored, say) delays neither
// heartbeats nor this node's own writes and acknowledgements.
func (n *Node) queueApply(b *applyBatch) {
	n.pending = append(n.pending, b)
	if b.done != nil {
		n.confWait = b.done
	}
	n.flushApply()
}

func (n *Node) flushApply() {
	for len(n.pending) > 0 {
		select {
		case n.applyc <- n.pending[0]:
			n.popApply()
		default:
			n.raft.holdProposals = len(n.pending) >= maxPendingApply
			return
		}
	}
	n.raft.holdProposals = false
}

func (n *Node) popApply() {
	n.pending[0] = nil
	n.pending = n.pending[1:]
	n.raft.holdProposals = len(n.pending) >= maxPendingApply
}

func (n *Node) handleReady(rd *raft.Ready) error {
	var failBefore uint64
	if rd.SoftState != nil {
		old := n.lead.Swap(rd.SoftState.Lead)
		if old != rd.SoftState.Lead && rd.SoftState.Lead != raft.None {
			n.obs.LeaderChanged(rd.SoftState.Lead)
			n.noteLeader(rd)
		}
		if old != rd.SoftState.Lead && old != raft.None {
			failBefore = n.leaderEpoch.Add(1)
			if rd.SoftState.Lead == raft.None {
				n.appliedMu.Lock()
				close(n.leadLost)
				n.leadLost = make(chan struct{})
				n.appliedMu.Unlock()
			}
		}
		n.state.Store(uint32(rd.SoftState.RaftState))
	}
	if rd.HardState != nil {
		n.term.Store(rd.HardState.GetTerm())
		n.commit.Store(rd.HardState.GetCommit())
	}
	// The leader may send before its own write is durable (raft thesis
	// §10.2.1): a follower's acknowledgement counts toward a quorum only
	// for what that follower wrote. Everyone else must persist first.
	leader := raft.StateType(n.state.Load()) == raft.StateLeader
	msgs := n.takeSnapshotMessages(rd.Messages)
	if leader {
		n.heartbeats.noteSent(msgs)
		n.tr.Send(msgs)
	}
	// A ReadState says the leader's commit index when a quorum confirmed
	// its leadership; the reader then waits until this node has applied
	// that far. Nothing in it depends on what this node has persisted, so
	// the readers need not wait for this Ready's fsync.
	for _, rs := range rd.ReadStates {
		select {
		case n.readStatec <- rs:
		default: // the read loop is gone or behind; it retries by itself
		}
	}
	var b *applyBatch
	if len(rd.CommittedEntries) > 0 || !raft.IsEmptySnap(rd.Snapshot) || failBefore != 0 {
		b = &applyBatch{entries: rd.CommittedEntries, failBefore: failBefore, saved: make(chan struct{})}
		if !raft.IsEmptySnap(rd.Snapshot) {
			b.snap = rd.Snapshot
		}
		// The raft loop waits for a membership change to be applied
		// before it advances (see raftLoop).
		for _, e := range rd.CommittedEntries {
			if e.GetType() == raftpb.EntryConfChange {
				b.done = make(chan struct{})
				break
			}
		}
	}
	// Committed entries are applied while this Ready is being persisted,
	// as etcd's server does (the raft package allows it: only messages must
	// wait for the save). Committed means a quorum has them durably: the
	// leader counts itself only once its own write returned, so even a
	// single node never commits what it has not fsynced. Their results can
	// therefore reach clients before this node's own fsync of the same
	// entries, without waiting for the fsync of the entries proposed since.
	// What must wait is anything that assumes the applied entries are in
	// this node's log: a snapshot at the applied index (the log would be
	// compacted past its own end); applyBatch waits for saved before it
	// snapshots. A snapshot from the leader is restored only once saved.
	early := b != nil && b.snap == nil
	if early {
		n.queueApply(b)
	}
	if n.cfg.beforeSave != nil {
		n.cfg.beforeSave()
	}
	start := time.Now()
	if err := n.disk.saveReady(rd); err != nil {
		return err
	}
	if rd.MustSync {
		n.obs.WALSynced(time.Since(start))
	}
	if b != nil {
		close(b.saved)
	}
	if !leader {
		n.tr.Send(msgs)
	}
	if b != nil && !early {
		n.queueApply(b)
	}
	return nil
}

// applyLoop applies committed entries to the state machine in log order.
func (n *Node) applyLoop() {
	defer n.wg.Done()
	// While snapshots fail, the retries come from here too: with writes
	// refused, nothing else may be applied to trigger one.
	retry := time.NewTicker(persistRetryMin)
	defer retry.Stop()
	for {
		select {
		case reply := <-n.snapReqc:
			reply <- n.capture()
		case <-n.snapDonec:
			n.maybeSnapshot()
		case <-retry.C:
			if degraded, _ := n.persist.degraded(time.Now()); degraded {
				n.maybeSnapshot()
			}
		case b := <-n.applyc:
			if err := n.applyBatch(b); err != nil {
				switch {
				case errors.Is(err, ErrStopped):
					return // the node is stopping anyway
				case errors.Is(err, ErrRemoved):
					n.log.Info("this node was removed from the cluster; shutting down")
				default:
					n.log.Error("apply loop stopping", "err", err)
				}
				go n.stop(err)
				return
			}
		case <-n.stopc:
			return
		}
	}
}

func (n *Node) applyBatch(b *applyBatch) error {
	if b.done != nil {
		defer close(b.done)
	}
	if b.snap != nil {
		md := b.snap.GetMetadata()
		// The snapshot may hold entries of this node's proposals that it
		// never applied, and so never saw: those can no longer be told
		// from ones that will never apply. Before the applied term moves
		// (on which proposers decide, see proposeAndWait), every proposal
		// stepped in a term the snapshot covers learns its outcome is
		// unknown.
		n.waiters.failStampedUpTo(md.GetTerm(), fmt.Errorf("%w: a snapshot from the leader replaced the log the proposal was in", ErrOutcomeUnknown))
		if err := n.restoreSnapshot(md.GetTerm(), md.GetIndex()); err != nil {
			return err
		}
		n.syncPeers()
		n.notifyApplied()
		n.log.Info("restored snapshot from leader", "index", md.GetIndex(), "term", md.GetTerm())
	}
	removed := false
	for _, e := range b.entries {
		idx := e.GetIndex()
		if idx <= n.applied.Load() {
			continue // covered by a snapshot restored above
		}
		switch e.GetType() {
		case raftpb.EntryNormal:
			n.applyNormal(e)
		case raftpb.EntryConfChange:
			var err error
			if removed, err = n.applyConfChange(e); err != nil {
				return err
			}
		}
		n.setAppliedTerm(e.GetTerm())
		n.applied.Store(idx)
		if removed {
			n.notifyApplied()
			return ErrRemoved
		}
	}
	if b.failBefore != 0 {
		// Membership changes cannot be told apart that way (raft encodes
		// them): one in flight at a leader change has an unknown outcome.
		n.waiters.failBefore(b.failBefore, fmt.Errorf("%w: the leader changed while the membership change was in flight", ErrOutcomeUnknown))
	}
	n.notifyApplied()
	// A snapshot (ours, or one captured for a follower between batches)
	// describes the applied index, which must be in this node's log by
	// then: see handleReady.
	select {
	case <-b.saved:
	case <-n.stopc:
		return nil
	}
	n.maybeSnapshot()
	return nil
}

// Normal entries carry the proposer's ID, its sequence number and the raft
// term the proposer's raft loop stepped it in (see raftNode.stepProposals)
// ahead of the state machine's command; empty ones are the no-ops new
// leaders append.
//
// An entry whose term in the log is not the one it was stepped in is
// applied as a no-op, on every node alike: it was forwarded late, by a
// deposed leader to its successor, say. So a proposal stepped in term T
// takes effect only as an entry of term T, and once this node has applied
// an entry of a later term, every entry of term T that will ever commit is
// applied here already (terms only grow along the log): a proposal of
// term T still waiting then will never take effect, and its proposer can
// safely propose it again.
//
// Entries written before the term was added have a 16-byte header; the
// top bit of the sequence number, never set by a sequence that starts at
// the boot time in nanoseconds, marks the new one.
const (
	entryHeader   = 24
	oldHeader     = 16
	stampedHeader = uint64(1) << 63
)

func (n *Node) applyNormal(e *raftpb.Entry) {
	data := e.GetData()
	if len(data) == 0 {
		return
	}
	if len(data) < oldHeader {
		n.log.Error("skipping malformed entry", "index", e.GetIndex(), "len", len(data))
		return
	}
	origin, seq := binary.BigEndian.Uint64(data), binary.BigEndian.Uint64(data[8:])
	cmd := data[oldHeader:]
	if seq&stampedHeader != 0 {
		if len(data) < entryHeader {
			n.log.Error("skipping malformed entry", "index", e.GetIndex(), "len", len(data))
			return
		}
		if binary.BigEndian.Uint64(data[16:]) != e.GetTerm() {
			return // see entryHeader
		}
		seq &^= stampedHeader
		cmd = data[entryHeader:]
	}
	res := n.sm.Apply(e.GetIndex(), cmd)
	if origin == n.id {
		n.waiters.trigger(seq, res, e.GetIndex())
	}
}

// applyConfChange applies a membership change and reports whether it
// removed this node.
func (n *Node) applyConfChange(e *raftpb.Entry) (removedSelf bool, err error) {
	cc := &raftpb.ConfChange{}
	if err := proto.Unmarshal(e.GetData(), cc); err != nil {
		return false, fmt.Errorf("decode conf change at %d: %w", e.GetIndex(), err)
	}
	origin, seq, meta, err := decodeConfContext(cc.GetContext())
	if err != nil {
		n.log.Warn("conf change without member addresses", "index", e.GetIndex(), "err", err)
	}
	// A change that was valid when proposed may not be by the time it is
	// applied: two members may each have removed the other from a
	// two-voter cluster, or a joiner's retried addition may land after its
	// removal. Raft would panic on the first (a configuration without
	// voters), at every restart since the entry is committed, and the
	// second would add a phantom voter that counts toward every quorum.
	// Every node checks against the membership at this point of the log,
	// so all refuse alike, and applies the refused change as a no-op, as
	// etcd's server does (raft ignores a change for node 0).
	key := confKey{Origin: origin, Seq: seq}
	if err == nil && n.members.seen(key) {
		// A copy of a change its proposer proposed again, unsure whether
		// raft had dropped the first (see changeMembership): applied once
		// already, it is a no-op now, on every node alike.
		defer n.members.entryApplied()
		if n.raft.ApplyConfChange(&raftpb.ConfChange{}) == nil {
			return false, ErrStopped
		}
		n.log.Info("membership change proposed again was applied already", "id", FormatID(cc.GetNodeId()), "index", e.GetIndex())
		if origin == n.id {
			n.waiters.trigger(seq, nil, e.GetIndex())
		}
		return false, nil
	}
	defer n.members.entryApplied()
	if verr := n.members.check(cc); verr != nil {
		if n.raft.ApplyConfChange(&raftpb.ConfChange{}) == nil {
			return false, ErrStopped
		}
		n.log.Warn("refusing committed membership change", "type", cc.GetType().String(), "id", FormatID(cc.GetNodeId()), "index", e.GetIndex(), "err", verr)
		if origin == n.id {
			n.waiters.trigger(seq, verr, e.GetIndex())
		}
		return false, nil
	}
	cs := n.raft.ApplyConfChange(cc)
	if cs == nil {
		return false, ErrStopped
	}
	n.members.apply(key, cc, meta, cs)
	id := cc.GetNodeId()
	switch cc.GetType() {
	case raftpb.ConfChangeAddNode, raftpb.ConfChangeAddLearnerNode:
		if id != n.id && meta != nil {
			n.tr.AddPeer(id, meta.RaftAddr)
		}
		switch {
		case cc.GetType() == raftpb.ConfChangeAddLearnerNode:
			n.log.Info("member is a learner", "id", FormatID(id), "index", e.GetIndex())
		case meta == nil:
			n.log.Info("learner promoted to voter", "id", FormatID(id), "index", e.GetIndex())
		default:
			n.log.Info("member is a voter", "id", FormatID(id), "index", e.GetIndex())
		}
	case raftpb.ConfChangeUpdateNode:
		n.log.Info("a node joined as the member added for its address", "id", FormatID(id), "index", e.GetIndex())
	case raftpb.ConfChangeRemoveNode:
		if id != n.id {
			n.tr.RemovePeer(id)
		}
		n.log.Info("member removed", "id", FormatID(id), "index", e.GetIndex())
	}
	if origin == n.id {
		n.waiters.trigger(seq, nil, e.GetIndex())
	}
	return cc.GetType() == raftpb.ConfChangeRemoveNode && id == n.id, nil
}

// campaignIfAlone starts an election at once when a membership change
// left this node the only voter while no leader is known: nobody else can
// vote, so waiting out an election timeout would only delay requests. It
// covers a new cluster's founder, a sole voter restarting without a
// snapshot (its configuration comes from the log, so start cannot tell)
// and the voter left when the other one, the leader, removed itself. It
// runs on the raft loop after the change's Advance: before it, raft
// refuses to campaign with a committed change not applied.
func (n *Node) campaignIfAlone() {
	if n.raft.rn.BasicStatus().Lead != raft.None {
		return
	}
	if v := n.members.confState().GetVoters(); len(v) != 1 || v[0] != n.id {
		return
	}
	if err := n.raft.rn.Campaign(); err != nil {
		n.log.Warn("campaign as the only voter", "err", err)
	}
}

// syncPeers makes the transport's peer set match the membership.
func (n *Node) syncPeers() {
	if n.tr == nil {
		return
	}
	list, _ := n.members.list()
	for _, m := range list {
		if m.ID != n.id {
			n.tr.AddPeer(m.ID, m.RaftAddr)
		}
	}
	h := n.members.header(0, 0)
	for _, id := range h.Removed {
		n.tr.RemovePeer(id)
	}
}

func (n *Node) notifyApplied() {
	n.appliedMu.Lock()
	close(n.appliedCh)
	n.appliedCh = make(chan struct{})
	n.appliedMu.Unlock()
}

// setAppliedTerm records the term of the entry just applied, waking the
// proposers waiting for it to grow.
func (n *Node) setAppliedTerm(term uint64) {
	if term <= n.appliedTerm.Load() {
		return
	}
	n.appliedTerm.Store(term)
	n.appliedMu.Lock()
	close(n.termCh)
	n.termCh = make(chan struct{})
	n.appliedMu.Unlock()
}

// appliedTermChan returns a channel closed when appliedTerm next grows,
// and one closed when the leader next becomes unknown.
func (n *Node) appliedTermChan() (term, leadLost <-chan struct{}) {
	n.appliedMu.Lock()
	defer n.appliedMu.Unlock()
	return n.termCh, n.leadLost
}

// appliedChan returns a channel closed when applied next advances.
func (n *Node) appliedChan() <-chan struct{} {
	n.appliedMu.Lock()
	defer n.appliedMu.Unlock()
	return n.appliedCh
}
