package resp

import (
	"bytes"
	"encoding/binary"
	"hash/crc64"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DUMP and RESTORE against Redis. For each type and encoding a value is
// built alike on redis-server and on raftcache (a single node and a
// follower of a 3-node cluster), and:
//
//   - DUMP is compared byte for byte, except for a set or hash in the
//     hashtable encoding, whose order is each side's own table's (both
//     sides then restore it alike);
//   - Redis's DUMP restores into raftcache, and raftcache's DUMP into
//     Redis, and the restored values read alike everywhere, OBJECT
//     ENCODING and a second DUMP included.
//
// RESTORE's errors, from payloads built here, are compared byte for byte.

type dumpCase struct {
	name  string
	build []string // commands, one a line, as runCompatCases reads them
	reads []string // commands reading key K, which is replaced by each key
	// unordered: DUMP's bytes follow the hash table's order. timed: they
	// hold the times of deliveries and consumers, which differ between
	// two servers building the value; restored from one payload they
	// agree.
	unordered, timed bool
	reset            []string
}

var dumpCases = []dumpCase{
	{name: "int string", build: []string{"SET k 100"}, reads: []string{"GET K", "OBJECT REFCOUNT K"}},
	// Under an LRU or LFU policy Redis shares no integer, restored ones
	// included (createStringObjectFromLongLongForValue).
	{name: "int string under lru", build: []string{"CONFIG SET maxmemory 1gb", "CONFIG SET maxmemory-policy allkeys-lru", "SET k 100"},
		reads: []string{"GET K", "OBJECT REFCOUNT K"}, reset: []string{"CONFIG SET maxmemory-policy noeviction", "CONFIG SET maxmemory 0"}},
	{name: "int16 string", build: []string{"SET k -30000"}, reads: []string{"GET K"}},
	{name: "int32 string", build: []string{"SET k 2000000000"}, reads: []string{"GET K"}},
	{name: "int64 string", build: []string{"SET k 9000000000000000000"}, reads: []string{"GET K"}},
	{name: "float string", build: []string{"SET k 1", "INCRBYFLOAT k 0.5"}, reads: []string{"GET K"}},
	{name: "short string", build: []string{"SET k hello"}, reads: []string{"GET K"}},
	{name: "empty string", build: []string{"SET k ''"}, reads: []string{"GET K", "STRLEN K"}},
	{name: "compressed string", build: []string{"SET k " + strings.Repeat("abc", 30)}, reads: []string{"GET K"}},
	{name: "raw string", build: []string{"SET k " + strings.Repeat("xy", 40), "APPEND k z"}, reads: []string{"GET K"}},
	{name: "incompressible string", build: []string{"SET k abcdefghijklmnopqrstuvwxyz0123456789"}, reads: []string{"GET K"}},
	{name: "list", build: []string{"RPUSH k a b 1 -5 300 70000 123456789012 " + strings.Repeat("x", 70)},
		reads: []string{"LRANGE K 0 -1"}},
	{name: "list nodes", build: []string{"RPUSH k " + words("element-", 400)}, reads: []string{"LLEN K", "LRANGE K 0 -1"}},
	{name: "list fill 3", build: []string{"CONFIG SET list-max-listpack-size 3", "RPUSH k " + words("", 10), "LINSERT k BEFORE 5 x"},
		reads: []string{"LRANGE K 0 -1"}, reset: []string{"CONFIG SET list-max-listpack-size -2"}},
	{name: "intset", build: []string{"SADD k 3 1 2 -7"}, reads: []string{"SMEMBERS K"}},
	{name: "intset64", build: []string{"SADD k 3 1 5000000000"}, reads: []string{"SMEMBERS K"}},
	{name: "intset widened", build: []string{"SADD k 3 1 5000000000", "SREM k 5000000000"}, reads: []string{"SMEMBERS K"}},
	{name: "set hashtable", build: []string{"SADD k a b c 1"}, reads: []string{"SMEMBERS K", "SCARD K"}, unordered: true},
	{name: "set of ints over intset limit", build: []string{"SADD k " + words("", 600)}, reads: []string{"SCARD K", "SISMEMBER K 599"}, unordered: true},
	{name: "zset listpack", build: []string{"ZADD k 1 a 2.5 b -3 c inf d -inf e 0.1 f 1e20 g 0 h"},
		reads: []string{"ZRANGE K 0 -1 WITHSCORES"}},
	{name: "zset skiplist", build: []string{"ZADD k 1 " + strings.Repeat("m", 70) + " 2 b 0.5 c -0 d"},
		reads: []string{"ZRANGE K 0 -1 WITHSCORES"}},
	{name: "zset skiplist large", build: []string{"ZADD k " + scoredWords(200)}, reads: []string{"ZRANGE K 0 -1 WITHSCORES"}},
	{name: "hash listpack", build: []string{"HSET k f1 v1 f2 2 num 12345 long " + strings.Repeat("z", 40)},
		reads: []string{"HGETALL K"}},
	{name: "hash table", build: []string{"HSET k f1 v1 long " + strings.Repeat("z", 70)}, reads: []string{"HGETALL K"}, unordered: true},
	{name: "stream", build: []string{"XADD k 1-1 a 1 b 2", "XADD k 1-2 a 3 b 4", "XADD k 2-0 c x", "XDEL k 1-2"},
		reads: []string{"XRANGE K - +", "XINFO STREAM K FULL"}},
	{name: "stream groups", build: []string{"XADD k 5-1 f v", "XADD k 6-1 f w", "XADD k 7-1 g z",
		"XGROUP CREATE k g1 0", "XGROUP CREATE k g0 $", "XREADGROUP GROUP g1 alice COUNT 2 STREAMS k >",
		"XREADGROUP GROUP g1 bob COUNT 1 STREAMS k >", "XACK k g1 5-1", "XGROUP CREATECONSUMER k g0 carol"},
		reads: []string{"XRANGE K - +", "XINFO STREAM K FULL", "XPENDING K g1"}, timed: true},
	{name: "stream empty", build: []string{"XADD k 3-3 f v", "XDEL k 3-3"}, reads: []string{"XLEN K", "XINFO STREAM K"}},
	{name: "stream nodes", build: []string{"CONFIG SET stream-node-max-entries 3", "XADD k 1-1 a 1", "XADD k 2-1 a 2 b 3",
		"XADD k 3-1 a 4", "XADD k 4-1 a 5", "XADD k 5-1 c 6", "XTRIM k MAXLEN 4", "XDEL k 4-1"},
		reads: []string{"XRANGE K - +", "XINFO STREAM K FULL"}, reset: []string{"CONFIG SET stream-node-max-entries 100"}},
}

func words(prefix string, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = prefix + strconv.Itoa(i)
	}
	return strings.Join(w, " ")
}

func scoredWords(n int) string {
	var w []string
	for i := range n {
		w = append(w, strconv.FormatFloat(float64(i)/3, 'g', -1, 64), "member:"+strconv.Itoa(i))
	}
	return strings.Join(w, " ")
}

// checkReads compares TYPE, OBJECT ENCODING and reads of key, one batch
// each (an unordered reply must end its batch).
func checkReads(s *session, reads []string, key string) {
	s.t.Helper()
	s.check([]string{"TYPE", key})
	s.check([]string{"OBJECT", "ENCODING", key})
	for _, r := range reads {
		args := strings.Fields(r)
		for i, a := range args {
			if a == "K" {
				args[i] = key
			}
		}
		s.check(args)
	}
}

func TestCompatDump(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	s := newSession(t, redisAddr, targets, 2)
	all := append([]*compatConn{s.redis}, s.targets...)
	for _, tc := range dumpCases {
		t.Run(tc.name, func(t *testing.T) {
			s.t = t
			s.check([]string{"FLUSHALL"})
			for _, line := range tc.build {
				s.check(parseLine(t, line))
			}
			defer func() {
				for _, line := range tc.reset {
					s.check(parseLine(t, line))
				}
			}()
			if !tc.unordered && !tc.timed {
				s.check([]string{"DUMP", "k"})
				checkReads(s, tc.reads, "k")
			}

			// Redis's payload into every server.
			redisDump, err := s.redis.do("DUMP", "k")
			if err != nil || redisDump.typ != '$' {
				t.Fatalf("DUMP on redis: %v %v", err, redisDump)
			}
			s.check([]string{"RESTORE", "k2", "0", redisDump.text})
			checkReads(s, tc.reads, "k2")
			if !tc.unordered {
				s.check([]string{"DUMP", "k2"})
			}

			// Each target's payload into every server.
			for _, tg := range s.targets {
				mine, err := tg.do("DUMP", "k")
				if err != nil || mine.typ != '$' {
					t.Fatalf("%s: DUMP: %v %v", tg.name, err, mine)
				}
				for _, cc := range all {
					if v, err := cc.do("RESTORE", "k3", "0", mine.text, "REPLACE"); err != nil || v.raw != "+OK\r\n" {
						t.Fatalf("%s: RESTORE of %s's DUMP: %v %v", cc.name, tg.name, err, v)
					}
				}
				checkReads(s, tc.reads, "k3")
				if !tc.unordered {
					s.check([]string{"DUMP", "k3"})
				}
			}
		})
	}
}

// rdbPayload seals an object as DUMP does: the RDB version and Redis's
// CRC-64 (Jones, no inversions), little-endian.
func rdbPayload(version uint16, object []byte) string {
	b := binary.LittleEndian.AppendUint16(append([]byte(nil), object...), version)
	crc := ^crc64.Update(^uint64(0), crc64.MakeTable(0x95ac9329ac4bc9b5), b)
	return string(binary.LittleEndian.AppendUint64(b, crc))
}

// TestCompatRestoreErrors compares RESTORE's and DUMP's errors and options
// with Redis's, from payloads built here: old encodings Redis 7.0 still
// reads, damaged ones it refuses.
func TestCompatRestoreErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	s := newSession(t, redisAddr, targets, 2)
	str := rdbPayload(10, []byte("\x00\x05hello"))
	corrupt := []byte(str)
	corrupt[2] ^= 1
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	// A ziplist of "a", 5 and "bc" as Redis before 7.0 wrote lists.
	ziplist := []byte{0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 1, 'a', 3, 0xf6, 2, 2, 'b', 'c', 0xff}
	binary.LittleEndian.PutUint32(ziplist, uint32(len(ziplist)))
	binary.LittleEndian.PutUint32(ziplist[4:], 15)
	rdbStr := func(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }
	oldList := rdbPayload(9, append([]byte{10}, rdbStr(ziplist)...))
	quicklist1 := rdbPayload(9, append([]byte{14, 2}, append(rdbStr(ziplist), rdbStr(ziplist)...)...))
	plainList := rdbPayload(7, []byte("\x01\x02\x01a\xc0\x07"))
	// ZSET (text scores): "m" 1.5, "n" inf.
	zsetText := rdbPayload(7, []byte("\x03\x02\x01m\x031.5\x01n\xfe"))
	// A hash as a ziplist: f1 v1.
	hzl := []byte{0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 2, 'f', '1', 4, 2, 'v', '1', 0xff}
	binary.LittleEndian.PutUint32(hzl, uint32(len(hzl)))
	binary.LittleEndian.PutUint32(hzl[4:], 14)
	hashZiplist := rdbPayload(9, append([]byte{13}, rdbStr(hzl)...))
	dupSet := rdbPayload(10, []byte("\x02\x02\x01a\x01a"))
	emptySet := rdbPayload(10, []byte("\x02\x00"))
	lines := [][]string{
		{"DUMP", "nokey"},
		{"DUMP"},
		{"DUMP", "a", "b"},
		{"RESTORE", "k", "0"},
		{"RESTORE", "k", "0", str},
		{"GET", "k"},
		{"RESTORE", "k", "0", str},
		{"RESTORE", "k", "-1", str},
		{"RESTORE", "k", "abc", "x"},
		{"RESTORE", "k", "0", "short"},
		{"RESTORE", "k", "0", str, "REPLACE"},
		{"RESTORE", "k", "-1", str, "REPLACE"},
		{"RESTORE", "k", "abc", str, "REPLACE"},
		{"RESTORE", "k", "0", string(corrupt), "REPLACE"},
		{"RESTORE", "k", "0", rdbPayload(11, []byte("\x00\x01x")), "REPLACE"},
		{"RESTORE", "k", "0", rdbPayload(10, []byte("\x63\x01x")), "REPLACE"},
		{"RESTORE", "k", "0", rdbPayload(10, []byte("\x00\x09x")), "REPLACE"},
		{"RESTORE", "new", "-1", str},
		{"RESTORE", "new", "0", string(corrupt)},
		{"RESTORE", "new", "0", rdbPayload(10, []byte("\x07"))},
		{"RESTORE", "new", "0", dupSet},
		{"RESTORE", "new", "0", emptySet},
		{"RESTORE", "new", "0", str, "BOGUS"},
		{"RESTORE", "new", "0", str, "IDLETIME"},
		{"RESTORE", "new", "0", str, "IDLETIME", "-1"},
		{"RESTORE", "new", "0", str, "IDLETIME", "x"},
		{"RESTORE", "new", "0", str, "FREQ", "256"},
		{"RESTORE", "new", "0", str, "FREQ", "-1"},
		{"RESTORE", "new", "0", str, "FREQ", "1", "IDLETIME", "1"},
		{"RESTORE", "new", "0", str, "IDLETIME", "1", "FREQ", "1"},
		{"RESTORE", "new", "0", str, "IDLETIME", "1", "IDLETIME", "2", "REPLACE", "ABSTTL"},
		{"GET", "new"},
		{"RESTORE", "k", "0", rdbPayload(10, []byte("\x00\x05world")), "REPLACE"},
		{"GET", "k"},
		{"RESTORE", "k", "1", str, "REPLACE", "ABSTTL"},
		{"EXISTS", "k"},
		{"RESTORE", "k", future, str, "ABSTTL"},
		{"PEXPIRETIME", "k"},
		{"RESTORE", "k", "100000", str, "REPLACE"},
		{"TTL", "k"},
		{"RESTORE", "ol", "0", oldList},
		{"LRANGE", "ol", "0", "-1"},
		{"RESTORE", "ql", "0", quicklist1},
		{"LRANGE", "ql", "0", "-1"},
		{"RESTORE", "pl", "0", plainList},
		{"LRANGE", "pl", "0", "-1"},
		{"RESTORE", "zt", "0", zsetText},
		{"ZRANGE", "zt", "0", "-1", "WITHSCORES"},
		{"OBJECT", "ENCODING", "zt"},
		{"RESTORE", "hz", "0", hashZiplist},
		{"HGETALL", "hz"},
		{"OBJECT", "ENCODING", "hz"},
		{"SET", "s", "1"},
		{"MULTI"},
		{"RESTORE", "s", "0", str},
		{"RESTORE", "s2", "0", str},
		{"DUMP", "s2"},
		{"EXEC"},
	}
	for _, l := range lines {
		s.check(l)
	}
	// IDLETIME sets the idle time, as of the restore.
	for _, cc := range append([]*compatConn{s.redis}, s.targets...) {
		if v, err := cc.do("RESTORE", "idle", "0", str, "IDLETIME", "1000"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("%s: RESTORE IDLETIME: %v %v", cc.name, err, v)
		}
		v, err := cc.do("OBJECT", "IDLETIME", "idle")
		if n, _ := strconv.Atoi(v.text); err != nil || v.typ != ':' || n < 1000 || n > 1002 {
			t.Errorf("%s: OBJECT IDLETIME after RESTORE IDLETIME 1000: %v %v", cc.name, err, v)
		}
	}
	s.check([]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"})
	defer s.check([]string{"CONFIG", "SET", "maxmemory-policy", "noeviction"})
	s.check([]string{"RESTORE", "freq", "0", str, "FREQ", "100"})
	s.check([]string{"OBJECT", "FREQ", "freq"})
	s.check([]string{"RESTORE", "freq2", "0", str})
	s.check([]string{"OBJECT", "FREQ", "freq2"})
	s.check([]string{"RESTORE", "freq3", "0", str, "IDLETIME", "5"})
	s.check([]string{"OBJECT", "FREQ", "freq3"})
}

// TestCompatRestoreNotifications: RESTORE raises "restore" (and "new"),
// RESTORE REPLACE of a value already expired "del".
func TestCompatRestoreNotifications(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	str := rdbPayload(10, []byte("\x00\x05hello"))
	runNotifyCase(t, redisAddr, targets, 2, notifyCase{name: "restore", events: "KEA", cmds: [][]string{
		c("RESTORE", "k", "0", str), c("RESTORE", "k", "0", str), c("RESTORE", "k", "0", str, "REPLACE"),
		c("RESTORE", "k", "1", str, "REPLACE", "ABSTTL"), c("RESTORE", "k", "1", str, "ABSTTL"),
		c("RESTORE", "t", "100000", str),
	}})
}

// TestRestoreOnFollower: a RESTORE sent to a follower of a 3-node cluster
// gives every node the same value: their DUMPs are equal.
func TestRestoreOnFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes := startRaftNodes(t, 3, nodeOptions{})
	f := followers(t, nodes)[0]
	cc := dialCompat(t, "follower", f.addr)
	payload := rdbPayload(10, append([]byte{17}, lpOf("b", "2", "a", "1.5")...))
	if v, err := cc.do("RESTORE", "z", "0", payload); err != nil || v.raw != "+OK\r\n" {
		t.Fatalf("RESTORE on the follower: %v %v", err, v)
	}
	var first string
	for i, n := range nodes {
		v, err := dialCompat(t, "node"+strconv.Itoa(i), n.addr).do("DUMP", "z")
		if err != nil || v.typ != '$' {
			t.Fatalf("node %d: DUMP: %v %v", i, err, v)
		}
		if i == 0 {
			first = v.text
		} else if v.text != first {
			t.Fatalf("node %d's DUMP %q differs from node 0's %q", i, v.text, first)
		}
	}
	// The listpack restored sorted: the payload's order was not the set's.
	if want := rdbPayload(10, append([]byte{17}, lpOf("a", "1.5", "b", "2")...)); first != want {
		t.Fatalf("DUMP %q, want %q", first, want)
	}
}

// lpOf is an RDB string holding a listpack of short string elements (and
// one-digit integers).
func lpOf(elems ...string) []byte {
	lp := []byte{0, 0, 0, 0, byte(len(elems)), 0}
	for _, e := range elems {
		if len(e) == 1 && e[0] >= '0' && e[0] <= '9' {
			lp = append(lp, e[0]-'0', 1)
			continue
		}
		lp = append(append(lp, 0x80|byte(len(e))), e...)
		lp = append(lp, byte(1+len(e)))
	}
	lp = append(lp, 0xff)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	return append([]byte{byte(len(lp))}, bytes.Clone(lp)...)
}
