package mqtt

import (
	"slices"
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// The client engine against the broker engine: every packet is encoded
// with Append and decoded with Parse on the way, and delivered in order
// through one FIFO, so the two engines must agree on the wire and on the
// protocol, not just on Packet values.

type cbEvent struct {
	kind   int // cbPacket, cbOpen, cbClosedByBroker
	conn   ConnID
	client *cbClient // nil: to the broker
	p      Packet
}

const (
	cbPacket = iota
	cbOpen
	cbClosedByBroker
)

type cbWorld struct {
	t      *testing.T
	b      *Broker
	now    sim.Time
	events []cbEvent
	conns  map[ConnID]*cbClient // open connections
	next   ConnID
}

type cbClient struct {
	w         *cbWorld
	c         Client
	cfg       ClientConfig
	rng       sim.Stream
	conn      ConnID
	timer     sim.Time
	got       []string
	completed []uint64
	dropped   []uint64
}

func newCBWorld(t *testing.T) *cbWorld {
	return &cbWorld{t: t, b: NewBroker(DefaultBrokerConfig()), conns: map[ConnID]*cbClient{}}
}

func (w *cbWorld) client(cfg ClientConfig) *cbClient {
	c := &cbClient{w: w, cfg: cfg, rng: sim.NewStream(1, cfg.ClientID, "reconnect")}
	c.c.Init(&c.cfg, &c.rng)
	return c
}

// wire encodes p and decodes it again, as a real connection would.
func (w *cbWorld) wire(p *Packet) Packet {
	w.t.Helper()
	if err := Validate(p); err != nil {
		w.t.Fatalf("invalid %v: %v", p.Type, err)
	}
	b := Append(nil, p)
	q, n, err := Parse(b)
	if err != nil || n != len(b) {
		w.t.Fatalf("%v does not round-trip: %v", p.Type, err)
	}
	q.Ref = p.Ref // simulation metadata travels beside the bytes
	return q
}

// run delivers events until none are left.
func (w *cbWorld) run() { w.runUntil(func() bool { return false }) }

// runUntil delivers events until none are left or stop is true.
func (w *cbWorld) runUntil(stop func() bool) {
	for len(w.events) > 0 && !stop() {
		e := w.events[0]
		w.events = w.events[1:]
		c, open := w.conns[e.conn]
		switch {
		case e.kind == cbOpen:
			w.conns[e.conn] = e.client
			w.b.Open(w, w.now, e.conn)
			e.client.c.TransportUp(e.client, w.now)
		case !open:
			// The connection is gone: the bytes are lost.
		case e.kind == cbClosedByBroker:
			delete(w.conns, e.conn)
			c.c.TransportDown(c, w.now)
		case e.client == nil:
			w.b.Receive(w, w.now, e.conn, &e.p)
		default:
			e.client.c.Receive(e.client, w.now, &e.p)
		}
	}
}

// cut breaks c's connection without either side sending anything.
func (w *cbWorld) cut(c *cbClient) {
	delete(w.conns, c.conn)
	w.b.TransportClosed(w, w.now, c.conn)
	c.c.TransportDown(c, w.now)
	w.run()
}

// fire runs c's timer.
func (w *cbWorld) fire(c *cbClient) {
	if c.timer == 0 {
		w.t.Fatal("no timer")
	}
	w.now = max(w.now, c.timer)
	c.timer = 0
	c.c.OnTimer(c, w.now)
	w.run()
}

// BrokerEnv.

func (w *cbWorld) Send(conn ConnID, p *Packet) {
	if c, ok := w.conns[conn]; ok {
		w.events = append(w.events, cbEvent{kind: cbPacket, conn: conn, client: c, p: w.wire(p)})
	}
}

func (w *cbWorld) Close(conn ConnID) {
	w.events = append(w.events, cbEvent{kind: cbClosedByBroker, conn: conn})
}

func (w *cbWorld) SetTimer(ConnID, sim.Time)                {}
func (w *cbWorld) Route(in uint64, _ string, _ QoS) uint64  { return in }
func (w *cbWorld) Dropped(uint64, DropReason)               {}
func (w *cbWorld) Closed(ConnID, string, CloseReason, bool) {}

// ClientEnv.

func (c *cbClient) Dial() {
	c.w.next++
	c.conn = c.w.next
	c.w.events = append(c.w.events, cbEvent{kind: cbOpen, conn: c.conn, client: c})
}

func (c *cbClient) Send(p *Packet) {
	if _, ok := c.w.conns[c.conn]; ok {
		c.w.events = append(c.w.events, cbEvent{kind: cbPacket, conn: c.conn, p: c.w.wire(p)})
	}
}

func (c *cbClient) HangUp() {
	if _, ok := c.w.conns[c.conn]; ok {
		delete(c.w.conns, c.conn)
		c.w.b.TransportClosed(c.w, c.w.now, c.conn)
	}
}

func (c *cbClient) SetTimer(at sim.Time)             { c.timer = at }
func (c *cbClient) Connected(bool)                   {}
func (c *cbClient) Refused(ConnectReturnCode)        {}
func (c *cbClient) Lost(LostReason)                  {}
func (c *cbClient) Message(p *Packet)                { c.got = append(c.got, string(p.Payload)) }
func (c *cbClient) Completed(ref uint64)             { c.completed = append(c.completed, ref) }
func (c *cbClient) Dropped(ref uint64, _ DropReason) { c.dropped = append(c.dropped, ref) }
func (c *cbClient) Subscribed([]byte)                {}

// TestClientWithBroker: a persistent subscriber misses messages while its
// connection is cut, gets them after reconnecting, and a QoS 2 message
// whose PUBREL it had not seen is delivered exactly once.
func TestClientWithBroker(t *testing.T) {
	w := newCBWorld(t)
	sub := w.client(ClientConfig{ClientID: "fixedid", KeepAlive: time.Minute, Reconnect: true})
	pub := w.client(ClientConfig{ClientID: "pub", CleanSession: true, KeepAlive: time.Minute, Reconnect: true})
	sub.c.Subscribe(sub, 0, []Subscription{{Filter: "persist/#", QoS: QoS2}})
	sub.c.Start(sub, 0)
	pub.c.Start(pub, 0)
	w.run()
	if sub.c.State() != ClientConnected || pub.c.State() != ClientConnected {
		t.Fatalf("states %v, %v", sub.c.State(), pub.c.State())
	}

	pub.c.Publish(pub, w.now, "persist/t", []byte("live"), QoS1, false, 1)
	w.run()
	w.cut(sub)
	for i, s := range []string{"q1-a", "q1-b", "q1-c"} {
		pub.c.Publish(pub, w.now, "persist/t", []byte(s), QoS1, false, uint64(2+i))
	}
	pub.c.Publish(pub, w.now, "persist/t", []byte("q2"), QoS2, false, 5)
	pub.c.Publish(pub, w.now, "persist/t", []byte("q0"), QoS0, false, 6) // not queued for an offline session
	w.run()
	w.fire(sub) // reconnect
	if sub.c.State() != ClientConnected {
		t.Fatalf("subscriber %v after the reconnect", sub.c.State())
	}
	if want := []string{"live", "q1-a", "q1-b", "q1-c", "q2"}; !slices.Equal(sub.got, want) {
		t.Errorf("subscriber got %q; want %q", sub.got, want)
	}

	// Cut the subscriber right after it received a QoS 2 PUBLISH, so
	// that its PUBREC is lost: after the reconnect the broker sends the
	// PUBLISH again with DUP = 1, and the message is still delivered once.
	n := len(sub.got)
	pub.c.Publish(pub, w.now, "persist/t", []byte("once"), QoS2, false, 10)
	w.runUntil(func() bool { return len(sub.got) > n })
	w.cut(sub)
	w.fire(sub)
	if got := sub.got[n:]; !slices.Equal(got, []string{"once"}) {
		t.Errorf("delivered %q; want once", got)
	}
	if want := []uint64{1, 2, 3, 4, 5, 6, 10}; !slices.Equal(clientSortedCopy(pub.completed), want) {
		t.Errorf("publisher completed %v; want %v", pub.completed, want)
	}
	if d := sub.c.Stats().Duplicates; d == 0 {
		t.Error("no duplicate was discarded: the test did not exercise the resend")
	}
	if in, q := sub.c.Pending(); in != 0 || q != 0 {
		t.Errorf("subscriber pending %d, %d", in, q)
	}
	if in, q := pub.c.Pending(); in != 0 || q != 0 {
		t.Errorf("publisher pending %d, %d", in, q)
	}
}

func clientSortedCopy(s []uint64) []uint64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
