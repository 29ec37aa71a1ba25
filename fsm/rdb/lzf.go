package rdb

// LZF, as liblzf 3.6 (lzf_c.c, lzf_d.c) compiled into Redis: HLOG 16,
// VERY_FAST, and the compressed format
//
//	000LLLLL <L+1 bytes>          a literal run of L+1 bytes
//	LLLooooo oooooooo             a back reference of L+2 bytes, L < 7
//	111ooooo LLLLLLLL oooooooo    a back reference of L+9 bytes
//
// where the offset o+1 counts back from the end of the output.

const (
	lzfHashLog = 16
	lzfMaxLit  = 1 << 5
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = (1 << 8) + (1 << 3)
	// lzfMaxRatio bounds how much a compressed byte can give: a 3-byte
	// long back reference gives at most 264 bytes.
	lzfMaxRatio = 88
)

// lzfTable is the compressor's hash table: the position+1 of the last
// 3-byte sequence seen for each hash, 0 for none. Redis leaves its table
// uninitialised between calls (INIT_HTAB 0), so a stale slot that happens to
// point at matching bytes can give it a match a fresh table does not; this
// one is cleared for each input, which gives what Redis gives whenever its
// stale slots find nothing, almost always.
type lzfTable struct {
	slot    []uint32
	touched []uint32
}

func (t *lzfTable) reset() {
	if t.slot == nil {
		t.slot = make([]uint32, 1<<lzfHashLog)
		return
	}
	for _, i := range t.touched {
		t.slot[i] = 0
	}
	t.touched = t.touched[:0]
}

func (t *lzfTable) swap(h uint32, pos int) (ref int) {
	i := ((h >> (3*8 - lzfHashLog)) - h*5) & (1<<lzfHashLog - 1)
	ref = int(t.slot[i]) - 1
	if t.slot[i] == 0 {
		t.touched = append(t.touched, i)
	}
	t.slot[i] = uint32(pos + 1)
	return ref
}

func (t *lzfTable) set(h uint32, pos int) { t.swap(h, pos) }

// compress is lzf_compress(in, len(in), out, outLen): the compressed bytes,
// or nil when they would not fit in outLen bytes.
func (t *lzfTable) compress(in []byte, outLen int) []byte {
	if len(in) == 0 || outLen <= 0 || len(in) >= 1<<31 {
		return nil
	}
	t.reset()
	out := make([]byte, 0, outLen)
	// out[litAt] is the control byte of the literal run being built.
	litAt, lit := 0, 0
	out = append(out, 0)
	ip := 0
	end := len(in)
	first := func(p int) uint32 { return uint32(in[p])<<8 | uint32(in[p+1]) }
	next := func(v uint32, p int) uint32 { return v<<8 | uint32(in[p+2]) }
	var hval uint32
	if end >= 2 {
		hval = first(0)
	}
	for ip < end-2 {
		hval = next(hval, ip)
		ref := t.swap(hval, ip)
		if ref >= 0 && ref < ip && ip-ref-1 < lzfMaxOff && ref > 0 &&
			in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			off := ip - ref - 1
			length := 2
			maxLen := min(end-ip-length, lzfMaxRef)
			// Close the literal run; drop its control byte if empty.
			if lit == 0 {
				out = out[:len(out)-1]
			} else {
				out[litAt] = byte(lit - 1)
			}
			if len(out)+3+1 >= outLen {
				return nil
			}
			// liblzf compares 16 bytes unrolled before it checks maxLen,
			// so a match may run up to 2 bytes past it, as here.
			done := false
			if maxLen > 16 {
				for range 16 {
					length++
					if in[ref+length] != in[ip+length] {
						done = true
						break
					}
				}
			}
			for !done {
				length++
				done = length >= maxLen || in[ref+length] != in[ip+length]
			}
			length -= 2 // the number of bytes matched, minus one
			ip++
			if length < 7 {
				out = append(out, byte(off>>8+length<<5))
			} else {
				out = append(out, byte(off>>8+7<<5), byte(length-7))
			}
			out = append(out, byte(off))
			litAt, lit = len(out), 0
			out = append(out, 0)
			ip += length + 1
			if ip >= end-2 {
				break
			}
			ip -= 2
			hval = first(ip)
			hval = next(hval, ip)
			t.set(hval, ip)
			ip++
			hval = next(hval, ip)
			t.set(hval, ip)
			ip++
			continue
		}
		if len(out) >= outLen {
			return nil
		}
		lit++
		out = append(out, in[ip])
		ip++
		if lit == lzfMaxLit {
			out[litAt] = byte(lit - 1)
			litAt, lit = len(out), 0
			out = append(out, 0)
		}
	}
	if len(out)+3 > outLen {
		return nil
	}
	for ip < end {
		lit++
		out = append(out, in[ip])
		ip++
		if lit == lzfMaxLit {
			out[litAt] = byte(lit - 1)
			litAt, lit = len(out), 0
			out = append(out, 0)
		}
	}
	if lit == 0 {
		out = out[:len(out)-1]
	} else {
		out[litAt] = byte(lit - 1)
	}
	return out
}

// lzfDecompress is lzf_decompress into exactly n bytes: it fails unless
// in decompresses to n bytes. The caller bounds n.
func lzfDecompress(in []byte, n int) ([]byte, bool) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 1<<5 {
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, false
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		length := ctrl >> 5
		if length == 7 {
			if i >= len(in) {
				return nil, false
			}
			length += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1f)<<8 - 1 - int(in[i])
		i++
		length += 2
		if ref < 0 || len(out)+length > n {
			return nil, false
		}
		for j := range length { // byte by byte: the reference may overlap
			out = append(out, out[ref+j])
		}
	}
	return out, len(out) == n
}
