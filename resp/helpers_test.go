package resp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// fakeCluster applies writes synchronously to a real fsm.Store, and can be
// told to fail the next operations with a given error. An error wrapping
// context.DeadlineExceeded makes it block until the request's context ends,
// as a real node does when Raft makes no progress.
type fakeCluster struct {
	store *fsm.Store

	mu       sync.Mutex
	index    uint64
	writeErr error
	readErr  error
	hold     chan struct{} // when set, operations wait for it to close
	// gate, when set, is asked about each write: a non-nil channel holds
	// that write back until it closes.
	gate    func(cmd []byte) <-chan struct{}
	started chan struct{} // when set, receives once per operation
}

func newFakeCluster() *fakeCluster { return &fakeCluster{store: fsm.New()} }

func (f *fakeCluster) fail(write, read error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeErr, f.readErr = write, read
}

func (f *fakeCluster) wait(ctx context.Context, err error) error {
	f.mu.Lock()
	hold, started := f.hold, f.started
	f.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeCluster) ReplicateBatch(ctx context.Context, ws []cluster.Write) {
	f.mu.Lock()
	werr, gate := f.writeErr, f.gate
	f.mu.Unlock()
	for i := range ws {
		if gate == nil {
			break
		}
		if g := gate(ws[i].Cmd); g != nil {
			select {
			case <-g:
			case <-ctx.Done():
				for i := range ws {
					ws[i].Err = ctx.Err()
				}
				return
			}
		}
	}
	if err := f.wait(ctx, werr); err != nil {
		for i := range ws {
			ws[i].Err = err
		}
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range ws {
		f.index++
		ws[i].Val, ws[i].Index, ws[i].Err = f.store.Apply(f.index, ws[i].Cmd), f.index, nil
	}
}

func (f *fakeCluster) TransferLeadership(ctx context.Context, id uint64) error {
	return errors.New("fake cluster: no leadership to transfer")
}

func (f *fakeCluster) LinearizableRead(ctx context.Context) error {
	f.mu.Lock()
	rerr := f.readErr
	f.mu.Unlock()
	return f.wait(ctx, rerr)
}

func (f *fakeCluster) StartRead() cluster.ReadTicket { return cluster.ReadTicket{} }

func (f *fakeCluster) WaitRead(ctx context.Context, _ cluster.ReadTicket) error {
	return f.LinearizableRead(ctx)
}

func (f *fakeCluster) Status() cluster.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cluster.Status{ID: 0xabc, Role: cluster.RoleLeader, Term: 3, Leader: 0xabc,
		Commit: f.index, Applied: f.index, Members: 1}
}

func (f *fakeCluster) Members(context.Context) ([]cluster.Member, error) {
	return []cluster.Member{{ID: 0xabc, RaftAddr: "127.0.0.1:1", APIAddr: "127.0.0.1:2",
		RESPAddr: "127.0.0.1:3", Role: cluster.RoleLeader, Voter: true, Reachable: true, Match: 7}}, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// serveFake serves a Server over a fake cluster on a free port. served
// receives what Serve returns; shutting the server down is the caller's.
func serveFake(tb testing.TB, cfg Config) (srv *Server, addr string, fc *fakeCluster, served <-chan error) {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	fc = newFakeCluster()
	srv = NewServer(cfg, fc, fc.store)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	return srv, lis.Addr().String(), fc, done
}

// startServer is serveFake, with the server shut down when the test ends.
func startServer(tb testing.TB, cfg Config) (*Server, string, *fakeCluster) {
	tb.Helper()
	srv, addr, fc, served := serveFake(tb, cfg)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			tb.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, addr, fc
}

// roundTrip sends req on a fresh connection, half-closes it and returns
// every byte the server sends until it closes the connection.
func roundTrip(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("read reply: %v (got %q)", err, out)
	}
	return string(out)
}

// isReset reports a connection reset, which a server closing after a
// protocol error may cause when unread input is left behind.
func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// cmd encodes args as a RESP multibulk request.
func cmd(args ...string) string {
	var b strings.Builder
	b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return b.String()
}
