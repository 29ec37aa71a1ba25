package main

import (
	"bytes"
	"reflect"
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
		"single node, durable SET, c=50":                                   statusMet,
		"single node, GET, c=50":                                           statusMissed,
		"single node, SET, c=50, P=16":                                     statusNone,
		"single node, GET, c=50, P=16":                                     statusNone,
		"3-node cluster, SET via a follower, c=50":                         statusMissed,
		"3-node cluster, linearizable GET via a follower, c=50":            statusMet,
		"memory per key (RSS)":                                             statusMet,
		"write p99 during a 1M-key snapshot":                               statusMissed,
		"restart with 1M keys":                                             statusMet,
		"3-node cluster, SET via a follower, c=50 (vs peers)":              statusNone,
		"3-node cluster, SET via a follower, c=50 (vs uhaha)":              statusMissed,
		"3-node cluster, SET via a follower, c=50, P=16 (vs peers)":        statusNone,
		"3-node cluster, SET via a follower, c=50, P=16 (vs uhaha)":        statusNone,
		"3-node cluster, linearizable GET via a follower, c=50 (vs peers)": statusNone,
		"3-node cluster, linearizable GET via a follower, c=50 (vs uhaha)": statusMissed,
		"CPU per acknowledged replicated SET, c=50 (all nodes, user+sys)":  statusNone,
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
	if m := got[13].Measured; m != "1.20x (120 vs 100 B/key)" {
		t.Errorf("memory measured = %q", m)
	}
	if m := got[14].Measured; m != "2.25x (4.500 vs 2.000 ms)" {
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
	for _, want := range []string{"raftcache SET 1 4,000 10.000 20.000 - 0.20x 0.50x - -", "redis SET 1 20,000 1.000 3.000 - - 2.50x - -",
		"redis-aof SET 1 8,000 2.000 5.000 - 0.40x - - -", "targets (issues 5, 10 and 14)", "single node, durable SET, c=50 >= 1.0x redis-aof SET P=1 0.50x (4,000 vs 8,000 ops/s) MISSED",
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

func TestCollectionVerdicts(t *testing.T) {
	r := newResults()
	for _, row := range []struct {
		srv, test string
		p         int
		rps       float64
	}{
		{srvRedis, "SET", 1, 1000}, {srvSingle, "SET", 1, 300}, // SET ratio 0.30
		{srvRedis, "GET", 1, 1000}, {srvSingle, "GET", 1, 800}, // GET ratio 0.80
		{srvRedis, "LPUSH", 1, 1000}, {srvSingle, "LPUSH", 1, 300}, // 0.30: met (equal)
		{srvRedis, "ZRANGE", 1, 1000}, {srvSingle, "ZRANGE", 1, 700}, // 0.70 < GET's 0.80: missed
		{srvSingle, "SADD", 1, 500},                                 // no redis SADD: not measured
		{srvRedis, "ZADD", 16, 1000}, {srvCluster, "ZADD", 16, 100}, // no SET at P=16: ratio, no goal
	} {
		r.add(runKey{row.srv, row.test, row.p}, Row{RPS: row.rps})
	}
	want := []verdict{
		{"single node, LPUSH, c=50, P=1", ">= 0.30x (SET's)", "0.30x (300 vs 1,000 ops/s)", statusMet},
		{"single node, SADD, c=50, P=1", ">= raftcache SET P=1's x redis", "", statusNone},
		{"single node, ZRANGE, c=50, P=1", ">= 0.80x (GET's)", "0.70x (700 vs 1,000 ops/s)", statusMissed},
		{"3-node cluster via a follower, ZADD, c=50, P=16", ">= raftcache-3 SET P=16's x redis", "0.10x (100 vs 1,000 ops/s)", statusNone},
	}
	got := collectionVerdicts(r)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestElementsReport(t *testing.T) {
	r := newResults()
	r.Elements = []*elementsResult{{
		Type: "list", Elements: 1_000_000,
		Redis: elementsMemory{Base: memorySample{RSS: 8 << 20, Used: 1 << 20}, Loaded: memorySample{RSS: 8<<20 + 12_000_000, Used: 1<<20 + 11_000_000}, Encoding: "quicklist"},
		Raftcache: elementsMemory{Base: memorySample{RSS: 20 << 20, Used: 2 << 20}, Loaded: memorySample{RSS: 20<<20 + 15_000_000, Used: 2<<20 + 13_200_000},
			Encoding: "quicklist", LogEntries: 1234},
	}, {
		Type: "zset", Elements: 1000,
		Redis: elementsMemory{Base: memorySample{RSS: 100}, Loaded: memorySample{RSS: 100}}, // no growth: no ratio
	}}
	var verdicts []verdict
	for _, v := range evaluate(r) {
		if strings.HasPrefix(v.What, "memory per element") {
			verdicts = append(verdicts, v)
		}
	}
	want := []verdict{
		{"memory per element, 1M-element list (RSS growth)", "<= 1.2x redis", "1.25x (15.0 vs 12.0 B/elem)", statusMissed},
		{"memory per element, 1k-element zset (RSS growth)", "<= 1.2x redis", "", statusNone},
	}
	if !reflect.DeepEqual(verdicts, want) {
		t.Errorf("verdicts\n%+v\nwant\n%+v", verdicts, want)
	}
	var b bytes.Buffer
	writeReport(&b, r)
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{
		"list 1,000,000 redis-server quicklist 11.4 12.0 10.5 11.0",
		"list 1,000,000 raftcache quicklist 14.3 15.0 12.6 13.2",
		"list x redis 1.25x 1.20x",
		"list: raftcache measured 1234 log entries past a snapshot taken right after the load; empty RSS redis-server 8.0 MiB, raftcache 20.0 MiB",
		"zset x redis - -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// The peer targets hold raftcache-3 to the fastest peer of the run.
func TestPeerVerdicts(t *testing.T) {
	r := newResults()
	r.add(runKey{srvCluster, "SET", 1}, Row{RPS: 9000})
	r.add(runKey{srvRedisRepl, "SET", 1}, Row{RPS: 5000})
	r.add(runKey{srvEtcd, "SET", 1}, Row{RPS: 6000})
	r.CPU[runKey{srvCluster, "SET", 1}] = 90 * time.Microsecond
	r.CPU[runKey{srvEtcd, "SET", 1}] = 100 * time.Microsecond
	got := map[string]verdict{}
	for _, v := range peerVerdicts(r) {
		got[v.What] = v
	}
	v := got["3-node cluster, SET via a follower, c=50 (vs peers)"]
	if v.Status != statusMet || v.Goal != ">= 1.5x etcd-3 SET P=1 (best peer)" || v.Measured != "1.50x (9,000 vs 6,000 ops/s)" {
		t.Errorf("SET vs peers: %+v", v)
	}
	if v := got["CPU per acknowledged replicated SET, c=50 (all nodes, user+sys)"]; v.Status != statusMet || v.Measured != "90.0 us vs 100.0 us" {
		t.Errorf("CPU: %+v", v)
	}
}

func TestParseStatCPU(t *testing.T) {
	d, err := parseStatCPU("42 (a b) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0")
	if err != nil || d != 2*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 2s", d, err)
	}
	if _, err := parseStatCPU("42 (x) S 1"); err == nil {
		t.Error("short stat parsed")
	}
}
