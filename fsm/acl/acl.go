// Package acl holds Redis 7.0's ACL users as raftcache replicates them: the
// state ACL SETUSER changes, the rules that change it (ACLSetUser of
// Redis's acl.c, without selectors) and its description (ACL LIST's
// "user ..." lines, minus the command rules, which depend on the command
// table the front door knows).
//
// A User's commands are kept as the rules that made them, not as a
// bitmap: the state machine does not know resp's command table, and a rule
// list is the same on every node whatever binary runs it. The front door
// turns the rules into a bitmap (see resp/acl.go) and describes it as
// Redis's ACLDescribeSelectorCommandRules does. Passwords are kept as
// Redis keeps them, hex SHA-256; the front door turns >password into
// #hash before proposing, so a password never travels through the log.
package acl

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
)

// Perm is the access a key pattern grants (%R~, %W~; ~ is both).
type Perm uint8

const (
	Read  Perm = 1
	Write Perm = 2
	All        = Read | Write
)

// KeyPattern is one key pattern and the access it grants.
type KeyPattern struct {
	Pattern string
	Perm    Perm
}

// String is the pattern as ACL LIST writes it (sdsCatPatternString).
func (k KeyPattern) String() string {
	switch k.Perm {
	case All:
		return "~" + k.Pattern
	case Read:
		return "%R~" + k.Pattern
	}
	return "%W~" + k.Pattern
}

// User is one ACL user: Redis's user with its root selector.
type User struct {
	Name string
	// On and Off are Redis's USER_FLAG_ENABLED and USER_FLAG_DISABLED: a
	// new user has neither set to on, so both flags are kept, as Redis.
	On, Off bool
	NoPass  bool
	// Sanitize and SkipSanitize are sanitize-payload and
	// skip-sanitize-payload: kept and shown, with no effect here.
	Sanitize, SkipSanitize bool
	Passwords              []string // hex SHA-256, in the order added
	AllKeys                bool
	Keys                   []KeyPattern
	AllChannels            bool
	Channels               []string
	// AllCommands is whether the last +@all or -@all was +@all: Redis's
	// reserved "future commands" bit, which ACL LIST's first command
	// rule shows.
	AllCommands bool
	// Rules are the command rules since that +@all or -@all, lower-case
	// ("+get", "-@hash", "+select|0"), each after removing the earlier
	// rules it overrides (ACLUpdateCommandRules), so the list stays as
	// short as the user's description.
	Rules []string
}

// New returns a user as ACL SETUSER creates it: off, no passwords, no
// keys, channels or commands.
func New(name string) *User { return &User{Name: name, Off: true} }

// Default returns Redis's default user: on, nopass, every key, channel and
// command.
func Default() *User {
	return &User{Name: "default", On: true, NoPass: true, AllKeys: true, AllChannels: true, AllCommands: true}
}

// Clone returns a deep copy of u.
func (u *User) Clone() *User {
	c := *u
	c.Passwords = append([]string(nil), u.Passwords...)
	c.Keys = append([]KeyPattern(nil), u.Keys...)
	c.Channels = append([]string(nil), u.Channels...)
	c.Rules = append([]string(nil), u.Rules...)
	return &c
}

// Unrestricted reports whether u may run every command on every key and
// channel, so that the front door can skip its checks.
func (u *User) Unrestricted() bool {
	return u.AllCommands && len(u.Rules) == 0 && u.AllKeys && u.AllChannels
}

// Errors of ACLSetUser, in Redis's words (ACLSetUserStringError).
var (
	ErrUnknown     = errors.New("Unknown command or category name in ACL")
	ErrSyntax      = errors.New("Syntax error")
	ErrKeyAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and " +
		"does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	ErrChannelAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid " +
		"and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	ErrNoSuchPassword = errors.New("The password you are trying to remove from the user does not exist")
	ErrBadHash        = errors.New("The password hash must be exactly 64 characters and contain only lowercase " +
		"hexadecimal characters")
	ErrFirstArgOfSub = errors.New("Allowing first-arg of a subcommand is not supported")
)

// CommandChecker checks the name in a command rule against the command
// table: name is a command, "command|sub", or "@category" (all lower-case).
// It returns ErrUnknown, ErrFirstArgOfSub or ErrSyntax, or nil.
type CommandChecker func(rule string, allow bool) error

// HashPassword is Redis's ACLHashPassword: hex SHA-256.
func HashPassword(pass []byte) string {
	sum := sha256.Sum256(pass)
	return hex.EncodeToString(sum[:])
}

func validHash(h []byte) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// hasSpaces is ACLStringHasSpaces: no spaces nor NULs in names and patterns.
func hasSpaces(b []byte) bool { return bytes.ContainsAny(b, " \x00") }

// ValidName reports whether name may name a user.
func ValidName(name []byte) bool { return !hasSpaces(name) }

// Set applies one ACL SETUSER modifier to u, as Redis's ACLSetUser. check,
// if not nil, checks command and category names; without it every name is
// taken as valid (Apply, whose proposer checked them). On error u may be
// partly changed: callers apply modifiers to a Clone.
func (u *User) Set(op []byte, check CommandChecker) error {
	if len(op) == 0 {
		return nil
	}
	switch lower := strings.ToLower(string(op)); lower {
	case "on":
		u.On, u.Off = true, false
	case "off":
		u.On, u.Off = false, true
	case "skip-sanitize-payload":
		u.SkipSanitize, u.Sanitize = true, false
	case "sanitize-payload":
		u.SkipSanitize, u.Sanitize = false, true
	case "nopass":
		u.NoPass, u.Passwords = true, nil
	case "resetpass":
		u.NoPass, u.Passwords = false, nil
	case "reset":
		u.NoPass, u.Passwords = false, nil
		u.AllKeys, u.Keys = false, nil
		u.AllChannels, u.Channels = false, nil
		u.On, u.Off = false, true
		u.SkipSanitize, u.Sanitize = false, true
		u.AllCommands, u.Rules = false, nil
	case "allkeys", "~*":
		u.AllKeys, u.Keys = true, nil
	case "resetkeys":
		u.AllKeys, u.Keys = false, nil
	case "allchannels", "&*":
		u.AllChannels, u.Channels = true, nil
	case "resetchannels":
		u.AllChannels, u.Channels = false, nil
	case "allcommands", "+@all":
		u.AllCommands, u.Rules = true, nil
	case "nocommands", "-@all":
		u.AllCommands, u.Rules = false, nil
	default:
		return u.setOther(op, lower, check)
	}
	return nil
}

func (u *User) setOther(op []byte, lower string, check CommandChecker) error {
	switch op[0] {
	case '>', '#':
		var h string
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else {
			if !validHash(op[1:]) {
				return ErrBadHash
			}
			h = string(op[1:])
		}
		if !contains(u.Passwords, h) {
			u.Passwords = append(u.Passwords, h)
		}
		u.NoPass = false
	case '<', '!':
		var h string
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else {
			if !validHash(op[1:]) {
				return ErrBadHash
			}
			h = string(op[1:])
		}
		i := index(u.Passwords, h)
		if i < 0 {
			return ErrNoSuchPassword
		}
		u.Passwords = append(u.Passwords[:i:i], u.Passwords[i+1:]...)
	case '~', '%':
		if u.AllKeys {
			return ErrKeyAfterAll
		}
		perm, off := All, 1
		if op[0] == '%' {
			perm = 0
			for ; off < len(op); off++ {
				c := op[off] &^ 0x20 // upper case
				switch {
				case c == 'R' && perm&Read == 0:
					perm |= Read
				case c == 'W' && perm&Write == 0:
					perm |= Write
				case op[off] == '~':
				default:
					return ErrSyntax
				}
				if op[off] == '~' {
					off++
					break
				}
			}
		}
		if hasSpaces(op[off:]) {
			return ErrSyntax
		}
		pat := string(op[off:])
		if i := keyIndex(u.Keys, pat); i >= 0 {
			u.Keys[i].Perm |= perm
		} else {
			u.Keys = append(u.Keys, KeyPattern{Pattern: pat, Perm: perm})
		}
	case '&':
		if u.AllChannels {
			return ErrChannelAfterAll
		}
		if hasSpaces(op[1:]) {
			return ErrSyntax
		}
		if !contains(u.Channels, string(op[1:])) {
			u.Channels = append(u.Channels, string(op[1:]))
		}
	case '+', '-':
		allow := op[0] == '+'
		name := lower[1:]
		if check != nil {
			if err := check(name, allow); err != nil {
				return err
			}
		}
		u.addRule(lower)
	default:
		return ErrSyntax
	}
	return nil
}

// addRule appends a command rule after removing the earlier ones it
// overrides: the same command or category, and the subcommands or
// first arguments of a command (ACLSelectorRemoveCommandRule).
func (u *User) addRule(rule string) {
	name := rule[1:]
	kept := u.Rules[:0]
	for _, r := range u.Rules {
		old := r[1:]
		if old == name || (len(old) > len(name) && old[:len(name)] == name && old[len(name)] == '|') {
			continue
		}
		kept = append(kept, r)
	}
	u.Rules = append(kept, rule)
}

// SetAll applies ops to a copy of u (nil: a new user called name) and
// returns it, or Redis's ACL SETUSER error for the first op that fails,
// leaving u as it was.
func SetAll(u *User, name string, ops [][]byte, check CommandChecker) (*User, error) {
	if u == nil {
		u = New(name)
	} else {
		u = u.Clone()
	}
	for _, op := range ops {
		if err := u.Set(op, check); err != nil {
			return nil, SetUserError(op, err)
		}
	}
	return u, nil
}

// SetUserError is ACL SETUSER's reply to a modifier that failed.
func SetUserError(op []byte, err error) error {
	return errors.New("ERR Error in ACL SETUSER modifier '" + cString(op) + "': " + err.Error())
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// CheckPassword reports whether pass is one of u's passwords (any is, for a
// nopass user), comparing hashes in constant time. It does not look at On.
func (u *User) CheckPassword(pass []byte) bool {
	if u.NoPass {
		return true
	}
	h := []byte(HashPassword(pass))
	ok := false
	for _, p := range u.Passwords {
		if subtle.ConstantTimeCompare(h, []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// Flags are the flags ACL GETUSER lists, in Redis's order (ACLUserFlags).
func (u *User) Flags() []string {
	var f []string
	for _, fl := range []struct {
		set  bool
		name string
	}{{u.On, "on"}, {u.Off, "off"}, {u.NoPass, "nopass"}, {u.SkipSanitize, "skip-sanitize-payload"},
		{u.Sanitize, "sanitize-payload"}} {
		if fl.set {
			f = append(f, fl.name)
		}
	}
	return f
}

// KeysString is ACL GETUSER's "keys" field.
func (u *User) KeysString() string {
	if u.AllKeys {
		return "~*"
	}
	parts := make([]string, len(u.Keys))
	for i, k := range u.Keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// ChannelsString is ACL GETUSER's "channels" field.
func (u *User) ChannelsString() string {
	if u.AllChannels {
		return "&*"
	}
	parts := make([]string, len(u.Channels))
	for i, ch := range u.Channels {
		parts[i] = "&" + ch
	}
	return strings.Join(parts, " ")
}

// Describe is ACL LIST's line for u (ACLDescribeUser), given the command
// rules' description.
func (u *User) Describe(commands string) string {
	var b strings.Builder
	b.WriteString("user ")
	b.WriteString(u.Name)
	for _, f := range u.Flags() {
		b.WriteString(" " + f)
	}
	for _, p := range u.Passwords {
		b.WriteString(" #" + p)
	}
	if u.AllKeys {
		b.WriteString(" ~*")
	} else {
		for _, k := range u.Keys {
			b.WriteString(" " + k.String())
		}
	}
	if u.AllChannels {
		b.WriteString(" &*")
	} else {
		b.WriteString(" resetchannels")
		for _, ch := range u.Channels {
			b.WriteString(" &" + ch)
		}
	}
	b.WriteString(" " + commands)
	return b.String()
}

// Ops returns modifiers that rebuild u from New(u.Name), for snapshots:
// Set of each, in order, gives an equal User.
func (u *User) Ops() []string {
	var ops []string
	add := func(cond bool, op string) {
		if cond {
			ops = append(ops, op)
		}
	}
	add(u.On, "on")
	add(u.NoPass, "nopass")
	add(u.Sanitize, "sanitize-payload")
	add(u.SkipSanitize, "skip-sanitize-payload")
	for _, p := range u.Passwords {
		ops = append(ops, "#"+p)
	}
	add(u.AllKeys, "allkeys")
	for _, k := range u.Keys {
		ops = append(ops, k.String())
	}
	add(u.AllChannels, "allchannels")
	for _, ch := range u.Channels {
		ops = append(ops, "&"+ch)
	}
	add(u.AllCommands, "allcommands")
	return append(ops, u.Rules...)
}

// Rebuild is the inverse of Ops.
func Rebuild(name string, ops [][]byte) (*User, error) {
	u := New(name)
	for _, op := range ops {
		if err := u.Set(op, nil); err != nil {
			return nil, SetUserError(op, err)
		}
	}
	if u.On {
		u.Off = false
	}
	return u, nil
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func keyIndex(list []KeyPattern, pat string) int {
	for i, k := range list {
		if k.Pattern == pat {
			return i
		}
	}
	return -1
}
