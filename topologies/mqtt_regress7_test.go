package topologies

import (
	"fmt"
	"testing"
)

// Regression: naming a segment of a freed connection in the packets table
// must not panic.
func TestRegressionKindNamePanic(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		text := `
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
`
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%v", r)
				}
			}()
			runText2(t, text, seed)
			return nil
		}()
		if err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
	}
}

func runText2(t *testing.T, text string, seed uint64) {
	c := &collectConns{}
	w, err := Build(load(t, text), Options{Seed: seed, Sink: c, Packets: packetsOn})
	if err != nil {
		t.Fatal(err)
	}
	w.K.Run(w.End())
	w.Finish()
}

var packetsOn = true

func TestRegressionKindNameNoPackets(t *testing.T) {
	packetsOn = false
	defer func() { packetsOn = true }()
	TestRegressionKindNamePanic(t)
}
