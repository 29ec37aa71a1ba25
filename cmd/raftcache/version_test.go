package main

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersion runs the binary TestMain built with -version and checks
// what it prints against what `go version -m` reads from the same
// binary: the module version, the commit and the Go version.
func TestVersion(t *testing.T) {
	out, err := exec.Command(binPath, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("raftcache -version: %v: %s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if strings.Contains(got, "\n") {
		t.Fatalf("-version printed more than one line: %q", got)
	}
	meta, err := exec.Command("go", "version", "-m", binPath).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	field := func(re string) string {
		m := regexp.MustCompile(re).FindSubmatch(meta)
		if m == nil {
			return ""
		}
		return string(m[1])
	}
	modVersion := field(`(?m)^\tmod\t\S+\t(\S+)`)
	rev := field(`(?m)^\tbuild\tvcs\.revision=(\S+)`)
	if modVersion == "" {
		t.Fatalf("go version -m shows no module version:\n%s", meta)
	}
	want := []string{"raftcache " + modVersion, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if rev != "" {
		want = append(want, "git "+rev)
	} else {
		t.Logf("built without VCS information: no commit to check")
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("raftcache -version = %q, want it to contain %q (go version -m:\n%s)", got, w, meta)
		}
	}
}
