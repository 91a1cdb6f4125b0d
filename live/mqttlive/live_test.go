package mqttlive

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/mqtt"
)

// Tests of the adapter itself: the project's client and broker engines
// with each other and with a raw socket. They need no external tool.

// raw is a hand-driven MQTT connection.
type raw struct {
	t   *testing.T
	c   *net.TCPConn
	buf []byte
}

func rawDial(t *testing.T, addr *net.TCPAddr) *raw {
	t.Helper()
	c, err := net.DialTCP("tcp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &raw{t: t, c: c}
}

// write sends b in pieces of chunk bytes, pausing between them so that the
// broker reads packets in parts.
func (r *raw) write(b []byte, chunk int) {
	r.t.Helper()
	for len(b) > 0 {
		n := min(chunk, len(b))
		if _, err := r.c.Write(b[:n]); err != nil {
			r.t.Fatal(err)
		}
		b = b[n:]
		if len(b) > 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// recv reads the next packet.
func (r *raw) recv() mqtt.Packet {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(testTimeout))
	tmp := make([]byte, 512)
	for {
		p, n, err := mqtt.Parse(r.buf)
		if err == nil {
			detach(&p)
			r.buf = r.buf[n:]
			return p
		}
		if err != mqtt.ErrIncomplete {
			r.t.Fatalf("broker sent bytes that do not parse: %v", err)
		}
		m, err := r.c.Read(tmp)
		if err != nil {
			r.t.Fatalf("read: %v", err)
		}
		r.buf = append(r.buf, tmp[:m]...)
	}
}

// closedByPeer waits for the broker to close the connection.
func (r *raw) closedByPeer() {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(testTimeout))
	tmp := make([]byte, 512)
	for {
		_, err := r.c.Read(tmp)
		if err == io.EOF {
			return
		}
		if err != nil {
			r.t.Fatalf("read: %v; want EOF", err)
		}
	}
}

func connectPacket(id string, keepAlive uint16, will bool) *mqtt.Packet {
	cf := &mqtt.ConnectFields{ProtocolLevel: mqtt.Version311, CleanSession: true, KeepAlive: keepAlive, ClientID: id}
	if will {
		cf.WillFlag, cf.WillQoS, cf.WillTopic, cf.WillMessage = true, 1, "will/"+id, []byte("gone "+id)
	}
	return &mqtt.Packet{Type: mqtt.Connect, Connect: cf}
}

func TestBrokerReadsPacketsInPiecesAndTogether(t *testing.T) {
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	tests := []struct {
		name  string
		chunk int
	}{
		{"one byte at a time", 1},
		{"three bytes at a time", 3},
		{"all in one write", 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawDial(t, b.Addr())
			payload := make([]byte, 300) // a two-byte remaining length
			for i := range payload {
				payload[i] = byte(i)
			}
			var out []byte
			for _, p := range []*mqtt.Packet{
				connectPacket("pieces", 0, false),
				{Type: mqtt.Subscribe, PacketID: 7, Subscriptions: []mqtt.Subscription{{Filter: "echo/#", QoS: 1}}},
				{Type: mqtt.Publish, QoS: 1, PacketID: 9, Topic: "echo/x", Payload: payload},
				{Type: mqtt.Pingreq},
			} {
				out = mqtt.Append(out, p)
			}
			r.write(out, tt.chunk)
			want := []string{"CONNACK 0", "SUBACK 7 [1]", "PUBLISH 1 echo/x 300", "PUBACK 9", "PINGRESP 0"}
			for _, w := range want {
				p := r.recv()
				if got := describe(&p); got != w {
					t.Fatalf("received %s; want %s", got, w)
				}
				if p.Type == mqtt.Publish {
					if string(p.Payload) != string(payload) {
						t.Fatal("echoed payload differs")
					}
					r.write(mqtt.Append(nil, &mqtt.Packet{Type: mqtt.Puback, PacketID: p.PacketID}), tt.chunk)
				}
			}
			r.write(mqtt.Append(nil, &mqtt.Packet{Type: mqtt.Disconnect}), tt.chunk)
			r.closedByPeer()
		})
	}
	if st := waitStats(t, b, "no connection", func(st BrokerStats) bool { return st.Connected == 0 }); st.Closed[mqtt.CloseDisconnect] != 3 {
		t.Errorf("closes by DISCONNECT = %d, want 3", st.Closed[mqtt.CloseDisconnect])
	}
}

// describe is a packet's type and the fields the tests check.
func describe(p *mqtt.Packet) string {
	s := p.Type.String()
	switch p.Type {
	case mqtt.Connack:
		s += " " + strconv.Itoa(int(p.ReturnCode))
	case mqtt.Suback:
		s += " " + strconv.Itoa(int(p.PacketID)) + " ["
		for i, c := range p.ReturnCodes {
			if i > 0 {
				s += " "
			}
			s += strconv.Itoa(int(c))
		}
		s += "]"
	case mqtt.Publish:
		s += " " + strconv.Itoa(int(p.QoS)) + " " + p.Topic + " " + strconv.Itoa(len(p.Payload))
	default:
		s += " " + strconv.Itoa(int(p.PacketID))
	}
	return s
}

func TestBrokerClosesOnMalformedInput(t *testing.T) {
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	ctx := testContext(t)
	watcher := dial(t, b.Addr(), &mqtt.ClientConfig{ClientID: "watcher", CleanSession: true})
	if _, err := watcher.Subscribe(ctx, mqtt.Subscription{Filter: "will/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		connect bool
		bad     []byte
		will    bool // the will is published (only after a CONNECT)
	}{
		{"reserved type before CONNECT", false, []byte{0x00, 0x00}, false},
		{"PUBLISH QoS 3", true, []byte{0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01}, true},
		{"remaining length of five bytes", true, []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}, true},
		{"wildcard topic", true, mqtt.Append(nil, &mqtt.Packet{Type: mqtt.Publish, Topic: "a/#"}), true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "bad" + strconv.Itoa(i)
			r := rawDial(t, b.Addr())
			if tt.connect {
				r.write(mqtt.Append(nil, connectPacket(id, 0, true)), 1<<20)
				if p := r.recv(); describe(&p) != "CONNACK 0" {
					t.Fatalf("received %s; want CONNACK 0", describe(&p))
				}
			}
			r.write(tt.bad, 1<<20)
			r.closedByPeer()
			if tt.will {
				if got, want := next(t, watcher).String(), msgLine("will/"+id, 1, false, []byte("gone "+id)); got != want {
					t.Errorf("watcher received %s; want %s", got, want)
				}
			}
		})
	}
	st := waitStats(t, b, "stats", func(BrokerStats) bool { return true })
	if st.Closed[mqtt.CloseProtocol] != uint64(len(tests)) {
		t.Errorf("protocol closes = %d, want %d", st.Closed[mqtt.CloseProtocol], len(tests))
	}
}

func TestClientAndBrokerEngines(t *testing.T) {
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	ctx := testContext(t)
	sub := dial(t, b.Addr(), &mqtt.ClientConfig{ClientID: "sub", CleanSession: false})
	if codes, err := sub.Subscribe(ctx, mqtt.Subscription{Filter: "t/#", QoS: 2}); err != nil || len(codes) != 1 || codes[0] != 2 {
		t.Fatalf("Subscribe = %v, %v", codes, err)
	}
	pub := dial(t, b.Addr(), &mqtt.ClientConfig{ClientID: "pub", CleanSession: true,
		Will: &mqtt.Will{Topic: "t/will", Payload: []byte("bye"), QoS: 1}})
	for q := mqtt.QoS0; q <= mqtt.QoS2; q++ {
		if err := pub.Publish(ctx, "t/q"+strconv.Itoa(int(q)), []byte{byte(q), 0, 0xff}, q, q == 1); err != nil {
			t.Fatal(err)
		}
	}
	for q := mqtt.QoS0; q <= mqtt.QoS2; q++ {
		if got, want := next(t, sub).String(), msgLine("t/q"+strconv.Itoa(int(q)), q, false, []byte{byte(q), 0, 0xff}); got != want {
			t.Errorf("received %s; want %s", got, want)
		}
	}
	pub.Close()
	if got, want := next(t, sub).String(), msgLine("t/will", 1, false, []byte("bye")); got != want {
		t.Errorf("received %s; want the will %s", got, want)
	}

	// Persistent session: QoS 1 is queued while away, QoS 0 is not.
	if err := sub.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	pub = dial(t, b.Addr(), &mqtt.ClientConfig{ClientID: "pub2", CleanSession: true})
	for _, q := range []mqtt.QoS{1, 0, 2} {
		if err := pub.Publish(ctx, "t/away", []byte("q"+strconv.Itoa(int(q))), q, false); err != nil {
			t.Fatal(err)
		}
	}
	sub = dial(t, b.Addr(), &mqtt.ClientConfig{ClientID: "sub", CleanSession: false})
	if !sub.SessionPresent() {
		t.Error("no session present on reconnection")
	}
	for _, want := range []string{msgLine("t/away", 1, false, []byte("q1")), msgLine("t/away", 2, false, []byte("q2"))} {
		if got := next(t, sub).String(); got != want {
			t.Errorf("received %s; want %s", got, want)
		}
	}
	st := waitStats(t, b, "stats", func(BrokerStats) bool { return true })
	if st.DroppedOffline != 1 {
		t.Errorf("copies dropped offline = %d, want 1 (the QoS 0 one)", st.DroppedOffline)
	}
}

func TestBrokerRefusalReachesClient(t *testing.T) {
	cfg := mqtt.DefaultBrokerConfig()
	cfg.AllowAnonymous = false
	cfg.Users = map[string]string{"alice": "secret"}
	b := startBroker(t, cfg)
	bad := &mqtt.ClientConfig{ClientID: "x", CleanSession: true, Username: "alice", Password: "nope", UsernameFlag: true, PasswordFlag: true}
	_, err := DialContext(testContext(t), b.Addr().String(), bad)
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Code != mqtt.RefusedNotAuthorized {
		t.Fatalf("Dial = %v; want refusal code 5", err)
	}
	good := *bad
	good.Password = "secret"
	dial(t, b.Addr(), &good)
}

func TestDialFails(t *testing.T) {
	port := freePort(t) // nothing listens there now
	_, err := DialContext(testContext(t), "127.0.0.1:"+strconv.Itoa(port), &mqtt.ClientConfig{ClientID: "x", CleanSession: true})
	var lost *LostError
	if !errors.As(err, &lost) || lost.Reason != mqtt.LostDial {
		t.Fatalf("Dial = %v; want a LostError for the dial", err)
	}
}

func TestKeepalive(t *testing.T) {
	t.Parallel() // it waits in real time
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	ctx := testContext(t)
	watcher := dial(t, b.Addr(), &mqtt.ClientConfig{ClientID: "watcher", CleanSession: true, KeepAlive: time.Second})
	if _, err := watcher.Subscribe(ctx, mqtt.Subscription{Filter: "will/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	// A silent client with keepalive 1 s is closed after 1.5 s, with its
	// will; the watcher, which pings, stays.
	r := rawDial(t, b.Addr())
	start := time.Now()
	r.write(mqtt.Append(nil, connectPacket("silent", 1, true)), 1<<20)
	if p := r.recv(); describe(&p) != "CONNACK 0" {
		t.Fatalf("received %s; want CONNACK 0", describe(&p))
	}
	r.closedByPeer()
	if d := time.Since(start); d < 1400*time.Millisecond || d > 3*time.Second {
		t.Errorf("silent client closed after %v; want about 1.5 s", d)
	}
	if got, want := next(t, watcher).String(), msgLine("will/silent", 1, false, []byte("gone silent")); got != want {
		t.Errorf("watcher received %s; want %s", got, want)
	}
	st := waitStats(t, b, "the watcher's second PINGREQ", func(st BrokerStats) bool { return st.PacketsIn[mqtt.Pingreq] >= 2 })
	if st.Closed[mqtt.CloseKeepalive] != 1 || st.Connected != 1 || st.PacketsOut[mqtt.Pingresp] < 2 {
		t.Errorf("stats %+v; want one keepalive close and the watcher connected, its pings answered", st)
	}
	if err := watcher.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCloseStopsEveryGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	b, err := ListenBroker("127.0.0.1:0", mqtt.DefaultBrokerConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var clients []*Client
	for i := range 3 {
		c, err := DialContext(ctx, b.Addr().String(), &mqtt.ClientConfig{ClientID: "c" + strconv.Itoa(i), CleanSession: true, KeepAlive: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Subscribe(ctx, mqtt.Subscription{Filter: "#", QoS: 1}); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if err := clients[0].Publish(ctx, "x", []byte("y"), 2, false); err != nil {
		t.Fatal(err)
	}
	clients[0].Disconnect(ctx)
	clients[1].Close()
	b.Close() // with clients[2] still connected
	clients[2].Close()
	if err := b.Close(); err != ErrClosed {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := clients[2].Publish(ctx, "x", nil, 0, false); err != ErrClosed {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	deadline := time.Now().Add(testTimeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBrokerReusesConnectionIDs: connections that end give their ids back,
// whether the client disconnects or just drops the socket, so twenty
// connections one after the other use one id (and the engine's connection
// table stays small), while two at once use two.
func TestBrokerReusesConnectionIDs(t *testing.T) {
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	for i := range 20 {
		r := rawDial(t, b.Addr())
		r.write(mqtt.Append(nil, connectPacket("c"+strconv.Itoa(i), 0, false)), 1<<20)
		if p := r.recv(); describe(&p) != "CONNACK 0" {
			t.Fatalf("connection %d: received %s; want CONNACK 0", i, describe(&p))
		}
		if i%2 == 0 {
			r.write(mqtt.Append(nil, &mqtt.Packet{Type: mqtt.Disconnect}), 1<<20)
			r.closedByPeer()
		} else {
			r.c.Close()
		}
		waitStats(t, b, "the connection to end", func(st BrokerStats) bool { return st.Connected == 0 })
	}
	a, c := rawDial(t, b.Addr()), rawDial(t, b.Addr())
	for i, r := range []*raw{a, c} {
		r.write(mqtt.Append(nil, connectPacket("both"+strconv.Itoa(i), 0, false)), 1<<20)
		r.recv()
	}
	st := waitStats(t, b, "two connections", func(st BrokerStats) bool { return st.Connected == 2 })
	if st.Accepted != 22 || st.ConnIDs != 2 {
		t.Errorf("accepted %d connections with %d ids; want 22 with 2", st.Accepted, st.ConnIDs)
	}
}
