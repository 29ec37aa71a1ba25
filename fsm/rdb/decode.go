package rdb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// Decode checks a DUMP payload's trailer (see Verify) and reads its
// object. As Redis's RESTORE, it reads the object from the whole payload:
// bytes between the object and the trailer are ignored, and an object that
// runs into the trailer takes its bytes.
func Decode(p []byte) (*Value, error) {
	if _, err := Verify(p); err != nil {
		return nil, err
	}
	return DecodeObject(p)
}

// DecodeObject reads one object (a type byte and what follows) from the
// start of b.
func DecodeObject(b []byte) (*Value, error) {
	r := &Reader{b: b}
	t, err := r.Byte()
	if err != nil {
		return nil, err
	}
	v, err := r.object(t)
	if err != nil {
		return nil, err
	}
	v.Type = t
	return v, nil
}

// Reader reads RDB lengths and strings from a buffer, as rio over one.
type Reader struct {
	b   []byte
	pos int
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Remaining is how many bytes are left to read.
func (r *Reader) Remaining() int { return len(r.b) - r.pos }

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, formatError("short read")
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *Reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.pos) {
		return nil, formatError("short read")
	}
	out := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return out, nil
}

// Length is rdbLoadLenByRef: a length, or (encoded) the kind of a
// special string that follows.
func (r *Reader) Length() (n uint64, encoded bool, err error) {
	c, err := r.Byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		lo, err := r.Byte()
		return uint64(c&0x3f)<<8 | uint64(lo), false, err
	case 3:
		return uint64(c & 0x3f), true, nil
	}
	switch c {
	case 0x80:
		b, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case 0x81:
		b, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, formatError("length encoding")
}

// count reads a length that counts items each at least size bytes long,
// so that it cannot be more than the rest of the input holds.
func (r *Reader) count(size int) (int, error) {
	n, _, err := r.Length() // rdbLoadLen(rdb, NULL) ignores the encoded flag
	if err != nil {
		return 0, err
	}
	if n > uint64(r.Remaining()/size) {
		return 0, formatError("count past the end")
	}
	return int(n), nil
}

// String is rdbGenericLoadStringObject: the bytes of a verbatim, integer
// or LZF-compressed string. A verbatim string aliases the input.
func (r *Reader) String() ([]byte, error) {
	n, encoded, err := r.Length()
	if err != nil {
		return nil, err
	}
	if !encoded {
		return r.take(n)
	}
	switch n {
	case 0:
		b, err := r.take(1)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), nil
	case 1:
		b, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case 2:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case 3:
		clen, _, err := r.Length()
		if err != nil {
			return nil, err
		}
		ulen, _, err := r.Length()
		if err != nil {
			return nil, err
		}
		in, err := r.take(clen)
		if err != nil {
			return nil, err
		}
		if ulen > clen*lzfMaxRatio {
			return nil, formatError("LZF length")
		}
		out, ok := lzfDecompress(in, int(ulen))
		if !ok {
			return nil, formatError("invalid LZF compressed string")
		}
		return out, nil
	}
	return nil, formatError("string encoding")
}

func (r *Reader) object(t byte) (*Value, error) {
	switch t {
	case TypeString:
		s, err := r.String()
		return &Value{Kind: KindString, Str: s}, err
	case TypeList:
		return r.plainList()
	case TypeListZiplist:
		return r.ziplistList()
	case TypeListQuicklist, TypeListQuicklist2:
		return r.quicklist(t == TypeListQuicklist2)
	case TypeSet:
		return r.set()
	case TypeSetIntset:
		return r.intset()
	case TypeZSet, TypeZSet2:
		return r.zset(t == TypeZSet2)
	case TypeZSetZiplist, TypeZSetListpack:
		return r.packedZSet(t == TypeZSetListpack)
	case TypeHash:
		return r.hash()
	case TypeHashZiplist, TypeHashListpack:
		return r.packedHash(t == TypeHashListpack)
	case TypeHashZipmap:
		return r.zipmapHash()
	case TypeStreamListpacks, TypeStreamListpacks2:
		s, err := r.stream(t == TypeStreamListpacks2)
		return &Value{Kind: KindStream, Stream: s}, err
	}
	return nil, formatError("object type " + strconv.Itoa(int(t)))
}

func (r *Reader) plainList() (*Value, error) {
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, formatError("empty list")
	}
	elems := make([][]byte, n)
	for i := range elems {
		if elems[i], err = r.String(); err != nil {
			return nil, err
		}
	}
	return &Value{Kind: KindList, Nodes: [][][]byte{elems}}, nil
}

func (r *Reader) ziplistList() (*Value, error) {
	zl, err := r.String()
	if err != nil {
		return nil, err
	}
	elems, err := zlEntries(zl)
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, formatError("empty list")
	}
	return &Value{Kind: KindList, Nodes: [][][]byte{elems}}, nil
}

// quicklist reads a list of ziplist nodes (v1) or of containers, each a
// listpack or a single plain element (v2). Empty nodes are dropped, as
// Redis drops them.
func (r *Reader) quicklist(v2 bool) (*Value, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	v := &Value{Kind: KindList}
	for range n {
		container := uint64(quicklistPacked)
		if v2 {
			if container, _, err = r.Length(); err != nil {
				return nil, err
			}
			if container != quicklistPacked && container != quicklistPlain {
				return nil, formatError("quicklist container")
			}
		}
		blob, err := r.String()
		if err != nil {
			return nil, err
		}
		var elems [][]byte
		switch {
		case container == quicklistPlain:
			elems = [][]byte{blob}
		case v2:
			elems, err = lpEntries(blob)
		default:
			elems, err = zlEntries(blob)
		}
		if err != nil {
			return nil, err
		}
		if len(elems) > 0 {
			v.Nodes = append(v.Nodes, elems)
		}
	}
	if len(v.Nodes) == 0 {
		return nil, formatError("empty list")
	}
	return v, nil
}

func (r *Reader) set() (*Value, error) {
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, formatError("empty set")
	}
	v := &Value{Kind: KindSet, Members: make([][]byte, n)}
	seen := make(map[string]struct{}, n)
	for i := range v.Members {
		m, err := r.String()
		if err != nil {
			return nil, err
		}
		if _, dup := seen[string(m)]; dup {
			return nil, formatError("duplicate set member")
		}
		seen[string(m)] = struct{}{}
		v.Members[i] = m
		v.MaxLen = max(v.MaxLen, len(m))
	}
	return v, nil
}

func (r *Reader) intset() (*Value, error) {
	b, err := r.String()
	if err != nil {
		return nil, err
	}
	width, vals, err := intsetValues(b)
	if err != nil {
		return nil, err
	}
	v := &Value{Kind: KindSet, Intset: true, IntsetWidth: width, Members: make([][]byte, len(vals))}
	for i, x := range vals {
		v.Members[i] = strconv.AppendInt(nil, x, 10)
	}
	return v, nil
}

// zset reads a skiplist sorted set: members with scores as text (v1) or
// as binary doubles (v2).
func (r *Reader) zset(binaryScores bool) (*Value, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, formatError("empty sorted set")
	}
	v := &Value{Kind: KindZSet, Scored: make([]Scored, n)}
	for i := range v.Scored {
		m, err := r.String()
		if err != nil {
			return nil, err
		}
		var score float64
		if binaryScores {
			b, err := r.take(8)
			if err != nil {
				return nil, err
			}
			score = math.Float64frombits(binary.LittleEndian.Uint64(b))
		} else if score, err = r.textScore(); err != nil {
			return nil, err
		}
		v.Scored[i] = Scored{Member: m, Score: score}
	}
	return v, v.sortScored()
}

// textScore is rdbLoadDoubleValue: a length byte, with 253, 254 and 255
// for NaN, +inf and -inf, then the score's text.
func (r *Reader) textScore() (float64, error) {
	n, err := r.Byte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := r.take(uint64(n))
	if err != nil {
		return 0, err
	}
	return parseScore(b)
}

func parseScore(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, formatError("score")
	}
	return f, nil
}

// sortScored puts a sorted set's members in (score, member) order and
// rejects what Redis rejects: a NaN score, a member twice.
func (v *Value) sortScored() error {
	for _, m := range v.Scored {
		if math.IsNaN(m.Score) {
			return formatError("NaN score")
		}
		v.MaxLen = max(v.MaxLen, len(m.Member))
	}
	slices.SortFunc(v.Scored, func(a, b Scored) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
	seen := make(map[string]struct{}, len(v.Scored))
	for _, m := range v.Scored {
		if _, dup := seen[string(m.Member)]; dup {
			return formatError("duplicate sorted set member")
		}
		seen[string(m.Member)] = struct{}{}
	}
	return nil
}

func (r *Reader) packedZSet(listpack bool) (*Value, error) {
	b, err := r.String()
	if err != nil {
		return nil, err
	}
	var elems [][]byte
	if listpack {
		elems, err = lpEntries(b)
	} else {
		elems, err = zlEntries(b)
	}
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 || len(elems)%2 != 0 {
		return nil, formatError("sorted set listpack length")
	}
	v := &Value{Kind: KindZSet, Compact: true, Scored: make([]Scored, len(elems)/2)}
	for i := range v.Scored {
		score, err := parseScore(elems[2*i+1])
		if err != nil {
			return nil, err
		}
		v.Scored[i] = Scored{Member: elems[2*i], Score: score}
	}
	return v, v.sortScored()
}

func (r *Reader) hash() (*Value, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, formatError("empty hash")
	}
	v := &Value{Kind: KindHash, Pairs: make([][]byte, 2*n)}
	for i := range v.Pairs {
		if v.Pairs[i], err = r.String(); err != nil {
			return nil, err
		}
	}
	return v, v.checkPairs()
}

// checkPairs rejects a field twice and records the longest.
func (v *Value) checkPairs() error {
	seen := make(map[string]struct{}, len(v.Pairs)/2)
	for i := 0; i < len(v.Pairs); i += 2 {
		f := v.Pairs[i]
		if _, dup := seen[string(f)]; dup {
			return formatError("duplicate hash field")
		}
		seen[string(f)] = struct{}{}
		v.MaxLen = max(v.MaxLen, len(f), len(v.Pairs[i+1]))
	}
	return nil
}

func (r *Reader) packedHash(listpack bool) (*Value, error) {
	b, err := r.String()
	if err != nil {
		return nil, err
	}
	var elems [][]byte
	if listpack {
		elems, err = lpEntries(b)
	} else {
		elems, err = zlEntries(b)
	}
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 || len(elems)%2 != 0 {
		return nil, formatError("hash listpack length")
	}
	v := &Value{Kind: KindHash, Compact: true, Pairs: elems}
	return v, v.checkPairs()
}

// zipmapHash reads a zipmap (zipmap.c), the small hash of Redis before
// 2.6: a count byte, then for each pair a field and a value, each with a
// length (1 byte, or 254 and 4 bytes), the value followed by a free byte
// count and that much padding, and 0xFF.
func (r *Reader) zipmapHash() (*Value, error) {
	zm, err := r.String()
	if err != nil {
		return nil, err
	}
	if len(zm) < 2 || zm[len(zm)-1] != 0xff {
		return nil, formatError("zipmap")
	}
	p := 1
	zlen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		switch c := zm[p]; {
		case c < 254:
			p++
			return int(c), true
		case c == 254 && p+5 <= len(zm):
			n := binary.LittleEndian.Uint32(zm[p+1:])
			p += 5
			return int(n), uint64(n) <= uint64(len(zm))
		}
		return 0, false
	}
	v := &Value{Kind: KindHash, Compact: true}
	for p < len(zm) && zm[p] != 0xff {
		n, ok := zlen()
		if !ok || p+n > len(zm) {
			return nil, formatError("zipmap field")
		}
		field := zm[p : p+n]
		p += n
		n, ok = zlen()
		if !ok || p+1+n > len(zm) {
			return nil, formatError("zipmap value")
		}
		free := int(zm[p])
		p++
		if p+n+free > len(zm) {
			return nil, formatError("zipmap value")
		}
		v.Pairs = append(v.Pairs, field, zm[p:p+n])
		p += n + free
	}
	if p != len(zm)-1 || len(v.Pairs) == 0 {
		return nil, formatError("zipmap end")
	}
	return v, v.checkPairs()
}
