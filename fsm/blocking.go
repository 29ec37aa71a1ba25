package fsm

import (
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
)

// Blocked clients are replicated state. A blocking command (BLPOP, BZPOPMIN,
// XREAD BLOCK...) travels through the log carrying a WaiterID. Apply first
// tries to serve it as its non-blocking form would; if it cannot, the
// waiter is registered on its keys, in the order of the log, and Apply
// replies KindBlocked. After every write, Apply serves the waiters of the
// keys that write touched, first registered first, each as its command
// would now be served; a served waiter leaves every queue, and its reply
// goes out as an Event on every node, where the node holding the client
// writes it. So an element is assigned to exactly one client, in the same
// order everywhere, in the same Apply as the write that made it available:
// nobody sees it in between.
//
// A waiter ends in one of three ways, whichever the log applies first: it
// is served; its client's node proposes NewUnblock (timeout, disconnect);
// or NewDropWaiters removes every waiter of a node's earlier session (the
// node restarted) or of a node that left the cluster.

// WaiterID names one blocked client cluster-wide: the node it is connected
// to, that node process's session (a restarted node drops its previous
// sessions' waiters) and a sequence number within the session.
type WaiterID struct {
	Node, Session, Seq uint64
}

// Event is a blocked client served by an Apply (Reply is its command's
// reply), or, with Dropped, a waiter NewDropWaiters removed: if its client
// is still connected (its node was cut off, not gone), the node registers
// it again.
type Event struct {
	Waiter  WaiterID
	Reply   Reply
	Dropped bool
}

const (
	// opBlock is a prefix, like opInDB: opBlock, the WaiterID's three
	// uvarints, then a blocking command.
	opBlock       opcode = 704
	opUnblock     opcode = 705 // ints: the WaiterID
	opDropWaiters opcode = 706 // ints[0]: node; ints[1]: the session to keep (0: none)
)

// waiter is one registered blocked client.
type waiter struct {
	id   WaiterID
	raw  []byte  // the command's binary form, owned; cmd aliases it
	cmd  Command // as decoded from raw, with its database and waiter
	keys [][]byte
	seq  uint64 // registration order, for snapshots
}

// readyKey is a key with waiters that a write touched.
type readyKey struct {
	db  int
	key string
}

func blockingTable() table {
	return table{ops: []opDef{
		{op: opUnblock, opShape: opShape{name: "unblock", write: true, ints: 3},
			apply: (*writer).unblock, keys: noKeys},
		{op: opDropWaiters, opShape: opShape{name: "dropwaiters", write: true, ints: 2},
			apply: (*writer).dropWaiters, keys: noKeys},
	}}
}

func noKeys(Command) [][]byte { return nil }

// WithWaiter returns c, a blocking command, to block as id if it cannot be
// served at once. Without a waiter a blocking command never blocks: it
// answers as on a timeout (as inside MULTI).
func (c Command) WithWaiter(id WaiterID) Command {
	c.waiter = id
	return c
}

// IsBlocking reports whether c may block: a blocking command (BLPOP, or
// XREAD with BLOCK), which the caller runs with WithWaiter outside MULTI.
func (c Command) IsBlocking() bool {
	d := c.def()
	return d != nil && d.serve != nil && c.blocking
}

// BlockTimeout is how long, in ms, a blocking command waits; 0 is for ever.
func (c Command) BlockTimeout() int64 { return c.timeout }

// TimeoutReply is a blocking command's reply when its wait ends unserved.
func (c Command) TimeoutReply() Reply {
	if d := c.def(); d != nil && d.serve != nil {
		return d.timeoutReply
	}
	return Nil
}

// NewUnblock builds the write that ends id's wait (its timeout fired, or its
// client went away). Its reply is 1 if the waiter was still waiting, so
// that its client gets the timeout reply, or 0 if it had been served (its
// Event carries the reply) or never registered.
func NewUnblock(id WaiterID, now int64) Command {
	return Command{op: opUnblock, time: now, ints: [4]int64{int64(id.Node), int64(id.Session), int64(id.Seq)}}
}

// NewDropWaiters builds the write that removes every waiter of node except
// those of session keep (0: all of them): a node proposes it when it starts,
// for the waiters of its earlier lives, and the leader for a node that left.
// Its reply is the number removed.
func NewDropWaiters(node, keep uint64, now int64) Command {
	return Command{op: opDropWaiters, time: now, ints: [4]int64{int64(node), int64(keep)}}
}

// SetEventSink sets the function that receives every served waiter's Event.
// It is called by Apply, under the Store's lock, and must not block or call
// back into the Store.
func (s *Store) SetEventSink(fn func(Event)) {
	s.mu.Lock()
	s.sink = fn
	s.mu.Unlock()
}

// WaiterNodes returns the nodes that have waiters, in ascending order.
func (s *Store) WaiterNodes() []uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var nodes []uint64
	for id := range s.waiters {
		if !slices.Contains(nodes, id.Node) {
			nodes = append(nodes, id.Node)
		}
	}
	slices.Sort(nodes)
	return nodes
}

// Waiters returns how many blocked clients are registered.
func (s *Store) Waiters() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.waiters)
}

// block runs a blocking command: served at once if it can be, else
// registered (with a waiter) or answered as a timeout (without one).
func (w *writer) block(c Command, d *opDef) Reply {
	if d.resolve != nil {
		c = d.resolve(w, c)
	}
	if r, done := d.serve(w, c); done {
		return r
	}
	if c.waiter == (WaiterID{}) {
		return d.timeoutReply
	}
	if _, dup := w.s.waiters[c.waiter]; dup {
		// A proposal applied twice: the first registration stands.
		return Reply{Kind: KindBlocked}
	}
	raw := c.AppendBinary(nil)
	cmd, err := Decode(raw)
	if err != nil {
		return errorReply(err)
	}
	keys := cmd.args
	if d.blockKeys != nil {
		keys = d.blockKeys(cmd)
	}
	w.s.waiterSeq++
	wt := &waiter{id: c.waiter, raw: raw, cmd: cmd, keys: keys, seq: w.s.waiterSeq}
	w.s.addWaiter(wt)
	return Reply{Kind: KindBlocked}
}

func (s *Store) addWaiter(wt *waiter) {
	if s.waiters == nil {
		s.waiters = map[WaiterID]*waiter{}
	}
	s.waiters[wt.id] = wt
	db := wt.cmd.DB()
	if s.blocked[db] == nil {
		s.blocked[db] = map[string][]*waiter{}
	}
	for i, k := range wt.keys {
		if slices.ContainsFunc(wt.keys[:i], func(p []byte) bool { return string(p) == string(k) }) {
			continue // BLPOP k k: one place in k's queue
		}
		s.blocked[db][string(k)] = append(s.blocked[db][string(k)], wt)
	}
}

func (s *Store) removeWaiter(wt *waiter) {
	delete(s.waiters, wt.id)
	m := s.blocked[wt.cmd.DB()]
	for _, k := range wt.keys {
		q := m[string(k)]
		if i := slices.Index(q, wt); i >= 0 {
			q = slices.Delete(q, i, i+1)
			if len(q) == 0 {
				delete(m, string(k))
			} else {
				m[string(k)] = q
			}
		}
	}
}

// noteReady records that a write touched key in database db, if a client
// waits on it, for serveReady.
func (s *Store) noteReady(db int, key []byte) {
	if len(s.waiters) == 0 {
		return
	}
	if _, ok := s.blocked[db][string(key)]; !ok {
		return
	}
	if slices.ContainsFunc(s.ready[s.readyAt:], func(r readyKey) bool { return r.db == db && r.key == string(key) }) {
		return
	}
	s.ready = append(s.ready, readyKey{db: db, key: string(key)})
}

// noteAllReady records every waited key of database db (SWAPDB).
func (s *Store) noteAllReady(db int) {
	keys := make([]string, 0, len(s.blocked[db]))
	for k := range s.blocked[db] {
		keys = append(keys, k)
	}
	// Map order must not decide who is served first.
	slices.Sort(keys)
	for _, k := range keys {
		s.noteReady(db, []byte(k))
	}
}

// serveReady serves the waiters of the keys writes touched, in the order
// the keys were touched and, for each key, the order its waiters blocked.
// Serving a waiter may touch more keys (BLMOVE pushes): they are served in
// turn, within this Apply, as Redis's handleClientsBlockedOnKeys.
func (w *writer) serveReady() {
	s := w.s
	for i := 0; i < len(s.ready); i++ {
		rk := s.ready[i]
		// A key served may be touched again (a BLMOVE into it): from
		// here on noteReady queues it anew.
		s.readyAt = i + 1
		for j := 0; j < len(s.blocked[rk.db][rk.key]); {
			wt := s.blocked[rk.db][rk.key][j]
			sw := writer{s: s, ks: s.dbs[wt.cmd.db], db: int(wt.cmd.db), index: w.index, now: w.now}
			r, done := wt.cmd.def().serve(&sw, wt.cmd)
			if !done {
				j++
				continue
			}
			s.removeWaiter(wt)
			if s.sink != nil {
				s.sink(Event{Waiter: wt.id, Reply: r})
			}
		}
	}
	s.ready, s.readyAt = s.ready[:0], 0
}

func waiterOf(c Command) WaiterID {
	return WaiterID{Node: uint64(c.ints[0]), Session: uint64(c.ints[1]), Seq: uint64(c.ints[2])}
}

func (w *writer) unblock(c Command) Reply {
	wt, ok := w.s.waiters[waiterOf(c)]
	if !ok {
		return Zero
	}
	w.s.removeWaiter(wt)
	return One
}

func (w *writer) dropWaiters(c Command) Reply {
	node, keep := uint64(c.ints[0]), uint64(c.ints[1])
	var gone []*waiter
	for id, wt := range w.s.waiters {
		if id.Node == node && (keep == 0 || id.Session != keep) {
			gone = append(gone, wt)
		}
	}
	// Removal order does not show, but keep it independent of map order.
	slices.SortFunc(gone, func(a, b *waiter) int { return cmp.Compare(a.seq, b.seq) })
	for _, wt := range gone {
		w.s.removeWaiter(wt)
		if w.s.sink != nil {
			w.s.sink(Event{Waiter: wt.id, Dropped: true})
		}
	}
	return Int(int64(len(gone)))
}

// appendWaiter writes c's waiter prefix.
func appendWaiter(dst []byte, id WaiterID) []byte {
	dst = binary.AppendUvarint(dst, uint64(opBlock))
	dst = binary.AppendUvarint(dst, id.Node)
	dst = binary.AppendUvarint(dst, id.Session)
	return binary.AppendUvarint(dst, id.Seq)
}

var errBadWaiter = errors.New("decode: bad waiter")

// decodeWaiter reads the WaiterID after an opBlock prefix.
func decodeWaiter(b []byte) (WaiterID, int, error) {
	var id WaiterID
	p := 0
	for _, f := range []*uint64{&id.Node, &id.Session, &id.Seq} {
		v, n := binary.Uvarint(b[p:])
		if n <= 0 {
			return WaiterID{}, 0, errBadWaiter
		}
		*f, p = v, p+n
	}
	if id == (WaiterID{}) {
		return WaiterID{}, 0, errBadWaiter
	}
	return id, p, nil
}

// waitersInOrder returns the registered waiters in registration order.
func (s *Store) waitersInOrder() []*waiter {
	all := make([]*waiter, 0, len(s.waiters))
	for _, wt := range s.waiters {
		all = append(all, wt)
	}
	slices.SortFunc(all, func(a, b *waiter) int { return cmp.Compare(a.seq, b.seq) })
	return all
}
