package topologies

import (
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// Regression: record queues must not keep every record ever written.
func TestRegressionRecordQueueGrowth(t *testing.T) {
	text := `
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
`
	c := &collectConns{}
	w, err := Build(load(t, text), Options{Seed: 1, Sink: c})
	if err != nil {
		t.Fatal(err)
	}
	for _, until := range []float64{60, 300, 600} {
		w.K.Run(simSeconds(until))
		for _, cn := range w.mq.conns {
			if cn.live && cn.dev != nil && w.nodes[cn.dev.node].name == "app-0" {
				// 200 messages a second reach app-0: its queue must hold
				// about what is unread, not everything ever written.
				if len(cn.down.recs) > 1000 {
					t.Errorf("t=%.0fs app-0 down queue: %d records, %d unread", until, len(cn.down.recs), len(cn.down.recs)-cn.down.head)
				}
			}
		}
	}
}

func simSeconds(s float64) sim.Time { return sim.Time(s * 1e9) }
