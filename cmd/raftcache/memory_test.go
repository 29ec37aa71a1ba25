package main

import "testing"

func TestTooMuchFree(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		free, live uint64
		want       bool
	}{
		{0, 0, false},
		{10 * mib, 0, false},           // small, whatever the live heap
		{64 * mib, 10 * mib, false},    // at the floor
		{65 * mib, 10 * mib, true},     // over the floor and a quarter
		{70 * mib, 110 * mib, true},    // after a 1M-key load
		{40 * mib, 170 * mib, false},   // a collection cycle's room
		{100 * mib, 1000 * mib, false}, // under a quarter of a large heap
		{300 * mib, 1000 * mib, true},  // over it
	}
	for _, tt := range tests {
		if got := tooMuchFree(tt.free, tt.live); got != tt.want {
			t.Errorf("tooMuchFree(%d MiB, %d MiB) = %v, want %v", tt.free/mib, tt.live/mib, got, tt.want)
		}
	}
}
