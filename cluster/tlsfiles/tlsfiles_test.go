package tlsfiles_test

import (
	"crypto/tls"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/cluster/tlsfiles"
	"github.com/raftcache/raftcache/cluster/tlsfiles/tlstest"
)

// handshake runs one TLS handshake over a pipe and returns the serial of
// the server's certificate as the client saw it, or the first error.
func handshake(t *testing.T, server, client *tls.Config) (*big.Int, error) {
	t.Helper()
	// Loopback TCP rather than net.Pipe: a side that fails writes its
	// alert into the kernel's buffer instead of waiting for a reader.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	srvErr := make(chan error, 1)
	go func() {
		nc, err := lis.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer nc.Close()
		s := tls.Server(nc, server)
		err = s.Handshake()
		if err == nil {
			// TLS 1.3 clients finish before the server has checked their
			// certificate; a byte after the handshake carries the verdict.
			_, err = s.Write([]byte{1})
		}
		srvErr <- err
	}()
	nc, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := tls.Client(nc, client)
	err = c.Handshake()
	if err == nil {
		_, err = c.Read(make([]byte, 1))
	}
	if err != nil {
		nc.Close()
	}
	// The client's error first: it says why, the server's only that the
	// client gave up.
	serr := <-srvErr
	if err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return c.ConnectionState().PeerCertificates[0].SerialNumber, nil
}

type fixture struct {
	t   *testing.T
	dir string
	ca  *tlstest.CA
}

func newFixture(t *testing.T) *fixture {
	ca, err := tlstest.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: t.TempDir(), ca: ca}
}

func (f *fixture) write(name string, ca *tlstest.CA) (tlsfiles.Files, tlstest.Pair) {
	f.t.Helper()
	p, err := ca.Issue(name, "localhost", "127.0.0.1")
	if err != nil {
		f.t.Fatal(err)
	}
	w, err := tlstest.Write(f.dir, name, p, ca)
	if err != nil {
		f.t.Fatal(err)
	}
	return tlsfiles.Files{Cert: w.Cert, Key: w.Key, CA: w.CA}, p
}

func (f *fixture) reloader(files tlsfiles.Files) *tlsfiles.Reloader {
	f.t.Helper()
	r, err := tlsfiles.New(files, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func serverConfig(t *testing.T, r *tlsfiles.Reloader, auth tlsfiles.ClientAuth) *tls.Config {
	t.Helper()
	c, err := r.ServerConfig(auth)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func clientConfig(t *testing.T, r *tlsfiles.Reloader) *tls.Config {
	t.Helper()
	c, err := r.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c.ServerName = "localhost"
	return c
}

func TestRotationIsPickedUpByTheNextHandshake(t *testing.T) {
	f := newFixture(t)
	srvFiles, first := f.write("server", f.ca)
	cliFiles, _ := f.write("client", f.ca)
	srv := serverConfig(t, f.reloader(srvFiles), tlsfiles.RequireClientCert)
	cli := clientConfig(t, f.reloader(cliFiles))

	got, err := handshake(t, srv, cli)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(first.Serial) != 0 {
		t.Fatalf("served serial %v, want the first certificate's %v", got, first.Serial)
	}
	_, second := f.write("server", f.ca) // same paths, new files
	got, err = handshake(t, srv, cli)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(second.Serial) != 0 {
		t.Fatalf("after rotation served serial %v, want the new certificate's %v", got, second.Serial)
	}
}

func TestBrokenRotationKeepsThePreviousPair(t *testing.T) {
	f := newFixture(t)
	files, first := f.write("server", f.ca)
	cliFiles, _ := f.write("client", f.ca)
	srv := serverConfig(t, f.reloader(files), tlsfiles.NoClientCert)
	cli := clientConfig(t, f.reloader(cliFiles))

	// A key from another pair: the certificate and key no longer match.
	other, err := f.ca.Issue("other", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.Key, other.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := handshake(t, srv, cli)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(first.Serial) != 0 {
		t.Fatalf("served serial %v, want the previous pair's %v", got, first.Serial)
	}
	// The matching certificate arrives: now the new pair is served.
	if err := os.WriteFile(files.Cert, other.Cert, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = handshake(t, srv, cli)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(other.Serial) != 0 {
		t.Fatalf("served serial %v, want the completed rotation's %v", got, other.Serial)
	}
}

func TestClientVerifiesTheServerAgainstItsCA(t *testing.T) {
	f := newFixture(t)
	otherCA, err := tlstest.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	srvFiles, _ := f.write("server", otherCA)
	cliFiles, _ := f.write("client", f.ca)
	srv := serverConfig(t, f.reloader(srvFiles), tlsfiles.NoClientCert)
	cli := clientConfig(t, f.reloader(cliFiles))
	if _, err := handshake(t, srv, cli); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("handshake with a server of another CA: %v, want an unknown-authority error", err)
	}
	// The name is checked too.
	srvFiles, _ = f.write("server", f.ca)
	srv = serverConfig(t, f.reloader(srvFiles), tlsfiles.NoClientCert)
	cli.ServerName = "elsewhere.example"
	if _, err := handshake(t, srv, cli); err == nil || !strings.Contains(err.Error(), "elsewhere.example") {
		t.Fatalf("handshake for another name: %v, want a name mismatch", err)
	}
}

func TestServerRequiresAClientCertificateFromItsCA(t *testing.T) {
	f := newFixture(t)
	otherCA, err := tlstest.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	srvFiles, _ := f.write("server", f.ca)
	srv := serverConfig(t, f.reloader(srvFiles), tlsfiles.RequireClientCert)

	// A client certificate from another CA (which still trusts our server).
	strangerFiles, _ := f.write("stranger", otherCA)
	strangerFiles.CA = srvFiles.CA
	stranger := clientConfig(t, f.reloader(strangerFiles))
	if _, err := handshake(t, srv, stranger); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
	// No certificate at all.
	pool := clientConfig(t, f.reloader(srvFiles))
	pool.GetClientCertificate = nil
	if _, err := handshake(t, srv, pool); err == nil {
		t.Fatal("a client without a certificate was accepted")
	}
	// Optional: the same client is let in.
	opt := serverConfig(t, f.reloader(srvFiles), tlsfiles.OptionalClientCert)
	if _, err := handshake(t, opt, pool); err != nil {
		t.Fatalf("optional client auth refused a client without a certificate: %v", err)
	}
}

func TestNewRefusesBadFiles(t *testing.T) {
	f := newFixture(t)
	files, _ := f.write("server", f.ca)
	for name, bad := range map[string]tlsfiles.Files{
		"no key":      {Cert: files.Cert},
		"missing CA":  {Cert: files.Cert, Key: files.Key, CA: files.CA + ".missing"},
		"CA not PEM":  {Cert: files.Cert, Key: files.Key, CA: files.Key + "x"},
		"key as cert": {Cert: files.Key, Key: files.Key},
	} {
		if name == "CA not PEM" {
			if err := os.WriteFile(bad.CA, []byte("not a certificate"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tlsfiles.New(bad, nil); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	r := f.reloader(tlsfiles.Files{Cert: files.Cert, Key: files.Key})
	if _, err := r.ServerConfig(tlsfiles.RequireClientCert); err == nil {
		t.Error("ServerConfig verifying clients without a CA succeeded")
	}
	if _, err := r.ClientConfig(); err == nil {
		t.Error("ClientConfig without a CA succeeded")
	}
}
