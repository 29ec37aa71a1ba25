package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/resp"
)

// scalingConfig is the scaling phase's settings: the cells of issue 14's
// table of ops/s against value size and cluster size.
type scalingConfig struct {
	valueSizes []int // bytes
	nodes      []int // cluster sizes
	// A cell's requests are its share of bytes at its value size, within
	// [minRequests, maxRequests]: a 256 KiB cell moves as many bytes as a
	// 16 KiB one instead of taking minutes. Its keyspace is a quarter of
	// its requests (see keys).
	maxRequests, minRequests int
	bytes                    int64
}

// register defines the phase's flags on fs; the function it returns
// checks and converts them once fs is parsed.
func (c *scalingConfig) register(fs *flag.FlagSet) func() error {
	sizes := fs.String("scaling_values", "64,1024,16384,262144", "scaling phase: value sizes in bytes")
	nodes := fs.String("scaling_nodes", "1,3,5", "scaling phase: cluster sizes (1: a single node; more: load on a follower)")
	fs.IntVar(&c.maxRequests, "scaling_requests", 100_000, "scaling phase: most requests of one redis-benchmark run (SET or GET) of a cell; the cell's keyspace is a quarter as many keys")
	fs.IntVar(&c.minRequests, "scaling_min_requests", 1000, "scaling phase: fewest requests of a run")
	bytes := fs.String("scaling_bytes", "256mb", "scaling phase: value bytes one run sends at most (requests = this / value size, within -scaling_min_requests and -scaling_requests)")
	return func() error {
		var err error
		if c.valueSizes, err = parseInts(*sizes); err != nil {
			return fmt.Errorf("-scaling_values: %w", err)
		}
		if c.nodes, err = parseInts(*nodes); err != nil {
			return fmt.Errorf("-scaling_nodes: %w", err)
		}
		if c.bytes, err = resp.ParseMemory(*bytes); err != nil || c.bytes <= 0 {
			return fmt.Errorf("-scaling_bytes %q must be a positive size: %v", *bytes, err)
		}
		if c.minRequests < 1 || c.maxRequests < c.minRequests {
			return errors.New("-scaling_min_requests must be positive and at most -scaling_requests")
		}
		return nil
	}
}

// requests returns how many requests a cell of values of size bytes sends
// in each of its runs.
func (c scalingConfig) requests(size int) int {
	n := c.bytes / int64(size)
	return int(min(max(n, int64(c.minRequests)), int64(c.maxRequests)))
}

// keys returns the keyspace of a cell of requests requests: a quarter of
// them, so that the SET run writes nearly every key (all but e^-4) and
// loading every key before the GET run costs a quarter of the SET run.
func (c scalingConfig) keys(requests int) int { return max(requests/4, 1) }

// parseInts parses a comma-separated list of positive integers, in order.
func parseInts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

// scalingCell is one redis-benchmark run of the scaling table.
type scalingCell struct {
	Nodes, ValueSize int
	Test             string // SET or GET
	Requests, Keys   int
	Row              Row
	CPU              time.Duration // all the cluster's processes, user+sys, per request
	Command          string        // redis-benchmark's command line, without -h and -p
}

// scaling measures every cell: for each cluster size and value size a
// fresh cluster (or node), SET of random keys over the cell's keyspace,
// then every key of it loaded with a value of that size, then GET of
// random keys of it, so that every GET finds a value of the cell's size.
func (b *bench) scaling(ctx context.Context) error {
	var errs []error
	for _, nodes := range b.cfg.scaling.nodes {
		for _, size := range b.cfg.scaling.valueSizes {
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
			if err := b.scalingCells(ctx, nodes, size); err != nil {
				err = fmt.Errorf("scaling, %d nodes, %d-byte values: %w", nodes, size, err)
				b.logf("%v", err)
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// scalingCells measures SET and GET at one cluster size and value size.
func (b *bench) scalingCells(ctx context.Context, nodes, size int) (err error) {
	name := fmt.Sprintf("scaling-%dn-%s", nodes, sizeName(size))
	b.logf("%s: starting", name)
	all, err := b.startCluster(ctx, name, nodes)
	defer func() { err = errors.Join(err, b.discard(all)) }()
	if err != nil {
		return err
	}
	target := all[0]
	if nodes > 1 {
		target.role = "follower"
	}
	requests := b.cfg.scaling.requests(size)
	keys := b.cfg.scaling.keys(requests)
	for _, test := range []string{"SET", "GET"} {
		if test == "GET" {
			// Every key of the keyspace, so that no GET finds nothing.
			b.logf("%s: loading %s keys of %d bytes", name, thousands(float64(keys)), size)
			start := time.Now()
			if err := loadKeys(ctx, target.addr, keys, size, b.cfg.loadClients); err != nil {
				return err
			}
			d := time.Since(start)
			b.logf("%s: loaded in %s (%s keys/s)", name, seconds(d), thousands(float64(keys)/d.Seconds()))
		}
		t, _ := testByName(test)
		args := benchmarkArgs(t, b.cfg.clients, 1, requests, keys, size)
		var row Row
		cpu, err := cpuDuring(all, func() error {
			var err error
			row, err = b.redisBenchmark(ctx, target.addr, t, args)
			return err
		})
		if err != nil {
			return err
		}
		if err := b.serversIntact(ctx, target, all); err != nil {
			return err
		}
		b.res.Scaling = append(b.res.Scaling, scalingCell{Nodes: nodes, ValueSize: size, Test: test, Requests: requests, Keys: keys,
			Row: row, CPU: cpu / time.Duration(requests), Command: "redis-benchmark " + strings.Join(args, " ")})
		b.logf("%s %s: %s ops/s, p50 %s ms, p99 %s ms", name, test, thousands(row.RPS), ms(row.P50Ms), ms(row.P99Ms))
	}
	return nil
}

// sizeName is 64 as "64B" and 16384 as "16KiB".
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
