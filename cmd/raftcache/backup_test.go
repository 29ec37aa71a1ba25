package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
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
	waitVoters(t, n1, 3)
	c := n1.client()
	for _, cmd := range [][]any{
		{"SET", "s", guardedValue}, {"SET", "ttl", "v", "PX", "600000"}, {"HSET", "h", "a", "1", "b", "2"},
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
	// Enough acknowledged writes that a backup missing some shows.
	waitFor(t, 20*time.Second, "100 acknowledged writes", func() bool { return len(acked) >= 100 })
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
	// Nothing but the cluster's keys, with their values: the live keys
	// past the acknowledged ones are those written while the backup ran.
	liveKeys, err := rc.Keys(ctx, "live*").Result()
	if err != nil || len(liveKeys) < before {
		t.Fatalf("restored KEYS live* = %d keys, %v; want at least %d", len(liveKeys), err, before)
	}
	for _, k := range liveKeys {
		if v, err := rc.Get(ctx, k).Result(); err != nil || "live"+v != k {
			t.Errorf("restored %s = %q, %v", k, v, err)
		}
	}
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != int64(7+len(liveKeys)) {
		t.Errorf("restored DBSIZE = %d, %v; want the 7 keys and %d live ones", n, err, len(liveKeys))
	}
	if ms := r.members(); len(ms) != 1 || ms[0].Raft != r.raft {
		t.Errorf("restored members = %+v", ms)
	}
	if err := rc.Set(ctx, "after", "restore", 0).Err(); err != nil {
		t.Errorf("SET on the restored node: %v", err)
	}

	refuseRestore(t, file)
}

// guardedValue is a value whose bytes a test flips in a backup file: the
// file still decodes, so only the checksum can tell.
const guardedValue = "value-guarded-by-the-checksum"

// refuseRestore checks that -restore refuses broken copies of the backup
// file with a non-zero exit, an error saying why, and no state left. Each
// copy but the corrupt and torn ones has a correct checksum, so that it is
// the check named in want that refuses it.
func refuseRestore(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The layout (cluster/snapfile.go): an 8-byte magic ending in the file
	// format version, a 4-byte header length, the header, the state
	// machine's stream (magic "RCSN", then its version byte), and a
	// CRC-32C of all that.
	reseal := func(b []byte) []byte {
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crc32.MakeTable(crc32.Castagnoli)))
		return b
	}
	body := 12 + int(binary.LittleEndian.Uint32(data[8:12]))
	if string(data[body:body+4]) != "RCSN" {
		t.Fatalf("no state machine stream at offset %d: %q", body, data[body:body+8])
	}
	at := bytes.Index(data, []byte(guardedValue))
	if at < 0 {
		t.Fatal("the backup does not hold the guarded value")
	}
	corrupt := bytes.Clone(data)
	corrupt[at] ^= 0x20 // 'v' to 'V': still a valid stream
	otherFormat := bytes.Clone(data)
	otherFormat[7] = 9
	otherStream := bytes.Clone(data)
	otherStream[body+4] = 200
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"corrupt", corrupt, "checksum mismatch (torn or corrupt file)"},
		{"truncated", data[:len(data)*2/3], "checksum mismatch (torn or corrupt file)"},
		{"other file format version", reseal(otherFormat), "snapshot file format version 9; this build reads version 1"},
		{"other stream version", reseal(otherStream), "unsupported snapshot version 200"},
	} {
		f := filepath.Join(t.TempDir(), "backup.snap")
		if err := os.WriteFile(f, tc.file, 0o600); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "state")
		ports := freePorts(t, 3)
		out, err := exec.Command(binPath, "-state_dir", dir, "-raft", ports[0], "-api", ports[1], "-resp", ports[2], "-restore", f).CombinedOutput()
		if err == nil {
			t.Errorf("%s file: restore succeeded\n%s", tc.name, out)
		}
		if !strings.Contains(string(out), "raftcache: restore") || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s file: want an error with %q:\n%s", tc.name, tc.want, out)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s file: a state dir was left", tc.name)
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
	waitVoters(t, n1, 3)
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
