package fsm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
)

// Snapshot stream, version 3:
//
//	magic        "RCSN"
//	version      1 byte
//	applied      uvarint: index of the last applied log entry
//	created      uvarint n, then n times (version 2 only), ascending bucket:
//	               bucket    uvarint
//	               index     uvarint (non-zero)
//	count        uvarint: number of entries
//	entries      count times, in ascending key order:
//	               type      1 byte (valueType)
//	               key       uvarint length, bytes
//	               expireAt  varint (ms; 0: none)
//	               modIndex  uvarint
//	               value     strings: uvarint length, bytes
//	                         hashes (version 2 only): 1 byte, 1 if converted
//	                         (see hashValue); uvarint field count; then each
//	                         field's name and value as uvarint length, bytes
//	checksum     CRC-32C of every byte above, 4 bytes little-endian
//
// Version 2 has the same layout, with keys put in created buckets by the
// high bits of their FNV-1a hash alone (see createdBucketOf); Restore reads
// its buckets as they are. Version 1 is the same without the created
// buckets and hashes; Restore still reads it, taking every bucket as 0.
// Either way the buckets of a node restored from an older snapshot can
// differ from those of a node that replayed the same log, and the two may
// then disagree on whether an EXEC that WATCHed an absent key aborts: a
// cluster that uses WATCH on absent keys must not be upgraded across a
// version change member by member.
//
// Keys are sorted so that equal states give equal bytes, which makes
// snapshots comparable across nodes. The created buckets are state too:
// WATCH's outcome depends on them, so every node must have the same.
const (
	snapshotMagic   = "RCSN"
	snapshotVersion = 3
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type keyEntry struct {
	key string
	entry
}

// snapshot is the state captured by Store.Snapshot, written later by WriteTo.
type snapshot struct {
	applied uint64
	created [createdBuckets]uint64
	entries []keyEntry
}

// Snapshot captures the current state. For now it copies every entry under
// the lock (O(keys) time and memory, blocking Apply meanwhile); value bytes
// are shared rather than copied, which is safe because stored values are
// immutable (see entry). A copy-on-write keyspace would make this O(1).
// Sorting and encoding happen later, in WriteTo, off the apply path.
func (s *Store) Snapshot() (io.WriterTo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sn := &snapshot{applied: s.applied, created: *s.created, entries: make([]keyEntry, 0, s.count)}
	for _, shard := range s.shards {
		for k, e := range shard {
			// Clip so the snapshot never sees bytes a later APPEND
			// writes into spare capacity (it only reads [:len] anyway);
			// hashes change in place, so they are cloned.
			e.str = e.str[:len(e.str):len(e.str)]
			if e.hash != nil {
				e.hash = e.hash.clone()
			}
			sn.entries = append(sn.entries, keyEntry{key: k, entry: e})
		}
	}
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
// Apply: it touches only the captured entries.
func (sn *snapshot) WriteTo(w io.Writer) (int64, error) {
	slices.SortFunc(sn.entries, func(a, b keyEntry) int { return strings.Compare(a.key, b.key) })
	cw := &checksumWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var scratch []byte
	scratch = append(scratch, snapshotMagic...)
	scratch = append(scratch, snapshotVersion)
	scratch = binary.AppendUvarint(scratch, sn.applied)
	nonZero := 0
	for _, idx := range sn.created {
		if idx != 0 {
			nonZero++
		}
	}
	scratch = binary.AppendUvarint(scratch, uint64(nonZero))
	for b, idx := range sn.created {
		if idx != 0 {
			scratch = binary.AppendUvarint(scratch, uint64(b))
			scratch = binary.AppendUvarint(scratch, idx)
		}
	}
	scratch = binary.AppendUvarint(scratch, uint64(len(sn.entries)))
	if _, err := bw.Write(scratch); err != nil {
		return cw.n, fmt.Errorf("snapshot: write header: %w", err)
	}
	for i := range sn.entries {
		e := &sn.entries[i]
		scratch = append(scratch[:0], byte(e.typ))
		scratch = binary.AppendUvarint(scratch, uint64(len(e.key)))
		scratch = append(scratch, e.key...)
		scratch = binary.AppendVarint(scratch, e.expireAt)
		scratch = binary.AppendUvarint(scratch, e.modIndex)
		if e.typ == typeHash {
			converted := byte(0)
			if e.hash.index != nil {
				converted = 1
			}
			scratch = append(scratch, converted)
			scratch = binary.AppendUvarint(scratch, uint64(len(e.hash.fields)))
			if _, err := bw.Write(scratch); err != nil {
				return cw.n, fmt.Errorf("snapshot: write entry %d: %w", i, err)
			}
			for _, f := range e.hash.fields {
				if err := writeBytes(bw, &scratch, f.name); err != nil {
					return cw.n, fmt.Errorf("snapshot: write entry %d: %w", i, err)
				}
				if err := writeBytes(bw, &scratch, f.value); err != nil {
					return cw.n, fmt.Errorf("snapshot: write entry %d: %w", i, err)
				}
			}
			continue
		}
		if _, err := bw.Write(scratch); err != nil {
			return cw.n, fmt.Errorf("snapshot: write entry %d: %w", i, err)
		}
		if err := writeBytes(bw, &scratch, e.str); err != nil {
			return cw.n, fmt.Errorf("snapshot: write entry %d: %w", i, err)
		}
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

// writeBytes writes b with its uvarint length prefix.
func writeBytes(bw *bufio.Writer, scratch *[]byte, b []byte) error {
	*scratch = binary.AppendUvarint((*scratch)[:0], uint64(len(b)))
	if _, err := bw.Write(*scratch); err != nil {
		return err
	}
	_, err := bw.Write(b)
	return err
}

// snapshotReader reads a snapshot stream, checksumming every byte it
// consumes (bufio reads ahead, so the checksum cannot be kept below it).
type snapshotReader struct {
	br      *bufio.Reader
	crc     uint32
	one     [1]byte
	version byte
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

func (r *snapshotReader) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, err
	}
	r.one[0] = b
	r.crc = crc32.Update(r.crc, castagnoli, r.one[:])
	return b, nil
}

// readFullBytes reads exactly n bytes. Large n is read in chunks, so a
// corrupt length fails at the end of the stream instead of allocating it
// up front.
func (r *snapshotReader) readFullBytes(n uint64) ([]byte, error) {
	const chunk = 1 << 20
	if n > maxStringLen {
		return nil, fmt.Errorf("length %d exceeds %d", n, maxStringLen)
	}
	var out []byte
	if n <= chunk {
		out = make([]byte, n)
		if _, err := io.ReadFull(r.br, out); err != nil {
			return nil, err
		}
	} else {
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, r.br, int64(n)); err != nil {
			return nil, err
		}
		out = buf.Bytes()[:n:n]
	}
	r.crc = crc32.Update(r.crc, castagnoli, out)
	return out, nil
}

func (r *snapshotReader) uvarint() (uint64, error) { return binary.ReadUvarint(r) }

// Restore replaces the whole state with the one in r, written by a
// snapshot's WriteTo. It reads and verifies the complete stream before
// touching the Store, so a torn or corrupt stream returns an error and leaves
// the old state as it was.
func (s *Store) Restore(r io.Reader) error {
	sr := &snapshotReader{br: bufio.NewReaderSize(r, 64<<10)}
	header := make([]byte, len(snapshotMagic)+1)
	if _, err := io.ReadFull(sr.br, header); err != nil {
		return fmt.Errorf("restore: read header: %w", noEOF(err))
	}
	sr.crc = crc32.Update(0, castagnoli, header)
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
	created := new([createdBuckets]uint64)
	if version >= 2 {
		if err := sr.readCreated(created); err != nil {
			return fmt.Errorf("restore: %w", noEOF(err))
		}
	}
	count, err := sr.uvarint()
	if err != nil {
		return fmt.Errorf("restore: read entry count: %w", noEOF(err))
	}
	var shards [shardCount]map[string]entry
	expires := 0
	var prevKey string
	for i := uint64(0); i < count; i++ {
		e, key, err := sr.readEntry()
		if err != nil {
			return fmt.Errorf("restore: entry %d: %w", i, noEOF(err))
		}
		if i > 0 && key <= prevKey {
			return fmt.Errorf("restore: entry %d: keys out of order", i)
		}
		prevKey = key
		i := shardOf([]byte(key))
		if shards[i] == nil {
			shards[i] = make(map[string]entry)
		}
		shards[i][key] = e
		if e.expireAt != 0 {
			expires++
		}
	}
	want := sr.crc
	var sum [4]byte
	if _, err := io.ReadFull(sr.br, sum[:]); err != nil {
		return fmt.Errorf("restore: read checksum: %w", noEOF(err))
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return fmt.Errorf("restore: checksum mismatch: stream says %08x, content gives %08x", got, want)
	}
	s.mu.Lock()
	s.shards, s.count, s.expires, s.applied, s.created = shards, int(count), expires, applied, created
	s.mu.Unlock()
	return nil
}

func (r *snapshotReader) readEntry() (entry, string, error) {
	typ, err := r.ReadByte()
	if err != nil {
		return entry{}, "", fmt.Errorf("read type: %w", err)
	}
	if valueType(typ) != typeString && (valueType(typ) != typeHash || r.version < 2) {
		return entry{}, "", fmt.Errorf("unknown value type %d", typ)
	}
	keyLen, err := r.uvarint()
	if err != nil {
		return entry{}, "", fmt.Errorf("read key length: %w", err)
	}
	key, err := r.readFullBytes(keyLen)
	if err != nil {
		return entry{}, "", fmt.Errorf("read key: %w", err)
	}
	expireAt, err := binary.ReadVarint(r)
	if err != nil {
		return entry{}, "", fmt.Errorf("read deadline: %w", err)
	}
	modIndex, err := r.uvarint()
	if err != nil {
		return entry{}, "", fmt.Errorf("read modification index: %w", err)
	}
	e := entry{typ: valueType(typ), expireAt: expireAt, modIndex: modIndex}
	if e.typ == typeHash {
		if e.hash, err = r.readHash(); err != nil {
			return entry{}, "", err
		}
		return e, string(key), nil
	}
	if e.str, err = r.readBytes(); err != nil {
		return entry{}, "", fmt.Errorf("read value: %w", err)
	}
	return e, string(key), nil
}

func (r *snapshotReader) readBytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, fmt.Errorf("read length: %w", err)
	}
	return r.readFullBytes(n)
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
