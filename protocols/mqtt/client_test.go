package mqtt

import (
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/iotsim/iotsim/sim"
)

// persistent is the configuration of trace s8's "fixedid" and s11's
// "slowsub": clean session 0, keepalive 60.
func clientPersistentCfg() ClientConfig {
	return ClientConfig{ClientID: "fixedid", KeepAlive: 60 * time.Second, Reconnect: true}
}

func clientCleanCfg() ClientConfig {
	return ClientConfig{ClientID: "dev1", CleanSession: true, KeepAlive: 60 * time.Second, Reconnect: true}
}

func TestClientConnectFields(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.KeepAlive = 10 * time.Second
	cfg.Username, cfg.UsernameFlag = "user", true
	cfg.Password, cfg.PasswordFlag = "pass", true
	cfg.Will = &Will{Topic: "handong/status", Payload: []byte("gone"), QoS: QoS1, Retain: true}
	h := newClientHarness(t, cfg)
	h.c.SetClientID("dev7")
	h.note("CONNECT carries the will and the credentials; the CONNACK deadline is 30 s")
	h.connect(false)
	h.checkGolden("connect_fields")

	p := h.sent[0]
	want := ConnectFields{ProtocolLevel: Version311, CleanSession: true, KeepAlive: 10, ClientID: "dev7",
		WillFlag: true, WillQoS: QoS1, WillRetain: true, WillTopic: "handong/status", WillMessage: []byte("gone"),
		UsernameFlag: true, Username: "user", PasswordFlag: true, Password: []byte("pass")}
	if p.Type != Connect || !clientConnectEqual(p.Connect, &want) {
		t.Errorf("CONNECT = %+v; want %+v", p.Connect, want)
	}
	// The golden encoding of the same CONNECT in testdata/golden.txt.
	g := goldenPackets["connect_will_user_pass"]
	p.Connect.ClientID = "dev1"
	if got, want := Append(nil, &p), Append(nil, &g); string(got) != string(want) {
		t.Errorf("CONNECT encodes as %x; want the golden %x", got, want)
	}
}

func clientConnectEqual(a, b *ConnectFields) bool {
	return a.ProtocolLevel == b.ProtocolLevel && a.CleanSession == b.CleanSession && a.KeepAlive == b.KeepAlive &&
		a.ClientID == b.ClientID && a.WillFlag == b.WillFlag && a.WillQoS == b.WillQoS && a.WillRetain == b.WillRetain &&
		a.WillTopic == b.WillTopic && string(a.WillMessage) == string(b.WillMessage) &&
		a.UsernameFlag == b.UsernameFlag && a.Username == b.Username &&
		a.PasswordFlag == b.PasswordFlag && string(a.Password) == string(b.Password)
}

func TestClientConnectFieldsTable(t *testing.T) {
	tests := []struct {
		name string
		cfg  ClientConfig
		want ConnectFields
	}{
		{"mosquitto defaults", ClientConfig{ClientID: "sub_s2_qos1", CleanSession: true, KeepAlive: time.Minute},
			ConnectFields{ProtocolLevel: Version311, CleanSession: true, KeepAlive: 60, ClientID: "sub_s2_qos1"}},
		{"keepalive off", ClientConfig{ClientID: "a"},
			ConnectFields{ProtocolLevel: Version311, ClientID: "a"}},
		{"keepalive rounded up", ClientConfig{ClientID: "a", KeepAlive: 1500 * time.Millisecond},
			ConnectFields{ProtocolLevel: Version311, ClientID: "a", KeepAlive: 2}},
		{"keepalive clamped", ClientConfig{ClientID: "a", KeepAlive: 100 * time.Hour},
			ConnectFields{ProtocolLevel: Version311, ClientID: "a", KeepAlive: 65535}},
		{"user name only", ClientConfig{ClientID: "c", Username: "bob", UsernameFlag: true},
			ConnectFields{ProtocolLevel: Version311, ClientID: "c", UsernameFlag: true, Username: "bob"}},
		{"empty password", ClientConfig{ClientID: "c", UsernameFlag: true, PasswordFlag: true},
			ConnectFields{ProtocolLevel: Version311, ClientID: "c", UsernameFlag: true, PasswordFlag: true, Password: []byte{}}},
		{"password forces the user name flag", ClientConfig{ClientID: "c", Password: "p", PasswordFlag: true},
			ConnectFields{ProtocolLevel: Version311, ClientID: "c", UsernameFlag: true, PasswordFlag: true, Password: []byte("p")}},
		{"will qos 2", ClientConfig{ClientID: "c", Will: &Will{Topic: "w", QoS: QoS2}},
			ConnectFields{ProtocolLevel: Version311, ClientID: "c", WillFlag: true, WillQoS: QoS2, WillTopic: "w"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newClientHarness(t, tt.cfg)
			h.start()
			h.up()
			if got := h.lastSent(); got.Type != Connect || !clientConnectEqual(got.Connect, &tt.want) {
				t.Errorf("CONNECT = %+v; want %+v", got.Connect, tt.want)
			}
		})
	}
}

// TestClientQoS1 follows trace s2: two QoS 1 publications, each
// acknowledged, ids 1 and 2.
func TestClientQoS1(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.ClientID = "pub_s2_qos1"
	h := newClientHarness(t, cfg)
	h.connect(false)
	h.at(0.1).publish("a/b", "msg1", QoS1, 1)
	h.at(0.1006).recv(Packet{Type: Puback, PacketID: 1})
	h.publish("a/b", "msg2", QoS1, 2)
	h.at(0.1016).recv(Packet{Type: Puback, PacketID: 2})
	h.disconnect()
	h.checkGolden("qos1")
	if !slices.Equal(h.completed, []uint64{1, 2}) {
		t.Errorf("completed %v; want [1 2]", h.completed)
	}
	if h.c.State() != ClientStopped || h.timer != 0 {
		t.Errorf("after Disconnect: state %v, timer %v; want stopped, none", h.c.State(), h.timer)
	}
}

// TestClientQoS2 follows trace s3: PUBLISH, PUBREC, PUBREL, PUBCOMP with
// two messages interleaved.
func TestClientQoS2(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.ClientID = "pub_s3_qos2"
	h := newClientHarness(t, cfg)
	h.connect(false)
	h.at(0.1).publish("a/b", "msg1", QoS2, 1)
	h.at(0.1002).recv(Packet{Type: Pubrec, PacketID: 1})
	h.publish("a/b", "msg2", QoS2, 2)
	h.note("PUBCOMP before PUBREC is ignored")
	h.at(0.1003).recv(Packet{Type: Pubcomp, PacketID: 2})
	h.at(0.1004).recv(Packet{Type: Pubrec, PacketID: 2})
	h.at(0.1008).recv(Packet{Type: Pubcomp, PacketID: 1})
	h.at(0.1009).recv(Packet{Type: Pubcomp, PacketID: 2})
	h.checkGolden("qos2")
	if !slices.Equal(h.completed, []uint64{1, 2}) {
		t.Errorf("completed %v; want [1 2]", h.completed)
	}
	if in, w := h.c.Pending(); in != 0 || w != 0 {
		t.Errorf("Pending = %d, %d; want 0, 0", in, w)
	}
}

func TestClientQoS0(t *testing.T) {
	h := newClientHarness(t, clientCleanCfg())
	h.note("QoS 0 before the connection is dropped; once connected it completes when sent")
	h.publish("a/b", "early", QoS0, 1)
	h.connect(false)
	h.at(1).publish("a/b", "msg1", QoS0, 2)
	h.note("invalid publications are dropped")
	h.publish("a/+", "wild", QoS0, 3)
	h.publish("a/b", "qos3", 3, 4)
	h.checkGolden("qos0")
	if !slices.Equal(h.completed, []uint64{2}) || !slices.Equal(h.dropped[DropOffline], []uint64{1}) ||
		!slices.Equal(h.dropped[DropInvalid], []uint64{3, 4}) {
		t.Errorf("completed %v, dropped %v", h.completed, h.dropped)
	}
}

// TestClientInflightWindow follows the publisher pub11 of trace s11: 25
// publications, 20 go out at once, the others one per PUBACK.
func TestClientInflightWindow(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.ClientID = "pub11"
	h := newClientHarness(t, cfg)
	h.connect(false)
	h.at(0.1)
	for i := 1; i <= 25; i++ {
		h.publish("inflight/t", "m"+clientTwoDigits(i), QoS1, uint64(i))
	}
	if in, w := h.c.Pending(); in != 20 || w != 5 {
		t.Fatalf("Pending = %d, %d; want 20, 5", in, w)
	}
	for i := 1; i <= 25; i++ {
		h.at(0.1 + float64(i)*0.0001).recv(Packet{Type: Puback, PacketID: uint16(i)})
	}
	h.checkGolden("inflight_window")
	var ids []uint16
	for _, p := range h.sent {
		if p.Type == Publish {
			ids = append(ids, p.PacketID)
		}
	}
	if len(ids) != 25 || ids[0] != 1 || ids[24] != 25 || !slices.IsSorted(ids) {
		t.Errorf("PUBLISH ids %v; want 1..25", ids)
	}
	if len(h.completed) != 25 {
		t.Errorf("%d completed; want 25", len(h.completed))
	}
}

func clientTwoDigits(i int) string { return string([]byte{'0' + byte(i/10), '0' + byte(i%10)}) }

// TestClientPacketIDs: ids are never 0, wrap after 65535 and skip ids
// still in use by a publication or a SUBSCRIBE.
func TestClientPacketIDs(t *testing.T) {
	h := newClientHarness(t, clientCleanCfg())
	h.connect(false)
	h.publish("a", "stuck", QoS1, 1) // id 1, never acknowledged
	h.subscribe(Subscription{Filter: "s", QoS: QoS0})
	if p := h.lastSent(); p.Type != Subscribe || p.PacketID != 2 {
		t.Fatalf("SUBSCRIBE id %d; want 2", p.PacketID)
	}
	h.quiet = true
	for i := 3; i <= 65535; i++ {
		h.c.Publish(h, h.now, "a", nil, QoS1, false, 0)
		p := h.lastSent()
		if p.PacketID != uint16(i) {
			t.Fatalf("publication %d has id %d", i, p.PacketID)
		}
		h.c.Receive(h, h.now, &Packet{Type: Puback, PacketID: p.PacketID})
	}
	// 65535 was the last; 0 is never used, 1 and 2 are taken.
	h.c.Publish(h, h.now, "a", nil, QoS1, false, 0)
	if id := h.lastSent().PacketID; id != 3 {
		t.Errorf("after the wrap: id %d; want 3", id)
	}
	h.c.Receive(h, h.now, &Packet{Type: Suback, PacketID: 2, ReturnCodes: []byte{0}})
	h.c.Receive(h, h.now, &Packet{Type: Puback, PacketID: 3})
	for i := 4; i <= 65535; i++ {
		h.c.Publish(h, h.now, "a", nil, QoS1, false, 0)
		h.c.Receive(h, h.now, &Packet{Type: Puback, PacketID: h.lastSent().PacketID})
	}
	h.c.Publish(h, h.now, "a", nil, QoS1, false, 0)
	if id := h.lastSent().PacketID; id != 2 {
		t.Errorf("after the SUBACK freed id 2: id %d; want 2", id)
	}
}

// TestClientKeepAlive follows trace s9 (keepalive 5: PINGREQ every 5 s
// when idle), then shows traffic postponing the ping and a ping timeout.
func TestClientKeepAlive(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.ClientID, cfg.KeepAlive = "ka5", 5*time.Second
	h := newClientHarness(t, cfg)
	h.connect(false)
	h.fire() // 5 s: PINGREQ
	h.at(5.0004).recv(Packet{Type: Pingresp})
	h.fire() // 10 s: PINGREQ
	h.at(10.0003).recv(Packet{Type: Pingresp})
	h.note("a publication at 12 s postpones the next PINGREQ to 17 s; the timer set for 15 s finds nothing due")
	h.at(12).publish("ka/t", "x", QoS0, 1)
	h.fire() // 15 s
	h.fire() // 17 s: PINGREQ
	h.note("no PINGRESP within the keepalive: the connection is lost at 22 s")
	h.fire() // 22 s
	lostAt, state := h.now, h.c.State()
	h.fire() // and dials again after the backoff
	h.checkGolden("keepalive")

	pings := 0
	for _, p := range h.sent {
		if p.Type == Pingreq {
			pings++
		}
	}
	if pings != 3 {
		t.Errorf("%d PINGREQs; want 3", pings)
	}
	if !slices.Equal(h.lost, []LostReason{LostPingTimeout}) || state != ClientBackoff {
		t.Errorf("lost %v, state %v; want [ping timeout], backoff", h.lost, state)
	}
	if lostAt != sim.Time(22*time.Second) {
		t.Errorf("lost at %v; want 22s", time.Duration(lostAt))
	}
	if h.dials != 2 {
		t.Errorf("%d dials; want 2 (the reconnect)", h.dials)
	}
}

// TestClientBackoff: the waits between failed dials are drawn within
// [0, min(60 s, 1 s·2^n)] and actually vary; a success resets them.
func TestClientBackoff(t *testing.T) {
	h := newClientHarness(t, clientCleanCfg())
	h.start()
	var waits []time.Duration
	for n := 0; n < 10; n++ {
		h.down()
		failedAt := h.now
		h.fire()
		waits = append(waits, h.now.Sub(failedAt))
	}
	h.up()
	h.recv(Packet{Type: Connack})
	h.at(h.now.Seconds() + 1).down()
	failedAt := h.now
	h.fire()
	after := h.now.Sub(failedAt)
	h.checkGolden("backoff")

	for n, w := range waits {
		bound := min(60*time.Second, time.Second<<n)
		if w < 0 || w > bound {
			t.Errorf("wait %d = %v; want within [0, %v]", n, w, bound)
		}
	}
	if after > time.Second {
		t.Errorf("wait after a success = %v; want within [0, 1s]", after)
	}
	distinct := map[time.Duration]bool{}
	for _, w := range waits {
		distinct[w] = true
	}
	if len(distinct) < 9 {
		t.Errorf("waits %v: no jitter", waits)
	}
	if h.dials != 12 || !slices.Equal(h.lost[:10], slices.Repeat([]LostReason{LostDial}, 10)) {
		t.Errorf("%d dials, lost %v", h.dials, h.lost)
	}
}

// TestClientBackoffBounds checks the bounds over many draws and custom
// limits.
func TestClientBackoffBounds(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.ReconnectMin, cfg.ReconnectMax = 500*time.Millisecond, 5*time.Second
	rng := sim.NewStream(7, "x", "reconnect")
	var c Client
	c.Init(&cfg, &rng)
	var maxSeen [8]time.Duration
	for i := 0; i < 2000; i++ {
		for n := range maxSeen {
			c.failures = uint8(n)
			w := c.backoff()
			bound := min(cfg.ReconnectMax, cfg.ReconnectMin<<n)
			if w < 0 || w > bound {
				t.Fatalf("failures %d: wait %v outside [0, %v]", n, w, bound)
			}
			maxSeen[n] = max(maxSeen[n], w)
		}
	}
	for n, m := range maxSeen {
		if bound := min(cfg.ReconnectMax, cfg.ReconnectMin<<n); m < bound*9/10 {
			t.Errorf("failures %d: largest of 2000 waits %v; want close to %v", n, m, bound)
		}
	}
	c.failures = 200 // no overflow however long the outage
	if w := c.backoff(); w > cfg.ReconnectMax {
		t.Errorf("after 200 failures: %v", w)
	}
}

// TestClientPersistentResend: a CleanSession 0 client loses its
// connection with QoS 1 and QoS 2 publications unacknowledged; after the
// reconnect they are sent again with the same ids in the same order,
// PUBLISH with DUP = 1, and PUBREL for the QoS 2 message past PUBREC — as
// the broker does in trace s11.
func TestClientPersistentResend(t *testing.T) {
	h := newClientHarness(t, clientPersistentCfg())
	h.connect(false)
	h.at(1).publish("persist/t", "q1-a", QoS1, 1)
	h.publish("persist/t", "q1-b", QoS1, 2)
	h.publish("persist/t", "q2-c", QoS2, 3)
	h.publish("persist/t", "q2-d", QoS2, 4)
	h.at(1.001).recv(Packet{Type: Puback, PacketID: 2})
	h.recv(Packet{Type: Pubrec, PacketID: 4})
	h.at(9).down()
	h.publish("persist/t", "offline", QoS1, 5)
	h.fire()
	h.up()
	h.note("session present: no SUBSCRIBE; resends in order, then the offline publication")
	h.recv(Packet{Type: Connack, SessionPresent: true})
	h.recv(Packet{Type: Puback, PacketID: 1})
	h.recv(Packet{Type: Pubrec, PacketID: 3})
	h.recv(Packet{Type: Pubcomp, PacketID: 3})
	h.recv(Packet{Type: Pubcomp, PacketID: 4})
	h.recv(Packet{Type: Puback, PacketID: 5})
	h.checkGolden("persistent_resend")

	var after []Packet
	for j := len(h.sent) - 1; j >= 0; j-- {
		if h.sent[j].Type == Connect {
			after = h.sent[j+1:]
			break
		}
	}
	want := []string{"PUBLISH 1 dup ref=1", "PUBLISH 3 dup ref=3", "PUBREL 4", "PUBLISH 5 ref=5"}
	var got []string
	for _, p := range after[:4] {
		switch p.Type {
		case Publish:
			s := "PUBLISH " + strconv.Itoa(int(p.PacketID))
			if p.Dup {
				s += " dup"
			}
			got = append(got, s+" ref="+strconv.Itoa(int(p.Ref)))
		default:
			got = append(got, p.Type.String()+" "+strconv.Itoa(int(p.PacketID)))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("after the reconnect: %q; want %q", got, want)
	}
	if !slices.Equal(h.completed, []uint64{2, 1, 3, 4, 5}) {
		t.Errorf("completed %v", h.completed)
	}
	if s := h.c.Stats(); s.Resent != 3 || s.Connects != 2 || s.Lost != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestClientCleanSessionDrop: a CleanSession 1 client drops its inflight
// publications when the connection ends, keeps those never sent, and
// subscribes again after the reconnect (session present 0).
func TestClientCleanSessionDrop(t *testing.T) {
	h := newClientHarness(t, clientCleanCfg())
	h.subscribe(Subscription{Filter: "a/#", QoS: QoS1}, Subscription{Filter: "b", QoS: QoS2})
	h.connect(false)
	h.recv(Packet{Type: Suback, PacketID: 1, ReturnCodes: []byte{1, 2}})
	h.at(1).publish("a/b", "m1", QoS1, 1)
	h.publish("a/b", "m2", QoS2, 2)
	h.recv(Packet{Type: Pubrec, PacketID: 2})
	h.note("an incoming QoS 2 id is forgotten with the session")
	h.recv(Packet{Type: Publish, QoS: QoS2, PacketID: 9, Topic: "a/x", Payload: []byte("in")})
	h.at(2).down()
	h.publish("a/b", "m3", QoS1, 3)
	h.fire()
	h.up()
	h.recv(Packet{Type: Connack})
	h.recv(Packet{Type: Suback, PacketID: 4, ReturnCodes: []byte{1, 2}})
	h.recv(Packet{Type: Publish, QoS: QoS2, PacketID: 9, Topic: "a/x", Payload: []byte("in2")})
	h.checkGolden("clean_session")
	if !slices.Equal(h.dropped[DropCleanSession], []uint64{1, 2}) {
		t.Errorf("dropped %v; want refs 1, 2 for the clean session", h.dropped)
	}
	if len(h.subacks) != 2 || len(h.delivered) != 2 {
		t.Errorf("%d SUBACKs, %d deliveries; want 2, 2", len(h.subacks), len(h.delivered))
	}
	if s := h.c.Stats(); s.DroppedCleanSession != 2 || s.Resent != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestClientOfflineQueue: publications made while offline wait in a
// bounded queue; overflow and QoS 0 are dropped and counted.
func TestClientOfflineQueue(t *testing.T) {
	cfg := clientCleanCfg()
	cfg.OfflineQueue, cfg.MaxInflight = 3, 2
	h := newClientHarness(t, cfg)
	h.start()
	for i := 1; i <= 5; i++ {
		h.publish("q", "m"+strconv.Itoa(i), QoS1, uint64(i))
	}
	h.publish("q", "zero", QoS0, 6)
	h.up()
	h.recv(Packet{Type: Connack})
	h.note("window of 2: the third waits for an acknowledgment")
	h.recv(Packet{Type: Puback, PacketID: 1})
	h.recv(Packet{Type: Puback, PacketID: 2})
	h.recv(Packet{Type: Puback, PacketID: 3})
	h.checkGolden("offline_queue")
	if !slices.Equal(h.dropped[DropQueueFull], []uint64{4, 5}) || !slices.Equal(h.dropped[DropOffline], []uint64{6}) {
		t.Errorf("dropped %v", h.dropped)
	}
	if !slices.Equal(h.completed, []uint64{1, 2, 3}) {
		t.Errorf("completed %v", h.completed)
	}
	s := h.c.Stats()
	if s.DroppedQueueFull != 2 || s.DroppedOffline != 1 {
		t.Errorf("stats %+v", s)
	}

	// A negative bound means no queue: everything offline is dropped.
	cfg.OfflineQueue = -1
	h = newClientHarness(t, cfg)
	h.c.Publish(h, 0, "q", nil, QoS1, false, 1)
	if !slices.Equal(h.dropped[DropQueueFull], []uint64{1}) {
		t.Errorf("OfflineQueue -1: dropped %v", h.dropped)
	}
}

// TestClientQoS2Receive: a received QoS 2 message is delivered once even
// when the broker sends it again (DUP) before PUBREL; a QoS 1 duplicate
// is delivered again. The stored id survives a reconnect of a persistent
// session, as in trace s11 where the broker resends only PUBREL.
func TestClientQoS2Receive(t *testing.T) {
	h := newClientHarness(t, clientPersistentCfg())
	h.c.SetClientID("q2sub")
	h.connect(false)
	h.recv(Packet{Type: Publish, QoS: QoS2, PacketID: 1, Topic: "inflight/q2", Payload: []byte("exactly-once")})
	h.recv(Packet{Type: Publish, QoS: QoS2, Dup: true, PacketID: 1, Topic: "inflight/q2", Payload: []byte("exactly-once")})
	h.at(1).down()
	h.fire()
	h.up()
	h.recv(Packet{Type: Connack, SessionPresent: true})
	h.recv(Packet{Type: Publish, QoS: QoS2, Dup: true, PacketID: 1, Topic: "inflight/q2", Payload: []byte("exactly-once")})
	h.recv(Packet{Type: Pubrel, PacketID: 1})
	h.note("the id is free again: a new message with it is delivered")
	h.recv(Packet{Type: Publish, QoS: QoS2, PacketID: 1, Topic: "inflight/q2", Payload: []byte("again")})
	h.recv(Packet{Type: Pubrel, PacketID: 1})
	h.note("PUBREL for an unknown id still gets PUBCOMP")
	h.recv(Packet{Type: Pubrel, PacketID: 77})
	h.note("QoS 1: a duplicate is delivered again")
	h.recv(Packet{Type: Publish, QoS: QoS1, PacketID: 5, Topic: "t", Payload: []byte("one")})
	h.recv(Packet{Type: Publish, QoS: QoS1, Dup: true, PacketID: 5, Topic: "t", Payload: []byte("one")})
	h.recv(Packet{Type: Publish, Topic: "t", Payload: []byte("zero")})
	h.checkGolden("qos2_receive")
	var payloads []string
	for _, p := range h.delivered {
		payloads = append(payloads, string(p.Payload))
	}
	if want := []string{"exactly-once", "again", "one", "one", "zero"}; !slices.Equal(payloads, want) {
		t.Errorf("delivered %q; want %q", payloads, want)
	}
	if d := h.c.Stats().Duplicates; d != 2 {
		t.Errorf("Duplicates = %d; want 2", d)
	}
}

// TestClientRefused: return codes 1, 2, 4, 5 stop the client; 3 (server
// unavailable) is retried after a backoff.
func TestClientRefused(t *testing.T) {
	for code := RefusedProtocolVersion; code <= RefusedNotAuthorized; code++ {
		t.Run(code.String(), func(t *testing.T) {
			h := newClientHarness(t, clientCleanCfg())
			h.start()
			h.up()
			h.recv(Packet{Type: Connack, ReturnCode: code})
			retry := code == RefusedServerUnavailable
			if !slices.Equal(h.refused, []ConnectReturnCode{code}) || h.hangups != 1 {
				t.Fatalf("refused %v, %d hang-ups", h.refused, h.hangups)
			}
			if retry {
				if h.c.State() != ClientBackoff || h.timer == 0 {
					t.Fatalf("state %v, timer %v; want backoff with a timer", h.c.State(), h.timer)
				}
				h.fire()
				if h.dials != 2 {
					t.Errorf("%d dials; want 2", h.dials)
				}
			} else if h.c.State() != ClientStopped || h.timer != 0 {
				t.Errorf("state %v, timer %v; want stopped, none", h.c.State(), h.timer)
			}
		})
	}
	h := newClientHarness(t, clientCleanCfg())
	h.start()
	h.up()
	h.recv(Packet{Type: Connack, ReturnCode: RefusedNotAuthorized})
	h.note("Start again after a refusal")
	h.at(5).start()
	h.up()
	h.recv(Packet{Type: Connack, ReturnCode: RefusedServerUnavailable})
	h.fire()
	h.checkGolden("refused")
}

// TestClientFailures: a CONNACK that never comes, a packet before CONNACK,
// a transport down while connected, and reconnect turned off.
func TestClientFailures(t *testing.T) {
	cfg := clientPersistentCfg()
	cfg.ConnectTimeout = 5 * time.Second
	h := newClientHarness(t, cfg)
	h.start()
	h.up()
	h.note("no CONNACK within ConnectTimeout")
	h.fire()
	h.fire()
	h.up()
	h.note("a PUBLISH before CONNACK is a protocol error")
	h.recv(Packet{Type: Publish, Topic: "x"})
	h.fire()
	h.up()
	h.recv(Packet{Type: Connack})
	h.note("a second CONNACK is a protocol error too")
	h.recv(Packet{Type: Connack})
	h.fire()
	h.up()
	h.recv(Packet{Type: Connack, SessionPresent: true})
	h.note("stray acknowledgments are ignored; PUBREC for an unknown id gets PUBREL")
	h.recv(Packet{Type: Puback, PacketID: 9})
	h.recv(Packet{Type: Pubcomp, PacketID: 9})
	h.recv(Packet{Type: Suback, PacketID: 9, ReturnCodes: []byte{0}})
	h.recv(Packet{Type: Pubrec, PacketID: 9})
	h.at(100).down()
	h.checkGolden("failures")
	want := []LostReason{LostConnackTimeout, LostProtocolError, LostProtocolError, LostTransport}
	if !slices.Equal(h.lost, want) {
		t.Errorf("lost %v; want %v", h.lost, want)
	}

	cfg.Reconnect = false
	h = newClientHarness(t, cfg)
	h.connect(false)
	h.down()
	if h.c.State() != ClientStopped || h.timer != 0 || h.dials != 1 {
		t.Errorf("without Reconnect: state %v, timer %v, %d dials", h.c.State(), h.timer, h.dials)
	}
	h.c.TransportUp(h, h.now) // a late answer changes nothing
	if len(h.sent) != 1 {
		t.Errorf("sent %d packets after stopping", len(h.sent))
	}
}

// TestClientSubscribe follows trace s8's "fixedid": SUBSCRIBE after the
// first CONNACK; after a reconnect with session present the subscription
// is not sent again, with session present 0 it is.
func TestClientSubscribe(t *testing.T) {
	h := newClientHarness(t, clientPersistentCfg())
	h.subscribe(Subscription{Filter: "persist/t", QoS: QoS1})
	h.connect(false)
	h.at(0.001).recv(Packet{Type: Suback, PacketID: 1, ReturnCodes: []byte{1}})
	h.at(1).subscribe(Subscription{Filter: "other/#", QoS: QoS0})
	h.note("lost before the SUBACK: the unacknowledged SUBSCRIBE is sent again")
	h.at(2).down()
	h.fire()
	h.up()
	h.recv(Packet{Type: Connack, SessionPresent: true})
	h.recv(Packet{Type: Suback, PacketID: 2, ReturnCodes: []byte{0}})
	h.note("the broker lost the session: everything is subscribed again")
	h.at(3).down()
	h.fire()
	h.up()
	h.recv(Packet{Type: Connack})
	h.recv(Packet{Type: Suback, PacketID: 3, ReturnCodes: []byte{1, 0}})
	h.disconnect()
	h.checkGolden("subscribe")
	if len(h.subacks) != 3 {
		t.Errorf("%d SUBACKs; want 3", len(h.subacks))
	}
	// A reconnect never writes into the caller's slice.
	subs := []Subscription{{Filter: "x", QoS: 0}}
	h = newClientHarness(t, clientCleanCfg())
	h.subscribe(subs[:1:1]...)
	h.subscribe(Subscription{Filter: "y"})
	if subs[0].Filter != "x" {
		t.Error("Subscribe modified the caller's slice")
	}
}

// TestClientDisconnect: DISCONNECT then hang up, no reconnect, a clean
// session's inflight publications dropped, and Start again later.
func TestClientDisconnect(t *testing.T) {
	h := newClientHarness(t, clientCleanCfg())
	h.connect(false)
	h.publish("a", "m1", QoS1, 1)
	h.at(1).disconnect()
	h.publish("a", "m2", QoS1, 2)
	h.down() // the transport confirms: ignored
	h.at(2).start()
	h.up()
	h.recv(Packet{Type: Connack})
	h.note("Disconnect while waiting to reconnect")
	h.at(3).down()
	h.disconnect()
	h.checkGolden("disconnect")
	if !slices.Equal(h.dropped[DropCleanSession], []uint64{1, 2}) || len(h.lost) != 1 || h.timer != 0 {
		t.Errorf("dropped %v, lost %v, timer %v", h.dropped, h.lost, h.timer)
	}
}

// TestClientCallbacksReenter: the application may publish or disconnect
// from inside a callback.
func TestClientCallbacksReenter(t *testing.T) {
	cfg := clientCleanCfg()
	h := newClientHarness(t, cfg)
	env := &reentrantClientEnv{clientHarness: h}
	h.c.Start(env, 0)
	h.c.TransportUp(env, 0)
	env.onConnected = func() { h.c.Publish(env, 0, "a", nil, QoS1, false, 1) }
	h.c.Receive(env, 0, &Packet{Type: Connack})
	if p := h.lastSent(); p.Type != Publish || p.PacketID != 1 {
		t.Fatalf("publish from Connected: last sent %s", clientFmt(&p))
	}
	env.onCompleted = func() { h.c.Disconnect(env, 0) }
	h.c.Publish(env, 0, "a", nil, QoS1, false, 2) // sent: the window has room
	h.c.Receive(env, 0, &Packet{Type: Puback, PacketID: 1})
	if h.c.State() != ClientStopped {
		t.Errorf("state %v; want stopped", h.c.State())
	}
	n := len(h.sent)
	env.onCompleted = nil
	h.c.Receive(env, 0, &Packet{Type: Puback, PacketID: 2})
	if len(h.sent) != n {
		t.Error("sent after Disconnect")
	}
}

type reentrantClientEnv struct {
	*clientHarness
	onConnected, onCompleted func()
}

func (r *reentrantClientEnv) Connected(sp bool) {
	r.clientHarness.Connected(sp)
	if r.onConnected != nil {
		r.onConnected()
	}
}

func (r *reentrantClientEnv) Completed(ref uint64) {
	r.clientHarness.Completed(ref)
	if f := r.onCompleted; f != nil {
		r.onCompleted = nil
		f()
	}
}

func TestClientSize(t *testing.T) {
	// Idle clients are most of a fleet; keep them small.
	t.Logf("sizeof(Client) = %d, sizeof(outMsg) = %d, sizeof(Packet) = %d", unsafe.Sizeof(Client{}), unsafe.Sizeof(outMsg{}), unsafe.Sizeof(Packet{}))
	if n := unsafe.Sizeof(Client{}); n > 256 {
		t.Errorf("sizeof(Client) = %d; want ≤ 256", n)
	}
	if n := unsafe.Sizeof(outMsg{}); n > 64 {
		t.Errorf("sizeof(outMsg) = %d; want ≤ 64", n)
	}
}

// nopClientEnv is a ClientEnv that does nothing, for allocation counts.
type nopClientEnv struct{ last uint16 }

func (*nopClientEnv) Dial()                      {}
func (e *nopClientEnv) Send(p *Packet)           { e.last = p.PacketID }
func (*nopClientEnv) HangUp()                    {}
func (*nopClientEnv) SetTimer(sim.Time)          {}
func (*nopClientEnv) Connected(bool)             {}
func (*nopClientEnv) Refused(ConnectReturnCode)  {}
func (*nopClientEnv) Lost(LostReason)            {}
func (*nopClientEnv) Message(*Packet)            {}
func (*nopClientEnv) Completed(uint64)           {}
func (*nopClientEnv) Dropped(uint64, DropReason) {}
func (*nopClientEnv) Subscribed([]byte)          {}

func connectedClient(tb testing.TB, cfg *ClientConfig, rng *sim.Stream, env *nopClientEnv) *Client {
	c := new(Client)
	c.Init(cfg, rng)
	c.Start(env, 0)
	c.TransportUp(env, 0)
	c.Receive(env, 0, &Packet{Type: Connack})
	if c.State() != ClientConnected {
		tb.Fatalf("state %v", c.State())
	}
	return c
}

// TestClientSteadyAllocs: publishing and acknowledging at QoS 0, 1 and 2,
// receiving at QoS 1, and keepalive allocate nothing once warm.
func TestClientSteadyAllocs(t *testing.T) {
	cfg := clientCleanCfg()
	rng := sim.NewStream(1, "a", "b")
	env := &nopClientEnv{}
	c := connectedClient(t, &cfg, &rng, env)
	payload := make([]byte, 64)
	now := sim.Time(0)
	// The packets are made once: a literal passed to Receive escapes.
	in := &Packet{Type: Publish, QoS: QoS1, PacketID: 7, Topic: "t", Payload: payload}
	ack, rec, comp, pong := &Packet{Type: Puback}, &Packet{Type: Pubrec}, &Packet{Type: Pubcomp}, &Packet{Type: Pingresp}
	cycle := func() {
		now += sim.Time(time.Second)
		c.Publish(env, now, "sensors/1/temp", payload, QoS0, false, 1)
		c.Publish(env, now, "sensors/1/temp", payload, QoS1, false, 2)
		ack.PacketID = env.last
		c.Receive(env, now, ack)
		c.Publish(env, now, "sensors/1/temp", payload, QoS2, false, 3)
		rec.PacketID, comp.PacketID = env.last, env.last
		c.Receive(env, now, rec)
		c.Receive(env, now, comp)
		c.Receive(env, now, in)
		c.OnTimer(env, now.Add(time.Minute))
		c.Receive(env, now, pong)
	}
	cycle()
	if a := testing.AllocsPerRun(100, cycle); a != 0 {
		t.Errorf("%v allocations per cycle; want 0", a)
	}
}

func BenchmarkClientPublishQoS1(b *testing.B) {
	cfg := clientCleanCfg()
	rng := sim.NewStream(1, "a", "b")
	env := &nopClientEnv{}
	c := connectedClient(b, &cfg, &rng, env)
	payload := make([]byte, 64)
	ack := Packet{Type: Puback}
	b.ReportAllocs()
	now := sim.Time(0)
	for b.Loop() {
		now++
		c.Publish(env, now, "sensors/device-0001/temp", payload, QoS1, false, 1)
		ack.PacketID = env.last
		c.Receive(env, now, &ack)
	}
}

func BenchmarkClientPublishQoS0(b *testing.B) {
	cfg := clientCleanCfg()
	rng := sim.NewStream(1, "a", "b")
	env := &nopClientEnv{}
	c := connectedClient(b, &cfg, &rng, env)
	payload := make([]byte, 64)
	b.ReportAllocs()
	now := sim.Time(0)
	for b.Loop() {
		now++
		c.Publish(env, now, "sensors/device-0001/temp", payload, QoS0, false, 1)
	}
}
