package fsm

// BZPOPMIN, BZPOPMAX and BZMPOP: the blocking pops (see blocking.go). Each
// pops from the first of its keys, in argument order, that holds a sorted
// set; when none does it waits, changing nothing.

// bzpopResolve runs once, when Apply first meets the command: as Redis
// checks each key's type as it looks for one to pop from, the first key
// that exists must be a sorted set, or the command fails with WRONGTYPE
// (carried to bzpop in a flag). A waiter served later skips keys of other
// types, as Redis serves a blocked client only from a key holding a sorted
// set.
func (w *writer) bzpopResolve(c Command) Command {
	for _, key := range c.args {
		e, ok := w.ks.lookupValue(key, w.now)
		if !ok {
			continue
		}
		if e.typ != typeZSet {
			c.flags |= zpWrongType
		}
		break
	}
	return c
}

func (w *writer) bzpop(c Command) (Reply, bool) {
	if c.flags&zpWrongType != 0 {
		return errorReply(errWrongType), true
	}
	for _, key := range c.args {
		// A read-only lookup: serve must not change state when it
		// cannot serve (an expired key is left to the next write).
		if e, ok := w.ks.lookupValue(key, w.now); !ok || e.typ != typeZSet {
			continue
		}
		if c.op == opBZPop {
			c.ints[0] = 1
		}
		return w.zpopFrom(key, c), true
	}
	return Reply{}, false
}
