package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigFileAndEnvironment starts the binary from a config file, with
// one of its keys overridden by RAFTCACHE_* and another by a flag, and
// checks the ports it really serves on: the flag's and the environment's,
// not the file's.
func TestConfigFileAndEnvironment(t *testing.T) {
	ports := freePorts(t, 5)
	raftAddr, fileAPI, fileRESP, envRESP, flagAPI := ports[0], ports[1], ports[2], ports[3], ports[4]
	p := &proc{t: t, dir: t.TempDir(), raft: raftAddr, api: flagAPI, resp: envRESP}
	config := filepath.Join(t.TempDir(), "raftcache.yaml")
	text := fmt.Sprintf(`# raftcache -config %s
state_dir: %s
raft: %s
api: %s
resp: %s
requirepass: "from the file"
timeout: 3s
snapshot_entries: 500
proto_max_bulk_len: 2mb
`, config, p.dir, raftAddr, fileAPI, fileRESP)
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p.exec([]string{"-config", config, "-api", flagAPI},
		[]string{"RAFTCACHE_RESP=" + envRESP, "RAFTCACHE_REQUIREPASS=", "RAFTCACHE_NO_SUCH_FLAG=1"})
	ctx := context.Background()
	waitFor(t, 15*time.Second, "PING on the environment's -resp "+envRESP, func() bool {
		return p.client().Ping(ctx).Err() == nil // the environment's empty requirepass won
	})
	if code, body := p.http("GET", "/healthz", ""); code != 200 {
		t.Errorf("GET /healthz on the flag's -api %s: %d %s", flagAPI, code, body)
	}
	for _, addr := range []string{fileRESP, fileAPI} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("the file's address %s is served, though overridden", addr)
		}
	}
	got, err := p.client().ConfigGet(ctx, "*").Result()
	if err != nil || got["proto-max-bulk-len"] != "2097152" || got["requirepass"] != "" {
		t.Errorf("CONFIG GET * = %v, %v; want the file's proto_max_bulk_len and the environment's empty requirepass", got, err)
	}
	if want := "environment variable RAFTCACHE_NO_SUCH_FLAG matches no flag; ignored"; !strings.Contains(p.logs(), want) {
		t.Errorf("log lacks %q:\n%s", want, p.logs())
	}
	p.kill()

	// A key no flag has stops the node before it touches anything.
	if err := os.WriteFile(config, []byte("state_dir: "+t.TempDir()+"\nresp_adress: :1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binPath, "-config", config).CombinedOutput()
	want := fmt.Sprintf("raftcache: config file %s: line 2: unknown key \"resp_adress\"", config)
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("a misspelt key: %v, output %q, want it to contain %q", err, out, want)
	}
}
