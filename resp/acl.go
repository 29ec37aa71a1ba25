package resp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcache/raftcache/fsm"
	"github.com/raftcache/raftcache/fsm/acl"
)

// ACL users are the state machine's (fsm/acl, fsm/aclcmd.go): replicated,
// so a user made on one node logs in on every node. What a user may run is
// decided here, where the command table is: the user's command rules
// become a bitmap over the commands raftcache serves, each command's ACL
// categories and key access come from Redis's own COMMAND INFO (captured in
// commandinfo.resp), and the checks are Redis 7.0's (ACLCheckAllPerm). The
// ACL LOG is this node's, as in Redis.

// aclCategories are Redis 7.0's ACL categories, in ACL CAT's order.
var aclCategories = [...]string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting"}

func categoryIndex(name string) int {
	for i, c := range aclCategories {
		if c == name {
			return i
		}
	}
	return -1
}

// categoryBits reads the ACL categories of a COMMAND INFO entry.
func categoryBits(entry string, i int) uint32 {
	var bits uint32
	for _, c := range children(entry, i) {
		line, _ := readLine(entry, c)
		if j := categoryIndex(strings.TrimPrefix(line[1:], "@")); j >= 0 {
			bits |= 1 << j
		}
	}
	return bits
}

// keySpecAccess reads whether a command's key specs read its keys
// (access) or write them (insert, delete, update), as Redis's
// ACLSelectorCheckKey asks. Every key is held to the union of the
// command's specs.
func keySpecAccess(entry string, i int) (read, write bool) {
	for _, spec := range children(entry, i) {
		kv := children(entry, spec)
		for k := 0; k+1 < len(kv); k += 2 {
			if bulkText(entry, kv[k]) != "flags" {
				continue
			}
			for _, f := range children(entry, kv[k+1]) {
				switch line, _ := readLine(entry, f); line[1:] {
				case "access":
					read = true
				case "insert", "delete", "update":
					write = true
				}
			}
		}
	}
	return read, write
}

// aclCatalog is the command table as ACLs see it: every command and
// subcommand, containers followed by their subcommands.
type aclCatalog struct {
	specs  []*cmdSpec
	subs   [][]int // by aclID: a container's subcommands
	byName map[string]*cmdSpec
}

func newACLCatalog(t *commandTable) *aclCatalog {
	cat := &aclCatalog{byName: map[string]*cmdSpec{}}
	add := func(sp *cmdSpec) {
		sp.aclID = len(cat.specs)
		cat.specs = append(cat.specs, sp)
		cat.subs = append(cat.subs, nil)
		cat.byName[sp.name] = sp
	}
	for _, name := range t.names {
		sp := t.specs[name]
		add(sp)
		subs := make([]string, 0, len(sp.subs))
		for s := range sp.subs {
			subs = append(subs, s)
		}
		sort.Strings(subs)
		for _, s := range subs {
			add(sp.subs[s])
			cat.subs[sp.aclID] = append(cat.subs[sp.aclID], sp.subs[s].aclID)
		}
	}
	return cat
}

// checkRule is the acl.CommandChecker of SETUSER: Redis's lookups of
// ACLSetSelector, against the commands raftcache serves.
func (cat *aclCatalog) checkRule(name string, allow bool) error {
	if cname, ok := strings.CutPrefix(name, "@"); ok {
		if categoryIndex(cname) < 0 {
			return acl.ErrUnknown
		}
		return nil
	}
	i := strings.LastIndexByte(name, '|')
	if !allow || i < 0 {
		if cat.byName[name] == nil {
			return acl.ErrUnknown
		}
		return nil
	}
	parent := cat.byName[name[:i]]
	switch {
	case parent == nil:
		return acl.ErrUnknown
	case strings.Contains(parent.name, "|"):
		return acl.ErrFirstArgOfSub
	case i == len(name)-1:
		return acl.ErrSyntax
	case parent.subs != nil && cat.byName[name] == nil:
		return acl.ErrUnknown
	}
	return nil
}

// aclPerms is a user compiled against the catalog.
type aclPerms struct {
	user      *acl.User
	allowed   []bool
	firstArgs map[int][]string // a command allowed only with these first arguments
	// open: every command, key and channel, so that nothing is checked.
	open bool
}

func (cat *aclCatalog) setPerm(allowed []bool, firstArgs map[int][]string, id int, v bool) {
	allowed[id] = v
	delete(firstArgs, id)
	for _, sub := range cat.subs[id] {
		allowed[sub] = v
	}
}

func (cat *aclCatalog) setCategory(allowed []bool, firstArgs map[int][]string, c int, v bool) {
	for _, sp := range cat.specs {
		if sp.aclCats&(1<<c) != 0 {
			cat.setPerm(allowed, firstArgs, sp.aclID, v)
		}
	}
}

func (cat *aclCatalog) compile(u *acl.User) *aclPerms {
	p := &aclPerms{user: u, allowed: make([]bool, len(cat.specs)), firstArgs: map[int][]string{}, open: u.Unrestricted()}
	for i := range p.allowed {
		p.allowed[i] = u.AllCommands
	}
	for _, r := range u.Rules {
		allow, name := r[0] == '+', r[1:]
		if cname, ok := strings.CutPrefix(name, "@"); ok {
			if c := categoryIndex(cname); c >= 0 {
				cat.setCategory(p.allowed, p.firstArgs, c, allow)
			}
			continue
		}
		if sp := cat.byName[name]; sp != nil {
			cat.setPerm(p.allowed, p.firstArgs, sp.aclID, allow)
			continue
		}
		if i := strings.LastIndexByte(name, '|'); i > 0 && allow {
			if sp := cat.byName[name[:i]]; sp != nil {
				arg := name[i+1:]
				dup := false
				for _, a := range p.firstArgs[sp.aclID] {
					dup = dup || strings.EqualFold(a, arg)
				}
				if !dup {
					p.firstArgs[sp.aclID] = append(p.firstArgs[sp.aclID], arg)
				}
			}
		}
	}
	return p
}

// describe is Redis 7.0's ACLDescribeSelectorCommandRules: +@all or
// -@all, then the categories that best approximate the bitmap, one at a
// time, then the single commands still different.
func (cat *aclCatalog) describe(p *aclPerms) string {
	additive := !p.user.AllCommands
	n := len(cat.specs)
	fake := make([]bool, n)
	none := map[int][]string{}
	var b strings.Builder
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		for i := range fake {
			fake[i] = true
		}
	}
	temp := append([]bool(nil), p.allowed...)
	var applied [len(aclCategories)]bool
	for {
		best, mindiff, maxsame := -1, n+1, 0
		for j := range aclCategories {
			if applied[j] {
				continue
			}
			on, off := 0, 0
			for _, sp := range cat.specs {
				if sp.aclCats&(1<<j) != 0 {
					if temp[sp.aclID] {
						on++
					} else {
						off++
					}
				}
			}
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		sign := "+@"
		if !additive {
			sign = "-@"
		}
		cat.setCategory(fake, none, best, additive)
		cat.setCategory(temp, none, best, !additive)
		b.WriteString(sign + aclCategories[best] + " ")
		applied[best] = true
	}
	for _, sp := range cat.specs {
		user, f := p.allowed[sp.aclID], fake[sp.aclID]
		if user != f {
			if user {
				b.WriteString("+")
			} else {
				b.WriteString("-")
			}
			b.WriteString(sp.name + " ")
			cat.setPerm(fake, none, sp.aclID, user)
		}
		if !user {
			for _, a := range p.firstArgs[sp.aclID] {
				b.WriteString("+" + sp.name + "|" + a + " ")
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// Reasons a command is refused, in Redis's order of relevance: the
// first three are fsm's ACLReason values.
const (
	aclOK            = 0
	aclDeniedCmd     = int(fsm.ACLDeniedCommand)
	aclDeniedKey     = int(fsm.ACLDeniedKey)
	aclDeniedChannel = int(fsm.ACLDeniedChannel)
	aclDeniedAuth    = aclDeniedChannel + 1
)

// check is Redis's ACLSelectorCheckCmd for one selector: the command,
// then its keys, then its channels. keys are the command's keys (from
// fsm for a data command). On a refusal, object is the key or channel.
func (p *aclPerms) check(sp *cmdSpec, args [][]byte, keys [][]byte) (reason int, object []byte) {
	if p.open {
		return aclOK, nil
	}
	if !p.allowed[sp.aclID] && !sp.noAuth {
		idx := 1
		if strings.Contains(sp.name, "|") {
			idx = 2
		}
		ok := false
		if len(args) > idx {
			for _, a := range p.firstArgs[sp.aclID] {
				ok = ok || strings.EqualFold(a, string(args[idx]))
			}
		}
		if !ok {
			return aclDeniedCmd, nil
		}
	}
	u := p.user
	if !u.AllKeys {
		var need acl.Perm
		if sp.keyRead {
			need |= acl.Read
		}
		if sp.keyWrite {
			need |= acl.Write
		}
		for _, k := range keys {
			if !keyAllowed(u, k, need) {
				return aclDeniedKey, k
			}
		}
	}
	if !u.AllChannels {
		var chans [][]byte
		literal := false
		switch sp.name {
		case "publish", "spublish":
			chans = args[1:2]
		case "subscribe", "ssubscribe":
			chans = args[1:]
		case "psubscribe":
			chans, literal = args[1:], true
		}
		for _, ch := range chans {
			if !channelAllowed(u, ch, literal) {
				return aclDeniedChannel, ch
			}
		}
	}
	return aclOK, nil
}

func keyAllowed(u *acl.User, key []byte, need acl.Perm) bool {
	for _, k := range u.Keys {
		if k.Perm&need == need && fsm.GlobMatch([]byte(k.Pattern), key) {
			return true
		}
	}
	return false
}

func channelAllowed(u *acl.User, ch []byte, literal bool) bool {
	if u.AllChannels {
		return true
	}
	for _, pat := range u.Channels {
		if (literal && pat == string(ch)) || (!literal && fsm.GlobMatch([]byte(pat), ch)) {
			return true
		}
	}
	return false
}

// aclView is every user compiled, as of one generation of the store's
// users.
type aclView struct {
	gen   uint64
	users map[string]*aclPerms
}

// aclFront is the server's ACL state: the catalog, the compiled users
// and this node's ACL LOG.
type aclFront struct {
	catalog *aclCatalog
	view    atomic.Pointer[aclView]

	// synced: a read barrier has succeeded since the server started, so
	// the default user is at least the cluster's as of then.
	synced atomic.Bool

	logMu sync.Mutex
	log   []*aclLogEntry // newest first

	// scripts checks what scripts run; denied holds what they were
	// refused until the proposer logs it.
	scripts *scriptACL
	denied  deniedLog
}

const aclLogMaxLen = 128 // Redis's acllog-max-len default

// connectBarrierWait bounds how long a new connection of a node not yet
// synced waits for the read barrier of connectAuthed.
const connectBarrierWait = 500 * time.Millisecond

type aclLogEntry struct {
	count    int64
	reason   int
	context  string
	object   string
	username string
	ctime    time.Time
	cinfo    string
}

func newACLFront(t *commandTable) *aclFront {
	cat := newACLCatalog(t)
	return &aclFront{catalog: cat, scripts: newScriptACL(t, cat)}
}

// perms returns the compiled user called name, nil if it no longer exists.
func (s *Server) perms(name string) *aclPerms {
	gen := s.store.ACLGen()
	v := s.acl.view.Load()
	if v == nil || v.gen != gen {
		v = &aclView{gen: gen, users: map[string]*aclPerms{}}
		for _, u := range s.store.ACLUsers() {
			v.users[u.Name] = s.acl.catalog.compile(u)
		}
		s.acl.view.Store(v)
	}
	return v.users[name]
}

// defaultNeedsAuth is Redis's test in authRequired: the default user has
// a password or is off.
func (s *Server) defaultNeedsAuth() bool {
	p := s.perms("default")
	return p == nil || !p.user.NoPass || !p.user.On
}

// userName returns the user c is authenticated as (or will run as).
func (c *client) userName() string {
	if n := c.user.Load(); n != nil {
		return *n
	}
	return "default"
}

func (c *client) setUser(name string) { c.user.Store(&name) }

// unrestricted reports whether c's user runs every command on every key
// and channel, so dispatch and serveData need not check its commands.
func (s *Server) unrestricted(c *client) bool {
	p := s.perms(c.userName())
	return p != nil && p.open
}

// aclCheck checks a command c is about to run or queue, as Redis's
// processCommand after the NOAUTH check, and returns the NOPERM error, or
// "". A user deleted since c authenticated closes the connection, as
// Redis's ACLFreeUserAndKillClients.
func (s *Server) aclCheck(c *client, sp *cmdSpec, args [][]byte) string {
	name := c.userName()
	p := s.perms(name)
	if p == nil {
		c.closeAfter = true
		return fsm.ErrUserGone
	}
	if p.open {
		return ""
	}
	reason, obj := p.check(sp, args, commandKeys(sp, args))
	if reason == aclOK {
		return ""
	}
	ctx := "toplevel"
	if c.multi != nil {
		ctx = "multi"
	}
	if reason == aclDeniedCmd {
		obj = []byte(sp.name)
	}
	s.aclLog(c, reason, ctx, string(obj), name)
	return noPerm(reason, sp.name, obj, false)
}

// commandKeys returns the keys a command names: fsm's for a data command
// it can parse, WATCH's arguments.
func commandKeys(sp *cmdSpec, args [][]byte) [][]byte {
	switch {
	case sp.data:
		if pc, ok, err := fsm.Parse(args, time.Now().UnixMilli()); ok && err == nil {
			return pc.Keys()
		}
	case sp.name == "watch":
		return args[1:]
	}
	return nil
}

// noPerm is the error of a refused command, or (dryrun) ACL DRYRUN's text.
func noPerm(reason int, cmd string, obj []byte, dryrun bool) string {
	if dryrun {
		switch reason {
		case aclDeniedCmd:
			return "This user has no permissions to run the '" + cmd + "' command"
		case aclDeniedKey:
			return "This user has no permissions to access the '" + string(obj) + "' key"
		}
		return "This user has no permissions to access the '" + string(obj) + "' channel"
	}
	return fsm.NoPerm(fsm.ACLReason(reason), cmd)
}

// aclLog adds an entry to the ACL LOG, or counts it in a similar recent
// one, as Redis's addACLLogEntry.
func (s *Server) aclLog(c *client, reason int, context, object, username string) {
	le := &aclLogEntry{count: 1, reason: reason, context: context, object: object, username: username,
		ctime: time.Now(), cinfo: strings.TrimSuffix(c.info(time.Now()), "\n")}
	f := s.acl
	f.logMu.Lock()
	defer f.logMu.Unlock()
	for i, e := range f.log {
		if i >= 10 {
			break
		}
		if e.reason == le.reason && e.context == le.context && e.object == le.object &&
			e.username == le.username && le.ctime.Sub(e.ctime) <= time.Minute {
			e.count++
			e.ctime, e.cinfo = le.ctime, le.cinfo
			copy(f.log[1:i+1], f.log[:i])
			f.log[0] = e
			return
		}
	}
	f.log = append([]*aclLogEntry{le}, f.log...)
	if len(f.log) > aclLogMaxLen {
		f.log = f.log[:aclLogMaxLen]
	}
}

// authenticate checks user and pass and, when they are right, makes c
// run as user and returns ""; otherwise it returns the error to reply. A
// wrong pair goes to the ACL LOG, as Redis's ACLAuthenticateUser. A node
// that has never synced its ACL state (syncACL) and cannot now refuses to
// judge: its state may still take a password the cluster has since
// changed.
func (s *Server) authenticate(c *client, cmd, user, pass []byte) string {
	if err := s.aclBarrier(c); err != nil && !s.acl.synced.Load() {
		return readFailure(err, s.cfg.Timeout)
	}
	if !s.store.Authenticate(user, pass) {
		ctx := "toplevel"
		if c.multi != nil {
			ctx = "multi"
		}
		s.aclLog(c, aclDeniedAuth, ctx, string(cmd), string(user))
		return wrongPass
	}
	c.setUser(string(user))
	c.authed.Store(true)
	return ""
}

// CheckUser reports whether user and pass are the credentials of an
// enabled ACL user, for front doors other than RESP (the admin API). It is
// false on a node that has not synced its ACL state, as authenticate.
func (s *Server) CheckUser(user, pass string) bool {
	return s.syncACL(s.cfg.Timeout) == nil && s.store.Authenticate([]byte(user), []byte(pass))
}

func aclCommands() map[string]handler {
	return map[string]handler{
		"acl|setuser": (*Server).aclSetUser,
		"acl|getuser": (*Server).aclGetUser,
		"acl|deluser": (*Server).aclDelUser,
		"acl|list":    (*Server).aclList,
		"acl|users":   (*Server).aclUsers,
		"acl|whoami":  (*Server).aclWhoAmI,
		"acl|cat":     (*Server).aclCat,
		"acl|genpass": (*Server).aclGenPass,
		"acl|dryrun":  (*Server).aclDryRun,
		"acl|log":     (*Server).aclLogCmd,
		"acl|help":    (*Server).aclHelp,
	}
}

// hashOps turns >password and <password into #hash and !hash, so that the
// log and snapshots never hold a password.
func hashOps(ops [][]byte) [][]byte {
	out := make([][]byte, len(ops))
	for i, op := range ops {
		switch {
		case len(op) > 0 && op[0] == '>':
			out[i] = []byte("#" + acl.HashPassword(op[1:]))
		case len(op) > 0 && op[0] == '<':
			out[i] = []byte("!" + acl.HashPassword(op[1:]))
		default:
			out[i] = op
		}
	}
	return out
}

func (s *Server) aclSetUser(c *client, args [][]byte) {
	name := args[2]
	if !acl.ValidName(name) {
		c.w.err("ERR Usernames can't contain spaces or null characters")
		return
	}
	ops := args[3:]
	for _, op := range ops {
		if len(op) > 0 && op[0] == '(' {
			// Selectors are not supported (yet): refuse them rather
			// than take them for something else.
			c.w.err(acl.SetUserError(op, acl.ErrSyntax).Error())
			return
		}
	}
	s.setUser(c, name, ops)
}

// setUser checks ops against the user's current state and the command
// table, then proposes them; it writes the reply.
func (s *Server) setUser(c *client, name []byte, ops [][]byte) {
	cur, _ := s.store.ACLUser(string(name))
	if _, err := acl.SetAll(cur, string(name), ops, s.acl.catalog.checkRule); err != nil {
		c.w.err(err.Error())
		return
	}
	var base []string
	if string(name) == "default" {
		base = cur.Ops()
	}
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	r, ok := s.replicate(ctx, c, fsm.NewACLSetUser(name, base, hashOps(ops), s.cfg.Clock()).AppendBinary(nil))
	if ok {
		c.w.reply(r)
	}
}

func (s *Server) aclDelUser(c *client, args [][]byte) {
	for _, name := range args[2:] {
		if string(name) == "default" {
			c.w.err("ERR The 'default' user cannot be removed")
			return
		}
	}
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	r, ok := s.replicate(ctx, c, fsm.NewACLDelUser(args[2:], s.cfg.Clock()).AppendBinary(nil))
	if ok {
		c.w.reply(r)
	}
}

func (s *Server) aclGetUser(c *client, args [][]byte) {
	s.aclBarrier(c)
	u, ok := s.store.ACLUser(string(args[2]))
	if !ok {
		c.w.null()
		return
	}
	p := s.acl.catalog.compile(u)
	c.w.mapHeader(6)
	c.w.bulkString("flags")
	flags := u.Flags()
	c.w.setHeader(len(flags))
	for _, f := range flags {
		c.w.bulkString(f)
	}
	c.w.bulkString("passwords")
	c.w.array(len(u.Passwords))
	for _, pw := range u.Passwords {
		c.w.bulkString(pw)
	}
	c.w.bulkString("commands")
	c.w.bulkString(s.acl.catalog.describe(p))
	c.w.bulkString("keys")
	c.w.bulkString(u.KeysString())
	c.w.bulkString("channels")
	c.w.bulkString(u.ChannelsString())
	c.w.bulkString("selectors")
	c.w.array(0)
}

func (s *Server) aclList(c *client, args [][]byte) {
	s.aclBarrier(c)
	users := s.store.ACLUsers()
	c.w.array(len(users))
	for _, u := range users {
		c.w.bulkString(u.Describe(s.acl.catalog.describe(s.acl.catalog.compile(u))))
	}
}

func (s *Server) aclUsers(c *client, args [][]byte) {
	s.aclBarrier(c)
	users := s.store.ACLUsers()
	c.w.array(len(users))
	for _, u := range users {
		c.w.bulkString(u.Name)
	}
}

func (s *Server) aclWhoAmI(c *client, args [][]byte) { c.w.bulkString(c.userName()) }

func (s *Server) aclCat(c *client, args [][]byte) {
	if len(args) == 2 {
		c.w.array(len(aclCategories))
		for _, name := range aclCategories {
			c.w.bulkString(name)
		}
		return
	}
	if len(args) != 3 {
		aclSyntax(c, args)
		return
	}
	j := categoryIndex(strings.ToLower(string(args[2])))
	if j < 0 {
		c.w.err("ERR Unknown category '" + string(cString(args[2], 128)) + "'")
		return
	}
	var names []string
	for _, sp := range s.acl.catalog.specs {
		if sp.aclCats&(1<<j) != 0 {
			names = append(names, sp.name)
		}
	}
	c.w.array(len(names))
	for _, n := range names {
		c.w.bulkString(n)
	}
}

func (s *Server) aclGenPass(c *client, args [][]byte) {
	bits := int64(256)
	if len(args) > 3 {
		aclSyntax(c, args)
		return
	}
	if len(args) == 3 {
		n, ok := fsm.ParseInt(args[2])
		if !ok {
			c.w.err("ERR value is not an integer or out of range")
			return
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		c.w.err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		c.w.err("ERR genpass: " + err.Error())
		return
	}
	c.w.bulkString(hex.EncodeToString(buf)[:chars])
}

func (s *Server) aclDryRun(c *client, args [][]byte) {
	s.aclBarrier(c)
	p := s.perms(string(args[2]))
	if p == nil {
		c.w.err("ERR User '" + string(args[2]) + "' not found")
		return
	}
	cmd := args[3:]
	sp := s.cmds.lookup(cmd[0])
	if sp != nil && sp.subs != nil {
		sp = nil
		if len(cmd) >= 2 {
			sp = s.cmds.lookup(cmd[0]).subs[lowerASCII(cmd[1])]
		}
	}
	if sp == nil {
		c.w.err("ERR Command '" + string(cmd[0]) + "' not found")
		return
	}
	if n := len(cmd); (sp.arity > 0 && n != sp.arity) || n < -sp.arity {
		c.w.err(arityError(sp.name))
		return
	}
	if reason, obj := p.check(sp, cmd, commandKeys(sp, cmd)); reason != aclOK {
		c.w.bulkString(noPerm(reason, sp.name, obj, true))
		return
	}
	c.w.status("OK")
}

var aclReasons = [...]string{aclDeniedCmd: "command", aclDeniedKey: "key", aclDeniedChannel: "channel", aclDeniedAuth: "auth"}

func (s *Server) aclLogCmd(c *client, args [][]byte) {
	count := int64(10)
	if len(args) > 3 {
		aclSyntax(c, args)
		return
	}
	if len(args) == 3 {
		if fsm.EqualFold(args[2], "reset") {
			s.acl.logMu.Lock()
			s.acl.log = nil
			s.acl.logMu.Unlock()
			c.w.status("OK")
			return
		}
		n, ok := fsm.ParseInt(args[2])
		if !ok {
			c.w.err("ERR value is not an integer or out of range")
			return
		}
		count = max(n, 0)
	}
	s.acl.logMu.Lock()
	entries := s.acl.log[:min(int(count), len(s.acl.log))]
	now := time.Now()
	c.w.array(len(entries))
	for _, e := range entries {
		c.w.mapHeader(7)
		c.w.bulkString("count")
		c.w.int(e.count)
		c.w.bulkString("reason")
		c.w.bulkString(aclReasons[e.reason])
		c.w.bulkString("context")
		c.w.bulkString(e.context)
		c.w.bulkString("object")
		c.w.bulkString(e.object)
		c.w.bulkString("username")
		c.w.bulkString(e.username)
		c.w.bulkString("age-seconds")
		c.w.reply(fsm.Reply{Kind: fsm.KindDouble, Bytes: []byte(strconv.FormatFloat(now.Sub(e.ctime).Seconds(), 'g', 17, 64))})
		c.w.bulkString("client-info")
		c.w.bulkString(e.cinfo)
	}
	s.acl.logMu.Unlock()
}

// aclHelp is ACL HELP, in Redis 7.0's words.
var aclHelpText = [...]string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Prints this help.",
}

func (s *Server) aclHelp(c *client, args [][]byte) { writeHelp(c, aclHelpText[:]) }

// setDefaultPassword is CONFIG SET requirepass: the default user's
// password, replicated (Redis's ACLUpdateDefaultUserPassword). CONFIG GET
// requirepass still shows what this node was given. On failure it has
// written the error.
func (s *Server) setDefaultPassword(c *client, pass string) bool {
	ops := [][]byte{[]byte("resetpass"), []byte("nopass")}
	if pass != "" {
		ops[1] = []byte(">" + pass)
	}
	cur, _ := s.store.ACLUser("default")
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	r, ok := s.replicate(ctx, c, fsm.NewACLSetUser([]byte("default"), cur.Ops(), hashOps(ops), s.cfg.Clock()).AppendBinary(nil))
	if ok && r.IsError() {
		c.w.err(string(r.Bytes))
		return false
	}
	return ok
}

// aclSyntax is Redis's addReplySubcommandSyntaxError, which ACL answers
// for a subcommand given too many arguments.
func aclSyntax(c *client, args [][]byte) {
	c.w.err("ERR unknown subcommand or wrong number of arguments for '" + string(cString(args[1], 128)) +
		"'. Try ACL HELP.")
}

// aclBarrier waits, as a read does, until this node has applied every ACL
// change acknowledged anywhere, so that a user made on another node a
// moment ago logs in here. If the barrier fails (no leader), the node's
// own state answers once it has synced (syncACL): logging in should not
// need a quorum. It returns the barrier's error.
func (s *Server) aclBarrier(c *client) error {
	ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
	defer cancel()
	if err := s.cluster.LinearizableRead(ctx); err != nil {
		s.log.Debug("resp: acl read barrier failed", "remote", c.addr, "err", err)
		return err
	}
	s.acl.synced.Store(true)
	return nil
}

// connectAuthed reports whether a new connection starts authenticated,
// as Redis's: when the default user needs no password. A node that has
// just started or joined may not have applied its log yet, and would take
// a password set since for none: its state is trusted only once synced.
// The wait here is short: a connection is accepted before any request
// says how long its client will wait, and a node without quorum would
// hold every new client past its dial timeout. The connection's first
// command waits again, as long as that command may (authRefusal).
func (s *Server) connectAuthed() bool {
	return s.syncACL(min(s.cfg.Timeout, connectBarrierWait)) == nil && !s.defaultNeedsAuth()
}

// syncACL returns nil once this node's ACL state is at least the
// cluster's as of some moment since the node started (aclFront.synced),
// trying one read barrier of at most wait if not yet, and that barrier's
// error if it fails. Until then a client without credentials is refused
// (fail closed): a node catching up would otherwise let anyone in under a
// password the cluster has since set.
func (s *Server) syncACL(wait time.Duration) error {
	if s.acl.synced.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.base, wait)
	err := s.cluster.LinearizableRead(ctx)
	cancel()
	if err != nil {
		return err
	}
	s.acl.synced.Store(true)
	return nil
}

// execACL checks a queued data command again at EXEC, as Redis's
// execCommand, in case the user's permissions changed since it was
// queued, and returns the error it then replies in its place, or "".
func (s *Server) execACL(c *client, sp *cmdSpec, args [][]byte) string {
	name := c.userName()
	p := s.perms(name)
	if p == nil || p.open {
		return ""
	}
	reason, obj := p.check(sp, args, commandKeys(sp, args))
	why := ""
	switch reason {
	case aclOK:
		return ""
	case aclDeniedCmd:
		obj, why = []byte(sp.name), "no permission to execute the command or subcommand"
	case aclDeniedKey:
		why = "no permission to touch the specified keys"
	default:
		why = "no permission to access one of the channels used as arguments"
	}
	s.aclLog(c, reason, "multi", string(obj), name)
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. " +
		"This command is no longer allowed for the following reason: " + why
}

// scriptACL is the Store's fsm.ScriptACL: aclPerms.check, for the commands
// scripts call, which run inside Apply on every node. It is a pure
// function of the user and the command table; the compiled users it
// keeps are a cache.
type scriptACL struct {
	cmds    *commandTable
	catalog *aclCatalog

	mu sync.Mutex
	// compiled by user name, each for the *acl.User it was compiled
	// from (the Store's, which it never changes in place).
	compiled map[string]*aclPerms
}

func newScriptACL(cmds *commandTable, cat *aclCatalog) *scriptACL {
	return &scriptACL{cmds: cmds, catalog: cat, compiled: map[string]*aclPerms{}}
}

// spec is argv's command or subcommand, nil if the table has none.
func (a *scriptACL) spec(argv [][]byte) *cmdSpec {
	sp := a.cmds.lookup(argv[0])
	if sp != nil && sp.subs != nil {
		if len(argv) < 2 {
			return nil
		}
		sp = sp.subs[lowerASCII(argv[1])]
	}
	return sp
}

func (a *scriptACL) perms(u *acl.User) *aclPerms {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.compiled[u.Name]
	if p == nil || p.user != u {
		p = a.catalog.compile(u)
		a.compiled[u.Name] = p
	}
	return p
}

// Check implements fsm.ScriptACL. A command the table does not know is
// refused: what is not described cannot be allowed.
func (a *scriptACL) Check(u *acl.User, argv, keys [][]byte) (fsm.ACLReason, []byte) {
	sp := a.spec(argv)
	if sp == nil {
		return fsm.ACLDeniedCommand, nil
	}
	reason, obj := a.perms(u).check(sp, argv, keys)
	return fsm.ACLReason(reason), obj
}

// Name implements fsm.ScriptACL.
func (a *scriptACL) Name(argv [][]byte) string {
	if sp := a.spec(argv); sp != nil {
		return sp.name
	}
	return lowerASCII(argv[0])
}

// deniedLog holds the ACL refusals of recent entries' scripts, by log
// index, for the node that proposed each entry to add to its ACL LOG
// (see logDenials). Every node records them; the records of entries
// proposed elsewhere, which nobody takes, are dropped once deniedLogSize
// newer entries have had some.
type deniedLog struct {
	// held counts byIdx's records, so that the writes of a cluster
	// whose scripts are never refused take no lock.
	held  atomic.Int64
	mu    sync.Mutex
	byIdx map[uint64][]fsm.ACLDenial
	ring  [deniedLogSize]uint64
	next  int
}

const deniedLogSize = 1024

func (l *deniedLog) add(index uint64, d []fsm.ACLDenial) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byIdx == nil {
		l.byIdx = map[uint64][]fsm.ACLDenial{}
	}
	if _, ok := l.byIdx[index]; ok {
		// An entry applied again (a restart replays the log after the
		// snapshot): the same refusals, already held.
		return
	}
	if old := l.ring[l.next]; old != 0 {
		if _, ok := l.byIdx[old]; ok {
			delete(l.byIdx, old)
			l.held.Add(-1)
		}
	}
	l.ring[l.next] = index
	l.next = (l.next + 1) % deniedLogSize
	// The strings are the Store's copies; the slice is reused by Apply.
	l.byIdx[index] = slices.Clone(d)
	l.held.Add(1)
}

func (l *deniedLog) take(index uint64) []fsm.ACLDenial {
	if l.held.Load() == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byIdx[index]
	if ok {
		delete(l.byIdx, index)
		l.held.Add(-1)
	}
	return d
}

// logDenials adds the refusals of the scripts of c's entry at index to
// this node's ACL LOG, as Redis's scriptVerifyACL does.
func (s *Server) logDenials(c *client, index uint64) {
	s.logScriptDenials(c, s.acl.denied.take(index))
}

func (s *Server) logScriptDenials(c *client, ds []fsm.ACLDenial) {
	for _, d := range ds {
		s.aclLog(c, int(d.Reason), d.Context, d.Object, d.User)
	}
}
