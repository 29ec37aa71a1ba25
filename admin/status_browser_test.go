package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/raftcache/raftcache/cluster/clustertest"
)

// TestStatusPageInChromium opens a follower's status page in headless
// Chromium, in a real three-node cluster of the built binary with a
// password set, and changes the cluster while the page is open: the
// leadership moves to the other follower and keys are written to
// database 5. The page's first poll of /mgmt/status is held (by a
// pass-through proxy in front of the node) until the change is done, so
// the page as first served cannot show it and the DOM Chromium dumps
// shows it only if the page's script refreshed it. The screenshot is
// written to $RAFTCACHE_SCREENSHOTS, or to the test's artifact directory
// (kept with go test -artifacts).
func TestStatusPageInChromium(t *testing.T) {
	browser := chromium(t)
	bin := buildRaftcache(t)
	const pw = "status-page-pw"
	ns := make([]*statusNode, 3)
	for i := range ns {
		ns[i] = newStatusNode(t, pw)
	}
	ns[0].start(t, bin, "")
	waitUntil(t, 15*time.Second, "the first node ready", func() bool {
		code, _ := ns[0].get("/readyz")
		return code == http.StatusOK
	})
	ns[1].start(t, bin, ns[0].raft)
	ns[2].start(t, bin, ns[0].raft)
	var views [3]statusView
	waitUntil(t, 20*time.Second, "three voters agreeing on a leader, with the leader's progress", func() bool {
		for i, n := range ns {
			if !n.status(&views[i]) || len(views[i].Members) != 3 || !views[i].Progress ||
				views[i].Leader == "" || views[i].Leader != views[0].Leader {
				return false
			}
			for _, m := range views[i].Members {
				if !m.Voter {
					return false
				}
			}
		}
		return true
	})
	var page, target *statusNode
	for i, n := range ns {
		switch {
		case views[i].Node == views[i].Leader:
		case page == nil:
			page = n
		default:
			target = n
		}
	}
	var before, after statusView
	if !page.status(&before) || !target.status(&after) {
		t.Fatal("GET /mgmt/status failed")
	}
	targetID := after.Node

	// The change, made once, before the page's first poll goes through.
	var (
		mu   sync.Mutex
		seen []string
		once sync.Once
	)
	change := func() {
		c := redis.NewClient(&redis.Options{Addr: page.resp, Password: pw, DB: 5, MaxRetries: -1})
		defer c.Close()
		for _, k := range []string{"new:1", "new:2"} {
			if err := c.Set(context.Background(), k, "v", time.Hour).Err(); err != nil {
				t.Errorf("SET %s in db 5: %v", k, err)
			}
		}
		if code, body := page.do("POST", "/mgmt/leader", `{"id":"`+targetID+`"}`); code != http.StatusNoContent {
			t.Errorf("POST /mgmt/leader: %d %s", code, body)
		}
	}
	api, err := url.Parse("http://" + page.api)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(api)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/mgmt/status" {
			once.Do(change)
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	dir := os.Getenv("RAFTCACHE_SCREENSHOTS")
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "status-page.png")
	start := time.Now()
	dom := browser.run(t, "http://default:"+pw+"@"+front.Listener.Addr().String()+"/",
		"--virtual-time-budget=10000", "--window-size=1200,800", "--screenshot="+shot, "--dump-dom")
	t.Logf("Chromium took %v; screenshot: %s", time.Since(start).Round(time.Millisecond), shot)

	mu.Lock()
	order := strings.Join(seen, ", ")
	mu.Unlock()
	if i := strings.Index(order, "GET /mgmt/status"); i < 0 || !strings.HasPrefix(order, "GET /,") {
		t.Fatalf("requests %s: want the page, then its polls", order)
	}
	if t.Failed() {
		t.FailNow()
	}

	if n := attr(t, dom, `data-refreshes="(\d+)"`); n == "0" {
		t.Errorf("the page never refreshed:\n%s", dom)
	}
	if e := attr(t, dom, `<span id="error" class="error">([^<]*)</span>`); e != "" {
		t.Errorf("the page shows an error: %s", e)
	}
	checks := []struct{ what, re, want string }{
		{"leader", `<code id="leader">([^<]*)</code>`, targetID},
		{"new leader's role", `<tr data-id="` + targetID + `"[^>]*>.*?class="role role-(\w+)"`, "leader"},
		{"old leader's role", `<tr data-id="` + before.Leader + `"[^>]*>.*?class="role role-(\w+)"`, "follower"},
		{"this node", `<tr data-id="` + before.Node + `" class="self"><td><code>[0-9a-f]+</code> <span class="muted">(this node)</span>`, "this node"},
		{"keys", `<span id="keys">(\d+)</span>`, strconv.Itoa(before.Keys + 2)},
		{"db 5", `<tr><td>db5</td><td class="num">(\d+)</td><td class="num">2</td></tr>`, "2"},
		{"leader changes", `<span id="changes-total">(\d+)</span>`, strconv.FormatUint(before.LeaderChangesTotal+1, 10)},
		{"newest change's leader", `<table id="changes">.*?<tbody><tr><td><time>[^<]+</time></td><td class="num">\d+</td><td><code>([0-9a-f]+)</code>`, targetID},
		{"memory limit", `<dd id="mem-max">([^<]*)</dd>`, "64.0 MiB"},
	}
	for _, c := range checks {
		if got := attr(t, dom, c.re); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
	term, _ := strconv.ParseUint(attr(t, dom, `<table id="changes">.*?<tbody><tr><td><time>[^<]+</time></td><td class="num">(\d+)</td>`), 10, 64)
	if term <= before.Term {
		t.Errorf("newest leader change in term %d, want one after term %d", term, before.Term)
	}
	for _, lag := range regexp.MustCompile(`<td class="num lag">([^<]*)</td>`).FindAllStringSubmatch(dom, -1) {
		if _, err := strconv.ParseUint(lag[1], 10, 64); err != nil {
			t.Errorf("a member's lag is %q", lag[1])
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	checkScreenshot(t, shot)
}

// attr returns re's first group in s, or "" if re does not match.
func attr(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile("(?s)" + re).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// checkScreenshot requires a 1200×800 PNG with more on it than a blank
// or an error page: the page's colours and text make thousands.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	b := img.Bounds()
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if b.Dx() != 1200 || b.Dy() != 800 || len(colours) < 100 {
		t.Errorf("screenshot %s: %dx%d with %d colours", path, b.Dx(), b.Dy(), len(colours))
	}
}

// headless is a Chromium to run headless.
type headless struct{ path string }

// chromium finds Debian's chromium (make deps installs it). Without it
// the test is skipped, except in CI, where make test has installed it.
func chromium(t *testing.T) headless {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; make deps installs it")
		}
		t.Skip("chromium is not installed (apt-get install chromium, or make deps)")
	}
	return headless{path}
}

// run loads u in a new headless Chromium with an empty profile and
// returns what it printed (the DOM, with --dump-dom). The flags keep it
// from reaching for anything but u: the machine may have no way out.
func (h headless) run(t *testing.T, u string, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, flags...)
	cmd := exec.CommandContext(ctx, h.path, append(args, u)...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	// Chromium is a tree of processes: a group of its own lets a timeout
	// end all of them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // any helper left behind
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, errs.String())
	}
	return out.String()
}

// buildRaftcache builds the binary the nodes run.
func buildRaftcache(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "raftcache")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/raftcache/raftcache/cmd/raftcache")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// statusNode is one raftcache process.
type statusNode struct {
	raft, api, resp, dir, pw string
	mu                       sync.Mutex
	log                      bytes.Buffer
}

func newStatusNode(t *testing.T, pw string) *statusNode {
	t.Helper()
	addrs, err := clustertest.FreeAddrs("127.0.0.1", 3)
	if err != nil {
		t.Fatal(err)
	}
	return &statusNode{raft: addrs[0], api: addrs[1], resp: addrs[2], dir: t.TempDir(), pw: pw}
}

func (n *statusNode) Write(b []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.log.Write(b)
}

func (n *statusNode) start(t *testing.T, bin, join string) {
	t.Helper()
	args := []string{"-state_dir", n.dir, "-raft", n.raft, "-api", n.api, "-resp", n.resp,
		"-requirepass", n.pw, "-maxmemory", "64mb"}
	if join != "" {
		args = append(args, "-join", join)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = n, n
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			n.mu.Lock()
			t.Logf("--- log of node %s\n%s", n.raft, n.log.String())
			n.mu.Unlock()
		}
	})
}

func (n *statusNode) do(method, path, body string) (int, string) {
	req, err := http.NewRequest(method, "http://"+n.api+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.SetBasicAuth("default", n.pw)
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(b)
}

func (n *statusNode) get(path string) (int, string) { return n.do("GET", path, "") }

// status reads the node's GET /mgmt/status into v.
func (n *statusNode) status(v *statusView) bool {
	code, body := n.get("/mgmt/status")
	*v = statusView{}
	return code == http.StatusOK && json.Unmarshal([]byte(body), v) == nil
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
