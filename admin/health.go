package admin

import "net/http"

// readiness is what /readyz asks the node (cluster.Node has it).
type readiness interface {
	// Ready reports whether the node knows a leader and has caught up
	// with the log as it was when the node started; reason says why not.
	Ready() (ok bool, reason string)
}

// healthz answers 200 while the process serves HTTP at all: a liveness
// probe, which must not fail just because the cluster lost its quorum
// (restarting the node would not bring the quorum back).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the node can serve current data: it knows a
// leader and has applied what the cluster had committed when it started.
// Otherwise 503, with the reason, so that a load balancer sends clients
// elsewhere while a restarted member replays or catches up.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd, ok := s.cluster.(readiness)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	if ready, reason := rd.Ready(); !ready {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
