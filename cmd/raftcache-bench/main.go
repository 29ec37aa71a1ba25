package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/raftcache/raftcache/resp"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == etcdMemberCmd {
		os.Exit(etcdMember(os.Args[2:]))
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftcache-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "raftcache-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	bin, redisServer, redisBenchmark string

	keys, valueSize, clients   int
	cacheMaxMemory             int64  // cache phase: maxmemory
	cachePolicies              string // cache phase: policies, comma-separated
	cacheOps                   int    // cache phase: measured operations per run
	cacheKeyspace              int    // cache phase: keys drawn from (0: ten times what fits)
	requests, pipelineRequests int    // per redis-benchmark run, at P=1 and P=16
	snapshotRequests           int    // writes in the snapshot measurement's window without one
	loadClients                int
	settle                     time.Duration
	runTimeout                 time.Duration

	elements       int // per collection in the elements phase
	elementClients int // connections loading a collection

	// The scaling phases (scaling.go, install.go, failover.go).
	scaling  scalingConfig
	install  installConfig
	failover failoverConfig

	args        []string // the command line, for the report
	phases      map[string]bool
	servers     map[string]bool
	tests       map[string]bool // of the throughput phase, by benchTest.Name
	collections map[string]bool // of the elements phase: list, set, zset

	dir, label     string
	keep           bool
	profileDir     string
	profileSeconds time.Duration
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("raftcache-bench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "bin/raftcache", "raftcache binary")
	fs.StringVar(&c.redisServer, "redis_server", "redis-server", "redis-server binary")
	fs.StringVar(&c.redisBenchmark, "redis_benchmark", "redis-benchmark", "redis-benchmark binary")
	fs.IntVar(&c.keys, "keys", 1_000_000, "keyspace: redis-benchmark -r, and the keys loaded for memory, restart and snapshot")
	fs.IntVar(&c.valueSize, "value_size", 64, "value size in bytes (redis-benchmark -d)")
	fs.IntVar(&c.clients, "clients", 50, "redis-benchmark connections (-c)")
	fs.IntVar(&c.requests, "requests", 200_000, "requests per redis-benchmark run at P=1")
	fs.IntVar(&c.pipelineRequests, "pipeline_requests", 1_000_000, "requests per redis-benchmark run at P=16")
	fs.IntVar(&c.snapshotRequests, "snapshot_requests", 200_000, "SET requests in the window without a snapshot; the window with one starts a quarter as many writes before it")
	fs.IntVar(&c.loadClients, "load_clients", 50, "connections loading the keyspace")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "wait after loading before reading RSS")
	fs.DurationVar(&c.runTimeout, "run_timeout", 15*time.Minute, "bound on one redis-benchmark run")
	fs.IntVar(&c.elements, "elements", 1_000_000, "elements loaded into each collection of the elements phase")
	fs.IntVar(&c.elementClients, "element_clients", 8, "connections loading a collection (each pipelines 100 commands of 10 elements)")
	phases := fs.String("phases", "throughput,keyspace,elements,cache", "what to measure: throughput (redis-benchmark against each server), keyspace (memory per key, restart, snapshot p99), elements (memory per element of a list, a set and a sorted set), cache (hit ratio under maxmemory, next to redis-server); "+
		"and, for issue 14's scaling table (make bench-scaling), scaling (SET and GET ops/s by value size and cluster size), install (a new member's snapshot install at -keys keys, write p99 meanwhile), failover (read latency on a follower around leader changes)")
	scalingFlags := c.scaling.register(fs)
	installFlags := c.install.register(fs)
	failoverFlags := c.failover.register(fs)
	cacheMem := fs.String("cache_maxmemory", "8mb", "maxmemory of the cache phase")
	fs.StringVar(&c.cachePolicies, "cache_policies", "allkeys-lru,allkeys-lfu", "maxmemory-policy values the cache phase runs")
	fs.IntVar(&c.cacheKeyspace, "cache_keyspace", 0, "keys the cache phase draws from (default: ten times what -cache_maxmemory holds at about -value_size plus 100 bytes a key)")
	fs.IntVar(&c.cacheOps, "cache_ops", 200_000, "measured operations per cache run (after half as many to warm up)")
	servers := fs.String("servers", strings.Join(allServers, ","), "servers of the throughput phase")
	tests := fs.String("tests", strings.Join(testNames(), ","), "redis-benchmark tests of the throughput phase (case does not matter)")
	collections := fs.String("collections", strings.Join(collectionTypes, ","), "collections of the elements phase")
	fs.StringVar(&c.dir, "dir", "", "where to make the run's temporary directory (default: $TMPDIR); its file system is where fsyncs go")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (data, logs)")
	fs.StringVar(&c.label, "label", "", "a label for the report (e.g. the commit)")
	fs.StringVar(&c.profileDir, "profile", "", "save pprof profiles of the raftcache nodes here (costs throughput)")
	fs.DurationVar(&c.profileSeconds, "profile_seconds", 10*time.Second, "length of each profile")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if c.cacheMaxMemory, err = resp.ParseMemory(*cacheMem); err != nil || c.cacheMaxMemory <= 0 || c.cacheOps < 1 {
		return c, fmt.Errorf("-cache_maxmemory %q and -cache_ops must be positive: %v", *cacheMem, err)
	}
	c.args = append([]string(nil), args...)
	if c.phases, err = parseSet(*phases, "throughput", "keyspace", "elements", "cache", "scaling", "install", "failover"); err != nil {
		return c, fmt.Errorf("-phases: %w", err)
	}
	if c.servers, err = parseSet(*servers, allServers...); err != nil {
		return c, fmt.Errorf("-servers: %w", err)
	}
	if c.tests, err = parseSet(strings.ToUpper(*tests), testNames()...); err != nil {
		return c, fmt.Errorf("-tests: %w", err)
	}
	if c.collections, err = parseSet(*collections, collectionTypes...); err != nil {
		return c, fmt.Errorf("-collections: %w", err)
	}
	switch {
	case c.keys < 1, c.valueSize < 1, c.clients < 1, c.requests < 1, c.pipelineRequests < 1, c.snapshotRequests < 4, c.loadClients < 1, c.elements < 1, c.elementClients < 1:
		return c, errors.New("-keys, -value_size, -clients, -requests, -pipeline_requests, -load_clients, -elements, -element_clients must be positive, -snapshot_requests at least 4")
	case c.profileSeconds < time.Second:
		return c, errors.New("-profile_seconds must be at least 1s")
	}
	for _, parse := range []func() error{scalingFlags, installFlags, failoverFlags} {
		if err := parse(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseSet parses a comma-separated list of names, each one of valid.
func parseSet(list string, valid ...string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		ok := false
		for _, v := range valid {
			ok = ok || v == name
		}
		if !ok {
			return nil, fmt.Errorf("unknown %q (want some of %s)", name, strings.Join(valid, ","))
		}
		set[name] = true
	}
	if len(set) == 0 {
		return nil, errors.New("empty list")
	}
	return set, nil
}

// bench is one run.
type bench struct {
	cfg   config
	procs procs
	dirs  *dirs
	res   *results
	log   io.Writer // progress
	// cacheResults are the cache phase's runs (see cache.go).
	cacheResults []cacheResult
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, cfg config, out, progress io.Writer) (err error) {
	for _, bin := range []*string{&cfg.bin, &cfg.redisServer, &cfg.redisBenchmark} {
		path, err := exec.LookPath(*bin)
		if err != nil {
			return fmt.Errorf("find %s: %w (make bench builds and installs what it needs)", *bin, err)
		}
		if *bin, err = filepath.Abs(path); err != nil {
			return err
		}
	}
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return fmt.Errorf("profile dir: %w", err)
		}
	}
	base, err := os.MkdirTemp(cfg.dir, "raftcache-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	b := &bench{cfg: cfg, dirs: &dirs{base: base}, res: newResults(), log: progress}
	defer func() {
		err = errors.Join(err, b.procs.stopAll())
		if cfg.keep {
			b.logf("kept %s", base)
		} else if rmErr := os.RemoveAll(base); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("remove %s: %w", base, rmErr))
		}
	}()

	header := b.header(base)
	fmt.Fprint(progress, header)
	var errs []error
	if cfg.phases["throughput"] {
		errs = append(errs, b.throughput(ctx))
	}
	if cfg.phases["keyspace"] && ctx.Err() == nil {
		errs = append(errs, b.keyspace(ctx))
	}
	if cfg.phases["elements"] && ctx.Err() == nil {
		errs = append(errs, b.elements(ctx))
	}
	if cfg.phases["cache"] && ctx.Err() == nil {
		errs = append(errs, b.cache(ctx))
	}
	if cfg.phases["scaling"] && ctx.Err() == nil {
		errs = append(errs, b.scaling(ctx))
	}
	if cfg.phases["install"] && ctx.Err() == nil {
		errs = append(errs, b.installPhase(ctx))
	}
	if cfg.phases["failover"] && ctx.Err() == nil {
		errs = append(errs, b.failoverPhase(ctx))
	}
	fmt.Fprint(out, header)
	fmt.Fprintf(out, "load average at the end: %s\n\n", loadAvg())
	writeReport(out, b.res)
	writeCacheReport(out, b.cacheResults)
	writeScalingReport(out, b.res)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("some measurements failed:\n%w", err)
	}
	return nil
}

// header describes the run and the machine: the figures mean little
// without them.
func (b *bench) header(base string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "raftcache-bench %s  %s\n", b.cfg.label, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&s, "machine: %d CPUs (%s), %s, load average at the start: %s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS+"/"+runtime.GOARCH, loadAvg())
	fmt.Fprintf(&s, "data dirs: %s (%s)\n", base, fsType(base))
	fmt.Fprintf(&s, "%s; %s\n", version(b.cfg.redisServer, "--version"), version(b.cfg.redisBenchmark, "--version"))
	fmt.Fprintf(&s, "command: raftcache-bench %s\n", strings.Join(b.cfg.args, " "))
	fmt.Fprintf(&s, "settings: -keys %d -value_size %d -clients %d -requests %d (P=1) -pipeline_requests %d (P=16) -snapshot_requests %d -elements %d\n\n",
		b.cfg.keys, b.cfg.valueSize, b.cfg.clients, b.cfg.requests, b.cfg.pipelineRequests, b.cfg.snapshotRequests, b.cfg.elements)
	return s.String()
}

func version(bin, flag string) string {
	out, err := exec.Command(bin, flag).Output()
	if err != nil {
		return filepath.Base(bin) + ": version unknown"
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown model"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown model"
}

// fsType names the file system holding dir: fsync costs differ by orders
// of magnitude between them.
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "file system unknown"
	}
	switch uint64(st.Type) {
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x01021994:
		return "tmpfs: fsync is free, durable figures are not"
	case 0x794C7630:
		return "overlayfs"
	}
	return fmt.Sprintf("file system 0x%x", uint64(st.Type))
}
