package transport

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	grpcpeer "google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Security is how members prove to each other that they belong to the
// cluster. Either part, both, or neither may be set.
//
// With TLS, every connection is mutual TLS: ServerTLS must require and
// verify client certificates against the cluster's CA, and ClientTLS must
// present this node's certificate and verify the server's (see
// tlsfiles.Reloader, which re-reads rotated files on every handshake). A
// peer without a certificate from the CA never completes a handshake, so it
// can neither stream, send a snapshot, join nor ask for progress.
//
// With Secret, every call carries a fresh nonce and an HMAC-SHA256 of it
// under the secret, checked in constant time before any handler runs, and
// the server answers with its own HMAC of the nonce in the response header,
// which the client checks before it sends a raft message or believes a
// join response. The secret itself never crosses the wire, and a server
// that does not hold it gets nothing from a member that does. Without TLS
// this authenticates but does not encrypt: someone who can read the
// traffic reads the data (and can replay a call's token), so use TLS on a
// network you do not trust.
type Security struct {
	ServerTLS *tls.Config
	ClientTLS *tls.Config
	Secret    []byte
}

// ErrUnauthenticated is wrapped by the errors of calls a peer refused for
// want of the cluster's credentials (secret or certificate), and of calls
// whose server failed to prove it holds them. Retrying cannot help.
var ErrUnauthenticated = errors.New("transport: peer authentication failed")

const (
	mdNonce = "raftcache-auth-nonce"
	mdToken = "raftcache-auth-token"
	mdProof = "raftcache-auth-proof" // response header
)

// mac is HMAC-SHA256 of nonce under secret, for one direction: a client
// token cannot be replayed as a server proof.
func mac(secret []byte, direction string, nonce []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("raftcache peer auth v1 " + direction + "\x00"))
	h.Write(nonce)
	return h.Sum(nil)
}

// authFailure is the status of a call refused by checkToken.
func authFailure(format string, args ...any) error {
	return status.Errorf(codes.Unauthenticated, format, args...)
}

// checkToken verifies the call's token and, on success, returns the proof
// to send back (nil when this node has no secret).
func (t *Transport) checkToken(ctx context.Context) ([]byte, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	nonces, tokens := md.Get(mdNonce), md.Get(mdToken)
	secret := t.cfg.Security.Secret
	if len(secret) == 0 {
		if len(tokens) > 0 {
			return nil, authFailure("this node has no cluster secret but the caller sent one: start every member with the same -cluster_secret")
		}
		return nil, nil
	}
	if len(nonces) != 1 || len(tokens) != 1 {
		return nil, authFailure("cluster secret required: start the calling node with this cluster's -cluster_secret")
	}
	nonce, err1 := hex.DecodeString(nonces[0])
	token, err2 := hex.DecodeString(tokens[0])
	if err1 != nil || err2 != nil || len(nonce) < 16 || !hmac.Equal(token, mac(secret, "client", nonce)) {
		return nil, authFailure("cluster secret mismatch: the calling node was started with a different -cluster_secret")
	}
	return mac(secret, "server", nonce), nil
}

// logRefusal says, in this node's log, who was refused and why: the
// caller's log says it too, but the operator may be looking at either.
func (t *Transport) logRefusal(ctx context.Context, method string, err error) {
	addr := "unknown"
	if p, ok := grpcpeer.FromContext(ctx); ok && p.Addr != nil {
		addr = p.Addr.String()
	}
	t.log.Warn("refusing unauthenticated raft peer", "remote", addr, "method", method, "err", status.Convert(err).Message())
}

func (t *Transport) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	proof, err := t.checkToken(ctx)
	if err != nil {
		t.logRefusal(ctx, info.FullMethod, err)
		return nil, err
	}
	if proof != nil {
		if err := grpc.SetHeader(ctx, metadata.Pairs(mdProof, hex.EncodeToString(proof))); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

func (t *Transport) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	proof, err := t.checkToken(ss.Context())
	if err != nil {
		t.logRefusal(ss.Context(), info.FullMethod, err)
		return err
	}
	if proof != nil {
		// Sent with the handler's SendHeader, which is how a stream is
		// accepted.
		if err := ss.SetHeader(metadata.Pairs(mdProof, hex.EncodeToString(proof))); err != nil {
			return err
		}
	}
	return handler(srv, ss)
}

// withToken adds a fresh nonce and its token to an outgoing call, and
// returns the nonce.
func withToken(ctx context.Context, secret []byte) (context.Context, []byte, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("transport: nonce: %w", err)
	}
	return metadata.AppendToOutgoingContext(ctx,
		mdNonce, hex.EncodeToString(nonce),
		mdToken, hex.EncodeToString(mac(secret, "client", nonce))), nonce, nil
}

// checkProof verifies the server's answer to nonce in header md.
func checkProof(md metadata.MD, secret, nonce []byte) error {
	v := md.Get(mdProof)
	if len(v) == 1 {
		if proof, err := hex.DecodeString(v[0]); err == nil && hmac.Equal(proof, mac(secret, "server", nonce)) {
			return nil
		}
	}
	return fmt.Errorf("%w: the peer did not prove it holds the cluster secret (started without -cluster_secret, or with another?)", ErrUnauthenticated)
}

func clientUnaryAuth(secret []byte) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, nonce, err := withToken(ctx, secret)
		if err != nil {
			return err
		}
		var md metadata.MD
		if err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&md))...); err != nil {
			return err
		}
		return checkProof(md, secret, nonce)
	}
}

func clientStreamAuth(secret []byte) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx, nonce, err := withToken(ctx, secret)
		if err != nil {
			return nil, err
		}
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		// Wait for the server's acceptance before the caller sends
		// anything. No header at all means the call was refused: the
		// caller reads the status from the stream as before.
		md, err := s.Header()
		if err != nil || len(md) == 0 {
			return s, nil
		}
		if err := checkProof(md, secret, nonce); err != nil {
			return nil, err
		}
		return s, nil
	}
}

// serverOptions are the gRPC server options Security asks for.
func (t *Transport) serverOptions() []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(t.unaryAuth),
		grpc.ChainStreamInterceptor(t.streamAuth),
	}
	if c := t.cfg.Security.ServerTLS; c != nil {
		opts = append(opts, grpc.Creds(loggedCreds{credentials.NewTLS(c), t.log}))
	}
	return opts
}

// dialOptions are the gRPC client options Security asks for.
func (s Security) dialOptions() []grpc.DialOption {
	var opts []grpc.DialOption
	if s.ClientTLS != nil {
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(s.ClientTLS)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if len(s.Secret) > 0 {
		opts = append(opts,
			grpc.WithChainUnaryInterceptor(clientUnaryAuth(s.Secret)),
			grpc.WithChainStreamInterceptor(clientStreamAuth(s.Secret)))
	}
	return opts
}

// loggedCreds logs failed server handshakes: gRPC drops them silently (to
// its own logger), and a peer refused for its certificate must show up in
// this node's log.
type loggedCreds struct {
	credentials.TransportCredentials
	log *slog.Logger
}

func (c loggedCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		c.log.Warn("refusing raft peer: TLS handshake failed", "remote", conn.RemoteAddr().String(), "err", err)
	}
	return out, info, err
}

func (c loggedCreds) Clone() credentials.TransportCredentials {
	return loggedCreds{c.TransportCredentials.Clone(), c.log}
}

// authError marks err as an authentication failure when it is one: the
// peer's Unauthenticated status, or a TLS handshake failure, which gRPC
// reports only as text inside an Unavailable status.
func authError(err error) error {
	if err == nil || errors.Is(err, ErrUnauthenticated) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	if st.Code() == codes.Unauthenticated ||
		strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") || strings.Contains(msg, "tlsfiles:") {
		return fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return err
}
