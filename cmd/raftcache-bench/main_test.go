package main

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.keys != 1_000_000 || c.valueSize != 64 || c.clients != 50 || !c.phases["throughput"] || !c.phases["keyspace"] ||
		!c.phases["elements"] || len(c.servers) != len(allServers) || c.profileDir != "" || c.profileSeconds != 10*time.Second ||
		len(c.tests) != len(benchTests) || len(c.collections) != 3 || c.elements != 1_000_000 {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parseFlags([]string{"-keys", "20000", "-phases", "keyspace", "-servers", " raftcache , redis ", "-profile", "p", "-profile_seconds", "3s",
		"-tests", "set,Zrange", "-collections", "zset", "-elements", "5000"})
	if err != nil {
		t.Fatal(err)
	}
	if c.keys != 20000 || !reflect.DeepEqual(c.phases, map[string]bool{"keyspace": true}) ||
		!reflect.DeepEqual(c.servers, map[string]bool{srvSingle: true, srvRedis: true}) || c.profileDir != "p" || c.profileSeconds != 3*time.Second ||
		!reflect.DeepEqual(c.tests, map[string]bool{"SET": true, "ZRANGE": true}) || !reflect.DeepEqual(c.collections, map[string]bool{"zset": true}) || c.elements != 5000 {
		t.Errorf("parsed: %+v", c)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-phases", "throughput,speed"}, `-phases: unknown "speed"`},
		{[]string{"-servers", ","}, "-servers: empty list"},
		{[]string{"-keys", "0"}, "must be positive"},
		{[]string{"-elements", "0"}, "must be positive"},
		{[]string{"-tests", "set,hset"}, `-tests: unknown "HSET"`},
		{[]string{"-collections", "stream"}, `-collections: unknown "stream"`},
		{[]string{"-snapshot_requests", "3"}, "at least 4"},
		{[]string{"-profile_seconds", "100ms"}, "at least 1s"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nosuchflag"}, "not defined"},
	} {
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", tc.args, err, tc.err)
		}
	}
}
