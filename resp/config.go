package resp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strconv"

	"github.com/raftcache/raftcache/fsm"
	"github.com/raftcache/raftcache/fsm/config"
)

// CONFIG GET and CONFIG SET know every parameter of config.Params. The
// replicated ones are the state machine's (fsm.Store.Config): CONFIG SET of
// them is a write through the log, so it changes every node. The
// node-local ones (Param.Local) are this server's own, as in Redis: the
// getters and setters below.

// localGetters return this node's value of each node-local parameter.
var localGetters = map[string]func(s *Server) string{
	"client-query-buffer-limit": func(s *Server) string { return strconv.FormatInt(s.limits.maxQuery.Load(), 10) },
	"proto-max-bulk-len":        func(s *Server) string { return strconv.FormatInt(s.limits.maxBulk.Load(), 10) },
	"requirepass":               func(s *Server) string { return s.requirePass() },
	"port":                      func(s *Server) string { return strconv.FormatInt(s.port.Load(), 10) },
	"bind":                      (*Server).bindAddr,
	"slowlog-log-slower-than":   func(s *Server) string { return strconv.FormatInt(s.slowlog.slowerThan.Load(), 10) },
	"slowlog-max-len":           func(s *Server) string { return strconv.FormatInt(s.slowlog.maxLen.Load(), 10) },
	"latency-monitor-threshold": func(s *Server) string { return strconv.FormatInt(s.latency.threshold.Load(), 10) },
	"dir": func(*Server) string {
		wd, _ := os.Getwd()
		return wd
	},
}

// localSetters apply a checked change of a node-local parameter that can
// change at run time.
var localSetters = map[string]func(s *Server, ch config.Change){
	"client-query-buffer-limit": func(s *Server, ch config.Change) { s.limits.maxQuery.Store(ch.N) },
	"proto-max-bulk-len":        func(s *Server, ch config.Change) { s.limits.maxBulk.Store(ch.N) },
	"slowlog-log-slower-than":   func(s *Server, ch config.Change) { s.slowlog.slowerThan.Store(ch.N) },
	"slowlog-max-len":           func(s *Server, ch config.Change) { s.slowlog.maxLen.Store(ch.N) },
	"latency-monitor-threshold": func(s *Server, ch config.Change) { s.latency.threshold.Store(ch.N) },
	"requirepass": func(s *Server, ch config.Change) {
		pass := ch.Stored
		s.password.Store(&pass)
	},
}

func init() {
	for _, p := range config.Params() {
		if !p.Local {
			continue
		}
		if localGetters[p.Name] == nil || (localSetters[p.Name] == nil) != (p.Immutable || p.Protected) {
			panic("resp: node-local parameter " + p.Name + " has no getter, or a setter it cannot use")
		}
	}
}

// bindAddr is CONFIG GET bind: the address the listener is bound to, "*"
// for every address as Redis writes it.
func (s *Server) bindAddr() string {
	s.mu.Lock()
	lis := s.lis
	s.mu.Unlock()
	if lis == nil {
		return ""
	}
	a, ok := lis.Addr().(*net.TCPAddr)
	if !ok || a.IP == nil || a.IP.IsUnspecified() {
		return "* -::*"
	}
	return a.IP.String()
}

// configHelp is CONFIG HELP, in Redis's words, for the subcommands
// raftcache serves.
var configHelp = [...]string{
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Prints this help.",
}

// ParseMemory parses a size as Redis's configuration does: a number of
// bytes with an optional unit (b, k, kb, m, mb, g, gb, in any case).
func ParseMemory(s string) (int64, error) {
	n, ok := config.MemToUint(s)
	if !ok || int64(n) < 0 {
		return 0, errors.New("not a memory size: " + strconv.Quote(s))
	}
	return int64(n), nil
}

// configGet serves CONFIG GET pattern [pattern ...]. A pattern without
// glob characters names one parameter (hidden ones too), and the reply
// uses the name as the client wrote it, as Redis does; a glob matches
// names and aliases in any case. Redis's reply order is its hash table's,
// which differs from run to run; this one is the table's.
func (s *Server) configGet(c *client, args [][]byte) {
	type match struct {
		name  string
		p     *config.Param
		alias bool
	}
	var found []match
	seen := func(p *config.Param, alias bool) bool {
		for _, m := range found {
			if m.p == p && m.alias == alias {
				return true
			}
		}
		return false
	}
	replicated := false
	add := func(name string, p *config.Param, alias bool) {
		found = append(found, match{name, p, alias})
		replicated = replicated || !p.Local
	}
	for _, pat := range args[2:] {
		if !bytes.ContainsAny(pat, "[*?") {
			if p, alias := config.Lookup(string(pat)); p != nil && !seen(p, alias) {
				add(string(pat), p, alias)
			}
			continue
		}
		lower := bytes.ToLower(pat) // names are lower-case: this is nocase matching
		for _, p := range config.Params() {
			if p.Hidden {
				continue
			}
			for _, alias := range []bool{false, true} {
				name := p.NameAs(alias)
				if name != "" && fsm.GlobMatch(lower, []byte(name)) && !seen(p, alias) {
					add(name, p, alias)
				}
			}
		}
	}
	var values *config.Values
	if replicated {
		// As any read: every CONFIG SET acknowledged before, on any
		// node, is seen (unless the client chose READONLY's local reads).
		if !c.readonly.Load() {
			ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
			err := s.cluster.LinearizableRead(ctx)
			cancel()
			if err != nil {
				c.w.err(readFailure(err, s.cfg.Timeout))
				return
			}
		}
		values = s.store.Config()
	}
	c.w.mapHeader(len(found))
	for _, m := range found {
		c.w.bulkString(m.name)
		if m.p.Local {
			c.w.bulkString(localGetters[m.p.Name](s))
		} else {
			c.w.bulkString(values.Get(m.p))
		}
	}
}

// configSet serves CONFIG SET name value [name value ...], all or nothing,
// with Redis's checks and errors (config.Values.Check). The replicated
// parameters go through the log as one entry; the node-local ones change
// once it has applied.
func (s *Server) configSet(c *client, args [][]byte) {
	changes, err := s.store.Config().Check(args[2:])
	if err != nil {
		c.w.err(err.Error())
		return
	}
	var pairs [][]byte
	for i, ch := range changes {
		if !ch.Param.Local {
			pairs = append(pairs, args[2+2*i], args[3+2*i])
		}
	}
	if len(pairs) > 0 {
		ctx, cancel := context.WithTimeout(s.base, s.cfg.Timeout)
		r, ok := s.replicate(ctx, c, fsm.NewConfigSet(pairs, s.cfg.Clock()).AppendBinary(nil))
		cancel()
		if !ok {
			return
		}
		if r.IsError() {
			c.w.err(string(r.Bytes))
			return
		}
	}
	for _, ch := range changes {
		if ch.Param.Name == "requirepass" && !s.setDefaultPassword(c, ch.Stored) {
			return
		}
	}
	for _, ch := range changes {
		if ch.Param.Local {
			localSetters[ch.Param.Name](s, ch)
		}
	}
	c.w.status("OK")
}

// configResetStat serves CONFIG RESETSTAT: INFO's event counters start
// again from 0 on this node, as Redis's resetServerStats (the ones
// raftcache keeps: connections, commands, network bytes, errors, expired
// keys, keyspace hits and misses).
func (s *Server) configResetStat(c *client, args [][]byte) {
	s.stats.connections.Store(0)
	s.stats.commands.Store(0)
	s.errs.reset()
	for _, sp := range s.specList {
		sp.stats.reset() // commandstats, latencystats, LATENCY HISTOGRAM
	}
	s.limits.netIn.Store(0)
	s.limits.netOut.Store(0)
	s.store.ResetStats()
	c.w.status("OK")
}

func (s *Server) configRewrite(c *client, args [][]byte) {
	c.w.err("ERR The server is running without a config file")
}

func (s *Server) configHelp(c *client, args [][]byte) { writeHelp(c, configHelp[:]) }
