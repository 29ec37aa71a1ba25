package fsm

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// RunMemory runs what keeps the dataset within maxmemory and its access
// statistics current, until ctx ends: the leader's eviction (RunEviction),
// this node's access reports (RunAccessReports) and, if initialMaxMemory is
// not 0, the seeding of maxmemory from the node's -maxmemory flag
// (SeedMaxMemory). Every node runs it.
func RunMemory(ctx context.Context, s *Store, isLeader func() bool,
	propose func(ctx context.Context, cmd []byte) error, now func() int64, initialMaxMemory int64) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); RunEviction(ctx, s, isLeader, propose, now) }()
	go func() { defer wg.Done(); RunAccessReports(ctx, s, propose, now) }()
	if initialMaxMemory > 0 {
		SeedMaxMemory(ctx, s, isLeader, propose, now, initialMaxMemory)
	}
	wg.Wait()
}

// SeedMaxMemory makes n the cluster's maxmemory unless the cluster has one:
// once this node leads, if the replicated maxmemory is still 0 (never set,
// or set back to Redis's default), it proposes CONFIG SET maxmemory n. So
// a flag is the initial value of a new cluster, and the replicated value,
// changed by CONFIG SET on any node and kept in snapshots, wins from then
// on over every node's flag: restarting a node with another -maxmemory
// does not change a cluster's limit.
func SeedMaxMemory(ctx context.Context, s *Store, isLeader func() bool,
	propose func(ctx context.Context, cmd []byte) error, now func() int64, n int64) {
	ticker := time.NewTicker(evictInterval)
	defer ticker.Stop()
	for {
		if s.Config().MaxMemory != 0 {
			return
		}
		if isLeader() {
			c := NewConfigSet([][]byte{[]byte("maxmemory"), strconv.AppendInt(nil, n, 10)}, now())
			if propose(ctx, c.AppendBinary(nil)) == nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
