package admin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raftcache/raftcache/admin/metrics"
	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// statusCluster is fakeCluster with what the status page asks beyond
// Cluster.
type statusCluster struct {
	*fakeCluster
	members []cluster.Member
	st      cluster.Status
	changes []cluster.LeaderChange
	total   uint64
}

func (c *statusCluster) Members(ctx context.Context) ([]cluster.Member, error) {
	if _, err := c.fakeCluster.Members(ctx); err != nil {
		return nil, err
	}
	return c.members, nil
}

func (c *statusCluster) Status() cluster.Status { return c.st }

func (c *statusCluster) LeaderChanges() ([]cluster.LeaderChange, uint64) {
	return c.changes, c.total
}

// newStatusServer is a server over a statusCluster whose node 0xb
// follows 0xa, with 0xc a learner far behind.
func newStatusServer(t *testing.T, cfg Config) (http.Handler, *statusCluster) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	at := time.Date(2026, 12, 4, 6, 30, 1, 234e6, time.UTC)
	sc := &statusCluster{
		fakeCluster: &fakeCluster{store: fsm.New()},
		members: []cluster.Member{
			{ID: 0xa, RaftAddr: "10.0.0.1:7000", APIAddr: "10.0.0.1:8000", RESPAddr: "10.0.0.1:6379",
				Role: cluster.RoleLeader, Voter: true, Reachable: true, Match: 120},
			{ID: 0xb, RaftAddr: "10.0.0.2:7000", APIAddr: "10.0.0.2:8000", RESPAddr: "10.0.0.2:6379",
				Role: cluster.RoleFollower, Voter: true, Reachable: true, Match: 117},
			{ID: 0xc, RaftAddr: "10.0.0.3:7000", APIAddr: "10.0.0.3:8000", RESPAddr: "10.0.0.3:6379",
				Role: cluster.RoleLearner, Voter: false, Reachable: false, Match: 0},
		},
		st: cluster.Status{ID: 0xb, Role: cluster.RoleFollower, Term: 7, Leader: 0xa, Commit: 119, Applied: 115},
		changes: []cluster.LeaderChange{
			{Leader: 0xa, Term: 7, At: at},
			{Leader: 0xc, Term: 5, At: at.Add(-time.Hour)},
		},
		total: 9,
	}
	return NewServer(sc, sc.store, cfg).Handler(), sc
}

func request(h http.Handler, method, path, accept string, set func(*http.Request)) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(`{"Key":"k","Value":"v"}`))
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if set != nil {
		set(req)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestRootKeepsTheTutorialsAnswer: a client that does not ask for HTML
// gets, byte for byte, what GET / answered before the page existed (the
// tutorial's / takes only PUT and POST); one that does gets the page; and
// writes to / are writes whatever the client accepts.
func TestRootKeepsTheTutorialsAnswer(t *testing.T) {
	for _, withMetrics := range []bool{false, true} {
		cfg := Config{}
		if withMetrics {
			cfg.Metrics = metrics.New()
		}
		h, _ := newStatusServer(t, cfg)
		for _, accept := range []string{"", "*/*", "application/json", "text/*", "text/plain", "text/html;q=0",
			"application/json, text/html; q=0.000", "text/htmlx", "text/html/x"} {
			w := request(h, "GET", "/", accept, nil)
			wantHeader := http.Header{"Content-Type": {"application/json"}, "X-Content-Type-Options": {"nosniff"}}
			if w.Code != http.StatusMethodNotAllowed || w.Body.String() != `{"error":"method GET not allowed"}`+"\n" ||
				!equalHeaders(w.Header(), wantHeader) {
				t.Errorf("metrics %v, GET / with Accept %q: %d %v %.100q, want the tutorial's 405", withMetrics, accept, w.Code, w.Header(), w.Body)
			}
		}
		for _, accept := range []string{"text/html", "TEXT/HTML", "application/xhtml+xml",
			"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json;q=0.9, text/html;q=0.1"} {
			w := request(h, "GET", "/", accept, nil)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("metrics %v, GET / with Accept %q: %d %q, want the page", withMetrics, accept, w.Code, w.Header().Get("Content-Type"))
			}
		}
		for _, method := range []string{"PUT", "POST"} {
			if w := request(h, method, "/", "text/html", nil); w.Code != http.StatusNoContent {
				t.Errorf("%s / from a browser: %d %q, want the write's 204", method, w.Code, w.Body)
			}
		}
		for _, method := range []string{"HEAD", "DELETE"} {
			if w := request(h, method, "/", "text/html", nil); w.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s / from a browser: %d, want 405", method, w.Code)
			}
		}
	}
}

func equalHeaders(got, want http.Header) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if strings.Join(got.Values(k), "\n") != strings.Join(v, "\n") {
			return false
		}
	}
	return true
}

func TestStatusJSON(t *testing.T) {
	h, sc := newStatusServer(t, Config{})
	put := func(args ...string) {
		t.Helper()
		bs := make([][]byte, len(args))
		for i, a := range args {
			bs[i] = []byte(a)
		}
		c, _, err := fsm.Parse(bs, time.Now().UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Replicate(t.Context(), c.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
	}
	put("SET", "a", "1")
	put("SET", "b", "2")
	put("PEXPIRE", "b", "100000")

	w := request(h, "GET", "/mgmt/status", "", nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /mgmt/status: %d %v %s", w.Code, w.Header(), w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, got["time"].(string)); err != nil {
		t.Errorf("time %q: %v", got["time"], err)
	}
	delete(got, "time")
	mem := got["memory"].(map[string]any)
	if used := mem["used"].(float64); used <= 0 {
		t.Errorf("memory used %v, want > 0 with two keys", used)
	}
	mem["used"] = "x"
	want := `{"node":"000000000000000b","role":"follower","term":7,"leader":"000000000000000a",
		"commit":119,"applied":115,"backlog":4,"progress":true,
		"members":[
		 {"id":"000000000000000a","raft":"10.0.0.1:7000","api":"10.0.0.1:8000","resp":"10.0.0.1:6379","role":"leader","voter":true,"reachable":true,"match":120,"suffrage":"voter","lag":0,"self":false},
		 {"id":"000000000000000b","raft":"10.0.0.2:7000","api":"10.0.0.2:8000","resp":"10.0.0.2:6379","role":"follower","voter":true,"reachable":true,"match":117,"suffrage":"voter","lag":3,"self":true},
		 {"id":"000000000000000c","raft":"10.0.0.3:7000","api":"10.0.0.3:8000","resp":"10.0.0.3:6379","role":"learner","voter":false,"reachable":false,"match":0,"suffrage":"learner","auto_promote":true,"lag":120,"self":false}],
		"keys":2,"dbs":[{"db":0,"keys":2,"expires":1}],
		"memory":{"used":"x","maxmemory":0,"policy":"noeviction"},
		"leader_changes":[{"leader":"000000000000000a","term":7,"at":"2026-12-04T06:30:01.234Z"},
		 {"leader":"000000000000000c","term":5,"at":"2026-12-04T05:30:01.234Z"}],
		"leader_changes_total":9}`
	var wantV map[string]any
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		t.Fatal(err)
	}
	if g, w := mustJSON(t, got), mustJSON(t, wantV); g != w {
		t.Errorf("status\n%s\nwant\n%s", g, w)
	}

	// The leader could not be asked: no match indexes, no lags.
	for i := range sc.members {
		sc.members[i].Match = 0
	}
	w = request(h, "GET", "/mgmt/status", "", nil)
	var v statusView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.Progress || v.Members[0].Lag != nil || !strings.Contains(w.Body.String(), `"lag":null`) {
		t.Errorf("without the leader's progress: %s", w.Body)
	}

	sc.set(cluster.ErrStopped, nil)
	w = request(h, "GET", "/mgmt/status", "", nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "node stopped") {
		t.Errorf("node stopped: %d %s", w.Code, w.Body)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// TestStatusPage checks the server-rendered page: the view's figures are
// in it, escaped, and the Content-Security-Policy admits exactly its
// inline script and style (a browser would refuse to run anything else,
// and would refuse those on a mismatch; the browser test shows they run).
func TestStatusPage(t *testing.T) {
	h, sc := newStatusServer(t, Config{})
	sc.members[2].RaftAddr = `<b>"x"</b>`
	w := request(h, "GET", "/", "text/html", nil)
	if w.Code != 200 {
		t.Fatalf("GET /: %d %s", w.Code, w.Body)
	}
	page := w.Body.String()
	for _, want := range []string{
		`<title>raftcache 000000000000000b · follower</title>`,
		`<code id="leader">000000000000000a</code>`,
		`<dd id="backlog">4</dd>`,
		`<tr data-id="000000000000000b" class="self">`,
		`<td class="num">117</td><td class="num lag">3</td>`,
		`<td class="num">0</td><td class="num lag">120</td>`,
		`&lt;b&gt;&#34;x&#34;&lt;/b&gt;`,
		`<span id="changes-total">9</span>`,
		`<time>2026-12-04 06:30:01.234 UTC</time></td><td class="num">7</td><td><code>000000000000000a</code>`,
		`<td colspan="3" class="muted">no keys</td>`,
		`<dd id="mem-max">no limit</dd>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, re := range []*regexp.Regexp{scriptRE, styleRE} {
		m := re.FindAllStringSubmatch(page, -1)
		if len(m) != 1 {
			t.Fatalf("%d matches of %s in the page", len(m), re)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
			t.Errorf("CSP %q does not admit the page's %s (%s)", csp, re, h)
		}
	}
	if !strings.HasPrefix(csp, "default-src 'none';") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "src=") {
		t.Error("the page refers to something outside itself")
	}
	if w.Header().Get("Vary") != "Accept" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", w.Header())
	}

	sc.set(cluster.ErrStopped, nil)
	if w := request(h, "GET", "/", "text/html", nil); w.Code != http.StatusServiceUnavailable {
		t.Errorf("node stopped: %d %s", w.Code, w.Body)
	}
}

// TestStatusNeedsWhatMgmtReadsNeed: the page and its JSON show the
// cluster, so they take the client credential, as GET /mgmt/nodes does.
func TestStatusNeedsWhatMgmtReadsNeed(t *testing.T) {
	h, _ := newStatusServer(t, Config{Auth: Auth{Users: password("pw"), AdminToken: "tok"}})
	for _, path := range []string{"/", "/mgmt/status", "/mgmt/nodes"} {
		for _, c := range []struct {
			name string
			set  func(*http.Request)
			code int
		}{
			{"none", nil, 401},
			{"wrong", basic("", "nope"), 401},
			{"password", basic("", "pw"), 200},
			{"ACL user", basic("alice", "alice-pw"), 200},
			{"admin token", bearer("tok"), 200},
		} {
			w := request(h, "GET", path, "text/html", c.set)
			if w.Code != c.code {
				t.Errorf("GET %s with %s: %d, want %d", path, c.name, w.Code, c.code)
			}
			if w.Code == 401 && (w.Header().Get("WWW-Authenticate") == "" || strings.Contains(w.Body.String(), "000000000000000")) {
				t.Errorf("GET %s with %s: 401 %v %s", path, c.name, w.Header(), w.Body)
			}
		}
	}
	// Only the admin token configured: reads stay open, as /mgmt/nodes.
	h, _ = newStatusServer(t, Config{Auth: Auth{AdminToken: "tok"}})
	for _, path := range []string{"/", "/mgmt/status"} {
		if w := request(h, "GET", path, "text/html", nil); w.Code != 200 {
			t.Errorf("GET %s with only an admin token configured: %d", path, w.Code)
		}
	}
}

// TestStatusWithoutStatusSource: a Cluster that cannot tell its status
// (only tests have one) gets a clear 501, not a broken page.
func TestStatusWithoutStatusSource(t *testing.T) {
	fc := &fakeCluster{store: fsm.New()}
	h := NewServer(fc, fc.store, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	for _, accept := range []string{"text/html", ""} {
		path := map[string]string{"text/html": "/", "": "/mgmt/status"}[accept]
		if w := request(h, "GET", path, accept, nil); w.Code != http.StatusNotImplemented {
			t.Errorf("GET %s: %d %s", path, w.Code, w.Body)
		}
	}
}
