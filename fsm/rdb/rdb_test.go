package rdb

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/fsm/internal/redistest"
)

// redisCases build one value each in redis-server; TestRedisDumps checks
// that Decode reads Redis's DUMP of it and Encode writes the same bytes.
// byteEqual is false where Redis's bytes depend on its hash table's order.
var redisCases = []struct {
	name      string
	cmds      [][]string
	kind      Kind
	typ       byte
	byteEqual bool
}{
	{"int8", cmds("SET k 100"), KindString, TypeString, true},
	{"int16", cmds("SET k -30000"), KindString, TypeString, true},
	{"int32", cmds("SET k 2000000000"), KindString, TypeString, true},
	{"int64 as text", cmds("SET k 9000000000000000000"), KindString, TypeString, true},
	{"leading zero", cmds("SET k 0123"), KindString, TypeString, true},
	{"short", cmds("SET k hello"), KindString, TypeString, true},
	{"21 bytes compressible", cmds("SET k " + strings.Repeat("a", 21)), KindString, TypeString, true},
	{"long compressible", cmds("SET k " + strings.Repeat("hello-world-", 50)), KindString, TypeString, true},
	{"incompressible", cmds("SET k abcdefghijklmnopqrstuvwxyz0123456789"), KindString, TypeString, true},
	{"list small", cmds("RPUSH k a b 1 -5 300 70000 123456789012 " + strings.Repeat("x", 70)), KindList, TypeListQuicklist2, true},
	{"list nodes", [][]string{append([]string{"RPUSH", "k"}, seq("element-", 400)...)}, KindList, TypeListQuicklist2, true},
	{"list fill 3", append(cmds("CONFIG SET list-max-listpack-size 3"), append([]string{"RPUSH", "k"}, seq("", 10)...)), KindList, TypeListQuicklist2, true},
	{"intset16", cmds("SADD k 3 1 2 -7"), KindSet, TypeSetIntset, true},
	{"intset64", cmds("SADD k 3 1 5000000000"), KindSet, TypeSetIntset, true},
	{"intset widened", cmds("SADD k 3 1 5000000000", "SREM k 5000000000"), KindSet, TypeSetIntset, true},
	{"set hashtable", cmds("SADD k a b c 1"), KindSet, TypeSet, false},
	{"zset listpack", cmds("ZADD k 1 a 2.5 b -3 c inf d -inf e 0.1 f 1e20 g"), KindZSet, TypeZSetListpack, true},
	{"zset skiplist", append(cmds("ZADD k 1 "+strings.Repeat("m", 70)+" 2 b 0.5 c"), append([]string{"ZADD", "k"}, scored(200)...)), KindZSet, TypeZSet2, true},
	{"hash listpack", cmds("HSET k f1 v1 f2 2 num 12345 long " + strings.Repeat("z", 40)), KindHash, TypeHashListpack, true},
	{"hash table", cmds("HSET k f1 v1 long " + strings.Repeat("z", 70)), KindHash, TypeHash, false},
	{"stream", cmds("XADD k 1-1 a 1 b 2", "XADD k 1-2 a 3 b 4", "XADD k 2-0 c x", "XDEL k 1-2"), KindStream, TypeStreamListpacks2, true},
	{"stream groups", cmds("XADD k 5-1 f v", "XADD k 6-1 f w", "XADD k 7-1 g z",
		"XGROUP CREATE k g1 0", "XGROUP CREATE k g0 $", "XREADGROUP GROUP g1 alice COUNT 2 STREAMS k >",
		"XREADGROUP GROUP g1 bob COUNT 1 STREAMS k >", "XACK k g1 5-1", "XGROUP CREATECONSUMER k g0 carol"), KindStream, TypeStreamListpacks2, true},
	{"stream empty", cmds("XADD k 3-3 f v", "XDEL k 3-3"), KindStream, TypeStreamListpacks2, true},
}

func cmds(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func scored(n int) []string {
	var out []string
	for i := range n {
		out = append(out, strconv.FormatFloat(float64(i)/3, 'g', -1, 64), fmt.Sprintf("member:%d", i))
	}
	return out
}

var updateSeeds = flag.Bool("update-seeds", false, "write Redis's DUMPs to testdata/dumps, FuzzDecode's seeds")

func TestRedisDumps(t *testing.T) {
	r := redistest.Start(t)
	for _, tc := range redisCases {
		t.Run(tc.name, func(t *testing.T) {
			r.Do("FLUSHALL")
			r.Do("CONFIG", "SET", "list-max-listpack-size", "-2")
			for _, c := range tc.cmds {
				if err, ok := r.Do(c...).(redistest.Error); ok {
					t.Fatalf("%v: %v", c, err)
				}
			}
			dump, ok := r.Do("DUMP", "k").(string)
			if !ok {
				t.Fatal("no dump")
			}
			if *updateSeeds {
				name := filepath.Join("testdata", "dumps", strings.ReplaceAll(tc.name, " ", "-"))
				if err := os.WriteFile(name, []byte(dump), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			v, err := Decode([]byte(dump))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if v.Kind != tc.kind || v.Type != tc.typ {
				t.Fatalf("kind %d type %d, want %d %d", v.Kind, v.Type, tc.kind, tc.typ)
			}
			got := Encode(v)
			if tc.byteEqual && !bytes.Equal(got, []byte(dump)) {
				t.Fatalf("Encode:\n got %q\nwant %q", got, dump)
			}
			// Whatever the order, Redis restores what Encode wrote.
			if reply := r.Do("RESTORE", "k2", "0", string(got)); reply != "OK" {
				t.Fatalf("RESTORE of Encode's payload: %v", reply)
			}
			if again := r.Do("DUMP", "k2"); tc.byteEqual && again != dump {
				t.Fatalf("Redis's DUMP of the restored value differs")
			}
		})
	}
}

func TestLZFRoundTrip(t *testing.T) {
	var tab lzfTable
	inputs := [][]byte{
		bytes.Repeat([]byte("a"), 1000),
		bytes.Repeat([]byte("abcdefgh"), 300),
		[]byte(strings.Repeat("the quick brown fox ", 7) + "jumps"),
	}
	for i := range 300 {
		inputs = append(inputs, []byte(strings.Repeat(strconv.Itoa(i*7919), i%40+1)))
	}
	for _, in := range inputs {
		c := tab.compress(in, len(in)-4)
		if c == nil {
			continue
		}
		out, ok := lzfDecompress(c, len(in))
		if !ok || !bytes.Equal(out, in) {
			t.Fatalf("round trip of %q failed", in)
		}
	}
}

func TestLengths(t *testing.T) {
	for _, n := range []uint64{0, 63, 64, 16383, 16384, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		r := NewReader(AppendLen(nil, n))
		got, enc, err := r.Length()
		if err != nil || enc || got != n || r.Remaining() != 0 {
			t.Errorf("length %d: got %d %v %v", n, got, enc, err)
		}
	}
}
