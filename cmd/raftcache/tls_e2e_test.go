package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster/tlsfiles/tlstest"
	"github.com/redis/go-redis/v9"
)

// pki is a test's certificates: the cluster's CA, a foreign CA, and the
// files written for each name, made with crypto/x509 (see tlstest).
type pki struct {
	t       *testing.T
	dir     string
	ca      *tlstest.CA
	foreign *tlstest.CA
	pool    *x509.CertPool // the cluster CA
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := tlstest.NewCA("raftcache test CA")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := tlstest.NewCA("some other CA")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	return &pki{t: t, dir: t.TempDir(), ca: ca, foreign: foreign, pool: pool}
}

// issue writes name.crt and name.key, a certificate from issuer for
// 127.0.0.1 and localhost, and name-ca.crt, the cluster CA (the CA a node
// or client trusts, whoever issued its own certificate).
func (p *pki) issue(issuer *tlstest.CA, name string) (tlstest.Files, *big.Int) {
	p.t.Helper()
	pair, err := issuer.Issue(name, "127.0.0.1", "localhost")
	if err != nil {
		p.t.Fatal(err)
	}
	f, err := tlstest.Write(p.dir, name, pair, p.ca)
	if err != nil {
		p.t.Fatal(err)
	}
	return f, pair.Serial
}

// clientTLS is what a client of the cluster uses: the cluster CA and,
// unless files is zero, a client certificate.
func (p *pki) clientTLS(files tlstest.Files) *tls.Config {
	p.t.Helper()
	cfg := &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if files.Cert != "" {
		cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
		if err != nil {
			p.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// tlsFlags are the flags of a node serving RESP only over TLS (on
// p.resp), HTTPS on its admin port, and mutual TLS to its peers, all with
// the same certificate, requiring client certificates as Redis's
// tls-auth-clients yes.
func tlsFlags(p *proc, f tlstest.Files, extra ...string) []string {
	return append([]string{
		"-resp", "", "-tls_resp", p.resp,
		"-tls_cert_file", f.Cert, "-tls_key_file", f.Key, "-tls_ca_file", f.CA, "-tls_auth_clients", "yes",
		"-peer_cert_file", f.Cert, "-peer_key_file", f.Key, "-peer_ca_file", f.CA,
	}, extra...)
}

// tlsClient is a go-redis client of p over TLS.
func (p *proc) tlsClient(cfg *tls.Config, password string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.resp, TLSConfig: cfg, Password: password,
		DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, MaxRetries: -1})
	p.t.Cleanup(func() { c.Close() })
	return c
}

// startTLS starts p with tlsFlags and waits until it answers a PING over
// TLS (a plaintext PING cannot: there is no plaintext port).
func (p *proc) startTLS(join *proc, k *pki, node, client tlstest.Files, extra ...string) {
	p.t.Helper()
	p.launch(join, tlsFlags(p, node, extra...)...)
	c := p.tlsClient(k.clientTLS(client), "")
	defer c.Close()
	waitFor(p.t, 20*time.Second, "PING over TLS on "+p.resp, func() bool {
		if !p.running() {
			p.t.Fatalf("node %s exited: %v\n%s", p.raft, p.exitErr, p.logs())
		}
		err := c.Ping(context.Background()).Err()
		return err == nil || strings.HasPrefix(err.Error(), "NOAUTH")
	})
}

// https is an HTTPS request to p's admin API.
func (p *proc) https(cfg *tls.Config, method, path string, auth func(*http.Request)) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, "https://"+p.api+path, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	if auth != nil {
		auth(req)
	}
	c := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serial is the serial number of the certificate a TLS server at addr
// presents to a new connection.
func serial(t *testing.T, addr string, cfg *tls.Config) *big.Int {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

// refusedHandshake reports how a TLS server at addr refuses cfg: the error
// of the handshake or of the first read after it (with TLS 1.3 a client
// learns that its certificate was refused only then). nil: not refused.
func refusedHandshake(addr string, cfg *tls.Config) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil // still open: accepted
		}
		return err
	}
	return nil
}

// TestTLS runs a three-node cluster with RESP only over TLS, an HTTPS
// admin API and mutual TLS between members, on certificates the test
// made: redis-cli --tls and go-redis with a tls.Config work on followers;
// a plaintext client, a client without a certificate and one with a
// certificate from another CA are refused; a peer with a certificate
// from another CA, or none, is refused on join, with the reason in its
// log and the cluster's, and gets no data; a certificate rotated on disk
// is served to the next connection without a restart.
func TestTLS(t *testing.T) {
	ctx := context.Background()
	k := newPKI(t)
	client, _ := k.issue(k.ca, "client")
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	f1, _ := k.issue(k.ca, "node1")
	f2, _ := k.issue(k.ca, "node2")
	f3, serial3 := k.issue(k.ca, "node3")
	n1.startTLS(nil, k, f1, client)
	n2.startTLS(n1, k, f2, client)
	n3.startTLS(n1, k, f3, client)
	if n := strings.Count(n1.logs(), "SECURITY WARNING"); n != 0 {
		t.Errorf("a node on loopback with TLS logs %d security warnings", n)
	}
	ctls := k.clientTLS(client)
	var ms []member
	code, body := n1.https(ctls, "GET", "/mgmt/nodes", nil)
	if code != 200 || json.Unmarshal([]byte(body), &ms) != nil || len(ms) != 3 {
		t.Fatalf("GET /mgmt/nodes over HTTPS: %d %s", code, body)
	}
	var follower, other *proc
	for _, m := range ms {
		if m.Role != "leader" {
			for _, p := range []*proc{n1, n2, n3} {
				if p.raft == m.Raft && follower == nil {
					follower = p
				} else if p.raft == m.Raft {
					other = p
				}
			}
		}
	}
	if follower == nil || other == nil {
		t.Fatalf("no two followers in %+v", ms)
	}

	t.Run("redis-cli", func(t *testing.T) {
		cli := func(p *proc, args ...string) (string, error) {
			base := []string{"--tls", "--cacert", client.CA, "--cert", client.Cert, "--key", client.Key,
				"-h", "127.0.0.1", "-p", p.resp[strings.LastIndexByte(p.resp, ':')+1:]}
			out, err := exec.Command("redis-cli", append(base, args...)...).CombinedOutput()
			return strings.TrimSpace(string(out)), err
		}
		if out, err := cli(follower, "SET", "cli-key", "over tls"); err != nil || out != "OK" {
			t.Fatalf("redis-cli --tls SET on a follower: %q, %v", out, err)
		}
		if out, err := cli(other, "GET", "cli-key"); err != nil || out != "over tls" {
			t.Errorf("redis-cli --tls GET on the other follower: %q, %v", out, err)
		}
	})

	t.Run("go-redis", func(t *testing.T) {
		c := follower.tlsClient(ctls, "")
		if err := c.Set(ctx, "goredis-key", "v", 0).Err(); err != nil {
			t.Fatalf("go-redis over TLS SET on a follower: %v", err)
		}
		for _, p := range []*proc{n1, n2, n3} {
			if v, err := p.tlsClient(ctls, "").Get(ctx, "goredis-key").Result(); err != nil || v != "v" {
				t.Errorf("GET on %s: %q, %v", p.resp, v, err)
			}
		}
	})

	t.Run("clients refused", func(t *testing.T) {
		// Plaintext on the TLS port: an error at once, not a hang until
		// the read timeout.
		start := time.Now()
		err := follower.client().Ping(ctx).Err()
		if err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("plaintext PING on the TLS port: %v after %v, want a prompt error", err, time.Since(start))
		}
		foreignClient, _ := k.issue(k.foreign, "foreign-client")
		for name, cfg := range map[string]*tls.Config{
			"no client certificate":                  k.clientTLS(tlstest.Files{}),
			"a client certificate from the other CA": k.clientTLS(foreignClient),
		} {
			if err := follower.tlsClient(cfg, "").Ping(ctx).Err(); err == nil ||
				!strings.Contains(err.Error(), "tls: ") {
				t.Errorf("RESP with %s: %v, want a TLS alert", name, err)
			}
			if err := refusedHandshake(follower.api, cfg); err == nil {
				t.Errorf("HTTPS with %s: accepted", name)
			}
		}
		// Plain HTTP to the HTTPS port: Go's server answers 400.
		if code, _ := follower.http("GET", "/mgmt/nodes", ""); code != http.StatusBadRequest {
			t.Errorf("plain HTTP on the HTTPS port: %d", code)
		}
		if err := follower.tlsClient(ctls, "").Ping(ctx).Err(); err != nil {
			t.Errorf("PING over TLS after the refusals: %v", err)
		}
	})

	t.Run("peers refused", func(t *testing.T) {
		foreign, _ := k.issue(k.foreign, "foreign-node") // trusts the cluster CA, holds another's certificate
		for _, tc := range []struct {
			name   string
			flags  func(p *proc) []string
			joiner string // in the joiner's log
			member string // in the member's log
		}{
			{"a certificate from another CA", func(p *proc) []string { return tlsFlags(p, foreign) },
				"join refused: this node does not have the cluster's credentials",
				"refusing raft peer: TLS handshake failed"},
			{"no certificate", func(p *proc) []string { return nil },
				"join refused",
				"refusing raft peer: TLS handshake failed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := len(n1.logs())
				j := newProc(t)
				j.launch(n1, tc.flags(j)...)
				if code := j.waitExit(30 * time.Second); code == 0 {
					t.Errorf("refused joiner exited 0")
				}
				if !strings.Contains(j.logs(), tc.joiner) {
					t.Errorf("joiner's log lacks %q:\n%s", tc.joiner, j.logs())
				}
				if strings.Contains(j.logs(), "joined cluster") || strings.Contains(j.logs(), "snapshot") {
					t.Errorf("refused joiner got data:\n%s", j.logs())
				}
				if log := n1.logs()[before:]; !strings.Contains(log, tc.member) {
					t.Errorf("member's log lacks %q:\n%s", tc.member, log)
				}
				if ms := n1.httpsMembers(ctls); len(ms) != 3 {
					t.Errorf("members after a refused join: %+v", ms)
				}
			})
		}
		// No certificate, or another CA's: no raft stream can even start.
		foreignPeer := k.clientTLS(foreign)
		foreignPeer.NextProtos = []string{"h2"}
		for name, cfg := range map[string]*tls.Config{"no certificate": k.clientTLS(tlstest.Files{}), "another CA": foreignPeer} {
			if err := refusedHandshake(n1.raft, cfg); err == nil {
				t.Errorf("raft port accepted a peer with %s", name)
			}
		}
	})

	t.Run("rotation", func(t *testing.T) {
		if got := serial(t, n3.resp, ctls); got.Cmp(serial3) != 0 {
			t.Fatalf("n3 serves serial %v, want %v", got, serial3)
		}
		// Rotate n3's files in place (by rename, as cert-manager does).
		_, rotated := k.issue(k.ca, "node3")
		peer := k.clientTLS(client)
		peer.NextProtos = []string{"h2"}
		for name, addr := range map[string]string{"RESP": n3.resp, "admin API": n3.api, "raft": n3.raft} {
			cfg := ctls
			if name == "raft" {
				cfg = peer
			}
			if got := serial(t, addr, cfg); got.Cmp(rotated) != 0 {
				t.Errorf("%s of n3 after the rotation: serial %v, want the new %v", name, got, rotated)
			}
		}
		if !strings.Contains(n3.logs(), "tls certificate reloaded") {
			t.Errorf("no reload in n3's log")
		}
		// The cluster goes on over the rotated certificate: n3 is a
		// member, and a write through it reaches the others.
		if err := n3.tlsClient(ctls, "").Set(ctx, "after-rotation", "1", 0).Err(); err != nil {
			t.Fatalf("SET on n3 after the rotation: %v", err)
		}
		if v, err := n1.tlsClient(ctls, "").Get(ctx, "after-rotation").Result(); err != nil || v != "1" {
			t.Errorf("GET on n1: %q, %v", v, err)
		}
	})
}

// httpsMembers is GET /mgmt/nodes over HTTPS.
func (p *proc) httpsMembers(cfg *tls.Config) []member {
	p.t.Helper()
	code, body := p.https(cfg, "GET", "/mgmt/nodes", nil)
	var ms []member
	if code != 200 || json.Unmarshal([]byte(body), &ms) != nil {
		p.t.Fatalf("GET /mgmt/nodes: %d %s", code, body)
	}
	return ms
}

// TestClusterSecret: a node without the cluster's secret, or with another
// one, is refused on join with a clear error in its log and the member's,
// and exits without data; one with the secret joins.
func TestClusterSecret(t *testing.T) {
	ctx := context.Background()
	n1, n2 := newProc(t), newProc(t)
	n1.startWith(nil, "-cluster_secret", "s3cret")
	n2.startWith(n1, "-cluster_secret", "s3cret")
	if err := n2.client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with the secret: %v", err)
	}
	for _, tc := range []struct {
		name          string
		flags         []string
		joiner, owner string
	}{
		{"no secret", nil,
			"join refused: this node does not have the cluster's credentials",
			"cluster secret required: start the calling node with this cluster's -cluster_secret"},
		{"another secret", []string{"-cluster_secret", "guess"},
			"join refused: this node does not have the cluster's credentials",
			"cluster secret mismatch: the calling node was started with a different -cluster_secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(n1.logs())
			j := newProc(t)
			j.launch(n1, tc.flags...)
			if code := j.waitExit(30 * time.Second); code == 0 {
				t.Errorf("refused joiner exited 0")
			}
			if !strings.Contains(j.logs(), tc.joiner) || !strings.Contains(j.logs(), tc.owner) {
				t.Errorf("joiner's log lacks %q and the member's reason %q:\n%s", tc.joiner, tc.owner, j.logs())
			}
			if strings.Contains(j.logs(), "joined cluster") {
				t.Errorf("refused joiner joined:\n%s", j.logs())
			}
			if log := n1.logs()[before:]; !strings.Contains(log, "refusing unauthenticated raft peer") || !strings.Contains(log, tc.owner) {
				t.Errorf("member's log lacks the refusal:\n%s", log)
			}
			if ms := n1.members(); len(ms) != 2 {
				t.Errorf("members after a refused join: %+v", ms)
			}
		})
	}
}
