package tcp

import (
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// BenchmarkBulkTransfer moves 1 MiB from one Conn to the other over the
// test wire (5 ms one way), handshake and close included. It reports the
// segments both ends handled per second of wall time; allocs/op shows
// that the Conns allocate nothing per segment (the harness reuses its
// queue).
func BenchmarkBulkTransfer(b *testing.B) {
	for _, bc := range []struct {
		name string
		drop func(from, k, kd int, seg Segment) bool
	}{
		{"lossless", nil},
		{"1pct-loss", func(from, k, kd int, seg Segment) bool { return k%100 == 0 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := DefaultParams()
			w := newWire(&p, 5*time.Millisecond)
			w.record = false
			w.drop = bc.drop
			const size = 1 << 20
			segs := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				w.now, w.count, w.data = 0, [2]int{}, [2]int{}
				for j, e := range w.ends {
					e.c.Init(&p, uint32(i*7919+j*1000003))
					e.timer, e.delivered, e.acked, e.closed = 0, 0, 0, 0
					e.listening, e.closeOnPeerClose = j == 1, j == 1
				}
				a, r := w.a(), w.b()
				a.onEstablished = func(e *end) {
					e.c.Write(e, e.w.now, size)
					e.c.Close(e, e.w.now)
				}
				a.c.Connect(a, 0)
				w.run(sim.Never)
				if r.delivered != size || a.closed != Normal {
					b.Fatalf("delivered %d, closed %v", r.delivered, a.closed)
				}
				segs += w.count[0] + w.count[1]
			}
			b.ReportMetric(float64(segs)/b.Elapsed().Seconds(), "segments/s")
			b.ReportMetric(float64(segs)/float64(b.N), "segments/op")
		})
	}
}
