package cluster

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"
)

// sizedKV is a kvSM that reports its number of keys, as fsm.Store does.
type sizedKV struct {
	*kvSM
	keys int
}

func (s sizedKV) Len() int { return s.keys }

func TestSnapshotIntervalScalesWithKeys(t *testing.T) {
	for _, tc := range []struct {
		sm   StateMachine
		want uint64
	}{
		{newKV(), 100},                // no Len: the configured interval
		{sizedKV{newKV(), 0}, 100},    // empty
		{sizedKV{newKV(), 1600}, 100}, // a sixteenth is below it
		{sizedKV{newKV(), 1_000_000}, 1_000_000 / snapshotKeysPerEntry},
	} {
		n := &Node{cfg: Config{SnapshotEntries: 100}, sm: tc.sm}
		if got := n.snapshotInterval(); got != tc.want {
			t.Errorf("%T: snapshotInterval = %d, want %d", tc.sm, got, tc.want)
		}
	}
}

// TestSnapshotFileWrittenInPieces writes a snapshot larger than several
// writeback pieces and reads it back whole.
func TestSnapshotFileWrittenInPieces(t *testing.T) {
	d := newSnapDir(t.TempDir())
	body := bytes.Repeat([]byte("0123456789abcdef"), (3*writebackPiece+12345)/16)
	h := snapHeader{Term: 2, Index: 9, Voters: []uint64{1}}
	if err := d.write(h, writerTo(body), nil); err != nil {
		t.Fatal(err)
	}
	got, err := verifySnapFile(d.path(2, 9))
	if err != nil || got.Index != 9 {
		t.Fatalf("verify: %+v, %v", got, err)
	}
	_, r, f, err := d.open(2, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	read, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(read, body) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(read), err, len(body))
	}
}

// TestPurgeRemovesInPieces checks that purge deletes large snapshot files
// (truncated a piece at a time) and leaves a file open for sending whole.
func TestPurgeRemovesInPieces(t *testing.T) {
	d := newSnapDir(t.TempDir())
	body := bytes.Repeat([]byte("x"), 2*removePiece+100)
	for i := uint64(1); i <= 5; i++ {
		if err := d.write(snapHeader{Term: 1, Index: i, Voters: []uint64{1}}, writerTo(body), nil); err != nil {
			t.Fatal(err)
		}
	}
	sending, err := d.openFile(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.purge(3, false); err != nil {
		t.Fatal(err)
	}
	files, _ := d.list()
	if len(files) != 3 || files[2].index != 3 {
		t.Fatalf("after purge: %+v, want indexes 5, 4, 3", files)
	}
	// The file being sent was unlinked, not truncated.
	n, err := io.Copy(io.Discard, sending)
	sending.Close()
	if err != nil || n < int64(len(body)) {
		t.Fatalf("the file open for sending read %d bytes (%v), want at least %d", n, err, len(body))
	}
	if left, _ := filepath.Glob(filepath.Join(d.dir, "*.del")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	if len(d.sending.n) != 0 {
		t.Fatalf("open count not released: %v", d.sending.n)
	}
}
