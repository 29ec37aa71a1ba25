package resp

import (
	"context"
	"slices"

	"github.com/raftcache/raftcache/fsm"
)

// txn is a transaction being queued between MULTI and EXEC.
type txn struct {
	cmds  []queued
	bytes int64 // queued argument bytes, bounded by the query buffer limit
	dirty bool  // a command was refused: EXEC aborts with EXECABORT
}

// queued is one command waiting for EXEC, with its own copy of the
// arguments (redcon reuses its buffers).
type queued struct {
	spec *cmdSpec
	args [][]byte
}

func (s *Server) multi(c *client, args [][]byte) {
	if c.multi != nil {
		c.w.err("ERR MULTI calls can not be nested")
		return
	}
	c.multi = &txn{}
	c.multiQueued.Store(0)
	c.w.status("OK")
}

// queue adds a command to the transaction. Like Redis it checks only that
// the command exists and has a valid number of arguments (dispatch did);
// other errors show at EXEC, as that command's element of the reply.
func (s *Server) queue(c *client, sp *cmdSpec, args [][]byte) {
	n := 0
	for _, a := range args {
		n += len(a) + argOverhead
	}
	if c.multi.bytes+int64(n) > s.limits.maxQuery.Load() {
		// Redis has no such bound, but the whole queue becomes one log
		// entry, which must stay a sane size.
		s.reject(c, sp, "ERR transaction too large: its commands exceed client-query-buffer-limit")
		return
	}
	buf := make([]byte, 0, n)
	cp := make([][]byte, len(args))
	for i, a := range args {
		start := len(buf)
		buf = append(buf, a...)
		cp[i] = buf[start:len(buf):len(buf)]
	}
	c.multi.cmds = append(c.multi.cmds, queued{spec: sp, args: cp})
	c.multi.bytes += int64(n)
	c.multiQueued.Store(int64(len(c.multi.cmds)))
	c.w.status("QUEUED")
}

func (s *Server) discard(c *client, args [][]byte) {
	if c.multi == nil {
		c.w.err("ERR DISCARD without MULTI")
		return
	}
	s.discardTxn(c)
	c.w.status("OK")
}

// discardTxn ends the transaction, if any, and forgets the watched keys.
func (s *Server) discardTxn(c *client) {
	c.multi = nil
	c.multiQueued.Store(-1)
	c.watches = nil
}

// watch serves WATCH. Each key's modification token is read after a
// linearizable read barrier, so it reflects every write acknowledged before
// WATCH; EXEC's log entry carries the tokens, and its Apply aborts the
// transaction if any key's token changed, on every node alike.
func (s *Server) watch(c *client, args [][]byte) {
	if c.multi != nil {
		c.w.err("ERR WATCH inside MULTI is not allowed")
		return
	}
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	if err := s.cluster.LinearizableRead(ctx); err != nil {
		c.w.err(readFailure(err, s.cfg.Timeout))
		return
	}
	now := s.cfg.Clock()
	for _, key := range args[1:] {
		// As in Redis, a key watched twice keeps its first token.
		db := int(c.db.Load())
		if slices.ContainsFunc(c.watches, func(w fsm.Watch) bool { return w.DB == db && string(w.Key) == string(key) }) {
			continue
		}
		c.watches = append(c.watches, fsm.Watch{DB: db, Key: slices.Clone(key), Mod: s.store.ModIndex(db, key, now)})
	}
	c.w.status("OK")
}

func (s *Server) unwatch(c *client, args [][]byte) {
	c.watches = nil
	c.w.status("OK")
}

// exec runs the queued commands. The data commands, with the watched keys'
// tokens, go through the log as one entry, so the transaction is atomic on
// every node and its reads are linearizable; the connection's own commands
// (PING, CLIENT, INFO...) run here once that entry is applied, and their
// replies take their places in EXEC's array.
func (s *Server) exec(c *client, args [][]byte) {
	t := c.multi
	if t == nil {
		c.w.err("ERR EXEC without MULTI")
		return
	}
	watches := c.watches
	c.multi, c.watches = nil, nil
	// CLIENT LIST shows the transaction until its commands have run.
	defer c.multiQueued.Store(-1)
	if t.dirty {
		c.w.err("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	now := s.cfg.Clock()
	var data []fsm.Command
	write := false
	// A queued SELECT runs in its place: the data commands after it run
	// in its database.
	db := int(c.db.Load())
	for _, q := range t.cmds {
		if q.spec.name == "select" {
			if n, err := selectArg(q.args[1]); err == "" {
				db = n
			}
		}
		if !q.spec.isData() {
			continue
		}
		cmd, ok, err := fsm.Parse(q.args, now)
		switch {
		case !ok:
			cmd = fsm.ErrorCommand(unknownCommand(q.args))
		case err != nil:
			cmd = fsm.ErrorCommand(err.Error())
		}
		if msg := s.execACL(c, q.spec, q.args); msg != "" {
			cmd = fsm.ErrorCommand(msg)
		}
		write = write || cmd.IsWrite()
		data = append(data, cmd.InDB(db).RunAs(c.userName()))
	}
	// The keys the transaction reads are remembered for tracking before
	// it runs; a CLIENT CACHING queued before a read applies to it, and
	// to the rest of the transaction.
	caching, di := c.trk.caching, 0
	for _, q := range t.cmds {
		switch {
		case q.spec.name == "client|caching" && cachingApplies(c, q.args):
			caching = true
		case q.spec.isData():
			if !data[di].IsWrite() {
				s.tracker.remember(c, caching, data[di].Keys())
			}
			di++
		}
	}
	// Invalidations of keys the transaction changed follow its reply.
	defer func() { c.w.buf = c.out.flushEntries(c.lastWrite, c.w.buf) }()
	var results []fsm.Reply
	if len(data) > 0 || len(watches) > 0 {
		ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
		defer cancel()
		last := c.lastWrite
		c.cmd = fsm.NewMulti(data, watches).WithTime(now).AppendBinary(c.cmd[:0])
		r, ok := s.replicate(ctx, c, c.cmd)
		if !ok {
			return
		}
		if !write {
			c.lastWrite = last // nothing for WAIT to wait for
		}
		switch {
		case r.Kind == fsm.KindNilArray: // a watched key changed
			c.w.nullArray()
			return
		case r.Kind != fsm.KindArray || len(r.Elems) != len(data):
			c.w.reply(r) // an error from Apply, which runs nothing
			return
		}
		results = r.Elems
	}
	c.w.array(len(t.cmds))
	c.inExec = true
	defer func() { c.inExec = false }()
	for _, q := range t.cmds {
		if q.spec.isData() {
			c.w.reply(results[0])
			results = results[1:]
		} else {
			q.spec.run(s, c, q.args)
		}
		// Redis feeds each command EXEC runs, in its database, unless
		// its ACL check refused it.
		if s.monitors.n.Load() > 0 && s.execACL(c, q.spec, q.args) == "" {
			s.feedMonitors(c, q.spec, q.args)
		}
	}
}

// isData reports whether the command is one of the state machine's.
func (sp *cmdSpec) isData() bool { return sp.data }
