package fsm

import (
	"bytes"
	"math/rand/v2"
	"strconv"
)

const (
	errInvalidCursor redisError = "ERR invalid cursor"

	defaultScanCount = 10
	// maxGlobNesting bounds the recursion a pattern with many '*' can
	// cause, as Redis 7.2+ does (7.0 has no bound; only absurd patterns
	// notice the difference).
	maxGlobNesting = 1000
)

// globMatch reports whether s matches the glob pattern exactly as Redis's
// stringmatchlen (case-sensitive) does: '*', '?', '[...]' classes with '^'
// negation, 'a-z' ranges (reversed ranges allowed) and '\' escapes, and
// Redis's treatment of malformed patterns (an unterminated '[' class, a
// trailing '\').
func globMatch(pattern, s []byte) bool {
	skipLonger := false
	return globMatchImpl(pattern, s, &skipLonger, 0)
}

// globMatchImpl is stringmatchlen_impl. Redis reads one byte past the
// pattern's end (the NUL terminator) in a few places; at returns 0 there.
// Class ranges compare bytes as C's signed char does.
func globMatchImpl(p, s []byte, skipLonger *bool, nesting int) bool {
	if nesting > maxGlobNesting {
		return false
	}
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatchImpl(p[1:], s, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			// No match for the rest of the pattern anywhere in the rest
			// of s, so no earlier '*' can help by matching more: this is
			// what keeps matching polynomial.
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := at(0) == '^'
			if not {
				p = p[1:]
			}
			match, unterminated := false, false
			for {
				if at(0) == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if at(0) == ']' {
					break
				} else if len(p) == 0 {
					// Redis steps back here so that the advance after
					// the switch lands on the pattern's end.
					unterminated = true
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end, c := int8(p[0]), int8(p[2]), int8(s[0])
					if start > end {
						start, end = end, start
					}
					p = p[2:]
					if c >= start && c <= end {
						match = true
					}
				} else if p[0] == s[0] {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
			if unterminated {
				// Redis's step back and advance leave nothing of the
				// pattern, which ends the loop.
				p = nil
				continue
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

// parseScanCursor parses a SCAN cursor as Redis does, with strtoul: an
// optional sign (a '-' wraps around, so "-1" is 2^64-1), decimal digits,
// nothing after them but the end of the string or a NUL; no leading space,
// no overflow. An empty cursor is 0.
func parseScanCursor(b []byte) (uint64, bool) {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	}
	neg := false
	digits := b
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		digits = b[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseScan parses SCAN and HSCAN. Redis checks HSCAN's key before its
// options, so HSCAN's option errors travel in flags and Read reports them
// only for an existing hash; SCAN's are reported here.
func parseScan(op opcode) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		c := Command{op: op, ints: [4]int64{0, defaultScanCount}}
		opts := argv[2:]
		if op == opHScan {
			c.args = argv[1:2]
			opts = argv[3:]
		}
		cursor, ok := parseScanCursor(argv[len(argv)-len(opts)-1])
		if !ok {
			return Command{}, errInvalidCursor
		}
		c.ints[0] = int64(cursor)
		var pattern, typeName []byte
		err := func() error {
			for i := 0; i < len(opts); i += 2 {
				if i+1 >= len(opts) {
					return errSyntax
				}
				switch opt := opts[i]; {
				case EqualFold(opt, "count"):
					n, ok := ParseInt(opts[i+1])
					if !ok {
						return errNotInteger
					}
					if n < 1 {
						return errSyntax
					}
					c.ints[1] = n
				case EqualFold(opt, "match"):
					pattern = opts[i+1]
				case EqualFold(opt, "type") && op == opScan:
					typeName = opts[i+1]
				default:
					return errSyntax
				}
			}
			return nil
		}()
		switch {
		case err == nil:
		case op == opScan:
			return Command{}, err
		case err == errNotInteger:
			return Command{op: op, flags: flagScanNotInteger, ints: c.ints, args: c.args}, nil
		default:
			return Command{op: op, flags: flagScanSyntaxError, ints: c.ints, args: c.args}, nil
		}
		if pattern != nil {
			c.flags |= flagScanMatch
			c.args = append(c.args[:len(c.args):len(c.args)], pattern)
		}
		if typeName != nil {
			c.flags |= flagScanType
			c.args = append(c.args[:len(c.args):len(c.args)], typeName)
		}
		return c, nil
	}
}

func scanReply(cursor uint64, elems []Reply) Reply {
	return Array(Bulk(strconv.AppendUint(nil, cursor, 10)), Array(elems...))
}

// keys answers KEYS: every live key matching the pattern, shard by shard,
// sorted within each shard so that the order is stable.
func (ks *keyspace) keys(pattern []byte, now int64) Reply {
	all := len(pattern) == 1 && pattern[0] == '*'
	var elems []Reply
	var offs []int
	for i := range ks.shards {
		sh := &ks.shards[i]
		offs = sh.offsets(offs)
		for _, off := range offs {
			if k := sh.keyAt(off); sh.live(off, now) && (all || globMatch(pattern, k)) {
				elems = append(elems, Bulk(k))
			}
		}
	}
	return Array(elems...)
}

// live reports whether the record at off has not expired as of now.
func (sh *shard) live(off int, now int64) bool {
	at := sh.expireAt(off)
	return at == 0 || at > now
}

// scan answers SCAN. The cursor is the index of the next shard to visit;
// a call visits whole shards until it has looked at COUNT keys. Keys never
// move between shards, so a key present for the whole iteration is returned
// exactly once, whatever writes happen between the calls, and the same
// cursor means the same on every node.
func (ks *keyspace) scan(c Command, now int64) Reply {
	cursor := uint64(c.ints[0])
	if cursor >= shardCount {
		return scanReply(0, nil)
	}
	var pattern, typeName []byte
	rest := c.args
	if c.flags&flagScanMatch != 0 {
		pattern, rest = rest[0], rest[1:]
	}
	if c.flags&flagScanType != 0 {
		typeName = rest[0]
	}
	all := pattern == nil || (len(pattern) == 1 && pattern[0] == '*')
	var elems []Reply
	var offs []int
	visited := int64(0)
	i := int(cursor)
	for ; i < shardCount && visited < c.ints[1]; i++ {
		sh := &ks.shards[i]
		offs = sh.offsets(offs)
		for _, off := range offs {
			visited++
			k := sh.keyAt(off)
			if !sh.live(off, now) || (!all && !globMatch(pattern, k)) ||
				(typeName != nil && !equalFoldBytes(typeName, valueType(sh.arena[off]&recTypeMask).String())) {
				continue
			}
			elems = append(elems, Bulk(k))
		}
	}
	if i == shardCount {
		i = 0
	}
	return scanReply(uint64(i), elems)
}

// equalFoldBytes is EqualFold for a word that may have upper-case letters:
// SCAN's TYPE compares like strcasecmp.
func equalFoldBytes(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], word[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// randomKey answers RANDOMKEY: a live key from a random shard onwards, or
// nil. Randomness is fine here because reads are not replicated.
func (ks *keyspace) randomKey(now int64) Reply {
	start := rand.IntN(shardCount)
	for n := 0; n < shardCount; n++ {
		sh := &ks.shards[(start+n)%shardCount]
		if sh.count == 0 {
			continue
		}
		from := rand.IntN(len(sh.slots))
		for j := range sh.slots {
			v := sh.slots[(from+j)%len(sh.slots)]
			if v != 0 && sh.live(slotOffset(v), now) {
				return Bulk(sh.keyAt(slotOffset(v)))
			}
		}
	}
	return Nil
}

// ExpiredSample returns up to max keys of database db whose deadline is at
// or before now, for the active expiry loop to propose deleting. It is a
// read: it changes nothing but where the next sample starts, so that
// repeated calls sweep the whole keyspace instead of finding the same keys.
func (s *Store) ExpiredSample(db int, now int64, max int) [][]byte {
	keys, _ := s.expiredSample(db, now, max)
	return keys
}

// expiredSample also returns how many keys with a deadline it examined, so
// the caller can tell how much of what it sees has expired.
func (s *Store) expiredSample(db int, now int64, max int) (keys [][]byte, examined int) {
	if max <= 0 || db < 0 || db >= NumDBs {
		return nil, 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ks := s.dbs[db]
	if ks.expires == 0 {
		return nil, 0
	}
	// Examine a bounded number of keys per call, as Redis's active expire
	// cycle samples a bounded number per database, so a call stays short.
	limit := max * 4
	start := int(ks.sampleShard.Load() % shardCount)
	next := start
	for n := 0; n < shardCount && len(keys) < max && examined < limit; n++ {
		i := (start + n) % shardCount
		next = (i + 1) % shardCount
		sh := &ks.shards[i]
		for _, v := range sh.slots {
			if v == 0 {
				continue
			}
			off := slotOffset(v)
			if sh.expireAt(off) == 0 {
				continue
			}
			examined++
			if !sh.live(off, now) {
				keys = append(keys, bytes.Clone(sh.keyAt(off)))
				if len(keys) == max {
					// This shard may hold more: start there next time.
					next = i
					break
				}
			}
		}
	}
	ks.sampleShard.Store(uint32(next))
	return keys, examined
}
