package metrics

import (
	"math"
	"sort"
	"testing"

	"github.com/iotsim/iotsim/sim"
)

func TestBucketBoundsAreContiguous(t *testing.T) {
	// Every value maps to the bucket whose bounds contain it.
	vals := []int64{0, 1, 255, 256, 257, 511, 512, 513, 1000, 1 << 20, 123456789, 1<<62 + 12345}
	for _, v := range vals {
		b := bucketOf(v)
		lo, hi := lowerBound(b), lowerBound(b+1)
		if v < lo || v >= hi {
			t.Errorf("bucketOf(%d) = %d with bounds [%d, %d)", v, b, lo, hi)
		}
	}
	for b := 0; b < bucketOf(math.MaxInt64); b++ {
		if lowerBound(b+1) <= lowerBound(b) {
			t.Fatalf("bounds not increasing at %d: %d, %d", b, lowerBound(b), lowerBound(b+1))
		}
		if bucketOf(lowerBound(b)) != b {
			t.Fatalf("bucketOf(lowerBound(%d)) = %d", b, bucketOf(lowerBound(b)))
		}
	}
}

func TestQuantileMatchesExactWithinResolution(t *testing.T) {
	s := sim.NewStream(7, "hist", "test")
	var h Histogram
	vals := make([]float64, 100000)
	for i := range vals {
		v := int64(s.Exp() * 25e6) // exponential latencies, mean 25 ms in ns
		vals[i] = float64(v)
		h.Add(v)
	}
	sort.Float64s(vals)
	for _, q := range []float64{0.01, 0.5, 0.95, 0.99, 1} {
		rank := int(math.Ceil(q * float64(len(vals))))
		want := vals[rank-1]
		got := h.Quantile(q)
		if math.Abs(got-want) > want/subBuckets+1 {
			t.Errorf("Quantile(%v) = %v; want %v within %v", q, got, want, want/subBuckets)
		}
	}
}

func TestQuantileSmallValuesExact(t *testing.T) {
	var h Histogram
	for _, v := range []int64{5, 1, 3, 2, 4} {
		h.Add(v)
	}
	tests := []struct {
		q    float64
		want float64
	}{{0, 1}, {0.2, 1}, {0.5, 3}, {0.6, 3}, {0.61, 4}, {1, 5}}
	for _, tc := range tests {
		if got := h.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v; want %v", tc.q, got, tc.want)
		}
	}
	var empty Histogram
	if got := empty.Quantile(0.5); got != 0 {
		t.Errorf("empty Quantile = %v; want 0", got)
	}
}
