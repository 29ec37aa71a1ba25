package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// TestTearWAL checks that the torn-wal nemesis damages only what a crash
// can: etcd's WAL sees a torn tail, Repair fixes it, and every complete
// record (entries and HardState, all fsynced) is still there.
func TestTearWAL(t *testing.T) {
	for seed := range uint64(16) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			state := t.TempDir()
			dir := filepath.Join(state, "wal")
			lg := zap.NewNop()
			w, err := wal.Create(lg, dir, []byte("meta"))
			if err != nil {
				t.Fatal(err)
			}
			const n = 40
			for i := uint64(1); i <= n; i++ {
				e := &raftpb.Entry{Term: proto.Uint64(1), Index: proto.Uint64(i), Data: []byte(fmt.Sprintf("entry %d", i))}
				hs := &raftpb.HardState{Term: proto.Uint64(1), Vote: proto.Uint64(7), Commit: proto.Uint64(i)}
				if err := w.Save(hs, []*raftpb.Entry{e}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			how, _, err := tearWAL(state, rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				t.Fatal(err)
			}
			t.Log(how)
			_, _, _, err = readWAL(lg, dir)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s: reading the torn wal: %v, want a torn tail (io.ErrUnexpectedEOF)", how, err)
			}
			if !wal.Repair(lg, dir) {
				t.Fatalf("%s: repair failed", how)
			}
			meta, hs, ents, err := readWAL(lg, dir)
			if err != nil {
				t.Fatalf("%s: reading the repaired wal: %v", how, err)
			}
			if string(meta) != "meta" || len(ents) != n || ents[n-1].GetIndex() != n || hs.GetCommit() != n || hs.GetVote() != 7 {
				t.Errorf("%s: repaired wal has meta %q, %d entries, hard state %v; want every complete record", how, meta, len(ents), hs)
			}
		})
	}
}

func readWAL(lg *zap.Logger, dir string) ([]byte, *raftpb.HardState, []*raftpb.Entry, error) {
	w, err := wal.Open(lg, dir, &walpb.Snapshot{})
	if err != nil {
		return nil, nil, nil, err
	}
	defer w.Close()
	return w.ReadAll()
}

// TestTransferAtEndOfRun checks that a transfer whose context ends while it
// looks for a leader reports no problem: the run is over, and the failed
// requests say nothing of the cluster.
func TestTransferAtEndOfRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wk := &worker{nm: &nemesis{cl: &cluster{}}, rng: rand.New(rand.NewPCG(1, 2))}
	if err := wk.transfer(ctx); err != nil {
		t.Fatalf("transfer after the run ended: %v", err)
	}
}
