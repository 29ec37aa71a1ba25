package fsm

import (
	"encoding/binary"
	"errors"
	"hash/crc64"
	"math"
	"strconv"
	"strings"
)

// FUNCTION DUMP and FUNCTION RESTORE, in Redis 7.0's payload format
// (functionDumpCommand, functionRestoreCommand), so that a dump made by
// redis-server restores here and one made here restores there:
//
//	for each library:  0xF5 (RDB_OPCODE_FUNCTION2), its code as an RDB string
//	then:              the RDB version, 2 bytes little-endian (10 in 7.0)
//	then:              CRC-64/Jones of all the bytes before, 8 bytes little-endian
//
// An RDB string is a length (1, 2, 5 or 9 bytes) and the bytes, or an
// integer, or an LZF-compressed run: Redis compresses code longer than 20
// bytes, so RESTORE decompresses; DUMP writes every code verbatim, which
// Redis loads alike. (Redis's compressed bytes depend on its hash table's
// leftovers and its libraries on its dictionary's order, so no dump can
// equal Redis's byte for byte; a dump here lists libraries by name.)
//
// DUMP is a read. RESTORE is a write through the log: every node decodes
// the same payload and loads the same libraries.

const (
	opFunctionDump    opcode = 527
	opFunctionRestore opcode = 528 // flags: the policy; args: the payload
)

// FUNCTION RESTORE's policies (flags of opFunctionRestore); APPEND is 0.
const (
	flagRestoreFlush   = flagNX
	flagRestoreReplace = flagReplace
)

const (
	rdbVersion             = 10  // RDB_VERSION of Redis 7.0
	rdbOpcodeFunction2     = 245 // RDB_OPCODE_FUNCTION2
	rdbOpcodeFunctionPreGA = 246 // RDB_OPCODE_FUNCTION_PRE_GA

	errDumpPayload    = redisError("ERR DUMP payload version or checksum are wrong")
	errRestorePolicy  = redisError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
	errLibraryPayload = "ERR Failed loading library payload"
)

// jonesTable is Redis's crc64 (crc64.c: the Jones polynomial, reflected,
// as Go's tables are), built once and only read.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC64 is Redis's crc64(0, b, len): no initial or final inversion,
// which Go's crc64.Update applies, so they are undone around it.
func redisCRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), jonesTable, b) }

// parseFunctionRestore parses FUNCTION RESTORE payload [FLUSH|APPEND|
// REPLACE], checking what Redis checks before touching any library: the
// policy, then the payload's version and checksum (verifyDumpPayload).
func parseFunctionRestore(argv [][]byte) (Command, error) {
	if len(argv) > 4 {
		return Command{}, subcommandSyntaxError("function", argv[1])
	}
	var flags uint16
	if len(argv) == 4 {
		switch {
		case EqualFold(argv[3], "append"):
		case EqualFold(argv[3], "replace"):
			flags = flagRestoreReplace
		case EqualFold(argv[3], "flush"):
			flags = flagRestoreFlush
		default:
			return Command{}, errRestorePolicy
		}
	}
	if !validDumpPayload(argv[2]) {
		return Command{}, errDumpPayload
	}
	return Command{op: opFunctionRestore, flags: flags, args: argv[2:3]}, nil
}

// validDumpPayload is verifyDumpPayload: a version Redis 7.0 can read and
// a matching checksum.
func validDumpPayload(p []byte) bool {
	if len(p) < 10 {
		return false
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > rdbVersion {
		return false
	}
	return binary.LittleEndian.Uint64(footer[2:]) == redisCRC64(p[:len(p)-8])
}

// functionDump is FUNCTION DUMP.
func (ks *keyspace) functionDump(Command, int64) Reply {
	var b []byte
	for _, lib := range ks.s.librariesInOrder() {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBLen(b, uint64(len(lib.code)))
		b = append(b, lib.code...)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	b = binary.LittleEndian.AppendUint64(b, redisCRC64(b))
	return Bulk(b)
}

// appendRDBLen appends n as rdbSaveLen does.
func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// functionRestore is FUNCTION RESTORE after its checks in Parse: it loads
// every library of the payload into a new set of libraries
// (functionsCreateWithLibraryCtx), then joins that set to the current one
// by the policy (libraryJoin), or replaces it (FLUSH). Nothing changes
// unless all of it succeeds.
func (w *writer) functionRestore(c Command) Reply {
	s := w.s
	libs, err := s.decodeFunctionDump(c.args[0])
	if err != nil {
		return Error(err.Error())
	}
	if c.flags&flagRestoreFlush != 0 {
		s.libraries, s.functions = nil, nil
		for _, lib := range libs {
			s.addLibrary(lib, nil)
		}
		return OK
	}
	// Every library the payload brings must be new, or replaced (its old
	// functions then go); no function may then clash with another's.
	replaced := map[string]bool{}
	for _, lib := range libs {
		if s.libraries[lib.name] == nil {
			continue
		}
		if c.flags&flagRestoreReplace == 0 {
			return Error("ERR Library " + lib.name + " already exists")
		}
		replaced[lib.name] = true
	}
	for _, lib := range libs {
		for _, f := range lib.funcs {
			if other := s.functions[strings.ToLower(f.Name)]; other != nil && !replaced[other.name] {
				return Error("ERR Function " + f.Name + " already exists")
			}
		}
	}
	for _, lib := range libs {
		s.addLibrary(lib, s.libraries[lib.name])
	}
	return OK
}

// decodeFunctionDump reads a checked payload's libraries and loads each,
// in the payload's order, with Redis's errors: a library or function the
// payload has twice fails as FUNCTION LOAD would.
func (s *Store) decodeFunctionDump(p []byte) ([]*library, error) {
	r := rdbReader{b: p}
	var libs []*library
	byName := map[string]bool{}
	funcs := map[string]bool{}
	for len(p)-r.pos > 10 {
		t := r.b[r.pos]
		r.pos++
		var code []byte
		switch t {
		case rdbOpcodeFunctionPreGA:
			var err error
			if code, err = r.preGALibrary(); err != nil {
				return nil, err
			}
		case rdbOpcodeFunction2:
			var ok bool
			if code, ok = r.str(); !ok {
				return nil, errors.New(errLibraryPayload)
			}
		default:
			return nil, errors.New("ERR given type is not a function")
		}
		lib, err := s.loadLibrary(code)
		if err != nil {
			return nil, err
		}
		if byName[lib.name] {
			return nil, errors.New("ERR Library '" + lib.name + "' already exists")
		}
		byName[lib.name] = true
		for _, f := range lib.funcs {
			if funcs[strings.ToLower(f.Name)] {
				return nil, errors.New("ERR Function " + f.Name + " already exists")
			}
			funcs[strings.ToLower(f.Name)] = true
		}
		libs = append(libs, lib)
	}
	return libs, nil
}

// preGALibrary reads a library in the format of Redis 7.0's release
// candidates (RDB_OPCODE_FUNCTION), which Redis 7.0 still loads: name,
// engine, an optional description, and the code without its shebang,
// which it puts back ("#!<engine> name=<name>\n").
func (r *rdbReader) preGALibrary() ([]byte, error) {
	name, ok := r.str()
	if !ok {
		return nil, errors.New("ERR Failed loading library name")
	}
	engine, ok := r.str()
	if !ok {
		return nil, errors.New("ERR Failed loading engine name")
	}
	hasDesc, _, ok := r.length()
	if !ok {
		return nil, errors.New("ERR Failed loading library description indicator")
	}
	if hasDesc != 0 {
		if _, ok := r.str(); !ok {
			return nil, errors.New("ERR Failed loading library description")
		}
	}
	blob, ok := r.str()
	if !ok {
		return nil, errors.New("ERR Failed loading library blob")
	}
	// sdscatfmt's %s: each part ends at a NUL.
	code := append([]byte("#!"), cString(engine, len(engine))...)
	code = append(append(append(code, " name="...), cString(name, len(name))...), '\n')
	return append(code, cString(blob, len(blob))...), nil
}

// rdbReader reads RDB strings from a payload, as rio over a buffer: a
// read may run into the footer, as Redis's does.
type rdbReader struct {
	b   []byte
	pos int
}

func (r *rdbReader) next(n uint64) ([]byte, bool) {
	if n > uint64(len(r.b)-r.pos) {
		return nil, false
	}
	out := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return out, true
}

// length is rdbLoadLenByRef: a length, or (encoded) the kind of a
// special string.
func (r *rdbReader) length() (n uint64, encoded, ok bool) {
	b, ok := r.next(1)
	if !ok {
		return 0, false, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, true
	case 1:
		lo, ok := r.next(1)
		return uint64(b[0]&0x3f)<<8 | uint64(lo[0]), false, ok
	case 3:
		return uint64(b[0] & 0x3f), true, true
	}
	switch b[0] {
	case 0x80:
		v, ok := r.next(4)
		if !ok {
			return 0, false, false
		}
		return uint64(binary.BigEndian.Uint32(v)), false, true
	case 0x81:
		v, ok := r.next(8)
		if !ok {
			return 0, false, false
		}
		return binary.BigEndian.Uint64(v), false, true
	}
	return 0, false, false
}

// str is rdbGenericLoadStringObject: a verbatim, integer or LZF string.
func (r *rdbReader) str() ([]byte, bool) {
	n, encoded, ok := r.length()
	if !ok {
		return nil, false
	}
	if !encoded {
		b, ok := r.next(n)
		return ownedCopy(b), ok
	}
	switch n {
	case 0, 1, 2: // RDB_ENC_INT8, INT16, INT32, little-endian
		b, ok := r.next(1 << n)
		if !ok {
			return nil, false
		}
		var v int64
		switch n {
		case 0:
			v = int64(int8(b[0]))
		case 1:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return strconv.AppendInt(nil, v, 10), true
	case 3: // RDB_ENC_LZF
		clen, enc1, ok1 := r.length()
		ulen, enc2, ok2 := r.length()
		if !ok1 || !ok2 || enc1 || enc2 {
			return nil, false
		}
		in, ok := r.next(clen)
		if !ok || ulen > 512<<20 {
			return nil, false
		}
		return lzfDecompress(in, int(ulen))
	}
	return nil, false
}

// lzfDecompress is liblzf's lzf_decompress, which must produce exactly
// n bytes.
func lzfDecompress(in []byte, n int) ([]byte, bool) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 1<<5 { // a literal run of ctrl+1 bytes
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, false
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		// A back reference: length (3 bits, more in a byte if 7) and
		// offset (5 bits and a byte) back from the end of out.
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
		for j := 0; j < length; j++ { // byte by byte: it may overlap
			out = append(out, out[ref+j])
		}
	}
	if len(out) != n {
		return nil, false
	}
	return out, true
}
