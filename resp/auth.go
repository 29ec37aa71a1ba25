package resp

// DefaultNeedsAuth reports whether a client that has not authenticated is
// refused (the default user has a password, or is off), for front doors
// other than RESP (the admin API).
// Until this node has synced its ACL state (syncACL), the answer is yes.
func (s *Server) DefaultNeedsAuth() bool { return s.syncACL() != nil || s.defaultNeedsAuth() }
