package fsm

import (
	"math"
	"math/big"
)

// hashValue is a hash's fields in insertion order, which is the order Redis
// 7 replies in while a hash is small (listpack-encoded), so HGETALL, HKEYS
// and HSCAN match it byte for byte. Like Redis, a hash that grows past
// hash-max-listpack-entries fields or gets a field or value longer than
// hash-max-listpack-value is "converted": it gains an index for O(1) lookups and
// deletion swaps in the last field instead of shifting, so its order is no
// longer insertion order (Redis's is hash-table order there). Conversion
// depends only on the commands applied, so every node agrees on the order.
//
// A snapshot shares the hashes it captures: a write to a hash whose gen is
// not the Store's current one clones it first (see shard).
type hashValue struct {
	fields []hashField
	index  map[string]int // field name -> position in fields; nil until converted
	gen    uint64         // Store.gen when this hash was made or cloned
	// data is the bytes of the fields' names and values, kept as they
	// change so that memory accounting (see evictmem.go) is O(1) per write.
	data int
}

type hashField struct {
	name, value []byte // immutable once stored, like entry.str
}

// hashLimits are hash-max-listpack-entries and -value, as CONFIG SET left
// them (Store.cfg): a hash past either converts.
type hashLimits struct{ entries, value int }

func (s *Store) hashLimits() hashLimits {
	return hashLimits{entries: s.cfg.HashMaxListpackEntries, value: s.cfg.HashMaxListpackValue}
}

func (h *hashValue) find(name []byte) int {
	if h.index != nil {
		if i, ok := h.index[string(name)]; ok {
			return i
		}
		return -1
	}
	for i := range h.fields {
		if string(h.fields[i].name) == string(name) {
			return i
		}
	}
	return -1
}

func (h *hashValue) get(name []byte) ([]byte, bool) {
	if i := h.find(name); i >= 0 {
		return h.fields[i].value, true
	}
	return nil, false
}

// set stores value (which the caller owns) under name and reports whether
// the field is new.
func (h *hashValue) set(name, value []byte, lim hashLimits) bool {
	i := h.find(name)
	added := i < 0
	if added {
		h.data += len(name) + len(value)
		h.fields = append(h.fields, hashField{name: ownedCopy(name), value: value})
		if h.index != nil {
			h.index[string(name)] = len(h.fields) - 1
		}
	} else {
		h.data += len(value) - len(h.fields[i].value)
		h.fields[i].value = value
	}
	if h.index == nil && (len(h.fields) > lim.entries || len(name) > lim.value || len(value) > lim.value) {
		h.convert()
	}
	return added
}

func (h *hashValue) convert() {
	h.index = make(map[string]int, len(h.fields))
	for i, f := range h.fields {
		h.index[string(f.name)] = i
	}
}

func (h *hashValue) del(name []byte) bool {
	i := h.find(name)
	if i < 0 {
		return false
	}
	last := len(h.fields) - 1
	h.data -= len(h.fields[i].name) + len(h.fields[i].value)
	if h.index != nil {
		delete(h.index, string(name))
		if i != last {
			h.fields[i] = h.fields[last]
			h.index[string(h.fields[i].name)] = i
		}
	} else {
		copy(h.fields[i:], h.fields[i+1:])
	}
	h.fields[last] = hashField{} // drop the references for the GC
	h.fields = h.fields[:last]
	return true
}

// clone copies the structure; field and value bytes are shared, being
// immutable.
func (h *hashValue) clone() *hashValue {
	c := &hashValue{fields: make([]hashField, len(h.fields)), data: h.data}
	copy(c.fields, h.fields)
	if h.index != nil {
		c.convert()
	}
	return c
}

func (h *hashValue) pairsReply(kind Kind, withNames, withValues bool) Reply {
	n := 0
	if withNames {
		n += len(h.fields)
	}
	if withValues {
		n += len(h.fields)
	}
	elems := make([]Reply, 0, n)
	for _, f := range h.fields {
		if withNames {
			elems = append(elems, valueReply(f.name))
		}
		if withValues {
			elems = append(elems, valueReply(f.value))
		}
	}
	return Reply{Kind: kind, Elems: elems}
}

const (
	errHashNotInteger redisError = "ERR hash value is not an integer"
	errHashNotFloat   redisError = "ERR hash value is not a float"
	errNaNOrInfinity  redisError = "ERR value is NaN or Infinity"
)

func parseHSet(name string, argv [][]byte, _ int64) (Command, error) {
	if len(argv)%2 != 0 {
		return Command{}, arityError(name)
	}
	var flags uint16
	if name == "hmset" {
		flags = flagHMSet
	}
	return Command{op: opHSet, flags: flags, args: argv[1:]}, nil
}

func parseHIncrBy(_ string, argv [][]byte, _ int64) (Command, error) {
	delta, ok := ParseInt(argv[3])
	if !ok {
		return Command{}, errNotInteger
	}
	return Command{op: opHIncrBy, ints: [4]int64{delta}, args: argv[1:3]}, nil
}

func parseHIncrByFloat(_ string, argv [][]byte, _ int64) (Command, error) {
	_, inf, ok := parseLongDouble(argv[3])
	switch {
	case !ok:
		return Command{}, errNotFloat
	case inf:
		return Command{}, errNaNOrInfinity
	}
	return Command{op: opHIncrByFloat, args: argv[1:4]}, nil
}

// readHash runs the hash read commands. The caller holds s.mu.
func (ks *keyspace) readHash(c Command, now int64) Reply {
	e, found := ks.lookupValue(c.args[0], now)
	if found && e.typ != typeHash {
		return errorReply(errWrongType)
	}
	h := e.hash
	switch c.op {
	case opHGet:
		if !found {
			return Nil
		}
		if v, ok := h.get(c.args[1]); ok {
			return valueReply(v)
		}
		return Nil
	case opHMGet:
		elems := make([]Reply, len(c.args)-1)
		for i, f := range c.args[1:] {
			elems[i] = Nil
			if found {
				if v, ok := h.get(f); ok {
					elems[i] = valueReply(v)
				}
			}
		}
		return Array(elems...)
	case opHExists:
		if found && h.find(c.args[1]) >= 0 {
			return One
		}
		return Zero
	case opHStrlen:
		if !found {
			return Zero
		}
		v, _ := h.get(c.args[1])
		return Int(int64(len(v)))
	case opHLen:
		if !found {
			return Zero
		}
		return Int(int64(len(h.fields)))
	}
	if !found {
		h = &hashValue{}
	}
	switch c.op {
	case opHGetAll:
		return h.pairsReply(KindMap, true, true)
	case opHKeys:
		return h.pairsReply(KindArray, true, false)
	case opHVals:
		return h.pairsReply(KindArray, false, true)
	}
	return Error("ERR fsm: " + c.Name() + " is not a hash read")
}

// hscan answers HSCAN with the whole (matching) hash and cursor 0, which
// the SCAN contract allows (COUNT is a hint) and which is what Redis itself
// does for small hashes. Errors come in Redis's order: the cursor (at
// Parse), then the key's type, then the options.
func (ks *keyspace) hscan(c Command, now int64) Reply {
	e, found := ks.lookupValue(c.args[0], now)
	if !found {
		return scanReply(0, nil)
	}
	if e.typ != typeHash {
		return errorReply(errWrongType)
	}
	switch {
	case c.flags&flagScanSyntaxError != 0:
		return errorReply(errSyntax)
	case c.flags&flagScanNotInteger != 0:
		return errorReply(errNotInteger)
	}
	var pattern []byte
	if c.flags&flagScanMatch != 0 {
		pattern = c.args[1]
	}
	all := pattern == nil || (len(pattern) == 1 && pattern[0] == '*')
	elems := make([]Reply, 0, 2*len(e.hash.fields))
	for _, f := range e.hash.fields {
		if all || globMatch(pattern, f.name) {
			elems = append(elems, valueReply(f.name), valueReply(f.value))
		}
	}
	return scanReply(0, elems)
}

// applyHash runs the hash write commands. The caller holds s.mu.
func (w *writer) applyHash(c Command) Reply {
	key := c.args[0]
	e, found := w.lookup(key)
	if found && e.typ != typeHash {
		return errorReply(errWrongType)
	}
	if !found {
		if c.op == opHDel {
			return Zero
		}
		e = entry{typ: typeHash, hash: &hashValue{gen: w.s.gen}}
	}
	if e.hash.gen != w.s.gen {
		// A snapshot may be writing this hash out: change a copy.
		e.hash = e.hash.clone()
		e.hash.gen = w.s.gen
	}
	h := e.hash
	switch c.op {
	case opHSet:
		var added int64
		for i := 1; i < len(c.args); i += 2 {
			if h.set(c.args[i], ownedCopy(c.args[i+1]), w.s.hashLimits()) {
				added++
			}
		}
		w.put(key, e)
		w.notify(notifyHash, "hset", key)
		if c.flags&flagHMSet != 0 {
			return OK
		}
		return Int(added)
	case opHSetNX:
		if h.find(c.args[1]) >= 0 {
			return Zero
		}
		h.set(c.args[1], ownedCopy(c.args[2]), w.s.hashLimits())
		w.put(key, e)
		w.notify(notifyHash, "hset", key)
		return One
	case opHDel:
		var n int64
		for _, f := range c.args[1:] {
			if h.del(f) {
				n++
			}
		}
		if n > 0 {
			w.notify(notifyHash, "hdel", key)
		}
		switch {
		case len(h.fields) == 0:
			w.del(key)
		case n > 0:
			w.put(key, e)
		}
		return Int(n)
	case opHIncrBy:
		return w.hincrBy(key, e, c.args[1], c.ints[0])
	case opHIncrByFloat:
		return w.hincrByFloat(key, e, c.args[1], c.args[2])
	}
	return Error("ERR fsm: " + c.Name() + " is not a hash write")
}

func (w *writer) hincrBy(key []byte, e entry, field []byte, delta int64) Reply {
	var v int64
	if old, ok := e.hash.get(field); ok {
		if v, ok = ParseInt(old); !ok {
			return errorReply(errHashNotInteger)
		}
	}
	if (delta < 0 && v < 0 && delta < math.MinInt64-v) || (delta > 0 && v > 0 && delta > math.MaxInt64-v) {
		return errorReply(errOverflow)
	}
	v += delta
	e.hash.set(field, appendInt(make([]byte, 0, 20), v), w.s.hashLimits())
	w.put(key, e)
	w.notify(notifyHash, "hincrby", key)
	return Int(v)
}

func (w *writer) hincrByFloat(key []byte, e entry, field, incrArg []byte) Reply {
	value := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven)
	if old, found := e.hash.get(field); found {
		x, inf, ok := parseLongDouble(old)
		if !ok {
			return errorReply(errHashNotFloat)
		}
		if inf {
			return errorReply(errFloatOverflow)
		}
		value.Set(x)
	}
	incr, inf, ok := parseLongDouble(incrArg)
	if !ok || inf {
		// Parse rejected both; a corrupt log entry must still not panic.
		return errorReply(errNotFloat)
	}
	value.Add(value, incr)
	if value.Sign() != 0 && value.MantExp(nil) > longDoubleMaxExp {
		return errorReply(errFloatOverflow)
	}
	out := formatLongDouble(value)
	e.hash.set(field, out, w.s.hashLimits())
	w.put(key, e)
	w.notify(notifyHash, "hincrbyfloat", key)
	return valueReply(out)
}
