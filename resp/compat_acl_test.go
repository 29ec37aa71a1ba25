package resp

import (
	"strings"
	"testing"
)

// aclReset deletes the users a case made, on every server.
var aclReset = []string{"AUTH default nopass", "ACL DELUSER alice bob carol dave u1 u2", "ACL SETUSER default reset on nopass ~* &* +@all"}

// aclCases hold raftcache's ACL to Redis 7.0's: the modifiers of ACL
// SETUSER and how ACL LIST and GETUSER describe their result, every
// subcommand's errors, and the NOPERM refusals of commands, keys and
// channels. (ACL CAT of a category and ACL LOG's client-info differ by
// construction: raftcache serves fewer commands, and another client.)
var aclCases = []compatCase{
	{name: "acl setuser getuser list", reset: aclReset, lines: []string{
		"ACL LIST", "ACL GETUSER default", "ACL SETUSER alice", "ACL GETUSER alice", "ACL LIST",
		"ACL SETUSER bob on >pw1 >pw2 <pw2 +get +set -@all +@string ~foo %R~bar %W~baz &ch* resetchannels &x",
		"ACL GETUSER bob", "ACL LIST", "ACL SETUSER carol on nopass +@all -flushall allkeys allchannels +config|get",
		"ACL GETUSER carol", "ACL SETUSER dave +get +set +get -set", "ACL GETUSER dave",
		"ACL SETUSER dave +@all -@string +get", "ACL GETUSER dave", "ACL SETUSER dave reset", "ACL GETUSER dave",
		"ACL SETUSER dave +@read -@read", "ACL GETUSER dave", "ACL SETUSER dave allcommands -get", "ACL GETUSER dave",
		"ACL SETUSER dave +@all -@all +set", "ACL GETUSER dave", "ACL SETUSER dave nocommands +select|0", "ACL LIST",
		"ACL SETUSER dave resetkeys ~a %RW~b %R~c %W~d %RW~* ~a", "ACL GETUSER dave",
		"ACL SETUSER dave on #c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8 nopass resetpass",
		"ACL GETUSER dave", "ACL SETUSER dave skip-sanitize-payload off", "ACL GETUSER dave",
		"ACL SETUSER dave +@hash -hget +@all +client -client|id", "ACL GETUSER dave",
		"ACL SETUSER dave -@all +@list +@hash -hset", "ACL GETUSER dave",
		"ACL GETUSER nosuch", "ACL USERS", "ACL DELUSER alice nosuch", "ACL DELUSER alice", "ACL USERS",
	}},
	{name: "acl setuser errors", reset: aclReset, lines: []string{
		"ACL SETUSER dave foo", "ACL SETUSER dave #abc", "ACL SETUSER dave +nosuch", "ACL SETUSER dave +@nosuch",
		"ACL SETUSER dave !abc", "ACL SETUSER dave <nope", "ACL SETUSER dave %X~a", "ACL SETUSER dave '~a b'",
		"ACL SETUSER dave +config|get|x", "ACL SETUSER dave +config|", "ACL SETUSER dave -config|nosuch",
		"ACL SETUSER dave +acl|nosuch", "ACL SETUSER dave allkeys ~b", "ACL SETUSER dave '&a' allchannels '&b'",
		"ACL SETUSER 'a b'", "ACL SETUSER dave on >x nosuchrule", "ACL GETUSER dave", "ACL USERS",
		"ACL DELUSER default", "ACL DELUSER", "ACL", "ACL nosuch", "ACL SETUSER", "ACL GETUSER", "ACL WHOAMI x",
		"ACL USERS x", "ACL LIST x",
	}},
	{name: "acl cat genpass dryrun help", reset: aclReset, lines: []string{
		"ACL CAT", "ACL CAT nosuch", "ACL CAT @read", "ACL CAT read x", "ACL GENPASS 1 2", "ACL LOG 1 2", "ACL GENPASS 0", "ACL GENPASS abc",
		"ACL GENPASS 4097", "ACL GENPASS -1", "ACL WHOAMI", "ACL HELP",
		"ACL SETUSER u1 on >p ~k* &ch +get +set +publish +subscribe +config|get",
		"ACL DRYRUN u1 get foo", "ACL DRYRUN u1 get k1", "ACL DRYRUN u1 set k1 v", "ACL DRYRUN u1 del k1",
		"ACL DRYRUN u1 publish ch m", "ACL DRYRUN u1 publish zz m", "ACL DRYRUN u1 subscribe ch zz",
		"ACL DRYRUN u1 config get x", "ACL DRYRUN u1 config set x y", "ACL DRYRUN u1 config nosub",
		"ACL DRYRUN nobody get x", "ACL DRYRUN u1 nosuchcmd", "ACL DRYRUN u1 get", "ACL DRYRUN u1",
		"ACL SETUSER u2 on nopass %R~r* %W~w* +@all", "ACL DRYRUN u2 get r1", "ACL DRYRUN u2 get w1",
		"ACL DRYRUN u2 lpush w1 x", "ACL DRYRUN u2 lpush r1 x", "ACL DRYRUN u2 llen r1",
	}},
	{name: "acl auth noperm", reset: aclReset, lines: []string{
		"ACL SETUSER u1 on >p ~k* &ch +get +set +publish +subscribe +config|get +multi +exec",
		"@1 AUTH u1 p", "@1 GET x", "@1 GET k1", "@1 SET k1 v", "@1 GET k1", "@1 DEL k1", "@1 PUBLISH zz m",
		"@1 PUBLISH ch m", "@1 CONFIG SET maxmemory 0", "@1 CONFIG GET port", "@1 ACL WHOAMI",
		"@1 MULTI", "@1 GET x", "@1 GET k1", "@1 EXEC", "@1 MGET k1 k2", "@1 AUTH u1 wrong", "@1 AUTH nouser p",
		"@2 AUTH u1 wrong", "@2 HELLO 3 AUTH u1 wrong", "@2 HELLO 2 AUTH u1 p", "@2 GET k1", "@2 RESET",
		"@2 ACL WHOAMI", "ACL SETUSER u1 off", "@3 AUTH u1 p", "@1 GET k1",
		"ACL SETUSER u1 on -get", "@1 GET k1", "ACL SETUSER u1 +get|k1", "@1 GET k1",
		"ACL SETUSER default resetpass >dp", "@4 GET k1", "@4 AUTH dp", "@4 ACL WHOAMI", "@4 GET k1",
		"ACL SETUSER default nopass",
	}},
	{name: "acl changed before exec", reset: aclReset, lines: []string{
		"ACL SETUSER u1 on >p ~k* +get +set +multi +exec", "@1 AUTH u1 p", "@1 MULTI", "@1 SET k1 v", "@1 GET k1",
		"@1 GET k2", "ACL SETUSER u1 -get", "@1 EXEC", "@1 MULTI", "@1 SET k1 w", "ACL SETUSER u1 resetkeys ~j*",
		"@1 EXEC", "@1 GET k1",
	}},
}

func TestCompatACL(t *testing.T) {
	runCompatCases(t, "acl cases", aclCases, 2, 3)
}

// The user of aclScriptCases: EVAL and its kin, a few data commands, keys
// k* (read and write) and r* (read only), channels ch*.
const aclScriptUser = "ACL SETUSER alice on >p ~k* %R~r* &ch* -@all +eval +evalsha +eval_ro +evalsha_ro " +
	"+fcall +fcall_ro +script|load +get +set +publish +select +ping +multi +exec +acl|log"

// aclScriptLib is a library whose functions call what alice may and may
// not run.
const aclScriptLib = "#!lua name=acllib\n" +
	"redis.register_function('getkey', function(keys, args) return redis.call('get', keys[1]) end)\n" +
	"redis.register_function{function_name='rogetkey', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}\n" +
	"redis.register_function('flush', function(keys, args) return redis.call('flushall') end)\n" +
	"redis.register_function('pflush', function(keys, args) return redis.pcall('flushall') end)\n"

// aclScriptCases hold the commands a script calls to its caller's ACL, as
// Redis 7.0's scriptVerifyACL: the command or subcommand, then its keys
// (read and write patterns), then its channels, the error redis.call
// raises and redis.pcall returns, and what EVAL, EVALSHA, EVAL_RO,
// EVALSHA_RO, FCALL and FCALL_RO answer, in and out of MULTI. The follower
// target proposes through the leader: its scripts are judged in Apply, on
// every node.
var aclScriptCases = []compatCase{
	{name: "acl scripts", reset: append([]string{"SCRIPT FLUSH", "FUNCTION FLUSH"}, aclReset...), lines: []string{
		aclScriptUser, "SET other 1", "SET r1 x", "SET k0 v0",
		"@1 AUTH alice p",
		"@1 EVAL " + q("return redis.call('flushall')") + " 0",
		"@1 EVAL " + q("return redis.pcall('flushall')") + " 0",
		"@1 EVAL " + q("local r = redis.pcall('flushall'); return {type(r), r['err']}") + " 0",
		"@1 EVAL " + q("return redis.call('get', 'other')") + " 0",
		"@1 EVAL " + q("return redis.call('get', KEYS[1])") + " 1 other",
		"@1 EVAL " + q("return redis.call('get', 'k0')") + " 0",
		"@1 EVAL " + q("return redis.call('set', 'k1', 'v')") + " 0",
		"@1 EVAL " + q("return redis.call('get', 'r1')") + " 0",
		"@1 EVAL " + q("return redis.call('set', 'r1', 'v')") + " 0",
		"@1 EVAL " + q("return redis.pcall('set', 'r1', 'v')") + " 0",
		"@1 EVAL " + q("return redis.call('publish', 'nope', 'm')") + " 0",
		"@1 EVAL " + q("return redis.call('publish', 'ch1', 'm')") + " 0",
		"@1 EVAL " + q("return redis.call('ping')") + " 0",
		"@1 EVAL " + q("return redis.call('echo', 'x')") + " 0",
		"@1 EVAL " + q("return redis.call('time')") + " 0",
		"@1 EVAL " + q("redis.call('select', 1); return redis.call('set', 'k1', 'db1')") + " 0",
		"@1 EVAL " + q("return redis.call('del', 'k1')") + " 0",
		"@1 EVAL " + q("return redis.call('object', 'encoding', 'k1')") + " 0",
		"@1 EVAL " + q("return redis.call('nosuch')") + " 0",
		"@1 EVAL " + q("return redis.call('get')") + " 0",
		"@1 EVAL " + q("return redis.call('echo')") + " 0",
		"@1 EVAL " + q("return redis.call('subscribe', 'ch1')") + " 0",
		"@1 EVAL " + q("redis.call('set', 'k2', 'before'); return redis.call('flushall')") + " 0",
		"@1 EVAL " + q("redis.pcall('flushall'); return redis.call('set', 'k3', 'after')") + " 0",
		"@1 EVAL_RO " + q("return redis.call('set', 'k1', 'v')") + " 0",
		"@1 EVAL_RO " + q("return redis.call('del', 'k1')") + " 0",
		"@1 EVAL_RO " + q("return redis.call('get', 'other')") + " 0",
		"@1 SCRIPT LOAD " + q("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])"),
		"@1 EVALSHA " + sha1hex("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])") + " 1 k0",
		"@1 EVALSHA_RO " + sha1hex("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])") + " 1 k0",
		"@1 EVALSHA_RO " + sha1hex("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])") + " 1 other",
		"@1 SCRIPT LOAD " + q("return redis.call('get', 'other')"),
		"@1 EVALSHA " + sha1hex("return redis.call('get', 'other')") + " 0",
		"@1 EVALSHA_RO " + sha1hex("#!lua flags=no-writes\nreturn redis.pcall('flushall')") + " 0",
		"SCRIPT LOAD " + q("#!lua flags=no-writes\nreturn redis.pcall('flushall')"),
		"@1 EVALSHA_RO " + sha1hex("#!lua flags=no-writes\nreturn redis.pcall('flushall')") + " 0",
		"FUNCTION LOAD " + q(aclScriptLib),
		"@1 FCALL getkey 1 k0", "@1 FCALL getkey 1 other", "@1 FCALL_RO rogetkey 1 k0", "@1 FCALL_RO rogetkey 1 other",
		"@1 FCALL flush 0", "@1 FCALL pflush 0",
		"@1 MULTI", "@1 EVAL " + q("return redis.call('flushall')") + " 0",
		"@1 EVAL " + q("return redis.call('set', 'k4', 'in multi')") + " 0",
		"@1 FCALL_RO rogetkey 1 other", "@1 EXEC",
		"DBSIZE", "GET other", "GET k1", "GET k2", "GET k3", "GET k4", "SELECT 1", "GET k1", "SELECT 0",
	}},
}

func TestCompatACLScripts(t *testing.T) {
	runCompatCases(t, "acl script cases", aclScriptCases, 2, 3)
}

// TestCompatACLScriptLog: the ACL LOG entries of commands a script was
// refused, on Redis and on each target: reason, context "lua", object,
// username, count (similar entries of the last minute are one, moved to
// the front), newest first, and the caller's user and command in
// client-info. The other client-info fields and the entries' ages differ
// by construction. On the follower, the scripts run in Apply on every
// node, yet only the node the client called logs them.
func TestCompatACLScriptLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and four raftcache nodes")
	}
	redisAddr := startCompatRedis(t)
	targets, _ := compatTargets(t)
	roGet := "#!lua flags=no-writes\nreturn redis.pcall('object', 'encoding', KEYS[1])"
	steps := [][]string{
		{"EVAL", "return redis.call('flushall')", "0"},
		{"EVAL", "return redis.pcall('flushall')", "0"},
		{"EVAL", "return redis.call('get', 'other')", "0"},
		{"EVAL", "return redis.pcall('publish', 'nope', 'm')", "0"},
		{"FCALL", "flush", "0"},
		{"FCALL_RO", "rogetkey", "1", "other"},
		{"EVALSHA_RO", sha1hex(roGet), "1", "k0"},
		{"DEL", "k0"},
		{"MULTI"}, {"EVAL", "return redis.call('flushall')", "0"}, {"EXEC"},
		{"ACL", "LOG"},
	}
	logs := map[string]string{}
	for _, srv := range append([]compatTarget{{name: "redis", addr: redisAddr}}, targets...) {
		admin := dialCompat(t, srv.name, srv.addr)
		t.Cleanup(func() {
			for _, line := range aclReset {
				_, _ = admin.do(parseLine(t, line)...)
			}
			_, _ = admin.do("FUNCTION", "FLUSH")
		})
		for _, args := range [][]string{parseLine(t, aclScriptUser), {"ACL", "LOG", "RESET"}, {"FUNCTION", "FLUSH"},
			{"FUNCTION", "LOAD", aclScriptLib}, {"SCRIPT", "LOAD", roGet}, {"SET", "k0", "v"}} {
			if v, err := admin.do(args...); err != nil || v.isError() {
				t.Fatalf("%s: %v: %v %v", srv.name, args, v, err)
			}
		}
		alice := dialCompat(t, srv.name, srv.addr)
		if v, err := alice.do("AUTH", "alice", "p"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("%s: AUTH: %v %v", srv.name, v, err)
		}
		var log replyValue
		for _, args := range steps {
			v, err := alice.do(args...)
			if err != nil {
				t.Fatalf("%s: %v: %v", srv.name, args, err)
			}
			log = v
		}
		logs[srv.name] = describeACLLog(log)
	}
	t.Logf("redis's ACL LOG: %s", logs["redis"])
	for _, tg := range targets {
		if logs[tg.name] != logs["redis"] {
			t.Errorf("%s's ACL LOG:\n%s\nredis's:\n%s", tg.name, logs[tg.name], logs["redis"])
		}
	}
}

// describeACLLog is an ACL LOG reply (RESP2) without what differs by
// construction: each entry's fields but age-seconds, with client-info
// cut to the user and command of the client.
func describeACLLog(log replyValue) string {
	var b strings.Builder
	for _, e := range log.elems {
		for j := 0; j+1 < len(e.elems); j += 2 {
			k, v := e.elems[j].text, e.elems[j+1].text
			switch k {
			case "age-seconds", "entry-id", "timestamp-created", "timestamp-last-updated":
				continue
			case "client-info":
				var keep []string
				for _, f := range strings.Fields(v) {
					if strings.HasPrefix(f, "user=") || strings.HasPrefix(f, "cmd=") {
						keep = append(keep, f)
					}
				}
				v = strings.Join(keep, " ")
			}
			b.WriteString(k + "=" + v + " ")
		}
		b.WriteString("\n")
	}
	return b.String()
}
