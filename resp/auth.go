package resp

// DefaultNeedsAuth reports whether a client that has not authenticated is
// refused (the default user has a password, or is off), for front doors
// other than RESP (the admin API).
func (s *Server) DefaultNeedsAuth() bool { return s.defaultNeedsAuth() }
