package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fetchBackup saves GET /mgmt/snapshot of p into a file and returns its name.
func fetchBackup(t *testing.T, p *proc) string {
	t.Helper()
	resp, err := http.Get("http://" + p.api + "/mgmt/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /mgmt/snapshot: %d %v %.200s", resp.StatusCode, err, b)
	}
	name := filepath.Join(t.TempDir(), "backup.snap")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestBackupRestore: a backup taken from a follower of a live 3-node
// cluster restores into a new single-member cluster with every key equal;
// a torn or corrupt file is refused with a non-zero exit and no state.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	c := n1.client()
	for _, cmd := range [][]any{
		{"SET", "s", "v"}, {"SET", "ttl", "v", "PX", "600000"}, {"HSET", "h", "a", "1", "b", "2"},
		{"RPUSH", "l", "x", "y", "z"}, {"SADD", "set", "m1", "m2"}, {"ZADD", "z", "1.5", "a", "2", "b"},
		{"XADD", "st", "1-1", "f", "v"}, {"XADD", "st", "2-1", "g", "w"},
	} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	// Writes go on during the backup; every one acknowledged before it
	// started must be in it.
	stop := make(chan struct{})
	acked := make(chan int, 100000)
	go func() {
		defer close(acked)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if c.Set(ctx, "live"+strconv.Itoa(i), i, 0).Err() == nil {
				acked <- i
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	before := len(acked)
	file := fetchBackup(t, n2)
	close(stop)
	for range acked {
	}

	read := func(p *proc) string {
		pc := p.client()
		var out []string
		for _, cmd := range [][]any{{"GET", "s"}, {"PEXPIRETIME", "ttl"}, {"HGETALL", "h"}, {"LRANGE", "l", "0", "-1"},
			{"SMEMBERS", "set"}, {"ZRANGE", "z", "0", "-1", "WITHSCORES"}, {"XRANGE", "st", "-", "+"}} {
			v, err := pc.Do(ctx, cmd...).Result()
			out = append(out, strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(toString(v), "\n", " "), "  ", " ")))
			if err != nil {
				t.Errorf("%v on %s: %v", cmd, p.resp, err)
			}
		}
		return strings.Join(out, "|")
	}
	want := read(n1)

	r := newProc(t)
	r.startWith(nil, "-restore", file)
	if got := read(r); got != want {
		t.Errorf("restored state:\n%s\nwant\n%s", got, want)
	}
	rc := r.client()
	for i := 0; i < before; i++ {
		if v, err := rc.Get(ctx, "live"+strconv.Itoa(i)).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("live%d, acknowledged before the backup: %q, %v", i, v, err)
		}
	}
	if ms := r.members(); len(ms) != 1 || ms[0].Raft != r.raft {
		t.Errorf("restored members = %+v", ms)
	}
	if err := rc.Set(ctx, "after", "restore", 0).Err(); err != nil {
		t.Errorf("SET on the restored node: %v", err)
	}

	data, _ := os.ReadFile(file)
	corrupt := append([]byte(nil), data...)
	corrupt[len(corrupt)/2] ^= 0xff
	for name, b := range map[string][]byte{"corrupt": corrupt, "truncated": data[:len(data)*2/3], "other version": append([]byte("RCSNAP\x00\x09"), data[8:]...)} {
		f := filepath.Join(t.TempDir(), name)
		os.WriteFile(f, b, 0o600)
		dir := filepath.Join(t.TempDir(), "state")
		ports := freePorts(t, 3)
		out, err := exec.Command(binPath, "-state_dir", dir, "-raft", ports[0], "-api", ports[1], "-resp", ports[2], "-restore", f).CombinedOutput()
		if err == nil {
			t.Errorf("%s file: restore succeeded\n%s", name, out)
		}
		if !strings.Contains(string(out), "restore") || !(strings.Contains(string(out), "checksum") || strings.Contains(string(out), "version")) {
			t.Errorf("%s file: unclear error:\n%s", name, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "wal")); err == nil {
			t.Errorf("%s file: a state dir was left", name)
		}
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i] = toString(e)
		}
		return "[" + strings.Join(s, " ") + "]"
	case map[any]any:
		return "map"
	default:
		return strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " "))
	}
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case nil:
		return "nil"
	default:
		return "?"
	}
}

// TestForceNewCluster: after two of three members are lost for good, the
// survivor restarted with -force_new_cluster serves reads and writes alone.
func TestForceNewCluster(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	if err := n1.client().Set(ctx, "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	n2.kill()
	n3.kill()
	n1.kill()
	n1.startWith(nil, "-force_new_cluster")
	c := n1.client()
	waitFor(t, 15*time.Second, "a write on the survivor", func() bool { return c.Set(ctx, "b", "2", 0).Err() == nil })
	if v, err := c.Get(ctx, "a").Result(); err != nil || v != "1" {
		t.Errorf("GET a = %q, %v", v, err)
	}
	if !strings.Contains(n1.logs(), "FORCING A NEW CLUSTER") {
		t.Errorf("no warning in the log")
	}
	if ms := n1.members(); len(ms) != 1 {
		t.Errorf("members = %+v", ms)
	}
}
