package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
	"github.com/raftcache/raftcache/fsm"
)

// fakeCluster applies writes synchronously to a real fsm.Store and can be
// told to fail with any error. context.DeadlineExceeded makes it block until
// the request's context ends, as a stuck Raft node does.
type fakeCluster struct {
	store *fsm.Store

	mu        sync.Mutex
	index     uint64
	err       error // returned by every operation while set
	removeErr error
	removed   []uint64
	leader    uint64
	changes   []string // SetLearner and forced removals, as "learner def force"
}

func (f *fakeCluster) failure(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeCluster) get() (error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err, f.removeErr
}

func (f *fakeCluster) Replicate(ctx context.Context, cmd []byte) (any, error) {
	if err, _ := f.get(); err != nil {
		return nil, f.failure(ctx, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index++
	return f.store.Apply(f.index, cmd), nil
}

func (f *fakeCluster) LinearizableRead(ctx context.Context) error {
	err, _ := f.get()
	return f.failure(ctx, err)
}

func (f *fakeCluster) Members(ctx context.Context) ([]cluster.Member, error) {
	if err, _ := f.get(); err != nil {
		return nil, f.failure(ctx, err)
	}
	return []cluster.Member{
		{ID: 0xabc, RaftAddr: "10.0.0.1:7000", APIAddr: "10.0.0.1:8000", RESPAddr: "10.0.0.1:6379",
			Role: cluster.RoleLeader, Voter: true, Reachable: true, Match: 123},
		{ID: 0xdef, RaftAddr: "10.0.0.2:7000", APIAddr: "10.0.0.2:8000", RESPAddr: "10.0.0.2:6379",
			Role: cluster.RoleLearner, Voter: false, Reachable: false, Match: 0},
	}, nil
}

func (f *fakeCluster) RemoveMember(ctx context.Context, id uint64, opts ...cluster.ChangeOption) error {
	err, rerr := f.get()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return f.failure(ctx, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	if cluster.Options(opts...).Force {
		f.changes = append(f.changes, fmt.Sprintf("remove %x force", id))
	}
	return nil
}

// AddMemberAt fails with removeErr, as RemoveMember, and records what it
// was asked.
func (f *fakeCluster) AddMemberAt(ctx context.Context, raftAddr string, learner bool) (uint64, error) {
	err, rerr := f.get()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, f.failure(ctx, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = append(f.changes, fmt.Sprintf("add %s learner=%v", raftAddr, learner))
	return 0x123, nil
}

// SetLearner fails with removeErr, as RemoveMember, and records what it
// was asked.
func (f *fakeCluster) SetLearner(ctx context.Context, id uint64, learner bool, opts ...cluster.ChangeOption) error {
	err, rerr := f.get()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return f.failure(ctx, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fmt.Sprintf("voter %x", id)
	if learner {
		c = fmt.Sprintf("learner %x", id)
	}
	if cluster.Options(opts...).Force {
		c += " force"
	}
	f.changes = append(f.changes, c)
	return nil
}

// TransferLeadership knows the members Members lists: 0xabc (a voter)
// and 0xdef (a learner).
func (f *fakeCluster) TransferLeadership(ctx context.Context, id uint64) error {
	err, rerr := f.get()
	if err == nil {
		err = rerr
	}
	if err != nil {
		return f.failure(ctx, err)
	}
	switch id {
	case 0xabc:
	case 0xdef:
		return fmt.Errorf("transfer: %w", cluster.ErrNotVoter)
	default:
		return fmt.Errorf("transfer: %w", cluster.ErrUnknownMember)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leader = id
	return nil
}

func (f *fakeCluster) set(err, removeErr error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.removeErr = err, removeErr
}

func startServer(t *testing.T, cfg Config) (string, *fakeCluster) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	fc := &fakeCluster{store: fsm.New()}
	srv := NewServer(fc, fc.store, cfg)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + lis.Addr().String(), fc
}

type result struct {
	code  int
	body  string
	ctype string
}

func do(t *testing.T, method, u, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, string(b), resp.Header.Get("Content-Type")}
}

// errorText checks r is a JSON error and returns its message.
func errorText(t *testing.T, r result) string {
	t.Helper()
	if r.ctype != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json (body %q)", r.ctype, r.body)
	}
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error == "" {
		t.Errorf("error body %q is not {\"error\": ...}", r.body)
	}
	return e.Error
}

func TestKeyValue(t *testing.T) {
	base, _ := startServer(t, Config{MaxBodyBytes: 1024})
	binaryKey := "a b\x00c%d?e#f.."
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string // body for 2xx, error substring otherwise
	}{
		{"put", "PUT", "/", `{"Key":"k1","Value":"v1"}`, 204, ""},
		{"post", "POST", "/", `{"Key":"k2","Value":"v2"}`, 204, ""},
		{"put empty value", "PUT", "/", `{"Key":"empty","Value":""}`, 204, ""},
		{"put binary key", "PUT", "/", `{"Key":` + jsonString(binaryKey) + `,"Value":"bin"}`, 204, ""},
		{"put dot key", "PUT", "/", `{"Key":"..","Value":"dots"}`, 204, ""},
		{"put slash key", "PUT", "/", `{"Key":"a/b","Value":"slash"}`, 204, ""},
		{"get", "GET", "/k1", "", 200, "v1"},
		{"get posted", "GET", "/k2", "", 200, "v2"},
		{"get empty value", "GET", "/empty", "", 200, ""},
		{"get binary key", "GET", "/" + url.PathEscape(binaryKey), "", 200, "bin"},
		{"get dot key", "GET", "/..", "", 200, "dots"},
		{"get slash key", "GET", "/a%2Fb", "", 200, "slash"},
		{"get missing", "GET", "/nope", "", 404, "not found"},
		{"malformed json", "PUT", "/", `{"Key":`, 400, "malformed"},
		{"not an object", "PUT", "/", `[1]`, 400, "malformed"},
		{"trailing data", "PUT", "/", `{"Key":"a","Value":"b"} x`, 400, "after"},
		{"missing key", "PUT", "/", `{"Value":"v"}`, 400, "Key"},
		{"empty key", "PUT", "/", `{"Key":"","Value":"v"}`, 400, "Key"},
		{"missing value", "PUT", "/", `{"Key":"k"}`, 400, "Value"},
		{"unknown field", "PUT", "/", `{"Key":"k","Value":"v","X":1}`, 400, "unknown field"},
		{"too large", "PUT", "/", `{"Key":"k","Value":"` + strings.Repeat("x", 2000) + `"}`, 413, "larger"},
		{"wrong method on root", "GET", "/", "", 405, "not allowed"},
		{"wrong method on key", "DELETE", "/k1", "", 405, "not allowed"},
		{"wrong method on nodes", "PUT", "/mgmt/nodes", "", 405, "not allowed"},
		{"unknown path", "GET", "/a/b/c", "", 404, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, base+tc.path, tc.body)
			if r.code != tc.code {
				t.Fatalf("%s %s: status %d, want %d (body %q)", tc.method, tc.path, r.code, tc.code, r.body)
			}
			switch {
			case tc.code == 200:
				if r.body != tc.want {
					t.Errorf("body %q, want %q", r.body, tc.want)
				}
				if r.ctype != "application/octet-stream" {
					t.Errorf("Content-Type %q, want application/octet-stream", r.ctype)
				}
			case tc.code >= 400:
				if msg := errorText(t, r); !strings.Contains(msg, tc.want) {
					t.Errorf("error %q does not contain %q", msg, tc.want)
				}
			}
		})
	}
}

func TestNodes(t *testing.T) {
	base, fc := startServer(t, Config{})
	r := do(t, "GET", base+"/mgmt/nodes", "")
	if r.code != 200 || r.ctype != "application/json" {
		t.Fatalf("GET /mgmt/nodes: %d %q %q", r.code, r.ctype, r.body)
	}
	want := `[{"id":"0000000000000abc","raft":"10.0.0.1:7000","api":"10.0.0.1:8000","resp":"10.0.0.1:6379","role":"leader","voter":true,"reachable":true,"match":123,"suffrage":"voter"},` +
		`{"id":"0000000000000def","raft":"10.0.0.2:7000","api":"10.0.0.2:8000","resp":"10.0.0.2:6379","role":"learner","voter":false,"reachable":false,"match":0,"suffrage":"learner","auto_promote":true}]` + "\n"
	if r.body != want {
		t.Errorf("body\n%s\nwant\n%s", r.body, want)
	}

	tests := []struct {
		name      string
		id        string
		removeErr error
		code      int
		want      string
	}{
		{"ok", "0000000000000def", nil, 204, ""},
		{"short id", "def", nil, 204, ""},
		{"malformed", "xyz", nil, 400, "malformed"},
		{"zero", "0", nil, 400, "malformed"},
		{"too long", "10000000000000000", nil, 400, "malformed"},
		{"unknown", "123", cluster.ErrUnknownMember, 404, "unknown member"},
		{"last voter", "abc", cluster.ErrLastVoter, 409, "last voter"},
		{"no leader", "abc", cluster.ErrNoLeader, 503, "no leader"},
		{"outcome unknown", "abc", cluster.ErrOutcomeUnknown, 503, "outcome unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc.set(nil, tc.removeErr)
			r := do(t, "DELETE", base+"/mgmt/nodes/"+tc.id, "")
			if r.code != tc.code {
				t.Fatalf("status %d, want %d (body %q)", r.code, tc.code, r.body)
			}
			if tc.code >= 400 {
				if msg := errorText(t, r); !strings.Contains(msg, tc.want) {
					t.Errorf("error %q does not contain %q", msg, tc.want)
				}
			}
		})
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if len(fc.removed) != 2 || fc.removed[0] != 0xdef || fc.removed[1] != 0xdef {
		t.Errorf("removed %x, want [def def]", fc.removed)
	}
}

func TestTransferLeader(t *testing.T) {
	const timeout = 200 * time.Millisecond
	base, fc := startServer(t, Config{Timeout: timeout, MaxBodyBytes: 256})
	tests := []struct {
		name, method, body string
		err                error
		code               int
		want               string // error substring
	}{
		{"ok", "POST", `{"id":"0000000000000abc"}`, nil, 204, ""},
		{"short id, any case", "POST", `{"ID":"ABC"}`, nil, 204, ""},
		{"learner", "POST", `{"id":"def"}`, nil, 409, "not a voter"},
		{"unknown", "POST", `{"id":"123"}`, nil, 404, "unknown member 0000000000000123"},
		{"malformed id", "POST", `{"id":"xyz"}`, nil, 400, "malformed member id"},
		{"zero id", "POST", `{"id":"0"}`, nil, 400, "malformed member id"},
		{"number id", "POST", `{"id":123}`, nil, 400, "malformed JSON"},
		{"missing id", "POST", `{}`, nil, 400, `missing "id"`},
		{"unknown field", "POST", `{"id":"abc","force":true}`, nil, 400, "unknown field"},
		{"trailing data", "POST", `{"id":"abc"}{}`, nil, 400, "after the object"},
		{"empty body", "POST", ``, nil, 400, "malformed JSON"},
		{"too large", "POST", `{"id":"` + strings.Repeat("a", 300) + `"}`, nil, 413, "larger"},
		{"wrong method", "GET", ``, nil, 405, "not allowed"},
		{"no leader", "POST", `{"id":"abc"}`, fmt.Errorf("transfer: %w", cluster.ErrNoLeader), 503, "no leader"},
		{"timeout", "POST", `{"id":"abc"}`, context.DeadlineExceeded, 503, "timed out after 200ms"},
		{"stopped", "POST", `{"id":"abc"}`, cluster.ErrStopped, 503, "node stopped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc.set(nil, tc.err)
			defer fc.set(nil, nil)
			fc.mu.Lock()
			fc.leader = 0
			fc.mu.Unlock()
			start := time.Now()
			r := do(t, tc.method, base+"/mgmt/leader", tc.body)
			if d := time.Since(start); d > timeout+2*time.Second {
				t.Errorf("took %v; the request must be bounded by the timeout", d)
			}
			if r.code != tc.code {
				t.Fatalf("status %d, want %d (body %q)", r.code, tc.code, r.body)
			}
			fc.mu.Lock()
			leader := fc.leader
			fc.mu.Unlock()
			if tc.code == 204 {
				if leader != 0xabc {
					t.Errorf("leadership went to %x, want abc", leader)
				}
				return
			}
			if leader != 0 {
				t.Errorf("a refused request moved the leadership to %x", leader)
			}
			if msg := errorText(t, r); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
		})
	}
}

// TestClusterErrors checks every Raft failure becomes a JSON error with the
// right status, within the configured timeout.
func TestClusterErrors(t *testing.T) {
	const timeout = 200 * time.Millisecond
	base, fc := startServer(t, Config{Timeout: timeout})
	wrapped := fmt.Errorf("propose: %w", cluster.ErrOutcomeUnknown)
	tests := []struct {
		name     string
		err      error
		code     int
		put, get string // error substrings for a write and for a read
	}{
		{"no leader", cluster.ErrNoLeader, 503, "no leader", "no leader"},
		{"dropped", cluster.ErrProposalDropped, 503, "proposal dropped", "proposal dropped"},
		{"outcome unknown", wrapped, 503, "write outcome unknown", "unavailable"},
		{"timeout", context.DeadlineExceeded, 503, "write outcome unknown: timed out", "unavailable: timed out"},
		{"stopped", cluster.ErrStopped, 503, "write outcome unknown: node stopped", "node stopped"},
		{"removed", cluster.ErrRemoved, 503, "outcome unknown", "removed"},
		{"other", errors.New("disk on fire"), 500, "write outcome unknown: disk on fire", "disk on fire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc.set(tc.err, nil)
			defer fc.set(nil, nil)
			start := time.Now()
			for _, req := range []struct{ method, path, body, want string }{
				{"PUT", "/", `{"Key":"k","Value":"v"}`, tc.put},
				{"GET", "/k", "", tc.get},
				{"GET", "/mgmt/nodes", "", tc.get},
				{"DELETE", "/mgmt/nodes/abc", "", tc.put},
			} {
				r := do(t, req.method, base+req.path, req.body)
				if r.code != tc.code {
					t.Errorf("%s %s: status %d, want %d (%q)", req.method, req.path, r.code, tc.code, r.body)
					continue
				}
				if msg := errorText(t, r); !strings.Contains(msg, req.want) {
					t.Errorf("%s %s: error %q does not contain %q", req.method, req.path, msg, req.want)
				}
			}
			if d := time.Since(start); d > 4*timeout+2*time.Second {
				t.Errorf("took %v; requests must be bounded by the timeout", d)
			}
		})
	}
}

func TestHandlerWithoutServe(t *testing.T) {
	fc := &fakeCluster{store: fsm.New()}
	srv := NewServer(fc, fc.store, Config{Logger: slog.New(slog.DiscardHandler)})
	if srv.Handler() == nil {
		t.Fatal("nil handler")
	}
	// Shutdown before Serve must not hang or fail.
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestMembershipChanges: PATCH /mgmt/nodes/{id} and DELETE with
// ?force=true, their refusals (409 for the quorum rules, 404, 400) as JSON
// errors, and what reached the cluster.
func TestMembershipChanges(t *testing.T) {
	base, fc := startServer(t, Config{})
	quorum := fmt.Errorf("demote: %w: 1 of the 2 voters after the change are active, a quorum needs 2", cluster.ErrWouldLoseQuorum)
	tests := []struct {
		name, method, path, body string
		err                      error
		code                     int
		want                     string // error substring
	}{
		{"add", "POST", "/mgmt/nodes", `{"addr":"10.0.0.3:7000"}`, nil, 201, `{"id":"0000000000000123","learner":false,"raft":"10.0.0.3:7000"}`},
		{"add a learner", "POST", "/mgmt/nodes", `{"addr":"10.0.0.4:7000","learner":true}`, nil, 201, `"learner":true`},
		{"add without addr", "POST", "/mgmt/nodes", `{"learner":true}`, nil, 400, `missing`},
		{"add malformed addr", "POST", "/mgmt/nodes", `{"addr":"10.0.0.4"}`, nil, 400, "malformed addr"},
		{"add unknown field", "POST", "/mgmt/nodes", `{"addr":"10.0.0.4:1","voter":true}`, nil, 400, "unknown field"},
		{"add an address in use", "POST", "/mgmt/nodes", `{"addr":"10.0.0.1:7000"}`, fmt.Errorf("%w: in use", cluster.ErrAddrTaken), 409, "in use"},
		{"demote", "PATCH", "/mgmt/nodes/abc", `{"learner":true}`, nil, 204, ""},
		{"promote", "PATCH", "/mgmt/nodes/def", `{"learner":false}`, nil, 204, ""},
		{"demote forced", "PATCH", "/mgmt/nodes/abc?force=true", `{"learner":true}`, nil, 204, ""},
		{"force=false is not forced", "PATCH", "/mgmt/nodes/abc?force=false", `{"learner":true}`, nil, 204, ""},
		{"remove forced", "DELETE", "/mgmt/nodes/def?force=1", "", nil, 204, ""},
		{"demote losing quorum", "PATCH", "/mgmt/nodes/abc", `{"learner":true}`, quorum, 409, "quorum needs 2 (add ?force=true"},
		{"remove losing quorum", "DELETE", "/mgmt/nodes/abc", "", quorum, 409, "force=true"},
		{"promote not ready", "PATCH", "/mgmt/nodes/def", `{"learner":false}`, cluster.ErrLearnerNotReady, 409, "caught up"},
		{"demote last voter", "PATCH", "/mgmt/nodes/abc", `{"learner":true}`, cluster.ErrLastVoter, 409, "last voter"},
		{"unknown", "PATCH", "/mgmt/nodes/123", `{"learner":true}`, cluster.ErrUnknownMember, 404, "unknown member 0000000000000123"},
		{"missing learner", "PATCH", "/mgmt/nodes/abc", `{}`, nil, 400, `missing "learner"`},
		{"learner not a bool", "PATCH", "/mgmt/nodes/abc", `{"learner":"yes"}`, nil, 400, "malformed JSON"},
		{"unknown field", "PATCH", "/mgmt/nodes/abc", `{"learner":true,"voter":1}`, nil, 400, "unknown field"},
		{"malformed json", "PATCH", "/mgmt/nodes/abc", `{"learner":`, nil, 400, "malformed JSON"},
		{"malformed id", "PATCH", "/mgmt/nodes/xyz", `{"learner":true}`, nil, 400, "malformed member id"},
		{"malformed force", "PATCH", "/mgmt/nodes/abc?force=please", `{"learner":true}`, nil, 400, "malformed force"},
		{"malformed force on delete", "DELETE", "/mgmt/nodes/abc?force=please", "", nil, 400, "malformed force"},
		{"no leader", "PATCH", "/mgmt/nodes/abc", `{"learner":true}`, cluster.ErrNoLeader, 503, "no leader"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc.set(nil, tc.err)
			r := do(t, tc.method, base+tc.path, tc.body)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d (body %q)", r.code, tc.code, r.body)
			}
			if tc.code >= 400 {
				if msg := errorText(t, r); !strings.Contains(msg, tc.want) {
					t.Errorf("error %q does not contain %q", msg, tc.want)
				}
			}
			if tc.code == 201 && !strings.Contains(r.body, tc.want) {
				t.Errorf("body %q does not contain %q", r.body, tc.want)
			}
		})
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	want := []string{"add 10.0.0.3:7000 learner=false", "add 10.0.0.4:7000 learner=true", "learner abc", "voter def", "learner abc force", "learner abc", "remove def force"}
	if fmt.Sprint(fc.changes) != fmt.Sprint(want) {
		t.Errorf("changes %q, want %q", fc.changes, want)
	}
}
