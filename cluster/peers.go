package cluster

import (
	"context"
	"errors"
	"io"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/raftcache/raftcache/cluster/transport"
)

// transportHandler is the Node as the transport sees it. It is a separate
// type so that these callbacks stay out of Node's public API.
type transportHandler struct{ n *Node }

// Process hands a message from a peer to the raft loop. A proposal
// forwarded by a follower never blocks it: raft drops one it cannot take
// (no leader known here), and its proposer learns the outcome is unknown.
func (h transportHandler) Process(ctx context.Context, m *raftpb.Message) error {
	if m.GetType() == raftpb.MsgHeartbeatResp {
		if d, ok := h.n.heartbeats.answered(m.GetFrom()); ok {
			h.n.obs.PeerRoundTrip(m.GetFrom(), d)
		}
	}
	return h.n.raft.step(ctx, m)
}

// ReceiveSnapshot stores the leader's snapshot file before raft sees the
// message, so that by the time raft asks us to persist and apply the
// snapshot, its file is complete and verified on disk.
func (h transportHandler) ReceiveSnapshot(ctx context.Context, m *raftpb.Message, body io.Reader) error {
	md := m.GetSnapshot().GetMetadata()
	if err := h.n.disk.snaps.receive(md.GetTerm(), md.GetIndex(), body); err != nil {
		return err
	}
	// A snapshot file written whole ends the degraded state as one of our
	// own does: restored, it leaves nothing newer for ours to write.
	h.n.snapshotSaved(md.GetIndex())
	return h.n.raft.step(ctx, m)
}

func (h transportHandler) OpenSnapshot(m *raftpb.Message) (io.ReadCloser, error) {
	md := m.GetSnapshot().GetMetadata()
	return h.n.disk.snaps.openFile(md.GetTerm(), md.GetIndex())
}

func (h transportHandler) IsRemoved(id uint64) bool { return h.n.members.isRemoved(id) }

func (h transportHandler) Removed() {
	h.n.log.Info("a peer reports this node was removed from the cluster; shutting down")
	go h.n.stop(ErrRemoved)
}

func (h transportHandler) ReportUnreachable(id uint64) {
	h.n.obs.PeerSendFailed(id)
	h.n.raft.ReportUnreachable(id)
}

func (h transportHandler) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	h.n.raft.ReportSnapshot(id, status)
}

func (h transportHandler) Join(ctx context.Context, req transport.JoinRequest) (transport.JoinResponse, error) {
	id, err := h.n.addMember(ctx, req.ID, req.RaftAddr, req.APIAddr, req.RESPAddr)
	if err != nil {
		return transport.JoinResponse{}, err
	}
	list, _ := h.n.members.list()
	resp := transport.JoinResponse{ID: id}
	for _, m := range list {
		resp.Members = append(resp.Members, transport.MemberInfo{ID: m.ID, RaftAddr: m.RaftAddr, APIAddr: m.APIAddr, RESPAddr: m.RESPAddr})
	}
	return resp, nil
}

func (h transportHandler) Progress(ctx context.Context) (transport.ProgressResponse, error) {
	p, err := h.n.progress()
	if err != nil {
		return p, errors.New("raftcache: this member is not the leader")
	}
	return p, nil
}
