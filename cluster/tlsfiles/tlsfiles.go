// Package tlsfiles builds crypto/tls configurations from PEM files on disk
// and re-reads the files when they change, so that certificates rotate
// without a restart.
//
// A Reloader holds one certificate/key pair and, optionally, a CA bundle.
// Every TLS handshake asks it for the current material; it compares each
// file's identity, size and modification time with the ones it loaded and
// re-reads the files only when one differs. A stat per file per handshake
// is a few microseconds, cheaper than a watcher goroutine and exact: a
// handshake after a rotation always sees the new files. When the new files
// do not load (a key rotated but its certificate not yet, a half-written
// file), the Reloader keeps serving the previous pair, logs why once, and
// tries again on the next handshake.
//
// Write rotated files with a rename (as cert-manager, certbot and
// Kubernetes secrets do) so that no handshake reads half a file.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files names the PEM files of one TLS identity.
type Files struct {
	Cert string // certificate chain, leaf first
	Key  string // private key of the leaf
	CA   string // CA bundle to verify the other side with; may be empty
}

// Reloader serves the current contents of Files.
type Reloader struct {
	files Files
	log   *slog.Logger

	mu     sync.Mutex
	stamps [3]stamp // cert, key, CA as last loaded (or last failed)
	cert   *tls.Certificate
	pool   *x509.CertPool // nil when Files.CA is empty
}

// stamp identifies one version of a file.
type stamp struct {
	info os.FileInfo // nil: the path is empty
}

func (s stamp) same(o stamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == nil && o.info == nil
	}
	return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() && s.info.ModTime().Equal(o.info.ModTime())
}

// New loads files; a pair or CA that does not load is an error here,
// unlike after a rotation, so that a typo fails at start. Cert and Key are
// required.
func New(files Files, log *slog.Logger) (*Reloader, error) {
	if files.Cert == "" || files.Key == "" {
		return nil, errors.New("tlsfiles: both a certificate and a key file are needed")
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Reloader{files: files, log: log}
	stamps, err := r.stat()
	if err != nil {
		return nil, err
	}
	cert, pool, err := load(files)
	if err != nil {
		return nil, err
	}
	r.stamps, r.cert, r.pool = stamps, cert, pool
	return r, nil
}

func (r *Reloader) stat() ([3]stamp, error) {
	var out [3]stamp
	for i, path := range [3]string{r.files.Cert, r.files.Key, r.files.CA} {
		if path == "" {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			return out, fmt.Errorf("tlsfiles: %w", err)
		}
		out[i] = stamp{info: fi}
	}
	return out, nil
}

// load reads and checks the files.
func load(files Files) (*tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsfiles: load %s and %s: %w", files.Cert, files.Key, err)
	}
	if files.CA == "" {
		return &cert, nil, nil
	}
	pem, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsfiles: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("tlsfiles: %s holds no PEM certificate", files.CA)
	}
	return &cert, pool, nil
}

// current returns the pair and CA pool, re-reading the files first if any
// changed since they were last looked at.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stamps, err := r.stat()
	if err != nil {
		// A file briefly missing mid-rotation: keep what we have. Logged
		// at Debug, as it is retried on every handshake.
		r.log.Debug("tls files unreadable; serving the previous certificate", "err", err)
		return r.cert, r.pool
	}
	changed := false
	for i := range stamps {
		if !stamps[i].same(r.stamps[i]) {
			changed = true
		}
	}
	if !changed {
		return r.cert, r.pool
	}
	// Remember the stamps even on failure: the same broken files are
	// reported once, not on every handshake.
	r.stamps = stamps
	cert, pool, err := load(r.files)
	if err != nil {
		r.log.Warn("tls files changed but do not load; serving the previous certificate", "err", err)
		return r.cert, r.pool
	}
	r.cert, r.pool = cert, pool
	r.log.Info("tls certificate reloaded", "cert", r.files.Cert, "not_after", notAfter(cert))
	return r.cert, r.pool
}

func notAfter(c *tls.Certificate) time.Time {
	if leaf, err := x509.ParseCertificate(c.Certificate[0]); err == nil {
		return leaf.NotAfter
	}
	return time.Time{}
}

// ClientAuth is how a server treats client certificates, as Redis's
// tls-auth-clients.
type ClientAuth int

const (
	// NoClientCert asks for none.
	NoClientCert ClientAuth = iota
	// OptionalClientCert verifies one if the client sends it.
	OptionalClientCert
	// RequireClientCert refuses a client without a certificate from the CA.
	RequireClientCert
)

// ParseClientAuth reads Redis's tls-auth-clients values: yes, no, optional.
func ParseClientAuth(s string) (ClientAuth, error) {
	switch s {
	case "no":
		return NoClientCert, nil
	case "optional":
		return OptionalClientCert, nil
	case "yes":
		return RequireClientCert, nil
	}
	return 0, fmt.Errorf("tlsfiles: client auth %q is not one of yes, no, optional", s)
}

// ServerConfig returns a server configuration serving the current pair
// and, per auth, verifying client certificates against the current CA.
// nextProtos is the ALPN list (gRPC needs "h2").
func (r *Reloader) ServerConfig(auth ClientAuth, nextProtos ...string) (*tls.Config, error) {
	if auth != NoClientCert && r.files.CA == "" {
		return nil, errors.New("tlsfiles: verifying client certificates needs a CA file")
	}
	mode := map[ClientAuth]tls.ClientAuthType{
		NoClientCert:       tls.NoClientCert,
		OptionalClientCert: tls.VerifyClientCertIfGiven,
		RequireClientCert:  tls.RequireAndVerifyClientCert,
	}[auth]
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: nextProtos,
		// A configuration per handshake, so that the CA pool rotates with
		// the certificate (tls.Config has no callback for ClientCAs).
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool := r.current()
			return &tls.Config{
				MinVersion:   tls.VersionTLS12,
				NextProtos:   nextProtos,
				Certificates: []tls.Certificate{*cert},
				ClientAuth:   mode,
				ClientCAs:    pool,
			}, nil
		},
	}, nil
}

// ClientConfig returns a client configuration that presents the current
// pair and verifies the server's certificate (chain and name) against the
// current CA. It needs a CA file.
func (r *Reloader) ClientConfig(nextProtos ...string) (*tls.Config, error) {
	if r.files.CA == "" {
		return nil, errors.New("tlsfiles: verifying servers needs a CA file")
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: nextProtos,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _ := r.current()
			return cert, nil
		},
		// tls.Config reads RootCAs once; to verify against the CA as it is
		// now, the standard verification is replaced by the same check
		// done in VerifyConnection with the current pool. Nothing is
		// skipped: a connection VerifyConnection rejects fails its
		// handshake.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, pool := r.current()
			return verifyServer(cs, pool)
		},
	}, nil
}

// verifyServer is what crypto/tls does for a client with RootCAs: the
// chain up to a root in pool, for server authentication, for the name
// dialed.
func verifyServer(cs tls.ConnectionState, pool *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tlsfiles: the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		DNSName:       cs.ServerName,
		Roots:         pool,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("tlsfiles: verify server certificate: %w", err)
	}
	return nil
}
