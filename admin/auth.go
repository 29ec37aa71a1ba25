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
// it, and so does GET /mgmt/snapshot, a copy of the whole state (ACL
// users' password hashes included) that outlives any later password
// change. /metrics, /healthz and /readyz stay open, for scrapers and load
// balancers, unless ProtectOps.
//
// A credential is sent as a bearer token (Authorization: Bearer <secret>:
// the default user's password, the admin token, or an ACL user's
// <user>:<password>) or with HTTP basic auth (user and password; an empty
// user is "default"; the admin token with any user). Anything else, or nothing, is answered 401 with a JSON error and a
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
	// (the default user has a password, or is off); err is non-nil when
	// this node cannot tell (its ACL state is not known to be current and
	// has no password), and such a client then gets 503.
	NeedsAuth() (needs bool, err error)
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

// adminReads are the reads under /mgmt/ that need the admin credential.
var adminReads = [...]string{"/mgmt/snapshot"}

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
	if !strings.HasPrefix(path, "/mgmt/") {
		return accessClient
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return accessAdmin
	}
	for _, p := range adminReads {
		if path == p {
			return accessAdmin
		}
	}
	return accessClient
}

// credential is a user name and the secret given for it.
type credential struct{ user, secret string }

// presented returns the credentials the request carries: with basic auth,
// one; with a bearer token, the default user's and, if the token reads
// <user>:<password>, that user's too (a password may hold a ':', so both
// are tried; each is a whole credential, so trying both grants nothing
// neither would). The first one's secret is the whole token, which is
// what the admin token is compared with.
func presented(r *http.Request) ([]credential, bool) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		tok := strings.TrimSpace(h[7:])
		creds := []credential{{"default", tok}}
		if user, pass, ok := strings.Cut(tok, ":"); ok && user != "" {
			creds = append(creds, credential{user, pass})
		}
		return creds, true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, false
	}
	if user == "" {
		user = "default"
	}
	return []credential{{user, pass}}, true
}

// equal compares in constant time, lengths included: both sides are
// hashed first.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// check returns 0 when the request may go on, or the status and why not.
func (a *Auth) check(r *http.Request) (int, string) {
	need := a.needs(r)
	if need == accessOpen {
		return 0, ""
	}
	creds, ok := presented(r)
	if ok && a.AdminToken != "" && equal(creds[0].secret, a.AdminToken) {
		return 0, ""
	}
	clientNeeded, unsure := false, error(nil)
	if a.Users != nil {
		clientNeeded, unsure = a.Users.NeedsAuth()
	}
	isUser := false
	for _, c := range creds {
		if a.Users != nil && a.Users.Check(c.user, c.secret) {
			isUser = true
			break
		}
	}
	switch {
	case need == accessClient && (!clientNeeded || isUser),
		need == accessAdmin && a.AdminToken == "" && (!clientNeeded || isUser):
		return 0, ""
	case unsure != nil:
		// As RESP's CLUSTERDOWN: asking for credentials that may not
		// exist would send clients looking for a password.
		return http.StatusServiceUnavailable, "cluster unavailable: this node cannot check credentials until it reaches the cluster"
	case isUser:
		return http.StatusUnauthorized, "admin credential required"
	case !ok:
		return http.StatusUnauthorized, "authentication required"
	}
	return http.StatusUnauthorized, "invalid credentials"
}

// authenticate runs before routing, so that an unknown path or method is
// no hint to an unauthenticated client either.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, why := s.cfg.Auth.check(r); code != 0 {
			if code != http.StatusUnauthorized {
				writeError(w, code, why)
				return
			}
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
