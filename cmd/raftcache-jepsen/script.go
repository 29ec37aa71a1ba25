package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// workloadScript names the script workload (-workload script): the
// register workload with Lua scripts mixed in, so that their results are
// checked by the same porcupine model, restart reads and final reads as
// the plain commands they run alongside, on the same registers.
//
// It is a workload of its own rather than a flag on the register one so
// that the register workload's mix (and what its measured runs showed)
// stays as it was, and so that WORKLOAD=all runs it as one more entry.
const workloadScript = "script"

// casScript sets KEYS[1] to ARGV[2] if it holds ARGV[1] and returns 1;
// otherwise it returns what the key holds (nil when absent), so that a
// failed compare-and-set is also a read the model checks. The integer 1
// and a bulk string "1" (a key INCRed from absent) differ in RESP type.
const casScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return redis.call('GET', KEYS[1])`

// pairWriteScript sets both keys of a pair to the same value in one
// script: a read that sees them differ saw the script half applied.
const pairWriteScript = `redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
return 1`

// pairReadScript reads both keys of a pair in one script; an absent key
// (false in Lua) comes back as a nil element.
const pairReadScript = `return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}`

// pairSuffix marks the name of a pair: the virtual register the model
// checks, whose two real keys are name+":a" and name+":b".
const pairSuffix = ":pair"

func pairOf(key string) string      { return key + pairSuffix }
func isPair(key string) bool        { return strings.HasSuffix(key, pairSuffix) }
func pairKeys(pair string) []string { return []string{pair + ":a", pair + ":b"} }

// isScript reports whether the kind belongs to the script workload.
func (k opKind) isScript() bool { return k >= opCAS && k <= opPairEval }

// isPairRead reports whether the kind reads a pair.
func (k opKind) isPairRead() bool { return k == opPairMGet || k == opPairEval }

// pickScriptKind is pickKind for -workload script: a third of the
// operations are on pairs, a sixth are compare-and-sets, and the rest
// the register workload's, less often each.
func (w *workload) pickScriptKind(rng *rand.Rand) opKind {
	n := rng.IntN(100)
	switch {
	case n < 6:
		return opAdd
	case n < 24:
		return opGet
	case n < 32:
		return opSet
	case n < 50:
		return opCAS
	case n < 56:
		return opIncr
	case n < 68:
		return opPairSet
	case n < 78:
		return opPairMGet
	case n < 88:
		return opPairEval
	case w.multi && n < 94:
		return opMulti
	case w.multi:
		return opReadIncr
	default:
		return opIncr
	}
}

// noteSeen records the value an operation found or left in its register,
// for a later compare-and-set to expect (one that found it changed is a
// checked read all the same).
func (w *workload) noteSeen(rec record) {
	if rec.st != statusOK || isPair(rec.in.key) || rec.in.kind == opAdd {
		return
	}
	v, ok := int64(0), true
	switch {
	case rec.in.kind == opSet || rec.in.kind == opCAS && rec.out.swapped:
		v = rec.in.val
	case rec.in.kind == opGet || rec.in.kind == opCAS:
		v, ok = rec.out.val, rec.out.exists
	case rec.in.kind == opReadIncr:
		v = rec.out.incr
	default: // INCR, MULTI: INCR's reply
		v = rec.out.val
	}
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastSeen == nil {
		w.lastSeen = make(map[string]int64)
	}
	w.lastSeen[rec.in.key] = v
}

// expected is what a compare-and-set on key expects: the value last seen
// there, or 0 (which the key never holds after a SET: SETs write
// multiples of 1000 from 1000 on) when none was.
func (w *workload) expected(key string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSeen[key]
}

// scriptCommands is commands for the script kinds.
func scriptCommands(in input) [][]string {
	v := strconv.FormatInt(in.val, 10)
	switch in.kind {
	case opCAS:
		return [][]string{{"EVAL", casScript, "1", in.key, strconv.FormatInt(in.old, 10), v}}
	case opPairSet:
		ks := pairKeys(in.key)
		return [][]string{{"EVAL", pairWriteScript, "2", ks[0], ks[1], v}}
	case opPairMGet:
		return [][]string{append([]string{"MGET"}, pairKeys(in.key)...)}
	default: // opPairEval
		ks := pairKeys(in.key)
		return [][]string{{"EVAL", pairReadScript, "2", ks[0], ks[1]}}
	}
}

// interpretScript is interpret for the script kinds, once the reply is
// known not to be an error. A pair read whose two values differ is kept
// as a definite, torn outcome: the model rejects it wherever it is.
func (w *workload) interpretScript(in input, last reply) (status, output, string) {
	unexpected := func(what string) (status, output, string) {
		w.odd("%s: %s", describeOp(in, output{unknown: true}), what)
		if in.kind.isWrite() {
			return statusUnknown, output{unknown: true}, what
		}
		return statusOK, output{exists: true, val: math.MinInt64}, what
	}
	switch in.kind {
	case opCAS:
		switch {
		case last.kind == ':' && last.num == 1:
			return statusOK, output{swapped: true}, ""
		case last.kind == '$' && last.null:
			return statusOK, output{}, ""
		case last.kind == '$':
			v, err := strconv.ParseInt(last.str, 10, 64)
			if err != nil {
				return unexpected("not an integer: " + last.String())
			}
			return statusOK, output{exists: true, val: v}, ""
		}
	case opPairSet:
		if last.kind == ':' && last.num == 1 {
			return statusOK, output{}, ""
		}
	case opPairMGet, opPairEval:
		if last.kind != '*' || last.null || len(last.elems) != 2 {
			break
		}
		var vals [2]register
		for i, e := range last.elems {
			if e.kind != '$' {
				return unexpected("unexpected reply " + last.String())
			}
			if e.null {
				continue
			}
			v, err := strconv.ParseInt(e.str, 10, 64)
			if err != nil {
				return unexpected("not an integer: " + last.String())
			}
			vals[i] = register{exists: true, val: v}
		}
		out := output{exists: vals[0].exists, val: vals[0].val}
		if vals[0] != vals[1] {
			out.torn, out.exists2, out.val2 = true, vals[1].exists, vals[1].val
			return statusOK, out, "torn pair"
		}
		return statusOK, out, ""
	}
	return unexpected("unexpected reply " + last.String())
}

// stepScript is step for the script kinds. A pair is one register: its
// write a SET, its reads GETs, and a torn read is never legal.
func stepScript(st register, in input, out output) (bool, register) {
	switch in.kind {
	case opCAS:
		match := st.exists && st.val == in.old
		next := st
		if match {
			next = register{exists: true, val: in.val}
		}
		switch {
		case out.unknown:
			return true, next
		case out.swapped:
			return match, next
		}
		return !match && out.exists == st.exists && (!st.exists || out.val == st.val), st
	case opPairSet:
		return true, register{exists: true, val: in.val}
	default: // opPairMGet, opPairEval
		return !out.torn && out.exists == st.exists && (!st.exists || out.val == st.val), st
	}
}

// describeScript is describeOp for the script kinds.
func describeScript(in input, out output) string {
	show := func(exists bool, v int64) string {
		if !exists {
			return "nil"
		}
		return fmt.Sprint(v)
	}
	res := "?"
	switch {
	case out.unknown:
	case in.kind == opCAS && out.swapped:
		res = "1"
	case in.kind == opPairSet:
		res = "1"
	case in.kind.isPairRead():
		res = show(out.exists, out.val) + ", " + show(out.exists, out.val)
		if out.torn {
			res = show(out.exists, out.val) + ", " + show(out.exists2, out.val2) + " (TORN)"
		}
	default:
		res = show(out.exists, out.val)
	}
	ks := pairKeys(in.key)
	switch in.kind {
	case opCAS:
		return fmt.Sprintf("EVAL cas %s %d %d -> %s", in.key, in.old, in.val, res)
	case opPairSet:
		return fmt.Sprintf("EVAL set-pair %s %s %d -> %s", ks[0], ks[1], in.val, res)
	case opPairMGet:
		return fmt.Sprintf("MGET %s %s -> %s", ks[0], ks[1], res)
	default:
		return fmt.Sprintf("EVAL get-pair %s %s -> %s", ks[0], ks[1], res)
	}
}

// scriptStats is what the script operations did, beyond ok/failed/unknown.
type scriptStats struct {
	swapped, mismatched int      // successful compare-and-sets that set, that found another value
	pairReads           int      // successful pair reads
	torn                int      // of which saw the two keys differ
	tornExamples        []string // the first few
}

// countScripts counts what the records' script operations did.
func countScripts(recs []record) scriptStats {
	var s scriptStats
	for _, r := range recs {
		if r.st != statusOK {
			continue
		}
		switch {
		case r.in.kind == opCAS && r.out.swapped:
			s.swapped++
		case r.in.kind == opCAS:
			s.mismatched++
		case r.in.kind.isPairRead():
			s.pairReads++
			if r.out.torn {
				s.torn++
				if len(s.tornExamples) < 5 {
					s.tornExamples = append(s.tornExamples, fmt.Sprintf("%s at %.3fs on n%d", describeOp(r.in, r.out), float64(r.call)/1e9, r.node))
				}
			}
		}
	}
	return s
}

// problems is what fails a run in these numbers: any torn read, and a
// script workload in which no compare-and-set ever set or no pair was
// read proves less than it seems to.
func (s scriptStats) problems(interrupted bool) []string {
	var out []string
	if s.torn > 0 {
		out = append(out, fmt.Sprintf("%d pair reads saw the pair's two keys differ (a multi-key script applied in part), e.g. %s", s.torn, strings.Join(s.tornExamples, "; ")))
	}
	if !interrupted && (s.swapped == 0 || s.mismatched == 0 || s.pairReads == 0) {
		out = append(out, fmt.Sprintf("the script workload proves little: %d compare-and-sets set, %d found another value, %d pair reads succeeded (want some of each)", s.swapped, s.mismatched, s.pairReads))
	}
	return out
}
