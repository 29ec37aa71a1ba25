//go:build !failpoints

package main

import (
	"log/slog"
	"time"
)

// wallClock is the clock the node stamps on what it proposes and reads
// TTLs by: the system's. A -tags failpoints build may skew it
// (clock_failpoints.go).
func wallClock(*slog.Logger) (func() int64, error) {
	return func() int64 { return time.Now().UnixMilli() }, nil
}
