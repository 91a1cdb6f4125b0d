package metrics

import "math/bits"

// Histogram counts non-negative int64 values in log-linear buckets: each
// power of two is split into subBuckets equal parts, so a quantile is exact
// to within 1/subBuckets (0.4 %) of its value while memory stays fixed
// (128 KiB) however many values are added. Values below subBuckets are exact.
type Histogram struct {
	counts   []uint64
	n        uint64
	min, max int64 // exact extremes; quantiles are clamped to them
}

const (
	subBits    = 8
	subBuckets = 1 << subBits
)

func bucketOf(v int64) int {
	if v < subBuckets {
		if v < 0 {
			v = 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits // ≥ 1
	return e*subBuckets + int(uint64(v)>>(e-1)) - subBuckets
}

// lowerBound is the smallest value that falls in bucket b; upper bound is
// exclusive at lowerBound(b+1).
func lowerBound(b int) int64 {
	if b < 2*subBuckets {
		return int64(b)
	}
	e := b/subBuckets - 1
	return int64(b%subBuckets+subBuckets) << e
}

// Add counts one value (negative values count as 0).
func (h *Histogram) Add(v int64) {
	if h.counts == nil {
		h.counts = make([]uint64, 64*subBuckets)
	}
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if h.n == 0 || v > h.max {
		h.max = v
	}
	h.counts[bucketOf(v)]++
	h.n++
}

// Count is the number of values added.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank rule: the
// value at rank ceil(q·n), reported as the midpoint of its bucket. It
// returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++
	}
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := lowerBound(b), lowerBound(b+1)
			mid := float64(lo) + float64(hi-lo-1)/2
			return min(max(mid, float64(h.min)), float64(h.max))
		}
	}
	return float64(lowerBound(len(h.counts) - 1))
}
