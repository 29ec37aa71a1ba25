package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// These tests build the binary and drive real processes over real sockets,
// as a user would.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "raftcache-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "raftcache")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one raftcache process and the ports it owns.
type proc struct {
	t               *testing.T
	dir             string
	raft, api, resp string
	cmd             *exec.Cmd
	exited          chan struct{}
	exitErr         error
	mu              sync.Mutex
	log             bytes.Buffer
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// newProc reserves free ports and a state directory for a node.
func newProc(t *testing.T) *proc {
	t.Helper()
	ports := freePorts(t, 3)
	return &proc{t: t, dir: t.TempDir(), raft: ports[0], api: ports[1], resp: ports[2]}
}

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	addrs, err := clustertest.FreeAddrs("127.0.0.1", n)
	if err != nil {
		t.Fatal(err)
	}
	return addrs
}

func (p *proc) start(join *proc) {
	p.t.Helper()
	p.startWith(join)
}

// startWith starts the node with extra flags and waits until it answers.
func (p *proc) startWith(join *proc, extra ...string) {
	p.t.Helper()
	p.launch(join, extra...)
	waitFor(p.t, 15*time.Second, "PING on "+p.resp, func() bool {
		err := p.client().Ping(context.Background()).Err()
		return err == nil || strings.HasPrefix(err.Error(), "NOAUTH")
	})
}

// launch starts the node with extra flags, without waiting.
func (p *proc) launch(join *proc, extra ...string) {
	p.t.Helper()
	args := []string{"-state_dir", p.dir, "-raft", p.raft, "-api", p.api, "-resp", p.resp}
	if join != nil {
		args = append(args, "-join", join.raft)
	}
	args = append(args, extra...)
	p.exec(args, nil)
}

// exec starts the binary with exactly args, and env added to the
// environment, without waiting.
func (p *proc) exec(args, env []string) {
	p.t.Helper()
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.exited)
	}()
	p.t.Cleanup(func() {
		if p.running() {
			p.cmd.Process.Kill()
			<-p.exited
		}
		if p.t.Failed() {
			p.t.Logf("--- log of node %s\n%s", p.raft, p.logs())
		}
	})
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// waitExit waits for the process to exit and returns its exit code.
func (p *proc) waitExit(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		p.t.Fatalf("node %s still running after %v", p.raft, d)
	}
	var ee *exec.ExitError
	if errors.As(p.exitErr, &ee) {
		return ee.ExitCode()
	}
	return 0
}

func (p *proc) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.resp, DialTimeout: time.Second, ReadTimeout: 10 * time.Second, MaxRetries: -1})
	p.t.Cleanup(func() { c.Close() })
	return c
}

func (p *proc) http(method, path, body string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, "http://"+p.api+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type member struct {
	ID        string `json:"id"`
	Raft      string `json:"raft"`
	Role      string `json:"role"`
	Voter     bool   `json:"voter"`
	Reachable bool   `json:"reachable"`
	Match     uint64 `json:"match"`
}

func (p *proc) members() []member {
	p.t.Helper()
	code, body := p.http("GET", "/mgmt/nodes", "")
	var ms []member
	if code != 200 || json.Unmarshal([]byte(body), &ms) != nil {
		p.t.Fatalf("GET /mgmt/nodes: %d %s", code, body)
	}
	return ms
}

// waitVoters waits until via lists n members, every one a voter: a joiner
// enters as a learner, and a test that stops a member before the others
// are promoted would find no quorum.
func waitVoters(t *testing.T, via *proc, n int) {
	t.Helper()
	waitFor(t, 15*time.Second, fmt.Sprintf("%d voters", n), func() bool {
		ms := via.members()
		for _, m := range ms {
			if !m.Voter {
				return false
			}
		}
		return len(ms) == n
	})
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSingleNode(t *testing.T) {
	ctx := context.Background()
	n := newProc(t)
	n.start(nil)
	c := n.client()
	if err := c.Set(ctx, "hello", "medium", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if code, _ := n.http("PUT", "/", `{"Key":"greeting", "Value":"world"}`); code/100 != 2 {
		t.Errorf("PUT / = %d", code)
	}
	if code, body := n.http("GET", "/hello", ""); code != 200 || body != "medium" {
		t.Errorf("GET /hello = %d %q", code, body)
	}
	if got, err := c.Get(ctx, "greeting").Result(); err != nil || got != "world" {
		t.Errorf("GET greeting = %q, %v", got, err)
	}
	if got, err := c.Incr(ctx, "counter").Result(); err != nil || got != 1 {
		t.Errorf("INCR = %d, %v", got, err)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"PUT", "/", `{"Key":`, 400},
		{"GET", "/no-such-key", "", 404},
		{"DELETE", "/mgmt/nodes/123456789", "", 404},
	} {
		if code, body := n.http(tc.method, tc.path, tc.body); code != tc.code || !json.Valid([]byte(body)) {
			t.Errorf("%s %s = %d %q, want %d with a JSON error", tc.method, tc.path, code, body, tc.code)
		}
	}

	// SIGTERM: a clean exit; a restart from the state dir has everything.
	n.cmd.Process.Signal(syscall.SIGTERM)
	if code := n.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit status after SIGTERM = %d", code)
	}
	n.start(nil)
	c = n.client()
	for k, want := range map[string]string{"hello": "medium", "greeting": "world", "counter": "1"} {
		if got, err := c.Get(ctx, k).Result(); err != nil || got != want {
			t.Errorf("after restart GET %s = %q, %v; want %q", k, got, err, want)
		}
	}
}

func TestThreeNodes(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	if ms := n1.members(); len(ms) != 3 {
		t.Fatalf("members = %+v, want 3", ms)
	}
	// Joiners enter as learners; the leader promotes them once caught up.
	waitFor(t, 10*time.Second, "three voters", func() bool {
		for _, m := range n1.members() {
			if !m.Voter {
				return false
			}
		}
		return true
	})
	// Write anywhere, read anywhere (linearizable by default).
	for i, w := range []*proc{n1, n2, n3} {
		if err := w.client().Set(ctx, "k"+strconv.Itoa(i), "v"+strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatalf("SET on node %d: %v", i+1, err)
		}
		for j, r := range []*proc{n1, n2, n3} {
			if got, err := r.client().Get(ctx, "k"+strconv.Itoa(i)).Result(); err != nil || got != "v"+strconv.Itoa(i) {
				t.Errorf("GET k%d on node %d = %q, %v", i, j+1, got, err)
			}
		}
	}
	ms := n2.members()
	leaders := 0
	for _, m := range ms {
		if m.Role == "leader" {
			leaders++
		}
		if !m.Voter || !m.Reachable {
			t.Errorf("member %+v: want a reachable voter", m)
		}
	}
	if leaders != 1 {
		t.Errorf("%d leaders in %+v", leaders, ms)
	}

	// Leadership moves on request, asked on any node (here to a follower
	// other than n3, which is killed below).
	var next member
	for _, m := range ms {
		if m.Role != "leader" && m.Raft != n3.raft {
			next = m
		}
	}
	if code, body := n3.http("POST", "/mgmt/leader", `{"id":"`+next.ID+`"}`); code != 204 {
		t.Fatalf("POST /mgmt/leader: %d %s", code, body)
	}
	// n3 answered once it saw the new leader; the others learn it too.
	waitFor(t, 10*time.Second, next.ID+" leading on every node", func() bool {
		for _, p := range []*proc{n1, n2, n3} {
			for _, m := range p.members() {
				if (m.Role == "leader") != (m.ID == next.ID) {
					return false
				}
			}
		}
		return true
	})
	if code, body := n1.http("POST", "/mgmt/leader", `{"id":"123456789"}`); code != 404 || !json.Valid([]byte(body)) {
		t.Errorf("transfer to an unknown member: %d %s, want 404 with a JSON error", code, body)
	}
	if err := n1.client().Set(ctx, "after", "transfer", 0).Err(); err != nil {
		t.Fatalf("SET after the transfer: %v", err)
	}

	// A node killed while writes go on catches up after a restart.
	n3.kill()
	if err := n1.client().Set(ctx, "foo", "bar", 0).Err(); err != nil {
		t.Fatalf("SET with a node down: %v", err)
	}
	n3.start(n1) // -join is ignored: the state dir wins
	if got, err := n3.client().Get(ctx, "foo").Result(); err != nil || got != "bar" {
		t.Errorf("restarted node reads foo = %q, %v", got, err)
	}
	if len(n1.members()) != 3 {
		t.Errorf("restart with -join added a member: %+v", n1.members())
	}

	// Removal: the removed node exits 0 by itself.
	var id3 string
	for _, m := range n1.members() {
		if m.Raft == n3.raft {
			id3 = m.ID
		}
	}
	if code, body := n1.http("DELETE", "/mgmt/nodes/"+id3, ""); code/100 != 2 {
		t.Fatalf("DELETE member: %d %s", code, body)
	}
	if code := n3.waitExit(15 * time.Second); code != 0 {
		t.Errorf("removed node exit status = %d", code)
	}
	waitFor(t, 10*time.Second, "2 members", func() bool { return len(n1.members()) == 2 })
	if err := n2.client().Set(ctx, "after", "remove", 0).Err(); err != nil {
		t.Fatalf("SET after removal: %v", err)
	}
	if got, _ := n1.client().Get(ctx, "after").Result(); got != "remove" {
		t.Errorf("GET after removal = %q", got)
	}
}

// TestActiveExpiry checks that keys nobody reads again are deleted on
// every node once they expire: the leader proposes their deletion, and
// every node counts them in INFO stats.
func TestActiveExpiry(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	waitVoters(t, n1, 3)
	c := n2.client()
	for i := range 50 {
		if err := c.Set(ctx, "tmp"+strconv.Itoa(i), "v", 300*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Set(ctx, "kept", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{n1, n2, n3} {
		pc := p.client()
		// DBSIZE counts expired keys until they are deleted.
		waitFor(t, 15*time.Second, "DBSIZE 1 on "+p.resp, func() bool {
			n, err := pc.DBSize(ctx).Result()
			return err == nil && n == 1
		})
		info, err := pc.Info(ctx, "stats").Result()
		if err != nil || !strings.Contains(info, "\r\nexpired_keys:50\r\n") {
			t.Errorf("INFO stats on %s: %v\n%s", p.resp, err, info)
		}
	}
}

// TestServerFlags checks the RESP flags reach the server: a password, the
// request limits and the advertised address; and that the memory flags
// are parsed (a bad -memory_limit is refused).
func TestServerFlags(t *testing.T) {
	ctx := context.Background()
	n := newProc(t)
	n.startWith(nil, "-requirepass", "pw", "-proto_max_bulk_len", "2mb", "-client_query_buffer_limit", "3MB",
		"-resp_advertise", "127.0.0.1:7777", "-gc_percent", "10", "-memory_limit", "1gb")
	if err := n.client().Ping(ctx).Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
		t.Errorf("PING without a password: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: n.resp, Password: "pw"})
	defer c.Close()
	got, err := c.ConfigGet(ctx, "*").Result()
	if err != nil || got["proto-max-bulk-len"] != "2097152" || got["client-query-buffer-limit"] != "3145728" ||
		got["requirepass"] != "pw" {
		t.Errorf("CONFIG GET * = %v, %v", got, err)
	}
	// CLUSTER SLOTS is empty until the node has elected itself.
	var slots []redis.ClusterSlot
	waitFor(t, 15*time.Second, "CLUSTER SLOTS", func() bool {
		slots, err = c.ClusterSlots(ctx).Result()
		return err == nil && len(slots) == 1
	})
	if addr := slots[0].Nodes[0].Addr; addr != "127.0.0.1:7777" {
		t.Errorf("CLUSTER SLOTS = %+v, want the advertised address", slots)
	}
	for _, flag := range []string{"proto_max_bulk_len", "memory_limit"} {
		bad := exec.Command(binPath, "-state_dir", t.TempDir(), "-"+flag, "lots")
		if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), flag) {
			t.Errorf("a bad -%s: %v\n%s", flag, err, out)
		}
	}
}

// TestQuorumLoss: without a quorum every request fails within -timeout,
// with CLUSTERDOWN on RESP (TRYAGAIN for a write whose outcome is
// unknown) and 503 on HTTP, never a hang; once a quorum is back the
// survivor serves again without a restart.
func TestQuorumLoss(t *testing.T) {
	ctx := context.Background()
	const timeout = time.Second
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	flags := []string{"-timeout", timeout.String()}
	n1.startWith(nil, flags...)
	n2.startWith(n1, flags...)
	n3.startWith(n1, flags...)
	c := n1.client()
	if err := c.Set(ctx, "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	n2.kill()
	n3.kill()
	bounded := func(what string, f func() error, prefixes ...string) {
		t.Helper()
		start := time.Now()
		err := f()
		if took := time.Since(start); took > timeout+2*time.Second {
			t.Errorf("%s took %v, want an answer within the %v bound", what, took, timeout)
		}
		if err == nil {
			t.Errorf("%s succeeded without a quorum", what)
			return
		}
		for _, p := range prefixes {
			if strings.HasPrefix(err.Error(), p) {
				return
			}
		}
		t.Errorf("%s: %v, want an error starting with one of %q", what, err, prefixes)
	}
	for range 2 { // while the old leader still leads, and after it steps down
		bounded("RESP GET", func() error { return c.Get(ctx, "a").Err() }, "CLUSTERDOWN ")
		bounded("RESP SET", func() error { return c.Set(ctx, "b", "2", 0).Err() }, "CLUSTERDOWN ", "TRYAGAIN ")
		bounded("HTTP GET", func() error { return httpError(n1.http("GET", "/a", "")) }, "503 ")
		bounded("HTTP PUT", func() error { return httpError(n1.http("PUT", "/", `{"Key":"b","Value":"2"}`)) }, "503 ")
	}
	n2.startWith(nil, flags...)
	waitFor(t, 15*time.Second, "a write on the survivor", func() bool { return c.Set(ctx, "c", "3", 0).Err() == nil })
	if got, err := c.Get(ctx, "a").Result(); err != nil || got != "1" {
		t.Errorf("after the quorum returned GET a = %q, %v; want 1", got, err)
	}
}

// httpError turns a response that is not a 2xx into an error "<code> <body>".
func httpError(code int, body string) error {
	if code/100 == 2 {
		return nil
	}
	if !json.Valid([]byte(body)) {
		body = "(not JSON) " + body
	}
	return fmt.Errorf("%d %s", code, body)
}

// TestKilledAfterSnapshotInstall: a node that installed a snapshot from the
// leader and acknowledged it must find it again after SIGKILL. etcd's WAL
// fsyncs a HardState only when the term or vote changes, and a snapshot
// record counts on restart only if a durable HardState commits its index:
// without a sync of its own, the snapshot was lost while the leader
// believed it delivered, and the restarted node panicked on the leader's
// first heartbeat ("tocommit out of range"), for good (etcd issue 10219).
func TestKilledAfterSnapshotInstall(t *testing.T) {
	ctx := context.Background()
	flags := []string{"-snapshot_entries", "20"}
	n1, n2 := newProc(t), newProc(t)
	n1.startWith(nil, flags...)
	c1 := n1.client()
	for i := range 100 {
		if err := c1.Set(ctx, "k"+strconv.Itoa(i), strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// n1 compacted its log: n2 catches up from a snapshot, and nothing is
	// written after it, so nothing else makes n2 sync its WAL.
	n2.startWith(n1, flags...)
	c2 := n2.client()
	waitFor(t, 15*time.Second, "n2 caught up", func() bool {
		v, err := c2.Get(ctx, "k99").Result()
		return err == nil && v == "99"
	})
	// The node logs the install after it has restored the state, so the
	// GET above may come first.
	waitFor(t, 5*time.Second, "n2 caught up from a snapshot (the test needs it to)", func() bool {
		return strings.Contains(n2.logs(), "restored snapshot from leader")
	})
	n2.kill()
	n2.startWith(nil, flags...)
	c2 = n2.client()
	waitFor(t, 15*time.Second, "n2 serving after the restart", func() bool {
		v, err := c2.Get(ctx, "k0").Result()
		return err == nil && v == "0"
	})
	if err := c2.Set(ctx, "after", "restart", 0).Err(); err != nil {
		t.Errorf("SET after the restart: %v", err)
	}
	if !n2.running() {
		t.Errorf("n2 exited after its restart")
	}
}
