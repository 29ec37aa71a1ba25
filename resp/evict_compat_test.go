package resp

import "testing"

// evictCases check OBJECT FREQ and IDLETIME under each kind of policy and
// the OOM replies of commands, scripts and reads over maxmemory, against
// redis-server. Over the limit means over on both: Redis counts its own
// ~1 MB, raftcache its dataset, so the limit is 1 byte with a key stored.
// A key's idle time is not compared: Redis's LRU clock is cached by its
// cron (hz 10), so across a second boundary it may say 1 where a node says
// 0; fsm's TestObjectFreqAndIdletime checks IDLETIME's arithmetic.
var evictCases = []compatCase{
	{name: "object freq idletime", lines: []string{
		"CONFIG SET maxmemory-policy allkeys-lfu", "SET k hello", "OBJECT FREQ k", "OBJECT IDLETIME k",
		"OBJECT FREQ nokey", "OBJECT IDLETIME nokey", "OBJECT FREQ", "OBJECT IDLETIME a b",
		"CONFIG SET maxmemory-policy volatile-lfu", "SET k2 v", "OBJECT FREQ k2",
		"CONFIG SET maxmemory-policy allkeys-lru", "SET k3 v", "OBJECT FREQ k3",
		"TOUCH k3 nokey k3", "OBJECT HELP",
	}, reset: []string{"CONFIG SET maxmemory-policy noeviction", "FLUSHALL"}},
	{name: "oom", lines: []string{
		"CONFIG SET maxmemory-policy noeviction", "SET a hello", "CONFIG SET maxmemory 1",
		"SET b v", "LPUSH l x", "SADD s x", "INCR n", "EXPIRE a 100", "GET a", "TTL a", "PERSIST a",
		"EVAL \"return redis.call('set','x','y')\" 0", "EVAL \"return redis.pcall('set','x','y')\" 0",
		"EVAL \"return redis.call('get','a')\" 0",
		"EVAL \"#!lua\nreturn 1\" 0", "EVAL \"#!lua flags=no-writes\nreturn 1\" 0",
		"EVAL \"#!lua flags=allow-oom\nreturn redis.call('set','x','y')\" 0",
		"CONFIG SET maxmemory-policy volatile-lru", "SET b v",
		"DEL a x", "CONFIG SET maxmemory 0", "SET b v",
	}, reset: []string{"CONFIG SET maxmemory 0", "CONFIG SET maxmemory-policy noeviction", "FLUSHALL"}},
	// Inside MULTI over the limit, Redis refuses every command but EXEC,
	// DISCARD, QUIT and RESET at queue time, and EXEC then aborts; a
	// denyoom command queued before the limit aborts EXEC itself.
	{name: "oom in multi", lines: []string{
		"CONFIG SET maxmemory-policy noeviction", "SET a hello", "RPUSH l 3 1 2",
		"XGROUP CREATE st g $ MKSTREAM", "MULTI", "SET b v", "@1 CONFIG SET maxmemory 1", "EXEC",
		"MULTI", "GET a", "WATCH a", "MULTI", "PING", "EXEC",
		"MULTI", "DISCARD", "MULTI", "EXEC", "GET a", "SET a v",
		"SORT l", "SORT_RO l", "SORT l STORE l2", "MULTI", "EXEC",
		"XGROUP CREATE st g2 $", "XGROUP CREATECONSUMER st g c", "XGROUP SETID st g $",
		"XGROUP DELCONSUMER st g c", "XGROUP DESTROY st g",
		"FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function() return 1 end)\"",
		"CONFIG SET maxmemory 0", "MULTI", "GET a", "EXEC",
	}, reset: []string{"CONFIG SET maxmemory 0", "CONFIG SET maxmemory-policy noeviction", "FUNCTION FLUSH", "FLUSHALL"}},
}

func TestCompatEviction(t *testing.T) {
	runCompatCases(t, "eviction cases", evictCases, 2, 3)
}
