package admin

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
	{"DELETE", "/mgmt/nodes/0000000000000002", accessAdmin},
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

func (u users) NeedsAuth() bool { return u["default"] != "" }
func (u users) Check(user, pass string) bool {
	p, ok := u[user]
	return ok && p == pass
}

func password(p string) Users { return users{"default": p, "alice": "alice-pw"} }

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
