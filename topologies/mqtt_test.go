package topologies

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/metrics"
)

// mqttScenario: n sensors publishing to one broker, one subscriber app.
func mqttScenario(n int, qos int, loss float64, extra string) string {
	return fmt.Sprintf(`
name = "mqtt"
duration = "10m"
drain = "2m"
[links.access]
loss = { model = "bernoulli", p = %g }
delay = { dist = "constant", value = "20ms" }
[links.server]
delay = { dist = "constant", value = "1ms" }
[brokers.cloud]
link = "server"
[devices.app]
count = 1
link = "server"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = %d, subscribe = ["fleet/#"], clean_session = false }
[devices.sensor]
count = %d
link = "access"
attach = "cloud"
protocol = "mqtt"
workload = { kind = "periodic", interval = "60s", payload = 64 }
start = "5s"
ramp = "10s"
mqtt = { qos = %d, topic = "fleet/{group}/{index}" }
%s`, loss, qos, n, qos, extra)
}

func TestMQTTDeliveryOverTCP(t *testing.T) {
	for _, tc := range []struct {
		qos  int
		loss float64
	}{{0, 0}, {1, 0}, {2, 0}, {1, 0.05}} {
		c, _, _ := runWorld(t, mqttScenario(20, tc.qos, tc.loss, ""), Options{Seed: 3, Packets: true})
		delivered, total := 0, 0
		for _, m := range c.msgs {
			total++
			if m.Delivered {
				delivered++
			}
		}
		// 20 sensors × 10 publications (at 5–15 s + k·60 s, k = 0…9).
		if total != 200 {
			t.Errorf("qos %d loss %g: %d messages; want 200", tc.qos, tc.loss, total)
		}
		if tc.qos > 0 && delivered != total {
			t.Errorf("qos %d loss %g: %d of %d delivered", tc.qos, tc.loss, delivered, total)
		}
		kinds := map[string]int{} // a segment may carry several MQTT packets: "PUBACK+PUBLISH"
		for _, p := range c.packets {
			for _, k := range strings.Split(p.Kind, "+") {
				kinds[k]++
			}
		}
		t.Logf("qos %d loss %g: %d/%d delivered; packets %v", tc.qos, tc.loss, delivered, total, kinds)
		for _, k := range []string{"SYN", "SYN-ACK", "CONNECT", "CONNACK", "PUBLISH"} {
			if kinds[k] == 0 {
				t.Errorf("qos %d: no %s packet", tc.qos, k)
			}
		}
	}
}

// TestMQTTLastWill: a device whose link goes down for good is detected by
// the broker's keepalive (1.5 × 10 s after its last packet) and its will
// reaches the subscriber; the device itself notices by its ping timeout.
func TestMQTTLastWill(t *testing.T) {
	text := `
name = "will"
duration = "5m"
[links.wifi]
delay = { dist = "constant", value = "20ms" }
[links.flaky]
delay = { dist = "constant", value = "20ms" }
outages = [ { at = "100s", for = "1h" } ]
[brokers.cloud]
link = "wifi"
[devices.app]
link = "wifi"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["status/#"] }
[devices.victim]
link = "flaky"
attach = "cloud"
protocol = "mqtt"
start = "1s"
mqtt = { keepalive = "10s", will = { topic = "status/{index}", payload = "gone", qos = 1 } }
`
	c, run, _ := runWorld(t, text, Options{Seed: 1})
	var victim *metrics.ConnectionRow
	for i := range c.conns {
		if c.conns[i].Client == "victim-0" {
			victim = &c.conns[i]
			break
		}
	}
	if victim == nil {
		t.Fatalf("no connection row for victim-0: %+v", c.conns)
	}
	closed, detected := float64(victim.ClosedNs)/1e9, float64(victim.PeerDetectedNs)/1e9
	if !victim.Closed || victim.CloseReason != "keepalive_timeout" || !victim.WillSent || closed < 100 || closed > 115.1 {
		t.Errorf("victim connection %+v (closed at %.3f s); want closed by the broker's keepalive within 100–115 s, will sent", victim, closed)
	}
	t.Logf("victim %+v", *victim)
	if !victim.PeerDetected || detected < closed || detected > 125 {
		t.Errorf("victim's own detection at %.3f s; want after the broker's (%.3f s), by its ping timeout", detected, closed)
	}
	// State visibility: the path failed at the outage (100 s, the first
	// packet dropped after it); the broker knew within 1.5 × 10 s, the
	// device within its keepalive plus the ping timeout.
	lost := float64(victim.LostNs) / 1e9
	if !victim.Lost || lost < 100 || lost > 110 {
		t.Errorf("lost_ns %.3f s; want the outage's first dropped packet, 100–110 s", lost)
	}
	if v := run.VisibilityP95Ms; !(v > 0 && v <= 20000) || run.VisibilityUndetected != 0 {
		t.Errorf("visibility p95 %.1f ms, %d undetected; want both sides within 20 s", v, run.VisibilityUndetected)
	}
	for _, d := range c.devs {
		if d.Node == "app-0" && d.MsgsReceived != 1 {
			t.Errorf("app-0 received %d messages; want the will only", d.MsgsReceived)
		}
	}
}

// TestMQTTPersistentSession: a persistent QoS 1 subscriber is offline for
// two minutes; the QoS 1 publications made meanwhile are queued by the
// broker and delivered after it reconnects, the QoS 0 ones are not.
func TestMQTTPersistentSession(t *testing.T) {
	text := `
name = "persistent"
duration = "6m"
drain = "3m"
[links.wifi]
delay = { dist = "constant", value = "20ms" }
[links.flaky]
delay = { dist = "constant", value = "20ms" }
outages = [ { at = "100s", for = "120s" } ]
[brokers.cloud]
link = "wifi"
[devices.app]
link = "flaky"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["fleet/#"], clean_session = false, keepalive = "10s" }
[devices.q1]
link = "wifi"
attach = "cloud"
protocol = "mqtt"
start = "5s"
workload = { kind = "periodic", interval = "10s", payload = 20 }
mqtt = { qos = 1, topic = "fleet/q1" }
[devices.q0]
link = "wifi"
attach = "cloud"
protocol = "mqtt"
start = "5s"
workload = { kind = "periodic", interval = "10s", payload = 20 }
mqtt = { qos = 0, topic = "fleet/q0" }
`
	c, _, _ := runWorld(t, text, Options{Seed: 1})
	var q1, q1ok, q0Away, q0AwayOK int
	for _, m := range c.msgs {
		sent := float64(m.SentNs) / 1e9
		switch m.Group {
		case "q1":
			q1++
			if m.Delivered {
				q1ok++
			}
		case "q0":
			// Between the broker's keepalive expiry (≤ 115 s) and the
			// outage's end (220 s) the session is offline.
			if sent > 116 && sent < 220 {
				q0Away++
				if m.Delivered {
					q0AwayOK++
				}
			}
		}
	}
	t.Logf("q1 %d/%d, q0 away %d/%d", q1ok, q1, q0AwayOK, q0Away)
	if q1 < 30 || q1ok != q1 {
		t.Errorf("QoS 1: %d of %d delivered; want all", q1ok, q1)
	}
	if q0Away < 8 || q0AwayOK != 0 {
		t.Errorf("QoS 0 while the subscriber was away: %d of %d delivered; want none", q0AwayOK, q0Away)
	}
	reconnected := 0
	for _, r := range c.conns {
		if r.Client == "app-0" {
			reconnected++
		}
	}
	if reconnected < 2 {
		t.Errorf("app-0 has %d connection rows; want the lost one and the reconnection", reconnected)
	}
}

// TestMQTTGateway: devices publish to their local gateway broker; the
// bridge forwards fleet/# to the cloud broker, where the app subscribes.
// Topics outside the bridge stay local.
func TestMQTTGateway(t *testing.T) {
	text := `
name = "gateway"
duration = "5m"
drain = "1m"
[links.wifi]
delay = { dist = "constant", value = "5ms" }
[links.backhaul]
delay = { dist = "constant", value = "30ms" }
[brokers.cloud]
link = "backhaul"
[gateways.edge]
count = 2
link = "backhaul"
bridge = { to = "cloud", topics = ["fleet/#"], qos = 1 }
[devices.app]
link = "backhaul"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["#"] }
[devices.sensor]
count = 4
link = "wifi"
attach = "edge"
protocol = "mqtt"
start = "10s"
workload = { kind = "periodic", interval = "60s", payload = 32 }
mqtt = { qos = 1, topic = "fleet/{index}" }
[devices.local]
count = 2
link = "wifi"
attach = "edge"
protocol = "mqtt"
start = "10s"
workload = { kind = "periodic", interval = "60s", payload = 32 }
mqtt = { qos = 1, topic = "site/{index}" }
`
	c, _, _ := runWorld(t, text, Options{Seed: 2, Packets: true})
	bySrc := map[string]int{}
	for _, m := range c.msgs {
		if m.Group == "sensor" {
			if m.Dst != "app-0" || !m.Delivered {
				t.Errorf("sensor message %+v; want delivered to app-0", m)
			}
			bySrc[m.Src]++
			// One wifi hop and four backhaul hops (device → gw, gw → core
			// → cloud, cloud → core → app): 125 ms without queueing.
			if m.LatencyMs < 5+4*30 {
				t.Errorf("latency %.1f ms too short for the path through the gateway", m.LatencyMs)
			}
		}
		if m.Group == "local" {
			t.Errorf("a site/ message was tracked towards %s: the bridge does not forward it", m.Dst)
		}
	}
	if len(bySrc) != 4 || bySrc["sensor-0"] != 5 {
		t.Errorf("sensor messages by source %v; want 5 from each of 4", bySrc)
	}
	// What app-0 received, tracked or not: the 20 fleet/ messages and no
	// site/ one (a bridge that forwarded site/ would show here only).
	for _, d := range c.devs {
		if d.Node == "app-0" && d.MsgsReceived != 20 {
			t.Errorf("app-0 received %d messages; want the 20 from the sensors", d.MsgsReceived)
		}
	}
	var bridges []string
	for _, r := range c.conns {
		if r.Server == "cloud" && strings.HasPrefix(r.Client, "edge-") {
			bridges = append(bridges, r.Client)
		}
		if strings.HasPrefix(r.Client, "sensor-") && !strings.HasPrefix(r.Server, "edge-") {
			t.Errorf("sensor connected to %s, not its gateway", r.Server)
		}
	}
	if len(bridges) != 2 {
		t.Errorf("bridge connections %v; want edge-0 and edge-1 to cloud", bridges)
	}
}

// TestMQTTAuth: a wrong password is refused (CONNACK 5, no messages); the
// ACL lets "sensor" publish only on fleet/#, so its other topic is
// discarded by the broker.
func TestMQTTAuth(t *testing.T) {
	text := `
name = "auth"
duration = "5m"
[links.l]
delay = { dist = "constant", value = "5ms" }
[brokers.cloud]
link = "l"
auth = { users = { sensor = "secret", app = "app" }, allow_anonymous = false, acl = { sensor = { write = ["fleet/#"] }, app = { read = ["#"] } } }
[devices.app]
link = "l"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["#"], username = "app", password = "app" }
[devices.good]
link = "l"
attach = "cloud"
protocol = "mqtt"
start = "5s"
workload = { kind = "periodic", interval = "60s", payload = 8 }
mqtt = { qos = 1, topic = "fleet/a", username = "sensor", password = "secret" }
[devices.denied]
link = "l"
attach = "cloud"
protocol = "mqtt"
start = "5s"
workload = { kind = "periodic", interval = "60s", payload = 8 }
mqtt = { qos = 1, topic = "other/a", username = "sensor", password = "secret" }
[devices.intruder]
link = "l"
attach = "cloud"
protocol = "mqtt"
start = "5s"
workload = { kind = "periodic", interval = "60s", payload = 8 }
mqtt = { qos = 1, topic = "fleet/x", username = "sensor", password = "wrong" }
`
	c, _, _ := runWorld(t, text, Options{Seed: 1})
	got := map[string][2]int{}
	for _, m := range c.msgs {
		v := got[m.Group]
		v[0]++
		if m.Delivered {
			v[1]++
		}
		got[m.Group] = v
	}
	if v := got["good"]; v[0] == 0 || v[1] != v[0] {
		t.Errorf("good: %d of %d delivered; want all", v[1], v[0])
	}
	if v := got["denied"]; v[0] == 0 || v[1] != 0 {
		t.Errorf("denied: %d of %d delivered; want none (ACL)", v[1], v[0])
	}
	if v := got["intruder"]; v[1] != 0 {
		t.Errorf("intruder: %d delivered; want none (refused)", v[1])
	}
	refused := false
	for _, r := range c.conns {
		if r.Client == "intruder-0" && r.CloseReason == "auth_failed" {
			refused = true
		}
	}
	if !refused {
		t.Errorf("no auth_failed connection for intruder-0: %+v", c.conns)
	}
}

// TestMQTTTCPUserTimeout: with keepalive off, only TCP can notice a dead
// path; tcp_user_timeout makes it abort 20 s after data went unacknowledged
// instead of Linux's ≈ 924.6 s.
func TestMQTTTCPUserTimeout(t *testing.T) {
	for _, tc := range []struct {
		timeout string
		closed  bool
	}{{`"20s"`, true}, {`"0s"`, false}} {
		text := `
name = "ut"
duration = "4m"
[links.l]
delay = { dist = "constant", value = "10ms" }
[links.flaky]
delay = { dist = "constant", value = "10ms" }
outages = [ { at = "60s", for = "1h" } ]
[brokers.cloud]
link = "l"
[devices.s]
link = "flaky"
attach = "cloud"
protocol = "mqtt"
workload = { kind = "periodic", interval = "5s", payload = 8 }
mqtt = { qos = 1, keepalive = "0s", tcp_user_timeout = ` + tc.timeout + ` }
`
		c, _, _ := runWorld(t, text, Options{Seed: 1})
		if len(c.conns) == 0 {
			t.Fatalf("timeout %s: no connection rows", tc.timeout)
		}
		r := c.conns[0]
		closed := float64(r.ClosedNs) / 1e9
		switch {
		case tc.closed && (!r.Closed || r.CloseReason != "tcp_abort" || closed < 80 || closed > 90):
			t.Errorf("timeout %s: %+v (closed at %.1f s); want tcp_abort 20–30 s after the outage began", tc.timeout, r, closed)
		case !tc.closed && r.Closed:
			t.Errorf("timeout %s: closed at %.1f s (%s); want still open: Linux's budget is ≈ 924.6 s", tc.timeout, closed, r.CloseReason)
		}
	}
}

// TestMQTTOfflineQueueZero: offline_queue = 0 keeps nothing while the
// client is disconnected (the engine's own 0 would mean its default of
// 1000), so an outage loses the publications made during it, which the
// default queue delivers after the reconnection.
func TestMQTTOfflineQueueZero(t *testing.T) {
	delivered := map[string]int{}
	for _, q := range []string{"", ", offline_queue = 0"} {
		w, c := build(t, `
name = "offline"
duration = "300s"
drain = "60s"
[links.l]
delay = { dist = "constant", value = "10ms" }
[brokers.cloud]
link = "l"
[devices.app]
link = "l"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["fleet/#"] }
[devices.s]
link = "l"
attach = "cloud"
protocol = "mqtt"
start = "1s"
workload = { kind = "periodic", interval = "1s", payload = 8 }
mqtt = { qos = 1, keepalive = "10s"`+q+` }
`, Options{Seed: 1})
		cutOff(t, w, "s-0", true, 100*time.Second, 160*time.Second)
		w.K.Run(w.End())
		w.Finish()
		for _, m := range c.msgs {
			if m.Group == "s" && m.Delivered {
				delivered[q]++
			}
		}
	}
	// About 45 of the 60 s outage pass disconnected (keepalive detection
	// takes up to 15 s): those publications are the difference.
	if d := delivered[""] - delivered[", offline_queue = 0"]; d < 30 {
		t.Errorf("delivered %v: the default queue saves %d more than none; want ≥ 30", delivered, d)
	}
}
