package fsm

import (
	"bytes"
	"math/rand/v2"

	"github.com/raftcache/raftcache/fsm/config"
)

// Eviction in Apply: the bound on how far past maxmemory a burst of
// writes takes the dataset. The leader's eviction (evictpool.go) chooses
// the best victims, but its entries reach the log a round trip behind the
// writes, and a pipelined burst outruns it (redis-benchmark -P 16 took
// the dataset 364 KB, 1.7%, past a 20 MB limit). Redis evicts before
// every command, synchronously. So an entry that grows the dataset past
// maxmemory by more than evictSlack evicts, in its own Apply, until it is
// back within maxmemory + evictSlack: the same keys on every node,
// because the choice is a function of the replicated state and the entry
// alone. The leader's entries then bring the dataset down to maxmemory,
// each stopping once it is there (writer.evict).
//
// Sampling as the leader does cannot be replayed: a shard's index layout
// (its slots, seeded hash, probe order) differs between nodes, as does
// its arena after compaction or a restore. What is the same everywhere is
// each shard's set of keys. So a victim is the best of one shard, the
// whole shard, picked with a random number drawn from the entry's index:
// an ordering that is independent of layout, ties broken by the key.
// That is a larger sample than maxmemory-samples (about keys/1024 keys),
// paid for only while the leader lags behind the writes.

// evictSlack is how far past maxmemory the dataset may go before Apply
// evicts, so that the leader's better-chosen evictions do the work when
// they keep up: a 1024th of the limit (20 KB of 20 MB), within Redis's
// own measured overshoot (README, Eviction).
func evictSlack(maxMemory int64) int64 { return maxMemory / 1024 }

// evictInApply evicts for the entry just applied, which took the dataset
// from before to its current size. It frees at most twice what the entry
// added (and nothing for an entry that freed memory), so that the cost is
// that of the write and an entry that lowers maxmemory leaves the bulk of
// the work to the leader. The caller holds the write lock.
func (w *writer) evictInApply(before int64) {
	s := w.s
	cfg := s.evictCfg()
	if cfg.maxMemory <= 0 || cfg.policy == config.NoEviction {
		return
	}
	used := s.usedMemory()
	limit := cfg.maxMemory + evictSlack(cfg.maxMemory)
	if used <= limit || used <= before {
		return
	}
	budget := 2 * (used - before)
	rng := rand.New(rand.NewPCG(w.index, 0x6576696374)) // "evict"
	for start := used; used > limit && start-used < budget; used = s.usedMemory() {
		db, key, ok := s.applyVictim(cfg, rng, w.now)
		if !ok {
			return // nothing left that the policy may evict
		}
		ew := writer{s: s, ks: s.dbs[db], db: db, index: w.index, now: w.now}
		ew.remove(key)
		ew.notifyEvicted(key)
		s.evictedKeys.Add(1)
	}
}

// applyVictim chooses the key evictInApply removes: for the random
// policies, the key of a random database's random shard that sorts first
// by a hash salted with rng; otherwise, in each database, the best-scoring
// key of a random shard (the first, from there on, holding a candidate),
// and the best of those. The caller holds the lock.
func (s *Store) applyVictim(cfg evictConfig, rng *rand.Rand, now int64) (db int, key []byte, ok bool) {
	volatile := cfg.policy.Volatile()
	random := cfg.policy == config.AllKeysRandom || cfg.policy == config.VolatileRandom
	var best applyCandidate
	first := rng.IntN(NumDBs)
	for i := range NumDBs {
		d := (first + i) % NumDBs
		ks := s.dbs[d]
		if ks.count == 0 || (volatile && ks.expires == 0) {
			continue
		}
		salt := rng.Uint64()
		start := rng.IntN(shardCount)
		for j := range shardCount {
			c, found := s.bestOfShard(d, (start+j)%shardCount, cfg, volatile, random, salt, now)
			if found {
				if !ok || c.better(best) {
					best, ok = c, true
				}
				break
			}
		}
		if random && ok {
			break // a random policy takes the first database found
		}
	}
	return best.db, best.key, ok
}

// applyCandidate is the best key of a shard so far: its score (higher is
// a better victim; for a random policy, the salted hash) and the key.
type applyCandidate struct {
	score uint64
	fh    uint64
	db    int
	key   []byte
}

// better orders candidates by score, then by key hash and key, so that
// the choice does not depend on the order in which keys were visited.
func (c applyCandidate) better(o applyCandidate) bool {
	if c.score != o.score {
		return c.score > o.score
	}
	if c.fh != o.fh {
		return c.fh < o.fh
	}
	if c.db != o.db {
		return c.db < o.db
	}
	return bytes.Compare(c.key, o.key) < 0
}

// bestOfShard returns the best victim among the live keys (with a
// deadline, if volatile) of shard i of database db, if it holds any.
func (s *Store) bestOfShard(db, i int, cfg evictConfig, volatile, random bool, salt uint64, now int64) (applyCandidate, bool) {
	sh := &s.dbs[db].shards[i]
	if sh.count == 0 {
		return applyCandidate{}, false
	}
	var best applyCandidate
	found := false
	for _, v := range sh.slots {
		if v == 0 {
			continue
		}
		r := sh.decode(slotOffset(v))
		if r.expired(now) || (volatile && r.expireAt == 0) {
			continue
		}
		fh := keyHash(r.key)
		c := applyCandidate{fh: fh, db: db, key: r.key}
		if random {
			c.score = mix64(fh ^ salt)
		} else {
			c.score = score(cfg, r.lru, r.expireAt, now)
		}
		if !found || c.better(best) {
			best, found = c, true
		}
	}
	if found {
		best.key = bytes.Clone(best.key)
	}
	return best, found
}

// mix64 is SplitMix64's finaliser: a salted key hash becomes a uniform
// random order of a shard's keys.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
