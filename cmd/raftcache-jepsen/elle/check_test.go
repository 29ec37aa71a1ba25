package elle

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Builders for hand-written histories: times are small integers.
func a(k string, v int) Op     { return Op{Kind: Append, Key: k, Value: v} }
func r(k string, vs ...int) Op { return Op{Kind: Read, Key: k, List: vs} }
func rNone(k string) Op        { return Op{Kind: Read, Key: k} }
func ok(p int, inv, cmp int64, ops ...Op) Txn {
	return Txn{Process: p, Invoke: inv, Complete: cmp, Outcome: OK, Ops: ops}
}
func fail(p int, inv, cmp int64, ops ...Op) Txn {
	return Txn{Process: p, Invoke: inv, Complete: cmp, Outcome: Fail, Ops: ops}
}
func info(p int, inv int64, ops ...Op) Txn {
	return Txn{Process: p, Invoke: inv, Complete: 1 << 62, Outcome: Info, Ops: ops}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name string
		h    []Txn
		want []string // anomaly kinds expected (each at least once); nil: valid
	}{
		{"empty history", nil, nil},
		{"serial appends and reads", []Txn{
			ok(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, a("x", 2), r("x", 1, 2)),
			ok(0, 4, 5, r("x", 1, 2), rNone("y")),
			ok(1, 6, 7, a("y", 1), a("x", 3)),
			ok(0, 8, 9, r("x", 1, 2, 3), r("y", 1)),
		}, nil},
		{"concurrent transactions in either order", []Txn{
			ok(0, 0, 10, a("x", 1)),
			ok(1, 0, 10, a("x", 2)),
			ok(2, 11, 12, r("x", 2, 1)),
		}, nil},
		{"indeterminate appends seen and unseen", []Txn{
			info(0, 0, a("x", 1)),
			info(1, 0, a("x", 2), a("y", 9)),
			ok(2, 5, 6, r("x", 1)),
			ok(3, 7, 8, a("x", 3)),
			ok(2, 9, 10, r("x", 1, 3), rNone("y")),
		}, nil},
		{"an indeterminate append seen late", []Txn{
			ok(0, 0, 1, rNone("x")),
			info(1, 2, a("x", 1)),
			ok(0, 3, 4, rNone("x")),
			ok(0, 50, 51, r("x", 1)),
		}, nil},
		{"failed append never seen", []Txn{
			fail(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, rNone("x")),
		}, nil},
		{"G0 write cycle", []Txn{
			ok(0, 0, 10, a("x", 1), a("y", 2)),
			ok(1, 0, 10, a("x", 2), a("y", 1)),
			ok(2, 11, 12, r("x", 1, 2), r("y", 1, 2)),
		}, []string{"G0"}},
		{"G1a aborted read", []Txn{
			fail(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, r("x", 1)),
		}, []string{"G1a"}},
		{"G1b intermediate read", []Txn{
			ok(0, 0, 10, a("x", 1), a("x", 2)),
			ok(1, 0, 10, r("x", 1)),
		}, []string{"G1b"}},
		{"G1c circular information flow", []Txn{
			ok(0, 0, 10, a("x", 1), r("y", 1)),
			ok(1, 0, 10, a("y", 1), r("x", 1)),
		}, []string{"G1c"}},
		{"G-single read skew", []Txn{
			// T1 sees T0's y but not its x: T1 -rw-> T0 -wr-> T1.
			ok(0, 0, 10, a("x", 1), a("y", 1)),
			ok(1, 0, 10, rNone("x"), r("y", 1)),
			ok(2, 11, 12, r("x", 1)),
		}, []string{"G-single"}},
		{"G2 write skew", []Txn{
			ok(0, 0, 10, rNone("x"), a("y", 1)),
			ok(1, 0, 10, rNone("y"), a("x", 1)),
			ok(2, 11, 12, r("x", 1), r("y", 1)),
		}, []string{"G2"}},
		{"stale read is G-single-realtime", []Txn{
			ok(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, a("x", 2)),
			ok(2, 4, 5, r("x", 1)),
			ok(0, 6, 7, r("x", 1, 2)),
		}, []string{"G-single-realtime", "lost-append"}},
		{"real-time G0", []Txn{
			ok(0, 0, 1, a("x", 2)),
			ok(1, 2, 3, a("x", 1)),
			ok(2, 4, 5, r("x", 1, 2)),
		}, []string{"G0-realtime"}},
		{"lost append", []Txn{
			ok(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, a("x", 2)),
			ok(2, 4, 5, r("x", 2)),
		}, []string{"lost-append"}},
		{"acknowledged append never read", []Txn{
			ok(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, rNone("x")),
		}, []string{"lost-append"}},
		{"incompatible orders", []Txn{
			ok(0, 0, 10, a("x", 1)),
			ok(1, 0, 10, a("x", 2)),
			ok(2, 0, 10, r("x", 1, 2)),
			ok(3, 0, 10, r("x", 2, 1)),
		}, []string{"incompatible-order"}},
		{"duplicated element", []Txn{
			ok(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, r("x", 1, 1)),
		}, []string{"duplicate-elements"}},
		{"garbage read", []Txn{
			ok(0, 0, 1, a("x", 1)),
			ok(1, 2, 3, r("x", 1, 7)),
		}, []string{"garbage-read"}},
		{"internal inconsistency", []Txn{
			ok(0, 0, 1, a("x", 1), rNone("x")),
		}, []string{"internal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Check(tc.h)
			if tc.want == nil {
				if !res.Valid() {
					t.Fatalf("want valid, got %v:\n%s", res.Counts, dump(res))
				}
				return
			}
			for _, k := range tc.want {
				if res.Counts[k] == 0 {
					t.Errorf("want %s, got %v:\n%s", k, res.Counts, dump(res))
				}
			}
			for k := range res.Counts {
				if !slices.Contains(tc.want, k) {
					t.Errorf("unexpected %s:\n%s", k, dump(res))
				}
			}
			for _, an := range res.Anomalies {
				if an.Text == "" || len(an.Txns) == 0 {
					t.Errorf("anomaly %s names nothing", an.Kind)
				}
			}
		})
	}
}

func dump(r Result) string {
	var b strings.Builder
	for _, a := range r.Anomalies {
		b.WriteString(a.String())
		b.WriteString("\n")
	}
	return b.String()
}

// TestCycleReport checks a cycle names its edges and transactions.
func TestCycleReport(t *testing.T) {
	res := Check([]Txn{
		ok(0, 0, 10, a("x", 1), a("y", 1)),
		ok(1, 0, 10, rNone("x"), r("y", 1)),
		ok(2, 11, 12, r("x", 1)),
	})
	if len(res.Anomalies) != 1 {
		t.Fatalf("want one anomaly, got:\n%s", dump(res))
	}
	an := res.Anomalies[0]
	if len(an.Cycle) != 2 || an.Cycle[0].To != an.Cycle[1].From || an.Cycle[1].To != an.Cycle[0].From {
		t.Fatalf("want a 2-cycle, got %+v", an.Cycle)
	}
	for _, want := range []string{"(rw)", "(wr)", "T0", "T1", "read(x) = []"} {
		if !strings.Contains(an.Text, want) {
			t.Errorf("report lacks %q:\n%s", want, an.Text)
		}
	}
}

// serialHistory simulates clients whose transactions take effect
// atomically at one moment between their invocation and completion; some
// fail before taking effect, some end unknown (having taken effect or
// not). Its history is strictly serializable by construction.
// After perKey appends to a key, its slot moves to a fresh key, as the
// workload's generations do, which keeps reads short.
func serialHistory(rng *rand.Rand, procs, n, keys, perKey int) []Txn {
	state := map[string][]int{}
	next := map[string]int{}
	gen := make([]int, keys)
	type pending struct {
		txn     Txn
		applied bool
	}
	cur := make([]*pending, procs)
	var h []Txn
	now := int64(0)
	for len(h) < n {
		now++
		p := rng.IntN(procs)
		switch pd := cur[p]; {
		case pd == nil:
			var ops []Op
			for range 1 + rng.IntN(4) {
				slot := rng.IntN(keys)
				k := fmt.Sprintf("%c%d", 'a'+slot, gen[slot])
				if rng.IntN(2) == 0 {
					next[k]++
					if next[k] == perKey {
						gen[slot]++
					}
					ops = append(ops, a(k, next[k]))
				} else {
					ops = append(ops, Op{Kind: Read, Key: k})
				}
			}
			cur[p] = &pending{txn: Txn{Process: p, Invoke: now, Ops: ops}}
		case !pd.applied && rng.IntN(8) == 0: // fails, or is lost unapplied
			pd.txn.Complete = now
			pd.txn.Outcome = Fail
			if rng.IntN(2) == 0 {
				pd.txn.Outcome = Info
			}
			h = append(h, pd.txn)
			cur[p] = nil
		case !pd.applied:
			for i, o := range pd.txn.Ops {
				if o.Kind == Append {
					state[o.Key] = append(state[o.Key], o.Value)
				} else {
					pd.txn.Ops[i].List = append([]int(nil), state[o.Key]...)
				}
			}
			pd.applied = true
		default:
			pd.txn.Complete = now
			pd.txn.Outcome = OK
			if rng.IntN(10) == 0 {
				pd.txn.Outcome = Info
			}
			if pd.txn.Outcome == Info {
				for i := range pd.txn.Ops {
					pd.txn.Ops[i].List = nil
				}
			}
			h = append(h, pd.txn)
			cur[p] = nil
		}
	}
	// Transactions still running are unknown, applied or not.
	for _, pd := range cur {
		if pd != nil {
			pd.txn.Outcome = Info
			for i := range pd.txn.Ops {
				pd.txn.Ops[i].List = nil
			}
			h = append(h, pd.txn)
		}
	}
	return h
}

func TestSerialHistoriesPass(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		h := serialHistory(rng, 1+rng.IntN(6), 200, 1+rng.IntN(4), 1000)
		if res := Check(h); !res.Valid() {
			t.Fatalf("seed %d: a serial history fails: %v\n%s", seed, res.Counts, dump(res))
		}
	}
}

// TestLargeHistory checks a 10-minute run's worth of transactions is
// checked quickly (linear work), and that breaking one read of it is
// caught.
func TestLargeHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	h := serialHistory(rng, 10, 100_000, 8, 64)
	res := Check(h)
	if !res.Valid() {
		t.Fatalf("serial history fails: %v\n%s", res.Counts, dump(res))
	}
	if res.Edges == 0 {
		t.Fatal("no dependencies inferred: the check was vacuous")
	}
	// A stale read: the last read of some key that saw something drops
	// its last element.
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Outcome != OK {
			continue
		}
		for j, o := range h[i].Ops {
			if o.Kind == Read && len(o.List) > 1 && h[i].Invoke > 10 {
				h[i].Ops[j].List = o.List[:len(o.List)-1]
				if res := Check(h); res.Valid() {
					t.Fatalf("a stale read in T%d went unnoticed", i)
				} else {
					t.Logf("stale read in T%d: %v", i, res.Counts)
				}
				return
			}
		}
	}
	t.Fatal("no read to break")
}
