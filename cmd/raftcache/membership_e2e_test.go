package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memberAt returns the member whose raft address is raft, as p lists it.
func (p *proc) memberAt(raft string) (member, bool) {
	for _, m := range p.members() {
		if m.Raft == raft {
			return m, true
		}
	}
	return member{}, false
}

type suffrage struct {
	Raft        string `json:"raft"`
	Suffrage    string `json:"suffrage"`
	AutoPromote bool   `json:"auto_promote"`
}

// suffrageOf is the suffrage fields of the member at raft, as p lists it.
func (p *proc) suffrageOf(raft string) suffrage {
	p.t.Helper()
	code, body := p.http("GET", "/mgmt/nodes", "")
	var ms []suffrage
	if code != 200 || json.Unmarshal([]byte(body), &ms) != nil {
		p.t.Fatalf("GET /mgmt/nodes: %d %s", code, body)
	}
	for _, m := range ms {
		if m.Raft == raft {
			return m
		}
	}
	p.t.Fatalf("no member at %s in %s", raft, body)
	return suffrage{}
}

// TestJoinerPromotedUnderLoad: a node that joins a cluster taking writes
// enters as a learner and is made a voter by the leader, by itself, once
// it has caught up; the writes go on meanwhile.
func TestJoinerPromotedUnderLoad(t *testing.T) {
	ctx := context.Background()
	n1, n2 := newProc(t), newProc(t)
	n1.start(nil)
	c := n1.client()
	// A log to catch up on: 20000 entries of 100 bytes.
	val := strings.Repeat("v", 100)
	for b := 0; b < 20; b++ {
		pipe := c.Pipeline()
		for i := 0; i < 1000; i++ {
			pipe.Set(ctx, fmt.Sprintf("pre:%d:%d", b, i), val, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("preload: %v", err)
		}
	}
	var (
		stop           atomic.Bool
		writes, failed atomic.Int64
		wg             sync.WaitGroup
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				if err := c.Set(ctx, fmt.Sprintf("load:%d:%d", w, i), val, 0).Err(); err != nil {
					failed.Add(1)
					continue
				}
				writes.Add(1)
			}
		}()
	}
	start := time.Now()
	n2.start(n1)
	waitFor(t, 15*time.Second, "the joiner to become a voter", func() bool {
		m, ok := n1.memberAt(n2.raft)
		return ok && m.Voter
	})
	took := time.Since(start)
	stop.Store(true)
	wg.Wait()
	m, _ := n1.memberAt(n2.raft)
	t.Logf("joiner %s a voter %v after its start; %d writes meanwhile, %d failed", m.ID, took.Round(time.Millisecond), writes.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d writes failed while the joiner caught up", failed.Load())
	}
	// The leader's log says it was a learner first, then promoted.
	learner := logLine(n1.logs(), `msg="member is a learner"`, "id="+m.ID)
	promoted := logLine(n1.logs(), `msg="learner promoted to voter"`, "id="+m.ID)
	if learner < 0 || promoted < learner {
		t.Errorf("leader's log: learner at %d, promoted at %d; want both, in that order", learner, promoted)
	}
	if got, err := n2.client().Get(ctx, "pre:19:999").Result(); err != nil || got != val {
		t.Errorf("GET on the joiner: %q, %v", got, err)
	}
}

// TestDemotePromoteAndQuorumRefusals: PATCH /mgmt/nodes/{id} demotes a
// voter, which the leader then leaves a learner, and promotes it back;
// with a voter down, demoting or removing another live one is refused
// with 409 (it would leave one live voter of two) unless forced, and
// forced it leaves the cluster without quorum until the one down is back.
func TestDemotePromoteAndQuorumRefusals(t *testing.T) {
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	waitFor(t, 15*time.Second, "three voters", func() bool {
		voters := 0
		for _, m := range n1.members() {
			if m.Voter && m.Reachable {
				voters++
			}
		}
		return voters == 3
	})
	id3, _ := n1.memberAt(n3.raft)
	id2, _ := n1.memberAt(n2.raft)

	if code, body := n2.http("PATCH", "/mgmt/nodes/"+id3.ID, `{"learner":true}`); code != 204 {
		t.Fatalf("demote: %d %s", code, body)
	}
	if s := n1.suffrageOf(n3.raft); s.Suffrage != "learner" || s.AutoPromote {
		t.Errorf("after demotion: %+v, want a learner not auto-promoted", s)
	}
	time.Sleep(time.Second) // several rounds of the leader's promotion check
	if m, _ := n1.memberAt(n3.raft); m.Voter || m.Role != "learner" {
		t.Errorf("demoted member %+v: want it kept a learner", m)
	}
	if code, body := n1.http("PATCH", "/mgmt/nodes/"+id3.ID, `{"learner":false}`); code != 204 {
		t.Fatalf("promote: %d %s", code, body)
	}
	if s := n1.suffrageOf(n3.raft); s.Suffrage != "voter" {
		t.Errorf("after promotion: %+v, want a voter", s)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"PATCH", "/mgmt/nodes/" + id3.ID, `{"learner":"no"}`, 400, "malformed JSON"},
		{"PATCH", "/mgmt/nodes/" + id3.ID, `{}`, 400, `missing`},
		{"PATCH", "/mgmt/nodes/123456789", `{"learner":true}`, 404, "unknown member"},
	} {
		code, body := n1.http(tc.method, tc.path, tc.body)
		if err := httpError(code, body); code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s %s: %d %s, want %d with %q", tc.method, tc.path, tc.body, code, body, tc.code, tc.want)
		}
	}

	n3.kill()
	waitFor(t, 10*time.Second, "the leader to see node 3 down", func() bool {
		m, ok := n1.memberAt(n3.raft)
		return ok && !m.Reachable
	})
	for _, tc := range []struct{ method, body string }{{"PATCH", `{"learner":true}`}, {"DELETE", ""}} {
		code, body := n1.http(tc.method, "/mgmt/nodes/"+id2.ID, tc.body)
		if err := httpError(code, body); code != 409 || err == nil || !strings.Contains(err.Error(), "quorum") {
			t.Errorf("%s node 2 with node 3 down: %d %s, want 409 about quorum", tc.method, code, body)
		}
	}
	if m, _ := n1.memberAt(n2.raft); !m.Voter {
		t.Errorf("node 2 after the refusals: %+v, want still a voter", m)
	}
	// Forced, the demotion goes through, and does what was refused: the
	// voters left, node 1 and node 3 (down), have no quorum until node 3
	// is back.
	if code, body := n1.http("PATCH", "/mgmt/nodes/"+id2.ID+"?force=true", `{"learner":true}`); code != 204 {
		t.Fatalf("forced demotion of node 2: %d %s", code, body)
	}
	if s := n1.suffrageOf(n2.raft); s.Suffrage != "learner" {
		t.Errorf("node 2 after the forced demotion: %+v, want a learner", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := n1.client().Set(ctx, "stuck", "x", 0).Err()
	cancel()
	if err == nil {
		t.Error("SET acknowledged by one voter of two")
	}
	n3.start(nil)
	waitFor(t, 15*time.Second, "writes once node 3 is back", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return n2.client().Set(ctx, "back", "ok", 0).Err() == nil
	})
	waitFor(t, 10*time.Second, "node 2 promoted back", func() bool {
		code, _ := n1.http("PATCH", "/mgmt/nodes/"+id2.ID, `{"learner":false}`)
		return code == 204 // 409 until the leader sees it caught up
	})
	if s := n1.suffrageOf(n2.raft); s.Suffrage != "voter" {
		t.Errorf("node 2 promoted back: %+v, want a voter", s)
	}
	if err := n2.client().Set(context.Background(), "after", "ok", 0).Err(); err != nil {
		t.Errorf("SET after the changes: %v", err)
	}
}

// logLine returns the number of the first line of logs holding every one
// of parts, or -1.
func logLine(logs string, parts ...string) int {
	for i, line := range strings.Split(logs, "\n") {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(line, p)
		}
		if found {
			return i
		}
	}
	return -1
}

// TestAddMemberByAddress: POST /mgmt/nodes adds a member by raft address;
// the node then started there with -join is that member (same ID) and,
// added with "learner": true, stays a learner until promoted.
func TestAddMemberByAddress(t *testing.T) {
	n1, n2 := newProc(t), newProc(t)
	n1.start(nil)
	code, body := n1.http("POST", "/mgmt/nodes", `{"addr":"`+n2.raft+`","learner":true}`)
	var added struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &added) != nil || added.ID == "" {
		t.Fatalf("POST /mgmt/nodes: %d %s", code, body)
	}
	if code, body := n1.http("POST", "/mgmt/nodes", `{"addr":"`+n2.raft+`"}`); code != 409 {
		t.Errorf("POST the same address again: %d %s, want 409", code, body)
	}
	if code, body := n1.http("POST", "/mgmt/nodes", `{"addr":"nope"}`); code != 400 {
		t.Errorf("POST a malformed address: %d %s, want 400", code, body)
	}
	// Not yet started: a learner, so writes go on with one voter.
	if err := n1.client().Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with the added member not started: %v", err)
	}
	n2.start(n1)
	waitFor(t, 10*time.Second, "the new node to catch up", func() bool {
		m, ok := n1.memberAt(n2.raft)
		return ok && m.Reachable && m.Match > 0
	})
	m, _ := n1.memberAt(n2.raft)
	if m.ID != added.ID {
		t.Errorf("the node joined as %s, want the added member %s", m.ID, added.ID)
	}
	time.Sleep(500 * time.Millisecond) // rounds of the leader's promotion check
	if s := n1.suffrageOf(n2.raft); s.Suffrage != "learner" || s.AutoPromote {
		t.Errorf("member added as a learner: %+v, want it kept a learner", s)
	}
	if got, err := n2.client().Get(context.Background(), "k").Result(); err != nil || got != "v" {
		t.Errorf("GET on the learner: %q, %v", got, err)
	}
	if code, body := n1.http("PATCH", "/mgmt/nodes/"+added.ID, `{"learner":false}`); code != 204 {
		t.Fatalf("promote: %d %s", code, body)
	}
	if s := n1.suffrageOf(n2.raft); s.Suffrage != "voter" {
		t.Errorf("after promotion: %+v", s)
	}
}
