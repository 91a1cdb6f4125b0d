package coap

import (
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// TestDedupIndexLikeAMap drives dedupIndex and a plain map with the same
// random operations — dense and huge peers, more live ids per peer than
// the window holds, expiry of the oldest indices, indices wrapping past
// 2³² — and compares every lookup.
func TestDedupIndexLikeAMap(t *testing.T) {
	rng := sim.NewStream(1, "dedup", "test")
	var d dedupIndex
	ref := map[uint64]uint32{}
	peers := []uint64{0, 1, 2, 7, 1000, maxDensePeer + 3}
	next := uint32(1<<32 - 50_000) // indices are handed out in order, as the ring does
	d.expireBefore(next)
	oldest := next
	for op := 0; op < 200_000; op++ {
		p := peers[rng.IntN(uint64(len(peers)))]
		key := p<<16 | rng.IntN(20) // few ids per peer: windows overflow
		switch rng.IntN(4) {
		case 0, 1:
			d.set(key, next)
			ref[key] = next
			next++
		case 2:
			abs := oldest + uint32(rng.IntN(uint64(next-oldest)+1))
			if a, ok := ref[key]; ok && rng.IntN(2) == 0 {
				abs = a // usually delete the current value
			}
			d.del(key, abs)
			if a, ok := ref[key]; ok && a == abs {
				delete(ref, key)
			}
		case 3: // the ring's oldest entries expire
			oldest += uint32(rng.IntN(uint64(next-oldest)/8 + 1))
			d.expireBefore(oldest)
			for k, a := range ref {
				if int32(a-oldest) < 0 {
					delete(ref, k)
				}
			}
		}
		got, ok := d.get(key)
		want, wok := ref[key]
		if ok != wok || got != want {
			t.Fatalf("op %d: get(%#x) = %d, %v; map has %d, %v", op, key, got, ok, want, wok)
		}
	}
	if next > 1<<31 {
		t.Fatalf("indices never wrapped (next %d): the test does not exercise it", next)
	}
	for key, want := range ref {
		if got, ok := d.get(key); !ok || got != want {
			t.Fatalf("final get(%#x) = %d, %v; want %d", key, got, ok, want)
		}
	}
}
