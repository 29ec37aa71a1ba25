package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/raftcache/raftcache/admin"
	"github.com/raftcache/raftcache/cluster/tlsfiles"
	"github.com/raftcache/raftcache/cluster/transport"
	"github.com/raftcache/raftcache/fsm"
	"github.com/raftcache/raftcache/resp"
)

// securityFlags are the flags of the README's Security section. Clients
// (RESP's TLS port, the HTTPS admin API) and peers (the raft transport)
// have separate certificate flags, as etcd's --cert-file and
// --peer-cert-file: a client certificate is often a public CA's, a peer's
// the cluster's own.
type securityFlags struct {
	certFile, keyFile, caFile  *string
	tlsResp, authClients       *string
	peerCert, peerKey, peerCA  *string
	secret, secretFile         *string
	adminToken, adminTokenFile *string
	protectOps                 *bool
}

func registerSecurityFlags() *securityFlags {
	return &securityFlags{
		certFile:       flag.String("tls_cert_file", "", "PEM certificate for clients: RESP's -tls_resp port and the admin API, which then serves HTTPS only; re-read when the file changes"),
		keyFile:        flag.String("tls_key_file", "", "PEM private key of -tls_cert_file"),
		caFile:         flag.String("tls_ca_file", "", "PEM CA bundle client certificates are verified against (see -tls_auth_clients)"),
		tlsResp:        flag.String("tls_resp", "", "address for RESP over TLS, as Redis's tls-port (needs -tls_cert_file)"),
		authClients:    flag.String("tls_auth_clients", "no", "client certificates on the TLS ports, as Redis's tls-auth-clients: yes (required, from -tls_ca_file), optional, no"),
		peerCert:       flag.String("peer_cert_file", "", "PEM certificate of this member on the raft transport, for server and client auth; with -peer_key_file and -peer_ca_file, peers speak mutual TLS only"),
		peerKey:        flag.String("peer_key_file", "", "PEM private key of -peer_cert_file"),
		peerCA:         flag.String("peer_ca_file", "", "PEM CA bundle of the cluster: a peer without a certificate from it is refused"),
		secret:         flag.String("cluster_secret", "", "secret every member must hold to join or send raft messages (prefer -cluster_secret_file: flags show in ps)"),
		secretFile:     flag.String("cluster_secret_file", "", "file holding the cluster secret (trailing newline ignored)"),
		adminToken:     flag.String("admin_token", "", "credential the admin API's /mgmt mutations need (default: any RESP credential); prefer -admin_token_file"),
		adminTokenFile: flag.String("admin_token_file", "", "file holding -admin_token (trailing newline ignored)"),
		protectOps:     flag.Bool("protect_ops", false, "make /metrics, /healthz and /readyz need a client credential too, and SHUTDOWN a user with a password"),
	}
}

// security is what the flags build.
type security struct {
	clientTLS  *tlsfiles.Reloader // nil: no client TLS
	clientAuth tlsfiles.ClientAuth
	peer       transport.Security
	adminToken string
}

func (f *securityFlags) build(log *slog.Logger) (*security, error) {
	s := &security{}
	var err error
	if s.clientAuth, err = tlsfiles.ParseClientAuth(*f.authClients); err != nil {
		return nil, fmt.Errorf("-tls_auth_clients: %w", err)
	}
	if *f.certFile != "" || *f.keyFile != "" {
		s.clientTLS, err = tlsfiles.New(tlsfiles.Files{Cert: *f.certFile, Key: *f.keyFile, CA: *f.caFile}, log.With("component", "tls"))
		if err != nil {
			return nil, fmt.Errorf("-tls_cert_file: %w", err)
		}
		if s.clientAuth != tlsfiles.NoClientCert && *f.caFile == "" {
			return nil, errors.New("-tls_auth_clients " + *f.authClients + " needs -tls_ca_file")
		}
	} else if *f.tlsResp != "" {
		return nil, errors.New("-tls_resp needs -tls_cert_file and -tls_key_file")
	}
	if *f.peerCert != "" || *f.peerKey != "" || *f.peerCA != "" {
		if *f.peerCert == "" || *f.peerKey == "" || *f.peerCA == "" {
			return nil, errors.New("peer TLS needs all of -peer_cert_file, -peer_key_file and -peer_ca_file")
		}
		r, err := tlsfiles.New(tlsfiles.Files{Cert: *f.peerCert, Key: *f.peerKey, CA: *f.peerCA}, log.With("component", "peer-tls"))
		if err != nil {
			return nil, fmt.Errorf("-peer_cert_file: %w", err)
		}
		// gRPC needs ALPN h2.
		if s.peer.ServerTLS, err = r.ServerConfig(tlsfiles.RequireClientCert, "h2"); err != nil {
			return nil, err
		}
		if s.peer.ClientTLS, err = r.ClientConfig("h2"); err != nil {
			return nil, err
		}
	}
	secret, err := flagOrFile(*f.secret, *f.secretFile, "-cluster_secret")
	if err != nil {
		return nil, err
	}
	if secret != "" {
		s.peer.Secret = []byte(secret)
	}
	if s.adminToken, err = flagOrFile(*f.adminToken, *f.adminTokenFile, "-admin_token"); err != nil {
		return nil, err
	}
	return s, nil
}

// flagOrFile returns the value of a secret given either inline or in a
// file.
func flagOrFile(v, file, name string) (string, error) {
	if v != "" && file != "" {
		return "", fmt.Errorf("give %s or %s_file, not both", name, name)
	}
	if file == "" {
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_file: %w", name, err)
	}
	v = strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s_file: %s is empty", name, file)
	}
	return v, nil
}

// serverTLS is the client-facing TLS configuration, with ALPN protos.
func (s *security) serverTLS(protos ...string) (*tls.Config, error) {
	return s.clientTLS.ServerConfig(s.clientAuth, protos...)
}

// listen binds the client ports: plain RESP and RESP over TLS, merged
// into one listener, and the admin API, over TLS when there is a
// certificate.
func (s *security) listen(respAddr, tlsResp, apiAddr string) (respLis, apiLis net.Listener, err error) {
	if respAddr == "" && tlsResp == "" {
		return nil, nil, errors.New("no RESP port: give -resp, -tls_resp or both")
	}
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	if respAddr != "" {
		l, err := net.Listen("tcp", respAddr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen resp: %w", err)
		}
		ls = append(ls, l)
	}
	if tlsResp != "" {
		cfg, err := s.serverTLS()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		l, err := net.Listen("tcp", tlsResp)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("listen tls_resp: %w", err)
		}
		ls = append(ls, tls.NewListener(l, cfg))
	}
	apiLis, err = net.Listen("tcp", apiAddr)
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("listen api: %w", err)
	}
	if s.clientTLS != nil {
		cfg, err := s.serverTLS("http/1.1")
		if err != nil {
			closeAll()
			apiLis.Close()
			return nil, nil, err
		}
		apiLis = tls.NewListener(apiLis, cfg)
	}
	return resp.Listeners(ls...), apiLis, nil
}

// apiUsers is the admin API's view of RESP's users.
type apiUsers struct {
	srv   *resp.Server
	store *fsm.Store
}

func (u apiUsers) NeedsAuth() (bool, error) { return u.srv.DefaultNeedsAuth() }

// Check lets in only users allowed everything: the API's routes are
// GET and SET on any key, and it does not check ACL key patterns.
func (u apiUsers) Check(user, pass string) bool {
	if !u.srv.CheckUser(user, pass) {
		return false
	}
	acl, ok := u.store.ACLUser(user)
	return ok && acl.Unrestricted()
}

var _ admin.Users = apiUsers{}

// exposed reports whether addr listens beyond this host: an empty host, an
// unspecified IP (0.0.0.0, ::) or any address but a loopback one.
func exposed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return true
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// warnUnprotected logs, as Redis's protected mode would refuse, a node
// whose doors are open to the network with nothing to guard them.
func warnUnprotected(log *slog.Logger, s *security, requirePass string, respAddr, tlsResp, apiAddr, raftAddr string) {
	clientGuard := requirePass != "" || s.clientTLS != nil
	if (respAddr != "" && exposed(respAddr) || tlsResp != "" && exposed(tlsResp)) && requirePass == "" && s.clientAuth != tlsfiles.RequireClientCert {
		if respAddr == "" {
			respAddr = tlsResp
		}
		log.Warn("SECURITY WARNING: RESP listens on a non-loopback address with no password and no TLS: anyone who can reach " +
			respAddr + " can read and change every key. Set -requirepass (and -tls_resp), or bind to 127.0.0.1; see the README's Security section")
	}
	if exposed(apiAddr) && !clientGuard && s.adminToken == "" {
		log.Warn("SECURITY WARNING: the admin API listens on a non-loopback address with no credential and no TLS: anyone who can reach " +
			apiAddr + " can read and write keys and remove members. Set -requirepass and -admin_token, or bind to 127.0.0.1")
	}
	if exposed(raftAddr) && s.peer.ServerTLS == nil && len(s.peer.Secret) == 0 {
		log.Warn("SECURITY WARNING: the raft transport listens on a non-loopback address with no -cluster_secret and no peer TLS: anyone who can reach " +
			raftAddr + " can join the cluster and receive every key. Set -cluster_secret_file or -peer_cert_file/-peer_key_file/-peer_ca_file")
	}
}
