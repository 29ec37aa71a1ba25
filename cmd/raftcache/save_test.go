package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// infoField returns one field of INFO section on c.
func infoField(t *testing.T, c *redis.Client, section, field string) string {
	t.Helper()
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s:\n%s", section, field, s)
	return ""
}

// snapFiles lists the snapshot files under a node's state directory.
func snapFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".snap") {
			out = append(out, filepath.Base(path))
		}
		return nil
	})
	return out
}

// TestSaveAndShutdown: SAVE writes this node's snapshot now (a file in
// the state directory, INFO persistence and LASTSAVE say so), BGSAVE does
// it in the background, and SHUTDOWN SAVE stops the process cleanly, after
// which a restart has every key.
func TestSaveAndShutdown(t *testing.T) {
	ctx := context.Background()
	n := newProc(t)
	n.start(nil)
	c := n.client()
	started, err := c.LastSave(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if files := snapFiles(t, n.dir); len(files) != 0 {
		t.Fatalf("snapshots before any SAVE: %v", files)
	}
	for i := range 20 {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got := infoField(t, c, "persistence", "rdb_changes_since_last_save"); got == "0" {
		t.Fatalf("rdb_changes_since_last_save = 0 after 20 writes")
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE: %v", err)
	}
	files := snapFiles(t, n.dir)
	if len(files) != 1 {
		t.Fatalf("snapshot files after SAVE: %v", files)
	}
	if got := infoField(t, c, "persistence", "rdb_changes_since_last_save"); got != "0" {
		t.Errorf("rdb_changes_since_last_save = %s after SAVE", got)
	}
	if got := infoField(t, c, "persistence", "rdb_saves"); got != "1" {
		t.Errorf("rdb_saves = %s after one SAVE", got)
	}
	if at, err := c.LastSave(ctx).Result(); err != nil || at < started || at > time.Now().Unix() {
		t.Errorf("LASTSAVE = %d, %v; started at %d", at, err, started)
	}
	// Nothing new to write: still OK, no second file.
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("second SAVE: %v", err)
	}
	if got := infoField(t, c, "persistence", "rdb_saves"); got != "1" {
		t.Errorf("rdb_saves = %s after a SAVE with nothing new", got)
	}
	if err := c.Set(ctx, "after", "save", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.BgSave(ctx).Result(); err != nil || got != "Background saving started" {
		t.Fatalf("BGSAVE = %q, %v", got, err)
	}
	waitFor(t, 10*time.Second, "the BGSAVE", func() bool {
		return infoField(t, c, "persistence", "rdb_saves") == "2"
	})

	bgIndex, _ := strconv.Atoi(infoField(t, c, "persistence", "raft_snapshot_index"))
	if err := c.Set(ctx, "last", "write", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ShutdownSave(ctx).Err(); err != nil {
		t.Fatalf("SHUTDOWN SAVE: %v", err)
	}
	if code := n.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit status after SHUTDOWN = %d\n%s", code, n.logs())
	}
	if !strings.Contains(n.logs(), "SHUTDOWN received") {
		t.Errorf("the log does not say SHUTDOWN stopped the node:\n%s", n.logs())
	}
	n.start(nil)
	c = n.client()
	for k, want := range map[string]string{"k7": "7", "after": "save", "last": "write"} {
		if got, err := c.Get(ctx, k).Result(); err != nil || got != want {
			t.Errorf("after restart GET %s = %q, %v; want %q", k, got, err, want)
		}
	}
	// SHUTDOWN SAVE wrote a snapshot that holds the last write.
	if got, _ := strconv.Atoi(infoField(t, c, "persistence", "raft_snapshot_index")); got <= bgIndex {
		t.Errorf("raft_snapshot_index after a restart = %d, BGSAVE's was %d: SHUTDOWN SAVE saved nothing", got, bgIndex)
	}
}

// TestShutdownRefused: a user whose ACL denies @admin gets NOPERM, and
// with -protect_ops a user without a password (the default user of a node
// without -requirepass) is refused too; the process keeps serving. A user
// with a password then stops it.
func TestShutdownRefused(t *testing.T) {
	ctx := context.Background()
	n := newProc(t)
	n.startWith(nil, "-protect_ops")
	c := n.client()
	if err := c.Shutdown(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("SHUTDOWN as the default user with -protect_ops: %v, want NOPERM", err)
	}
	for _, rule := range [][]any{
		{"ACL", "SETUSER", "app", "on", ">apppw", "~*", "+@all", "-@admin"},
		{"ACL", "SETUSER", "ops", "on", ">opspw", "~*", "+@all"},
	} {
		if err := c.Do(ctx, rule...).Err(); err != nil {
			t.Fatalf("%v: %v", rule, err)
		}
	}
	app := redis.NewClient(&redis.Options{Addr: n.resp, Username: "app", Password: "apppw", MaxRetries: -1})
	defer app.Close()
	if err := app.Shutdown(ctx).Err(); err == nil ||
		err.Error() != "NOPERM this user has no permissions to run the 'shutdown' command" {
		t.Fatalf("SHUTDOWN as a user without @admin: %v", err)
	}
	if !n.running() || c.Ping(ctx).Err() != nil {
		t.Fatal("a refused SHUTDOWN stopped the node")
	}
	ops := redis.NewClient(&redis.Options{Addr: n.resp, Username: "ops", Password: "opspw", MaxRetries: -1})
	defer ops.Close()
	if err := ops.ShutdownNoSave(ctx).Err(); err != nil {
		t.Fatalf("SHUTDOWN NOSAVE as a user with a password: %v", err)
	}
	if code := n.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit status after SHUTDOWN = %d", code)
	}
}
