package fsm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"io"
	"runtime"
	"slices"

	"github.com/raftcache/raftcache/fsm/acl"
	"github.com/raftcache/raftcache/fsm/config"
)

// Snapshot stream, version 5:
//
//	magic        "RCSN"
//	version      1 byte
//	applied      uvarint: index of the last applied log entry
//	databases    uvarint n, then n times, in ascending database order,
//	             each database that holds keys or history (version 5;
//	             earlier versions have database 0 only, without the
//	             first two fields):
//	db           uvarint: the database's number
//	swapped      uvarint: its last SWAPDB's index (see keyspace)
//	created      uvarint n, then n times, ascending bucket:
//	               bucket    uvarint
//	               index     uvarint (non-zero)
//	count        uvarint: number of entries
//	shards       for each shard holding keys, in ascending order:
//	               shard     uvarint (see shardOf)
//	               n         uvarint: its entries (at least 1)
//	               size      uvarint: bytes of its entries, below
//	               entries   n times, in ascending key order:
//	                 type      1 byte (valueType; 0x80 set for a "raw" string)
//	                 key       uvarint length, bytes
//	                 expireAt  varint (ms; 0: none)
//	                 modIndex  uvarint
//	                 lru       version 9: uvarint, below 1<<24 (see
//	                           entry.lru)
//	                 value     strings: uvarint length, bytes
//	                           hashes: 1 byte, 1 if converted (see
//	                           hashValue); uvarint field count; then each
//	                           field's name and value as uvarint length,
//	                           bytes
//	                           lists, sets, sorted sets, streams: uvarint
//	                           length, then the type package's
//	                           AppendBinary form (see collection)
//	waiters      version 5: uvarint registrations so far; uvarint n; then n
//	             times, in registration order, a blocked client's command
//	             in its binary form (with its database and WaiterID) as
//	             uvarint length, bytes (see blocking.go); then uvarint n
//	             and n deliveries in flight, each as uvarint length and:
//	             uvarint registration, uvarint length and command, reply
//	scripts      version 6: uvarint n; then n times, in ascending order of
//	             their SHA1, a cached script's body as uvarint length, bytes
//	             (see scriptcmd.go)
//	libraries    version 7: uvarint n; then n times, in ascending order of
//	             their names, a FUNCTION library's code as uvarint length,
//	             bytes (see functioncmd.go)
//	config       version 8: uvarint n; then n times, in the order of
//	             config.Params, a replicated parameter that is not at its
//	             default: its name and stored value (see config.Values),
//	             each as uvarint length, bytes
//	acl users    version 10: uvarint n; then n times, in ascending order of
//	             their names, a user the log set (see aclcmd.go): its name,
//	             then uvarint k and k modifiers that rebuild it from a new
//	             user (acl.User.Ops), each as uvarint length, bytes
//	checksum     CRC-32C of every byte above, 4 bytes little-endian
//
// Version 10 adds the ACL users; a node restored from version 9 or
// earlier has only its own default user. Version 9 adds each key's access clock (lru). Version 8 adds the
// replicated configuration (CONFIG SET); a node restored from version 7
// has the defaults. Version 7 adds the FUNCTION libraries; version 6 is version 7 without
// them. Version 6 adds the script cache; version 5 is version 6 without it.
// Version 5 adds the collection types; version 4 is version 5 with
// strings and hashes only. Version 4 orders keys shard by shard, so that a snapshot is written from
// the shards as they are, without sorting the whole keyspace, and a
// restore can size each shard before filling it.
//
// Version 3 has, instead of the shards, count entries in ascending key
// order over the whole keyspace. Version 2 is version 3 with keys put in
// created buckets by the high bits of their FNV-1a hash alone (see
// createdBucketOf); Restore reads its buckets as they are. Version 1 is
// version 3 without the created buckets and hashes; Restore takes every
// bucket as 0. Either way the buckets of a node restored from a version 1
// or 2 snapshot can differ from those of a node that replayed the same log,
// and the two may then disagree on whether an EXEC that WATCHed an absent
// key aborts: a cluster that uses WATCH on absent keys must not be upgraded
// from those versions member by member.
//
// Keys are sorted so that equal states give equal bytes, which makes
// snapshots comparable across nodes. The created buckets are state too:
// WATCH's outcome depends on them, so every node must have the same.
const (
	snapshotMagic   = "RCSN"
	snapshotVersion = 11
	// snapshotRaw and snapshotNoInt, in an entry's type byte, mark a
	// string encoded "raw" (see entry.raw) or never "int" (entry.noInt);
	// version 5. snapshotUnshared marks an integer string Redis does not
	// share (entry.unshared); version 11.
	snapshotRaw      = 0x80
	snapshotNoInt    = 0x40
	snapshotUnshared = 0x20
	snapshotFlags    = snapshotRaw | snapshotNoInt | snapshotUnshared
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapshot is the state captured by Store.Snapshot, written later by
// WriteTo: the shards as they were, shared with the Store (see shard).
type snapshot struct {
	applied uint64
	dbs     []dbSnapshot
	// The blocked clients, in registration order: their commands'
	// binary forms, immutable, and the registration count.
	waiters   [][]byte
	waiterSeq uint64
	// The deliveries in flight: waiter command and reply, in
	// registration order.
	inflight [][]byte
	// The script cache's bodies, immutable, in SHA1 order.
	scripts [][]byte
	// The FUNCTION libraries' code, immutable, in name order.
	libraries [][]byte
	// The replicated parameters not at their default, and their values.
	cfgNames, cfgValues []string
	// The ACL users the log set, in name order.
	users []*acl.User
}

// dbSnapshot is one database's captured state.
type dbSnapshot struct {
	db      int
	count   int
	swapped uint64
	created [createdBuckets]uint64
	shards  [shardCount]shard
}

// Snapshot captures the current state in O(shards): it shares the shards
// with the Store, whose writes copy what they change from then on (see
// shard). Sorting and encoding happen later, in WriteTo, off the apply
// path.
func (s *Store) Snapshot() (io.WriterTo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := &snapshot{applied: s.applied}
	for db, ks := range s.dbs {
		if ks.count == 0 && ks.created == nil && ks.swapped == 0 {
			continue
		}
		d := dbSnapshot{db: db, count: ks.count, swapped: ks.swapped}
		if ks.created != nil {
			d.created = *ks.created
		}
		for i := range ks.shards {
			sh := &ks.shards[i]
			d.shards[i] = shard{slots: sh.slots, arena: sh.arena[:len(sh.arena):len(sh.arena)], objs: sh.objs, count: sh.count}
		}
		sn.dbs = append(sn.dbs, d)
	}
	sn.waiterSeq = s.waiterSeq
	for _, wt := range s.waitersInOrder(false) {
		sn.waiters = append(sn.waiters, wt.raw)
	}
	for _, wt := range s.waitersInOrder(true) {
		b := binary.AppendUvarint(nil, wt.seq)
		b = binary.AppendUvarint(b, uint64(len(wt.raw)))
		b = append(b, wt.raw...)
		sn.inflight = append(sn.inflight, appendReplyBinary(b, wt.served))
	}
	sn.scripts = s.scriptsInOrder()
	for _, lib := range s.librariesInOrder() {
		sn.libraries = append(sn.libraries, lib.code)
	}
	sn.cfgNames, sn.cfgValues = s.cfg.Changed()
	sn.users = s.aclUsersInOrder()
	s.gen++
	return sn, nil
}

// checksumWriter counts and checksums what passes through it.
type checksumWriter struct {
	w   io.Writer
	n   int64
	crc uint32
}

func (cw *checksumWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	cw.crc = crc32.Update(cw.crc, castagnoli, p[:n])
	return n, err
}

// WriteTo writes the snapshot stream to w. It may run concurrently with
// Apply: it reads only what the capture shares, which writes no longer
// change.
func (sn *snapshot) WriteTo(w io.Writer) (int64, error) {
	cw := &checksumWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var scratch []byte
	scratch = append(scratch, snapshotMagic...)
	scratch = append(scratch, snapshotVersion)
	scratch = binary.AppendUvarint(scratch, sn.applied)
	scratch = binary.AppendUvarint(scratch, uint64(len(sn.dbs)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write header: %w", err)
	}
	for i := range sn.dbs {
		if err := sn.dbs[i].write(bw, &scratch); err != nil {
			return cw.n, fmt.Errorf("snapshot: database %d: %w", sn.dbs[i].db, err)
		}
	}
	scratch = binary.AppendUvarint(scratch[:0], sn.waiterSeq)
	scratch = binary.AppendUvarint(scratch, uint64(len(sn.waiters)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write waiters: %w", err)
	}
	for _, raw := range sn.waiters {
		if err := writeBytes(bw, &scratch, raw); err != nil {
			return cw.n, fmt.Errorf("snapshot: write waiters: %w", err)
		}
	}
	scratch = binary.AppendUvarint(scratch[:0], uint64(len(sn.inflight)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write deliveries: %w", err)
	}
	for _, b := range sn.inflight {
		if err := writeBytes(bw, &scratch, b); err != nil {
			return cw.n, fmt.Errorf("snapshot: write deliveries: %w", err)
		}
	}
	scratch = binary.AppendUvarint(scratch[:0], uint64(len(sn.scripts)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write scripts: %w", err)
	}
	for _, body := range sn.scripts {
		if err := writeBytes(bw, &scratch, body); err != nil {
			return cw.n, fmt.Errorf("snapshot: write scripts: %w", err)
		}
	}
	scratch = binary.AppendUvarint(scratch[:0], uint64(len(sn.libraries)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write libraries: %w", err)
	}
	for _, code := range sn.libraries {
		if err := writeBytes(bw, &scratch, code); err != nil {
			return cw.n, fmt.Errorf("snapshot: write libraries: %w", err)
		}
	}
	scratch = binary.AppendUvarint(scratch[:0], uint64(len(sn.cfgNames)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write config: %w", err)
	}
	for i, name := range sn.cfgNames {
		if err := writeBytes(bw, &scratch, []byte(name)); err != nil {
			return cw.n, fmt.Errorf("snapshot: write config: %w", err)
		}
		if err := writeBytes(bw, &scratch, []byte(sn.cfgValues[i])); err != nil {
			return cw.n, fmt.Errorf("snapshot: write config: %w", err)
		}
	}
	if err := writeUsers(bw, &scratch, sn.users); err != nil {
		return cw.n, fmt.Errorf("snapshot: write acl users: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("snapshot: flush: %w", err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], cw.crc)
	n, err := w.Write(sum[:])
	if err != nil {
		return cw.n + int64(n), fmt.Errorf("snapshot: write checksum: %w", err)
	}
	return cw.n + int64(n), nil
}

// write writes one database's section.
func (d *dbSnapshot) write(bw *bufio.Writer, scratchp *[]byte) error {
	scratch := binary.AppendUvarint((*scratchp)[:0], uint64(d.db))
	scratch = binary.AppendUvarint(scratch, d.swapped)
	nonZero := 0
	for _, idx := range d.created {
		if idx != 0 {
			nonZero++
		}
	}
	scratch = binary.AppendUvarint(scratch, uint64(nonZero))
	for b, idx := range d.created {
		if idx != 0 {
			scratch = binary.AppendUvarint(scratch, uint64(b))
			scratch = binary.AppendUvarint(scratch, idx)
		}
	}
	scratch = binary.AppendUvarint(scratch, uint64(d.count))
	if _, err := bw.Write(scratch); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	var offs, ends []int
	var sortKeys []prefixed
	var encs []byte
	for i := range d.shards {
		sh := &d.shards[i]
		if sh.count == 0 {
			continue
		}
		offs, sortKeys = sh.sortedOffsets(offs, sortKeys)
		// The shard's header holds its size, so its collections are
		// encoded first, once, into encs (ends[j] ends offs[j]'s).
		size := 0
		encs, ends = encs[:0], ends[:0]
		for _, off := range offs {
			r := sh.decode(off)
			if r.coll != nil {
				encs = r.coll.AppendBinary(encs)
			}
			ends = append(ends, len(encs))
			size += entrySize(r, ends[len(ends)-1]-prevEnd(ends))
		}
		scratch = binary.AppendUvarint(scratch[:0], uint64(i))
		scratch = binary.AppendUvarint(scratch, uint64(len(offs)))
		scratch = binary.AppendUvarint(scratch, uint64(size))
		if _, err := bw.Write(scratch); err != nil {
			return fmt.Errorf("write shard %d: %w", i, err)
		}
		for j, off := range offs {
			if err := writeEntry(bw, &scratch, sh.decode(off), encs[prevEnd(ends[:j+1]):ends[j]]); err != nil {
				return fmt.Errorf("write shard %d: %w", i, err)
			}
		}
		// Writing out a large keyspace takes a CPU for a while; yielding
		// between shards lets the goroutines serving requests run within
		// a fraction of a millisecond instead of the scheduler's 10 ms
		// time slice, so the snapshot stretches instead of stalling them.
		runtime.Gosched()
	}
	*scratchp = scratch
	return nil
}

// prevEnd returns where the last of ends's encodings starts.
func prevEnd(ends []int) int {
	if len(ends) < 2 {
		return 0
	}
	return ends[len(ends)-2]
}

// entrySize is the size of r's entry in the stream; encLen is the length
// of its collection's encoding.
func entrySize(r record, encLen int) int {
	n := 1 + bytesSize(r.key) + varintLen(r.expireAt) + uvarintLen(r.modIndex) + uvarintLen(uint64(r.lru))
	if r.coll != nil {
		return n + uvarintLen(uint64(encLen)) + encLen
	}
	if r.typ != typeHash {
		return n + bytesSize(r.str)
	}
	n += 1 + uvarintLen(uint64(len(r.hash.fields)))
	for _, f := range r.hash.fields {
		n += bytesSize(f.name) + bytesSize(f.value)
	}
	return n
}

func bytesSize(b []byte) int { return uvarintLen(uint64(len(b))) + len(b) }

func varintLen(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	return uvarintLen(ux)
}

// writeEntry writes r; enc is its collection's encoding.
func writeEntry(bw *bufio.Writer, scratch *[]byte, r record, enc []byte) error {
	t := byte(r.typ)
	if r.raw {
		t |= snapshotRaw
	}
	if r.noInt {
		t |= snapshotNoInt
	}
	if r.unshared {
		t |= snapshotUnshared
	}
	b := append((*scratch)[:0], t)
	b = binary.AppendUvarint(b, uint64(len(r.key)))
	b = append(b, r.key...)
	b = binary.AppendVarint(b, r.expireAt)
	b = binary.AppendUvarint(b, r.modIndex)
	b = binary.AppendUvarint(b, uint64(r.lru))
	*scratch = b
	if r.coll != nil {
		if _, err := bw.Write(*scratch); err != nil {
			return err
		}
		return writeBytes(bw, scratch, enc)
	}
	if r.typ == typeHash {
		converted := byte(0)
		if r.hash.index != nil {
			converted = 1
		}
		*scratch = binary.AppendUvarint(append(*scratch, converted), uint64(len(r.hash.fields)))
		if _, err := bw.Write(*scratch); err != nil {
			return err
		}
		for _, f := range r.hash.fields {
			if err := writeBytes(bw, scratch, f.name); err != nil {
				return err
			}
			if err := writeBytes(bw, scratch, f.value); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := bw.Write(*scratch); err != nil {
		return err
	}
	return writeBytes(bw, scratch, r.str)
}

// writeBytes writes b with its uvarint length prefix.
func writeBytes(bw *bufio.Writer, scratch *[]byte, b []byte) error {
	*scratch = binary.AppendUvarint((*scratch)[:0], uint64(len(b)))
	if _, err := bw.Write(*scratch); err != nil {
		return err
	}
	_, err := bw.Write(b)
	return err
}

// snapshotReader reads a snapshot stream through its own buffer, so that
// it can checksum exactly the bytes it consumes, in large pieces, and read
// keys and values straight into a shard's arena.
type snapshotReader struct {
	r        io.Reader
	buf      []byte // unread data is buf[pos:end]
	pos, end int
	summed   int    // buf[:summed] is in crc
	crc      uint32 // of every consumed byte before buf[summed]
	consumed int64  // bytes consumed before buf[0]
	version  byte
}

func newSnapshotReader(r io.Reader) *snapshotReader {
	return &snapshotReader{r: r, buf: make([]byte, 64<<10)}
}

// fill reads more into the buffer; it fails only if nothing could be read.
func (r *snapshotReader) fill() error {
	r.sum()
	n := copy(r.buf, r.buf[r.pos:r.end])
	r.consumed += int64(r.pos)
	r.pos, r.end, r.summed = 0, n, 0
	for {
		m, err := r.r.Read(r.buf[r.end:])
		r.end += m
		if m > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sum brings crc up to every consumed byte.
func (r *snapshotReader) sum() uint32 {
	r.crc = crc32.Update(r.crc, castagnoli, r.buf[r.summed:r.pos])
	r.summed = r.pos
	return r.crc
}

// offset is the number of bytes consumed so far.
func (r *snapshotReader) offset() int64 { return r.consumed + int64(r.pos) }

func (r *snapshotReader) ReadByte() (byte, error) {
	if r.pos == r.end {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	b := r.buf[r.pos]
	r.pos++
	return b, nil
}

func (r *snapshotReader) uvarint() (uint64, error) {
	if r.end-r.pos >= binary.MaxVarintLen64 {
		v, n := binary.Uvarint(r.buf[r.pos:r.end])
		if n <= 0 {
			return 0, errors.New("varint overflows 64 bits")
		}
		r.pos += n
		return v, nil
	}
	return binary.ReadUvarint(r)
}

func (r *snapshotReader) varint() (int64, error) {
	ux, err := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, err
}

// read fills p.
func (r *snapshotReader) read(p []byte) error {
	for len(p) > 0 {
		if r.pos == r.end {
			if len(p) >= len(r.buf) {
				// Large: straight from the source, checksummed here.
				r.sum()
				n, err := io.ReadFull(r.r, p)
				r.crc = crc32.Update(r.crc, castagnoli, p[:n])
				r.consumed += int64(n)
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			if err := r.fill(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		n := copy(p, r.buf[r.pos:r.end])
		r.pos += n
		p = p[n:]
	}
	return nil
}

// readNew reads n bytes into a new slice. Large n is read in chunks, so a
// corrupt length fails at the end of the stream instead of allocating it
// up front.
func (r *snapshotReader) readNew(n uint64) ([]byte, error) {
	const chunk = 1 << 20
	if n > maxStringLen {
		return nil, fmt.Errorf("length %d exceeds %d", n, maxStringLen)
	}
	out := make([]byte, 0, min(n, chunk))
	for uint64(len(out)) < n {
		k := int(min(n-uint64(len(out)), chunk))
		out = slices.Grow(out, k)[:len(out)+k]
		if err := r.read(out[len(out)-k:]); err != nil {
			return nil, err
		}
	}
	return out[:n:n], nil
}

func (r *snapshotReader) readBytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read length: %w", err)
	}
	return r.readNew(n)
}

func (r *snapshotReader) readCreated(created *[createdBuckets]uint64) error {
	n, err := r.uvarint()
	if err != nil {
		return fmt.Errorf("read created bucket count: %w", err)
	}
	if n > createdBuckets {
		return fmt.Errorf("%d created buckets, at most %d exist", n, createdBuckets)
	}
	next := uint64(0)
	for i := uint64(0); i < n; i++ {
		b, err := r.uvarint()
		if err != nil {
			return fmt.Errorf("read created bucket %d: %w", i, err)
		}
		idx, err := r.uvarint()
		if err != nil {
			return fmt.Errorf("read created bucket %d: %w", i, err)
		}
		if b < next || b >= createdBuckets || idx == 0 {
			return fmt.Errorf("created bucket %d: bucket %d index %d out of order or range", i, b, idx)
		}
		created[b] = idx
		next = b + 1
	}
	return nil
}

// restoring is the keyspace a Restore builds before it replaces the
// Store's.
type restoring struct {
	seed    maphash.Seed
	gen     uint64
	shards  [shardCount]shard
	expires int
	mem     int64  // the keys' accounted size (see evictmem.go)
	key     []byte // scratch for the key being read

	// The last entry read, for checkOrder.
	last     *shard
	lastOff  int
	perShard bool // keys ascend within each shard, not overall
}

// Restore replaces the whole state with the one in r, written by a
// snapshot's WriteTo (this version's or an earlier one). It reads and
// verifies the complete stream before touching the Store, so a torn or
// corrupt stream returns an error and leaves the old state as it was.
func (s *Store) Restore(r io.Reader) error {
	sr := newSnapshotReader(r)
	header := make([]byte, len(snapshotMagic)+1)
	if err := sr.read(header); err != nil {
		return fmt.Errorf("restore: read header: %w", noEOF(err))
	}
	if string(header[:len(snapshotMagic)]) != snapshotMagic {
		return errors.New("restore: not a raftcache snapshot (bad magic)")
	}
	version := header[len(snapshotMagic)]
	if version < 1 || version > snapshotVersion {
		return fmt.Errorf("restore: unsupported snapshot version %d", version)
	}
	sr.version = version
	applied, err := sr.uvarint()
	if err != nil {
		return fmt.Errorf("restore: read applied index: %w", noEOF(err))
	}
	ndbs := uint64(1)
	if version >= 5 {
		if ndbs, err = sr.uvarint(); err != nil {
			return fmt.Errorf("restore: read database count: %w", noEOF(err))
		}
		if ndbs > NumDBs {
			return fmt.Errorf("restore: %d databases, at most %d exist", ndbs, NumDBs)
		}
	}
	// The Store's seed and generation: nobody else sees these keyspaces
	// until they replace the Store's, under its lock.
	var dbs [NumDBs]*keyspace
	next := 0
	for i := uint64(0); i < ndbs; i++ {
		db, ks, err := s.restoreDB(sr)
		if err != nil {
			return fmt.Errorf("restore: database %d: %w", db, noEOF(err))
		}
		if db < next {
			return fmt.Errorf("restore: database %d out of order", db)
		}
		dbs[db], next = ks, db+1
	}
	for i := range dbs {
		if dbs[i] == nil {
			dbs[i] = s.newKeyspace()
		}
	}
	var waiters, inflight []*waiter
	var waiterSeq uint64
	if version >= 5 {
		if waiters, waiterSeq, err = readWaiters(sr); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
		if inflight, err = readDeliveries(sr); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
	}
	var scripts map[string][]byte
	if version >= 6 {
		if scripts, err = readScripts(sr); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
	}
	var libraries []*library
	if version >= 7 {
		if libraries, err = readLibraries(sr, s.loadLibrary); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
	}
	cfg := config.Defaults()
	if version >= 8 {
		if cfg, err = readConfig(sr); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
	}
	var users map[string]*acl.User
	if version >= 10 {
		if users, err = readUsers(sr); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
	}
	want := sr.sum()
	var sum [4]byte
	if err := sr.read(sum[:]); err != nil {
		return fmt.Errorf("restore: read checksum: %w", noEOF(err))
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return fmt.Errorf("restore: checksum mismatch: stream says %08x, content gives %08x", got, want)
	}
	s.mu.Lock()
	s.dbs, s.applied = dbs, applied
	s.waiters, s.blocked, s.waiterSeq = nil, [NumDBs]map[string][]*waiter{}, waiterSeq
	for _, wt := range waiters {
		s.addWaiter(wt)
	}
	s.inflight = nil
	for _, wt := range inflight {
		if s.inflight == nil {
			s.inflight = map[WaiterID]*waiter{}
		}
		s.inflight[wt.id] = wt
	}
	s.scripts, s.cfg = scripts, cfg
	s.acl.users = users
	s.aclGen.Add(1)
	if s.lua != nil {
		s.lua.Forget()
	}
	s.libraries, s.functions = nil, nil
	for _, lib := range libraries {
		s.addLibrary(lib, nil)
	}
	// Any key may have changed: tracking clients drop their caches. And
	// the messages of the entries skipped are lost: subscribers are told.
	s.noteFlushed(-1)
	s.effects.Restored = s.effectsSink != nil
	s.deliverEffects(applied)
	s.mu.Unlock()
	return nil
}

// readConfig reads the replicated configuration.
func readConfig(sr *snapshotReader) (*config.Values, error) {
	n, err := sr.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if n > uint64(len(config.Params())) {
		return nil, fmt.Errorf("read config: %d parameters, at most %d exist", n, len(config.Params()))
	}
	names, values := make([]string, n), make([]string, n)
	for i := range names {
		name, err := sr.readBytes()
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		value, err := sr.readBytes()
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		names[i], values[i] = string(name), string(value)
	}
	cfg, err := config.Restore(names, values)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return cfg, nil
}

// readDeliveries reads the deliveries in flight.
func readDeliveries(sr *snapshotReader) ([]*waiter, error) {
	n, err := sr.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	var out []*waiter
	seen := map[WaiterID]bool{}
	for i := uint64(0); i < n; i++ {
		b, err := sr.readBytes()
		if err != nil {
			return nil, fmt.Errorf("read delivery %d: %w", i, err)
		}
		seq, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, fmt.Errorf("delivery %d: bad registration", i)
		}
		size, m := binary.Uvarint(b[k:])
		if m <= 0 || size > uint64(len(b)-k-m) {
			return nil, fmt.Errorf("delivery %d: bad command length", i)
		}
		raw := b[k+m : k+m+int(size)]
		cmd, err := Decode(raw)
		if err != nil || cmd.waiter == (WaiterID{}) || seen[cmd.waiter] || cmd.def().unserve == nil {
			return nil, fmt.Errorf("delivery %d: bad command", i)
		}
		seen[cmd.waiter] = true
		served, rest, err := decodeReplyBinary(b[k+m+int(size):], 0)
		if err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("delivery %d: bad reply", i)
		}
		out = append(out, &waiter{id: cmd.waiter, raw: raw, cmd: cmd, seq: seq, served: served})
	}
	return out, nil
}

// readWaiters reads the blocked clients' section.
func readWaiters(sr *snapshotReader) ([]*waiter, uint64, error) {
	seq, err := sr.uvarint()
	if err != nil {
		return nil, 0, fmt.Errorf("read waiter count: %w", err)
	}
	n, err := sr.uvarint()
	if err != nil {
		return nil, 0, fmt.Errorf("read waiters: %w", err)
	}
	if n > seq {
		return nil, 0, fmt.Errorf("%d waiters, only %d ever registered", n, seq)
	}
	var waiters []*waiter
	seen := map[WaiterID]bool{}
	for i := uint64(0); i < n; i++ {
		raw, err := sr.readBytes()
		if err != nil {
			return nil, 0, fmt.Errorf("read waiter %d: %w", i, err)
		}
		cmd, err := Decode(raw)
		if err != nil {
			return nil, 0, fmt.Errorf("waiter %d: %w", i, err)
		}
		if cmd.waiter == (WaiterID{}) || seen[cmd.waiter] {
			return nil, 0, fmt.Errorf("waiter %d: missing or duplicate waiter", i)
		}
		seen[cmd.waiter] = true
		keys := cmd.args
		if d := cmd.def(); d.blockKeys != nil {
			keys = d.blockKeys(cmd)
		}
		// Registration numbers restart from the order kept: only their
		// order matters.
		waiters = append(waiters, &waiter{id: cmd.waiter, raw: raw, cmd: cmd, keys: keys, seq: seq - n + i + 1})
	}
	return waiters, seq, nil
}

// restoreDB reads one database's section.
func (s *Store) restoreDB(sr *snapshotReader) (db int, ks *keyspace, err error) {
	ks = &keyspace{s: s}
	if sr.version >= 5 {
		n, err := sr.uvarint()
		if err != nil {
			return 0, nil, fmt.Errorf("read number: %w", err)
		}
		if n >= NumDBs {
			return int(n), nil, errDBIndex
		}
		db = int(n)
		if ks.swapped, err = sr.uvarint(); err != nil {
			return db, nil, fmt.Errorf("read swap index: %w", err)
		}
	}
	if sr.version >= 2 {
		created := new([createdBuckets]uint64)
		if err := sr.readCreated(created); err != nil {
			return db, nil, err
		}
		if *created != ([createdBuckets]uint64{}) {
			ks.created = created
		}
	}
	count, err := sr.uvarint()
	if err != nil {
		return db, nil, fmt.Errorf("read entry count: %w", err)
	}
	rs := &restoring{seed: s.seed, gen: s.gen}
	if sr.version >= 4 {
		rs.perShard = true
		err = rs.readShards(sr, count)
	} else {
		err = rs.readSorted(sr, count)
	}
	if err != nil {
		return db, nil, err
	}
	ks.shards, ks.count, ks.expires, ks.mem = rs.shards, int(count), rs.expires, rs.mem
	return db, ks, nil
}

// readShards reads a version 4 stream's shards.
func (rs *restoring) readShards(sr *snapshotReader, count uint64) error {
	next := uint64(0)
	for left := count; left > 0; {
		i, err := sr.uvarint()
		if err != nil {
			return fmt.Errorf("read shard number: %w", err)
		}
		if i < next || i >= shardCount {
			return fmt.Errorf("shard %d out of order or range", i)
		}
		next = i + 1
		n, err := sr.uvarint()
		if err != nil {
			return fmt.Errorf("shard %d: read entry count: %w", i, err)
		}
		if n == 0 || n > left {
			return fmt.Errorf("shard %d: %d entries, %d left to read", i, n, left)
		}
		left -= n
		size, err := sr.uvarint()
		if err != nil {
			return fmt.Errorf("shard %d: read size: %w", i, err)
		}
		// n and size are not verified yet, so they only hint, bounded.
		sh := &rs.shards[i]
		sh.slots = make([]uint64, max(minSlots, int(min(n, 1<<20))*4/3+1))
		sh.arena = make([]byte, 0, min(size+6*n, 64<<20))
		start := sr.offset()
		for j := uint64(0); j < n; j++ {
			if err := rs.readEntry(sr, int(i)); err != nil {
				return fmt.Errorf("shard %d: entry %d: %w", i, j, err)
			}
		}
		if got := sr.offset() - start; uint64(got) != size {
			return fmt.Errorf("shard %d: %d bytes of entries, header says %d", i, got, size)
		}
	}
	return nil
}

// readSorted reads the entries of a version 1 to 3 stream, sorted over the
// whole keyspace.
func (rs *restoring) readSorted(sr *snapshotReader, count uint64) error {
	// count is not verified yet, so it only hints, bounded.
	perShard := int(min(count, 1<<30)/shardCount) + 1
	for i := range rs.shards {
		rs.shards[i].slots = make([]uint64, max(minSlots, perShard*4/3+1))
	}
	for j := uint64(0); j < count; j++ {
		if err := rs.readEntry(sr, -1); err != nil {
			return fmt.Errorf("entry %d: %w", j, err)
		}
	}
	return nil
}

// readEntry reads one entry into its shard, which must be want (-1: any),
// checking that keys come in ascending order.
func (rs *restoring) readEntry(sr *snapshotReader, want int) error {
	t, err := sr.ReadByte()
	if err != nil {
		return fmt.Errorf("read type: %w", err)
	}
	var raw, noInt, unshared bool
	flags := byte(snapshotRaw | snapshotNoInt)
	if sr.version >= 11 {
		flags = snapshotFlags
	}
	if sr.version >= 5 && valueType(t&^flags) == typeString {
		raw, noInt, unshared = t&snapshotRaw != 0, t&snapshotNoInt != 0, t&snapshotUnshared != 0
		t &^= flags
	}
	typ := valueType(t)
	if (typ != typeString && (typ != typeHash || sr.version < 2)) && (typ >= typeEnd || collectionCodecs[typ] == nil || sr.version < 5) {
		return fmt.Errorf("unknown value type %d", t)
	}
	klen, err := sr.uvarint()
	if err != nil {
		return fmt.Errorf("read key length: %w", err)
	}
	if klen > maxStringLen {
		return fmt.Errorf("key length %d exceeds %d", klen, maxStringLen)
	}
	if klen <= 1<<20 {
		rs.key = slices.Grow(rs.key[:0], int(klen))[:klen]
		err = sr.read(rs.key)
	} else {
		rs.key, err = sr.readNew(klen)
	}
	if err != nil {
		return fmt.Errorf("read key: %w", err)
	}
	key := rs.key
	fh := keyHash(key)
	i := int(fh & (shardCount - 1))
	if want >= 0 && i != want {
		return fmt.Errorf("key belongs to shard %d", i)
	}
	if err := rs.checkOrder(i, key); err != nil {
		return err
	}
	e := entry{typ: typ, raw: raw, noInt: noInt, unshared: unshared}
	if e.expireAt, err = sr.varint(); err != nil {
		return fmt.Errorf("read deadline: %w", err)
	}
	if e.modIndex, err = sr.uvarint(); err != nil {
		return fmt.Errorf("read modification index: %w", err)
	}
	if sr.version >= 9 {
		lru, err := sr.uvarint()
		if err != nil || lru > lruMax {
			return fmt.Errorf("read access clock: %w", errors.Join(err, errBadLRU))
		}
		e.lru = uint32(lru)
	}
	sh := &rs.shards[i]
	obj := -1
	switch {
	case collectionCodecs[typ] != nil:
		enc, err := sr.readBytes()
		if err != nil {
			return fmt.Errorf("read %s: %w", typ, err)
		}
		if e.coll, err = decodeCollection(typ, enc); err != nil {
			return err
		}
		e.collGen = rs.gen
		e.mem = valueMem(&e)
		obj = sh.objPut(e.object())
	case typ == typeHash:
		if e.hash, err = sr.readHash(); err != nil {
			return err
		}
		e.hash.gen = rs.gen
		e.mem = valueMem(&e)
		obj = sh.objPut(e.object())
	default:
		vlen, err := sr.uvarint()
		if err != nil {
			return fmt.Errorf("read value length: %w", err)
		}
		if vlen > inlineMax {
			if e.str, err = sr.readNew(vlen); err != nil {
				return fmt.Errorf("read value: %w", err)
			}
			e.mem = valueMem(&e)
			obj = sh.objPut(e.object())
			break
		}
		// Inline: the stream fills the value's room in the record.
		off := sh.appendHead(key, &e, -1, int(vlen))
		n := len(sh.arena)
		sh.arena = sh.arena[:n+int(vlen)]
		if err := sr.read(sh.arena[n:]); err != nil {
			return fmt.Errorf("read value: %w", err)
		}
		rs.index(sh, off, &e)
		return nil
	}
	rs.index(sh, sh.appendRecord(key, &e, obj), &e)
	return nil
}

// checkOrder rejects a key not above the previous one: in its shard
// (version 4, whose shards come one after the other), or in the whole
// keyspace (earlier versions).
func (rs *restoring) checkOrder(i int, key []byte) error {
	if rs.last == nil || (rs.perShard && rs.last != &rs.shards[i]) {
		return nil
	}
	if bytes.Compare(key, rs.last.keyAt(rs.lastOff)) <= 0 {
		return errors.New("keys out of order")
	}
	return nil
}

// index adds the record just appended at off to sh's index.
func (rs *restoring) index(sh *shard, off int, e *entry) {
	sh.reserve(rs.seed)
	sh.insertNew(rs.seed, off)
	sh.count++
	sh.gen = rs.gen
	if e.expireAt != 0 {
		rs.expires++
	}
	r := sh.decode(off)
	rs.mem += recordMem(&r)
	rs.last, rs.lastOff = sh, off
}

func (r *snapshotReader) readHash() (*hashValue, error) {
	converted, err := r.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("read hash encoding: %w", err)
	}
	if converted > 1 {
		return nil, fmt.Errorf("bad hash encoding %d", converted)
	}
	n, err := r.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read hash length: %w", err)
	}
	if n == 0 {
		return nil, errors.New("empty hash")
	}
	// n is not yet verified, so it only hints the size, bounded.
	h := &hashValue{fields: make([]hashField, 0, min(n, 1<<10)), index: make(map[string]int, min(n, 1<<10))}
	for i := uint64(0); i < n; i++ {
		name, err := r.readBytes()
		if err != nil {
			return nil, fmt.Errorf("hash field %d: read name: %w", i, err)
		}
		value, err := r.readBytes()
		if err != nil {
			return nil, fmt.Errorf("hash field %d: read value: %w", i, err)
		}
		if _, dup := h.index[string(name)]; dup {
			return nil, fmt.Errorf("hash field %d: duplicate name", i)
		}
		h.index[string(name)] = len(h.fields)
		h.fields = append(h.fields, hashField{name: name, value: value})
		h.data += len(name) + len(value)
	}
	if converted == 0 {
		h.index = nil
	}
	return h, nil
}

// noEOF marks a clean EOF as io.ErrUnexpectedEOF, keeping the context:
// inside a snapshot any end of stream is a truncation.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%v: %w", err, io.ErrUnexpectedEOF)
	}
	return err
}

// writeUsers writes the ACL users section.
func writeUsers(bw *bufio.Writer, scratch *[]byte, users []*acl.User) error {
	*scratch = binary.AppendUvarint((*scratch)[:0], uint64(len(users)))
	if _, err := bw.Write(*scratch); err != nil {
		return err
	}
	for _, u := range users {
		if err := writeBytes(bw, scratch, []byte(u.Name)); err != nil {
			return err
		}
		ops := u.Ops()
		*scratch = binary.AppendUvarint((*scratch)[:0], uint64(len(ops)))
		if _, err := bw.Write(*scratch); err != nil {
			return err
		}
		for _, op := range ops {
			if err := writeBytes(bw, scratch, []byte(op)); err != nil {
				return err
			}
		}
	}
	return nil
}

// readUsers reads the ACL users section.
func readUsers(sr *snapshotReader) (map[string]*acl.User, error) {
	n, err := sr.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read acl users: %w", err)
	}
	var users map[string]*acl.User
	last := ""
	for i := uint64(0); i < n; i++ {
		name, err := sr.readBytes()
		if err != nil {
			return nil, fmt.Errorf("read acl user: %w", err)
		}
		if i > 0 && string(name) <= last {
			return nil, fmt.Errorf("acl user %q out of order", name)
		}
		last = string(name)
		k, err := sr.uvarint()
		if err != nil {
			return nil, fmt.Errorf("read acl user %q: %w", name, err)
		}
		var ops [][]byte
		for j := uint64(0); j < k; j++ {
			op, err := sr.readBytes()
			if err != nil {
				return nil, fmt.Errorf("read acl user %q: %w", name, err)
			}
			ops = append(ops, op)
		}
		u, err := acl.Rebuild(string(name), ops)
		if err != nil {
			return nil, fmt.Errorf("acl user %q: %w", name, err)
		}
		if users == nil {
			users = map[string]*acl.User{}
		}
		users[u.Name] = u
	}
	return users, nil
}
