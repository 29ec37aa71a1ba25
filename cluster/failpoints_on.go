//go:build failpoints

package cluster

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// armFailpoints sets the hooks the environment asks for (see
// failpoint.go), unless a test has set them already. It logs each one it
// arms: a failpoint in force must never go unnoticed in a node's log.
func armFailpoints(cfg *Config) error {
	if err := armSaveDelay(cfg); err != nil {
		return err
	}
	armWALFault(cfg)
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
