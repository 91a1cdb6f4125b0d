package tcp

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// TestRandomLossAndReordering runs many transfers in both directions over a
// wire that loses and delays segments at random (fixed seeds), and checks
// what must hold whatever the pattern: every byte is delivered once and in
// order, acknowledged bytes never exceed delivered ones, and the
// connection ends normally.
func TestRandomLossAndReordering(t *testing.T) {
	for seed := range uint64(300) {
		rng := sim.NewStream(seed, "tcp-test", "wire")
		loss := []float64{0, 0.01, 0.05, 0.2, 0.4}[seed%5]
		jitter := time.Duration(seed%3) * 7 * time.Millisecond
		sizes := [2]int{int(rng.IntN(200000)), int(rng.IntN(5000))}
		t.Run(fmt.Sprintf("seed%d-loss%v", seed, loss), func(t *testing.T) {
			p := DefaultParams()
			if seed%5 == 0 {
				p.DelayedAck = 0
			}
			if seed%7 == 0 {
				p.TimeWait = 60 * time.Second
			}
			if seed%11 == 0 {
				p.RcvWnd = 4000 // the peer's window limits, not cwnd
			}
			if seed%13 == 0 {
				p.Nagle = true
			}
			if seed%6 == 1 {
				p.MSS = 536
			}
			w := newWire(&p, 20*time.Millisecond)
			w.record = false
			if int64(seed) == *traceSeed {
				w.trace = &strings.Builder{}
				defer func() { t.Log("\n" + w.trace.String()) }()
			}
			w.drop = func(from, k, kd int, seg Segment) bool { return rng.Bernoulli(loss) }
			w.extra = func(from, k, kd int, seg Segment) time.Duration {
				if jitter == 0 {
					return 0
				}
				return time.Duration(rng.IntN(uint64(jitter)))
			}
			a, b := w.a(), w.b()
			b.closeOnPeerClose = true
			a.onEstablished = func(e *end) {
				e.c.Write(e, e.w.now, sizes[0])
				e.c.Close(e, e.w.now)
			}
			b.onEstablished = func(e *end) { e.c.Write(e, e.w.now, sizes[1]) }
			a.c.Connect(a, 0)
			w.run(ms(3600 * 1000))
			// What holds whatever the loss: nothing is delivered twice or
			// acknowledged before the peer got it, and a normal close means
			// everything went through both ways.
			for _, d := range [2][2]*end{{a, b}, {b, a}} {
				snd, rcv := d[0], d[1]
				if rcv.delivered > sizes[snd.id] || snd.acked > rcv.delivered {
					t.Errorf("end %d: %d written, %d delivered to the peer, %d acknowledged",
						snd.id, sizes[snd.id], rcv.delivered, snd.acked)
				}
				if snd.closed == Normal && (snd.acked != sizes[snd.id] || snd.delivered != sizes[rcv.id]) {
					t.Errorf("end %d closed normally with %d of %d acknowledged, %d of %d received",
						snd.id, snd.acked, sizes[snd.id], snd.delivered, sizes[rcv.id])
				}
			}
			if loss > 0.2 || a.closed == ConnectFailed {
				return // 40% loss may well time out; 7 lost SYNs fail at 20%
			}
			if a.closed == Timeout || b.closed == Timeout {
				// At 20% loss, runs of losses in both directions can
				// exhaust the retries, or back the passive end off past
				// the active end's FinTimeout.
				return
			}
			if b.delivered != sizes[0] || a.delivered != sizes[1] {
				t.Errorf("delivered %d and %d; want %d and %d", b.delivered, a.delivered, sizes[0], sizes[1])
			}
			// Without TIME-WAIT the active end's last ACK, if lost, is never
			// repeated: the passive end then meets a reset and misses it.
			if a.acked != sizes[0] || b.acked != sizes[1] && b.closed != PeerReset {
				t.Errorf("acked %d and %d; want %d and %d", a.acked, b.acked, sizes[0], sizes[1])
			}
			if a.closed != Normal || b.closed != Normal && !(b.closed == PeerReset && p.TimeWait == 0) {
				t.Errorf("closed %v and %v; want normal", a.closed, b.closed)
			}
			if len(a.c.ooo) > maxRanges || len(b.c.ooo) > maxRanges {
				t.Errorf("out-of-order lists grew past the bound")
			}
		})
	}
}

// traceSeed prints the segment trace of one seed: go test -run Random -traceseed 17 -v.
var traceSeed = flag.Int64("traceseed", -1, "log the wire trace of this seed in TestRandomLossAndReordering")
