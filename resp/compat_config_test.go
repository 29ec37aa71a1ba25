package resp

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/fsm/config"
)

// configReset puts back every parameter configCases change, on every
// server, whatever a case did.
var configReset = []string{
	"CONFIG SET list-max-listpack-size -2 hash-max-listpack-entries 512 hash-max-listpack-value 64" +
		" set-max-intset-entries 512 zset-max-listpack-entries 128 zset-max-listpack-value 64" +
		" stream-node-max-entries 100 stream-node-max-bytes 4096 maxmemory-samples 5" +
		" notify-keyspace-events '' lfu-log-factor 10 maxmemory-policy noeviction slowlog-max-len 128" +
		" hz 10 save ''",
}

// configCases check CONFIG GET and SET of every kind of parameter, their
// errors, and that the encoding limits take effect as in Redis. On the
// follower, each CONFIG SET goes through its cluster's log.
var configCases = []compatCase{
	{name: "config get patterns", lines: []string{
		"CONFIG GET *", "CONFIG GET *max-*-entries*", "CONFIG GET hash-*", "CONFIG GET MAXMEMORY",
		"CONFIG GET maxmemory MAXMEMORY", "CONFIG GET maxmemory maxmem*", "CONFIG GET hash-max-ziplist-entries",
		"CONFIG GET hash-max-ziplist-entries hash-max-listpack-entries", "CONFIG GET use-exit-on-panic",
		"CONFIG GET use-exit*", "CONFIG GET watchdog-period", "CONFIG GET slaveof", "CONFIG GET ?z*",
		"CONFIG GET [lz]*-value", "CONFIG GET * *", "CONFIG GET nosuch maxmemory-policy",
		"CONFIG GET notify-keyspace-events", "CONFIG GET client-output-buffer-limit", "CONFIG GET oom-score-adj-values",
	}},
	{name: "config set", reset: configReset, lines: []string{
		"CONFIG SET maxmemory-samples 7", "CONFIG GET maxmemory-samples", "CONFIG SET MAXMEMORY-SAMPLES 8",
		"CONFIG GET maxmemory-samples", "CONFIG SET maxmemory-samples 0", "CONFIG SET maxmemory-samples x",
		"CONFIG SET maxmemory-samples 5 maxmemory-samples 6", "CONFIG SET maxmemory-samples 9 nosuch 1",
		"CONFIG SET maxmemory-samples 9 lfu-log-factor x", "CONFIG GET maxmemory-samples",
		"CONFIG SET maxmemory-policy ALLKEYS-LRU", "CONFIG GET maxmemory-policy", "CONFIG SET maxmemory-policy lru",
		"CONFIG SET notify-keyspace-events KEA", "CONFIG GET notify-keyspace-events",
		"CONFIG SET notify-keyspace-events Elgn", "CONFIG GET notify-keyspace-events",
		"CONFIG SET notify-keyspace-events An", "CONFIG GET notify-keyspace-events",
		"CONFIG SET notify-keyspace-events q", "CONFIG SET notify-keyspace-events ''",
		"CONFIG SET hash-max-ziplist-entries 3 hash-max-listpack-entries 4", "CONFIG GET hash-max-*-entries",
		"CONFIG SET slowlog-max-len -1", "CONFIG SET hz 1000", "CONFIG GET hz", "CONFIG SET hz 0", "CONFIG GET hz",
		"CONFIG SET save '3600  1'", "CONFIG SET save '+5 007'", "CONFIG GET save", "CONFIG SET save ''",
		"CONFIG SET daemonize yes", "CONFIG SET dir /tmp", "CONFIG SET dbfilename x", "CONFIG SET databases 3",
		"CONFIG SET activerehashing maybe", "CONFIG SET list-max-listpack-size x",
		"CONFIG SET maxmemory -1", "CONFIG SET stream-node-max-bytes 1.5k", "CONFIG SET maxmemory-clients 101%",
		"CONFIG SET maxmemory-policy", "CONFIG SET maxmemory-policy a b",
		"MULTI", "CONFIG SET maxmemory-samples 11", "CONFIG GET maxmemory-samples", "EXEC",
		// Redis 7.2's listpack sets: not a 7.0 parameter.
		"CONFIG SET set-max-listpack-entries 1", "CONFIG GET set-max-listpack-*",
		"CONFIG HELP", "CONFIG HELP x", "CONFIG RESETSTAT", "CONFIG RESETSTAT x", "CONFIG REWRITE",
	}},
	{name: "config encodings", reset: configReset, lines: []string{
		"CONFIG SET hash-max-listpack-entries 2", "HSET h a 1 b 2", "OBJECT ENCODING h", "HSET h c 3",
		"OBJECT ENCODING h", "CONFIG SET hash-max-ziplist-value 3", "HSET h2 f abc", "OBJECT ENCODING h2",
		"HSET h2 g abcd", "OBJECT ENCODING h2", "CONFIG SET hash-max-listpack-entries 0", "HSET h3 a 1",
		"OBJECT ENCODING h3",
		"CONFIG SET set-max-intset-entries 2", "SADD s 1 2", "OBJECT ENCODING s", "SADD s 3", "OBJECT ENCODING s",
		"SADD t 1 2", "SUNIONSTORE u s t", "OBJECT ENCODING u", "SINTERSTORE v t t", "OBJECT ENCODING v",
		"CONFIG SET zset-max-listpack-entries 2", "ZADD z 1 a 2 b", "OBJECT ENCODING z", "ZADD z 3 c",
		"OBJECT ENCODING z", "CONFIG SET zset-max-ziplist-value 2", "ZADD z2 1 ab", "OBJECT ENCODING z2",
		"ZADD z3 1 abc", "OBJECT ENCODING z3", "CONFIG SET zset-max-listpack-entries 0", "ZADD z4 1 a",
		"OBJECT ENCODING z4",
		"CONFIG SET list-max-listpack-size 1", "RPUSH l a b c", "OBJECT ENCODING l", "LRANGE l 0 -1",
		"CONFIG SET stream-node-max-entries 2", "XADD st 1-1 f v", "XADD st 2-1 f v", "XADD st 3-1 f v",
		"XADD st 4-1 f v", "XADD st 5-1 f v", "XTRIM st MAXLEN ~ 1", "XLEN st",
		"CONFIG SET stream-node-max-entries 100", "XADD st2 1-1 f v", "XADD st2 2-1 f v", "XADD st2 3-1 f v",
		"XTRIM st2 MAXLEN ~ 1", "XLEN st2", "CONFIG SET stream-node-max-entries 0 stream-node-max-bytes 40",
		"XADD st3 1-1 field value", "XADD st3 2-1 field value", "XADD st3 3-1 field value", "XTRIM st3 MAXLEN ~ 1",
		"XLEN st3",
	}},
}

// configValues are the values TestConfigTable sets a parameter to where
// the generic ones (configTestValues) do not fit: a parameter with its own
// syntax, or one whose effect on the redis-server the test compares with
// would disturb it (timeout closes idle clients, appendonly writes files,
// small client limits drop the test's connections, TLS needs certificates,
// maxclients and oom-score-adj depend on the machine). Those get values
// Redis refuses, and their defaults.
var configValues = map[string][]string{
	"timeout":                           {"0", "-1", "x"},
	"appendonly":                        {"no", "maybe"},
	"activedefrag":                      {"no", "maybe"}, // a Redis without its own jemalloc refuses yes
	"maxclients":                        {"0", "x", "-1"},
	"oom-score-adj":                     {"no", "NO", "maybe"},
	"oom-score-adj-values":              {"0 100 200", "0 200 800", "1 2", "1 2 3 4", "0 200 3000", "a b c", "", " 0 200 800"},
	"tls-port":                          {"0", "-1", "65536", "x"},
	"tls-cluster":                       {"no", "maybe"},
	"tls-replication":                   {"no", "maybe"},
	"requirepass":                       {}, // the auth cases cover it
	"watchdog-period":                   {"0", "-1", "x"},
	"maxmemory-clients":                 {"0", "10%", "0%", "101%", "-5", "x", "5%%", "%"},
	"save":                              {"", "3600 1", "3600 1 300 100", "0 1", "1 -1", "x", "1 2 3", "+5 007", "3600  1"},
	"client-output-buffer-limit":        {"replica 1mb 2 3", "pubsub 32mb 8mb 60", "slave 256mb 64mb 60 pubsub 32mb 8mb 60", "master 1 2 3", "normal 1 2", "normal x 2 3", "normal 1 2 -1", "nosuch 1 2 3", ""},
	"proc-title-template":               {"{title}", "{title} {port}", "{nosuch}", "{", "a{{b", "x}", "{title} {listen-addr} {server-mode}", ""},
	"latency-tracking-info-percentiles": {"50 99.9", "", "101", "x", "1e1", "-1", "99.99999", "50 99 99.9"},
	"shutdown-on-sigint":                {"save now", "nosave save", "x", "default", "", "NOW", "force nosave"},
	"shutdown-on-sigterm":               {"now", "default"},
	"notify-keyspace-events":            {"KEA", "Elgn", "An", "q", "", "$szh", "mK"},
	"cluster-announce-hostname":         {"a.b-c", "a_b", ""},
	"hz":                                {"0", "1000", "10", "-1"},
}

// configTestValues are the values TestConfigTable tries on p.
func configTestValues(p *config.Param) []string {
	if vs, ok := configValues[p.Name]; ok {
		return vs
	}
	switch p.Kind {
	case config.Bool:
		return []string{"no", "yes", "YES", "No", "maybe", ""}
	case config.Enum:
		vs := append([]string{}, p.Enum...)
		return append(vs, strings.ToUpper(p.Enum[0]), "nope", "")
	case config.Int, config.Memory:
		vs := []string{"0", "1", "-1", "x", "", "01", "+1", "99999999999999999999", "1k", "1kb", "1MB", "1.5mb",
			"9223372036854775808", "18446744073709551615"}
		if p.Unsigned {
			vs = append(vs, strconv.FormatUint(uint64(p.Min), 10), strconv.FormatUint(uint64(p.Max), 10))
		} else {
			vs = append(vs, strconv.FormatInt(p.Min, 10), strconv.FormatInt(p.Max, 10))
			if p.Min > math.MinInt64 {
				vs = append(vs, strconv.FormatInt(p.Min-1, 10))
			}
			if p.Max < math.MaxInt64 {
				vs = append(vs, strconv.FormatInt(p.Max+1, 10))
			}
		}
		return vs
	}
	return []string{"abc", "", "a b"}
}

// TestConfigTable compares every parameter with redis-server: CONFIG GET
// of its name and alias (hidden ones too), then CONFIG SET of each test
// value, each followed by CONFIG GET, then its default again. On the
// follower each CONFIG SET goes through the log.
func TestConfigTable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	q := strconv.Quote
	for _, p := range config.Params() {
		tc := compatCase{name: p.Name}
		names := []string{p.Name}
		if p.Alias != "" {
			names = append(names, p.Alias)
		}
		get := func() {
			for _, n := range names {
				tc.lines = append(tc.lines, "CONFIG GET "+n)
			}
		}
		get()
		def := p.Default
		if p.Name == "save" {
			def = "" // the redis-server under test runs without
		}
		values := configTestValues(p)
		switch {
		case p.Name == "port" || p.Name == "bind":
			// Redis moves its listener; a raftcache node cannot
			// (they are immutable here: see config's table).
			values = nil
		case p.Immutable || p.Protected:
			values = []string{"x", def}
		}
		for _, n := range names {
			for _, v := range values {
				tc.lines = append(tc.lines, "CONFIG SET "+n+" "+q(v))
				get()
			}
		}
		if !p.Immutable && !p.Protected && p.Name != "requirepass" {
			tc.reset = []string{"CONFIG SET " + p.Name + " " + q(def)}
		}
		t.Run(p.Name, func(t *testing.T) { runCase(t, redisAddr, targets, tc, 2) })
	}
}
