package resp

import (
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
)

// residentBytes is the process's resident set size: from /proc on Linux,
// else the memory the Go runtime has mapped, which bounds it.
func residentBytes() uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}
