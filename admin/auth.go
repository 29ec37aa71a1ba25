package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth is who may use the API. The zero value lets everyone do everything,
// as the tutorial's API did.
//
// There are two credentials. The client credential is the default user's
// password, the one RESP clients give with AUTH (-requirepass): with it set,
// every key read and write and every GET under /mgmt/ needs it (or the
// admin credential). The admin credential is AdminToken, or the password
// when no AdminToken is set: the /mgmt/ routes that change the cluster
// (remove a member, move the leader) need it. /metrics, /healthz and
// /readyz stay open, for scrapers and load balancers, unless ProtectOps.
//
// A credential is sent as a bearer token (Authorization: Bearer <secret>)
// or with HTTP basic auth as the password, with the user name empty,
// "default" (Redis's default user) or "admin". Anything else, or nothing,
// is answered 401 with a JSON error and a WWW-Authenticate challenge, before
// the request is routed: an unauthenticated client learns neither data nor
// which keys or members exist.
type Auth struct {
	// Password returns the current client credential, read per request so
	// that CONFIG SET requirepass applies at once. Nil or "": none.
	Password func() string
	// AdminToken is the admin credential. Empty: the password.
	AdminToken string
	// ProtectOps makes /metrics, /healthz and /readyz need the client
	// credential too.
	ProtectOps bool
}

// access is what a request needs.
type access int

const (
	accessOpen access = iota
	accessClient
	accessAdmin
)

// opsPaths are the routes monitoring calls without credentials.
var opsPaths = [...]string{"/metrics", "/healthz", "/readyz"}

// needs classifies a request by its path alone, so that routes added
// later (by other files of this package) are protected by default: only
// the ops paths are open and only GETs under /mgmt/ are reads.
func (a *Auth) needs(r *http.Request) access {
	path := r.URL.EscapedPath()
	if !a.ProtectOps {
		for _, p := range opsPaths {
			if path == p {
				return accessOpen
			}
		}
	}
	if strings.HasPrefix(path, "/mgmt/") && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return accessAdmin
	}
	return accessClient
}

// presented returns the secret the request carries, if any.
func presented(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", false
	}
	switch user {
	case "", "default", "admin":
		return pass, true
	}
	return "", false
}

// equal compares in constant time, lengths included: both sides are
// hashed first.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// check returns "" when the request may go on, or why not.
func (a *Auth) check(r *http.Request) string {
	password := ""
	if a.Password != nil {
		password = a.Password()
	}
	admin := a.AdminToken
	if admin == "" {
		admin = password
	}
	need := a.needs(r)
	switch {
	case need == accessOpen,
		need == accessClient && password == "",
		need == accessAdmin && admin == "":
		return ""
	}
	secret, ok := presented(r)
	if !ok {
		return "authentication required"
	}
	isAdmin := admin != "" && equal(secret, admin)
	isClient := password != "" && equal(secret, password)
	switch {
	case isAdmin, need == accessClient && isClient:
		return ""
	case isClient:
		return "admin credential required"
	}
	return "invalid credentials"
}

// authenticate runs before routing, so that an unknown path or method is
// no hint to an unauthenticated client either.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := s.cfg.Auth.check(r); why != "" {
			if why != "authentication required" {
				s.log.Info("admin: refused credentials", "method", r.Method, "remote", r.RemoteAddr, "reason", why)
			}
			w.Header().Add("WWW-Authenticate", `Basic realm="raftcache", charset="UTF-8"`)
			w.Header().Add("WWW-Authenticate", `Bearer realm="raftcache"`)
			writeError(w, http.StatusUnauthorized, why)
			return
		}
		next.ServeHTTP(w, r)
	})
}
