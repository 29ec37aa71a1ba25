package config

// NotifyFlags are notify-keyspace-events as Redis's NOTIFY_* bits
// (server.h): the same numbers, so that code and tests can be read side by
// side with Redis's.
type NotifyFlags int

const (
	NotifyKeyspace NotifyFlags = 1 << 0  // K
	NotifyKeyevent NotifyFlags = 1 << 1  // E
	NotifyGeneric  NotifyFlags = 1 << 2  // g
	NotifyString   NotifyFlags = 1 << 3  // $
	NotifyList     NotifyFlags = 1 << 4  // l
	NotifySet      NotifyFlags = 1 << 5  // s
	NotifyHash     NotifyFlags = 1 << 6  // h
	NotifyZSet     NotifyFlags = 1 << 7  // z
	NotifyExpired  NotifyFlags = 1 << 8  // x
	NotifyEvicted  NotifyFlags = 1 << 9  // e
	NotifyStream   NotifyFlags = 1 << 10 // t
	NotifyKeyMiss  NotifyFlags = 1 << 11 // m, not part of A
	NotifyLoaded   NotifyFlags = 1 << 12 // modules only
	NotifyModule   NotifyFlags = 1 << 13 // d
	NotifyNew      NotifyFlags = 1 << 14 // n, not part of A
	// NotifyAll is "A".
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZSet |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// KeyspaceEventsStringToFlags is Redis's keyspaceEventsStringToFlags: the
// classes named by s's characters, or ok false if one names none. As in
// Redis, s ends at a NUL.
func KeyspaceEventsStringToFlags(s string) (flags NotifyFlags, ok bool) {
	for i := 0; i < len(s) && s[i] != 0; i++ {
		switch s[i] {
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

// KeyspaceEventsFlagsToString is Redis's keyspaceEventsFlagsToString, the
// form CONFIG GET shows. Like Redis's it writes "A" for all of NotifyAll
// and then omits n, even when set.
func KeyspaceEventsFlagsToString(flags NotifyFlags) string {
	var b []byte
	if flags&NotifyAll == NotifyAll {
		b = append(b, 'A')
	} else {
		for _, c := range []struct {
			f  NotifyFlags
			ch byte
		}{
			{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'},
			{NotifyHash, 'h'}, {NotifyZSet, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'},
			{NotifyStream, 't'}, {NotifyModule, 'd'}, {NotifyNew, 'n'},
		} {
			if flags&c.f != 0 {
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
