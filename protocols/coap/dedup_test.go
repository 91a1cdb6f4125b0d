package coap

import (
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// TestDedupIndexLikeAMap drives dedupIndex as the server does — indices
// handed out in ring order, the oldest expiring, expired overflow entries
// removed — and a plain map alongside, and compares every lookup: dense and
// huge peers, more live ids per peer than the window holds, indices
// wrapping past 2³².
func TestDedupIndexLikeAMap(t *testing.T) {
	rng := sim.NewStream(1, "dedup", "test")
	var d dedupIndex
	ref := map[uint64]uint32{}
	peers := []uint64{0, 1, 2, 7, 1000, maxDensePeer + 3}
	next := uint32(1<<32 - 50_000)
	oldest := next
	for op := 0; op < 200_000; op++ {
		p := peers[rng.IntN(uint64(len(peers)))]
		key := p<<16 | rng.IntN(20) // few ids per peer: windows overflow
		if rng.IntN(3) < 2 {
			d.set(key, next, oldest)
			ref[key] = next
			next++
		} else { // the ring's oldest entries expire
			oldest += uint32(rng.IntN(uint64(next-oldest)/8 + 1))
			for k, a := range ref {
				if !live(a, oldest) {
					d.delOverflow(k, a)
					delete(ref, k)
				}
			}
		}
		got, ok := d.get(key, oldest)
		want, wok := ref[key]
		if ok != wok || got != want {
			t.Fatalf("op %d: get(%#x) = %d, %v; map has %d, %v", op, key, got, ok, want, wok)
		}
	}
	if next > 1<<31 {
		t.Fatalf("indices never wrapped (next %d): the test does not exercise it", next)
	}
	for key, want := range ref {
		if got, ok := d.get(key, oldest); !ok || got != want {
			t.Fatalf("final get(%#x) = %d, %v; want %d", key, got, ok, want)
		}
	}
	if len(d.overflow) > len(ref) {
		t.Errorf("overflow map holds %d entries for %d live keys: expired ones leak", len(d.overflow), len(ref))
	}
}
