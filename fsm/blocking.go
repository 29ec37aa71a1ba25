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
//
// A served waiter's delivery stays in flight until its node acknowledges
// it (NewAck), which the node does before it writes the reply to the
// connection. If the client has gone by then (NewReturn), or its node's
// session ends before acknowledging (the node restarted or left:
// NewDropWaiters), the popped elements are put back where they came from
// (opDef.unserve): no reply was written, so an element is never lost to a
// client that never saw it, nor delivered twice. A node that dies after
// its acknowledgement commits and before the reply reaches the client has
// taken the element for a client whose connection broke after the pop, as
// Redis does.

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
	// InFlight marks a delivery kept until NewAck or NewReturn.
	InFlight bool
}

const (
	// opBlock is a prefix, like opInDB: opBlock, the WaiterID's three
	// uvarints, then a blocking command.
	opBlock       opcode = 704
	opUnblock     opcode = 705 // ints: the WaiterID
	opDropWaiters opcode = 706 // ints[0]: node; ints[1]: the session to keep (0: none); ints[2]: flagWaitersOnly
	opAck         opcode = 707 // ints: the WaiterID of a delivery in flight
	opReturn      opcode = 708 // ints: the WaiterID of a delivery in flight
)

// dropWaitersOnly, in NewDropWaiters' ints[2], keeps the node's deliveries
// in flight: its session may be alive behind a partition.
const dropWaitersOnly = 1

// waiter is one registered blocked client.
type waiter struct {
	id   WaiterID
	raw  []byte  // the command's binary form, owned; cmd aliases it
	cmd  Command // as decoded from raw, with its database and waiter
	keys [][]byte
	seq  uint64 // registration order, for snapshots
	// served is the reply of a delivery in flight (see opAck), owned.
	served Reply
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
		{op: opDropWaiters, opShape: opShape{name: "dropwaiters", write: true, ints: 3},
			apply: (*writer).dropWaiters, keys: noKeys},
		{op: opAck, opShape: opShape{name: "ack", write: true, ints: 3},
			apply: (*writer).ack, keys: noKeys},
		{op: opReturn, opShape: opShape{name: "return", write: true, ints: 3},
			apply: (*writer).giveBack, keys: noKeys},
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
		if d.waitedReply != nil {
			return *d.waitedReply
		}
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
// those of session keep (0: all of them), and puts back what their
// deliveries in flight took: a node proposes it when it starts, for its
// earlier lives, and the leader for a node that left. With waitersOnly the
// deliveries stay (for a node that is unreachable, whose clients may still
// be there). Its reply is the number of waiters removed.
func NewDropWaiters(node, keep uint64, waitersOnly bool, now int64) Command {
	c := Command{op: opDropWaiters, time: now, ints: [4]int64{int64(node), int64(keep)}}
	if waitersOnly {
		c.ints[2] = dropWaitersOnly
	}
	return c
}

// NewAck builds the write that ends a delivery in flight: id's reply was
// handed to its connection.
func NewAck(id WaiterID, now int64) Command {
	return Command{op: opAck, time: now, ints: [4]int64{int64(id.Node), int64(id.Session), int64(id.Seq)}}
}

// NewReturn builds the write that puts back what id's delivery in flight
// took: its client went away before the reply could be written.
func NewReturn(id WaiterID, now int64) Command {
	return Command{op: opReturn, time: now, ints: [4]int64{int64(id.Node), int64(id.Session), int64(id.Seq)}}
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
			sw := writer{s: s, ks: s.dbs[wt.cmd.db], db: int(wt.cmd.db), index: w.index, now: w.now,
				readyKey: []byte(rk.key)}
			r, done := wt.cmd.def().serve(&sw, wt.cmd)
			if !done {
				j++
				continue
			}
			s.removeWaiter(wt)
			inFlight := wt.cmd.def().unserve != nil && !r.IsError()
			if inFlight {
				wt.served = ownedReply(r)
				if s.inflight == nil {
					s.inflight = map[WaiterID]*waiter{}
				}
				s.inflight[wt.id] = wt
				r = wt.served
			}
			if s.sink != nil {
				s.sink(Event{Waiter: wt.id, Reply: r, InFlight: inFlight})
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
	ended := func(id WaiterID) bool { return id.Node == node && (keep == 0 || id.Session != keep) }
	if c.ints[2] != dropWaitersOnly {
		var back []*waiter
		for id, wt := range w.s.inflight {
			if ended(id) {
				back = append(back, wt)
			}
		}
		slices.SortFunc(back, func(a, b *waiter) int { return cmp.Compare(a.seq, b.seq) })
		for _, wt := range back {
			w.putBack(wt)
		}
	}
	var gone []*waiter
	for id, wt := range w.s.waiters {
		if ended(id) {
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

func (w *writer) ack(c Command) Reply {
	if _, ok := w.s.inflight[waiterOf(c)]; !ok {
		return Zero
	}
	delete(w.s.inflight, waiterOf(c))
	return One
}

func (w *writer) giveBack(c Command) Reply {
	wt, ok := w.s.inflight[waiterOf(c)]
	if !ok {
		return Zero
	}
	w.putBack(wt)
	return One
}

// putBack undoes a delivery in flight, in its waiter's database.
func (w *writer) putBack(wt *waiter) {
	delete(w.s.inflight, wt.id)
	sw := writer{s: w.s, ks: w.s.dbs[wt.cmd.db], db: int(wt.cmd.db), index: w.index, now: w.now}
	wt.cmd.def().unserve(&sw, wt.cmd, wt.served)
}

// ownedReply deep-copies r, so that it may be kept in the state (and its
// snapshots) after the Apply that built it.
func ownedReply(r Reply) Reply {
	r.Bytes = ownedCopy(r.Bytes)
	if r.Elems != nil {
		elems := make([]Reply, len(r.Elems))
		for i, e := range r.Elems {
			elems[i] = ownedReply(e)
		}
		r.Elems = elems
	}
	return r
}

// appendReplyBinary encodes r for snapshots; decodeReplyBinary reads it.
func appendReplyBinary(b []byte, r Reply) []byte {
	b = append(b, byte(r.Kind))
	b = binary.AppendVarint(b, r.Int)
	b = binary.AppendUvarint(b, uint64(len(r.Bytes)))
	b = append(b, r.Bytes...)
	b = binary.AppendUvarint(b, uint64(len(r.Elems)))
	for _, e := range r.Elems {
		b = appendReplyBinary(b, e)
	}
	return b
}

var errBadReply = errors.New("bad reply encoding")

func decodeReplyBinary(b []byte, depth int) (Reply, []byte, error) {
	if len(b) == 0 || depth > 8 {
		return Reply{}, nil, errBadReply
	}
	r := Reply{Kind: Kind(b[0])}
	b = b[1:]
	var n int
	if r.Int, n = binary.Varint(b); n <= 0 {
		return Reply{}, nil, errBadReply
	}
	b = b[n:]
	size, n := binary.Uvarint(b)
	if n <= 0 || size > uint64(len(b)-n) {
		return Reply{}, nil, errBadReply
	}
	r.Bytes, b = ownedCopy(b[n:n+int(size)]), b[n+int(size):]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)-n) {
		return Reply{}, nil, errBadReply
	}
	b = b[n:]
	if count > 0 {
		r.Elems = make([]Reply, count)
		for i := range r.Elems {
			var err error
			if r.Elems[i], b, err = decodeReplyBinary(b, depth+1); err != nil {
				return Reply{}, nil, err
			}
		}
	}
	return r, b, nil
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

// waitersInOrder returns the registered waiters (or, with inflight, the
// deliveries in flight) in registration order.
func (s *Store) waitersInOrder(inflight bool) []*waiter {
	m := s.waiters
	if inflight {
		m = s.inflight
	}
	all := make([]*waiter, 0, len(m))
	for _, wt := range m {
		all = append(all, wt)
	}
	slices.SortFunc(all, func(a, b *waiter) int { return cmp.Compare(a.seq, b.seq) })
	return all
}
