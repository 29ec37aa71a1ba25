package fsm

import (
	"github.com/raftcache/raftcache/fsm/stream"
)

// streamGetter looks a key's stream up for reading: found is false for an
// absent key, err is WRONGTYPE for another type. A keyspace (a read, as of
// its time) and a writer (a blocked command served in Apply) both give one.
type streamGetter func(key []byte) (s *stream.Stream, found bool, err error)

func (ks *keyspace) streams(now int64) streamGetter {
	return func(key []byte) (*stream.Stream, bool, error) {
		c, found, err := ks.collectionOf(key, typeStream, now)
		if !found || err != nil {
			return nil, found, err
		}
		return c.(streamValue).Stream, true, nil
	}
}

func (w *writer) streams() streamGetter {
	return func(key []byte) (*stream.Stream, bool, error) {
		c, found, err := w.collectionOf(key, typeStream)
		if !found || err != nil {
			return nil, found, err
		}
		return c.(streamValue).Stream, true, nil
	}
}

func (ks *keyspace) xlen(c Command, now int64) Reply {
	s, found, err := ks.streams(now)(c.args[0])
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Zero
	}
	return Int(int64(s.Len()))
}

func (ks *keyspace) xrange(c Command, now int64) Reply {
	r, err := parseXRangeArgs(c.args, c.flags&flagXRev != 0)
	if err != nil {
		return errorReply(err)
	}
	s, found, err := ks.streams(now)(c.args[0])
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Array()
	case r.count == 0:
		return Reply{Kind: KindNilArray}
	}
	var rb replyBuf
	count := max(r.count, 0)
	if c.flags&flagXRev != 0 {
		return rb.rangeReply(s, r.start, r.end, count, true)
	}
	return rb.rangeReply(s, r.start, r.end, count, false)
}

// xreadCheck is the loop of xreadCommand that checks each stream (its
// type, then for XREADGROUP its group) and parses its ID. It returns the
// IDs after which to read ($ resolved to the stream's last ID), and which
// are ">" (XREADGROUP).
func xreadCheck(get streamGetter, x xreadArgs, group bool) (ids []stream.ID, kinds []stream.ReadKind, err error) {
	ids = make([]stream.ID, len(x.keys))
	kinds = make([]stream.ReadKind, len(x.keys))
	for i, key := range x.keys {
		s, found, err := get(key)
		if err != nil {
			return nil, nil, err
		}
		if group && (!found || !s.HasGroup(string(x.group))) {
			return nil, nil, redisError("NOGROUP No such key '" + string(key) + "' or consumer group '" +
				string(x.group) + "' in XREADGROUP with GROUP option")
		}
		kind, id, err := stream.ParseReadID(x.ids[i], group)
		if err != nil {
			return nil, nil, err
		}
		if kind == stream.ReadLast && found {
			id = s.LastID()
		}
		ids[i], kinds[i] = id, kind
	}
	return ids, kinds, nil
}

// xreadPlain serves XREAD (no group) after ids: the streams that have
// entries past their ID, as a map from key to entries; served is false
// when none has.
func xreadPlain(get streamGetter, x xreadArgs, ids []stream.ID, count int64) (r Reply, served bool) {
	var rb replyBuf
	var elems []Reply
	for i, key := range x.keys {
		s, found, _ := get(key)
		if !found || s.Len() == 0 || lastLiveID(s).Compare(ids[i]) <= 0 {
			continue
		}
		start, _ := ids[i].Next()
		elems = append(elems, rb.bulk(key), rb.rangeReply(s, start, stream.MaxID, count, false))
	}
	if len(elems) == 0 {
		return Reply{Kind: KindNilArray}, false
	}
	return Reply{Kind: KindPairMap, Elems: elems}, true
}

// xread is XREAD without BLOCK.
func (ks *keyspace) xread(c Command, now int64) Reply {
	x, err := parseXReadArgs(c.args, false)
	if err != nil {
		return errorReply(err)
	}
	get := ks.streams(now)
	ids, _, err := xreadCheck(get, x, false)
	if err != nil {
		return errorReply(err)
	}
	r, _ := xreadPlain(get, x, ids, x.count)
	return r
}
