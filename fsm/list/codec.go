package list

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// codecVersion leads every encoded list so that the layout can change.
const codecVersion = 1

// ErrCorrupt is wrapped by the errors Decode returns for bad input.
var ErrCorrupt = errors.New("corrupt list")

// AppendBinary appends l's snapshot encoding to b: the version, the fill,
// then each chunk's element count, byte length and entries as they are in
// memory, so that Decode rebuilds the same chunks.
func (l *List) AppendBinary(b []byte) []byte {
	b = append(b, codecVersion)
	b = binary.AppendVarint(b, int64(l.fill))
	b = binary.AppendUvarint(b, uint64(l.last-l.first))
	for i := l.first; i < l.last; i++ {
		c := &l.cs[i]
		b = binary.AppendUvarint(b, uint64(c.n))
		b = binary.AppendUvarint(b, uint64(c.size()))
		b = append(b, c.data()...)
	}
	return b
}

// Decode returns the list whose binary form (see AppendBinary) is all of
// b, with the same chunks and limits. It checks every entry, so that bad
// input gives an error wrapping ErrCorrupt, never a panic or a list that
// would misbehave later. The list does not alias b.
func Decode(b []byte) (*List, error) {
	if len(b) == 0 || b[0] != codecVersion {
		return nil, fmt.Errorf("decode list: unknown version: %w", ErrCorrupt)
	}
	b = b[1:]
	fill, k := binary.Varint(b)
	if k <= 0 || fill < fillMin || fill > fillMax {
		return nil, fmt.Errorf("decode list: bad fill: %w", ErrCorrupt)
	}
	b = b[k:]
	nc, k := binary.Uvarint(b)
	// Every chunk takes at least 3 bytes, which bounds the allocation.
	if k <= 0 || nc > uint64(len(b)) {
		return nil, fmt.Errorf("decode list: bad chunk count: %w", ErrCorrupt)
	}
	b = b[k:]
	l := New(Limits{ListpackSize: int(fill)})
	if nc > 0 {
		l.cs = make([]chunk, nc)
		l.last = int(nc)
	}
	for i := range l.cs {
		n, k1 := binary.Uvarint(b)
		if k1 <= 0 || n == 0 || n > 1<<31-1 {
			return nil, fmt.Errorf("decode list: chunk %d: bad count: %w", i, ErrCorrupt)
		}
		size, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 || size > uint64(len(b)-k1-k2) || size > 1<<31-1 {
			return nil, fmt.Errorf("decode list: chunk %d: bad length: %w", i, ErrCorrupt)
		}
		data := b[k1+k2 : k1+k2+int(size)]
		if !l.fits(int(size), int(n)) {
			return nil, fmt.Errorf("decode list: chunk %d: %d elements in %d bytes is over the fill: %w", i, n, size, ErrCorrupt)
		}
		if err := checkEntries(data, int(n)); err != nil {
			return nil, fmt.Errorf("decode list: chunk %d: %w", i, err)
		}
		buf := newBuf(len(data))[:len(data)]
		copy(buf, data)
		l.cs[i] = chunk{buf: buf, n: int32(n), own: l.own}
		l.n += int(n)
		b = b[k1+k2+int(size):]
	}
	if len(b) > 0 {
		return nil, fmt.Errorf("decode list: %d bytes after the list: %w", len(b), ErrCorrupt)
	}
	return l, nil
}

// checkEntries reports whether data is exactly n entries, each encoded as
// encode would encode its element (the smallest encoding, integers as
// integers) and followed by the right backward length, which is what the
// rest of the package relies on.
func checkEntries(data []byte, n int) error {
	var scratch [20]byte
	var back [5]byte
	off := 0
	for k := 0; k < n; k++ {
		if off >= len(data) {
			return fmt.Errorf("%d entries, want %d: %w", k, n, ErrCorrupt)
		}
		el := encLenAt(data, off)
		if el < 0 {
			return fmt.Errorf("entry %d: bad encoding: %w", k, ErrCorrupt)
		}
		e, _ := value(data, off, &scratch)
		x := encode(e)
		if x.encLen() != el || !x.matches(data, off) {
			return fmt.Errorf("entry %d: not in its canonical encoding: %w", k, ErrCorrupt)
		}
		bs := backlenSize(el)
		putBacklen(back[:], el)
		if off+el+bs > len(data) || !bytes.Equal(data[off+el:off+el+bs], back[:bs]) {
			return fmt.Errorf("entry %d: bad backward length: %w", k, ErrCorrupt)
		}
		off += el + bs
	}
	if off != len(data) {
		return fmt.Errorf("%d bytes after %d entries: %w", len(data)-off, n, ErrCorrupt)
	}
	return nil
}
