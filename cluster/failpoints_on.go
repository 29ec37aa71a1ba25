//go:build failpoints

package cluster

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/storage/wal"
)

// armFailpoints sets the hooks the environment asks for (see
// failpoint.go), unless a test has set them already. It logs each one it
// arms: a failpoint in force must never go unnoticed in a node's log.
func armFailpoints(cfg *Config) error {
	if err := armSaveDelay(cfg); err != nil {
		return err
	}
	armWALFault(cfg)
	return armWALSegment(cfg)
}

func armWALSegment(cfg *Config) error {
	v := os.Getenv(FailpointWALSegmentEnv)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 64<<10 {
		return fmt.Errorf("cluster: %s=%q: want a size in bytes of at least 64 KiB", FailpointWALSegmentEnv, v)
	}
	wal.SegmentSizeBytes = n
	cfg.Logger.Warn("failpoint armed: WAL segments are small, so that a full disk reaches the WAL soon",
		"failpoint", FailpointWALSegmentEnv, "bytes", n)
	return nil
}

func armSaveDelay(cfg *Config) error {
	v := os.Getenv(FailpointSaveDelayEnv)
	if v == "" || cfg.beforeSave != nil {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return fmt.Errorf("cluster: %s=%q: want a non-negative duration", FailpointSaveDelayEnv, v)
	}
	cfg.beforeSave = func() { time.Sleep(d) }
	cfg.Logger.Warn("failpoint armed: every Ready is persisted only after a delay, as on a slow disk",
		"failpoint", FailpointSaveDelayEnv, "delay", d)
	return nil
}

func armWALFault(cfg *Config) {
	path := os.Getenv(FailpointWALFaultFileEnv)
	if path == "" || cfg.walFault != nil {
		return
	}
	cfg.walFault = func(op string) error {
		if _, err := os.Stat(path); err != nil {
			return nil
		}
		return fmt.Errorf("failpoint %s (%s exists): %w", op, path, syscall.EIO)
	}
	cfg.Logger.Warn("failpoint armed: every WAL call fails with EIO while a file exists, as a failing disk",
		"failpoint", FailpointWALFaultFileEnv, "file", path)
}
