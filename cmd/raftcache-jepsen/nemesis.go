package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Nemesis kinds, as named by -nemesis.
const (
	nemKill       = "kill"
	nemPause      = "pause"
	nemPartition  = "partition"
	nemTransfer   = "transfer"
	nemMembership = "membership"
	nemTornWAL    = "torn-wal"
	// nemDiskFault makes a node's WAL fail with EIO (a failpoint, see
	// cluster/failpoint.go): only a -tags failpoints build has it, so
	// "all" leaves it out and it is asked for by name.
	nemDiskFault = "disk-fault"
)

// allNemeses lists every kind a production build can be faulted with.
func allNemeses() []string {
	return []string{nemKill, nemPause, nemPartition, nemTransfer, nemMembership, nemTornWAL}
}

// knownNemeses adds the kinds that need a failpoints build, and the full
// disk, which needs root (to mount its tmpfs) and is asked for by name.
func knownNemeses() []string { return append(allNemeses(), nemDiskFault, nemFullDisk) }

// parseNemeses parses a comma list of kinds ("all" for every kind).
func parseNemeses(s string) ([]string, error) {
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "all":
			out = append(out, allNemeses()...)
		case k == "" || k == "none":
		case slices.Contains(knownNemeses(), k):
			out = append(out, k)
		default:
			return nil, fmt.Errorf("unknown nemesis %q (want all or a comma list of %s)", k, strings.Join(knownNemeses(), ","))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// fitNemeses keeps the kinds that make sense for a cluster of size
// nodes: a single node cannot be partitioned, hand over leadership or
// change its membership, and two cannot change membership without losing
// their quorum. With all (from "all") the others are dropped; named
// explicitly, they are an error.
func fitNemeses(kinds []string, nodes int, all bool) ([]string, error) {
	need := map[string]int{nemPartition: 2, nemTransfer: 2, nemMembership: 3}
	var out []string
	for _, k := range kinds {
		if nodes >= need[k] {
			out = append(out, k)
			continue
		}
		if !all {
			return nil, fmt.Errorf("nemesis %s needs at least %d nodes", k, need[k])
		}
	}
	return out, nil
}

// nemesis injects faults, holds them, and undoes them. Its workers each
// inject one fault at a time; with more than one, faults overlap: node
// faults (kill, pause, torn-wal) on distinct nodes and at most one
// partition at a time, while membership changes and leadership transfers
// run alone.
type nemesis struct {
	cl      *cluster
	log     *slog.Logger
	seed    uint64
	workers int
	kinds   []string
	size    int           // members to keep
	every   time.Duration // mean quiet time between faults
	hold    time.Duration // mean time a fault lasts
	// recoverBound is how soon after a fault is undone every member must
	// serve writes again.
	recoverBound time.Duration
	// afterRestart, if set, runs the moment a killed node's process is
	// started again (its log appended to from logFrom), before anything
	// else is asked of it: reads issued then are the ones most likely to
	// see a state the node has not caught up with (see restartAndRead).
	// It releases the node when they have been sent.
	afterRestart func(n *node, logFrom int64)

	mu         sync.Mutex
	injected   map[string]int // by fault description
	kindsRun   map[string]int // by kind
	problems   []string       // server misbehaviour seen while injecting
	recoveries []time.Duration
	// What the workers hold.
	active    int            // faults in progress
	alone     bool           // a fault that runs alone is in progress
	busyNodes map[*node]bool // nodes under a node fault
	netBusy   bool           // a partition is in place
}

// worker is one fault-injecting goroutine with its own random source.
type worker struct {
	nm  *nemesis
	rng *rand.Rand
}

func (nm *nemesis) count(what string) {
	nm.mu.Lock()
	nm.injected[what]++
	nm.mu.Unlock()
}

func (nm *nemesis) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	nm.log.Error("problem", "what", msg)
	nm.mu.Lock()
	nm.problems = append(nm.problems, msg)
	nm.mu.Unlock()
}

// jitter returns a duration uniformly in [d/2, 3d/2).
func (wk *worker) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(wk.rng.Int64N(int64(d)+1))
}

// runsAlone reports whether a kind of fault must not overlap any other:
// membership changes and transfers need a whole, healthy cluster to say
// anything about their own effect.
func runsAlone(kind string) bool { return kind == nemMembership || kind == nemTransfer }

// acquire waits until kind may start alongside the faults in progress
// and reserves what it needs; false if ctx ended first. release undoes
// the reservation (node faults release their node themselves).
func (nm *nemesis) acquire(ctx context.Context, kind string) bool {
	for {
		nm.mu.Lock()
		ok := !nm.alone
		switch {
		case runsAlone(kind):
			ok = ok && nm.active == 0
		case kind == nemPartition:
			ok = ok && !nm.netBusy
		}
		if ok {
			nm.active++
			nm.alone = runsAlone(kind)
			if kind == nemPartition {
				nm.netBusy = true
			}
		}
		nm.mu.Unlock()
		if ok {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}

func (nm *nemesis) release(kind string) {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	nm.active--
	if runsAlone(kind) {
		nm.alone = false
	}
	if kind == nemPartition {
		nm.netBusy = false
	}
}

// claim marks n as under a node fault unless another worker holds it.
func (nm *nemesis) claim(n *node) bool {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	if nm.busyNodes[n] {
		return false
	}
	nm.busyNodes[n] = true
	return true
}

func (nm *nemesis) unclaim(n *node) {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	delete(nm.busyNodes, n)
}

// run injects faults until ctx ends; each fault is undone before its
// worker goes on, whatever ctx does, and the cluster must then serve
// again on every member within recoverBound. Each worker's kinds take
// turns in a shuffled order, so that a short run still sees each of them.
func (nm *nemesis) run(ctx context.Context) {
	if len(nm.kinds) == 0 {
		return
	}
	nm.busyNodes = make(map[*node]bool)
	var wg sync.WaitGroup
	for i := range max(nm.workers, 1) {
		wk := &worker{nm: nm, rng: rand.New(rand.NewPCG(nm.seed, uint64(1000+i)))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk.run(ctx)
		}()
	}
	wg.Wait()
}

func (wk *worker) run(ctx context.Context) {
	nm := wk.nm
	var turn []string
	for {
		sleepCtx(ctx, wk.jitter(nm.every))
		if ctx.Err() != nil {
			return
		}
		if len(turn) == 0 {
			turn = slices.Clone(nm.kinds)
			wk.rng.Shuffle(len(turn), func(i, j int) { turn[i], turn[j] = turn[j], turn[i] })
		}
		kind := turn[0]
		turn = turn[1:]
		if !nm.acquire(ctx, kind) {
			return
		}
		var err error
		switch kind {
		case nemKill:
			err = wk.kill(ctx, false)
		case nemTornWAL:
			err = wk.kill(ctx, true)
		case nemDiskFault:
			err = wk.diskFault(ctx)
		case nemFullDisk:
			err = wk.fullDisk(ctx)
		case nemPause:
			err = wk.pause(ctx)
		case nemPartition:
			err = wk.partition(ctx)
		case nemTransfer:
			err = wk.transfer(ctx)
		case nemMembership:
			err = wk.membership(ctx)
		}
		nm.mu.Lock()
		nm.kindsRun[kind]++
		nm.mu.Unlock()
		if err != nil {
			nm.problem("%s: %v", kind, err)
			// Put things back before going on, or stop trying.
			hctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			herr := nm.cl.healAll(hctx)
			cancel()
			if herr != nil {
				nm.problem("heal after %s: %v", kind, herr)
				nm.release(kind)
				return
			}
		}
		nm.release(kind)
		// Recovery is judged with no fault in place: wait for a moment
		// when none is, and hold off new ones meanwhile.
		if !nm.acquire(context.Background(), nemMembership) {
			return
		}
		nm.awaitRecovery(kind)
		nm.release(nemMembership)
	}
}

// awaitRecovery checks that, with every fault undone, each member serves
// a write again within recoverBound: a cluster that regains a quorum must
// recover by itself. It records how long that took.
func (nm *nemesis) awaitRecovery(after string) {
	start := time.Now()
	deadline := start.Add(nm.recoverBound)
	for _, n := range nm.cl.nodes() {
		var err error
		for {
			if err = probeWrite(n.respAddr, "jepsen:probe", 2*time.Second); err == nil {
				break
			}
			if time.Now().After(deadline) {
				nm.problem("%s did not serve a write within %v after %s was undone: %v", n, nm.recoverBound, after, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	d := time.Since(start)
	nm.log.Info("recovered", "after", after, "took", d.Round(time.Millisecond))
	nm.mu.Lock()
	nm.recoveries = append(nm.recoveries, d)
	nm.mu.Unlock()
}

// target picks, and claims, a member no other worker holds: the leader
// half of the time (when one is known and free), else a random one; nil
// when every member is held.
func (wk *worker) target(ctx context.Context) (*node, bool) {
	nm := wk.nm
	if wk.rng.IntN(2) == 0 {
		if l := nm.cl.leader(context.WithoutCancel(ctx)); l != nil && nm.claim(l) {
			return l, true
		}
	}
	nodes := nm.cl.nodes()
	wk.rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	for _, n := range nodes {
		if nm.claim(n) {
			return n, false
		}
	}
	return nil, false
}

func role(leader bool) string {
	if leader {
		return "leader"
	}
	return "node"
}

// kill SIGKILLs a node, optionally tears its WAL tail, and restarts it
// from its state dir.
func (wk *worker) kill(ctx context.Context, tear bool) error {
	nm := wk.nm
	if !tear && wk.rng.IntN(5) == 0 {
		if all := wk.claimAll(); all != nil {
			return wk.killAll(ctx, all)
		}
	}
	n, isLeader := wk.target(ctx)
	if n == nil {
		return nil // every member is under another worker's fault
	}
	defer nm.unclaim(n)
	n.setFaulted(true)
	defer n.setFaulted(false)
	if err := nm.cl.kill(n); err != nil {
		return err
	}
	what := "kill " + role(isLeader)
	if tear {
		how, file, err := tearWAL(n.dir, wk.rng)
		if err != nil {
			return fmt.Errorf("tear wal of %s: %w", n, err)
		}
		what = "torn-wal " + role(isLeader)
		nm.log.Info("tore wal", "node", n, "file", file, "how", how)
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", n)
	sleepCtx(ctx, wk.jitter(nm.hold))
	wait, err := nm.restartAndRead(n)
	wait()
	if err != nil {
		return fmt.Errorf("restart %s: %w", n, err)
	}
	nm.log.Info("healed", "what", what, "node", n)
	return nil
}

// restartAndRead starts the killed node n again from its state dir with
// afterRestart's reads the first things it is asked: n is reserved (no
// client, and no PING of ours, reaches it) until they have been sent, at
// its first election (see readAfterRestart). It returns once n answers
// PING; wait waits for the reads.
func (nm *nemesis) restartAndRead(n *node) (wait func(), err error) {
	if nm.afterRestart == nil {
		return func() {}, nm.cl.restart(context.Background(), n)
	}
	logFrom := logSize(n.logPath)
	n.reserve()
	if err := nm.cl.start(n, ""); err != nil {
		n.release()
		return func() {}, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer n.release()
		nm.afterRestart(n, logFrom)
	}()
	if r := n.reservation(); r != nil {
		<-r
	}
	return func() { <-done }, nm.cl.waitReady(context.Background(), n, 30*time.Second)
}

// claimAll claims every member, or none when another worker holds one.
func (wk *worker) claimAll() []*node {
	var all []*node
	for _, n := range wk.nm.cl.nodes() {
		if !wk.nm.claim(n) {
			for _, c := range all {
				wk.nm.unclaim(c)
			}
			return nil
		}
		all = append(all, n)
	}
	return all
}

// killAll SIGKILLs every member at once, as a power cut would take a
// whole cluster down, and restarts them one by one in a random order:
// everything acknowledged must survive, and the cluster must elect a
// leader and serve again by itself.
func (wk *worker) killAll(ctx context.Context, all []*node) error {
	nm := wk.nm
	defer func() {
		for _, n := range all {
			nm.unclaim(n)
		}
	}()
	for _, n := range all {
		n.setFaulted(true)
		defer n.setFaulted(false)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, n := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = nm.cl.kill(n)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	nm.count("kill all")
	nm.log.Info("fault", "what", "kill all")
	sleepCtx(ctx, wk.jitter(nm.hold))
	wk.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	// Each restarted node is read from while the others are still down;
	// all of that is over before the fault is.
	for _, n := range all {
		wait, err := nm.restartAndRead(n)
		defer wait()
		if err != nil {
			return fmt.Errorf("restart %s: %w", n, err)
		}
		sleepCtx(ctx, time.Duration(wk.rng.Int64N(int64(time.Second))))
	}
	nm.log.Info("healed", "what", "kill all")
	return nil
}

// diskFault makes a node's WAL fail (every call returns EIO while its
// fault file exists) and requires the node to stop by itself, with a
// non-zero status and its log naming the storage failure, within
// diskFaultBound of the fault: a node that went on serving after a failed
// write or fdatasync could acknowledge what it never persisted. The file
// is removed (the disk is replaced) and the node restarted from its state
// dir; everything it acknowledged before must still be there.
func (wk *worker) diskFault(ctx context.Context) error {
	const diskFaultBound = 15 * time.Second
	nm := wk.nm
	n, isLeader := wk.target(ctx)
	if n == nil {
		return nil
	}
	defer nm.unclaim(n)
	n.setFaulted(true)
	defer n.setFaulted(false)
	// Where the log is before the fault: a busy node's next WAL write
	// fails, and is logged, as soon as the file exists.
	logFrom := logSize(n.logPath)
	if err := os.WriteFile(n.faultFile, nil, 0o644); err != nil {
		return fmt.Errorf("arm disk fault of %s: %w", n, err)
	}
	what := "disk-fault " + role(isLeader)
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", n)
	waitErr := n.waitExit(diskFaultBound)
	if err := os.Remove(n.faultFile); err != nil {
		return fmt.Errorf("disarm disk fault of %s: %w", n, err)
	}
	if waitErr != nil {
		nm.problem("%s went on running for %v with a failing disk", n, diskFaultBound)
		if err := nm.cl.kill(n); err != nil {
			return err
		}
	} else {
		if n.exitError() == nil {
			nm.problem("%s exited with status 0 after its disk failed", n)
		}
		if tail := logTail(n.logPath, logFrom); !strings.Contains(tail, "storage failure") {
			nm.problem("%s stopped after its disk failed without logging the storage failure", n)
		}
	}
	sleepCtx(ctx, wk.jitter(nm.hold))
	wait, err := nm.restartAndRead(n)
	wait()
	if err != nil {
		return fmt.Errorf("restart %s: %w", n, err)
	}
	nm.log.Info("healed", "what", what, "node", n)
	return nil
}

// logTail returns what was appended to the log at path from offset from.
func logTail(path string, from int64) string {
	b, err := os.ReadFile(path)
	if err != nil || from > int64(len(b)) {
		return ""
	}
	return string(b[from:])
}

func (wk *worker) pause(ctx context.Context) error {
	nm := wk.nm
	n, isLeader := wk.target(ctx)
	if n == nil {
		return nil // every member is under another worker's fault
	}
	defer nm.unclaim(n)
	what := "pause " + role(isLeader)
	n.setFaulted(true)
	defer n.setFaulted(false)
	if err := nm.cl.pause(n); err != nil {
		return err
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", n)
	sleepCtx(ctx, wk.jitter(nm.hold))
	if err := nm.cl.resume(n); err != nil {
		return err
	}
	nm.log.Info("healed", "what", what, "node", n)
	return nil
}

// partition isolates one node, or the leader, or splits the cluster into
// a minority and a majority, cutting links by closing them or by
// blackholing them.
func (wk *worker) partition(ctx context.Context) error {
	nm := wk.nm
	nodes := nm.cl.nodes()
	if len(nodes) < 2 {
		return errors.New("fewer than two members to partition")
	}
	wk.rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	var minority []*node
	var what string
	switch wk.rng.IntN(3) {
	case 0:
		minority, what = nodes[:1], "isolate node"
	case 1:
		l := nm.cl.leader(context.WithoutCancel(ctx))
		if l == nil {
			minority, what = nodes[:1], "isolate node"
			break
		}
		minority, what = []*node{l}, "isolate leader"
	default:
		k := 1 + wk.rng.IntN((len(nodes)-1)/2)
		minority, what = nodes[:k], fmt.Sprintf("split %d|%d", k, len(nodes)-k)
	}
	var majority []*node
	for _, n := range nodes {
		if !slices.Contains(minority, n) {
			majority = append(majority, n)
		}
	}
	r := ruleDrop
	if wk.rng.IntN(2) == 0 {
		r = ruleBlackhole
	}
	// A third of the partitions cut one direction only: messages from the
	// minority, or to it, are lost; the other way still works.
	switch wk.rng.IntN(6) {
	case 0:
		what = fmt.Sprintf("partition %s, outbound only (%s)", what, r)
		nm.cl.cut(minority, majority, r)
	case 1:
		what = fmt.Sprintf("partition %s, inbound only (%s)", what, r)
		nm.cl.cut(majority, minority, r)
	default:
		what = fmt.Sprintf("partition %s (%s)", what, r)
		nm.cl.partition(minority, majority, r)
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "minority", fmt.Sprint(minority), "majority", fmt.Sprint(majority))
	sleepCtx(ctx, wk.jitter(nm.hold))
	nm.cl.healNet()
	nm.log.Info("healed", "what", what)
	return nil
}

// membership removes a member (sometimes the leader, which hands its
// leadership over first; sometimes one that is paused, which learns of its
// removal only when it resumes and must then leave without disrupting the
// others) and joins a new node with fresh state and ports.
func (wk *worker) membership(ctx context.Context) error {
	nm := wk.nm
	nodes := nm.cl.nodes()
	if len(nodes) < 2 {
		return errors.New("fewer than two members")
	}
	victim, isLeader := wk.target(ctx)
	if victim == nil {
		return errors.New("no member to remove")
	}
	defer nm.unclaim(victim)
	id, err := nm.cl.memberID(context.WithoutCancel(ctx), victim)
	if err != nil {
		return err
	}
	var others []*node
	for _, n := range nodes {
		if n != victim {
			others = append(others, n)
		}
	}
	victim.setFaulted(true)
	what := "replace " + role(isLeader)
	// A removed member that is paused, or dead, learns of its removal only
	// when it resumes, or restarts from its state: it must then leave by
	// itself without disrupting the others' elections.
	mode := wk.rng.IntN(4)
	switch mode {
	case 2:
		what = "replace paused " + role(isLeader)
		if err := nm.cl.pause(victim); err != nil {
			return err
		}
	case 3:
		what = "replace dead " + role(isLeader)
		if err := nm.cl.kill(victim); err != nil {
			return err
		}
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", victim, "id", id)
	// A removal whose answer was lost may still have happened: look at
	// the member list before asking again. A paused leader must first be
	// replaced by an election among the others.
	var rerr error
	for try := 0; try < 5; try++ {
		via := others[wk.rng.IntN(len(others))]
		if rerr = nm.cl.removeMember(context.Background(), via, id); rerr == nil {
			break
		}
		nm.log.Warn("remove member", "err", rerr)
		if _, err := nm.cl.memberIDVia(context.Background(), others, victim); errors.Is(err, errNotMember) {
			rerr = nil
			break
		}
		time.Sleep(time.Second)
	}
	switch mode {
	case 2:
		if err := nm.cl.resume(victim); err != nil {
			return err
		}
	case 3:
		// Not restart, which waits for an answer: the node may find out
		// and leave before it answers anything.
		if err := nm.cl.start(victim, ""); err != nil {
			return err
		}
	}
	if rerr != nil {
		return rerr
	}
	if err := victim.waitExit(20 * time.Second); err != nil {
		nm.problem("removed member %s did not exit: %v", victim, err)
		_ = nm.cl.kill(victim)
	} else if code := exitCode(victim.exitError()); code != 0 {
		nm.problem("removed member %s exited with status %d (want 0); see %s", victim, code, victim.logPath)
	}
	nm.cl.dropMember(victim)
	sleepCtx(ctx, wk.jitter(nm.hold)/2)
	join := others[wk.rng.IntN(len(others))]
	// A third of the joiners crash while joining and start again: the
	// cluster must end up with one new member, not two.
	var crash time.Duration
	if wk.rng.IntN(3) == 0 {
		crash = time.Duration(1 + wk.rng.Int64N(int64(600*time.Millisecond)))
		nm.count("joiner killed while joining")
	}
	n, err := nm.cl.addNode(context.Background(), join.advAddr, crash)
	if err != nil {
		return fmt.Errorf("join a new node via %s: %w", join, err)
	}
	if err := nm.cl.waitMembers(context.Background(), nm.size, 30*time.Second); err != nil {
		return err
	}
	nm.log.Info("healed", "what", what, "removed", victim, "joined", n)
	return nil
}

// leaderWait bounds how long a transfer waits for a leader to transfer
// from.
const leaderWait = 10 * time.Second

// transfer moves the leadership to another member, asking a random one,
// one to three times in a row, under the clients' load. The end of ctx
// (the nemesis's time is up) ends the series between two transfers; it
// never cuts a question to the cluster short, which would read as a
// cluster without a leader.
func (wk *worker) transfer(ctx context.Context) error {
	nm := wk.nm
	qctx := context.WithoutCancel(ctx)
	for range 1 + wk.rng.IntN(3) {
		if ctx.Err() != nil {
			return nil
		}
		nodes := nm.cl.nodes()
		// A transfer needs a leader, and one may be a moment away: an
		// election after the previous transfer, or members too loaded to
		// answer /mgmt/nodes in time. Whether the cluster recovers is
		// checked after every fault; here the nemesis waits for one.
		lead, why := nm.cl.leaderWhy(qctx)
		for deadline := time.Now().Add(leaderWait); lead == nil && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			lead, why = nm.cl.leaderWhy(qctx)
		}
		if lead == nil {
			return fmt.Errorf("no leader known to transfer from within %v: %w", leaderWait, why)
		}
		var cands []*node
		for _, n := range nodes {
			if n != lead {
				cands = append(cands, n)
			}
		}
		to := cands[wk.rng.IntN(len(cands))]
		id, err := nm.cl.memberID(qctx, to)
		if err != nil {
			return err
		}
		via := nodes[wk.rng.IntN(len(nodes))]
		// Leadership moving on its own meanwhile (an election) may make
		// one attempt time out; a healthy cluster completes the next.
		for try := 0; ; try++ {
			err = nm.cl.transferLeader(context.Background(), via, id)
			if err == nil || try == 2 {
				break
			}
			nm.log.Warn("transfer leadership", "err", err)
		}
		if err != nil {
			return err
		}
		nm.count("transfer leadership")
		nm.log.Info("fault", "what", "transfer leadership", "from", lead, "to", to, "via", via)
		sleepCtx(ctx, wk.jitter(nm.hold)/4)
	}
	return nil
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// tearWAL leaves the newest WAL segment as a crash in the middle of
// writing a record would: the record after the last complete one is torn.
// Every complete record was fsynced, and may have been acknowledged (a
// vote, an entry a leader counted), so it stays intact; only the record
// whose write never finished, and so was never acknowledged, is damaged.
// Half the time the file ends in the middle of that record; otherwise the
// record lies in the segment's preallocated space with its last sector
// never written (zeros), as a power cut leaves it.
//
// etcd's WAL frames each record with an 8-byte little-endian length (the
// top byte flags padding) followed by the data padded to 8 bytes; the
// used part of a preallocated segment ends at the first zero length. The
// torn record claims to be an entry record (a walpb.Record of type 2).
func tearWAL(stateDir string, rng *rand.Rand) (string, string, error) {
	files, err := filepath.Glob(filepath.Join(stateDir, "wal", "*.wal"))
	if err != nil || len(files) == 0 {
		return "", "", fmt.Errorf("no wal files in %s: %v", stateDir, err)
	}
	sort.Strings(files)
	file := files[len(files)-1]
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		return "", "", fmt.Errorf("open wal: %w", err)
	}
	defer f.Close()
	end, err := walEnd(f)
	if err != nil {
		return "", "", err
	}
	const sector = 512
	// A record long enough to span whole sectors past the first.
	size := int64(3*sector + rng.IntN(4*sector))
	rec := make([]byte, 8+size)
	binary.LittleEndian.PutUint64(rec, uint64(size))
	body := rec[8:]
	body[0], body[1] = 0x08, 0x02 // field 1 (type) = 2, an entry record
	for i := 2; i < len(body); i++ {
		body[i] = byte(rng.IntN(256))
	}
	var how string
	var n int64
	if rng.IntN(2) == 0 {
		// The file ends inside the record.
		n = 9 + rng.Int64N(size-1)
		how = fmt.Sprintf("file cut %d bytes into a %d-byte record at offset %d", n, 8+size, end)
		if _, err := f.WriteAt(rec[:n], end); err != nil {
			return "", "", fmt.Errorf("write torn record: %w", err)
		}
		if err := f.Truncate(end + n); err != nil {
			return "", "", fmt.Errorf("truncate wal: %w", err)
		}
	} else {
		// Written up to a sector boundary inside the record; from there
		// on it stays zero.
		first := (end+8)/sector*sector + sector        // first boundary past the length field
		last := (end + 8 + size - 1) / sector * sector // last boundary inside the record
		n = first + rng.Int64N((last-first)/sector+1)*sector - end
		clear(rec[n:])
		how = fmt.Sprintf("%d-byte record at offset %d written only up to byte %d", 8+size, end, n)
		if _, err := f.WriteAt(rec, end); err != nil {
			return "", "", fmt.Errorf("write torn record: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return "", "", fmt.Errorf("sync wal: %w", err)
	}
	return how, file, nil
}

// walEnd returns the offset just past the last complete record of a WAL
// segment.
func walEnd(f *os.File) (int64, error) {
	var off int64
	var hdr [8]byte
	for {
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			if errors.Is(err, io.EOF) {
				return off, nil
			}
			return 0, fmt.Errorf("read wal: %w", err)
		}
		v := binary.LittleEndian.Uint64(hdr[:])
		if v == 0 {
			return off, nil
		}
		size := int64(v & 0x00ffffffffffffff)
		if v&(1<<63) != 0 {
			size += int64((v >> 56) & 0x7)
		}
		off += 8 + size
	}
}

// summary lists the faults injected, in a stable order.
func (nm *nemesis) summary() (injected []string, problems []string, kindsRun map[string]int, recoveries []time.Duration) {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	for k, v := range nm.injected {
		injected = append(injected, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(injected)
	return injected, slices.Clone(nm.problems), maps.Clone(nm.kindsRun), slices.Clone(nm.recoveries)
}
