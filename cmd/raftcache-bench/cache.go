package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The cache phase: a cache workload against redis-server and a 3-node
// raftcache cluster with the same maxmemory and policy. Keys are drawn
// from a Zipf(0.99) distribution over a keyspace ten times what fits; 90%
// of operations are GETs, whose misses are filled by a SET as a cache's
// client does, the rest SETs. The cluster's clients are spread over all
// three nodes, so its access statistics come from every node. Reported:
// the hit ratio of the measured GETs (after a warm-up that fills the
// cache), ops/s, and the peak used_memory against the limit.

// cacheResult is one server's run under one policy.
type cacheResult struct {
	server, policy   string
	maxMemory        int64
	keyspace, ops    int
	gets, hits       int64
	elapsed          time.Duration
	peakUsed         int64
	evicted, errored int64
	keys             int64 // DBSIZE at the end: how many keys the limit held
}

// zipfian draws ranks 0..n-1 with P(i) proportional to 1/(i+1)^theta, by
// Gray et al.'s method (YCSB's ZipfianGenerator), which allows theta < 1.
type zipfian struct {
	n                        int
	theta, alpha, zetan, eta float64
	half                     float64
}

func newZipfian(n int, theta float64) *zipfian {
	var zetan float64
	for i := 1; i <= n; i++ {
		zetan += 1 / math.Pow(float64(i), theta)
	}
	zeta2 := 1 + 1/math.Pow(2, theta)
	return &zipfian{n: n, theta: theta, alpha: 1 / (1 - theta), zetan: zetan,
		eta:  (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/zetan),
		half: math.Pow(0.5, theta)}
}

func (z *zipfian) next(r *rand.Rand) int {
	u := r.Float64()
	uz := u * z.zetan
	switch {
	case uz < 1:
		return 0
	case uz < 1+z.half:
		return 1
	}
	return min(int(float64(z.n)*math.Pow(z.eta*u-z.eta+1, z.alpha)), z.n-1)
}

// cacheKeyspace is -cache_keyspace, or ten times the keys that fit maxMemory, counting a key
// as its value and about 100 bytes of key and overhead.
func (b *bench) cacheKeyspace() int {
	if b.cfg.cacheKeyspace > 0 {
		return b.cfg.cacheKeyspace
	}
	return int(10 * b.cfg.cacheMaxMemory / int64(b.cfg.valueSize+100))
}

func (b *bench) cache(ctx context.Context) error {
	var errs []error
	for _, policy := range strings.Split(b.cfg.cachePolicies, ",") {
		for _, srv := range []string{srvRedis, srvCluster} {
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
			r, err := b.cacheRun(ctx, srv, policy)
			if err != nil {
				errs = append(errs, fmt.Errorf("cache %s %s: %w", srv, policy, err))
				continue
			}
			b.cacheResults = append(b.cacheResults, r)
		}
	}
	return errors.Join(errs...)
}

func (b *bench) cacheRun(ctx context.Context, srv, policy string) (res cacheResult, err error) {
	var servers []*server
	if srv == srvRedis {
		s, err := b.startRedis(ctx, "cache-redis-"+policy, false)
		if err != nil {
			return res, err
		}
		servers = []*server{s}
	} else if servers, err = b.startCluster(ctx, "cache-cluster-"+policy, 3); err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, stopServers(servers...)) }()
	admin := newClient(servers[0].addr, 1, 10*time.Second)
	defer admin.Close()
	if err := admin.ConfigSet(ctx, "maxmemory", fmt.Sprint(b.cfg.cacheMaxMemory)).Err(); err != nil {
		return res, err
	}
	if err := admin.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
		return res, err
	}
	var clients []*redis.Client
	for _, s := range servers {
		c := newClient(s.addr, b.cfg.clients, 10*time.Second)
		defer c.Close()
		clients = append(clients, c)
	}
	res = cacheResult{server: srv, policy: policy, maxMemory: b.cfg.cacheMaxMemory, keyspace: b.cacheKeyspace(), ops: b.cfg.cacheOps}
	z := newZipfian(res.keyspace, 0.99)
	value := strings.Repeat("x", b.cfg.valueSize)

	// Peak used_memory over the run, on the first server (the leader's
	// figure is every node's).
	sampleCtx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan int64, 1)
	go func() {
		var peak int64
		for sampleCtx.Err() == nil {
			if u, err := usedMemory(sampleCtx, servers[0]); err == nil {
				peak = max(peak, u)
			}
			time.Sleep(50 * time.Millisecond)
		}
		sampled <- peak
	}()

	run := func(ops int, count bool) error {
		var next, worker atomic.Int64
		var gets, hits, errored atomic.Int64
		err := runWorkers(ctx, b.cfg.clients, func(ctx context.Context) error {
			w := int(worker.Add(1))
			c := clients[w%len(clients)]
			r := rand.New(rand.NewPCG(uint64(w), uint64(ops)))
			for next.Add(1) <= int64(ops) {
				key := benchKey(z.next(r))
				if r.IntN(10) == 0 {
					if err := c.Set(ctx, key, value, 0).Err(); err != nil {
						errored.Add(1)
					}
					continue
				}
				gets.Add(1)
				_, err := c.Get(ctx, key).Result()
				switch {
				case err == nil:
					hits.Add(1)
				case errors.Is(err, redis.Nil):
					if err := c.Set(ctx, key, value, 0).Err(); err != nil {
						errored.Add(1)
					}
				case ctx.Err() != nil:
					return ctx.Err()
				default:
					errored.Add(1)
				}
			}
			return nil
		})
		if count {
			res.gets, res.hits, res.errored = gets.Load(), hits.Load(), errored.Load()
		}
		return err
	}
	b.logf("cache %s %s: warm-up, %d ops over %d keys", srv, policy, b.cfg.cacheOps/2, res.keyspace)
	if err := run(b.cfg.cacheOps/2, false); err != nil {
		stopSampling()
		return res, err
	}
	start := time.Now()
	err = run(b.cfg.cacheOps, true)
	res.elapsed = time.Since(start)
	stopSampling()
	res.peakUsed = <-sampled
	if err != nil {
		return res, err
	}
	info, err := admin.Info(ctx, "stats").Result()
	if err != nil {
		return res, err
	}
	fmt.Sscan(parseInfo(info)["evicted_keys"], &res.evicted)
	if res.keys, err = admin.DBSize(ctx).Result(); err != nil {
		return res, err
	}
	b.logf("cache %s %s: hit ratio %.4f, %.0f ops/s, peak used %d of %d", srv, policy,
		float64(res.hits)/float64(max(res.gets, 1)), float64(res.ops)/res.elapsed.Seconds(), res.peakUsed, res.maxMemory)
	return res, nil
}

// writeCacheReport writes the cache phase's table.
func writeCacheReport(w io.Writer, rs []cacheResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\ncache: Zipf(0.99) GET/SET, 90%% GET, misses filled by SET, keyspace %d, %d measured ops\n", rs[0].keyspace, rs[0].ops)
	fmt.Fprintf(w, "%-12s %-12s %9s %7s %9s %19s %8s %9s %6s\n", "server", "policy", "hit ratio", "ops/s", "maxmemory", "peak used", "keys", "evicted", "errors")
	for _, r := range rs {
		fmt.Fprintf(w, "%-12s %-12s %9.4f %7.0f %9d %9d (%+.2f%%) %8d %9d %6d\n", r.server, r.policy,
			float64(r.hits)/float64(max(r.gets, 1)), float64(r.ops)/r.elapsed.Seconds(), r.maxMemory, r.peakUsed,
			100*float64(r.peakUsed-r.maxMemory)/float64(r.maxMemory), r.keys, r.evicted, r.errored)
	}
}
