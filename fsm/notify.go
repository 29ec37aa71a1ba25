package fsm

import "strconv"

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

// The notify-keyspace-events classes: Redis's NOTIFY_* bits, so that the
// mask reads as Redis's server.notify_keyspace_events does.
const (
	NotifyKeyspace = 1 << 0  // K: publish on __keyspace@<db>__:<key>
	NotifyKeyevent = 1 << 1  // E: publish on __keyevent@<db>__:<event>
	NotifyGeneric  = 1 << 2  // g: DEL, EXPIRE, RENAME, ...
	NotifyString   = 1 << 3  // $
	NotifyList     = 1 << 4  // l
	NotifySet      = 1 << 5  // s
	NotifyHash     = 1 << 6  // h
	NotifyZSet     = 1 << 7  // z
	NotifyExpired  = 1 << 8  // x
	NotifyEvicted  = 1 << 9  // e
	NotifyStream   = 1 << 10 // t
	NotifyKeyMiss  = 1 << 11 // m: not part of A, as in Redis
	NotifyLoaded   = 1 << 12 // modules only: no flag character
	NotifyModule   = 1 << 13 // d
	NotifyNew      = 1 << 14 // n: not part of A, as in Redis
	// NotifyAll is A.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
		NotifyZSet | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// ErrNotifyClass is CONFIG SET's error for a notify-keyspace-events value
// with a character that is no class, as Redis words it.
const ErrNotifyClass = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."

// ParseNotifyKeyspaceEvents converts a notify-keyspace-events value to its
// mask, as Redis's keyspaceEventsStringToFlags: ok is false for a
// character that is no class.
func ParseNotifyKeyspaceEvents(classes string) (flags int, ok bool) {
	for i := 0; i < len(classes); i++ {
		switch classes[i] {
		case 'A':
			flags |= NotifyAll
		case 'g':
			flags |= NotifyGeneric
		case '$':
			flags |= NotifyString
		case 'l':
			flags |= NotifyList
		case 's':
			flags |= NotifySet
		case 'h':
			flags |= NotifyHash
		case 'z':
			flags |= NotifyZSet
		case 'x':
			flags |= NotifyExpired
		case 'e':
			flags |= NotifyEvicted
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 't':
			flags |= NotifyStream
		case 'm':
			flags |= NotifyKeyMiss
		case 'd':
			flags |= NotifyModule
		case 'n':
			flags |= NotifyNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// FormatNotifyKeyspaceEvents is CONFIG GET's form of a mask, as Redis's
// keyspaceEventsFlagsToString: "A" for all of NotifyAll (and then no
// "n", which Redis prints only without "A"), then K, E and m.
func FormatNotifyKeyspaceEvents(flags int) string {
	var b []byte
	if flags&NotifyAll == NotifyAll {
		b = append(b, 'A')
	} else {
		for _, c := range [...]struct {
			bit int
			ch  byte
		}{
			{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'},
			{NotifyHash, 'h'}, {NotifyZSet, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'},
			{NotifyStream, 't'}, {NotifyModule, 'd'}, {NotifyNew, 'n'},
		} {
			if flags&c.bit != 0 {
				b = append(b, c.ch)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if flags&NotifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if flags&NotifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// notify publishes event on key, of class, if notify-keyspace-events asks
// for it (notifyKeyspaceEvent). The channel and payload are copied: key
// may alias a shard's arena or a collection that later changes.
func (w *writer) notify(class int, event string, key []byte) {
	s := w.s
	flags := s.notifyKeyspaceEvents()
	if flags&class == 0 || flags&(NotifyKeyspace|NotifyKeyevent) == 0 || s.effectsSink == nil {
		return
	}
	if flags&NotifyKeyspace != 0 {
		ch := make([]byte, 0, len("__keyspace@__:")+2+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(w.db), 10)
		ch = append(append(ch, "__:"...), key...)
		s.notePublished(ch, []byte(event), false)
	}
	if flags&NotifyKeyevent != 0 {
		ch := make([]byte, 0, len("__keyevent@__:")+2+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(w.db), 10)
		ch = append(append(ch, "__:"...), event...)
		s.notePublished(ch, ownedCopy(key), false)
	}
}

// notifyEvicted raises "evicted" (e) for key, which the caller, the
// eviction of maxmemory, has just removed from w's database.
func (w *writer) notifyEvicted(key []byte) { w.notify(NotifyEvicted, "evicted", key) }

// notifyExpired raises "expired" (x) for key, which the caller has just
// removed because its deadline had passed.
func (w *writer) notifyExpired(key []byte) { w.notify(NotifyExpired, "expired", key) }

// del removes key, which the caller found, and raises "del" (g), as a
// command that deletes a key does (DEL, GETDEL, HDEL of the last field, a
// pop that empties a collection).
func (w *writer) del(key []byte) {
	w.remove(key)
	w.notify(NotifyGeneric, "del", key)
}

// notifyKeyspaceEvents returns the notify-keyspace-events mask in force.
func (s *Store) notifyKeyspaceEvents() int { return s.notifyFlags }

// SetNotifyKeyspaceEvents sets the notify-keyspace-events mask of this
// Store alone, outside the log: for tests only, until the replicated
// configuration carries it.
func (s *Store) SetNotifyKeyspaceEvents(flags int) {
	s.mu.Lock()
	s.notifyFlags = flags
	s.mu.Unlock()
}
