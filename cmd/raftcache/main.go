// Command raftcache runs one node of a Redis-protocol compatible cache
// replicated with Raft. See the README for a walkthrough.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/raftcache/raftcache/admin"
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
		respAddr = flag.String("resp", ":6379", "address for the Redis protocol (RESP)")
		stateDir = flag.String("state_dir", "raftcache-data", "directory for the WAL and snapshots; an existing one is restarted")
		join     = flag.String("join", "", "raft address of a member to join (ignored when -state_dir holds state)")
		raftAdv  = flag.String("raft_advertise", "", "address peers dial to reach this node's raft transport (default: -raft)")
		raftSrc  = flag.String("raft_source", "", "local IP for outgoing raft connections (default: any)")
		timeout  = flag.Duration("timeout", 5*time.Second, "bound on every client request")
		snapN    = flag.Uint64("snapshot_entries", 10000, "applied entries between snapshots")
		verbose  = flag.Bool("v", false, "log debug messages")
	)
	flag.Parse()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Bind the client ports before joining, so a port clash fails here and
	// does not leave a member the cluster counts on but never hears from.
	respLis, err := net.Listen("tcp", *respAddr)
	if err != nil {
		return fmt.Errorf("listen resp: %w", err)
	}
	apiLis, err := net.Listen("tcp", *apiAddr)
	if err != nil {
		return fmt.Errorf("listen api: %w", err)
	}
	store := fsm.New()
	node, err := cluster.Start(ctx, cluster.Config{
		StateDir: *stateDir, RaftAddr: *raftAddr, AdvertiseRaft: *raftAdv, SourceIP: *raftSrc, APIAddr: *apiAddr, RESPAddr: *respAddr, Join: *join,
		StateMachine: store, Logger: log, SnapshotEntries: *snapN, ReadTimeout: *timeout,
	})
	if err != nil {
		return err
	}
	respSrv := resp.NewServer(resp.Config{Timeout: *timeout, Logger: log.With("component", "resp")}, node, store)
	adminSrv := admin.NewServer(node, store, admin.Config{Timeout: *timeout, Logger: log.With("component", "admin")})
	serveErr := make(chan error, 2)
	go func() { serveErr <- fmt.Errorf("resp server: %w", respSrv.Serve(respLis)) }()
	go func() { serveErr <- fmt.Errorf("admin server: %w", adminSrv.Serve(apiLis)) }()
	log.Info("serving", "id", cluster.FormatID(node.ID()), "raft", *raftAddr, "api", apiLis.Addr(), "resp", respLis.Addr())

	var nodeErr error
	select {
	case <-ctx.Done():
		log.Info("signal received; shutting down")
	case <-node.Done():
		nodeErr = node.Err()
	case err := <-serveErr:
		nodeErr = err
	}
	// Stop taking requests, let those in flight finish, then stop the node
	// (which closes the WAL).
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := respSrv.Shutdown(sctx); err != nil {
		log.Warn("resp shutdown", "err", err)
	}
	if err := adminSrv.Shutdown(sctx); err != nil {
		log.Warn("admin shutdown", "err", err)
	}
	if err := node.Shutdown(sctx); err != nil {
		return err
	}
	if errors.Is(nodeErr, cluster.ErrRemoved) {
		log.Info("removed from the cluster; exiting")
		return nil
	}
	return nodeErr
}
