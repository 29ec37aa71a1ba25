package resp

import (
	"slices"
	"strings"
	"time"

	"github.com/raftcache/raftcache/fsm"
)

const badClientName = "ERR Client names cannot contain spaces, newlines or special characters."

// clientHelp is CLIENT HELP, in Redis's words, for the subcommands
// raftcache serves.
var clientHelp = [...]string{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"    * ID <client-id> [<client-id> ...]",
	"      Return clients with the given IDs.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"HELP",
	"    Prints this help.",
}

// validClientAttr reports whether b can be a client name or library
// attribute: printable ASCII without spaces, so CLIENT LIST stays parsable.
func validClientAttr(b []byte) bool {
	for _, c := range b {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

func (s *Server) clientID(c *client, args [][]byte) { c.w.int(c.id) }

func (s *Server) clientGetName(c *client, args [][]byte) {
	if name := c.getName(); name != "" {
		c.w.bulkString(name)
		return
	}
	c.w.null()
}

func (s *Server) clientSetName(c *client, args [][]byte) {
	if !validClientAttr(args[2]) {
		c.w.err(badClientName)
		return
	}
	c.setName(string(args[2]))
	c.w.status("OK")
}

// clientSetInfo serves CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2),
// which client libraries send on connecting.
func (s *Server) clientSetInfo(c *client, args [][]byte) {
	attr, val := args[2], args[3]
	var dst *string
	switch {
	case fsm.EqualFold(attr, "lib-name"):
		dst = &c.libName
	case fsm.EqualFold(attr, "lib-ver"):
		dst = &c.libVer
	default:
		c.w.err("ERR Unrecognized option '" + string(attr) + "'")
		return
	}
	if !validClientAttr(val) {
		c.w.err("ERR " + string(attr) + " cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	*dst = string(val)
	c.mu.Unlock()
	c.w.status("OK")
}

func (s *Server) clientInfo(c *client, args [][]byte) {
	c.w.verbatim(c.info(time.Now()))
}

// clientList serves CLIENT LIST [TYPE type | ID id ...], one line per
// connection, oldest first.
func (s *Server) clientList(c *client, args [][]byte) {
	var ids []int64
	// keep filters by TYPE: a connection with subscriptions is a pubsub
	// client, any other a normal one.
	keep := func(*client) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 4 && fsm.EqualFold(args[2], "type"):
		switch {
		case fsm.EqualFold(args[3], "normal"):
			keep = func(cl *client) bool { return !cl.subs.active() }
		case fsm.EqualFold(args[3], "pubsub"):
			keep = func(cl *client) bool { return cl.subs.active() }
		case fsm.EqualFold(args[3], "master"), fsm.EqualFold(args[3], "replica"), fsm.EqualFold(args[3], "slave"):
			// raftcache has no connections of these kinds.
			c.w.verbatim("")
			return
		default:
			c.w.err("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
	case len(args) > 3 && fsm.EqualFold(args[2], "id"):
		for _, a := range args[3:] {
			id, ok := fsm.ParseInt(a)
			if !ok {
				c.w.err("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
	default:
		c.w.err("ERR syntax error")
		return
	}
	s.mu.Lock()
	clients := make([]*client, 0, len(s.conns))
	for _, cl := range s.conns {
		if keep(cl) {
			clients = append(clients, cl)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(clients, func(a, b *client) int { return int(a.id - b.id) })
	now := time.Now()
	var b strings.Builder
	if ids == nil {
		for _, cl := range clients {
			b.WriteString(cl.info(now))
		}
	} else {
		for _, id := range ids {
			i, ok := slices.BinarySearchFunc(clients, id, func(cl *client, id int64) int { return int(cl.id - id) })
			if ok {
				b.WriteString(clients[i].info(now))
			}
		}
	}
	c.w.verbatim(b.String())
}

func (s *Server) clientHelp(c *client, args [][]byte) { writeHelp(c, clientHelp[:]) }
