package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	const header = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"
	for _, tc := range []struct {
		name, in string
		want     []Row
		err      string
	}{
		{
			name: "set and get",
			in: header + `"SET","9803.92","4.556","0.880","3.719","10.751","12.431","16.607"` + "\n" +
				`"GET","21459.23","1.655","0.256","1.295","3.327","8.951","11.175"` + "\n",
			want: []Row{
				{Test: "SET", RPS: 9803.92, AvgMs: 4.556, MinMs: 0.880, P50Ms: 3.719, P95Ms: 10.751, P99Ms: 12.431, MaxMs: 16.607},
				{Test: "GET", RPS: 21459.23, AvgMs: 1.655, MinMs: 0.256, P50Ms: 1.295, P95Ms: 3.327, P99Ms: 8.951, MaxMs: 11.175},
			},
		},
		{
			name: "columns found by name",
			in: `"p99_latency_ms","test","max_latency_ms","rps","extra","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms"` + "\n" +
				`"9","SET","10","1000","x","2","1","3","8"` + "\n",
			want: []Row{{Test: "SET", RPS: 1000, AvgMs: 2, MinMs: 1, P50Ms: 3, P95Ms: 8, P99Ms: 9, MaxMs: 10}},
		},
		{name: "empty", in: "", err: "no header"},
		{name: "header only", in: header, err: "no test lines"},
		{name: "old redis-benchmark", in: `"test","rps"` + "\n" + `"SET","1000"` + "\n", err: "no avg_latency_ms column"},
		{name: "no test column", in: `"rps"` + "\n", err: "no test column"},
		{name: "bad number", in: header + `"SET","fast","1","1","1","1","1","1"` + "\n", err: "line 2: rps"},
		{name: "short line", in: header + `"SET","1"` + "\n", err: "line 2 has 2 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCSV(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
