package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// finalReads reads every key on every member once the cluster has
// settled, adds the reads to the history, and reports the keys on which
// members disagree and the members that did not answer.
func finalReads(ctx context.Context, cl *cluster, h *history, keys []string, firstClient int, timeout time.Duration) (disagree, problems []string) {
	nodes := cl.nodes()
	values := make(map[string][]string, len(keys)) // key -> one value per node
	for i, n := range nodes {
		var c *respConn
		deadline := time.Now().Add(60 * time.Second)
		for _, k := range keys {
			var rec record
			var lastErr error
			for ok := false; !ok; {
				if time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				rec, lastErr = readOnce(&c, h, n, k, timeout)
				ok = lastErr == nil
				if !ok {
					sleepCtx(ctx, 100*time.Millisecond)
				}
			}
			if lastErr != nil {
				problems = append(problems, fmt.Sprintf("%s did not answer GET %s: %v", n, k, lastErr))
				values[k] = append(values[k], "(no answer)")
				continue
			}
			rec.client = firstClient + i
			h.add(rec)
			values[k] = append(values[k], describeOp(rec.in, rec.out))
		}
		if c != nil {
			c.close()
		}
	}
	for _, k := range keys {
		vs := values[k]
		for _, v := range vs[1:] {
			if v != vs[0] {
				var parts []string
				for i, v := range vs {
					parts = append(parts, fmt.Sprintf("%s: %s", nodes[i], v))
				}
				disagree = append(disagree, k+": "+strings.Join(parts, ", "))
				break
			}
		}
	}
	return disagree, problems
}

// readOnce reads key k on n over *c, dialing when *c is nil and closing
// it after a transport error.
func readOnce(c **respConn, h *history, n *node, k string, timeout time.Duration) (record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rec := record{node: n.idx, in: input{kind: opGet, key: k}, call: h.now()}
	if *c == nil {
		rc, err := dialRESP(ctx, n.respAddr)
		if err != nil {
			return rec, err
		}
		*c = rc
	}
	rs, err := (*c).do(ctx, []string{"GET", k})
	rec.ret = h.now()
	if err != nil {
		(*c).close()
		*c = nil
		return rec, err
	}
	if rs[0].isErr() {
		return rec, fmt.Errorf("%s", rs[0].str)
	}
	var w workload
	rec.st, rec.out, rec.detail = w.interpret(rec.in, rs)
	return rec, nil
}

// operations turns the records into porcupine's history: failed
// operations are left out (a failed read tells nothing; a failed write
// did not happen), and writes of unknown outcome never return, so they
// may take effect at any point after their call, or not at all.
func operations(recs []record) []porcupine.Operation {
	var end int64
	for _, r := range recs {
		end = max(end, r.ret)
	}
	var ops []porcupine.Operation
	for _, r := range recs {
		ret := r.ret
		switch r.st {
		case statusFail:
			continue
		case statusUnknown:
			ret = end + 1
		}
		ops = append(ops, porcupine.Operation{
			ClientId: r.client, Input: r.in, Call: r.call, Output: r.out, Return: ret,
			Metadata: fmt.Sprintf("n%d %s %s", r.node, r.st, r.detail),
		})
	}
	return ops
}

// verdict is the linearizability check's outcome.
type verdict struct {
	result  porcupine.CheckResult
	badKeys []string // keys whose sub-history is not linearizable
	vizPath string   // porcupine's visualization, when not linearizable
}

// check runs porcupine over the history, and on a violation writes the
// visualization of the offending keys and their history as text.
func check(recs []record, timeout time.Duration, outDir string) (verdict, error) {
	model := registerModel()
	ops := operations(recs)
	v := verdict{result: porcupine.CheckOperationsTimeout(model, ops, timeout)}
	if v.result == porcupine.Ok {
		return v, nil
	}
	byKey := make(map[string][]porcupine.Operation)
	for _, op := range ops {
		k := op.Input.(input).key
		byKey[k] = append(byKey[k], op)
	}
	var bad []porcupine.Operation
	for k, kops := range byKey {
		if porcupine.CheckOperationsTimeout(model, kops, timeout) != porcupine.Ok {
			v.badKeys = append(v.badKeys, k)
			bad = append(bad, kops...)
		}
	}
	sort.Strings(v.badKeys)
	if err := writeHistory(filepath.Join(outDir, "history.txt"), recs); err != nil {
		return v, err
	}
	if len(bad) == 0 {
		return v, nil
	}
	_, info := porcupine.CheckOperationsVerbose(model, bad, timeout)
	v.vizPath = filepath.Join(outDir, "linearizability.html")
	if err := porcupine.VisualizePath(model, info, v.vizPath); err != nil {
		return v, fmt.Errorf("write visualization: %w", err)
	}
	return v, nil
}

// writeHistory writes every record, in call order, one a line.
func writeHistory(path string, recs []record) error {
	recs = append([]record(nil), recs...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].call < recs[j].call })
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, r := range recs {
		fmt.Fprintln(w, formatRecord(r))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write history: %w", err)
	}
	return f.Close()
}

func formatRecord(r record) string {
	ret := fmt.Sprintf("%.3f", float64(r.ret)/1e9)
	if r.st == statusUnknown {
		ret += "(?)"
	}
	s := fmt.Sprintf("%10.3f %-12s c%-3d n%-3d %-7s %s", float64(r.call)/1e9, ret, r.client, r.node, r.st, describeOp(r.in, r.out))
	if r.detail != "" {
		s += "  # " + r.detail
	}
	return s
}

// excerpt is the history of key k, at most limit lines, ending with its
// final reads.
func excerpt(recs []record, k string, limit int) []string {
	var lines []string
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].call < recs[j].call })
	for _, r := range recs {
		if r.in.key == k && r.st != statusFail {
			lines = append(lines, formatRecord(r))
		}
	}
	if len(lines) > limit {
		lines = append([]string{fmt.Sprintf("... %d earlier operations", len(lines)-limit)}, lines[len(lines)-limit:]...)
	}
	return lines
}
