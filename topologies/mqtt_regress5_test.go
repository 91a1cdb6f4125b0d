package topologies

import (
	"testing"
)

// Regression: with a lossy backhaul, the bridge's retransmissions must not count on
// the local subscriber's pair after it was finished.
func TestRegressionGatewayStaleRef(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		text := `
name = "gwloss"
duration = "20m"
drain = "2m"
[links.wifi]
delay = { dist = "constant", value = "5ms" }
[links.backhaul]
delay = { dist = "constant", value = "30ms" }
loss = { model = "bernoulli", p = 0.3 }
[brokers.cloud]
link = "wifi"
[gateways.edge]
count = 1
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
`
		ok := func() (ok bool) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("seed %d: panic: %v", seed, r)
					ok = false
				}
			}()
			c := &collectConns{}
			w, err := Build(load(t, text), Options{Seed: seed, Sink: c})
			if err != nil {
				t.Fatal(err)
			}
			w.K.Run(w.End())
			w.Finish()
			bad := 0
			for _, m := range c.msgs {
				if m.Dst == "localsub-0" && m.Transmissions > 2 {
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("seed %d: %d of %d local-subscriber rows with tx > 2 (their wifi is lossless)", seed, bad, len(c.msgs))
			}
			return true
		}()
		if !ok {
			break
		}
	}
}
