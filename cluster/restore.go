package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"

	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// RestoreConfig describes the new single-member cluster Restore makes from
// a backup.
type RestoreConfig struct {
	File     string // written by Backup (GET /mgmt/snapshot)
	StateDir string // must not exist, or be empty
	// The new member's addresses, as Config's AdvertiseRaft, APIAddr and
	// RESPAddr: they go into its membership.
	RaftAddr, APIAddr, RESPAddr string
	// StateMachine must accept the file's state: Restore restores it there
	// first, so that a file this build cannot read is refused before any
	// state directory exists. Start then restores it again, from StateDir.
	StateMachine StateMachine
	Logger       *slog.Logger
}

// Restore makes StateDir the state directory of the only member of a new
// cluster, holding exactly the state in the backup cfg.File: Start then
// restarts that member. The member gets a new ID; the backup's members,
// and the members its cluster had removed, are forgotten, as with etcd's
// snapshot restore.
//
// A file that is not a whole backup of a format this build reads (another
// file format, a torn or corrupt file, a state machine stream of another
// version) is refused with an error saying so, and nothing is left behind:
// the directory is built aside and renamed into place only when complete.
func Restore(cfg RestoreConfig) (id uint64, info BackupInfo, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if hasState(cfg.StateDir) {
		return 0, info, fmt.Errorf("restore: %s already holds a member; restore into a new directory", cfg.StateDir)
	}
	if ents, err := os.ReadDir(cfg.StateDir); err == nil && len(ents) > 0 {
		return 0, info, fmt.Errorf("restore: %s is not empty; restore into a new directory", cfg.StateDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	if err := checkSnapFormat(cfg.File); err != nil {
		return 0, info, fmt.Errorf("restore from %s: %w", cfg.File, err)
	}
	h, err := verifySnapFile(cfg.File)
	if err != nil {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	info = BackupInfo{Term: h.Term, Index: h.Index}
	f, err := os.Open(cfg.File)
	if err != nil {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	body, err := snapBody(f)
	if err != nil {
		return 0, info, fmt.Errorf("restore from %s: %w", cfg.File, err)
	}
	if err := cfg.StateMachine.Restore(bufio.NewReaderSize(io.NewSectionReader(f, body.off, body.n), 1<<20)); err != nil {
		return 0, info, fmt.Errorf("restore from %s: %w", cfg.File, err)
	}

	id = randomID()
	tmp := filepath.Clean(cfg.StateDir) + ".restoring"
	if err := os.RemoveAll(tmp); err != nil { // left by a crash during an earlier attempt
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	nh := snapHeader{Term: h.Term, Index: h.Index, Voters: []uint64{id},
		Members: []memberMeta{{ID: id, RaftAddr: cfg.RaftAddr, APIAddr: cfg.APIAddr, RESPAddr: cfg.RESPAddr}}}
	if err := writeRestoredState(tmp, nh, body.copier(f), cfg.Logger); err != nil {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	if err := os.Remove(cfg.StateDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, cfg.StateDir); err != nil {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(filepath.Dir(filepath.Clean(cfg.StateDir))); err != nil {
		return 0, info, fmt.Errorf("restore: %w", err)
	}
	cfg.Logger.Info("restored a backup as a new single-member cluster", "file", cfg.File, "id", FormatID(id),
		"index", h.Index, "term", h.Term, "backup_members", len(h.Members))
	return id, info, nil
}

// checkSnapFormat tells a snapshot file of another format version from a
// file that is no snapshot at all, so that the error says which.
func checkSnapFormat(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var magic [len(snapMagic)]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return fmt.Errorf("not a raftcache snapshot (%d bytes or fewer)", len(magic))
	}
	const family = len(snapMagic) - 2 // the last two bytes are the version
	switch {
	case string(magic[:]) == snapMagic:
		return nil
	case string(magic[:family]) == snapMagic[:family]:
		return fmt.Errorf("snapshot file format version %d; this build reads version %d",
			int(magic[family])<<8|int(magic[family+1]), int(snapMagic[family])<<8|int(snapMagic[family+1]))
	default:
		return errors.New("not a raftcache snapshot (bad magic)")
	}
}

// bodyRange is where a snapshot file's state machine stream lies.
type bodyRange struct{ off, n int64 }

// snapBody finds the state machine stream in a verified snapshot file.
func snapBody(f *os.File) (bodyRange, error) {
	st, err := f.Stat()
	if err != nil {
		return bodyRange{}, err
	}
	cr := &countingReader{r: io.NewSectionReader(f, 0, st.Size()-4)}
	if _, err := readSnapHeader(cr); err != nil {
		return bodyRange{}, err
	}
	return bodyRange{off: cr.n, n: st.Size() - 4 - cr.n}, nil
}

// copier writes the stream's bytes as they are: the restored snapshot
// carries the backup's state byte for byte, under a new header.
func (b bodyRange) copier(f *os.File) io.WriterTo {
	return writerToFunc(func(w io.Writer) (int64, error) {
		return io.Copy(w, io.NewSectionReader(f, b.off, b.n))
	})
}

type writerToFunc func(io.Writer) (int64, error)

func (f writerToFunc) WriteTo(w io.Writer) (int64, error) { return f(w) }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// writeRestoredState creates, in dir, the state a member has right after
// it installed the snapshot h: the snapshot file, and a WAL whose snapshot
// record and HardState commit it.
func writeRestoredState(dir string, h snapHeader, body io.WriterTo, log *slog.Logger) error {
	d, err := newDisk(dir, log)
	if err != nil {
		return err
	}
	if err := d.create(walMeta{ID: h.Voters[0]}); err != nil {
		return err
	}
	err = d.snaps.write(h, body, nil)
	if err == nil {
		cs := &raftpb.ConfState{Voters: h.Voters}
		ws := &walpb.Snapshot{Index: &h.Index, Term: &h.Term, ConfState: cs}
		err = d.walDo("save snapshot record", func(w *wal.WAL) error { return w.SaveSnapshot(ws) })
	}
	if err == nil {
		hs := &raftpb.HardState{Term: &h.Term, Commit: &h.Index}
		err = d.walDo("save", func(w *wal.WAL) error { return w.Save(hs, nil) })
	}
	if err == nil {
		err = d.walDo("sync", func(w *wal.WAL) error { return w.Sync() })
	}
	return errors.Join(err, d.close())
}

// forceNewCluster rewrites a restarting member's log so that it is the only
// member, as etcd's --force-new-cluster does, except that the whole log it
// holds is kept and committed, not only up to its recorded commit index:
// a leader records its commit index lazily, so entries past it may well
// have been acknowledged (an entry never committed was a write whose
// outcome its client was told is unknown). Entries that remove every other
// member are appended and marked committed. The
// node applies them as any membership change, so its state, snapshots and
// log stay consistent, and its later restarts need no flag. What the
// others committed that this member never learned of is lost.
func (d *disk) forceNewCluster(rec recovered, log *slog.Logger) error {
	self := rec.meta.ID
	hs := rec.hard
	last, err := d.mem.LastIndex()
	if err != nil {
		return fmt.Errorf("force new cluster: %w", err)
	}
	commit := max(hs.GetCommit(), last)
	var voters, learners []uint64
	first := uint64(1)
	if rec.snap != nil {
		voters, learners = slices.Clone(rec.snap.Voters), slices.Clone(rec.snap.Learners)
		first = rec.snap.Index + 1
	}
	if commit >= first {
		ents, err := d.mem.Entries(first, commit+1, math.MaxUint64)
		if err != nil {
			return fmt.Errorf("force new cluster: read the log: %w", err)
		}
		for _, e := range ents {
			if e.GetType() != raftpb.EntryConfChange {
				continue
			}
			var cc raftpb.ConfChange
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				return fmt.Errorf("force new cluster: decode conf change at %d: %w", e.GetIndex(), err)
			}
			id := cc.GetNodeId()
			voters, learners = slices.DeleteFunc(voters, func(v uint64) bool { return v == id }), slices.DeleteFunc(learners, func(v uint64) bool { return v == id })
			switch cc.GetType() {
			case raftpb.ConfChangeAddNode:
				voters = append(voters, id)
			case raftpb.ConfChangeAddLearnerNode:
				learners = append(learners, id)
			}
		}
	}
	if !slices.Contains(voters, self) {
		return fmt.Errorf("force new cluster: %s is not a voter as of its commit index %d (voters %v); start it from a backup with -restore instead",
			FormatID(self), commit, fmtIDs(voters))
	}
	var others []uint64
	for _, id := range append(voters, learners...) {
		if id != self && id != 0 {
			others = append(others, id)
		}
	}
	log.Warn("FORCING A NEW CLUSTER: this member drops the others from its membership and serves alone; "+
		"writes the others committed after its commit index are lost, and they must not be restarted with their old state",
		"id", FormatID(self), "commit", commit, "removing", fmtIDs(others))
	if len(others) == 0 {
		return nil
	}
	term := hs.GetTerm()
	ents := make([]*raftpb.Entry, len(others))
	for i, id := range others {
		typ := raftpb.ConfChangeRemoveNode
		cc := &raftpb.ConfChange{Type: &typ, NodeId: &id, Context: encodeConfContext(0, 0, nil)}
		data, err := proto.Marshal(cc)
		if err != nil {
			return fmt.Errorf("force new cluster: encode conf change: %w", err)
		}
		idx, et := commit+1+uint64(i), raftpb.EntryConfChange
		ents[i] = &raftpb.Entry{Term: &term, Index: &idx, Type: &et, Data: data}
	}
	last = commit + uint64(len(others))
	nhs := &raftpb.HardState{Term: &term, Vote: hs.Vote, Commit: &last}
	if err := d.walDo("save", func(w *wal.WAL) error { return w.Save(nhs, ents) }); err != nil {
		return err
	}
	if err := d.walDo("sync", func(w *wal.WAL) error { return w.Sync() }); err != nil {
		return err
	}
	if err := d.mem.Append(ents); err != nil {
		return fmt.Errorf("force new cluster: %w", err)
	}
	if err := d.mem.SetHardState(nhs); err != nil {
		return fmt.Errorf("force new cluster: %w", err)
	}
	return nil
}

func fmtIDs(ids []uint64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = FormatID(id)
	}
	return out
}
