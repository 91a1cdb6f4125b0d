package coap

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// loop is a tiny deterministic event loop joining clients and one server
// over a wire with a fixed one-way delay and a scripted drop rule.
type loop struct {
	t       *testing.T
	now     sim.Time
	seq     int
	events  []loopEvent
	delay   time.Duration
	drop    func(toServer bool, m *Message, n int) bool // n: index of this message in its direction
	sent    [2]int
	times   []sim.Time // when each message was put on the wire
	srv     *Server
	clients []*testClient
	log     []string
	// server-side observations
	delivered []string
	notified  map[uint64]bool
	nextRef   uint64
}

type loopEvent struct {
	at  sim.Time
	seq int
	fn  func()
}

type testClient struct {
	l         *loop
	id        Peer
	c         Client
	rng       sim.Stream
	timerAt   sim.Time
	wakes     int // OnTimer calls at wokeAt
	wokeAt    sim.Time
	responses []string
	failures  []string
	notes     []string
	failedAt  sim.Time
}

func newLoop(t *testing.T, cfg ServerConfig) *loop {
	l := &loop{t: t, delay: 10 * time.Millisecond, notified: map[uint64]bool{}}
	rng := sim.NewStream(1, "server", "coap")
	l.srv = NewServer(cfg, &rng)
	return l
}

func (l *loop) addClient(p *Params) *testClient {
	tc := &testClient{l: l, id: Peer(len(l.clients) + 1)}
	tc.rng = sim.NewStream(7, fmt.Sprint("client", tc.id), "coap")
	tc.c.Init(p, &tc.rng)
	l.clients = append(l.clients, tc)
	return tc
}

func (l *loop) at(t sim.Time, fn func()) {
	l.seq++
	l.events = append(l.events, loopEvent{t, l.seq, fn})
}

func (l *loop) run(until sim.Time) {
	for len(l.events) > 0 {
		i := 0
		for j := range l.events {
			e, b := l.events[j], l.events[i]
			if e.at < b.at || (e.at == b.at && e.seq < b.seq) {
				i = j
			}
		}
		e := l.events[i]
		if e.at > until {
			break
		}
		l.events = slices.Delete(l.events, i, i+1)
		l.now = e.at
		e.fn()
	}
	l.now = until
}

// transmit puts a copy of m on the wire.
func (l *loop) transmit(toServer bool, peer Peer, m *Message) {
	dir := 0
	arrow := fmt.Sprintf("c%d→s", peer)
	if !toServer {
		dir, arrow = 1, fmt.Sprintf("s→c%d", peer)
	}
	n := l.sent[dir]
	l.sent[dir]++
	l.times = append(l.times, l.now)
	cp := *m
	cp.Options = slices.Clone(m.Options)
	cp.Payload = slices.Clone(m.Payload)
	dropped := l.drop != nil && l.drop(toServer, &cp, n)
	line := fmt.Sprintf("%7.3f %s %s", l.now.Seconds(), arrow, brief(&cp))
	if dropped {
		line += " (lost)"
	}
	l.log = append(l.log, line)
	if dropped {
		return
	}
	l.at(l.now.Add(l.delay), func() {
		if toServer {
			l.srv.Receive(l, l.now, peer, &cp)
		} else {
			tc := l.clients[peer-1]
			tc.c.Receive(tc, l.now, &cp)
		}
	})
}

// brief describes a message without its (random) id.
func brief(m *Message) string {
	s := m.Type.String() + " " + m.Code.String()
	var opts []string
	for _, o := range m.Options {
		opts = append(opts, o.String())
	}
	if len(opts) > 0 {
		s += " " + strings.Join(opts, "; ")
	}
	if len(m.Payload) > 0 {
		s += fmt.Sprintf(" %dB", len(m.Payload))
	}
	return s
}

// ServerEnv
func (l *loop) Send(to Peer, m *Message, ref uint64) { l.transmit(false, to, m) }
func (l *loop) After(at sim.Time, key uint64) {
	l.at(at, func() { l.srv.OnTimer(l, l.now, key) })
}
func (l *loop) Delivered(from Peer, req *Message, dup bool) {
	l.delivered = append(l.delivered, fmt.Sprintf("c%d %v %s %dB dup=%v", from, req.Code, req.Options.Path(), len(req.Payload), dup))
}
func (l *loop) Notifying(to Peer, path string) uint64 {
	l.nextRef++
	return l.nextRef
}
func (l *loop) NotifyDone(ref uint64, ok bool) { l.notified[ref] = ok }

// ClientEnv
func (tc *testClient) Send(m *Message, ref uint64) { tc.l.transmit(true, tc.id, m) }
func (tc *testClient) SetTimer(at sim.Time) {
	tc.timerAt = at
	if at == 0 {
		return
	}
	if at < tc.l.now {
		tc.l.t.Fatalf("c%d: SetTimer(%.3f) at %.3f: a time in the past", tc.id, at.Seconds(), tc.l.now.Seconds())
	}
	tc.l.at(at, func() {
		if tc.timerAt == at {
			if tc.wokeAt != at {
				tc.wokeAt, tc.wakes = at, 0
			}
			if tc.wakes++; tc.wakes > 100 {
				// The engine keeps asking to be woken now: it would spin.
				tc.l.t.Fatalf("c%d: woken %d times at %.3f", tc.id, tc.wakes, at.Seconds())
			}
			tc.c.OnTimer(tc, tc.l.now)
		}
	})
}
func (tc *testClient) Response(ref uint64, m *Message) {
	tc.responses = append(tc.responses, fmt.Sprintf("%d %v %dB", ref, m.Code, len(m.Payload)))
}
func (tc *testClient) Failed(ref uint64, f Failure) {
	tc.failedAt = tc.l.now
	tc.failures = append(tc.failures, fmt.Sprintf("%d %v at %.3f", ref, f, tc.l.now.Seconds()))
}
func (tc *testClient) Notification(obs int, m *Message, fresh bool) {
	v, _ := m.Options.Observe()
	tc.notes = append(tc.notes, fmt.Sprintf("obs%d %v seq=%d fresh=%v %dB", obs, m.Code, v, fresh, len(m.Payload)))
}

func pathOpts(p string) Options {
	var o Options
	o.SetPath(p)
	return o
}

func defaultServer() ServerConfig {
	p := DefaultParams()
	return ServerConfig{Params: &p, Dedup: true, SeparateAfter: time.Second, NotifyCON: true}
}

func TestConfirmablePiggybacked(t *testing.T) {
	l := newLoop(t, defaultServer())
	p := DefaultParams()
	c := l.addClient(&p)
	c.c.Do(c, 0, Request{Confirmable: true, Code: POST, Options: pathOpts("/telemetry"), Payload: make([]byte, 64), Ref: 1})
	l.run(sim.Time(10 * time.Second))
	want := []string{"  0.000 c1→s CON POST Uri-Path=telemetry 64B", "  0.010 s→c1 ACK 2.04"}
	if !slices.Equal(l.log, want) {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(l.log, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(c.responses, []string{"1 2.04 0B"}) || len(c.failures) != 0 {
		t.Errorf("responses %q failures %q", c.responses, c.failures)
	}
	if !slices.Equal(l.delivered, []string{"c1 POST /telemetry 64B dup=false"}) {
		t.Errorf("delivered %q", l.delivered)
	}
}

// TestRetransmissionTimes checks RFC 7252 §4.2: retransmissions at
// T0·(2^k − 1) after the first transmission, T0 in [2, 3] s, give-up after
// the 4th retransmission's timeout, i.e. at 31·T0 ≤ MAX_TRANSMIT_WAIT.
func TestRetransmissionTimes(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		l := newLoop(t, defaultServer())
		l.drop = func(bool, *Message, int) bool { return true }
		p := DefaultParams()
		c := l.addClient(&p)
		c.rng = sim.NewStream(seed, "client", "coap")
		c.c.Init(&p, &c.rng)
		c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/time"), Ref: 9})
		l.run(sim.Time(200 * time.Second))
		if len(l.log) != 5 {
			t.Fatalf("seed %d: %d transmissions, want 5:\n%s", seed, len(l.log), strings.Join(l.log, "\n"))
		}
		var times []float64
		for _, at := range l.times {
			times = append(times, at.Seconds())
		}
		t0 := times[1]
		if t0 < 2 || t0 > 3 {
			t.Errorf("seed %d: first timeout %.3f s outside [2, 3]", seed, t0)
		}
		for k := 1; k < 5; k++ {
			if want := t0 * float64(int(1)<<k-1); abs(times[k]-want) > 1e-6 {
				t.Errorf("seed %d: transmission %d at %.6f, want %.6f", seed, k, times[k], want)
			}
		}
		if len(c.failures) != 1 {
			t.Fatalf("seed %d: failures %q", seed, c.failures)
		}
		at := c.failedAt.Seconds()
		if abs(at-31*t0) > 1e-6 || at > p.MaxTransmitWait().Seconds() {
			t.Errorf("seed %d: gave up at %.3f, want 31·T0 = %.3f ≤ %v", seed, at, 31*t0, p.MaxTransmitWait())
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestParamsDerived(t *testing.T) {
	p := DefaultParams()
	for _, tc := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"MAX_TRANSMIT_SPAN", p.MaxTransmitSpan(), 45 * time.Second},
		{"MAX_TRANSMIT_WAIT", p.MaxTransmitWait(), 93 * time.Second},
		{"EXCHANGE_LIFETIME", p.ExchangeLifetime(), 247 * time.Second},
		{"NON_LIFETIME", p.NonLifetime(), 145 * time.Second},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestNSTARTQueue(t *testing.T) {
	l := newLoop(t, defaultServer())
	p := DefaultParams()
	p.Queue = 2
	c := l.addClient(&p)
	for ref := uint64(1); ref <= 4; ref++ {
		c.c.Do(c, 0, Request{Confirmable: true, Code: POST, Options: pathOpts("/q"), Payload: []byte{byte(ref)}, Ref: ref})
	}
	if len(l.log) != 1 || c.c.Queued() != 2 {
		t.Fatalf("on the air %d, queued %d; want 1 and 2", len(l.log), c.c.Queued())
	}
	if !slices.Equal(c.failures, []string{"4 queue full at 0.000"}) {
		t.Errorf("failures %q", c.failures)
	}
	l.run(sim.Time(time.Second))
	want := []string{
		"  0.000 c1→s CON POST Uri-Path=q 1B", "  0.010 s→c1 ACK 2.04",
		"  0.020 c1→s CON POST Uri-Path=q 1B", "  0.030 s→c1 ACK 2.04",
		"  0.040 c1→s CON POST Uri-Path=q 1B", "  0.050 s→c1 ACK 2.04",
	}
	if !slices.Equal(l.log, want) {
		t.Errorf("log:\n%s", strings.Join(l.log, "\n"))
	}
	if !slices.Equal(c.responses, []string{"1 2.04 0B", "2 2.04 0B", "3 2.04 0B"}) {
		t.Errorf("responses %q", c.responses)
	}
}

// TestDeduplication loses the first ACK: with dedup the retransmitted CON
// is answered from the cache and reaches the application once; without,
// it is processed again (libcoap 4.3: 2.01 then 2.04, trace b5).
func TestDeduplication(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		cfg := defaultServer()
		cfg.Dedup = dedup
		l := newLoop(t, cfg)
		l.drop = func(toServer bool, m *Message, n int) bool { return !toServer && n == 0 }
		p := DefaultParams()
		c := l.addClient(&p)
		c.c.Do(c, 0, Request{Confirmable: true, Code: PUT, Options: pathOpts("/dedup"), Payload: []byte("hello"), Ref: 1})
		l.run(sim.Time(10 * time.Second))
		wantDelivered := []string{"c1 PUT /dedup 5B dup=false"}
		wantSecond := "ACK 2.01"
		if !dedup {
			wantDelivered = append(wantDelivered, "c1 PUT /dedup 5B dup=true")
			wantSecond = "ACK 2.04"
		}
		if !slices.Equal(l.delivered, wantDelivered) {
			t.Errorf("dedup=%v: delivered %q", dedup, l.delivered)
		}
		if len(l.log) != 4 || !strings.HasSuffix(l.log[3], wantSecond) {
			t.Errorf("dedup=%v: log\n%s", dedup, strings.Join(l.log, "\n"))
		}
		if len(c.responses) != 1 {
			t.Errorf("dedup=%v: responses %q", dedup, c.responses)
		}
	}
}

func TestDedupNON(t *testing.T) {
	l := newLoop(t, defaultServer())
	m := Message{Type: NON, Code: POST, MessageID: 7, Options: pathOpts("/x")}
	l.srv.Receive(l, 0, 1, &m)
	l.srv.Receive(l, sim.Time(100*time.Second), 1, &m)
	l.srv.Receive(l, sim.Time(146*time.Second), 1, &m) // NON_LIFETIME (145 s) is over
	if len(l.delivered) != 2 {
		t.Errorf("delivered %q; want the first and the one after NON_LIFETIME", l.delivered)
	}
}

func TestSeparateResponse(t *testing.T) {
	cfg := defaultServer()
	cfg.Processing = 3 * time.Second
	l := newLoop(t, cfg)
	p := DefaultParams()
	c := l.addClient(&p)
	c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/missing"), Ref: 5})
	l.run(sim.Time(10 * time.Second))
	want := []string{
		"  0.000 c1→s CON GET Uri-Path=missing",
		"  0.010 s→c1 ACK 0.00",
		"  3.010 s→c1 CON 4.04",
		"  3.020 c1→s ACK 0.00",
	}
	if !slices.Equal(l.log, want) {
		t.Errorf("log:\n%s", strings.Join(l.log, "\n"))
	}
	if !slices.Equal(c.responses, []string{"5 4.04 0B"}) {
		t.Errorf("responses %q", c.responses)
	}
}

// TestRejections follows RFC 7252 and the libcoap trace b5: a ping gets a
// Reset, an unknown critical option 4.02 on CON and Reset on NON, an
// unknown method 4.05.
func TestRejections(t *testing.T) {
	opt9 := pathOpts("/time")
	opt9.Add(UintOption(9, 120))
	for _, tc := range []struct {
		name string
		m    Message
		want string
	}{
		{"ping", Message{Type: CON, MessageID: 1}, "RST 0.00"},
		{"empty NON", Message{Type: NON, MessageID: 2}, "RST 0.00"},
		{"critical option CON", Message{Type: CON, Code: GET, MessageID: 3, Options: opt9}, "ACK 4.02"},
		{"critical option NON", Message{Type: NON, Code: GET, MessageID: 4, Options: opt9}, "RST 0.00"},
		{"unknown method", Message{Type: CON, Code: MakeCode(0, 9), MessageID: 5, Options: pathOpts("/time")}, "ACK 4.05"},
		{"response to a server", Message{Type: CON, Code: Content, MessageID: 6}, "RST 0.00"},
	} {
		l := newLoop(t, defaultServer())
		l.srv.Receive(l, 0, 1, &tc.m)
		if len(l.log) != 1 || !strings.HasSuffix(l.log[0], tc.want) {
			t.Errorf("%s: sent %q, want %q", tc.name, l.log, tc.want)
		}
	}
	var pe *ParseError
	_, err := Parse([]byte{0x49, 0x01, 0x00, 0x05}) // CON, token length 9
	if e, ok := err.(*ParseError); ok {
		pe = e
	}
	if pe == nil {
		t.Fatal("token length 9 parsed")
	}
	l := newLoop(t, defaultServer())
	l.srv.Reject(l, 1, pe)
	if len(l.log) != 1 || !strings.HasSuffix(l.log[0], "RST 0.00") {
		t.Errorf("malformed CON: sent %q, want a Reset", l.log)
	}
}

func TestObserveNotifications(t *testing.T) {
	for _, con := range []bool{true, false} {
		cfg := defaultServer()
		cfg.NotifyCON = con
		l := newLoop(t, cfg)
		l.srv.SetResource("/alerts", []byte("none"))
		p := DefaultParams()
		p.Reregister = 0
		obs := l.addClient(&p)
		pub := l.addClient(&p)
		obs.c.Observe(obs, 0, pathOpts("/alerts"))
		l.run(sim.Time(time.Second))
		if l.srv.Observers("/alerts") != 1 {
			t.Fatalf("con=%v: %d observers after registration", con, l.srv.Observers("/alerts"))
		}
		for i := 0; i < 3; i++ {
			pub.c.Do(pub, l.now, Request{Confirmable: true, Code: POST, Options: pathOpts("/alerts"), Payload: []byte("fire"), Ref: uint64(10 + i)})
			l.run(l.now.Add(time.Second))
		}
		want := []string{"obs0 2.05 seq=2 fresh=true 4B", "obs0 2.05 seq=3 fresh=true 4B", "obs0 2.05 seq=4 fresh=true 4B"}
		if !slices.Equal(obs.notes, want) {
			t.Errorf("con=%v: notifications %q", con, obs.notes)
		}
		for ref := uint64(1); ref <= 3; ref++ {
			if ok, done := l.notified[ref]; !done || !ok {
				t.Errorf("con=%v: notification %d done=%v ok=%v", con, ref, done, ok)
			}
		}
	}
}

// TestChange: a change made by the server's application notifies the
// observers with the next Observe number, like a client's POST does.
func TestChange(t *testing.T) {
	l := newLoop(t, defaultServer())
	l.srv.SetResource("/temp", []byte("20"))
	p := DefaultParams()
	p.Reregister = 0
	obs := l.addClient(&p)
	obs.c.Observe(obs, 0, pathOpts("/temp"))
	l.run(sim.Time(time.Second))
	l.srv.Change(l, l.now, "/temp", []byte("21.5"))
	l.run(l.now.Add(time.Second))
	l.srv.Change(l, l.now, "/new", []byte("x")) // no observers: only created
	l.run(l.now.Add(time.Second))
	want := []string{"obs0 2.05 seq=2 fresh=true 4B"}
	if !slices.Equal(obs.notes, want) {
		t.Errorf("notifications %q, want %q\n%s", obs.notes, want, strings.Join(l.log, "\n"))
	}
	if b, ok := l.srv.Resource("/new"); !ok || string(b) != "x" {
		t.Errorf("Resource(/new) = %q, %v; want \"x\", true", b, ok)
	}
	if ok, done := l.notified[1]; !done || !ok {
		t.Errorf("notification 1 done=%v ok=%v", done, ok)
	}
}

// TestObserverRemovedOnFailure: a CON notification that is never
// acknowledged removes the observer (RFC 7641 §4.5); a Reset does too.
func TestObserverRemoved(t *testing.T) {
	for _, how := range []string{"timeout", "reset"} {
		l := newLoop(t, defaultServer())
		p := DefaultParams()
		p.Reregister = 0
		obs := l.addClient(&p)
		pub := l.addClient(&p)
		l.srv.SetResource("/alerts", nil)
		obs.c.Observe(obs, 0, pathOpts("/alerts"))
		l.run(sim.Time(time.Second))
		switch how {
		case "timeout":
			l.drop = func(toServer bool, m *Message, n int) bool { return !toServer && m.Type == CON }
		case "reset":
			obs.c = Client{} // the observer forgot everything: it resets
			obs.c.Init(&p, &obs.rng)
		}
		pub.c.Do(pub, l.now, Request{Confirmable: true, Code: POST, Options: pathOpts("/alerts"), Payload: []byte("x"), Ref: 1})
		l.run(l.now.Add(200 * time.Second))
		if n := l.srv.Observers("/alerts"); n != 0 {
			t.Errorf("%s: %d observers left\n%s", how, n, strings.Join(l.log, "\n"))
		}
		if ok, done := l.notified[1]; !done || ok {
			t.Errorf("%s: notification done=%v ok=%v", how, done, ok)
		}
	}
}

func TestFreshness(t *testing.T) {
	s := func(x float64) sim.Time { return sim.Time(x * 1e9) }
	for _, tc := range []struct {
		v1     uint32
		t1     sim.Time
		v2     uint32
		t2     sim.Time
		fresh_ bool
	}{
		{5, 0, 6, s(1), true},
		{6, 0, 5, s(1), false},            // reordered: older
		{MaxObserve, 0, 2, s(1), true},    // wrapped around
		{2, 0, MaxObserve, s(1), false},   // older, across the wrap
		{6, 0, 5, s(128.5), true},         // more than 128 s later: fresh anyway
		{5, 0, 5 + 1<<23, s(1), false},    // too far ahead to be newer
		{5 + 1<<23 + 1, 0, 5, s(1), true}, // far behind means wrapped
		{100, s(10), 100, s(20), false},   // the same value is not fresh
	} {
		if got := fresh(tc.v1, tc.t1, tc.v2, tc.t2); got != tc.fresh_ {
			t.Errorf("fresh(%d@%v, %d@%v) = %v", tc.v1, tc.t1, tc.v2, tc.t2, got)
		}
	}
}

func TestReorderedNotification(t *testing.T) {
	l := newLoop(t, defaultServer())
	p := DefaultParams()
	obs := l.addClient(&p)
	obs.c.Observe(obs, 0, pathOpts("/a"))
	l.srv.SetResource("/a", nil)
	l.run(sim.Time(time.Second))
	tok := obs.c.extra.obs[0].token
	for _, v := range []uint32{10, 12, 11} {
		m := Message{Type: NON, Code: Content, MessageID: uint16(100 + v), Token: tok}
		m.Options.SetObserve(v)
		obs.c.Receive(obs, l.now, &m)
	}
	want := []string{"obs0 2.05 seq=10 fresh=true 0B", "obs0 2.05 seq=12 fresh=true 0B", "obs0 2.05 seq=11 fresh=false 0B"}
	if !slices.Equal(obs.notes, want) {
		t.Errorf("notes %q", obs.notes)
	}
}

func TestBlockwise(t *testing.T) {
	cfg := defaultServer()
	bp := DefaultParams()
	bp.BlockSize = 64
	cfg.Params = &bp
	l := newLoop(t, cfg)
	big := make([]byte, 3000)
	for i := range big {
		big[i] = byte(i)
	}
	l.srv.SetResource("/big", big)
	p := DefaultParams()
	p.BlockSize = 1024
	c := l.addClient(&p)
	c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/big"), Ref: 1})
	c.c.Do(c, 0, Request{Confirmable: true, Code: PUT, Options: pathOpts("/up"), Payload: big, Ref: 2})
	l.run(sim.Time(10 * time.Second))
	if !slices.Equal(c.responses, []string{"1 2.05 3000B", "2 2.01 0B"}) {
		t.Fatalf("responses %q\n%s", c.responses, strings.Join(l.log, "\n"))
	}
	got, _ := l.srv.Resource("/up")
	if !slices.Equal(got, big) {
		t.Errorf("server assembled %d bytes, not the 3000 sent", len(got))
	}
	// 47 Block2 exchanges of 64 bytes, then 3 Block1 exchanges of 1024.
	if n := len(l.log); n != 2*(47+3) {
		t.Errorf("%d messages, want %d", n, 2*(47+3))
	}
	if !strings.Contains(l.log[1], "Block2=0/1/64; Size2=3000") || !strings.Contains(l.log[2*47-1], "Block2=46/0/64") {
		t.Errorf("block2 options: %q … %q", l.log[1], l.log[2*47-1])
	}
	if !strings.Contains(l.log[2*47], "Block1=0/1/1024; Size1=3000") {
		t.Errorf("block1 first: %q", l.log[2*47])
	}
	if !slices.Equal(l.delivered[len(l.delivered)-1:], []string{"c1 PUT /up 3000B dup=false"}) {
		t.Errorf("delivered %q", l.delivered)
	}
}

// TestBlockwiseEarlyNegotiation: a client with blocks smaller than 1024
// bytes asks for its size in the first GET (RFC 7959 §2.4) and gets it
// from a server that would use larger blocks; with 1024 it asks nothing.
func TestBlockwiseEarlyNegotiation(t *testing.T) {
	for _, tt := range []struct {
		size  int
		first string // the first request
		msgs  int
	}{
		{16, "CON GET Uri-Path=r; Block2=0/0/16", 2 * 3},
		{1024, "CON GET Uri-Path=r", 2},
	} {
		l := newLoop(t, defaultServer()) // serves 1024-byte blocks
		l.srv.SetResource("/r", make([]byte, 40))
		p := DefaultParams()
		p.BlockSize = tt.size
		c := l.addClient(&p)
		c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/r"), Ref: 1})
		l.run(sim.Time(10 * time.Second))
		if !slices.Equal(c.responses, []string{"1 2.05 40B"}) || len(l.log) != tt.msgs || l.log[0][7:] != " c1→s "+tt.first {
			t.Errorf("size %d: responses %q, log:\n%s", tt.size, c.responses, strings.Join(l.log, "\n"))
		}
	}
}

// TestBlock1NewTokens: a client may use a new token for every block of a
// request body (RFC 7959 §2.3), as libcoap's does; the body is matched by
// peer, path and Request-Tag. Two bodies of one peer to two paths,
// interleaved, stay apart.
func TestBlock1NewTokens(t *testing.T) {
	l := newLoop(t, defaultServer())
	mid := uint16(100)
	send := func(path string, num uint32, more bool, tok uint64, payload string) {
		m := Message{Type: CON, Code: PUT, MessageID: mid, Token: Uint64Token(tok, 2)}
		mid++
		m.Options.SetPath(path)
		_ = m.Options.SetBlock1(Block{Num: num, More: more, SZX: 0})
		m.Options.SetBytes(RequestTag, []byte(path))
		m.Payload = []byte(payload)
		l.srv.Receive(l, l.now, 1, &m)
	}
	a, b := strings.Repeat("a", 16), strings.Repeat("b", 16)
	send("/x", 0, true, 1, a)
	send("/y", 0, true, 2, b)
	send("/x", 1, true, 3, b)
	send("/y", 1, false, 4, "end")
	send("/x", 2, false, 5, "end")
	want := []string{"ACK 2.31 Block1=0/1/16", "ACK 2.31 Block1=0/1/16", "ACK 2.31 Block1=1/1/16", "ACK 2.01 Block1=1/0/16", "ACK 2.01 Block1=2/0/16"}
	var got []string
	for _, line := range l.log {
		got = append(got, strings.TrimSpace(line[strings.Index(line, "s→c1")+len("s→c1"):]))
	}
	if !slices.Equal(got, want) {
		t.Errorf("answers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for path, body := range map[string]string{"/x": a + b + "end", "/y": b + "end"} {
		if got, _ := l.srv.Resource(path); string(got) != body {
			t.Errorf("%s = %q, want %q", path, got, body)
		}
	}
}

// TestBlockLost: a lost block is retransmitted as its own CON exchange.
func TestBlockLost(t *testing.T) {
	l := newLoop(t, defaultServer())
	l.drop = func(toServer bool, m *Message, n int) bool { return toServer && n == 1 }
	p := DefaultParams()
	p.BlockSize = 16
	c := l.addClient(&p)
	c.c.Do(c, 0, Request{Confirmable: true, Code: POST, Options: pathOpts("/b"), Payload: make([]byte, 40), Ref: 3})
	l.run(sim.Time(10 * time.Second))
	if !slices.Equal(c.responses, []string{"3 2.04 0B"}) {
		t.Fatalf("responses %q\n%s", c.responses, strings.Join(l.log, "\n"))
	}
	if len(l.log) != 7 || !strings.HasSuffix(l.log[2], "(lost)") || l.log[2][7:] != l.log[3][7:]+" (lost)" {
		t.Errorf("log:\n%s", strings.Join(l.log, "\n"))
	}
}

// TestCancel: a cancelled observation answers the next notification with
// a Reset, which removes the observer, and is never registered again; a
// cancel while the registration is in flight does not re-establish it.
func TestCancel(t *testing.T) {
	for _, when := range []string{"registered", "in flight"} {
		l := newLoop(t, defaultServer())
		l.srv.SetResource("/a", []byte("0"))
		p := DefaultParams()
		p.Reregister = 5 * time.Second
		obs := l.addClient(&p)
		pub := l.addClient(&p)
		i := obs.c.Observe(obs, 0, pathOpts("/a"))
		if when == "registered" {
			l.run(sim.Time(time.Second))
		}
		obs.c.Cancel(obs, l.now, i)
		l.run(l.now.Add(time.Second))
		pub.c.Do(pub, l.now, Request{Confirmable: true, Code: PUT, Options: pathOpts("/a"), Payload: []byte("1"), Ref: 1})
		l.run(l.now.Add(30 * time.Second))
		if len(obs.notes) != 0 {
			t.Errorf("%s: notifications after Cancel: %q", when, obs.notes)
		}
		if n := l.srv.Observers("/a"); n != 0 {
			t.Errorf("%s: %d observers left\n%s", when, n, strings.Join(l.log, "\n"))
		}
		var regs, resets int
		for _, line := range l.log {
			regs += strings.Count(line, "c1→s CON GET Observe=0")
			resets += strings.Count(line, "c1→s RST")
		}
		if regs != 1 || resets != 1 {
			t.Errorf("%s: %d registrations and %d resets, want 1 and 1\n%s", when, regs, resets, strings.Join(l.log, "\n"))
		}
	}
}

// TestReregisterWhilePending: a fresh notification that arrives while a
// re-registration waits for the NSTART slot must not leave a due
// re-registration behind that the client can never act on (it would ask
// to be woken at the same instant forever).
func TestReregisterWhilePending(t *testing.T) {
	l := newLoop(t, defaultServer())
	l.srv.SetResource("/a", []byte("0"))
	// The observer's requests to /b are lost: its slot stays busy for
	// the whole retransmission span, and the re-registration queues.
	l.drop = func(toServer bool, m *Message, n int) bool { return toServer && m.Options.Path() == "/b" }
	p := DefaultParams()
	p.Reregister = 2 * time.Second
	obs := l.addClient(&p)
	pub := l.addClient(&p)
	obs.c.Observe(obs, 0, pathOpts("/a"))
	l.run(sim.Time(500 * time.Millisecond))
	obs.c.Do(obs, l.now, Request{Confirmable: true, Code: GET, Options: pathOpts("/b"), Ref: 1})
	for i := 0; i < 8; i++ {
		l.run(l.now.Add(3 * time.Second)) // longer than Reregister
		pub.c.Do(pub, l.now, Request{Confirmable: true, Code: PUT, Options: pathOpts("/a"), Payload: []byte{'1' + byte(i)}, Ref: uint64(10 + i)})
	}
	l.run(l.now.Add(120 * time.Second))
	if len(obs.notes) != 8 {
		t.Errorf("%d notifications, want 8: %q", len(obs.notes), obs.notes)
	}
	if !slices.Equal(obs.failures, []string{fmt.Sprintf("1 timed out at %.3f", obs.failedAt.Seconds())}) {
		t.Errorf("failures %q", obs.failures)
	}
	if n := l.srv.Observers("/a"); n != 1 {
		t.Errorf("%d observers, want 1", n)
	}
}

// TestReregistration: periodic re-registration (Reregister) must not lose
// notifications sent meanwhile, nor duplicate the observer on the server.
func TestReregistration(t *testing.T) {
	l := newLoop(t, defaultServer())
	l.srv.SetResource("/alerts", nil)
	p := DefaultParams()
	p.Reregister = 5 * time.Second
	obs := l.addClient(&p)
	pub := l.addClient(&p)
	obs.c.Observe(obs, 0, pathOpts("/alerts"))
	for i := 1; i <= 10; i++ {
		at := sim.Time(time.Duration(i) * 2990 * time.Millisecond)
		ref := uint64(i)
		l.at(at, func() {
			pub.c.Do(pub, l.now, Request{Confirmable: true, Code: POST, Options: pathOpts("/alerts"), Payload: []byte{1}, Ref: ref})
		})
	}
	l.run(sim.Time(60 * time.Second))
	if len(obs.notes) != 10 {
		t.Errorf("%d notifications, want 10: %q\n%s", len(obs.notes), obs.notes, strings.Join(l.log, "\n"))
	}
	for _, n := range obs.notes {
		if !strings.Contains(n, "fresh=true") {
			t.Errorf("stale notification %q", n)
		}
	}
	if n := l.srv.Observers("/alerts"); n != 1 {
		t.Errorf("%d observers, want 1", n)
	}
	reg := 0
	for _, line := range l.log {
		if strings.Contains(line, "c1→s CON GET Observe=0") {
			reg++
		}
	}
	if reg < 5 {
		t.Errorf("%d registrations in 60 s with Reregister 5 s", reg)
	}
}

// TestDedupRing fills the dedup ring across several growths: every
// duplicate within EXCHANGE_LIFETIME is suppressed, and after it the same
// message id is new again.
// TestDedupRing: the ring of seen message ids detects duplicates within
// EXCHANGE_LIFETIME and forgets them after it, also while its absolute
// indices wrap around 2³².
func TestDedupRing(t *testing.T) {
	for _, start := range []uint32{0, 1<<32 - 1000} {
		l := newLoop(t, defaultServer())
		l.srv.seenHead = start
		const peers = 700
		send := func(at sim.Time) {
			for p := Peer(1); p <= peers; p++ {
				m := Message{Type: CON, Code: POST, MessageID: uint16(p * 3), Options: pathOpts("/d")}
				l.srv.Receive(l, at, p, &m)
			}
		}
		send(0)
		send(sim.Time(100 * time.Second)) // duplicates
		if len(l.delivered) != peers {
			t.Fatalf("start %d: %d deliveries after duplicates; want %d", start, len(l.delivered), peers)
		}
		send(sim.Time(248 * time.Second)) // EXCHANGE_LIFETIME (247 s) is over
		if len(l.delivered) != 2*peers {
			t.Fatalf("start %d: %d deliveries after the lifetime; want %d", start, len(l.delivered), 2*peers)
		}
		send(sim.Time(300 * time.Second)) // duplicates of the second round
		if len(l.delivered) != 2*peers {
			t.Fatalf("start %d: %d deliveries after the second duplicates; want %d", start, len(l.delivered), 2*peers)
		}
		if got := l.srv.Stats().Duplicates; got != 2*peers {
			t.Errorf("start %d: %d duplicates counted; want %d", start, got, 2*peers)
		}
	}
}

// TestNonConfirmable: a NON request keeps the NSTART slot until its
// response comes (RFC 7252 §4.7), which carries block-wise transfers on
// and makes a second request wait; a lost response frees the slot after
// NonResponseTimeout (3 s with the defaults), failing a block-wise
// transfer; a Reset ends the request.
func TestNonConfirmable(t *testing.T) {
	big := make([]byte, 300)
	for i := range big {
		big[i] = byte(i)
	}
	for _, tt := range []struct {
		name      string
		reqs      []Request
		drop      func(toServer bool, m *Message, n int) bool
		answer    func(l *loop) // replaces the server when set
		delay     time.Duration // one-way, when not the loop's 10 ms
		responses []string
		failures  []string
		sentAt    []float64 // times of the client's messages
		wantPut   []byte    // the server's /up afterwards, when set
	}{
		{
			name:      "block-wise GET",
			reqs:      []Request{{Code: GET, Options: pathOpts("/big"), Ref: 1}},
			responses: []string{"1 2.05 300B"},
			sentAt:    []float64{0, 0.02, 0.04, 0.06, 0.08},
		},
		{
			name:      "block-wise PUT",
			reqs:      []Request{{Code: PUT, Options: pathOpts("/up"), Payload: big, Ref: 2}},
			responses: []string{"2 2.01 0B"},
			sentAt:    []float64{0, 0.02, 0.04, 0.06, 0.08},
			wantPut:   big,
		},
		{
			name: "second request waits for the first response",
			reqs: []Request{
				{Code: POST, Options: pathOpts("/a"), Payload: []byte{1}, Ref: 3},
				{Code: POST, Options: pathOpts("/a"), Payload: []byte{2}, Ref: 4},
			},
			responses: []string{"3 2.04 0B", "4 2.04 0B"},
			sentAt:    []float64{0, 0.02},
		},
		{
			name: "lost response frees the slot after 3 s",
			reqs: []Request{
				{Code: POST, Options: pathOpts("/a"), Payload: []byte{1}, Ref: 3},
				{Code: POST, Options: pathOpts("/a"), Payload: []byte{2}, Ref: 4},
			},
			drop:      func(toServer bool, m *Message, n int) bool { return !toServer && n == 0 },
			responses: []string{"4 2.04 0B"},
			sentAt:    []float64{0, 3},
		},
		{
			name:      "late response still delivered",
			reqs:      []Request{{Code: POST, Options: pathOpts("/a"), Payload: []byte{1}, Ref: 3}},
			delay:     2 * time.Second,
			responses: []string{"3 2.04 0B"},
			sentAt:    []float64{0},
		},
		{
			name:     "late first block fails the transfer",
			reqs:     []Request{{Code: GET, Options: pathOpts("/big"), Ref: 1}},
			delay:    2 * time.Second,
			failures: []string{"1 block-wise transfer failed at 4.000"},
			sentAt:   []float64{0},
		},
		{
			name:     "lost block fails the transfer",
			reqs:     []Request{{Code: GET, Options: pathOpts("/big"), Ref: 1}},
			drop:     func(toServer bool, m *Message, n int) bool { return toServer && n == 2 },
			failures: []string{"1 block-wise transfer failed at 3.040"},
			sentAt:   []float64{0, 0.02, 0.04},
		},
		{
			name: "Reset",
			reqs: []Request{{Code: GET, Options: pathOpts("/big"), Ref: 1}},
			answer: func(l *loop) {
				l.drop = func(toServer bool, m *Message, n int) bool {
					if toServer {
						tc := l.clients[0]
						l.at(l.now.Add(l.delay), func() { tc.c.Receive(tc, l.now, &Message{Type: RST, MessageID: m.MessageID}) })
					}
					return toServer
				}
			},
			failures: []string{"1 reset at 0.010"},
			sentAt:   []float64{0},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultServer()
			sp := DefaultParams()
			sp.BlockSize = 64
			cfg.Params = &sp
			l := newLoop(t, cfg)
			l.srv.SetResource("/big", big)
			l.drop = tt.drop
			if tt.delay > 0 {
				l.delay = tt.delay
			}
			if tt.answer != nil {
				tt.answer(l)
			}
			p := DefaultParams()
			p.BlockSize = 64
			c := l.addClient(&p)
			for _, r := range tt.reqs {
				c.c.Do(c, 0, r)
			}
			l.run(sim.Time(200 * time.Second))
			var sentAt []float64
			for i, line := range l.log {
				if strings.Contains(line, "c1→s") {
					if !strings.Contains(line, "c1→s NON") {
						t.Errorf("not a NON: %s", line)
					}
					sentAt = append(sentAt, l.times[i].Seconds())
				}
			}
			log := strings.Join(l.log, "\n")
			if !slices.Equal(c.responses, tt.responses) || !slices.Equal(c.failures, tt.failures) {
				t.Errorf("responses %q, failures %q; want %q, %q\n%s", c.responses, c.failures, tt.responses, tt.failures, log)
			}
			if !slices.Equal(sentAt, tt.sentAt) {
				t.Errorf("client sent at %v, want %v\n%s", sentAt, tt.sentAt, log)
			}
			if tt.wantPut != nil {
				if got, _ := l.srv.Resource("/up"); !slices.Equal(got, tt.wantPut) {
					t.Errorf("server assembled %d bytes, want %d", len(got), len(tt.wantPut))
				}
			}
			if c.c.Busy() || c.c.Queued() != 0 || c.timerAt > l.now {
				t.Errorf("client not idle at the end: busy %v, queued %d, timer at %v", c.c.Busy(), c.c.Queued(), c.timerAt)
			}
		})
	}
}

// TestDedupCachedAnswer: a duplicate CON is answered with exactly the
// first answer — options and payload included, even after the resource
// changed — and the cached options and payloads are let go once the
// entries expire.
func TestDedupCachedAnswer(t *testing.T) {
	cfg := defaultServer()
	sp := DefaultParams()
	sp.BlockSize = 64
	cfg.Params = &sp
	l := newLoop(t, cfg)
	first := make([]byte, 300)
	for i := range first {
		first[i] = byte(i)
	}
	l.srv.SetResource("/big", first)
	var answers []Message
	capture := func(m *Message) { answers = append(answers, *m) }
	get := Message{Type: CON, Code: GET, MessageID: 9, Token: Uint64Token(5, 2), Options: pathOpts("/big")}
	post := Message{Type: CON, Code: POST, MessageID: 10, Options: pathOpts("/p")}
	for _, at := range []time.Duration{0, 50 * time.Second} {
		for _, m := range []*Message{&get, &post} {
			env := &captureEnv{loop: l, sent: capture}
			l.srv.Receive(env, sim.Time(at), 1, m)
		}
		l.srv.SetResource("/big", make([]byte, 10)) // the duplicate still gets the old block
	}
	if len(answers) != 4 {
		t.Fatalf("%d answers, want 4", len(answers))
	}
	for i := range 2 {
		a, b := answers[i], answers[i+2]
		ea := Append(nil, a)
		eb := Append(nil, b)
		if !slices.Equal(ea, eb) {
			t.Errorf("answer %d: first %s, repeated %s", i, brief(&a), brief(&b))
		}
	}
	if got := brief(&answers[0]); got != "ACK 2.05 Block2=0/1/64; Size2=300 64B" || !slices.Equal(answers[2].Payload, first[:64]) {
		t.Errorf("GET answer %s %v", got, answers[2].Payload[:4])
	}
	if live := len(l.srv.rich) - len(l.srv.richFree); live != 1 {
		t.Errorf("%d cached answers with options or payload, want 1 (the GET's)", live)
	}
	l.srv.Receive(l, sim.Time(300*time.Second), 2, &post) // expires both entries
	if live := len(l.srv.rich) - len(l.srv.richFree); live != 0 {
		t.Errorf("%d cached answers with options or payload after EXCHANGE_LIFETIME, want 0", live)
	}
}

// captureEnv is the loop's ServerEnv with Send captured instead of put on
// the wire.
type captureEnv struct {
	*loop
	sent func(m *Message)
}

func (e *captureEnv) Send(to Peer, m *Message, ref uint64) { e.sent(m) }

// TestBlockwiseEdgeCases: block-wise transfers with separate responses,
// duplicated NON blocks, observations registered block-wise, and a
// registration turned away by a full queue.
func TestBlockwiseEdgeCases(t *testing.T) {
	blockServer := func(processing time.Duration) *loop {
		cfg := defaultServer()
		sp := DefaultParams()
		sp.BlockSize = 64
		cfg.Params = &sp
		cfg.Processing = processing
		l := newLoop(t, cfg)
		l.srv.SetResource("/big", make([]byte, 200))
		return l
	}
	small := DefaultParams()
	small.BlockSize = 64

	t.Run("separate responses carry a GET transfer on", func(t *testing.T) {
		// Every block is answered with an empty ACK, then the block 2 s
		// later (RFC 7252 §5.2.2): the GET keeps the slot meanwhile.
		l := blockServer(2 * time.Second)
		c := l.addClient(&small)
		c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/big"), Ref: 1})
		c.c.Do(c, 0, Request{Confirmable: true, Code: POST, Options: pathOpts("/p"), Ref: 2})
		l.run(sim.Time(60 * time.Second))
		if !slices.Equal(c.responses, []string{"1 2.05 200B", "2 2.04 0B"}) || c.failures != nil {
			t.Errorf("responses %q, failures %q\n%s", c.responses, c.failures, strings.Join(l.log, "\n"))
		}
	})
	t.Run("a separate response that never comes", func(t *testing.T) {
		l := blockServer(2 * time.Second)
		l.drop = func(toServer bool, m *Message, n int) bool { return !toServer && m.Type == CON }
		c := l.addClient(&small)
		c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/big"), Ref: 1})
		l.run(sim.Time(400 * time.Second))
		if len(c.failures) != 1 || !strings.HasPrefix(c.failures[0], "1 no response at 247.0") || c.c.Busy() {
			t.Errorf("failures %q, busy %v; want no response after EXCHANGE_LIFETIME", c.failures, c.c.Busy())
		}
	})
	t.Run("a re-registration's separate response frees the slot", func(t *testing.T) {
		l := blockServer(2 * time.Second)
		l.srv.SetResource("/a", []byte("x"))
		p := DefaultParams()
		p.Reregister = 5 * time.Second
		c := l.addClient(&p)
		c.c.Observe(c, 0, pathOpts("/a"))
		l.run(sim.Time(8 * time.Second)) // registered at ≈ 2 s, again at ≈ 7 s
		c.c.Do(c, l.now, Request{Confirmable: true, Code: POST, Options: pathOpts("/p"), Ref: 9})
		l.run(sim.Time(12 * time.Second))
		if !slices.Equal(c.responses, []string{"9 2.04 0B"}) || !c.c.extra.obs[0].registered {
			t.Errorf("responses %q, registered %v\n%s", c.responses, c.c.extra.obs[0].registered, strings.Join(l.log, "\n"))
		}
	})
	t.Run("re-registrations with separate responses go on", func(t *testing.T) {
		l := blockServer(2 * time.Second)
		l.srv.SetResource("/a", []byte("x"))
		p := DefaultParams()
		p.Reregister = 5 * time.Second
		c := l.addClient(&p)
		c.c.Observe(c, 0, pathOpts("/a"))
		l.run(sim.Time(40 * time.Second))
		n := 0
		for _, line := range l.log {
			if strings.Contains(line, "c1→s CON GET Observe=0") {
				n++
			}
		}
		if n < 5 || !c.c.extra.obs[0].registered {
			t.Errorf("%d registrations in 40 s (one every ≈ 7 s wanted), registered %v", n, c.c.extra.obs[0].registered)
		}
	})
	t.Run("a block-wise registration with separate responses", func(t *testing.T) {
		l := blockServer(2 * time.Second)
		c := l.addClient(&small)
		c.c.Observe(c, 0, pathOpts("/big"))
		l.run(sim.Time(20 * time.Second))
		if !c.c.extra.obs[0].registered || len(c.notes) != 0 || c.c.Busy() {
			t.Errorf("registered %v, notes %q, busy %v\n%s", c.c.extra.obs[0].registered, c.notes, c.c.Busy(), strings.Join(l.log, "\n"))
		}
	})
	t.Run("a GET with a body larger than a block", func(t *testing.T) {
		// Block1 for the body, and the early Block2 negotiation on top.
		l := blockServer(0)
		c := l.addClient(&small)
		c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/big"), Payload: make([]byte, 100), Ref: 1})
		l.run(sim.Time(10 * time.Second))
		if !strings.Contains(l.log[0], "Block1=0/1/64") || !strings.Contains(l.log[0], "Block2=0/0/64") ||
			len(l.delivered) == 0 || l.delivered[0] != "c1 GET /big 100B dup=false" || !slices.Equal(c.responses, []string{"1 2.05 200B"}) {
			t.Errorf("delivered %q, responses %q\n%s", l.delivered, c.responses, strings.Join(l.log, "\n"))
		}
	})
	t.Run("a finished transfer lets go of its buffers", func(t *testing.T) {
		l := blockServer(0)
		l.srv.SetResource("/huge", make([]byte, 5000))
		c := l.addClient(&small)
		c.c.Do(c, 0, Request{Confirmable: true, Code: PUT, Options: pathOpts("/up"), Payload: make([]byte, 100), Ref: 1})
		c.c.Do(c, 0, Request{Confirmable: true, Code: GET, Options: pathOpts("/huge"), Ref: 2})
		l.run(sim.Time(30 * time.Second))
		b := c.c.blk
		if !slices.Equal(c.responses, []string{"1 2.01 0B", "2 2.05 5000B"}) || b.opts != nil || b.payload != nil || b.body != nil {
			t.Errorf("responses %q; kept opts %v, payload %d B, body buffer %d B", c.responses, b.opts, len(b.payload), cap(b.body))
		}
	})
	t.Run("a duplicated NON block is ignored", func(t *testing.T) {
		l := blockServer(0)
		l.drop = func(toServer bool, m *Message, n int) bool {
			if !toServer && n == 0 {
				dup := *m // the first block arrives twice, the copy late
				tc := l.clients[0]
				l.at(l.now.Add(25*time.Millisecond), func() { tc.c.Receive(tc, l.now, &dup) })
			}
			return false
		}
		c := l.addClient(&small)
		c.c.Do(c, 0, Request{Code: GET, Options: pathOpts("/big"), Ref: 1})
		l.run(sim.Time(10 * time.Second))
		if !slices.Equal(c.responses, []string{"1 2.05 200B"}) || c.failures != nil {
			t.Errorf("responses %q, failures %q\n%s", c.responses, c.failures, strings.Join(l.log, "\n"))
		}
	})
	t.Run("an observation registered block-wise holds", func(t *testing.T) {
		l := blockServer(0)
		c := l.addClient(&small)
		c.c.Observe(c, 0, pathOpts("/big"))
		l.run(sim.Time(500 * time.Millisecond))
		if !c.c.extra.obs[0].registered {
			t.Fatalf("not registered after the block-wise registration\n%s", strings.Join(l.log, "\n"))
		}
		l.srv.Change(l, l.now, "/big", make([]byte, 10))
		l.run(sim.Time(time.Second))
		if len(c.notes) != 1 || strings.Contains(strings.Join(l.log, "\n"), "RST") {
			t.Errorf("notes %q\n%s", c.notes, strings.Join(l.log, "\n"))
		}
	})
	t.Run("a registration turned away by a full queue is tried again", func(t *testing.T) {
		l := blockServer(0)
		l.srv.SetResource("/a", nil)
		p := DefaultParams()
		p.Queue = 0
		c := l.addClient(&p)
		c.c.Do(c, 0, Request{Code: POST, Options: pathOpts("/x"), Ref: 1}) // a NON holds the slot
		c.c.Observe(c, 0, pathOpts("/a"))
		l.run(sim.Time(61 * time.Second)) // again after coap.reregister (60 s)
		if !c.c.extra.obs[0].registered || c.failures != nil {
			t.Errorf("registered %v, failures %q", c.c.extra.obs[0].registered, c.failures)
		}
	})
}
