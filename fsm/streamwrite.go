package fsm

import (
	"github.com/raftcache/raftcache/fsm/stream"
)

// streamForWrite returns key's stream ready to change: the stored one, or
// a clone (O(1), copy on write) while a snapshot may be reading it. The
// caller calls storeStream after a change; a write that changes nothing
// stores nothing, so that WATCH and blocked clients see no change, and a
// clone it made is dropped.
func (w *writer) streamForWrite(key []byte) (s *stream.Stream, found bool, err error) {
	e, ok := w.lookup(key)
	switch {
	case !ok:
		return nil, false, nil
	case e.typ != typeStream:
		return nil, false, errWrongType
	}
	s = e.coll.(streamValue).Stream
	if e.collGen != w.s.gen {
		s = s.Clone()
	}
	return s, true, nil
}

func (w *writer) storeStream(key []byte, s *stream.Stream) {
	w.store(key, typeStream, streamValue{s})
}

func (w *writer) xadd(c Command) Reply {
	a, err := parseXAdd(c.args)
	if err != nil {
		return errorReply(err)
	}
	key := c.args[0]
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found && a.noMkStream:
		return Nil
	case !found:
		s = stream.New()
	}
	if s.LastID() == stream.MaxID {
		return errorReply(stream.ErrExhausted)
	}
	id, err := s.Add(w.s.streamLimits(), a.id, w.now, a.fv)
	w.resolveTrimLimit(&a.trim)
	if err != nil {
		return errorReply(err)
	}
	trimmed := s.Trim(a.trim)
	w.storeStream(key, s)
	w.notify(notifyStream, "xadd", key)
	if trimmed > 0 {
		w.notify(notifyStream, "xtrim", key)
	}
	return Bulk(id.AppendText(nil))
}

// parseIDs parses the IDs of XDEL and XACK, all before any is used, as
// Redis does so that a bad one changes nothing.
func parseIDs(args [][]byte) ([]stream.ID, error) {
	ids := make([]stream.ID, len(args))
	for i, a := range args {
		id, err := stream.ParseStrictID(a, 0)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func (w *writer) xdel(c Command) Reply {
	key := c.args[0]
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Zero
	}
	ids, err := parseIDs(c.args[1:])
	if err != nil {
		return errorReply(err)
	}
	n := s.Delete(ids...)
	if n > 0 {
		w.storeStream(key, s)
		w.notify(notifyStream, "xdel", key)
	}
	return Int(int64(n))
}

// trimLimitDefault, as an approximate trim's Limit, stands for Redis's
// default, which resolveTrimLimit computes when the write applies.
const trimLimitDefault = -1

func (w *writer) resolveTrimLimit(t *stream.Trim) {
	if t.Limit == trimLimitDefault {
		t.Limit = stream.DefaultTrimLimit(w.s.streamLimits())
	}
}

func (w *writer) xtrim(c Command) Reply {
	t, err := parseXTrim(c.args)
	if err != nil {
		return errorReply(err)
	}
	key := c.args[0]
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Zero
	}
	w.resolveTrimLimit(&t)
	n := s.Trim(t)
	if n > 0 {
		w.storeStream(key, s)
		w.notify(notifyStream, "xtrim", key)
	}
	return Int(n)
}

// xreadGroup is XREADGROUP without BLOCK.
func (w *writer) xreadGroup(c Command) Reply {
	x, err := parseXReadArgs(c.args, true)
	if err != nil {
		return errorReply(err)
	}
	ids, kinds, err := xreadCheck(w.streams(), x, true)
	if err != nil {
		return errorReply(err)
	}
	return w.xreadGroupDeliver(x, ids, kinds)
}

// xreadGroupDeliver is xreadCommand's serving loop for XREADGROUP, on
// checked arguments: for each stream, the consumer's history after an
// explicit ID (always, even empty), or the entries new to the group after
// ">" (when there are any). Each stream written is stored; a stream with
// nothing new is left as it is. The reply maps keys to entries, or is a
// null array when no stream was served.
func (w *writer) xreadGroupDeliver(x xreadArgs, ids []stream.ID, kinds []stream.ReadKind) Reply {
	var rb replyBuf
	var elems []Reply
	group, consumer := string(x.group), string(x.consumer)
	for i, key := range x.keys {
		s, found, err := w.streamForWrite(key)
		if err != nil || !found {
			continue // xreadCheck made sure of both; a corrupt entry must not panic
		}
		var entries []Reply
		emit := func(id stream.ID, fv [][]byte) {
			if fv == nil {
				entries = append(entries, Array(rb.id(id), Reply{Kind: KindNilArray}))
				return
			}
			entries = append(entries, rb.entry(id, fv))
		}
		newConsumer := !s.HasConsumer(group, consumer)
		if kinds[i] != stream.ReadNew {
			if _, err := s.ReadHistory(group, consumer, ids[i], w.now, int(x.count), emit); err != nil {
				continue
			}
		} else {
			n, err := s.ReadGroup(group, consumer, w.now, int(x.count), x.noack, emit)
			if err != nil {
				continue
			}
			if n == 0 {
				// Nothing new, but the consumer it made stays (in
				// the stored stream, not just in a clone of it).
				if newConsumer && s.HasConsumer(group, consumer) {
					w.storeStream(key, s)
					w.notifyNewConsumer(key, s, group, consumer, newConsumer)
				}
				continue
			}
		}
		w.storeStream(key, s)
		w.notifyNewConsumer(key, s, group, consumer, newConsumer)
		elems = append(elems, rb.bulk(key), Array(entries...))
	}
	if len(elems) == 0 {
		return Reply{Kind: KindNilArray}
	}
	return Reply{Kind: KindPairMap, Elems: elems}
}

const errXGroupNoKey redisError = "ERR The XGROUP subcommand requires the key to exist. " +
	"Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."

// xgroup is xgroupCommand after its option parsing: the key's type, its
// existence, the group's, then the subcommand.
func (w *writer) xgroup(c Command) Reply {
	x, err := parseXGroupArgs(c.args)
	if err != nil {
		return errorReply(err)
	}
	key, group := c.args[1], string(c.args[2])
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found && !x.mkstream:
		return errorReply(errXGroupNoKey)
	}
	if found && !s.HasGroup(group) && (x.sub == "setid" || x.sub == "createconsumer" || x.sub == "delconsumer") {
		return errorReply(stream.NoGroupError(cs(key), cs(c.args[2])))
	}
	if !xgroupArgcOK(x.sub, len(c.args)+1) {
		return errorReply(subcommandSyntaxError("xgroup", c.args[0]))
	}
	switch x.sub {
	case "create":
		var id stream.ID
		switch {
		case isWord(c.args[3], "$") && found:
			id = s.LastID()
		case isWord(c.args[3], "$"):
		default:
			if id, err = stream.ParseStrictID(c.args[3], 0); err != nil {
				return errorReply(err)
			}
		}
		if !found {
			s = stream.New()
		}
		if err := s.CreateGroup(group, id, x.entriesRead); err != nil {
			return errorReply(err)
		}
		w.storeStream(key, s)
		w.notify(notifyStream, "xgroup-create", key)
		return OK
	case "setid":
		id := s.LastID()
		if !isWord(c.args[3], "$") {
			if id, err = stream.ParseID(c.args[3], 0); err != nil {
				return errorReply(err)
			}
		}
		if err := s.SetGroupID(group, id, x.entriesRead); err != nil {
			return errorReply(err)
		}
		w.storeStream(key, s)
		w.notify(notifyStream, "xgroup-setid", key)
		return OK
	case "destroy":
		if !s.DestroyGroup(group) {
			return Zero
		}
		w.storeStream(key, s)
		w.notify(notifyStream, "xgroup-destroy", key)
		return One
	case "createconsumer":
		created, err := s.CreateConsumer(group, string(c.args[3]), w.now)
		if err != nil {
			return errorReply(err)
		}
		if !created {
			return Zero
		}
		w.storeStream(key, s)
		w.notify(notifyStream, "xgroup-createconsumer", key)
		return One
	case "delconsumer":
		existed := s.HasConsumer(group, string(c.args[3]))
		n, err := s.DeleteConsumer(group, string(c.args[3]))
		if err != nil {
			return errorReply(err)
		}
		w.storeStream(key, s)
		if existed {
			w.notify(notifyStream, "xgroup-delconsumer", key)
		}
		return Int(int64(n))
	}
	return errorReply(subcommandSyntaxError("xgroup", c.args[0]))
}

// notifyNewConsumer raises "xgroup-createconsumer" for a consumer that a
// read or a claim created (newConsumer: it was not in the group before),
// as Redis's streamCreateConsumer does.
func (w *writer) notifyNewConsumer(key []byte, s *stream.Stream, group, consumer string, newConsumer bool) {
	if newConsumer && s.HasConsumer(group, consumer) {
		w.notify(notifyStream, "xgroup-createconsumer", key)
	}
}

func (w *writer) xack(c Command) Reply {
	key, group := c.args[0], string(c.args[1])
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found || !s.HasGroup(group):
		return Zero
	}
	ids, err := parseIDs(c.args[2:])
	if err != nil {
		return errorReply(err)
	}
	n := s.Ack(group, ids...)
	if n > 0 {
		w.storeStream(key, s)
	}
	return Int(int64(n))
}

// noGroupError is the NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM.
func noGroupError(key, group []byte) Reply {
	return Error("NOGROUP No such key '" + cs(key) + "' or consumer group '" + cs(group) + "'")
}

// cs is an argument as C's "%s" prints it: up to its first NUL.
func cs(b []byte) string { return string(cString(b, len(b))) }

// xclaim is xclaimCommand, which looks its key and group up first.
func (w *writer) xclaim(c Command) Reply {
	key, group, consumer := c.args[0], string(c.args[1]), string(c.args[2])
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found || !s.HasGroup(group):
		return noGroupError(key, c.args[1])
	}
	minIdle, ok := ParseInt(c.args[3])
	if !ok {
		return Error("ERR Invalid min-idle-time argument for XCLAIM")
	}
	o := stream.ClaimOptions{MinIdle: max(minIdle, 0), RetryCount: -1}
	j := 4
	var ids []stream.ID
	for ; j < len(c.args); j++ {
		id, err := stream.ParseStrictID(c.args[j], 0)
		if err != nil {
			break
		}
		ids = append(ids, id)
	}
	for ; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		opt := c.args[j]
		intOpt := func() (int64, bool) {
			j++
			v, ok := ParseInt(c.args[j])
			return v, ok
		}
		switch {
		case EqualFold(opt, "force"):
			o.Force = true
		case EqualFold(opt, "justid"):
			o.JustID = true
		case EqualFold(opt, "idle") && more > 0:
			v, ok := intOpt()
			if !ok {
				return Error("ERR Invalid IDLE option argument for XCLAIM")
			}
			o.DeliveryTime, o.HasDeliveryTime = w.now-v, true
		case EqualFold(opt, "time") && more > 0:
			v, ok := intOpt()
			if !ok {
				return Error("ERR Invalid TIME option argument for XCLAIM")
			}
			o.DeliveryTime, o.HasDeliveryTime = v, true
		case EqualFold(opt, "retrycount") && more > 0:
			v, ok := intOpt()
			if !ok {
				return Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
			}
			o.RetryCount = v
		case EqualFold(opt, "lastid") && more > 0:
			j++
			id, err := stream.ParseStrictID(c.args[j], 0)
			if err != nil {
				return errorReply(err)
			}
			o.LastID = id
		default:
			return Error("ERR Unrecognized XCLAIM option '" + string(cString(opt, len(opt))) + "'")
		}
	}
	newConsumer := !s.HasConsumer(group, consumer)
	claimed, err := s.Claim(group, consumer, w.now, ids, o)
	if err != nil {
		return errorReply(err)
	}
	w.storeStream(key, s)
	w.notifyNewConsumer(key, s, group, consumer, newConsumer)
	var rb replyBuf
	elems := make([]Reply, 0, len(claimed))
	for _, id := range claimed {
		if o.JustID {
			elems = append(elems, rb.id(id))
			continue
		}
		fv, ok := s.Get(id)
		if !ok {
			elems = append(elems, Nil)
			continue
		}
		elems = append(elems, rb.entry(id, fv))
	}
	return Array(elems...)
}

func (w *writer) xautoclaim(c Command) Reply {
	x, err := parseXAutoClaimArgs(c.args)
	if err != nil {
		return errorReply(err)
	}
	key, group, consumer := c.args[0], string(c.args[1]), string(c.args[2])
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found || !s.HasGroup(group):
		return noGroupError(key, c.args[1])
	}
	newConsumer := !s.HasConsumer(group, consumer)
	claimed, next, deleted, err := s.AutoClaim(group, consumer, w.now, x.minIdle, x.start, int(x.count), x.justID)
	if err != nil {
		return errorReply(err)
	}
	w.storeStream(key, s)
	w.notifyNewConsumer(key, s, group, consumer, newConsumer)
	var rb replyBuf
	elems := make([]Reply, 0, len(claimed))
	for _, id := range claimed {
		if x.justID {
			elems = append(elems, rb.id(id))
			continue
		}
		fv, _ := s.Get(id)
		elems = append(elems, rb.entry(id, fv))
	}
	gone := make([]Reply, len(deleted))
	for i, id := range deleted {
		gone[i] = rb.id(id)
	}
	return Array(rb.id(next), Array(elems...), Array(gone...))
}

func (w *writer) xsetid(c Command) Reply {
	x, err := parseXSetIDArgs(c.args)
	if err != nil {
		return errorReply(err)
	}
	key := c.args[0]
	s, found, err := w.streamForWrite(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return errorReply(errNoSuchKey)
	}
	if err := s.SetID(x.id, x.entriesAdded, x.maxDeleted); err != nil {
		return errorReply(err)
	}
	w.storeStream(key, s)
	w.notify(notifyStream, "xsetid", key)
	return OK
}
