package topologies

import (
	"fmt"
	"testing"
)

func runText(t *testing.T, text string, packets bool) (*collectConns, *World) {
	t.Helper()
	c := &collectConns{}
	w, err := Build(load(t, text), Options{Seed: 1, Sink: c, Packets: packets})
	if err != nil {
		t.Fatal(err)
	}
	w.K.Run(w.End())
	w.Finish()
	return c, w
}

// Regression: zero-delay links (the default) with MQTT.
func TestMQTTZeroDelayLinks(t *testing.T) {
	for _, qos := range []int{0, 1, 2} {
		text := fmt.Sprintf(`
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
`, qos, qos)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("qos %d: panic: %v", qos, r)
				}
			}()
			c, _ := runText(t, text, true)
			n, ok := 0, 0
			for _, m := range c.msgs {
				n++
				if m.Delivered {
					ok++
				}
			}
			// Zero-delay links: replies come at the same instant, never
			// inside the sender's own call; every device keeps one
			// connection (a row each, the one opened at t = 0 included).
			if n == 0 || ok != n || len(c.conns) != 4 {
				t.Errorf("qos %d: %d/%d delivered, %d connection rows; want all and 4", qos, ok, n, len(c.conns))
			}
		}()
	}
}
