package fsm

import (
	"sort"

	"github.com/raftcache/raftcache/fsm/acl"
)

// ACL users are replicated state, unlike Redis's per-server ACLs: ACL
// SETUSER and ACL DELUSER go through the log, so a user created on one
// node logs in on every node, and the users are snapshotted, so they
// survive restarts. The front door (resp) checks a SETUSER against its
// command table first, answers Redis's error at once, and proposes the
// modifiers with passwords already hashed; Apply applies them to the user
// as of that entry, all or none.
//
// The default user is replicated once the log first changes it (ACL
// SETUSER default, CONFIG SET requirepass). Until then every node uses its
// own, made from its -requirepass (SetInitialPassword), as Redis does; the
// first change carries the proposer's default user as the base it applies
// to, so that every node starts from the same one.

const (
	// opACLSetUser: args the user name, then ints[0] base modifiers (used
	// only if the user is the default user and the log never set it),
	// then the modifiers.
	opACLSetUser opcode = 864
	opACLDelUser opcode = 865 // args: the user names
)

func aclTable() table {
	return table{
		ops: []opDef{
			{op: opACLSetUser, opShape: opShape{name: "acl|setuser", write: true, minArgs: 1, maxArgs: -1, ints: 1},
				apply: (*writer).aclSetUser, keys: noKeys,
				valid: func(c Command) bool { return c.ints[0] >= 0 && c.ints[0] < int64(len(c.args)) }},
			{op: opACLDelUser, opShape: opShape{name: "acl|deluser", write: true, minArgs: 1, maxArgs: -1},
				apply: (*writer).aclDelUser, keys: noKeys},
		},
	}
}

// aclState is the Store's ACL users.
type aclState struct {
	// users by name; the default user is here once the log set it.
	users map[string]*acl.User
	// initial is this node's default user until the log sets one (see
	// SetInitialPassword): node-local, never snapshotted.
	initial *acl.User
}

// NewACLSetUser builds the write of ACL SETUSER name ops...; base are the
// modifiers that rebuild the proposer's default user (see aclcmd.go),
// nil for any other user. Passwords in ops must already be hashed (#, !).
func NewACLSetUser(name []byte, base []string, ops [][]byte, now int64) Command {
	args := make([][]byte, 0, 1+len(base)+len(ops))
	args = append(args, name)
	for _, b := range base {
		args = append(args, []byte(b))
	}
	args = append(args, ops...)
	c := Command{op: opACLSetUser, time: now, args: args}
	c.ints[0] = int64(len(base))
	return c
}

// NewACLDelUser builds the write of ACL DELUSER names...
func NewACLDelUser(names [][]byte, now int64) Command {
	return Command{op: opACLDelUser, time: now, args: names}
}

func (w *writer) aclSetUser(c Command) Reply {
	name := string(c.args[0])
	nbase := int(c.ints[0])
	st := &w.s.acl
	u := st.users[name]
	if u == nil && name == "default" {
		if nbase > 0 {
			base, err := acl.Rebuild(name, c.args[1:1+nbase])
			if err != nil {
				return Error(err.Error())
			}
			u = base
		} else {
			u = acl.Default()
		}
	}
	nu, err := acl.SetAll(u, name, c.args[1+nbase:], nil)
	if err != nil {
		return Error(err.Error())
	}
	if st.users == nil {
		st.users = map[string]*acl.User{}
	}
	st.users[name] = nu
	w.s.aclGen.Add(1)
	return OK
}

func (w *writer) aclDelUser(c Command) Reply {
	for _, name := range c.args {
		if string(name) == "default" {
			return Error("ERR The 'default' user cannot be removed")
		}
	}
	n := int64(0)
	for _, name := range c.args {
		if _, ok := w.s.acl.users[string(name)]; ok {
			delete(w.s.acl.users, string(name))
			n++
		}
	}
	if n > 0 {
		w.s.aclGen.Add(1)
	}
	return Int(n)
}

// SetInitialPassword sets this node's default user's password until the
// log changes the default user: "" is nopass, as Redis's requirepass.
// It is node-local (the -requirepass flag), never replicated.
func (s *Store) SetInitialPassword(pass string) {
	u := acl.Default()
	if pass != "" {
		u.NoPass = false
		u.Passwords = []string{acl.HashPassword([]byte(pass))}
	}
	s.mu.Lock()
	s.acl.initial = u
	s.mu.Unlock()
	s.aclGen.Add(1)
}

// ACLUser returns a copy of the user called name, and whether it exists.
// The default user always exists.
func (s *Store) ACLUser(name string) (*acl.User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.aclUserLocked(name)
	if u == nil {
		return nil, false
	}
	return u.Clone(), true
}

func (s *Store) aclUserLocked(name string) *acl.User {
	if u := s.acl.users[name]; u != nil {
		return u
	}
	if name == "default" {
		return s.acl.initial
	}
	return nil
}

// ACLUsers returns copies of every user, the default one included, in
// ascending name order (Redis's rax order).
func (s *Store) ACLUsers() []*acl.User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.acl.users)+1)
	for name := range s.acl.users {
		names = append(names, name)
	}
	if s.acl.users["default"] == nil {
		names = append(names, "default")
	}
	sort.Strings(names)
	out := make([]*acl.User, len(names))
	for i, name := range names {
		out[i] = s.aclUserLocked(name).Clone()
	}
	return out
}

// ACLGen changes whenever any user may have changed, so that a front door
// can cache what it derives from the users.
func (s *Store) ACLGen() uint64 { return s.aclGen.Load() }

// Authenticate reports whether user and pass are the credentials of an
// enabled user, as Redis's ACLCheckUserCredentials: for AUTH, HELLO AUTH
// and the admin API's basic auth. A nopass user accepts any password.
func (s *Store) Authenticate(user, pass []byte) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.aclUserLocked(string(user))
	return u != nil && u.On && u.CheckPassword(pass)
}

// aclUsersInOrder returns the replicated users in name order, for
// snapshots.
func (s *Store) aclUsersInOrder() []*acl.User {
	names := make([]string, 0, len(s.acl.users))
	for name := range s.acl.users {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]*acl.User, len(names))
	for i, name := range names {
		out[i] = s.acl.users[name].Clone()
	}
	return out
}
