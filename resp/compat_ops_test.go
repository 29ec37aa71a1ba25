package resp

import (
	"fmt"
	"strconv"
	"testing"
)

// opsCompatCases check SLOWLOG, LATENCY, MEMORY and CONFIG RESETSTAT
// against redis-server: every error, the replies that do not depend on
// timing (an empty slow log, the latency monitor off, as by default), and
// the shape of those that do (see compareOps).
var opsCompatCases = []compatCase{
	{name: "slowlog", lines: []string{
		"SLOWLOG RESET", "SLOWLOG LEN", "SLOWLOG GET", "SLOWLOG GET 0", "SLOWLOG GET -1", "SLOWLOG GET 5",
		"SLOWLOG GET -2", "SLOWLOG GET abc", "SLOWLOG GET 1 2", "SLOWLOG LEN x", "SLOWLOG RESET x",
		"SLOWLOG nosuch", "SLOWLOG HELP", "SLOWLOG", "slowlog len",
	}},
	{name: "latency", lines: []string{
		"LATENCY RESET", "LATENCY LATEST", "LATENCY HISTORY command", "LATENCY HISTORY", "LATENCY RESET command nosuch",
		"LATENCY DOCTOR", "LATENCY HELP", "LATENCY nosuch", "LATENCY LATEST x", "LATENCY",
		"CONFIG RESETSTAT", "CONFIG RESETSTAT x",
		"SET k v", "SET k v", "GET k", "LPUSH k x", "HSET h f v",
		"LATENCY HISTOGRAM nosuch", "LATENCY HISTOGRAM set", "LATENCY HISTOGRAM SET get nosuch hset",
		"LATENCY HISTOGRAM lpush set",
	}},
	{name: "memory", lines: []string{
		"MEMORY USAGE nosuch", "SET k v", "MEMORY USAGE k", "MEMORY USAGE k SAMPLES 0", "MEMORY USAGE k samples 5",
		"MEMORY USAGE k SAMPLES", "MEMORY USAGE k SAMPLES x", "MEMORY USAGE k SAMPLES -1", "MEMORY USAGE k foo 1",
		"MEMORY USAGE nosuch SAMPLES x", "MEMORY USAGE", "RPUSH l a b c", "MEMORY USAGE l", "HSET h f v", "MEMORY USAGE h",
		"SADD s 1 2", "MEMORY USAGE s", "ZADD z 1 a", "MEMORY USAGE z", "XADD x 1-1 f v", "MEMORY USAGE x",
		"MEMORY PURGE", "MEMORY PURGE x", "MEMORY HELP", "MEMORY nosuch", "MEMORY", "MEMORY STATS", "MEMORY STATS x",
		"MEMORY MALLOC-STATS", "MEMORY DOCTOR x", "CONFIG HELP",
	}},
	{name: "info", lines: []string{"INFO nosuch", "INFO nosuch other"}},
	// SAVE writes a snapshot (an RDB file on Redis) and answers once it
	// is durable; SHUTDOWN's every refusal, none of which stops a server.
	{name: "save and shutdown", lines: []string{
		"SET k v", "SAVE", "SAVE", "SAVE x", "LASTSAVE x", "BGSAVE x", "BGSAVE SCHEDULE x", "bgsave schedule now",
		"SHUTDOWN foo", "SHUTDOWN ABORT", "shutdown abort abort", "SHUTDOWN ABORT NOW", "SHUTDOWN NOSAVE ABORT",
		"SHUTDOWN SAVE NOSAVE", "SHUTDOWN FORCE ABORT", "SHUTDOWN NOW NOW FOO",
		"MULTI", "SAVE", "SHUTDOWN", "SHUTDOWN NOSAVE", "LASTSAVE", "BGSAVE", "EXEC",
		"MULTI", "SHUTDOWN ABORT", "EXEC",
	}},
}

func TestOpsCompat(t *testing.T) { runCompatCases(t, "ops cases", opsCompatCases, 2, 3) }

// compareOps has the rules for the replies of SLOWLOG, LATENCY and MEMORY
// that depend on timing or on how memory is laid out: ok is false for the
// others, which are compared exactly.
//   - MEMORY USAGE: an integer where Redis has one (nil where it has nil).
//   - MEMORY STATS: Redis's fields, in Redis's order, each of Redis's
//     type (an integer, a double, a database's map).
//   - MEMORY MALLOC-STATS: a report, as a bulk string.
//   - LATENCY HISTOGRAM: the same commands in the same order, each with
//     the same calls and a histogram whose last bucket counts them all.
func compareOps(args []string, want, got replyValue) (why string, ok bool) {
	if len(args) < 2 {
		return "", false
	}
	differ := describeDiff(got, want)
	switch name := commandName(args) + "|" + lower(args[1]); name {
	case "memory|usage":
		if want.null == got.null && want.typ == got.typ && (want.null || want.typ == ':') {
			return "", true
		}
		return differ, true
	case "memory|malloc-stats":
		if got.typ == want.typ && !got.null {
			return "", true
		}
		return differ, true
	case "memory|stats":
		if got.typ != want.typ || len(got.elems) != len(want.elems) {
			return differ, true
		}
		for i := 0; i < len(want.elems); i += 2 {
			wk, gk, wv, gv := want.elems[i], got.elems[i], want.elems[i+1], got.elems[i+1]
			if wk.raw != gk.raw || wv.typ != gv.typ {
				return fmt.Sprintf("field %d is %s = %s, want %s = %s", i/2, gk, gv, wk, wv), true
			}
		}
		return "", true
	case "latency|histogram":
		if got.typ != want.typ || len(got.elems) != len(want.elems) {
			return differ, true
		}
		for i := 0; i+1 < len(want.elems); i += 2 {
			if want.elems[i].raw != got.elems[i].raw {
				return fmt.Sprintf("command %d is %s, want %s", i/2, got.elems[i], want.elems[i]), true
			}
			if why := compareHistogram(want.elems[i+1], got.elems[i+1]); why != "" {
				return want.elems[i].text + ": " + why, true
			}
		}
		return "", true
	}
	return "", false
}

// compareHistogram checks one command's {calls, histogram_usec} map.
func compareHistogram(want, got replyValue) string {
	if got.typ != want.typ || len(got.elems) != 4 || len(want.elems) != 4 ||
		got.elems[0].raw != want.elems[0].raw || got.elems[1].raw != want.elems[1].raw ||
		got.elems[2].raw != want.elems[2].raw || got.elems[3].typ != want.elems[3].typ {
		return describeDiff(got, want)
	}
	buckets := got.elems[3].elems
	if len(buckets) == 0 || len(buckets)%2 != 0 || buckets[len(buckets)-1].text != got.elems[1].text {
		return "the last bucket does not count every call: " + got.String()
	}
	prev := int64(-1)
	for i := 0; i < len(buckets); i += 2 {
		n, err := strconv.ParseInt(buckets[i+1].text, 10, 64)
		if err != nil || n <= prev || buckets[i].typ != ':' {
			return "buckets not strictly cumulative: " + got.String()
		}
		prev = n
	}
	return ""
}

func lower(s string) string { return lowerASCII([]byte(s)) }
