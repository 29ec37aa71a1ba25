package resp

import (
	"context"
	"time"

	"github.com/raftcache/raftcache/fsm"
)

// SAVE, BGSAVE, LASTSAVE and SHUTDOWN. Redis's RDB file is, here, the
// node's raft snapshot: SAVE writes one now, and a restart loads the
// newest, replaying the WAL after it. Unlike Redis's, nothing acknowledged
// is lost without one: every acknowledged write is in the WAL already, so
// a snapshot only shortens the WAL a restart replays. Each node snapshots
// its own state, as each Redis replica writes its own RDB file.

// snapshotter is the part of the node SAVE needs (cluster.Node has it).
type snapshotter interface {
	SnapshotNow(ctx context.Context) (uint64, error)
}

func (s *Server) snapshotNow(ctx context.Context) error {
	sn, ok := s.cluster.(snapshotter)
	if !ok {
		return errNoSnapshots
	}
	_, err := sn.SnapshotNow(ctx)
	return err
}

type saveError string

func (e saveError) Error() string { return string(e) }

const errNoSnapshots = saveError("resp: this node cannot take snapshots")

// saveTimeout bounds SAVE and SHUTDOWN SAVE: a snapshot is written at disk
// speed, and a disk that does not answer in this long is failing.
const saveTimeout = time.Minute

// save serves SAVE: a snapshot now, answered once it is durable. Like
// Redis's, it is refused while a BGSAVE runs, and a failure is a bare
// "ERR" (the cause goes to the log).
func (s *Server) save(c *client, args [][]byte) {
	if !s.bgsaving.CompareAndSwap(false, true) {
		c.w.err("ERR Background save already in progress")
		return
	}
	defer s.bgsaving.Store(false)
	ctx, cancel := context.WithTimeout(c.ctx, saveTimeout)
	defer cancel()
	if err := s.snapshotNow(ctx); err != nil {
		s.log.Warn("resp: SAVE", "err", err)
		c.w.err("ERR")
		return
	}
	c.w.status("OK")
}

// bgsave serves BGSAVE [SCHEDULE]: a snapshot now, on its own goroutine.
// Inside a transaction Redis only schedules it, and says so; here it
// starts at once either way.
func (s *Server) bgsave(c *client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !fsm.EqualFold(args[1], "schedule")) {
		c.w.err("ERR syntax error")
		return
	}
	if !s.bgsaving.CompareAndSwap(false, true) {
		c.w.err("ERR Background save already in progress")
		return
	}
	go func() {
		defer s.bgsaving.Store(false)
		ctx, cancel := context.WithTimeout(s.base, saveTimeout)
		defer cancel()
		if err := s.snapshotNow(ctx); err != nil {
			s.log.Warn("resp: BGSAVE", "err", err)
		}
	}()
	if c.inExec {
		c.w.status("Background saving scheduled")
		return
	}
	c.w.status("Background saving started")
}

// lastsave serves LASTSAVE: when this node last wrote (or, with nothing
// new to write, confirmed) a snapshot, or when it started if it has made
// none (Redis's is its start time too).
func (s *Server) lastsave(c *client, args [][]byte) {
	at := s.started
	if t := s.cluster.Status().LastSnapshotAt; !t.IsZero() {
		at = t
	}
	c.w.int(at.Unix())
}

// shutdown serves SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] as SIGTERM:
// the node stops taking requests, lets those in flight finish and closes
// its WAL (Config.Shutdown), and the process exits 0. SAVE takes a
// snapshot first; without it none is taken, since the WAL already holds
// every write (Redis's default saves only when save points are set). NOW
// and FORCE are accepted: there are no replicas to wait for, and a failed
// SAVE refuses the shutdown, as Redis's without FORCE. The connection
// closes without a reply, as Redis's does.
func (s *Server) shutdown(c *client, args [][]byte) {
	var save, nosave, other, abort bool
	for _, a := range args[1:] {
		switch {
		case fsm.EqualFold(a, "save"):
			save = true
		case fsm.EqualFold(a, "nosave"):
			nosave = true
		case fsm.EqualFold(a, "now"), fsm.EqualFold(a, "force"):
			other = true
		case fsm.EqualFold(a, "abort"):
			abort = true
		default:
			c.w.err("ERR syntax error")
			return
		}
	}
	switch {
	case (save && nosave) || (abort && (save || nosave || other)):
		c.w.err("ERR syntax error")
		return
	case abort:
		c.w.err("ERR No shutdown in progress.")
		return
	case s.cfg.Shutdown == nil:
		c.w.err("ERR SHUTDOWN is not available on this server")
		return
	case s.cfg.ProtectOps && !s.credentialed(c):
		c.w.err("NOPERM this node runs with -protect_ops: SHUTDOWN needs a user with a password")
		return
	}
	if save {
		ctx, cancel := context.WithTimeout(c.ctx, saveTimeout)
		err := s.snapshotNow(ctx)
		cancel()
		if err != nil {
			s.log.Warn("resp: SHUTDOWN SAVE", "err", err)
			c.w.err("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	s.log.Info("resp: SHUTDOWN requested", "remote", c.addr, "user", c.userName())
	c.closeAfter = true
	s.cfg.Shutdown()
}

// credentialed reports whether c runs as a user that needs a password,
// and so proved it knows one: what -protect_ops asks of the admin API's
// ops routes, asked of SHUTDOWN too.
func (s *Server) credentialed(c *client) bool {
	p := s.perms(c.userName())
	return p != nil && p.user.On && !p.user.NoPass && c.authed.Load()
}
