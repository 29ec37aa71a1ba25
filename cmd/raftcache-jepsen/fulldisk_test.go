package main

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestShortRunFullDisk fills a node's state directory (its own tmpfs,
// mounted by the checker: root only) mid-run, sometimes kills it on the
// full disk, starts it again there, and frees the space at heal. With one
// node and the server's snapshot interval, the full disk reaches the WAL
// (small segments, a failpoint): the node must stop by itself, non-zero,
// saying the device is full, and start cleanly or fail cleanly while it
// stays full. With three and frequent snapshots, a snapshot fails first:
// the node refuses writes with MISCONF, serves reads, and a leader hands
// over. Either way nothing acknowledged may be lost, the nodes must
// agree, and every member must serve writes within the recovery bound
// after the space is freed.
func TestShortRunFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the full-disk nemesis mounts a tmpfs for each node: needs root")
	}
	bin := buildRaftcache(t, "failpoints")
	for _, tc := range []struct {
		nodes int
		snapN uint64
	}{{1, 0}, {3, 100}} {
		t.Run(fmt.Sprintf("nodes=%d", tc.nodes), func(t *testing.T) {
			cfg := shortRun(bin, workloadRegister, 10*time.Second, 50)
			cfg.nemeses, cfg.nodes, cfg.snapN = []string{nemFullDisk}, tc.nodes, tc.snapN
			cfg.faultEvery, cfg.faultHold, cfg.recoverBound = 500*time.Millisecond, 2*time.Second, 15*time.Second
			runJepsen(t, cfg)
		})
	}
}
