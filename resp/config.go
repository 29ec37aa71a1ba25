package resp

import (
	"bytes"
	"errors"
	"math"
	"strconv"

	"github.com/raftcache/raftcache/fsm"
)

// setting is one parameter CONFIG GET and CONFIG SET know. Settings are
// this node's own, like Redis's: CONFIG SET is not replicated, and a
// restart goes back to the flags.
type setting struct {
	name string
	get  func(s *Server) string
	// parse checks a new value and returns the function that applies
	// it; nil for a setting that cannot change at run time.
	parse func(v []byte) (apply func(s *Server), err error)
}

// settings are the parameters raftcache has, in CONFIG GET's order.
var settings = [...]setting{
	{
		name: "client-query-buffer-limit",
		get:  func(s *Server) string { return strconv.FormatInt(s.limits.maxQuery.Load(), 10) },
		parse: memorySetting(1<<20, func(s *Server, n int64) {
			s.limits.maxQuery.Store(n)
		}),
	},
	{name: "databases", get: func(*Server) string { return strconv.Itoa(fsm.NumDBs) }},
	{
		name: "proto-max-bulk-len",
		get:  func(s *Server) string { return strconv.FormatInt(s.limits.maxBulk.Load(), 10) },
		parse: memorySetting(1<<20, func(s *Server, n int64) {
			s.limits.maxBulk.Store(n)
		}),
	},
	{
		name: "requirepass",
		get:  func(s *Server) string { return s.requirePass() },
		parse: func(v []byte) (func(*Server), error) {
			pass := string(v)
			return func(s *Server) { s.password.Store(&pass) }, nil
		},
	},
}

// configHelp is CONFIG HELP, in Redis's words, for the subcommands
// raftcache serves.
var configHelp = [...]string{
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Prints this help.",
}

// memorySetting parses a size as Redis's memtoull does (a decimal number
// with an optional unit: b, k, kb, m, mb, g, gb, any case) and checks it is
// at least lo.
func memorySetting(lo int64, set func(*Server, int64)) func([]byte) (func(*Server), error) {
	return func(v []byte) (func(*Server), error) {
		n, ok := memToInt(v)
		if !ok {
			return nil, errors.New("argument must be a memory value")
		}
		if n < lo {
			return nil, errors.New("argument must be between " + strconv.FormatInt(lo, 10) +
				" and " + strconv.FormatInt(math.MaxInt64, 10) + " inclusive")
		}
		return func(s *Server) { set(s, n) }, nil
	}
}

// ParseMemory parses a size as Redis's configuration does: a number of
// bytes with an optional unit (b, k, kb, m, mb, g, gb, in any case).
func ParseMemory(s string) (int64, error) {
	n, ok := memToInt([]byte(s))
	if !ok || n < 0 {
		return 0, errors.New("not a memory size: " + strconv.Quote(s))
	}
	return n, nil
}

// memToInt is Redis's memtoull, including its quirks: no sign, digits then
// a unit, and an overflowing number or product wraps (and so usually fails
// the bounds check instead of the syntax check).
func memToInt(v []byte) (int64, bool) {
	if len(v) > 0 && v[0] == '-' {
		return 0, false
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	var mul uint64
	switch unit := string(bytes.ToLower(v[i:])); unit {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var n uint64
	for _, c := range v[:i] {
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			n = math.MaxUint64 // strtoull saturates
			break
		}
		n = n*10 + d
	}
	return int64(n * mul), true
}

func lookupSetting(name []byte) *setting {
	for i := range settings {
		if fsm.EqualFold(name, settings[i].name) {
			return &settings[i]
		}
	}
	return nil
}

// configGet serves CONFIG GET pattern [pattern ...]. A pattern without
// glob characters names one parameter, and the reply uses the name as the
// client wrote it, as Redis does; a glob matches names in any case.
func (s *Server) configGet(c *client, args [][]byte) {
	type match struct {
		name string
		set  *setting
	}
	var found []match
	seen := func(st *setting) bool {
		for _, m := range found {
			if m.set == st {
				return true
			}
		}
		return false
	}
	for _, pat := range args[2:] {
		if !bytes.ContainsAny(pat, "[*?") {
			if st := lookupSetting(pat); st != nil && !seen(st) {
				found = append(found, match{string(pat), st})
			}
			continue
		}
		lower := bytes.ToLower(pat) // names are lower-case: this is nocase matching
		for i := range settings {
			st := &settings[i]
			if fsm.GlobMatch(lower, []byte(st.name)) && !seen(st) {
				found = append(found, match{st.name, st})
			}
		}
	}
	c.w.mapHeader(len(found))
	for _, m := range found {
		c.w.bulkString(m.name)
		c.w.bulkString(m.set.get(s))
	}
}

// configSet serves CONFIG SET name value [name value ...]: all or nothing.
func (s *Server) configSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.err("ERR syntax error")
		return
	}
	failed := func(name, why string) {
		c.w.err("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why)
	}
	var picked []*setting
	for i := 2; i < len(args); i += 2 {
		st := lookupSetting(args[i])
		switch {
		case st == nil:
			c.w.err("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
			return
		case st.parse == nil:
			failed(st.name, "can't set immutable config")
			return
		}
		for _, p := range picked {
			if p == st {
				failed(string(args[i]), "duplicate parameter")
				return
			}
		}
		picked = append(picked, st)
	}
	applies := make([]func(*Server), 0, len(picked))
	for i, st := range picked {
		apply, err := st.parse(args[3+2*i])
		if err != nil {
			failed(st.name, err.Error())
			return
		}
		applies = append(applies, apply)
	}
	for _, apply := range applies {
		apply(s)
	}
	c.w.status("OK")
}

func (s *Server) configRewrite(c *client, args [][]byte) {
	c.w.err("ERR The server is running without a config file")
}

func (s *Server) configHelp(c *client, args [][]byte) { writeHelp(c, configHelp[:]) }
