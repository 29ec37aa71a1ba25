package fsm

import (
	"strconv"

	"github.com/raftcache/raftcache/fsm/config"
)

// Keyspace and keyevent notifications, as Redis 7.0's notify.c. A write
// that changes a key calls w.notify with the event's class and name, in
// the order Redis's command calls notifyKeyspaceEvent; if the class is on
// in notify-keyspace-events, notify publishes the event as messages of
// the entry being applied (Effects.Messages): "__keyspace@<db>__:<key>"
// carrying the event (K) and "__keyevent@<db>__:<event>" carrying the key
// (E). Events are generated in Apply, from the log, so every node tells
// its own subscribers of every change, expirations and evictions included,
// in the same order.
//
// Events that belong to every write of a kind are raised where the kind
// is done, not by each command: "new" (n) by writer.put when a key comes
// into existence, "expired" (x) where a key past its deadline is dropped
// (writer.lookup, writer.put, the active expiry's entries), "del" (g) by
// writer.store and writer.replace when they delete a collection that
// became empty, and "evicted" (e) by writer.notifyEvicted. Every other
// event is raised by its command's apply function.
//
// "keymiss" (m) belongs to reads, as Redis's lookupKeyRead raises it when
// a read finds its key missing (see keyspace.keyMiss). A read served by
// this node outside the log (Store.Read) is not in the log, so its event
// is raised on this node only, to this node's subscribers, through the
// read-message sink (SetReadMessageSink): as on Redis, where only the
// server that ran the read notifies. A read run inside Apply (in MULTI, in
// a script) is in the log: its event joins the entry's Effects, and every
// node raises it, as every other event. Module events (d) need modules,
// which raftcache has none of.

// The classes of notify-keyspace-events (config.NotifyFlags, Redis's
// NOTIFY_* bits), under the names the writes use.
const (
	notifyKeyspace = config.NotifyKeyspace
	notifyKeyevent = config.NotifyKeyevent
	notifyGeneric  = config.NotifyGeneric
	notifyString   = config.NotifyString
	notifyList     = config.NotifyList
	notifySet      = config.NotifySet
	notifyHash     = config.NotifyHash
	notifyZSet     = config.NotifyZSet
	notifyExpired  = config.NotifyExpired
	notifyEvicted  = config.NotifyEvicted
	notifyStream   = config.NotifyStream
	notifyNew      = config.NotifyNew
)

// notify publishes event on key, of class, if notify-keyspace-events asks
// for it (notifyKeyspaceEvent). The channel and payload are copied: key
// may alias a shard's arena or a collection that later changes.
func (w *writer) notify(class config.NotifyFlags, event string, key []byte) {
	s := w.s
	flags := s.cfg.NotifyKeyspaceEvents
	if flags&class == 0 || flags&(notifyKeyspace|notifyKeyevent) == 0 || s.effectsSink == nil {
		return
	}
	eventMessages(flags, w.db, event, key, func(ch, payload []byte) { s.notePublished(ch, payload, false) })
}

// eventMessages gives emit the messages of event on key in database db
// that flags (notify-keyspace-events) asks for: on the keyspace channel,
// then on the keyevent channel. Both are freshly allocated: the caller may
// keep them.
func eventMessages(flags config.NotifyFlags, db int, event string, key []byte, emit func(channel, payload []byte)) {
	if flags&notifyKeyspace != 0 {
		ch := make([]byte, 0, len("__keyspace@__:")+2+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(append(ch, "__:"...), key...)
		emit(ch, []byte(event))
	}
	if flags&notifyKeyevent != 0 {
		ch := make([]byte, 0, len("__keyevent@__:")+2+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(append(ch, "__:"...), event...)
		emit(ch, ownedCopy(key))
	}
}

// keyHit counts a read's lookup that found its key in keyspace_hits, as
// Redis's lookupKey does for every lookup but a write's.
func (ks *keyspace) keyHit() { ks.s.keyspaceHits.Add(1) }

// keyMiss counts a read's lookup of key that did not find it in
// keyspace_misses and raises "keymiss" (m) for it: Redis does both at
// the same lookups (lookupKey, unless LOOKUP_WRITE). Inside Apply (the caller holds the write
// lock) the event is the entry's, raised on every node; otherwise the
// caller holds the read lock, perhaps beside other readers, and the event
// goes to this node's read-message sink only, at the applied index the
// read saw, so that it is ordered after the entries the read observed.
func (ks *keyspace) keyMiss(key []byte) {
	s := ks.s
	s.keyspaceMisses.Add(1)
	flags := s.cfg.NotifyKeyspaceEvents
	if flags&config.NotifyKeyMiss == 0 || flags&(notifyKeyspace|notifyKeyevent) == 0 {
		return
	}
	db := ks.number()
	if s.applying {
		if s.effectsSink == nil {
			return
		}
		eventMessages(flags, db, "keymiss", key, func(ch, payload []byte) { s.notePublished(ch, payload, false) })
		return
	}
	if s.readMessageSink == nil {
		return
	}
	eventMessages(flags, db, "keymiss", key, func(ch, payload []byte) {
		s.readMessageSink(s.applied, &Message{Channel: ch, Payload: payload})
	})
}

// number returns ks's database number (its place in s.dbs, which SWAPDB
// changes).
func (ks *keyspace) number() int {
	for db, d := range ks.s.dbs {
		if d == ks {
			return db
		}
	}
	return -1
}

// notifyEvicted raises "evicted" (e) for key, which the caller, the
// eviction of maxmemory, has just removed from w's database.
func (w *writer) notifyEvicted(key []byte) { w.notify(notifyEvicted, "evicted", key) }

// notifyExpired raises "expired" (x) for key, which the caller has just
// removed because its deadline had passed.
func (w *writer) notifyExpired(key []byte) { w.notify(notifyExpired, "expired", key) }

// del removes key, which the caller found, and raises "del" (g), as a
// command that deletes a key does (DEL, GETDEL, HDEL of the last field, a
// pop that empties a collection).
func (w *writer) del(key []byte) {
	w.remove(key)
	w.notify(notifyGeneric, "del", key)
}
