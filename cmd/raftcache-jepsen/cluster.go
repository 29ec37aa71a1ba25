package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	raftcluster "github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/cluster/clustertest"
)

// node is one raftcache process, its ports and its raft proxy. Its index
// picks its loopback IP 127.0.0.(10+idx), which it listens and dials from.
type node struct {
	idx                                  int
	dir                                  string // -state_dir
	raftAddr, advAddr, apiAddr, respAddr string // advAddr is the proxy's
	proxy                                *proxy
	logPath                              string
	faultFile                            string // exists: its WAL fails (cluster.walFaults)

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	exitErr error
	paused  bool
	removed bool // no longer a member (or given up on)
	// faulted is set while the nemesis has the node itself down (killed,
	// paused, being removed); faultEpoch counts changes of it, so that an
	// operation can tell whether the node was healthy throughout.
	faulted    bool
	faultEpoch int
	// reserved, while not nil, keeps the workload's clients off the node
	// (see reserve); release closes it.
	reserved chan struct{}
}

// reserve keeps the workload's clients, and the nemesis's own checks,
// off n until release: the reads of readAfterRestart must be the first
// things a restarted node is asked (see there).
func (n *node) reserve() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.reserved == nil {
		n.reserved = make(chan struct{})
	}
}

// release ends reserve; it may be called again.
func (n *node) release() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.reserved != nil {
		close(n.reserved)
		n.reserved = nil
	}
}

// reservation returns a channel closed at release, or nil when n is not
// reserved.
func (n *node) reservation() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.reserved
}

func (n *node) setFaulted(f bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faulted = f
	n.faultEpoch++
}

// health returns the node's fault epoch and whether it is faulted now.
func (n *node) health() (int, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.faultEpoch, n.faulted
}

func (n *node) String() string { return fmt.Sprintf("n%d", n.idx) }

// gone reports whether the node left the cluster.
func (n *node) gone() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.removed
}

func (n *node) running() bool {
	n.mu.Lock()
	ch := n.exited
	n.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// member is one entry of GET /mgmt/nodes.
type member struct {
	ID        string `json:"id"`
	Raft      string `json:"raft"`
	Role      string `json:"role"`
	Voter     bool   `json:"voter"`
	Reachable bool   `json:"reachable"`
}

// cluster owns the processes under test.
type cluster struct {
	bin       string
	outDir    string // node logs go here
	stateRoot string // state directories go here
	timeout   time.Duration
	snapN     uint64 // the nodes' -snapshot_entries; 0 for the default
	// saveDelay, if positive, makes every node's disk slow: each Ready is
	// persisted that long late (a failpoint, see cluster/failpoint.go).
	saveDelay time.Duration
	// walFaults gives every node a fault file whose existence makes its
	// WAL fail (a failpoint, see cluster/failpoint.go): the disk-fault
	// nemesis.
	walFaults bool
	// prepareDir, if set, runs on a new node's state dir before its first
	// start (the full-disk nemesis mounts a tmpfs there).
	prepareDir func(dir string) error
	// walSegment, if positive, is the nodes' WAL segment size (a
	// failpoint, see cluster/failpoint.go): the full-disk nemesis.
	walSegment int64
	// clockSkew, if positive, gives each node a clock off by up to that
	// much either way (a failpoint): clockOffset, from seed.
	clockSkew time.Duration
	// clockOffsets, if set, are the clock offsets of the nodes started
	// first, by start order, in place of clockOffset's: a test that
	// needs particular clocks.
	clockOffsets []time.Duration
	seed         uint64
	log          *slog.Logger
	http         *http.Client

	mu      sync.Mutex
	members []*node // current members, in join order
	all     []*node // every node started, for cleanup
	nextIdx int
}

func newCluster(bin, outDir, stateRoot string, timeout time.Duration, snapN uint64, saveDelay time.Duration, log *slog.Logger) *cluster {
	return &cluster{
		bin: bin, outDir: outDir, stateRoot: stateRoot, timeout: timeout, snapN: snapN, saveDelay: saveDelay, log: log,
		http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
}

// clockOffset is n's clock skew: within ±clockSkew, the same at each of
// its starts, and, for a seed, in every run.
func (c *cluster) clockOffset(n *node) time.Duration {
	if n.idx < len(c.clockOffsets) {
		return c.clockOffsets[n.idx]
	}
	rng := rand.New(rand.NewPCG(c.seed, uint64(n.idx)))
	return time.Duration(rng.Int64N(int64(2*c.clockSkew)+1)) - c.clockSkew
}

// nodes returns the current members.
func (c *cluster) nodes() []*node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*node(nil), c.members...)
}

// pick returns a random current member, or nil.
func (c *cluster) pick(rng *rand.Rand) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.members) == 0 {
		return nil
	}
	return c.members[rng.IntN(len(c.members))]
}

// boot starts n nodes: the first alone, the others joining it one at a
// time.
func (c *cluster) boot(ctx context.Context, n int) error {
	for i := range n {
		join := ""
		if i > 0 {
			join = c.nodes()[0].advAddr
		}
		if _, err := c.addNode(ctx, join, 0); err != nil {
			return fmt.Errorf("boot node %d: %w", i, err)
		}
	}
	return c.waitMembers(ctx, n, 30*time.Second)
}

// addNode starts a new node with fresh ports and state, joining the
// member at join (or bootstrapping when join is empty), and waits until it
// answers PING. With crashAfter > 0, the first process is SIGKILLed that
// long after it starts, most likely in the middle of joining, and started
// again with the same flags.
func (c *cluster) addNode(ctx context.Context, join string, crashAfter time.Duration) (*node, error) {
	c.mu.Lock()
	idx := c.nextIdx
	c.nextIdx++
	c.mu.Unlock()
	if sourceBase+idx > 250 {
		return nil, errors.New("out of loopback addresses for new nodes")
	}
	ip := nodeIP(idx)
	ports, err := clustertest.FreeAddrs(ip, 3)
	if err != nil {
		return nil, err
	}
	n := &node{
		idx:      idx,
		dir:      filepath.Join(c.stateRoot, fmt.Sprintf("n%d", idx)),
		raftAddr: ports[0], apiAddr: ports[1], respAddr: ports[2],
		logPath:   filepath.Join(c.outDir, fmt.Sprintf("n%d.log", idx)),
		faultFile: filepath.Join(c.outDir, fmt.Sprintf("n%d.walfault", idx)),
	}
	n.proxy, err = newProxy("127.0.0.1:0", n.raftAddr, c.log.With("proxy", n.String()))
	if err != nil {
		return nil, err
	}
	n.advAddr = n.proxy.addr()
	c.mu.Lock()
	c.all = append(c.all, n)
	c.mu.Unlock()
	if c.prepareDir != nil {
		if err := c.prepareDir(n.dir); err != nil {
			return nil, err
		}
	}
	if err := c.start(n, join); err != nil {
		return nil, err
	}
	if crashAfter > 0 {
		sleepCtx(ctx, crashAfter)
		if err := c.kill(n); err != nil {
			return nil, err
		}
		c.log.Info("killed a joining node", "node", n, "after", crashAfter)
		if err := c.start(n, join); err != nil {
			return nil, err
		}
	}
	if err := c.waitReady(ctx, n, 30*time.Second); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.members = append(c.members, n)
	c.mu.Unlock()
	c.log.Info("node started", "node", n, "raft", n.advAddr, "resp", n.respAddr, "api", n.apiAddr, "join", join)
	return n, nil
}

// start runs the node's process (a restart reuses its state dir).
func (c *cluster) start(n *node, join string) error {
	args := []string{
		"-state_dir", n.dir, "-raft", n.raftAddr, "-raft_advertise", n.advAddr,
		"-raft_source", nodeIP(n.idx), "-api", n.apiAddr, "-resp", n.respAddr,
		"-timeout", c.timeout.String(),
	}
	if c.snapN > 0 {
		args = append(args, "-snapshot_entries", strconv.FormatUint(c.snapN, 10))
	}
	if join != "" {
		args = append(args, "-join", join)
	}
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open node log: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	fmt.Fprintf(logf, "=== %s %s %s\n", time.Now().Format(time.RFC3339Nano), c.bin, strings.Join(args, " "))
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = os.Environ()
	if c.saveDelay > 0 {
		cmd.Env = append(cmd.Env, raftcluster.FailpointSaveDelayEnv+"="+c.saveDelay.String())
	}
	if c.clockSkew > 0 || n.idx < len(c.clockOffsets) {
		cmd.Env = append(cmd.Env, raftcluster.FailpointClockOffsetEnv+"="+c.clockOffset(n).String())
	}
	if c.walFaults {
		cmd.Env = append(cmd.Env, raftcluster.FailpointWALFaultFileEnv+"="+n.faultFile)
	}
	if c.walSegment > 0 {
		cmd.Env = append(cmd.Env, raftcluster.FailpointWALSegmentEnv+"="+strconv.FormatInt(c.walSegment, 10))
	}
	// Its own process group, so that a kill reaches anything it spawns;
	// and killed with us, should this process die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n, err)
	}
	exited := make(chan struct{})
	n.mu.Lock()
	n.cmd, n.exited, n.paused = cmd, exited, false
	n.mu.Unlock()
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		n.exitErr = err
		n.mu.Unlock()
		close(exited)
	}()
	return nil
}

// waitReady waits until the node answers PING.
func (c *cluster) waitReady(ctx context.Context, n *node, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if !n.running() {
			return fmt.Errorf("%s exited while starting (%v); see %s", n, n.exitError(), n.logPath)
		}
		if ping(ctx, n.respAddr) == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s did not answer PING within %v", n, d)
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}

func (n *node) exitError() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exitErr
}

func ping(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	rc, err := dialRESP(ctx, addr)
	if err != nil {
		return err
	}
	defer rc.close()
	rs, err := rc.do(ctx, []string{"PING"})
	if err != nil {
		return err
	}
	if rs[0].str != "PONG" {
		return fmt.Errorf("PING: %s", rs[0])
	}
	return nil
}

// signal sends sig to the node's process group.
func (c *cluster) signal(n *node, sig syscall.Signal) error {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return fmt.Errorf("%s has no process", n)
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("signal %v to %s: %w", sig, n, err)
	}
	return nil
}

// waitExit waits for the node's process to exit.
func (n *node) waitExit(d time.Duration) error {
	n.mu.Lock()
	ch := n.exited
	n.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-time.After(d):
		return fmt.Errorf("%s still running after %v", n, d)
	}
}

// kill SIGKILLs the node and waits for it to die.
func (c *cluster) kill(n *node) error {
	if !n.running() {
		return nil
	}
	if err := c.signal(n, syscall.SIGKILL); err != nil {
		return err
	}
	return n.waitExit(10 * time.Second)
}

func (c *cluster) pause(n *node) error {
	if err := c.signal(n, syscall.SIGSTOP); err != nil {
		return err
	}
	n.mu.Lock()
	n.paused = true
	n.mu.Unlock()
	return nil
}

func (c *cluster) resume(n *node) error {
	n.mu.Lock()
	paused := n.paused
	n.paused = false
	n.mu.Unlock()
	if !paused || !n.running() {
		return nil
	}
	return c.signal(n, syscall.SIGCONT)
}

// restart starts a stopped member again from its state dir.
func (c *cluster) restart(ctx context.Context, n *node) error {
	if n.running() {
		return nil
	}
	if err := c.start(n, ""); err != nil {
		return err
	}
	return c.waitReady(ctx, n, 30*time.Second)
}

// partition cuts every link between the nodes of a and those of b, both
// ways.
func (c *cluster) partition(a, b []*node, r rule) {
	for _, x := range a {
		for _, y := range b {
			y.proxy.set(x.idx, r)
			x.proxy.set(y.idx, r)
		}
	}
}

// cut cuts the links from the nodes of from to those of to, one way: the
// connections from dials to to (which carry from's raft messages to
// them) are cut, those the other way still pass.
func (c *cluster) cut(from, to []*node, r rule) {
	for _, x := range from {
		for _, y := range to {
			y.proxy.set(x.idx, r)
		}
	}
}

// healNet passes all traffic again.
func (c *cluster) healNet() {
	c.mu.Lock()
	all := append([]*node(nil), c.all...)
	c.mu.Unlock()
	for _, n := range all {
		n.proxy.heal()
	}
}

// healAll undoes every fault: traffic passes, paused members resume, dead
// members restart.
func (c *cluster) healAll(ctx context.Context) error {
	c.healNet()
	var errs []error
	for _, n := range c.nodes() {
		if err := c.resume(n); err != nil {
			errs = append(errs, err)
		}
		if !n.running() {
			if err := c.restart(ctx, n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// membersOf asks node n for the member list.
func (c *cluster) membersOf(ctx context.Context, n *node) ([]member, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.apiAddr+"/mgmt/nodes", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /mgmt/nodes on %s: %w", n, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("GET /mgmt/nodes on %s: %w", n, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /mgmt/nodes on %s: %s: %s", n, resp.Status, body)
	}
	var ms []member
	if err := json.Unmarshal(body, &ms); err != nil {
		return nil, fmt.Errorf("GET /mgmt/nodes on %s: %w", n, err)
	}
	return ms, nil
}

// byAdv finds the node advertising raft address adv among all started.
func (c *cluster) byAdv(adv string) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.all {
		if n.advAddr == adv {
			return n
		}
	}
	return nil
}

// leader returns the member that running, unpaused nodes name as leader,
// or nil when none is known.
func (c *cluster) leader(ctx context.Context) *node {
	l, _ := c.leaderWhy(ctx)
	return l
}

// leaderWhy is leader, with what each node said when none is known.
func (c *cluster) leaderWhy(ctx context.Context) (*node, error) {
	var why []error
	for _, n := range c.nodes() {
		n.mu.Lock()
		paused := n.paused
		n.mu.Unlock()
		if paused || !n.running() {
			why = append(why, fmt.Errorf("%s: paused or down", n))
			continue
		}
		ms, err := c.membersOf(ctx, n)
		if err != nil {
			why = append(why, err)
			continue
		}
		named := "none"
		for _, m := range ms {
			if m.Role == "leader" {
				if l := c.byAdv(m.Raft); l != nil && !l.gone() {
					return l, nil
				}
				named = m.Raft + " (not a current member)"
			}
		}
		why = append(why, fmt.Errorf("%s names leader %s", n, named))
	}
	return nil, errors.Join(why...)
}

// errNotMember means no member lists the node.
var errNotMember = errors.New("not a member")

// memberID is n's member ID as the cluster lists it.
func (c *cluster) memberID(ctx context.Context, n *node) (string, error) {
	return c.memberIDVia(ctx, c.nodes(), n)
}

// memberIDVia is n's member ID as the first of asked that answers lists
// it; the error wraps errNotMember when that member does not list n.
func (c *cluster) memberIDVia(ctx context.Context, asked []*node, n *node) (string, error) {
	var errs []error
	for _, a := range asked {
		ms, err := c.membersOf(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, m := range ms {
			if m.Raft == n.advAddr {
				return m.ID, nil
			}
		}
		return "", fmt.Errorf("%s: %w (%s lists %+v)", n, errNotMember, a, ms)
	}
	return "", fmt.Errorf("nobody answered whether %s is a member: %w", n, errors.Join(errs...))
}

// transferLeader asks node via to hand the leadership to member id.
func (c *cluster) transferLeader(ctx context.Context, via *node, id string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout+3*time.Second)
	defer cancel()
	body := strings.NewReader(`{"id":"` + id + `"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+via.apiAddr+"/mgmt/leader", body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST /mgmt/leader %s via %s: %w", id, via, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST /mgmt/leader %s via %s: %s: %s", id, via, resp.Status, msg)
	}
	return nil
}

// probeWrite sets key on the node at addr, bounded by timeout.
func probeWrite(addr, key string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dialRESP(ctx, addr)
	if err != nil {
		return err
	}
	defer c.close()
	rs, err := c.do(ctx, []string{"SET", key, "1"})
	if err != nil {
		return err
	}
	// Redis's OOM error (the eviction workload under noeviction, full)
	// is decided in Apply: the node served the write through the log.
	if rs[0].kind != '+' && rs[0].String() != "-"+oomError {
		return fmt.Errorf("SET %s: %s", key, rs[0])
	}
	return nil
}

// removeMember asks node via to remove member id.
func (c *cluster) removeMember(ctx context.Context, via *node, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, "http://"+via.apiAddr+"/mgmt/nodes/"+id, nil)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("DELETE member %s via %s: %w", id, via, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("DELETE member %s via %s: %s: %s", id, via, resp.Status, body)
	}
	return nil
}

// dropMember forgets a node that left the cluster; its proxy stays up
// (closed at the end) so stale peers fail fast.
func (c *cluster) dropMember(n *node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n.mu.Lock()
	n.removed = true
	n.mu.Unlock()
	for i, m := range c.members {
		if m == n {
			c.members = append(c.members[:i], c.members[i+1:]...)
			return
		}
	}
}

// waitMembers waits until a member lists want reachable voters.
func (c *cluster) waitMembers(ctx context.Context, want int, d time.Duration) error {
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for _, n := range c.nodes() {
			ms, err := c.membersOf(ctx, n)
			if err != nil {
				last = err.Error()
				continue
			}
			ok, leaders := 0, 0
			for _, m := range ms {
				if m.Voter && m.Reachable {
					ok++
				}
				if m.Role == "leader" {
					leaders++
				}
			}
			if ok == want && len(ms) == want && leaders == 1 {
				return nil
			}
			last = fmt.Sprintf("%s lists %+v", n, ms)
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
	return fmt.Errorf("cluster did not settle on %d reachable voters within %v: %s", want, d, last)
}

// shutdown stops every process (SIGTERM, then SIGKILL) and closes the
// proxies. It is safe to call more than once.
func (c *cluster) shutdown() {
	c.mu.Lock()
	all := append([]*node(nil), c.all...)
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n.running() {
				_ = c.signal(n, syscall.SIGCONT)
				_ = c.signal(n, syscall.SIGTERM)
				if n.waitExit(10*time.Second) != nil {
					_ = c.signal(n, syscall.SIGKILL)
					_ = n.waitExit(10 * time.Second)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n.proxy.close(ctx)
		}()
	}
	wg.Wait()
}
