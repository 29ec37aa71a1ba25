package config

import (
	"strconv"
	"strings"
)

// The parameters with a syntax of their own, parsed as Redis's config.c
// set functions do, with their error texts.

// splitArgs is Redis's split of a MULTI_ARG_CONFIG value: at every single
// space, so two spaces make an empty argument, and "" has none.
func splitArgs(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

// parseSave is setConfigSaveOption: pairs of seconds (at least 1) and
// changes (at least 0), or "" for none.
func parseSave(v string, _ *Values) (string, int64, string) {
	args := splitArgs(v)
	if len(args)%2 != 0 {
		return "", 0, "Invalid save parameters"
	}
	out := make([]string, 0, len(args))
	for j, a := range args {
		n, ok := strtoll(a)
		if !ok || (j%2 == 0 && n < 1) || (j%2 == 1 && n < 0) {
			return "", 0, "Invalid save parameters"
		}
		if j%2 == 1 {
			n = int64(int32(n)) // changes is a C int
		}
		out = append(out, strconv.FormatInt(n, 10))
	}
	return strings.Join(out, " "), 0, ""
}

// outputClasses are the client classes of client-output-buffer-limit, in
// the order CONFIG GET lists them.
var outputClasses = [...]string{"normal", "slave", "pubsub"}

// parseOutputBufferLimit is updateClientOutputBufferLimit: groups of class,
// hard limit, soft limit and soft seconds; the classes not named keep their
// limits, so the result depends on cur.
func parseOutputBufferLimit(v string, cur *Values) (string, int64, string) {
	args := splitArgs(v)
	if len(args)%4 != 0 {
		return "", 0, "Wrong number of arguments in buffer limit configuration."
	}
	old := outputBufferDefault
	if cur != nil {
		old = cur.shown[byName["client-output-buffer-limit"].index]
	}
	limits := strings.Split(old, " ") // class hard soft seconds, three times
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch strings.ToLower(args[j]) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		}
		if class < 0 {
			return "", 0, "Invalid client class specified in buffer limit configuration."
		}
		hard, hok := MemToUint(args[j+1])
		soft, sok := MemToUint(args[j+2])
		secs, tok := strtoll(args[j+3])
		secs = int64(int32(secs)) // soft_seconds is a C int
		if !hok || !sok || !tok || secs < 0 {
			return "", 0, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		limits[4*class+1] = strconv.FormatUint(hard, 10)
		limits[4*class+2] = strconv.FormatUint(soft, 10)
		limits[4*class+3] = strconv.FormatInt(secs, 10)
	}
	return strings.Join(limits, " "), 0, ""
}

const outputBufferDefault = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

// parseOOMScoreAdjValues is setConfigOOMScoreAdjValuesOption: three
// numbers within [-2000, 2000].
func parseOOMScoreAdjValues(v string, _ *Values) (string, int64, string) {
	args := splitArgs(v)
	if len(args) != 3 {
		return "", 0, "wrong number of arguments"
	}
	out := make([]string, 3)
	for i, a := range args {
		n, ok := strtoll(a)
		if !ok || n < -2000 || n > 2000 {
			return "", 0, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), 0, ""
}

// parseKeyspaceEvents is setConfigNotifyKeyspaceEventsOption. The stored
// form keeps every class (see showKeyspaceEvents), so that a snapshot
// restores exactly the flags the log set.
func parseKeyspaceEvents(v string, _ *Values) (string, int64, string) {
	flags, ok := KeyspaceEventsStringToFlags(v)
	if !ok {
		return "", 0, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	}
	s := KeyspaceEventsFlagsToString(flags)
	if flags&NotifyAll == NotifyAll && flags&NotifyNew != 0 {
		s += "n" // which Redis's string omits after "A"
	}
	return s, int64(flags), ""
}

// showKeyspaceEvents is CONFIG GET's form: Redis's, which may omit n.
func showKeyspaceEvents(v *Values) string { return KeyspaceEventsFlagsToString(v.NotifyKeyspaceEvents) }

// parsePercentiles is setConfigLatencyTrackingInfoPercentilesOutputOption:
// numbers within [0, 100], shown as "%f" without trailing zeros.
func parsePercentiles(v string, _ *Values) (string, int64, string) {
	args := splitArgs(v)
	out := make([]string, 0, len(args))
	for _, a := range args {
		f, ok := string2d(a)
		if !ok {
			return "", 0, "Invalid latency-tracking-info-percentiles parameters"
		}
		if f > 100 || f < 0 {
			return "", 0, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		out = append(out, trimDouble(strconv.FormatFloat(f, 'f', 6, 64)))
	}
	return strings.Join(out, " "), 0, ""
}

// string2d is Redis's string2d: strtod of the whole string, no leading
// space, no NaN, no overflow.
func string2d(s string) (float64, bool) {
	if s == "" || s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r') {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f {
		return 0, false
	}
	return f, true
}

// trimDouble is Redis's trimDoubleString.
func trimDouble(s string) string {
	if strings.IndexByte(s, '.') < 0 {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// checkHostname is isValidAnnouncedHostname.
func checkHostname(v string, _ *Values) (string, int64, string) {
	if len(v) >= 256 {
		return "", 0, "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", 0, "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return v, 0, ""
}

// checkProcTitle is isValidProcTitleTemplate: the template must expand
// (sdstemplate: "{name}" is a variable, "{{" a brace; every name known) to
// something other than spaces, with the variables of a node that is not in
// Redis's cluster mode and has no unix socket or config file.
func checkProcTitle(v string, _ *Values) (string, int64, string) {
	const bad = "template format is invalid or contains unknown variables"
	var out strings.Builder
	for p := v; ; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out.WriteString(p)
			break
		}
		out.WriteString(p[:i])
		p = p[i+1:]
		if p == "" {
			return "", 0, bad
		}
		if p[0] == '{' {
			out.WriteByte('{')
			p = p[1:]
			continue
		}
		end := strings.IndexByte(p, '}')
		if end < 0 {
			return "", 0, bad
		}
		switch p[:end] {
		case "title", "server-mode", "unixsocket", "config-file":
		case "listen-addr", "port", "tls-port":
			out.WriteString("x") // never empty
		default:
			return "", 0, bad
		}
		p = p[end+1:]
	}
	if strings.Trim(out.String(), " ") == "" {
		return "", 0, bad
	}
	return v, 0, ""
}

// shutdownFlags are shutdown-on-sigint's and -sigterm's names and bits
// (shutdown_on_sig_enum), in Redis's order.
var shutdownFlags = [...]struct {
	name string
	bit  int64
}{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}

// parseShutdownFlags is enumConfigSet of a bit-flags enum: one or more
// names, combined, shown as configEnumGetName shows them.
func parseShutdownFlags(v string, _ *Values) (string, int64, string) {
	args := splitArgs(v)
	var bits int64
	for _, a := range args {
		matched := false
		for _, f := range shutdownFlags {
			if strings.EqualFold(a, f.name) {
				bits |= f.bit
				matched = true
			}
		}
		if !matched {
			args = nil
			break
		}
	}
	if len(args) == 0 {
		return "", 0, "argument(s) must be one of the following: default, save, nosave, now, force"
	}
	if bits&1 != 0 && bits&2 != 0 {
		return "", 0, "shutdown options SAVE and NOSAVE can't be used simultaneously"
	}
	var names []string
	unmatched := bits
	for _, f := range shutdownFlags {
		if bits == f.bit {
			return f.name, bits, ""
		}
		if f.bit != 0 && unmatched&f.bit == f.bit {
			names = append(names, f.name)
			unmatched &^= f.bit
		}
	}
	return strings.Join(names, " "), bits, ""
}
