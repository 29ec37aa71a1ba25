package main

import (
	"fmt"
	"sort"

	"github.com/anishathalye/porcupine"
)

// opKind is the kind of a client operation.
type opKind uint8

const (
	opGet      opKind = iota
	opSet             // SET k v
	opIncr            // INCR k
	opMulti           // MULTI; SET k v; INCR k; EXEC
	opReadIncr        // MULTI; GET k; INCR k; EXEC
	opAdd             // HSET k e 1: adds the unique element e to the set k (not a register)
	opCAS             // EVAL casScript k old val: compare-and-set (-workload script)
	opPairSet         // EVAL pairWriteScript k:a k:b val: both keys of pair k at once
	opPairMGet        // MGET k:a k:b: a read of pair k
	opPairEval        // EVAL pairReadScript k:a k:b: a read of pair k
	numOpKinds
)

func (k opKind) String() string {
	return [...]string{"get", "set", "incr", "multi", "getincr", "add", "cas", "pairset", "mget", "pairget"}[k]
}

// isMulti reports whether the kind is a transaction.
func (k opKind) isMulti() bool { return k == opMulti || k == opReadIncr }

func (k opKind) isWrite() bool { return k != opGet && !k.isPairRead() }

// status is how an operation ended.
type status uint8

const (
	statusOK      status = iota // a reply the model can check
	statusFail                  // definitely did not happen
	statusUnknown               // may or may not have happened
)

func (s status) String() string {
	return [...]string{"ok", "failed", "unknown"}[s]
}

// input is an operation as called.
type input struct {
	kind opKind
	key  string
	val  int64  // the value SET (set, multi, cas, pairset)
	old  int64  // cas: the value expected
	elem string // add: the element added
}

// output is an operation's outcome as the model sees it.
type output struct {
	unknown bool  // a write whose outcome is unknown: no reply to check
	exists  bool  // get, getincr: the key existed
	val     int64 // get, getincr: the value read; incr, multi: INCR's reply
	incr    int64 // getincr: INCR's reply
	swapped bool  // cas: it set the key (else exists and val are what it found)
	// torn is a pair read whose second key differed from the first
	// (exists and val): exists2 and val2.
	torn    bool
	exists2 bool
	val2    int64
}

// register is the state of one key: absent, or an integer.
type register struct {
	exists bool
	val    int64
}

// step is the sequential specification of one key. Every value the
// checker writes is an integer, so INCR never fails.
func step(st register, in input, out output) (bool, register) {
	if in.kind.isScript() {
		return stepScript(st, in, out)
	}
	switch in.kind {
	case opGet:
		return out.exists == st.exists && (!st.exists || out.val == st.val), st
	case opSet:
		return true, register{exists: true, val: in.val}
	case opIncr:
		next := register{exists: true, val: st.val + 1}
		if !st.exists {
			next.val = 1
		}
		return out.unknown || out.val == next.val, next
	case opMulti:
		next := register{exists: true, val: in.val + 1}
		return out.unknown || out.val == next.val, next
	case opReadIncr:
		next := register{exists: true, val: st.val + 1}
		if out.unknown {
			return true, next
		}
		read := out.exists == st.exists && (!st.exists || out.val == st.val)
		return read && out.incr == next.val, next
	}
	return false, st
}

// registerModel is a register per key, partitioned by key: the history is
// linearizable if and only if every key's sub-history is.
func registerModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			byKey := make(map[string][]porcupine.Operation)
			for _, op := range h {
				k := op.Input.(input).key
				byKey[k] = append(byKey[k], op)
			}
			keys := make([]string, 0, len(byKey))
			for k := range byKey {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := make([][]porcupine.Operation, 0, len(keys))
			for _, k := range keys {
				out = append(out, byKey[k])
			}
			return out
		},
		Init: func() any { return register{} },
		Step: func(st, in, out any) (bool, any) {
			return step(st.(register), in.(input), out.(output))
		},
		Equal: func(a, b any) bool { return a.(register) == b.(register) },
		DescribeOperation: func(in, out any) string {
			return describeOp(in.(input), out.(output))
		},
		DescribeState: func(st any) string {
			r := st.(register)
			if !r.exists {
				return "nil"
			}
			return fmt.Sprint(r.val)
		},
	}
}

func describeOp(in input, out output) string {
	if in.kind.isScript() {
		return describeScript(in, out)
	}
	res := "?"
	switch {
	case out.unknown:
	case in.kind == opGet && !out.exists:
		res = "nil"
	case in.kind == opSet || in.kind == opAdd:
		res = "OK"
	default:
		res = fmt.Sprint(out.val)
	}
	switch in.kind {
	case opGet:
		return fmt.Sprintf("GET %s -> %s", in.key, res)
	case opSet:
		return fmt.Sprintf("SET %s %d -> %s", in.key, in.val, res)
	case opIncr:
		return fmt.Sprintf("INCR %s -> %s", in.key, res)
	case opAdd:
		return fmt.Sprintf("HSET %s %s 1 -> %s", in.key, in.elem, res)
	case opReadIncr:
		switch {
		case out.unknown:
		case !out.exists:
			res = fmt.Sprintf("nil, %d", out.incr)
		default:
			res = fmt.Sprintf("%d, %d", out.val, out.incr)
		}
		return fmt.Sprintf("MULTI GET %s; INCR -> %s", in.key, res)
	default:
		return fmt.Sprintf("MULTI SET %s %d; INCR -> %s", in.key, in.val, res)
	}
}
