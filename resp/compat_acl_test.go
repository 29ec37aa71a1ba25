package resp

import "testing"

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
