package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// walMeta is the identity a node writes into its WAL when it is created, so
// that a restart is the same member, whatever flags it is given.
type walMeta struct {
	ID uint64 `json:"id"`
	// Founder marks the node that bootstrapped a new cluster. A founder whose
	// WAL holds no entries crashed before its bootstrap was durable and may
	// bootstrap again; a joiner in that state waits for the leader instead.
	Founder bool `json:"founder,omitempty"`
	// Peers is the member list a joiner was given. Until it has applied
	// the log entries that added them, it is the only way a restarted
	// joiner knows how to reach the others, answer the leader, and so ever
	// receive those entries.
	Peers []memberMeta `json:"peers,omitempty"`
}

// disk is a node's durable state in its state directory: etcd's WAL for the
// log and HardState, snapshot files for the state machine, and raft's
// MemoryStorage as the in-memory view raft reads from.
type disk struct {
	log   *slog.Logger
	zl    *zap.Logger
	dir   string
	snaps snapDir
	mem   *raft.MemoryStorage

	// walMu serializes every call into the WAL (see walDo): the raft loop
	// saves while the snapshot goroutine records snapshots and releases
	// segments, and etcd's WAL takes its own lock in some methods only
	// (not in Sync, which reads the segment list ReleaseLockTo rewrites).
	walMu  sync.Mutex
	wal    *wal.WAL
	walErr error                 // the first failure; every later call returns it
	fault  func(op string) error // tests: make the WAL call op fail

	purgeStop chan struct{}
	purgeDone <-chan struct{} // closed once the purge stopped by purgeStop has returned
	purgeErrc chan error      // the WAL purge's first error; it purges no more after one
}

// walDo runs one call into the WAL, under walMu. The first failure is
// fatal: every later call returns it without touching the WAL, and the
// caller stops the node. After a failed fdatasync the kernel may have
// dropped the dirty pages and report the next fdatasync a success, so
// nothing written after it could be trusted, let alone acknowledged; etcd
// exits for the same reason.
func (d *disk) walDo(op string, f func(w *wal.WAL) error) error {
	d.walMu.Lock()
	defer d.walMu.Unlock()
	if d.walErr != nil {
		return d.walErr
	}
	var err error
	if d.fault != nil {
		err = d.fault(op)
	}
	if err == nil {
		err = f(d.wal)
	}
	if err != nil {
		d.walErr = fmt.Errorf("%w: wal %s: %w", ErrStorage, op, err)
		return d.walErr
	}
	return nil
}

// recovered is what a restart found on disk.
type recovered struct {
	meta     walMeta
	snap     *snapHeader // nil when there is no snapshot
	hard     *raftpb.HardState
	nEntries int
}

func walDir(stateDir string) string   { return filepath.Join(stateDir, "wal") }
func snapPath(stateDir string) string { return filepath.Join(stateDir, "snap") }

// hasState reports whether stateDir holds a node's WAL, i.e. whether starting
// there is a restart.
func hasState(stateDir string) bool { return wal.Exist(walDir(stateDir)) }

func newDisk(stateDir string, log *slog.Logger) (*disk, error) {
	for _, d := range []string{stateDir, snapPath(stateDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create state dir: %w", err)
		}
	}
	d := &disk{log: log, zl: newZapLogger(log), dir: stateDir, snaps: newSnapDir(snapPath(stateDir)), mem: raft.NewMemoryStorage()}
	if err := d.snaps.purge(3, false); err != nil {
		return nil, err
	}
	return d, nil
}

// create makes a new WAL holding meta. A WAL is created in a temporary
// directory and renamed by etcd's package, so a crash never leaves half a WAL.
func (d *disk) create(meta walMeta) error {
	b, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode wal metadata: %w", err)
	}
	w, err := wal.Create(d.zl, walDir(d.dir), b)
	if err != nil {
		return fmt.Errorf("create wal: %w", err)
	}
	d.wal = w
	d.startPurge()
	return nil
}

// open recovers the state directory: the newest snapshot that the WAL
// vouches for, then the WAL after it. A torn WAL tail (a crash mid-write) is
// repaired once, dropping only the incomplete record, which was never
// acknowledged because its fsync had not returned.
func (d *disk) open() (recovered, error) {
	var rec recovered
	dirW := walDir(d.dir)
	walSnaps, err := wal.ValidSnapshotEntries(d.zl, dirW)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		d.log.Warn("wal has a torn tail; repairing", "dir", dirW)
		if !wal.Repair(d.zl, dirW) {
			return rec, fmt.Errorf("repair wal: %w", err)
		}
		walSnaps, err = wal.ValidSnapshotEntries(d.zl, dirW)
	}
	if err != nil {
		return rec, fmt.Errorf("read wal snapshots: %w", err)
	}
	start := &walpb.Snapshot{}
	if h, ok, err := d.newestSnapshot(walSnaps); err != nil {
		return rec, err
	} else if ok {
		rec.snap = &h
		start = &walpb.Snapshot{Index: &h.Index, Term: &h.Term}
	}

	var (
		metaB []byte
		hs    *raftpb.HardState
		ents  []*raftpb.Entry
	)
	for repaired := false; ; repaired = true {
		w, err := wal.Open(d.zl, dirW, start)
		if err != nil {
			return rec, fmt.Errorf("open wal: %w", err)
		}
		metaB, hs, ents, err = w.ReadAll()
		if err == nil {
			d.wal = w
			break
		}
		w.Close()
		if repaired || !errors.Is(err, io.ErrUnexpectedEOF) {
			return rec, fmt.Errorf("read wal: %w", err)
		}
		d.log.Warn("wal has a torn tail; repairing", "dir", dirW, "err", err)
		if !wal.Repair(d.zl, dirW) {
			return rec, fmt.Errorf("repair wal: %w", err)
		}
	}
	if err := json.Unmarshal(metaB, &rec.meta); err != nil || rec.meta.ID == 0 {
		d.wal.Close()
		return rec, fmt.Errorf("wal metadata %q: not a raftcache node identity", metaB)
	}
	if rec.snap != nil {
		cs := &raftpb.ConfState{Voters: rec.snap.Voters, Learners: rec.snap.Learners}
		snap := &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: &rec.snap.Index, Term: &rec.snap.Term, ConfState: cs}}
		if err := d.mem.ApplySnapshot(snap); err != nil {
			d.wal.Close()
			return rec, fmt.Errorf("load snapshot into raft storage: %w", err)
		}
	}
	if err := d.mem.SetHardState(hs); err != nil {
		d.wal.Close()
		return rec, fmt.Errorf("load hard state: %w", err)
	}
	if err := d.mem.Append(ents); err != nil {
		d.wal.Close()
		return rec, fmt.Errorf("load wal entries: %w", err)
	}
	rec.hard, rec.nEntries = hs, len(ents)
	d.startPurge()
	return rec, nil
}

// newestSnapshot picks the newest snapshot file whose term and index the WAL
// recorded: a file without a WAL record may be a received snapshot whose
// entries were never made durable, and must not be trusted.
func (d *disk) newestSnapshot(walSnaps []*walpb.Snapshot) (snapHeader, bool, error) {
	files, err := d.snaps.list()
	if err != nil {
		return snapHeader{}, false, err
	}
	known := make(map[snapFile]bool, len(walSnaps))
	for _, s := range walSnaps {
		known[snapFile{s.GetTerm(), s.GetIndex()}] = true
	}
	for _, f := range files {
		if !known[f] {
			continue
		}
		h, err := verifySnapFile(d.snaps.path(f.term, f.index))
		if err != nil {
			d.log.Warn("skipping unusable snapshot", "err", err)
			continue
		}
		return h, true, nil
	}
	return snapHeader{}, false, nil
}

// startPurge removes WAL segments that snapshots made obsolete. etcd's purge
// only deletes a segment once the WAL has released its lock on it
// (ReleaseLockTo after a snapshot), so live segments are never removed.
// It keeps none of the released ones, and looks every second: a restart
// decodes every segment left (wal.ValidSnapshotEntries), and after a 1M-key
// load the old ones were most of a second of it.
func (d *disk) startPurge() {
	if d.purgeErrc == nil {
		d.purgeErrc = make(chan error, 1)
	}
	stop := make(chan struct{})
	// Keeping one segment, the purge finds the oldest still locked (in
	// use) most of the time, and warns about it every second: only its
	// errors are worth a line.
	lg := newZapLoggerAt(d.log, zapcore.ErrorLevel)
	done, errc := fileutil.PurgeFileWithDoneNotify(lg, walDir(d.dir), "wal", 1, time.Second, stop)
	d.purgeStop, d.purgeDone = stop, done
	// Forwarded, so that watchPurge keeps one channel across reopenWAL's
	// restarts of the purge.
	go func() {
		var err error
		select {
		case err = <-errc:
		case <-done:
			select {
			case err = <-errc: // sent just before it returned
			default:
				return
			}
		}
		select {
		case d.purgeErrc <- err:
		default:
		}
	}()
}

// reopenWAL closes the WAL and opens it again at the snapshot h, which
// compact has just recorded, for a node whose disk was full and has room
// again (see persistHealth). etcd's WAL preallocates its next segment in
// the background, and once that fails (a full disk) it never tries again:
// the WAL would fail at its next segment cut, however much space is back.
// Opened again, it preallocates afresh. The purge is stopped meanwhile:
// with the WAL closed no segment is locked, and it removes every unlocked
// segment but the newest.
func (d *disk) reopenWAL(h snapHeader) error {
	return d.walDo("reopen", func(w *wal.WAL) error {
		close(d.purgeStop)
		<-d.purgeDone
		defer d.startPurge()
		if err := w.Close(); err != nil {
			return fmt.Errorf("close: %w", err)
		}
		nw, err := wal.Open(d.zl, walDir(d.dir), &walpb.Snapshot{Index: &h.Index, Term: &h.Term})
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		// In write mode the WAL must be read to its end before it is
		// appended to; the entries are in raft's storage already.
		if _, _, _, err := nw.ReadAll(); err != nil {
			nw.Close()
			return fmt.Errorf("read: %w", err)
		}
		d.wal = nw
		return nil
	})
}

// saveReady persists one Ready: the snapshot record first, then entries and
// HardState, durably. With the snapshot first, a crash between the two can
// never leave a HardState whose commit index points past the log we have.
func (d *disk) saveReady(rd *raft.Ready) error {
	if !raft.IsEmptySnap(rd.Snapshot) {
		md := rd.Snapshot.GetMetadata()
		ws := &walpb.Snapshot{Index: md.Index, Term: md.Term, ConfState: md.ConfState}
		if err := d.walDo("save snapshot record", func(w *wal.WAL) error { return w.SaveSnapshot(ws) }); err != nil {
			return err
		}
	}
	if err := d.walDo("save", func(w *wal.WAL) error { return w.Save(rd.HardState, rd.Entries) }); err != nil {
		return err
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		// etcd's WAL syncs a Save only when the term, the vote or the
		// entries change, but on restart a snapshot record counts only if
		// a durable HardState commits its index. Without this sync, a
		// crash after we acknowledge the snapshot (the messages of this
		// Ready) loses it while the leader believes it delivered; the node
		// then panics on the leader's first heartbeat, at every restart
		// (etcd issue 10219).
		if err := d.walDo("sync", func(w *wal.WAL) error { return w.Sync() }); err != nil {
			return err
		}
		if err := d.mem.ApplySnapshot(rd.Snapshot); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
			return fmt.Errorf("apply snapshot to raft storage: %w", err)
		}
	}
	if err := d.mem.Append(rd.Entries); err != nil {
		return fmt.Errorf("append to raft storage: %w", err)
	}
	return nil
}

// compact records a snapshot the apply loop wrote at index, then lets raft
// and the WAL drop what it covers, keeping catchUp entries so that a
// follower slightly behind gets entries rather than a whole snapshot.
func (d *disk) compact(h snapHeader, catchUp, catchUpBytes uint64) error {
	cs := &raftpb.ConfState{Voters: h.Voters, Learners: h.Learners}
	ws := &walpb.Snapshot{Index: &h.Index, Term: &h.Term, ConfState: cs}
	if err := d.walDo("save snapshot record", func(w *wal.WAL) error { return w.SaveSnapshot(ws) }); err != nil {
		return err
	}
	if _, err := d.mem.CreateSnapshot(h.Index, cs, nil); err != nil {
		if errors.Is(err, raft.ErrSnapOutOfDate) {
			return nil // a newer snapshot arrived from the leader meanwhile
		}
		return fmt.Errorf("create raft snapshot: %w", err)
	}
	if to := catchUpFrom(d.mem, h.Index, catchUp, catchUpBytes); to > 0 {
		if err := d.mem.Compact(to); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return fmt.Errorf("compact raft log: %w", err)
		}
	}
	if err := d.walDo("release", func(w *wal.WAL) error { return w.ReleaseLockTo(h.Index) }); err != nil {
		return err
	}
	return d.snaps.purge(3, true)
}

func (d *disk) close() error {
	d.walMu.Lock() // reopenWAL replaces purgeStop under it
	defer d.walMu.Unlock()
	if d.purgeStop != nil {
		close(d.purgeStop)
	}
	if d.wal == nil {
		return nil
	}
	// Closed even after a failure, to release its files; the failure
	// was reported when it happened.
	if err := d.wal.Close(); err != nil && d.walErr == nil {
		return fmt.Errorf("close wal: %w", err)
	}
	return nil
}

// joinIDFile holds the ID a joining node chose, until its WAL exists.
func joinIDFile(stateDir string) string { return filepath.Join(stateDir, "join-id") }

// joinID returns the member ID this state dir asks to join as: the one
// chosen by an earlier attempt if any, else a new one, made durable before
// it is returned.
func joinID(stateDir string) (uint64, error) {
	name := joinIDFile(stateDir)
	b, err := os.ReadFile(name)
	switch {
	case err == nil:
		id, err := ParseID(strings.TrimSpace(string(b)))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return id, nil
	case !errors.Is(err, os.ErrNotExist):
		return 0, fmt.Errorf("read join id: %w", err)
	}
	id := randomID()
	tmp := name + ".tmp"
	if err := writeSynced(tmp, []byte(FormatID(id)+"\n")); err != nil {
		return 0, fmt.Errorf("write join id: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return 0, fmt.Errorf("write join id: %w", err)
	}
	if err := syncDir(stateDir); err != nil {
		return 0, fmt.Errorf("write join id: %w", err)
	}
	return id, nil
}

// removeJoinID forgets the join ID once the WAL holds the identity.
func removeJoinID(stateDir string) error {
	if err := os.Remove(joinIDFile(stateDir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove join id: %w", err)
	}
	return nil
}

func writeSynced(name string, b []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// defaultCatchUpBytes bounds the memory of the entries kept behind a
// snapshot. Counted in entries alone, as etcd counts them, the window
// costs 5,000 times the size of a write: half a megabyte of 64-byte SETs,
// but over a gigabyte of 256 KiB values, held for as long as writes are
// slow to come. A follower further behind than the window is sent a
// snapshot, as a Redis replica past its backlog gets a full resync; at
// 32 MiB that takes writes of over 6 KiB on average to happen before the
// 5,000 entries do.
const defaultCatchUpBytes = 32 << 20

// catchUpFrom is the index to compact the in-memory log to after a
// snapshot at snapIndex: the newest entries up to snapIndex stay, at most
// maxEntries of them and at most maxBytes of their encoded size (but
// always the entry at snapIndex itself, however large). It returns 0 when
// nothing is to be compacted.
func catchUpFrom(mem *raft.MemoryStorage, snapIndex, maxEntries, maxBytes uint64) uint64 {
	var to uint64 // keep to+1..snapIndex
	if snapIndex > maxEntries {
		to = snapIndex - maxEntries
	}
	first, err := mem.FirstIndex()
	if err != nil {
		return to
	}
	lo := max(to+1, first)
	if lo > snapIndex {
		return to
	}
	ents, err := mem.Entries(lo, snapIndex+1, math.MaxUint64)
	if err != nil {
		return to
	}
	var size uint64
	for i := len(ents) - 1; i >= 0; i-- {
		size += uint64(len(ents[i].GetData())) + entryOverhead
		if size > maxBytes && i < len(ents)-1 {
			return ents[i].GetIndex()
		}
	}
	return to
}

// entryOverhead approximates what an entry costs in memory beside its
// data: the message struct and its optional fields' own allocations.
const entryOverhead = 96
