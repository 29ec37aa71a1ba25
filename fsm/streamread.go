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
			return nil, nil, redisError("NOGROUP No such key '" + cs(key) + "' or consumer group '" +
				cs(x.group) + "' in XREADGROUP with GROUP option")
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

func (ks *keyspace) xpending(c Command, now int64) Reply {
	x, err := parseXPendingArgs(c.args)
	if err != nil {
		return errorReply(err)
	}
	key, group := c.args[0], string(c.args[1])
	s, found, err := ks.streams(now)(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found || !s.HasGroup(group):
		return noGroupError(key, c.args[1])
	}
	var rb replyBuf
	if x.summary {
		sum, err := s.PendingSummary(group)
		if err != nil {
			return errorReply(err)
		}
		if sum.Count == 0 {
			return Array(Int(0), Nil, Nil, Reply{Kind: KindNilArray})
		}
		consumers := make([]Reply, len(sum.Consumers))
		for i, cp := range sum.Consumers {
			consumers[i] = Array(rb.str(cp.Name), rb.bulk(appendInt(nil, int64(cp.Count))))
		}
		return Array(Int(int64(sum.Count)), rb.id(sum.Min), rb.id(sum.Max), Array(consumers...))
	}
	q := stream.PendingQuery{Start: x.start, End: x.end, Count: int(min(x.count, 1<<31)), MinIdle: x.minIdle, Now: now}
	if x.consumer != nil {
		q.Consumer, q.ByConsumer = string(x.consumer), true
	}
	pending, err := s.Pending(group, q)
	if err != nil {
		return errorReply(err)
	}
	elems := make([]Reply, len(pending))
	for i, p := range pending {
		elems[i] = Array(rb.id(p.ID), rb.str(p.Consumer), Int(max(now-p.DeliveryTime, 0)), Int(int64(p.DeliveryCount)))
	}
	return Array(elems...)
}

// xinfo is xinfoCommand: the key must exist, then the subcommand.
func (ks *keyspace) xinfo(c Command, now int64) Reply {
	sub, key := c.args[0], c.args[1]
	s, found, err := ks.streams(now)(key)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return errorReply(errNoSuchKey)
	}
	var rb replyBuf
	switch {
	case EqualFold(sub, "consumers") && len(c.args) == 3:
		var elems []Reply
		err := s.Consumers(string(c.args[2]), func(ci stream.ConsumerInfo) bool {
			elems = append(elems, Reply{Kind: KindMap, Elems: []Reply{
				rb.str("name"), rb.str(ci.Name), rb.str("pending"), Int(int64(ci.Pending)),
				rb.str("idle"), Int(max(now-ci.SeenTime, 0)),
			}})
			return true
		})
		if err != nil {
			return errorReply(stream.NoGroupError(cs(key), cs(c.args[2])))
		}
		return Array(elems...)
	case EqualFold(sub, "groups") && len(c.args) == 2:
		var elems []Reply
		s.Groups(func(gi stream.GroupInfo) bool {
			elems = append(elems, Reply{Kind: KindMap, Elems: []Reply{
				rb.str("name"), rb.str(gi.Name), rb.str("consumers"), Int(int64(gi.Consumers)),
				rb.str("pending"), Int(int64(gi.Pending)), rb.str("last-delivered-id"), rb.id(gi.LastID),
				rb.str("entries-read"), entriesRead(gi), rb.str("lag"), lag(gi),
			}})
			return true
		})
		return Array(elems...)
	case EqualFold(sub, "stream"):
		return xinfoStream(&rb, s, c.args)
	}
	return errorReply(subcommandSyntaxError("xinfo", sub))
}

func entriesRead(gi stream.GroupInfo) Reply {
	if gi.EntriesRead == stream.EntriesReadUnknown {
		return Nil
	}
	return Int(gi.EntriesRead)
}

func lag(gi stream.GroupInfo) Reply {
	if !gi.LagValid {
		return Nil
	}
	return Int(gi.Lag)
}

// xinfoStream is xinfoReplyWithStreamInfo; args are XINFO's, from STREAM.
func xinfoStream(rb *replyBuf, s *stream.Stream, args [][]byte) Reply {
	full, count := false, int64(10)
	if len(args) > 2 {
		if !EqualFold(args[2], "full") || (len(args) != 3 && len(args) != 5) ||
			(len(args) == 5 && !EqualFold(args[3], "count")) {
			return errorReply(subcommandSyntaxError("xinfo", args[0]))
		}
		full = true
		if len(args) == 5 {
			v, ok := ParseInt(args[4])
			if !ok {
				return errorReply(errNotInteger)
			}
			if count = v; count < 0 {
				count = 10
			}
		}
	}
	elems := []Reply{
		rb.str("length"), Int(int64(s.Len())),
		rb.str("radix-tree-keys"), Int(int64(s.Nodes())),
		rb.str("radix-tree-nodes"), Int(int64(s.RadixTreeNodes())),
		rb.str("last-generated-id"), rb.id(s.LastID()),
		rb.str("max-deleted-entry-id"), rb.id(s.MaxDeletedID()),
		rb.str("entries-added"), Int(int64(s.EntriesAdded())),
		rb.str("recorded-first-entry-id"), rb.id(s.FirstID()),
	}
	if !full {
		edge := func(id stream.ID, fv [][]byte, ok bool) Reply {
			if !ok {
				return Nil
			}
			return rb.entry(id, fv)
		}
		elems = append(elems, rb.str("groups"), Int(int64(s.NumGroups())),
			rb.str("first-entry"), edge(s.First()), rb.str("last-entry"), edge(s.Last()))
		return Reply{Kind: KindMap, Elems: elems}
	}
	limit := int(min(count, 1<<31))
	if count == 0 {
		limit = 1 << 31
	}
	elems = append(elems, rb.str("entries"), rb.rangeReply(s, stream.ID{}, stream.MaxID, int64(limit), false))
	var groups []Reply
	s.Groups(func(gi stream.GroupInfo) bool {
		pel, _ := s.Pending(gi.Name, stream.PendingQuery{End: stream.MaxID, Count: limit})
		pending := make([]Reply, len(pel))
		for i, p := range pel {
			pending[i] = Array(rb.id(p.ID), rb.str(p.Consumer), Int(p.DeliveryTime), Int(int64(p.DeliveryCount)))
		}
		var consumers []Reply
		_ = s.Consumers(gi.Name, func(ci stream.ConsumerInfo) bool {
			cpel, _ := s.Pending(gi.Name, stream.PendingQuery{End: stream.MaxID, Count: limit,
				Consumer: ci.Name, ByConsumer: true})
			cp := make([]Reply, len(cpel))
			for i, p := range cpel {
				cp[i] = Array(rb.id(p.ID), Int(p.DeliveryTime), Int(int64(p.DeliveryCount)))
			}
			consumers = append(consumers, Reply{Kind: KindMap, Elems: []Reply{
				rb.str("name"), rb.str(ci.Name), rb.str("seen-time"), Int(ci.SeenTime),
				rb.str("pel-count"), Int(int64(ci.Pending)), rb.str("pending"), Array(cp...),
			}})
			return true
		})
		groups = append(groups, Reply{Kind: KindMap, Elems: []Reply{
			rb.str("name"), rb.str(gi.Name), rb.str("last-delivered-id"), rb.id(gi.LastID),
			rb.str("entries-read"), entriesRead(gi), rb.str("lag"), lag(gi),
			rb.str("pel-count"), Int(int64(gi.Pending)), rb.str("pending"), Array(pending...),
			rb.str("consumers"), Array(consumers...),
		}})
		return true
	})
	elems = append(elems, rb.str("groups"), Array(groups...))
	return Reply{Kind: KindMap, Elems: elems}
}

var streamHelpLines = map[string][]string{
	"xgroup": {
		"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
		"HELP",
		"    Prints this help.",
	},
	"xinfo": {
		"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
		"HELP",
		"    Prints this help.",
	},
}

// streamHelp is XGROUP HELP or XINFO HELP: status lines, as addReplyHelp.
func streamHelp(which []byte) Reply {
	lines := streamHelpLines[string(which)]
	elems := make([]Reply, len(lines))
	for i, l := range lines {
		elems[i] = Status(l)
	}
	return Array(elems...)
}
