package admin

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/raftcache/raftcache/cluster"
)

// backuper is what GET /mgmt/snapshot asks the node (cluster.Node has it).
type backuper interface {
	// Backup writes a consistent snapshot of the cluster's state to w.
	Backup(ctx context.Context, w io.Writer) (cluster.BackupInfo, error)
}

// backupTimeout bounds a whole backup stream: a large state to a slow
// client takes far longer than a request, and the capture it reads from
// keeps the state it shares with the store alive until it is written.
const backupTimeout = time.Hour

// snapshot streams a backup of the cluster (see cluster.Node.Backup), for
// raftcache -restore. Until the stream starts, failures are JSON errors
// as on every route; after that, the status is sent, so a failure aborts
// the connection: the client sees a transfer cut short, and the file it
// kept lacks its checksum, which -restore refuses.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	b, ok := s.cluster.(backuper)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this node cannot take backups")
		return
	}
	// The server's write timeout is sized for a request, not for a stream.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(backupTimeout))
	ctx, cancel := context.WithTimeout(r.Context(), backupTimeout)
	defer cancel()
	sw := &startWriter{w: w}
	info, err := b.Backup(ctx, sw)
	if err == nil {
		return
	}
	if !sw.started {
		s.writeClusterError(w, r, err, false)
		return
	}
	s.log.Error("admin: backup stream failed", "index", info.Index, "err", err)
	panic(http.ErrAbortHandler)
}

// startWriter sends the headers of a backup with its first bytes, once
// the barrier and the capture succeeded.
type startWriter struct {
	w       http.ResponseWriter
	started bool
}

func (sw *startWriter) Write(p []byte) (int, error) {
	if !sw.started {
		sw.started = true
		h := sw.w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="raftcache.snap"`)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		sw.w.WriteHeader(http.StatusOK)
	}
	return sw.w.Write(p)
}
