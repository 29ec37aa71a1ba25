package cluster

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// A snapshot file holds everything a node needs to resume from a log index:
//
//	magic   "RCSNAP\x00\x01"
//	uint32  header length (little endian), then the JSON header: term, index,
//	        configuration and member addresses at that index
//	...     the state machine's own stream (StateMachine.Snapshot().WriteTo)
//	uint32  CRC-32C of everything before it
//
// The same bytes travel to a follower that needs a snapshot, so a follower
// stores exactly what the leader wrote and both verify the same checksum.
const snapMagic = "RCSNAP\x00\x01"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// snapHeader is the cluster's part of a snapshot: where in the log it was
// taken and who the members were at that point.
type snapHeader struct {
	Term     uint64       `json:"term"`
	Index    uint64       `json:"index"`
	Voters   []uint64     `json:"voters"`
	Learners []uint64     `json:"learners,omitempty"`
	Members  []memberMeta `json:"members"`
	Removed  []uint64     `json:"removed,omitempty"`
	Recent   []confKey    `json:"recent_changes,omitempty"` // see membership.recent
}

// snapDir manages the snapshot files in one directory. Files are named
// <term>-<index>.snap in hex so that a name sorts by index within a term and
// carries what a sender needs to find the file for a MsgSnap.
type snapDir struct {
	dir     string
	sending *openFiles // nil: nothing tracked (tests of the file format)
}

func newSnapDir(dir string) snapDir {
	return snapDir{dir: dir, sending: &openFiles{n: map[string]int{}}}
}

// openFiles counts the snapshot files open to be sent to a follower, which
// purge must not truncate under the reader.
type openFiles struct {
	mu sync.Mutex
	n  map[string]int
}

func snapName(term, index uint64) string { return fmt.Sprintf("%016x-%016x.snap", term, index) }

func (d snapDir) path(term, index uint64) string { return filepath.Join(d.dir, snapName(term, index)) }

// write stores a new snapshot durably: a temporary file, fsync, rename, and an
// fsync of the directory, so a crash leaves either no file or a whole one.
// Closing stop makes it give up with ErrStopped, leaving no file.
func (d snapDir) write(h snapHeader, body io.WriterTo, stop <-chan struct{}) (err error) {
	final := d.path(h.Term, h.Index)
	tmp, err := os.CreateTemp(d.dir, snapName(h.Term, h.Index)+".tmp*")
	if err != nil {
		return fmt.Errorf("create snapshot file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeSnapStream(&writebackWriter{f: tmp, stop: stop}, h, body); err != nil {
		return err
	}
	if err := stopped(stop); err != nil {
		return err // the state machine may have dropped the error
	}
	return d.commit(tmp, final)
}

// writeSnapStream writes a whole snapshot file's bytes to w: magic, header,
// body and checksum: the one layout of snapshot files, on disk (snapDir.write)
// and streamed as backups (Node.Backup).
func writeSnapStream(w io.Writer, h snapHeader, body io.WriterTo) error {
	crc := crc32.New(crcTable)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<20)
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode snapshot header: %w", err)
	}
	var lenBuf [4]byte
	binary.LittleEndian.PutUint32(lenBuf[:], uint32(len(hdr)))
	bw.WriteString(snapMagic)
	bw.Write(lenBuf[:])
	bw.Write(hdr)
	if _, err := body.WriteTo(bw); err != nil {
		return fmt.Errorf("write snapshot body: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	binary.LittleEndian.PutUint32(lenBuf[:], crc.Sum32())
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("write snapshot checksum: %w", err)
	}
	return nil
}

// writebackPiece is how many bytes of a snapshot file may wait in the page
// cache before their writeback starts. Without it, a snapshot of a large
// keyspace leaves tens of megabytes dirty until its final fsync, and with
// ext4's ordered journal the WAL's fdatasyncs, which commit the journal,
// then wait for them: every write stalls behind the snapshot.
const writebackPiece = 1 << 20

// writebackWriter writes to a file and starts each piece's writeback as it
// is completed (see startWriteback). After each piece it pauses as long as
// the piece took, from its encoding by the state machine to its writeback:
// a snapshot then takes at most about half of a CPU and of the disk's time,
// twice as long as it could, instead of slowing every write while it runs.
// It gives up with ErrStopped once stop is closed: a large snapshot, paced,
// takes a while, and must not hold up a Shutdown.
type writebackWriter struct {
	f         *os.File
	stop      <-chan struct{}
	off       int64     // bytes written
	start     int64     // where the piece being written starts
	prevStart int64     // where the piece before it starts
	began     time.Time // when work on the piece being written began
}

func (w *writebackWriter) Write(p []byte) (int, error) {
	if err := stopped(w.stop); err != nil {
		return 0, err
	}
	if w.began.IsZero() {
		w.began = time.Now()
	}
	n, err := w.f.Write(p)
	w.off += int64(n)
	if err == nil && w.off-w.start >= writebackPiece {
		if err = startWriteback(w.f, w.prevStart, w.start, w.off-w.start); err != nil {
			err = fmt.Errorf("write back snapshot file: %w", err)
		}
		pause := time.NewTimer(time.Since(w.began))
		select {
		case <-pause.C:
		case <-w.stop:
			pause.Stop()
			return n, ErrStopped
		}
		w.began = time.Now()
		w.prevStart, w.start = w.start, w.off
	}
	return n, err
}

func stopped(stop <-chan struct{}) error {
	select {
	case <-stop:
		return ErrStopped
	default:
		return nil
	}
}

// receive stores a snapshot file streamed by the leader, verifying that it is
// whole and is the snapshot the message announced before it takes its name.
func (d snapDir) receive(term, index uint64, r io.Reader) (err error) {
	tmp, err := os.CreateTemp(d.dir, snapName(term, index)+".recv*")
	if err != nil {
		return fmt.Errorf("create snapshot file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("receive snapshot: %w", err)
	}
	h, err := verifySnapFile(tmp.Name())
	if err != nil {
		return err
	}
	if h.Term != term || h.Index != index {
		return fmt.Errorf("received snapshot is %d/%d, message announced %d/%d", h.Term, h.Index, term, index)
	}
	return d.commit(tmp, d.path(term, index))
}

func (d snapDir) commit(tmp *os.File, final string) error {
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync snapshot file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close snapshot file: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("rename snapshot file: %w", err)
	}
	return syncDir(d.dir)
}

// open returns the header of the snapshot at term/index and a reader
// positioned at the state machine's stream. The caller closes the file.
func (d snapDir) open(term, index uint64) (snapHeader, io.Reader, *os.File, error) {
	f, err := os.Open(d.path(term, index))
	if err != nil {
		return snapHeader{}, nil, nil, fmt.Errorf("open snapshot: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return snapHeader{}, nil, nil, fmt.Errorf("stat snapshot: %w", err)
	}
	br := bufio.NewReaderSize(io.LimitReader(f, st.Size()-4), 1<<20)
	h, err := readSnapHeader(br)
	if err != nil {
		f.Close()
		return snapHeader{}, nil, nil, fmt.Errorf("snapshot %s: %w", f.Name(), err)
	}
	return h, br, f, nil
}

func readSnapHeader(r io.Reader) (snapHeader, error) {
	var h snapHeader
	var pre [len(snapMagic) + 4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, fmt.Errorf("read header: %w", err)
	}
	if string(pre[:len(snapMagic)]) != snapMagic {
		return h, errors.New("not a raftcache snapshot (bad magic)")
	}
	n := binary.LittleEndian.Uint32(pre[len(snapMagic):])
	if n > 64<<20 {
		return h, fmt.Errorf("header length %d too large", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, fmt.Errorf("read header: %w", err)
	}
	if err := json.Unmarshal(buf, &h); err != nil {
		return h, fmt.Errorf("decode header: %w", err)
	}
	return h, nil
}

// verifySnapFile checks a snapshot file's checksum and returns its header.
func verifySnapFile(name string) (snapHeader, error) {
	f, err := os.Open(name)
	if err != nil {
		return snapHeader{}, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return snapHeader{}, fmt.Errorf("stat snapshot: %w", err)
	}
	if st.Size() < int64(len(snapMagic)+8) {
		return snapHeader{}, fmt.Errorf("snapshot %s: truncated (%d bytes)", name, st.Size())
	}
	crc := crc32.New(crcTable)
	body := io.TeeReader(io.LimitReader(f, st.Size()-4), crc)
	h, err := readSnapHeader(body)
	if err != nil {
		return h, fmt.Errorf("snapshot %s: %w", name, err)
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return h, fmt.Errorf("snapshot %s: read: %w", name, err)
	}
	return h, checkSum(f, crc, name)
}

func checkSum(f *os.File, crc hash.Hash32, name string) error {
	var sum [4]byte
	if _, err := io.ReadFull(f, sum[:]); err != nil {
		return fmt.Errorf("snapshot %s: read checksum: %w", name, err)
	}
	if binary.LittleEndian.Uint32(sum[:]) != crc.Sum32() {
		return fmt.Errorf("snapshot %s: checksum mismatch (torn or corrupt file)", name)
	}
	return nil
}

// snapFile names one snapshot file on disk.
type snapFile struct{ term, index uint64 }

// list returns the complete snapshot files, newest (highest index) first.
func (d snapDir) list() ([]snapFile, error) {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("read snapshot dir: %w", err)
	}
	var out []snapFile
	for _, e := range ents {
		var s snapFile
		name := e.Name()
		if !strings.HasSuffix(name, ".snap") {
			continue
		}
		if _, err := fmt.Sscanf(name, "%016x-%016x.snap", &s.term, &s.index); err != nil {
			continue
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index > out[j].index })
	return out, nil
}

// purge removes all but the newest keep snapshots and any temporary files
// left by a crash. A file being sent to a follower stays readable through its
// open descriptor.
func (d snapDir) purge(keep int, keepTmp bool) error {
	files, err := d.list()
	if err != nil {
		return err
	}
	for i := keep; i < len(files); i++ {
		if err := d.remove(d.path(files[i].term, files[i].index)); err != nil {
			return fmt.Errorf("purge snapshot: %w", err)
		}
	}
	if keepTmp {
		return nil
	}
	tmps, _ := filepath.Glob(filepath.Join(d.dir, "*.snap.tmp*"))
	recv, _ := filepath.Glob(filepath.Join(d.dir, "*.snap.recv*"))
	dels, _ := filepath.Glob(filepath.Join(d.dir, "*.snap.del"))
	for _, t := range append(append(tmps, recv...), dels...) {
		os.Remove(t)
	}
	return nil
}

// removePiece is how much of a snapshot file remove frees at a time.
const removePiece = 8 << 20

// remove deletes a snapshot file, a large one a piece at a time: it
// truncates the file by removePiece, fsyncs so that the journal commits
// that piece's release on its own, pauses as long as that took, and goes
// on. ext4 frees a file's blocks (and, mounted with discard, trims them) in
// the journal commit after the deletion, which the WAL's next fdatasync
// then waits for: a 90 MB snapshot deleted at once held it for ~25 ms. A
// file open to be sent to a follower is only unlinked, so that the reader
// keeps it whole.
func (d snapDir) remove(name string) error {
	del := name + ".del"
	if d.sending != nil {
		d.sending.mu.Lock()
		open := d.sending.n[name] > 0
		var err error
		if !open {
			// From here on nobody opens it by its name.
			err = os.Rename(name, del)
		}
		d.sending.mu.Unlock()
		if open {
			return os.Remove(name)
		}
		if err != nil {
			return err
		}
	} else if err := os.Rename(name, del); err != nil {
		return err
	}
	if f, err := os.OpenFile(del, os.O_WRONLY, 0); err == nil {
		if st, err := f.Stat(); err == nil {
			for size := st.Size(); size > removePiece; {
				size -= removePiece
				began := time.Now()
				if f.Truncate(size) != nil || f.Sync() != nil {
					break
				}
				time.Sleep(time.Since(began))
			}
		}
		f.Close()
	}
	return os.Remove(del)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// openFile opens the whole snapshot file at term/index, to stream to a
// follower; purge leaves it whole until it is closed.
func (d snapDir) openFile(term, index uint64) (io.ReadCloser, error) {
	name := d.path(term, index)
	if d.sending != nil {
		d.sending.mu.Lock()
		defer d.sending.mu.Unlock()
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open snapshot to send: %w", err)
	}
	if d.sending == nil {
		return f, nil
	}
	d.sending.n[name]++
	return &sendingFile{File: f, name: name, open: d.sending}, nil
}

// sendingFile is a snapshot file open to be sent.
type sendingFile struct {
	*os.File
	name   string
	open   *openFiles
	closed bool
}

func (f *sendingFile) Close() error {
	f.open.mu.Lock()
	if !f.closed {
		f.closed = true
		if f.open.n[f.name]--; f.open.n[f.name] == 0 {
			delete(f.open.n, f.name)
		}
	}
	f.open.mu.Unlock()
	return f.File.Close()
}
