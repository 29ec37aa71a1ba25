package metrics

import (
	"testing"
	"time"
)

func TestBucketEdges(t *testing.T) {
	// Every value falls in the bucket whose range holds it, and the
	// buckets tile the line without gaps.
	prev := uint64(0)
	for i := 0; i < numBuckets-1; i++ {
		up := upperBound(i)
		if up <= prev {
			t.Fatalf("bucket %d: upper bound %d not above %d", i, up, prev)
		}
		if got := bucketOf(up - 1); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", up-1, got, i)
		}
		if got := bucketOf(up); got != i+1 {
			t.Fatalf("bucketOf(%d) = %d, want %d", up, got, i+1)
		}
		// At most an eighth wider than the lower bound.
		if prev >= subCount && (up-prev)*subCount > prev {
			t.Fatalf("bucket %d: [%d, %d) too wide", i, prev, up)
		}
		prev = up
	}
	if got := bucketOf(1 << 62); got != numBuckets-1 {
		t.Fatalf("bucketOf(2^62) = %d, want the last bucket", got)
	}
}

func TestPercentilesAndBuckets(t *testing.T) {
	var h Histogram
	if h.Percentile(50) != 0 {
		t.Fatal("percentile of an empty histogram is not 0")
	}
	for i := 1; i <= 100; i++ {
		h.Observe(time.Duration(i) * time.Microsecond)
	}
	if h.Count() != 100 || h.Sum() != 5050*time.Microsecond {
		t.Fatalf("count %d sum %v", h.Count(), h.Sum())
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Microsecond}, {99, 99 * time.Microsecond}, {100, 100 * time.Microsecond}} {
		got := h.Percentile(c.p)
		// The bucket's upper bound: at or above the value, by at most
		// an eighth.
		if got < c.want || got > c.want+c.want/8 {
			t.Errorf("p%v = %v, want %v within 1/8", c.p, got, c.want)
		}
	}
	cum, total := h.Buckets([]time.Duration{1024, 32768, 65536, 1 << 17})
	// 1024ns: 0 (1µs is 1000ns, just below: 1 observation).
	want := []uint64{1, 32, 65, 100}
	if total != 100 {
		t.Fatalf("total %d", total)
	}
	for i := range want {
		if cum[i] != want[i] {
			t.Errorf("bucket %d: %d below, want %d (all %v)", i, cum[i], want[i], cum)
		}
	}
	h.Reset()
	if h.Count() != 0 || h.Sum() != 0 {
		t.Fatal("Reset left observations")
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	var h Histogram
	if n := testing.AllocsPerRun(1000, func() { h.Observe(123 * time.Microsecond) }); n != 0 {
		t.Fatalf("Observe allocates %v times", n)
	}
}
