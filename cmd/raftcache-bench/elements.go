package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The collections of the elements phase (issue 10), each one key holding
// -elements elements of about 10 bytes, as the type packages' own memory
// benchmarks build them.
var collectionTypes = []string{"list", "set", "zset"}

// collectionKey is the key the elements phase loads.
func collectionKey(typ string) string { return "bench:" + typ }

// listElem, setMember and zsetMember are the i-th element of each
// collection: 10 bytes that are not integers (an integer set would be an
// intset in Redis, a different measurement).
func listElem(i int) string   { return fmt.Sprintf("e%09d", i) }
func setMember(i int) string  { return fmt.Sprintf("m:%08d", i) }
func zsetMember(i int) string { return fmt.Sprintf("m%09d", i) }

// zsetScore is member i's score: an integer below 1M that looks random
// (splitmix64 of i) and is the same whichever connection sends it.
func zsetScore(i int) float64 {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z % 1_000_000)
}

// Loading sends elementsPerCommand elements in each RPUSH, SADD or ZADD
// (a raftcache log entry each) and commandsPerPipeline commands in each
// round trip. Ten to a command keeps a node's log, which it holds in memory
// until a snapshot compacts it, to a small share of what is measured.
const (
	elementsPerCommand  = 10
	commandsPerPipeline = 100
)

// loadCollection loads elements 0..n-1 into the collection of type typ at
// key, over conns connections, and checks its length afterwards. The order
// of a list's elements depends on the connections' interleaving; its
// memory does not.
func loadCollection(ctx context.Context, addr, typ, key string, n, conns int) error {
	c := newClient(addr, conns, time.Minute)
	defer c.Close()
	const chunk = elementsPerCommand * commandsPerPipeline
	var next atomic.Int64
	err := runWorkers(ctx, conns, func(ctx context.Context) error {
		for {
			start := int(next.Add(chunk)) - chunk
			if start >= n {
				return nil
			}
			for try := 1; ; try++ {
				_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					for i := start; i < min(start+chunk, n); i += elementsPerCommand {
						addElements(ctx, p, typ, key, i, min(i+elementsPerCommand, n))
					}
					return nil
				})
				// A write whose outcome is unknown (the node's -timeout
				// passed on a loaded machine) is sent again where that
				// is harmless: adding set or sorted-set members twice.
				if err != nil && typ != "list" && try < 3 && strings.HasPrefix(err.Error(), "TRYAGAIN") {
					continue
				}
				if err != nil {
					return fmt.Errorf("load %s elements %d..: %w", typ, start, err)
				}
				break
			}
		}
	})
	if err != nil {
		return err
	}
	got, err := collectionLen(ctx, c, typ, key)
	if err != nil {
		return fmt.Errorf("length of %s after load: %w", key, err)
	}
	if got != int64(n) {
		return fmt.Errorf("length of %s after loading %d elements = %d", key, n, got)
	}
	return nil
}

// addElements queues the command adding elements from..to-1.
func addElements(ctx context.Context, p redis.Pipeliner, typ, key string, from, to int) {
	switch typ {
	case "list":
		args := make([]any, 0, to-from)
		for i := from; i < to; i++ {
			args = append(args, listElem(i))
		}
		p.RPush(ctx, key, args...)
	case "set":
		args := make([]any, 0, to-from)
		for i := from; i < to; i++ {
			args = append(args, setMember(i))
		}
		p.SAdd(ctx, key, args...)
	case "zset":
		zs := make([]redis.Z, 0, to-from)
		for i := from; i < to; i++ {
			zs = append(zs, redis.Z{Score: zsetScore(i), Member: zsetMember(i)})
		}
		p.ZAdd(ctx, key, zs...)
	default:
		panic("unknown collection type " + typ)
	}
}

func collectionLen(ctx context.Context, c *redis.Client, typ, key string) (int64, error) {
	switch typ {
	case "list":
		return c.LLen(ctx, key).Result()
	case "set":
		return c.SCard(ctx, key).Result()
	case "zset":
		return c.ZCard(ctx, key).Result()
	}
	return 0, fmt.Errorf("unknown collection type %q", typ)
}

// usedMemory returns INFO memory's used_memory of s.
func usedMemory(ctx context.Context, s *server) (int64, error) {
	c := newClient(s.addr, 1, 10*time.Second)
	defer c.Close()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO memory on %s: %w", s.name, err)
	}
	n, err := strconv.ParseInt(parseInfo(info)["used_memory"], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("INFO memory on %s: used_memory: %w", s.name, err)
	}
	return n, nil
}

// memorySample is a server's memory at one moment.
type memorySample struct{ RSS, Used int64 }

// sampleMemory reads s's RSS and used_memory, after MEMORY PURGE: each
// server first returns the free pages its allocator still holds (jemalloc
// purges its dirty pages, Go collects and scavenges), so that neither RSS
// depends on whether its own background release happened to run before
// the sample (unpurged, the same raftcache load read 14 to 19 MiB).
func sampleMemory(ctx context.Context, s *server) (memorySample, error) {
	c := newClient(s.addr, 1, 30*time.Second)
	err := c.Do(ctx, "MEMORY", "PURGE").Err()
	c.Close()
	if err != nil {
		return memorySample{}, fmt.Errorf("MEMORY PURGE on %s: %w", s.name, err)
	}
	rss, err := s.rss()
	if err != nil {
		return memorySample{}, err
	}
	used, err := usedMemory(ctx, s)
	return memorySample{rss, used}, err
}

// elements measures, for each collection type, the memory per element of
// one collection of -elements elements in a fresh redis-server and in a
// fresh raftcache node: growth of RSS and of used_memory over the empty
// process.
func (b *bench) elements(ctx context.Context) error {
	var errs []error
	for _, typ := range collectionTypes {
		if !b.cfg.collections[typ] || ctx.Err() != nil {
			continue
		}
		res := &elementsResult{Type: typ, Elements: b.cfg.elements}
		err := b.elementsOf(ctx, typ, srvRedis, &res.Redis)
		if err == nil {
			err = b.elementsOf(ctx, typ, srvSingle, &res.Raftcache)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s elements: %w", typ, err))
			b.logf("%s elements: %v", typ, err)
			continue
		}
		b.res.Elements = append(b.res.Elements, res)
	}
	return errors.Join(errs...)
}

// elementsOf loads one collection into a fresh server of kind srv
// (srvRedis or srvSingle) and records its memory in m.
func (b *bench) elementsOf(ctx context.Context, typ, srv string, m *elementsMemory) (err error) {
	const snapEvery = 10000 // the node's default, explicit for waitLoadSnapshot
	name := srv + "-" + typ
	var s *server
	if srv == srvRedis {
		s, err = b.startRedis(ctx, name, false)
	} else {
		s, err = b.startNode(ctx, name, "", "-snapshot_entries", strconv.Itoa(snapEvery))
	}
	defer func() { err = errors.Join(err, stopServers(s)) }()
	if err != nil {
		return err
	}
	if s.kind == "raftcache" {
		// The empty node's baseline holds a full catch-up window of pad
		// writes, as the loaded one will (see compactLog): the window is
		// a fixed cost of the node, like its empty heap, and not memory
		// of the collection.
		if _, err := b.padLog(ctx, s, snapEvery, 0); err != nil {
			return err
		}
		// And it is sampled as the loaded one is: settled, after the
		// node has gone quiet and returned its garbage.
		select {
		case <-time.After(b.cfg.settle):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if m.Base, err = sampleMemory(ctx, s); err != nil {
		return err
	}
	key := collectionKey(typ)
	b.logf("%s: loading %s elements into a %s", s.name, thousands(float64(b.cfg.elements)), typ)
	start := time.Now()
	if err := loadCollection(ctx, s.addr, typ, key, b.cfg.elements, b.cfg.elementClients); err != nil {
		return err
	}
	d := time.Since(start)
	b.logf("%s: loaded in %s (%s elements/s)", s.name, seconds(d), thousands(float64(b.cfg.elements)/d.Seconds()))
	select {
	case <-time.After(b.cfg.settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.kind == "raftcache" {
		if m.LogEntries, err = b.compactLog(ctx, s, snapEvery); err != nil {
			return err
		}
		select {
		case <-time.After(b.cfg.settle):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if m.Loaded, err = sampleMemory(ctx, s); err != nil {
		return err
	}
	c := newClient(s.addr, 1, 10*time.Second)
	m.Encoding, err = c.ObjectEncoding(ctx, key).Result()
	c.Close()
	if err != nil {
		return fmt.Errorf("OBJECT ENCODING %s on %s: %w", key, s.name, err)
	}
	b.logf("%s: RSS %s MiB (empty: %s MiB), used_memory %s MiB (empty: %s MiB), encoding %s",
		s.name, mib(m.Loaded.RSS), mib(m.Base.RSS), mib(m.Loaded.Used), mib(m.Base.Used), m.Encoding)
	return nil
}

// catchUpEntries is the node's default window of entries kept in memory
// behind a snapshot (cluster.Config.CatchUpEntries).
const catchUpEntries = 5000

// compactLog brings raftcache node s, started with -snapshot_entries
// snapEvery and holding one key, to a snapshot right after its load, so
// that the log entries it holds in memory until a snapshot (up to
// snapEvery of them, wherever the load ended) do not count as the
// collection's memory: it waits for any snapshot the load called for,
// then pads the log (padLog) until the catch-up window behind the last
// snapshot holds pad writes only, as the empty node's baseline did. It
// returns the entries applied after that snapshot (the node's own).
func (b *bench) compactLog(ctx context.Context, s *server, snapEvery int) (uint64, error) {
	applied, lastSnap, _, err := waitLoadSnapshot(ctx, s, snapEvery, 1)
	if err != nil {
		return 0, err
	}
	b.logf("%s: %d log entries after the last snapshot (index %d)", s.name, applied-lastSnap, lastSnap)
	snap, err := b.padLog(ctx, s, snapEvery, applied)
	if err != nil {
		return 0, err
	}
	if applied, err = appliedIndex(ctx, s); err != nil {
		return 0, err
	}
	return applied - snap, nil
}

// padLog overwrites one small key on s, one entry a write, snapshot after
// snapshot, until the catchUpEntries entries kept behind the last one all
// come after index from; it returns that snapshot's index. Each round
// writes what the next snapshot needs (snapEvery entries after the last,
// the node's interval for a state of one key), and waits for it: a
// snapshot can land a few entries past its due index, so each round
// starts from where the last one did land.
func (b *bench) padLog(ctx context.Context, s *server, snapEvery int, from uint64) (uint64, error) {
	c := newClient(s.addr, 1, time.Minute)
	defer c.Close()
	var snap uint64
	if saved, err := snapshotsSaved(s.log()); err != nil {
		return 0, err
	} else if len(saved) > 0 {
		snap = saved[len(saved)-1].Index
	}
	for snap < from+catchUpEntries {
		applied, err := appliedIndex(ctx, s)
		if err != nil {
			return 0, err
		}
		n := int(snap) + snapEvery - int(applied)
		b.logf("%s: %d writes of one key to the snapshot after index %d", s.name, max(n, 0), snap)
		for sent := 0; sent < n; sent += 1000 {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := sent; i < min(sent+1000, n); i++ {
					p.Set(ctx, "bench:pad", "x", 0)
				}
				return nil
			})
			if err != nil {
				return 0, fmt.Errorf("pad the log to a snapshot: %w", err)
			}
		}
		last := snap
		err = waitUntil(ctx, s.process, 5*time.Minute, 100*time.Millisecond, fmt.Sprintf("a snapshot after index %d", last), func() (bool, error) {
			saved, err := snapshotsSaved(s.log())
			if len(saved) > 0 {
				snap = saved[len(saved)-1].Index
			}
			return snap > last, err
		})
		if err != nil {
			return 0, err
		}
	}
	return snap, nil
}
