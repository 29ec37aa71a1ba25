package transport

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const (
	serviceName    = "raftcache.transport.Raft"
	methodStream   = "/" + serviceName + "/Stream"
	methodSnapshot = "/" + serviceName + "/Snapshot"
	methodJoin     = "/" + serviceName + "/Join"
	methodProgress = "/" + serviceName + "/Progress"

	// Stream metadata naming sender and intended receiver.
	mdFrom = "raftcache-from"
	mdTo   = "raftcache-to"
	// Response header: the accepting member's ID.
	mdMember = "raftcache-member"

	// msgRemoved with codes.FailedPrecondition is how a server tells a
	// removed member to stop; the client matches on both.
	msgRemoved = "member removed"

	// codeHandlerError marks a status carrying a Handler error's text.
	codeHandlerError = codes.FailedPrecondition
)

// raftService is the HandlerType of the service: what grpc checks the
// registered implementation against.
type raftService interface {
	handleStream(grpc.ServerStream) error
	handleSnapshot(grpc.ServerStream) error
	handleJoin(context.Context, *JoinRequest) (*JoinResponse, error)
	handleProgress(context.Context) (*ProgressResponse, error)
}

// serviceDesc is written by hand in place of protoc output. It is built per
// call so that no package-level value can be mutated.
func serviceDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: serviceName,
		HandlerType: (*raftService)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Join", Handler: joinHandler},
			{MethodName: "Progress", Handler: progressHandler},
		},
		Streams: []grpc.StreamDesc{
			{
				StreamName:    "Stream",
				ClientStreams: true,
				Handler: func(srv any, ss grpc.ServerStream) error {
					return srv.(raftService).handleStream(ss)
				},
			},
			{
				StreamName:    "Snapshot",
				ClientStreams: true,
				Handler: func(srv any, ss grpc.ServerStream) error {
					return srv.(raftService).handleSnapshot(ss)
				},
			},
		},
	}
}

func streamDesc() *grpc.StreamDesc {
	return &grpc.StreamDesc{StreamName: "Stream", ClientStreams: true}
}

func snapshotDesc() *grpc.StreamDesc {
	return &grpc.StreamDesc{StreamName: "Snapshot", ClientStreams: true}
}

func joinHandler(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
	req := new(JoinRequest)
	if err := dec(req); err != nil {
		return nil, err
	}
	call := func(ctx context.Context, req any) (any, error) {
		return srv.(raftService).handleJoin(ctx, req.(*JoinRequest))
	}
	if icpt == nil {
		return call(ctx, req)
	}
	return icpt(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: methodJoin}, call)
}

func progressHandler(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
	req := new(empty)
	if err := dec(req); err != nil {
		return nil, err
	}
	call := func(ctx context.Context, _ any) (any, error) {
		return srv.(raftService).handleProgress(ctx)
	}
	if icpt == nil {
		return call(ctx, req)
	}
	return icpt(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: methodProgress}, call)
}

func (t *Transport) handleJoin(ctx context.Context, req *JoinRequest) (*JoinResponse, error) {
	resp, err := t.h.Join(ctx, *req)
	if err != nil {
		t.log.Info("join refused", "raft_addr", req.RaftAddr, "err", err)
		return nil, handlerStatus(ctx, err)
	}
	return &resp, nil
}

func (t *Transport) handleProgress(ctx context.Context) (*ProgressResponse, error) {
	resp, err := t.h.Progress(ctx)
	if err != nil {
		return nil, handlerStatus(ctx, err)
	}
	return &resp, nil
}

// handlerStatus carries a Handler error to the caller with its text intact.
func handlerStatus(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Error(codeHandlerError, err.Error())
}

// checkStreamPeers refuses a stream before its first message when the
// client says it is for another member (the address was reused) or comes
// from a removed member. Clients that send no metadata are checked per
// message only.
func (t *Transport) checkStreamPeers(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(mdTo); len(v) > 0 {
		if to, err := strconv.ParseUint(v[0], 16, 64); err == nil && to != t.id {
			return status.Errorf(codes.InvalidArgument,
				"stream for member %s reached member %s (address reused?)", fmtID(to), fmtID(t.id))
		}
	}
	if v := md.Get(mdFrom); len(v) > 0 {
		if from, err := strconv.ParseUint(v[0], 16, 64); err == nil {
			if t.h.IsRemoved(from) {
				return status.Error(codes.FailedPrecondition, msgRemoved)
			}
			t.mu.RLock()
			if p := t.peers[from]; p != nil {
				p.peerIsUp()
			}
			t.mu.RUnlock()
		}
	}
	return nil
}

// checkMessage applies the same rules to each message.
func (t *Transport) checkMessage(m *raftpb.Message) error {
	if m.GetTo() != t.id {
		return status.Errorf(codes.InvalidArgument,
			"message for member %s reached member %s (address reused?)", fmtID(m.GetTo()), fmtID(t.id))
	}
	if t.h.IsRemoved(m.GetFrom()) {
		return status.Error(codes.FailedPrecondition, msgRemoved)
	}
	return nil
}

// handleStream receives one peer's batches and steps them in order.
func (t *Transport) handleStream(ss grpc.ServerStream) error {
	ctx := ss.Context()
	if err := t.checkStreamPeers(ctx); err != nil {
		return err
	}
	// Headers now tell the client the stream was accepted: only then does
	// it count the peer as reachable.
	if err := ss.SendHeader(metadata.Pairs(mdMember, fmtID(t.id))); err != nil {
		return err
	}
	t.streamsAccepted.Add(1)
	for {
		var b inBatch
		if err := ss.RecvMsg(&b); err != nil {
			if errors.Is(err, io.EOF) {
				return ss.SendMsg(&empty{})
			}
			return err
		}
		t.batchesReceived.Add(1)
		for _, m := range b.msgs {
			if err := t.checkMessage(m); err != nil {
				t.log.Warn("refusing raft stream", "from", fmtID(m.GetFrom()), "err", err)
				return err
			}
			if m.GetType() == raftpb.MsgSnap {
				// Stepping a MsgSnap whose body was never stored would make
				// raft apply a snapshot we do not have.
				t.log.Warn("dropping MsgSnap received on the message stream", "from", fmtID(m.GetFrom()))
				continue
			}
			if err := t.h.Process(ctx, m); err != nil {
				return status.Errorf(codes.Unavailable, "process %s from %s: %v", m.GetType(), fmtID(m.GetFrom()), err)
			}
		}
	}
}

// handleSnapshot receives a MsgSnap and pipes its body, chunk by chunk, to
// Handler.ReceiveSnapshot; gRPC flow control holds the sender back while the
// handler is slow, so the body is never buffered whole.
func (t *Transport) handleSnapshot(ss grpc.ServerStream) error {
	ctx := ss.Context()
	if err := t.checkStreamPeers(ctx); err != nil {
		return err
	}
	// Accept before the first chunk, as the message stream does: a
	// client with a cluster secret waits for the header's proof before it
	// sends anything.
	if err := ss.SendHeader(metadata.Pairs(mdMember, fmtID(t.id))); err != nil {
		return err
	}
	var first snapChunk
	if err := ss.RecvMsg(&first); err != nil {
		return err
	}
	if first.kind != chunkHeader {
		return status.Errorf(codes.InvalidArgument, "snapshot stream starts with chunk kind %d", first.kind)
	}
	m := new(raftpb.Message)
	if err := proto.Unmarshal(first.payload, m); err != nil {
		return status.Errorf(codes.InvalidArgument, "decode snapshot message: %v", err)
	}
	if m.GetType() != raftpb.MsgSnap {
		return status.Errorf(codes.InvalidArgument, "snapshot stream carries %s, not MsgSnap", m.GetType())
	}
	if err := t.checkMessage(m); err != nil {
		return err
	}

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := t.h.ReceiveSnapshot(ctx, m, pr)
		// Unblock our writes if the handler stopped reading early.
		pr.CloseWithError(errors.New("snapshot receiver returned"))
		done <- err
	}()

	recvErr := t.pipeSnapshotBody(ss, pw)
	pw.CloseWithError(recvErr) // nil: the reader sees io.EOF
	herr := <-done

	// The handler's error first: when it gives up early, our own error is
	// only the consequence ("stopped reading").
	switch {
	case herr != nil:
		t.log.Warn("storing raft snapshot failed", "from", fmtID(m.GetFrom()), "err", herr)
		return status.Errorf(codes.Internal, "receive snapshot: %v", herr)
	case recvErr != nil:
		t.log.Warn("receiving raft snapshot failed", "from", fmtID(m.GetFrom()), "err", recvErr)
		if _, ok := status.FromError(recvErr); ok {
			return recvErr
		}
		return status.Error(codes.DataLoss, recvErr.Error())
	}
	return ss.SendMsg(&empty{})
}

// pipeSnapshotBody copies the data chunks into pw until a valid trailer. A
// nil result means the whole body went through and matched its checksum.
func (t *Transport) pipeSnapshotBody(ss grpc.ServerStream, pw *io.PipeWriter) error {
	var total uint64
	sum := crc32.New(crcTable())
	for {
		var c snapChunk
		if err := ss.RecvMsg(&c); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("snapshot body truncated after %d bytes", total)
			}
			return err
		}
		switch c.kind {
		case chunkData:
			sum.Write(c.payload)
			total += uint64(len(c.payload))
			if _, err := pw.Write(c.payload); err != nil {
				return fmt.Errorf("snapshot receiver stopped reading after %d bytes", total)
			}
		case chunkTrailer:
			size, crc, err := decodeTrailer(c.payload)
			if err != nil {
				return err
			}
			if size != total || crc != sum.Sum32() {
				return fmt.Errorf("snapshot body corrupt: got %d bytes (crc %08x), sender sent %d (crc %08x)",
					total, sum.Sum32(), size, crc)
			}
			return nil
		default:
			return fmt.Errorf("unknown snapshot chunk kind %d", c.kind)
		}
	}
}
