package clustertest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/raftcache/raftcache/cluster/transport"
)

// Any, as the from or to of Drop and Delay, stands for every member.
const Any uint64 = 0

// linkQueue bounds the messages waiting on one link, as the gRPC
// transport's per-peer queue does: beyond it, messages are dropped and the
// peer is reported unreachable.
const linkQueue = 4096

// ErrUnreachable is the error of a Progress or Join that the network did
// not carry: the member is not on the network, or the link is cut.
var ErrUnreachable = errors.New("clustertest: member unreachable")

// Network is an in-memory transport.Network for nodes in one process. Each
// node's Endpoint registers its advertised raft address; peers reach it
// there, as over gRPC. Messages on a link (one member to another) are
// delivered in order by a goroutine of the link, so a slow receiver holds
// back only that link. Links can be cut (Partition, Isolate), made lossy
// (Drop) or slow (Delay) at any moment, and restored with Reconnect and
// Heal. A cut or a drop loses the message, as a broken connection does;
// raft retransmits. A message is lost if its link is cut when it is sent or when it is due
// for delivery; a snapshot in transfer when its link is cut fails, as its
// stream would.
//
// Joins are not subject to faults: a joiner has no ID yet.
type Network struct {
	seed uint64

	mu     sync.Mutex
	byAddr map[string]*endpoint
	cut    map[link]bool
	drop   map[link]float64
	delay  map[link]time.Duration
	snaps  SnapshotStats
}

// SnapshotStats count the snapshot transfers the network carried.
type SnapshotStats struct {
	Started  int // MsgSnap sent by a leader
	Finished int // bodies the receiver stored and stepped
	Failed   int // transfers lost to a fault, or refused
}

// Snapshots returns the snapshot transfers so far: a test can tell that a
// follower caught up by a snapshot, or cut a link while one is on its way.
func (nw *Network) Snapshots() SnapshotStats {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.snaps
}

func (nw *Network) countSnapshot(f func(*SnapshotStats)) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	f(&nw.snaps)
}

// link is a direction between two members; Any stands for all.
type link struct{ from, to uint64 }

// NewNetwork returns a network with no faults. seed makes Drop
// deterministic: whether the n-th message sent on a link is dropped
// depends only on the seed, the link, n and the rate it was sent at.
func NewNetwork(seed uint64) *Network {
	return &Network{
		seed:   seed,
		byAddr: make(map[string]*endpoint),
		cut:    make(map[link]bool),
		drop:   make(map[link]float64),
		delay:  make(map[link]time.Duration),
	}
}

// Partition cuts every link between members of different groups, in both
// directions. Members in no group keep their links. Cuts add up until Heal.
func (nw *Network) Partition(groups ...[]uint64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for i, g := range groups {
		for _, h := range groups[i+1:] {
			for _, a := range g {
				for _, b := range h {
					nw.cut[link{a, b}] = true
					nw.cut[link{b, a}] = true
				}
			}
		}
	}
}

// Isolate cuts every link to and from id.
func (nw *Network) Isolate(id uint64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.cut[link{id, Any}] = true
	nw.cut[link{Any, id}] = true
}

// Reconnect removes every cut to and from id, leaving other cuts, drops
// and delays as they are.
func (nw *Network) Reconnect(id uint64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for l := range nw.cut {
		if l.from == id || l.to == id {
			delete(nw.cut, l)
		}
	}
}

// Drop makes the link from → to lose a fraction rate (0 to 1) of the
// messages sent on it from now on; Any for from or to means every member.
func (nw *Network) Drop(from, to uint64, rate float64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.drop[link{from, to}] = rate
}

// Delay holds every message on the link from → to for d before delivering
// it; Any for from or to means every member. Order on the link is kept.
func (nw *Network) Delay(from, to uint64, d time.Duration) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.delay[link{from, to}] = d
}

// Heal removes every cut, drop and delay.
func (nw *Network) Heal() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	clear(nw.cut)
	clear(nw.drop)
	clear(nw.delay)
}

// isCut reports whether from → to is cut.
func (nw *Network) isCut(from, to uint64) bool {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.cutLocked(from, to)
}

func (nw *Network) cutLocked(from, to uint64) bool {
	return nw.cut[link{from, to}] || nw.cut[link{from, Any}] || nw.cut[link{Any, to}]
}

// faults returns the drop rate and delay of from → to, the most specific
// setting winning.
func (nw *Network) faults(from, to uint64) (rate float64, d time.Duration) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for _, l := range []link{{from, to}, {from, Any}, {Any, to}, {Any, Any}} {
		if r, ok := nw.drop[l]; ok {
			rate = r
			break
		}
	}
	for _, l := range []link{{from, to}, {from, Any}, {Any, to}, {Any, Any}} {
		if v, ok := nw.delay[l]; ok {
			d = v
			break
		}
	}
	return rate, d
}

// lookup returns the open endpoint at addr, or nil.
func (nw *Network) lookup(addr string) *endpoint {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.byAddr[addr]
}

// Endpoint registers member cfg.ID at addr. An address in use by an open
// endpoint is refused, as a bound port would be.
func (nw *Network) Endpoint(cfg transport.Config, addr string) (transport.Endpoint, error) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.byAddr[addr] != nil {
		return nil, fmt.Errorf("clustertest: address %s in use", addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &endpoint{nw: nw, id: cfg.ID, addr: addr, h: cfg.Handler, ctx: ctx, cancel: cancel,
		peers: make(map[uint64]*peerLink)}
	nw.byAddr[addr] = e
	return e, nil
}

// Join asks the member at addr to add the member req describes. A refusal
// comes back as a *transport.RemoteError, as over gRPC.
func (nw *Network) Join(ctx context.Context, _ transport.Config, addr string, req transport.JoinRequest) (transport.JoinResponse, error) {
	e := nw.lookup(addr)
	if e == nil || !e.enter() {
		return transport.JoinResponse{}, fmt.Errorf("join %s: %w", addr, ErrUnreachable)
	}
	defer e.leave()
	resp, err := e.h.Join(ctx, req)
	if err != nil {
		return transport.JoinResponse{}, fmt.Errorf("join %s: %w", addr, &transport.RemoteError{Msg: err.Error()})
	}
	return resp, nil
}

// endpoint is one member's attachment to the network.
type endpoint struct {
	nw   *Network
	id   uint64
	addr string
	h    transport.Handler

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc

	mu          sync.Mutex
	closed      bool
	peers       map[uint64]*peerLink
	links       sync.WaitGroup // the goroutines of e's links, current and stopped
	inbound     sync.WaitGroup // Handler calls made for other members' links
	removedOnce sync.Once
}

// enter admits a call into e's Handler, unless e is closed; leave ends it.
func (e *endpoint) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.inbound.Add(1)
	return true
}

func (e *endpoint) leave() { e.inbound.Done() }

func (e *endpoint) AddPeer(id uint64, addr string) {
	if id == 0 || id == e.id {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	if old := e.peers[id]; old != nil {
		if old.addr == addr {
			return
		}
		old.stop()
	}
	p := newPeerLink(e, id, addr)
	e.peers[id] = p
	e.links.Add(1)
	go p.run()
}

func (e *endpoint) RemovePeer(id uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.peers[id]; p != nil {
		delete(e.peers, id)
		p.stop()
	}
}

// Send copies msgs (raft may change them once Send returns) and queues
// each on its link.
func (e *endpoint) Send(msgs []*raftpb.Message) {
	var unreachable, snapFailed []uint64
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	for _, m := range msgs {
		p := e.peers[m.GetTo()]
		if p == nil {
			if m.GetType() == raftpb.MsgSnap {
				snapFailed = append(snapFailed, m.GetTo())
			}
			continue
		}
		m = proto.Clone(m).(*raftpb.Message)
		rate, _ := e.nw.faults(e.id, p.to)
		if m.GetType() == raftpb.MsgSnap {
			e.links.Add(1)
			go p.sendSnapshot(m, p.lose(rate))
			continue
		}
		if e.nw.isCut(e.id, p.to) {
			// Lost now, as on a broken connection; reported once.
			if p.markDown() {
				unreachable = append(unreachable, p.to)
			}
			continue
		}
		if p.lose(rate) {
			continue
		}
		if !p.enqueue(m) {
			unreachable = append(unreachable, m.GetTo())
		}
	}
	e.mu.Unlock()
	for _, id := range unreachable {
		e.h.ReportUnreachable(id)
	}
	for _, id := range snapFailed {
		e.h.ReportSnapshot(id, raft.SnapshotFailure)
	}
}

// Reachable reports whether id is on the network and the links both ways
// are up: what an open, accepted gRPC stream shows.
func (e *endpoint) Reachable(id uint64) bool {
	e.mu.Lock()
	p := e.peers[id]
	e.mu.Unlock()
	if p == nil || e.nw.lookup(p.addr) == nil {
		return false
	}
	return !e.nw.isCut(e.id, id) && !e.nw.isCut(id, e.id)
}

// Progress asks member id for its view of replication, over the links both
// ways.
func (e *endpoint) Progress(ctx context.Context, id uint64) (transport.ProgressResponse, error) {
	e.mu.Lock()
	p := e.peers[id]
	e.mu.Unlock()
	if p == nil {
		return transport.ProgressResponse{}, fmt.Errorf("progress from %016x: %w", id, transport.ErrUnknownPeer)
	}
	dst := e.nw.lookup(p.addr)
	if dst == nil || dst.id != id || !e.Reachable(id) || !dst.enter() {
		return transport.ProgressResponse{}, fmt.Errorf("progress from %016x: %w", id, ErrUnreachable)
	}
	defer dst.leave()
	resp, err := dst.h.Progress(ctx)
	if err != nil {
		return transport.ProgressResponse{}, fmt.Errorf("progress from %016x: %w", id, &transport.RemoteError{Msg: err.Error()})
	}
	return resp, nil
}

// Close takes e off the network and returns once none of its Handler's
// methods is running or will be called (except a Removed already started).
func (e *endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.peers = nil
	e.mu.Unlock()

	e.nw.mu.Lock()
	if e.nw.byAddr[e.addr] == e {
		delete(e.nw.byAddr, e.addr)
	}
	e.nw.mu.Unlock()

	e.cancel() // stops every link, the peers' and those stopped before
	e.links.Wait()
	e.inbound.Wait()
	return nil
}

// removed tells e's node, once, that a peer refused it as removed.
func (e *endpoint) removed() {
	e.removedOnce.Do(func() { go e.h.Removed() })
}

// peerLink carries e's messages to one peer, in order.
type peerLink struct {
	e      *endpoint
	to     uint64
	addr   string
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	rng  *rand.Rand // Drop's decisions, one per message in the link's order
	q    []queued
	wake chan struct{} // signaled when q grows
	down bool          // the last message was lost to a cut: reported already
}

type queued struct {
	m  *raftpb.Message
	at time.Time // deliver no earlier
}

func newPeerLink(e *endpoint, to uint64, addr string) *peerLink {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", e.id, to)
	ctx, cancel := context.WithCancel(e.ctx)
	return &peerLink{e: e, to: to, addr: addr, rng: rand.New(rand.NewPCG(e.nw.seed, h.Sum64())),
		ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
}

// stop ends the link's goroutines; Close waits for them.
func (p *peerLink) stop() { p.cancel() }

// lose draws whether the network loses the next message, at rate.
func (p *peerLink) lose(rate float64) bool {
	if rate <= 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.Float64() < rate
}

func (p *peerLink) enqueue(m *raftpb.Message) bool {
	_, d := p.e.nw.faults(p.e.id, p.to)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.q) >= linkQueue {
		return false
	}
	p.q = append(p.q, queued{m, time.Now().Add(d)})
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

func (p *peerLink) run() {
	defer p.e.links.Done()
	for {
		p.mu.Lock()
		var next queued
		ok := len(p.q) > 0
		if ok {
			next = p.q[0]
			p.q[0] = queued{}
			p.q = p.q[1:]
		}
		p.mu.Unlock()
		if !ok {
			select {
			case <-p.wake:
				continue
			case <-p.ctx.Done():
				return
			}
		}
		if wait := time.Until(next.at); wait > 0 {
			select {
			case <-time.After(wait):
			case <-p.ctx.Done():
				return
			}
		}
		p.deliver(next.m)
	}
}

// deliver hands m to the peer, unless the network loses it.
func (p *peerLink) deliver(m *raftpb.Message) {
	dst := p.e.nw.lookup(p.addr)
	if dst == nil || p.e.nw.isCut(p.e.id, p.to) || !dst.enter() {
		p.lost()
		return
	}
	defer dst.leave()
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
	if dst.id != m.GetTo() {
		return // the address was reused: the gRPC server refuses it
	}
	if dst.h.IsRemoved(m.GetFrom()) {
		p.e.removed()
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	defer context.AfterFunc(dst.ctx, cancel)()
	if err := dst.h.Process(ctx, m); err != nil {
		p.e.h.ReportUnreachable(p.to)
	}
}

// lost reports the peer unreachable when a message is lost to a cut or a
// missing peer, once until a message goes through again: as a gRPC stream
// breaks once, not once per message.
func (p *peerLink) lost() {
	if p.markDown() {
		p.e.h.ReportUnreachable(p.to)
	}
}

// markDown records that a message was lost to a cut, and reports whether
// it is the first since one went through.
func (p *peerLink) markDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	first := !p.down
	p.down = true
	return first
}

// sendSnapshot streams m's body to the peer and reports the outcome. A cut
// of the link at any moment of the transfer fails it.
func (p *peerLink) sendSnapshot(m *raftpb.Message, lost bool) {
	defer p.e.links.Done()
	p.e.nw.countSnapshot(func(s *SnapshotStats) { s.Started++ })
	status := raft.SnapshotFailure
	defer func() {
		p.e.nw.countSnapshot(func(s *SnapshotStats) {
			if status == raft.SnapshotFinish {
				s.Finished++
			} else {
				s.Failed++
			}
		})
		p.e.h.ReportSnapshot(p.to, status)
	}()

	_, d := p.e.nw.faults(p.e.id, p.to)
	if d > 0 {
		select {
		case <-time.After(d):
		case <-p.ctx.Done():
			return
		}
	}
	if lost {
		return
	}
	dst := p.e.nw.lookup(p.addr)
	if dst == nil || dst.id != m.GetTo() || p.e.nw.isCut(p.e.id, p.to) || !dst.enter() {
		return
	}
	defer dst.leave()
	if dst.h.IsRemoved(m.GetFrom()) {
		p.e.removed()
		return
	}
	body, err := p.e.h.OpenSnapshot(m)
	if err != nil {
		return
	}
	defer body.Close()
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	defer context.AfterFunc(dst.ctx, cancel)()
	r := &cutReader{r: body, cut: func() bool { return p.e.nw.isCut(p.e.id, p.to) || ctx.Err() != nil }}
	if err := dst.h.ReceiveSnapshot(ctx, m, r); err == nil {
		status = raft.SnapshotFinish
	}
}

// cutReader fails once its link is cut, as a broken stream does.
type cutReader struct {
	r   io.Reader
	cut func() bool
}

func (c *cutReader) Read(b []byte) (int, error) {
	if c.cut() {
		return 0, fmt.Errorf("snapshot stream: %w", ErrUnreachable)
	}
	n, err := c.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("snapshot stream: %w", err)
	}
	return n, err
}
