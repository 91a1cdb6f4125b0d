package topologies

import (
	"fmt"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/tcp"
	"github.com/iotsim/iotsim/sim"
)

// Regression tests for the bugs a review of the MQTT/TCP integration
// found, each reproducing its failure.

// Zero-delay links (the default): a reply must come at the same instant but
// never inside the sender's own call (a PINGRESP delivered inside the send
// of its PINGREQ made the client wait for it forever); every device keeps
// one connection, and the one opened at t = 0 gets its row too.
func TestRegressionZeroDelayMQTT(t *testing.T) {
	for _, qos := range []int{0, 1, 2} {
		c, _, _ := runWorld(t, fmt.Sprintf(`
name = "zd"
duration = "3m"
[links.l]
[brokers.cloud]
link = "l"
[devices.app]
link = "l"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = %d, subscribe = ["fleet/#"] }
[devices.s]
count = 3
link = "l"
attach = "cloud"
protocol = "mqtt"
start = "1s"
workload = { kind = "periodic", interval = "10s", payload = 8 }
mqtt = { qos = %d, topic = "fleet/{index}" }
`, qos, qos), Options{Seed: 1, Packets: true})
		delivered := 0
		for _, m := range c.msgs {
			if m.Delivered {
				delivered++
			}
		}
		if len(c.msgs) == 0 || delivered != len(c.msgs) || len(c.conns) != 4 {
			t.Errorf("qos %d: %d/%d delivered, %d connection rows; want all and 4", qos, delivered, len(c.msgs), len(c.conns))
		}
	}
}

// Zero-delay links with CoAP requests and Observe notifications.
func TestRegressionZeroDelayCoAP(t *testing.T) {
	for _, d := range []string{"0s", "1ms"} {
		for _, typ := range []string{"con", "non"} {
			c, _, w := runWorld(t, fmt.Sprintf(`
name = "zc"
duration = "200s"
drain = "100s"
[links.l]
delay = { dist = "constant", value = %q }
[coap_servers.api]
link = "l"
[devices.sensor]
count = 2
link = "l"
attach = "api"
protocol = "coap"
workload = { kind = "periodic", interval = "10s", payload = 32 }
coap = { type = %q, path = "/alerts" }
[devices.obs]
link = "l"
attach = "api"
protocol = "coap"
start = "1s"
coap = { observe = ["/alerts"] }
`, d, typ), Options{Seed: 1})
			var req, reqOK, tx, notes, notesOK int
			for _, m := range c.msgs {
				if m.Group == "obs" {
					notes++
					if m.Delivered {
						notesOK++
					}
					continue
				}
				req++
				tx += int(m.Transmissions)
				if m.Delivered {
					reqOK++
				}
			}
			if req == 0 || reqOK != req || tx != req || notes == 0 || notesOK != notes || w.CoAP.Responses != int64(req) {
				t.Errorf("delay %s %s: requests %d/%d delivered, tx %d; notifications %d/%d; %+v", d, typ, reqOK, req, tx, notesOK, notes, w.CoAP)
			}
		}
	}
}

// A client that misses its PINGRESP (everything towards app-0 is lost from
// 100 s to 200 s) closes with keepalive_timeout — the engine used to hang up
// before saying why, and the row said "disconnect" — and the connection
// counts as lost for state visibility.
func TestRegressionClientPingTimeoutReason(t *testing.T) {
	w, c := build(t, `
name = "ping"
duration = "5m"
[links.l]
delay = { dist = "constant", value = "20ms" }
[brokers.cloud]
link = "l"
[devices.app]
link = "l"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["x/#"], keepalive = "10s" }
`, Options{Seed: 1})
	cutOff(t, w, "app-0", false, 100*time.Second, 200*time.Second)
	w.K.Run(w.End())
	run := w.Finish()
	if len(c.conns) == 0 || c.conns[0].CloseReason != "keepalive_timeout" || !c.conns[0].Lost {
		t.Errorf("first connection %+v; want lost by the client's missing PINGRESP (keepalive_timeout)", c.conns)
	}
	if !(run.VisibilityP50Ms > 0) || run.VisibilityUndetected != 0 {
		t.Errorf("visibility p50 %v, %d undetected", run.VisibilityP50Ms, run.VisibilityUndetected)
	}
	// The broker learns of it later, from the client's FIN: the client's
	// own hang-up must not count as the second side.
	if cn := c.conns[0]; !cn.PeerDetected || cn.PeerDetectedNs <= cn.ClosedNs {
		t.Errorf("client closed at %d, peer detected %v at %d; want the broker later", cn.ClosedNs, cn.PeerDetected, cn.PeerDetectedNs)
	}
}

// A publisher whose PUBACK never comes (everything towards pub-0 is lost
// 30–100 s) resends with DUP after reconnecting: the subscriber gets the
// message again, and that copy is counted, not untracked.
func TestRegressionPublisherDupCopies(t *testing.T) {
	w, c := build(t, `
name = "dup"
duration = "4m"
drain = "1m"
[links.l]
delay = { dist = "constant", value = "20ms" }
[brokers.cloud]
link = "l"
[devices.app]
link = "l"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["x/#"] }
[devices.pub]
link = "l"
attach = "cloud"
protocol = "mqtt"
start = "5s"
workload = { kind = "periodic", interval = "20s", payload = 8 }
mqtt = { qos = 1, topic = "x/1", keepalive = "10s", clean_session = false }
`, Options{Seed: 1})
	cutOff(t, w, "pub-0", false, 30*time.Second, 100*time.Second)
	w.K.Run(w.End())
	run := w.Finish()
	var copies int64
	for _, m := range c.msgs {
		copies += int64(m.Copies)
	}
	var received int64
	for _, d := range c.devs {
		if d.Node == "app-0" {
			received = d.MsgsReceived
		}
	}
	if copies != received || run.Duplicates < 1 {
		t.Errorf("%d rows, %d copies, %d duplicates, app-0 received %d; want copies = received and ≥ 1 duplicate", len(c.msgs), copies, run.Duplicates, received)
	}
}

// A gateway with a local subscriber and a cloud subscriber of the same
// bridged topic, over a clean and a lossy backhaul. The local pair crosses
// only the lossless Wi-Fi (device → gateway → local subscriber): exactly 2
// transmissions, whatever the bridge's retransmissions; counting those on it
// also touched its freed message slot. The cloud pair takes 3 without loss.
func TestRegressionGatewayTransmissions(t *testing.T) {
	for _, loss := range []float64{0, 0.3} {
		for seed := uint64(1); seed <= 3; seed++ {
			c, _, _ := runWorld(t, fmt.Sprintf(`
name = "gw"
duration = "10m"
drain = "2m"
[links.wifi]
delay = { dist = "constant", value = "5ms" }
[links.backhaul]
delay = { dist = "constant", value = "30ms" }
loss = { model = "bernoulli", p = %g }
[brokers.cloud]
link = "wifi"
[gateways.edge]
link = "backhaul"
bridge = { to = "cloud", topics = ["fleet/#"], qos = 1 }
[devices.app]
link = "wifi"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["#"] }
[devices.localsub]
link = "wifi"
attach = "edge"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["fleet/#"] }
[devices.sensor]
count = 5
link = "wifi"
attach = "edge"
protocol = "mqtt"
start = "10s"
workload = { kind = "periodic", interval = "5s", payload = 32 }
mqtt = { qos = 1, topic = "fleet/{index}" }
`, loss), Options{Seed: seed})
			if len(c.msgs) == 0 {
				t.Fatal("no messages")
			}
			for _, m := range c.msgs {
				switch {
				case m.Dst == "localsub-0" && m.Transmissions != 2,
					m.Dst == "app-0" && loss == 0 && m.Transmissions != 3:
					t.Fatalf("loss %g seed %d: %s→%s delivered %v with %d transmissions", loss, seed, m.Src, m.Dst, m.Delivered, m.Transmissions)
				}
			}
		}
	}
}

// Naming the segments of freed connections in the packets table (lognormal
// delays, loss and short keepalives make many) must not dereference them.
func TestRegressionPacketsOfFreedConnections(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		c, _, _ := runWorld(t, `
name = "kn"
duration = "15m"
[links.access]
delay = { dist = "lognormal", mean = "50ms", stddev = "80ms" }
loss = { model = "bernoulli", p = 0.15 }
[links.server]
delay = { dist = "constant", value = "1ms" }
[brokers.cloud]
link = "server"
[devices.app]
link = "server"
attach = "cloud"
protocol = "mqtt"
mqtt = { subscribe = ["#"] }
[devices.s]
count = 4
link = "access"
attach = "cloud"
protocol = "mqtt"
workload = { kind = "periodic", interval = "2s", payload = 2000 }
mqtt = { topic = "t/{index}", keepalive = "5s" }
`, Options{Seed: seed, Packets: true})
		if len(c.packets) == 0 || len(c.conns) < 5 {
			t.Fatalf("seed %d: %d packets, %d connections", seed, len(c.packets), len(c.conns))
		}
	}
}

// After an outage the broker's FIN to the half-open device is answered by
// one RST that must reach the broker's side and close it: one FIN and one
// RST, not a FIN retransmitted every two minutes until the broker's own
// abort (≈ 924 s).
func TestRegressionStrayReset(t *testing.T) {
	c, _, _ := runWorld(t, `
name = "rst"
duration = "20m"
[links.l]
delay = { dist = "constant", value = "10ms" }
[links.flaky]
delay = { dist = "constant", value = "10ms" }
outages = [ { at = "60s", for = "200s" } ]
[brokers.cloud]
link = "l"
[devices.s]
link = "flaky"
attach = "cloud"
protocol = "mqtt"
workload = { kind = "periodic", interval = "5s", payload = 8 }
mqtt = { qos = 1, keepalive = "10s", tcp_user_timeout = "20s" }
`, Options{Seed: 1, Packets: true})
	n := 0
	for _, p := range c.packets {
		if p.TNs > 255e9 && p.TNs < 400e9 && !p.Dropped && (p.Kind == "RST" || p.Kind == "FIN") && p.Link != "cloud/up" && p.Link != "cloud/down" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d FIN/RST packets on the device's link after the outage; want 2", n)
	}
	if len(c.conns) == 0 || c.conns[0].CloseReason != "keepalive_timeout" || !c.conns[0].PeerDetected {
		t.Errorf("first connection %+v", c.conns)
	}
}

// A busy connection's record queue must hold about what is unread, not
// every record ever written (200 messages a second reach app-0).
func TestRegressionRecordQueueBounded(t *testing.T) {
	w, _ := build(t, `
name = "rq"
duration = "10m"
[links.l]
delay = { dist = "constant", value = "20ms" }
[brokers.cloud]
link = "l"
[devices.app]
link = "l"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["#"] }
[devices.s]
count = 200
link = "l"
attach = "cloud"
protocol = "mqtt"
workload = { kind = "periodic", interval = "1s", payload = 8 }
ramp = "1s"
mqtt = { qos = 1, topic = "t/{index}" }
`, Options{Seed: 1})
	app := nodeID(t, w, "app-0")
	for _, until := range []sim.Time{60e9, 300e9, 600e9} {
		w.K.Run(until)
		found := false
		for _, cn := range w.mq.conns {
			if !cn.live || cn.dev == nil || cn.dev.node != app {
				continue
			}
			found = true
			if len(cn.down.recs) > 1000 {
				t.Errorf("t=%v: app-0's queue holds %d records, %d unread", until, len(cn.down.recs), len(cn.down.recs)-cn.down.head)
			}
		}
		if !found {
			t.Fatalf("t=%v: app-0 has no live connection: nothing was checked", until)
		}
	}
}

// TestRecordQueueSpanAcrossTheSequenceWrap: a segment's stream offsets are
// found next to the delivered offset, also when its sequence numbers have
// wrapped past 2³² and the delivered offset has not (or the reverse).
func TestRecordQueueSpanAcrossTheSequenceWrap(t *testing.T) {
	const iss = 1000
	seqAt := func(off uint64) uint32 { return uint32(iss + 1 + off) }
	cases := []struct {
		delivered, off uint64
	}{
		{100, 200},
		{1<<32 - 10, 1<<32 + 5},        // ahead, across the wrap
		{1<<32 + 10, 1<<32 - 20},       // a retransmission from before the wrap
		{5<<32 + 7, 5<<32 + 7 + 1<<20}, // far into the stream
	}
	for _, c := range cases {
		q := recordQueue{delivered: c.delivered}
		from, to := q.span(tcp.Segment{Seq: seqAt(c.off), Len: 100}, iss)
		if from != c.off || to != c.off+100 {
			t.Errorf("delivered %d, segment at offset %d: span [%d, %d); want [%d, %d)", c.delivered, c.off, from, to, c.off, c.off+100)
		}
	}
}
