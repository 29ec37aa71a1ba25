package transport

import (
	"context"
	"fmt"
)

// Join asks the member at addr to add a new member described by req, with a
// one-off connection. Without a deadline on ctx it gives up after 5 s. An
// error from the remote Handler.Join comes back as a *RemoteError with its
// text intact, wrapped as "join <addr>: <text>".
func Join(ctx context.Context, addr string, req JoinRequest) (JoinResponse, error) {
	cfg := Config{}
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
		return JoinResponse{}, fmt.Errorf("join %s: %w", addr, remoteError(err))
	}
	return resp, nil
}
