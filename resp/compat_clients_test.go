package resp

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Real clients against a follower of a 3-node cluster: go-redis, the most
// used Go client, and redis-benchmark, which pipelines and runs many
// connections at once.

// TestGoRedisFollower drives go-redis's common API against Redis and
// against a follower, over RESP2 and RESP3 (which go-redis asks for with
// HELLO 3), and requires the same results.
func TestGoRedisFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and a 3-node cluster")
	}
	redisAddr := startCompatRedis(t)
	f := followers(t, startRaftNodes(t, 3, nodeOptions{}))[0]
	for _, protocol := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(protocol), func(t *testing.T) {
			want := goRedisTranscript(t, redisAddr, protocol)
			got := goRedisTranscript(t, f.addr, protocol)
			if len(got) != len(want) {
				t.Fatalf("transcripts of %d and %d results", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("result %d:\n got: %s\nwant: %s", i, got[i], want[i])
				}
			}
		})
	}
}

func goRedisClient(t *testing.T, addr string, protocol int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: protocol, DialTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// goRedisTranscript runs a fixed workout on the server at addr, with a
// second client for the writes that make a WATCH fail, and returns one
// line per result,
// made comparable between servers: results with no defined order are
// sorted, TTLs are checked against a range rather than printed.
func goRedisTranscript(t *testing.T, addr string, protocol int) []string {
	c, other := goRedisClient(t, addr, protocol), goRedisClient(t, addr, protocol)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out []string
	rec := func(cmds ...redis.Cmder) {
		for _, cmd := range cmds {
			out = append(out, cmd.String())
		}
	}
	note := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ttlIn := func(what string, d time.Duration, err error, lo, hi time.Duration) {
		note("%s in [%v, %v]: %v (%v)", what, lo, hi, d >= lo && d <= hi, err)
	}

	rec(c.FlushAll(ctx), c.Ping(ctx), c.Echo(ctx, "hi"))

	// Strings.
	rec(c.Set(ctx, "s", "v", 0), c.Get(ctx, "s"), c.Get(ctx, "missing"), c.SetNX(ctx, "s", "w", 0),
		c.SetNX(ctx, "s2", "w", 0), c.SetXX(ctx, "s3", "w", 0), c.SetArgs(ctx, "s", "x", redis.SetArgs{Get: true}),
		c.GetSet(ctx, "s", "y"), c.GetDel(ctx, "s2"), c.Exists(ctx, "s", "s2", "missing"),
		c.MSet(ctx, "a", "1", "b", "2"), c.MSetNX(ctx, "a", "3", "c", "4"), c.MGet(ctx, "a", "b", "c", "s"),
		c.Append(ctx, "a", "23"), c.StrLen(ctx, "a"), c.GetRange(ctx, "a", 1, -1), c.SetRange(ctx, "a", 5, "z"),
		c.Get(ctx, "a"), c.Incr(ctx, "n"), c.IncrBy(ctx, "n", 41), c.Decr(ctx, "n"), c.DecrBy(ctx, "n", 10),
		c.IncrByFloat(ctx, "fl", 0.1), c.IncrByFloat(ctx, "fl", 0.2), c.Incr(ctx, "s"), c.IncrBy(ctx, "a", 1))

	// Keys and TTL.
	rec(c.Set(ctx, "e", "v", 100*time.Second), c.SetEx(ctx, "e2", "v", 100*time.Second))
	ttl := c.TTL(ctx, "e")
	ttlIn("TTL e", ttl.Val(), ttl.Err(), 98*time.Second, 100*time.Second)
	pttl := c.PTTL(ctx, "e2")
	ttlIn("PTTL e2", pttl.Val(), pttl.Err(), 98*time.Second, 100*time.Second)
	rec(c.ExpireNX(ctx, "e", time.Hour), c.ExpireXX(ctx, "e", time.Hour), c.ExpireGT(ctx, "e", time.Minute),
		c.ExpireLT(ctx, "e", time.Minute), c.PExpire(ctx, "a", time.Hour), c.ExpireAt(ctx, "b", time.Unix(4102444800, 0)),
		c.ExpireTime(ctx, "b"), c.PExpireTime(ctx, "b"), c.Persist(ctx, "b"), c.TTL(ctx, "b"), c.TTL(ctx, "missing"),
		c.Expire(ctx, "b", -time.Second), c.Exists(ctx, "b"))
	ex := c.GetEx(ctx, "e2", 50*time.Second)
	rec(ex)
	ttl = c.TTL(ctx, "e2")
	ttlIn("TTL e2 after GETEX", ttl.Val(), ttl.Err(), 48*time.Second, 50*time.Second)
	rec(c.Type(ctx, "a"), c.Type(ctx, "missing"), c.Rename(ctx, "a", "a2"), c.RenameNX(ctx, "a2", "n"),
		c.Copy(ctx, "a2", "a3", 0, false), c.Copy(ctx, "a2", "a3", 0, true), c.Touch(ctx, "a2", "a3", "x"),
		c.Del(ctx, "a3", "missing"), c.Unlink(ctx, "a2"), c.Rename(ctx, "missing", "x"))
	keys := c.Keys(ctx, "*")
	sorted := slices.Clone(keys.Val())
	slices.Sort(sorted)
	note("KEYS * sorted: %q %v", sorted, keys.Err())
	var scanned []string
	iter := c.Scan(ctx, 0, "*", 2).Iterator()
	for iter.Next(ctx) {
		scanned = append(scanned, iter.Val())
	}
	slices.Sort(scanned)
	note("SCAN iteration sorted: %q %v", scanned, iter.Err())
	var typed []string
	titer := c.ScanType(ctx, 0, "", 100, "string").Iterator()
	for titer.Next(ctx) {
		typed = append(typed, titer.Val())
	}
	slices.Sort(typed)
	note("SCAN TYPE string sorted: %q %v", typed, titer.Err())
	rk := c.RandomKey(ctx)
	note("RANDOMKEY is a key: %v %v", slices.Contains(sorted, rk.Val()), rk.Err())
	rec(c.DBSize(ctx))

	// Hashes, and the types crossing.
	rec(c.HSet(ctx, "h", "f1", "v1", "f2", "v2", "n", "5"), c.HSet(ctx, "h", map[string]any{"f3": "v3"}),
		c.HSetNX(ctx, "h", "f1", "x"), c.HGet(ctx, "h", "f1"), c.HGet(ctx, "h", "nope"), c.HMGet(ctx, "h", "f1", "nope", "f2"),
		c.HGetAll(ctx, "h"), c.HExists(ctx, "h", "f2"), c.HLen(ctx, "h"), c.HStrLen(ctx, "h", "f1"),
		c.HIncrBy(ctx, "h", "n", 10), c.HIncrByFloat(ctx, "h", "n", 0.5), c.HKeys(ctx, "h"), c.HVals(ctx, "h"),
		c.HDel(ctx, "h", "f3", "nope"), c.HGetAll(ctx, "missing"), c.HGet(ctx, "s", "f"), c.Get(ctx, "h"),
		c.HMSet(ctx, "h2", "a", "1"))
	var hscanned []string
	hiter := c.HScan(ctx, "h", 0, "f*", 1).Iterator()
	for hiter.Next(ctx) {
		hscanned = append(hscanned, hiter.Val())
	}
	note("HSCAN iteration: %q %v", hscanned, hiter.Err())

	// Pipelines: replies must come back in order, errors in their place.
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 50 {
			k := "p" + strconv.Itoa(i%5)
			p.Incr(ctx, k)
			p.Get(ctx, k)
			if i%10 == 0 {
				p.HGet(ctx, k, "f") // WRONGTYPE, in its place
			}
		}
		p.MGet(ctx, "p0", "p1", "p2", "p3", "p4")
		return nil
	})
	note("pipeline error: %v", err)
	rec(cmds...)

	// Transactions: a TxPipeline (MULTI/EXEC), with a runtime error in
	// it, and optimistic locking with WATCH, which another client's write
	// makes fail with TxFailedErr.
	cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "tx")
		p.IncrBy(ctx, "tx", 10)
		p.HGet(ctx, "tx", "f")
		p.Get(ctx, "tx")
		return nil
	})
	note("TxPipelined error: %v", err)
	rec(cmds...)
	incr := func(interfere bool) error {
		return c.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Get(ctx, "tx").Int()
			if err != nil {
				return err
			}
			if interfere {
				rec(other.Set(ctx, "tx", "100", 0))
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "tx", n+1, 0)
				return nil
			})
			return err
		}, "tx")
	}
	note("WATCH, no other writer: %v", incr(false))
	note("WATCH, another client writes: %v", incr(true))
	rec(c.Get(ctx, "tx"))
	return out
}

// TestRedisBenchmarkFollower runs redis-benchmark against a follower, plain
// and pipelined, and requires it to finish every test with no error; the
// counter its INCR test bumps must then read, on the leader, exactly how
// many INCRs it sent.
func TestRedisBenchmarkFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster and redis-benchmark")
	}
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark is not installed (make test installs redis-tools)")
	}
	nodes := startRaftNodes(t, 3, nodeOptions{})
	f := followers(t, nodes)[0]
	host, port, _ := strings.Cut(f.addr, ":")
	// With -P 16 redis-benchmark sends whole pipelines of 16 until it has
	// sent at least n requests: n is a multiple of 16 so that it sends
	// exactly n.
	const n = 256
	tests := []string{"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "HSET", "MSET (10 keys)"}
	runs := []struct {
		name string
		args []string
	}{
		{"plain", []string{"-c", "10"}},
		{"pipelined", []string{"-c", "4", "-P", "16"}},
	}
	for i, run := range runs {
		args := append([]string{"-h", host, "-p", port, "-n", strconv.Itoa(n), "-q",
			"-t", "ping_inline,ping_mbulk,set,get,incr,hset,mset"}, run.args...)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		if err != nil || strings.Contains(stderr.String(), "Error") {
			t.Fatalf("%s: redis-benchmark %s: %v\nstdout:\n%s\nstderr:\n%s", run.name,
				strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		report := finalLines(stdout.String())
		for _, test := range tests {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(test) + `: [0-9.]+ requests per second`).MatchString(report) {
				t.Errorf("%s: no result for %s in:\n%s", run.name, test, report)
			}
		}
		t.Logf("%s:\n%s", run.name, report)

		// Read it back on another node: every INCR applied exactly once.
		leader := waitForLeader(t, nodes)
		r, err := goRedisClient(t, leader.addr, 2).Get(context.Background(), "counter:__rand_int__").Int()
		if want := n * (i + 1); err != nil || r != want {
			t.Errorf("%s: counter = %d, %v; want %d", run.name, r, err, want)
		}
	}
}

// finalLines drops redis-benchmark's progress updates, which it ends with
// a carriage return, keeping the final line of each test.
func finalLines(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// TestGoRedisURLDatabase: a client configured with redis://host:port/3, as
// applications name their database, works on database 3 of a follower as
// on Redis, with its pooled connections all in that database.
func TestGoRedisURLDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and a 3-node cluster")
	}
	redisAddr := startCompatRedis(t)
	f := followers(t, startRaftNodes(t, 3, nodeOptions{}))[0]
	transcript := func(addr string) []string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out []string
		open := func(db int) *redis.Client {
			opts, err := redis.ParseURL("redis://" + addr + "/" + strconv.Itoa(db))
			if err != nil {
				t.Fatal(err)
			}
			opts.PoolSize = 4
			c := redis.NewClient(opts)
			t.Cleanup(func() { c.Close() })
			return c
		}
		db3, db0 := open(3), open(0)
		out = append(out, db0.FlushAll(ctx).String())
		for i := 0; i < 8; i++ { // several pooled connections, each SELECTed
			out = append(out, db3.Set(ctx, "k"+strconv.Itoa(i), i, 0).String())
		}
		out = append(out, db3.Get(ctx, "k1").String(), db0.Get(ctx, "k1").String(),
			db3.DBSize(ctx).String(), db0.DBSize(ctx).String(), db3.Move(ctx, "k2", 0).String(),
			db0.Get(ctx, "k2").String(), db0.Do(ctx, "SWAPDB", 0, 3).String(), db0.DBSize(ctx).String())
		return out
	}
	want, got := transcript(redisAddr), transcript(f.addr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("follower:\n%s\nRedis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
