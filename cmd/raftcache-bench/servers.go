package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// server is a running redis-server or raftcache node.
type server struct {
	*process
	kind       string // "redis-server" or "raftcache"
	dir        string // its data or state directory
	addr       string // RESP
	raft, api  string // raftcache only
	pprof      string // raftcache only, when profiling
	role       string // in a cluster, the raft role it had when the run began
	extraFlags []string
}

// newClient returns a RESP client that sends nothing but the commands
// asked (RESP2, no CLIENT SETINFO) and never retries by itself.
func newClient(addr string, conns int, readTimeout time.Duration) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: conns,
		DialTimeout: time.Second, ReadTimeout: readTimeout, WriteTimeout: readTimeout,
	})
}

const startTimeout = 30 * time.Second

// waitPing waits until s answers PING.
func waitPing(ctx context.Context, s *server, timeout time.Duration) error {
	c := newClient(s.addr, 1, timeout)
	defer c.Close()
	return waitUntil(ctx, s.process, timeout, 5*time.Millisecond, "PING on "+s.name, func() (bool, error) {
		err := c.Ping(ctx).Err()
		return err == nil, err
	})
}

// redisArgs are redis-server's flags: in dir, RDB file dump.rdb, no
// automatic saves, and with aof every write fsynced before its reply.
func redisArgs(addr, dir string, aof bool) ([]string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	args := []string{"--port", port, "--bind", host, "--dir", dir, "--dbfilename", "dump.rdb",
		"--save", "", "--daemonize", "no", "--logfile", ""}
	if aof {
		return append(args, "--appendonly", "yes", "--appendfsync", "always"), nil
	}
	return append(args, "--appendonly", "no"), nil
}

// startRedis starts a redis-server in a fresh directory and waits for it.
// extra are more redis-server flags (a replica's --replicaof).
func (b *bench) startRedis(ctx context.Context, name string, aof bool, extra ...string) (*server, error) {
	dir, err := b.dirs.next(name)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{kind: "redis-server", dir: dir, addr: addr, extraFlags: extra}
	if err := b.execRedis(name, s, aof); err != nil {
		return nil, err
	}
	return s, waitPing(ctx, s, startTimeout)
}

// execRedis starts s's redis-server process on s's directory and address,
// with s.extraFlags, without waiting for it.
func (b *bench) execRedis(name string, s *server, aof bool) error {
	args, err := redisArgs(s.addr, s.dir, aof)
	if err != nil {
		return err
	}
	args = append(args, s.extraFlags...)
	p, err := startProcess(name, filepath.Join(s.dir, "redis.log"), b.cfg.redisServer, args...)
	if err != nil {
		return err
	}
	s.process = b.procs.add(p)
	return nil
}

// startNode starts a raftcache node in a fresh state directory, joining
// the member at join unless it is empty, and waits for PING.
func (b *bench) startNode(ctx context.Context, name, join string, extra ...string) (*server, error) {
	s, err := b.newNode(name, join, extra...)
	if err != nil {
		return nil, err
	}
	if err := b.execNode(name, s); err != nil {
		return nil, err
	}
	return s, waitPing(ctx, s, startTimeout)
}

// newNode makes a raftcache node's state directory and picks its
// addresses, joining the member at join unless it is empty; execNode
// starts it.
func (b *bench) newNode(name, join string, extra ...string) (*server, error) {
	dir, err := b.dirs.next(name)
	if err != nil {
		return nil, err
	}
	s := &server{kind: "raftcache", dir: dir, extraFlags: extra}
	for _, a := range []*string{&s.raft, &s.api, &s.addr} {
		if *a, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	if b.cfg.profileDir != "" {
		if s.pprof, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	if join != "" {
		s.extraFlags = append([]string{"-join", join}, extra...)
	}
	return s, nil
}

// execNode starts s's raftcache process on s's state directory and
// addresses, with s.extraFlags, without waiting for it.
func (b *bench) execNode(name string, s *server) error {
	args := []string{"-state_dir", filepath.Join(s.dir, "state"), "-raft", s.raft, "-api", s.api, "-resp", s.addr}
	if s.pprof != "" {
		args = append(args, "-pprof", s.pprof)
	}
	args = append(args, s.extraFlags...)
	p, err := startProcess(name, filepath.Join(s.dir, "raftcache.log"), b.cfg.bin, args...)
	if err != nil {
		return err
	}
	s.process = b.procs.add(p)
	return nil
}

// raftInfo returns the fields of s's INFO raft.
func raftInfo(ctx context.Context, s *server) (map[string]string, error) {
	c := newClient(s.addr, 1, 10*time.Second)
	defer c.Close()
	info, err := c.Info(ctx, "raft").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO raft on %s: %w", s.name, err)
	}
	return parseInfo(info), nil
}

func appliedIndex(ctx context.Context, s *server) (uint64, error) {
	info, err := raftInfo(ctx, s)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(info["applied_index"], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("INFO raft on %s: applied_index: %w", s.name, err)
	}
	return n, nil
}

// startCluster starts size raftcache nodes, the first bootstrapping the
// cluster and the others joining it, and returns them once every member is
// a reachable voter and one of them follows a leader (with size 1: the
// node, once it leads). It returns that follower first. extra are more
// flags of every node.
func (b *bench) startCluster(ctx context.Context, name string, size int, extra ...string) ([]*server, error) {
	nodeName := func(i int) string { return fmt.Sprintf("%s-%d", name, i) }
	if size == 1 {
		nodeName = func(int) string { return name }
	}
	n1, err := b.startNode(ctx, nodeName(1), "", extra...)
	if err != nil {
		return nil, err
	}
	nodes := []*server{n1}
	for i := 2; i <= size; i++ {
		n, err := b.startNode(ctx, nodeName(i), n1.raft, extra...)
		if err != nil {
			return nodes, err
		}
		nodes = append(nodes, n)
	}
	var follower *server
	err = waitUntil(ctx, nil, startTimeout, 100*time.Millisecond, fmt.Sprintf("a %d-member cluster with a follower", size), func() (bool, error) {
		follower = nil
		for _, n := range nodes {
			info, err := raftInfo(ctx, n)
			if err != nil {
				return false, err
			}
			if info["members"] != strconv.Itoa(size) || info["leader"] == "none" {
				return false, nil
			}
			for i := 0; i < size; i++ {
				m := info["member"+strconv.Itoa(i)]
				if !strings.Contains(m, "voter=1") || !strings.Contains(m, "reachable=1") {
					return false, nil
				}
			}
			if (info["role"] == "follower" || size == 1) && follower == nil {
				follower = n
			}
		}
		return follower != nil, nil
	})
	if err != nil {
		return nodes, err
	}
	out := []*server{follower}
	for _, n := range nodes {
		if n != follower {
			out = append(out, n)
		}
	}
	return out, nil
}

// checkRole fails unless s still has the role it had when the run began:
// a leadership change would make a follower's figures a leader's.
func checkRole(ctx context.Context, s *server, role string) error {
	info, err := raftInfo(ctx, s)
	if err != nil {
		return err
	}
	if info["role"] != role {
		return fmt.Errorf("%s is now %s, not %s: the run did not measure what it says", s.name, info["role"], role)
	}
	return nil
}

// stopServers stops the servers, all at once (a cluster's teardown takes
// its slowest node's time, not the sum: a leader left without a quorum
// tries for seconds to hand leadership over), and reports any that did
// not exit cleanly.
// discard stops the servers of a run and, unless -keep, removes their
// directories (a 256 KiB scaling cell leaves a GiB of WAL on each node).
func (b *bench) discard(all []*server) error {
	err := stopServers(all...)
	if !b.cfg.keep {
		for _, s := range all {
			if s != nil {
				err = errors.Join(err, os.RemoveAll(s.dir))
			}
		}
	}
	return err
}

func stopServers(servers ...*server) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		if s != nil && s.process != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.stop(30 * time.Second)
			}()
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}
