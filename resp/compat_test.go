package resp

// The differential suite: the same commands go to a real redis-server (the
// oracle) and to raftcache, a single node and a follower of a 3-node
// cluster, in lockstep, and every reply must be what Redis sent, byte for
// byte. The few replies that Redis itself does not fix (key order, the
// time a TTL is read at, a random key, SCAN cursors) have a comparison rule
// in compareReply, each with the reason it is still a real check.
//
// compat_cases_test.go holds the hand-written cases, compat_random_test.go
// the seeded random generator, compat_nodes_test.go the in-process nodes.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// replyValue is one RESP2 or RESP3 reply as read off the wire: its raw
// bytes, which are what the suite compares, and its parts, which the
// comparison rules for unordered or time-dependent replies look into.
type replyValue struct {
	raw   string
	typ   byte   // the RESP type byte: '+', '-', ':', '$', '*', '%', '~', ...
	text  string // a line's payload or a bulk string's body
	null  bool   // $-1, *-1 or RESP3 _
	elems []replyValue
}

func (v replyValue) isError() bool { return v.typ == '-' || v.typ == '!' }

// isArray reports an array-like aggregate (RESP3 sets and pushes included).
func (v replyValue) isArray() bool {
	return !v.null && (v.typ == '*' || v.typ == '~' || v.typ == '>')
}

func (v replyValue) String() string {
	if len(v.raw) > 300 {
		return strconv.Quote(v.raw[:300]) + "..."
	}
	return strconv.Quote(v.raw)
}

// maxReplySize bounds what readReply accepts, so that a corrupt length
// fails the test instead of allocating without bound.
const maxReplySize = 64 << 20

// readReply reads one complete reply of any RESP2 or RESP3 type.
func readReply(r *bufio.Reader) (replyValue, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return replyValue{}, fmt.Errorf("read reply: %w (got %q)", err, line)
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return replyValue{}, fmt.Errorf("malformed reply line %q", line)
	}
	v := replyValue{raw: line, typ: line[0]}
	payload := line[1 : len(line)-2]
	switch v.typ {
	case '+', '-', ':', ',', '#', '(':
		v.text = payload
		return v, nil
	case '_':
		v.null = true
		return v, nil
	case '$', '!', '=', '*', '~', '>', '%':
	default:
		return v, fmt.Errorf("unknown reply type in %q", line)
	}
	n, err := strconv.Atoi(payload)
	if err != nil || n > maxReplySize {
		return v, fmt.Errorf("bad length in reply line %q", line)
	}
	if n < 0 {
		v.null = true
		return v, nil
	}
	switch v.typ {
	case '$', '!', '=':
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return v, fmt.Errorf("read bulk body: %w", err)
		}
		if string(body[n:]) != "\r\n" {
			return v, fmt.Errorf("bulk body of %d bytes not followed by CRLF: %q", n, body)
		}
		v.text = string(body[:n])
		v.raw += string(body)
	default: // aggregates; a map has two replies per entry
		if v.typ == '%' {
			n *= 2
		}
		var raw strings.Builder
		raw.WriteString(line)
		for range n {
			e, err := readReply(r)
			if err != nil {
				return v, err
			}
			raw.WriteString(e.raw)
			v.elems = append(v.elems, e)
		}
		v.raw = raw.String()
	}
	return v, nil
}

// compatConn is one client connection of the suite.
type compatConn struct {
	name string // "redis", "single", "follower": for messages
	c    net.Conn
	r    *bufio.Reader
	w    []byte
}

func dialCompat(t *testing.T, name, addr string) *compatConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s at %s: %v", name, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &compatConn{name: name, c: c, r: bufio.NewReader(c)}
}

// batchTimeout bounds one batch's round trip. Generous: a follower's
// writes wait for Raft, on a loaded machine under the race detector.
const batchTimeout = 30 * time.Second

// send writes cmds as one pipelined burst.
func (cc *compatConn) send(cmds [][]string) error {
	cc.w = cc.w[:0]
	for _, args := range cmds {
		cc.w = append(cc.w, cmd(args...)...)
	}
	_ = cc.c.SetDeadline(time.Now().Add(batchTimeout))
	if _, err := cc.c.Write(cc.w); err != nil {
		return fmt.Errorf("%s: write: %w", cc.name, err)
	}
	return nil
}

func (cc *compatConn) recv() (replyValue, error) {
	v, err := readReply(cc.r)
	if err != nil {
		return v, fmt.Errorf("%s: %w", cc.name, err)
	}
	return v, nil
}

// do sends one command and returns its reply.
func (cc *compatConn) do(args ...string) (replyValue, error) {
	if err := cc.send([][]string{args}); err != nil {
		return replyValue{}, err
	}
	return cc.recv()
}

// session is one client: a connection to Redis and one to each raftcache
// target, which receive the same commands in lockstep.
type session struct {
	t       *testing.T
	redis   *compatConn
	targets []*compatConn
	// The commands queued since MULTI (as Redis answered), to compare
	// EXEC's replies one by one.
	multi  bool
	queued [][]string
}

// compatTarget names a raftcache RESP address under test.
type compatTarget struct{ name, addr string }

// compatTargets starts a single node and a 3-node cluster and returns the
// single node and a follower of the cluster, the two targets the
// differential suite checks. It also returns the follower, so that a test
// can tell afterwards whether it stayed one.
func compatTargets(t *testing.T) ([]compatTarget, *raftNode) {
	t.Helper()
	single := startRaftNodes(t, 1, nodeOptions{})[0]
	f := followers(t, startRaftNodes(t, 3, nodeOptions{}))[0]
	return []compatTarget{
		{name: "single", addr: single.addr},
		{name: "follower", addr: f.addr},
	}, f
}

// newSession connects a client to Redis and to every target, speaking
// RESP2, or RESP3 after a HELLO 3 (whose reply is compared too) when proto
// is 3.
func newSession(t *testing.T, redisAddr string, targets []compatTarget, proto int) *session {
	t.Helper()
	s := &session{t: t, redis: dialCompat(t, "redis", redisAddr)}
	for _, tg := range targets {
		s.targets = append(s.targets, dialCompat(t, tg.name, tg.addr))
	}
	if proto == 3 {
		s.check([]string{"HELLO", "3"})
	}
	return s
}

// mismatch is a reply of a target that differs from Redis's.
type mismatch struct {
	target string
	index  int // in the batch
	args   []string
	why    string
}

func (m mismatch) Error() string {
	return fmt.Sprintf("%s: %s: %s", m.target, formatArgs(m.args), m.why)
}

// run sends cmds to every connection as one pipeline, reads every reply and
// checks each target's replies against Redis's. A command whose check may
// need more round trips (see needsFollowUp) must be the last of its batch,
// so that the state it looks at is the one the command saw.
func (s *session) run(cmds [][]string) []mismatch {
	s.t.Helper()
	for i, args := range cmds[:len(cmds)-1] {
		if needsFollowUp(args) {
			s.t.Fatalf("test bug: %s at %d of a batch of %d; it must end its batch", formatArgs(args), i, len(cmds))
		}
	}
	conns := append([]*compatConn{s.redis}, s.targets...)
	replies := make([][]replyValue, len(conns))
	errs := make([]error, len(conns))
	// The connections are driven concurrently: a follower's pipeline of
	// writes takes a while, and Redis need not wait for it.
	done := make(chan int, len(conns))
	for i, cc := range conns {
		go func() {
			defer func() { done <- i }()
			if errs[i] = cc.send(cmds); errs[i] != nil {
				return
			}
			for range cmds {
				v, err := cc.recv()
				if err != nil {
					errs[i] = err
					return
				}
				replies[i] = append(replies[i], v)
			}
		}()
	}
	for range conns {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		s.t.Fatalf("batch %s: %v", formatBatch(cmds), err)
	}
	var out []mismatch
	for i, args := range cmds {
		for ti, cc := range s.targets {
			if why := s.compareReply(cc, args, replies[0][i], replies[ti+1][i]); why != "" {
				out = append(out, mismatch{target: cc.name, index: i, args: args, why: why})
			}
		}
		s.track(args, replies[0][i])
	}
	return out
}

// track follows the client's transaction state from Redis's replies.
func (s *session) track(args []string, reply replyValue) {
	switch name := commandName(args); {
	case name == "multi" && reply.raw == "+OK\r\n":
		s.multi, s.queued = true, nil
	case name == "exec" || name == "discard" || name == "reset":
		s.multi, s.queued = false, nil
	case s.multi && reply.raw == "+QUEUED\r\n":
		s.queued = append(s.queued, args)
	}
}

// check runs cmds and fails the test on any difference.
func (s *session) check(cmds ...[]string) {
	s.t.Helper()
	for _, m := range s.run(cmds) {
		s.t.Error(m)
	}
}

func formatArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \"'\\") || strconv.Quote(a) != `"`+a+`"` {
			a = strconv.Quote(a)
		}
		b.WriteString(truncate(a))
	}
	return b.String()
}

func formatBatch(cmds [][]string) string {
	parts := make([]string, len(cmds))
	for i, c := range cmds {
		parts[i] = formatArgs(c)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func commandName(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return strings.ToLower(args[0])
}

// needsFollowUp reports commands whose comparison may send more commands
// (to finish a SCAN, to ask Redis about a key): they end their batch.
func needsFollowUp(args []string) bool {
	switch commandName(args) {
	case "scan", "hscan", "randomkey", "hgetall", "hkeys", "hvals", "zscan", "zrandmember":
		return true
	}
	return setNeedsFollowUp(args)
}

// timeSlack is how far apart the same TTL may read on Redis and on a
// target. Each computes a relative deadline from its own clock when it
// applies the command, and a TTL from its clock when it reads it; the two
// run a few milliseconds apart, more on a loaded machine.
const timeSlack = 2 * time.Second

// compareReply checks one reply of a target against Redis's and returns why
// it is wrong, or "". Byte equality is the rule; the exceptions below are
// for replies Redis does not fix itself, and each still fails on a wrong
// reply.
func (s *session) compareReply(cc *compatConn, args []string, want, got replyValue) string {
	if want.raw == got.raw {
		// Equal bytes are right, except that a SCAN reply is only equal by
		// chance when its cursor is not 0: finish the iteration.
		if name := commandName(args); (name == "scan" || name == "hscan" || name == "zscan") && isOpenScan(want) {
			return s.compareScan(cc, args, want, got)
		}
		return ""
	}
	differ := describeDiff(got, want)
	if want.isError() || got.isError() {
		return differ // errors are always exact
	}
	if why, ok := s.compareSetReply(cc, args, want, got); ok {
		return why
	}
	switch name := commandName(args); name {
	case "exec":
		// Each of EXEC's replies follows its own command's rule.
		if !s.multi || !want.isArray() || !got.isArray() || want.typ != got.typ ||
			len(want.elems) != len(s.queued) || len(got.elems) != len(s.queued) {
			return differ
		}
		for i, q := range s.queued {
			if why := s.compareReply(cc, q, want.elems[i], got.elems[i]); why != "" {
				return fmt.Sprintf("reply %d, to %s: %s", i, formatArgs(q), why)
			}
		}
		return ""
	case "hello":
		return compareHello(cc.name, want, got)
	case "memory", "latency":
		if why, ok := compareOps(args, want, got); ok {
			return why
		}
	case "time":
		// Each server reads its own clock.
		if ws, wok := timeReply(want); wok {
			if gs, gok := timeReply(got); gok && got.typ == want.typ && max(ws-gs, gs-ws) <= int64(timeSlack/time.Second) {
				return ""
			}
		}
	case "client":
		if why, ok := compareClient(args, want, got); ok {
			return why
		}
	case "wait":
		// WAIT counts the replicas that have the connection's writes. A
		// standalone Redis has none; a single node has no other member
		// either, but a follower's cluster has two, which may have them.
		if want.raw == ":0\r\n" && got.typ == ':' && (got.text == "0" ||
			(cc.name == "follower" && (got.text == "1" || got.text == "2"))) {
			return ""
		}
	case "keys":
		// Redis lists keys in its hash table's order, which depends on a
		// per-process random seed: no two redis-servers agree. Compare
		// the sets, multiplicity included.
		if sameElems(want, got) {
			return ""
		}
	case "ttl", "pttl", "expiretime", "pexpiretime":
		// A relative deadline is taken from each server's own clock, and
		// a TTL read at each server's own "now" (see timeSlack). -1 and -2
		// and the reply type must still match exactly.
		slack := int64(timeSlack / time.Millisecond)
		if name := commandName(args); name == "ttl" || name == "expiretime" {
			slack /= 1000
		}
		if withinSlack(want, got, slack) {
			return ""
		}
	case "object":
		// OBJECT IDLETIME counts whole seconds of each server's own clock
		// since the key's last access: the same access, applied a few
		// milliseconds apart, reads 0 on one and 1 on the other whenever a
		// second boundary falls between them (see timeSlack). The reply
		// type must still match exactly.
		if len(args) > 1 && strings.EqualFold(args[1], "idletime") &&
			withinSlack(want, got, int64(timeSlack/time.Second)) {
			return ""
		}
	case "randomkey":
		// Redis picks a random key. Right is: nil exactly when Redis has
		// no key, and otherwise a key that Redis has too.
		if !want.null && got.typ == '$' && !got.null {
			if r, err := s.redis.do("EXISTS", got.text); err == nil && r.raw == ":1\r\n" {
				return ""
			}
			return differ + " (a key Redis does not have)"
		}
	case "scan", "hscan", "zscan":
		return s.compareScan(cc, args, want, got)
	case "xadd", "xinfo", "xpending", "xautoclaim":
		if streamTimesMatch(args, want, got) {
			return ""
		}
	case "zrandmember":
		return s.compareZRandMember(args, want, got)
	case "config":
		// Redis lists a pattern's matches in its hash table's order,
		// which differs from run to run: compare the pairs as a set.
		if len(args) > 1 && strings.EqualFold(args[1], "get") && sameConfig(want, got) {
			return ""
		}
	case "hgetall", "hkeys", "hvals":
		// A small hash (a listpack in Redis) keeps insertion order, which
		// raftcache must match exactly. A large one is a hash table in
		// Redis, whose order depends on its random seed: compare as sets
		// (of field-value pairs for HGETALL) only then.
		if s.redisHashIsTable(args[1]) && sameHash(commandName(args), want, got) {
			return ""
		}
	}
	return differ
}

// describeDiff shows two different replies: whole when short, else around
// the first byte where they differ.
func describeDiff(got, want replyValue) string {
	const short = 300
	if len(got.raw) <= short && len(want.raw) <= short {
		return fmt.Sprintf("got %q, want %q", got.raw, want.raw)
	}
	at := 0
	for at < len(got.raw) && at < len(want.raw) && got.raw[at] == want.raw[at] {
		at++
	}
	from := max(0, at-60)
	window := func(s string) string { return s[min(from, len(s)):min(at+100, len(s))] }
	return fmt.Sprintf("replies of %d and %d bytes differ at byte %d: got ...%q..., want ...%q...",
		len(got.raw), len(want.raw), at, window(got.raw), window(want.raw))
}

// compareHello checks HELLO's map (or flat array, in RESP2): the same
// fields in the same order, and the same values but for the connection's
// id (another counter), the version (raftcache names the Redis version it
// is compatible with, not the redis-server's) and the role, which is
// "replica" on a follower.
func compareHello(target string, want, got replyValue) string {
	differ := describeDiff(got, want)
	if want.typ != got.typ || len(want.elems) != len(got.elems) || len(want.elems)%2 != 0 {
		return differ
	}
	for i := 0; i < len(want.elems); i += 2 {
		field, w, g := want.elems[i].text, want.elems[i+1], got.elems[i+1]
		if got.elems[i].raw != want.elems[i].raw {
			return fmt.Sprintf("field %d is %s, want %s", i/2, got.elems[i], want.elems[i])
		}
		ok := g.raw == w.raw
		switch field {
		case "id":
			ok = g.typ == ':' && !strings.HasPrefix(g.text, "-")
		case "version":
			ok = g.typ == w.typ && strings.HasPrefix(g.text, "7.")
		case "role":
			if target == "follower" {
				ok = g.text == "replica" && g.typ == w.typ
			}
		}
		if !ok {
			return fmt.Sprintf("%s is %s, want %s", field, g, w)
		}
	}
	return ""
}

// timeReply returns TIME's seconds if r has its shape: two decimal bulk
// strings, microseconds below a million.
func timeReply(r replyValue) (int64, bool) {
	if !r.isArray() || len(r.elems) != 2 {
		return 0, false
	}
	sec, err1 := strconv.ParseInt(r.elems[0].text, 10, 64)
	usec, err2 := strconv.ParseInt(r.elems[1].text, 10, 64)
	return sec, err1 == nil && err2 == nil && r.elems[0].typ == '$' && r.elems[1].typ == '$' &&
		sec > 0 && usec >= 0 && usec < 1_000_000
}

// compareClient has the rules for CLIENT ID, INFO and LIST, whose replies
// describe the connection: ok is false for the other subcommands.
// CLIENT ID is another counter: any positive integer. CLIENT INFO and
// LIST (only this connection's line of it: other clients of the servers
// differ) must have Redis's fields in Redis's order (raftcache may add
// Redis 7.2's lib-name and lib-ver at the end) and the same values for
// those that describe the client's state rather than the server's.
func compareClient(args []string, want, got replyValue) (why string, ok bool) {
	if len(args) < 2 {
		return "", false
	}
	differ := describeDiff(got, want)
	switch strings.ToLower(args[1]) {
	case "id":
		if got.typ == ':' && want.typ == ':' && !strings.HasPrefix(got.text, "-") && got.text != "0" {
			return "", true
		}
		return differ, true
	case "info", "list":
	default:
		return "", false
	}
	if got.typ != want.typ || got.null || want.null {
		return differ, true
	}
	wf, gf := clientInfoFields(want.text), clientInfoFields(got.text)
	if len(gf) < len(wf) {
		return differ, true
	}
	same := map[string]bool{"name": true, "db": true, "sub": true, "psub": true, "ssub": true,
		"multi": true, "flags": true, "cmd": true, "user": true, "redir": true, "resp": true}
	for i, f := range wf {
		if gf[i][0] != f[0] || (same[f[0]] && gf[i][1] != f[1]) {
			return fmt.Sprintf("field %d is %s=%s, want %s=%s (%s)", i, gf[i][0], gf[i][1], f[0], f[1], differ), true
		}
	}
	for _, f := range gf[len(wf):] {
		if f[0] != "lib-name" && f[0] != "lib-ver" {
			return fmt.Sprintf("extra field %s (%s)", f[0], differ), true
		}
	}
	return "", true
}

// clientInfoFields splits the CLIENT INFO line of the calling connection (in
// CLIENT LIST, the line whose cmd is client|list) into name-value pairs.
func clientInfoFields(text string) [][2]string {
	line := ""
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.Contains(l, " cmd=client|") {
			line = l
		}
	}
	var out [][2]string
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

func isOpenScan(v replyValue) bool {
	return v.isArray() && len(v.elems) == 2 && v.elems[0].text != "0"
}

// sameElems reports whether two array replies hold the same elements in
// any order.
func sameElems(a, b replyValue) bool {
	if !a.isArray() || !b.isArray() || a.typ != b.typ || len(a.elems) != len(b.elems) {
		return false
	}
	return slices.Equal(sortedRaw(a.elems), sortedRaw(b.elems))
}

func sortedRaw(elems []replyValue) []string {
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = e.raw
	}
	slices.Sort(out)
	return out
}

func withinSlack(want, got replyValue, slack int64) bool {
	if want.typ != ':' || got.typ != ':' {
		return false
	}
	w, err1 := strconv.ParseInt(want.text, 10, 64)
	g, err2 := strconv.ParseInt(got.text, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || g < 0 {
		return false // -1 and -2 are exact
	}
	return max(w-g, g-w) <= slack
}

// redisHashIsTable asks Redis whether key is a hash stored as a hash table
// (unordered) rather than a listpack (insertion order), or a sorted set
// stored as a skiplist (whose ZSCAN follows its hash table).
func (s *session) redisHashIsTable(key string) bool {
	r, err := s.redis.do("OBJECT", "ENCODING", key)
	return err == nil && (r.text == "hashtable" || r.text == "skiplist")
}

// sameHash compares HGETALL (pairs), HKEYS or HVALS replies as sets.
func sameHash(name string, a, b replyValue) bool {
	if name != "hgetall" {
		return sameElems(a, b)
	}
	pa, ok1 := pairs(a)
	pb, ok2 := pairs(b)
	return ok1 && ok2 && a.typ == b.typ && slices.Equal(pa, pb)
}

// pairs returns the sorted field-value pairs of a flat array or map reply.
func pairs(v replyValue) ([]string, bool) {
	if v.null || len(v.elems)%2 != 0 {
		return nil, false
	}
	out := make([]string, 0, len(v.elems)/2)
	for i := 0; i < len(v.elems); i += 2 {
		out = append(out, v.elems[i].raw+v.elems[i+1].raw)
	}
	slices.Sort(out)
	return out, true
}

// compareScan checks a SCAN or HSCAN reply. Cursors are the server's own
// business (Redis's walk its hash table in reverse-binary order, raftcache's
// its shards), and so is how much one call returns. What a client can rely
// on, and what is compared: each reply has the right shape, and a full
// iteration from the same start returns the same keys (SCAN) or the same
// field-value pairs (HSCAN). raftcache must also not return a key twice,
// which Redis may do while rehashing (its duplicates are dropped).
func (s *session) compareScan(cc *compatConn, args []string, want, got replyValue) string {
	hscan := commandName(args) == "hscan" || commandName(args) == "zscan"
	cursorAt := 1
	if hscan {
		cursorAt = 2
	}
	if len(args) <= cursorAt || args[cursorAt] != "0" {
		// Only a full iteration has a meaning shared by both servers;
		// the generators start every SCAN at 0.
		return fmt.Sprintf("cannot compare a SCAN that does not start at 0: got %s, want %s", got, want)
	}
	wantAll, err := s.finishScan(s.redis, args, cursorAt, want, true)
	if err != "" {
		return "redis: " + err
	}
	gotAll, err := s.finishScan(cc, args, cursorAt, got, false)
	if err != "" {
		return err
	}
	// A small hash is a listpack in Redis, which HSCAN returns whole and
	// in insertion order in one call: that is exact.
	if hscan && !isOpenScan(want) && !s.redisHashIsTable(args[1]) {
		if want.raw != got.raw {
			return describeDiff(got, want)
		}
		return ""
	}
	slices.Sort(wantAll)
	slices.Sort(gotAll)
	if !slices.Equal(wantAll, gotAll) {
		return fmt.Sprintf("full iteration returned %q, want %q (first reply %s, Redis's %s)",
			gotAll, wantAll, got, want)
	}
	return ""
}

// finishScan follows a SCAN or HSCAN from its first reply to cursor 0 and
// returns every key (or field-value pair) returned on the way.
func (s *session) finishScan(cc *compatConn, args []string, cursorAt int, first replyValue, dedupe bool) ([]string, string) {
	var all []string
	seen := map[string]bool{}
	next := slices.Clone(args)
	r := first
	for calls := 0; ; calls++ {
		if !r.isArray() || len(r.elems) != 2 || r.elems[0].typ != '$' || !r.elems[1].isArray() {
			return nil, fmt.Sprintf("reply %s is not [cursor, array]", r)
		}
		items := r.elems[1].elems
		step := 1
		if name := commandName(args); name == "hscan" || name == "zscan" {
			step = 2
			if len(items)%2 != 0 {
				return nil, fmt.Sprintf("HSCAN reply %s has an odd element count", r)
			}
		}
		for i := 0; i < len(items); i += step {
			item := items[i].raw
			if step == 2 {
				item += items[i+1].raw
			}
			if seen[item] {
				if dedupe {
					continue
				}
				return nil, fmt.Sprintf("%s returned %q twice", formatArgs(args), item)
			}
			seen[item] = true
			all = append(all, item)
		}
		cursor := r.elems[0].text
		if cursor == "0" {
			return all, ""
		}
		if calls > 100000 {
			return nil, "SCAN did not end after 100000 calls"
		}
		next[cursorAt] = cursor
		var err error
		if r, err = cc.do(next...); err != nil {
			s.t.Fatal(err)
		}
	}
}

// parseLine splits a test line as redis-cli does (sdssplitargs: quotes,
// \x00 escapes), so binary arguments read naturally in the cases.
func parseLine(t *testing.T, line string) []string {
	t.Helper()
	argv, ok := splitArgs(nil, []byte(line))
	if !ok || len(argv) == 0 {
		t.Fatalf("test bug: cannot split %q", line)
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = string(a)
	}
	return args
}

func TestReadReply(t *testing.T) {
	for _, tc := range []struct {
		in    string
		typ   byte
		null  bool
		elems int
	}{
		{"+OK\r\n", '+', false, 0},
		{"-ERR x\r\n", '-', false, 0},
		{":-3\r\n", ':', false, 0},
		{"$3\r\na\r\n\r\n", '$', false, 0},
		{"$-1\r\n", '$', true, 0},
		{"*-1\r\n", '*', true, 0},
		{"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", '*', false, 2},
		{"%1\r\n+k\r\n,1.5\r\n", '%', false, 2},
		{"~2\r\n#t\r\n_\r\n", '~', false, 2},
		{"=8\r\ntxt:abcd\r\n", '=', false, 0},
		{"(12345678901234567890\r\n", '(', false, 0},
	} {
		v, err := readReply(bufio.NewReader(strings.NewReader(tc.in + "+next\r\n")))
		if err != nil || v.raw != tc.in || v.typ != tc.typ || v.null != tc.null || len(v.elems) != tc.elems {
			t.Errorf("readReply(%q) = %+v, %v", tc.in, v, err)
		}
	}
	for _, bad := range []string{"", "+OK\n", "?x\r\n", "$5\r\nab\r\n", "$2\r\nabcd", "*2\r\n:1\r\n", "$x\r\n"} {
		if v, err := readReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("readReply(%q) = %+v, want an error", bad, v)
		}
	}
}

// TestCompareRules checks that the relaxed comparisons still fail on wrong
// replies.
func TestCompareRules(t *testing.T) {
	reply := func(s string) replyValue {
		v, err := readReply(bufio.NewReader(strings.NewReader(s)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := &session{t: t}
	for _, tc := range []struct {
		cmd        string
		want, got  string
		acceptable bool
	}{
		{"GET k", "$1\r\na\r\n", "$1\r\na\r\n", true},
		{"GET k", "$1\r\na\r\n", "$1\r\nb\r\n", false},
		{"KEYS *", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", true},
		{"KEYS *", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\na\r\n$1\r\na\r\n", false},
		{"KEYS *", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*1\r\n$1\r\na\r\n", false},
		{"KEYS *", "*0\r\n", "-ERR x\r\n", false},
		{"TTL k", ":100\r\n", ":99\r\n", true},
		{"TTL k", ":100\r\n", ":97\r\n", false},
		{"TTL k", ":-1\r\n", ":0\r\n", false},
		{"TTL k", ":-2\r\n", ":-1\r\n", false},
		{"PTTL k", ":100000\r\n", ":99000\r\n", true},
		{"PTTL k", ":100000\r\n", ":97000\r\n", false},
		{"PTTL k", ":100000\r\n", "$6\r\n100000\r\n", false},
		{"OBJECT IDLETIME k", ":0\r\n", ":1\r\n", true},
		{"OBJECT IDLETIME k", ":0\r\n", ":5\r\n", false},
		{"OBJECT IDLETIME k", "$-1\r\n", ":0\r\n", false},
		{"OBJECT FREQ k", ":0\r\n", ":1\r\n", false},
		{"EXPIRETIME k", ":4102444800\r\n", ":4102444801\r\n", true},
		{"SET k v", "+OK\r\n", "-ERR syntax error\r\n", false},
	} {
		why := s.compareReply(nil, parseLine(t, tc.cmd), reply(tc.want), reply(tc.got))
		if (why == "") != tc.acceptable {
			t.Errorf("%s: want %q, got %q: accepted %v (%s)", tc.cmd, tc.want, tc.got, why == "", why)
		}
	}
}

// nodeConfig are the parameters whose values are the server's own: the
// port and address it listens on, its directory, and save, which the
// test's redis-server is started without. raftcache answers
// cluster-enabled yes, as its INFO's cluster_enabled (it serves the
// CLUSTER commands). CONFIG GET must list them, with any value.
var nodeConfig = map[string]bool{
	"port": true, "bind": true, "dir": true, "save": true, "cluster-enabled": true,
}

// sameConfig compares two CONFIG GET replies as sets of name-value pairs
// (of the same reply type), ignoring the values of nodeConfig's names.
func sameConfig(want, got replyValue) bool {
	strip := func(v replyValue) ([]string, bool) {
		if v.null || len(v.elems)%2 != 0 {
			return nil, false
		}
		out := make([]string, 0, len(v.elems)/2)
		for i := 0; i < len(v.elems); i += 2 {
			name, value := v.elems[i].raw, v.elems[i+1].raw
			if nodeConfig[strings.ToLower(v.elems[i].text)] {
				value = "(node's own)"
			}
			out = append(out, name+value)
		}
		slices.Sort(out)
		return out, true
	}
	pw, ok1 := strip(want)
	pg, ok2 := strip(got)
	return ok1 && ok2 && want.typ == got.typ && slices.Equal(pw, pg)
}
