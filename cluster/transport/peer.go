package transport

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// peer is the sending side towards one remote member: a bounded queue and
// the goroutine that drains it into one long-lived stream.
type peer struct {
	t    *Transport
	id   uint64
	addr string
	cc   *grpc.ClientConn

	ctx    context.Context // canceled by RemovePeer / Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // run and snapshot goroutines; cc is closed after

	queue       chan []byte // framed messages, in Send order
	queuedBytes atomic.Int64
	healthy     atomic.Bool
	// wake cuts a reconnect backoff short: the peer just opened a stream
	// to us, so it is up, and waiting out a backoff grown while it was down
	// would leave our replies to it (votes, read index answers) undelivered.
	wake chan struct{}
}

func (t *Transport) newPeer(id uint64, addr string) (*peer, error) {
	cc, err := dial(addr, t.cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(t.ctx)
	return &peer{
		t:      t,
		id:     id,
		addr:   addr,
		cc:     cc,
		ctx:    ctx,
		cancel: cancel,
		queue:  make(chan []byte, t.cfg.QueueSize),
		wake:   make(chan struct{}, 1),
	}, nil
}

// dial returns a client connection to addr. grpc.NewClient does no I/O: the
// connection is made in the background, so this never blocks.
func dial(addr string, cfg Config) (*grpc.ClientConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if host == "" {
		host = "localhost" // ":8080" is how a node names its own listener
	}
	// passthrough: addr is a host:port, not a name to resolve via gRPC's
	// DNS resolver (which would also re-resolve on its own schedule).
	target := "passthrough:///" + net.JoinHostPort(host, port)
	var dialer net.Dialer
	if cfg.SourceIP != "" {
		ip := net.ParseIP(cfg.SourceIP)
		if ip == nil {
			return nil, fmt.Errorf("dial %s: bad source IP %q", addr, cfg.SourceIP)
		}
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	cc, err := grpc.NewClient(target, append(cfg.Security.dialOptions(),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", a)
		}),
		grpc.WithDefaultCallOptions(
			grpc.ForceCodecV2(codec{}),
			grpc.MaxCallRecvMsgSize(cfg.MaxMessageSize),
			grpc.MaxCallSendMsgSize(cfg.MaxMessageSize),
		),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                cfg.KeepaliveTime,
			Timeout:             cfg.KeepaliveTimeout,
			PermitWithoutStream: true,
		}),
		// gRPC's own reconnect backoff defaults to 1 s growing to 2 min; a
		// restarted peer must be found again within our MaxBackoff.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  cfg.MinBackoff,
				Multiplier: 2,
				Jitter:     0.2,
				MaxDelay:   cfg.MaxBackoff,
			},
			MinConnectTimeout: cfg.DialTimeout,
		}),
	)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return cc, nil
}

// enqueue adds a framed message without blocking; false means dropped.
func (p *peer) enqueue(frame []byte) bool {
	n := int64(len(frame))
	if p.queuedBytes.Add(n) > int64(p.t.cfg.MaxQueueBytes) {
		p.queuedBytes.Add(-n)
		return false
	}
	select {
	case p.queue <- frame:
		return true
	default:
		p.queuedBytes.Add(-n)
		return false
	}
}

func (p *peer) dequeued(frame []byte) { p.queuedBytes.Add(-int64(len(frame))) }

// run keeps one stream to the peer open, reconnecting with capped
// exponential backoff, until the peer is stopped.
func (p *peer) run() {
	defer p.wg.Done()
	t := p.t
	log := t.log.With("peer", fmtID(p.id), "addr", p.addr)
	bo := t.cfg.MinBackoff
	var carry []byte // a frame dequeued that did not fit the last batch
	warned := false  // an outage was logged at Warn; the retries log at Debug
	for {
		start := time.Now()
		err := p.stream(&carry)
		wasHealthy := p.healthy.Swap(false)
		if p.ctx.Err() != nil {
			return
		}
		// Warn once per outage, not on every retry.
		switch {
		case wasHealthy:
			log.Warn("raft stream to peer broken", "err", err)
		case !warned:
			log.Warn("raft stream to peer not established", "err", err)
		default:
			log.Debug("raft stream to peer not established", "err", err)
		}
		warned = true
		t.h.ReportUnreachable(p.id)
		if isRemovedStatus(err) {
			t.notifyRemoved()
		}
		// A stream that was accepted and lived a while: retry promptly. One
		// refused at once (wrong member, removed) must not make us spin.
		if wasHealthy && time.Since(start) > t.cfg.MaxBackoff {
			bo = t.cfg.MinBackoff
		}
		d := bo/2 + rand.N(bo/2+1) // jitter: peers restarted together must not retry in lockstep
		bo = min(2*bo, t.cfg.MaxBackoff)
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-p.wake:
			timer.Stop()
			bo = t.cfg.MinBackoff
		case <-p.ctx.Done():
			timer.Stop()
			return
		}
	}
}

// peerIsUp is called when the peer opened a stream to us.
func (p *peer) peerIsUp() {
	if p.healthy.Load() {
		return
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// stream opens one Stream RPC and feeds it batches until it fails.
func (p *peer) stream(carry *[]byte) error {
	t := p.t
	ctx, cancel := context.WithCancel(p.withMD(p.ctx))
	defer cancel()

	// The stream itself has no deadline (it lives as long as the peer), so
	// bound only the wait for a connection and the server's acceptance.
	timer := time.AfterFunc(t.cfg.DialTimeout, cancel)
	s, err := p.openStream(ctx)
	if !timer.Stop() {
		// Our cancel fired: say so rather than "context canceled".
		err = fmt.Errorf("not connected and accepted within %v", t.cfg.DialTimeout)
	}
	if err != nil {
		return fmt.Errorf("open stream to %s: %w", p.addr, err)
	}

	// The server only ever ends the stream with a status (e.g. "member
	// removed"); watch for it so we notice without having to send.
	recvDone := make(chan struct{})
	var recvErr error
	go func() {
		defer close(recvDone)
		recvErr = s.RecvMsg(new(empty))
		if recvErr == nil {
			recvErr = errors.New("peer ended the stream")
		}
	}()
	defer func() {
		cancel()
		<-recvDone
	}()

	p.healthy.Store(true)
	t.log.Info("raft stream to peer connected", "peer", fmtID(p.id), "addr", p.addr)
	var buf []byte
	for {
		frame := *carry
		*carry = nil
		if frame == nil {
			select {
			case frame = <-p.queue:
				p.dequeued(frame)
			case <-recvDone:
				return fmt.Errorf("stream to %s: %w", p.addr, recvErr)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Pack everything already queued, up to MaxBatchBytes, so a burst
		// of small messages costs one gRPC message.
		buf = append(buf[:0], frame...)
	fill:
		for len(buf) < t.cfg.MaxBatchBytes {
			select {
			case f := <-p.queue:
				p.dequeued(f)
				if len(buf)+len(f) > t.cfg.MaxBatchBytes {
					*carry = f
					break fill
				}
				buf = append(buf, f...)
			default:
				break fill
			}
		}
		if err := s.SendMsg(&outBatch{buf: buf}); err != nil {
			if errors.Is(err, io.EOF) {
				// The stream ended; the reason is the status RecvMsg sees.
				<-recvDone
				err = recvErr
			}
			return fmt.Errorf("send to %s: %w", p.addr, err)
		}
		if cap(buf) > 4*t.cfg.MaxBatchBytes {
			buf = nil // one huge message must not pin its buffer forever
		}
	}
}

// openStream opens the Stream RPC and waits for the server to accept it:
// the server sends headers only after its checks pass.
func (p *peer) openStream(ctx context.Context) (grpc.ClientStream, error) {
	s, err := p.cc.NewStream(ctx, streamDesc(), methodStream)
	if err != nil {
		return nil, err
	}
	md, err := s.Header()
	if err != nil {
		return nil, err
	}
	if md == nil {
		// Ended without headers: refused; the status says why.
		if err := s.RecvMsg(new(empty)); err != nil {
			return nil, err
		}
		return nil, errors.New("stream ended before it was accepted")
	}
	return s, nil
}

// withMD tells the server who we are and whom we think we talk to, so that
// a reused address or a removed sender is refused before any message.
func (p *peer) withMD(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, mdFrom, fmtID(p.t.id), mdTo, fmtID(p.id))
}

// sendSnapshot streams one MsgSnap and its body, then reports the outcome to
// raft, which pauses replication to the peer until it hears.
func (p *peer) sendSnapshot(m *raftpb.Message, hdr []byte) {
	defer p.wg.Done()
	t := p.t
	log := t.log.With("peer", fmtID(p.id), "addr", p.addr,
		"index", m.GetSnapshot().GetMetadata().GetIndex(), "term", m.GetSnapshot().GetMetadata().GetTerm())
	start := time.Now()
	n, err := p.streamSnapshot(m, hdr)
	if err != nil {
		if p.ctx.Err() == nil {
			log.Warn("sending raft snapshot failed", "bytes", n, "err", err)
		}
		if isRemovedStatus(err) {
			t.notifyRemoved()
		}
		t.h.ReportSnapshot(p.id, raft.SnapshotFailure)
		return
	}
	log.Info("raft snapshot sent", "bytes", n, "took", time.Since(start).Round(time.Millisecond))
	t.h.ReportSnapshot(p.id, raft.SnapshotFinish)
}

func (p *peer) streamSnapshot(m *raftpb.Message, hdr []byte) (int64, error) {
	t := p.t
	body, err := t.h.OpenSnapshot(m)
	if err != nil {
		return 0, fmt.Errorf("open snapshot body: %w", err)
	}
	defer body.Close()

	// A connection of its own: a multi-GiB body then shares no TCP send
	// buffer or HTTP/2 connection window with the heartbeats and appends of
	// the message stream.
	cc, err := dial(p.addr, t.cfg)
	if err != nil {
		return 0, err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(p.withMD(p.ctx), t.cfg.SnapshotTimeout)
	defer cancel()
	s, err := cc.NewStream(ctx, snapshotDesc(), methodSnapshot)
	if err != nil {
		return 0, fmt.Errorf("open snapshot stream to %s: %w", p.addr, err)
	}
	send := func(c *snapChunk) error {
		err := s.SendMsg(c)
		if errors.Is(err, io.EOF) {
			// The server ended the RPC; its status says why.
			if err = s.RecvMsg(new(empty)); err == nil {
				err = errors.New("peer ended the snapshot stream early")
			}
		}
		return err
	}

	if err := send(&snapChunk{kind: chunkHeader, payload: hdr}); err != nil {
		return 0, fmt.Errorf("send snapshot header to %s: %w", p.addr, err)
	}
	var total int64
	sum := crc32.New(crcTable())
	buf := make([]byte, t.cfg.SnapshotChunkSize)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			sum.Write(buf[:n])
			total += int64(n)
			// The codec copies buf, so it can be refilled right away.
			if err := send(&snapChunk{kind: chunkData, payload: buf[:n]}); err != nil {
				return total, fmt.Errorf("send snapshot body to %s: %w", p.addr, err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return total, fmt.Errorf("read snapshot body: %w", rerr)
		}
	}
	trailer := encodeTrailer(uint64(total), sum.Sum32())
	if err := send(&snapChunk{kind: chunkTrailer, payload: trailer}); err != nil {
		return total, fmt.Errorf("send snapshot trailer to %s: %w", p.addr, err)
	}
	if err := s.CloseSend(); err != nil {
		return total, fmt.Errorf("close snapshot stream to %s: %w", p.addr, err)
	}
	if err := s.RecvMsg(new(empty)); err != nil {
		return total, fmt.Errorf("snapshot to %s: %w", p.addr, err)
	}
	return total, nil
}

// isRemovedStatus reports whether err carries the server's "member removed"
// status (possibly wrapped).
func isRemovedStatus(err error) bool {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return false
	}
	st := se.GRPCStatus()
	return st.Code() == codes.FailedPrecondition && st.Message() == msgRemoved
}

// remoteError turns a status carrying a Handler error back into that error,
// text intact; transport failures stay as they are.
func remoteError(err error) error {
	if st, ok := status.FromError(err); ok && st.Code() == codeHandlerError {
		return &RemoteError{Msg: st.Message()}
	}
	return err
}

func crcTable() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }
