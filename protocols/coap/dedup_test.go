package coap

import (
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// TestDedupIndexLikeAMap drives dedupIndex and a plain map with the same
// random operations — dense and huge peers, more live ids per peer than
// the window holds — and compares every lookup.
func TestDedupIndexLikeAMap(t *testing.T) {
	rng := sim.NewStream(1, "dedup", "test")
	var d dedupIndex
	ref := map[uint64]uint32{}
	peers := []uint64{0, 1, 2, 7, 1000, maxDensePeer + 3}
	for op := 0; op < 200_000; op++ {
		p := peers[rng.IntN(uint64(len(peers)))]
		key := p<<16 | rng.IntN(20) // few ids per peer: windows overflow
		abs := uint32(rng.IntN(1000))
		switch rng.IntN(3) {
		case 0, 1:
			d.set(key, abs)
			ref[key] = abs
		case 2:
			if a, ok := ref[key]; ok && rng.IntN(2) == 0 {
				abs = a // usually delete the current value
			}
			d.del(key, abs)
			if a, ok := ref[key]; ok && a == abs {
				delete(ref, key)
			}
		}
		got, ok := d.get(key)
		want, wok := ref[key]
		if ok != wok || got != want {
			t.Fatalf("op %d: get(%#x) = %d, %v; map has %d, %v", op, key, got, ok, want, wok)
		}
	}
	for key, want := range ref {
		if got, ok := d.get(key); !ok || got != want {
			t.Fatalf("final get(%#x) = %d, %v; want %d", key, got, ok, want)
		}
	}
}
