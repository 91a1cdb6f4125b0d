package tcp

import (
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/iotsim/iotsim/sim"
)

// sentTimes are the times at which e sent segments that match f.
func sentTimes(e *end, f func(Segment) bool) []sim.Time {
	var ts []sim.Time
	for _, s := range e.sent {
		if f(s.seg) {
			ts = append(ts, s.at)
		}
	}
	return ts
}

func isSyn(s Segment) bool    { return s.Flags&(SYN|ACK) == SYN }
func isSynAck(s Segment) bool { return s.Flags&(SYN|ACK) == SYN|ACK }
func isData(s Segment) bool   { return s.Len > 0 }

func secs(ss ...int64) []sim.Time {
	ts := make([]sim.Time, len(ss))
	for i, s := range ss {
		ts[i] = ms(s)
	}
	return ts
}

// established sets up a connection over w and runs it until time at.
func established(t *testing.T, w *wire, at sim.Time) (a, b *end) {
	t.Helper()
	a, b = w.a(), w.b()
	a.c.Connect(a, 0)
	w.run(at)
	if a.c.State() != Established || b.c.State() != Established {
		t.Fatalf("after the handshake: states %v, %v; want ESTABLISHED", a.c.State(), b.c.State())
	}
	return a, b
}

func TestHandshake(t *testing.T) {
	p := DefaultParams()
	w := newWire(&p, 10*time.Millisecond)
	a, b := established(t, w, ms(1000))
	if a.established != ms(20) || b.established != ms(30) {
		t.Errorf("established at %v (active), %v (passive); want 20ms, 30ms", a.established, b.established)
	}
	type seg struct {
		at          sim.Time
		flags       Flags
		seq, ack    uint32
		wire        int
		fromPassive bool
	}
	var got []seg
	for _, e := range w.ends {
		for _, s := range e.sent {
			got = append(got, seg{s.at, s.seg.Flags, s.seg.Seq, s.seg.Ack, s.seg.WireBytes(), e == b})
		}
	}
	want := []seg{
		{0, SYN, 1000, 0, 60, false},
		{ms(20), ACK, 1001, 1000001, 52, false},
		{ms(10), SYN | ACK, 1000000, 1001, 60, true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("handshake segments\n got %+v\nwant %+v", got, want)
	}
	for _, e := range w.ends {
		if e.c.SRTT() != 20*time.Millisecond || e.c.RTO() != 200*time.Millisecond {
			t.Errorf("end %d: SRTT %v, RTO %v; want 20ms, 200ms (the floor)", e.id, e.c.SRTT(), e.c.RTO())
		}
	}
}

func TestSynRetransmission(t *testing.T) {
	tests := []struct {
		name            string
		drop            func(from, k, kd int, seg Segment) bool
		wantSyn         []sim.Time
		wantSynAck      []sim.Time
		wantEstablished sim.Time // of the active end; -1 = never
		wantClosed      [2]CloseReason
		wantClosedAt    [2]sim.Time
		wantRTO         time.Duration // of the active end once established
	}{
		{
			name:            "every SYN lost",
			drop:            func(from, k, kd int, seg Segment) bool { return from == 0 },
			wantSyn:         secs(0, 1000, 3000, 7000, 15000, 31000, 63000),
			wantEstablished: -1,
			wantClosed:      [2]CloseReason{ConnectFailed, 0},
			wantClosedAt:    [2]sim.Time{ms(127000), 0},
		},
		{
			name:            "first SYN lost",
			drop:            func(from, k, kd int, seg Segment) bool { return from == 0 && k == 1 },
			wantSyn:         secs(0, 1000),
			wantSynAck:      secs(1010),
			wantEstablished: ms(1020),
			wantRTO:         3 * time.Second, // RFC 6298 §5.7: no sample, fallback
		},
		{
			name: "first SYN-ACK lost",
			drop: func(from, k, kd int, seg Segment) bool { return from == 1 && k == 1 },
			// At 1.01 s the passive end answers the retransmitted SYN and
			// then its own timer expires: two SYN-ACKs.
			wantSyn:         secs(0, 1000),
			wantSynAck:      secs(10, 1010, 1010),
			wantEstablished: ms(1020),
			wantRTO:         3 * time.Second,
		},
		{
			name:            "every SYN-ACK lost",
			drop:            func(from, k, kd int, seg Segment) bool { return from == 1 },
			wantSyn:         secs(0, 1000, 3000, 7000, 15000, 31000, 63000),
			wantSynAck:      secs(10, 1010, 1010, 3010, 3010, 7010, 7010, 15010, 15010, 31010, 31010, 63010),
			wantEstablished: -1,
			// tcp_synack_retries = 5: the passive end gives up 63 s after its
			// first SYN-ACK.
			wantClosed:   [2]CloseReason{ConnectFailed, ConnectFailed},
			wantClosedAt: [2]sim.Time{ms(127000), ms(63010)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			w := newWire(&p, 10*time.Millisecond)
			w.drop = tc.drop
			a, b := w.a(), w.b()
			a.c.Connect(a, 0)
			w.run(ms(200000))
			if got := sentTimes(a, isSyn); !slices.Equal(got, tc.wantSyn) {
				t.Errorf("SYNs sent at %v; want %v", got, tc.wantSyn)
			}
			if got := sentTimes(b, isSynAck); !slices.Equal(got, tc.wantSynAck) {
				t.Errorf("SYN-ACKs sent at %v; want %v", got, tc.wantSynAck)
			}
			if a.established != tc.wantEstablished {
				t.Errorf("established at %v; want %v", a.established, tc.wantEstablished)
			}
			for i, e := range []*end{a, b} {
				if e.closed != tc.wantClosed[i] || e.closed != 0 && e.closedAt != tc.wantClosedAt[i] {
					t.Errorf("end %d: Closed(%v) at %v; want Closed(%v) at %v", i, e.closed, e.closedAt,
						tc.wantClosed[i], tc.wantClosedAt[i])
				}
			}
			if tc.wantRTO != 0 && a.c.RTO() != tc.wantRTO {
				t.Errorf("RTO after a lossy handshake = %v; want %v", a.c.RTO(), tc.wantRTO)
			}
			if tc.wantEstablished >= 0 && a.c.Cwnd() != int(p.MSS)*p.InitialCwnd {
				t.Errorf("cwnd after one lost handshake segment = %d; want %d", a.c.Cwnd(), p.MSS*p.InitialCwnd)
			}
		})
	}
}

func TestRTOEstimate(t *testing.T) {
	tests := []struct {
		name                string
		delay               time.Duration // one-way, during the handshake
		laterDelay          time.Duration // one-way, for one data exchange after it (0: none)
		srtt, rttvar, rto   time.Duration
		wantRTOAfterBackoff []time.Duration
	}{
		// RTO = max(200 ms, SRTT + max(G, 4·RTTVAR)), at most 120 s.
		{name: "floor", delay: 10 * time.Millisecond,
			srtt: 20 * time.Millisecond, rttvar: 10 * time.Millisecond, rto: 200 * time.Millisecond},
		{name: "formula", delay: 50 * time.Millisecond,
			srtt: 100 * time.Millisecond, rttvar: 50 * time.Millisecond, rto: 300 * time.Millisecond},
		{name: "long", delay: 5 * time.Second,
			srtt: 10 * time.Second, rttvar: 5 * time.Second, rto: 30 * time.Second},
		{name: "cap", delay: 30 * time.Second,
			srtt: 60 * time.Second, rttvar: 30 * time.Second, rto: 120 * time.Second},
		// Second sample R = 180 ms: RTTVAR = 3/4·50 + 1/4·|100−180| = 57.5 ms,
		// SRTT = 7/8·100 + 1/8·180 = 110 ms, RTO = 110 + 230 = 340 ms.
		{name: "second sample", delay: 50 * time.Millisecond, laterDelay: 90 * time.Millisecond,
			srtt: 110 * time.Millisecond, rttvar: 57500 * time.Microsecond, rto: 340 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.DelayedAck = 0
			p.InitialRTO = 100 * time.Second // so that long handshakes give a sample
			w := newWire(&p, tc.delay)
			a, _ := established(t, w, ms(200000))
			if tc.laterDelay != 0 {
				w.delay = [2]time.Duration{tc.laterDelay, tc.laterDelay}
				a.c.Write(a, w.now, 100)
				w.run(w.now.Add(10 * time.Second))
			}
			if a.c.SRTT() != tc.srtt || a.c.RTTVar() != tc.rttvar || a.c.RTO() != tc.rto {
				t.Errorf("SRTT, RTTVAR, RTO = %v, %v, %v; want %v, %v, %v",
					a.c.SRTT(), a.c.RTTVar(), a.c.RTO(), tc.srtt, tc.rttvar, tc.rto)
			}
		})
	}
}

func TestRTOBackoff(t *testing.T) {
	p := DefaultParams()
	w := newWire(&p, 50*time.Millisecond) // RTO 300 ms
	a, _ := established(t, w, ms(1000))
	w.drop = func(from, k, kd int, seg Segment) bool { return from == 0 && kd > 0 }
	a.c.Write(a, w.now, 100)
	var rtos []time.Duration
	for range 12 {
		rtos = append(rtos, a.c.RTO())
		w.run(a.timer)
	}
	sends := sentTimes(a, isData)
	var gaps []time.Duration
	for i := 1; i < len(sends); i++ {
		gaps = append(gaps, sends[i].Sub(sends[i-1]))
	}
	want := []time.Duration{300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, 120000, 120000, 120000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(gaps, want) {
		t.Errorf("gaps between retransmissions %v; want %v", gaps, want)
	}
	if !slices.Equal(rtos, want) {
		t.Errorf("RTO before each expiry %v; want %v", rtos, want)
	}
	if st := a.c.Stats(); st.Timeouts != 12 || st.Retransmits != 12 {
		t.Errorf("stats %+v; want 12 timeouts and retransmissions", st)
	}
}

func TestAbortTiming(t *testing.T) {
	tests := []struct {
		name        string
		delay       time.Duration
		userTimeout time.Duration
		wantAfter   time.Duration // from the first transmission
		wantReason  CloseReason
		wantRetrans uint32
	}{
		// RTO 200 ms: the 16th expiry falls exactly at the budget,
		// 0.2·(2^10 − 1) + 6·120 = 924.6 s.
		{"retries2 from the 200 ms floor", 10 * time.Millisecond, 0, 924600 * time.Millisecond, Timeout, 15},
		// RTO 300 ms: expiries at 0.3·(2^k − 1) up to 153.3 s, then every
		// 120 s; the first at or after 924.6 s is 993.3 s.
		{"retries2 from 300 ms", 50 * time.Millisecond, 0, 993300 * time.Millisecond, Timeout, 15},
		// Expiries at 0.2, 0.6, 1.4, 3.0, 6.2 s; the next is cut to 10 s.
		{"user timeout", 10 * time.Millisecond, 10 * time.Second, 10 * time.Second, UserTimeout, 5},
		{"user timeout from 300 ms", 50 * time.Millisecond, 30 * time.Second, 30 * time.Second, UserTimeout, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.UserTimeout = tc.userTimeout
			w := newWire(&p, tc.delay)
			a, b := established(t, w, ms(1000))
			w.drop = func(from, k, kd int, seg Segment) bool { return from == 0 && kd > 0 }
			a.c.Write(a, w.now, 500)
			t0 := w.now
			w.run(ms(2000000))
			if a.closed != tc.wantReason || a.closedAt.Sub(t0) != tc.wantAfter {
				t.Errorf("Closed(%v) %v after the first transmission; want Closed(%v) after %v",
					a.closed, a.closedAt.Sub(t0), tc.wantReason, tc.wantAfter)
			}
			if got := a.c.Stats().Retransmits; got != tc.wantRetrans {
				t.Errorf("%d retransmissions; want %d", got, tc.wantRetrans)
			}
			if b.delivered != 0 {
				t.Errorf("peer got %d bytes through a cut link", b.delivered)
			}
		})
	}
}

func TestInOrderDelivery(t *testing.T) {
	mss := DefaultMSS
	tests := []struct {
		name           string
		drop           func(from, k, kd int, seg Segment) bool
		extra          func(from, k, kd int, seg Segment) time.Duration
		wantDeliveries []int
		wantFast       uint32
		wantTimeouts   uint32
	}{
		{name: "no loss",
			wantDeliveries: []int{mss, mss, mss, mss, mss, mss, mss, mss, mss, mss}},
		// Nothing past the gap is delivered until the retransmission fills it.
		{name: "third lost",
			drop:           func(from, k, kd int, seg Segment) bool { return from == 0 && kd == 3 },
			wantDeliveries: []int{mss, mss, 8 * mss}, wantFast: 1},
		{name: "second and third swapped",
			extra: func(from, k, kd int, seg Segment) time.Duration {
				switch {
				case from == 0 && kd == 2:
					return 1
				case from == 0 && kd >= 4:
					return 2
				}
				return 0
			},
			wantDeliveries: []int{mss, 2 * mss, mss, mss, mss, mss, mss, mss, mss}},
		// Reordering deeper than three segments looks like loss to
		// duplicate-ACK counting: one spurious fast retransmit.
		{name: "second overtaken by eight",
			extra: func(from, k, kd int, seg Segment) time.Duration {
				if from == 0 && kd == 2 {
					return 5 * time.Millisecond
				}
				return 0
			},
			wantDeliveries: []int{mss, 9 * mss}, wantFast: 1},
		// Fast retransmit repairs the first hole, a NewReno partial ACK the
		// second.
		{name: "first and last lost",
			drop:           func(from, k, kd int, seg Segment) bool { return from == 0 && (kd == 1 || kd == 10) },
			wantDeliveries: []int{9 * mss, mss}, wantFast: 1},
		// The tail segment has no followers to raise duplicate ACKs: RTO.
		{name: "last lost",
			drop:           func(from, k, kd int, seg Segment) bool { return from == 0 && kd == 10 },
			wantDeliveries: []int{mss, mss, mss, mss, mss, mss, mss, mss, mss, mss}, wantTimeouts: 1},
		{name: "every other lost once",
			drop: func(from, k, kd int, seg Segment) bool {
				return from == 0 && kd <= 10 && kd%2 == 0
			},
			wantDeliveries: []int{mss, 2 * mss, 2 * mss, 2 * mss, 2 * mss, mss}, wantFast: 1},
		{name: "ACKs lost",
			drop:           func(from, k, kd int, seg Segment) bool { return from == 1 && k >= 2 && k <= 4 },
			wantDeliveries: []int{mss, mss, mss, mss, mss, mss, mss, mss, mss, mss}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			w := newWire(&p, 10*time.Millisecond)
			a, b := established(t, w, ms(1000))
			w.drop, w.extra = tc.drop, tc.extra
			a.c.Write(a, w.now, 10*mss)
			w.run(ms(100000))
			var got []int
			for _, d := range b.deliveries {
				got = append(got, d.n)
			}
			if !slices.Equal(got, tc.wantDeliveries) {
				t.Errorf("Deliver calls %v; want %v", got, tc.wantDeliveries)
			}
			if b.delivered != 10*mss || a.acked != 10*mss {
				t.Errorf("delivered %d, acked %d; want %d both", b.delivered, a.acked, 10*mss)
			}
			st := a.c.Stats()
			if st.FastRetransmits != tc.wantFast || st.Timeouts != tc.wantTimeouts {
				t.Errorf("fast retransmits %d, timeouts %d; want %d, %d",
					st.FastRetransmits, st.Timeouts, tc.wantFast, tc.wantTimeouts)
			}
			if a.c.InFlight() != 0 || a.c.Unsent() != 0 {
				t.Errorf("in flight %d, unsent %d after the transfer", a.c.InFlight(), a.c.Unsent())
			}
		})
	}
}

func TestFastRetransmitBeatsRTO(t *testing.T) {
	p := DefaultParams()
	w := newWire(&p, 10*time.Millisecond)
	a, _ := established(t, w, ms(1000))
	w.drop = func(from, k, kd int, seg Segment) bool { return from == 0 && kd == 3 }
	a.c.Write(a, w.now, 10*p.MSS)
	t0 := w.now
	w.run(ms(100000))
	third := uint32(1001 + 2*p.MSS)
	var sends []sim.Time
	for _, s := range a.sent {
		if s.seg.Seq == third && s.seg.Len > 0 {
			sends = append(sends, s.at)
		}
	}
	// Segments 4–6 reach the receiver at t0+10ms; their duplicate ACKs are
	// back at t0+20ms, long before the 200 ms RTO.
	if want := []sim.Time{t0, t0.Add(20 * time.Millisecond)}; !slices.Equal(sends, want) {
		t.Errorf("third segment sent at %v; want %v", sends, want)
	}
	// At the third duplicate ACK 8 segments are in flight: ssthresh = 4
	// segments, and the window deflates to it when recovery ends.
	if got := a.c.Cwnd(); got != 4*p.MSS {
		t.Errorf("cwnd after recovery %d; want ssthresh = %d", got, 4*p.MSS)
	}
}

func TestDelayedAck(t *testing.T) {
	tests := []struct {
		name     string
		delayed  time.Duration
		segments int
		wantAcks []sim.Time // times the receiver sent pure ACKs, after the handshake
	}{
		{"one segment waits 40 ms", 40 * time.Millisecond, 1, secs(1090)},
		{"every second full segment at once", 40 * time.Millisecond, 4, secs(1050, 1050)},
		{"odd tail waits", 40 * time.Millisecond, 3, secs(1050, 1090)},
		{"immediate", 0, 3, secs(1050, 1050, 1050)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.DelayedAck = tc.delayed
			w := newWire(&p, 50*time.Millisecond)
			a, b := established(t, w, ms(1000))
			a.c.Write(a, w.now, tc.segments*p.MSS)
			w.run(ms(5000))
			got := sentTimes(b, func(s Segment) bool { return s.Flags == ACK })
			if !slices.Equal(got, tc.wantAcks) {
				t.Errorf("ACKs at %v; want %v", got, tc.wantAcks)
			}
		})
	}
}

func TestClose(t *testing.T) {
	tests := []struct {
		name         string
		timeWait     time.Duration
		drop         func(from, k, kd int, seg Segment) bool
		script       func(w *wire, a, b *end)
		wantClosed   [2]CloseReason
		wantClosedAt [2]sim.Time
		wantBytes    [2]int // delivered to A, to B
	}{
		{
			name: "active close, peer closes on EOF",
			script: func(w *wire, a, b *end) {
				b.closeOnPeerClose = true
				a.c.Write(a, w.now, 1000)
				a.c.Close(a, w.now)
			},
			wantClosed:   [2]CloseReason{Normal, Normal},
			wantClosedAt: [2]sim.Time{ms(1020), ms(1030)},
			wantBytes:    [2]int{0, 1000},
		},
		{
			name: "with TIME-WAIT",
			script: func(w *wire, a, b *end) {
				b.closeOnPeerClose = true
				a.c.Close(a, w.now)
			},
			timeWait:     60 * time.Second,
			wantClosed:   [2]CloseReason{Normal, Normal},
			wantClosedAt: [2]sim.Time{ms(61020), ms(1030)},
		},
		{
			// The data's delayed ACK (at 1.06 s) restarts the timer; the FIN
			// goes again 200 ms later.
			name: "FIN lost once",
			drop: func(from, k, kd int, seg Segment) bool { return from == 0 && seg.Flags&FIN != 0 && k == 4 },
			script: func(w *wire, a, b *end) {
				b.closeOnPeerClose = true
				a.c.Write(a, w.now, 1000)
				a.c.Close(a, w.now)
			},
			wantClosed:   [2]CloseReason{Normal, Normal},
			wantClosedAt: [2]sim.Time{ms(1280), ms(1290)},
			wantBytes:    [2]int{0, 1000},
		},
		{
			name: "simultaneous close",
			script: func(w *wire, a, b *end) {
				a.c.Close(a, w.now)
				b.c.Close(b, w.now)
			},
			wantClosed:   [2]CloseReason{Normal, Normal},
			wantClosedAt: [2]sim.Time{ms(1020), ms(1020)},
		},
		{
			name: "half close: the peer keeps sending",
			script: func(w *wire, a, b *end) {
				a.c.Close(a, w.now)
				w.run(ms(2000))
				b.c.Write(b, w.now, 500)
				w.run(ms(3000))
				b.c.Close(b, w.now)
			},
			wantClosed:   [2]CloseReason{Normal, Normal},
			wantClosedAt: [2]sim.Time{ms(3010), ms(3020)},
			wantBytes:    [2]int{500, 0},
		},
		{
			name:         "FIN-WAIT-2 timeout",
			script:       func(w *wire, a, b *end) { a.c.Close(a, w.now) },
			wantClosed:   [2]CloseReason{Timeout, 0},
			wantClosedAt: [2]sim.Time{ms(61020), 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.TimeWait = tc.timeWait
			w := newWire(&p, 10*time.Millisecond)
			a, b := established(t, w, ms(1000))
			w.drop = tc.drop
			tc.script(w, a, b)
			w.run(ms(200000))
			for i, e := range []*end{a, b} {
				if e.closed != tc.wantClosed[i] || e.closed != 0 && e.closedAt != tc.wantClosedAt[i] {
					t.Errorf("end %d: Closed(%v) at %v; want Closed(%v) at %v", i, e.closed, e.closedAt,
						tc.wantClosed[i], tc.wantClosedAt[i])
				}
				if e.delivered != tc.wantBytes[i] {
					t.Errorf("end %d: %d bytes delivered; want %d", i, e.delivered, tc.wantBytes[i])
				}
			}
			if b.closed == 0 && (b.c.State() != CloseWait || !b.c.PeerClosed() || b.peerClosed != ms(1010)) {
				t.Errorf("open peer: state %v, PeerClosed %v at %v; want CLOSE-WAIT after a FIN at 1.01s",
					b.c.State(), b.c.PeerClosed(), b.peerClosed)
			}
		})
	}
}

func TestReset(t *testing.T) {
	tests := []struct {
		name         string
		listen       bool
		script       func(w *wire, a, b *end)
		wantClosed   [2]CloseReason
		wantClosedAt [2]sim.Time
		wantRST      Segment // the reset that crossed, wire size aside
		wantRSTWire  int
	}{
		{
			name:         "abort sends a reset",
			listen:       true,
			script:       func(w *wire, a, b *end) { a.c.Abort(a, w.now) },
			wantClosed:   [2]CloseReason{LocalAbort, PeerReset},
			wantClosedAt: [2]sim.Time{ms(1000), ms(1010)},
			wantRST:      Segment{Seq: 1001, Ack: 1000001, Flags: RST | ACK},
			wantRSTWire:  52,
		},
		{
			name:         "connection refused",
			wantClosed:   [2]CloseReason{Refused, 0},
			wantClosedAt: [2]sim.Time{ms(20), 0},
			wantRST:      Segment{Ack: 1001, Flags: RST | ACK | NoOpts},
			wantRSTWire:  40,
		},
		{
			name:   "peer lost its state",
			listen: true,
			script: func(w *wire, a, b *end) {
				b.c.Init(a.c.p, 7) // the peer rebooted
				a.c.Write(a, w.now, 100)
			},
			wantClosed:   [2]CloseReason{PeerReset, 0},
			wantClosedAt: [2]sim.Time{ms(1020), 0},
			wantRST:      Segment{Seq: 1000001, Flags: RST | NoOpts},
			wantRSTWire:  40,
		},
		{
			name:   "reset out of window is ignored",
			listen: true,
			script: func(w *wire, a, b *end) {
				a.c.Receive(a, w.now, Segment{Seq: 5, Flags: RST})
			},
			wantClosed: [2]CloseReason{0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			w := newWire(&p, 10*time.Millisecond)
			a, b := w.a(), w.b()
			b.listening = tc.listen
			a.c.Connect(a, 0)
			w.run(ms(1000))
			if tc.script != nil {
				tc.script(w, a, b)
			}
			w.run(ms(200000))
			for i, e := range []*end{a, b} {
				if e.closed != tc.wantClosed[i] || e.closed != 0 && e.closedAt != tc.wantClosedAt[i] {
					t.Errorf("end %d: Closed(%v) at %v; want Closed(%v) at %v", i, e.closed, e.closedAt,
						tc.wantClosed[i], tc.wantClosedAt[i])
				}
			}
			var rst []Segment
			for _, e := range w.ends {
				for _, s := range e.sent {
					if s.seg.Flags&RST != 0 {
						s.seg.Wnd, s.seg.TSval, s.seg.TSecr = 0, 0, 0
						rst = append(rst, s.seg)
					}
				}
			}
			if tc.wantRSTWire == 0 {
				if len(rst) != 0 {
					t.Errorf("resets sent: %+v; want none", rst)
				}
				return
			}
			if len(rst) != 1 || rst[0] != tc.wantRST || rst[0].WireBytes() != tc.wantRSTWire {
				t.Errorf("resets sent: %+v; want one %+v of %d bytes", rst, tc.wantRST, tc.wantRSTWire)
			}
		})
	}
}

// TestReentrantApplication has the peer answer every delivery from inside
// Deliver, as an MQTT broker answers PUBLISH with PUBACK: the answer must
// carry the ACK (no separate pure ACK) and everything must arrive.
func TestReentrantApplication(t *testing.T) {
	p := DefaultParams()
	w := newWire(&p, 10*time.Millisecond)
	a, b := established(t, w, ms(1000))
	b.onDeliver = func(e *end, n int) { e.c.Write(e, e.w.now, 4) }
	for i := 0; i < 5; i++ {
		a.c.Write(a, w.now, 20)
		w.run(w.now.Add(time.Second))
	}
	if b.delivered != 100 || a.delivered != 20 || b.acked != 20 {
		t.Errorf("delivered %d to B, %d to A, B acked %d; want 100, 20, 20", b.delivered, a.delivered, b.acked)
	}
	if got := sentTimes(b, func(s Segment) bool { return s.Flags == ACK }); len(got) != 0 {
		t.Errorf("B sent pure ACKs at %v; want none", got)
	}
}

func TestBadInput(t *testing.T) {
	p := DefaultParams()
	w := newWire(&p, 10*time.Millisecond)
	a, b := established(t, w, ms(1000))
	for _, seg := range []Segment{
		{Seq: 1000001, Ack: 1001, Flags: ACK, Len: -1},
		{Seq: 1000001, Ack: 1001, Flags: ACK, Len: 1<<31 - 1},
		{Seq: 1000001, Ack: 99999, Flags: ACK},
		{Seq: 1000001, Flags: 0xff &^ RST},
		{Seq: 3000000000, Ack: 1001, Flags: ACK | FIN, Len: 10},
	} {
		a.c.Receive(a, w.now, seg)
	}
	a.c.Write(a, w.now, -3)
	a.c.Write(a, w.now, maxQueued+1)
	if got := a.c.Stats().BytesRefused; got != maxQueued+1 {
		t.Errorf("BytesRefused = %d; want %d", got, maxQueued+1)
	}
	b.c.Accept(b, w.now, Segment{Flags: SYN})
	w.run(ms(3000))
	if a.c.State() == Closed && a.closed != PeerReset {
		t.Errorf("bad input closed the connection: %v", a.closed)
	}
	var zero Conn
	zero.Connect(a, 0) // not initialised: ignored
	zero.Write(a, 0, 5)
	zero.OnTimer(a, 0)
	if zero.State() != Closed || zero.RTO() != 0 {
		t.Errorf("uninitialised Conn moved to %v", zero.State())
	}
}

func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 256 {
		t.Errorf("Conn is %d bytes; want at most 256", n)
	}
	if n := unsafe.Sizeof(Segment{}); n > 32 {
		t.Errorf("Segment is %d bytes; want at most 32", n)
	}
}

// TestBadParamsTerminate drives Conns with nonsense Params: they must not
// panic or retransmit forever at one instant.
func TestBadParamsTerminate(t *testing.T) {
	for _, p := range []Params{
		{},
		{MSS: -5, SynRetries: 1000, Retries2: 1000},
		{MSS: 1, InitialRTO: -1, MinRTO: -1, MaxRTO: -1, InitialCwnd: -1, RcvWnd: -1},
	} {
		w := newWire(&p, 10*time.Millisecond)
		w.record = false
		w.drop = func(from, k, kd int, seg Segment) bool { return k > 3 }
		a := w.a()
		a.onEstablished = func(e *end) { e.c.Write(e, e.w.now, 5000) }
		a.c.Connect(a, 0)
		w.run(ms(100000000))
		if w.count[0] > 2000 || a.closed == 0 {
			t.Errorf("Params %+v: %d segments sent, closed %v", p, w.count[0], a.closed)
		}
	}
}
