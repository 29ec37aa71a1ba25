package admin

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/admin/metrics"
	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// routes are one request of each kind the API serves, and some it does not.
var authRoutes = []struct {
	method, path string
	need         access
}{
	{"GET", "/somekey", accessClient},
	{"GET", "/mgmt%2Fnodes", accessClient}, // a key, not the route
	{"PUT", "/", accessClient},
	{"POST", "/", accessClient},
	{"GET", "/mgmt/nodes", accessClient},
	{"GET", "/mgmt/snapshot", accessAdmin}, // the whole state
	{"HEAD", "/mgmt/snapshot", accessAdmin},
	{"GET", "/mgmt/snapshot?x=1", accessAdmin},
	{"GET", "/mgmt%2Fsnapshot", accessClient}, // a key
	{"DELETE", "/mgmt/nodes/0000000000000002", accessAdmin},
	{"POST", "/mgmt/nodes", accessAdmin},
	{"PATCH", "/mgmt/nodes/0000000000000002", accessAdmin},
	{"POST", "/mgmt/leader", accessAdmin},
	{"POST", "/mgmt/anything-added-later", accessAdmin},
	{"GET", "/no/such/route", accessClient},
	{"GET", "/metrics", accessOpen},
	{"GET", "/healthz", accessOpen},
	{"GET", "/readyz", accessOpen},
}

func serve(t *testing.T, a Auth, method, path string, set func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	s := &Server{cfg: Config{Auth: a}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot) // "let through"
	}))
	req := httptest.NewRequest(method, path, strings.NewReader(`{"Key":"k","Value":"v"}`))
	if set != nil {
		set(req)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func basic(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

// users is a Users with one password per user name.
type users map[string]string

func (u users) NeedsAuth() (bool, error) { return u["default"] != "", nil }
func (u users) Check(user, pass string) bool {
	p, ok := u[user]
	return ok && p == pass
}

func password(p string) Users { return users{"default": p, "alice": "alice-pw"} }

// unsynced is the Users of a node that has not reached the cluster since
// it started and has no password in its local state.
type unsynced struct{}

func (unsynced) NeedsAuth() (bool, error)     { return true, cluster.ErrNoLeader }
func (unsynced) Check(user, pass string) bool { return false }

// TestUnsureNodeAnswersUnavailable: a node that cannot tell whether the
// cluster has a password answers 503, as RESP answers CLUSTERDOWN, on
// every route that needs a credential; the admin token still works and
// the ops routes stay open.
func TestUnsureNodeAnswersUnavailable(t *testing.T) {
	a := Auth{Users: unsynced{}, AdminToken: "admin-tok"}
	for _, rt := range authRoutes {
		w := serve(t, a, rt.method, rt.path, nil)
		want := http.StatusServiceUnavailable
		if rt.need == accessOpen {
			want = http.StatusTeapot
		}
		if w.Code != want {
			t.Errorf("%s %s without credentials: %d %s, want %d", rt.method, rt.path, w.Code, w.Body, want)
			continue
		}
		if want == http.StatusServiceUnavailable {
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !strings.HasPrefix(body["error"], "cluster unavailable: ") {
				t.Errorf("%s %s: body %q, want a JSON cluster unavailable error", rt.method, rt.path, w.Body)
			}
			if ch := w.Header().Values("WWW-Authenticate"); len(ch) != 0 {
				t.Errorf("%s %s: WWW-Authenticate %q on a 503", rt.method, rt.path, ch)
			}
		}
		if w := serve(t, a, rt.method, rt.path, bearer("admin-tok")); w.Code != http.StatusTeapot {
			t.Errorf("%s %s with the admin token: %d, want it let through", rt.method, rt.path, w.Code)
		}
	}
}

func TestNoCredentialsConfiguredLetsEverythingThrough(t *testing.T) {
	for _, rt := range authRoutes {
		if w := serve(t, Auth{}, rt.method, rt.path, nil); w.Code != http.StatusTeapot {
			t.Errorf("%s %s without any credential configured: %d", rt.method, rt.path, w.Code)
		}
	}
}

func TestAuthPerRouteAndCredential(t *testing.T) {
	a := Auth{Users: password("client-pw"), AdminToken: "admin-tok"}
	creds := []struct {
		name  string
		set   func(*http.Request)
		grant access // highest access it gives
		ok    bool   // a credential at all
	}{
		{"none", nil, accessOpen, false},
		{"bearer password", bearer("client-pw"), accessClient, true},
		{"basic default password", basic("default", "client-pw"), accessClient, true},
		{"basic empty user password", basic("", "client-pw"), accessClient, true},
		{"bearer admin", bearer("admin-tok"), accessAdmin, true},
		{"basic admin", basic("admin", "admin-tok"), accessAdmin, true},
		{"basic ACL user", basic("alice", "alice-pw"), accessClient, true},
		{"bearer ACL user", bearer("alice:alice-pw"), accessClient, true},
		{"bearer default user by name", bearer("default:client-pw"), accessClient, true},
		{"bearer ACL user, wrong password", bearer("alice:client-pw"), accessOpen, true},
		{"bearer ACL user, no name", bearer(":alice-pw"), accessOpen, true},
		{"bearer admin token as a user's", bearer("admin:admin-tok"), accessOpen, true},
		{"basic ACL user, default's password", basic("alice", "client-pw"), accessOpen, true},
		{"wrong", bearer("client-pw2"), accessOpen, true},
		{"prefix", bearer("client-p"), accessOpen, true},
		{"unknown user", basic("bob", "client-pw"), accessOpen, true},
		{"malformed", func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }, accessOpen, false},
	}
	for _, rt := range authRoutes {
		for _, c := range creds {
			w := serve(t, a, rt.method, rt.path, c.set)
			allowed := rt.need == accessOpen || c.grant >= rt.need
			if allowed {
				if w.Code != http.StatusTeapot {
					t.Errorf("%s %s with %s: %d %s, want it let through", rt.method, rt.path, c.name, w.Code, w.Body)
				}
				continue
			}
			if w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d, want 401", rt.method, rt.path, c.name, w.Code)
				continue
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 1 || body["error"] == "" {
				t.Errorf("%s %s with %s: body %q, want one JSON error", rt.method, rt.path, c.name, w.Body)
			}
			want := map[bool]string{false: "authentication required", true: "invalid credentials"}[c.ok]
			if c.grant == accessClient {
				want = "admin credential required"
			}
			if body["error"] != want {
				t.Errorf("%s %s with %s: error %q, want %q", rt.method, rt.path, c.name, body["error"], want)
			}
			if ch := w.Header().Values("WWW-Authenticate"); len(ch) != 2 || !strings.HasPrefix(ch[0], "Basic ") {
				t.Errorf("%s %s with %s: WWW-Authenticate %q", rt.method, rt.path, c.name, ch)
			}
		}
	}
}

func TestAdminCredentialDefaultsToThePassword(t *testing.T) {
	a := Auth{Users: password("pw")}
	if w := serve(t, a, "DELETE", "/mgmt/nodes/02", bearer("pw")); w.Code != http.StatusTeapot {
		t.Fatalf("the password on a mutation without -admin_token: %d", w.Code)
	}
	if w := serve(t, a, "DELETE", "/mgmt/nodes/02", basic("alice", "alice-pw")); w.Code != http.StatusTeapot {
		t.Fatalf("an ACL user on a mutation without -admin_token: %d", w.Code)
	}
	if w := serve(t, a, "DELETE", "/mgmt/nodes/02", nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("no credential on a mutation: %d", w.Code)
	}
}

func TestAdminTokenAloneProtectsOnlyMutations(t *testing.T) {
	a := Auth{AdminToken: "tok"}
	if w := serve(t, a, "GET", "/k", nil); w.Code != http.StatusTeapot {
		t.Fatalf("key read with no password set: %d", w.Code)
	}
	if w := serve(t, a, "POST", "/mgmt/leader", nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("mutation without the admin token: %d", w.Code)
	}
}

func TestPasswordChangesApplyAtOnce(t *testing.T) {
	u := users{"default": "old"}
	a := Auth{Users: u}
	if w := serve(t, a, "GET", "/k", bearer("old")); w.Code != http.StatusTeapot {
		t.Fatalf("current password refused: %d", w.Code)
	}
	u["default"] = "new" // CONFIG SET requirepass new
	if w := serve(t, a, "GET", "/k", bearer("old")); w.Code != http.StatusUnauthorized {
		t.Fatalf("old password accepted after a change: %d", w.Code)
	}
}

func TestProtectOps(t *testing.T) {
	a := Auth{Users: password("pw"), ProtectOps: true}
	for _, p := range opsPaths {
		if w := serve(t, a, "GET", p, nil); w.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with ProtectOps and no credential: %d", p, w.Code)
		}
		if w := serve(t, a, "GET", p, bearer("pw")); w.Code != http.StatusTeapot {
			t.Errorf("GET %s with ProtectOps and the password: %d", p, w.Code)
		}
	}
}

// The middleware is in front of the router: a real server answers 401
// before looking at the path.
func TestServerHandlerIsAuthenticated(t *testing.T) {
	s := NewServer(nil, nil, Config{Auth: Auth{Users: password("pw")}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, path := range []string{"/k", "/mgmt/nodes", "/no/such/route"} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusUnauthorized {
			t.Errorf("GET %s: %d, want 401", path, w.Code)
		}
	}
}

// backupCluster is a fakeCluster that can take backups.
type backupCluster struct{ *fakeCluster }

func (b backupCluster) Backup(_ context.Context, w io.Writer) (cluster.BackupInfo, error) {
	_, err := io.WriteString(w, "BACKUP OF "+secretValue)
	return cluster.BackupInfo{Term: 1, Index: 1}, err
}

const secretValue = "s3cret-value"

// TestEveryRouteRefusesWithoutCredentials drives the real handler, routes
// and fake cluster included: without credentials or with wrong ones every
// key and /mgmt route answers 401 with a JSON error alone, and nothing
// happens (no write, no member removed, no leader moved); with the right
// credential the route runs. /healthz, /readyz and /metrics stay open.
func TestEveryRouteRefusesWithoutCredentials(t *testing.T) {
	fc := &fakeCluster{store: fsm.New()}
	put, _, err := fsm.Parse([][]byte{[]byte("SET"), []byte("k1"), []byte(secretValue)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fc.Replicate(context.Background(), put.AppendBinary(nil)); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(backupCluster{fc}, fc.store, Config{
		Logger:  slog.New(slog.DiscardHandler),
		Metrics: metrics.New(),
		Auth:    Auth{Users: password("client-pw"), AdminToken: "admin-tok"},
	})
	routes := []struct {
		method, path, body string
		need               access
		want               int // status with the admin token
	}{
		{"GET", "/k1", "", accessClient, 200},
		{"GET", "/missing", "", accessClient, 404},
		{"PUT", "/", `{"Key":"k1","Value":"overwritten"}`, accessClient, 204},
		{"POST", "/", `{"Key":"k2","Value":"new"}`, accessClient, 204},
		{"GET", "/mgmt/nodes", "", accessClient, 200},
		{"GET", "/mgmt/snapshot", "", accessAdmin, 200},
		{"DELETE", "/mgmt/nodes/0000000000000def", "", accessAdmin, 204},
		{"POST", "/mgmt/leader", `{"id":"0000000000000abc"}`, accessAdmin, 204},
		{"POST", "/mgmt/nodes", `{"raft":"10.0.0.3:7000"}`, accessAdmin, 0}, // 0: any but 401
		{"PATCH", "/mgmt/nodes/0000000000000def", `{"voter":true}`, accessAdmin, 0},
		{"GET", "/no/such/route", "", accessClient, 404},
		{"GET", "/healthz", "", accessOpen, 200},
		{"GET", "/readyz", "", accessOpen, 200},
		{"GET", "/metrics", "", accessOpen, 200},
	}
	refused := []struct {
		name string
		set  func(*http.Request)
	}{
		{"no credentials", nil},
		{"wrong bearer", bearer("client-pw-wrong")},
		{"wrong basic", basic("default", "wrong")},
		{"unknown user", basic("mallory", "client-pw")},
		{"ACL user, wrong password", bearer("alice:wrong")},
	}
	run := func(method, path, body string, set func(*http.Request)) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if set != nil {
			set(req)
		}
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		return w
	}
	for _, rt := range routes {
		for _, c := range refused {
			w := run(rt.method, rt.path, rt.body, c.set)
			if rt.need == accessOpen {
				if w.Code != rt.want {
					t.Errorf("%s %s with %s: %d, want %d (open)", rt.method, rt.path, c.name, w.Code, rt.want)
				}
				continue
			}
			var body map[string]string
			if w.Code != http.StatusUnauthorized || w.Header().Get("Content-Type") != "application/json" ||
				json.Unmarshal(w.Body.Bytes(), &body) != nil || len(body) != 1 || body["error"] == "" {
				t.Errorf("%s %s with %s: %d %q %q, want 401 with one JSON error", rt.method, rt.path, c.name,
					w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			for _, leak := range []string{secretValue, "10.0.0.1", "abc", "not found"} {
				if strings.Contains(w.Body.String(), leak) {
					t.Errorf("%s %s with %s: the 401 says %q: %s", rt.method, rt.path, c.name, leak, w.Body)
				}
			}
		}
	}
	// Nothing the refused requests asked for happened.
	if w := run("GET", "/k1", "", bearer("client-pw")); w.Body.String() != secretValue {
		t.Errorf("k1 after the refused requests = %q, want it unchanged", w.Body)
	}
	if w := run("GET", "/k2", "", bearer("client-pw")); w.Code != 404 {
		t.Errorf("k2 after the refused requests: %d, want 404", w.Code)
	}
	if len(fc.removed) != 0 || fc.leader != 0 {
		t.Errorf("refused requests removed %v, moved the leader to %x", fc.removed, fc.leader)
	}
	// A client credential opens the key routes and the reads, not the
	// admin routes; the admin token opens everything (so the mutations of
	// the cluster run once).
	for _, rt := range routes {
		for _, c := range []struct {
			name  string
			set   func(*http.Request)
			grant access
		}{
			{"bearer password", bearer("client-pw"), accessClient},
			{"basic password", basic("", "client-pw"), accessClient},
			{"basic ACL user", basic("alice", "alice-pw"), accessClient},
			{"bearer ACL user", bearer("alice:alice-pw"), accessClient},
			{"admin token", bearer("admin-tok"), accessAdmin},
		} {
			if c.grant < rt.need {
				if w := run(rt.method, rt.path, rt.body, c.set); w.Code != http.StatusUnauthorized ||
					!strings.Contains(w.Body.String(), "admin credential required") {
					t.Errorf("%s %s with %s: %d %s, want 401 admin credential required", rt.method, rt.path, c.name, w.Code, w.Body)
				}
				continue
			}
			w := run(rt.method, rt.path, rt.body, c.set)
			if w.Code == http.StatusUnauthorized || rt.want != 0 && w.Code != rt.want {
				t.Errorf("%s %s with %s: %d %s, want %d", rt.method, rt.path, c.name, w.Code, w.Body, rt.want)
			}
			if rt.path == "/k1" && rt.method == "GET" && w.Body.String() == "" {
				t.Errorf("GET /k1 with %s: empty", c.name)
			}
			if rt.path == "/mgmt/snapshot" && !strings.Contains(w.Body.String(), secretValue) {
				t.Errorf("GET /mgmt/snapshot with %s: %q", c.name, w.Body)
			}
		}
	}
	if len(fc.removed) != 1 || fc.leader != 0xabc {
		t.Errorf("with the admin token: removed %v, leader %x", fc.removed, fc.leader)
	}
}
