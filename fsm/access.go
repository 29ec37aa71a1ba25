package fsm

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// Access statistics: each key's lru, Redis's 24-bit robj lru field. Under
// an LFU policy it holds the LFU decay time (minutes, 16 bits) and an 8-bit
// logarithmic counter; otherwise the LRU clock (seconds, 24 bits) of the
// key's last access. It is replicated state, the same on every node:
//
//   - a write sets it in Apply, from the entry's time (writer.writeLRU),
//     and an LFU increment draws its random number from the entry
//     (lfuRandom), never from the applying node;
//   - a read changes nothing: each node records the keys its reads found
//     (accessLog, off the lock's hot path and bounded), and every
//     accessReportInterval proposes them as an access report, an entry
//     that every node applies (opAccessReport). So a key read only on a
//     follower is as recent to the leader's eviction as one read on the
//     leader, and a new leader goes on from the same statistics. Reads
//     never become log entries one by one.
//
// A policy change reinterprets the field, as Redis's does ("LRU and LFU
// data will take some time to adjust").

const (
	lruMax         = 1<<24 - 1 // LRU_CLOCK_MAX
	lruResolution  = 1000      // LRU_CLOCK_RESOLUTION, ms
	lfuInitVal     = 5         // LFU_INIT_VAL: a new key's counter
	opAccessReport = 768       // args[0]: the counts as uvarints; args[1:]: the keys
)

var errBadLRU = errors.New("access clock out of range")

// lruClock is Redis's LRU_CLOCK at now (ms).
func lruClock(now int64) uint32 { return uint32(now/lruResolution) & lruMax }

// idleMillis is Redis's estimateObjectIdleTime: the ms since lru, as of
// now, allowing for the clock's wrap.
func idleMillis(lru uint32, now int64) int64 {
	c := lruClock(now)
	if c >= lru {
		return int64(c-lru) * lruResolution
	}
	return int64(c+(lruMax-lru)) * lruResolution
}

// lfuMinutes is Redis's LFUGetTimeInMinutes.
func lfuMinutes(now int64) uint32 { return uint32(now/1000/60) & 65535 }

// lfuElapsed is Redis's LFUTimeElapsed: minutes since ldt.
func lfuElapsed(ldt uint32, now int64) uint32 {
	m := lfuMinutes(now)
	if m >= ldt {
		return m - ldt
	}
	return 65535 - ldt + m
}

// lfuDecr is Redis's LFUDecrAndReturn: lru's counter, less one for each
// decayTime minutes since it was last decremented.
func lfuDecr(lru uint32, now int64, decayTime int) uint8 {
	counter := lru & 255
	if decayTime <= 0 {
		return uint8(counter)
	}
	periods := lfuElapsed(lru>>8, now) / uint32(decayTime)
	if periods >= counter {
		return 0
	}
	return uint8(counter - periods)
}

// lfuIncr is Redis's LFULogIncr with r, uniform in [0, 1), as its random
// number: the counter grows with probability 1/((counter-5)*logFactor+1).
func lfuIncr(counter uint8, logFactor int, r float64) uint8 {
	if counter == 255 {
		return 255
	}
	base := math.Max(float64(counter)-lfuInitVal, 0)
	if r < 1/(base*float64(logFactor)+1) {
		counter++
	}
	return counter
}

// lfuStamp packs a counter with now's decay time.
func lfuStamp(now int64, counter uint8) uint32 { return lfuMinutes(now)<<8 | uint32(counter) }

// lfuRandom is the random number of the n-th LFU increment of the key
// hashing to fh in the entry at index: a hash of the three (SplitMix64),
// so every node draws the same without a shared stream whose order the
// commands of an entry would otherwise have to agree on.
func lfuRandom(index, fh, n uint64) float64 {
	x := index*0x9e3779b97f4a7c15 ^ fh ^ n*0xd1b54a32d192ed03
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// writeLRU is the lru of a key the current entry writes: carried is the
// lru of the entry being put (the key's own when a write changes its
// value, the source's for RENAME or MOVE; 0 for a new value), old the
// lru of the key it replaces, if live. Under LFU a write is an access, as
// Redis's lookupKeyWrite counts it; a new key starts at LFU_INIT_VAL.
func (w *writer) writeLRU(fh uint64, old uint32, live bool, carried uint32) uint32 {
	cfg := w.s.evictCfg()
	if !cfg.policy.LFU() {
		return lruClock(w.now)
	}
	base := carried
	if base == 0 && live {
		base = old
	}
	if base == 0 {
		return lfuStamp(w.now, lfuInitVal)
	}
	c := lfuDecr(base, w.now, cfg.lfuDecayTime)
	return lfuStamp(w.now, lfuIncr(c, cfg.lfuLogFactor, lfuRandom(w.index, fh, 0)))
}

// accessed is the lru of a key read hits times since its last report.
func accessed(lru uint32, hits int, cfg evictConfig, now int64, index, fh uint64) uint32 {
	if !cfg.policy.LFU() {
		return lruClock(now)
	}
	c := lfuDecr(lru, now, cfg.lfuDecayTime)
	// Past a few hundred hits an increment's chance is tiny; the cap
	// bounds the entry's cost for a very hot key.
	for i := range min(hits, maxReportedHits) {
		c = lfuIncr(c, cfg.lfuLogFactor, lfuRandom(index, fh, uint64(i)+1))
	}
	return lfuStamp(now, c)
}

const maxReportedHits = 4096

func accessTable() table {
	return table{ops: []opDef{
		{op: opAccessReport, opShape: opShape{name: "accessreport", write: true, minArgs: 2, maxArgs: -1},
			valid: validAccessReport, apply: (*writer).accessReport, keys: noKeys},
	}}
}

func validAccessReport(c Command) bool {
	b := c.args[0]
	for range c.args[1:] {
		_, n := binary.Uvarint(b)
		if n <= 0 {
			return false
		}
		b = b[n:]
	}
	return len(b) == 0
}

// NewAccessReport builds the entry that reports reads served by a node:
// keys of database db, each read hits[i] times, as of now. Its reply is
// the number of keys found.
func NewAccessReport(db int, keys [][]byte, hits []int, now int64) Command {
	var counts []byte
	for _, h := range hits {
		counts = binary.AppendUvarint(counts, uint64(max(h, 1)))
	}
	args := append([][]byte{counts}, keys...)
	return Command{op: opAccessReport, time: now, args: args}.InDB(db)
}

// accessReport applies an access report: each live key's lru becomes
// accessed's, in place, without stamping the entry's index, for a read is
// no change (WATCH, and the eviction's check that a key is as it was
// sampled, ignore it).
func (w *writer) accessReport(c Command) Reply {
	cfg := w.s.evictCfg()
	b := c.args[0]
	var n int64
	for _, key := range c.args[1:] {
		hits, k := binary.Uvarint(b)
		b = b[k:]
		if w.touch(key, int(min(hits, maxReportedHits)), cfg) {
			n++
		}
	}
	return Int(n)
}

// touch sets the lru of key, if live, as hits reads would. It reports
// whether the key was there.
func (w *writer) touch(key []byte, hits int, cfg evictConfig) bool {
	w.found.valid = false
	ks := w.ks
	fh := keyHash(key)
	i := int(fh & (shardCount - 1))
	h := maphash.Bytes(w.s.seed, key)
	slot, off, ok := ks.shards[i].find(key, h)
	if !ok || !ks.shards[i].live(off, w.now) {
		return false
	}
	sh := ks.own(i)
	lru := accessed(sh.lruAt(off), hits, cfg, w.now, w.index, fh)
	if off >= sh.frozen {
		sh.patch(off, sh.modIndexAt(off), lru, sh.expireAt(off))
		return true
	}
	// The record may be shared with a snapshot: write a new one.
	r := sh.decode(off)
	r.lru = lru
	newOff := sh.appendRecord(r.key, &r.entry, r.obj)
	sh.garbage += r.size
	sh.slots[slot] = makeSlot(h, newOff)
	return true
}

// accessLog records the keys this node's reads found, until the next
// access report takes them. It is local, not replicated: only the reports
// built from it reach the state. Recording is one short critical section
// on one of accessStripes locks; past accessLogMax distinct keys in an
// interval, new keys are dropped (sampled) so memory and report size stay
// bounded, while keys already seen keep counting.
type accessLog struct {
	stripes [accessStripes]accessStripe
}

const (
	accessStripes = 16
	// accessLogMax bounds the distinct keys one report interval keeps.
	accessLogMax = 1 << 15
	// accessReportInterval is how often a node reports its reads.
	accessReportInterval = time.Second
	// accessReportBatch is the most keys one access report carries.
	accessReportBatch = 1024
)

type accessStripe struct {
	mu   sync.Mutex
	hits [NumDBs]map[string]int
	n    int
}

// record notes a read of key in database db.
func (a *accessLog) record(db int, key []byte, fh uint64) {
	st := &a.stripes[fh%accessStripes]
	st.mu.Lock()
	m := st.hits[db]
	if m == nil {
		m = map[string]int{}
		st.hits[db] = m
	}
	if n, ok := m[string(key)]; ok {
		m[string(key)] = n + 1
	} else if st.n < accessLogMax/accessStripes {
		m[string(key)] = 1
		st.n++
	}
	st.mu.Unlock()
}

// take returns and forgets what was recorded, by database.
func (a *accessLog) take() (out [NumDBs]map[string]int) {
	for i := range a.stripes {
		st := &a.stripes[i]
		st.mu.Lock()
		for db, m := range st.hits {
			if len(m) == 0 {
				continue
			}
			if out[db] == nil {
				out[db] = m
			} else {
				for k, v := range m {
					out[db][k] += v
				}
			}
			st.hits[db] = nil
		}
		st.n = 0
		st.mu.Unlock()
	}
	return out
}

// noteRead records a read's hit of key in ks. The caller holds the lock.
// A read that runs inside Apply (in MULTI, or called by a script) is an
// access too, as Redis's lookupKeyRead counts it, but every node runs it:
// reported by each node it would count once per node. So it is kept
// instead in appliedReads, and applied when the entry has run
// (touchAppliedReads), from the entry alone, the same on every node.
func (ks *keyspace) noteRead(key []byte) {
	s := ks.s
	for db, d := range s.dbs {
		if d != ks {
			continue
		}
		if s.applying {
			s.appliedReads = append(s.appliedReads, appliedRead{db: db, key: string(key)})
		} else {
			s.access.record(db, key, keyHash(key))
		}
		return
	}
}

// appliedRead is one read hit inside Apply, of key in database db.
type appliedRead struct {
	db  int
	key string
}

// touchAppliedReads applies the reads of the entry just run as accesses,
// as an access report would, and forgets them: each key's reads are one
// touch of that many hits, in the order the keys were first read, at the
// entry's time, with the entry's index for LFU's random numbers. A key
// the entry deleted after reading it is skipped by touch. The caller
// holds the write lock.
func (w *writer) touchAppliedReads() {
	reads := w.s.appliedReads
	w.s.appliedReads = reads[:0]
	cfg := w.s.evictCfg()
	hits := make(map[appliedRead]int, len(reads))
	for _, r := range reads {
		hits[r]++
	}
	for _, r := range reads {
		n := hits[r]
		if n == 0 {
			continue // touched at its first read
		}
		delete(hits, r)
		tw := writer{s: w.s, ks: w.s.dbs[r.db], db: r.db, index: w.index, now: w.now}
		tw.touch([]byte(r.key), n, cfg)
	}
	// Keep the slice for the next entry, not the keys; not a huge one.
	clear(reads)
	if cap(reads) > accessReportBatch {
		w.s.appliedReads = nil
	}
}

// AccessReports returns the access reports of the reads recorded since the
// last call, as of now, in their binary form, ready to propose.
func (s *Store) AccessReports(now int64) [][]byte {
	var out [][]byte
	for db, m := range s.access.take() {
		if len(m) == 0 {
			continue
		}
		keys := make([][]byte, 0, min(len(m), accessReportBatch))
		hits := make([]int, 0, cap(keys))
		flush := func() {
			out = append(out, NewAccessReport(db, keys, hits, now).AppendBinary(nil))
			keys, hits = keys[:0], hits[:0]
		}
		for k, n := range m {
			keys = append(keys, []byte(k))
			hits = append(hits, n)
			if len(keys) == accessReportBatch {
				flush()
			}
		}
		if len(keys) > 0 {
			flush()
		}
	}
	return out
}

// RunAccessReports proposes this node's access reports every
// accessReportInterval until ctx ends. Every node runs it, leader and
// followers: a follower's proposal reaches the leader as any write does.
// A report that fails to propose (no leader just then) is dropped: it
// only refines statistics.
func RunAccessReports(ctx context.Context, s *Store, propose func(ctx context.Context, cmd []byte) error, now func() int64) {
	ticker := time.NewTicker(accessReportInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, b := range s.AccessReports(now()) {
			if propose(ctx, b) != nil {
				break
			}
		}
	}
}
