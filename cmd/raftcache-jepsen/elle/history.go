// Package elle checks list-append histories for strict serializability
// after Elle's algorithm (Kingsbury and Alvaro, "Elle: Inferring Isolation
// Anomalies from Experimental Observations", VLDB 2020).
//
// A transaction is a list of micro-operations, each an append of a value
// unique to its key, or a read of a key's whole list. Because every value
// is unique and a list only grows, a read names every append before it, in
// order: the longest read of a key gives its version order, and every
// other read must be a prefix of it. From the version orders Check infers
// write-write (ww: the next append to a key), write-read (wr: a read whose
// last element is another's append) and read-write (rw: a read followed by
// the next append it did not see) dependencies, adds real-time order (one
// transaction completed before another was invoked), and looks for cycles:
// Tarjan's strongly connected components, then in each component a short
// cycle of the most severe class (G0: ww only; G1c: ww and wr; G-single:
// exactly one rw; G2: more; each "-realtime" when real-time edges close
// it). It also reports what needs no cycle: G1a (a read of a failed
// transaction's append), G1b (a read whose last element is a
// transaction's non-final append to that key), incompatible orders (two
// reads neither a prefix of the other), duplicated elements, garbage
// (values nobody appended) and lost appends (an acknowledged append
// missing from a read invoked after it completed).
//
// Check is linear in the history's size apart from the cycle search,
// which is bounded by a work budget per component.
//
// # What a workload must record
//
// Every transaction it invoked, including those still running when the
// run ends (as Info): an append that took effect but is missing from the
// history reads as garbage. Fail only when the transaction certainly did
// not take effect (EXEC answered nil, an error before anything was
// queued); anything else unclear (a timeout, a lost connection, an error
// reply whose effect is unknown) is Info, which is always safe, only
// weaker. Reads return whole lists, so keys must rotate (a new key after
// some tens of appends, as the register workload's generations do): the
// work is the total length of all reads.
package elle

import (
	"fmt"
	"strings"
)

// Outcome is what the client learned about a transaction.
type Outcome int

const (
	// OK: committed; its reads are as returned.
	OK Outcome = iota
	// Fail: definitely did not take effect.
	Fail
	// Info: unknown; it may have taken effect at any time after its
	// invocation, or never. Its reads are unknown.
	Info
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Fail:
		return "fail"
	case Info:
		return "info"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Kind is a micro-operation's kind.
type Kind int

const (
	// Append adds Value at the end of Key's list.
	Append Kind = iota
	// Read returns Key's whole list (in List).
	Read
)

// Op is one micro-operation.
type Op struct {
	Kind  Kind
	Key   string
	Value int   // Append's value, unique per key across the history
	List  []int // Read's result (OK transactions only); nil is the empty list
}

func (o Op) String() string {
	if o.Kind == Append {
		return fmt.Sprintf("append(%s, %d)", o.Key, o.Value)
	}
	return fmt.Sprintf("read(%s) = %v", o.Key, o.List)
}

// Txn is one transaction as the client saw it. Invoke and Complete are
// times on one clock (any unit); Complete is ignored for Info.
type Txn struct {
	Process  int
	Invoke   int64
	Complete int64
	Outcome  Outcome
	Ops      []Op
}

func (t Txn) String() string {
	ops := make([]string, len(t.Ops))
	for i, o := range t.Ops {
		ops[i] = o.String()
	}
	return fmt.Sprintf("process %d %s [%s]", t.Process, t.Outcome, strings.Join(ops, ", "))
}

// Anomaly is one finding: its class, the transactions (indices into the
// history) that show it, and a description a person can follow.
type Anomaly struct {
	Kind  string
	Txns  []int
	Cycle []Edge // for cycle classes: the cycle's edges, in order
	Text  string
}

func (a Anomaly) String() string { return a.Kind + ": " + a.Text }

// Result is Check's verdict.
type Result struct {
	Anomalies []Anomaly
	// Counts is the number of anomalies of each kind (including ones
	// beyond the per-kind limit, which Anomalies leaves out).
	Counts map[string]int
	// Txns, Edges: the size of what was checked.
	Txns, Edges int
}

// Valid reports whether no anomaly was found.
func (r Result) Valid() bool { return len(r.Counts) == 0 }

// EdgeKind is the kind of a dependency between two transactions.
type EdgeKind uint8

const (
	WW EdgeKind = 1 << iota
	WR
	RW
	RT // real time: From completed before To was invoked
)

func (k EdgeKind) String() string {
	var s []string
	for _, x := range []struct {
		k EdgeKind
		n string
	}{{WW, "ww"}, {WR, "wr"}, {RW, "rw"}, {RT, "realtime"}} {
		if k&x.k != 0 {
			s = append(s, x.n)
		}
	}
	return strings.Join(s, "+")
}

// Edge is a dependency From -> To (history indices), with why.
type Edge struct {
	From, To int
	Kind     EdgeKind
	Why      string
}
