package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// etcdMemberCmd is the hidden first argument that makes the bench binary
// one embedded etcd member instead of a bench run. Each member is a child
// process of its own, like redis-server and raftcache: its CPU and GC are
// not the bench client's, and the run's process list stops it on every
// exit path (Pdeathsig if the bench itself dies).
const etcdMemberCmd = "etcd-member"

// etcdMember runs one etcd member until SIGTERM or SIGINT and returns the
// process's exit code. etcd keeps its defaults for durability: every WAL
// write is fsynced before the member acknowledges it.
func etcdMember(args []string) int {
	fs := flag.NewFlagSet(etcdMemberCmd, flag.ContinueOnError)
	name := fs.String("name", "", "member name")
	dir := fs.String("dir", "", "data directory")
	peer := fs.String("peer", "", "peer URL")
	client := fs.String("client", "", "client URL")
	cluster := fs.String("cluster", "", "initial cluster: name=peerURL,...")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runEtcdMember(ctx, *name, *dir, *peer, *client, *cluster); err != nil {
		slog.Error("etcd member", "name", *name, "err", err)
		return 1
	}
	return 0
}

func runEtcdMember(ctx context.Context, name, dir, peer, client, cluster string) error {
	pu, err := url.Parse(peer)
	if err != nil {
		return fmt.Errorf("peer URL: %w", err)
	}
	cu, err := url.Parse(client)
	if err != nil {
		return fmt.Errorf("client URL: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = name, dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.InitialCluster = cluster
	cfg.InitialClusterToken = "raftcache-bench"
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.LogLevel = "warn"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		slog.Info("etcd member ready", "name", name)
	case err := <-e.Err():
		return fmt.Errorf("before ready: %w", err)
	case <-ctx.Done():
		return nil
	}
	select {
	case err := <-e.Err():
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		return nil
	}
}

// startEtcd starts a 3-member etcd cluster, each member a child process,
// and returns its members with the leader first once every member answers
// and they agree on that leader.
func (b *bench) startEtcd(ctx context.Context, name string) ([]*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the bench binary: %w", err)
	}
	const n = 3
	members := make([]*server, n)
	var initial []string
	for i := range members {
		dir, err := b.dirs.next(fmt.Sprintf("%s-%d", name, i+1))
		if err != nil {
			return nil, err
		}
		s := &server{kind: "etcd", dir: dir}
		if s.addr, err = freeAddr(); err != nil {
			return nil, err
		}
		if s.raft, err = freeAddr(); err != nil {
			return nil, err
		}
		members[i] = s
		initial = append(initial, fmt.Sprintf("m%d=http://%s", i+1, s.raft))
	}
	for i, s := range members {
		p, err := startProcess(fmt.Sprintf("%s-%d", name, i+1), filepath.Join(s.dir, "etcd.log"), self, etcdMemberCmd,
			"-name", fmt.Sprintf("m%d", i+1), "-dir", filepath.Join(s.dir, "data"),
			"-peer", "http://"+s.raft, "-client", "http://"+s.addr, "-cluster", strings.Join(initial, ","))
		if err != nil {
			return members[:i], err
		}
		s.process = b.procs.add(p)
	}
	var leader int
	err = waitUntil(ctx, nil, startTimeout, 100*time.Millisecond, "a 3-member etcd cluster with a leader", func() (bool, error) {
		for _, s := range members {
			if err := s.exitError(); err != nil {
				return false, err
			}
		}
		var lead uint64
		leader = -1
		for i, s := range members {
			st, err := etcdStatus(ctx, s.addr)
			if err != nil {
				return false, err
			}
			if st.Leader == 0 || (lead != 0 && st.Leader != lead) {
				return false, nil
			}
			lead = st.Leader
			if st.Header.MemberId == st.Leader {
				leader = i
			}
		}
		return leader >= 0, nil
	})
	if err != nil {
		return members, err
	}
	members[0], members[leader] = members[leader], members[0]
	members[0].role = "leader"
	return members, nil
}

// etcdStatus asks the member at addr for its status.
func etcdStatus(ctx context.Context, addr string) (*clientv3.StatusResponse, error) {
	c, err := newEtcdClient(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := c.Status(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("etcd status of %s: %w", addr, err)
	}
	return st, nil
}

func newEtcdClient(addr string) (*clientv3.Client, error) {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{addr}, DialTimeout: 2 * time.Second,
		Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("etcd client for %s: %w", addr, err)
	}
	return c, nil
}

// etcdPerConn is how many of the bench's workers share one etcd client (a
// gRPC connection multiplexing their requests), the ratio etcd's own
// benchmark documentation uses (--conns=100 --clients=1000).
const etcdPerConn = 10

// etcdLoad returns the peer load of test (SET: Put, GET: linearizable
// Get, etcd's default) against the etcd member at addr, and a function
// closing its clients.
func etcdLoad(addr, test string, workers, valueSize int) (peerOp, func(), error) {
	conns := make([]*clientv3.Client, (workers+etcdPerConn-1)/etcdPerConn)
	closeAll := func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
	for i := range conns {
		c, err := newEtcdClient(addr)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		conns[i] = c
	}
	value := strings.Repeat("x", valueSize)
	one := func(ctx context.Context, c *clientv3.Client, key string) error {
		if test == "SET" {
			if _, err := c.Put(ctx, key, value); err != nil {
				return fmt.Errorf("etcd Put: %w", err)
			}
			return nil
		}
		if _, err := c.Get(ctx, key); err != nil {
			return fmt.Errorf("etcd Get: %w", err)
		}
		return nil
	}
	// A batch is sent at once and waited for as a whole, as
	// redis-benchmark's pipeline of the same depth is: etcd's client has
	// no pipeline of its own, but gRPC carries concurrent requests on one
	// connection.
	op := func(ctx context.Context, worker int, keys []string) error {
		c := conns[worker/etcdPerConn]
		if len(keys) == 1 {
			return one(ctx, c, keys[0])
		}
		errs := make(chan error, len(keys))
		for _, k := range keys {
			go func() { errs <- one(ctx, c, k) }()
		}
		var all []error
		for range keys {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	}
	return op, closeAll, nil
}
