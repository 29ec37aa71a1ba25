package fsm

import "github.com/raftcache/raftcache/fsm/list"

// The list reads. A reply is written after the Store's lock is released,
// when a later write may have rewritten a chunk in place, so every element
// in a reply is a copy: one buffer per reply, sliced.

// listOf returns key's list for reading: nil with a nil error for an
// absent key, WRONGTYPE for another type.
func (ks *keyspace) listOf(key []byte, now int64) (*list.List, error) {
	coll, found, err := ks.collectionOf(key, typeList, now)
	if err != nil || !found {
		return nil, err
	}
	return asList(coll), nil
}

func (ks *keyspace) llen(c Command, now int64) Reply {
	l, err := ks.listOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case l == nil:
		return Zero
	}
	return Int(int64(l.Len()))
}

func (ks *keyspace) lrange(c Command, now int64) Reply {
	l, err := ks.listOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case l == nil:
		return Array()
	}
	from, to := l.Bounds(clampInt(c.ints[0]), clampInt(c.ints[1]))
	if from == to {
		return Array()
	}
	ends := make([]int, 0, to-from)
	var buf []byte
	l.Ascend(from, func(i int, e []byte) bool {
		if i >= to {
			return false
		}
		buf = append(buf, e...)
		ends = append(ends, len(buf))
		return true
	})
	elems := make([]Reply, len(ends))
	start := 0
	for i, end := range ends {
		elems[i] = valueReply(buf[start:end:end])
		start = end
	}
	return Array(elems...)
}

func (ks *keyspace) lindex(c Command, now int64) Reply {
	l, err := ks.listOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case l == nil:
		return Nil
	}
	e, ok := l.Index(clampInt(c.ints[0]))
	if !ok {
		return Nil
	}
	return valueReply(e)
}

func (ks *keyspace) lpos(c Command, now int64) Reply {
	hasCount := c.flags&flagListCount != 0
	l, err := ks.listOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case l == nil && hasCount:
		return Array()
	case l == nil:
		return Nil
	}
	at := l.Pos(c.args[1], clampInt(c.ints[0]), clampInt(c.ints[1]), clampInt(c.ints[2]))
	if !hasCount {
		if len(at) == 0 {
			return Nil
		}
		return Int(int64(at[0]))
	}
	elems := make([]Reply, len(at))
	for i, n := range at {
		elems[i] = Int(int64(n))
	}
	return Array(elems...)
}

// listError answers a command built by listError (see listcmd.go).
func (ks *keyspace) listError(c Command, now int64) Reply {
	l, err := ks.listOf(c.args[0], now)
	switch {
	case err != nil:
		return errorReply(err)
	case l == nil && c.flags&flagListNoSuchKey != 0:
		return errorReply(errNoSuchKey)
	case l == nil:
		return Nil
	}
	return Error(string(c.args[1]))
}
