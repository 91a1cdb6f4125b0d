package coap

import (
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// telemetry is a CON POST /telemetry with a 2-byte token, Content-Format
// and a 64-byte payload: the typical device report.
func telemetry(scratch Options) Message {
	m := Message{Type: CON, Code: POST, MessageID: 0x7d34, Token: Uint64Token(0xbeef, 2), Options: scratch[:0]}
	m.Options.SetPath("/telemetry")
	m.Options.SetUint(ContentFormat, 60) // application/cbor
	m.Payload = telemetryPayload[:]
	return m
}

var telemetryPayload [64]byte

// TestTelemetrySize pins the size the benchmarks encode: 4 header + 2
// token + 10 Uri-Path + 2 Content-Format + 1 marker + 64 payload.
func TestTelemetrySize(t *testing.T) {
	m := telemetry(nil)
	if got := Size(m); got != 83 || len(Append(nil, m)) != 83 {
		t.Errorf("Size(telemetry) = %d; want 83", got)
	}
}

// TestAllocs guards the hot paths: building a message into reused option
// storage, Size, Append into a reused buffer and ParseInto a reused
// Message allocate nothing.
func TestAllocs(t *testing.T) {
	scratch := make(Options, 0, 4)
	buf := make([]byte, 0, 256)
	m := telemetry(scratch)
	wire := Append(nil, m)
	var parsed Message
	parsed.Options = make(Options, 0, 4)
	var sink int
	for name, f := range map[string]func(){
		"build":     func() { sink += len(telemetry(scratch).Options) },
		"Size":      func() { sink += Size(m) },
		"Append":    func() { buf = Append(buf[:0], m) },
		"ParseInto": func() { _ = ParseInto(&parsed, wire) },
		"getters": func() {
			v, _ := parsed.Options.Uint(ContentFormat)
			b, _ := parsed.Options.Block2()
			sink += int(v) + b.Size()
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs/op; want 0", name, n)
		}
	}
	_ = sink
}

func BenchmarkSize(b *testing.B) {
	m := telemetry(nil)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += Size(m)
	}
	_ = n
}

func BenchmarkAppend(b *testing.B) {
	m := telemetry(nil)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(Size(m)))
	for b.Loop() {
		buf = Append(buf[:0], m)
	}
}

func BenchmarkParseInto(b *testing.B) {
	wire := Append(nil, telemetry(nil))
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if err := ParseInto(&m, wire); err != nil {
			b.Fatal(err)
		}
	}
}

// nopClientEnv is a ClientEnv that drops everything.
type nopClientEnv struct{ sent int }

func (e *nopClientEnv) Send(m *Message, ref uint64)                  { e.sent++ }
func (e *nopClientEnv) SetTimer(at sim.Time)                         {}
func (e *nopClientEnv) Response(ref uint64, m *Message)              {}
func (e *nopClientEnv) Failed(ref uint64, f Failure)                 {}
func (e *nopClientEnv) Notification(obs int, m *Message, fresh bool) {}

// TestClientAcksAllocateNothing: once an observation is registered, a
// client acknowledging CON notifications (and resetting unknown ones)
// allocates nothing per message.
func TestClientAcksAllocateNothing(t *testing.T) {
	p := DefaultParams()
	rng := sim.NewStream(1, "c", "coap")
	var c Client
	c.Init(&p, &rng)
	env := &nopClientEnv{}
	var o Options
	o.SetPath("/alerts")
	c.Observe(env, 0, o)
	reg := c.cur.msg
	resp := Message{Type: ACK, Code: Content, MessageID: reg.MessageID, Token: reg.Token}
	resp.Options.SetObserve(1)
	c.Receive(env, 0, &resp)
	if c.extra.obs[0].registered != true {
		t.Fatal("observation not registered")
	}
	note := Message{Type: CON, Code: Content, Token: reg.Token, Options: make(Options, 0, 1)}
	stray := Message{Type: CON, Code: Content, Token: Uint64Token(99, 2)}
	seq := uint32(1)
	before := env.sent
	if a := testing.AllocsPerRun(100, func() {
		seq++
		note.MessageID = uint16(seq)
		note.Options.SetObserve(seq)
		c.Receive(env, sim.Time(seq), &note) // ACKed
		stray.MessageID = uint16(seq + 30000)
		c.Receive(env, sim.Time(seq), &stray) // Reset
	}); a != 0 {
		t.Errorf("%v allocations per notification and Reset; want 0", a)
	}
	if env.sent-before != 2*101 {
		t.Errorf("%d messages sent for 101 rounds; want an ACK and a Reset each", env.sent-before)
	}
}

// nopServerEnv is a ServerEnv that drops everything.
type nopServerEnv struct{ sent int }

func (e *nopServerEnv) Send(to Peer, m *Message, ref uint64)        { e.sent++ }
func (e *nopServerEnv) After(at sim.Time, key uint64)               {}
func (e *nopServerEnv) Delivered(from Peer, req *Message, dup bool) {}
func (e *nopServerEnv) Notifying(to Peer, path string) uint64       { return 0 }
func (e *nopServerEnv) NotifyDone(ref uint64, ok bool)              {}

// TestNotifyAllocations: a change notifies every observer with one shared
// Observe option, not one allocation per observer.
func TestNotifyAllocations(t *testing.T) {
	p := DefaultParams()
	rng := sim.NewStream(1, "s", "coap")
	s := NewServer(ServerConfig{Params: &p, Dedup: true}, &rng)
	env := &nopServerEnv{}
	s.SetResource("/alerts", nil)
	const observers = 50
	for peer := Peer(1); peer <= observers; peer++ {
		m := Message{Type: CON, Code: GET, MessageID: 1, Token: Uint64Token(uint64(peer), 2)}
		m.Options.SetPath("/alerts")
		m.Options.SetObserve(ObserveRegister)
		s.Receive(env, 0, peer, &m)
	}
	if n := s.Observers("/alerts"); n != observers {
		t.Fatalf("%d observers, want %d", n, observers)
	}
	payload := []byte("alarm")
	before := env.sent
	if a := testing.AllocsPerRun(20, func() { s.Change(env, 0, "/alerts", payload) }); a > 2 {
		t.Errorf("%v allocations to notify %d observers; want at most 2", a, observers)
	}
	if got := env.sent - before; got != 21*observers {
		t.Errorf("%d notifications sent, want %d", got, 21*observers)
	}
}
