package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Row is one test's line of redis-benchmark's --csv output. Latencies are
// in milliseconds.
type Row struct {
	Test                                     string
	RPS                                      float64
	AvgMs, MinMs, P50Ms, P95Ms, P99Ms, MaxMs float64
}

// csvColumns maps redis-benchmark's CSV header names to Row's fields. The
// latency columns appeared in redis-benchmark 6.2.
var csvColumns = []struct {
	name  string
	field func(*Row) *float64
}{
	{"rps", func(r *Row) *float64 { return &r.RPS }},
	{"avg_latency_ms", func(r *Row) *float64 { return &r.AvgMs }},
	{"min_latency_ms", func(r *Row) *float64 { return &r.MinMs }},
	{"p50_latency_ms", func(r *Row) *float64 { return &r.P50Ms }},
	{"p95_latency_ms", func(r *Row) *float64 { return &r.P95Ms }},
	{"p99_latency_ms", func(r *Row) *float64 { return &r.P99Ms }},
	{"max_latency_ms", func(r *Row) *float64 { return &r.MaxMs }},
}

// parseCSV reads redis-benchmark --csv output: a header line naming the
// columns, then one line per test. Columns are found by name, so their
// order does not matter and unknown ones are ignored.
func parseCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("csv: no header line")
	}
	if err != nil {
		return nil, fmt.Errorf("csv: read header: %w", err)
	}
	index := map[string]int{}
	for i, name := range header {
		index[name] = i
	}
	testCol, ok := index["test"]
	if !ok {
		return nil, fmt.Errorf("csv: header %q has no test column", header)
	}
	cols := make([]int, len(csvColumns))
	for i, c := range csvColumns {
		if cols[i], ok = index[c.name]; !ok {
			return nil, fmt.Errorf("csv: header %q has no %s column (redis-benchmark 6.2 or later is needed)", header, c.name)
		}
	}
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv: line %d: %w", line, err)
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("csv: line %d has %d fields, the header %d", line, len(rec), len(header))
		}
		row := Row{Test: rec[testCol]}
		for i, c := range csvColumns {
			v, err := strconv.ParseFloat(rec[cols[i]], 64)
			if err != nil {
				return nil, fmt.Errorf("csv: line %d: %s: %w", line, c.name, err)
			}
			*c.field(&row) = v
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errors.New("csv: no test lines")
	}
	return rows, nil
}
