package resp

import "fmt"

// DefaultNeedsAuth reports whether a client that has not authenticated is
// refused (the default user has a password, or is off), for front doors
// other than RESP (the admin API). Until this node has synced its ACL
// state (syncACL) the answer is yes, and when its local state has no
// password it cannot tell at all: err says why (the cluster is
// unreachable), so that the front door answers as RESP does, with the
// cluster's unavailability rather than a demand for credentials that may
// not exist.
func (s *Server) DefaultNeedsAuth() (needs bool, err error) {
	syncErr := s.syncACL(s.cfg.Timeout)
	switch {
	case syncErr == nil:
		return s.defaultNeedsAuth(), nil
	case s.defaultNeedsAuth():
		return true, nil
	}
	return true, fmt.Errorf("check credentials: %w", syncErr)
}

// authRefusal returns what a client that has not authenticated gets
// instead of sp, or "" when it may run sp after all.
func (s *Server) authRefusal(c *client, sp *cmdSpec) string {
	if sp.unsureOK && !s.defaultNeedsAuth() {
		// PING tells only that the process serves: liveness probes
		// (redis-cli ping) and a cluster restarted one member at a
		// time need its answer while no quorum is up to sync with.
		// MULTI only opens a transaction, whose commands are judged
		// as they are queued (one refused aborts it at EXEC): refused
		// now, it would leave the commands a client pipelined after
		// it to run one by one, outside any transaction, once this
		// node has synced.
		return ""
	}
	// A node just restarted syncs at its first election, which may
	// take longer than connectAuthed waited: the command waits as long
	// as its own read barrier or proposal would, so that a client of a
	// cluster without a password sees a slow answer, not a refusal.
	syncErr := s.syncACL(s.cfg.Timeout)
	if !s.authRequired(c) {
		return ""
	}
	if syncErr != nil && !s.defaultNeedsAuth() {
		// The cluster may have no password, but this node cannot
		// tell until it reaches the cluster.
		return readFailure(syncErr, s.cfg.Timeout)
	}
	return "NOAUTH Authentication required."
}
