package fsm

import (
	"github.com/raftcache/raftcache/fsm/acl"
	luascript "github.com/raftcache/raftcache/fsm/script"
)

// ACLs of scripts. The commands a script calls (redis.call, redis.pcall)
// are checked against its caller's ACL user, as Redis's scriptVerifyACL
// does: the command or subcommand, its keys and its channels. A script
// that writes runs inside Apply, on every node, so the check runs there
// too, against the ACL users as of the script's log entry: the entry
// carries its caller's user name (the opAsUser prefix), and every node
// judges it by the same replicated state. A user changed between the
// proposal and the apply is judged as it is at the apply; one deleted
// meanwhile runs nothing (errUserGone). Redis, single-threaded, never
// sees such a window: there a user's change lands before or after the
// whole script, and a deleted user's connections are closed. Judging at
// the entry is the only choice every node can make alike, and it makes
// the script's place in the log its place in time, as for every write.
// The EVAL or FCALL itself, with its declared keys, is judged again at
// the entry by the same rule (as Redis's EXEC judges queued commands
// again), so that a user who lost EVAL before the entry runs nothing.
//
// A read-only script run outside the log (EVALSHA_RO, FCALL_RO) is judged
// by this node's users when it runs, after its read barrier.
//
// What a user may run is resp's knowledge (the command table's categories
// and key specs): the Store asks it through ScriptACL. The default user
// with every permission is never asked (and its entries carry no name).

// opAsUser is a prefix, like opInDB: opAsUser, the user name's length
// and the name, then the command, which must run scripts.
const opAsUser opcode = 866

// errUserGone is the reply of a script whose user was deleted before its
// entry applied, and the front door's to a connection whose user is gone.
const errUserGone redisError = "NOPERM this user no longer exists"

// ErrUserGone is errUserGone's text, for the front door.
const ErrUserGone = string(errUserGone)

// ACLReason is why a command was refused.
type ACLReason uint8

// The reasons, as Redis's ACL_DENIED_*.
const (
	ACLDeniedCommand ACLReason = iota + 1
	ACLDeniedKey
	ACLDeniedChannel
)

// ACLDenial is one command a script was refused, for the ACL LOG of the
// node whose client ran the script.
type ACLDenial struct {
	Reason ACLReason
	// Context is the ACL LOG's: "lua" for a command the script called;
	// for the invocation itself (EVAL, FCALL...), judged again at its
	// entry, "toplevel", or "multi" inside a transaction.
	Context string
	// Object is what was refused: the command's full name ("get",
	// "object|encoding"), the key or the channel.
	Object string
	User   string
}

// ScriptACL decides whether an ACL user may run a command: the front
// door's rules, for the commands scripts run. Check must be a pure
// function of its arguments (the same answer on every node), safe for
// concurrent use, and must not call back into the Store; u is never
// changed while the Store holds it.
type ScriptACL interface {
	// Check returns why u may not run argv, whose keys are keys (as
	// Parse found them; nil if it could not parse argv), or 0.
	Check(u *acl.User, argv, keys [][]byte) (reason ACLReason, object []byte)
	// Name is the ACL LOG's name for argv's command ("object|encoding").
	Name(argv [][]byte) string
}

// SetScriptACL sets the checker of scripts' commands. Without one, a
// script of a user who lacks any permission may run no command at all.
func (s *Store) SetScriptACL(a ScriptACL) {
	s.mu.Lock()
	s.scriptACL = a
	s.mu.Unlock()
}

// runsScripts reports whether op runs a script, and so carries its user.
func runsScripts(op opcode) bool {
	switch op {
	case opEval, opEvalSHARO, opFCall, opFCallRO:
		return true
	}
	return false
}

// RunAs returns c to run its scripts with user's permissions ("" or
// "default": the default user's). Commands that run no script ignore it.
func (c Command) RunAs(user string) Command {
	if !runsScripts(c.op) {
		return c
	}
	if user == "default" {
		user = ""
	}
	c.user = user
	return c
}

// scriptUser is the ACL state a script runs with: nil for a user with
// every permission, whose commands are not checked.
type scriptUser struct {
	u     *acl.User
	check ScriptACL
	// Refusals go to the Effects of the entry being applied (s), or to a
	// read's list, or nowhere if both are nil.
	s    *Store
	list *[]ACLDenial
}

// A denySink is where a script's refusals go: the entry's Effects (in
// Apply), a read's list, or (the zero value) nowhere. It is a struct, not
// a func, so that the unchecked default user's script allocates nothing.
type denySink struct {
	effects *Store
	list    *[]ACLDenial
}

// scriptUserOf looks the user of c up, as of now (the entry being
// applied, or this node's state for a read), and judges c's invocation
// itself: it returns the user to check the script's commands with, or
// the reply c gets instead of running. The caller holds the Store's lock.
func (s *Store) scriptUserOf(c Command, context string, sink denySink) (*scriptUser, Reply, bool) {
	name := c.user
	if name == "" {
		name = "default"
	}
	u := s.aclUserLocked(name)
	if u == nil {
		return nil, errorReply(errUserGone), false
	}
	if u.Unrestricted() {
		return nil, Reply{}, true
	}
	su := &scriptUser{u: u, check: s.scriptACL, s: sink.effects, list: sink.list}
	argv := c.invocation()
	if reason, obj := su.judge(argv, c.Keys()); reason != 0 {
		su.report(reason, context, argv, obj)
		return nil, Error(NoPerm(reason, su.name(argv))), false
	}
	return su, Reply{}, true
}

// invocation rebuilds the argv of a script command, as its client sent
// it, for the checker.
func (c Command) invocation() [][]byte {
	name := "fcall"
	switch {
	case c.op == opFCallRO:
		name = "fcall_ro"
	case c.op == opEvalSHARO:
		name = "evalsha_ro"
	case c.op == opEval && c.flags&flagEvalSHA != 0 && c.flags&flagEvalRO != 0:
		name = "evalsha_ro"
	case c.op == opEval && c.flags&flagEvalSHA != 0:
		name = "evalsha"
	case c.op == opEval && c.flags&flagEvalRO != 0:
		name = "eval_ro"
	case c.op == opEval:
		name = "eval"
	}
	argv := make([][]byte, 0, len(c.args)+2)
	argv = append(argv, []byte(name), c.args[0], []byte(uitoa(uint64(c.ints[0]))))
	return append(argv, c.args[1:]...)
}

// judge returns why the user may not run argv, or 0.
func (su *scriptUser) judge(argv, keys [][]byte) (ACLReason, []byte) {
	if su.check == nil {
		return ACLDeniedCommand, nil
	}
	return su.check.Check(su.u, argv, keys)
}

func (su *scriptUser) name(argv [][]byte) string {
	if su.check == nil {
		return toLowerASCII(string(argv[0]))
	}
	return su.check.Name(argv)
}

func (su *scriptUser) report(reason ACLReason, context string, argv [][]byte, obj []byte) {
	if su.s == nil && su.list == nil {
		return
	}
	object := string(obj)
	if reason == ACLDeniedCommand {
		object = su.name(argv)
	}
	d := ACLDenial{Reason: reason, Context: context, Object: object, User: su.u.Name}
	if su.list != nil {
		*su.list = append(*su.list, d)
	} else {
		su.s.noteDenied(d)
	}
}

// denied checks a command a script calls and returns the error the script
// sees if the user may not run it (scriptVerifyACL's words).
func (su *scriptUser) denied(argv, keys [][]byte) (luascript.Reply, bool) {
	reason, obj := su.judge(argv, keys)
	if reason == 0 {
		return luascript.Reply{}, false
	}
	su.report(reason, "lua", argv, obj)
	switch reason {
	case ACLDeniedKey:
		return luascript.Error("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"), true
	case ACLDeniedChannel:
		return luascript.Error("ERR The user executing the script can't publish to the channel mentioned in the command"), true
	}
	return luascript.Error("ERR The user executing the script can't run this command or subcommand"), true
}

// NoPerm is the NOPERM error of a refused command (Redis's processCommand).
func NoPerm(reason ACLReason, cmd string) string {
	switch reason {
	case ACLDeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case ACLDeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "NOPERM this user has no permissions to run the '" + cmd + "' command"
}

// aclContext is the ACL LOG's context of a command w runs.
func (w *writer) aclContext() string {
	if w.inMulti {
		return "multi"
	}
	return "toplevel"
}

// noteDenied records a refusal of the entry being applied in its Effects.
func (s *Store) noteDenied(d ACLDenial) {
	if s.effectsSink != nil {
		s.effects.Denials = append(s.effects.Denials, d)
	}
}

// ReadScript runs a read-only script command (EVALSHA_RO, FCALL_RO) as
// Read does, and returns with its reply the commands its user was refused,
// for this node's ACL LOG. Any other command is a plain Read.
func (s *Store) ReadScript(c Command, now int64) (Reply, []ACLDenial) {
	if c.op != opEvalSHARO && c.op != opFCallRO {
		return s.Read(c, now), nil
	}
	if !c.validShape() {
		return Error("ERR fsm: invalid command"), nil
	}
	var denials []ACLDenial
	deny := denySink{list: &denials}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ks := s.dbs[c.db]
	if c.op == opEvalSHARO {
		return ks.evalROFor(c, now, "toplevel", deny), denials
	}
	return ks.fcallROFor(c, now, "toplevel", deny), denials
}
