package transport

import (
	"context"
	"fmt"
	"strings"
)

// Join asks the member at addr to add a new member described by req, with a
// one-off connection. Without a deadline on ctx it gives up after 5 s. An
// error from the remote Handler.Join comes back as a *RemoteError with its
// text intact, wrapped as "join <addr>: <text>"; a refusal for want of
// credentials (the cluster secret, the TLS certificate) wraps
// ErrUnauthenticated. Of cfg, only Security is used.
func Join(ctx context.Context, cfg Config, addr string, req JoinRequest) (JoinResponse, error) {
	cfg = Config{Security: cfg.Security}
	cfg.setDefaults()
	cc, err := dial(addr, cfg)
	if err != nil {
		return JoinResponse{}, fmt.Errorf("join %s: %w", addr, err)
	}
	defer cc.Close()
	ctx, cancel := withDefaultTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	var resp JoinResponse
	if err := cc.Invoke(ctx, methodJoin, &req, &resp); err != nil {
		err = authError(err)
		if cfg.Security.ClientTLS == nil && strings.Contains(err.Error(), "server preface") {
			// The member took the connection and closed it without a
			// word of HTTP/2: what a TLS server does with a plaintext
			// client (its log says "TLS handshake failed"). A member
			// starting or stopping refuses the connection instead, so
			// retrying would only hide the reason for JoinTimeout.
			err = fmt.Errorf("%w: the member closed the connection unanswered; it likely requires peer TLS: start this node with -peer_cert_file, -peer_key_file and -peer_ca_file (%w)", ErrUnauthenticated, err)
		}
		return JoinResponse{}, fmt.Errorf("join %s: %w", addr, remoteError(err))
	}
	return resp, nil
}
