package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseVmRSS returns the resident set size, in bytes, from the text of
// /proc/<pid>/status.
func parseVmRSS(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS line %q: want <n> kB", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS line %q: %w", line, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no VmRSS line in process status")
}

// parseInfo returns the field:value lines of an INFO reply.
func parseInfo(info string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// logRecord is one line of raftcache's log (log/slog's text format).
type logRecord struct {
	Time  time.Time
	Msg   string
	Attrs map[string]string
}

// parseLogLine parses a slog text line: key=value pairs, a value quoted
// (Go syntax) when it holds spaces or quotes. It reports false for lines
// that are not such records.
func parseLogLine(line string) (logRecord, bool) {
	attrs := map[string]string{}
	for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimLeft(rest, " ") {
		key, after, ok := strings.Cut(rest, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \"") {
			return logRecord{}, false
		}
		var value string
		if strings.HasPrefix(after, `"`) {
			q, err := strconv.QuotedPrefix(after)
			if err != nil {
				return logRecord{}, false
			}
			value, _ = strconv.Unquote(q)
			rest = after[len(q):]
		} else {
			value, rest, _ = strings.Cut(after, " ")
		}
		attrs[key] = value
	}
	t, err := time.Parse(time.RFC3339Nano, attrs["time"])
	if err != nil || attrs["msg"] == "" {
		return logRecord{}, false
	}
	return logRecord{Time: t, Msg: attrs["msg"], Attrs: attrs}, true
}

// snapshotSaved is a "snapshot saved" record of a node's log: the snapshot
// at Index was written and fsynced at Time, which took Took after its
// capture.
type snapshotSaved struct {
	Time  time.Time
	Index uint64
	Took  time.Duration
}

// snapshotsSaved returns every "snapshot saved" record in a node's log.
func snapshotsSaved(log string) ([]snapshotSaved, error) {
	var out []snapshotSaved
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		rec, ok := parseLogLine(sc.Text())
		if !ok || rec.Msg != "snapshot saved" {
			continue
		}
		idx, err := strconv.ParseUint(rec.Attrs["index"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("snapshot record %q: index: %w", sc.Text(), err)
		}
		took, err := time.ParseDuration(rec.Attrs["took"])
		if err != nil {
			return nil, fmt.Errorf("snapshot record %q: took: %w", sc.Text(), err)
		}
		out = append(out, snapshotSaved{Time: rec.Time, Index: idx, Took: took})
	}
	return out, sc.Err()
}

// restartSnapshotIndex returns the snapshot index of the last "restarting
// member" record in a node's log: the snapshot the restart loaded.
func restartSnapshotIndex(log string) (uint64, bool) {
	var idx uint64
	found := false
	for _, line := range strings.Split(log, "\n") {
		rec, ok := parseLogLine(line)
		if !ok || rec.Msg != "restarting member" {
			continue
		}
		n, err := strconv.ParseUint(rec.Attrs["snapshot_index"], 10, 64)
		if err == nil {
			idx, found = n, true
		}
	}
	return idx, found
}
