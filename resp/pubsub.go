package resp

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/raftcache/raftcache/fsm"
)

// Pub/sub. Subscriptions belong to connections, so they live here, on the
// node the subscriber is connected to, and are not replicated. PUBLISH and
// SPUBLISH are log entries (fsm/pubsub.go): every node applies each one,
// in log order, and hands its message to this node's hub (Server.effects),
// which pushes it to the node's matching subscribers. So a message
// published on any node reaches every node's subscribers once, in one
// order for all of them, and after the writes the log applied before it.
//
// PUBLISH's reply counts the subscribers of the node that proposed it, the
// node the publisher is connected to, as Redis Cluster counts only the
// receiving node's: Apply cannot count them (the other nodes' subscribers
// are not replicated state), so the hub records, for each message it
// delivered, how many of its clients received it, and the proposer's
// reply (KindPublished) is resolved from that record once ReplicateBatch
// returns.

// subKind is one of the three namespaces of subscriptions.
type subKind uint8

const (
	subChannel subKind = iota // SUBSCRIBE
	subPattern                // PSUBSCRIBE
	subShard                  // SSUBSCRIBE
	subKinds
)

// subNames are each kind's subscribe and unsubscribe confirmations and
// message type, as Redis names them.
var subNames = [subKinds]struct{ sub, unsub, message string }{
	subChannel: {"subscribe", "unsubscribe", "message"},
	subPattern: {"psubscribe", "punsubscribe", "pmessage"},
	subShard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// clientSubs are one connection's subscriptions. The lists are written
// under the hub's lock, by the connection's own goroutine (its commands,
// its end), so that goroutine may read them without it; the counts are
// atomic for CLIENT LIST.
type clientSubs struct {
	names [subKinds][]string // in subscription order, for UNSUBSCRIBE with no arguments
	count [subKinds]atomic.Int64
}

// active reports whether the connection is in Redis's pub/sub mode: it
// has a subscription of any kind.
func (cs *clientSubs) active() bool {
	return cs.count[subChannel].Load()+cs.count[subPattern].Load()+cs.count[subShard].Load() > 0
}

// confirmCount is the count a (un)subscribe confirmation of kind shows:
// channels and patterns together, or the shard channels.
func (cs *clientSubs) confirmCount(kind subKind) int64 {
	if kind == subShard {
		return cs.count[subShard].Load()
	}
	return cs.count[subChannel].Load() + cs.count[subPattern].Load()
}

// hub is this node's subscriptions, by channel or pattern, each with its
// subscribers in the order they subscribed.
type hub struct {
	mu   sync.RWMutex
	subs [subKinds]map[string][]*client
	// patterns lists subs[subPattern]'s keys in the order they were first
	// subscribed: a message matching several patterns reaches a client
	// in the same order on every delivery, whatever Go's map order.
	patterns []string

	// received records how many of this node's clients received each
	// recent message, for the PUBLISH replies of this node's publishers.
	received receivedLog
}

func newHub() *hub {
	h := &hub{}
	for k := range h.subs {
		h.subs[k] = map[string][]*client{}
	}
	return h
}

// subscribe adds c to name's subscribers, unless it is one already.
func (h *hub) subscribe(c *client, kind subKind, name []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if slices.Contains(c.subs.names[kind], string(name)) {
		return
	}
	key := string(name)
	c.subs.names[kind] = append(c.subs.names[kind], key)
	c.subs.count[kind].Add(1)
	if kind == subPattern && len(h.subs[kind][key]) == 0 {
		h.patterns = append(h.patterns, key)
	}
	h.subs[kind][key] = append(h.subs[kind][key], c)
}

// unsubscribe removes c from name's subscribers, if it is one.
func (h *hub) unsubscribe(c *client, kind subKind, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsubscribeLocked(c, kind, name)
}

func (h *hub) unsubscribeLocked(c *client, kind subKind, name string) {
	i := slices.Index(c.subs.names[kind], name)
	if i < 0 {
		return
	}
	c.subs.names[kind] = slices.Delete(c.subs.names[kind], i, i+1)
	c.subs.count[kind].Add(-1)
	clients := h.subs[kind][name]
	if j := slices.Index(clients, c); j >= 0 {
		clients = slices.Delete(clients, j, j+1)
	}
	if len(clients) > 0 {
		h.subs[kind][name] = clients
		return
	}
	delete(h.subs[kind], name)
	if kind == subPattern {
		if j := slices.Index(h.patterns, name); j >= 0 {
			h.patterns = slices.Delete(h.patterns, j, j+1)
		}
	}
}

// dropAll removes every subscription of c, without confirmations (RESET,
// the connection's end).
func (h *hub) dropAll(c *client) {
	if !c.subs.active() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for kind := range subKinds {
		for _, name := range slices.Clone(c.subs.names[kind]) {
			h.unsubscribeLocked(c, kind, name)
		}
	}
}

// publish pushes m to this node's subscribers, channel subscribers first
// and then pattern subscribers as Redis does, and returns how many pushes
// it made (a client subscribed to the channel and to a matching pattern
// receives it twice, and counts twice). It runs inside Apply: pushing only
// queues bytes on the connections.
func (h *hub) publish(index uint64, m *fsm.Message) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	kind := subChannel
	if m.Sharded {
		kind = subShard
	}
	n := 0
	for _, c := range h.subs[kind][string(m.Channel)] {
		msgType := subNames[kind].message
		pushMessage(c, index, func(w *writer) {
			w.pushHeader(3)
			w.bulkString(msgType)
			w.bulk(m.Channel)
			w.bulk(m.Payload)
		})
		n++
	}
	if m.Sharded {
		return n // shard channels have no patterns
	}
	for _, pat := range h.patterns {
		if !fsm.GlobMatch([]byte(pat), m.Channel) {
			continue
		}
		for _, c := range h.subs[subPattern][pat] {
			pushMessage(c, index, func(w *writer) {
				w.pushHeader(4)
				w.bulkString("pmessage")
				w.bulkString(pat)
				w.bulk(m.Channel)
				w.bulk(m.Payload)
			})
			n++
		}
	}
	return n
}

// maxPubsubOutput bounds what may wait for a subscriber's socket, as
// Redis's client-output-buffer-limit for pubsub clients (32mb hard): a
// subscriber that does not read is disconnected rather than let its
// messages grow the node's memory without end. The apply loop never
// waits for a subscriber.
const maxPubsubOutput = 32 << 20

// pushMessage queues a message for c, or disconnects c if too much waits
// for its socket already.
func pushMessage(c *client, index uint64, fn func(w *writer)) {
	if c.out.pending() > maxPubsubOutput {
		c.dropSlow()
		return
	}
	c.pushForEntry(index, fn)
}

// pending returns how many bytes wait to be written to the socket.
func (o *output) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf) + len(o.held) + len(o.entryHeld) + o.inflight
}

// dropSlow disconnects a client whose output passed its bound: closing the
// socket makes its reader end the connection, and its writer drop what is
// queued.
func (c *client) dropSlow() {
	if c.slowDropped.CompareAndSwap(false, true) {
		_ = c.nc.Close()
	}
}

// receivedLog is a bounded record of how many clients received recent
// messages, by (log index, Seq). Only this node's own publishers look
// their messages up, right after ReplicateBatch returns; the record of a
// message nobody asks for (published on another node) is overwritten
// once receivedLogSize newer messages have been delivered.
type receivedLog struct {
	mu    sync.Mutex
	count map[receivedKey]int
	ring  [receivedLogSize]receivedKey
	next  int
}

type receivedKey struct {
	index uint64
	seq   int64
}

const receivedLogSize = 1 << 16

func (l *receivedLog) add(k receivedKey, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == nil {
		l.count = map[receivedKey]int{}
	}
	if old := l.ring[l.next]; old != (receivedKey{}) {
		delete(l.count, old)
	}
	l.ring[l.next] = k
	l.next = (l.next + 1) % receivedLogSize
	l.count[k] = n
}

// take returns and forgets the count of k, 0 if none was recorded (no
// client of this node received it).
func (l *receivedLog) take(k receivedKey) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.count[k]
	if ok {
		delete(l.count, k)
	}
	return n
}

// dropSubscribers disconnects every client with a subscription and
// returns how many it disconnected.
func (h *hub) dropSubscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	seen := map[*client]bool{}
	for kind := range subKinds {
		for _, clients := range h.subs[kind] {
			for _, c := range clients {
				if !seen[c] {
					seen[c] = true
					_ = c.nc.Close() // its reader ends the connection, and drops its subscriptions
				}
			}
		}
	}
	return len(seen)
}

// effects is the Store's effects sink: this node's side of every applied
// entry's messages and key changes. It runs inside Apply, under the
// Store's lock, and never blocks.
//
// A restored snapshot (a follower too far behind, caught up by its
// leader) skipped entries whose messages this node's subscribers never
// received; rather than let a subscriber believe it missed nothing, every
// subscriber is disconnected, as a broken connection is the one way a
// subscriber learns it may have missed messages. A node restores a
// snapshot of its own only as it starts, before it serves.
func (s *Server) effects(fx *fsm.Effects) {
	if fx.Restored {
		if n := s.pubsub.dropSubscribers(); n > 0 {
			s.log.Info("resp: snapshot restored; disconnected subscribers, who missed the messages of the entries it covers", "subscribers", n, "index", fx.Index)
		}
	}
	for i := range fx.Messages {
		if n := s.pubsub.publish(fx.Index, &fx.Messages[i]); n > 0 {
			s.pubsub.received.add(receivedKey{index: fx.Index, seq: fx.Messages[i].Seq}, n)
		}
	}
	s.tracker.invalidate(fx)
	if len(fx.Denials) > 0 {
		s.acl.denied.add(fx.Index, fx.Denials)
	}
}

// readMessage is the Store's read-message sink: a message a read this
// node served raised (a keymiss notification), for this node's
// subscribers only. It may run on several readers at once, which the
// hub's read lock allows. Nobody asks how many received it.
func (s *Server) readMessage(index uint64, m *fsm.Message) {
	s.pubsub.publish(index, m)
}

// resolvePublished replaces the KindPublished replies in r, a write's
// reply at log index (or EXEC's array of them), with how many of this
// node's clients received each message.
func (s *Server) resolvePublished(r fsm.Reply, index uint64) fsm.Reply {
	switch r.Kind {
	case fsm.KindPublished:
		return fsm.Int(int64(s.pubsub.received.take(receivedKey{index: index, seq: r.Int})))
	case fsm.KindArray:
		cloned := false
		for i, e := range r.Elems {
			if e.Kind != fsm.KindPublished {
				continue
			}
			if !cloned {
				// The array may be shared: resolve a copy.
				r.Elems, cloned = slices.Clone(r.Elems), true
			}
			r.Elems[i] = fsm.Int(int64(s.pubsub.received.take(receivedKey{index: index, seq: e.Int})))
		}
	}
	return r
}

// subscribedRefusal is the error for a command that Redis refuses to a
// RESP2 connection in pub/sub mode, or "". A RESP3 connection may send
// any command: its messages are pushes, told apart from replies.
func subscribedRefusal(c *client, sp *cmdSpec) string {
	if c.w.resp3 || !c.subs.active() {
		return ""
	}
	switch sp.name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe",
		"quit", "reset":
		return ""
	}
	return "ERR Can't execute '" + sp.name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET " +
		"are allowed in this context"
}

func (s *Server) subscribe(c *client, args [][]byte)  { s.subscribeKind(c, subChannel, args) }
func (s *Server) psubscribe(c *client, args [][]byte) { s.subscribeKind(c, subPattern, args) }
func (s *Server) ssubscribe(c *client, args [][]byte) { s.subscribeKind(c, subShard, args) }

func (s *Server) unsubscribe(c *client, args [][]byte)  { s.unsubscribeKind(c, subChannel, args) }
func (s *Server) punsubscribe(c *client, args [][]byte) { s.unsubscribeKind(c, subPattern, args) }
func (s *Server) sunsubscribe(c *client, args [][]byte) { s.unsubscribeKind(c, subShard, args) }

// subscribeKind serves SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE: one
// confirmation per argument, each with the count after it.
func (s *Server) subscribeKind(c *client, kind subKind, args [][]byte) {
	if kind == subShard && c.inExec {
		// Redis refuses SSUBSCRIBE in a transaction (a client that
		// cannot block), though not SUBSCRIBE or PSUBSCRIBE.
		c.w.err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	for _, name := range args[1:] {
		s.pubsub.subscribe(c, kind, name)
		c.w.pushHeader(3)
		c.w.bulkString(subNames[kind].sub)
		c.w.bulk(name)
		c.w.int(c.subs.confirmCount(kind))
	}
}

// unsubscribeKind serves UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE: with
// no arguments, from every subscription of the kind, in the order they
// were made; a confirmation with a null name if there was none.
func (s *Server) unsubscribeKind(c *client, kind subKind, args [][]byte) {
	names := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		names = append(names, string(a))
	}
	if len(args) == 1 {
		names = slices.Clone(c.subs.names[kind])
		if len(names) == 0 {
			c.w.pushHeader(3)
			c.w.bulkString(subNames[kind].unsub)
			c.w.null()
			c.w.int(c.subs.confirmCount(kind))
			return
		}
	}
	for _, name := range names {
		s.pubsub.unsubscribe(c, kind, name)
		c.w.pushHeader(3)
		c.w.bulkString(subNames[kind].unsub)
		c.w.bulkString(name)
		c.w.int(c.subs.confirmCount(kind))
	}
}

// pubsubHelp is Redis 7.0's PUBSUB HELP.
var pubsubHelp = [...]string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

func (s *Server) pubsubHelp(c *client, args [][]byte) {
	if len(args) != 2 {
		pubsubSyntaxError(c, args)
		return
	}
	writeHelp(c, pubsubHelp[:])
}

func pubsubSyntaxError(c *client, args [][]byte) {
	c.w.err("ERR unknown subcommand or wrong number of arguments for '" + string(cString(args[1], 128)) +
		"'. Try PUBSUB HELP.")
}

func (s *Server) pubsubChannels(c *client, args [][]byte) { s.channelList(c, subChannel, args) }
func (s *Server) pubsubShardChannels(c *client, args [][]byte) {
	s.channelList(c, subShard, args)
}

// channelList serves PUBSUB CHANNELS and SHARDCHANNELS: this node's
// channels with subscribers, matching the pattern if given, sorted (Redis
// lists them in its hash table's order).
func (s *Server) channelList(c *client, kind subKind, args [][]byte) {
	if len(args) > 3 {
		pubsubSyntaxError(c, args)
		return
	}
	s.pubsub.mu.RLock()
	var names []string
	for name := range s.pubsub.subs[kind] {
		if len(args) == 2 || fsm.GlobMatch(args[2], []byte(name)) {
			names = append(names, name)
		}
	}
	s.pubsub.mu.RUnlock()
	slices.Sort(names)
	c.w.array(len(names))
	for _, name := range names {
		c.w.bulkString(name)
	}
}

func (s *Server) pubsubNumSub(c *client, args [][]byte)      { s.numSub(c, subChannel, args) }
func (s *Server) pubsubShardNumSub(c *client, args [][]byte) { s.numSub(c, subShard, args) }

// numSub serves PUBSUB NUMSUB and SHARDNUMSUB: each channel and how many
// of this node's clients subscribe to it.
func (s *Server) numSub(c *client, kind subKind, args [][]byte) {
	c.w.array(2 * (len(args) - 2))
	s.pubsub.mu.RLock()
	defer s.pubsub.mu.RUnlock()
	for _, name := range args[2:] {
		c.w.bulk(name)
		c.w.int(int64(len(s.pubsub.subs[kind][string(name)])))
	}
}

// pubsubNumPat serves PUBSUB NUMPAT: how many distinct patterns this
// node's clients subscribe to, as Redis 7.0 counts.
func (s *Server) pubsubNumPat(c *client, args [][]byte) {
	if len(args) != 2 {
		pubsubSyntaxError(c, args)
		return
	}
	s.pubsub.mu.RLock()
	n := len(s.pubsub.subs[subPattern])
	s.pubsub.mu.RUnlock()
	c.w.int(int64(n))
}
