package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// writeScalingReport prints what the scaling, install and failover phases
// measured, each figure with the command that made it.
func writeScalingReport(w io.Writer, r *results) {
	if len(r.Scaling) > 0 {
		writeScalingTable(w, r.Scaling)
	}
	if r.Install != nil {
		writeInstall(w, r.Install)
	}
	if len(r.Failover) > 0 {
		writeFailover(w, r.Failover)
	}
}

// scalingMatrix is the cells' ops/s of one test, by value size (rows)
// and cluster size (columns), both ascending.
type scalingMatrix struct {
	Sizes, Nodes []int
	RPS          map[[2]int]float64 // [size, nodes]
}

func matrixOf(cells []scalingCell, test string) scalingMatrix {
	m := scalingMatrix{RPS: map[[2]int]float64{}}
	for _, c := range cells {
		if c.Test != test {
			continue
		}
		if !slices.Contains(m.Sizes, c.ValueSize) {
			m.Sizes = append(m.Sizes, c.ValueSize)
		}
		if !slices.Contains(m.Nodes, c.Nodes) {
			m.Nodes = append(m.Nodes, c.Nodes)
		}
		m.RPS[[2]int{c.ValueSize, c.Nodes}] = c.Row.RPS
	}
	slices.Sort(m.Sizes)
	slices.Sort(m.Nodes)
	return m
}

func nodesName(n int) string {
	if n == 1 {
		return "1 node"
	}
	return strconv.Itoa(n) + " nodes"
}

func writeScalingTable(w io.Writer, cells []scalingCell) {
	fmt.Fprintln(w, "scaling: ops/s by value size and cluster size (redis-benchmark -c 50 -P 1, random keys over the cell's keyspace; GET after every key of it was loaded at the cell's size;")
	fmt.Fprintln(w, "  1 node: load on it; clusters: load on a follower, writes forwarded to the leader, GETs linearizable (ReadIndex); a fresh cluster for every value size)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, test := range []string{"SET", "GET"} {
		m := matrixOf(cells, test)
		if len(m.Sizes) == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\tvalue\t", test)
		for _, n := range m.Nodes {
			fmt.Fprintf(tw, "%s\t", nodesName(n))
		}
		fmt.Fprintln(tw)
		for _, size := range m.Sizes {
			fmt.Fprintf(tw, "\t%s\t", sizeName(size))
			for _, n := range m.Nodes {
				cell := "-"
				if rps, ok := m.RPS[[2]int{size, n}]; ok {
					cell = thousands(rps)
				}
				fmt.Fprintf(tw, "%s\t", cell)
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "  each cell: (x 1 node = ops/s over the single node's for the same test and value size; MB/s of values; CPU = every node's user+sys per request)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "nodes\tvalue\ttest\tops/s\tx 1 node\tMB/s\tp50 ms\tp99 ms\tmax ms\tCPU us/op\t  command")
	for _, c := range cells {
		ratio := "-"
		if c.Nodes != 1 {
			if one := matrixOf(cells, c.Test).RPS[[2]int{c.ValueSize, 1}]; one > 0 {
				ratio = fmt.Sprintf("%.2fx", c.Row.RPS/one)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%.1f\t  %s\n", c.Nodes, sizeName(c.ValueSize), c.Test, thousands(c.Row.RPS), ratio,
			c.Row.RPS*float64(c.ValueSize)/1e6, ms(c.Row.P50Ms), ms(c.Row.P99Ms), ms(c.Row.MaxMs), float64(c.CPU)/float64(time.Microsecond), c.Command)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// latencyRows prints windows of a timed load: requests, failures and the
// successful ones' latencies.
func latencyRows(w io.Writer, rows []latencyRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  window\trequests\tfailed\tops/s\tp50 ms\tp99 ms\tmax ms\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", r.name, thousands(float64(r.n)), r.failed, thousands(r.row.RPS), ms(r.row.P50Ms), ms(r.row.P99Ms), ms(r.row.MaxMs))
	}
	tw.Flush()
}

type latencyRow struct {
	name      string
	n, failed int
	row       Row
}

// ratioOf is a/b as "1.23x", "-" without b.
func ratioOf(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// failureLines lists failures by count, then text.
func failureLines(w io.Writer, failures map[string]int) {
	texts := make([]string, 0, len(failures))
	for t := range failures {
		texts = append(texts, t)
	}
	slices.SortFunc(texts, func(a, b string) int {
		if failures[a] != failures[b] {
			return failures[b] - failures[a]
		}
		return strings.Compare(a, b)
	})
	for _, t := range texts {
		fmt.Fprintf(w, "    %d x %s\n", failures[t], t)
	}
}

func writeInstall(w io.Writer, r *installResult) {
	rate := strconv.Itoa(r.Rate) + "/s"
	if r.Rate == 0 {
		rate = "as fast as they go"
	}
	fmt.Fprintf(w, "snapshot install: a 4th member joins a 3-node cluster holding %s keys (loaded in %s, %s keys/s); SETs to a follower at %s on %d connections\n",
		thousands(float64(r.Keys)), seconds(r.LoadTook), thousands(float64(r.Keys)/r.LoadTook.Seconds()), rate, r.Clients)
	fmt.Fprintf(w, "  caught up in %s: from its process's start until its applied index reached %s, the leader's at that start; its log: snapshot at index %s restored at +%s\n",
		seconds(r.CaughtUp), thousands(float64(r.Target)), thousands(float64(r.RestoredIndex)), seconds(r.Restored))
	latencyRows(w, []latencyRow{
		{"before the member (SET)", r.BeforeN, r.BeforeFailed, r.Before},
		{"until it caught up (SET)", r.DuringN, r.DuringFailed, r.During},
	})
	fmt.Fprintf(w, "  write p99 during the install: %s the p99 before (%s vs %s ms)\n", ratioOf(r.During.P99Ms, r.Before.P99Ms), ms(r.During.P99Ms), ms(r.Before.P99Ms))
	if len(r.Failures) > 0 {
		fmt.Fprintln(w, "  failed writes:")
		failureLines(w, r.Failures)
	}
	fmt.Fprintln(w)
}

func writeFailover(w io.Writer, rs []*failoverResult) {
	for _, r := range rs {
		fmt.Fprintf(w, "reads during a leader change (%s): GET of %s loaded keys on %d connections, each reply checked; %s\n",
			r.Mode, thousands(float64(r.Keys)), r.Clients, r.How)
		fmt.Fprintf(w, "  the reading follower named the new leader %s after the change; the change window is the %s from the change, reads in flight in it counted\n",
			seconds(r.Elected), seconds(r.Window))
		latencyRows(w, []latencyRow{
			{"steady (GET)", r.SteadyN, r.SteadyFailed, r.Steady},
			{"until the new leader was known (GET)", r.ElectionN, r.ElectionFailed, r.Election},
			{"around the change (GET)", r.ChangeN, r.ChangeFailed, r.Change},
		})
		fmt.Fprintf(w, "  read p99 around the change: %s the steady p99 (%s vs %s ms); max %s ms\n", ratioOf(r.Change.P99Ms, r.Steady.P99Ms), ms(r.Change.P99Ms), ms(r.Steady.P99Ms), ms(r.Change.MaxMs))
		if len(r.Failures) > 0 {
			fmt.Fprintln(w, "  failed reads (the whole run):")
			failureLines(w, r.Failures)
		}
		fmt.Fprintln(w)
	}
}
