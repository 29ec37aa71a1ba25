package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMaxMemoryFlag starts three processes with -maxmemory, fills them
// past it through every node, and checks that the flag became the
// cluster's maxmemory, that memory comes back under it, and that every
// node then holds the same number of keys and counted the same evictions.
func TestMaxMemoryFlag(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.startWith(nil, "-maxmemory", "256kb")
	n2.startWith(n1, "-maxmemory", "1gb") // the cluster's value wins over a joiner's flag
	n3.start(n1)
	waitVoters(t, n1, 3)
	procs := []*proc{n1, n2, n3}
	for _, p := range procs {
		pc := p.client()
		waitFor(t, 15*time.Second, "maxmemory on "+p.resp, func() bool {
			v, err := pc.ConfigGet(ctx, "maxmemory").Result()
			return err == nil && v["maxmemory"] == "262144"
		})
	}
	if err := n3.client().ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("v", 500)
	for i := range 2000 {
		if err := procs[i%3].client().Set(ctx, "k"+strconv.Itoa(i), big, 0).Err(); err != nil {
			t.Fatalf("SET k%d: %v", i, err)
		}
	}
	field := func(info, name string) string {
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, name+":"); ok {
				return v
			}
		}
		return ""
	}
	waitFor(t, 20*time.Second, "memory under the limit and the same keys on every node", func() bool {
		var keys, evicted []string
		for _, p := range procs {
			info, err := p.client().Info(ctx, "memory", "stats", "keyspace").Result()
			if err != nil {
				return false
			}
			if used, _ := strconv.Atoi(field(info, "used_memory")); used > 262144 || used == 0 {
				return false
			}
			keys = append(keys, field(info, "db0"))
			evicted = append(evicted, field(info, "evicted_keys"))
		}
		return keys[0] == keys[1] && keys[1] == keys[2] && evicted[0] == evicted[1] && evicted[1] == evicted[2] && evicted[0] != "0"
	})
	// /metrics counts the same evictions as INFO, on every node.
	for _, p := range procs {
		info, err := p.client().Info(ctx, "stats").Result()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := value(p.scrape(), "raftcache_cache_evicted_keys_total")
		if want := field(info, "evicted_keys"); !ok || strconv.FormatFloat(got, 'f', -1, 64) != want {
			t.Errorf("%s: raftcache_cache_evicted_keys_total = %v (present %v), INFO evicted_keys:%s", p.resp, got, ok, want)
		}
	}
}
