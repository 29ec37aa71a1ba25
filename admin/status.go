package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/raftcache/raftcache/cluster"
)

// The status page: GET / from a browser (Accept: text/html) is a page of
// this node's view of the cluster, rendered on the server and refreshed
// in place by a small script that polls GET /mgmt/status, the same view
// as JSON. Both need what other /mgmt/ reads need (see Auth). Every other
// client's GET / is answered as before the page existed: a 405, since
// the tutorial's / only takes PUT and POST.
//
// The page loads nothing but itself, so that it works on a network with
// no way out; its Content-Security-Policy allows exactly its own script
// and style (by hash) and requests to this origin.

var (
	//go:embed status.html
	statusHTML string
	//go:embed status.css
	statusCSS string
	//go:embed status.js
	statusJS string
)

// statusUI is the page's template and the policy that lets its inline
// script and style run and nothing else. Both are made once and never
// changed.
var statusUI = struct {
	tmpl *template.Template
	csp  string
}{
	tmpl: template.Must(template.New("status").Funcs(template.FuncMap{
		"when":  when,
		"bytes": humanBytes,
		"yesno": yesno,
		"lag": func(l *uint64) string {
			if l == nil {
				return "—"
			}
			return strconv.FormatUint(*l, 10)
		},
		// high is where the memory meter turns to its warning colour.
		"high": func(maxMemory int64) int64 { return maxMemory / 10 * 9 },
	}).Parse(statusHTML)),
	csp: "default-src 'none'; script-src " + cspHash(statusJS) + "; style-src " + cspHash(statusCSS) +
		"; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// statusSource is what the status page asks the node beyond Cluster
// (cluster.Node has it).
type statusSource interface {
	Status() cluster.Status
	LeaderChanges() ([]cluster.LeaderChange, uint64)
}

// routeStatus registers the page and its JSON. The page's route tests
// Accept before its path: gorilla/mux forgets that an earlier route
// matched "/" but not the method once a later route matches the path, so
// a route that failed only on Accept after that would turn the tutorial's
// 405 into a 404.
func (s *Server) routeStatus(r *mux.Router) {
	r.MatcherFunc(wantsHTML).Path("/").Methods(http.MethodGet).HandlerFunc(s.statusPage)
	r.HandleFunc("/mgmt/status", s.statusJSON).Methods(http.MethodGet)
}

// wantsHTML reports whether the request's Accept names HTML (with a
// non-zero q), as a browser's navigation does. A wildcard is not enough:
// curl and most HTTP libraries send */* and keep the tutorial's answer.
func wantsHTML(r *http.Request, _ *mux.RouteMatch) bool {
	for _, h := range r.Header.Values("Accept") {
		for _, rng := range strings.Split(h, ",") {
			typ, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil || (typ != "text/html" && typ != "application/xhtml+xml") {
				continue
			}
			if q, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// statusView is this node's view of the cluster, as the page shows it and
// GET /mgmt/status returns it.
type statusView struct {
	Node    string `json:"node"`
	Role    string `json:"role"`
	Term    uint64 `json:"term"`
	Leader  string `json:"leader"` // "" when this node knows no leader
	Commit  uint64 `json:"commit"`
	Applied uint64 `json:"applied"`
	Backlog uint64 `json:"backlog"` // committed entries not applied yet here
	// Progress: the members' match indexes and lags are the leader's (this
	// node's, or asked of it); false when it could not be asked.
	Progress bool           `json:"progress"`
	Members  []statusMember `json:"members"`
	Keys     int            `json:"keys"`
	DBs      []statusDB     `json:"dbs"` // the databases holding keys
	Memory   statusMemory   `json:"memory"`
	// LeaderChanges are the last ones this node saw, newest first, of
	// LeaderChangesTotal since it started.
	LeaderChanges      []statusLeaderChange `json:"leader_changes"`
	LeaderChangesTotal uint64               `json:"leader_changes_total"`
	Time               string               `json:"time"` // when the view was taken
}

type statusMember struct {
	member
	// Lag is how many entries of the leader's log the member is not known
	// to have (the leader's last index less the member's match); nil when
	// unknown.
	Lag  *uint64 `json:"lag"`
	Self bool    `json:"self"`
}

type statusDB struct {
	DB      int `json:"db"`
	Keys    int `json:"keys"`
	Expires int `json:"expires"`
}

type statusMemory struct {
	Used      int64  `json:"used"` // the dataset, as INFO's used_memory
	MaxMemory int64  `json:"maxmemory"`
	Policy    string `json:"policy"`
}

type statusLeaderChange struct {
	Leader string `json:"leader"`
	Term   uint64 `json:"term"`
	At     string `json:"at"`
}

// timeFormat is RFC 3339 in UTC with milliseconds; when turns it into
// what the page shows, as the script does.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func when(at string) string {
	return strings.Replace(strings.Replace(at, "T", " ", 1), "Z", " UTC", 1)
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func humanBytes(n int64) string {
	units := [...]string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// status gathers the view. It reads this node's state without a read
// barrier: the page is about this node, lagging or not.
func (s *Server) status(ctx context.Context, src statusSource) (statusView, error) {
	ms, err := s.cluster.Members(ctx)
	if err != nil {
		return statusView{}, err
	}
	st := src.Status()
	v := statusView{Node: cluster.FormatID(st.ID), Role: string(st.Role), Term: st.Term,
		Commit: st.Commit, Applied: st.Applied, Members: make([]statusMember, 0, len(ms)),
		DBs: []statusDB{}, LeaderChanges: []statusLeaderChange{}, Time: time.Now().UTC().Format(timeFormat)}
	if st.Leader != 0 {
		v.Leader = cluster.FormatID(st.Leader)
	}
	if st.Commit > st.Applied {
		v.Backlog = st.Commit - st.Applied
	}
	// The leader's own match is its last index: raft counts its own
	// appends as replicated to itself. Zero means Members had no
	// progress to show.
	var last uint64
	for _, m := range ms {
		if m.Role == cluster.RoleLeader {
			last = m.Match
		}
	}
	v.Progress = last > 0
	for _, m := range ms {
		sm := statusMember{member: apiMember(m), Self: m.ID == st.ID}
		if v.Progress {
			lag := last - min(m.Match, last)
			sm.Lag = &lag
		}
		v.Members = append(v.Members, sm)
	}
	stats := s.store.Stats()
	v.Keys = stats.Keys
	for db, d := range stats.DBs {
		if d.Keys > 0 {
			v.DBs = append(v.DBs, statusDB{DB: db, Keys: d.Keys, Expires: d.Expires})
		}
	}
	mem := s.store.MemoryInfo()
	v.Memory = statusMemory{Used: mem.Used, MaxMemory: mem.MaxMemory, Policy: mem.Policy}
	changes, total := src.LeaderChanges()
	v.LeaderChangesTotal = total
	for _, c := range changes {
		v.LeaderChanges = append(v.LeaderChanges, statusLeaderChange{Leader: cluster.FormatID(c.Leader),
			Term: c.Term, At: c.At.UTC().Format(timeFormat)})
	}
	return v, nil
}

// statusPage serves the page. A failure to gather the view is answered
// as on every route, a JSON error: a browser shows it as it is.
func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.statusOrError(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	err := statusUI.tmpl.Execute(&buf, struct {
		statusView
		CSS    template.CSS
		Script template.JS
	}{v, template.CSS(statusCSS), template.JS(statusJS)})
	if err != nil {
		s.log.Error("admin: status page", "err", err)
		writeError(w, http.StatusInternalServerError, "rendering the status page")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", statusUI.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// statusJSON serves the view the page refreshes itself from.
func (s *Server) statusJSON(w http.ResponseWriter, r *http.Request) {
	if v, ok := s.statusOrError(w, r); ok {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) statusOrError(w http.ResponseWriter, r *http.Request) (statusView, bool) {
	src, ok := s.cluster.(statusSource)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this node has no status to show")
		return statusView{}, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	v, err := s.status(ctx, src)
	if err != nil {
		s.writeClusterError(w, r, err, false)
		return statusView{}, false
	}
	return v, true
}
