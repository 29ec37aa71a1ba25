package cluster

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// copyStateDir copies a running node's state directory file by file. The
// copy holds what the files hold, not what etcd's WAL still buffers in
// memory: what a SIGKILL would leave behind.
func copyStateDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadAfterKillSeesAcknowledgedWrite: committed entries are applied,
// and acknowledged, before the Ready that carries their commit index is
// saved, and etcd's WAL neither syncs nor even flushes a HardState that
// only advances the commit index. A node killed then restarts with a
// commit index behind what it acknowledged. A single voter answers a
// ReadIndex with its commit index at once, so unless the leader waits
// until it has applied an entry of its own term, the first linearizable
// read after the restart misses the acknowledged write.
func TestReadAfterKillSeesAcknowledgedWrite(t *testing.T) {
	tune := func(cfg *Config) { cfg.beforeSave = func() { time.Sleep(20 * time.Millisecond) } }
	c := newTestCluster(t, 1, tune)
	c.set(1, "k", "v1")
	c.set(1, "k", "v2")
	killed := t.TempDir()
	copyStateDir(t, c.nodes[1].dir, killed)
	c.stop(1)

	c.nodes[2] = &testNode{dir: killed}
	c.start(2, "")
	if got := c.get(2, "k"); got != "v2" {
		st := c.nodes[2].n.Status()
		t.Fatalf("first linearizable read after the restart: k=%q, want v2 (commit %d, applied %d)", got, st.Commit, st.Applied)
	}
}
