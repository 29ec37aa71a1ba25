package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchNode starts a single durable node (fsyncs to b.TempDir()) and
// waits until it leads.
func benchNode(b *testing.B) *Node {
	b.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := Start(ctx, Config{
		StateDir: b.TempDir(), RaftAddr: lis.Addr().String(), Listener: lis, StateMachine: newKV(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Shutdown(ctx)
	})
	for !n.IsLeader() {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// BenchmarkReplicate is make bench's SET P=1 below the RESP layer: 50
// concurrent callers, one command each at a time, through raft, the WAL's
// fsync and the apply loop.
func BenchmarkReplicate(b *testing.B) {
	benchReplicate(b, benchNode(b))
}

// BenchmarkReplicateBatch is SET P=16: each caller proposes 16 commands at
// a time. ns/op is per command.
func BenchmarkReplicateBatch(b *testing.B) {
	n := benchNode(b)
	var key atomic.Int64
	b.SetParallelism(25)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		ws := make([]Write, 0, 16)
		bufs := make([][]byte, 16)
		for more := true; more; {
			ws = ws[:0]
			for len(ws) < 16 {
				if more = pb.Next(); !more {
					break
				}
				i := len(ws)
				bufs[i] = fmt.Appendf(bufs[i][:0], "key:%d=%064d", key.Add(1)%4096, 0)
				ws = append(ws, Write{Cmd: bufs[i]})
			}
			n.ReplicateBatch(ctx, ws)
			for _, w := range ws {
				if w.Err != nil {
					b.Fatal(w.Err)
				}
			}
		}
	})
}

// BenchmarkLinearizableRead is the barrier of GET P=1: 50 concurrent
// readers, each waiting for a ReadIndex round before its next read.
func BenchmarkLinearizableRead(b *testing.B) {
	benchReads(b, benchNode(b))
}

// BenchmarkLinearizableReadFollower is GET P=1 on a follower of a 3-node
// cluster, every node in this process: each ReadIndex round goes to the
// leader, which confirms it with a heartbeat round.
func BenchmarkLinearizableReadFollower(b *testing.B) {
	benchReads(b, benchFollower(b))
}

// BenchmarkReplicateFollower is SET P=1 on a follower of a 3-node cluster.
func BenchmarkReplicateFollower(b *testing.B) {
	benchReplicate(b, benchFollower(b))
}

// benchFollower starts a 3-node cluster in this process, with the default
// raft tick, and returns a follower.
func benchFollower(b *testing.B) *Node {
	b.Helper()
	c := newTestCluster(b, 3, func(cfg *Config) { cfg.TickInterval = 100 * time.Millisecond; cfg.ElectionTicks = 10 })
	return c.nodes[c.follower()].n
}

// benchReplicate has 50 concurrent callers replicate b.N SETs through n,
// one command each at a time, as redis-benchmark's -c 50.
func benchReplicate(b *testing.B, n *Node) {
	var key atomic.Int64
	b.SetParallelism(25) // 50 callers on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		cmd := make([]byte, 0, 96)
		for pb.Next() {
			cmd = strconv.AppendInt(append(cmd[:0], "key:"...), key.Add(1)%4096, 10)
			cmd = append(cmd, "=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"...)
			if _, err := n.Replicate(ctx, cmd); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchReads has 50 concurrent readers each wait for n.LinearizableRead
// before the next, b.N reads in all.
func benchReads(b *testing.B, n *Node) {
	b.SetParallelism(25)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := n.LinearizableRead(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
