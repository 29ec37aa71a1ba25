package transport

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// codecName is the gRPC content-subtype of our wire format. Both sides force
// the codec (grpc.ForceServerCodecV2 / grpc.ForceCodecV2) rather than
// registering it globally, so nothing in the process-wide gRPC registry
// changes and the name only matters for the content-type header.
const codecName = "raftcache-v1"

// outBatch is a batch of already-framed raft messages (uvarint length +
// marshaled raftpb.Message, repeated) on its way out. The frames are encoded
// on the raft loop by Send, so the peer goroutine only concatenates bytes.
type outBatch struct {
	buf []byte
}

// inBatch is a received batch, decoded.
type inBatch struct {
	msgs []*raftpb.Message
}

// Snapshot stream chunk kinds. The stream is: one header (the MsgSnap), any
// number of data chunks, one trailer (total length and CRC-32C of the body).
// The trailer lets the receiver tell a complete body from a truncated one
// before it hands io.EOF to Handler.ReceiveSnapshot.
const (
	chunkHeader  byte = 1
	chunkData    byte = 2
	chunkTrailer byte = 3
)

// snapChunk is one message of the Snapshot RPC: a kind byte, then the payload
// (marshaled raftpb.Message, body bytes, or uvarint length + 4-byte CRC).
type snapChunk struct {
	kind    byte
	payload []byte
}

// empty is the response of the streaming RPCs and the request of Progress.
type empty struct{}

// codec is the encoding.CodecV2 for all transport RPCs: compact binary for
// the hot paths, JSON for the small control messages (join, progress).
type codec struct{}

func (codec) Name() string { return codecName }

func (codec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *outBatch:
		// Copy into a pooled buffer that gRPC frees when written, so the peer
		// goroutine may reuse its batch buffer as soon as SendMsg returns.
		return mem.BufferSlice{mem.Copy(m.buf, mem.DefaultBufferPool())}, nil
	case *snapChunk:
		pool := mem.DefaultBufferPool()
		buf := pool.Get(1 + len(m.payload))
		(*buf)[0] = m.kind
		copy((*buf)[1:], m.payload)
		return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
	case *empty:
		return nil, nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %T: %w", v, err)
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
}

func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *inBatch:
		msgs, err := decodeBatch(data.Materialize())
		if err != nil {
			return err
		}
		m.msgs = msgs
		return nil
	case *snapChunk:
		// Materialize copies: gRPC frees data when we return.
		b := data.Materialize()
		if len(b) == 0 {
			return errors.New("decode snapshot chunk: empty")
		}
		m.kind, m.payload = b[0], b[1:]
		return nil
	case *empty:
		return nil
	default:
		if err := json.Unmarshal(data.Materialize(), v); err != nil {
			return fmt.Errorf("decode %T: %w", v, err)
		}
		return nil
	}
}

// encodeFrame returns m framed (uvarint length + protobuf bytes) in a slice
// of its own. It must run on the goroutine that owns m: proto.Size caches
// sizes inside the message, so marshaling one message from two goroutines
// races.
func encodeFrame(m *raftpb.Message) ([]byte, error) {
	n := proto.Size(m)
	buf := make([]byte, 0, n+binary.MaxVarintLen64)
	buf = binary.AppendUvarint(buf, uint64(n))
	start := len(buf)
	buf, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(buf, m)
	if err != nil {
		return nil, fmt.Errorf("encode %s to %x: %w", m.GetType(), m.GetTo(), err)
	}
	if len(buf)-start != n {
		// Only possible if m changed between Size and Marshal.
		return nil, fmt.Errorf("encode %s to %x: size changed during marshal", m.GetType(), m.GetTo())
	}
	return buf, nil
}

func decodeBatch(b []byte) ([]*raftpb.Message, error) {
	var msgs []*raftpb.Message
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, fmt.Errorf("decode batch: bad frame length after %d messages", len(msgs))
		}
		b = b[k:]
		m := new(raftpb.Message)
		// proto.Unmarshal copies bytes fields, so messages never alias b.
		if err := proto.Unmarshal(b[:n], m); err != nil {
			return nil, fmt.Errorf("decode batch message %d: %w", len(msgs), err)
		}
		msgs = append(msgs, m)
		b = b[n:]
	}
	return msgs, nil
}

// encodeTrailer and decodeTrailer frame the snapshot trailer payload.
func encodeTrailer(size uint64, crc uint32) []byte {
	b := binary.AppendUvarint(nil, size)
	return binary.BigEndian.AppendUint32(b, crc)
}

func decodeTrailer(b []byte) (size uint64, crc uint32, err error) {
	size, k := binary.Uvarint(b)
	if k <= 0 || len(b)-k != 4 {
		return 0, 0, errors.New("decode snapshot trailer: malformed")
	}
	return size, binary.BigEndian.Uint32(b[k:]), nil
}
