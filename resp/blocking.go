package resp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// Blocked clients, the connection's side (fsm/blocking.go has the state
// machine's). A blocking command that cannot be served at once is proposed
// with a WaiterID naming this node, this process's session and a sequence
// number; the state machine registers it in log order and, when a write
// serves it, delivers its reply as an Event on every node. This node's sink
// routes the Event to the parked request. The wait ends with whichever the
// log applies first: the Event, or the NewUnblock this node proposes when
// the client's timeout fires or the client goes away.
//
// A node that restarts proposes NewDropWaiters for its earlier sessions,
// whose clients are gone with the old process. The leader drops the
// waiters of a node that left the cluster or has been unreachable for
// unreachableDrop: a dead node's waiters would otherwise take elements
// for clients that no longer exist. A node that was only cut off learns of
// the drop when it catches up (a Dropped Event) and registers its clients
// again.

// unreachableDrop is how long a node may stay unreachable before the
// leader drops its waiters.
const unreachableDrop = 3 * time.Second

// blockers routes Events to this node's blocked requests.
type blockers struct {
	session uint64

	mu   sync.Mutex
	seq  uint64
	byID map[fsm.WaiterID]chan fsm.Event
}

func newBlockers() *blockers {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// A session is never 0: NewDropWaiters keeps session 0 for "none".
	return &blockers{session: binary.LittleEndian.Uint64(b[:]) | 1, byID: map[fsm.WaiterID]chan fsm.Event{}}
}

// next returns a new WaiterID for node and the channel its Event arrives on.
func (b *blockers) next(node uint64, events chan fsm.Event) fsm.WaiterID {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	id := fsm.WaiterID{Node: node, Session: b.session, Seq: b.seq}
	b.byID[id] = events
	return id
}

func (b *blockers) forget(id fsm.WaiterID) {
	b.mu.Lock()
	delete(b.byID, id)
	b.mu.Unlock()
}

// deliver is the Store's event sink: it runs inside Apply and must not
// block.
func (b *blockers) deliver(ev fsm.Event) {
	if ev.Waiter.Session != b.session {
		return
	}
	b.mu.Lock()
	ch := b.byID[ev.Waiter]
	b.mu.Unlock()
	if ch != nil {
		select {
		case ch <- ev:
		default: // a waiter ends once: there is room for its one Event
		}
	}
}

// serveBlocking serves a blocking command outside MULTI: at once if it can
// be, else parked until an Event, its timeout, or its client's departure.
func (s *Server) serveBlocking(c *client, cmd fsm.Command) {
	start := time.Now()
	node := s.cluster.Status().ID
	// The request's bytes are the connection's and go with this call; the
	// wait keeps its own copy to register again after a drop.
	raw := cmd.AppendBinary(nil)
	events := make(chan fsm.Event, 1)
	id := s.blocking.next(node, events)
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	r, ok := s.replicate(ctx, c, cmd.WithWaiter(id).AppendBinary(c.cmd[:0]))
	cancel()
	if !ok {
		// The outcome may be unknown: make sure no waiter stays behind.
		go s.unblockQuietly(id)
		return
	}
	if r.Kind != fsm.KindBlocked {
		s.blocking.forget(id)
		c.w.reply(r)
		return
	}
	p := c.park()
	go s.waitBlocked(p, raw, id, events, start, cmd.BlockTimeout(), cmd.TimeoutReply())
}

// waitBlocked waits for a parked blocking request's end and answers it.
func (s *Server) waitBlocked(p *parked, raw []byte, id fsm.WaiterID, events chan fsm.Event,
	start time.Time, timeoutMs int64, timeoutReply fsm.Reply) {
	var timer <-chan time.Time
	if timeoutMs > 0 {
		t := time.NewTimer(time.Until(start.Add(time.Duration(timeoutMs) * time.Millisecond)))
		defer t.Stop()
		timer = t.C
	}
	for {
		select {
		case ev := <-events:
			if !ev.Dropped {
				s.blocking.forget(id)
				s.deliver(p, ev)
				return
			}
			// The leader dropped this node's waiters while it was cut
			// off: the client is still here, so it blocks again, last in
			// line.
			s.blocking.forget(id)
			next, r, err := s.reblock(p.Context(), raw, events)
			switch {
			case err != "":
				p.reply(func(w *writer) { w.err(err) })
				return
			case r.Kind != fsm.KindBlocked:
				s.blocking.forget(next)
				p.reply(func(w *writer) { w.reply(r) })
				return
			}
			id = next
		case <-timer:
			removed, err := s.unblock(id)
			s.blocking.forget(id)
			switch {
			case err != nil:
				// Without a decision the client must not hang: it gets
				// an error, and the waiter may still be served later
				// (the element then goes to nobody, as when a Redis
				// client's connection drops after its pop).
				p.reply(func(w *writer) { w.err(writeFailure(err, s.cfg.Timeout)) })
			case removed:
				p.reply(func(w *writer) { w.reply(timeoutReply) })
			default:
				// Served (or dropped) before the unblock: its Event was
				// delivered when that earlier entry was applied here.
				select {
				case ev := <-events:
					if !ev.Dropped {
						s.deliver(p, ev)
						return
					}
				default:
				}
				p.reply(func(w *writer) { w.reply(timeoutReply) })
			}
			return
		case <-p.Context().Done():
			// The client went away, or the server is shutting down.
			s.unblockQuietly(id)
			select {
			case ev := <-events:
				// Served before the unblock: the reply cannot reach the
				// client any more, so what it took goes back.
				if !ev.Dropped && ev.InFlight {
					s.deliver(p, ev)
					return
				}
			default:
			}
			p.reply(func(w *writer) { w.err("UNBLOCKED the server is shutting down") })
			return
		}
	}
}

// deliver writes a served waiter's reply. A delivery in flight (a pop:
// fsm.Event.InFlight) is acknowledged in the log first, and its reply
// written only once the log has the acknowledgement: a node that dies
// before then never wrote the reply, and its next session puts what the
// pop took back for another client; one that dies after has taken the
// element for a client whose connection broke after the pop, as in Redis.
// Writing first, a node that died between the reply and the commit of its
// acknowledgement had the element put back and delivered again: a queue
// run with kills saw elements popped twice so. If the client leaves
// before the acknowledgement is in the log, the delivery is returned; if
// the log takes none within the request timeout, the client hears that
// the pop's outcome is unknown (TRYAGAIN), and the delivery is returned
// unless an acknowledgement commits after all.
func (s *Server) deliver(p *parked, ev fsm.Event) {
	if !ev.InFlight {
		p.reply(func(w *writer) { w.reply(ev.Reply) })
		return
	}
	acked, err := s.ackDelivery(p, ev.Waiter)
	if acked {
		p.reply(func(w *writer) { w.reply(ev.Reply) })
		return
	}
	if err != nil {
		// Within its time bound the log took no acknowledgement: the
		// client hears that the pop's outcome is unknown (one may yet
		// commit), and the delivery is returned, if none did.
		p.reply(func(w *writer) { w.err("TRYAGAIN write outcome unknown: " + failureReason(err, s.cfg.Timeout)) })
	}
	// An acknowledgement of unknown outcome may yet commit: then the
	// return finds nothing in flight, and the element stays popped, for
	// a client that was told the outcome is unknown, or whose connection
	// broke after the pop.
	cmd := fsm.NewReturn(ev.Waiter, s.cfg.Clock())
	go func() {
		for try := 0; try < 10 && s.base.Err() == nil; try++ {
			if s.propose(cmd) == nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
}

// ackDelivery proposes the acknowledgement of waiter id's delivery until
// the log has it, for at most the request timeout, and reports whether it
// does. It gives up early, with a nil error, once p's client has left or
// the server is shutting down, and with the last failure once this node
// can propose no more or the time is up. The client waits meanwhile, as
// for any write; a retried acknowledgement is harmless: it finds the
// delivery acknowledged.
func (s *Server) ackDelivery(p *parked, id fsm.WaiterID) (bool, error) {
	ctx, cancel := context.WithTimeout(p.Context(), s.cfg.Timeout)
	defer cancel()
	for {
		_, err := s.proposeReply(ctx, fsm.NewAck(id, s.cfg.Clock()))
		switch {
		case err == nil:
			return true, nil
		case p.Context().Err() != nil:
			return false, nil
		case errors.Is(err, cluster.ErrStopped), errors.Is(err, cluster.ErrRemoved), ctx.Err() != nil:
			return false, err
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// reblock registers a dropped blocking request again, as a new waiter.
func (s *Server) reblock(ctx context.Context, raw []byte, events chan fsm.Event) (fsm.WaiterID, fsm.Reply, string) {
	cmd, err := fsm.Decode(raw)
	if err != nil {
		return fsm.WaiterID{}, fsm.Reply{}, "ERR internal error: " + err.Error()
	}
	id := s.blocking.next(s.cluster.Status().ID, events)
	r, err := s.proposeReply(ctx, cmd.WithWaiter(id))
	if err != nil {
		go s.unblockQuietly(id)
		return id, fsm.Reply{}, writeFailure(err, s.cfg.Timeout)
	}
	return id, r, ""
}

// unblock proposes the end of id's wait and reports whether the waiter was
// still waiting (so its client gets the timeout reply).
func (s *Server) unblock(id fsm.WaiterID) (removed bool, err error) {
	r, err := s.proposeReply(s.base, fsm.NewUnblock(id, s.cfg.Clock()))
	return err == nil && r.Kind == fsm.KindInt && r.Int == 1, err
}

// unblockQuietly removes the waiter of a client that is gone, retrying for
// a while: until it is removed, a write may serve it and its element would
// be lost.
//
// It stops at an error that will not pass (this node stopped or was
// removed): retrying then only held Shutdown to its deadline, and the
// waiter is dropped anyway, by the leader once this node has left
// (runWaiterJanitor), or by this node's next session.
func (s *Server) unblockQuietly(id fsm.WaiterID) {
	defer s.blocking.forget(id)
	for try := 0; try < 10; try++ {
		_, err := s.unblock(id)
		if err == nil || errors.Is(err, cluster.ErrStopped) || errors.Is(err, cluster.ErrRemoved) {
			return
		}
		select {
		case <-s.base.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// runWaiterJanitor drops the waiters this node's earlier sessions left in
// the state machine, once, and then, while this node leads, those of nodes
// that left or are unreachable for unreachableDrop. It runs until the
// server shuts down.
func (s *Server) runWaiterJanitor() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	droppedOwn := false
	unreachableSince := map[uint64]time.Time{}
	for {
		select {
		case <-s.base.Done():
			return
		case <-tick.C:
		}
		st := s.cluster.Status()
		if !droppedOwn && st.ID != 0 {
			droppedOwn = s.propose(fsm.NewDropWaiters(st.ID, s.blocking.session, false, s.cfg.Clock())) == nil
		}
		if st.Role != cluster.RoleLeader {
			clear(unreachableSince)
			continue
		}
		nodes := s.store.WaiterNodes()
		if len(nodes) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
		members, err := s.cluster.Members(ctx)
		cancel()
		if err != nil {
			continue
		}
		now := time.Now()
		for _, node := range nodes {
			if node == st.ID {
				continue
			}
			gone := true
			for _, m := range members {
				if m.ID == node {
					gone = false
					if m.Reachable {
						delete(unreachableSince, node)
					} else if _, ok := unreachableSince[node]; !ok {
						unreachableSince[node] = now
					}
				}
			}
			// A node that left has no clients: what its deliveries took
			// goes back. One that is unreachable may still have them, and
			// may have written their replies: only its waiters go.
			since, cut := unreachableSince[node]
			if gone || (cut && now.Sub(since) >= unreachableDrop) {
				if s.propose(fsm.NewDropWaiters(node, 0, !gone, s.cfg.Clock())) == nil {
					delete(unreachableSince, node)
				}
			}
		}
	}
}

// propose replicates one internal write and waits for it to apply.
func (s *Server) propose(cmd fsm.Command) error {
	_, err := s.proposeReply(s.base, cmd)
	return err
}

// proposeReply replicates one internal write, bounded by the request
// timeout within ctx, and returns its reply.
func (s *Server) proposeReply(ctx context.Context, cmd fsm.Command) (fsm.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	ws := []cluster.Write{{Cmd: cmd.AppendBinary(nil)}}
	s.cluster.ReplicateBatch(ctx, ws)
	r, _ := ws[0].Val.(fsm.Reply)
	return r, ws[0].Err
}
