package rdb

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode: any payload is an error or a Value, never a panic; a Value
// encodes to a payload that decodes to a Value encoding the same way.
// The seeds are Redis's own DUMPs (testdata/dumps, written by
// TestRedisDumps with -update-seeds) and damaged copies of them.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "dumps", "*"))
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, i := range []int{1, len(b) / 2, len(b) - 11} {
			if i > 0 && i < len(b)-10 {
				d := bytes.Clone(b[:len(b)-10])
				d[i] ^= 0x41
				f.Add(Seal(d))
				f.Add(Seal(b[:i]))
			}
		}
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		v, err := Decode(p)
		if err != nil {
			return
		}
		again := Encode(v)
		w, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode of Encode's payload: %v", err)
		}
		if !bytes.Equal(Encode(w), again) {
			t.Fatal("Encode is not stable across a round trip")
		}
	})
}
