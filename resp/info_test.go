package resp

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCommandStatsCountCallsFailuresAndRejections(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	for _, req := range []string{
		cmd("SET", "k", "v"), cmd("SET", "k", "v"), cmd("GET", "k"),
		cmd("LPUSH", "k", "x"), // WRONGTYPE: ran and failed
		cmd("GET"),             // arity: rejected
		cmd("NOSUCH"),          // unknown: counted nowhere but errorstats
	} {
		roundTrip(t, addr, req)
	}
	info := roundTrip(t, addr, cmd("INFO", "commandstats"))
	for _, want := range []string{
		"cmdstat_set:calls=2,", "cmdstat_get:calls=1,",
		"cmdstat_lpush:calls=1,", "rejected_calls=0,failed_calls=1",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, info)
		}
	}
	if !strings.Contains(info, "rejected_calls=1,failed_calls=0") {
		t.Errorf("GET's arity error not counted as rejected:\n%s", info)
	}
	errs := roundTrip(t, addr, cmd("INFO", "errorstats"))
	for _, want := range []string{"errorstat_ERR:count=2", "errorstat_WRONGTYPE:count=1"} {
		if !strings.Contains(errs, want) {
			t.Errorf("INFO errorstats lacks %q:\n%s", want, errs)
		}
	}
}

func TestInfoSections(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	roundTrip(t, addr, cmd("SET", "k", "v"))
	titles := func(info string) []string {
		var out []string
		for _, line := range strings.Split(info, "\r\n") {
			if t, ok := strings.CutPrefix(line, "# "); ok {
				out = append(out, t)
			}
		}
		return out
	}
	// Redis 7.0's default sections, then ours.
	def := "Server Clients Memory Persistence Stats Replication CPU Modules Errorstats Cluster Keyspace Raft"
	if got := strings.Join(titles(roundTrip(t, addr, cmd("INFO"))), " "); got != def {
		t.Errorf("INFO sections: %s\nwant %s", got, def)
	}
	every := "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Latencystats Cluster Keyspace Raft"
	if got := strings.Join(titles(roundTrip(t, addr, cmd("INFO", "everything"))), " "); got != every {
		t.Errorf("INFO everything sections: %s\nwant %s", got, every)
	}
	info := roundTrip(t, addr, cmd("INFO", "persistence", "replication", "latencystats", "memory", "cpu"))
	for _, want := range []string{
		"rdb_changes_since_last_save:", "rdb_last_bgsave_status:ok", "role:", "master_repl_offset:",
		"latency_percentiles_usec_set:p50=", "used_memory_peak:", "used_cpu_user:",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q:\n%s", want, info)
		}
	}
}

// TestSlowlogAndLatencyMonitor: CONFIG SET's node-local thresholds make
// every command a slow log entry and a latency event, in Redis's shapes.
func TestSlowlogAndLatencyMonitor(t *testing.T) {
	_, addr, _ := startServer(t, Config{})
	cc := dialCompat(t, "ops", addr)
	do := func(args ...string) replyValue {
		t.Helper()
		v, err := cc.do(args...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := do("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "2"); v.raw != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", v.raw)
	}
	long := strings.Repeat("x", 200)
	do("SET", "k", long)
	do("CLIENT", "SETNAME", "me")
	do("GET", "k")
	v := do("SLOWLOG", "GET", "-1")
	if len(v.elems) != 2 {
		t.Fatalf("SLOWLOG GET -1 with slowlog-max-len 2: %d entries: %q", len(v.elems), v.raw)
	}
	get, set := v.elems[0], v.elems[1]
	if len(get.elems) != 6 || get.elems[0].typ != ':' || get.elems[1].typ != ':' || get.elems[2].typ != ':' ||
		get.elems[4].typ != '$' || get.elems[5].text != "me" {
		t.Errorf("entry %q: want id, time, duration, args, address, name \"me\"", get.raw)
	}
	if args := get.elems[3]; len(args.elems) != 2 || args.elems[0].text != "GET" || args.elems[1].text != "k" {
		t.Errorf("GET's logged arguments: %q", args.raw)
	}
	// The entry before it is CLIENT SETNAME (newest first, two kept).
	if set.elems[3].elems[0].text != "CLIENT" {
		t.Errorf("second newest entry: %q, want CLIENT SETNAME", set.raw)
	}
	if n := do("SLOWLOG", "LEN"); n.text != "2" {
		t.Errorf("SLOWLOG LEN = %q, want 2", n.raw)
	}
	do("CONFIG", "SET", "slowlog-max-len", "128")
	do("SET", "k2", long)
	entry := do("SLOWLOG", "GET", "1").elems[0]
	if got := entry.elems[3].elems[2].text; got != strings.Repeat("x", 128)+"... (72 more bytes)" {
		t.Errorf("a long argument is logged as %q", got)
	}
	if v := do("CONFIG", "GET", "slowlog-log-slower-than"); len(v.elems) != 2 || v.elems[1].text != "0" {
		t.Errorf("CONFIG GET slowlog-log-slower-than: %q", v.raw)
	}

	// Every command takes at least 0ms: with threshold 1, none but a
	// slow one would be an event; 0 turns the monitor off. Set the
	// threshold by hand to the smallest that counts.
	if v := do("CONFIG", "SET", "latency-monitor-threshold", "1"); v.raw != "+OK\r\n" {
		t.Fatalf("CONFIG SET latency-monitor-threshold: %q", v.raw)
	}
	if v := do("LATENCY", "DOCTOR"); !strings.HasPrefix(v.text, "Dave, no latency spike") {
		t.Errorf("LATENCY DOCTOR with no event: %q", v.raw)
	}
}

// TestLatencyEvents: a command at or over latency-monitor-threshold is a
// "command" event, in LATENCY LATEST, HISTORY, DOCTOR and RESET.
func TestLatencyEvents(t *testing.T) {
	s, addr, _ := startServer(t, Config{})
	s.latency.threshold.Store(1)
	sp := s.cmds.lookup([]byte("get"))
	end := time.Now()
	s.called(&client{}, sp, [][]byte{[]byte("GET"), []byte("k")}, end.Add(-5*time.Millisecond), end, false)
	s.called(&client{}, sp, [][]byte{[]byte("GET"), []byte("k")}, end.Add(-3*time.Millisecond), end, false)
	latest := roundTrip(t, addr, cmd("LATENCY", "LATEST"))
	want := "*1\r\n*4\r\n$7\r\ncommand\r\n:" + strconv.FormatInt(end.Unix(), 10) + "\r\n:5\r\n:5\r\n"
	if latest != want {
		t.Errorf("LATENCY LATEST = %q, want %q (one sample a second, the worst)", latest, want)
	}
	if h := roundTrip(t, addr, cmd("LATENCY", "HISTORY", "command")); h != "*1\r\n*2\r\n:"+strconv.FormatInt(end.Unix(), 10)+"\r\n:5\r\n" {
		t.Errorf("LATENCY HISTORY command = %q", h)
	}
	if d := roundTrip(t, addr, cmd("LATENCY", "DOCTOR")); !strings.Contains(d, "1. command: 1 latency spikes") {
		t.Errorf("LATENCY DOCTOR = %q", d)
	}
	if r := roundTrip(t, addr, cmd("LATENCY", "RESET", "command")); r != ":1\r\n" {
		t.Errorf("LATENCY RESET command = %q, want :1", r)
	}
	if l := roundTrip(t, addr, cmd("LATENCY", "LATEST")); l != "*0\r\n" {
		t.Errorf("LATENCY LATEST after RESET = %q", l)
	}
}
