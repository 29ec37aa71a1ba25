package transport

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/raftcache/raftcache/cluster/tlsfiles"
	"github.com/raftcache/raftcache/cluster/tlsfiles/tlstest"
)

// logBuf is a concurrency-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// secured starts a node with sec whose log goes to the returned buffer.
func secured(t *testing.T, id uint64, sec Security) (*node, *logBuf) {
	t.Helper()
	var log logBuf
	n := startNode(t, id, newTestHandler(), nil, func(c *Config) {
		c.Security = sec
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
	})
	return n, &log
}

// refused checks that from's messages to to never arrive: it waits until
// to's log shows the refusal (want) and from reports to unreachable.
func refused(t *testing.T, from, to *node, toLog *logBuf, want string) {
	t.Helper()
	from.t.AddPeer(2, to.addr)
	from.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)})
	waitFor(t, 10*time.Second, "refusal logged by the receiver", func() bool {
		return strings.Contains(toLog.String(), want) && from.h.unreachableCount(2) > 0
	})
	if got := to.h.received(raftpb.MsgApp); len(got) != 0 {
		t.Fatalf("refused peer delivered %d messages", len(got))
	}
	if from.t.Reachable(2) {
		t.Fatal("a refused stream counts as reachable")
	}
}

func TestClusterSecretAdmitsMembersWithIt(t *testing.T) {
	sec := Security{Secret: []byte("s3cret")}
	n1, _ := secured(t, 1, sec)
	n2, _ := secured(t, 2, sec)
	n2.h.join = func(JoinRequest) (JoinResponse, error) { return JoinResponse{ID: 7}, nil }
	n1.h.snapBody = bytes.Repeat([]byte("snapshot"), 1000)

	n1.t.AddPeer(2, n2.addr)
	n1.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)})
	waitFor(t, 5*time.Second, "delivery", func() bool { return len(n2.h.received(raftpb.MsgApp)) == 1 })

	snap := msg(raftpb.MsgSnap, 1, 2, 5)
	snap.Snapshot = &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: new(uint64(5)), Term: new(uint64(1))}}
	n1.t.Send([]*raftpb.Message{snap})
	waitFor(t, 10*time.Second, "snapshot", func() bool {
		r := n1.h.reports(2)
		return len(r) == 1 && r[0] == raft.SnapshotFinish
	})

	resp, err := Join(t.Context(), Config{Security: sec}, n2.addr, JoinRequest{RaftAddr: "x:1"})
	if err != nil || resp.ID != 7 {
		t.Fatalf("join with the secret: %+v, %v", resp, err)
	}
}

func TestClusterSecretRefusesOthers(t *testing.T) {
	good := Security{Secret: []byte("s3cret")}
	n2, log2 := secured(t, 2, good)
	n2.h.join = func(JoinRequest) (JoinResponse, error) {
		t.Error("Join handler ran for an unauthenticated caller")
		return JoinResponse{ID: 7}, nil
	}

	t.Run("no secret", func(t *testing.T) {
		n1, _ := secured(t, 1, Security{})
		refused(t, n1, n2, log2, "cluster secret required")
	})
	t.Run("wrong secret", func(t *testing.T) {
		n1, _ := secured(t, 1, Security{Secret: []byte("guess")})
		refused(t, n1, n2, log2, "cluster secret mismatch")
	})
	t.Run("join", func(t *testing.T) {
		for _, sec := range []Security{{}, {Secret: []byte("guess")}} {
			_, err := Join(t.Context(), Config{Security: sec}, n2.addr, JoinRequest{RaftAddr: "x:1"})
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "cluster_secret") {
				t.Fatalf("join with %q: %v, want ErrUnauthenticated naming -cluster_secret", sec.Secret, err)
			}
		}
	})
}

// A member with the secret sends nothing to a node without it, even though
// that node would accept anything.
func TestClusterSecretIsNotGivenToANodeWithoutIt(t *testing.T) {
	n1, log1 := secured(t, 1, Security{Secret: []byte("s3cret")})
	n2, log2 := secured(t, 2, Security{})
	refused(t, n1, n2, log2, "this node has no cluster secret")
	if !strings.Contains(log1.String(), "-cluster_secret") {
		t.Fatalf("sender's log does not say why:\n%s", log1)
	}

	// A server that says nothing of the secret (as one before it existed)
	// gets no message either: the sender wants the proof.
	if err := checkProof(nil, []byte("s3cret"), []byte("nonce-nonce-nonce")); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("checkProof without a proof: %v", err)
	}
}

// peerTLS makes a mutual-TLS Security from a pair of ca, trusting trust.
func peerTLS(t *testing.T, ca, trust *tlstest.CA, name string) Security {
	t.Helper()
	p, err := ca.Issue(name, "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	f, err := tlstest.Write(t.TempDir(), name, p, trust)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tlsfiles.New(tlsfiles.Files{Cert: f.Cert, Key: f.Key, CA: f.CA}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := r.ServerConfig(tlsfiles.RequireClientCert, "h2")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := r.ClientConfig("h2")
	if err != nil {
		t.Fatal(err)
	}
	return Security{ServerTLS: srv, ClientTLS: cli}
}

func newCA(t *testing.T, name string) *tlstest.CA {
	t.Helper()
	ca, err := tlstest.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestMutualTLS(t *testing.T) {
	ca, other := newCA(t, "cluster CA"), newCA(t, "another CA")
	n2, log2 := secured(t, 2, peerTLS(t, ca, ca, "n2"))
	n2.h.join = func(JoinRequest) (JoinResponse, error) { return JoinResponse{ID: 7}, nil }

	t.Run("member", func(t *testing.T) {
		sec := peerTLS(t, ca, ca, "n1")
		n1, _ := secured(t, 1, sec)
		n1.h.snapBody = bytes.Repeat([]byte("snapshot"), 1000)
		n1.t.AddPeer(2, n2.addr)
		n1.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)})
		waitFor(t, 5*time.Second, "delivery", func() bool { return len(n2.h.received(raftpb.MsgApp)) == 1 })
		snap := msg(raftpb.MsgSnap, 1, 2, 5)
		snap.Snapshot = &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: new(uint64(5)), Term: new(uint64(1))}}
		n1.t.Send([]*raftpb.Message{snap})
		waitFor(t, 10*time.Second, "snapshot", func() bool {
			r := n1.h.reports(2)
			return len(r) == 1 && r[0] == raft.SnapshotFinish
		})
		if resp, err := Join(t.Context(), Config{Security: sec}, n2.addr, JoinRequest{RaftAddr: "x:1"}); err != nil || resp.ID != 7 {
			t.Fatalf("join over mutual TLS: %+v, %v", resp, err)
		}
		n1.t.RemovePeer(2)
	})

	// A certificate of another CA, though it trusts ours.
	stranger := peerTLS(t, other, ca, "stranger")
	t.Run("wrong CA stream", func(t *testing.T) {
		before := len(n2.h.received(raftpb.MsgApp))
		n1, _ := secured(t, 1, stranger)
		n1.t.AddPeer(2, n2.addr)
		n1.t.Send([]*raftpb.Message{msg(raftpb.MsgApp, 1, 2, 1)})
		waitFor(t, 10*time.Second, "refusal logged", func() bool {
			return strings.Contains(log2.String(), "TLS handshake failed") && n1.h.unreachableCount(2) > 0
		})
		if got := len(n2.h.received(raftpb.MsgApp)); got != before {
			t.Fatalf("peer of another CA delivered %d messages", got-before)
		}
	})
	// In TLS 1.3 the client's handshake ends before the server has
	// checked the client's certificate, so the client sees either the
	// server's alert (ErrUnauthenticated) or only the closed connection;
	// the server's log always says why.
	refusedJoin := func(t *testing.T, sec Security, want string) {
		t.Helper()
		if _, err := Join(t.Context(), Config{Security: sec}, n2.addr, JoinRequest{RaftAddr: "x:1"}); err == nil {
			t.Fatal("join was answered")
		}
		waitFor(t, 5*time.Second, "refusal logged", func() bool { return strings.Contains(log2.String(), want) })
	}
	t.Run("wrong CA join", func(t *testing.T) {
		refusedJoin(t, stranger, "certificate signed by unknown authority")
	})
	t.Run("no certificate join", func(t *testing.T) {
		noCert := peerTLS(t, ca, ca, "n3")
		noCert.ClientTLS = noCert.ClientTLS.Clone()
		noCert.ClientTLS.GetClientCertificate = nil
		refusedJoin(t, noCert, "client didn't provide a certificate")
	})
	t.Run("client refuses a server of another CA", func(t *testing.T) {
		other2, _ := secured(t, 3, peerTLS(t, other, other, "n4"))
		_, err := Join(t.Context(), Config{Security: peerTLS(t, ca, ca, "n5")}, other2.addr, JoinRequest{RaftAddr: "x:1"})
		if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "unknown authority") {
			t.Fatalf("join to a server of another CA: %v, want ErrUnauthenticated", err)
		}
	})
	t.Run("plaintext join", func(t *testing.T) {
		_, err := Join(t.Context(), Config{}, n2.addr, JoinRequest{RaftAddr: "x:1"})
		if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "-peer_cert_file") {
			t.Fatalf("plaintext join to a TLS member: %v, want ErrUnauthenticated saying peer TLS is needed", err)
		}
	})
}
