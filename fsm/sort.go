package fsm

import (
	"bytes"
	"math"
	"slices"
	"strconv"
)

// SORT and SORT_RO, as Redis 7.0's sortCommandGeneric: the elements of a
// list, set or sorted set, ordered by their own value or by the keys a BY
// pattern names, numerically or (ALPHA) as strings, cut by LIMIT, each
// replaced by the values GET patterns name, and returned or (STORE) stored
// as a list. With STORE it is a write, run in Apply on every node; without,
// a read.

const (
	opSort      opcode = 102 // args: the key, then the options as given
	opSortStore opcode = 103 // the same, with STORE: a write
)

func sortTable() table {
	return table{
		commands: []parser{
			{"sort", -2, parseSort(false)},
			{"sort_ro", -2, parseSort(true)},
		},
		ops: []opDef{
			{op: opSort, opShape: opShape{name: "sort", minArgs: 1, maxArgs: -1},
				valid: func(c Command) bool { _, err := sortOptionsOf(c.args, true); return err == nil },
				read:  (*keyspace).sortRead, keys: sortKeys},
			{op: opSortStore, opShape: opShape{name: "sort", write: true, minArgs: 1, maxArgs: -1},
				valid: func(c Command) bool { o, err := sortOptionsOf(c.args, false); return err == nil && o.store != nil },
				apply: (*writer).sortStore, keys: sortKeys},
		},
	}
}

// elementSource is a collection SORT can read: its elements in their own
// order (a list's, a sorted set's by score, a set's iteration order), as
// copies.
type elementSource interface {
	sortElements() [][]byte
}

// sortOptions are SORT's parsed options.
type sortOptions struct {
	by                []byte // nil: the elements themselves
	dontSort          bool   // BY a pattern without '*'
	get               [][]byte
	desc, alpha       bool
	limitStart, count int64 // count < 0: no limit
	store             []byte
}

var errSortScore = redisError("ERR One or more scores can't be converted into double")

// sortOptionsOf parses args (the key, then the options) as Redis does,
// left to right; readOnly refuses STORE (SORT_RO).
func sortOptionsOf(args [][]byte, readOnly bool) (sortOptions, error) {
	o := sortOptions{count: -1}
	for j := 1; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case EqualFold(a, "asc"):
			o.desc = false
		case EqualFold(a, "desc"):
			o.desc = true
		case EqualFold(a, "alpha"):
			o.alpha = true
		case EqualFold(a, "limit") && left >= 2:
			start, ok1 := ParseInt(args[j+1])
			count, ok2 := ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return o, errNotInteger
			}
			o.limitStart, o.count = start, count
			j += 2
		case !readOnly && EqualFold(a, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case EqualFold(a, "by") && left >= 1:
			o.by = args[j+1]
			o.dontSort = bytes.IndexByte(cBytes(o.by), '*') < 0
			j++
		case EqualFold(a, "get") && left >= 1:
			o.get = append(o.get, args[j+1])
			j++
		default:
			return o, errSyntax
		}
	}
	return o, nil
}

func parseSort(readOnly bool) func(string, [][]byte, int64) (Command, error) {
	return func(_ string, argv [][]byte, _ int64) (Command, error) {
		o, err := sortOptionsOf(argv[1:], readOnly)
		if err != nil {
			return Command{}, err
		}
		if o.store != nil {
			return Command{op: opSortStore, args: argv[1:]}, nil
		}
		c := Command{op: opSort, args: argv[1:]}
		if !readOnly {
			c.flags = flagSortDenyOOM
		}
		return c, nil
	}
}

// flagSortDenyOOM marks a SORT without STORE, which Redis flags denyoom
// as any SORT (SORT_RO is not): over maxmemory it is refused, as a read.
const flagSortDenyOOM = flagNX

func sortKeys(c Command) [][]byte {
	if o, err := sortOptionsOf(c.args, false); err == nil && o.store != nil {
		return [][]byte{c.args[0], o.store}
	}
	return c.args[:1]
}

// cBytes is b up to its first NUL: what Redis's C string functions see.
func cBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func (ks *keyspace) sortRead(c Command, now int64) Reply {
	if c.flags&flagSortDenyOOM != 0 && ks.s.overMemory() {
		return errorReply(errOOM)
	}
	out, err := ks.sort(c, now)
	if err != nil {
		return errorReply(err)
	}
	elems := make([]Reply, len(out))
	for i, v := range out {
		if v == nil {
			elems[i] = Nil
		} else {
			elems[i] = Bulk(v)
		}
	}
	return Array(elems...)
}

func (w *writer) sortStore(c Command) Reply {
	out, err := w.ks.sort(c, w.now)
	if err != nil {
		return errorReply(err)
	}
	o, _ := sortOptionsOf(c.args, false)
	for i, v := range out {
		if v == nil {
			out[i] = []byte{} // a missing GET is stored as an empty string
		}
	}
	w.replace(o.store, typeList, newListOf(w.s, out))
	if len(out) > 0 {
		w.notify(notifyList, "sortstore", o.store)
	}
	return Int(int64(len(out)))
}

// sortItem is one element being sorted, with its weight.
type sortItem struct {
	elem   []byte
	score  float64
	cmp    []byte // ALPHA with BY: the value BY names (nil: none)
	hasCmp bool
}

// sort returns SORT's result: the elements, or with GET the values named,
// nil for a missing one. The caller holds the Store's lock.
func (ks *keyspace) sort(c Command, now int64) ([][]byte, error) {
	o, err := sortOptionsOf(c.args, false)
	if err != nil {
		return nil, err
	}
	e, found := ks.lookupValue(c.args[0], now)
	var elems [][]byte
	isSet := false
	if found {
		src, ok := e.coll.(elementSource)
		if !ok {
			return nil, errWrongType
		}
		elems = src.sortElements()
		isSet = e.typ == typeSet
	}
	if o.dontSort && isSet && o.store != nil {
		// Redis sorts a set it was told not to sort when it stores the
		// result, so that replicas agree; raftcache's set order is the
		// same on every node anyway, but the result must be Redis's.
		o.dontSort, o.alpha, o.by = false, true, nil
	}
	n := int64(len(elems))
	start := max(o.limitStart, 0)
	end := n - 1
	if o.count >= 0 {
		end = start + o.count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)
	if o.dontSort && o.desc && found && (e.typ == typeList || e.typ == typeZSet) {
		slices.Reverse(elems)
	}
	if !o.dontSort {
		items := make([]sortItem, len(elems))
		for i, el := range elems {
			it := sortItem{elem: el}
			var by []byte
			byFound := true
			if o.by != nil {
				by, byFound = ks.lookupByPattern(o.by, el, now)
			} else {
				by = el
			}
			if o.alpha {
				if o.by != nil {
					it.cmp, it.hasCmp = by, byFound
				}
			} else if byFound {
				score, ok := sortScore(by)
				if !ok {
					return nil, errSortScore
				}
				it.score = score
			}
			items[i] = it
		}
		store := o.store != nil
		slices.SortStableFunc(items, func(a, b sortItem) int {
			cmp := compareSortItems(&a, &b, o.alpha, o.by != nil, store)
			if o.desc {
				return -cmp
			}
			return cmp
		})
		for i := range items {
			elems[i] = items[i].elem
		}
	}
	var out [][]byte
	for i := start; i <= end; i++ {
		el := elems[i]
		if len(o.get) == 0 {
			out = append(out, el)
			continue
		}
		for _, pat := range o.get {
			v, ok := ks.lookupByPattern(pat, el, now)
			if !ok {
				v = nil
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// compareSortItems is Redis's sortCompare, before DESC.
func compareSortItems(a, b *sortItem, alpha, byPattern, store bool) int {
	if !alpha {
		switch {
		case a.score > b.score:
			return 1
		case a.score < b.score:
			return -1
		}
		// Equal scores: the elements decide, so the result is
		// deterministic.
		return bytes.Compare(a.elem, b.elem)
	}
	if byPattern {
		switch {
		case !a.hasCmp && !b.hasCmp:
			return 0
		case !a.hasCmp:
			return -1
		case !b.hasCmp:
			return 1
		}
		return compareSortStrings(a.cmp, b.cmp, store)
	}
	return compareSortStrings(a.elem, b.elem, store)
}

// compareSortStrings compares as Redis: binary-safe when storing
// (compareStringObjects), else as strcoll in the C locale, which stops at
// a NUL.
func compareSortStrings(a, b []byte, store bool) int {
	if store {
		return bytes.Compare(a, b)
	}
	return bytes.Compare(cBytes(a), cBytes(b))
}

// sortScore parses a weight as Redis's strtod-based check: leading
// whitespace allowed, nothing after the number, no overflow, not NaN; an
// empty string is 0.
func sortScore(b []byte) (float64, bool) {
	s := string(cBytes(b))
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	s = s[i:]
	if s == "" {
		return 0, true
	}
	// Out of range either way is strtod's ERANGE, which Redis rejects.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// lookupByPattern is Redis's lookupKeyByPattern: "#" is the element itself;
// otherwise the first '*' of the pattern is replaced by the element and the
// key read: a string's value, or, with "->field" after the '*', a hash's
// field. ok is false when there is no such value.
func (ks *keyspace) lookupByPattern(pattern, elem []byte, now int64) ([]byte, bool) {
	p := cBytes(pattern)
	if len(p) == 1 && p[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(p, '*')
	if star < 0 {
		return nil, false
	}
	keyPat, field := pattern, []byte(nil)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		keyPat, field = pattern[:star+1+f], pattern[star+1+f+2:]
	}
	key := make([]byte, 0, len(keyPat)-1+len(elem))
	key = append(append(append(key, keyPat[:star]...), elem...), keyPat[star+1:]...)
	// Redis reads it with lookupKeyRead: counted, and a miss is a keymiss.
	e, ok := ks.lookupRead(key, now)
	if !ok {
		ks.keyMiss(key)
		return nil, false
	}
	ks.keyHit()
	if field != nil {
		if e.typ != typeHash {
			return nil, false
		}
		v, ok := e.hash.get(field)
		return v, ok
	}
	if e.typ != typeString {
		return nil, false
	}
	return e.str, true
}
