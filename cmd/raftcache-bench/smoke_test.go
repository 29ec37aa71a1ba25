package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScalingPhasesSmoke runs the scaling, install and failover phases at
// a tiny size against real processes (a built raftcache, redis-benchmark)
// so that the harness of issue 14's scaling table cannot rot between the
// lead's full runs: every cell is measured, the new member restores a
// snapshot, a leadership transfer is seen by the reading follower (the
// kill differs only in how the leader goes). Much of its time is the
// clusters' shutdowns: the last node standing, a leader without a quorum,
// tries to hand leadership over for a while.
func TestScalingPhasesSmoke(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "raftcache")
	if out, err := exec.Command("go", "build", "-o", bin, "../raftcache").CombinedOutput(); err != nil {
		t.Fatalf("build raftcache: %v\n%s", err, out)
	}
	cfg, err := parseFlags([]string{"-bin", bin, "-dir", t.TempDir(), "-phases", "scaling,install,failover",
		"-scaling_nodes", "1,3", "-scaling_values", "16384", "-scaling_bytes", "1kb", "-scaling_min_requests", "200", "-scaling_requests", "200",
		"-keys", "3000", "-install_snapshot_entries", "500", "-install_steady", "500ms", "-settle", "0s",
		"-failover_keys", "500", "-failover_clients", "4", "-failover_steady", "500ms", "-failover_after", "200ms", "-failover_modes", "transfer"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	if err := run(ctx, cfg, &out, &progress); err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, progress.String())
	}
	text := out.String()
	for _, want := range []string{
		"SET value 1 node 3 nodes", "GET value 1 node 3 nodes",
		"redis-benchmark -c 50 -n 200 -r 50 -d 16384 -P 1 --csv -t get",
		"snapshot install: a 4th member joins a 3-node cluster holding 3,000 keys",
		"reads during a leader change (transfer)",
	} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		// Every cell of the two matrices was measured, none at 0 ops/s.
		if f := strings.Fields(line); len(f) == 3 && f[0] == "16KiB" && (f[1] == "-" || f[2] == "-" || f[1] == "0" || f[2] == "0") {
			t.Errorf("a cell without a figure: %q\n%s", line, text)
		}
	}
}
