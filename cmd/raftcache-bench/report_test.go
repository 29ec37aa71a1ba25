package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	r := newResults()
	r.add(runKey{srvRedis, "SET", 1}, Row{RPS: 100000})
	r.add(runKey{srvRedisAOF, "SET", 1}, Row{RPS: 10000})
	r.add(runKey{srvSingle, "SET", 1}, Row{RPS: 10000}) // exactly 1.0x: met
	r.add(runKey{srvRedis, "GET", 1}, Row{RPS: 100000})
	r.add(runKey{srvSingle, "GET", 1}, Row{RPS: 99999}) // just under: missed
	r.add(runKey{srvCluster, "SET", 1}, Row{RPS: 4999}) // 0.4999x of redis-aof: missed
	r.add(runKey{srvCluster, "GET", 1}, Row{RPS: 60000})
	r.Memory = &memoryResult{Keys: 1000, RedisRSS: 100_000, RaftcacheRSS: 120_000} // 1.2x: met
	r.Snapshot = &snapshotResult{Keys: 1_000_000, Without: Row{P99Ms: 2}, During: Row{P99Ms: 4.5}}
	r.Restart = &restartResult{Keys: 1_000_000, Redis: time.Second, Raftcache: 2 * time.Second}

	want := map[string]string{
		"single node, durable SET, c=50":                        statusMet,
		"single node, GET, c=50":                                statusMissed,
		"single node, SET, c=50, P=16":                          statusNone,
		"single node, GET, c=50, P=16":                          statusNone,
		"3-node cluster, SET via a follower, c=50":              statusMissed,
		"3-node cluster, linearizable GET via a follower, c=50": statusMet,
		"memory per key (RSS)":                                  statusMet,
		"write p99 during a 1M-key snapshot":                    statusMissed,
		"restart with 1M keys":                                  statusMet,
	}
	got := evaluate(r)
	if len(got) != len(want) {
		t.Fatalf("%d verdicts, want %d: %+v", len(got), len(want), got)
	}
	for _, v := range got {
		if w, ok := want[v.What]; !ok || v.Status != w {
			t.Errorf("%q: status %q, want %q (%+v)", v.What, v.Status, w, v)
		}
	}
	if m := got[0].Measured; m != "1.00x (10,000 vs 10,000 ops/s)" {
		t.Errorf("measured = %q", m)
	}
	if m := got[6].Measured; m != "1.20x (120 vs 100 B/key)" {
		t.Errorf("memory measured = %q", m)
	}
	if m := got[7].Measured; m != "2.25x (4.500 vs 2.000 ms)" {
		t.Errorf("snapshot measured = %q", m)
	}
}

func TestEvaluateNothingMeasured(t *testing.T) {
	for _, v := range evaluate(newResults()) {
		if v.Status != statusNone || v.Measured != "" {
			t.Errorf("%+v: want not measured", v)
		}
	}
	// A zero reference cannot give a ratio.
	r := newResults()
	r.add(runKey{srvSingle, "SET", 1}, Row{RPS: 10})
	r.add(runKey{srvRedisAOF, "SET", 1}, Row{RPS: 0})
	if v := evaluate(r)[0]; v.Status != statusNone {
		t.Errorf("ratio to 0 ops/s: %+v", v)
	}
}

func TestWriteReport(t *testing.T) {
	r := newResults()
	r.add(runKey{srvRedis, "SET", 1}, Row{RPS: 20000, P50Ms: 1, P99Ms: 3})
	r.add(runKey{srvRedisAOF, "SET", 1}, Row{RPS: 8000, P50Ms: 2, P99Ms: 5})
	r.add(runKey{srvSingle, "SET", 1}, Row{RPS: 4000, P50Ms: 10, P99Ms: 20})
	var b bytes.Buffer
	writeReport(&b, r)
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{"raftcache SET 1 4,000 10.000 20.000 0.20x 0.50x", "redis SET 1 20,000 1.000 3.000 - 2.50x",
		"redis-aof SET 1 8,000 2.000 5.000 0.40x -", "targets (issue 5)", "single node, durable SET, c=50 >= 1.0x redis-aof SET P=1 0.50x (4,000 vs 8,000 ops/s) MISSED",
		"restart <= 2s not measured"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{thousands(0), "0"}, {thousands(999.4), "999"}, {thousands(1000), "1,000"}, {thousands(1234567.8), "1,234,568"},
		{shortCount(1_000_000), "1M"}, {shortCount(50_000), "50k"}, {shortCount(1234), "1234"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
