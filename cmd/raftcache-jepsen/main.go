package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
	raftcluster "github.com/raftcache/raftcache/cluster"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftcache-jepsen:", err)
		os.Exit(2)
	}
	// Ctrl-C ends the workload early; the checker still heals, reads and
	// checks.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg, os.Stderr)
	if res != nil {
		res.print(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftcache-jepsen:", err)
		os.Exit(2)
	}
	if !res.ok() {
		os.Exit(1)
	}
}

// config is one run's settings.
type config struct {
	bin          string
	workload     string // workloadRegister or workloadAppend
	duration     time.Duration
	nemeses      []string
	nodes        int
	clients      int
	keys         int
	opsPerKey    int
	seed         uint64
	out          string
	opTimeout    time.Duration // client-side bound on one operation
	srvTimeout   time.Duration // the server's -timeout
	faultEvery   time.Duration // mean quiet time between faults
	faultHold    time.Duration // mean duration of a fault
	think        time.Duration // a client's maximum pause between operations
	checkTimeout time.Duration
	recoverBound time.Duration // how soon members must serve again after a fault is undone
	snapN        uint64        // the nodes' -snapshot_entries (0: the server's default)
	saveDelay    time.Duration // slow disk: each Ready persisted this late (a failpoint)
	clockSkew    time.Duration // each node's clock is off by up to this, either way (a failpoint)
	minOK        int           // fewest successful reads, and writes, for a run to count
	overlap      int           // nemesis workers: faults in progress at once
	keepState    bool
	evictPolicy  string // -workload evict: the maxmemory-policy ("" chooses by seed)
	// clusterDownDefinite trusts CLUSTERDOWN on a write as "did not
	// happen", as package resp promises; see workload.failure.
	clusterDownDefinite bool
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("raftcache-jepsen", flag.ContinueOnError)
	fs.StringVar(&cfg.bin, "bin", "", "raftcache binary to test (required)")
	fs.StringVar(&cfg.workload, "workload", workloadRegister, "what the clients do: "+workloadRegister+" (GET, SET, INCR, small transactions and set adds, checked by porcupine) or "+workloadAppend+" (list-append transactions, checked by elle for strict serializability) or "+workloadQueue+" (producers LPUSH, consumers BRPOP or BLMOVE into a processing list and LREM: every acknowledged element delivered exactly once) or "+workloadStream+" (producers XADD, consumers of one group XREADGROUP and XACK: no entry delivered twice, every acknowledged one delivered, pending or not yet delivered) or "+workloadScript+" (the register workload with compare-and-set EVALs and pairs of keys written by one EVAL and read by MGET and EVAL, checked by porcupine; no read may see a pair torn) or "+workloadPubsub+" (publishers on every node, subscribers on every node: every acknowledged message received once, in one order, after the writes before it) or "+workloadEvict+" (writes past a small maxmemory: nothing outside the policy's reach lost, OOM writes without effect, all nodes holding the same keys)")
	fs.StringVar(&cfg.evictPolicy, "evict_policy", "", "with -workload evict, the maxmemory-policy: one of "+strings.Join(evictPolicies(), ", ")+" (default: chosen by the seed)")
	fs.DurationVar(&cfg.duration, "duration", time.Minute, "how long clients and the nemesis run")
	nem := fs.String("nemesis", "all", "faults: all, none, or a comma list of "+strings.Join(allNemeses(), ","))
	fs.IntVar(&cfg.nodes, "nodes", 3, "cluster size, 1 to 5 (with 1, only kill, torn-wal and pause; with 2, also partition and transfer)")
	fs.IntVar(&cfg.clients, "clients", 8, "concurrent clients")
	fs.IntVar(&cfg.keys, "keys", 4, "keys in use at a time")
	fs.IntVar(&cfg.opsPerKey, "ops_per_key", 250, "operations (with -workload append, micro-operations) per key before the clients move to fresh keys")
	fs.Uint64Var(&cfg.seed, "seed", uint64(time.Now().UnixNano()), "random seed (faults and operations; timing is not reproducible)")
	fs.StringVar(&cfg.out, "out", "", "directory for node logs, the history and the visualization (default: a new temporary directory)")
	fs.DurationVar(&cfg.opTimeout, "op_timeout", 3*time.Second, "client deadline for one operation")
	fs.DurationVar(&cfg.srvTimeout, "server_timeout", 2*time.Second, "the server's -timeout")
	fs.DurationVar(&cfg.faultEvery, "fault_every", 4*time.Second, "mean quiet time between faults")
	fs.DurationVar(&cfg.faultHold, "fault_hold", 4*time.Second, "mean duration of a fault")
	fs.DurationVar(&cfg.think, "think", 5*time.Millisecond, "a client's maximum pause between operations")
	fs.DurationVar(&cfg.checkTimeout, "check_timeout", 5*time.Minute, "bound on the linearizability check")
	fs.DurationVar(&cfg.recoverBound, "recover_bound", 30*time.Second, "after each fault is undone, every member must serve a write within this")
	fs.Uint64Var(&cfg.snapN, "snapshot_entries", 0, "the nodes' -snapshot_entries; small values make snapshots and snapshot installs happen under faults (0: the server's default)")
	fs.DurationVar(&cfg.saveDelay, "save_delay", 0, "slow disk: every node persists each Ready this much later (a failpoint: -bin must be built with -tags failpoints, see cluster/failpoint.go; 0: off)")
	fs.DurationVar(&cfg.clockSkew, "clock_skew", 0, "skewed clocks: each node's clock is off by a random offset within ±this, fixed per node by the seed (a failpoint, as -save_delay; 0: off)")
	fs.IntVar(&cfg.overlap, "overlap", 1, "faults in progress at once (node faults on distinct nodes, one partition at a time; membership and transfer always alone)")
	fs.IntVar(&cfg.minOK, "min_ok", 200, "fewest successful reads, and successful writes, for the run to count")
	fs.BoolVar(&cfg.keepState, "keep_state", false, "keep the nodes' state directories after a clean run")
	fs.BoolVar(&cfg.clusterDownDefinite, "clusterdown_definite", true, "treat CLUSTERDOWN on a write as did-not-happen (the server promises it)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var err error
	if cfg.nemeses, err = parseNemeses(*nem); err != nil {
		return cfg, err
	}
	if cfg.nodes >= 1 && cfg.nodes <= 5 {
		if cfg.nemeses, err = fitNemeses(cfg.nemeses, cfg.nodes, *nem == "all"); err != nil {
			return cfg, err
		}
	}
	switch {
	case cfg.bin == "":
		return cfg, errors.New("-bin is required")
	case cfg.workload != workloadRegister && cfg.workload != workloadAppend && cfg.workload != workloadQueue && cfg.workload != workloadStream && cfg.workload != workloadScript && cfg.workload != workloadPubsub && cfg.workload != workloadEvict:
		return cfg, fmt.Errorf("unknown -workload %q (want %s, %s, %s, %s, %s, %s or %s)", cfg.workload, workloadRegister, workloadAppend, workloadQueue, workloadStream, workloadScript, workloadPubsub, workloadEvict)
	case cfg.evictPolicy != "" && !slices.Contains(evictPolicies(), cfg.evictPolicy):
		return cfg, fmt.Errorf("unknown -evict_policy %q (want one of %s)", cfg.evictPolicy, strings.Join(evictPolicies(), ", "))
	case cfg.nodes < 1 || cfg.nodes > 5:
		return cfg, errors.New("-nodes must be 1 to 5")
	case cfg.clients < 1 || cfg.clients > 64:
		return cfg, errors.New("-clients must be 1 to 64")
	case cfg.keys < 1 || cfg.keys > 100:
		return cfg, errors.New("-keys must be 1 to 100")
	case cfg.opsPerKey < 10 || cfg.opsPerKey > 900:
		// Under 1000, so that INCRs never carry one SET's value into the
		// next's range (see prune).
		return cfg, errors.New("-ops_per_key must be 10 to 900")
	case cfg.duration <= 0 || cfg.duration > 24*time.Hour:
		return cfg, errors.New("-duration must be positive and at most 24h")
	case cfg.overlap < 1 || cfg.overlap > 4:
		return cfg, errors.New("-overlap must be 1 to 4")
	case cfg.saveDelay < 0 || cfg.saveDelay > time.Second:
		return cfg, errors.New("-save_delay must be 0 to 1s")
	case cfg.opTimeout <= cfg.srvTimeout:
		return cfg, errors.New("-op_timeout must exceed -server_timeout, so the server answers first")
	}
	return cfg, nil
}

// result is a run's outcome.
type result struct {
	out      string
	duration time.Duration
	multi    bool
	counts   [numOpKinds][3]int // by kind and status
	viaHTTP  [3]int             // of which through the HTTP API, by status
	faults   []string
	skipped  []string // nemeses asked for that this machine cannot inject, and why
	problems []string // anything that fails the run besides the two checks below
	disagree []string
	verdict  verdict
	// appendV is elle's verdict, with -workload append (nil otherwise).
	appendV *appendVerdict
	// queueV is the queue check's verdict, with -workload queue.
	queueV *queueVerdict
	// streamV is the stream check's verdict, with -workload stream.
	streamV *streamVerdict
	// scripts is what the script operations did, with -workload script
	// (nil otherwise).
	scripts *scriptStats
	// pubsubV is the pub/sub check's verdict, with -workload pubsub.
	pubsubV *pubsubVerdict
	// evictV is the eviction check's verdict, with -workload evict.
	evictV   *evictVerdict
	sets     setResult
	final    finalState
	events   serverEvents
	recovery []time.Duration // per fault, until every member served again
	// restartReads counts the reads answered by a node just restarted,
	// sent the moment it served (see readAfterRestart).
	restartReads int
	restarts     int           // restarts of a killed node
	maxReply     time.Duration // slowest answer from a node the nemesis left alone
	excerpt      []string
	excerptKey   string
	seed         uint64
	stateKept    bool
}

func (r *result) ok() bool {
	if len(r.disagree) > 0 || len(r.problems) > 0 {
		return false
	}
	if r.appendV != nil {
		return r.appendV.res.Valid()
	}
	if r.queueV != nil {
		return r.queueV.ok()
	}
	if r.streamV != nil {
		return r.streamV.ok()
	}
	if r.pubsubV != nil {
		return r.pubsubV.ok()
	}
	if r.evictV != nil {
		return r.evictV.ok()
	}
	return r.verdict.result == porcupine.Ok && r.sets.lost == 0
}

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "raftcache-jepsen: %v of workload, seed %d, output in %s\n", r.duration.Round(time.Second), r.seed, r.out)
	if r.appendV != nil {
		r.printAppend(w)
		return
	}
	if r.queueV != nil {
		r.printQueue(w)
		return
	}
	if r.streamV != nil {
		r.printStream(w)
		return
	}
	if r.pubsubV != nil {
		r.printPubsub(w)
		return
	}
	if r.evictV != nil {
		r.printEvict(w)
		return
	}
	fmt.Fprintf(w, "%-8s %8s %8s %8s\n", "op", "ok", "failed", "unknown")
	for k := range numOpKinds {
		if k.isScript() && r.scripts == nil {
			continue
		}
		if k.isMulti() && !r.multi {
			fmt.Fprintf(w, "%-8s (not supported by the server: skipped)\n", k)
			continue
		}
		c := r.counts[k]
		fmt.Fprintf(w, "%-8s %8d %8d %8d\n", k, c[statusOK], c[statusFail], c[statusUnknown])
	}
	fmt.Fprintf(w, "(of the gets and sets, through HTTP: %d ok, %d failed, %d unknown)\n", r.viaHTTP[statusOK], r.viaHTTP[statusFail], r.viaHTTP[statusUnknown])
	if s := r.scripts; s != nil {
		fmt.Fprintf(w, "(of the ok cas: %d set, %d found another value; of the ok pair reads, %d torn)\n", s.swapped, s.mismatched, s.torn)
	}
	r.printCommon(w)
	lin := "yes"
	switch r.verdict.result {
	case porcupine.Illegal:
		lin = "NO (keys " + strings.Join(r.verdict.badKeys, ", ") + ")"
		if v := r.verdict; v.caught > 0 {
			lin += fmt.Sprintf("; first shown by the reads of restart %d of %d, %.3fs into the run (%s)", v.caught, r.restarts, float64(v.caughtAt)/1e9, v.caughtKey)
		}
	case porcupine.Unknown:
		lin = fmt.Sprintf("unknown (the check ran out of time on %d keys: %s)", len(r.verdict.unchecked), strings.Join(r.verdict.unchecked, ", "))
	}
	fmt.Fprintf(w, "linearizable: %s (%d operations on %d keys, with %d final reads on %d members; %d unknown writes nobody observed left out)\n",
		lin, r.verdict.ops, r.verdict.keys, r.final.reads, r.final.nodes, r.verdict.pruned)
	fmt.Fprintf(w, "acknowledged adds: %d, lost %d; unknown-outcome adds: %d, %d present; definitely failed adds present: %d; never-added elements present: %d\n",
		r.sets.acked, r.sets.lost, r.sets.unknown, r.sets.unknownSeen, r.sets.failedSeen, r.sets.invented)
	for _, e := range r.sets.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	r.printAgree(w)
	if len(r.excerpt) > 0 {
		fmt.Fprintf(w, "history of %s (call s, return s, client, node, outcome, operation):\n", r.excerptKey)
		for _, l := range r.excerpt {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if r.verdict.vizPath != "" {
		fmt.Fprintf(w, "visualization: %s\n", r.verdict.vizPath)
	}
	r.printEnd(w)
}

// printCommon prints what both workloads report about the run.
func (r *result) printCommon(w io.Writer) {
	fmt.Fprintf(w, "faults injected: %s\n", orNone(r.faults))
	for _, s := range r.skipped {
		fmt.Fprintf(w, "nemesis skipped: %s\n", s)
	}
	fmt.Fprintf(w, "reads answered by a node just restarted, sent at its first election: %d (%d restarts)\n", r.restartReads, r.restarts)
	if len(r.recovery) > 0 {
		s := slices.Sorted(slices.Values(r.recovery))
		fmt.Fprintf(w, "recovery after a fault was undone (every member serving writes): median %v, max %v\n",
			s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
	}
	fmt.Fprintf(w, "slowest answer from a node the nemesis left alone: %v\n", r.maxReply.Round(time.Millisecond))
	fmt.Fprintf(w, "server: %s\n", r.events)
	for _, p := range r.problems {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
}

func (r *result) printAgree(w io.Writer) {
	if len(r.disagree) == 0 {
		fmt.Fprintln(w, "nodes agree: yes")
		return
	}
	fmt.Fprintln(w, "nodes agree: NO")
	for _, d := range r.disagree {
		fmt.Fprintf(w, "  %s\n", d)
	}
}

func (r *result) printEnd(w io.Writer) {
	fmt.Fprintf(w, "history: %s\n", filepath.Join(r.out, "history.txt"))
	if r.stateKept {
		fmt.Fprintf(w, "state dirs kept in %s\n", filepath.Join(r.out, "state"))
	}
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	fmt.Fprintln(w, verdict)
}

// printQueue is print for -workload queue.
func (r *result) printQueue(w io.Writer) {
	v := r.queueV
	fmt.Fprintf(w, "%-8s %8s %8s %8s\n", "op", "ok", "failed", "unknown")
	fmt.Fprintf(w, "%-8s %8d %8d %8d\n", "lpush", v.pushes[statusOK], v.pushes[statusFail], v.pushes[statusUnknown])
	fmt.Fprintf(w, "%-8s %8d %8d %8d\n", "brpop", v.pops[statusOK], v.pops[statusFail], v.pops[statusUnknown])
	fmt.Fprintf(w, "%-8s %8d %8d %8d   (of the ok pops and moves: %d delivered an element, %d found the queues empty)\n", "blmove", v.moves[statusOK], v.moves[statusFail], v.moves[statusUnknown], v.delivered, v.empty)
	fmt.Fprintf(w, "%-8s %8d %8d %8d\n", "lrem", v.lrems[statusOK], v.lrems[statusFail], v.lrems[statusUnknown])
	r.printCommon(w)
	fmt.Fprintf(w, "elements still queued at the end: %d; in processing lists: %d (of which left by a BLMOVE whose reply was lost: %d); acknowledged but nowhere: %d, of which beyond what the %d unknown BRPOPs may have taken (lost): %d\n",
		v.queued, v.processing, v.orphaned, v.missing, v.pops[statusUnknown], v.lost)
	fmt.Fprintf(w, "delivered more than once or in two places: %d; gone from a processing list unremoved: %d; in a processing list unexplained: %d; never pushed: %d; push definitely failed but seen: %d; unknown-outcome pushes seen: %d\n",
		v.duplicated, v.dropped, v.unexplained, v.invented, v.failedSeen, v.unknownSeen)
	for _, e := range v.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	r.printAgree(w)
	r.printEnd(w)
}

// printPubsub is print for -workload pubsub.
func (r *result) printPubsub(w io.Writer) {
	v := r.pubsubV
	fmt.Fprintf(w, "%-8s %8s %8s %8s\n", "op", "ok", "failed", "unknown")
	fmt.Fprintf(w, "%-8s %8d %8d %8d\n", "publish", v.pubs[statusOK], v.pubs[statusFail], v.pubs[statusUnknown])
	r.printCommon(w)
	fmt.Fprintf(w, "subscriber sessions: %d, of which stayed connected to the end: %d; messages received: %d (markers not read: %d)\n",
		v.sessions, v.complete, v.received, v.unchecked)
	fmt.Fprintf(w, "acknowledged messages a session that stayed connected had to receive: %d, missed: %d\n", v.required, v.missing)
	fmt.Fprintf(w, "received twice in a session: %d; never published: %d; publish definitely failed but received: %d; before their marker was visible: %d; pairs of sessions in opposite orders: %d; no single order: %v\n",
		v.duplicated, v.invented, v.failedSeen, v.early, v.misordered, v.cycle)
	for _, e := range v.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	r.printAgree(w)
	r.printEnd(w)
}

// printAppend is print for -workload append: transactions by how they
// were sent and how they ended, then elle's findings, each anomaly with
// the transactions (and for a cycle, the dependencies) that show it.
func (r *result) printAppend(w io.Writer) {
	v := r.appendV
	fmt.Fprintf(w, "%-8s %8s %8s %8s   (list-append transactions)\n", "sent as", "ok", "failed", "unknown")
	for m := range numModes {
		c := v.counts[m]
		fmt.Fprintf(w, "%-8s %8d %8d %8d\n", m, c[statusOK], c[statusFail], c[statusUnknown])
	}
	fmt.Fprintf(w, "acknowledged appends: %d; successful transactions that read: %d, that appended: %d\n", v.appended, v.reads, v.writes)
	r.printCommon(w)
	res := v.res
	verdict := "yes"
	if !res.Valid() {
		kinds := slices.Sorted(maps.Keys(res.Counts))
		var parts []string
		for _, k := range kinds {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, res.Counts[k]))
		}
		verdict = "NO: " + strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "strict serializable: %s (%d transactions, %d dependencies, with %d final reads on %d members)\n",
		verdict, res.Txns, res.Edges, r.final.reads, r.final.nodes)
	// The first anomaly of each kind, cycles first; lines are cut, as a
	// transaction's reads can be long: anomalies.txt has them whole.
	shown := map[string]bool{}
	for _, cyc := range []bool{true, false} {
		for _, a := range res.Anomalies {
			if shown[a.Kind] || (len(a.Cycle) > 0) != cyc {
				continue
			}
			shown[a.Kind] = true
			fmt.Fprintf(w, "  first of %d %s:\n", res.Counts[a.Kind], a.Kind)
			for _, l := range strings.Split(a.Text, "\n") {
				if len(l) > 300 {
					l = l[:300] + "..."
				}
				fmt.Fprintf(w, "    %s\n", strings.TrimSpace(l))
			}
		}
	}
	if !res.Valid() {
		fmt.Fprintf(w, "every anomaly listed: %s\n", filepath.Join(r.out, "anomalies.txt"))
	}
	r.printAgree(w)
	r.printEnd(w)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// run runs the whole test: boot, workload and faults, heal, final reads,
// check. Its error means the test itself could not be carried out; the
// server's misbehaviour is in the result. logw receives progress.
func run(ctx context.Context, cfg config, logw io.Writer) (*result, error) {
	if cfg.out == "" {
		d, err := os.MkdirTemp("", "raftcache-jepsen-")
		if err != nil {
			return nil, fmt.Errorf("create output dir: %w", err)
		}
		cfg.out = d
	}
	stateRoot := filepath.Join(cfg.out, "state")
	if err := os.MkdirAll(stateRoot, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	logf, err := os.Create(filepath.Join(cfg.out, "jepsen.log"))
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logf, logw), nil))
	res := &result{out: cfg.out, seed: cfg.seed}

	cl := newCluster(cfg.bin, cfg.out, stateRoot, cfg.srvTimeout, cfg.snapN, cfg.saveDelay, log)
	cl.walFaults = slices.Contains(cfg.nemeses, nemDiskFault)
	cl.clockSkew, cl.seed = cfg.clockSkew, cfg.seed
	unmount := func() {} // the full-disk nemesis's tmpfs, once the nodes are stopped
	if slices.Contains(cfg.nemeses, nemFullDisk) {
		if dirs, err := newTmpfsDirs(stateRoot, fullDiskSize, log); err != nil {
			log.Warn("full-disk nemesis skipped", "err", err)
			res.skipped = append(res.skipped, nemFullDisk+": "+err.Error())
			cfg.nemeses = slices.DeleteFunc(slices.Clone(cfg.nemeses), func(k string) bool { return k == nemFullDisk })
		} else {
			cl.prepareDir, unmount = dirs.mount, dirs.unmountAll
			cl.walSegment = fullDiskWALSegment
			defer dirs.unmountAll() // after cl.shutdown has stopped the nodes
		}
	}
	defer cl.shutdown()
	log.Info("booting cluster", "nodes", cfg.nodes, "bin", cfg.bin)
	if err := cl.boot(ctx, cfg.nodes); err != nil {
		return nil, fmt.Errorf("boot cluster (logs in %s): %w", cfg.out, err)
	}
	multi, err := detectMulti(ctx, cl.nodes()[0].respAddr)
	if err != nil {
		return nil, fmt.Errorf("detect MULTI: %w", err)
	}
	res.multi = multi
	if cfg.workload == workloadAppend && !multi {
		return nil, errors.New("-workload append needs MULTI, which the server does not have")
	}

	h := newHistory()
	w := &workload{
		cl: cl, hist: h, keys: cfg.keys, opsPerKey: cfg.opsPerKey, multi: multi,
		opTimeout: cfg.opTimeout, think: cfg.think, clusterDownDefinite: cfg.clusterDownDefinite,
		srvTimeout: cfg.srvTimeout, scripts: cfg.workload == workloadScript,
	}
	var aw *appendWorkload
	if cfg.workload == workloadAppend {
		aw = &appendWorkload{workload: w}
	}
	var qw *queueWorkload
	if cfg.workload == workloadQueue {
		qw = &queueWorkload{workload: w}
	}
	var sw *streamWorkload
	if cfg.workload == workloadStream {
		sw = &streamWorkload{workload: w}
	}
	var pw *pubsubWorkload
	if cfg.workload == workloadPubsub {
		pw = &pubsubWorkload{workload: w}
	}
	var ew *evictWorkload
	if cfg.workload == workloadEvict {
		ew = &evictWorkload{workload: w, clients: cfg.clients, policy: evictPolicyFor(cfg.evictPolicy, cfg.seed)}
		if err := ew.setup(ctx); err != nil {
			return nil, err
		}
	}
	nm := &nemesis{
		cl: cl, log: log, seed: cfg.seed, workers: cfg.overlap, kinds: cfg.nemeses, size: cfg.nodes,
		every: cfg.faultEvery, hold: cfg.faultHold, recoverBound: cfg.recoverBound,
		injected: make(map[string]int), kindsRun: make(map[string]int),
	}
	var restartReads atomic.Int64
	var (
		restartsMu sync.Mutex
		restarts   []int64 // when each restart's reads were done (history time)
	)
	nm.afterRestart = func(n *node, logFrom int64) {
		alone := len(cl.nodes()) == 1
		// Client IDs of their own per node, past the final reads'
		// (clients+i), so that each ID's operations stay sequential.
		var got int
		switch {
		case qw != nil, sw != nil, pw != nil, ew != nil:
			// Queues and pub/sub have no read to check at a restart:
			// the node is let go at once.
			n.release()
		case aw != nil:
			got = aw.readAfterRestart(n, alone, logFrom, cfg.clients+1000*(1+n.idx), cfg.opTimeout)
		default:
			got = readAfterRestart(w, h, n, alone, logFrom, cfg.clients+1000*(1+n.idx), cfg.opTimeout)
		}
		restartsMu.Lock()
		restarts = append(restarts, h.now())
		restartsMu.Unlock()
		restartReads.Add(int64(got))
		log.Info("read after restart", "node", n, "reads", got)
	}
	log.Info("running workload", "workload", cfg.workload, "duration", cfg.duration, "clients", cfg.clients, "keys", cfg.keys, "multi", multi, "nemesis", strings.Join(cfg.nemeses, ","), "seed", cfg.seed)
	began := time.Now()
	wctx, cancel := context.WithTimeout(ctx, cfg.duration)
	// Subscribers outlive the workload: they wait for the end message
	// published once everything is healed, until subStop.
	subCtx, subStop := context.WithCancel(context.Background())
	defer subStop()
	var wg, subs sync.WaitGroup
	for i := range cfg.clients {
		if pw != nil && i%2 == 1 {
			subs.Add(1)
			go func() {
				defer subs.Done()
				pw.runSubscriber(subCtx, subCtx, i)
			}()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.seed, uint64(i)+1))
			if pw != nil {
				pw.runPublisher(wctx, i, rng, 0)
				return
			}
			if aw != nil {
				aw.runClient(wctx, i, rng)
				return
			}
			if qw != nil {
				qw.runClient(wctx, i, rng)
				return
			}
			if sw != nil {
				sw.runClient(wctx, i, rng)
				return
			}
			if ew != nil {
				ew.runClient(wctx, i, rng)
				return
			}
			w.runClient(wctx, i, rng)
		}()
	}
	// The nemesis stops a little before the clients, so they see the
	// cluster recover.
	nctx, ncancel := context.WithTimeout(wctx, max(cfg.duration-cfg.faultHold, cfg.duration/2))
	if ew != nil {
		wg.Add(1)
		go func() { defer wg.Done(); ew.monitor(wctx, cfg.seed) }()
	}
	nemDone := make(chan struct{})
	go func() {
		defer close(nemDone)
		nm.run(nctx)
	}()
	<-nemDone
	ncancel()
	wg.Wait()
	cancel()
	res.duration = time.Since(began)
	res.restartReads = int(restartReads.Load())

	// Heal and settle, bounded: a cluster that cannot recover is itself a
	// finding.
	log.Info("healing")
	hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer hcancel()
	if err := cl.healAll(hctx); err != nil {
		nm.problem("heal: %v", err)
	}
	if err := cl.waitMembers(hctx, cfg.nodes, 60*time.Second); err != nil {
		nm.problem("after healing: %v", err)
	}
	sleepCtx(hctx, 2*time.Second)
	log.Info("final reads")
	keys := w.usedKeys()
	var queued queueFinal
	var streamed streamFinal
	switch {
	case pw != nil:
		// A fault at the end of the run (a whole-cluster kill) may
		// leave no session that stayed connected while messages were
		// published: the subscribers, subscribed again once healed, get
		// a few seconds of them before the end message.
		pctx, pcancel := context.WithTimeout(hctx, 2*time.Second)
		var pubs sync.WaitGroup
		for i := 0; i < cfg.clients; i += 2 {
			pubs.Add(1)
			go func() {
				defer pubs.Done()
				pw.runPublisher(pctx, i, rand.New(rand.NewPCG(cfg.seed, uint64(i)+1)), afterHealSeq)
			}()
		}
		pubs.Wait()
		pcancel()
		// Every acknowledged message precedes the end message in the
		// log: a subscriber that receives it has seen all it must.
		sent, err := pw.publishEnd(hctx)
		if err != nil {
			nm.problem("%v", err)
		}
		log.Info("published the end message", "attempts", sent)
		waited := make(chan struct{})
		go func() { subs.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(30 * time.Second):
			nm.problem("subscribers still connected did not receive the end message within 30s")
		}
		subStop()
		<-waited
		var publishers []int
		for i := 0; i < cfg.clients; i += 2 {
			publishers = append(publishers, i)
		}
		res.final = pw.finalReads(hctx, cl, publishers, cfg.opTimeout)
	case qw != nil:
		res.final, queued = qw.finalReads(hctx, cl, cfg.opTimeout)
	case sw != nil:
		res.final, streamed = sw.finalReads(hctx, cl, cfg.opTimeout)
	case ew != nil:
		ew.final = ew.finalReads(hctx, cfg.opTimeout)
		res.final = ew.final.finalState
	case aw != nil:
		res.final = aw.finalReads(hctx, cl, cfg.clients, cfg.opTimeout)
	default:
		res.final = finalReads(hctx, w, cl, h, keys, cfg.clients, cfg.opTimeout)
	}
	res.disagree = res.final.disagree
	injected, problems, kindsRun, recoveries := nm.summary()
	res.faults, res.recovery = injected, recoveries
	res.problems = append(problems, res.final.problems...)
	cl.shutdown()
	unmount() // their contents go: the logs stay in cfg.out

	recs := h.records()
	for _, r := range recs {
		if r.client < cfg.clients {
			res.counts[r.in.kind][r.st]++
			if r.http {
				res.viaHTTP[r.st]++
			}
		}
	}
	res.sets = checkSets(recs, res.final.sets)
	if w.scripts {
		s := countScripts(recs)
		res.scripts = &s
		res.problems = append(res.problems, s.problems(ctx.Err() != nil)...)
	}
	res.events = countServerEvents(cfg.out)
	if aw != nil {
		v, err := checkAppend(aw.records(), cfg.clients, filepath.Join(cfg.out, "history.txt"))
		res.appendV = &v
		if err != nil {
			return res, err
		}
	}
	if qw != nil {
		recs := qw.records()
		v := checkQueue(recs, queued)
		res.queueV = &v
		if err := writeQueueHistory(filepath.Join(cfg.out, "history.txt"), recs); err != nil {
			return res, err
		}
	}
	if sw != nil {
		recs := sw.records()
		v := checkStream(recs, streamed)
		res.streamV = &v
		if err := writeStreamHistory(filepath.Join(cfg.out, "history.txt"), recs); err != nil {
			return res, err
		}
	}
	if pw != nil {
		pubs, sessions := pw.records()
		v := checkPubsub(pubs, sessions)
		res.pubsubV = &v
		if err := writePubsubHistory(filepath.Join(cfg.out, "history.txt"), pubs, sessions); err != nil {
			return res, err
		}
	}
	if ew != nil {
		if err := ew.check(res, ctx.Err() != nil, filepath.Join(cfg.out, "history.txt")); err != nil {
			return res, err
		}
	}
	res.problems = append(res.problems, vacuity(cfg, res, kindsRun, ctx.Err() != nil)...)
	w.mu.Lock()
	res.maxReply = w.maxHealthy
	if w.numOdd > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d replies no correct server gives, e.g. %s", w.numOdd, strings.Join(w.oddReplies, "; ")))
	}
	if w.numLate > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d operations on nodes the nemesis left alone got no answer within %v (the server's bound is %v), e.g. %s",
			w.numLate, cfg.opTimeout, cfg.srvTimeout, strings.Join(w.late, "; ")))
	}
	w.mu.Unlock()
	if res.sets.failedSeen > 0 || res.sets.invented > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d adds reported as definitely failed took effect; %d elements nobody added appeared", res.sets.failedSeen, res.sets.invented))
	}

	if aw != nil || qw != nil || sw != nil || pw != nil || ew != nil {
		restartsMu.Lock()
		res.restarts = len(restarts)
		restartsMu.Unlock()
		return res, res.finish(cfg, stateRoot)
	}
	log.Info("checking", "operations", len(recs), "keys", len(keys))
	restartsMu.Lock()
	v, err := check(recs, cfg.checkTimeout, cfg.out, slices.Clone(restarts))
	res.restarts = len(restarts)
	restartsMu.Unlock()
	res.verdict = v
	if err != nil {
		return res, err
	}
	switch {
	case v.caught > 0:
		// The history of the key up to the reads that showed the
		// violation: they are its last lines.
		var upto []record
		for _, r := range recs {
			if r.call <= v.caughtAt {
				upto = append(upto, r)
			}
		}
		res.excerpt, res.excerptKey = excerpt(upto, v.caughtKey, 60), v.caughtKey
	case len(v.badKeys) > 0:
		res.excerpt, res.excerptKey = excerpt(recs, v.badKeys[0], 60), v.badKeys[0]
	}
	if v.result == porcupine.Ok { // else check wrote it
		if err := writeHistory(filepath.Join(cfg.out, "history.txt"), recs); err != nil {
			return res, err
		}
	}
	return res, res.finish(cfg, stateRoot)
}

// finish removes the nodes' state directories after a clean run, unless
// asked to keep them, and writes elle's anomalies out in full.
func (r *result) finish(cfg config, stateRoot string) error {
	if r.appendV != nil && !r.appendV.res.Valid() {
		var b strings.Builder
		for _, a := range r.appendV.res.Anomalies {
			fmt.Fprintf(&b, "%s\n\n", a)
		}
		if err := os.WriteFile(filepath.Join(cfg.out, "anomalies.txt"), []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("write anomalies: %w", err)
		}
	}
	if r.ok() && !cfg.keepState {
		if err := os.RemoveAll(stateRoot); err != nil {
			return fmt.Errorf("remove state dirs: %w", err)
		}
		return nil
	}
	r.stateKept = true
	return nil
}

// vacuity lists the reasons a run proves less than it seems to: too few
// operations succeeded, a fault kind asked for never ran, a torn WAL that
// no restart repaired, final reads that did not cover every member.
// interrupted runs (Ctrl-C) are excused the fault and volume checks.
func vacuity(cfg config, res *result, kindsRun map[string]int, interrupted bool) []string {
	var out []string
	var reads, writes int
	for k := range numOpKinds {
		if !k.isWrite() {
			reads += res.counts[k][statusOK]
		} else {
			writes += res.counts[k][statusOK]
		}
	}
	if res.appendV != nil {
		reads, writes = res.appendV.reads, res.appendV.writes
	}
	if res.queueV != nil {
		// A consumer's delivery is the read, a producer's push the write.
		reads, writes = res.queueV.delivered, res.queueV.pushes[statusOK]
	}
	if res.streamV != nil {
		reads, writes = res.streamV.delivered, res.streamV.adds[statusOK]
	}
	if v := res.evictV; v != nil {
		reads = v.counts[evGet][statusOK]
		writes = v.counts[evSetVolatile][statusOK] + v.counts[evSetPersistent][statusOK] + v.counts[evIncr][statusOK] + v.counts[evDel][statusOK]
	}
	if v := res.pubsubV; v != nil {
		// A message received is the read, one published the write.
		reads, writes = v.received, v.pubs[statusOK]
		if v.required == 0 && !interrupted {
			out = append(out, "no subscriber stayed connected while acknowledged messages were published")
		}
	}
	if !interrupted {
		if reads < cfg.minOK || writes < cfg.minOK {
			out = append(out, fmt.Sprintf("only %d reads and %d writes succeeded (want at least %d of each)", reads, writes, cfg.minOK))
		}
		for _, k := range cfg.nemeses {
			if kindsRun[k] == 0 {
				out = append(out, fmt.Sprintf("nemesis %s never ran: run longer or fault more often", k))
			}
		}
	}
	if res.appendV == nil && res.queueV == nil && res.streamV == nil && res.pubsubV == nil && res.evictV == nil && res.sets.acked == 0 && !interrupted {
		out = append(out, "no add was acknowledged")
	}
	if res.queueV == nil && res.streamV == nil && res.pubsubV == nil && res.evictV == nil && kindsRun[nemKill]+kindsRun[nemTornWAL] > 0 && res.restartReads == 0 && !interrupted {
		out = append(out, "nodes were killed and restarted, but no read was answered right after a restart")
	}
	torn := kindsRun[nemTornWAL]
	if res.events.repairs < torn {
		out = append(out, fmt.Sprintf("%d WAL tails were torn but the nodes logged only %d repairs", torn, res.events.repairs))
	}
	if cfg.saveDelay > 0 && res.events.armedSlow < res.events.starts {
		out = append(out, fmt.Sprintf("-save_delay asked for a slow disk, but only %d of %d node starts logged the failpoint armed: build -bin with -tags failpoints",
			res.events.armedSlow, res.events.starts))
	}
	if cfg.clockSkew > 0 && res.events.armedClock < res.events.starts {
		out = append(out, fmt.Sprintf("-clock_skew asked for skewed clocks, but only %d of %d node starts logged the failpoint armed: build -bin with -tags failpoints",
			res.events.armedClock, res.events.starts))
	}
	if slices.Contains(cfg.nemeses, nemDiskFault) && res.events.armedWAL < res.events.starts {
		out = append(out, fmt.Sprintf("nemesis %s asked for, but only %d of %d node starts logged its failpoint armed: build -bin with -tags failpoints",
			nemDiskFault, res.events.armedWAL, res.events.starts))
	}
	if res.final.nodes != cfg.nodes {
		out = append(out, fmt.Sprintf("final reads covered %d members, want %d", res.final.nodes, cfg.nodes))
	}
	return out
}

// serverEvents counts what the nodes' logs say they did.
type serverEvents struct {
	snapshots, installs, repairs, removed int
	// processes started; of which logged the slow-disk and the WAL-fault
	// failpoint armed
	starts, armedSlow, armedWAL, armedClock int
}

func (e serverEvents) String() string {
	return fmt.Sprintf("%d snapshots taken, %d snapshots installed from a leader, %d torn WAL tails repaired, %d nodes left after removal",
		e.snapshots, e.installs, e.repairs, e.removed)
}

// countServerEvents reads the node logs in dir.
func countServerEvents(dir string) serverEvents {
	var e serverEvents
	files, _ := filepath.Glob(filepath.Join(dir, "n*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		e.snapshots += strings.Count(s, `msg="snapshot saved"`)
		e.installs += strings.Count(s, `msg="restored snapshot from leader"`)
		e.repairs += strings.Count(s, `msg="wal has a torn tail; repairing"`)
		e.removed += strings.Count(s, `msg="removed from the cluster; exiting"`)
		// cluster.start opens each process's part of the log with "=== ".
		e.starts += strings.Count("\n"+s, "\n=== ")
		e.armedSlow += strings.Count(s, "failpoint="+raftcluster.FailpointSaveDelayEnv)
		e.armedWAL += strings.Count(s, "failpoint="+raftcluster.FailpointWALFaultFileEnv)
		e.armedClock += strings.Count(s, "failpoint="+raftcluster.FailpointClockOffsetEnv)
	}
	return e
}
