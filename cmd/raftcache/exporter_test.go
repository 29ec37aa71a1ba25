package main

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestRedisExporter points the Prometheus community's redis_exporter
// (Debian's prometheus-redis-exporter) at a follower and requires the
// metrics it derives from INFO, SLOWLOG and LATENCY, which it exports for
// a real redis-server too. Skipped where the exporter is not installed.
func TestRedisExporter(t *testing.T) {
	bin, err := exec.LookPath("prometheus-redis-exporter")
	if err != nil {
		t.Skip("prometheus-redis-exporter not installed (apt-get install prometheus-redis-exporter)")
	}
	ctx := context.Background()
	n1, n2 := newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	c := n2.client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.LPush(ctx, "k", "x").Err(); err == nil {
		t.Fatal("LPUSH on a string succeeded")
	}
	web := freePorts(t, 1)[0]
	exp := exec.Command(bin, "-redis.addr", "redis://"+n2.resp, "-web.listen-address", web)
	if err := exp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exp.Process.Kill()
		exp.Wait()
	})
	var body string
	waitFor(t, 10*time.Second, "redis_exporter serving", func() bool {
		resp, err := http.Get("http://" + web + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err == nil && resp.StatusCode == 200
	})
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the exporter's metrics: %v", err)
	}
	if v, ok := value(fams, "redis_up"); !ok || v != 1 {
		t.Fatalf("redis_up = %v (present %v)\n%s", v, ok, body)
	}
	for _, name := range []string{
		"redis_commands_total", "redis_commands_duration_seconds_total", "redis_commands_failed_calls_total",
		"redis_latency_percentiles_usec", "redis_errors_total", "redis_slowlog_length", "redis_slowlog_last_id",
		"redis_rdb_last_save_timestamp_seconds", "redis_rdb_changes_since_last_save", "redis_connected_slaves",
		"redis_master_repl_offset", "redis_cpu_user_seconds_total", "redis_memory_used_bytes",
		"redis_memory_used_rss_bytes", "redis_db_keys", "redis_keyspace_hits_total", "redis_instance_info",
		"redis_connected_clients", "redis_cluster_enabled", "redis_uptime_in_seconds",
	} {
		if fams[name] == nil {
			t.Errorf("redis_exporter exports no %s", name)
		}
	}
	if v, ok := value(fams, "redis_errors_total", "err", "WRONGTYPE"); !ok || v != 1 {
		t.Errorf("redis_errors_total{err=WRONGTYPE} = %v (present %v), want 1", v, ok)
	}
}
