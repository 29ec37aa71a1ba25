package fsm

// BZPOPMIN, BZPOPMAX and BZMPOP, the blocking pops of sorted sets, as
// Redis 7.0 serves them (see blocking.go). When first applied, a blocking
// pop pops from the first of its keys, in argument order, that holds a
// sorted set, as its non-blocking form would; a key of another type before
// it is WRONGTYPE. When none exists it waits, changing nothing. A waiter
// is served from the key whose write woke it (writer.readyKey), as Redis's
// handleClientsBlockedOnKeys serves the keys in the order they were made
// ready: a key that became something other than a sorted set leaves it
// waiting.

func (w *writer) bzpop(c Command) (Reply, bool) {
	keys := c.args
	if w.readyKey != nil {
		keys = [][]byte{w.readyKey}
	}
	for _, key := range keys {
		// A read-only lookup that counts no keyspace hit: serve must
		// not change state when it cannot serve.
		e, ok := w.ks.lookupRead(key, w.now)
		switch {
		case !ok:
			continue
		case e.typ != typeZSet && w.readyKey != nil:
			return Reply{}, false
		case e.typ != typeZSet:
			return errorReply(errWrongType), true
		}
		if c.op == opBZPop {
			c.ints[0] = 1
		}
		return w.zpopFrom(key, c), true
	}
	return Reply{}, false
}
