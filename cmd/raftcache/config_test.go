package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testFlags is a flag set of each kind run registers, with the names of
// real ones.
func testFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("raftcache", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("state_dir", "raftcache-data", "")
	fs.String("resp", ":6379", "")
	fs.String("api", ":9090", "")
	fs.Duration("timeout", 5*time.Second, "")
	fs.Uint64("snapshot_entries", 10000, "")
	fs.Bool("v", false, "")
	fs.Bool("version", false, "")
	fs.String("tls_auth_clients", "no", "")
	fs.String(configFlag, "", "")
	return fs
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raftcache.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigPrecedence: a flag on the command line beats RAFTCACHE_*,
// which beats the file, which beats the default, key by key.
func TestConfigPrecedence(t *testing.T) {
	file := `# every kind of value, as the command line spells it
state_dir: /from/file
resp: "127.0.0.1:7000"
api: 127.0.0.1:7001
timeout: 2s
snapshot_entries: 500
v: true
tls_auth_clients: no
`
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want map[string]string
	}{
		{
			name: "defaults without a file",
			want: map[string]string{"state_dir": "raftcache-data", "resp": ":6379", "timeout": "5s", "v": "false"},
		},
		{
			name: "file over defaults",
			args: []string{"-config", "FILE"},
			want: map[string]string{"state_dir": "/from/file", "resp": "127.0.0.1:7000", "api": "127.0.0.1:7001",
				"timeout": "2s", "snapshot_entries": "500", "v": "true", "tls_auth_clients": "no"},
		},
		{
			name: "environment over file",
			args: []string{"-config", "FILE"},
			env:  []string{"RAFTCACHE_RESP=127.0.0.1:8000", "RAFTCACHE_TIMEOUT=3s", "PATH=/bin"},
			want: map[string]string{"state_dir": "/from/file", "resp": "127.0.0.1:8000", "timeout": "3s", "api": "127.0.0.1:7001"},
		},
		{
			name: "flag over environment and file",
			args: []string{"-config", "FILE", "-resp", "127.0.0.1:9000", "-v=false"},
			env:  []string{"RAFTCACHE_RESP=127.0.0.1:8000", "RAFTCACHE_STATE_DIR=/from/env"},
			want: map[string]string{"state_dir": "/from/env", "resp": "127.0.0.1:9000", "v": "false", "snapshot_entries": "500"},
		},
		{
			name: "config file named by the environment",
			env:  []string{"RAFTCACHE_CONFIG=FILE"},
			want: map[string]string{"state_dir": "/from/file", "api": "127.0.0.1:7001"},
		},
		{
			name: "an empty variable is a value",
			args: []string{"-config", "FILE"},
			env:  []string{"RAFTCACHE_RESP="},
			want: map[string]string{"resp": ""},
		},
		{
			name: "environment without a file",
			env:  []string{"RAFTCACHE_SNAPSHOT_ENTRIES=7", "RAFTCACHE_V=1"},
			want: map[string]string{"snapshot_entries": "7", "v": "true", "state_dir": "raftcache-data"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, file)
			fs := testFlags()
			args := replaceAll(tc.args, "FILE", path)
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			warnings, err := applyConfig(fs, replaceAll(tc.env, "FILE", path))
			if err != nil {
				t.Fatalf("applyConfig: %v", err)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings: %q", warnings)
			}
			for name, want := range tc.want {
				if got := fs.Lookup(name).Value.String(); got != want {
					t.Errorf("-%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func replaceAll(in []string, old, new string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.ReplaceAll(s, old, new))
	}
	return out
}

// TestConfigErrors: every mistake in the file or the environment stops
// the node with an error that names where it is.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		env        []string
		want       []string // substrings of the error; FILE is the path
	}{
		{name: "unknown key", file: "state_dir: x\nraft_adress: :1\n", want: []string{"config file FILE", "line 2", `unknown key "raft_adress"`}},
		{name: "bad duration", file: "timeout: 5 seconds\n", want: []string{"config file FILE", "line 1", `"timeout"`, `invalid value "5 seconds"`}},
		{name: "bad number", file: "snapshot_entries: -1\n", want: []string{"FILE", `"snapshot_entries"`, `"-1"`}},
		{name: "bad bool", file: "v: maybe\n", want: []string{"FILE", `"v"`, `"maybe"`}},
		{name: "a list", file: "resp:\n  - a\n  - b\n", want: []string{"FILE", "line 2", `"resp"`, "single value"}},
		{name: "first error wins", file: "join_me: 1\ntimeout: x\n", want: []string{"FILE", `unknown key "join_me"`}},
		{name: "null value", file: "resp:\n", want: []string{"FILE", `"resp" has no value`}},
		{name: "duplicate key", file: "resp: a\napi: b\nresp: c\n", want: []string{"FILE", "line 3", `"resp" given twice (first on line 1)`}},
		{name: "not a mapping", file: "- resp\n", want: []string{"FILE", "mapping"}},
		{name: "not YAML", file: "resp: [a\n", want: []string{"config file FILE"}},
		{name: "two documents", file: "resp: a\n---\napi: b\n", want: []string{"FILE", "second YAML document"}},
		{name: "a config key", file: "config: other.yaml\n", want: []string{"FILE", `"config"`, "cannot name another"}},
		{name: "an action", file: "version: true\n", want: []string{"FILE", `unknown key "version"`}},
		{name: "bad environment value", env: []string{"RAFTCACHE_TIMEOUT=soon"}, want: []string{"RAFTCACHE_TIMEOUT", `"soon"`, "-timeout"}},
		{name: "missing file", env: []string{"RAFTCACHE_CONFIG=/nonexistent/raftcache.yaml"}, want: []string{"/nonexistent/raftcache.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := testFlags()
			var args []string
			path := ""
			if tc.file != "" {
				path = writeConfig(t, tc.file)
				args = []string{"-config", path}
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			_, err := applyConfig(fs, tc.env)
			if err == nil {
				t.Fatalf("applyConfig succeeded; want an error")
			}
			for _, w := range tc.want {
				w = strings.ReplaceAll(w, "FILE", path)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestConfigWarnings: a RAFTCACHE_ variable no flag has is warned about
// (and changes nothing); the project's other variables are not.
func TestConfigWarnings(t *testing.T) {
	fs := testFlags()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	warnings, err := applyConfig(fs, []string{"RAFTCACHE_STATEDIR=/x", "RAFTCACHE_VERSION=1", "RAFTCACHE_TEST_LOG=1",
		"RAFTCACHE_FAILPOINT_SAVE_DELAY=1ms", "RAFTCACHEX=1", "raftcache_resp=:1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"environment variable RAFTCACHE_STATEDIR matches no flag; ignored",
		"environment variable RAFTCACHE_VERSION matches no flag; ignored",
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}
	if got := fs.Lookup("state_dir").Value.String(); got != "raftcache-data" {
		t.Errorf("-state_dir = %q", got)
	}
	if got := fs.Lookup("version").Value.String(); got != "false" {
		t.Errorf("-version = %q", got)
	}
}

// TestConfigEmptyFile: an empty file (or only comments) sets nothing.
func TestConfigEmptyFile(t *testing.T) {
	for _, text := range []string{"", "# nothing yet\n"} {
		fs := testFlags()
		if err := fs.Parse([]string{"-config", writeConfig(t, text)}); err != nil {
			t.Fatal(err)
		}
		if _, err := applyConfig(fs, nil); err != nil {
			t.Errorf("file %q: %v", text, err)
		}
	}
}
