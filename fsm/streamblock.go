package fsm

import (
	"slices"
	"strconv"

	"github.com/raftcache/raftcache/fsm/stream"
)

// XREAD BLOCK and XREADGROUP BLOCK are blocking commands (blocking.go).
// When first applied, resolveXRead checks the command against the state
// as xreadCommand does (types, groups, IDs) and rewrites it into the form
// that waits: "$" becomes the stream's last ID then, and without COUNT a
// command that has to wait gets COUNT 1000, as Redis gives a blocked
// client (XREAD_BLOCKED_DEFAULT_COUNT). A command that fails these checks
// is marked flagXFailed with its error, which serve replies at once.
// serveXRead is then a pure function of the state and the command.

// xreadBlockedCount is Redis's XREAD_BLOCKED_DEFAULT_COUNT.
const xreadBlockedCount = 1000

func isGroupRead(c Command) bool { return c.op == opXReadGroupBlock || c.op == opXReadGroup }

// failedXRead marks c as failing with err.
func failedXRead(c Command, err error) Command {
	c.flags |= flagXFailed
	c.args = append(slices.Clip(c.args), []byte(err.Error()))
	return c
}

func (w *writer) resolveXRead(c Command) Command {
	if c.flags&flagXFailed != 0 {
		return c
	}
	group := isGroupRead(c)
	x, err := parseXReadArgs(c.args, group)
	if err != nil {
		return failedXRead(c, err)
	}
	get := w.streams()
	ids, kinds, err := xreadCheck(get, x, group)
	if err != nil {
		return failedXRead(c, err)
	}
	args := slices.Clone(c.args)
	for i, k := range kinds {
		if k == stream.ReadLast {
			args[x.streamsAt+len(x.keys)+i] = ids[i].AppendText(nil)
		}
	}
	if x.count == 0 && !w.xreadReady(x, ids, kinds, group) {
		// Before STREAMS, after the client's options: the last COUNT wins.
		at := x.streamsAt - 1
		args = slices.Insert(args, at, []byte("COUNT"), strconv.AppendInt(nil, xreadBlockedCount, 10))
	}
	c.args = args
	return c
}

// xreadReady reports whether the command can be served now, changing
// nothing.
func (w *writer) xreadReady(x xreadArgs, ids []stream.ID, kinds []stream.ReadKind, group bool) bool {
	get := w.streams()
	for i, key := range x.keys {
		s, found, err := get(key)
		if err != nil || !found {
			continue
		}
		if !group {
			if s.Len() > 0 && ids[i].Less(lastLiveID(s)) {
				return true
			}
			continue
		}
		if kinds[i] != stream.ReadNew {
			return true // a consumer's history is always served at once
		}
		if g, ok := s.Group(string(x.group)); ok && s.Len() > 0 && g.LastID.Less(lastLiveID(s)) {
			return true
		}
	}
	return false
}

// serveXRead serves a blocking XREAD or XREADGROUP, or reports (done
// false, state untouched) that it must wait.
func (w *writer) serveXRead(c Command) (Reply, bool) {
	if c.flags&flagXFailed != 0 {
		return Error(string(c.args[len(c.args)-1])), true
	}
	group := isGroupRead(c)
	x, err := parseXReadArgs(c.args, group)
	if err != nil {
		return errorReply(err), true
	}
	if group {
		return w.serveXReadGroup(x)
	}
	ids := make([]stream.ID, len(x.keys))
	for i := range x.keys {
		if _, ids[i], err = stream.ParseReadID(x.ids[i], false); err != nil {
			return errorReply(err), true
		}
	}
	// A key that is gone or holds another type now leaves an XREAD
	// waiting, as in Redis: xreadPlain skips it.
	return xreadPlain(w.streams(), x, ids, x.count)
}

// serveXReadGroup serves a blocked XREADGROUP: Redis unblocks it with an
// error when a stream it waits on was deleted (or replaced by another
// type) or its group destroyed.
func (w *writer) serveXReadGroup(x xreadArgs) (Reply, bool) {
	get := w.streams()
	ids := make([]stream.ID, len(x.keys))
	kinds := make([]stream.ReadKind, len(x.keys))
	for i, key := range x.keys {
		s, found, err := get(key)
		if err != nil || !found {
			return Error("UNBLOCKED the stream key no longer exists"), true
		}
		if !s.HasGroup(string(x.group)) {
			return Error("NOGROUP the consumer group this client was blocked on no longer exists"), true
		}
		kind, id, err := stream.ParseReadID(x.ids[i], true)
		if err != nil {
			return errorReply(err), true
		}
		ids[i], kinds[i] = id, kind
	}
	if !w.xreadReady(x, ids, kinds, true) {
		return Reply{}, false
	}
	return w.xreadGroupDeliver(x, ids, kinds), true
}
