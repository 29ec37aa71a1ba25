package fsm

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/raftcache/raftcache/fsm/config"
)

// The leader's side of eviction: choosing victims as Redis's evict.c does
// and proposing their deletion. None of it runs in Apply: it reads the
// state under the read lock, with this node's clock and randomness, and
// its only effect is the eviction entries it proposes, which every node
// then applies alike.

// evictPoolSize is EVPOOL_SIZE.
const evictPoolSize = 16

// poolEntry is a candidate: the key, where it is and which version of it
// was sampled, and its score (idle: the higher, the better a victim).
type poolEntry struct {
	idle     uint64
	db       int
	key      []byte
	modIndex uint64
	mem      int64
}

// evictionPool is Redis's eviction pool: up to evictPoolSize candidates in
// ascending order of idle, kept from one choice to the next so that good
// candidates sampled earlier still compete.
type evictionPool struct {
	e []poolEntry
}

// insert adds c as evictionPoolPopulate does: in order, dropping the
// worst candidate when full, and ignoring c when the pool is full of
// better ones. A key already in the pool is updated, not repeated.
func (p *evictionPool) insert(c poolEntry) {
	for i := range p.e {
		if p.e[i].db == c.db && bytes.Equal(p.e[i].key, c.key) {
			p.e = append(p.e[:i], p.e[i+1:]...)
			break
		}
	}
	k := 0
	for k < len(p.e) && p.e[k].idle < c.idle {
		k++
	}
	if len(p.e) < evictPoolSize {
		p.e = append(p.e, poolEntry{})
		copy(p.e[k+1:], p.e[k:])
		p.e[k] = c
		return
	}
	if k == 0 {
		return // worse than every candidate of a full pool
	}
	// Full: drop the worst (first) and insert below k.
	copy(p.e[:k-1], p.e[1:k])
	p.e[k-1] = c
}

// pop removes and returns the best candidate.
func (p *evictionPool) pop() (poolEntry, bool) {
	if len(p.e) == 0 {
		return poolEntry{}, false
	}
	c := p.e[len(p.e)-1]
	p.e = p.e[:len(p.e)-1]
	return c, true
}

// score is a key's idle score under the policy, as evictionPoolPopulate
// computes it.
func score(cfg evictConfig, lru uint32, expireAt, now int64) uint64 {
	switch cfg.policy {
	case config.AllKeysLFU, config.VolatileLFU:
		return 255 - uint64(lfuDecr(lru, now, cfg.lfuDecayTime))
	case config.VolatileTTL:
		return math.MaxUint64 - uint64(expireAt)
	}
	return uint64(idleMillis(lru, now))
}

// sample returns up to n live keys of database db picked at random (with a
// deadline only, if volatile), as dictGetSomeKeys: from a random shard
// onwards, a random run of each shard's index. The caller holds the read
// lock.
func (s *Store) sample(db, n int, volatile bool, now int64, cfg evictConfig, fn func(poolEntry)) {
	ks := s.dbs[db]
	if ks.count == 0 || (volatile && ks.expires == 0) {
		return
	}
	got := 0
	start := rand.IntN(shardCount)
	// Bound the work for a sparse keyspace (volatile keys among many).
	for step := 0; step < shardCount && got < n; step++ {
		sh := &ks.shards[(start+step)%shardCount]
		if sh.count == 0 {
			continue
		}
		from := rand.IntN(len(sh.slots))
		for j := 0; j < len(sh.slots) && got < n; j++ {
			v := sh.slots[(from+j)%len(sh.slots)]
			if v == 0 {
				continue
			}
			off := slotOffset(v)
			r := sh.decode(off)
			if r.expired(now) || (volatile && r.expireAt == 0) {
				continue
			}
			got++
			fn(poolEntry{idle: score(cfg, r.lru, r.expireAt, now), db: db, key: bytes.Clone(r.key),
				modIndex: r.modIndex, mem: recordMem(&r)})
			// A few keys per shard, so a sample spans the keyspace.
			if j >= 2 {
				break
			}
		}
	}
}

// evictor is the leader's eviction state: its pool, and where the random
// policies' round robin over databases stands.
type evictor struct {
	s      *Store
	pool   evictionPool
	nextDB int
}

// victim is one key chosen for eviction.
type victim = poolEntry

// choose returns victims whose accounted sizes add up to at least need
// bytes, at most max of them, under the current settings. The caller
// holds the read lock.
func (ev *evictor) choose(need int64, maxVictims int, now int64) []victim {
	s := ev.s
	cfg := s.evictCfg()
	volatile := cfg.policy.Volatile()
	var out []victim
	chosen := map[string]bool{}
	var freed int64
	for freed < need && len(out) < maxVictims {
		var c poolEntry
		ok := false
		switch cfg.policy {
		case config.AllKeysRandom, config.VolatileRandom:
			for i := 0; i < NumDBs && !ok; i++ {
				db := ev.nextDB
				ev.nextDB = (ev.nextDB + 1) % NumDBs
				s.sample(db, 1, volatile, now, cfg, func(e poolEntry) { c, ok = e, true })
			}
		default:
			for db := range s.dbs {
				s.sample(db, max(cfg.samples, 1), volatile, now, cfg, ev.pool.insert)
			}
			for {
				if c, ok = ev.pool.pop(); !ok {
					break
				}
				// A candidate kept from an earlier choice may be gone
				// or rewritten since, or have been pooled under an
				// allkeys policy without a TTL: under a volatile one,
				// Redis finds pooled keys in the expires dict or skips
				// them.
				e, live := s.dbs[c.db].get(c.key, keyHash(c.key))
				if live && !e.expired(now) && e.modIndex == c.modIndex && (!volatile || e.expireAt != 0) {
					break
				}
				ok = false
			}
		}
		if !ok {
			break // nothing left to evict
		}
		id := string(append([]byte{byte(c.db)}, c.key...))
		if chosen[id] {
			continue
		}
		chosen[id] = true
		out = append(out, c)
		freed += c.mem
	}
	return out
}

const (
	// evictBatch is the most keys one eviction round proposes.
	evictBatch = 1024
	// evictInterval is how often the leader checks memory without being
	// woken by a write (a CONFIG SET lowering maxmemory, a lost wake).
	evictInterval = 100 * time.Millisecond
)

// wakeEviction tells the eviction loop, without blocking, that a write
// may have taken the dataset past maxmemory. The caller holds the lock.
func (s *Store) wakeEviction() {
	cfg := s.evictCfg()
	if cfg.maxMemory <= 0 || cfg.policy == config.NoEviction || s.usedMemory() <= cfg.maxMemory {
		return
	}
	select {
	case s.evictWake <- struct{}{}:
	default:
	}
}

// RunEviction keeps the dataset within maxmemory until ctx ends. Every
// node may run it; it acts only while isLeader() is true, so that one node
// decides and no node deletes on its own. Woken by a write that takes the
// dataset past maxmemory (or every evictInterval), it chooses victims
// freeing what is over the limit, at most evictBatch a round, proposes
// them as eviction entries (one per database) and goes on while memory is
// over. propose returns once the entry is applied (or failed); a propose
// error ends the round.
func RunEviction(ctx context.Context, s *Store, isLeader func() bool,
	propose func(ctx context.Context, cmd []byte) error, now func() int64) {
	ev := &evictor{s: s}
	ticker := time.NewTicker(evictInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.evictWake:
		}
		for isLeader() && ctx.Err() == nil {
			if !ev.round(ctx, propose, now()) {
				break
			}
		}
		if !isLeader() {
			ev.pool = evictionPool{} // a new leader samples its own
		}
	}
}

// round proposes one batch of evictions; it reports whether it evicted
// anything and memory may still be over.
func (ev *evictor) round(ctx context.Context, propose func(ctx context.Context, cmd []byte) error, now int64) bool {
	s := ev.s
	s.mu.RLock()
	cfg := s.evictCfg()
	used := s.usedMemory()
	var victims []victim
	if cfg.maxMemory > 0 && cfg.policy != config.NoEviction && used > cfg.maxMemory {
		victims = ev.choose(used-cfg.maxMemory, evictBatch, now)
	}
	s.mu.RUnlock()
	if len(victims) == 0 {
		return false
	}
	var byDB [NumDBs]struct {
		keys [][]byte
		idx  []uint64
	}
	for _, v := range victims {
		b := &byDB[v.db]
		b.keys = append(b.keys, v.key)
		b.idx = append(b.idx, v.modIndex)
	}
	for db := range byDB {
		if b := &byDB[db]; len(b.keys) > 0 {
			if err := propose(ctx, NewEvict(db, b.keys, b.idx, now).AppendBinary(nil)); err != nil {
				return false
			}
		}
	}
	return true
}
