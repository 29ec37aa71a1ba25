package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLeaderHandsOverOnSIGTERM: a leader stopped by SIGTERM hands its
// leadership to another voter before it exits (raft's MsgTimeoutNow, in
// the new leader's log), so the cluster does not wait out an election
// timeout, and it still exits 0.
func TestLeaderHandsOverOnSIGTERM(t *testing.T) {
	ps := []*proc{newProc(t), newProc(t), newProc(t)}
	ps[0].start(nil)
	ps[1].start(ps[0])
	ps[2].start(ps[0])
	waitVoters(t, ps[0], 3)
	var leader *proc
	var others []*proc
	for _, m := range ps[0].members() {
		for _, p := range ps {
			if p.raft == m.Raft && m.Role == "leader" {
				leader = p
			}
		}
	}
	if leader == nil {
		t.Fatal("no leader")
	}
	for _, p := range ps {
		if p != leader {
			others = append(others, p)
		}
	}
	if err := leader.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := leader.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("the leader exited %d after SIGTERM\n%s", code, leader.logs())
	}
	handedTo := 0
	for _, p := range others {
		if strings.Contains(p.logs(), "received MsgTimeoutNow") {
			handedTo++
		}
	}
	if handedTo != 1 {
		t.Fatalf("%d survivors were handed leadership (MsgTimeoutNow), want 1\nleader's log:\n%s", handedTo, leader.logs())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := others[0].client().Set(ctx, "after", "v", 0).Err(); err != nil {
		t.Fatalf("SET after the leader stopped: %v", err)
	}
}
