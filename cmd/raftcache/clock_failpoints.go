//go:build failpoints

package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/raftcache/raftcache/cluster"
)

// wallClock is the system clock moved by cluster.FailpointClockOffsetEnv,
// so that the fault checker can run members whose clocks disagree (Go
// reads the time through the vDSO, which libfaketime cannot reach).
func wallClock(log *slog.Logger) (func() int64, error) {
	var offset time.Duration
	if v := os.Getenv(cluster.FailpointClockOffsetEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: want a Go duration: %w", cluster.FailpointClockOffsetEnv, v, err)
		}
		offset = d
		log.Warn("failpoint armed: this node's clock is skewed", "failpoint", cluster.FailpointClockOffsetEnv, "offset", d)
	}
	return func() int64 { return time.Now().Add(offset).UnixMilli() }, nil
}
