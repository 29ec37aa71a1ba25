package transport

import (
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc/mem"
)

func TestBatchCodecRoundTripAndCorruption(t *testing.T) {
	var buf []byte
	for i := uint64(1); i <= 3; i++ {
		f, err := encodeFrame(msg(raftpb.MsgApp, 1, 2, i))
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, f...)
	}
	out, err := codec{}.Marshal(&outBatch{buf: buf})
	if err != nil {
		t.Fatal(err)
	}
	var in inBatch
	if err := (codec{}).Unmarshal(out, &in); err != nil {
		t.Fatal(err)
	}
	checkInOrder(t, in.msgs, 1, 3)

	// A truncated batch must fail, never yield a partial message.
	if err := (codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(buf[:len(buf)-1])}, &in); err == nil {
		t.Fatal("truncated batch decoded without error")
	}
	if _, _, err := decodeTrailer([]byte{1, 2}); err == nil {
		t.Fatal("short trailer decoded without error")
	}
	size, crc, err := decodeTrailer(encodeTrailer(1<<40, 0xdeadbeef))
	if err != nil || size != 1<<40 || crc != 0xdeadbeef {
		t.Fatalf("trailer round trip = %d, %x, %v", size, crc, err)
	}
}
