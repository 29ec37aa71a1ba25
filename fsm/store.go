package fsm

import (
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/raftcache/raftcache/fsm/acl"
	"github.com/raftcache/raftcache/fsm/config"
	luascript "github.com/raftcache/raftcache/fsm/script"
)

// valueType is the type of a key's value, as TYPE reports it. Zero is
// reserved so a zero entry is never a valid value. The numbers are part of
// the snapshot format: only append.
type valueType uint8

const (
	typeString valueType = 1
	typeHash   valueType = 2
	typeList   valueType = 3
	typeSet    valueType = 4
	typeZSet   valueType = 5
	typeStream valueType = 6
	typeEnd    valueType = 7 // past the last type; not a type
)

// typeNames are the names TYPE and SCAN's TYPE option use.
var typeNames = [typeEnd]string{
	typeString: "string",
	typeHash:   "hash",
	typeList:   "list",
	typeSet:    "set",
	typeZSet:   "zset",
	typeStream: "stream",
}

func (t valueType) String() string {
	if t == 0 || t >= typeEnd {
		return "none"
	}
	return typeNames[t]
}

// valueTypeOf returns the type TYPE calls name, in any case.
func valueTypeOf(name []byte) (valueType, bool) {
	for t := typeString; t < typeEnd; t++ {
		if EqualFold(name, typeNames[t]) {
			return t, true
		}
	}
	return 0, false
}

// entry is one key's value and metadata, as decoded from its shard's record
// (see shard).
//
// Value bytes are immutable once stored: readers' replies and snapshots
// alias them after the lock is released. Writers replace them, with one
// exception: APPEND to a string kept outside the arena may append in place
// into the spare capacity past len, which no reader or snapshot can see
// because they only hold [:len]. Only the current value may use that spare
// capacity, so every slice handed out or shared elsewhere (replies, COPY)
// has its capacity clipped.
//
// A hash's structure (hash) is changed in place by writers, under the write
// lock, once it is not shared with a snapshot (see hashValue.gen); its field
// and value bytes are immutable like str. COPY clones the structure.
type entry struct {
	str  []byte
	hash *hashValue // typeHash only
	// coll is a list, set, sorted set or stream: a value of one of fsm's
	// type packages (see collection.go). Like hash it is changed in place
	// by writers once collGen shows it is not shared with a snapshot.
	coll     collection
	collGen  uint64 // Store.gen when coll was made or cloned
	expireAt int64  // absolute deadline in ms; 0: none
	// raw marks a string that APPEND or SETRANGE changed in place in
	// Redis, which encodes it "raw" from then on whatever it holds, until
	// a command sets it anew (OBJECT ENCODING).
	raw bool
	// noInt marks a string Redis made without trying the integer
	// encoding (INCRBYFLOAT's result): embstr or raw by its length.
	noInt bool
	// unshared marks an integer string Redis keeps as an object of its
	// own rather than one of its shared integers: COPY's duplicate
	// (dupStringObject), or a value made while an LRU or LFU maxmemory
	// policy forbade sharing (MAXMEMORY_FLAG_NO_SHARED_INTEGERS). Only
	// OBJECT REFCOUNT tells.
	unshared bool
	modIndex uint64 // log index of the last write to this key, for WATCH
	// lru is Redis's robj lru field: the key's last access on the LRU
	// clock, or, under an LFU policy, the LFU decay time and counter (see
	// access.go). It is replicated state: set by writes from the entry's
	// time and by access reports, never by a read.
	lru uint32
	// mem is the value's accounted size (see evictmem.go) as of the last
	// write, for a value outside the arena: its hash or collection may
	// have changed in place since, so the old figure cannot be recomputed.
	mem int64
	typ valueType
}

func (e *entry) expired(now int64) bool { return e.expireAt != 0 && e.expireAt <= now }

// The keyspace is split into shardCount maps by a fixed hash of the key. The
// hash is part of the SCAN cursor's meaning, so it must give the same shard
// on every node and in every version: FNV-1a, no seed. A power of two keeps
// the shard a mask away from the hash.
const (
	shardBits  = 10
	shardCount = 1 << shardBits
)

// createdBuckets is how many slots record the last index at which a key was
// created (see Store.created). More slots mean fewer WATCHes of absent keys
// aborted by an unrelated key's creation; 16384 costs 128 KiB per Store.
const createdBuckets = 1 << 14

// keyHash is 64-bit FNV-1a. Its low bits pick the shard; the created-bucket
// comes from the high bits of the hash mixed again (see createdBucketOf), so
// that the two are independent.
func keyHash(key []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func shardOf(key []byte) int { return int(keyHash(key) & (shardCount - 1)) }

// createdBucketOf picks a key's created-bucket from its hash. FNV-1a's
// last multiplication carries a key's last byte no higher than bit 48, so
// its high bits alone would put "k1", "k2", ... in one bucket, and a WATCH
// of an absent "user:1" would abort on every creation of "user:2".
// MurmurHash3's 64-bit finalizer spreads every input bit over the top 14.
// The mapping is part of the replicated state: snapshots from version 3 on
// record buckets under it.
func createdBucketOf(h uint64) int {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return int(h >> (64 - 14))
}

// NumDBs is how many databases a Store has, as Redis's default
// "databases 16". SELECT, MOVE, SWAPDB and COPY ... DB address them by
// index.
const NumDBs = 16

// Store is the state machine: NumDBs keyspaces. Apply, Snapshot and Restore
// are called from one goroutine; Read, Len, ExpiresLen and the other
// accessors may run concurrently with them. One RWMutex guards all state:
// the shards are there for SCAN's cursor and copy-on-write snapshots, not
// (yet) for finer locking.
type Store struct {
	mu  sync.RWMutex
	dbs [NumDBs]*keyspace
	// seed hashes keys within a shard's index. It is random, as a Go
	// map's, so that nobody can choose keys that collide; it decides only
	// where a key sits in the index, never what any command sees.
	seed maphash.Seed
	// gen counts snapshot captures (see shard).
	gen uint64

	applied uint64 // index of the last applied log entry

	// entryRand is the random source of the entry at index entryRandAt
	// (see writer.entryRand).
	entryRand   *rand.Rand
	entryRandAt uint64

	// Blocked clients (see blocking.go): by ID, and each database's
	// queues by key, first blocked first. blocked is by database number,
	// not keyspace: SWAPDB moves data, not clients.
	waiters   map[WaiterID]*waiter
	inflight  map[WaiterID]*waiter // served, not yet acknowledged
	blocked   [NumDBs]map[string][]*waiter
	waiterSeq uint64     // registrations so far
	ready     []readyKey // keys with waiters the current Apply touched
	readyAt   int        // ready[:readyAt] have been served
	sink      func(Event)

	// scripts is the script cache (SHA1 to body): replicated state,
	// snapshotted. lua runs scripts in Apply and compiles what it runs;
	// readLua holds engines for read-only scripts, one per concurrent
	// reader (see scriptcmd.go).
	scripts map[string][]byte
	lua     *luascript.Engine
	readLua sync.Pool
	// libraries are FUNCTION's libraries by name, functions the same by
	// function name: replicated state, snapshotted.
	libraries map[string]*library
	functions map[string]*library
	// cfg is the replicated configuration (CONFIG SET of a parameter
	// that is not node-local; see configcmd.go): changed only in Apply,
	// snapshotted. Code under the lock reads its typed fields (w.s.cfg in
	// a write, ks.s.cfg in a read).
	cfg *config.Values
	// evictedKeys counts the keys eviction entries removed here.
	evictedKeys atomic.Int64
	// applying is true while Apply runs, so that reads it runs (MULTI,
	// scripts) are not recorded as this node's reads but kept in
	// appliedReads, applied as accesses once the entry has run (see
	// noteRead).
	applying     bool
	appliedReads []appliedRead
	// access records this node's reads for its next access report.
	access accessLog
	// evictWake wakes the eviction loop (see RunEviction).
	evictWake chan struct{}
	// acl is the ACL users (see aclcmd.go): replicated, snapshotted.
	// aclGen counts their changes, for the front door's caches.
	acl    aclState
	aclGen atomic.Uint64
	// scriptACL checks the commands of restricted users' scripts (see
	// scriptacl.go); set once by the front door.
	scriptACL ScriptACL

	// scriptBudget, if not 0, replaces luascript.DefaultBudget (tests).
	scriptBudget int64

	// The current Apply's Effects (see effects.go), for effectsSink.
	effects     Effects
	effectsBuf  []byte // the changed keys' bytes
	effectsSink func(*Effects)
	// readMessageSink receives the messages reads outside Apply raise
	// (see SetReadMessageSink).
	readMessageSink func(index uint64, m *Message)
	// notifyFlags is notify-keyspace-events (see notify.go).
	notifyFlags int

	// Statistics, for INFO. They are atomics because reads update them
	// under the read lock, and they never feed back into Apply.
	expiredKeys    atomic.Int64
	keyspaceHits   atomic.Int64
	keyspaceMisses atomic.Int64
}

// keyspace is one database.
type keyspace struct {
	s      *Store // for the seed, the generation and the statistics
	shards [shardCount]shard

	count   int   // keys in all shards, expired-but-present ones included
	expires int   // entries with a deadline, for INFO keyspace
	mem     int64 // the keys' accounted size (see evictmem.go)

	// created[b] is the last log index at which a key hashing to bucket b
	// came into existence (absent or expired before, present after). It is
	// what ModIndex reports for an absent key: every way an absent key can
	// change and become absent again passes through a creation, so a WATCH
	// of an absent key is aborted by exactly the changes Redis aborts on,
	// plus the creation of another key in the same bucket. FLUSHALL needs
	// no visit to each key: it only makes live keys absent, which changes
	// their ModIndex from "live" to "absent". nil until the first creation.
	created *[createdBuckets]uint64
	// swapped is the index of the last SWAPDB that brought this keyspace
	// to its database: every key's ModIndex is at least that, so that a
	// WATCH across a SWAPDB aborts, as Redis's touchAllWatchedKeysInDb.
	swapped uint64

	// sampleShard is where the next ExpiredSample starts. It is local
	// progress of a read, not replicated state.
	sampleShard atomic.Uint32
}

// New returns an empty Store.
func New() *Store {
	s := &Store{seed: maphash.MakeSeed(), gen: 1, cfg: config.Defaults(), evictWake: make(chan struct{}, 1),
		acl: aclState{initial: acl.Default()}}
	for i := range s.dbs {
		s.dbs[i] = s.newKeyspace()
	}
	return s
}

func (s *Store) newKeyspace() *keyspace {
	ks := &keyspace{s: s}
	ks.reset()
	return ks
}

// reset empties the keyspace. Shards allocate on first use, which keeps
// New and FLUSHALL cheap; a snapshot keeps the old shards it shares.
func (ks *keyspace) reset() {
	for i := range ks.shards {
		ks.shards[i] = shard{gen: ks.s.gen}
	}
	ks.count, ks.expires, ks.mem = 0, 0, 0
}

// markCreated records that a key hashing to fh came into existence at
// index.
func (ks *keyspace) markCreated(fh, index uint64) {
	if ks.created == nil {
		ks.created = new([createdBuckets]uint64)
	}
	ks.created[createdBucketOf(fh)] = index
}

// Len returns the number of keys, counting keys whose deadline has passed but
// which no write has removed yet, as Redis's DBSIZE does.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, ks := range s.dbs {
		n += ks.count
	}
	return n
}

// ExpiresLen returns the number of keys that carry a deadline.
func (s *Store) ExpiresLen() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, ks := range s.dbs {
		n += ks.expires
	}
	return n
}

// AppliedIndex returns the index of the last log entry applied, or the one a
// restored snapshot was taken at.
func (s *Store) AppliedIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// Stats are the counters INFO reports.
type Stats struct {
	Keys    int // keys present, expired-but-unremoved included (DBSIZE)
	Expires int // keys carrying a deadline
	// DBs has each database's Keys and Expires, for INFO keyspace.
	DBs            [NumDBs]DBStats
	ExpiredKeys    int64 // keys removed because their deadline passed
	EvictedKeys    int64 // keys removed by eviction entries
	KeyspaceHits   int64 // value lookups by reads that found the key
	KeyspaceMisses int64 // value lookups by reads that did not
}

// DBStats are one database's counters.
type DBStats struct {
	Keys    int
	Expires int
}

// Stats returns the Store's counters. ExpiredKeys, KeyspaceHits and
// KeyspaceMisses are local to this node since it started (or since New) and
// differ between nodes, as in Redis: hits and misses count only the reads a
// node served.
func (s *Store) Stats() Stats {
	var st Stats
	s.mu.RLock()
	for i, ks := range s.dbs {
		st.DBs[i] = DBStats{Keys: ks.count, Expires: ks.expires}
		st.Keys += ks.count
		st.Expires += ks.expires
	}
	s.mu.RUnlock()
	st.ExpiredKeys = s.expiredKeys.Load()
	st.EvictedKeys = s.evictedKeys.Load()
	st.KeyspaceHits = s.keyspaceHits.Load()
	st.KeyspaceMisses = s.keyspaceMisses.Load()
	return st
}

// ResetStats zeroes the counters Stats reports that count events
// (ExpiredKeys, KeyspaceHits, KeyspaceMisses), for CONFIG RESETSTAT. They
// are this node's own and never replicated.
func (s *Store) ResetStats() {
	s.expiredKeys.Store(0)
	s.keyspaceHits.Store(0)
	s.keyspaceMisses.Store(0)
}

// ModIndex returns key's modification token for WATCH, as of now: the
// caller reads it after a linearizable read barrier, carries it in a Watch,
// and EXEC's Apply aborts unless the key's token at the EXEC's carried time
// is still the same. The token is opaque: it is the log index of the key's
// last write for a live key, and the bucket's creation index for an absent
// one, tagged so that the two can never be equal. A key whose deadline has
// passed counts as absent, which gives Redis 7's WATCH semantics: a key live
// at WATCH that expires before EXEC aborts it; a key already expired at WATCH
// and removed later does not.
func (s *Store) ModIndex(db int, key []byte, now int64) uint64 {
	if db < 0 || db >= NumDBs {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dbs[db].modIndex(key, now)
}

func (ks *keyspace) modIndex(key []byte, now int64) uint64 {
	h := keyHash(key)
	if e, ok := ks.get(key, h); ok && !e.expired(now) {
		return max(e.modIndex, ks.swapped)<<1 | 1
	}
	var created uint64
	if ks.created != nil {
		created = ks.created[createdBucketOf(h)]
	}
	return max(created, ks.swapped) << 1
}

// Apply decodes and applies the log entry at index. It returns a Reply (as
// any, to satisfy cluster.StateMachine): bad data yields an error Reply, never
// a panic. A read command in the log is answered as of its carried time.
func (s *Store) Apply(index uint64, data []byte) any {
	c, err := Decode(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = index
	if err != nil {
		return Error("ERR apply entry " + uitoa(index) + ": " + err.Error())
	}
	w := writer{s: s, ks: s.dbs[c.db], db: int(c.db), index: index, now: c.time}
	if r, refused := w.refuseOOM(c); refused {
		return r
	}
	before := s.usedMemory()
	s.applying = true
	r := w.run(c)
	s.applying = false
	if len(s.appliedReads) > 0 {
		w.touchAppliedReads()
	}
	w.evictInApply(before)
	s.wakeEviction()
	if len(s.ready) > 0 {
		w.serveReady()
	}
	s.deliverEffects(index)
	return r
}

// Read runs a read command (IsWrite() == false) against local state, hiding
// keys whose deadline is at or before now.
func (s *Store) Read(c Command, now int64) Reply {
	if c.IsWrite() {
		return Error("ERR fsm: " + c.Name() + " is a write and must go through Apply")
	}
	if !c.validShape() {
		return Error("ERR fsm: invalid command")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dbs[c.db].read(c, now)
}

// lookupRead returns key's live entry as of now, without changing anything.
func (ks *keyspace) lookupRead(key []byte, now int64) (entry, bool) {
	e, ok := ks.get(key, keyHash(key))
	if !ok || e.expired(now) {
		return entry{}, false
	}
	return e, true
}

// get returns key's entry, expired or not; h is keyHash(key). The caller
// holds s.mu.
func (ks *keyspace) get(key []byte, h uint64) (entry, bool) {
	sh := &ks.shards[h&(shardCount-1)]
	_, off, ok := sh.find(key, maphash.Bytes(ks.s.seed, key))
	if !ok {
		return entry{}, false
	}
	return sh.decode(off).entry, true
}

// lookupValue is lookupRead for commands that read a key's value, counted
// in the keyspace hit and miss statistics.
func (ks *keyspace) lookupValue(key []byte, now int64) (entry, bool) {
	e, ok := ks.lookupRead(key, now)
	if ok {
		ks.keyHit()
		ks.noteRead(key)
	} else {
		ks.keyMiss(key)
	}
	return e, ok
}

func uitoa(n uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}

// valueReply returns b as a bulk reply whose capacity is clipped, so nothing
// downstream can append into the spare capacity APPEND may still use.
func valueReply(b []byte) Reply {
	if len(b) == 0 {
		return emptyBulk()
	}
	return Bulk(b[:len(b):len(b)])
}

func errorReply(e error) Reply { return Error(e.Error()) }

// emptyBulk returns "" as a bulk reply; []byte{} needs no allocation.
func emptyBulk() Reply { return Bulk([]byte{}) }
