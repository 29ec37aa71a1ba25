package resp

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestGoRedisScripts drives go-redis's Script (EVALSHA, and EVAL when the
// server answers NOSCRIPT), the pattern Redlock, rate limiters and locks
// use, against Redis and against a follower of a 3-node cluster, whose
// EVALSHA must find the script the leader's log cached.
func TestGoRedisScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and a 3-node cluster")
	}
	redisAddr := startCompatRedis(t)
	nodes := startRaftNodes(t, 3, nodeOptions{})
	f := followers(t, nodes)
	for _, protocol := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(protocol), func(t *testing.T) {
			want := goRedisScriptTranscript(t, goRedisClient(t, redisAddr, protocol), goRedisClient(t, redisAddr, protocol))
			got := goRedisScriptTranscript(t, goRedisClient(t, f[0].addr, protocol), goRedisClient(t, f[1].addr, protocol))
			if len(got) != len(want) {
				t.Fatalf("transcripts of %d and %d results:\n got: %q\nwant: %q", len(got), len(want), got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("result %d:\n got: %s\nwant: %s", i, got[i], want[i])
				}
			}
		})
	}
}

// goRedisScriptTranscript loads scripts through c and runs them through
// both c and other (another node of the same cluster, for raftcache).
func goRedisScriptTranscript(t *testing.T, c, other *redis.Client) []string {
	ctx := context.Background()
	var out []string
	add := func(what string, v any, err error) {
		out = append(out, fmt.Sprintf("%s: %v %v", what, v, err))
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	c.Del(ctx, "lock", "counter", "bucket")
	release := redis.NewScript(pyLockRelease)
	limiter := redis.NewScript(`
		local n = redis.call('INCR', KEYS[1])
		if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
		if n > tonumber(ARGV[1]) then return {0, n} end
		return {1, n}`)

	v, err := release.Exists(ctx, c).Result()
	add("exists before", v, err)
	add("set nx", c.SetNX(ctx, "lock", "tok", 0).Val(), nil)
	r, err := release.Run(ctx, c, []string{"lock"}, "other").Result()
	add("release wrong token", r, err) // EVALSHA: NOSCRIPT, then EVAL
	v, err = release.Exists(ctx, other).Result()
	add("exists on the other node", v, err)
	r, err = release.Run(ctx, other, []string{"lock"}, "tok").Result()
	add("release on the other node", r, err) // EVALSHA finds it
	add("lock gone", c.Exists(ctx, "lock").Val(), nil)
	for i := 0; i < 4; i++ {
		r, err = limiter.Run(ctx, c, []string{"bucket"}, 3, 100000).Result()
		add("limiter", r, err)
	}
	r, err = limiter.EvalRO(ctx, other, []string{"bucket"}, 3, 100000).Result()
	add("limiter read-only", r, err)
	sha, err := c.ScriptLoad(ctx, "return redis.call('get', KEYS[1])").Result()
	add("load", sha, err)
	r, err = other.EvalShaRO(ctx, sha, []string{"bucket"}).Result()
	add("evalsha_ro", r, err)
	r, err = c.Eval(ctx, "return {1, 'two', {3}, redis.status_reply('OK')}", nil).Result()
	add("eval mixed", r, err)
	r, err = c.Eval(ctx, "return redis.error_reply('custom failure')", nil).Result()
	add("eval error", r, err)
	return out
}
