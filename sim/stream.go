package sim

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Stream is a deterministic random stream owned by one entity for one
// purpose. It is a value (16 bytes) so it can be embedded in per-device
// state, and *Stream is a math/rand/v2 Source, so gonum's distuv can draw from it.
//
// Streams are derived from (run seed, entity name, purpose) by SplitMix64
// mixing, never from a shared generator: adding a device does not change the
// draws of any other device.
type Stream struct {
	pcg rand.PCG
}

// NewStream derives the stream of the named entity for the given purpose.
// Entity names are node names ("sensor-17") or other stable identifiers.
func NewStream(seed uint64, entity, purpose string) Stream {
	h := splitmix(seed ^ 0x9e3779b97f4a7c15)
	h = splitmix(h ^ hashString(entity))
	h = splitmix(h ^ hashString(purpose))
	var s Stream
	s.pcg.Seed(h, splitmix(h^0xd1b54a32d192ed03))
	return s
}

// DeriveSeed mixes a seed with further integers, for seeds of runs, points
// and replications.
func DeriveSeed(seed uint64, parts ...uint64) uint64 {
	h := splitmix(seed)
	for _, p := range parts {
		h = splitmix(h ^ p)
	}
	return h
}

// Uint64 returns a uniformly distributed 64-bit value (rand.Source).
func (s *Stream) Uint64() uint64 { return s.pcg.Uint64() }

// Float64 returns a uniform value in [0, 1).
func (s *Stream) Float64() float64 { return float64(s.pcg.Uint64()>>11) * 0x1p-53 }

// Bernoulli returns true with probability p.
func (s *Stream) Bernoulli(p float64) bool {
	if p <= 0 {
		return false
	}
	return s.Float64() < p
}

// Exp returns an exponentially distributed value with mean 1.
func (s *Stream) Exp() float64 {
	// 1 − U lies in (0, 1], so the logarithm is finite.
	return -math.Log(1 - s.Float64())
}

// IntN returns a uniform integer in [0, n); n must be positive.
func (s *Stream) IntN(n uint64) uint64 {
	// Lemire's multiply-shift; the bias for huge n is negligible here
	// because n is a count of time steps or list entries.
	hi, _ := bits.Mul64(s.pcg.Uint64(), n)
	return hi
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hashString is 64-bit FNV-1a: stable across Go versions, unlike maphash.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
