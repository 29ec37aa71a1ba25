package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// testHandler records what the transport hands it.
type testHandler struct {
	mu          sync.Mutex
	msgs        []*raftpb.Message
	unreachable map[uint64]int
	snapReports map[uint64][]raft.SnapshotStatus
	snapshots   []receivedSnap
	removedIDs  map[uint64]bool

	removedOnce sync.Once
	removed     chan struct{} // closed by Removed

	snapBody   []byte        // what OpenSnapshot serves
	snapGate   chan struct{} // if set, ReceiveSnapshot stalls after its first read until closed
	snapBegun  chan struct{} // closed when ReceiveSnapshot has read its first bytes
	snapErr    error         // if set, ReceiveSnapshot fails with it after reading
	join       func(JoinRequest) (JoinResponse, error)
	progress   ProgressResponse
	beginOnce  sync.Once
	processErr error
}

type receivedSnap struct {
	m    *raftpb.Message
	body []byte
}

func newTestHandler() *testHandler {
	return &testHandler{
		unreachable: map[uint64]int{},
		snapReports: map[uint64][]raft.SnapshotStatus{},
		removedIDs:  map[uint64]bool{},
		removed:     make(chan struct{}),
		snapBegun:   make(chan struct{}),
	}
}

func (h *testHandler) Process(_ context.Context, m *raftpb.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, m)
	return h.processErr
}

func (h *testHandler) ReceiveSnapshot(ctx context.Context, m *raftpb.Message, body io.Reader) error {
	var buf bytes.Buffer
	first := make([]byte, 4096)
	n, err := io.ReadFull(body, first)
	buf.Write(first[:n])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	h.beginOnce.Do(func() { close(h.snapBegun) })
	if h.snapGate != nil {
		select {
		case <-h.snapGate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if _, err := io.Copy(&buf, body); err != nil {
		return err
	}
	if h.snapErr != nil {
		return h.snapErr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snapshots = append(h.snapshots, receivedSnap{m: m, body: buf.Bytes()})
	h.msgs = append(h.msgs, m) // "step" it
	return nil
}

func (h *testHandler) OpenSnapshot(*raftpb.Message) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(h.snapBody)), nil
}

func (h *testHandler) IsRemoved(id uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.removedIDs[id]
}

func (h *testHandler) Removed() { h.removedOnce.Do(func() { close(h.removed) }) }

func (h *testHandler) ReportUnreachable(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unreachable[id]++
}

func (h *testHandler) ReportSnapshot(id uint64, st raft.SnapshotStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snapReports[id] = append(h.snapReports[id], st)
}

func (h *testHandler) Join(_ context.Context, req JoinRequest) (JoinResponse, error) {
	return h.join(req)
}

func (h *testHandler) Progress(context.Context) (ProgressResponse, error) { return h.progress, nil }

func (h *testHandler) unreachableCount(id uint64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.unreachable[id]
}

func (h *testHandler) reports(id uint64) []raft.SnapshotStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]raft.SnapshotStatus(nil), h.snapReports[id]...)
}

// received returns the messages of type typ processed so far.
func (h *testHandler) received(typ raftpb.MessageType) []*raftpb.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*raftpb.Message
	for _, m := range h.msgs {
		if m.GetType() == typ {
			out = append(out, m)
		}
	}
	return out
}

type node struct {
	t      *Transport
	h      *testHandler
	addr   string
	served chan error
}

// startNode serves a transport for id on lis (a fresh loopback port if nil).
func startNode(t *testing.T, id uint64, h *testHandler, lis net.Listener, tune func(*Config)) *node {
	t.Helper()
	if lis == nil {
		var err error
		if lis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{
		ID:      id,
		Handler: h,
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if tune != nil {
		tune(&cfg)
	}
	n := &node{t: New(cfg), h: h, addr: lis.Addr().String(), served: make(chan error, 1)}
	go func() { n.served <- n.t.Serve(lis) }()
	t.Cleanup(func() { n.stop(t) })
	return n
}

func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.t.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	select {
	case err := <-n.served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
		n.served <- nil // let a second stop return too
	case <-time.After(5 * time.Second):
		t.Errorf("Serve did not return after Close")
	}
}

func msg(typ raftpb.MessageType, from, to, index uint64) *raftpb.Message {
	return &raftpb.Message{Type: new(typ), From: new(from), To: new(to), Index: new(index), Term: new(uint64(1))}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func checkInOrder(t *testing.T, got []*raftpb.Message, from, n uint64) {
	t.Helper()
	if uint64(len(got)) != n {
		t.Fatalf("got %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if m.GetIndex() != from+uint64(i) {
			t.Fatalf("message %d has index %d, want %d (reordered or lost)", i, m.GetIndex(), from+uint64(i))
		}
	}
}

func TestBatchesDeliveredInOrderOnOneStream(t *testing.T) {
	const total = 20000
	big := func(c *Config) { c.QueueSize = 2 * total }
	n1 := startNode(t, 1, newTestHandler(), nil, big)

	// Queue everything before node 2 serves, so the sender finds a full
	// queue to pack into batches.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n1.t.AddPeer(2, lis.Addr().String())
	for i := 0; i < total; i += 100 {
		var batch []*raftpb.Message
		for j := i; j < i+100; j++ {
			m := msg(raftpb.MsgApp, 1, 2, uint64(j+1))
			m.Entries = []*raftpb.Entry{{Index: new(uint64(j + 1)), Term: new(uint64(1)), Data: []byte(fmt.Sprintf("entry-%d", j+1))}}
			batch = append(batch, m)
		}
		n1.t.Send(batch)
	}
	n2 := startNode(t, 2, newTestHandler(), lis, nil)

	waitFor(t, 10*time.Second, "all messages", func() bool { return len(n2.h.received(raftpb.MsgApp)) >= total })
	got := n2.h.received(raftpb.MsgApp)
	checkInOrder(t, got, 1, total)
	if e := got[total-1].GetEntries(); len(e) != 1 || string(e[0].GetData()) != fmt.Sprintf("entry-%d", total) {
		t.Fatalf("last entry mangled: %v", e)
	}
	if s := n2.t.streamsAccepted.Load(); s != 1 {
		t.Fatalf("node 2 accepted %d streams, want 1", s)
	}
	if b := n2.t.batchesReceived.Load(); b > 10 {
		t.Fatalf("%d messages took %d batches; the queue was not packed", total, b)
	}
	if !n1.t.Reachable(2) {
		t.Fatal("peer 2 not reachable after delivery")
	}
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	n1 := startNode(t, 1, newTestHandler(), nil, nil)
	n2 := startNode(t, 2, newTestHandler(), nil, nil)
	n1.t.AddPeer(2, n2.addr)

	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)})
	waitFor(t, 5*time.Second, "first delivery", func() bool { return len(n2.h.received(raftpb.MsgApp)) == 1 })

	n2.stop(t)
	waitFor(t, 5*time.Second, "peer reported unreachable", func() bool {
		return n1.h.unreachableCount(2) > 0 && !n1.t.Reachable(2)
	})

	lis, err := net.Listen("tcp", n2.addr) // same address: the peer restarted
	if err != nil {
		t.Fatal(err)
	}
	n2b := startNode(t, 2, newTestHandler(), lis, nil)
	waitFor(t, 10*time.Second, "reconnect", func() bool { return n1.t.Reachable(2) })

	var batch []*raftpb.Message
	for i := uint64(100); i < 200; i++ {
		batch = append(batch, msg(raftpb.MsgApp, 1, 2, i))
	}
	n1.t.Send(batch)
	waitFor(t, 5*time.Second, "delivery after restart", func() bool { return len(n2b.h.received(raftpb.MsgApp)) >= 100 })
	checkInOrder(t, n2b.h.received(raftpb.MsgApp), 100, 100)
}

func TestSnapshotStreamsWhileHeartbeatsFlow(t *testing.T) {
	body := make([]byte, 8<<20+12345) // several chunks, last one partial
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	h1 := newTestHandler()
	h1.snapBody = body
	h2 := newTestHandler()
	h2.snapGate = make(chan struct{})
	n1 := startNode(t, 1, h1, nil, nil)
	n2 := startNode(t, 2, h2, nil, nil)
	n1.t.AddPeer(2, n2.addr)

	snap := msg(raftpb.MsgSnap, 1, 2, 0)
	snap.Snapshot = &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
		Index: new(uint64(42)), Term: new(uint64(3)), ConfState: &raftpb.ConfState{Voters: []uint64{1, 2}},
	}}
	n1.t.Send([]*raftpb.Message{snap})
	select {
	case <-h2.snapBegun:
	case <-time.After(5 * time.Second):
		t.Fatal("snapshot never started")
	}

	// The receiver is stalled mid-body; heartbeats must still get through.
	var hb uint64
	waitFor(t, 5*time.Second, "heartbeats during the snapshot", func() bool {
		hb++
		n1.t.Send([]*raftpb.Message{msg(raftpb.MsgHeartbeat, 1, 2, hb)})
		return len(h2.received(raftpb.MsgHeartbeat)) >= 10
	})
	if r := h1.reports(2); len(r) != 0 {
		t.Fatalf("snapshot reported %v before the receiver finished", r)
	}
	close(h2.snapGate)

	waitFor(t, 10*time.Second, "snapshot report", func() bool { return len(h1.reports(2)) > 0 })
	if r := h1.reports(2); !reflect.DeepEqual(r, []raft.SnapshotStatus{raft.SnapshotFinish}) {
		t.Fatalf("snapshot reports = %v, want [finish]", r)
	}
	h2.mu.Lock()
	defer h2.mu.Unlock()
	if len(h2.snapshots) != 1 {
		t.Fatalf("received %d snapshots, want 1", len(h2.snapshots))
	}
	got := h2.snapshots[0]
	if sha256.Sum256(got.body) != sha256.Sum256(body) {
		t.Fatalf("snapshot body differs: got %d bytes, want %d", len(got.body), len(body))
	}
	if md := got.m.GetSnapshot().GetMetadata(); md.GetIndex() != 42 || md.GetTerm() != 3 || len(md.GetConfState().GetVoters()) != 2 {
		t.Fatalf("snapshot metadata mangled: %v", md)
	}
}

func TestSnapshotFailureReported(t *testing.T) {
	h1 := newTestHandler()
	h1.snapBody = bytes.Repeat([]byte("x"), 3<<20)
	h2 := newTestHandler()
	h2.snapErr = errors.New("disk full")
	n1 := startNode(t, 1, h1, nil, nil)
	n2 := startNode(t, 2, h2, nil, nil)
	n1.t.AddPeer(2, n2.addr)

	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgSnap, 1, 2, 0), msg(raftpb.MsgSnap, 1, 9, 0)})
	waitFor(t, 10*time.Second, "failure reports", func() bool {
		return len(h1.reports(2)) > 0 && len(h1.reports(9)) > 0
	})
	if r := h1.reports(2); !reflect.DeepEqual(r, []raft.SnapshotStatus{raft.SnapshotFailure}) {
		t.Fatalf("reports for refused snapshot = %v, want [failure]", r)
	}
	if r := h1.reports(9); !reflect.DeepEqual(r, []raft.SnapshotStatus{raft.SnapshotFailure}) {
		t.Fatalf("reports for unknown peer = %v, want [failure]", r)
	}
	if m := h2.received(raftpb.MsgSnap); len(m) != 0 {
		t.Fatalf("failed snapshot was stepped: %v", m)
	}
}

func TestRemovedMemberIsRefused(t *testing.T) {
	h1 := newTestHandler()
	h2 := newTestHandler()
	h2.removedIDs[1] = true
	n1 := startNode(t, 1, h1, nil, nil)
	n2 := startNode(t, 2, h2, nil, nil)
	n1.t.AddPeer(2, n2.addr)
	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgHeartbeat, 1, 2, 1)})

	select {
	case <-h1.removed:
	case <-time.After(5 * time.Second):
		t.Fatal("Removed not called")
	}
	if m := h2.received(raftpb.MsgHeartbeat); len(m) != 0 {
		t.Fatalf("message from removed member processed: %v", m)
	}
	waitFor(t, 5*time.Second, "unreachable report", func() bool { return h1.unreachableCount(2) > 0 })
}

func TestMessageFromRemovedMemberIsRefused(t *testing.T) {
	// The stream is accepted (its sender, 1, is a member), but a message in
	// it claims to come from removed member 5: checked per message.
	h1 := newTestHandler()
	h2 := newTestHandler()
	h2.removedIDs[5] = true
	n1 := startNode(t, 1, h1, nil, nil)
	n2 := startNode(t, 2, h2, nil, nil)
	n1.t.AddPeer(2, n2.addr)
	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgHeartbeat, 1, 2, 1), msg(raftpb.MsgHeartbeat, 5, 2, 2)})
	select {
	case <-h1.removed:
	case <-time.After(5 * time.Second):
		t.Fatal("Removed not called")
	}
	got := h2.received(raftpb.MsgHeartbeat)
	if len(got) != 1 || got[0].GetFrom() != 1 {
		t.Fatalf("processed %v, want only the heartbeat from 1", got)
	}
}

func TestMessageForOtherMemberIsRefused(t *testing.T) {
	h1 := newTestHandler()
	h3 := newTestHandler()
	n1 := startNode(t, 1, h1, nil, nil)
	n3 := startNode(t, 3, h3, nil, nil)
	n1.t.AddPeer(2, n3.addr) // member 2's old address, now node 3's
	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgHeartbeat, 1, 2, 1)})
	waitFor(t, 5*time.Second, "unreachable report", func() bool { return h1.unreachableCount(2) > 0 })
	if m := h3.received(raftpb.MsgHeartbeat); len(m) != 0 {
		t.Fatalf("message for another member processed: %v", m)
	}
	select {
	case <-h1.removed:
		t.Fatal("refusal taken for removal")
	default:
	}
}

func TestJoin(t *testing.T) {
	h := newTestHandler()
	want := JoinResponse{ID: 0xab, Members: []MemberInfo{
		{ID: 1, RaftAddr: "127.0.0.1:7001", APIAddr: "127.0.0.1:8001", RESPAddr: "127.0.0.1:6379"},
		{ID: 0xab, RaftAddr: "127.0.0.1:7002"},
	}}
	h.join = func(req JoinRequest) (JoinResponse, error) {
		if req.RaftAddr == "127.0.0.1:7001" {
			return JoinResponse{}, errors.New("raft address already a member: 127.0.0.1:7001 is 0000000000000001")
		}
		return want, nil
	}
	n := startNode(t, 1, h, nil, nil)
	ctx := t.Context()

	got, err := Join(ctx, Config{}, n.addr, JoinRequest{RaftAddr: "127.0.0.1:7002"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("join = %+v, want %+v", got, want)
	}

	_, err = Join(ctx, Config{}, n.addr, JoinRequest{RaftAddr: "127.0.0.1:7001"})
	wantErr := "join " + n.addr + ": raft address already a member: 127.0.0.1:7001 is 0000000000000001"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("join error = %v, want %q", err, wantErr)
	}
	var re *RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("join error %v is not a *RemoteError", err)
	}

	// Nobody listening: a transport error, not a RemoteError, and bounded.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := lis.Addr().String()
	lis.Close()
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err = Join(dctx, Config{}, dead, JoinRequest{}); err == nil || errors.As(err, &re) || !strings.HasPrefix(err.Error(), "join "+dead+": ") {
		t.Fatalf("join to dead address: err = %v", err)
	}
}

func TestProgress(t *testing.T) {
	h2 := newTestHandler()
	h2.progress = ProgressResponse{Leader: 2, Match: map[uint64]uint64{1: 10, 2: 12}, Reachable: map[uint64]bool{1: true, 2: true}}
	n1 := startNode(t, 1, newTestHandler(), nil, nil)
	n2 := startNode(t, 2, h2, nil, nil)
	n1.t.AddPeer(2, n2.addr)
	got, err := n1.t.Progress(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h2.progress) {
		t.Fatalf("progress = %+v, want %+v", got, h2.progress)
	}
	if _, err := n1.t.Progress(t.Context(), 7); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("progress from unknown peer: err = %v", err)
	}
}

func TestSendDropsWhenQueueFull(t *testing.T) {
	h1 := newTestHandler()
	n1 := startNode(t, 1, h1, nil, func(c *Config) { c.QueueSize = 8 })
	// A listener that never serves: the stream cannot open, the queue fills.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	n1.t.AddPeer(2, lis.Addr().String())
	var batch []*raftpb.Message
	for i := uint64(1); i <= 100; i++ {
		batch = append(batch, msg(raftpb.MsgApp, 1, 2, i))
	}
	n1.t.Send(batch) // must return although nothing can be sent
	if h1.unreachableCount(2) == 0 {
		t.Fatal("full queue did not report the peer unreachable")
	}
	if n1.t.Reachable(2) {
		t.Fatal("peer with no server reported reachable")
	}
}

func TestAddRemovePeer(t *testing.T) {
	n1 := startNode(t, 1, newTestHandler(), nil, nil)
	n2 := startNode(t, 2, newTestHandler(), nil, nil)
	n1.t.AddPeer(2, n2.addr)
	n1.t.AddPeer(2, n2.addr) // idempotent
	n1.t.AddPeer(1, n2.addr) // self: ignored
	waitFor(t, 5*time.Second, "stream", func() bool { return n1.t.Reachable(2) })
	if s := n2.t.streamsAccepted.Load(); s != 1 {
		t.Fatalf("%d streams after repeated AddPeer, want 1", s)
	}
	n1.t.RemovePeer(2)
	if n1.t.Reachable(2) {
		t.Fatal("removed peer still reachable")
	}
	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)}) // dropped, no panic
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	// Warm up: gRPC starts a few process-wide goroutines on first use.
	func() {
		a := startNodeNoCleanup(t, 1, newTestHandler())
		b := startNodeNoCleanup(t, 2, newTestHandler())
		a.t.AddPeer(2, b.addr)
		waitFor(t, 5*time.Second, "warm-up stream", func() bool { return a.t.Reachable(2) })
		a.stop(t)
		b.stop(t)
	}()
	before := runtime.NumGoroutine()

	var nodes []*node
	for id := uint64(1); id <= 3; id++ {
		h := newTestHandler()
		h.snapBody = make([]byte, 4<<20)
		h.snapGate = make(chan struct{}) // never opened: Close must cut snapshots short
		nodes = append(nodes, startNodeNoCleanup(t, id, h))
	}
	for _, a := range nodes {
		for j, b := range nodes {
			a.t.AddPeer(uint64(j+1), b.addr)
		}
	}
	for i, a := range nodes {
		from := uint64(i + 1)
		for to := uint64(1); to <= 3; to++ {
			if to != from {
				a.t.Send([]*raftpb.Message{msg(raftpb.MsgHeartbeat, from, to, 1), msg(raftpb.MsgSnap, from, to, 0)})
			}
		}
	}
	for _, n := range nodes {
		waitFor(t, 5*time.Second, "heartbeats", func() bool { return len(n.h.received(raftpb.MsgHeartbeat)) == 2 })
		<-n.h.snapBegun
	}
	for _, n := range nodes {
		n.stop(t)
		n.t.Close() // twice is fine
	}
	waitFor(t, 5*time.Second, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
	for _, n := range nodes {
		n.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)}) // after Close: dropped
		n.t.AddPeer(9, "127.0.0.1:1")                            // after Close: ignored
	}
	if runtime.NumGoroutine() > before {
		t.Fatal("calls after Close started goroutines")
	}
}

// startNodeNoCleanup is startNode for tests that stop nodes themselves and
// count goroutines (t.Cleanup would run too late).
func startNodeNoCleanup(t *testing.T, id uint64, h *testHandler) *node {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: New(Config{ID: id, Handler: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}),
		h: h, addr: lis.Addr().String(), served: make(chan error, 1)}
	go func() { n.served <- n.t.Serve(lis) }()
	return n
}
