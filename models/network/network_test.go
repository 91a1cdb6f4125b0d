package network

import (
	"testing"
	"time"

	"github.com/iotsim/iotsim/models/link"
	"github.com/iotsim/iotsim/sim"
)

type arrival struct {
	at   sim.Time
	dst  NodeID
	kind uint16
}

type recorder struct{ got []arrival }

func (r *recorder) Receive(now sim.Time, p *Packet) {
	r.got = append(r.got, arrival{now, p.Dst, p.Kind})
}

type hop struct {
	via    string
	up     bool
	reason link.DropReason
}

type hops struct {
	n    *Network
	seen []hop
}

func (h *hops) Hop(now sim.Time, via NodeID, up bool, p *Packet, reason link.DropReason) {
	h.seen = append(h.seen, hop{h.n.Name(via), up, reason})
}

func constant(d time.Duration) *link.Params {
	return &link.Params{Delay: link.DelayConstant, Value: d}
}

// world builds core ─┬─ broker (5 ms)
//
//	├─ gw (2 ms) ─┬─ dev0 (20 ms)
//	│             └─ dev1 (20 ms)
//	└─ dev2 (20 ms)
func world(t *testing.T) (*sim.Kernel, *Network, *hops, map[string]NodeID) {
	t.Helper()
	k := sim.NewKernel()
	h := &hops{}
	n := New(k, 1, h)
	h.n = n
	ids := map[string]NodeID{}
	ids["broker"] = n.AddNode("broker", "backhaul", constant(5*time.Millisecond), Core)
	ids["gw"] = n.AddNode("gw", "backhaul2", constant(2*time.Millisecond), Core)
	wifi := constant(20 * time.Millisecond)
	ids["dev0"] = n.AddNode("dev0", "wifi", wifi, ids["gw"])
	ids["dev1"] = n.AddNode("dev1", "wifi", wifi, ids["gw"])
	ids["dev2"] = n.AddNode("dev2", "wifi", wifi, Core)
	return k, n, h, ids
}

func TestRoutesAndOneWayDelays(t *testing.T) {
	tests := []struct {
		name     string
		src, dst string
		delay    time.Duration
		path     []hop
	}{
		{"device to broker over the core", "dev2", "broker", 25 * time.Millisecond,
			[]hop{{"dev2", true, 0}, {"broker", false, 0}}},
		{"broker to device", "broker", "dev2", 25 * time.Millisecond,
			[]hop{{"broker", true, 0}, {"dev2", false, 0}}},
		{"device behind a gateway to broker", "dev0", "broker", 27 * time.Millisecond,
			[]hop{{"dev0", true, 0}, {"gw", true, 0}, {"broker", false, 0}}},
		{"device to its own gateway", "dev0", "gw", 20 * time.Millisecond,
			[]hop{{"dev0", true, 0}}},
		{"two devices behind one gateway", "dev0", "dev1", 40 * time.Millisecond,
			[]hop{{"dev0", true, 0}, {"dev1", false, 0}}},
		{"broker to a device behind a gateway", "broker", "dev1", 27 * time.Millisecond,
			[]hop{{"broker", true, 0}, {"gw", false, 0}, {"dev1", false, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, n, h, ids := world(t)
			r := &recorder{}
			n.Attach(ids[tc.dst], r)
			n.Send(Packet{Src: ids[tc.src], Dst: ids[tc.dst], Bytes: 100, Kind: 7})
			k.Run(sim.Never)
			if len(r.got) != 1 || r.got[0].at != sim.Time(tc.delay) || r.got[0].kind != 7 {
				t.Fatalf("arrivals %+v; want one at %v", r.got, tc.delay)
			}
			if len(h.seen) != len(tc.path) {
				t.Fatalf("hops %+v; want %+v", h.seen, tc.path)
			}
			for i := range tc.path {
				if h.seen[i] != tc.path[i] {
					t.Fatalf("hops %+v; want %+v", h.seen, tc.path)
				}
			}
			if n.InFlight() != 0 {
				t.Errorf("%d packets still in flight", n.InFlight())
			}
		})
	}
}

func TestStatsCountTransmittersAndReceivers(t *testing.T) {
	k, n, _, ids := world(t)
	n.Send(Packet{Src: ids["dev0"], Dst: ids["broker"], Bytes: 100})
	k.Run(sim.Never)
	want := map[string]Stats{
		"dev0":   {PktsTx: 1, BytesTx: 100},
		"gw":     {PktsTx: 1, BytesTx: 100, PktsRx: 1, BytesRx: 100},
		"broker": {PktsRx: 1, BytesRx: 100},
		"dev1":   {},
	}
	for name, w := range want {
		if got := n.Stats(ids[name]); got != w {
			t.Errorf("Stats(%s) = %+v; want %+v", name, got, w)
		}
	}
}

func TestDropsAreReportedAndCountedOnlyWhenTransmitted(t *testing.T) {
	k := sim.NewKernel()
	h := &hops{}
	n := New(k, 1, h)
	h.n = n
	srv := n.AddNode("srv", "c", constant(0), Core)
	lossy := n.AddNode("lossy", "l", &link.Params{Loss: link.LossBernoulli, P: 1}, Core)
	down := n.AddNode("down", "o", &link.Params{Outages: []link.Window{{From: 0, To: sim.Time(time.Second)}}}, Core)
	r := &recorder{}
	n.Attach(srv, r)
	n.Send(Packet{Src: lossy, Dst: srv, Bytes: 50})
	n.Send(Packet{Src: down, Dst: srv, Bytes: 50})
	k.Run(sim.Never)
	if len(r.got) != 0 {
		t.Fatalf("arrivals %+v; want none", r.got)
	}
	want := []hop{{"lossy", true, link.DropLoss}, {"down", true, link.DropOutage}}
	if len(h.seen) != 2 || h.seen[0] != want[0] || h.seen[1] != want[1] {
		t.Fatalf("hops %+v; want %+v", h.seen, want)
	}
	// A lost packet was transmitted; one dropped by an outage never was.
	if s := n.Stats(lossy); s.PktsTx != 1 {
		t.Errorf("lossy sender stats %+v; want 1 packet sent", s)
	}
	if s := n.Stats(down); s.PktsTx != 0 {
		t.Errorf("sender during outage stats %+v; want nothing sent", s)
	}
	if n.InFlight() != 0 {
		t.Errorf("%d packets leaked", n.InFlight())
	}
}

func TestSendAllocatesNothingInSteadyState(t *testing.T) {
	k, n, _, ids := world(t)
	n.Attach(ids["broker"], &recorder{got: make([]arrival, 0, 1000)})
	send := func() {
		n.Send(Packet{Src: ids["dev0"], Dst: ids["broker"], Bytes: 100})
		k.Run(sim.Never)
	}
	for i := 0; i < 10; i++ {
		send()
	}
	if a := testing.AllocsPerRun(100, send); a != 0 {
		t.Errorf("Send+deliver allocates %v times; want 0", a)
	}
}

// echo answers every packet it receives with one back to the sender,
// and notes whether it was entered while already receiving.
type echo struct {
	n         *Network
	depth     int
	reentered bool
	got       []arrival
	left      int
}

func (e *echo) Receive(now sim.Time, p *Packet) {
	e.depth++
	if e.depth > 1 {
		e.reentered = true
	}
	e.got = append(e.got, arrival{now, p.Dst, p.Kind})
	if e.left > 0 {
		e.left--
		e.n.Send(Packet{Src: p.Dst, Dst: p.Src, Bytes: 10, Kind: p.Kind + 1})
	}
	e.depth--
}

// TestZeroDelayHops: hops over zero-delay links take no event, yet an
// endpoint is never entered while it (or another) is receiving: a reply
// sent from Receive is delivered when that Receive returns.
func TestZeroDelayHops(t *testing.T) {
	k := sim.NewKernel()
	n := New(k, 1, nil)
	zero := constant(0)
	a := n.AddNode("a", "z", zero, Core)
	b := n.AddNode("b", "z", zero, Core)
	e := &echo{n: n, left: 5}
	n.Attach(a, e)
	n.Attach(b, e)
	n.Send(Packet{Src: a, Dst: b, Bytes: 10, Kind: 1})
	k.Run(sim.Time(time.Second))
	if len(e.got) != 6 || e.reentered {
		t.Fatalf("%d arrivals, re-entered %v; want 6 and false", len(e.got), e.reentered)
	}
	for i, g := range e.got {
		if g.at != 0 || g.kind != uint16(i+1) {
			t.Errorf("arrival %d: %+v", i, g)
		}
	}
	// Zero-delay hops take no event, and replies wait for the current
	// Receive to return rather than for an event; only the first packet,
	// sent from outside any Receive, is delivered by an event.
	if ev := k.Events(); ev != 1 {
		t.Errorf("%d events; want 1", ev)
	}
	if st := n.Stats(b); st.PktsRx != 3 || st.PktsTx != 3 {
		t.Errorf("b stats %+v", st)
	}
}

// sender sends from a timer and must not be answered inside its own Send.
type sender struct {
	n        *Network
	from, to NodeID
	inSend   bool
	early    bool
	replies  int
}

func (s *sender) HandleEvent(k *sim.Kernel, ev sim.Event) {
	s.inSend = true
	s.n.Send(Packet{Src: s.from, Dst: s.to, Bytes: 10, Kind: 1})
	s.inSend = false
}

func (s *sender) Receive(now sim.Time, p *Packet) {
	if s.inSend {
		s.early = true
	}
	s.replies++
}

// TestZeroDelayReplyAfterSend: a packet sent from a timer over zero-delay
// links is answered at the same instant, but only after Send returned.
func TestZeroDelayReplyAfterSend(t *testing.T) {
	k := sim.NewKernel()
	n := New(k, 1, nil)
	a := n.AddNode("a", "z", constant(0), Core)
	b := n.AddNode("b", "z", constant(0), Core)
	s := &sender{n: n, from: a, to: b}
	n.Attach(a, s)
	n.Attach(b, &echo{n: n, left: 1})
	k.Schedule(sim.Time(time.Second), s, 0, 0)
	k.Run(sim.Time(2 * time.Second))
	if s.replies != 1 || s.early {
		t.Errorf("replies %d, answered inside Send: %v", s.replies, s.early)
	}
}
