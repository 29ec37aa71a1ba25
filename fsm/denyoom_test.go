package fsm

import (
	"slices"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/fsm/internal/redistest"
)

// denyOOMSamples is one invocation of each write command fsm serves, by
// COMMAND INFO's name, to parse and check against Redis's flags.
var denyOOMSamples = map[string]string{
	"set":                   "set k v",
	"setnx":                 "setnx k v",
	"setex":                 "setex k 10 v",
	"psetex":                "psetex k 10 v",
	"getset":                "getset k v",
	"getdel":                "getdel k",
	"getex":                 "getex k",
	"del":                   "del k",
	"unlink":                "unlink k",
	"mset":                  "mset k v",
	"msetnx":                "msetnx k v",
	"incr":                  "incr k",
	"decr":                  "decr k",
	"incrby":                "incrby k 1",
	"decrby":                "decrby k 1",
	"incrbyfloat":           "incrbyfloat k 1",
	"append":                "append k v",
	"setrange":              "setrange k 0 v",
	"flushall":              "flushall",
	"flushdb":               "flushdb",
	"expire":                "expire k 1",
	"pexpire":               "pexpire k 1",
	"expireat":              "expireat k 1",
	"pexpireat":             "pexpireat k 1",
	"persist":               "persist k",
	"rename":                "rename k j",
	"renamenx":              "renamenx k j",
	"copy":                  "copy k j",
	"hset":                  "hset k f v",
	"hmset":                 "hmset k f v",
	"hsetnx":                "hsetnx k f v",
	"hdel":                  "hdel k f",
	"hincrby":               "hincrby k f 1",
	"hincrbyfloat":          "hincrbyfloat k f 1",
	"move":                  "move k 1",
	"swapdb":                "swapdb 0 1",
	"sort":                  "sort k",
	"sadd":                  "sadd k m",
	"srem":                  "srem k m",
	"spop":                  "spop k",
	"smove":                 "smove k j m",
	"sinterstore":           "sinterstore d k",
	"sunionstore":           "sunionstore d k",
	"sdiffstore":            "sdiffstore d k",
	"lpush":                 "lpush k v",
	"rpush":                 "rpush k v",
	"lpushx":                "lpushx k v",
	"rpushx":                "rpushx k v",
	"lpop":                  "lpop k",
	"rpop":                  "rpop k",
	"lset":                  "lset k 0 v",
	"linsert":               "linsert k before p v",
	"lrem":                  "lrem k 0 v",
	"ltrim":                 "ltrim k 0 1",
	"lmove":                 "lmove k j left right",
	"rpoplpush":             "rpoplpush k j",
	"lmpop":                 "lmpop 1 k left",
	"blpop":                 "blpop k 0",
	"brpop":                 "brpop k 0",
	"blmove":                "blmove k j left right 0",
	"brpoplpush":            "brpoplpush k j 0",
	"blmpop":                "blmpop 0 1 k left",
	"xadd":                  "xadd k * f v",
	"xdel":                  "xdel k 1-1",
	"xtrim":                 "xtrim k maxlen 1",
	"xgroup|create":         "xgroup create k g $",
	"xgroup|setid":          "xgroup setid k g $",
	"xgroup|destroy":        "xgroup destroy k g",
	"xgroup|createconsumer": "xgroup createconsumer k g c",
	"xgroup|delconsumer":    "xgroup delconsumer k g c",
	"xreadgroup":            "xreadgroup group g c streams k >",
	"xack":                  "xack k g 1-1",
	"xclaim":                "xclaim k g c 0 1-1",
	"xautoclaim":            "xautoclaim k g c 0 0",
	"xsetid":                "xsetid k 1-1",
	"function|delete":       "function delete lib",
	"function|flush":        "function flush",
	"function|load":         "function load x",
	"function|restore":      "function restore x",
	"zadd":                  "zadd k 1 m",
	"zincrby":               "zincrby k 1 m",
	"zrem":                  "zrem k m",
	"zrangestore":           "zrangestore d k 0 1",
	"zremrangebyrank":       "zremrangebyrank k 0 1",
	"zremrangebyscore":      "zremrangebyscore k 0 1",
	"zremrangebylex":        "zremrangebylex k - +",
	"zpopmin":               "zpopmin k",
	"zpopmax":               "zpopmax k",
	"zmpop":                 "zmpop 1 k min",
	"zunionstore":           "zunionstore d 1 k",
	"zinterstore":           "zinterstore d 1 k",
	"zdiffstore":            "zdiffstore d 1 k",
	"bzpopmin":              "bzpopmin k 0",
	"bzpopmax":              "bzpopmax k 0",
	"bzmpop":                "bzmpop 0 1 k min",
}

// TestDenyOOMMatchesRedis checks that Apply's OOM check refuses exactly
// the write commands redis-server's COMMAND INFO flags denyoom: the same
// flags resp's COMMAND INFO serves (captured from redis-server), so the two
// cannot disagree. A new write command needs a sample here.
func TestDenyOOMMatchesRedis(t *testing.T) {
	r := redistest.Start(t)
	var names []string
	for _, name := range Commands() {
		subs := Subcommands(name)
		if len(subs) == 0 {
			names = append(names, name)
		}
		for _, sub := range subs {
			names = append(names, name+"|"+sub)
		}
	}
	// FUNCTION RESTORE's sample is a payload redis-server dumps.
	r.Do("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
	dump, _ := r.Do("FUNCTION", "DUMP").(string)
	r.Do("SET", "x", "v")
	keyDump, _ := r.Do("DUMP", "x").(string)
	for _, name := range names {
		info, ok := r.Do(append([]string{"COMMAND", "INFO"}, name)...).([]any)
		if !ok || len(info) != 1 || info[0] == nil {
			t.Errorf("%s: redis-server does not know it", name)
			continue
		}
		flags := info[0].([]any)[2].([]any)
		write := slices.Contains(flags, any("write"))
		deny := slices.Contains(flags, any("denyoom"))
		sample, ok := denyOOMSamples[name]
		args := strings.Fields(sample)
		if name == "function|restore" {
			sample, ok, args = "function restore <dump>", true, []string{"function", "restore", dump}
		}
		if name == "restore" {
			sample, ok, args = "restore k 0 <dump>", true, []string{"restore", "k", "0", keyDump}
		}
		if !ok {
			if write {
				t.Errorf("%s: a write command with no sample in denyOOMSamples", name)
			}
			continue
		}
		cmd, ok, err := Parse(ops(args...), 0)
		if !ok || err != nil {
			t.Errorf("%s: parse %q: ok %v, %v", name, sample, ok, err)
			continue
		}
		if got := cmd.denyOOM(); got != deny {
			t.Errorf("%s (%q): denyOOM %v, Redis's denyoom flag %v", name, sample, got, deny)
		}
	}
}
