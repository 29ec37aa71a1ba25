package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// benchTest is one redis-benchmark test the throughput phase runs against
// every server, unpipelined and 16 deep.
type benchTest struct {
	Name string // in the report and -tests: SET, GET, LPUSH...
	// Command, when set, is a custom command line given to redis-benchmark
	// after its options (its CSV line is named by the whole line); without
	// it the test is redis-benchmark's built-in -t of Name.
	Command []string
	// Ref is the SET or GET test whose ratio to redis-server this one's
	// must not fall below (issue 10): writes against SET, reads against
	// GET. Empty for SET and GET themselves.
	Ref string
	// prepare, when set, puts in place the data the test needs on the
	// server, so that every server is measured on the same data.
	prepare func(ctx context.Context, c *redis.Client, requests, clients, pipeline, valueSize int) error
}

// csvName is the test column of the test's line in redis-benchmark's CSV.
func (t benchTest) csvName() string {
	if len(t.Command) > 0 {
		return strings.Join(t.Command, " ")
	}
	return t.Name
}

// args are redis-benchmark's arguments after the common options.
func (t benchTest) args() []string {
	if len(t.Command) > 0 {
		return t.Command
	}
	return []string{"-t", strings.ToLower(t.Name)}
}

// The keys of redis-benchmark's built-in list test and of the sorted set
// ZRANGE reads.
const (
	benchList      = "mylist" // LPUSH and LPOP (no cluster tag: one key)
	benchZSet      = "bench:zset"
	benchZSetLen   = 1000
	benchZRangeEnd = 9
)

// benchTests are the tests in the order they run, at P=1 and then at
// P=16. LPOP follows LPUSH so that it pops what LPUSH pushed (its prepare
// tops the list up, redis-benchmark's pipelines overshoot -n a little).
var benchTests = []benchTest{
	{Name: "SET"},
	{Name: "GET"},
	{Name: "LPUSH", Ref: "SET"},
	{Name: "LPOP", Ref: "SET", prepare: prepareList},
	{Name: "SADD", Ref: "SET"},
	{Name: "ZADD", Ref: "SET"},
	{Name: "ZRANGE", Ref: "GET", prepare: prepareZSet,
		Command: []string{"ZRANGE", benchZSet, "0", fmt.Sprint(benchZRangeEnd), "WITHSCORES"}},
}

func testNames() []string {
	names := make([]string, len(benchTests))
	for i, t := range benchTests {
		names[i] = t.Name
	}
	return names
}

func testByName(name string) (benchTest, bool) {
	for _, t := range benchTests {
		if t.Name == name {
			return t, true
		}
	}
	return benchTest{}, false
}

// prepareList makes sure the list LPOP pops holds at least every element
// the run can pop: -n plus a pipeline per client (redis-benchmark sends
// whole pipelines), so that no LPOP finds it empty.
func prepareList(ctx context.Context, c *redis.Client, requests, clients, pipeline, valueSize int) error {
	want := int64(requests + clients*pipeline)
	have, err := c.LLen(ctx, benchList).Result()
	if err != nil {
		return fmt.Errorf("LLEN %s: %w", benchList, err)
	}
	if have >= want {
		return nil
	}
	value := strings.Repeat("x", valueSize)
	if err := pushBatches(ctx, c, benchList, int(want-have), func(int) string { return value }); err != nil {
		return err
	}
	if got, err := c.LLen(ctx, benchList).Result(); err != nil || got < want {
		return fmt.Errorf("LLEN %s after filling it = %d, %v; want %d", benchList, got, err, want)
	}
	return nil
}

// pushBatches RPUSHes n elements to key, 100 to a command and 100 commands
// to a round trip.
func pushBatches(ctx context.Context, c *redis.Client, key string, n int, elem func(i int) string) error {
	const perCommand, perPipeline = 100, 100
	for start := 0; start < n; start += perCommand * perPipeline {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+perCommand*perPipeline, n); i += perCommand {
				args := make([]any, 0, perCommand)
				for j := i; j < min(i+perCommand, n); j++ {
					args = append(args, elem(j))
				}
				p.RPush(ctx, key, args...)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill %s: %w", key, err)
		}
	}
	return nil
}

// prepareZSet fills the sorted set ZRANGE reads: benchZSetLen members
// "m000000000".. (10 bytes) with scores 0, 1, ...; the same on every
// server whatever ran before.
func prepareZSet(ctx context.Context, c *redis.Client, _, _, _, _ int) error {
	if err := c.Del(ctx, benchZSet).Err(); err != nil {
		return fmt.Errorf("DEL %s: %w", benchZSet, err)
	}
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < benchZSetLen; start += 100 {
			zs := make([]redis.Z, 0, 100)
			for i := start; i < min(start+100, benchZSetLen); i++ {
				zs = append(zs, redis.Z{Score: float64(i), Member: zsetMember(i)})
			}
			p.ZAdd(ctx, benchZSet, zs...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fill %s: %w", benchZSet, err)
	}
	if got, err := c.ZCard(ctx, benchZSet).Result(); err != nil || got != benchZSetLen {
		return fmt.Errorf("ZCARD %s after filling it = %d, %v; want %d", benchZSet, got, err, benchZSetLen)
	}
	return nil
}

// prepareTest runs t's prepare against addr, if it has one.
func (b *bench) prepareTest(ctx context.Context, addr string, t benchTest, pipeline, requests int) error {
	if t.prepare == nil {
		return nil
	}
	c := newClient(addr, 1, time.Minute)
	defer c.Close()
	if err := t.prepare(ctx, c, requests, b.cfg.clients, pipeline, b.cfg.valueSize); err != nil {
		return fmt.Errorf("prepare %s: %w", t.Name, err)
	}
	return nil
}
