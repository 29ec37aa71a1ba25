package cluster

import (
	"context"
	"fmt"
	"io"
)

// BackupInfo says where in the log a backup was taken.
type BackupInfo struct {
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
}

// Backup writes a consistent snapshot of the cluster's state to w, in the
// snapshot file format (see snapfile.go), checksum included, so that
// Restore can start a new cluster from it.
//
// The state is the one at an applied index at or after a linearizable
// read barrier: it holds every write acknowledged before the call, as a
// read would see it. It is captured between two applies, as the node's own
// snapshots are, and written out from the state machine's copy-on-write
// capture while writes go on: the cluster does not pause for a backup,
// however long the stream to w takes.
//
// An error after the first byte leaves w without the checksum; the caller
// must make that visible to whoever reads w (the admin API aborts the
// response).
func (n *Node) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	if err := n.LinearizableRead(ctx); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	c, err := n.captureNow(ctx)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info := BackupInfo{Term: c.h.Term, Index: c.h.Index}
	if err := writeSnapStream(w, c.h, c.body); err != nil {
		return info, fmt.Errorf("backup at index %d: %w", c.h.Index, err)
	}
	n.log.Info("backup streamed", "index", c.h.Index, "term", c.h.Term)
	return info, nil
}

// captureNow asks the apply loop for the state as of its applied index, as
// sendSnapshot does for a follower.
func (n *Node) captureNow(ctx context.Context) (snapCapture, error) {
	reply := make(chan snapCapture, 1)
	select {
	case n.snapReqc <- reply:
	case <-ctx.Done():
		return snapCapture{}, ctx.Err()
	case <-n.stopc:
		return snapCapture{}, ErrStopped
	}
	// The apply loop always answers once it took the request (reply is
	// buffered), so only the node stopping can leave this waiting.
	select {
	case c := <-reply:
		return c, c.err
	case <-n.stopc:
		return snapCapture{}, ErrStopped
	}
}
