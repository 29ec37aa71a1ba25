// Package admin is raftcache's HTTP API: the key-value interface of the
// original tutorial (PUT/POST a JSON pair, GET a key), cluster
// management (list and remove members, move the leadership), and the
// operations routes (/metrics, /healthz, /readyz; see metrics.go).
//
// Like the Redis front door, every node serves every request: writes go
// through the Raft log, reads wait for a linearizable-read barrier. Every
// error is a JSON object {"error": "..."} with a status code saying whether
// retrying can help (503) and, for writes, whether the outcome is unknown.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/raftcache/raftcache/admin/metrics"
	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// Cluster is what the API needs from the local Raft node.
type Cluster interface {
	// Replicate proposes cmd, waits until it is applied locally and returns
	// the state machine's result (an fsm.Reply).
	Replicate(ctx context.Context, cmd []byte) (any, error)
	// LinearizableRead returns once the local store reflects every write
	// acknowledged before the call.
	LinearizableRead(ctx context.Context) error
	// Members lists the cluster.
	Members(ctx context.Context) ([]cluster.Member, error)
	// RemoveMember removes a node from the cluster; unless forced, not
	// when that would lose quorum.
	RemoveMember(ctx context.Context, id uint64, opts ...cluster.ChangeOption) error
	// AddMemberAt adds a member by raft address, for a node to be started
	// there with -join; with learner, one the leader does not promote.
	AddMemberAt(ctx context.Context, raftAddr string, learner bool) (uint64, error)
	// SetLearner demotes member id to a learner or promotes it to a
	// voter; unless forced, not when that would lose quorum.
	SetLearner(ctx context.Context, id uint64, learner bool, opts ...cluster.ChangeOption) error
	// TransferLeadership makes member id the leader and returns once this
	// node sees it lead.
	TransferLeadership(ctx context.Context, id uint64) error
}

// Config tunes a Server. The zero value is usable.
type Config struct {
	// Timeout bounds each request's work, Raft round trip included.
	// Default 5s.
	Timeout time.Duration
	// Clock returns the time, in Unix milliseconds, stamped on the
	// commands the API proposes and reads by. Default the system clock.
	Clock func() int64
	// Logger receives failures. Default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a PUT/POST body. Default 1 MiB.
	MaxBodyBytes int64
	// Metrics, if set, is served at /metrics and measures the API's
	// requests.
	Metrics *metrics.Registry
	// Auth is who may call which route (see Auth); the zero value: anyone.
	Auth Auth
}

// Server is the HTTP API of one raftcache node.
type Server struct {
	cluster Cluster
	store   *fsm.Store
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	http    *http.Server
}

// NewServer returns an API server for store, replicated by c.
func NewServer(c Cluster, store *fsm.Store, cfg Config) *Server {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = func() int64 { return time.Now().UnixMilli() }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	s := &Server{cluster: c, store: store, cfg: cfg, log: cfg.Logger}

	r := mux.NewRouter()
	// Keys are path segments: matching on the escaped path lets a key hold
	// any byte (a '/' as %2F), and skipping path cleaning keeps keys such
	// as "." and ".." from being redirected away.
	r.UseEncodedPath()
	r.SkipClean(true)
	s.routeOps(r)
	s.routeStatus(r)
	r.HandleFunc("/", s.put).Methods(http.MethodPut, http.MethodPost)
	r.HandleFunc("/mgmt/nodes", s.nodes).Methods(http.MethodGet)
	r.HandleFunc("/mgmt/nodes", s.addNode).Methods(http.MethodPost)
	r.HandleFunc("/mgmt/nodes/{id}", s.removeNode).Methods(http.MethodDelete)
	r.HandleFunc("/mgmt/nodes/{id}", s.patchNode).Methods(http.MethodPatch)
	r.HandleFunc("/mgmt/leader", s.transferLeader).Methods(http.MethodPost)
	r.HandleFunc("/mgmt/snapshot", s.snapshot).Methods(http.MethodGet)
	r.HandleFunc("/{key}", s.get).Methods(http.MethodGet)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method "+req.Method+" not allowed")
	})
	s.handler = s.recoverPanics(s.authenticate(r))
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A request may spend Timeout on Raft; leave room to write.
		WriteTimeout: cfg.Timeout + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the API's handler, for tests and custom servers.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves the API on lis until Shutdown, then returns
// http.ErrServerClosed.
func (s *Server) Serve(lis net.Listener) error { return s.http.Serve(lis) }

// Shutdown stops accepting connections and waits, bounded by ctx, for the
// requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// recoverPanics turns a handler panic into a 500 instead of a dropped
// connection, and logs it. net/http would recover too, but silently to the
// client.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("admin: handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// pair is the tutorial's PUT/POST body.
type pair struct {
	Key   *string
	Value *string
}

func (s *Server) put(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	var p pair
	if !s.decodeBody(w, r, &p) {
		return
	}
	if p.Key == nil || *p.Key == "" {
		writeError(w, http.StatusBadRequest, `missing or empty "Key"`)
		return
	}
	if p.Value == nil {
		writeError(w, http.StatusBadRequest, `missing "Value"`)
		return
	}
	c, _, err := fsm.Parse([][]byte{[]byte("SET"), []byte(*p.Key), []byte(*p.Value)}, s.cfg.Clock())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.cluster.Replicate(ctx, c.AppendBinary(nil))
	if err != nil {
		s.writeClusterError(w, r, err, true)
		return
	}
	if reply, ok := res.(fsm.Reply); !ok || reply.IsError() {
		s.log.Error("admin: SET failed", "key", *p.Key, "result", res)
		writeError(w, http.StatusInternalServerError, "SET failed")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeBody decodes the request's JSON object into v, strictly (no
// unknown fields, nothing after the object, at most MaxBodyBytes). On
// failure it writes the error and returns false.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body larger than "+itoa(s.cfg.MaxBodyBytes)+" bytes")
			return false
		}
		writeError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "malformed JSON body: data after the object")
		return false
	}
	return true
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	key, err := url.PathUnescape(mux.Vars(r)["key"])
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed key: "+err.Error())
		return
	}
	c, _, err := fsm.Parse([][]byte{[]byte("GET"), []byte(key)}, s.cfg.Clock())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.cluster.LinearizableRead(ctx); err != nil {
		s.writeClusterError(w, r, err, false)
		return
	}
	reply := s.store.Read(c, s.cfg.Clock())
	switch reply.Kind {
	case fsm.KindNil:
		writeError(w, http.StatusNotFound, "key not found")
	case fsm.KindBulk:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", itoa(int64(len(reply.Bytes))))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(reply.Bytes)
	default:
		s.log.Error("admin: GET failed", "key", key, "reply", reply.String())
		writeError(w, http.StatusInternalServerError, "GET failed: "+reply.String())
	}
}

// member is a cluster member as the API shows it.
type member struct {
	ID        string `json:"id"`
	Raft      string `json:"raft"`
	API       string `json:"api"`
	RESP      string `json:"resp"`
	Role      string `json:"role"`
	Voter     bool   `json:"voter"`
	Reachable bool   `json:"reachable"`
	Match     uint64 `json:"match"`
	// Suffrage is "voter" or "learner"; a learner with AutoPromote is
	// made a voter by the leader once it has caught up.
	Suffrage    string `json:"suffrage"`
	AutoPromote bool   `json:"auto_promote,omitempty"`
	// AwaitingJoin: added by address; no node has joined as it yet.
	AwaitingJoin bool `json:"awaiting_join,omitempty"`
}

func (s *Server) nodes(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	ms, err := s.cluster.Members(ctx)
	if err != nil {
		s.writeClusterError(w, r, err, false)
		return
	}
	out := make([]member, 0, len(ms))
	for _, m := range ms {
		out = append(out, apiMember(m))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiMember is m as the API shows it.
func apiMember(m cluster.Member) member {
	mem := member{ID: cluster.FormatID(m.ID), Raft: m.RaftAddr, API: m.APIAddr,
		RESP: m.RESPAddr, Role: string(m.Role), Voter: m.Voter, Reachable: m.Reachable, Match: m.Match,
		Suffrage: "voter", AwaitingJoin: m.AwaitingJoin}
	if !m.Voter {
		mem.Suffrage, mem.AutoPromote = "learner", !m.KeepLearner
	}
	return mem
}

func (s *Server) removeNode(w http.ResponseWriter, r *http.Request) {
	s.changeMember(w, r, "remove", s.cluster.RemoveMember)
}

// changeMember makes the membership change change of the member the path
// names, with the request's ?force, and answers 204 once it is applied on
// this node; verb names the change in the refusal of the last voter.
func (s *Server) changeMember(w http.ResponseWriter, r *http.Request, verb string,
	change func(ctx context.Context, id uint64, opts ...cluster.ChangeOption) error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	id, err := cluster.ParseID(mux.Vars(r)["id"])
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	opts, ok := changeOptions(w, r)
	if !ok {
		return
	}
	switch err := change(ctx, id, opts...); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, cluster.ErrLastVoter):
		writeError(w, http.StatusConflict, "refusing to "+verb+" the last voter "+cluster.FormatID(id))
	default:
		s.writeChangeError(w, r, id, err)
	}
}

// addNode adds a member by address, {"addr": "<raft host:port>",
// "learner": true|false}, and answers 201 with its id once the change is
// applied on this node. The node then started with that raft address and
// -join becomes the member. A learner counts toward no quorum, so this
// never needs ?force.
func (s *Server) addNode(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	var body struct {
		Addr    *string `json:"addr"`
		Learner bool    `json:"learner"`
	}
	if !s.decodeBody(w, r, &body) {
		return
	}
	if body.Addr == nil || *body.Addr == "" {
		writeError(w, http.StatusBadRequest, `missing "addr" (the new member's raft host:port)`)
		return
	}
	if _, port, err := net.SplitHostPort(*body.Addr); err != nil || port == "" {
		writeError(w, http.StatusBadRequest, "malformed addr "+strconv.Quote(*body.Addr)+": want host:port")
		return
	}
	id, err := s.cluster.AddMemberAt(ctx, *body.Addr, body.Learner)
	if err != nil {
		s.writeChangeError(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": cluster.FormatID(id), "raft": *body.Addr, "learner": body.Learner})
}

// patchNode promotes ({"learner": false}) or demotes ({"learner": true})
// member id, and answers 204 once the change is applied on this node.
func (s *Server) patchNode(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Learner *bool `json:"learner"`
	}
	if !s.decodeBody(w, r, &body) {
		return
	}
	if body.Learner == nil {
		writeError(w, http.StatusBadRequest, `missing "learner" (true to demote, false to promote)`)
		return
	}
	s.changeMember(w, r, "demote", func(ctx context.Context, id uint64, opts ...cluster.ChangeOption) error {
		return s.cluster.SetLearner(ctx, id, *body.Learner, opts...)
	})
}

// changeOptions reads a membership change's ?force=true. On a malformed
// value it writes a 400 and returns false.
func changeOptions(w http.ResponseWriter, r *http.Request) ([]cluster.ChangeOption, bool) {
	v := r.URL.Query().Get("force")
	if v == "" {
		return nil, true
	}
	force, err := strconv.ParseBool(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed force="+strconv.Quote(v)+": want true or false")
		return nil, false
	}
	if !force {
		return nil, true
	}
	return []cluster.ChangeOption{cluster.Force()}, true
}

// writeChangeError answers a refused or failed membership change: 404 for
// an unknown member, 409 for the quorum rules (which ?force=true skips).
func (s *Server) writeChangeError(w http.ResponseWriter, r *http.Request, id uint64, err error) {
	switch {
	case errors.Is(err, cluster.ErrUnknownMember):
		writeError(w, http.StatusNotFound, "unknown member "+cluster.FormatID(id))
	case errors.Is(err, cluster.ErrWouldLoseQuorum), errors.Is(err, cluster.ErrLearnerNotReady):
		writeError(w, http.StatusConflict, err.Error()+" (add ?force=true to do it anyway)")
	case errors.Is(err, cluster.ErrAddrTaken), errors.Is(err, cluster.ErrNotVoter):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.writeClusterError(w, r, err, true)
	}
}

// transferLeader moves the leadership to the member named in the body,
// {"id":"<member id>"}, and answers 204 once this node sees that member
// lead. Asking for the current leader is a no-op. The transfer is not a
// write: a 503 means it did not complete in time (it may still complete),
// and retrying is safe.
func (s *Server) transferLeader(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	var body struct{ ID *string }
	if !s.decodeBody(w, r, &body) {
		return
	}
	if body.ID == nil {
		writeError(w, http.StatusBadRequest, `missing "id"`)
		return
	}
	id, err := cluster.ParseID(*body.ID)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch err := s.cluster.TransferLeadership(ctx, id); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, cluster.ErrUnknownMember):
		writeError(w, http.StatusNotFound, "unknown member "+cluster.FormatID(id))
	case errors.Is(err, cluster.ErrNotVoter):
		writeError(w, http.StatusConflict, "member "+cluster.FormatID(id)+" is not a voter and cannot lead")
	default:
		s.writeClusterError(w, r, err, false)
	}
}

// writeClusterError maps a Raft failure to a status and message. For a
// write, only ErrNoLeader and ErrProposalDropped prove nothing happened;
// anything else (a timeout, a stop mid-flight) may have been committed, and
// the message says so, so that clients do not assume the write failed.
func (s *Server) writeClusterError(w http.ResponseWriter, r *http.Request, err error, write bool) {
	code, msg := clusterError(err, write, s.cfg.Timeout)
	s.log.Warn("admin: request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	writeError(w, code, msg)
}

func clusterError(err error, write bool, timeout time.Duration) (int, string) {
	var reason string
	switch {
	case errors.Is(err, cluster.ErrNoLeader):
		return http.StatusServiceUnavailable, "cluster unavailable: no leader"
	case errors.Is(err, cluster.ErrProposalDropped):
		return http.StatusServiceUnavailable, "cluster unavailable: proposal dropped"
	case errors.Is(err, cluster.ErrCannotPersist):
		// Refused before it was proposed, as the RESP front door's MISCONF.
		return http.StatusInsufficientStorage, "write refused: " + strings.TrimPrefix(err.Error(), "raftcache: ")
	case errors.Is(err, cluster.ErrOutcomeUnknown):
		reason = err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		reason = "timed out after " + timeout.String()
	case errors.Is(err, context.Canceled):
		reason = "request canceled"
	case errors.Is(err, cluster.ErrStopped):
		reason = "node stopped"
	case errors.Is(err, cluster.ErrRemoved):
		reason = "node removed from the cluster"
	default:
		if write {
			return http.StatusInternalServerError, "write outcome unknown: " + err.Error()
		}
		return http.StatusInternalServerError, err.Error()
	}
	if write {
		return http.StatusServiceUnavailable, "write outcome unknown: " + reason
	}
	return http.StatusServiceUnavailable, "cluster unavailable: " + reason
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
