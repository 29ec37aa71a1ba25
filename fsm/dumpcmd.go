package fsm

import (
	"errors"
	"hash/maphash"

	"github.com/raftcache/raftcache/fsm/list"
	"github.com/raftcache/raftcache/fsm/rdb"
	"github.com/raftcache/raftcache/fsm/set"
	"github.com/raftcache/raftcache/fsm/stream"
	"github.com/raftcache/raftcache/fsm/zset"
)

// DUMP and RESTORE, in Redis 7.0's serialization (see package rdb), so
// that values move between redis-server and raftcache with the tools that
// already do it (redis-cli --pipe of RESTOREs, MIGRATE-like scripts,
// riot, redis-shake...).
//
// DUMP is a read: it describes the key's value in the encoding it has here
// (OBJECT ENCODING), which is Redis's for the same history, so the payload
// is the one redis-server writes, byte for byte, except for the order of a
// hashtable-encoded set or hash, which follows each side's own table.
//
// RESTORE is a write through the log. Parse checks everything Redis checks
// that does not depend on the keyspace (the options, the TTL, the
// payload's trailer and the whole object), turns a relative TTL into an
// absolute deadline from the proposer's clock, and carries the payload;
// every node's Apply decodes the same bytes with the same code and the
// replicated configuration, so they build the same value. Redis checks
// whether the key exists (BUSYKEY) before the TTL and the payload, so a
// RESTORE whose TTL or payload is bad and that has no REPLACE becomes a
// read (opRestoreError) that answers BUSYKEY or the error as of the key.

const (
	opDump         opcode = 104
	opRestore      opcode = 105 // args: key, payload; ints: deadline, idle seconds, freq (-1: not given)
	opRestoreError opcode = 106 // args: key, the error for an absent key
)

// flagRestoreReplace (flagReplace) is RESTORE's REPLACE.

const (
	errBusyKey      redisError = "BUSYKEY Target key name already exists."
	errRestoreTTL   redisError = "ERR Invalid TTL value, must be >= 0"
	errBadFormat    redisError = "ERR Bad data format"
	errIdleTimeNeg  redisError = "ERR Invalid IDLETIME value, must be >= 0"
	errFreqRange    redisError = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	restoreNotGiven            = -1
)

func dumpTable() table {
	return table{
		commands: []parser{
			{"dump", 2, keyArgs(opDump, 0)},
			{"restore", -4, parseRestore},
		},
		ops: []opDef{
			{op: opDump, opShape: opShape{name: "dump", minArgs: 1, maxArgs: 1}, read: (*keyspace).dump},
			{op: opRestore, opShape: opShape{name: "restore", write: true, minArgs: 2, maxArgs: 2, ints: 3},
				valid: func(c Command) bool {
					return c.ints[1] >= restoreNotGiven && c.ints[2] >= restoreNotGiven && c.ints[2] <= 255 &&
						(c.ints[1] == restoreNotGiven || c.ints[2] == restoreNotGiven)
				},
				apply: (*writer).restore, keys: firstArg},
			{op: opRestoreError, opShape: opShape{name: "restore", minArgs: 2, maxArgs: 2},
				read: (*keyspace).restoreError, keys: firstArg},
		},
	}
}

// parseRestore follows restoreCommand: the options first, then (after the
// key's BUSYKEY check, see opRestoreError) the TTL, the payload's trailer
// and the object.
func parseRestore(_ string, argv [][]byte, now int64) (Command, error) {
	var flags uint16
	absTTL := false
	idle, freq := int64(restoreNotGiven), int64(restoreNotGiven)
	for j := 4; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case EqualFold(argv[j], "replace"):
			flags |= flagReplace
		case EqualFold(argv[j], "absttl"):
			absTTL = true
		case EqualFold(argv[j], "idletime") && more >= 1 && freq == restoreNotGiven:
			v, ok := ParseInt(argv[j+1])
			if !ok {
				return Command{}, errNotInteger
			}
			if v < 0 {
				return Command{}, errIdleTimeNeg
			}
			idle = v
			j++
		case EqualFold(argv[j], "freq") && more >= 1 && idle == restoreNotGiven:
			v, ok := ParseInt(argv[j+1])
			if !ok {
				return Command{}, errNotInteger
			}
			if v < 0 || v > 255 {
				return Command{}, errFreqRange
			}
			freq = v
			j++
		default:
			return Command{}, errSyntax
		}
	}
	deadline, err := restoreChecks(argv[2], argv[3], absTTL, now)
	if err != nil {
		if flags&flagReplace != 0 {
			return Command{}, err
		}
		return Command{op: opRestoreError, args: [][]byte{argv[1], []byte(err.Error())}}, nil
	}
	return Command{op: opRestore, flags: flags, ints: [4]int64{deadline, idle, freq}, args: [][]byte{argv[1], argv[3]}}, nil
}

// restoreChecks checks RESTORE's TTL and payload and returns the absolute
// deadline (0: none).
func restoreChecks(ttlArg, payload []byte, absTTL bool, now int64) (int64, error) {
	ttl, ok := ParseInt(ttlArg)
	if !ok {
		return 0, errNotInteger
	}
	if ttl < 0 {
		return 0, errRestoreTTL
	}
	if _, err := rdb.Decode(payload); err != nil {
		if errors.Is(err, rdb.ErrPayload) {
			return 0, errDumpPayload
		}
		return 0, errBadFormat
	}
	if ttl != 0 && !absTTL {
		ttl += now // wraps as Redis's does for an absurd TTL, which then has passed
	}
	return ttl, nil
}

func (ks *keyspace) restoreError(c Command, now int64) Reply {
	if _, ok := ks.lookupRead(c.args[0], now); ok {
		return errorReply(errBusyKey)
	}
	return Error(string(c.args[1]))
}

// dump is DUMP: the key's value as Redis 7.0 serializes it.
func (ks *keyspace) dump(c Command, now int64) Reply {
	e, ok := ks.lookupValue(c.args[0], now)
	if !ok {
		return Nil
	}
	return Bulk(rdb.Encode(rdbValue(&e)))
}

// rdbValue describes e's value for package rdb, aliasing its memory.
func rdbValue(e *entry) *rdb.Value {
	switch e.typ {
	case typeString:
		return &rdb.Value{Kind: rdb.KindString, Str: e.str}
	case typeHash:
		v := &rdb.Value{Kind: rdb.KindHash, Compact: e.hash.index == nil, Pairs: make([][]byte, 0, 2*len(e.hash.fields))}
		for _, f := range e.hash.fields {
			v.Pairs = append(v.Pairs, f.name, f.value)
		}
		return v
	}
	switch c := e.coll.(type) {
	case listValue:
		return &rdb.Value{Kind: rdb.KindList, Nodes: listNodes(c.List)}
	case setColl:
		w := c.IntsetWidth()
		return &rdb.Value{Kind: rdb.KindSet, Members: c.Members(), Intset: w != 0, IntsetWidth: w}
	case zsetValue:
		v := &rdb.Value{Kind: rdb.KindZSet, Compact: c.Encoding() == "listpack", Scored: make([]rdb.Scored, 0, c.Len())}
		c.RangeByRank(0, c.Len()-1, false, func(m []byte, score float64) bool {
			v.Scored = append(v.Scored, rdb.Scored{Member: m, Score: score})
			return true
		})
		return v
	case streamValue:
		return &rdb.Value{Kind: rdb.KindStream, Stream: c.ToRDB()}
	}
	panic("fsm: DUMP of a value of no known type")
}

// listNodes splits l's elements as its chunks hold them: Redis's quicklist
// nodes.
func listNodes(l *list.List) [][][]byte {
	lens := l.ChunkLens()
	nodes := make([][][]byte, 0, len(lens))
	var cur [][]byte
	l.Ascend(0, func(_ int, elem []byte) bool {
		cur = append(cur, ownedCopy(elem)) // elem is valid only during the call
		if len(cur) == lens[len(nodes)] {
			nodes = append(nodes, cur)
			cur = nil
		}
		return true
	})
	return nodes
}

// restore is RESTORE after Parse's checks: REPLACE or BUSYKEY, the value
// (or nothing, if its deadline has passed as of the entry's time), its
// access statistics, and the "restore" event.
func (w *writer) restore(c Command) Reply {
	key := c.args[0]
	replace := c.flags&flagReplace != 0
	_, exists := w.lookup(key)
	if exists && !replace {
		return errorReply(errBusyKey)
	}
	v, err := rdb.Decode(c.args[1])
	if err != nil { // Parse decoded the same bytes; a bad entry in the log
		return errorReply(errBadFormat)
	}
	e, err := w.s.entryOf(v)
	if err != nil {
		return errorReply(errBadFormat)
	}
	if exists {
		w.remove(key)
	}
	deadline := c.ints[0]
	if deadline != 0 && deadline <= w.now {
		if exists {
			w.notify(notifyGeneric, "del", key)
		}
		return OK
	}
	e.expireAt = deadline
	w.put(key, e)
	if lru, ok := w.restoredLRU(c.ints[1], c.ints[2]); ok {
		w.setLRU(key, lru)
	}
	w.notify(notifyGeneric, "restore", key)
	return OK
}

// entryOf builds the value v describes as Redis 7.0's rdbLoadObject does,
// under the replicated configuration: a set of integers within
// set-max-intset-entries is an intset (of the width it was dumped with), a
// listpack sorted set or hash stays one unless it has too many entries,
// and a skiplist or hash table small enough becomes a listpack.
func (s *Store) entryOf(v *rdb.Value) (entry, error) {
	switch v.Kind {
	case rdb.KindString:
		return s.newString(ownedCopy(v.Str), 0), nil
	case rdb.KindHash:
		lim := s.hashLimits()
		if v.Compact {
			lim.value = max(lim.value, v.MaxLen)
		}
		h := &hashValue{gen: s.gen}
		for i := 0; i < len(v.Pairs); i += 2 {
			h.set(v.Pairs[i], ownedCopy(v.Pairs[i+1]), lim)
		}
		return entry{typ: typeHash, hash: h}, nil
	case rdb.KindList:
		// Redis keeps the dump's nodes; a node over this list's limits
		// (dumped under another list-max-listpack-size) is split here.
		l := list.New(s.listLimits())
		for _, nd := range v.Nodes {
			if !l.AppendChunk(nd) {
				l.PushBack(nd...)
			}
		}
		return entry{typ: typeList, coll: listValue{l}, collGen: s.gen}, nil
	case rdb.KindSet:
		st := set.New(s.setLimits(), v.Members...)
		if v.Intset {
			st.WidenIntset(v.IntsetWidth)
		}
		return entry{typ: typeSet, coll: setColl{st}, collGen: s.gen}, nil
	case rdb.KindZSet:
		lim := s.zsetLimits()
		maxLen := v.MaxLen
		if v.Compact {
			lim.MaxListpackValue = max(lim.MaxListpackValue, v.MaxLen)
			maxLen = 0
		}
		z := zset.NewSized(lim, len(v.Scored), maxLen)
		for _, m := range v.Scored {
			z.Add(lim, m.Member, m.Score, 0)
		}
		return entry{typ: typeZSet, coll: zsetValue{z}, collGen: s.gen}, nil
	case rdb.KindStream:
		st, err := stream.FromRDB(v.Stream)
		if err != nil {
			return entry{}, err
		}
		return entry{typ: typeStream, coll: streamValue{st}, collGen: s.gen}, nil
	}
	return entry{}, errBadFormat
}

// restoredLRU is objectSetLRUOrLFU: under an LFU policy FREQ sets the
// counter; otherwise IDLETIME sets the last access that many seconds
// before the entry's time (or, if that would be before the LRU clock's
// zero, half the clock's range ago).
func (w *writer) restoredLRU(idle, freq int64) (uint32, bool) {
	if w.s.evictCfg().policy.LFU() {
		if freq == restoreNotGiven {
			return 0, false
		}
		return lfuStamp(w.now, uint8(freq)), true
	}
	if idle == restoreNotGiven {
		return 0, false
	}
	clock := int64(lruClock(w.now))
	abs := clock - idle
	if abs < 0 {
		abs = (clock + lruMax/2) % lruMax
	}
	return uint32(abs), true
}

// setLRU sets the lru of key, which the caller has just put.
func (w *writer) setLRU(key []byte, lru uint32) {
	w.found.valid = false
	ks := w.ks
	i := int(keyHash(key) & (shardCount - 1))
	h := maphash.Bytes(w.s.seed, key)
	sh := ks.own(i)
	slot, off, ok := sh.find(key, h)
	if !ok {
		return
	}
	if off >= sh.frozen {
		sh.patch(off, sh.modIndexAt(off), lru, sh.expireAt(off))
		return
	}
	r := sh.decode(off)
	r.lru = lru
	newOff := sh.appendRecord(r.key, &r.entry, r.obj)
	sh.garbage += r.size
	sh.slots[slot] = makeSlot(h, newOff)
}
