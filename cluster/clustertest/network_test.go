package clustertest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/raftcache/raftcache/cluster/transport"
)

// recorder is a transport.Handler that records what reaches it.
type recorder struct {
	mu          sync.Mutex
	got         []uint64 // the Index of each message processed, in order
	snaps       []string // snapshot bodies stored
	unreachable int
	snapStatus  []raft.SnapshotStatus
	removed     chan struct{}
	isRemoved   func(uint64) bool
}

func newRecorder() *recorder { return &recorder{removed: make(chan struct{}, 1)} }

func (r *recorder) Process(_ context.Context, m *raftpb.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m.GetIndex())
	return nil
}

func (r *recorder) ReceiveSnapshot(_ context.Context, m *raftpb.Message, body io.Reader) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snaps = append(r.snaps, string(b))
	return nil
}

func (r *recorder) OpenSnapshot(*raftpb.Message) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("state")), nil
}

func (r *recorder) IsRemoved(id uint64) bool { return r.isRemoved != nil && r.isRemoved(id) }
func (r *recorder) Removed()                 { r.removed <- struct{}{} }

func (r *recorder) ReportUnreachable(uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreachable++
}

func (r *recorder) ReportSnapshot(_ uint64, s raft.SnapshotStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snapStatus = append(r.snapStatus, s)
}

func (r *recorder) Join(context.Context, transport.JoinRequest) (transport.JoinResponse, error) {
	return transport.JoinResponse{}, errors.New("no joins here")
}

func (r *recorder) Progress(context.Context) (transport.ProgressResponse, error) {
	return transport.ProgressResponse{Leader: 1}, nil
}

func (r *recorder) indexes() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// pair is two endpoints, 1 and 2, that know each other.
func pair(t *testing.T, nw *Network) (e1, e2 transport.Endpoint, r1, r2 *recorder) {
	t.Helper()
	r1, r2 = newRecorder(), newRecorder()
	e1, err := nw.Endpoint(transport.Config{ID: 1, Handler: r1}, "a1")
	if err != nil {
		t.Fatal(err)
	}
	e2, err = nw.Endpoint(transport.Config{ID: 2, Handler: r2}, "a2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e1.Close(); e2.Close() })
	e1.AddPeer(2, "a2")
	e2.AddPeer(1, "a1")
	return e1, e2, r1, r2
}

func send(e transport.Endpoint, from, to uint64, indexes ...uint64) {
	var msgs []*raftpb.Message
	for _, i := range indexes {
		msgs = append(msgs, &raftpb.Message{Type: raftpb.MsgApp.Enum(), From: &from, To: &to, Index: &i})
	}
	e.Send(msgs)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
	}
}

func TestNetworkCutsAndHeals(t *testing.T) {
	nw := NewNetwork(1)
	e1, _, r1, r2 := pair(t, nw)
	send(e1, 1, 2, 1, 2, 3)
	waitFor(t, "delivery", func() bool { return len(r2.indexes()) == 3 })
	if !e1.Reachable(2) {
		t.Error("peer 2 unreachable on a healthy network")
	}
	nw.Isolate(2)
	send(e1, 1, 2, 4, 5)
	waitFor(t, "a report of the cut", func() bool { r1.mu.Lock(); defer r1.mu.Unlock(); return r1.unreachable > 0 })
	if e1.Reachable(2) {
		t.Error("an isolated peer is reachable")
	}
	if _, err := e1.Progress(context.Background(), 2); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Progress across a cut: %v", err)
	}
	nw.Reconnect(2)
	nw.Partition([]uint64{1}, []uint64{2, 3})
	send(e1, 1, 2, 6)
	nw.Heal()
	send(e1, 1, 2, 7)
	waitFor(t, "delivery after the heal", func() bool { return len(r2.indexes()) == 4 })
	if got := r2.indexes(); !slices.Equal(got, []uint64{1, 2, 3, 7}) {
		t.Errorf("delivered %v, want 1 2 3 7: messages sent across a cut are lost, the rest in order", got)
	}
	r1.mu.Lock()
	if r1.unreachable != 1 {
		t.Errorf("peer reported unreachable %d times for one cut, want once", r1.unreachable)
	}
	r1.mu.Unlock()
	if p, err := e1.Progress(context.Background(), 2); err != nil || p.Leader != 1 {
		t.Errorf("Progress = %+v, %v", p, err)
	}
}

func TestNetworkDropIsDeterministic(t *testing.T) {
	run := func(seed uint64) []uint64 {
		nw := NewNetwork(seed)
		nw.Drop(Any, 2, 0.3)
		e1, _, _, r2 := pair(t, nw)
		var all []uint64
		for i := range uint64(1000) {
			all = append(all, i+1)
		}
		send(e1, 1, 2, all...)
		nw.Heal()
		send(e1, 1, 2, 1001)
		waitFor(t, "delivery", func() bool { got := r2.indexes(); return len(got) > 0 && got[len(got)-1] == 1001 })
		got := r2.indexes()
		return got[:len(got)-1]
	}
	a, b, other := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Error("the same seed dropped different messages")
	}
	if slices.Equal(a, other) {
		t.Error("different seeds dropped the same messages")
	}
	if len(a) < 600 || len(a) > 800 {
		t.Errorf("%d of 1000 delivered at a 30%% drop rate", len(a))
	}
}

func TestNetworkDelayKeepsOrder(t *testing.T) {
	nw := NewNetwork(1)
	e1, _, _, r2 := pair(t, nw)
	nw.Delay(1, 2, 100*time.Millisecond)
	start := time.Now()
	send(e1, 1, 2, 1, 2)
	nw.Delay(1, 2, 0)
	send(e1, 1, 2, 3)
	waitFor(t, "delivery", func() bool { return len(r2.indexes()) == 3 })
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("delayed messages delivered after %v", d)
	}
	if got := r2.indexes(); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("delivered %v, want in order", got)
	}
}

func TestNetworkSnapshots(t *testing.T) {
	nw := NewNetwork(1)
	e1, _, r1, r2 := pair(t, nw)
	snap := func() {
		from, to := uint64(1), uint64(2)
		e1.Send([]*raftpb.Message{{Type: raftpb.MsgSnap.Enum(), From: &from, To: &to}})
	}
	snap()
	waitFor(t, "the snapshot", func() bool { return nw.Snapshots().Finished == 1 })
	nw.Isolate(2)
	snap()
	waitFor(t, "the failure", func() bool { return nw.Snapshots().Failed == 1 })
	r1.mu.Lock()
	defer r1.mu.Unlock()
	if !slices.Equal(r1.snapStatus, []raft.SnapshotStatus{raft.SnapshotFinish, raft.SnapshotFailure}) || !slices.Equal(r2.snaps, []string{"state"}) {
		t.Errorf("reported %v, stored %q", r1.snapStatus, r2.snaps)
	}
}

func TestNetworkTellsRemovedMembers(t *testing.T) {
	nw := NewNetwork(1)
	e1, _, r1, r2 := pair(t, nw)
	r2.isRemoved = func(id uint64) bool { return id == 1 }
	send(e1, 1, 2, 1)
	select {
	case <-r1.removed:
	case <-time.After(5 * time.Second):
		t.Fatal("a removed member was not told")
	}
	if got := r2.indexes(); len(got) != 0 {
		t.Errorf("a removed member's messages were processed: %v", got)
	}
	if _, err := nw.Endpoint(transport.Config{ID: 3, Handler: newRecorder()}, "a1"); err == nil {
		t.Error("an address in use was given to another endpoint")
	}
	if _, err := nw.Join(context.Background(), transport.Config{}, "a2", transport.JoinRequest{}); !errors.As(err, new(*transport.RemoteError)) {
		t.Errorf("a refused join: %v, want a RemoteError", err)
	}
}
