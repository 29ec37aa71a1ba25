package resp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The sorted-set half of the differential suite: hand-written cases for
// every command, option and error (run in RESP2 and RESP3 by TestCompat),
// and generators for TestCompatRandom. They join the shared lists at
// package initialisation, so that this file is all the sorted sets add.
func init() {
	compatCases = append(compatCases, zsetCases()...)
	generators = append(generators, zsetGenerators...)
}

// bigZAdd is a ZADD of n members to key, past zset-max-listpack-entries
// (128) when n > 128, where Redis and raftcache switch to a skiplist.
func bigZAdd(key string, n int) string {
	var b strings.Builder
	b.WriteString("ZADD " + key)
	for i := range n {
		fmt.Fprintf(&b, " %d m%d", i%50, i)
	}
	return b.String()
}

// zsetCommands are the sorted-set commands, for the arity and COMMAND
// cases.
var zsetCommands = []string{
	"zadd", "zincrby", "zrem", "zcard", "zscore", "zmscore", "zrank", "zrevrank", "zcount", "zlexcount",
	"zrange", "zrangestore", "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex",
	"zremrangebyrank", "zremrangebyscore", "zremrangebylex", "zpopmin", "zpopmax", "zmpop", "zrandmember",
	"zunion", "zunionstore", "zinter", "zinterstore", "zintercard", "zdiff", "zdiffstore", "zscan",
	"bzpopmin", "bzpopmax", "bzmpop",
}

func zsetCases() []compatCase {
	long := strings.Repeat("x", 65) // past zset-max-listpack-value
	arity := compatCase{name: "zset arity"}
	info := compatCase{name: "zset command info and docs"}
	for _, n := range zsetCommands {
		// The blocking ones get a bad timeout, not a wait.
		arity.lines = append(arity.lines, n, strings.ToUpper(n)+" a", n+" a b c d e f g h")
		info.lines = append(info.lines, "COMMAND INFO "+n, "COMMAND DOCS "+n)
	}
	return append(zsetFixedCases, append([]compatCase{arity, info}, []compatCase{
		{name: "zset encodings", lines: []string{
			"ZADD z 1 a", "OBJECT ENCODING z", bigZAdd("big", 130), "OBJECT ENCODING big", "ZCARD big",
			"ZRANGE big 0 4 WITHSCORES", "ZRANGE big -3 -1", "ZRANK big m77", "ZREVRANK big m77",
			"ZRANGEBYSCORE big 10 (12", "ZREVRANGEBYSCORE big 12 10 LIMIT 1 3 WITHSCORES", "ZCOUNT big 3 7",
			"ZPOPMAX big 2", "ZPOPMIN big", "OBJECT ENCODING big", "ZADD l 1 " + long, "OBJECT ENCODING l",
			bigZAdd("fromstart", 129), "OBJECT ENCODING fromstart", "ZREMRANGEBYRANK fromstart 0 -2",
			"OBJECT ENCODING fromstart", "ZRANGE fromstart 0 -1 WITHSCORES",
			"ZADD one" + strings.Repeat(" 1 a", 129), "OBJECT ENCODING one",
			"ZRANGESTORE d big 0 -1", "OBJECT ENCODING d", "ZRANGESTORE d big 0 9", "OBJECT ENCODING d",
			"ZRANGESTORE d big -inf +inf BYSCORE", "OBJECT ENCODING d", "ZUNIONSTORE u 2 big z", "OBJECT ENCODING u",
			"ZUNIONSTORE u 2 z l", "OBJECT ENCODING u", "ZINTERSTORE u 2 big big WEIGHTS 1 2", "ZRANGE u 0 5 WITHSCORES",
			"ZDIFFSTORE u 2 big z", "ZCARD u", "OBJECT ENCODING u", "BZMPOP x 1 b FOO", "BZMPOP x 2 b MIN",
			"BZMPOP -1 1 b MIN COUNT x", "BZMPOP x 1 big MIN", "BZMPOP 0 2 nokey big MAX COUNT 3",
			"ZADD neg -0 a", "ZSCORE neg a", "ZUNION 1 neg WITHSCORES", "ZUNIONSTORE u 1 neg", "ZSCORE u a",
			"ZADD bigneg -0 a", bigZAdd("bigneg", 130), "ZSCORE bigneg a", "ZUNION 2 bigneg neg WITHSCORES AGGREGATE MIN",
			"COPY big big2", "ZCARD big2", "RENAME big2 big3", "ZRANGE big3 0 2", "OBJECT ENCODING big3",
			"ZREMRANGEBYSCORE big3 0 20", "ZCARD big3", "ZSCAN l 0", "ZSCAN z 0 MATCH *",
			"ZADD e 0 '' 0 c 0 " + long, "ZRANGESTORE e2 e - \"(\\x00\" BYLEX", "ZRANGE e2 0 -1 WITHSCORES",
			"ZUNIONSTORE e3 1 e", "ZRANGESTORE e4 e 0 0", "ZRANGE e4 0 -1", "ZSCORE e4 ''",
		}},
		{name: "zscan skiplist", lines: []string{
			bigZAdd("big", 200), "ZADD big 0.1 f 1e17 g inf h -inf i",
			"ZSCAN big 0", "ZSCAN big 0 COUNT 1", "ZSCAN big 0 COUNT 1000", "ZSCAN big 0 MATCH m1*",
			"ZSCAN big 0 MATCH *7 COUNT 5", "ZSCAN big 0 COUNT 0", "ZSCAN big 0 MATCH",
		}},
		{name: "zrandmember", lines: []string{
			"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZRANDMEMBER z", "ZRANDMEMBER z 3", "ZRANDMEMBER z 3 WITHSCORES",
			"ZRANDMEMBER z 5", "ZRANDMEMBER z 10 WITHSCORES", "ZRANDMEMBER z -10", "ZRANDMEMBER z -7 WITHSCORES",
			"ZRANDMEMBER z 0 WITHSCORES", bigZAdd("big", 300), "ZRANDMEMBER big", "ZRANDMEMBER big 5",
			"ZRANDMEMBER big 200 WITHSCORES", "ZRANDMEMBER big 299", "ZRANDMEMBER big 400", "ZRANDMEMBER big -5 WITHSCORES",
		}},
		{name: "zset wrongtype crossings", lines: []string{
			"SET s v", "HSET h f v", "ZADD z 1 a", "ZADD h 1 a", "ZINCRBY h 1 a", "ZRANGE h 0 -1", "ZPOPMIN h",
			"ZUNION 2 z h", "ZINTERSTORE d 2 z h", "ZINTERCARD 2 h z", "ZSCAN h 0", "ZRANDMEMBER h",
			"GET z", "HGET z f", "HSET z f v", "APPEND z x", "INCR z", "STRLEN z", "SET z v GET", "GETDEL z",
			"TYPE z", "OBJECT ENCODING z", "HGETALL z", "HSCAN z 0",
		}},
		{name: "zset in multi", lines: []string{
			"MULTI", "ZADD z 1 a 2 b", "ZINCRBY z 1 a", "ZRANGE z 0 -1 WITHSCORES", "ZPOPMIN z 1", "ZSCORE z b",
			"BZPOPMIN nokey 0", "BZPOPMAX z 0", "BZMPOP 0 2 nokey z MIN", "BZMPOP 0 1 nokey MAX COUNT 2",
			"ZADD z x a", "ZCARD z", "EXEC",
			"MULTI", "ZADD z 1 a", "SET z v", "ZADD z 1 a", "EXEC",
		}},
		{name: "zset across databases", lines: []string{
			"ZADD z 1 a 2 b", "MOVE z 1", "EXISTS z", "SELECT 1", "ZRANGE z 0 -1 WITHSCORES", "TYPE z",
			"COPY z z2 DB 0", "SELECT 0", "ZRANGE z2 0 -1 WITHSCORES", "ZADD z2 3 c", "SELECT 1", "ZCARD z",
			"SWAPDB 0 1", "ZCARD z2", "SCAN 0 TYPE zset", "SELECT 0", "ZCARD z2", "FLUSHDB", "SELECT 1",
			"ZCARD z2", "MOVE z2 0", "SELECT 0", "ZSCORE z2 c",
		}},
		{name: "zset sets as inputs", lines: []string{
			"ZADD z 2 a 3 b", "SADD s a c", "SADD i 1 2 3", "ZUNION 2 z s WITHSCORES", "ZINTER 2 z s WITHSCORES",
			"ZDIFF 2 s z WITHSCORES", "ZUNIONSTORE d 3 z s i WEIGHTS 1 2 3", "ZRANGE d 0 -1 WITHSCORES",
			"ZINTERCARD 2 s z", "ZINTERSTORE d 2 s i", "EXISTS d", "ZDIFFSTORE d 1 s", "TYPE d",
			"ZRANGE d 0 -1 WITHSCORES", "ZUNION 1 s AGGREGATE MAX WITHSCORES", "ZINTER 2 s s WEIGHTS 2 3 WITHSCORES",
			"ZUNION 2 s z FOO", "ZRANGE s 0 -1", "ZADD s 1 a", "SADD z x", "ZINTERCARD 2 s i LIMIT 1",
		}},
		{name: "zset in scripts", lines: []string{
			"ZADD z 1 a 2.5 b", "EVAL \"return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')\" 1 z",
			"EVAL \"return redis.call('ZSCORE', KEYS[1], 'b')\" 1 z",
			"EVAL \"return redis.call('ZPOPMIN', KEYS[1], 5)\" 1 z", "EXISTS z",
		}},
		{name: "zset watch", lines: []string{
			"ZADD z 1 a", "WATCH z", "ZADD z NX 5 a", "ZADD z 1 a", "ZREM z nomember", "ZINCRBY z 0 a",
			"MULTI", "ZCARD z", "EXEC",
			"WATCH z", "ZADD z 2 a", "MULTI", "ZCARD z", "EXEC",
		}},
		{name: "zset scores as printed", lines: []string{
			"ZADD z 0.1 a 1e17 b 1.5e-5 c 123456789.123456789 d -0.0 e 5e-324 f 1.7976931348623157e308 g 0x1p-3 h",
			"ZRANGE z 0 -1 WITHSCORES", "ZSCORE z b", "ZMSCORE z a c nokey", "ZINCRBY z 0.2 a", "ZSCAN z 0",
			"ZADD z 1e400 x", "ZADD z 1e-400 x", "ZADD z ' 1' x", "ZADD z '1 ' x", "ZADD z 1_0 x", "ZADD z .5 x",
			"ZADD z 5. y", "ZADD z -inf i +Infinity j", "ZRANGE z -2 -1 WITHSCORES", "ZPOPMIN z", "ZMPOP 1 z MAX COUNT 2",
			"ZRANGEBYSCORE z (0.1 1e18", "ZRANGEBYSCORE z (-inf (+inf LIMIT 0 2", "ZCOUNT z (1e17 +inf",
			"ZRANGEBYSCORE z '(' 1", "ZRANGEBYSCORE z 1e400 1", "ZRANGEBYSCORE z 0x10 +inf",
		}},
		{name: "zset lex ranges on a listpack with unequal scores", lines: []string{
			"ZADD z 1 d 2 c 3 b 4 a 0 e", "ZRANGEBYLEX z - +", "ZRANGEBYLEX z [b [d", "ZLEXCOUNT z [b [d",
			"ZREVRANGEBYLEX z + - LIMIT 1 2", "ZREMRANGEBYLEX z [a [c", "ZRANGE z 0 -1",
		}},
	}...)...)
}

// zsetFixedCases are the hand-written cases; fsm's TestAgainstRedis runs
// the same commands, in RESP2, on fsm alone.
var zsetFixedCases = []compatCase{
	{name: "zset zadd basics", lines: []string{
		"ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z 5 a 0 d", "ZCARD z", "ZCARD nokey", "ZSCORE z a",
		"ZSCORE z nomember", "ZSCORE nokey a", "ZRANGE z 0 -1 WITHSCORES", "ZADD z CH 6 a 0 d 9 e",
		"ZADD z NX 100 a 7 f", "ZADD z XX 100 a 7 g", "ZSCORE z g", "ZADD z GT 50 a", "ZADD z GT CH 50 a 200 a",
		"ZADD z LT CH 300 a 10 a", "ZSCORE z a", "ZADD z INCR 5 a", "ZADD z INCR NX 5 a",
		"ZADD z INCR XX 5 nomember", "ZADD z nx xx 1 a", "ZADD z NX GT 1 a", "ZADD z LT GT 1 a",
		"ZADD z NX LT 1 a", "ZADD z INCR 1 a 2 b", "ZADD z 1", "ZADD z 1 a 2", "ZADD z abc a", "ZADD z nan a",
		"ZADD z 1 a x b", "ZADD z CH", "ZADD z XX", "ZADD nokey XX 1 a", "EXISTS nokey", "ZADD nokey XX INCR 1 a",
		"ZADD z inf a -inf b +inf c", "ZRANGE z 0 -1 WITHSCORES", "ZADD z INCR -inf a", "ZINCRBY z -inf a",
		"ZADD z 0x10 h 1e3 i 0.1 j -0 k", "ZRANGE z 0 -1 WITHSCORES", "SET s v", "ZADD s 1 a", "ZADD s XX 1 a",
		"ZADD s nan a", "ZCARD s", "ZSCORE s a", "ZADD", "ZADD z",
	}},
	{name: "zset zincrby zrem", lines: []string{
		"ZINCRBY z 1 a", "ZINCRBY z 2.5 a", "ZINCRBY z -10 a", "ZINCRBY z abc a", "ZINCRBY z '' a",
		"ZINCRBY z 1e400 a", "ZINCRBY z inf a", "ZINCRBY z inf a", "ZINCRBY z -inf a", "ZSCORE z a", "ZREM z a",
		"ZREM z a b", "ZADD z 1 a 2 b 3 c", "ZREM z a a b x", "ZRANGE z 0 -1", "ZREM z c", "EXISTS z",
		"ZREM nokey a", "SET s v", "ZREM s a", "ZINCRBY s 1 a", "ZINCRBY z 1", "ZREM z",
	}},
	{name: "zset zrange by rank", lines: []string{
		"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZRANGE z 0 -1", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z 1 2",
		"ZRANGE z -2 -1", "ZRANGE z -100 100", "ZRANGE z 3 1", "ZRANGE z 5 10", "ZRANGE z 0 -1 REV",
		"ZRANGE z 0 1 REV WITHSCORES", "ZRANGE z 0 -1 rev rev", "ZRANGE z a 1", "ZRANGE z 0 1.5",
		"ZRANGE z 0 -1 LIMIT 0 1", "ZRANGE z 0 -1 LIMIT 0 -1", "ZRANGE z 0 -1 LIMIT 1", "ZRANGE z 0 -1 FOO",
		"ZRANGE nokey 0 -1", "ZREVRANGE z 0 -1", "ZREVRANGE z 0 0 WITHSCORES", "ZREVRANGE z 0 -1 REV",
		"ZREVRANGE z 0 -1 BYSCORE", "ZREVRANGE z 0 -1 LIMIT 0 1", "ZRANGE z 0 -1 BYSCORE BYLEX", "SET s v",
		"ZRANGE s 0 -1", "ZRANGE s a b", "ZRANGE z 9223372036854775807 -9223372036854775808",
		"ZRANGE z -9223372036854775808 9223372036854775807",
	}},
	{name: "zset zrange by score", lines: []string{
		"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZRANGE z 2 4 BYSCORE", "ZRANGE z (2 4 BYSCORE WITHSCORES",
		"ZRANGE z 2 (4 BYSCORE", "ZRANGE z -inf +inf BYSCORE", "ZRANGE z -inf +inf BYSCORE LIMIT 1 2",
		"ZRANGE z -inf +inf BYSCORE LIMIT 1 -1", "ZRANGE z -inf +inf BYSCORE LIMIT -1 2",
		"ZRANGE z -inf +inf BYSCORE LIMIT 0 0", "ZRANGE z 4 2 BYSCORE REV",
		"ZRANGE z 4 2 BYSCORE REV LIMIT 1 1 WITHSCORES", "ZRANGE z 2 4 BYSCORE REV", "ZRANGE z a 4 BYSCORE",
		"ZRANGE z 1 nan BYSCORE", "ZRANGE z ( 4 BYSCORE", "ZRANGE z 2 4 BYSCORE LIMIT a 1",
		"ZRANGE z 2 4 BYSCORE LIMIT 1 a", "ZRANGEBYSCORE z 2 4", "ZRANGEBYSCORE z 2 4 WITHSCORES",
		"ZRANGEBYSCORE z -inf inf LIMIT 2 10", "ZRANGEBYSCORE z -inf inf WITHSCORES LIMIT 2 1 WITHSCORES",
		"ZRANGEBYSCORE z 2 4 REV", "ZRANGEBYSCORE z 2 4 BYSCORE", "ZRANGEBYSCORE z 2 4 LIMIT 1",
		"ZRANGEBYSCORE z x 4", "ZREVRANGEBYSCORE z 4 2", "ZREVRANGEBYSCORE z 4 2 WITHSCORES LIMIT 0 2",
		"ZREVRANGEBYSCORE z 2 4", "ZREVRANGEBYSCORE z +inf (4", "ZRANGEBYSCORE nokey 0 1", "SET s v",
		"ZRANGEBYSCORE s 0 1", "ZRANGEBYSCORE s x 1", "ZRANGEBYSCORE z 0 1 LIMIT 0 1 FOO", "ZRANGEBYSCORE z 0",
	}},
	{name: "zset zmscore zrank zcount", lines: []string{
		"ZADD z 1 a 2 b 3 c 3 d", "ZMSCORE z a x c", "ZMSCORE nokey a b", "ZRANK z a", "ZRANK z d", "ZREVRANK z a",
		"ZRANK z x", "ZRANK nokey a", "ZCOUNT z 2 3", "ZCOUNT z (2 3", "ZCOUNT z -inf +inf", "ZCOUNT z 3 2",
		"ZCOUNT z x 2", "ZCOUNT nokey 0 1", "ZCOUNT nokey x 1", "SET s v", "ZCOUNT s 0 1", "ZCOUNT s x 1",
		"ZMSCORE s a", "ZRANK s a", "ZMSCORE z", "ZRANK z a b", "ZCOUNT z 1",
	}},
	{name: "zset zlexcount zrangebylex", lines: []string{
		"ZADD z 0 a 0 b 0 c 0 d 0 e", "ZLEXCOUNT z - +", "ZLEXCOUNT z [b [d", "ZLEXCOUNT z (b (d",
		"ZLEXCOUNT z + -", "ZLEXCOUNT z b d", "ZLEXCOUNT z [b x", "ZLEXCOUNT nokey - +", "ZLEXCOUNT nokey a b",
		"ZRANGEBYLEX z - +", "ZRANGEBYLEX z [b (e", "ZRANGEBYLEX z - + LIMIT 1 2", "ZRANGEBYLEX z - + LIMIT 1 -1",
		"ZRANGEBYLEX z - + WITHSCORES", "ZRANGEBYLEX z - + LIMIT a 1", "ZRANGEBYLEX z a +", "ZREVRANGEBYLEX z + -",
		"ZREVRANGEBYLEX z (d [a LIMIT 0 2", "ZREVRANGEBYLEX z - +", "ZRANGE z [b [d BYLEX",
		"ZRANGE z [d [b BYLEX REV", "ZRANGE z - + BYLEX WITHSCORES", "ZRANGE z - + BYLEX LIMIT 2 2",
		"ZRANGE z a b BYLEX", "ZRANGEBYLEX z - + REV", "SET s v", "ZLEXCOUNT s - +", "ZLEXCOUNT s a b",
		"ZRANGEBYLEX s - +", "ZRANGEBYLEX z", "ZLEXCOUNT z -",
	}},
	{name: "zset zrangestore", lines: []string{
		"ZADD src 1 a 2 b 3 c 4 d", "ZRANGESTORE dst src 0 1", "ZRANGE dst 0 -1 WITHSCORES",
		"ZRANGESTORE dst src 2 3 BYSCORE", "ZRANGE dst 0 -1 WITHSCORES",
		"ZRANGESTORE dst src 3 2 BYSCORE REV LIMIT 0 1", "ZRANGE dst 0 -1 WITHSCORES",
		"ZRANGESTORE dst src [a [b BYLEX", "ZRANGESTORE dst src 0 -1 REV", "ZRANGE dst 0 -1",
		"ZRANGESTORE dst src 0 -1 WITHSCORES", "ZRANGESTORE dst src 5 10", "EXISTS dst",
		"ZRANGESTORE dst src 0 -1", "ZRANGESTORE dst nokey 0 -1", "EXISTS dst", "SET s v",
		"ZRANGESTORE dst s 0 -1", "ZRANGESTORE s src 0 -1", "TYPE s", "ZRANGESTORE dst src a b",
		"ZRANGESTORE dst src 0 -1 LIMIT 0 1", "ZRANGESTORE src src 1 2", "ZRANGE src 0 -1",
		"ZRANGESTORE dst src 0",
	}},
	{name: "zset zremrange", lines: []string{
		"ZADD z 1 a 2 b 3 c 4 d 5 e 6 f", "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYRANK z -1 -1",
		"ZREMRANGEBYRANK z 10 20", "ZREMRANGEBYRANK z 2 1", "ZRANGE z 0 -1", "ZREMRANGEBYSCORE z (2 3",
		"ZREMRANGEBYSCORE z 10 20", "ZREMRANGEBYSCORE z x 1", "ZRANGE z 0 -1", "ZADD l 0 a 0 b 0 c 0 d",
		"ZREMRANGEBYLEX l [b (d", "ZREMRANGEBYLEX l x y", "ZRANGE l 0 -1", "ZREMRANGEBYLEX l - +", "EXISTS l",
		"ZREMRANGEBYRANK z 0 -1", "EXISTS z", "ZREMRANGEBYRANK nokey 0 -1", "ZREMRANGEBYSCORE nokey 0 1",
		"ZREMRANGEBYLEX nokey - +", "ZREMRANGEBYRANK nokey a 1", "SET s v", "ZREMRANGEBYRANK s 0 1",
		"ZREMRANGEBYSCORE s 0 1", "ZREMRANGEBYLEX s - +", "ZREMRANGEBYRANK s x 1", "ZREMRANGEBYSCORE s x 1",
	}},
	{name: "zset zpopmin zpopmax zmpop", lines: []string{
		"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z 0", "ZPOPMIN z -1",
		"ZPOPMIN z x", "ZPOPMIN z 1 2", "ZPOPMAX z 10", "EXISTS z", "ZPOPMIN z", "ZPOPMIN z 0", "ZPOPMIN nokey 1",
		"SET s v", "ZPOPMIN s", "ZPOPMIN s 0", "ZPOPMIN s -1", "ZADD a 1 x 2 y 3 z", "ZMPOP 1 a MIN",
		"ZMPOP 2 nokey a MAX COUNT 5", "ZMPOP 2 nokey a MAX", "ZMPOP 0 a MIN", "ZMPOP -1 a MIN", "ZMPOP x a MIN",
		"ZMPOP 2 a MIN", "ZMPOP 1 a FOO", "ZMPOP 1 a MIN COUNT 0", "ZMPOP 1 a MIN COUNT -1",
		"ZMPOP 1 a MIN COUNT x", "ZMPOP 1 a MIN COUNT 1 COUNT 1", "ZMPOP 1 a MIN FOO", "ZMPOP 1 a MIN COUNT",
		"ZMPOP 2 s a MIN", "ZMPOP 2 nokey s MIN", "ZADD b 1 x", "ZMPOP 2 b s MIN", "ZMPOP 1 a min count 2",
		"ZMPOP 1",
	}},
	{name: "zset zrandmember rules", lines: []string{
		"ZRANDMEMBER nokey", "ZRANDMEMBER nokey 5", "ZRANDMEMBER nokey 5 WITHSCORES", "ZADD z 1 a",
		"ZRANDMEMBER z", "ZRANDMEMBER z 0", "ZRANDMEMBER z 1", "ZRANDMEMBER z 5 WITHSCORES", "ZRANDMEMBER z -3",
		"ZRANDMEMBER z -2 WITHSCORES", "ZRANDMEMBER z x", "ZRANDMEMBER z 1 FOO", "ZRANDMEMBER z 1 WITHSCORES FOO",
		"ZRANDMEMBER z -9223372036854775808", "ZRANDMEMBER z 9223372036854775807 WITHSCORES",
		"ZRANDMEMBER z -4611686018427387904 WITHSCORES", "ZRANDMEMBER z 4611686018427387903 WITHSCORES", "SET s v",
		"ZRANDMEMBER s", "ZRANDMEMBER s 1", "ZRANDMEMBER s x",
	}},
	{name: "zset set operations", lines: []string{
		"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "ZUNION 2 a b", "ZUNION 2 a b WITHSCORES",
		"ZUNION 2 a b WEIGHTS 2 3 WITHSCORES", "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
		"ZUNION 2 a b AGGREGATE max WITHSCORES", "ZUNION 2 a b WEIGHTS 1 WITHSCORES", "ZUNION 2 a b WEIGHTS 1 x",
		"ZUNION 2 a b AGGREGATE FOO", "ZUNION 2 a b AGGREGATE", "ZUNION 0 a", "ZUNION -1 a", "ZUNION x a",
		"ZUNION 3 a b", "ZUNION 1 nokey", "ZINTER 2 a b WITHSCORES",
		"ZINTER 2 a b WEIGHTS 2 0.5 AGGREGATE MAX WITHSCORES", "ZINTER 2 a nokey", "ZDIFF 2 a b WITHSCORES",
		"ZDIFF 2 b a", "ZDIFF 2 a b WEIGHTS 1 2", "ZDIFF 2 a b AGGREGATE SUM", "ZDIFF 1 a WITHSCORES",
		"ZUNIONSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES", "ZUNIONSTORE d 2 a b WITHSCORES",
		"ZINTERSTORE d 2 a b WEIGHTS 1 -1", "ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 a nokey", "EXISTS d",
		"ZDIFFSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 2 a a", "EXISTS d", "ZINTERCARD 2 a b",
		"ZINTERCARD 2 a b LIMIT 1", "ZINTERCARD 2 a b LIMIT 0", "ZINTERCARD 2 a b LIMIT -1",
		"ZINTERCARD 2 a b LIMIT x", "ZINTERCARD 2 a b FOO", "ZINTERCARD 0 a", "ZINTERCARD 3 a b",
		"ZINTERCARD 1 nokey", "SET s v", "ZUNION 2 a s", "ZUNION 2 s a FOO", "ZUNION 2 nokey a FOO",
		"ZUNIONSTORE d 2 a s", "ZINTERCARD 2 a s", "ZINTERCARD 2 s a LIMIT -1", "ZINTERCARD 2 a a LIMIT -1",
		"ZUNIONSTORE s 1 a", "TYPE s", "ZUNION 2 a b WEIGHTS inf -inf WITHSCORES",
		"ZINTER 2 a b WEIGHTS 0 inf WITHSCORES", "ZUNION 1 a WEIGHTS 0x10 WITHSCORES", "ZUNIONSTORE d 0 a",
		"ZINTERSTORE d 3 a b", "ZDIFFSTORE d -1 a", "ZINTERCARD x a",
	}},
	{name: "zset zscan listpack", lines: []string{
		"ZADD z 1 a 2 b 3 c 1e17 d 0.1 e", "ZSCAN z 0", "ZSCAN z 0 MATCH [ab]", "ZSCAN z 0 COUNT 1",
		"ZSCAN z 0 COUNT 0", "ZSCAN z 0 COUNT x", "ZSCAN z 0 FOO", "ZSCAN z x", "ZSCAN nokey 0",
		"ZSCAN nokey 0 COUNT 0", "SET s v", "ZSCAN s 0", "ZSCAN s x", "ZSCAN s 0 COUNT 0", "ZSCAN z",
	}},
	{name: "zset keys of sorted sets", lines: []string{
		"ZADD z 1 a", "TYPE z", "SCAN 0 TYPE zset", "EXPIRE z 100", "ZADD z 2 b", "TTL z", "ZRANGESTORE z z 0 0",
		"TTL z", "COPY z z2", "ZRANGE z2 0 -1 WITHSCORES", "RENAMENX z z2", "RENAME z z3", "ZSCORE z3 a",
	}},
	{name: "zset bzpop served at once", lines: []string{
		"ZADD a 1 x 2 y", "BZPOPMIN nokey a 0", "BZPOPMAX a 0.5", "EXISTS a", "BZPOPMIN a x", "BZPOPMIN a -1",
		"BZPOPMIN a inf", "BZPOPMIN a ''", "BZPOPMIN a nan", "ZADD b 1 x 2 y 3 z", "BZMPOP 0 2 a b MIN COUNT 2",
		"BZMPOP 1 1 b MAX", "BZMPOP 1 0 b MAX", "BZMPOP x 1 b MAX", "BZMPOP -1 1 b MAX", "BZMPOP 1 1 b FOO",
		"BZMPOP 1 1 b MIN COUNT 0", "SET s v", "ZADD c 1 x", "BZPOPMIN s c 0", "BZPOPMIN nokey s 0",
		"BZPOPMIN c s 0", "BZMPOP 0 2 s c MIN", "BZPOPMIN a", "BZMPOP 0 1",
	}},
}

// zmember is a sorted-set member: a few names, so that commands meet each
// other's members, and rarely one past zset-max-listpack-value.
func (g *cmdGen) zmember() string {
	if g.chance(0.02) {
		return longValue
	}
	return g.pick("a", "b", "c", "d", "e", "f", "", "\x00")
}

// score is mostly a valid score, small integers often so that members tie.
func (g *cmdGen) score() string {
	if g.chance(0.4) {
		return strconv.Itoa(g.r.IntN(5))
	}
	return g.float()
}

// scoreBound is a ZRANGEBYSCORE-style bound.
func (g *cmdGen) scoreBound() string {
	b := g.score()
	if g.chance(0.3) {
		b = "(" + b
	}
	return g.pick(b, b, b, "-inf", "+inf", "(", "(inf")
}

// lexKey names the keys the lex-range commands use: their members all
// have score 0, because over unequal scores a skiplist's lex range is not
// defined (Redis's depends on its random skiplist levels).
func (g *cmdGen) lexKey() string { return g.pick("l0", "l1") }

func (g *cmdGen) lexBound() string {
	m := g.zmember()
	return g.pick("["+m, "("+m, "-", "+", m, "[", "(")
}

func (g *cmdGen) zkeys() (string, []string) {
	keys := g.keys(1, 3)
	if g.chance(0.2) {
		keys = append(keys, "zb")
	}
	n := strconv.Itoa(len(keys))
	if g.chance(0.05) {
		n = g.pick("0", "-1", "x", "5")
	}
	return n, keys
}

func (g *cmdGen) zkey() string {
	if g.chance(0.1) {
		return "zb"
	}
	return g.key()
}

func (g *cmdGen) zaddArgs(key string, lex bool) []string {
	args := []string{"ZADD", key}
	if !lex {
		args = append(args, g.options(2, word("NX"), word("XX"), word("GT"), word("LT"), word("CH"), word("INCR"))...)
	}
	for range 1 + g.r.IntN(4) {
		s := g.score()
		if lex {
			s = "0"
		}
		args = append(args, s, g.zmember())
	}
	return args
}

func (g *cmdGen) zrangeOptions(store bool) []string {
	opts := []func() []string{word("BYSCORE"), word("BYLEX"), word("REV"),
		func() []string { return []string{"LIMIT", g.integer(), g.integer()} }, word("FOO")}
	if !store {
		opts = append(opts, word("WITHSCORES"))
	}
	return g.options(3, opts...)
}

// zsetGenerators cover every sorted-set command but the blocking ones
// (whose blocking the suite cannot drive; they run here only where they
// cannot block: inside MULTI, or on keys that have members).
var zsetGenerators = []genFunc{
	func(g *cmdGen) []string { return g.zaddArgs(g.zkey(), false) },
	func(g *cmdGen) []string { return g.zaddArgs(g.zkey(), false) },
	func(g *cmdGen) []string { return g.zaddArgs(g.lexKey(), true) },
	func(g *cmdGen) []string { return []string{"ZINCRBY", g.zkey(), g.score(), g.zmember()} },
	func(g *cmdGen) []string { return []string{"ZREM", g.zkey(), g.zmember(), g.zmember()} },
	func(g *cmdGen) []string { return []string{"ZREM", g.lexKey(), g.zmember()} },
	func(g *cmdGen) []string { return []string{"ZCARD", g.pick(g.zkey(), g.lexKey())} },
	func(g *cmdGen) []string { return []string{"ZSCORE", g.zkey(), g.zmember()} },
	func(g *cmdGen) []string { return []string{"ZMSCORE", g.zkey(), g.zmember(), g.zmember()} },
	func(g *cmdGen) []string { return []string{g.pick("ZRANK", "ZREVRANK"), g.zkey(), g.zmember()} },
	func(g *cmdGen) []string { return []string{"ZCOUNT", g.zkey(), g.scoreBound(), g.scoreBound()} },
	func(g *cmdGen) []string { return []string{"ZLEXCOUNT", g.lexKey(), g.lexBound(), g.lexBound()} },
	func(g *cmdGen) []string {
		return append([]string{"ZRANGE", g.zkey(), g.integer(), g.integer()}, g.zrangeOptions(false)...)
	},
	func(g *cmdGen) []string {
		return append([]string{"ZRANGE", g.zkey(), g.scoreBound(), g.scoreBound(), "BYSCORE"}, g.zrangeOptions(false)...)
	},
	func(g *cmdGen) []string {
		return append([]string{"ZRANGE", g.lexKey(), g.lexBound(), g.lexBound(), "BYLEX"}, g.zrangeOptions(false)...)
	},
	func(g *cmdGen) []string {
		return append([]string{"ZRANGESTORE", g.zkey(), g.zkey(), g.integer(), g.integer()}, g.zrangeOptions(true)...)
	},
	func(g *cmdGen) []string {
		return append([]string{"ZRANGESTORE", g.key(), g.zkey(), g.scoreBound(), g.scoreBound(), "BYSCORE"},
			g.zrangeOptions(true)...)
	},
	func(g *cmdGen) []string {
		return []string{"ZRANGESTORE", g.lexKey(), g.lexKey(), g.lexBound(), g.lexBound(), "BYLEX"}
	},
	func(g *cmdGen) []string {
		return append([]string{"ZREVRANGE", g.zkey(), g.integer(), g.integer()}, g.options(1, word("WITHSCORES"), word("REV"))...)
	},
	func(g *cmdGen) []string {
		return append([]string{g.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), g.zkey(), g.scoreBound(), g.scoreBound()},
			g.options(2, word("WITHSCORES"), func() []string { return []string{"LIMIT", g.integer(), g.integer()} })...)
	},
	func(g *cmdGen) []string {
		return append([]string{g.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), g.lexKey(), g.lexBound(), g.lexBound()},
			g.options(1, word("WITHSCORES"), func() []string { return []string{"LIMIT", g.integer(), g.integer()} })...)
	},
	func(g *cmdGen) []string { return []string{"ZREMRANGEBYRANK", g.zkey(), g.integer(), g.integer()} },
	func(g *cmdGen) []string {
		return []string{"ZREMRANGEBYSCORE", g.zkey(), g.scoreBound(), g.scoreBound()}
	},
	func(g *cmdGen) []string { return []string{"ZREMRANGEBYLEX", g.lexKey(), g.lexBound(), g.lexBound()} },
	func(g *cmdGen) []string {
		args := []string{g.pick("ZPOPMIN", "ZPOPMAX"), g.pick(g.zkey(), g.lexKey())}
		if g.chance(0.5) {
			args = append(args, g.pick("0", "1", "2", "10", "-1", "x"))
		}
		return args
	},
	func(g *cmdGen) []string {
		n, keys := g.zkeys()
		args := append(append([]string{"ZMPOP", n}, keys...), g.pick("MIN", "MAX", "min", "FOO"))
		return append(args, g.options(1, func() []string { return []string{"COUNT", g.pick("1", "3", "0", "-1", "x")} })...)
	},
	func(g *cmdGen) []string {
		args := []string{"ZRANDMEMBER", g.zkey()}
		if g.chance(0.7) {
			args = append(args, g.pick("0", "1", "3", "10", "-1", "-5", "x", "200", "-200"))
			if g.chance(0.5) {
				args = append(args, g.pick("WITHSCORES", "WITHSCORES", "FOO"))
			}
		}
		return args
	},
	func(g *cmdGen) []string {
		n, keys := g.zkeys()
		name := g.pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
		args := []string{name}
		if strings.HasSuffix(name, "STORE") {
			args = append(args, g.key())
		}
		args = append(append(args, n), keys...)
		return append(args, g.options(3,
			func() []string {
				w := []string{"WEIGHTS"}
				for range len(keys) {
					w = append(w, g.pick("1", "2", "-1", "0", "0.5", "inf", "x"))
				}
				return w
			},
			func() []string { return []string{"AGGREGATE", g.pick("SUM", "MIN", "MAX", "max", "FOO")} },
			word("WITHSCORES"), word("FOO"))...)
	},
	func(g *cmdGen) []string {
		n, keys := g.zkeys()
		args := append([]string{"ZINTERCARD", n}, keys...)
		return append(args, g.options(1, func() []string { return []string{"LIMIT", g.pick("0", "1", "2", "-1", "x")} })...)
	},
	func(g *cmdGen) []string {
		return append([]string{"ZSCAN", g.zkey(), g.pick("0", "0", "0", "x")}, g.scanOptions(true)...)
	},
	func(g *cmdGen) []string {
		// On a key with members (or inside MULTI) these cannot block.
		if g.multi {
			return []string{g.pick("BZPOPMIN", "BZPOPMAX"), g.zkey(), "0"}
		}
		return nil
	},
	func(g *cmdGen) []string {
		if g.chance(0.05) {
			if g.chance(0.5) {
				return []string{"SET", g.lexKey(), "v"}
			}
			return []string{"HSET", g.lexKey(), "f", "v"}
		}
		return []string{"DEL", g.pick("zb", g.lexKey())}
	},
	func(g *cmdGen) []string {
		if g.chance(0.1) {
			return []string{"ZADD", "zb", "0", "a"}
		}
		return strings.Fields(bigZAdd("zb", 130+g.r.IntN(20)))
	},
}

// compareZRandMember checks a ZRANDMEMBER reply by Redis's rules, asking
// Redis for the set's members: without a count one member; with a count
// n >= 0, min(n, ZCARD) distinct members; with n < 0, -n members that may
// repeat; each with its score under WITHSCORES, in the same reply shape.
func (s *session) compareZRandMember(args []string, want, got replyValue) string {
	differ := describeDiff(got, want)
	if want.typ != got.typ || want.null != got.null || len(want.elems) != len(got.elems) {
		return differ
	}
	all, err := s.redis.do("ZRANGE", args[1], "0", "-1", "WITHSCORES")
	if err != nil {
		s.t.Fatal(err)
	}
	score := map[string]string{}
	flat := flattenPairs(all)
	for i := 0; i+1 < len(flat); i += 2 {
		score[flat[i].raw] = flat[i+1].raw
	}
	if len(args) == 2 {
		if _, ok := score[got.raw]; ok && got.typ == '$' {
			return ""
		}
		return differ + " (not a member)"
	}
	items := got.elems
	withScores := len(args) == 4
	var members []string
	for _, it := range items {
		switch {
		case withScores && it.isArray():
			// RESP3 pairs.
			if len(it.elems) != 2 || score[it.elems[0].raw] != it.elems[1].raw {
				return differ + " (a pair Redis does not have)"
			}
			members = append(members, it.elems[0].raw)
		default:
			members = append(members, it.raw)
		}
	}
	if withScores && len(items) > 0 && !items[0].isArray() {
		members = members[:0]
		for i := 0; i+1 < len(items); i += 2 {
			if score[items[i].raw] != items[i+1].raw {
				return differ + " (a pair Redis does not have)"
			}
			members = append(members, items[i].raw)
		}
	}
	for _, m := range members {
		if _, ok := score[m]; !ok {
			return differ + " (a member Redis does not have)"
		}
	}
	if n, _ := strconv.Atoi(args[2]); n > 0 {
		sorted := slices.Clone(members)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(members) {
			return differ + " (a member twice)"
		}
	}
	return ""
}

// flattenPairs returns a WITHSCORES reply's elements flat, whether RESP2
// (flat) or RESP3 (pairs).
func flattenPairs(v replyValue) []replyValue {
	var out []replyValue
	for _, e := range v.elems {
		if e.isArray() {
			out = append(out, e.elems...)
		} else {
			out = append(out, e)
		}
	}
	return out
}
