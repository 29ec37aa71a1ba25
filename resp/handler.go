package resp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
	"github.com/tidwall/redcon"
)

// ownCommands maps the commands resp serves itself to their handlers; every
// other command in the captured table is a data command for fsm.
func ownCommands() map[string]handler {
	own := map[string]handler{
		"ping":      (*Server).ping,
		"echo":      (*Server).echo,
		"quit":      (*Server).quit,
		"reset":     (*Server).reset,
		"hello":     (*Server).hello,
		"auth":      (*Server).auth,
		"select":    (*Server).selectDB,
		"time":      (*Server).time,
		"readonly":  (*Server).readOnly,
		"readwrite": (*Server).readWrite,
		"info":      (*Server).info,
		"wait":      (*Server).wait,

		"subscribe":            (*Server).subscribe,
		"unsubscribe":          (*Server).unsubscribe,
		"psubscribe":           (*Server).psubscribe,
		"punsubscribe":         (*Server).punsubscribe,
		"ssubscribe":           (*Server).ssubscribe,
		"sunsubscribe":         (*Server).sunsubscribe,
		"pubsub|channels":      (*Server).pubsubChannels,
		"pubsub|numsub":        (*Server).pubsubNumSub,
		"pubsub|numpat":        (*Server).pubsubNumPat,
		"pubsub|shardchannels": (*Server).pubsubShardChannels,
		"pubsub|shardnumsub":   (*Server).pubsubShardNumSub,
		"pubsub|help":          (*Server).pubsubHelp,

		"multi":   (*Server).multi,
		"exec":    (*Server).exec,
		"discard": (*Server).discard,
		"watch":   (*Server).watch,
		"unwatch": (*Server).unwatch,

		"command":         (*Server).command,
		"command|count":   (*Server).commandCount,
		"command|list":    (*Server).commandList,
		"command|info":    (*Server).commandInfo,
		"command|docs":    (*Server).commandDocs,
		"command|getkeys": (*Server).commandGetKeys,
		"command|help":    (*Server).commandHelp,

		"client|id":           (*Server).clientID,
		"client|getname":      (*Server).clientGetName,
		"client|setname":      (*Server).clientSetName,
		"client|setinfo":      (*Server).clientSetInfo,
		"client|info":         (*Server).clientInfo,
		"client|list":         (*Server).clientList,
		"client|tracking":     (*Server).clientTracking,
		"client|caching":      (*Server).clientCaching,
		"client|getredir":     (*Server).clientGetRedir,
		"client|trackinginfo": (*Server).clientTrackingInfo,
		"client|help":         (*Server).clientHelp,

		"config|get":       (*Server).configGet,
		"config|set":       (*Server).configSet,
		"config|rewrite":   (*Server).configRewrite,
		"config|resetstat": (*Server).configResetStat,
		"config|help":      (*Server).configHelp,

		"cluster|info":     (*Server).clusterInfo,
		"cluster|myid":     (*Server).clusterMyID,
		"cluster|nodes":    (*Server).clusterNodes,
		"cluster|shards":   (*Server).clusterShards,
		"cluster|slots":    (*Server).clusterSlots,
		"cluster|keyslot":  (*Server).clusterKeySlot,
		"cluster|failover": (*Server).clusterFailover,
		"cluster|help":     (*Server).clusterHelp,

		"slowlog|get":   (*Server).slowlogGet,
		"slowlog|len":   (*Server).slowlogLen,
		"slowlog|reset": (*Server).slowlogReset,
		"slowlog|help":  (*Server).slowlogHelp,

		"latency|latest":    (*Server).latencyLatest,
		"latency|history":   (*Server).latencyHistory,
		"latency|reset":     (*Server).latencyReset,
		"latency|doctor":    (*Server).latencyDoctor,
		"latency|histogram": (*Server).latencyHistogram,
		"latency|help":      (*Server).latencyHelp,

		"memory|usage":        (*Server).memoryUsage,
		"memory|stats":        (*Server).memoryStats,
		"memory|doctor":       (*Server).memoryDoctor,
		"memory|malloc-stats": (*Server).memoryMallocStats,
		"memory|purge":        (*Server).memoryPurge,
		"memory|help":         (*Server).memoryHelp,

		"save":     (*Server).save,
		"bgsave":   (*Server).bgsave,
		"lastsave": (*Server).lastsave,
		"shutdown": (*Server).shutdown,
		"monitor":  (*Server).monitor,
	}
	for name, h := range aclCommands() {
		own[name] = h
	}
	return own
}

// handle serves the requests of one pipeline, cmds, in order, and returns
// how many it served: all of them, unless one was parked (see client.park)
// or ended the connection. Runs of data commands are served together (see
// serveData); any other command is dispatched on its own. The replies are
// written to c.w, for serveConn to commit.
func (s *Server) handle(c *client, cmds []redcon.Command) int {
	i := 0
	// As Redis, nothing after a QUIT in the pipeline runs.
	for i < len(cmds) && !c.closeAfter && c.parked == nil {
		args := cmds[i].Args
		if len(args) > 0 && (fsm.EqualFold(args[0], "post") || fsm.EqualFold(args[0], "host:")) {
			s.crossProtocol(c)
			break
		}
		if n := s.dataRun(c, cmds[i:]); n > 0 {
			s.serveData(c, cmds[i:i+n], c.specs[:n])
			i += n
			continue
		}
		if len(args) > 0 {
			s.dispatch(c, args)
		}
		i++
	}
	return i
}

// dispatch runs one command the way Redis's processCommand does: the
// command (and subcommand) must exist and have a valid number of arguments,
// the client must have authenticated unless the command needs none, and
// inside MULTI a command is queued instead of run.
func (s *Server) dispatch(c *client, args [][]byte) {
	s.stats.commands.Add(1)
	start := time.Now()
	c.lastActive.Store(start.Unix())
	sp := s.cmds.lookup(args[0])
	if sp == nil {
		c.lastCmd.Store(nil)
		s.reject(c, nil, unknownCommand(args))
		return
	}
	if sp.subs != nil && len(args) >= 2 {
		sub := sp.subs[lowerASCII(args[1])]
		if sub == nil {
			c.lastCmd.Store(nil)
			s.reject(c, nil, "ERR unknown subcommand '"+string(cString(args[1], 128))+"'. Try "+
				strings.ToUpper(string(args[0]))+" HELP.")
			return
		}
		sp = sub
	}
	c.lastCmd.Store(sp)
	if n := len(args); (sp.arity > 0 && n != sp.arity) || n < -sp.arity {
		s.reject(c, sp, arityError(sp.name))
		return
	}
	if !sp.noAuth && s.authRequired(c) {
		if msg := s.authRefusal(c, sp); msg != "" {
			s.reject(c, sp, msg)
			return
		}
	}
	if msg := s.aclCheck(c, sp, args); msg != "" {
		s.reject(c, sp, msg)
		return
	}
	if queuedOOM(c, sp) && s.store.OverMemory() {
		s.reject(c, sp, fsm.OOMError)
		return
	}
	if msg := subscribedRefusal(c, sp); msg != "" {
		s.reject(c, sp, msg)
		return
	}
	if sp.keyspace && c.monitoring.Load() {
		// Redis flags a monitor as a replica, and a replica may not
		// touch the keyspace.
		s.reject(c, sp, "ERR Replica can't interact with the keyspace")
		return
	}
	if c.multi != nil && sp.noMulti {
		s.reject(c, sp, "ERR Command not allowed inside a transaction")
		return
	}
	if c.multi != nil && !sp.txnControl {
		s.queue(c, sp, args)
		return
	}
	nerr := c.w.nerr
	sp.run(s, c, args)
	s.called(c, sp, args, start, time.Now(), c.w.nerr > nerr)
	if c.multi == nil && !strings.HasPrefix(sp.name, "client|") {
		// CLIENT CACHING holds for one command, or one transaction.
		c.trk.caching = false
	}
}

// queuedOOM reports whether Redis would refuse sp, sent inside MULTI, when
// over maxmemory with nothing to evict: every command but EXEC, DISCARD,
// QUIT and RESET, for a queue may grow without bound (processCommand's
// reject_cmd_on_oom), and the refusal makes EXEC abort. The check reads
// this node's applied state (Store.OverMemory), which may lag the log: it
// is advisory, as Redis's is of its own state at that moment. What a
// transaction's commands do is decided when EXEC's entry is applied,
// where a denyoom command over the limit aborts it (EXECABORT) on every
// node alike.
func queuedOOM(c *client, sp *cmdSpec) bool {
	if c.multi == nil {
		return false
	}
	switch sp.name {
	case "exec", "discard", "quit", "reset":
		return false
	}
	return true
}

// lookup finds a top-level command by name, in any case, without
// allocating.
func (t *commandTable) lookup(name []byte) *cmdSpec {
	var buf [32]byte
	if len(name) > len(buf) {
		return nil
	}
	lower := buf[:len(name)]
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		lower[i] = ch
	}
	return t.specs[string(lower)]
}

// reject answers a command refused before it ran. As in Redis, a refused
// command inside MULTI makes the EXEC fail, and a refused EXEC discards the
// transaction.
func (s *Server) reject(c *client, sp *cmdSpec, text string) {
	if sp != nil {
		sp.stats.rejected.Add(1)
	}
	if c.multi != nil {
		c.multi.dirty = true
	}
	if sp != nil && sp.name == "exec" {
		s.discardTxn(c)
		c.w.err("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(text, "ERR "))
		return
	}
	c.w.err(text)
}

// data serves a command of the state machine that reached dispatch (handle
// serves them in serveData).
func (s *Server) data(c *client, args [][]byte) {
	s.serveData(c, []redcon.Command{{Args: args}}, nil)
}

// dataRun returns how many of cmds, from the first, are data commands that
// dispatch would run at once (known, with a valid number of arguments, the
// client authenticated, no transaction open): those serveData can take
// together.
func (s *Server) dataRun(c *client, cmds []redcon.Command) int {
	if c.multi != nil || s.authRequired(c) || (!c.w.resp3 && c.subs.active()) || !s.unrestricted(c) || c.monitoring.Load() {
		return 0
	}
	n := 0
	for _, cmd := range cmds {
		args := cmd.Args
		if len(args) == 0 {
			break
		}
		sp := s.cmds.lookup(args[0])
		if sp == nil || !sp.data {
			break
		}
		if k := len(args); (sp.arity > 0 && k != sp.arity) || k < -sp.arity {
			break
		}
		if sp.blocking && n > 0 {
			break // a command that may block is a run of its own
		}
		c.lastCmd.Store(sp)
		c.specs = append(c.specs[:n], sp)
		n++
		if sp.blocking {
			break
		}
	}
	return n
}

// An item is one command of a run being served by serveData.
type item struct {
	kind itemKind
	cmd  fsm.Command
	err  string // itemError: the reply
	// caching: CLIENT CACHING applies to this read (the run's first).
	caching bool
	failed  bool // its reply is an error
}

type itemKind uint8

const (
	itemError itemKind = iota // refused by fsm.Parse: the reply is err
	itemWrite
	itemRead
)

// serveData serves a run of data commands from one pipeline, as if one
// at a time, in fewer round trips. The run is cut into segments of writes
// followed by reads. A segment's writes are proposed together, as one raft
// proposal, and its reads share one read barrier, started before the
// writes are proposed so that both run at once. Each read follows the
// writes before it in the pipeline (the segment's writes have been applied
// here before any of its reads runs) and precedes those after it (the next
// segment's writes are proposed only once its reads have run): the
// connection's commands keep their order. Replies are written in order.
//
// Every command of the run is bounded by one deadline, Timeout from when
// they were read.
//
// specs are the commands' specs, for their counts (see called), or nil
// when the caller counts them. A command's latency is from when the run
// was read to when its segment's replies were written: a write's is its
// batch's round trip, a read's the barrier it waited for and its share of
// the segment's reads; the clock is read twice a segment, never per
// command.
func (s *Server) serveData(c *client, run []redcon.Command, specs []*cmdSpec) {
	now := time.Now()
	s.stats.commands.Add(int64(len(run)))
	c.lastActive.Store(now.Unix())
	// One clock reading for the run: its commands arrived together. The
	// node's clock (Config.Clock), not time.Now, stamps what is proposed,
	// as it is what reads go by.
	ms := s.cfg.Clock()
	db := int(c.db.Load())
	if len(run) == 1 && c.multi == nil {
		// dataRun gives a command that may block a run of its own.
		if pc, ok, err := fsm.Parse(run[0].Args, ms); ok && err == nil && pc.IsBlocking() {
			nerr := c.w.nerr
			s.serveBlocking(c, pc.InDB(db))
			if specs != nil {
				s.called(c, specs[0], run[0].Args, now, time.Now(), c.w.nerr > nerr)
			}
			return
		}
	}
	items := c.items[:0]
	caching := c.trk.caching
	c.trk.caching = false
	for _, cmd := range run {
		pc, ok, err := fsm.Parse(cmd.Args, ms)
		pc = pc.InDB(db).RunAs(c.userName())
		switch {
		case !ok:
			items = append(items, item{kind: itemError, err: unknownCommand(cmd.Args)})
		case err != nil:
			items = append(items, item{kind: itemError, err: err.Error()})
		case pc.IsWrite():
			items = append(items, item{kind: itemWrite, cmd: pc})
		default:
			items = append(items, item{kind: itemRead, cmd: pc, caching: caching})
		}
		caching = false
	}
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	for k := 0; k < len(items); {
		w := k // items[k:w]: writes (and errors)
		for w < len(items) && items[w].kind != itemRead {
			w++
		}
		r := w // items[w:r]: reads (and errors)
		for r < len(items) && items[r].kind != itemWrite {
			r++
		}
		barrier := w < r && !c.readonly.Load()
		var ticket cluster.ReadTicket
		if barrier {
			ticket = s.cluster.StartRead()
		}
		s.writeSegment(ctx, c, items[k:w])
		if specs != nil && k < w {
			end := time.Now()
			for i := k; i < w; i++ {
				s.called(c, specs[i], run[i].Args, now, end, items[i].failed)
			}
		}
		if w < r {
			var err error
			if barrier {
				err = s.cluster.WaitRead(ctx, ticket)
			}
			var waited time.Time
			if specs != nil {
				waited = time.Now()
			}
			s.readSegment(c, items[w:r], err)
			if specs != nil {
				// Each read's latency: the wait for the barrier (and
				// the writes before it) and its share of the reads.
				share := time.Since(waited) / time.Duration(r-w)
				start := now.Add(-share)
				for i := w; i < r; i++ {
					s.called(c, specs[i], run[i].Args, start, waited, items[i].failed)
				}
			}
		}
		k = r
	}
	clear(items) // they alias the requests' buffers
	c.items = items[:0]
}

// writeSegment proposes the writes of items as one batch and writes the
// replies of items in order.
func (s *Server) writeSegment(ctx context.Context, c *client, items []item) {
	ws, buf := c.writes[:0], c.wbuf[:0]
	for i := range items {
		if items[i].kind == itemWrite {
			start := len(buf)
			buf = items[i].cmd.AppendBinary(buf)
			ws = append(ws, cluster.Write{Cmd: buf[start:len(buf):len(buf)]})
		}
	}
	if len(ws) > 0 {
		// buf may have moved while it grew: point at its final place.
		off := 0
		for i := range ws {
			n := len(ws[i].Cmd)
			ws[i].Cmd = buf[off : off+n : off+n]
			off += n
		}
		s.cluster.ReplicateBatch(ctx, ws)
	}
	j := 0
	for i := range items {
		nerr := c.w.nerr
		if items[i].kind == itemError {
			c.w.err(items[i].err)
			items[i].failed = true
			continue
		}
		if r, ok := s.writeResult(c, ws[j]); ok {
			c.w.reply(r)
		}
		items[i].failed = c.w.nerr > nerr
		j++
	}
	clear(ws)
	c.writes, c.wbuf = ws[:0], buf[:0]
	// Invalidations of keys these writes changed follow their replies.
	c.w.buf = c.out.flushEntries(c.lastWrite, c.w.buf)
}

// readSegment writes the replies of items, reads and errors, in order;
// barrierErr is the failure of their read barrier, if any.
func (s *Server) readSegment(c *client, items []item, barrierErr error) {
	if barrierErr != nil {
		s.log.Debug("resp: read barrier failed", "remote", c.addr, "err", barrierErr)
	}
	// The clock is read after the barrier, which may have waited, so that
	// keys expiring meanwhile are not served.
	now := s.cfg.Clock()
	for i := range items {
		nerr := c.w.nerr
		switch {
		case items[i].kind == itemError:
			c.w.err(items[i].err)
		case barrierErr != nil:
			c.w.err(readFailure(barrierErr, s.cfg.Timeout))
		default:
			// Keys are remembered before the read: a write applied in
			// between invalidates what the read returns.
			s.tracker.remember(c, items[i].caching, items[i].cmd.Keys())
			r, denied := s.store.ReadScript(items[i].cmd, now)
			s.logScriptDenials(c, denied)
			c.w.reply(r)
		}
		items[i].failed = c.w.nerr > nerr
	}
}

// replicate proposes an encoded write and returns its reply, recording its
// log index for WAIT. On failure it has written the error and ok is false.
func (s *Server) replicate(ctx context.Context, c *client, cmd []byte) (r fsm.Reply, ok bool) {
	ws := append(c.writes[:0], cluster.Write{Cmd: cmd})
	s.cluster.ReplicateBatch(ctx, ws)
	r, ok = s.writeResult(c, ws[0])
	clear(ws)
	c.writes = ws[:0]
	return r, ok
}

// writeResult turns the outcome of a write into its reply, recording its
// log index for WAIT. On failure it has written the error and ok is false.
func (s *Server) writeResult(c *client, w cluster.Write) (r fsm.Reply, ok bool) {
	if w.Err != nil {
		s.log.Debug("resp: write failed", "remote", c.addr, "err", w.Err)
		c.w.err(writeFailure(w.Err, s.cfg.Timeout))
		return fsm.Reply{}, false
	}
	r, ok = w.Val.(fsm.Reply)
	if !ok {
		s.log.Error("resp: replicate returned an unexpected result", "type", fmt.Sprintf("%T", w.Val))
		c.w.err("ERR internal error: unexpected write result")
		return fsm.Reply{}, false
	}
	c.lastWrite = w.Index
	s.logDenials(c, w.Index)
	// Messages this write's entry (and those before it) pushed to this
	// connection go before its reply, as in Redis.
	c.w.buf = c.out.takeEntries(w.Index, c.w.buf)
	return s.resolvePublished(r, w.Index), true
}

// crossProtocol drops a connection that looks like an HTTP request, as
// Redis does, so that a browser tricked into posting to the port cannot
// run commands.
func (s *Server) crossProtocol(c *client) {
	s.log.Warn("resp: possible cross-protocol scripting attack; connection aborted", "remote", c.addr)
	c.closeAfter = true
}

func (s *Server) ping(c *client, args [][]byte) {
	if !c.w.resp3 && c.subs.active() && len(args) <= 2 {
		// A RESP2 subscriber tells a reply from a message by its
		// shape: Redis answers it with an array.
		c.w.array(2)
		c.w.bulkString("pong")
		if len(args) == 2 {
			c.w.bulk(args[1])
		} else {
			c.w.bulkString("")
		}
		return
	}
	switch len(args) {
	case 1:
		c.w.status("PONG")
	case 2:
		c.w.bulk(args[1])
	default:
		c.w.err(arityError("ping"))
	}
}

func (s *Server) echo(c *client, args [][]byte) { c.w.bulk(args[1]) }

func (s *Server) quit(c *client, args [][]byte) {
	c.w.status("OK")
	c.closeAfter = true
}

// reset returns the connection to its state right after connecting, as
// Redis's RESET does (the library name and version stay).
func (s *Server) reset(c *client, args [][]byte) {
	s.discardTxn(c)
	s.pubsub.dropAll(c)
	s.tracker.disable(c)
	s.monitors.remove(c)
	c.setProto(2)
	c.setName("")
	c.readonly.Store(false)
	c.db.Store(0)
	c.setUser("default")
	c.authed.Store(s.connectAuthed())
	c.w.status("RESET")
}

const wrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func (s *Server) auth(c *client, args [][]byte) {
	var user, pass []byte
	switch len(args) {
	case 2:
		if u, _ := s.store.ACLUser("default"); u.NoPass {
			c.w.err("ERR AUTH <password> called without any password configured for the default user. " +
				"Are you sure your configuration is correct?")
			return
		}
		user, pass = []byte("default"), args[1]
	case 3:
		user, pass = args[1], args[2]
	default:
		c.w.err("ERR syntax error")
		return
	}
	if msg := s.authenticate(c, args[0], user, pass); msg != "" {
		c.w.err(msg)
		return
	}
	c.w.status("OK")
}

// hello serves HELLO [protover [AUTH user pass] [SETNAME name]], with
// Redis's checks in Redis's order.
func (s *Server) hello(c *client, args [][]byte) {
	ver := 0
	next := 1
	if len(args) >= 2 {
		v, ok := fsm.ParseInt(args[1])
		if !ok {
			c.w.err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.w.err("NOPROTO unsupported protocol version")
			return
		}
		ver, next = int(v), 2
	}
	var user, pass, name []byte
	setName := false
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case fsm.EqualFold(args[j], "auth") && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case fsm.EqualFold(args[j], "setname") && more >= 1:
			name, setName = args[j+1], true
			if !validClientAttr(name) {
				c.w.err(badClientName)
				return
			}
			j++
		default:
			c.w.err("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if user != nil {
		if msg := s.authenticate(c, args[0], user, pass); msg != "" {
			c.w.err(msg)
			return
		}
	}
	if s.authRequired(c) {
		s.syncACL(s.cfg.Timeout)
	}
	if s.authRequired(c) {
		c.w.err("NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
			"HELLO AUTH <user> <pass> option can be used to authenticate the client and select the " +
			"RESP protocol version at the same time")
		return
	}
	if setName {
		c.setName(string(name))
	}
	if ver != 0 {
		c.setProto(ver)
	}
	role := "replica"
	if st := s.cluster.Status(); st.Leader == st.ID {
		role = "master"
	}
	proto := 2
	if c.w.resp3 {
		proto = 3
	}
	c.w.mapHeader(7)
	c.w.bulkString("server")
	c.w.bulkString("redis")
	c.w.bulkString("version")
	c.w.bulkString(redisVersion)
	c.w.bulkString("proto")
	c.w.int(int64(proto))
	c.w.bulkString("id")
	c.w.int(c.id)
	c.w.bulkString("mode")
	c.w.bulkString("standalone")
	c.w.bulkString("role")
	c.w.bulkString(role)
	c.w.bulkString("modules")
	c.w.array(0)
}

// selectDB serves SELECT: the connection's later data commands run in
// that database.
func (s *Server) selectDB(c *client, args [][]byte) {
	n, err := selectArg(args[1])
	if err != "" {
		c.w.err(err)
		return
	}
	c.db.Store(int64(n))
	c.w.status("OK")
}

// selectArg parses SELECT's argument, or returns Redis's error for it.
func selectArg(arg []byte) (db int, err string) {
	n, ok := fsm.ParseInt(arg)
	switch {
	case !ok:
		return 0, "ERR value is not an integer or out of range"
	case n < -1<<31 || n > 1<<31-1:
		return 0, "ERR value is out of range, value must between -2147483648 and 2147483647"
	case n < 0 || n >= fsm.NumDBs:
		return 0, "ERR DB index is out of range"
	}
	return int(n), ""
}

func (s *Server) time(c *client, args [][]byte) {
	now := time.Now()
	c.w.array(2)
	c.w.bulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.bulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// readOnly serves READONLY: from now on this connection's reads use the
// local state without a ReadIndex round, so on a follower they may be
// stale. It is the client's explicit choice, as on a Redis cluster replica.
func (s *Server) readOnly(c *client, args [][]byte) {
	c.readonly.Store(true)
	c.w.status("OK")
}

func (s *Server) readWrite(c *client, args [][]byte) {
	c.readonly.Store(false)
	c.w.status("OK")
}

func arityError(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// writeFailure turns a failed Replicate into a Redis error. Only errors that
// prove the write was not applied become CLUSTERDOWN; anything else (a
// timeout, a stop mid-flight) may have been committed, and the client must
// be told so rather than led to assume it failed.
func writeFailure(err error, timeout time.Duration) string {
	if errors.Is(err, cluster.ErrCannotPersist) {
		return misconf(err)
	}
	if errors.Is(err, cluster.ErrNoLeader) || errors.Is(err, cluster.ErrProposalDropped) {
		return "CLUSTERDOWN The cluster is down: " + failureReason(err, timeout)
	}
	return "TRYAGAIN write outcome unknown: " + failureReason(err, timeout)
}

// misconf is the reply to a write refused because this node cannot write
// snapshots (cluster.ErrCannotPersist): Redis's MISCONF, which it answers
// writes with while its last RDB save failed (stop-writes-on-bgsave-error),
// worded for raftcache, with the operating system's reason ("no space left
// on device"). Nothing was proposed, so the write certainly did not happen;
// reads are still served, and writes are accepted again once a snapshot is
// saved.
func misconf(err error) string {
	reason := strings.TrimPrefix(err.Error(), cluster.ErrCannotPersist.Error()+": ")
	return "MISCONF raftcache is unable to persist to disk: the last snapshot could not be written (" + reason +
		"). Commands that may modify the data set are disabled on this node until a snapshot is saved. Please check the node's log for details."
}

// readFailure turns a failed read barrier into a Redis error. A read changes
// nothing, so every failure is simply "cannot serve now".
func readFailure(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "CLUSTERDOWN The cluster is down: read barrier timed out after " + timeout.String()
	}
	return "CLUSTERDOWN The cluster is down: " + failureReason(err, timeout)
}

func failureReason(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, cluster.ErrNoLeader):
		return "no leader"
	case errors.Is(err, cluster.ErrProposalDropped):
		return "proposal dropped"
	case errors.Is(err, cluster.ErrOutcomeUnknown):
		return strings.ReplaceAll(err.Error(), "raftcache: ", "")
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out after " + timeout.String()
	case errors.Is(err, context.Canceled):
		return "server shutting down"
	case errors.Is(err, cluster.ErrStopped):
		return "node stopped"
	case errors.Is(err, cluster.ErrRemoved):
		return "node removed from the cluster"
	}
	return strings.ReplaceAll(err.Error(), "raftcache: ", "")
}

// unknownCommand is Redis 7's reply to an unknown command, down to the
// quoting, the 128-byte caps and the trailing space.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.Write(cString(args[0], 128))
	b.WriteString("', with args beginning with: ")
	n := 0 // length of the argument list so far, as Redis counts it
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		a = cString(a, 128-n)
		b.WriteByte('\'')
		b.Write(a)
		b.WriteString("' ")
		n += len(a) + 3
	}
	return b.String()
}

// cString is b as C's "%.*s" prints it: cut at the first NUL and at most
// max bytes.
func cString(b []byte, max int) []byte {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return b
}
