// Command raftcache runs one node of a Redis-protocol compatible cache
// replicated with Raft. See the README for a walkthrough.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/raftcache/raftcache/admin"
	"github.com/raftcache/raftcache/admin/metrics"
	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
	"github.com/raftcache/raftcache/resp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "raftcache:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		raftAddr = flag.String("raft", ":8080", "address for the raft transport between members")
		apiAddr  = flag.String("api", ":9090", "address for the HTTP admin API")
		respAddr = flag.String("resp", ":6379", "address for the Redis protocol (RESP) in plain text; empty: none (then -tls_resp is needed)")
		stateDir = flag.String("state_dir", "raftcache-data", "directory for the WAL and snapshots; an existing one is restarted")
		join     = flag.String("join", "", "raft address of a member to join (ignored when -state_dir holds state)")
		raftAdv  = flag.String("raft_advertise", "", "address peers dial to reach this node's raft transport (default: -raft)")
		raftSrc  = flag.String("raft_source", "", "local IP for outgoing raft connections (default: any)")
		respAdv  = flag.String("resp_advertise", "", "address clients reach this node's RESP listener at, shown by CLUSTER SLOTS (default: -resp)")
		timeout  = flag.Duration("timeout", 5*time.Second, "bound on every client request")
		snapN    = flag.Uint64("snapshot_entries", 10000, "applied entries between snapshots")
		password = flag.String("requirepass", "", "password clients must give with AUTH or HELLO (default: none)")
		maxBulk  = flag.String("proto_max_bulk_len", "512mb", "largest bulk string a client may send, as Redis's proto-max-bulk-len")
		maxQuery = flag.String("client_query_buffer_limit", "1gb", "largest request (and transaction) a client may send, as Redis's client-query-buffer-limit")
		verbose  = flag.Bool("v", false, "log debug messages")
		pprofAt  = flag.String("pprof", "", "serve net/http/pprof on this address (off when empty; never expose it publicly)")
		gcPct    = flag.Int("gc_percent", defaultGCPercent, "heap growth over the live heap that triggers a garbage collection, as GOGC (negative: off)")
		maxMem   = flag.String("maxmemory", "0", "the cluster's initial maxmemory, in Redis's size units (0: no limit); a CONFIG SET maxmemory made since wins over it")
		restore  = flag.String("restore", "", "start a new single-member cluster from this backup (GET /mgmt/snapshot) in an empty -state_dir")
		forceNew = flag.Bool("force_new_cluster", false, "make this restarting member the only member of its cluster, keeping its data (after a quorum is lost for good)")
		memLimit = flag.String("memory_limit", "0", "soft limit on the process's memory, as GOMEMLIMIT, in Redis's size units (0: none); the collector works harder near it, nothing is evicted")
	)
	secFlags := registerSecurityFlags()
	showVersion := flag.Bool("version", false, "print the version, the commit built from and the Go version, then exit")
	flag.String(configFlag, "", "YAML file of settings keyed by the flags' names (also "+envName(configFlag)+"); flags and "+envPrefix+"* variables win over it")
	flag.CommandLine.Usage = usage(flag.CommandLine)
	flag.Parse()
	if *showVersion {
		fmt.Println(version())
		return nil
	}
	configWarnings, err := applyConfig(flag.CommandLine, os.Environ())
	if err != nil {
		return err
	}
	limit, err := resp.ParseMemory(*memLimit)
	if err != nil {
		return fmt.Errorf("-memory_limit: %w", err)
	}
	setGC(*gcPct, limit)
	maxMemory, err := resp.ParseMemory(*maxMem)
	if err != nil {
		return fmt.Errorf("-maxmemory: %w", err)
	}
	bulkLimit, err := resp.ParseMemory(*maxBulk)
	if err != nil {
		return fmt.Errorf("-proto_max_bulk_len: %w", err)
	}
	queryLimit, err := resp.ParseMemory(*maxQuery)
	if err != nil {
		return fmt.Errorf("-client_query_buffer_limit: %w", err)
	}
	if *respAdv == "" {
		respAdv = respAddr
		if *respAddr == "" {
			respAdv = secFlags.tlsResp
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	for _, w := range configWarnings {
		log.Warn(w)
	}
	sec, err := secFlags.build(log)
	if err != nil {
		return err
	}
	warnUnprotected(log, sec, *password, *respAddr, *secFlags.tlsResp, *apiAddr, *raftAddr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Bind the client ports before joining, so a port clash fails here and
	// does not leave a member the cluster counts on but never hears from.
	respLis, apiLis, err := sec.listen(*respAddr, *secFlags.tlsResp, *apiAddr)
	if err != nil {
		return err
	}
	if *pprofAt != "" {
		// Its own listener rather than a route on the admin API: profiles
		// run longer than the API's write timeout, and they expose the
		// process's internals, which the API's clients have no use for.
		pprofLis, err := net.Listen("tcp", *pprofAt)
		if err != nil {
			return fmt.Errorf("listen pprof: %w", err)
		}
		pprofSrv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := pprofSrv.Serve(pprofLis); !errors.Is(err, http.ErrServerClosed) {
				log.Warn("pprof server stopped", "err", err)
			}
		}()
		defer pprofSrv.Close()
		log.Info("serving pprof", "addr", pprofLis.Addr())
	}
	store := fsm.New()
	if *restore != "" {
		if *forceNew || *join != "" {
			return errors.New("-restore starts a new cluster: it cannot be combined with -join or -force_new_cluster")
		}
		advertise := *raftAdv
		if advertise == "" {
			advertise = *raftAddr
		}
		if _, _, err := cluster.Restore(cluster.RestoreConfig{File: *restore, StateDir: *stateDir,
			RaftAddr: advertise, APIAddr: *apiAddr, RESPAddr: *respAdv, StateMachine: store, Logger: log}); err != nil {
			return err
		}
	}
	reg := metrics.New()
	node, err := cluster.Start(ctx, cluster.Config{
		StateDir: *stateDir, RaftAddr: *raftAddr, AdvertiseRaft: *raftAdv, SourceIP: *raftSrc, APIAddr: *apiAddr, RESPAddr: *respAdv, Join: *join,
		ForceNewCluster: *forceNew, StateMachine: store, Logger: log, SnapshotEntries: *snapN, ReadTimeout: *timeout, Observer: reg.Raft(),
		PeerSecurity: sec.peer,
	})
	if err != nil {
		return err
	}
	// SHUTDOWN stops the node as SIGTERM does: the select below ends the
	// same way for both.
	shutdownc := make(chan struct{})
	var shutdownOnce sync.Once
	requestShutdown := func() { shutdownOnce.Do(func() { close(shutdownc) }) }
	clock, err := wallClock(log)
	if err != nil {
		return err
	}
	respSrv := resp.NewServer(resp.Config{Timeout: *timeout, Logger: log.With("component", "resp"), Clock: clock,
		RequirePass: *password, MaxBulkLen: bulkLimit, MaxQueryBuffer: queryLimit,
		Shutdown: requestShutdown, ProtectOps: *secFlags.protectOps}, node, store)
	// Active expiry: the leader proposes the deletion of expired keys
	// nobody touches, so that every node frees them, in log order.
	expiryCtx, stopExpiry := context.WithCancel(ctx)
	expiryDone := make(chan struct{}, 2)
	propose := func(ctx context.Context, cmd []byte) error {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		_, err := node.Replicate(ctx, cmd)
		return err
	}
	go func() {
		defer func() { expiryDone <- struct{}{} }()
		fsm.RunActiveExpiry(expiryCtx, store, node.IsLeader, propose, clock)
	}()
	// Eviction and access statistics: the leader evicts through the log;
	// every node reports the reads it served.
	go func() {
		defer func() { expiryDone <- struct{}{} }()
		fsm.RunMemory(expiryCtx, store, node.IsLeader, propose, clock, maxMemory)
	}()
	go releaseMemoryWhenQuiet(ctx, 500*time.Millisecond, store.CompactCollections, log)
	reg.WatchNode(node)
	reg.WatchCache(store)
	reg.WatchRESP(respSrv)
	adminSrv := admin.NewServer(node, store, admin.Config{Timeout: *timeout, Logger: log.With("component", "admin"), Metrics: reg, Clock: clock,
		Auth: admin.Auth{Users: apiUsers{srv: respSrv, store: store}, AdminToken: sec.adminToken, ProtectOps: *secFlags.protectOps}})
	serveErr := make(chan error, 2)
	go func() { serveErr <- fmt.Errorf("resp server: %w", respSrv.Serve(respLis)) }()
	go func() { serveErr <- fmt.Errorf("admin server: %w", adminSrv.Serve(apiLis)) }()
	log.Info("serving", "id", cluster.FormatID(node.ID()), "raft", *raftAddr, "api", apiLis.Addr(), "resp", respLis.Addr())

	var nodeErr error
	select {
	case <-ctx.Done():
		log.Info("signal received; shutting down")
	case <-shutdownc:
		log.Info("SHUTDOWN received; shutting down")
	case <-node.Done():
		nodeErr = node.Err()
	case err := <-serveErr:
		nodeErr = err
	}
	// Stop taking requests, let those in flight finish, then stop the node
	// (which closes the WAL).
	stopExpiry()
	<-expiryDone
	<-expiryDone
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := respSrv.Shutdown(sctx); err != nil {
		log.Warn("resp shutdown", "err", err)
	}
	if err := adminSrv.Shutdown(sctx); err != nil {
		log.Warn("admin shutdown", "err", err)
	}
	// A leader stopping cleanly hands over first, once the requests it
	// was serving are done, so that the cluster serves writes again at
	// once rather than after an election timeout.
	if nodeErr == nil {
		tctx, tcancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := node.StepDown(tctx); err != nil {
			log.Warn("hand leadership over before stopping", "err", err)
		}
		tcancel()
	}
	// The node gets its own deadline: one front door slow to drain must
	// not make a clean stop of the raft node (and WAL) fail.
	nctx, ncancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ncancel()
	if err := node.Shutdown(nctx); err != nil {
		return err
	}
	if errors.Is(nodeErr, cluster.ErrRemoved) {
		log.Info("removed from the cluster; exiting")
		return nil
	}
	return nodeErr
}

// defaultGCPercent is lower than Go's 100 because a cache's heap is mostly
// its live keyspace, which a collection cannot free: at 100 the process
// holds up to twice the keyspace between collections.
const defaultGCPercent = 25

// setGC applies -gc_percent and -memory_limit. Flags given explicitly win;
// otherwise the GOGC and GOMEMLIMIT environment variables, which the
// runtime has already applied, are left alone.
func setGC(percent int, limit int64) {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["gc_percent"] || os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
	if set["memory_limit"] || os.Getenv("GOMEMLIMIT") == "" {
		if limit == 0 {
			limit = math.MaxInt64 // the runtime's "no limit"
		}
		debug.SetMemoryLimit(limit)
	}
}

// pprofHandler serves the runtime profiles under /debug/pprof/, as
// net/http/pprof registers them on http.DefaultServeMux.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
