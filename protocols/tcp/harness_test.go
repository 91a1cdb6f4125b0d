package tcp

import (
	"fmt"
	"strings"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// The test harness: two Conns joined by a scripted wire, driven by a tiny
// event loop (pending deliveries sorted by time, plus each end's timer).

// sentSeg is a segment as an end transmitted it.
type sentSeg struct {
	at  sim.Time
	seg Segment
}

// delivery is one Deliver call.
type delivery struct {
	at sim.Time
	n  int
}

// end is one side: its Conn and everything its env saw. It is the Env.
type end struct {
	c     Conn
	id    int
	w     *wire
	timer sim.Time

	sent        []sentSeg
	deliveries  []delivery
	delivered   int
	acked       int
	established sim.Time // -1 until Established
	closed      CloseReason
	closedAt    sim.Time
	peerClosed  sim.Time // -1 until PeerClosed

	// Reactions, as an application would have them.
	listening        bool // accept the next SYN
	closeOnPeerClose bool
	onDeliver        func(e *end, n int)
	onEstablished    func(e *end)
}

func (e *end) Send(seg Segment) {
	if e.w.record {
		e.sent = append(e.sent, sentSeg{e.w.now, seg})
	}
	e.w.transmit(e.id, seg)
}
func (e *end) SetTimer(at sim.Time) { e.timer = at }
func (e *end) Established() {
	e.established = e.w.now
	if e.onEstablished != nil {
		e.onEstablished(e)
	}
}
func (e *end) Acked(n int) { e.acked += n }
func (e *end) Deliver(n int) {
	e.delivered += n
	if e.w.record {
		e.deliveries = append(e.deliveries, delivery{e.w.now, n})
	}
	if e.onDeliver != nil {
		e.onDeliver(e, n)
	}
}
func (e *end) Closed(r CloseReason) { e.closed, e.closedAt = r, e.w.now }
func (e *end) PeerClosed() {
	e.peerClosed = e.w.now
	if e.closeOnPeerClose {
		e.c.Close(e, e.w.now)
	}
}

// pending is a segment on the wire.
type pending struct {
	at  sim.Time
	seq uint64
	to  int
	seg Segment
}

// wire joins two ends with a fixed one-way delay and a loss script.
type wire struct {
	now    sim.Time
	ends   [2]*end
	delay  [2]time.Duration // one-way delay of segments sent by end 0 and end 1
	q      []pending
	seq    uint64
	count  [2]int // segments sent by each end
	data   [2]int // data segments (Len > 0) sent by each end
	record bool
	trace  *strings.Builder

	// drop reports whether to lose a segment; k is its 1-based number among
	// all segments its sender sent, kd among its data segments (0 if none).
	drop func(from, k, kd int, seg Segment) bool
	// extra is added to the delay of a segment (to reorder).
	extra func(from, k, kd int, seg Segment) time.Duration
}

func newWire(p *Params, delay time.Duration) *wire {
	w := &wire{delay: [2]time.Duration{delay, delay}, record: true}
	for i := range w.ends {
		e := &end{id: i, w: w, established: -1, peerClosed: -1, listening: i == 1}
		e.c.Init(p, [2]uint32{1000, 1000000}[i])
		w.ends[i] = e
	}
	return w
}

func (w *wire) a() *end { return w.ends[0] }
func (w *wire) b() *end { return w.ends[1] }

func (w *wire) transmit(from int, seg Segment) {
	w.count[from]++
	kd := 0
	if seg.Len > 0 {
		w.data[from]++
		kd = w.data[from]
	}
	lost := w.drop != nil && w.drop(from, w.count[from], kd, seg)
	if w.trace != nil {
		mark := ""
		if lost {
			mark = " LOST"
		}
		fmt.Fprintf(w.trace, "%-12v %c>%c %-14v seq=%d ack=%d len=%d wire=%d%s\n", w.now, 'A'+from, 'B'-from,
			seg.Flags, seg.Seq, seg.Ack, seg.Len, seg.WireBytes(), mark)
	}
	if lost {
		return
	}
	at := w.now.Add(w.delay[from])
	if w.extra != nil {
		at = at.Add(w.extra(from, w.count[from], kd, seg))
	}
	w.seq++
	p := pending{at: at, seq: w.seq, to: 1 - from, seg: seg}
	i := len(w.q)
	for i > 0 && (w.q[i-1].at > at) {
		i--
	}
	w.q = append(w.q, pending{})
	copy(w.q[i+1:], w.q[i:])
	w.q[i] = p
}

// run fires events in time order until `until` or until nothing is left.
// Deliveries go first at equal times, then end A's timer, then end B's.
func (w *wire) run(until sim.Time) {
	for {
		at, which := sim.Never, -1
		if len(w.q) > 0 {
			at, which = w.q[0].at, 2
		}
		for i, e := range w.ends {
			if e.timer != 0 && e.timer < at {
				at, which = e.timer, i
			}
		}
		if which < 0 || at > until {
			if until != sim.Never && until > w.now {
				w.now = until
			}
			return
		}
		w.now = at
		if which == 2 {
			p := w.q[0]
			w.q = w.q[:copy(w.q, w.q[1:])]
			e := w.ends[p.to]
			if e.c.State() == Closed && e.listening && p.seg.Flags&(SYN|ACK|RST) == SYN {
				e.listening = false
				e.c.Accept(e, w.now, p.seg)
				continue
			}
			if e.c.State() == Closed {
				// No connection: answer as a host would.
				if r, ok := ResetFor(p.seg); ok {
					e.Send(r)
				}
				continue
			}
			e.c.Receive(e, w.now, p.seg)
			if w.trace != nil {
				fmt.Fprintf(w.trace, "%-12v %c got seq=%d ack=%d len=%d %v -> %v\n", w.now, 'A'+p.to, p.seg.Seq, p.seg.Ack, p.seg.Len, p.seg.Flags, e.c.State())
			}
			continue
		}
		e := w.ends[which]
		e.timer = 0
		e.c.OnTimer(e, w.now)
	}
}

// ms is a time of m milliseconds.
func ms(m int64) sim.Time { return sim.Time(m * int64(time.Millisecond)) }
