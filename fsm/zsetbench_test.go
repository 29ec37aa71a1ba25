package fsm

import (
	"strconv"
	"testing"
)

// BenchmarkZAdd is redis-benchmark's ZADD: a random member of
// "element:__rand_int__" with a random score, into one sorted set that
// grows past the listpack limit into the trees.
func BenchmarkZAdd(b *testing.B) {
	members := randomElements(1 << 16)
	argv := [][]byte{[]byte("ZADD"), []byte("myzset"), nil, nil}
	benchWrites(b, New(), 0, func(i int) [][]byte {
		argv[2] = strconv.AppendInt(argv[2][:0], int64(i*7919%100000), 10)
		argv[3] = members[i%len(members)]
		return argv
	})
}

// BenchmarkZRange is ZRANGE 0 9 WITHSCORES (redis-benchmark's
// zrange_100 trimmed to its first page) of a sorted set of 100k members.
func BenchmarkZRange(b *testing.B) {
	s := New()
	members := randomElements(100_000)
	for i := 0; i < len(members); i += 1000 {
		argv := [][]byte{[]byte("ZADD"), []byte("myzset")}
		for j, m := range members[i : i+1000] {
			argv = append(argv, strconv.AppendInt(nil, int64(i+j), 10), m)
		}
		applyLine(b, s, uint64(i/1000+1), argv)
	}
	c, _, err := Parse([][]byte{[]byte("ZRANGE"), []byte("myzset"), []byte("0"), []byte("9"), []byte("WITHSCORES")}, scriptTime)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r := s.Read(c, scriptTime); len(r.Elems) != 20 {
			b.Fatalf("ZRANGE: %s", r)
		}
	}
}
