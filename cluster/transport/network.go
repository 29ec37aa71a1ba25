package transport

import (
	"context"
	"net"
	"sync"

	"go.etcd.io/raft/v3/raftpb"
)

// Network is how a member reaches the others: it makes the member's
// Endpoint and carries a joiner's request. GRPCNetwork, this package's
// gRPC transport, is what nodes run; tests use an in-memory one
// (cluster/clustertest.Network) to partition, drop and delay messages
// without sockets. The interfaces are here rather than in package cluster
// so that such a network needs only this package, and the cluster's own
// tests can use it.
type Network interface {
	// Endpoint returns the endpoint of member cfg.ID, whom peers reach at
	// addr (its advertised raft address); what arrives for it goes to
	// cfg.Handler. It is called once, before any peer is added.
	Endpoint(cfg Config, addr string) (Endpoint, error)
	// Join asks the member at addr to add the member req describes, as the
	// function Join does; cfg is the joiner's (only Security is used).
	Join(ctx context.Context, cfg Config, addr string, req JoinRequest) (JoinResponse, error)
}

// Endpoint carries one member's raft traffic. Its methods have the
// contracts of *Transport's methods of the same names.
type Endpoint interface {
	Send(msgs []*raftpb.Message)
	AddPeer(id uint64, addr string)
	RemovePeer(id uint64)
	Reachable(id uint64) bool
	Progress(ctx context.Context, id uint64) (ProgressResponse, error)
	Close() error
}

// GRPCNetwork is the gRPC transport as one member sees it: the member's
// Endpoint serves peers on Listener, which it closes on Close.
type GRPCNetwork struct {
	Listener net.Listener
}

// Endpoint returns a Transport serving on g.Listener.
func (g GRPCNetwork) Endpoint(cfg Config, _ string) (Endpoint, error) {
	s := &served{Transport: New(cfg)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.Serve(g.Listener); err != nil {
			s.log.Error("raft transport stopped", "err", err)
		}
	}()
	return s, nil
}

// Join is the function Join.
func (GRPCNetwork) Join(ctx context.Context, cfg Config, addr string, req JoinRequest) (JoinResponse, error) {
	return Join(ctx, cfg, addr, req)
}

// served is a Transport whose Close also waits for its Serve to return.
type served struct {
	*Transport
	wg sync.WaitGroup
}

func (s *served) Close() error {
	err := s.Transport.Close()
	s.wg.Wait()
	return err
}
