package resp

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/raftcache/raftcache/fsm"
)

// Client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c: the
// node remembers which keys each tracking connection read, and when a
// write changes one it pushes an invalidation (RESP3 ["invalidate",
// [key]], or for RESP2 a "message" on __redis__:invalidate to the
// REDIRECT connection in pub/sub mode) and forgets the key. In BCAST mode
// nothing is remembered: every change of a key under one of the
// connection's prefixes is announced.
//
// Every node applies every write, so each node invalidates for its own
// connections whatever node the write came through (Redis's replicas
// cannot: they do not track their clients' reads against the primary's
// writes). The changes come from the Store's effects (fsm/effects.go):
// every key a write put or removed, expiry deletions included, and flushes,
// which invalidate everything with a null, as Redis does.

// Tracking flags of a connection, for CLIENT LIST and TRACKINGINFO.
const (
	trackOn uint32 = 1 << iota
	trackBcast
	trackOptin
	trackOptout
	trackNoloop
	trackBroken // the REDIRECT connection is gone
)

// clientTracking is one connection's tracking state. Everything but
// caching is under the tracker's lock; flags and redirect are atomic for
// CLIENT LIST. caching belongs to the connection's goroutine.
type clientTracking struct {
	flags    atomic.Uint32
	redirect atomic.Int64 // the REDIRECT client ID; 0: none
	redirTo  *client      // the connection redirect named, when enabled
	prefixes []string     // BCAST prefixes, sorted
	// caching is CLIENT CACHING YES (OPTIN) or NO (OPTOUT) given for the
	// next command.
	caching bool
}

// tracker is this node's tracking table.
type tracker struct {
	mu sync.Mutex
	// keys maps a key read by tracking connections to them, whatever
	// the database, as Redis's TrackingTable.
	keys    map[string]map[*client]struct{}
	clients map[*client]struct{} // tracking is on
	bcast   map[string][]*client // prefix to BCAST connections
	active  atomic.Bool          // anything to invalidate: a fast path for Apply
}

func newTracker() *tracker {
	return &tracker{keys: map[string]map[*client]struct{}{}, clients: map[*client]struct{}{},
		bcast: map[string][]*client{}}
}

func (t *tracker) updateActiveLocked() {
	t.active.Store(len(t.clients) > 0 || len(t.keys) > 0)
}

// remember records that c read keys, if its mode says so; caching is
// whether CLIENT CACHING applies to the command. It runs before the read,
// so that a write applied meanwhile invalidates what the read returns.
func (t *tracker) remember(c *client, caching bool, keys [][]byte) {
	f := c.trk.flags.Load()
	if f&trackOn == 0 || f&trackBcast != 0 || len(keys) == 0 ||
		(f&trackOptin != 0 && !caching) || (f&trackOptout != 0 && caching) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		ids := t.keys[string(k)]
		if ids == nil {
			ids = map[*client]struct{}{}
			t.keys[string(k)] = ids
		}
		ids[c] = struct{}{}
	}
	t.updateActiveLocked()
}

// enable turns tracking on for c with the given options, already checked.
func (t *tracker) enable(c *client, flags uint32, redirTo *client, redirect int64, prefixes []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clients[c] = struct{}{}
	c.trk.redirTo = redirTo
	c.trk.redirect.Store(redirect)
	if flags&trackBcast != 0 {
		if len(prefixes) == 0 && len(c.trk.prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			if slices.Contains(c.trk.prefixes, p) {
				continue
			}
			c.trk.prefixes = append(c.trk.prefixes, p)
			t.bcast[p] = append(t.bcast[p], c)
		}
		slices.Sort(c.trk.prefixes)
	}
	c.trk.flags.Store(trackOn | flags)
	t.updateActiveLocked()
}

// disable turns tracking off for c (CLIENT TRACKING OFF, RESET, the
// connection's end). The keys it read stay in the table, as in Redis,
// until they are invalidated.
func (t *tracker) disable(c *client) {
	if c.trk.flags.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.clients, c)
	for _, p := range c.trk.prefixes {
		cs := slices.DeleteFunc(t.bcast[p], func(x *client) bool { return x == c })
		if len(cs) == 0 {
			delete(t.bcast, p)
		} else {
			t.bcast[p] = cs
		}
	}
	c.trk.prefixes, c.trk.redirTo = nil, nil
	c.trk.flags.Store(0)
	c.trk.redirect.Store(0)
	c.trk.caching = false
	t.updateActiveLocked()
}

// invalidate is the tracking side of the effects sink: the keys the
// entry at fx.Index changed. It runs inside Apply and never blocks.
func (t *tracker) invalidate(fx *fsm.Effects) {
	if len(fx.Keys) == 0 || !t.active.Load() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var announced map[string][]string // BCAST prefix to its changed keys
	for _, k := range fx.Keys {
		if k.Flush {
			for c := range t.clients {
				t.send(c, fx.Index, nil, false)
			}
			clear(t.keys)
			continue
		}
		if ids, ok := t.keys[string(k.Key)]; ok {
			keys := []string{string(k.Key)}
			for c := range ids {
				if f := c.trk.flags.Load(); f&trackOn != 0 && f&trackBcast == 0 {
					t.send(c, fx.Index, keys, f&trackNoloop != 0)
				}
			}
			delete(t.keys, string(k.Key))
		}
		for p := range t.bcast {
			if strings.HasPrefix(string(k.Key), p) {
				if announced == nil {
					announced = map[string][]string{}
				}
				if !slices.Contains(announced[p], string(k.Key)) {
					announced[p] = append(announced[p], string(k.Key))
				}
			}
		}
	}
	// Each prefix's keys in one message, sorted, prefixes in order, as
	// Redis broadcasts from its radix trees.
	prefixes := make([]string, 0, len(announced))
	for p := range announced {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, p := range prefixes {
		keys := announced[p]
		slices.Sort(keys)
		for _, c := range t.bcast[p] {
			t.send(c, fx.Index, keys, c.trk.flags.Load()&trackNoloop != 0)
		}
	}
	t.updateActiveLocked()
}

// send pushes one invalidation of keys (nil: of everything, a flush) for
// c, to c itself in RESP3 or to its REDIRECT connection. noloop drops it
// if it was caused by c's own write (see output.takeEntries); through a
// redirect it is always sent. The caller holds t.mu.
func (t *tracker) send(c *client, index uint64, keys []string, noloop bool) {
	resp3 := c.out.resp3.Load()
	target := c
	if c.trk.redirect.Load() != 0 {
		r := c.trk.redirTo
		if r == nil || r.ctx.Err() != nil {
			c.trk.flags.Store(c.trk.flags.Load() | trackBroken)
			if resp3 {
				id := c.trk.redirect.Load()
				c.out.addForEntry(index, true, false, func(b []byte) []byte {
					w := writer{buf: b, resp3: true}
					w.pushHeader(2)
					w.bulkString("tracking-redir-broken")
					w.int(id)
					return w.buf
				})
			}
			return
		}
		target, noloop = r, false
	}
	redirected := target != c
	targetResp3 := target.out.resp3.Load()
	if !targetResp3 && !(redirected && target.subs.active()) {
		return // RESP2 has no pushes outside pub/sub mode
	}
	target.out.addForEntry(index, true, noloop, func(b []byte) []byte {
		w := writer{buf: b, resp3: targetResp3}
		if targetResp3 {
			w.pushHeader(2)
			w.bulkString("invalidate")
		} else {
			w.pushHeader(3)
			w.bulkString("message")
			w.bulkString("__redis__:invalidate")
		}
		if keys == nil {
			// The null of the tracking connection's protocol, as Redis.
			if resp3 {
				w.buf = append(w.buf, "_\r\n"...)
			} else {
				w.buf = append(w.buf, "$-1\r\n"...)
			}
			return w.buf
		}
		w.array(len(keys))
		for _, k := range keys {
			w.bulkString(k)
		}
		return w.buf
	})
}

// lookupClient returns this node's connection with the given ID, or nil.
func (s *Server) lookupClient(id int64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if c.id == id {
			return c
		}
	}
	return nil
}

// clientTracking serves CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]...
// [BCAST] [OPTIN] [OPTOUT] [NOLOOP], with Redis 7.0's checks in its order.
func (s *Server) clientTracking(c *client, args [][]byte) {
	var flags uint32
	var redirect int64
	var redirTo *client
	var prefixes []string
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case fsm.EqualFold(args[j], "redirect") && more > 0:
			j++
			if redirect != 0 {
				c.w.err("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := fsm.ParseInt(args[j])
			if !ok {
				c.w.err("ERR value is not an integer or out of range")
				return
			}
			if redirTo = s.lookupClient(id); redirTo == nil {
				c.w.err("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = id
		case fsm.EqualFold(args[j], "bcast"):
			flags |= trackBcast
		case fsm.EqualFold(args[j], "optin"):
			flags |= trackOptin
		case fsm.EqualFold(args[j], "optout"):
			flags |= trackOptout
		case fsm.EqualFold(args[j], "noloop"):
			flags |= trackNoloop
		case fsm.EqualFold(args[j], "prefix") && more > 0:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.w.err("ERR syntax error")
			return
		}
	}
	switch {
	case fsm.EqualFold(args[2], "on"):
		cur := c.trk.flags.Load()
		switch {
		case flags&trackBcast == 0 && len(prefixes) > 0:
			c.w.err("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case cur&trackOn != 0 && (cur&trackBcast != 0) != (flags&trackBcast != 0):
			c.w.err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, " +
				"and then re-enabling it with a different mode.")
			return
		case flags&trackBcast != 0 && flags&(trackOptin|trackOptout) != 0:
			c.w.err("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case flags&trackOptin != 0 && flags&trackOptout != 0:
			c.w.err("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case (flags&trackOptin != 0 && cur&trackOptout != 0) || (flags&trackOptout != 0 && cur&trackOptin != 0):
			c.w.err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, " +
				"and then re-enabling it with a different mode.")
			return
		}
		if flags&trackBcast != 0 {
			if msg := prefixCollision(c.trk.prefixes, prefixes); msg != "" {
				c.w.err(msg)
				return
			}
		}
		s.tracker.enable(c, flags, redirTo, redirect, prefixes)
	case fsm.EqualFold(args[2], "off"):
		s.tracker.disable(c)
	default:
		c.w.err("ERR syntax error")
		return
	}
	c.w.status("OK")
}

// prefixCollision is Redis's error for BCAST prefixes of which one is a
// prefix of another, or "".
func prefixCollision(have, add []string) string {
	for i, p := range add {
		for _, q := range have {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + q +
					"'. Prefixes for a single client must not overlap."
			}
		}
		for j, q := range add {
			if i != j && (strings.HasPrefix(p, q) || strings.HasPrefix(q, p)) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q +
					"'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// clientCaching serves CLIENT CACHING YES|NO: whether the next command's
// keys are tracked, in OPTIN or OPTOUT mode.
func (s *Server) clientCaching(c *client, args [][]byte) {
	f := c.trk.flags.Load()
	if f&trackOn == 0 {
		c.w.err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case fsm.EqualFold(args[2], "yes") && f&trackOptin != 0:
	case fsm.EqualFold(args[2], "yes"):
		c.w.err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
		return
	case fsm.EqualFold(args[2], "no") && f&trackOptout != 0:
	case fsm.EqualFold(args[2], "no"):
		c.w.err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
		return
	default:
		c.w.err("ERR syntax error")
		return
	}
	c.trk.caching = true
	c.w.status("OK")
}

// cachingApplies reports whether CLIENT CACHING with args would succeed
// for c, for a CLIENT CACHING queued in a transaction.
func cachingApplies(c *client, args [][]byte) bool {
	f := c.trk.flags.Load()
	return f&trackOn != 0 && len(args) == 3 &&
		((fsm.EqualFold(args[2], "yes") && f&trackOptin != 0) || (fsm.EqualFold(args[2], "no") && f&trackOptout != 0))
}

func (s *Server) clientGetRedir(c *client, args [][]byte) {
	if c.trk.flags.Load()&trackOn == 0 {
		c.w.int(-1)
		return
	}
	c.w.int(c.trk.redirect.Load())
}

// clientTrackingInfo serves CLIENT TRACKINGINFO.
func (s *Server) clientTrackingInfo(c *client, args [][]byte) {
	f := c.trk.flags.Load()
	flags := []string{"off"}
	if f&trackOn != 0 {
		flags[0] = "on"
	}
	if f&trackBcast != 0 {
		flags = append(flags, "bcast")
	}
	if f&trackOptin != 0 {
		flags = append(flags, "optin")
		if c.trk.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if f&trackOptout != 0 {
		flags = append(flags, "optout")
		if c.trk.caching {
			flags = append(flags, "caching-no")
		}
	}
	if f&trackNoloop != 0 {
		flags = append(flags, "noloop")
	}
	if f&trackBroken != 0 {
		flags = append(flags, "broken_redirect")
	}
	s.tracker.mu.Lock()
	prefixes := slices.Clone(c.trk.prefixes)
	s.tracker.mu.Unlock()
	c.w.mapHeader(3)
	c.w.bulkString("flags")
	c.w.setHeader(len(flags))
	for _, fl := range flags {
		c.w.bulkString(fl)
	}
	c.w.bulkString("redirect")
	if f&trackOn == 0 {
		c.w.int(-1)
	} else {
		c.w.int(c.trk.redirect.Load())
	}
	c.w.bulkString("prefixes")
	c.w.array(len(prefixes))
	for _, p := range prefixes {
		c.w.bulkString(p)
	}
}

// trackingListFlags are the CLIENT LIST flags of c's tracking, in Redis's
// order: t, R, B.
func (c *client) trackingListFlags() string {
	f := c.trk.flags.Load()
	out := ""
	if f&trackOn != 0 {
		out += "t"
	}
	if f&trackBroken != 0 {
		out += "R"
	}
	if f&trackBcast != 0 {
		out += "B"
	}
	return out
}

// listRedir is CLIENT LIST's redir field.
func (c *client) listRedir() int64 {
	if c.trk.flags.Load()&trackOn == 0 {
		return -1
	}
	return c.trk.redirect.Load()
}
