package cluster

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing f's bytes [off, off+n)
// to disk, without waiting, and then waits until the piece before it,
// [prev, off), is on disk: at most two pieces are ever dirty.
// sync_file_range neither syncs metadata nor flushes the disk's cache, so
// the final fsync is still what makes the file durable.
func startWriteback(f *os.File, prev, off, n int64) error {
	fd := int(f.Fd())
	if err := unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE); err != nil {
		return err
	}
	if off > prev {
		return unix.SyncFileRange(fd, prev, off-prev,
			unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	}
	return nil
}
