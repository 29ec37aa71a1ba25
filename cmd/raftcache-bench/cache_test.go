package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestZipfian checks the generator against the distribution's own
// probabilities for the hottest ranks, and that it stays in range.
func TestZipfian(t *testing.T) {
	const n, draws = 1000, 200_000
	z := newZipfian(n, 0.99)
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, n)
	for range draws {
		i := z.next(r)
		if i < 0 || i >= n {
			t.Fatalf("rank %d out of range", i)
		}
		counts[i]++
	}
	for _, rank := range []int{0, 1, 9} {
		want := 1 / math.Pow(float64(rank+1), 0.99) / z.zetan
		got := float64(counts[rank]) / draws
		if math.Abs(got-want) > 0.1*want+0.002 {
			t.Errorf("P(rank %d) = %.4f, want %.4f", rank, got, want)
		}
	}
}
