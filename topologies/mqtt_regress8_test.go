package topologies

import (
	"testing"
)

// Regression: the RST answering a half-open connection must reach the
// surviving side.
func TestRegressionStrayReset(t *testing.T) {
	text := `
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
`
	c := &collectConns{}
	w, err := Build(load(t, text), Options{Seed: 1, Sink: c, Packets: true})
	if err != nil {
		t.Fatal(err)
	}
	w.K.Run(w.End())
	w.Finish()
	n := 0
	for _, p := range c.packets {
		if p.TNs > 255e9 && p.TNs < 400e9 && !p.Dropped && (p.Kind == "RST" || p.Kind == "FIN") && p.Link != "cloud/up" && p.Link != "cloud/down" {
			n++
		}
	}
	// The broker's FIN to the half-open device is answered by one RST that
	// closes the broker's side: one FIN and one RST, not a retransmitted
	// FIN every two minutes until the broker's own abort.
	if n != 2 {
		t.Errorf("%d FIN/RST packets on the device's link after the outage; want 2", n)
	}
	if len(c.conns) == 0 || c.conns[0].CloseReason != "keepalive_timeout" || !c.conns[0].PeerDetected {
		t.Errorf("first connection %+v", c.conns)
	}
}
