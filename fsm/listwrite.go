package fsm

import "github.com/raftcache/raftcache/fsm/list"

// The list writes. Each checks the key's type before changing anything,
// changes the list in place (writer.mutable) and stores it back
// (writer.store), which deletes a list that became empty. A write that
// changes nothing does not store, so that it neither moves the key's
// modification index for WATCH nor wakes a blocked client.

func (w *writer) lpush(c Command) Reply {
	key := c.args[0]
	create := newListValue
	if c.flags&flagListPushX != 0 {
		create = nil
	}
	coll, _, err := w.mutable(key, typeList, create)
	if err != nil {
		return errorReply(err)
	}
	if coll == nil {
		return Zero
	}
	l := asList(coll)
	if c.flags&flagListBack != 0 {
		l.PushBack(c.args[1:]...)
	} else {
		l.PushFront(c.args[1:]...)
	}
	w.store(key, typeList, coll)
	w.notify(notifyList, pushEvent(c.flags&flagListBack != 0), key)
	return Int(int64(l.Len()))
}

// pushEvent and popEvent name a push's and a pop's events by their end.
func pushEvent(back bool) string {
	if back {
		return "rpush"
	}
	return "lpush"
}

func popEvent(back bool) string {
	if back {
		return "rpop"
	}
	return "lpop"
}

// popList pops up to count elements from key's list (which the caller
// has checked exists and is a list) and stores what is left.
func (w *writer) popList(key []byte, back bool, count int64) [][]byte {
	coll, _, _ := w.mutable(key, typeList, nil)
	l := asList(coll)
	var out [][]byte
	if back {
		out = l.PopBack(int(min(count, int64(l.Len()))))
	} else {
		out = l.PopFront(int(min(count, int64(l.Len()))))
	}
	w.notify(notifyList, popEvent(back), key)
	w.store(key, typeList, coll)
	return out
}

// bulks returns the popped elements as an array; pops return copies the
// reply may keep.
func bulks(elems [][]byte) Reply {
	out := make([]Reply, len(elems))
	for i, e := range elems {
		out[i] = valueReply(e)
	}
	return Array(out...)
}

func (w *writer) lpop(c Command) Reply {
	key := c.args[0]
	hasCount := c.flags&flagListCount != 0
	_, found, err := w.collectionOf(key, typeList)
	switch {
	case err != nil:
		return errorReply(err)
	case !found && hasCount:
		return Reply{Kind: KindNilArray}
	case !found:
		return Nil
	case hasCount && c.ints[0] == 0:
		return Array()
	}
	out := w.popList(key, c.flags&flagListBack != 0, c.ints[0])
	if !hasCount {
		return valueReply(out[0])
	}
	return bulks(out)
}

func (w *writer) lset(c Command) Reply {
	key := c.args[0]
	coll, found, err := w.collectionOf(key, typeList)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return errorReply(errNoSuchKey)
	}
	i := c.ints[0]
	if n := int64(coll.Len()); i >= n || i < -n {
		return errorReply(errIndexRange)
	}
	coll, _, _ = w.mutable(key, typeList, nil)
	asList(coll).Set(int(i), c.args[1])
	w.store(key, typeList, coll)
	w.notify(notifyList, "lset", key)
	return OK
}

func (w *writer) linsert(c Command) Reply {
	key := c.args[0]
	coll, found, err := w.collectionOf(key, typeList)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Zero
	}
	if asList(coll).Pos(c.args[1], 1, 1, 0) == nil {
		return Int(-1) // no pivot: nothing changes
	}
	coll, _, _ = w.mutable(key, typeList, nil)
	n := asList(coll).Insert(c.flags&flagListAfter != 0, c.args[1], c.args[2])
	w.store(key, typeList, coll)
	w.notify(notifyList, "linsert", key)
	return Int(int64(n))
}

func (w *writer) lrem(c Command) Reply {
	key := c.args[0]
	coll, found, err := w.collectionOf(key, typeList)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Zero
	}
	if asList(coll).Pos(c.args[1], 1, 1, 0) == nil {
		// Nothing to remove. mutable is for changes only: its clone of a
		// list shared with a snapshot stamps the key for WATCH, and
		// snapshots are taken at different times on different nodes.
		return Zero
	}
	coll, _, _ = w.mutable(key, typeList, nil)
	n := asList(coll).Remove(clampInt(c.ints[0]), c.args[1])
	w.notify(notifyList, "lrem", key)
	w.store(key, typeList, coll)
	return Int(int64(n))
}

func (w *writer) ltrim(c Command) Reply {
	key := c.args[0]
	_, found, err := w.collectionOf(key, typeList)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return OK
	}
	coll, _, _ := w.mutable(key, typeList, nil)
	start, stop := clampInt(c.ints[0]), clampInt(c.ints[1])
	asList(coll).Trim(start, stop)
	w.notify(notifyList, "ltrim", key)
	w.store(key, typeList, coll)
	return OK
}

// clampInt converts a long index to int; they are the same width on
// 64-bit platforms, and clamping keeps the meaning on narrower ones.
func clampInt(n int64) int {
	const maxInt, minInt = int64(^uint(0) >> 1), -int64(^uint(0)>>1) - 1
	return int(min(max(n, minInt), maxInt))
}

func (w *writer) lmove(c Command) Reply {
	src, dst := c.args[0], c.args[1]
	_, found, err := w.collectionOf(src, typeList)
	switch {
	case err != nil:
		return errorReply(err)
	case !found:
		return Nil
	}
	if _, _, err := w.collectionOf(dst, typeList); err != nil {
		return errorReply(err)
	}
	return valueReply(w.moveElem(src, dst, c.flags&flagListBack != 0, c.flags&flagListToBack != 0))
}

// moveElem pops one element from src's list (which the caller has checked
// is not empty) and pushes it onto dst's (which it has checked is a list
// or absent), as LMOVE does. Its events come in Redis's order: the push
// (after the destination's "new"), then the pop (and the source's "del").
func (w *writer) moveElem(src, dst []byte, fromBack, toBack bool) []byte {
	push := func(l *list.List, e []byte) {
		if toBack {
			l.PushBack(e)
		} else {
			l.PushFront(e)
		}
	}
	pop := func(l *list.List) []byte {
		if fromBack {
			return l.PopBack(1)[0]
		}
		return l.PopFront(1)[0]
	}
	if string(src) == string(dst) {
		// A rotation: the key never becomes empty in between, so it
		// keeps its deadline even when it holds one element.
		coll, _, _ := w.mutable(src, typeList, nil)
		l := asList(coll)
		e := pop(l)
		push(l, e)
		w.store(src, typeList, coll)
		w.notify(notifyList, pushEvent(toBack), dst)
		w.notify(notifyList, popEvent(fromBack), src)
		return e
	}
	srcColl, _, _ := w.mutable(src, typeList, nil)
	e := pop(asList(srcColl))
	coll, _, _ := w.mutable(dst, typeList, newListValue)
	push(asList(coll), e)
	w.store(dst, typeList, coll)
	w.notify(notifyList, pushEvent(toBack), dst)
	w.notify(notifyList, popEvent(fromBack), src)
	w.store(src, typeList, srcColl)
	return e
}

// mpop pops up to count elements from the first non-empty list among
// keys, as LMPOP: done is false if every key is absent. A key of another
// type before it is WRONGTYPE.
func (w *writer) mpop(keys [][]byte, back bool, count int64) (r Reply, done bool) {
	for _, k := range keys {
		found, err := w.peekList(k)
		if err != nil {
			return errorReply(err), true
		}
		if found {
			return Array(valueReply(ownedCopy(k)), bulks(w.popList(k, back, count))), true
		}
	}
	return Reply{}, false
}

func (w *writer) lmpop(c Command) Reply {
	if r, done := w.mpop(c.args, c.flags&flagListBack != 0, c.ints[0]); done {
		return r
	}
	return Reply{Kind: KindNilArray}
}
