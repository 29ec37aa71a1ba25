// Package resp serves raftcache over the Redis protocol (RESP2, and RESP3
// after HELLO 3), so that redis-cli and Redis client libraries work against
// any node unchanged.
//
// Every node accepts every command. Writes go through the Raft log and are
// answered with the state machine's reply once applied locally; reads wait
// for a linearizable-read barrier and then run on the local store (or, on a
// connection that sent READONLY, read local state at once). A MULTI/EXEC
// transaction is one log entry. Replies are byte-for-byte those of Redis 7,
// and a Raft problem becomes a Redis error (CLUSTERDOWN, TRYAGAIN) instead
// of a hang: every request is bounded by Config.Timeout.
//
// The server also answers the connection and server commands clients send
// on their own (HELLO, AUTH, CLIENT, CONFIG, INFO, COMMAND, WAIT) and the
// CLUSTER commands, built from the Raft membership, so that cluster-aware
// clients find the leader: it owns all 16384 slots as the master, the other
// members are its replicas.
//
// Each connection has a reader goroutine (serveConn) that parses requests
// once, with Redis's limits and protocol errors, and serves every complete
// request read so far as one pipeline, and an output that writes the
// replies in order, with pushes that other goroutines queue (client.push,
// client.pushWith). A handler can park a request (client.park) and answer
// it later from any goroutine; the connection serves nothing after it
// until then, as Redis does for a blocked client.
package resp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// Cluster is what the server needs from the local Raft node.
type Cluster interface {
	// ReplicateBatch proposes the commands of ws as one proposal, waits
	// until each is applied locally and sets each Write's outcome: the
	// state machine's result (an fsm.Reply) and the entry's log index, or
	// an error (see cluster.Node.ReplicateBatch). The commands are
	// per-connection buffers that the server reuses as soon as
	// ReplicateBatch returns, so it must not keep them (copy them into the
	// log entries) once it has returned, even after a timeout.
	ReplicateBatch(ctx context.Context, ws []cluster.Write)
	// LinearizableRead returns once the local store reflects every write
	// acknowledged before the call.
	LinearizableRead(ctx context.Context) error
	// StartRead and WaitRead are LinearizableRead in two halves, so that
	// writes can be proposed while the read barrier runs.
	StartRead() cluster.ReadTicket
	WaitRead(ctx context.Context, t cluster.ReadTicket) error
	// Status describes the node, for INFO and the CLUSTER commands.
	Status() cluster.Status
	// Members lists the cluster with each member's match index (the
	// leader's view), for INFO, CLUSTER and WAIT.
	Members(ctx context.Context) ([]cluster.Member, error)
	// TransferLeadership makes the member transferee the leader, for
	// CLUSTER FAILOVER.
	TransferLeadership(ctx context.Context, transferee uint64) error
}

// Config tunes a Server. The zero value is usable.
type Config struct {
	// Timeout bounds each request, including its Raft round trip.
	// Default 5s.
	Timeout time.Duration
	// Logger receives connection and protocol events. Default slog.Default().
	Logger *slog.Logger
	// Clock returns the time, in Unix milliseconds, that this node stamps
	// on the commands it proposes (TTLs, expiry) and reads by. Default
	// the system clock; a test build may skew it (cmd/raftcache).
	Clock func() int64
	// Version is raftcache's version, shown by INFO. Default "dev".
	Version string
	// MaxBulkLen is the largest bulk string a client may send, like Redis's
	// proto-max-bulk-len. Default 512 MiB.
	MaxBulkLen int64
	// MaxQueryBuffer is the largest single request, like Redis's
	// client-query-buffer-limit; a client sending a larger one is
	// disconnected. It also bounds a transaction's queued commands.
	// Default 1 GiB.
	MaxQueryBuffer int64
	// Shutdown, if set, is what SHUTDOWN calls: stop the node as SIGTERM
	// does. It must return at once. Nil: SHUTDOWN is refused.
	Shutdown func()
	// ProtectOps (-protect_ops) refuses SHUTDOWN to a connection whose
	// user has no password, as the admin API then refuses its ops routes
	// to a request without a credential.
	ProtectOps bool
	// RequirePass, like Redis's requirepass, makes clients authenticate
	// (AUTH, or HELLO with AUTH) before any other command. Empty: no
	// password.
	RequirePass string
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("resp: server closed")

// Server is a Redis protocol front door to one raftcache node.
type Server struct {
	cfg     Config
	cluster Cluster
	store   *fsm.Store
	log     *slog.Logger
	cmds    *commandTable
	started time.Time
	runID   string // random, for INFO, as Redis's run_id

	limits   limits
	errs     errorStats // error replies, for INFO stats and errorstats
	specList []*cmdSpec // every command, in name order, for INFO and metrics
	slowlog  slowlog
	latency  latencyMonitor
	startMem uint64        // used_memory when the server was made
	memPeak  atomic.Uint64 // the highest used_memory INFO or MEMORY saw

	bgsaving atomic.Bool // a BGSAVE is running

	opsMu    sync.Mutex // instantaneous_ops_per_sec's last sample
	opsAt    time.Time
	opsCount int64
	opsRate  int64
	password atomic.Pointer[string] // requirepass; CONFIG SET changes it
	nextID   atomic.Int64           // last client ID handed out
	stats    stats

	// base is the parent of every request context; Shutdown cancels it
	// when its own deadline passes, to cut short requests still waiting
	// on Raft.
	base       context.Context
	cancelBase context.CancelFunc

	acl      *aclFront // ACL users compiled, and the ACL LOG (acl.go)
	blocking *blockers // this node's blocked clients
	pubsub   *hub      // this node's subscriptions
	monitors monitors  // this node's MONITOR clients (monitor.go)
	tracker  *tracker  // this node's client-side caching
	draining atomic.Bool
	port     atomic.Int64 // TCP port being served, for INFO

	mu      sync.Mutex
	lis     net.Listener
	closed  bool
	conns   map[net.Conn]*client
	idle    chan struct{} // closed when conns becomes empty during drain
	drained chan struct{} // closed when Shutdown is done with connections
}

// NewServer returns a server for store, replicated by c.
func NewServer(cfg Config, c Cluster, store *fsm.Store) *Server {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.MaxBulkLen <= 0 {
		cfg.MaxBulkLen = defaultMaxBulkLen
	}
	if cfg.MaxQueryBuffer <= 0 {
		cfg.MaxQueryBuffer = defaultMaxQueryBuf
	}
	base, cancel := context.WithCancel(context.Background())
	var id [20]byte
	_, _ = rand.Read(id[:])
	s := &Server{
		cfg:        cfg,
		cluster:    c,
		store:      store,
		log:        cfg.Logger,
		cmds:       newCommandTable(ownCommands()),
		started:    time.Now(),
		runID:      hex.EncodeToString(id[:]),
		base:       base,
		cancelBase: cancel,
		conns:      make(map[net.Conn]*client),
		drained:    make(chan struct{}),
	}
	s.specList = s.cmds.allSpecs()
	s.startMem = readMemStats().used
	// Redis's defaults; node-local settings, as in Redis.
	s.slowlog.slowerThan.Store(10000)
	s.slowlog.maxLen.Store(128)
	s.acl = newACLFront(s.cmds)
	store.SetScriptACL(s.acl.scripts)
	// -requirepass is the default user's password until the log sets
	// the default user (see fsm/aclcmd.go).
	store.SetInitialPassword(cfg.RequirePass)
	s.blocking = newBlockers()
	store.SetEventSink(s.blocking.deliver)
	s.pubsub = newHub()
	s.monitors.limit = maxMonitorOutput
	s.tracker = newTracker()
	store.SetEffectsSink(s.effects)
	store.SetReadMessageSink(s.readMessage)
	go s.runWaiterJanitor()
	s.limits.maxBulk.Store(cfg.MaxBulkLen)
	s.limits.maxQuery.Store(cfg.MaxQueryBuffer)
	pass := cfg.RequirePass
	s.password.Store(&pass)
	return s
}

// stats are the counters INFO stats shows beside the store's.
type stats struct {
	connections atomic.Int64 // connections accepted
	commands    atomic.Int64 // requests handled
}

// requirePass returns the password clients must give, or "".
func (s *Server) requirePass() string { return *s.password.Load() }

// authRequired reports whether c must still authenticate, as Redis's
// authRequired: a client that connected while no password was set stays
// authenticated when one is set later.
// Until the node has synced its ACL state (syncACL), every client not yet
// authenticated must be.
func (s *Server) authRequired(c *client) bool {
	return !c.authed.Load() && (!s.acl.synced.Load() || s.defaultNeedsAuth())
}

// Serve accepts connections on lis until Shutdown, then returns
// ErrServerClosed once Shutdown is done with the connections. Each
// connection is served by a goroutine of its own (serveConn) and written by
// another (its output's flusher). Serve takes ownership of lis.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		lis.Close()
		return ErrServerClosed
	}
	if s.lis != nil {
		s.mu.Unlock()
		return errors.New("resp: Serve called twice")
	}
	s.lis = lis
	s.mu.Unlock()
	if a, ok := lis.Addr().(*net.TCPAddr); ok {
		s.port.Store(int64(a.Port))
	}
	var backoff time.Duration
	for {
		nc, err := lis.Accept()
		if err != nil {
			if s.draining.Load() {
				<-s.drained
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("resp: accept: %w", err)
			}
			// Pausing keeps a persistent error such as EMFILE from
			// spinning the CPU and flooding the log.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("resp: accept", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		// IDs follow the order of accepting, as CLIENT LIST shows them.
		go s.serveConn(nc, s.nextID.Add(1))
	}
}

// Shutdown stops accepting connections, lets the requests already read
// finish, and closes every connection. A parked request's context is
// cancelled, so that its owner answers at once. When ctx ends first it
// cancels the requests still running, closes the connections at once and
// returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.drained
		return nil
	}
	s.closed = true
	s.draining.Store(true)
	lis := s.lis
	s.mu.Unlock()

	// Refuse new connections before closing the idle ones, so that no
	// client sees its connection closed and then a new one accepted.
	var err error
	if lis != nil {
		if cerr := lis.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	s.mu.Lock()
	s.idle = make(chan struct{})
	if len(s.conns) == 0 {
		close(s.idle)
	}
	for _, c := range s.conns {
		// Wake readers waiting for the next request: they end. Busy
		// ones notice after the requests they have read.
		c.shutdown()
	}
	idle := s.idle
	s.mu.Unlock()

	select {
	case <-idle:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancelBase()
		s.mu.Lock()
		for nc := range s.conns {
			nc.Close()
		}
		s.mu.Unlock()
	}
	s.cancelBase()
	close(s.drained)
	return err
}

// systemClock is Config.Clock's default.
func systemClock() int64 { return time.Now().UnixMilli() }
