package fsm

// GlobMatch reports whether s matches the glob pattern exactly as Redis's
// stringmatchlen (case-sensitive) does, as KEYS and SCAN MATCH match keys.
// It is exported for the front door's CONFIG GET patterns.
func GlobMatch(pattern, s []byte) bool { return globMatch(pattern, s) }
