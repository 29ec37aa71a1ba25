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
	id, err := s.Add(streamLimits(), a.id, w.now, a.fv)
	if err != nil {
		return errorReply(err)
	}
	s.Trim(a.trim)
	w.storeStream(key, s)
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
	}
	return Int(int64(n))
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
	n := s.Trim(t)
	if n > 0 {
		w.storeStream(key, s)
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
		if kinds[i] != stream.ReadNew {
			if _, err := s.ReadHistory(group, consumer, ids[i], w.now, int(x.count), emit); err != nil {
				continue
			}
		} else {
			n, err := s.ReadGroup(group, consumer, w.now, int(x.count), x.noack, emit)
			if err != nil || n == 0 {
				continue
			}
		}
		w.storeStream(key, s)
		elems = append(elems, rb.bulk(key), Array(entries...))
	}
	if len(elems) == 0 {
		return Reply{Kind: KindNilArray}
	}
	return Reply{Kind: KindPairMap, Elems: elems}
}
