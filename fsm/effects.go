package fsm

// Effects are what one applied entry did that this node's connections may
// have to tell their clients besides its reply: the messages it published
// (PUBLISH, SPUBLISH), the keys it changed (for client-side caching's
// invalidations) and the commands its scripts were refused (for the ACL
// LOG). Every node applies every entry, so every node sees the
// same Effects in the same order and tells its own clients. They are not
// state: nothing of them is kept after the sink has run, and snapshots
// hold none.
type Effects struct {
	Index    uint64 // the entry's log index
	Messages []Message
	// Keys are the keys the entry changed, in the order of the changes,
	// repeated if changed more than once. A Key with Flush set stands for
	// every key (FLUSHALL, FLUSHDB, a restored snapshot).
	Keys []ChangedKey
	// Denials are the commands the entry's scripts were refused by
	// their user's ACL (see scriptacl.go): the node that proposed the
	// entry adds them to its ACL LOG.
	Denials []ACLDenial
	// Restored is set when a snapshot replaced the state (Index is the
	// snapshot's): the entries it covers that this node had not applied
	// were skipped, and the messages they published with them, as
	// Effects are not state. A node's subscribers then cannot be told
	// every message: see resp's effects.
	Restored bool
}

// Message is one message published by an entry.
type Message struct {
	// Seq numbers the entry's messages from 0: a PUBLISH's reply
	// (KindPublished) carries it, so that the proposing node can tell
	// which message the reply is for.
	Seq              int64
	Channel, Payload []byte
	Sharded          bool // SPUBLISH
}

// ChangedKey is a key a write put or removed, in database DB.
type ChangedKey struct {
	DB    int
	Key   []byte
	Flush bool // every key (of every database: DB is -1 for FLUSHALL)
}

// SetEffectsSink sets the function that receives each applied entry's
// Effects, when it has any, after the entry is applied and before Apply
// returns, under the Store's lock: it must not block or call back into
// the Store. The Effects and the bytes they hold are valid only during
// the call: the sink copies what it keeps. With no sink (nil) nothing is
// collected.
func (s *Store) SetEffectsSink(fn func(*Effects)) {
	s.mu.Lock()
	s.effectsSink = fn
	s.mu.Unlock()
}

// SetReadMessageSink sets the function that receives the messages a read
// served by this node outside the log raises ("keymiss" notifications, see
// notify.go), with the applied index the read saw. They are this node's
// alone: no other node serves the read. fn runs under the Store's read
// lock, maybe on several readers' goroutines at once: it must be safe for
// concurrent use, must not block or call back into the Store, and must
// copy what it keeps of m. nil: none are made.
func (s *Store) SetReadMessageSink(fn func(index uint64, m *Message)) {
	s.mu.Lock()
	s.readMessageSink = fn
	s.mu.Unlock()
}

// notePublished records a message published by the entry being applied
// and returns its Seq.
func (s *Store) notePublished(channel, payload []byte, sharded bool) int64 {
	seq := int64(len(s.effects.Messages))
	if s.effectsSink != nil {
		s.effects.Messages = append(s.effects.Messages, Message{Seq: seq, Channel: channel, Payload: payload, Sharded: sharded})
	}
	return seq
}

// noteChanged records that the entry being applied put or removed key in
// database db. The key is copied: it may alias a shard's arena, which a
// later change in the same entry may compact.
func (s *Store) noteChanged(db int, key []byte) {
	if s.effectsSink == nil {
		return
	}
	start := len(s.effectsBuf)
	s.effectsBuf = append(s.effectsBuf, key...)
	// Appending may move the buffer; keys are resliced when delivered.
	s.effects.Keys = append(s.effects.Keys, ChangedKey{DB: db, Key: s.effectsBuf[start:len(s.effectsBuf):len(s.effectsBuf)]})
}

// noteFlushed records that every key of database db (-1: of every
// database) was removed.
func (s *Store) noteFlushed(db int) {
	if s.effectsSink == nil {
		return
	}
	s.effects.Keys = append(s.effects.Keys, ChangedKey{DB: db, Flush: true})
}

// deliverEffects hands the applied entry's Effects to the sink, if there
// are any, and forgets them.
func (s *Store) deliverEffects(index uint64) {
	fx := &s.effects
	if len(fx.Messages) == 0 && len(fx.Keys) == 0 && len(fx.Denials) == 0 && !fx.Restored {
		return
	}
	if s.effectsSink != nil {
		// Keys were sliced from effectsBuf as it grew: point them at
		// its final place.
		off := 0
		for i := range fx.Keys {
			if fx.Keys[i].Flush {
				continue
			}
			n := len(fx.Keys[i].Key)
			fx.Keys[i].Key = s.effectsBuf[off : off+n : off+n]
			off += n
		}
		fx.Index = index
		s.effectsSink(fx)
	}
	clear(fx.Messages)
	clear(fx.Keys)
	clear(fx.Denials)
	fx.Messages, fx.Keys, fx.Denials = fx.Messages[:0], fx.Keys[:0], fx.Denials[:0]
	fx.Restored = false
	s.effectsBuf = s.effectsBuf[:0]
	if cap(s.effectsBuf) > 1<<20 {
		s.effectsBuf = nil
	}
}
