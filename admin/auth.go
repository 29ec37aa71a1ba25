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
// There are two credentials. The client credential is a RESP user's: the
// default user's password (-requirepass) or an ACL user's name and
// password, of a user allowed every command on every key. While the default
// user needs a password, every key read and write and every GET under
// /mgmt/ needs a client (or the admin) credential. The admin credential is
// AdminToken or, when none is set, any client credential: the /mgmt/
// routes that change the cluster (remove a member, move the leader) need
// it. /metrics, /healthz and /readyz stay open, for scrapers and load
// balancers, unless ProtectOps.
//
// A credential is sent as a bearer token (Authorization: Bearer <secret>,
// the default user's password or the admin token) or with HTTP basic auth
// (user and password; an empty user is "default"; the admin token with any
// user). Anything else, or nothing, is answered 401 with a JSON error and a
// WWW-Authenticate challenge, before the request is routed: an
// unauthenticated client learns neither data nor which keys or members
// exist.
type Auth struct {
	// Users checks client credentials; nil: there are none to check and
	// only AdminToken protects anything.
	Users Users
	// AdminToken is the admin credential. Empty: any client credential.
	AdminToken string
	// ProtectOps makes /metrics, /healthz and /readyz need a client
	// credential too.
	ProtectOps bool
}

// Users is the RESP front door's view of its users, asked per request so
// that CONFIG SET requirepass and ACL SETUSER apply at once.
type Users interface {
	// NeedsAuth reports whether a client without credentials is refused
	// (the default user has a password, or is off).
	NeedsAuth() bool
	// Check reports whether user and pass are the credentials of an
	// enabled user allowed every command on every key.
	Check(user, pass string) bool
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

// presented returns the user and secret the request carries, if any.
func presented(r *http.Request) (user, secret string, ok bool) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return "default", strings.TrimSpace(h[7:]), true
	}
	user, pass, ok := r.BasicAuth()
	if user == "" {
		user = "default"
	}
	return user, pass, ok
}

// equal compares in constant time, lengths included: both sides are
// hashed first.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// check returns "" when the request may go on, or why not.
func (a *Auth) check(r *http.Request) string {
	need := a.needs(r)
	if need == accessOpen {
		return ""
	}
	user, secret, ok := presented(r)
	if ok && a.AdminToken != "" && equal(secret, a.AdminToken) {
		return ""
	}
	clientNeeded := a.Users != nil && a.Users.NeedsAuth()
	isUser := ok && a.Users != nil && a.Users.Check(user, secret)
	switch {
	case need == accessClient && (!clientNeeded || isUser),
		need == accessAdmin && a.AdminToken == "" && (!clientNeeded || isUser):
		return ""
	case isUser:
		return "admin credential required"
	case !ok:
		return "authentication required"
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
