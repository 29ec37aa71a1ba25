package resp

import (
	"bytes"
	"encoding/binary"
	"hash/crc64"
	"testing"
)

// FUNCTION DUMP and FUNCTION RESTORE against Redis: a dump made by
// redis-server restores into raftcache and one made by raftcache into
// redis-server (their bytes differ: see fsm/functiondump.go), and every
// error of RESTORE, from payloads built here, is Redis's.

// dumpPayload builds a FUNCTION DUMP payload of raw records, with RDB
// version 10 and Redis's CRC-64 (Jones, no inversions) footer.
func dumpPayload(version uint16, records ...[]byte) string {
	b := bytes.Join(records, nil)
	b = binary.LittleEndian.AppendUint16(b, version)
	crc := ^crc64.Update(^uint64(0), crc64.MakeTable(0x95ac9329ac4bc9b5), b)
	return string(binary.LittleEndian.AppendUint64(b, crc))
}

// libraryRecord is one library's record: the function opcode (245) and
// its code, verbatim, as an RDB string.
func libraryRecord(code string) []byte {
	b := []byte{245}
	switch n := len(code); {
	case n < 64:
		b = append(b, byte(n))
	case n < 16384:
		b = append(b, byte(n>>8)|0x40, byte(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return append(b, code...)
}

// preGARecord is a library in the release candidates' format (opcode
// 246): name, engine, a description if desc is not empty, and the code
// without its shebang.
func preGARecord(name, engine, desc, code string) []byte {
	str := func(s string) []byte { return libraryRecord(s)[1:] }
	b := append([]byte{246}, str(name)...)
	b = append(b, str(engine)...)
	if desc == "" {
		b = append(b, 0)
	} else {
		b = append(append(b, 1), str(desc)...)
	}
	return append(b, str(code)...)
}

func TestCompatFunctionDump(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	lib := func(name, fn, ret string) string {
		return "#!lua name=" + name + "\nredis.register_function('" + fn + "', function(keys, args) return '" + ret + "' end)"
	}
	long := "#!lua name=big\n-- " + string(bytes.Repeat([]byte("padding "), 3000)) +
		"\nredis.register_function{function_name='big', callback=function() return 'big' end, flags={'no-writes'}, description='a long one'}"
	for _, proto := range []int{2, 3} {
		s := newSession(t, redisAddr, targets, proto)
		s.check([]string{"FUNCTION", "FLUSH"})

		// Redis's dump (LZF-compressed) into raftcache.
		if v, err := s.redis.do("FUNCTION", "LOAD", long); err != nil || v.isError() {
			t.Fatalf("FUNCTION LOAD on redis: %v %q", err, v.raw)
		}
		dump, err := s.redis.do("FUNCTION", "DUMP")
		if err != nil || dump.typ != '$' {
			t.Fatalf("FUNCTION DUMP on redis: %v %q", err, dump.raw)
		}
		for _, tg := range s.targets {
			if v, err := tg.do("FUNCTION", "RESTORE", dump.text); err != nil || v.raw != "+OK\r\n" {
				t.Fatalf("%s: FUNCTION RESTORE of Redis's dump: %v %q", tg.name, err, v.raw)
			}
		}
		s.check([]string{"FUNCTION", "LIST", "WITHCODE"})
		s.check([]string{"FCALL", "big", "0"})

		// raftcache's dump into Redis, for each target.
		for _, tg := range s.targets {
			mine, err := tg.do("FUNCTION", "DUMP")
			if err != nil || mine.typ != '$' {
				t.Fatalf("%s: FUNCTION DUMP: %v %q", tg.name, err, mine.raw)
			}
			s.check([]string{"FUNCTION", "FLUSH"})
			if v, err := s.redis.do("FUNCTION", "RESTORE", mine.text); err != nil || v.raw != "+OK\r\n" {
				t.Fatalf("redis: FUNCTION RESTORE of %s's dump: %v %q", tg.name, err, v.raw)
			}
			for _, other := range s.targets {
				if v, err := other.do("FUNCTION", "RESTORE", mine.text); err != nil || v.raw != "+OK\r\n" {
					t.Fatalf("%s: FUNCTION RESTORE of %s's dump: %v %q", other.name, tg.name, err, v.raw)
				}
			}
			s.check([]string{"FUNCTION", "LIST", "WITHCODE"})
		}

		// An empty dump, and the policies.
		s.check([]string{"FUNCTION", "FLUSH"})
		empty, err := s.redis.do("FUNCTION", "DUMP")
		if err != nil {
			t.Fatal(err)
		}
		s.check([]string{"FUNCTION", "DUMP"})
		a, b, a2 := lib("a", "fa", "a"), lib("b", "fb", "b"), lib("a", "fa2", "a2")
		clash := lib("c", "fb", "c")
		badVersion := []byte(dumpPayload(11, libraryRecord(a)))
		corrupt := []byte(dumpPayload(10, libraryRecord(a)))
		corrupt[3] ^= 1
		for _, args := range [][]string{
			{"FUNCTION", "RESTORE", empty.text},
			{"FUNCTION", "LOAD", a},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(b))},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(a2))},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(a2)), "append"},
			{"FCALL", "fa", "0"},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(a2)), "REPLACE"},
			{"FCALL", "fa", "0"},
			{"FCALL", "fa2", "0"},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(clash)), "REPLACE"},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(clash))},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(lib("d", "fd", "d")), libraryRecord(lib("d", "fe", "d")))},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(lib("d", "fd", "d")), libraryRecord(lib("e", "fd", "d")))},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(b), libraryRecord(clash)), "FLUSH"},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{246, 0})},
			{"FUNCTION", "RESTORE", dumpPayload(10, preGARecord("pre", "LUA", "", "redis.register_function('fpre', function() return 'pre' end)"))},
			{"FCALL", "fpre", "0"},
			{"FUNCTION", "RESTORE", dumpPayload(10, preGARecord("pre2", "LUA", "a description", "redis.register_function('fpre2', function() return 'pre2' end)"))},
			{"FCALL", "fpre2", "0"},
			{"FUNCTION", "RESTORE", dumpPayload(10, preGARecord("pre3", "NOSUCH", "", "return 1"))},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{246, 1, 'x', 3, 'L', 'U', 'A'})},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{246, 1, 'x', 3, 'L', 'U', 'A', 1})},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{246, 1, 'x', 3, 'L', 'U', 'A', 0})},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{246, 0x41})},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{0, 0})},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{245, 0xc3, 5, 9, 1})},
			{"FUNCTION", "RESTORE", dumpPayload(10, []byte{245, 0xc0, 7})},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord("return 1"))},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord("#!lua name=x\nreturn 1"))},
			{"FUNCTION", "RESTORE", dumpPayload(9, libraryRecord(lib("old", "fold", "old")))},
			{"FCALL", "fold", "0"},
			{"FUNCTION", "RESTORE", string(badVersion)},
			{"FUNCTION", "RESTORE", string(corrupt)},
			{"FUNCTION", "RESTORE", "short"},
			{"FUNCTION", "RESTORE", "x", "MERGE"},
			{"FUNCTION", "RESTORE", "x", "flush", "more"},
			{"FUNCTION", "RESTORE"},
			{"FUNCTION", "DUMP", "x"},
			{"FCALL", "fb", "0"},
			{"FUNCTION", "RESTORE", dumpPayload(10, libraryRecord(clash)), "FLUSH"},
			{"FCALL", "fa2", "0"},
			{"FCALL", "fb", "0"},
			{"FUNCTION", "LIST"},
			{"FUNCTION", "RESTORE", empty.text, "FLUSH"},
			{"FUNCTION", "LIST"},
		} {
			s.check(args)
		}
	}
}
