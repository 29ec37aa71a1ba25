package config

import "testing"

func pairs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// TestCheckErrors: Redis 7.0.15's replies to these CONFIG SETs, taken from
// a redis-server (resp's compat tests compare the rest live).
func TestCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"maxmemory-samples", "5", "MAXMEMORY-SAMPLES", "6"}, "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY-SAMPLES') - duplicate parameter"},
		{[]string{"foo", "bar", "port", "x"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"port", "x", "foo", "bar"}, "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
		{[]string{"daemonize", "yes", "foo", "bar"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
		{[]string{"dir", "/tmp"}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
		{[]string{"hash-max-listpack-entries", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[]string{"proto-max-bulk-len", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value"},
		{[]string{"maxmemory-clients", "101%"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"},
		{[]string{"maxmemory-policy", "foo"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{[]string{"save", "3600  1"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{[]string{"slowlog-max-len", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[]string{"oom-score-adj-values", "0 200 3000"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
		{[]string{"hash-max-ziplist-entries", "x"}, "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer"},
		{[]string{"maxmemory"}, "ERR syntax error"},
	} {
		_, err := Defaults().Check(pairs(tc.args...))
		if err == nil || err.Error() != tc.want {
			t.Errorf("CONFIG SET %q: %v, want %s", tc.args, err, tc.want)
		}
	}
}

// TestSetShows: values as CONFIG GET shows them after a CONFIG SET, as
// Redis 7.0.15 showed them.
func TestSetShows(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"hash-max-ziplist-entries", "4", "4"},
		{"oom-score-adj", "relative", "yes"},
		{"notify-keyspace-events", "An", "A"},
		{"maxmemory", "", "0"},
		{"maxmemory", "99999999999999999999999", "18446744073709551615"},
		{"maxmemory", "1kb", "1024"},
		{"maxmemory-clients", "10%", "10%"},
		{"save", "+5 007", "5 7"},
		{"busy-reply-threshold", "1", "1"},
		{"hz", "1000", "500"},
		{"latency-tracking-info-percentiles", "99.9 50.00 1e1", "99.9 50 10"},
		{"client-output-buffer-limit", "replica 1mb 2 3", "normal 0 0 0 slave 1048576 2 3 pubsub 33554432 8388608 60"},
		{"shutdown-on-sigint", "now save", "save now"},
		{"activerehashing", "NO", "no"},
	} {
		v := Defaults()
		if err := v.Set(pairs(tc.name, tc.value)); err != nil {
			t.Errorf("CONFIG SET %s %q: %v", tc.name, tc.value, err)
			continue
		}
		p, _ := Lookup(tc.name)
		if got := v.Get(p); got != tc.want {
			t.Errorf("CONFIG SET %s %q: shows %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestKeyspaceEventsFlags(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		flags   NotifyFlags
	}{
		{"", "", 0},
		{"KEA", "AKE", NotifyAll | NotifyKeyspace | NotifyKeyevent},
		{"Ex", "xE", NotifyExpired | NotifyKeyevent},
		{"g$lshzxetdnKEm", "AKEm", NotifyAll | NotifyNew | NotifyKeyspace | NotifyKeyevent | NotifyKeyMiss},
		{"Kl", "lK", NotifyList | NotifyKeyspace},
	} {
		flags, ok := KeyspaceEventsStringToFlags(tc.in)
		if !ok || flags != tc.flags {
			t.Errorf("%q: flags %b %v, want %b", tc.in, flags, ok, tc.flags)
		}
		if got := KeyspaceEventsFlagsToString(flags); got != tc.out {
			t.Errorf("%q: reads back %q, want %q", tc.in, got, tc.out)
		}
	}
	if _, ok := KeyspaceEventsStringToFlags("Kq"); ok {
		t.Error("Kq accepted")
	}
}

func TestMemToUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"1k", 1000, true}, {"1KB", 1024, true}, {"2gb", 2 << 30, true},
		{"-1", 0, false}, {"1.5mb", 0, false}, {"+5", 0, false}, {"5 mb", 0, false}, {"mb", 0, true},
	} {
		got, ok := MemToUint(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MemToUint(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRestore(t *testing.T) {
	v, err := Restore([]string{"maxmemory", "proto-max-bulk-len"}, []string{"1024", "2097152"})
	if err != nil || v.MaxMemory != 1024 {
		t.Fatalf("Restore: %v %+v", err, v)
	}
	p, _ := Lookup("proto-max-bulk-len")
	if got := v.Get(p); got != p.Default {
		t.Errorf("a node-local parameter restored as %q, want its default", got)
	}
	for _, tc := range [][2][]string{
		{{"nosuch"}, {"1"}},
		{{"maxmemory"}, {"x"}},
		{{"maxmemory"}, {}},
	} {
		if _, err := Restore(tc[0], tc[1]); err == nil {
			t.Errorf("Restore(%q, %q) succeeded", tc[0], tc[1])
		}
	}
}
