package resp

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
)

// Scripting against redis-server: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and
// SCRIPT, the conversions between replies and Lua values in both
// protocols, Redis 7.0's error texts, and the scripts real client
// libraries send.

// q quotes a script for a compat line (redis-cli's double-quoted form).
func q(s string) string { return strconv.Quote(s) }

// redis-py's Lock scripts (redis/lock.py), as redis-py sends them.
const (
	pyLockRelease = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('del', KEYS[1])
        return 1
    `
	pyLockExtend = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        local expiration = redis.call('pttl', KEYS[1])
        if not expiration then
            expiration = 0
        end
        if expiration < 0 then
            return 0
        end

        local newttl = ARGV[2]
        if ARGV[3] == "0" then
            newttl = ARGV[2] + expiration
        end
        redis.call('pexpire', KEYS[1], newttl)
        return 1
    `
	pyLockReacquire = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('pexpire', KEYS[1], ARGV[2])
        return 1
    `
	// django-redis's incr, for a key that may not exist.
	djangoIncr = `
        local exists = redis.call('EXISTS', KEYS[1])
        if (exists == 1) then
            return redis.call('INCRBY', KEYS[1], ARGV[1])
        else return false
        end
    `
)

var scriptCases = []compatCase{
	{name: "eval returns", lines: []string{
		"EVAL " + q("return 1") + " 0",
		"EVAL " + q("return -3.99") + " 0",
		"EVAL " + q("return 3.99") + " 0",
		"EVAL " + q("return 1e100") + " 0",
		"EVAL " + q("return 0/0") + " 0",
		"EVAL " + q("return 'x'") + " 0",
		"EVAL " + q("return ''") + " 0",
		"EVAL " + q("return nil") + " 0",
		"EVAL " + q("return true") + " 0",
		"EVAL " + q("return false") + " 0",
		"EVAL " + q("return {}") + " 0",
		"EVAL " + q("return {1, 'a', 2.5, nil, 4}") + " 0",
		"EVAL " + q("return {1, {2, {3, 'x'}}, false, true}") + " 0",
		"EVAL " + q("return {1, {err='inner'}, {ok='fine'}}") + " 0",
		"EVAL " + q("return {ok='fine'}") + " 0",
		"EVAL " + q("return {ok=1}") + " 0",
		"EVAL " + q("return {err='MY failure'}") + " 0",
		"EVAL " + q("return {err='-ERR x'}") + " 0",
		"EVAL " + q("return {err='a\\r\\nb'}") + " 0",
		"EVAL " + q("return redis.error_reply('ERR x')") + " 0",
		"EVAL " + q("return redis.error_reply('-ERR x')") + " 0",
		"EVAL " + q("return redis.status_reply('PONG')") + " 0",
		"EVAL " + q("return 'x', 'y'") + " 0",
		"EVAL " + q("return {a=1}") + " 0",
		"EVAL " + q("return {map={a=1}}") + " 0",
		"EVAL " + q("return {set={a=true}}") + " 0",
		"EVAL " + q("return {double=3.5}") + " 0",
		"EVAL " + q("redis.setresp(3); return true") + " 0",
		"EVAL " + q("redis.setresp(3); return false") + " 0",
		"EVAL " + q("redis.setresp(3); return {map={a=1}}") + " 0",
		"EVAL " + q("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}") + " 2 k1 k2 a1 a2",
		"EVAL " + q("return {redis.sha1hex(''), redis.sha1hex('abc')}") + " 0",
		"EVAL " + q("return {redis.REDIS_VERSION_NUM >= 0x070000, redis.LOG_WARNING, redis.REPL_ALL}") + " 0",
		"EVAL " + q("return redis.replicate_commands()") + " 0",
		"EVAL " + q("return redis.set_repl(redis.REPL_ALL)") + " 0",
		"EVAL " + q("math.randomseed(7); return {math.random(100), math.random(1000), math.random(5, 10)}") + " 0",
		"EVAL " + q("return {type(os), type(io), type(debug)}") + " 0",

		"EVAL " + q("return {type(loadstring), type(unpack), type(pcall), type(coroutine), _VERSION}") + " 0",
		"EVAL " + q("return string.format('%d-%s', 3, 'x')") + " 0",
		"EVAL " + q("local t = {} for i = 1, 5 do t[#t+1] = i * 2 end return t") + " 0",
	}},
	{name: "redis.call conversions", lines: []string{
		"EVAL " + q("return redis.call('set', KEYS[1], ARGV[1])") + " 1 k v",
		"EVAL " + q("return type(redis.call('set', KEYS[1], ARGV[1]))") + " 1 k v",
		"EVAL " + q("return redis.call('set', KEYS[1], ARGV[1])['ok']") + " 1 k v",
		"EVAL " + q("return redis.call('get', KEYS[1])") + " 1 k",
		"EVAL " + q("return redis.call('get', 'nokey')") + " 0",
		"EVAL " + q("return type(redis.call('get', 'nokey'))") + " 0",
		"EVAL " + q("return redis.call('incr', 'n')") + " 0",
		"EVAL " + q("return type(redis.call('incr', 'n'))") + " 0",
		"EVAL " + q("redis.call('set', 'f', 3.5) return redis.call('get', 'f')") + " 0",
		"EVAL " + q("redis.call('set', 'f', 0.1) return redis.call('get', 'f')") + " 0",
		"EVAL " + q("redis.call('set', 'f', 1e20) return redis.call('get', 'f')") + " 0",
		"EVAL " + q("redis.call('set', 'f', 17) return redis.call('get', 'f')") + " 0",
		"EVAL " + q("redis.call('set', 'f', -0.0) return redis.call('get', 'f')") + " 0",
		"EVAL " + q("redis.call('set', 'f', 1/0) return redis.call('get', 'f')") + " 0",
		"EVAL " + q("redis.call('hset', 'h', 'a', '1', 'b', '2') return redis.call('hgetall', 'h')") + " 0",
		"EVAL " + q("redis.setresp(3) local r = redis.call('hgetall', 'h') return {r.map.a, r.map.b}") + " 0",
		"EVAL " + q("redis.setresp(3) return redis.call('hgetall', 'h')") + " 0",
		"EVAL " + q("redis.setresp(3) return type(redis.call('get', 'nokey'))") + " 0",
		"EVAL " + q("return redis.call('mget', 'k', 'nokey', 'n')") + " 0",
		"EVAL " + q("return redis.call('del', 'k', 'n')") + " 0",
		"EVAL " + q("return redis.call('ping')") + " 0",
		"EVAL " + q("return redis.call('echo', 'hi')") + " 0",
		"EVAL " + q("return redis.call('exists', 'h')") + " 0",
		"EVAL " + q("redis.call('select', 2) redis.call('set', 'in2', 'x') return redis.call('dbsize')") + " 0",
		"EXISTS in2", "SELECT 2", "GET in2", "EVAL " + q("return redis.call('get', 'in2')") + " 0", "SELECT 0",
		"EVAL " + q("return #redis.call('time')") + " 0",
	}, reset: []string{"FLUSHALL"}},
	{name: "script errors", lines: []string{
		"SET str v",
		"EVAL " + q("error('x')") + " 0",
		"EVAL " + q("error({err='My err'})") + " 0",
		"EVAL " + q("error({err='ERR My err'})") + " 0",
		"EVAL " + q("error(nil)") + " 0",
		"EVAL " + q("error(12)") + " 0",
		"EVAL " + q("\nlocal a = 1\nreturn redis.call('hset', 'str', 'f', 'x')") + " 0",
		"EVAL " + q("return redis.call('hset', 'str', 'f', 'x')") + " 0",
		"EVAL " + q("return redis.pcall('hset', 'str', 'f', 'x')") + " 0",
		"EVAL " + q("local e = redis.pcall('hset', 'str', 'f', 'x') return e['err']") + " 0",
		"EVAL " + q("local ok, e = pcall(redis.call, 'hset', 'str', 'f', 'x') return {tostring(ok), e}") + " 0",
		"EVAL " + q("local ok, e = pcall(function() error('x') end) return e") + " 0",
		"EVAL " + q("local ok, e = pcall(function() error({err='x'}) end) return e") + " 0",
		"EVAL " + q("return redis.call('nosuch')") + " 0",
		"EVAL " + q("return redis.pcall('nosuch')") + " 0",
		"EVAL " + q("return redis.call('get')") + " 0",
		"EVAL " + q("return redis.call('incr', 'a', 'b')") + " 0",
		"EVAL " + q("return redis.call('set', 'k', 'v', 'badopt')") + " 0",
		"EVAL " + q("return redis.call()") + " 0",
		"EVAL " + q("return redis.call('get', {})") + " 0",
		"EVAL " + q("return redis.call('set', 'k', true)") + " 0",
		"EVAL " + q("return redis.sha1hex()") + " 0",
		"EVAL " + q("return redis.call('eval', 'return 1', 0)") + " 0",
		"EVAL " + q("return redis.call('script', 'load', 'return 1')") + " 0",
		"EVAL " + q("return redis.call('multi')") + " 0",
		"EVAL " + q("x = 1") + " 0",
		"EVAL " + q("return x") + " 0",
		"EVAL " + q("return os.time()") + " 0",
		"EVAL " + q("redis = 1") + " 0",
		"EVAL " + q("redis.call = 1") + " 0",
		"EVAL " + q("KEYS = 1") + " 0",
		"EVAL " + q("_G.x = 1") + " 0",
		"EVAL " + q("rawset(_G, 'x', 1)") + " 0",
		"EVAL " + q("setmetatable(_G, nil)") + " 0",
		"EVAL " + q("string.x = 1") + " 0",
		"EVAL " + q("math.random = nil") + " 0",
		"EVAL " + q("return redis.setresp(4)") + " 0",
		"EVAL " + q("return redis.log(redis.LOG_WARNING)") + " 0",
		"EVAL " + q("return redis.log(99, 'x')") + " 0",
		"EVAL " + q("return redis.log(redis.LOG_DEBUG, 'from a compat test')") + " 0",
		"EVAL " + q("redis.call('set', 'half', '1') redis.call('hset', 'str', 'f', 'x') redis.call('set', 'never', '1')") + " 0",
		"GET half", "EXISTS never",
		"EVAL " + q("return 1") + " -1",
		"EVAL " + q("return 1") + " 2 a",
		"EVAL " + q("return 1") + " x",
		"EVAL " + q("return 1") + " 99999999999999999999",
		"EVAL " + q("return 1"),
		"EVAL",
		"EVALSHA",
		"EVALSHA abc",
		"EVALSHA abc 0",
		"EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
		"EVALSHA_RO ffffffffffffffffffffffffffffffffffffffff 0",
		"EVAL_RO " + q("return redis.call('set', 'k', 'v')") + " 0",
		"EVAL_RO " + q("return redis.pcall('set', 'k', 'v')") + " 0",
		"EVAL_RO " + q("return redis.call('get', 'half')") + " 0",
		"EXISTS k",
	}},
	{name: "script cache", lines: []string{
		"SCRIPT FLUSH",
		"SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
		"EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
		"SCRIPT LOAD " + q("return 1"),
		"SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db E0E1F9FABFC9D4800C877A703B823AC0578FF8DB ffff",
		"EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
		"EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0",
		"EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
		"EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db x",
		"SCRIPT FLUSH ASYNC",
		"EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
		"EVAL " + q("return 1") + " 0",
		"EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
		"SCRIPT FLUSH SYNC",
		"EVAL_RO " + q("return 1") + " 0",
		"EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
		"SCRIPT LOAD " + q("return +"),
		"SCRIPT LOAD " + q("return 1") + " extra",
		"SCRIPT LOAD",
		"SCRIPT EXISTS",
		"SCRIPT FLUSH x",
		"SCRIPT FLUSH SYNC x",
		"SCRIPT KILL",
		"SCRIPT KILL x",
		"SCRIPT HELP",
		"SCRIPT HELP x",
		"SCRIPT NOPE",
		"SCRIPT",
		"script load " + q("return 2"),
		"SCRIPT DEBUG NO", "SCRIPT DEBUG maybe", "SCRIPT DEBUG",
		// A container's subcommands come in each redis-server's own
		// dictionary order: only the plain commands compare.
		"COMMAND INFO eval evalsha eval_ro evalsha_ro",
		"COMMAND DOCS eval evalsha eval_ro evalsha_ro",
	}, reset: []string{"SCRIPT FLUSH"}},
	{name: "script flags", lines: []string{
		"SET k v",
		"EVAL " + q("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'w')") + " 0",
		"EVAL " + q("#!lua\nreturn redis.call('set', 'k', 'w')") + " 0",
		"EVAL " + q("#!lua flags=no-writes\nreturn redis.call('get', 'k')") + " 0",
		"EVAL " + q("#!lua flags=no-writes,allow-oom,allow-stale\nreturn 1") + " 0",
		"EVAL " + q("#!lua flags=\nreturn 1") + " 0",
		"EVAL " + q("#!python\nreturn 1") + " 0",
		"EVAL " + q("#!lua flags=bogus\nreturn 1") + " 0",
		"EVAL " + q("#!lua foo=bar\nreturn 1") + " 0",
		"EVAL " + q("#!lua name=x\nreturn 1") + " 0",
		"EVAL " + q("#!lua\nerror('x')") + " 0",
		"EVAL " + q("#!lua\nreturn +") + " 0",
		"EVAL " + q("#!lua") + " 0",
		"EVAL_RO " + q("#!lua\nreturn redis.call('get', 'k')") + " 0",
		"EVAL_RO " + q("#!lua flags=no-writes\nreturn redis.call('get', 'k')") + " 0",
		"SCRIPT LOAD " + q("#!lua\nreturn redis.call('get', 'k')"),
		"EVALSHA_RO " + sha1hex("#!lua\nreturn redis.call('get', 'k')") + " 0",
		"EVALSHA " + sha1hex("#!lua\nreturn redis.call('get', 'k')") + " 0",
		"SCRIPT LOAD " + q("#!lua flags=bogus\nreturn 1"),
	}, reset: []string{"SCRIPT FLUSH"}},
	{name: "scripts in transactions", lines: []string{
		"MULTI",
		"SET k 1",
		"EVAL " + q("return redis.call('incrby', KEYS[1], ARGV[1])") + " 1 k 5",
		"EVAL " + q("return 1") + " x",
		"EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
		"EXEC",
		"WATCH k",
		"EVAL " + q("return redis.call('incr', KEYS[1])") + " 1 k",
		"MULTI", "GET k", "EXEC",
	}},
	{name: "redis-py lock", lines: []string{
		"SCRIPT LOAD " + q(pyLockRelease),
		"SCRIPT LOAD " + q(pyLockExtend),
		"SCRIPT LOAD " + q(pyLockReacquire),
		"SET lock tok1 NX PX 100000",
		"SET lock tok2 NX PX 100000",
		fmt.Sprintf("EVALSHA %s 1 lock tok2", sha1hex(pyLockRelease)),
		fmt.Sprintf("EVALSHA %s 1 lock tok1 200000 0", sha1hex(pyLockExtend)),
		"TTL lock",
		fmt.Sprintf("EVALSHA %s 1 lock tok1 300000 1", sha1hex(pyLockExtend)),
		"TTL lock",
		fmt.Sprintf("EVALSHA %s 1 lock tok1 150000", sha1hex(pyLockReacquire)),
		"TTL lock",
		fmt.Sprintf("EVALSHA %s 1 lock tok2 150000", sha1hex(pyLockReacquire)),
		fmt.Sprintf("EVALSHA %s 1 lock tok1", sha1hex(pyLockRelease)),
		"EXISTS lock",
		fmt.Sprintf("EVALSHA %s 1 lock tok1", sha1hex(pyLockRelease)),
		"SET lock tok3",
		fmt.Sprintf("EVALSHA %s 1 lock tok3 1000 0", sha1hex(pyLockExtend)),
		"EVAL " + q(djangoIncr) + " 1 counter 2",
		"SET counter 5",
		"EVAL " + q(djangoIncr) + " 1 counter 2",
	}, reset: []string{"SCRIPT FLUSH"}},
}

func TestCompatScripts(t *testing.T) {
	runCompatCases(t, "script cases", scriptCases, 2, 3)
}

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// libraryCases check the cjson, cmsgpack and bit libraries. Objects with
// more than one key are left out: their key order is Lua's next order,
// Redis's hash order.
var libraryCases = []compatCase{
	{name: "cjson", lines: []string{
		"EVAL " + q(`return cjson.encode({1, 2, 3, 'x', {a=1}, true, false, cjson.null})`) + " 0",
		"EVAL " + q(`return cjson.encode({a={b={c='/"\\'}}})`) + " 0",
		"EVAL " + q(`return cjson.encode({})`) + " 0",
		"EVAL " + q(`return cjson.encode({[1]=1, [3]=3})`) + " 0",
		"EVAL " + q(`return cjson.encode({[1]=1, [30]=3})`) + " 0",
		"EVAL " + q(`return cjson.encode({[2.5]='x'})`) + " 0",
		"EVAL " + q(`return cjson.encode({[true]=1})`) + " 0",
		"EVAL " + q(`return {cjson.encode(0.1), cjson.encode(1/3), cjson.encode(1e20), cjson.encode(100), cjson.encode(-0.0), cjson.encode(1e-7)}`) + " 0",
		"EVAL " + q(`return cjson.encode(1/0)`) + " 0",
		"EVAL " + q(`return cjson.encode(0/0)`) + " 0",
		"EVAL " + q(`return cjson.encode(string.char(1, 8, 9, 10, 12, 13, 31, 127, 200))`) + " 0",
		"EVAL " + q(`return cjson.encode(redis.call)`) + " 0",
		"EVAL " + q(`return cjson.encode()`) + " 0",
		"EVAL " + q(`return cjson.decode('[1,2,{"a":"b"}]')[3].a`) + " 0",
		"EVAL " + q(`return cjson.decode('{"a":[1,2.5,-3e2]}').a`) + " 0",
		"EVAL " + q(`return type(cjson.decode('null'))`) + " 0",
		"EVAL " + q(`return cjson.decode('null') == cjson.null`) + " 0",
		"EVAL " + q(`return {cjson.decode('true'), cjson.decode('false') == false}`) + " 0",
		"EVAL " + q(`return cjson.decode('"\\u00e9\\n\\/\\ud83d\\ude00"')`) + " 0",
		"EVAL " + q(`return cjson.decode(' 1.5e3 ')`) + " 0",
		"EVAL " + q(`return cjson.decode('[1,2')`) + " 0",
		"EVAL " + q(`return cjson.decode('{"a" 1}')`) + " 0",
		"EVAL " + q(`return cjson.decode('{1:2}')`) + " 0",
		"EVAL " + q(`return cjson.decode('[1 2]')`) + " 0",
		"EVAL " + q(`return cjson.decode('')`) + " 0",
		"EVAL " + q(`return cjson.decode('nul')`) + " 0",
		"EVAL " + q(`return cjson.decode('[1] x')`) + " 0",
		"EVAL " + q(`return cjson.decode('[1] [2]')`) + " 0",
		"EVAL " + q(`return cjson.decode('}')`) + " 0",
		"EVAL " + q(`return cjson.encode(cjson.decode('[{"k":[1,{"x":null}]},"s"]'))`) + " 0",
		"EVAL " + q(`cjson.x = 1`) + " 0",
	}},
	{name: "cmsgpack", lines: []string{
		"EVAL " + q(`return cmsgpack.pack(1, -1, 127, 128, 200, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)`) + " 0",
		"EVAL " + q(`return cmsgpack.pack(1.5, 0.1, -2.25, 1e300, 1/0)`) + " 0",
		"EVAL " + q(`return cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('x', 32), string.rep('y', 300))`) + " 0",
		"EVAL " + q(`return cmsgpack.pack({1, 2}, {}, {a=1}, {[1]=1, [3]=3}, true, false, nil)`) + " 0",
		"EVAL " + q(`local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)`) + " 0",
		"EVAL " + q(`return cmsgpack.pack({{{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}})`) + " 0",
		"EVAL " + q(`return {cmsgpack.unpack(cmsgpack.pack(1, 'x', {1, 2, {a='b'}}, 2.5, -7, true))}`) + " 0",
		"EVAL " + q(`return cmsgpack.unpack(cmsgpack.pack({1, 2, 3}))[3]`) + " 0",
		"EVAL " + q(`return cmsgpack.unpack(cmsgpack.pack({a='x'})).a`) + " 0",
		"EVAL " + q(`return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}`) + " 0",
		"EVAL " + q(`return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}`) + " 0",
		"EVAL " + q(`return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}`) + " 0",
		"EVAL " + q(`return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}`) + " 0",
		"EVAL " + q(`return cmsgpack.unpack(string.char(0xc1))`) + " 0",
		"EVAL " + q(`return cmsgpack.unpack(string.char(0x92, 1))`) + " 0",
		"EVAL " + q(`return cmsgpack.unpack(string.char(0xcd, 1))`) + " 0",
		"EVAL " + q(`return cmsgpack.unpack('')`) + " 0",
		"EVAL " + q(`return cmsgpack.pack()`) + " 0",
	}},
	{name: "bit", lines: []string{
		"EVAL " + q(`return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4)}`) + " 0",
		"EVAL " + q(`return {bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678), bit.tobit(0xffffffff + 1), bit.tobit(2.5), bit.tobit(3.5), bit.tobit(-1.5)}`) + " 0",
		"EVAL " + q(`return {bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x1234, 2), bit.tohex(1, 10)}`) + " 0",
		"EVAL " + q(`return {bit.lshift(1, 33), bit.band(), 1}`) + " 0",
		"EVAL " + q(`return bit.band('x')`) + " 0",
	}},
}

func TestCompatScriptLibraries(t *testing.T) {
	runCompatCases(t, "script library cases", libraryCases, 2)
}

// functionCases check FUNCTION and FCALL. FUNCTION LIST compares only
// with one library of one function: Redis lists them in its dictionaries'
// order.
var functionCases = []compatCase{
	{name: "function load and fcall", lines: []string{
		"FUNCTION FLUSH",
		"FCALL f 0",
		"FUNCTION LOAD " + q("#!lua name=mylib\nredis.register_function('f', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)"),
		"FUNCTION LIST",
		"FUNCTION LIST WITHCODE",
		"FUNCTION LIST LIBRARYNAME my*",
		"FUNCTION LIST LIBRARYNAME nomatch*",
		"FCALL f 1 counter 5",
		"FCALL F 1 counter 5",
		"FCALL f 1 counter x",
		"FCALL_RO f 1 counter",
		"FCALL f x",
		"FCALL f -1",
		"FCALL f 3 a",
		"FCALL nosuch 0",
		"FCALL_RO nosuch 0",
		"FUNCTION LOAD " + q("#!lua name=mylib\nredis.register_function('g', function() return 1 end)"),
		"FUNCTION LOAD REPLACE " + q("#!lua name=mylib\nredis.register_function('g', function() return 1 end)"),
		"FCALL f 1 counter 5",
		"FCALL g 0",
		"FUNCTION LOAD " + q("#!lua name=other\nredis.register_function('g', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!lua name=ro\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'allow-stale', 'no-writes'}, description='reads a key'}"),
		"FUNCTION LIST LIBRARYNAME ro",
		"FUNCTION LIST LIBRARYNAME ro WITHCODE",
		"FCALL_RO peek 1 counter",
		"FCALL peek 1 counter",
		"FUNCTION LOAD " + q("#!lua name=rowrite\nredis.register_function{function_name='w', callback=function() return redis.call('set', 'k', 'v') end, flags={'no-writes'}}"),
		"FCALL w 0",
		"FCALL_RO w 0",
		"FUNCTION LOAD " + q("#!lua name=errs\nredis.register_function('e1', function() error('boom') end)\nredis.register_function('e2', function() return redis.call('hset', 'counter', 'f', 'v') end)"),
		"FCALL e1 0",
		"FCALL e2 0",
		"FUNCTION STATS",
		"FUNCTION DELETE mylib",
		"FUNCTION DELETE mylib",
		"FCALL g 0",
		"FUNCTION KILL",
		"FUNCTION HELP",
		"FUNCTION FLUSH",
		"FUNCTION LIST",
		"FUNCTION STATS",
	}, reset: []string{"FUNCTION FLUSH"}},
	{name: "function load errors", lines: []string{
		"FUNCTION FLUSH",
		"FUNCTION LOAD " + q("redis.register_function('f', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!python name=x\n"),
		"FUNCTION LOAD " + q("#!lua\nredis.register_function('f', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!lua name=a name=b\nredis.register_function('f', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!lua name=a foo=bar\nredis.register_function('f', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!lua name=bad-name\nredis.register_function('f', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!lua name=x\nredis.register_function('bad-fn', function() return 1 end)"),
		"FUNCTION LOAD " + q("#!lua name=x\nreturn 1"),
		"FUNCTION LOAD " + q("#!lua name=x\nreturn +"),
		"FUNCTION LOAD " + q("#!lua name=x\nredis.call('ping')"),
		"FUNCTION LOAD " + q("#!lua name=x\nredis.register_function('f', function() return 1 end)\nredis.register_function('f', function() return 2 end)"),
		"FUNCTION LOAD " + q("#!lua name=x\nredis.register_function('f', 1)"),
		"FUNCTION LOAD " + q("#!lua name=x\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'bogus'}}"),
		"FUNCTION LOAD " + q("#!lua name=x\nredis.register_function()"),
		"FUNCTION LOAD " + q("#!lua name=x\nerror('at load')"),
		"FUNCTION LOAD a b",
		"FUNCTION LOAD",
		"FUNCTION LIST foo",
		"FUNCTION LIST LIBRARYNAME",
		"FUNCTION LIST WITHCODE WITHCODE",
		"FUNCTION FLUSH x",
		"FUNCTION DELETE",
		"FUNCTION STATS x",
		"FUNCTION NOPE",
		"EVAL " + q("return redis.register_function") + " 0",
		"FUNCTION LIST",
	}, reset: []string{"FUNCTION FLUSH"}},
}

func TestCompatFunctions(t *testing.T) {
	runCompatCases(t, "function cases", functionCases, 2, 3)
}

var structCases = []compatCase{
	{name: "struct", lines: []string{
		"EVAL " + q(`return struct.pack('>I2', 258)`) + " 0",
		"EVAL " + q(`return struct.pack('<i4', -2)`) + " 0",
		"EVAL " + q(`return struct.pack('bBhHlL', -1, 255, -2, 65535, -3, 7)`) + " 0",
		"EVAL " + q(`return struct.pack('>d', 1.5)`) + " 0",
		"EVAL " + q(`return struct.pack('<f', 0.25)`) + " 0",
		"EVAL " + q(`return struct.pack('c3s', 'abcdef', 'xy')`) + " 0",
		"EVAL " + q(`return {struct.unpack('>I2', string.char(1, 2))}`) + " 0",
		"EVAL " + q(`return {struct.unpack('<i4', struct.pack('<i4', -2))}`) + " 0",
		"EVAL " + q(`return {struct.unpack('bBhH', struct.pack('bBhH', -1, 255, -2, 65535))}`) + " 0",
		"EVAL " + q(`return {struct.unpack('c3s', struct.pack('c3s', 'abc', 'xy'))}`) + " 0",
		"EVAL " + q(`return {struct.unpack('>I2', string.char(0, 0, 1, 2), 3)}`) + " 0",
		"EVAL " + q(`return {struct.size('>I2bd'), struct.size('i')}`) + " 0",
		"EVAL " + q(`return tostring(struct.unpack('>d', struct.pack('>d', 1.5)))`) + " 0",
	}},
}

func TestCompatStruct(t *testing.T) {
	runCompatCases(t, "struct cases", structCases, 2)
}
