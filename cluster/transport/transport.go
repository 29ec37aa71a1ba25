package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"
)

// Handler is what the transport needs from the local raft node.
//
// Process and ReceiveSnapshot run on gRPC server goroutines: calls for
// messages from one peer's stream are sequential and in order, but calls for
// different peers (and snapshots) run concurrently. ReportUnreachable and
// ReportSnapshot run on per-peer goroutines, concurrently with each other,
// and also synchronously inside Send (full queue, MsgSnap to an unknown
// peer) on the caller's goroutine; raft.Node's methods of the same name are
// safe to call from the Ready loop. IsRemoved is called for every received
// message and must be cheap. None of these may call Transport.Close; Removed
// runs on a goroutine of its own precisely so that it can.
type Handler interface {
	// Process steps a received message into raft.
	Process(ctx context.Context, m *raftpb.Message) error
	// ReceiveSnapshot handles an incoming MsgSnap: it stores body durably,
	// then steps m, and returns only when done. body returns an error
	// (never io.EOF) if the stream breaks or the body fails its checksum; the
	// snapshot must then be discarded.
	ReceiveSnapshot(ctx context.Context, m *raftpb.Message, body io.Reader) error
	// OpenSnapshot returns the body to stream for an outgoing MsgSnap.
	OpenSnapshot(m *raftpb.Message) (io.ReadCloser, error)
	// IsRemoved reports whether id was removed from the cluster; streams
	// from removed members are refused.
	IsRemoved(id uint64) bool
	// Removed is called once when a peer reports that this node was
	// removed. It runs on its own goroutine.
	Removed()
	ReportUnreachable(id uint64)
	ReportSnapshot(id uint64, status raft.SnapshotStatus)
	Join(ctx context.Context, req JoinRequest) (JoinResponse, error)
	Progress(ctx context.Context) (ProgressResponse, error)
}

// MemberInfo describes one member in a JoinResponse.
type MemberInfo struct {
	ID       uint64
	RaftAddr string
	APIAddr  string
	RESPAddr string
}

// JoinRequest asks a cluster member to add the caller. ID is the one the
// caller chose and keeps across attempts (0: let the member pick one).
type JoinRequest struct {
	ID       uint64
	RaftAddr string
	APIAddr  string
	RESPAddr string
}

// JoinResponse is the joiner's assigned ID and the membership to start with.
type JoinResponse struct {
	ID      uint64
	Members []MemberInfo
}

// ProgressResponse is the leader's view of replication.
type ProgressResponse struct {
	Leader    uint64
	Match     map[uint64]uint64
	Reachable map[uint64]bool
}

// RemoteError is an error returned by the remote Handler (Join, Progress),
// as opposed to a failure to reach it. Its text is the handler's, verbatim;
// callers can use errors.As to tell "refused" from "retry elsewhere".
type RemoteError struct {
	Msg string
}

func (e *RemoteError) Error() string { return e.Msg }

// ErrUnknownPeer is returned by Progress for an ID never passed to AddPeer.
var ErrUnknownPeer = errors.New("unknown peer")

// Config configures a Transport. Zero tunables take the defaults noted.
type Config struct {
	ID      uint64 // this node's raft ID
	Handler Handler
	Logger  *slog.Logger // default slog.Default()

	// QueueSize bounds the messages queued per peer (default 4096), and
	// MaxQueueBytes their total size (default 64 MiB). Beyond either, Send
	// drops: raft retransmits, and a slow peer must not make us buffer
	// without bound.
	QueueSize     int
	MaxQueueBytes int
	// MaxBatchBytes caps one batch on the stream (default 1 MiB), so a
	// heartbeat never queues behind more than that. A single larger message
	// still goes, alone.
	MaxBatchBytes int
	// MaxMessageSize is the largest gRPC message either side accepts
	// (default 64 MiB). A raft message that does not fit is dropped with an
	// error log; keep raft's MaxSizePerMsg and proposal sizes well below it.
	MaxMessageSize int
	// SnapshotChunkSize is the body chunk size (default 1 MiB).
	SnapshotChunkSize int
	// SnapshotTimeout bounds one whole snapshot transfer (default 10 min).
	SnapshotTimeout time.Duration
	// RequestTimeout is the deadline of Progress when ctx has none
	// (default 5 s).
	RequestTimeout time.Duration
	// DialTimeout bounds opening a stream to a peer (default 5 s).
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the reconnect backoff (50 ms, 2 s).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// KeepaliveTime is how long a connection may be idle before it is pinged
	// (default, and gRPC's floor for clients, 10 s). KeepaliveTimeout is how
	// long a ping, or any unacknowledged write (gRPC sets TCP_USER_TIMEOUT
	// to it), may go unanswered before the connection is dropped (3 s).
	// With raft heartbeats flowing, a dead peer is thus noticed within
	// about KeepaliveTimeout.
	KeepaliveTime    time.Duration
	KeepaliveTimeout time.Duration
	// SourceIP, if set, is the local address outgoing connections are made
	// from. On a multi-homed host it picks the interface; in fault-injection
	// tests it lets a proxy in front of a peer tell senders apart.
	SourceIP string
	// Security is how peers authenticate (mutual TLS, a cluster secret);
	// the zero value is none.
	Security Security
}

const (
	defaultRequestTimeout = 5 * time.Second
	defaultMaxMessageSize = 64 << 20
	defaultKeepaliveTime  = 10 * time.Second
	defaultKeepaliveTO    = 3 * time.Second
)

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	setDefault(&c.QueueSize, 4096)
	setDefault(&c.MaxQueueBytes, 64<<20)
	setDefault(&c.MaxMessageSize, defaultMaxMessageSize)
	setDefault(&c.MaxBatchBytes, 1<<20)
	c.MaxBatchBytes = min(c.MaxBatchBytes, c.MaxMessageSize)
	setDefault(&c.SnapshotChunkSize, 1<<20)
	c.SnapshotChunkSize = min(c.SnapshotChunkSize, c.MaxMessageSize-16)
	setDefault(&c.SnapshotTimeout, 10*time.Minute)
	setDefault(&c.RequestTimeout, defaultRequestTimeout)
	setDefault(&c.DialTimeout, 5*time.Second)
	setDefault(&c.MinBackoff, 50*time.Millisecond)
	setDefault(&c.MaxBackoff, 2*time.Second)
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	setDefault(&c.KeepaliveTime, defaultKeepaliveTime)
	setDefault(&c.KeepaliveTimeout, defaultKeepaliveTO)
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Transport carries raft messages between this node and its peers.
type Transport struct {
	cfg Config
	id  uint64
	h   Handler
	log *slog.Logger
	srv *grpc.Server

	ctx    context.Context // canceled by Close; parent of all peer contexts
	cancel context.CancelFunc

	mu     sync.RWMutex
	peers  map[uint64]*peer
	closed bool

	wg          sync.WaitGroup // peer lifetimes (run, snapshots, conn close)
	removedOnce sync.Once
	closeOnce   sync.Once

	streamsAccepted atomic.Int64 // inbound message streams, for tests
	batchesReceived atomic.Int64 // inbound batches, for tests
}

// New returns a Transport; call Serve to accept peers' connections.
func New(cfg Config) *Transport {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	t := &Transport{
		cfg:    cfg,
		id:     cfg.ID,
		h:      cfg.Handler,
		log:    cfg.Logger.With("component", "raft-transport"),
		ctx:    ctx,
		cancel: cancel,
		peers:  make(map[uint64]*peer),
	}
	t.srv = grpc.NewServer(append(t.serverOptions(),
		grpc.ForceServerCodecV2(codec{}),
		grpc.MaxRecvMsgSize(cfg.MaxMessageSize),
		grpc.MaxSendMsgSize(cfg.MaxMessageSize),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    cfg.KeepaliveTime,
			Timeout: cfg.KeepaliveTimeout,
		}),
		// Clients ping every KeepaliveTime even on idle connections; the
		// default policy (5 min) would answer that with GOAWAY.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             min(cfg.KeepaliveTime/2, 5*time.Second),
			PermitWithoutStream: true,
		}),
		// So that Close returns only after every Handler call made by a
		// server goroutine has returned.
		grpc.WaitForHandlers(true),
	)...)
	t.srv.RegisterService(serviceDesc(), t)
	return t
}

// Serve accepts peer connections on lis until Close. It returns nil after
// Close, and closes lis.
func (t *Transport) Serve(lis net.Listener) error {
	err := t.srv.Serve(lis)
	if err == nil || errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return fmt.Errorf("serve raft transport on %s: %w", lis.Addr(), err)
}

// AddPeer starts a stream to peer id at addr. It is idempotent; a new addr
// for a known id replaces the old connection. It never blocks on the
// network.
func (t *Transport) AddPeer(id uint64, addr string) {
	if id == 0 || id == t.id {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if old := t.peers[id]; old != nil {
		if old.addr == addr {
			return
		}
		delete(t.peers, id)
		t.stopPeerLocked(old)
	}
	p, err := t.newPeer(id, addr)
	if err != nil {
		t.log.Error("cannot add raft peer", "peer", fmtID(id), "addr", addr, "err", err)
		return
	}
	t.peers[id] = p
	t.wg.Add(1) // released by the closer started in stopPeerLocked
	p.wg.Add(1)
	go p.run()
	t.log.Debug("raft peer added", "peer", fmtID(id), "addr", addr)
}

// RemovePeer stops the stream to id and any snapshot in flight to it. It does
// not wait for them; Close does.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.peers[id]; p != nil {
		delete(t.peers, id)
		t.stopPeerLocked(p)
	}
}

// stopPeerLocked cancels p and closes its connection once every goroutine
// using it is gone. p must already be out of t.peers, so that no new
// snapshot goroutine can be added to p.wg.
func (t *Transport) stopPeerLocked(p *peer) {
	p.cancel()
	go func() {
		defer t.wg.Done()
		p.wg.Wait()
		if err := p.cc.Close(); err != nil {
			t.log.Debug("close raft peer connection", "peer", fmtID(p.id), "err", err)
		}
	}()
}

// Send queues msgs for delivery and returns at once. It is safe for
// concurrent use, but only messages passed by one goroutine have a defined
// order. Messages to one peer are
// delivered in order; messages that find the peer's queue full are dropped
// and the peer is reported unreachable. MsgSnap messages are sent on their
// own RPC and ReportSnapshot is called when that finishes.
//
// Send marshals the messages before returning, on the caller's goroutine, as
// raft requires (marshaling is not safe concurrently with the raft loop);
// afterwards the transport holds no reference to them, except that a MsgSnap
// is passed to Handler.OpenSnapshot later.
func (t *Transport) Send(msgs []*raftpb.Message) {
	var unreachable, snapFailed []uint64
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return
	}
	for _, m := range msgs {
		to := m.GetTo()
		p := t.peers[to]
		if p == nil {
			t.log.Debug("dropping raft message to unknown peer", "peer", fmtID(to), "type", m.GetType())
			if m.GetType() == raftpb.MsgSnap {
				snapFailed = append(snapFailed, to)
			}
			continue
		}
		if m.GetType() == raftpb.MsgSnap {
			hdr, err := proto.Marshal(m)
			if err != nil {
				t.log.Error("cannot encode snapshot message", "peer", fmtID(to), "err", err)
				snapFailed = append(snapFailed, to)
				continue
			}
			p.wg.Add(1)
			go p.sendSnapshot(m, hdr)
			continue
		}
		frame, err := encodeFrame(m)
		if err != nil {
			t.log.Error("cannot encode raft message", "peer", fmtID(to), "err", err)
			continue
		}
		if len(frame) > t.cfg.MaxMessageSize {
			t.log.Error("dropping raft message larger than the transport's maximum",
				"peer", fmtID(to), "type", m.GetType(), "size", len(frame), "max", t.cfg.MaxMessageSize)
			continue
		}
		if !p.enqueue(frame) {
			unreachable = appendOnce(unreachable, to)
		}
	}
	t.mu.RUnlock()

	// Callbacks run without t.mu held: they may call back into us.
	for _, id := range unreachable {
		t.log.Debug("raft peer queue full, dropping messages", "peer", fmtID(id))
		t.h.ReportUnreachable(id)
	}
	for _, id := range snapFailed {
		t.h.ReportSnapshot(id, raft.SnapshotFailure)
	}
}

func appendOnce(ids []uint64, id uint64) []uint64 {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// Reachable reports whether the message stream to id is currently open.
func (t *Transport) Reachable(id uint64) bool {
	t.mu.RLock()
	p := t.peers[id]
	t.mu.RUnlock()
	return p != nil && p.healthy.Load()
}

// Progress asks peer id (normally the leader) for its view of replication.
// Without a deadline on ctx it uses Config.RequestTimeout.
func (t *Transport) Progress(ctx context.Context, id uint64) (ProgressResponse, error) {
	t.mu.RLock()
	p := t.peers[id]
	t.mu.RUnlock()
	if p == nil {
		return ProgressResponse{}, fmt.Errorf("progress from %s: %w", fmtID(id), ErrUnknownPeer)
	}
	ctx, cancel := withDefaultTimeout(ctx, t.cfg.RequestTimeout)
	defer cancel()
	var resp ProgressResponse
	if err := p.cc.Invoke(ctx, methodProgress, &empty{}, &resp); err != nil {
		return ProgressResponse{}, fmt.Errorf("progress from %s at %s: %w", fmtID(id), p.addr, remoteError(err))
	}
	return resp, nil
}

// Close stops the server and all peer goroutines and waits for them. After
// Close returns no Handler method is running or will be called (except a
// Removed already started). It must not be called from a Handler method
// other than Removed.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		for id, p := range t.peers {
			delete(t.peers, id)
			t.stopPeerLocked(p)
		}
		t.mu.Unlock()
		t.cancel()
		t.srv.Stop() // with WaitForHandlers: returns after all handlers
		t.wg.Wait()
	})
	return nil
}

// notifyRemoved tells the node, once, that a peer said it was removed.
func (t *Transport) notifyRemoved() {
	t.removedOnce.Do(func() {
		t.log.Warn("a peer reports this member was removed from the cluster")
		// Own goroutine: Removed shuts the node down, which calls Close,
		// which waits for the goroutine we are on.
		go t.h.Removed()
	})
}

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// fmtID formats a member ID as raftcache shows it (16 hex digits).
func fmtID(id uint64) string { return fmt.Sprintf("%016x", id) }
