package fsm

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/raftcache/raftcache/fsm/config"
)

// Eviction, decided once for the whole cluster. When the dataset's
// accounted size (evictmem.go) passes maxmemory, the leader alone chooses
// victims, as Redis's evict.c does (a pool of the best of sampled keys,
// see evictpool.go), and proposes their deletion through the log as
// eviction entries (opEvict): every node deletes the same keys, in log
// order, and followers never evict on their own. An eviction entry names
// each key with the modIndex it had when sampled, and deletes it only if
// it is still that version: a decision gone stale in the log (the key
// rewritten since, or evicted already by a previous leader's entry) does
// nothing, so no key is evicted twice and no acknowledged write is lost
// to an old sample.
//
// What cannot wait for the leader is decided in Apply, from replicated
// state only, so that every node gives the same reply: a command that may
// grow memory (Redis's denyoom) gets Redis's OOM error while the dataset
// is over maxmemory and nothing can be evicted (noeviction, or a volatile
// policy with no key carrying a deadline), or while it is so far over
// that eviction is not keeping up (evictHardLimit).

const opEvict opcode = 769 // args[0]: the keys' modIndexes as uvarints; args[1:]: the keys

// errOOM is Redis's shared.oomerr.
const errOOM redisError = "OOM command not allowed when used memory > 'maxmemory'."

// evictHardLimit is how far past maxmemory, as a fraction 1/n of it, an
// evicting policy lets the dataset grow before writes that grow it get
// errOOM: the leader's eviction runs behind the writes by a few log
// round trips, which a pipelined burst of writes can outrun.
const evictHardLimit = 8

func evictTable() table {
	return table{ops: []opDef{
		{op: opEvict, opShape: opShape{name: "evict", write: true, minArgs: 2, maxArgs: -1},
			valid: validAccessReport, apply: (*writer).evict, keys: noKeys},
	}}
}

// NewEvict builds an eviction entry: delete each of keys in database db
// whose modIndex is still modIndexes[i]. Its reply is the number of keys
// deleted.
func NewEvict(db int, keys [][]byte, modIndexes []uint64, now int64) Command {
	var idx []byte
	for _, m := range modIndexes {
		idx = binary.AppendUvarint(idx, m)
	}
	return Command{op: opEvict, time: now, args: append([][]byte{idx}, keys...)}.InDB(db)
}

// evict applies an eviction entry. It stops once the dataset is within
// maxmemory: the leader sampled while it was over by more, and what the
// entries applied since (evictInApply's evictions among them) freed need
// not be freed twice. Under a volatile policy it spares keys without a
// TTL, which an entry decided under an allkeys policy, before a CONFIG SET
// earlier in the log, may name.
func (w *writer) evict(c Command) Reply {
	b := c.args[0]
	var n int64
	cfg := w.s.evictCfg()
	maxMemory, volatile := cfg.maxMemory, cfg.policy.Volatile()
	for _, key := range c.args[1:] {
		if maxMemory > 0 && w.s.usedMemory() <= maxMemory {
			break
		}
		want, k := binary.Uvarint(b)
		b = b[k:]
		e, ok := w.lookup(key)
		if !ok || e.modIndex != want || (volatile && e.expireAt == 0) {
			continue
		}
		w.remove(key)
		w.notifyEvicted(key)
		w.s.evictedKeys.Add(1)
		n++
	}
	return Int(n)
}

// denyOOMOps are the operations of Redis's denyoom commands (found by
// name at initialisation: see denyOOMNames), which may grow memory.
var denyOOMOps [opMax]bool

// denyOOMNames are the commands Redis 7.0 flags denyoom, by the name of
// the operation they parse into. TestDenyOOMMatchesRedis checks every
// write command fsm serves against redis-server's COMMAND INFO, so this
// list, Apply's OOM check and COMMAND INFO (captured from redis-server)
// agree. Operations named alike whose commands Redis flags differently
// are marked by opcode (denyOOMCodes) or by subcommand (Command.denyOOM).
var denyOOMNames = strings.Fields(`set setnx setex psetex getset mset msetnx incr decr incrby
	decrby incrbyfloat append setrange copy hset hmset hsetnx hincrby hincrbyfloat sort
	sadd sinterstore sunionstore sdiffstore lpush rpush lpushx rpushx lset linsert lmove
	rpoplpush blmove brpoplpush xadd xsetid zadd zincrby zrangestore zunionstore zinterstore
	zdiffstore zsetopstore restore`)

// denyOOMCodes are FUNCTION's denyoom subcommands: LOAD and RESTORE, not
// DELETE or FLUSH, though all are operations named "function".
var denyOOMCodes = []opcode{opFunctionLoad, opFunctionRestore}

// markDenyOOM fills denyOOMOps once opTable is built.
func markDenyOOM() {
	deny := map[string]bool{}
	for _, n := range denyOOMNames {
		deny[n] = true
	}
	for op, d := range opTable {
		if d != nil && d.write && deny[d.name] {
			denyOOMOps[op] = true
		}
	}
	for _, op := range denyOOMCodes {
		denyOOMOps[op] = true
	}
}

// denyOOM reports whether c may grow memory: Redis's CMD_DENYOOM, and for
// a transaction whether any of its commands is.
func (c Command) denyOOM() bool {
	switch c.op {
	case opMulti:
		for _, b := range c.args[2*c.ints[0]:] {
			if sub, err := Decode(b); err == nil && sub.denyOOM() {
				return true
			}
		}
		return false
	case opSort:
		return c.flags&flagSortDenyOOM != 0
	case opXGroup:
		// One operation serves every XGROUP subcommand; Redis flags
		// CREATE and CREATECONSUMER denyoom, not SETID, DESTROY or
		// DELCONSUMER.
		return len(c.args) > 0 && (EqualFold(c.args[0], "create") || EqualFold(c.args[0], "createconsumer"))
	}
	return c.op < opMax && denyOOMOps[c.op]
}

// OOMError is Redis's OOM error text, without the leading '-', for a
// front door that refuses a command before it reaches the log (a command
// queued in MULTI: see OverMemory).
const OOMError = string(errOOM)

// OverMemory reports whether this node's state is over maxmemory with
// nothing that eviction could free (Redis's performEvictions failing),
// the state in which Redis refuses a denyoom command, and any command
// queued in MULTI. It reads this node's applied state, which may lag the
// log: it is advisory, for what Redis checks at queue time, where nothing
// replicated depends on it. What changes the state is decided in Apply
// (refuseOOM).
func (s *Store) OverMemory() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.overMemory()
}

// overMemory reports whether a command that may grow memory must be
// refused now. The caller holds the lock.
func (s *Store) overMemory() bool {
	cfg := s.evictCfg()
	if cfg.maxMemory <= 0 {
		return false
	}
	used := s.usedMemory()
	if used <= cfg.maxMemory {
		return false
	}
	if cfg.policy == config.NoEviction || (cfg.policy.Volatile() && s.expiresLen() == 0) {
		return true
	}
	return used-cfg.maxMemory > cfg.maxMemory/evictHardLimit
}

func (s *Store) expiresLen() int {
	n := 0
	for _, ks := range s.dbs {
		n += ks.expires
	}
	return n
}

// refuseOOM returns Redis's reply to c if it must be refused for memory.
func (w *writer) refuseOOM(c Command) (Reply, bool) {
	if !c.denyOOM() || !w.s.overMemory() {
		return Reply{}, false
	}
	if c.op == opMulti {
		return Error("EXECABORT Transaction discarded because of: " + string(errOOM)), true
	}
	return errorReply(errOOM), true
}

// scriptAllowsOOM reports whether a script's shebang declares allow-oom.
func scriptAllowsOOM(body []byte) bool {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return false
	}
	line, _, _ := bytes.Cut(body, []byte("\n"))
	for _, p := range strings.Split(string(line), " ") {
		if list, ok := strings.CutPrefix(p, "flags="); ok {
			for _, f := range strings.Split(list, ",") {
				if f == "allow-oom" {
					return true
				}
			}
		}
	}
	return false
}

// EvictedKeys returns how many keys eviction entries removed on this node
// since it started (evicted_keys).
func (s *Store) EvictedKeys() int64 { return s.evictedKeys.Load() }
