package stream

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/raftcache/raftcache/fsm/internal/redistest"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// This file checks the package against a real redis-server 7.0 (the
// project's oracle): random stream and consumer-group commands go to both,
// and Redis's replies must equal replies built from this package's results.
// Fields that depend on Redis's own clock (idle times) are masked.

type oracle struct {
	*redistest.Conn
	t *testing.T
}

func startOracle(t *testing.T) *oracle { return &oracle{redistest.Start(t), t} }

// do sends a command and returns its reply in the notation of rb.
func (o *oracle) do(args ...string) string {
	o.t.Helper()
	var b strings.Builder
	if err := readReply(bufio.NewReader(bytes.NewReader(o.Raw(args...))), &b); err != nil {
		o.t.Fatalf("read: %v", err)
	}
	return b.String()
}

func readReply(r *bufio.Reader, b *strings.Builder) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+':
		b.WriteString(line[1:])
	case '-':
		b.WriteString("!" + line[1:])
	case ':':
		b.WriteString(line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			b.WriteString("nil")
			return nil
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		b.WriteString(strconv.Quote(string(body[:n])))
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			b.WriteString("nil")
			return nil
		}
		b.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			if err := readReply(r, b); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// rb builds a reply in the notation readReply produces.
type rb struct{ strings.Builder }

func (b *rb) sep() {
	if s := b.String(); len(s) > 0 && s[len(s)-1] != '[' {
		b.WriteByte(' ')
	}
}
func (b *rb) open()        { b.sep(); b.WriteByte('[') }
func (b *rb) close()       { b.WriteByte(']') }
func (b *rb) str(s string) { b.sep(); b.WriteString(strconv.Quote(s)) }
func (b *rb) int(n int64)  { b.sep(); b.WriteString(strconv.FormatInt(n, 10)) }
func (b *rb) nil()         { b.sep(); b.WriteString("nil") }
func (b *rb) raw(s string) { b.sep(); b.WriteString(s) }
func (b *rb) id(id ID)     { b.str(id.String()) }
func (b *rb) err(e error)  { b.sep(); b.WriteString("!" + e.Error()) }
func (b *rb) entry(id ID, fv [][]byte) {
	b.open()
	b.id(id)
	if fv == nil {
		b.nil()
	} else {
		b.open()
		for _, x := range fv {
			b.str(string(x))
		}
		b.close()
	}
	b.close()
}

// maskIdle replaces the values following "idle" keys and the third field of
// XPENDING's extended entries, which come from Redis's clock.
func maskIdle(s string, xpendingExt bool) string {
	f := strings.Fields(s)
	for i := range f {
		if strings.HasPrefix(f[i], `"idle"`) && i+1 < len(f) {
			f[i+1] = "_" + strings.TrimLeft(f[i+1], "0123456789_")
		}
	}
	if xpendingExt {
		// [[id consumer idle count] ...]: the idle is the third token of each entry.
		for i := range f {
			if strings.HasPrefix(f[i], "[") && strings.HasPrefix(strings.TrimLeft(f[i], "["), `"`) && i+2 < len(f) && strings.Count(f[i], "[") >= 1 && !strings.HasSuffix(f[i+1], "]") {
				f[i+2] = "_"
			}
		}
	}
	return strings.Join(f, " ")
}

func TestAgainstRedis(t *testing.T) {
	o := startOracle(t)
	for i, lim := range []Limits{{5, 160}, {3, 0}, {0, 120}, {100, 4096}, {5, 160}, {2, 0}} {
		t.Run(fmt.Sprintf("%d-%d-%d", lim.NodeMaxEntries, lim.NodeMaxBytes, i), func(t *testing.T) {
			o.t = t
			o.do("FLUSHALL")
			o.do("CONFIG", "SET", "stream-node-max-entries", fmt.Sprint(lim.NodeMaxEntries))
			o.do("CONFIG", "SET", "stream-node-max-bytes", fmt.Sprint(lim.NodeMaxBytes))
			// The last run uses realistic millisecond times, for
			// radix-tree-nodes over keys that differ in many bytes.
			base := uint64(0)
			if i == 5 {
				base = 1796301823637
			}
			againstRedis(t, o, lim, base, rand.New(rand.NewPCG(uint64(i), 7)))
		})
	}
}

func againstRedis(t *testing.T, o *oracle, lim Limits, base uint64, rng *rand.Rand) {
	const key = "k"
	s := New()
	o.do("XADD", key, fmt.Sprint(base+1, "-1"), "f", "v")
	s.Add(lim, AddID{ID: ID{base + 1, 1}}, 0, fv("f", "v"))
	gap := 2
	if base > 0 {
		gap = 70000 // jumps of up to a minute
	}
	groups := []string{"g1", "g2", "g3"}
	consumers := []string{"alice", "bob", "carol"}
	randID := func() ID {
		top := s.LastID().Ms + 2 - base
		return ID{base + uint64(rng.IntN(int(min(top, 1000)))), uint64(rng.IntN(3))}
	}
	pickGroup := func() string { return groups[rng.IntN(len(groups))] }
	pickConsumer := func() string { return consumers[rng.IntN(len(consumers))] }
	// pendingID picks an ID from a group's PEL when there is one.
	pendingID := func(g string) ID {
		if gr := s.getGroup(g); gr != nil && gr.pel.Len() > 0 && rng.IntN(4) > 0 {
			return gr.pel.At(rng.IntN(gr.pel.Len())).id
		}
		return randID()
	}
	steps := 6000
	for step := 0; step < steps; step++ {
		switch step % 97 {
		case 30: // a snapshot round trip must answer exactly as before
			d, err := Decode(s.AppendBinary(nil))
			if err != nil {
				t.Fatalf("step %d: Decode: %v", step, err)
			}
			s = d
		case 60, 90: // writes to a clone, or to the original after cloning, must not show
			c := s.Clone()
			if step%97 == 90 {
				s, c = c, s
			}
			scribble(c, lim)
		}
		var args []string
		var want rb
		ext := false
		switch op := rng.IntN(100); {
		case op < 30: // XADD with an optional trim
			args = []string{"XADD", key}
			var tr Trim
			if rng.IntN(4) == 0 {
				tr, args = randTrim(rng, s, lim, args)
			}
			last := s.LastID()
			var idArg string
			switch rng.IntN(4) {
			case 0:
				idArg = fmt.Sprintf("%d-*", last.Ms+uint64(rng.IntN(gap)))
			case 1:
				idArg = fmt.Sprint(last.Ms + uint64(rng.IntN(gap+1)))
			default:
				idArg = fmt.Sprintf("%d-%d", last.Ms+uint64(rng.IntN(gap)), rng.IntN(4))
			}
			args = append(args, idArg)
			var kv [][]byte
			for i := 0; i <= rng.IntN(3); i++ {
				kv = append(kv, []byte(fmt.Sprint("f", rng.IntN(2)*i)), []byte(strings.Repeat("x", rng.IntN(40))))
			}
			for _, x := range kv {
				args = append(args, string(x))
			}
			a, err := ParseAddID([]byte(idArg))
			if err == nil {
				var id ID
				if id, err = s.Add(lim, a, 0, kv); err == nil {
					s.Trim(tr)
					want.id(id)
				}
			}
			if err != nil {
				want.err(err)
			}
		case op < 34: // XDEL
			args = []string{"XDEL", key}
			var ids []ID
			for i := 0; i <= rng.IntN(3); i++ {
				id := randID()
				if s.Len() > 0 && rng.IntN(2) == 0 {
					id, _, _ = s.First()
				}
				ids = append(ids, id)
				args = append(args, id.String())
			}
			want.int(int64(s.Delete(ids...)))
		case op < 38: // XTRIM
			var tr Trim
			tr, args = randTrim(rng, s, lim, []string{"XTRIM", key})
			want.int(s.Trim(tr))
		case op < 44: // XRANGE / XREVRANGE
			bounds := []string{"-", "+", "(" + randID().String(), randID().String(), fmt.Sprint(randID().Ms)}
			a, b := bounds[rng.IntN(len(bounds))], bounds[rng.IntN(len(bounds))]
			rev := rng.IntN(2) == 0
			args = []string{"XRANGE", key, a, b}
			if rev {
				args = []string{"XREVRANGE", key, b, a}
			}
			count := rng.IntN(4)
			if count > 0 {
				args = append(args, "COUNT", fmt.Sprint(count))
			}
			start, err1 := ParseRangeStart([]byte(a))
			end, err2 := ParseRangeEnd([]byte(b))
			switch {
			case err1 != nil:
				want.err(err1)
			case err2 != nil:
				want.err(err2)
			default:
				want.open()
				n := 0
				s.Range(start, end, rev, func(id ID, fv [][]byte) bool {
					want.entry(id, fv)
					n++
					return count == 0 || n < count
				})
				want.close()
			}
		case op < 48: // XGROUP CREATE / SETID
			g := pickGroup()
			sub := "CREATE"
			if rng.IntN(2) == 0 {
				sub = "SETID"
			}
			idArg := "$"
			id := s.LastID()
			if rng.IntN(3) > 0 {
				id = randID()
				idArg = id.String()
				if rng.IntN(5) == 0 {
					id, idArg = ID{}, "0"
				}
			}
			args = []string{"XGROUP", sub, key, g, idArg}
			er := int64(EntriesReadUnknown)
			if rng.IntN(3) == 0 {
				er = int64(rng.IntN(int(s.EntriesAdded()) + 2))
				args = append(args, "ENTRIESREAD", fmt.Sprint(er))
			}
			var err error
			if sub == "CREATE" {
				err = s.CreateGroup(g, id, er)
			} else if err = s.SetGroupID(g, id, er); err != nil {
				err = NoGroupError(key, g)
			}
			if err != nil {
				want.err(err)
			} else {
				want.raw("OK")
			}
		case op < 50: // XGROUP DESTROY / CREATECONSUMER / DELCONSUMER
			g, c := pickGroup(), pickConsumer()
			switch rng.IntN(3) {
			case 0:
				if rng.IntN(3) > 0 {
					continue // keep groups around most of the time
				}
				args = []string{"XGROUP", "DESTROY", key, g}
				want.int(map[bool]int64{true: 1, false: 0}[s.DestroyGroup(g)])
			case 1:
				args = []string{"XGROUP", "CREATECONSUMER", key, g, c}
				if ok, err := s.CreateConsumer(g, c, 0); err != nil {
					want.err(NoGroupError(key, g))
				} else {
					want.int(map[bool]int64{true: 1, false: 0}[ok])
				}
			default:
				args = []string{"XGROUP", "DELCONSUMER", key, g, c}
				if n, err := s.DeleteConsumer(g, c); err != nil {
					want.err(NoGroupError(key, g))
				} else {
					want.int(int64(n))
				}
			}
		case op < 66: // XREADGROUP
			g, c := pickGroup(), pickConsumer()
			args = []string{"XREADGROUP", "GROUP", g, c}
			count := rng.IntN(4)
			if count > 0 {
				args = append(args, "COUNT", fmt.Sprint(count))
			}
			noack := rng.IntN(6) == 0
			if noack {
				args = append(args, "NOACK")
			}
			history := rng.IntN(3) == 0
			after := ID{}
			if history && rng.IntN(2) == 0 {
				after = pendingID(g)
			}
			idArg := ">"
			if history {
				idArg = after.String()
			}
			args = append(args, "STREAMS", key, idArg)
			if !s.HasGroup(g) {
				want.err(fmt.Errorf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", key, g))
				break
			}
			var body rb
			var n int
			if history {
				n, _ = s.ReadHistory(g, c, after, 0, count, func(id ID, fv [][]byte) { body.entry(id, fv) })
			} else {
				n, _ = s.ReadGroup(g, c, 0, count, noack, func(id ID, fv [][]byte) { body.entry(id, fv) })
			}
			if n == 0 && !history {
				want.nil()
			} else {
				want.raw("[[" + strconv.Quote(key) + " [" + body.String() + "]]]")
			}
		case op < 71: // XACK
			g := pickGroup()
			args = []string{"XACK", key, g}
			var ids []ID
			for i := 0; i <= rng.IntN(3); i++ {
				id := pendingID(g)
				ids = append(ids, id)
				args = append(args, id.String())
			}
			want.int(int64(s.Ack(g, ids...)))
		case op < 77: // XPENDING
			g := pickGroup()
			if rng.IntN(2) == 0 {
				args = []string{"XPENDING", key, g}
				sum, err := s.PendingSummary(g)
				if err != nil {
					want.err(fmt.Errorf("NOGROUP No such key '%s' or consumer group '%s'", key, g))
					break
				}
				want.open()
				want.int(int64(sum.Count))
				if sum.Count == 0 {
					want.nil()
					want.nil()
					want.nil()
				} else {
					want.id(sum.Min)
					want.id(sum.Max)
					want.open()
					for _, c := range sum.Consumers {
						want.open()
						want.str(c.Name)
						want.str(fmt.Sprint(c.Count))
						want.close()
					}
					want.close()
				}
				want.close()
				break
			}
			ext = true
			q := PendingQuery{Start: ID{}, End: MaxID, Count: 1 + rng.IntN(5)}
			a, b := "-", "+"
			if rng.IntN(2) == 0 {
				a = randID().String()
				q.Start, _ = ParseRangeStart([]byte(a))
			}
			args = []string{"XPENDING", key, g, a, b, fmt.Sprint(q.Count)}
			if rng.IntN(2) == 0 {
				q.Consumer, q.ByConsumer = pickConsumer(), true
				args = append(args, q.Consumer)
			}
			list, err := s.Pending(g, q)
			if err != nil {
				want.err(fmt.Errorf("NOGROUP No such key '%s' or consumer group '%s'", key, g))
				break
			}
			want.open()
			for _, p := range list {
				want.open()
				want.id(p.ID)
				want.str(p.Consumer)
				want.raw("_")
				want.int(int64(p.DeliveryCount))
				want.close()
			}
			want.close()
		case op < 84: // XCLAIM
			g, c := pickGroup(), pickConsumer()
			args = []string{"XCLAIM", key, g, c, "0"}
			var ids []ID
			for i := 0; i <= rng.IntN(3); i++ {
				id := pendingID(g)
				if rng.IntN(4) == 0 && s.Len() > 0 {
					id, _, _ = s.Last()
				}
				ids = append(ids, id)
				args = append(args, id.String())
			}
			opt := ClaimOptions{RetryCount: -1}
			if rng.IntN(3) == 0 {
				opt.JustID = true
				args = append(args, "JUSTID")
			}
			if rng.IntN(3) == 0 {
				opt.Force = true
				args = append(args, "FORCE")
			}
			if rng.IntN(4) == 0 {
				opt.RetryCount = int64(rng.IntN(5))
				args = append(args, "RETRYCOUNT", fmt.Sprint(opt.RetryCount))
			}
			if rng.IntN(4) == 0 {
				opt.LastID = randID()
				args = append(args, "LASTID", opt.LastID.String())
			}
			claimed, err := s.Claim(g, c, 0, ids, opt)
			if err != nil {
				want.err(fmt.Errorf("NOGROUP No such key '%s' or consumer group '%s'", key, g))
				break
			}
			want.open()
			for _, id := range claimed {
				if opt.JustID {
					want.id(id)
				} else {
					f, _ := s.Get(id)
					want.entry(id, f)
				}
			}
			want.close()
		case op < 88: // XAUTOCLAIM
			g, c := pickGroup(), pickConsumer()
			start := ID{}
			if rng.IntN(2) == 0 {
				start = pendingID(g)
			}
			count := 1 + rng.IntN(4)
			justID := rng.IntN(3) == 0
			args = []string{"XAUTOCLAIM", key, g, c, "0", start.String(), "COUNT", fmt.Sprint(count)}
			if justID {
				args = append(args, "JUSTID")
			}
			claimed, next, deleted, err := s.AutoClaim(g, c, 0, 0, start, count, justID)
			if err != nil {
				want.err(fmt.Errorf("NOGROUP No such key '%s' or consumer group '%s'", key, g))
				break
			}
			want.open()
			want.id(next)
			want.open()
			for _, id := range claimed {
				if justID {
					want.id(id)
				} else {
					f, _ := s.Get(id)
					want.entry(id, f)
				}
			}
			want.close()
			want.open()
			for _, id := range deleted {
				want.id(id)
			}
			want.close()
			want.close()
		case op < 92: // XINFO STREAM
			args = []string{"XINFO", "STREAM", key}
			want.open()
			want.str("length")
			want.int(int64(s.Len()))
			want.str("radix-tree-keys")
			want.int(int64(s.Nodes()))
			want.str("radix-tree-nodes")
			want.int(int64(s.RadixTreeNodes()))
			want.str("last-generated-id")
			want.id(s.LastID())
			want.str("max-deleted-entry-id")
			want.id(s.MaxDeletedID())
			want.str("entries-added")
			want.int(int64(s.EntriesAdded()))
			want.str("recorded-first-entry-id")
			want.id(s.FirstID())
			want.str("groups")
			want.int(int64(s.NumGroups()))
			for _, name := range []string{"first-entry", "last-entry"} {
				want.str(name)
				f := s.First
				if name == "last-entry" {
					f = s.Last
				}
				if id, v, ok := f(); ok {
					want.entry(id, v)
				} else {
					want.nil()
				}
			}
			want.close()
		case op < 96: // XINFO GROUPS
			args = []string{"XINFO", "GROUPS", key}
			want.open()
			s.Groups(func(g GroupInfo) bool {
				want.open()
				want.str("name")
				want.str(g.Name)
				want.str("consumers")
				want.int(int64(g.Consumers))
				want.str("pending")
				want.int(int64(g.Pending))
				want.str("last-delivered-id")
				want.id(g.LastID)
				want.str("entries-read")
				if g.EntriesRead == EntriesReadUnknown {
					want.nil()
				} else {
					want.int(g.EntriesRead)
				}
				want.str("lag")
				if g.LagValid {
					want.int(g.Lag)
				} else {
					want.nil()
				}
				want.close()
				return true
			})
			want.close()
		case op < 98: // XINFO CONSUMERS
			g := pickGroup()
			args = []string{"XINFO", "CONSUMERS", key, g}
			var list rb
			err := s.Consumers(g, func(c ConsumerInfo) bool {
				list.open()
				list.str("name")
				list.str(c.Name)
				list.str("pending")
				list.int(int64(c.Pending))
				list.str("idle")
				list.raw("_")
				list.close()
				return true
			})
			if err != nil {
				want.err(NoGroupError(key, g))
			} else {
				want.raw("[" + list.String() + "]")
			}
		default: // XSETID
			id := ID{s.LastID().Ms + uint64(rng.IntN(3)) - min(s.LastID().Ms, 1), uint64(rng.IntN(3))}
			args = []string{"XSETID", key, id.String()}
			added := int64(-1)
			if rng.IntN(2) == 0 {
				added = int64(s.EntriesAdded()) + int64(rng.IntN(3)) - 1
				args = append(args, "ENTRIESADDED", fmt.Sprint(added))
			}
			var maxDel ID
			if rng.IntN(3) == 0 {
				maxDel = ID{id.Ms - min(id.Ms, uint64(rng.IntN(3))) + uint64(rng.IntN(2)), 0}
				args = append(args, "MAXDELETEDID", maxDel.String())
			}
			var err error
			switch {
			case added < -1 || added == -1 && len(args) > 3 && args[3] == "ENTRIESADDED":
				err = ErrEntriesAddedNegative
			default:
				if err = CheckSetIDArgs(id, maxDel); err == nil {
					err = s.SetID(id, added, maxDel)
				}
			}
			if err != nil {
				want.err(err)
			} else {
				want.raw("OK")
			}
		}
		got := maskIdle(o.do(args...), ext)
		w := maskIdle(want.String(), ext)
		if got != w {
			t.Fatalf("step %d: %q\nredis %s\nhere  %s\nstream %s\nrange %s", step, args, got, w, o.do("XINFO", "STREAM", key), o.do("XRANGE", key, "-", "+"))
		}
	}
}

func randTrim(rng *rand.Rand, s *Stream, lim Limits, args []string) (Trim, []string) {
	tr := Trim{Strategy: TrimMaxLen}
	if rng.IntN(2) == 0 {
		tr.Strategy = TrimMinID
		tr.MinID = ID{s.LastID().Ms - min(s.LastID().Ms, uint64(rng.IntN(30))), 0}
		args = append(args, "MINID")
	} else {
		tr.MaxLen = uint64(rng.IntN(40))
		args = append(args, "MAXLEN")
	}
	switch rng.IntN(3) {
	case 0:
		tr.Approx = true
		args = append(args, "~")
	case 1:
		args = append(args, "=")
	}
	if tr.Strategy == TrimMinID {
		args = append(args, tr.MinID.String())
	} else {
		args = append(args, fmt.Sprint(tr.MaxLen))
	}
	if tr.Approx {
		tr.Limit = DefaultTrimLimit(lim)
		if rng.IntN(2) == 0 {
			tr.Limit = int64(rng.IntN(12))
			args = append(args, "LIMIT", fmt.Sprint(tr.Limit))
		}
	}
	return tr, args
}

// scribble changes everything it can in s.
func scribble(s *Stream, lim Limits) {
	for i := 0; i < 30; i++ {
		s.Add(lim, AddID{Auto: true}, 1<<40, fv("scribble", "x"))
	}
	var names []string
	s.Groups(func(g GroupInfo) bool { names = append(names, g.Name); return true })
	for _, g := range names {
		s.ReadGroup(g, "zed", 5, 0, false, func(ID, [][]byte) {})
		s.Claim(g, "zed", 7, []ID{s.FirstID()}, ClaimOptions{Force: true, RetryCount: 9, LastID: MaxID})
		s.AutoClaim(g, "yan", 9, 0, ID{}, 100, false)
		s.ReadHistory(g, "yan", ID{}, 11, 0, func(ID, [][]byte) {})
		s.SetGroupID(g, ID{3, 3}, 3)
		s.CreateConsumer(g, "alice2", 1)
		s.DeleteConsumer(g, "alice")
		s.Ack(g, s.FirstID())
	}
	s.DestroyGroup("g1")
	s.CreateGroup("g0", ID{}, 0)
	id, _, _ := s.Last()
	s.Delete(s.FirstID(), id)
	s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 3})
	s.SetID(MaxID, 1000, ID{5, 5})
}

// TestParseAgainstRedis sends odd ID arguments to each parsing context and
// compares Redis's verdicts with this package's parsers.
func TestParseAgainstRedis(t *testing.T) {
	o := startOracle(t)
	rng := rand.New(rand.NewPCG(3, 3))
	parts := []string{"", "0", "1", "5", "-", "+", "(", "*", "$", ">", " ", "\t", "007", "18446744073709551615",
		"18446744073709551616", "9223372036854775808", "-0", "+5", "--", "-*", "x", "1.5", "99999999999999999999"}
	gen := func() string {
		var b strings.Builder
		for i := rng.IntN(4); i >= 0; i-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		return b.String()
	}
	s := New()
	o.do("XADD", "p", "1-1", "f", "v")
	s.Add(DefaultLimits(), AddID{ID: ID{1, 1}}, 0, fv("f", "v"))
	o.do("XGROUP", "CREATE", "p", "g", "0")
	s.CreateGroup("g", ID{}, EntriesReadUnknown)
	errOr := func(err error, ok string) string {
		if err != nil {
			return "!" + err.Error()
		}
		return ok
	}
	for i := 0; i < 3000; i++ {
		a, b := gen(), gen()
		// XRANGE: interval parsing; compare only the verdict (an empty
		// range in both is fine, as the stream has one entry).
		start, err1 := ParseRangeStart([]byte(a))
		end, err2 := ParseRangeEnd([]byte(b))
		want := "x"
		switch {
		case err1 != nil:
			want = "!" + err1.Error()
		case err2 != nil:
			want = "!" + err2.Error()
		}
		got := o.do("XRANGE", "p", a, b)
		if !strings.HasPrefix(got, "!") {
			got = "x"
		} else if want == "x" {
			t.Fatalf("XRANGE %q %q: redis %s, here %v..%v", a, b, got, start, end)
		}
		if got != want {
			t.Fatalf("XRANGE %q %q: redis %s, here %s", a, b, got, want)
		}
		// XDEL: strict parsing, no ID deleted (the entry is 1-1; skip it).
		if id, err := ParseStrictID([]byte(a), 0); err != nil || id != (ID{1, 1}) {
			want := errOr(err, "0")
			if got := o.do("XDEL", "p", a); got != want {
				t.Fatalf("XDEL %q: redis %s, here %s", a, got, want)
			}
		}
		// XGROUP SETID: lenient parsing ("-" and "+" allowed, "$" is the last ID).
		if a != "$" {
			id, err := ParseID([]byte(a), 0)
			if got, want := o.do("XGROUP", "SETID", "p", "g", a), errOr(err, "OK"); got != want {
				t.Fatalf("XGROUP SETID %q: redis %s, here %s", a, got, want)
			}
			if err == nil {
				s.SetGroupID("g", id, EntriesReadUnknown)
			}
		}
		// XREAD: strict, with "$"; XREADGROUP with ">".
		for _, group := range []bool{false, true} {
			_, _, err := ParseReadID([]byte(a), group)
			args := []string{"XREAD", "STREAMS", "p", a}
			if group {
				args = []string{"XREADGROUP", "GROUP", "g", "c", "COUNT", "0", "STREAMS", "p", a}
			}
			got := o.do(args...)
			if err != nil || strings.HasPrefix(got, "!") {
				if want := errOr(err, "ok"); got != want {
					t.Fatalf("%q: redis %s, here %s", args, got, want)
				}
			}
		}
		// XADD: the add-ID form, on a stream whose top is 1-1 (a success is
		// undone with XDEL, leaving the top ID to Redis and to s alike).
		aid, err := ParseAddID([]byte(a))
		var id ID
		if err == nil {
			id, err = s.Clone().Add(DefaultLimits(), aid, 0, fv("f", "v"))
		}
		if aid.Auto && err == nil {
			continue // Redis's clock decides
		}
		got = o.do("XADD", "p", a, "f", "v")
		if want := errOr(err, strconv.Quote(id.String())); got != want {
			t.Fatalf("XADD %q: redis %s, here %s", a, got, want)
		}
		if err == nil {
			// Keep the top at 1-1 in both: reset the last ID.
			o.do("XDEL", "p", id.String())
			o.do("XSETID", "p", "1-1")
		}
	}
}
