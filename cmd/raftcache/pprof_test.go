package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPprof checks that -pprof serves the runtime's profiles on its own
// address, and that nothing of it is on the admin API.
func TestPprof(t *testing.T) {
	n := newProc(t)
	addr := freePorts(t, 1)[0]
	n.startWith(nil, "-pprof", addr)
	c := http.Client{Timeout: 20 * time.Second}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + addr + "/debug/pprof/cmdline"); code != 200 || !strings.Contains(body, "-pprof") {
		t.Errorf("cmdline = %d %q", code, body)
	}
	for _, path := range []string{"/debug/pprof/profile?seconds=1", "/debug/pprof/allocs", "/debug/pprof/heap?gc=1"} {
		if code, body := get("http://" + addr + path); code != 200 || len(body) == 0 {
			t.Errorf("%s = %d, %d bytes", path, code, len(body))
		}
	}
	if code, _ := get("http://" + n.api + "/debug/pprof/"); code != 404 {
		t.Errorf("admin API /debug/pprof/ = %d, want 404", code)
	}
}
