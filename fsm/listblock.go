package fsm

import (
	"math"
	"math/big"
)

// The blocking list pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP), as
// Redis 7.0 serves them. When first applied, a blocking pop pops from the
// first non-empty list among its keys, in argument order, as its
// non-blocking form would; a key of another type before it is WRONGTYPE.
// When none has elements it waits (see blocking.go). A waiter is served
// from the key whose write woke it (writer.readyKey), as Redis's
// handleClientsBlockedOnKeys serves the keys made ready in the order they
// were made ready: a key that became something other than a list leaves
// it waiting. BLMOVE served into a destination of another type unblocks
// with WRONGTYPE and pops nothing, as in Redis 7.0.

// parseBlockTimeout is Redis's getTimeoutFromObjectOrReply in seconds: a
// long double, times 1000 and truncated to a long long as C does (x86-64
// turns a value out of range, infinities included, into LLONG_MIN, which
// is negative). It returns the wait in ms, 0 for ever.
func parseBlockTimeout(b []byte, now int64) (int64, error) {
	x, inf, ok := parseLongDouble(b)
	switch {
	case !ok:
		return 0, errTimeoutNotFloat
	case inf:
		return 0, errTimeoutNegative
	}
	ms := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Mul(x, big.NewFloat(1000))
	n, acc := ms.Int64() // truncated toward zero, as C's conversion
	if acc != big.Exact && (n == math.MaxInt64 || n == math.MinInt64) {
		return 0, errTimeoutNegative
	}
	if n < 0 {
		return 0, errTimeoutNegative
	}
	if n > 0 && now > 0 && n > math.MaxInt64-now {
		// Redis adds the clock, which wraps to a deadline in the past:
		// the client times out at once.
		return 1, nil
	}
	return n, nil
}

func parseBLPop(flags uint16) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, now int64) (Command, error) {
		timeout, err := parseBlockTimeout(argv[len(argv)-1], now)
		if err != nil {
			return Command{}, err
		}
		return Command{op: opBLPop, flags: flags, args: argv[1 : len(argv)-1], blocking: true, timeout: timeout}, nil
	}
}

func parseBLMove(_ string, argv [][]byte, now int64) (Command, error) {
	flags, err := moveFlags(argv[3], argv[4])
	if err != nil {
		return Command{}, err
	}
	timeout, err := parseBlockTimeout(argv[5], now)
	if err != nil {
		return Command{}, err
	}
	return Command{op: opBLMove, flags: flags, args: argv[1:3], blocking: true, timeout: timeout}, nil
}

func parseBRPopLPush(_ string, argv [][]byte, now int64) (Command, error) {
	timeout, err := parseBlockTimeout(argv[3], now)
	if err != nil {
		return Command{}, err
	}
	return Command{op: opBLMove, flags: flagListBack, args: argv[1:3], blocking: true, timeout: timeout}, nil
}

// parseBLMPop checks numkeys, the keys' direction and COUNT before the
// timeout, as Redis does.
func parseBLMPop(_ string, argv [][]byte, now int64) (Command, error) {
	c, err := parseMPop(opBLMPop, argv, 2)
	if err != nil {
		return Command{}, err
	}
	if c.timeout, err = parseBlockTimeout(argv[1], now); err != nil {
		return Command{}, err
	}
	c.blocking = true
	return c, nil
}

// readyList returns the key a waiter is served from: the key whose write
// woke it, if it now holds a list. ok is false if it cannot be served.
func (w *writer) readyList() (key []byte, ok bool) {
	found, err := w.peekList(w.readyKey)
	return w.readyKey, found && err == nil
}

// peekList reports whether key holds a list (err: another type) without
// changing anything, as serve must when it cannot serve, and without
// counting a keyspace hit or miss, as Redis's writes do not.
func (w *writer) peekList(key []byte) (found bool, err error) {
	e, ok := w.ks.lookupRead(key, w.now)
	switch {
	case !ok:
		return false, nil
	case e.typ != typeList:
		return false, errWrongType
	}
	return true, nil
}

// firstList returns the first key of keys holding a list, or a WRONGTYPE
// reply for a key of another type before it; found is false if there is
// neither.
func (w *writer) firstList(keys [][]byte) (key []byte, r Reply, found bool) {
	if w.readyKey != nil {
		key, found = w.readyList()
		return key, Reply{}, found
	}
	for _, k := range keys {
		found, err := w.peekList(k)
		if err != nil {
			return nil, errorReply(err), true
		}
		if found {
			return k, Reply{}, true
		}
	}
	return nil, Reply{}, false
}

// serveBLPop serves BLPOP and BRPOP: [key, element].
func (w *writer) serveBLPop(c Command) (Reply, bool) {
	key, r, found := w.firstList(c.args)
	switch {
	case !found:
		return Reply{}, false
	case key == nil:
		return r, true
	}
	e := w.popList(key, c.flags&flagListBack != 0, 1)[0]
	return Array(valueReply(ownedCopy(key)), valueReply(e)), true
}

// serveBLMPop serves BLMPOP: [key, [elements]].
func (w *writer) serveBLMPop(c Command) (Reply, bool) {
	key, r, found := w.firstList(c.args)
	switch {
	case !found:
		return Reply{}, false
	case key == nil:
		return r, true
	}
	return Array(valueReply(ownedCopy(key)), bulks(w.popList(key, c.flags&flagListBack != 0, c.ints[0]))), true
}

// serveBLMove serves BLMOVE and BRPOPLPUSH: the element moved. It waits
// on its source only.
func (w *writer) serveBLMove(c Command) (Reply, bool) {
	src, dst := c.args[0], c.args[1]
	key, r, found := w.firstList(c.args[:1])
	switch {
	case !found:
		return Reply{}, false
	case key == nil:
		return r, true
	}
	if _, err := w.peekList(dst); err != nil {
		return errorReply(err), true
	}
	return valueReply(w.moveElem(src, dst, c.flags&flagListBack != 0, c.flags&flagListToBack != 0)), true
}
