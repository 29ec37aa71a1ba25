package fsm

// read runs a read command as of now. The caller holds s.mu (read or write).
func (ks *keyspace) read(c Command, now int64) Reply {
	if d := c.def(); d != nil && d.read != nil {
		return d.read(ks, c, now)
	}
	switch c.op {
	case opGet:
		e, ok := ks.lookupValue(c.args[0], now)
		if !ok {
			return Nil
		}
		if e.typ != typeString {
			return errorReply(errWrongType)
		}
		return valueReply(e.str)
	case opExists, opTouch:
		// Both count live keys, duplicates included; TOUCH also counts
		// as an access, reported as reads are (see access.go).
		var n int64
		for _, k := range c.args {
			if _, ok := ks.lookupRead(k, now); ok {
				n++
				ks.keyHit()
				if c.op == opTouch {
					ks.noteRead(k)
				}
			} else {
				ks.keyMiss(k)
			}
		}
		return Int(n)
	case opMGet:
		elems := make([]Reply, len(c.args))
		for i, k := range c.args {
			if e, ok := ks.lookupValue(k, now); ok && e.typ == typeString {
				elems[i] = valueReply(e.str)
			} else {
				elems[i] = Nil
			}
		}
		return Array(elems...)
	case opDBSize:
		return Int(int64(ks.count))
	case opStrlen:
		e, ok := ks.lookupValue(c.args[0], now)
		if !ok {
			return Zero
		}
		if e.typ != typeString {
			return errorReply(errWrongType)
		}
		return Int(int64(len(e.str)))
	case opGetRange:
		e, ok := ks.lookupValue(c.args[0], now)
		if !ok {
			return emptyBulk()
		}
		if e.typ != typeString {
			return errorReply(errWrongType)
		}
		return valueReply(stringRange(e.str, c.ints[0], c.ints[1]))
	case opType:
		e, ok := ks.lookupRead(c.args[0], now)
		if !ok {
			ks.keyMiss(c.args[0])
			return Status("none")
		}
		ks.keyHit()
		return Status(e.typ.String())
	case opTTL:
		e, ok := ks.lookupRead(c.args[0], now)
		switch {
		case !ok:
			ks.keyMiss(c.args[0])
			return Int(-2)
		}
		ks.keyHit()
		if e.expireAt == 0 {
			return Int(-1)
		}
		ttl := e.expireAt - now
		if ttl < 0 {
			ttl = 0
		}
		if c.flags&flagMillis != 0 {
			return Int(ttl)
		}
		// Redis rounds to the nearest second rather than truncating.
		return Int((ttl + 500) / 1000)
	case opExpireTime:
		e, ok := ks.lookupRead(c.args[0], now)
		switch {
		case !ok:
			ks.keyMiss(c.args[0])
			return Int(-2)
		}
		ks.keyHit()
		switch {
		case e.expireAt == 0:
			return Int(-1)
		case c.flags&flagMillis != 0:
			return Int(e.expireAt)
		}
		return Int(e.expireAt / 1000)
	case opHGet, opHMGet, opHGetAll, opHExists, opHLen, opHStrlen, opHKeys, opHVals:
		return ks.readHash(c, now)
	case opHScan:
		return ks.hscan(c, now)
	case opKeys:
		return ks.keys(c.args[0], now)
	case opScan:
		return ks.scan(c, now)
	case opRandomKey:
		return ks.randomKey(now)
	case opError:
		return Error(string(c.args[0]))
	case opStringError:
		e, ok := ks.lookupValue(c.args[0], now)
		switch {
		case !ok && c.flags&flagMissingNil != 0:
			return Nil
		case ok && e.typ != typeString:
			return errorReply(errWrongType)
		}
		return Error(string(c.args[1]))
	}
	return Error("ERR fsm: " + c.Name() + " is not a read command")
}

// stringRange returns the bytes GETRANGE selects, with Redis 7.0's handling
// of negative and out-of-range indexes.
func stringRange(b []byte, start, end int64) []byte {
	n := int64(len(b))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return b[start : end+1]
}
