package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version describes this binary from what the Go toolchain stamped into
// it: the main module's version ("(devel)" for a build from a checkout),
// the commit it was built from (with "+dirty" when the tree had changes),
// its time, and the Go version and platform.
func version() string {
	var b strings.Builder
	b.WriteString("raftcache ")
	info, ok := debug.ReadBuildInfo()
	if !ok {
		b.WriteString("(unknown: built without module support)")
	} else {
		b.WriteString(info.Main.Version)
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			b.WriteString(" " + settings["vcs"] + " " + rev)
			if settings["vcs.modified"] == "true" {
				b.WriteString("+dirty")
			}
			if at := settings["vcs.time"]; at != "" {
				b.WriteString(" " + at)
			}
		}
	}
	b.WriteString(" " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH)
	return b.String()
}
