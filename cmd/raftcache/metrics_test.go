package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches /metrics from p and parses it with Prometheus's own text
// parser, so that a malformed exposition fails here as it would fail a
// Prometheus server.
func (p *proc) scrape() map[string]*dto.MetricFamily {
	p.t.Helper()
	code, body := p.http("GET", "/metrics", "")
	if code != 200 {
		p.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		p.t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// value returns the value of the series of name whose labels include
// want, and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsAndHealth(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	waitVoters(t, n1, 3)
	for _, p := range []*proc{n1, n2, n3} {
		if code, body := p.http("GET", "/healthz", ""); code != 200 {
			t.Errorf("GET /healthz on %s: %d %s", p.api, code, body)
		}
		waitFor(t, 10*time.Second, "/readyz 200 on "+p.api, func() bool {
			code, _ := p.http("GET", "/readyz", "")
			return code == 200
		})
	}
	c := n2.client()
	for i := range 20 {
		if err := c.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Get(ctx, "k").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "missing").Err(); err == nil {
		t.Fatal("GET missing: want redis.Nil")
	}
	if err := c.Do(ctx, "INCR", "k", "extra").Err(); err == nil {
		t.Fatal("INCR with an extra argument succeeded")
	}
	if err := c.LPush(ctx, "k", "x").Err(); err == nil {
		t.Fatal("LPUSH on a string succeeded")
	}
	if code, _ := n2.http("GET", "/k", ""); code != 200 {
		t.Fatalf("GET /k: %d", code)
	}

	fams := n2.scrape()
	checks := []struct {
		name   string
		labels []string
		min    float64
	}{
		{"raftcache_raft_term", nil, 1},
		{"raftcache_raft_has_leader", nil, 1},
		{"raftcache_raft_commit_index", nil, 20},
		{"raftcache_raft_applied_index", nil, 20},
		{"raftcache_raft_members", nil, 3},
		{"raftcache_raft_leader_changes_total", nil, 1},
		{"raftcache_raft_proposals_committed_total", nil, 20},
		{"raftcache_wal_fsync_duration_seconds", nil, 1},
		{"raftcache_cache_keys", []string{"db", "0"}, 1},
		{"raftcache_cache_hits_total", nil, 2},
		{"raftcache_cache_misses_total", nil, 1},
		{"raftcache_cache_memory_used_bytes", nil, 1},
		{"raftcache_resp_commands_total", []string{"cmd", "set"}, 20},
		{"raftcache_resp_command_duration_seconds", []string{"cmd", "set"}, 20},
		{"raftcache_resp_command_duration_seconds", []string{"cmd", "get"}, 2},
		{"raftcache_resp_command_errors_total", []string{"cmd", "incr", "kind", "rejected"}, 1},
		{"raftcache_resp_command_errors_total", []string{"cmd", "lpush", "kind", "failed"}, 1},
		{"raftcache_resp_errors_total", []string{"prefix", "WRONGTYPE"}, 1},
		{"raftcache_resp_errors_total", []string{"prefix", "ERR"}, 1},
		{"raftcache_resp_connections", nil, 1},
		{"raftcache_http_requests_total", []string{"route", "/{key}", "method", "GET", "code", "200"}, 1},
		{"raftcache_http_request_duration_seconds", []string{"route", "/readyz"}, 1},
		{"go_goroutines", nil, 1},
	}
	for _, ch := range checks {
		if v, ok := value(fams, ch.name, ch.labels...); !ok || v < ch.min {
			t.Errorf("%s%v = %v (present %v), want at least %v", ch.name, ch.labels, v, ok, ch.min)
		}
	}
	if v, ok := value(fams, "raftcache_raft_apply_lag"); !ok || v < 0 {
		t.Errorf("raftcache_raft_apply_lag = %v, %v", v, ok)
	}

	// The leader times its heartbeats to each follower.
	var leader *proc
	for _, p := range []*proc{n1, n2, n3} {
		if v, _ := value(p.scrape(), "raftcache_raft_is_leader"); v == 1 {
			leader = p
		}
	}
	if leader == nil {
		t.Fatal("no node reports raftcache_raft_is_leader 1")
	}
	waitFor(t, 5*time.Second, "round trips to two peers", func() bool {
		f := leader.scrape()["raftcache_raft_peer_round_trip_seconds"]
		return f != nil && len(f.GetMetric()) == 2
	})

	// A node that lost its quorum is alive but not ready, and says why.
	n1.kill()
	n3.kill()
	waitFor(t, 15*time.Second, "/readyz 503 on the last node", func() bool {
		code, body := n2.http("GET", "/readyz", "")
		var r struct{ Status, Reason string }
		return code == 503 && json.Unmarshal([]byte(body), &r) == nil && r.Reason != ""
	})
	if code, body := n2.http("GET", "/healthz", ""); code != 200 {
		t.Errorf("GET /healthz without a quorum: %d %s, want 200", code, body)
	}
}
