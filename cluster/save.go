package cluster

import (
	"context"
	"fmt"
	"time"
)

// SnapshotNow writes a snapshot of the state as this node has applied it
// and compacts the log behind it, as Redis's SAVE writes an RDB file now
// rather than when its save points say. It returns the snapshot's index
// once the file is durable. The state is captured on the apply loop
// between batches, as for a follower's snapshot. When the snapshot on disk
// already holds that index, nothing is written, but the save still counts
// as done now (Status's LastSnapshotAt): the state was durable at this
// moment, which is what a client polling LASTSAVE after SAVE waits to
// learn.
func (n *Node) SnapshotNow(ctx context.Context) (uint64, error) {
	c, err := n.captureNow(ctx)
	if err != nil {
		return 0, fmt.Errorf("snapshot now: %w", err)
	}
	if c.h.Index <= n.snapIndex.Load() {
		n.snapStats.at.Store(time.Now().UnixNano())
		return c.h.Index, nil
	}
	if err := n.persistSnapshot(c); err != nil {
		n.snapshotFailed("snapshot now", c.h.Index, err)
		return 0, fmt.Errorf("snapshot now at %d: %w", c.h.Index, err)
	}
	return c.h.Index, nil
}
