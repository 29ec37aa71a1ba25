package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster/clustertest"
)

// backupFile takes a backup on node i into a file and returns its name.
func (c *testCluster) backupFile(i int) (string, BackupInfo) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	info, err := c.nodes[i].n.Backup(ctx, &buf)
	if err != nil {
		c.t.Fatalf("backup on node %d: %v", i, err)
	}
	name := filepath.Join(c.t.TempDir(), "backup.snap")
	if err := os.WriteFile(name, buf.Bytes(), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return name, info
}

// restoreAs restores file into a new state directory for node i of c, on
// a free address, and returns the new member's ID.
func (c *testCluster) restoreAs(i int, file string) uint64 {
	c.t.Helper()
	addrs, err := clustertest.FreeAddrs("127.0.0.1", 1)
	if err != nil {
		c.t.Fatal(err)
	}
	tn := &testNode{dir: filepath.Join(c.t.TempDir(), "restored"), addr: addrs[0]}
	id, _, err := Restore(RestoreConfig{File: file, StateDir: tn.dir, RaftAddr: tn.addr,
		APIAddr: "api-" + tn.addr, RESPAddr: "resp-" + tn.addr, StateMachine: newKV(), Logger: discardLog()})
	if err != nil {
		c.t.Fatalf("restore: %v", err)
	}
	c.nodes[i] = tn
	return id
}

// TestBackupRestore: a backup taken on a follower restores, with Start,
// into a new single-member cluster holding exactly the backup's keys,
// under a new ID, that serves writes alone.
func TestBackupRestore(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.waitLeader()
	var last uint64
	for i := range 50 {
		last = c.set(lead, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}
	f := c.follower()
	file, info := c.backupFile(f)
	if info.Index < last {
		t.Errorf("backup at index %d, before the last acknowledged write at %d", info.Index, last)
	}
	old := map[uint64]bool{}
	for _, tn := range c.nodes {
		old[tn.n.ID()] = true
	}
	id := c.restoreAs(4, file)
	if old[id] {
		t.Errorf("restored member reuses ID %x of the backup's cluster", id)
	}
	r := c.start(4, "")
	if r.n.ID() != id {
		t.Errorf("restarted restored member has ID %x, Restore said %x", r.n.ID(), id)
	}
	for i := range 50 {
		if got := c.get(4, fmt.Sprintf("k%d", i)); got != fmt.Sprintf("v%d", i) {
			t.Fatalf("restored k%d = %q", i, got)
		}
	}
	if n := r.sm.len(); n != 50 {
		t.Errorf("restored state has %d keys, want 50", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ms, err := r.n.Members(ctx)
	if err != nil || len(ms) != 1 || ms[0].ID != id || ms[0].RaftAddr != r.addr || !ms[0].Voter {
		t.Errorf("restored members = %+v, %v; want only itself as a voter at %s", ms, err, r.addr)
	}
	if idx := c.set(4, "after", "restore"); idx <= info.Index {
		t.Errorf("first write after the restore at index %d, not after the backup's %d", idx, info.Index)
	}
	// The backup's cluster is untouched and still has all three.
	if got := c.nodes[lead].n.Status().Members; got != 3 {
		t.Errorf("the backup's cluster has %d members", got)
	}
}

// TestBackupWaitsForTheReadBarrier: a backup on a follower that is behind
// holds every write acknowledged before it was asked for, as a
// linearizable read would: it waits until the follower has caught up
// rather than capture its stale state.
func TestBackupWaitsForTheReadBarrier(t *testing.T) {
	var gate struct {
		sync.Mutex
		addr string
		open chan struct{}
	}
	tune := func(cfg *Config) {
		addr := cfg.RaftAddr
		cfg.beforeSave = func() {
			gate.Lock()
			held, open := gate.addr == addr, gate.open
			gate.Unlock()
			if held {
				<-open
			}
		}
	}
	c := newTestCluster(t, 3, tune)
	lead := c.waitLeader()
	c.set(lead, "before", "1")
	f := c.follower()
	if got := c.get(f, "before"); got != "1" {
		t.Fatalf("follower reads before=%q", got)
	}
	open := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(open) }) }
	t.Cleanup(release) // before the nodes stop
	gate.Lock()
	gate.addr, gate.open = c.nodes[f].addr, open
	gate.Unlock()

	c.set(lead, "acked", "2") // committed by the leader and the other follower
	if got := c.nodes[f].sm.get("acked"); got != "" {
		t.Fatalf("the held follower applied acked=%q already", got)
	}
	type result struct {
		buf  bytes.Buffer
		info BackupInfo
		err  error
	}
	done := make(chan *result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r := &result{}
		r.info, r.err = c.nodes[f].n.Backup(ctx, &r.buf)
		done <- r
	}()
	select {
	case r := <-done:
		t.Fatalf("backup on a follower behind the commit index returned at once (index %d, err %v): it skipped the read barrier", r.info.Index, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	r := <-done
	if r.err != nil {
		t.Fatalf("backup: %v", r.err)
	}
	file := filepath.Join(t.TempDir(), "backup.snap")
	if err := os.WriteFile(file, r.buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sm := newKV()
	if _, _, err := Restore(RestoreConfig{File: file, StateDir: filepath.Join(t.TempDir(), "r"), RaftAddr: "127.0.0.1:1",
		StateMachine: sm, Logger: discardLog()}); err != nil {
		t.Fatal(err)
	}
	if got := sm.get("acked"); got != "2" {
		t.Errorf("backup holds acked=%q, want the write acknowledged before it", got)
	}
}

// snapFileBytes builds a snapshot file of the given magic, header and
// body, with a correct checksum unless badSum.
func snapFileBytes(magic string, h snapHeader, body []byte, badSum bool) []byte {
	var buf bytes.Buffer
	if err := writeSnapStream(&buf, h, writerTo(body)); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	copy(b, magic)
	sum := crc32.Checksum(b[:len(b)-4], crcTable)
	if badSum {
		sum++
	}
	binary.LittleEndian.PutUint32(b[len(b)-4:], sum)
	return b
}

// TestRestoreRefuses: a file that is not a whole backup this build reads
// is refused with an error saying what is wrong, and leaves no state
// behind; so is a state directory that is in use.
func TestRestoreRefuses(t *testing.T) {
	h := snapHeader{Term: 2, Index: 10, Voters: []uint64{7}, Members: []memberMeta{{ID: 7, RaftAddr: "a"}}}
	good := snapFileBytes(snapMagic, h, []byte(`{"k":"value"}`), false)
	flipped := bytes.Clone(good)
	flipped[bytes.Index(flipped, []byte("value"))] ^= 'v' ^ 'V' // still valid JSON: only the checksum tells
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"a flipped byte in a value", flipped, "checksum mismatch"},
		{"truncated", good[:len(good)-6], "checksum mismatch"},
		{"no checksum", good[:len(good)-4], "checksum mismatch"},
		{"another format version, checksum right", snapFileBytes("RCSNAP\x00\x02", h, []byte(`{"k":"v"}`), false),
			"snapshot file format version 2; this build reads version 1"},
		{"not a snapshot", []byte("*1\r\n$4\r\nPING\r\n"), "not a raftcache snapshot (bad magic)"},
		{"empty", nil, "not a raftcache snapshot"},
		{"a state the state machine refuses", snapFileBytes(snapMagic, h, []byte(`["not","a","map"]`), false), "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "backup.snap")
			if err := os.WriteFile(file, tc.file, 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "state")
			sm := newKV()
			_, _, err := Restore(RestoreConfig{File: file, StateDir: dir, RaftAddr: "127.0.0.1:1", StateMachine: sm, Logger: discardLog()})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "restore") {
				t.Fatalf("Restore: %v, want an error with %q", err, tc.want)
			}
			for _, d := range []string{dir, dir + ".restoring"} {
				if _, err := os.Stat(d); err == nil {
					t.Errorf("%s left behind", d)
				}
			}
		})
	}

	file := filepath.Join(t.TempDir(), "backup.snap")
	if err := os.WriteFile(file, good, 0o600); err != nil {
		t.Fatal(err)
	}
	restore := func(dir string) error {
		_, _, err := Restore(RestoreConfig{File: file, StateDir: dir, RaftAddr: "127.0.0.1:1", StateMachine: newKV(), Logger: discardLog()})
		return err
	}
	used := filepath.Join(t.TempDir(), "used")
	if err := restore(used); err != nil {
		t.Fatal(err)
	}
	if err := restore(used); err == nil || !strings.Contains(err.Error(), "already holds a member") {
		t.Errorf("restore into a member's directory: %v", err)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := restore(full); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("restore into a non-empty directory: %v", err)
	}
	if err := restore(t.TempDir()); err != nil {
		t.Errorf("restore into an empty directory: %v", err)
	}
}

// TestForceNewCluster: after two of three members are lost, the third
// restarted with ForceNewCluster is the only member, with every write
// acknowledged before, and serves; its later restarts need no flag. A
// directory that holds no member is refused.
func TestForceNewCluster(t *testing.T) {
	var force struct {
		sync.Mutex
		dir string
	}
	tune := func(cfg *Config) {
		force.Lock()
		cfg.ForceNewCluster = cfg.StateDir == force.dir
		force.Unlock()
	}
	c := newTestCluster(t, 3, tune)
	lead := c.waitLeader()
	for i := range 20 {
		c.set(lead, fmt.Sprintf("k%d", i), "v")
	}
	for i := 1; i <= 3; i++ {
		c.stop(i)
	}
	force.Lock()
	force.dir = c.nodes[2].dir
	force.Unlock()
	c.start(2, "")
	force.Lock()
	force.dir = ""
	force.Unlock()
	check := func(when string) {
		t.Helper()
		if lead := c.waitLeader(); lead != 2 {
			t.Fatalf("%s: node %d leads, want the survivor", when, lead)
		}
		if n := c.nodes[2].sm.len(); n < 20 {
			t.Errorf("%s: %d keys, want the 20 acknowledged", when, n)
		}
		c.set(2, "after", when)
		if got := c.get(2, "k19"); got != "v" {
			t.Errorf("%s: k19 = %q", when, got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if ms, err := c.nodes[2].n.Members(ctx); err != nil || len(ms) != 1 || ms[0].ID != c.nodes[2].n.ID() {
			t.Errorf("%s: members = %+v, %v", when, ms, err)
		}
	}
	check("forced")
	c.stop(2)
	c.start(2, "")
	check("restarted")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg := c.config(t.TempDir(), "127.0.0.1:0", "", nil, newKV())
	cfg.ForceNewCluster = true
	if _, err := Start(ctx, cfg); err == nil || !strings.Contains(err.Error(), "holds no member to keep") {
		t.Errorf("force a new cluster from an empty directory: %v", err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
