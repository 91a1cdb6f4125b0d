package experiments

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/sim"
	"github.com/iotsim/iotsim/topologies"
)

// fleet is the common shape of the scale scenarios: n sensors on a 10 ms
// access link with Bernoulli loss, readings of 64 bytes every 60 s (starts
// staggered over the first minute) for one simulated hour, to servers on an
// instant link; servers and sensor hold the protocol-specific parts.
func fleet(name string, n int, loss float64, drain, servers, sensor string) string {
	return fmt.Sprintf(`
name = %q
duration = "1h"
drain = %q
[links.access]
loss = { model = "bernoulli", p = %g }
delay = { dist = "constant", value = "10ms" }
[links.server]
delay = { dist = "constant", value = "0s" }
%s
[devices.sensor]
count = %d
link = "access"
workload = { kind = "periodic", interval = "60s", payload = 64 }
ramp = "60s"
%s
`, name, drain, loss, servers, n, sensor)
}

// fleetExperiment is the scale scenario of the foundation issue: UDP
// datagrams over 1 % loss to one server.
func fleetExperiment(n int) string {
	return fleet("fleet", n, 0.01, "1s", `[coap_servers.collector]
link = "server"`, `attach = "collector"
protocol = "udp"`)
}

// coapFleetExperiment is the CoAP scale scenario of issue 4: CON POSTs over
// 5 % loss (both directions) to one server.
func coapFleetExperiment(n int) string {
	return fleet("coap-fleet", n, 0.05, "100s", `[coap_servers.collector]
link = "server"`, `attach = "collector"
protocol = "coap"
coap = { type = "con", method = "POST", path = "/telemetry" }`)
}

// mqttFleetExperiment is the MQTT scale scenario of issue 3: QoS 1 sensors
// with persistent sessions over 1 % loss, through one broker to one
// subscriber.
func mqttFleetExperiment(n int) string {
	return fleet("mqtt-fleet", n, 0.01, "60s", `[brokers.cloud]
link = "server"
[devices.app]
link = "server"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["fleet/#"], clean_session = false }`, `attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, clean_session = false, topic = "fleet/{index}" }`)
}

// BenchmarkCoAPFleet100kSimulationOnly runs the CoAP scale scenario's world
// with its rows discarded: the simulation's share of the end-to-end figure.
func BenchmarkCoAPFleet100kSimulationOnly(b *testing.B) {
	exp, _, err := config.Load("fleet.toml", []byte(coapFleetExperiment(100_000)), nil)
	if err != nil {
		b.Fatal(err)
	}
	var delivered int64
	for i := 0; i < b.N; i++ {
		w, err := topologies.Build(exp, topologies.Options{Seed: 1, Sink: metrics.Discard{}})
		if err != nil {
			b.Fatal(err)
		}
		w.K.Run(w.End())
		delivered += w.Finish().MsgsDelivered
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/run")
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "delivered-msgs/s")
}

// BenchmarkMQTTFleet100k is the MQTT scale scenario end to end.
func BenchmarkMQTTFleet100k(b *testing.B) { benchFleet(b, mqttFleetExperiment(100_000), 100_000) }

// BenchmarkFleet100k runs the UDP scale scenario end to end, all four
// tables written, and reports delivered messages and events per wall
// second and the peak resident memory per device.
func BenchmarkFleet100k(b *testing.B) { benchFleet(b, fleetExperiment(100_000), 100_000) }

// BenchmarkCoAPFleet100k is the same for 100,000 CoAP CON sensors.
func BenchmarkCoAPFleet100k(b *testing.B) { benchFleet(b, coapFleetExperiment(100_000), 100_000) }

func benchFleet(b *testing.B, text string, n int) {
	exp, src, err := config.Load("fleet.toml", []byte(text), nil)
	if err != nil {
		b.Fatal(err)
	}
	runs, err := Plan(src, exp)
	if err != nil {
		b.Fatal(err)
	}
	var delivered, events int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Execute(context.Background(), runs, Options{Out: b.TempDir(), Tables: exp.Output.Tables, Workers: 1, Text: []byte(text)})
		if err != nil {
			b.Fatal(err)
		}
		delivered += res[0].Info.MsgsDelivered
		events += res[0].Info.Events
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(secs/float64(b.N), "wall-s/run")
	b.ReportMetric(float64(delivered)/secs, "delivered-msgs/s")
	b.ReportMetric(float64(events)/secs, "events/s")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)*1024/float64(n), "peak-RSS-B/device")
	}
}

// BenchmarkIdleDeviceMemory measures the heap a built but idle UDP device
// costs: node, two link directions, workload state, message stream and its
// pending event.
func BenchmarkIdleDeviceMemory(b *testing.B) { benchHeap(b, fleetExperiment(100_000), 100_000, 0) }

// BenchmarkIdleCoAPDeviceMemory is the same for a CoAP device, whose
// client engine adds its state.
func BenchmarkIdleCoAPDeviceMemory(b *testing.B) {
	benchHeap(b, coapFleetExperiment(100_000), 100_000, 0)
}

// BenchmarkConnectedMQTTDeviceMemory measures the heap of a connected MQTT
// device — client, both TCP ends, broker session and subscription-free
// connection state — after 100,000 persistent-session sensors of the MQTT
// scale scenario have connected and published once (two simulated minutes).
func BenchmarkConnectedMQTTDeviceMemory(b *testing.B) {
	benchHeap(b, mqttFleetExperiment(100_000), 100_000, 2*time.Minute)
}

// benchHeap reports the live heap per device of a world built from text and
// run for d (0: built, not run).
func benchHeap(b *testing.B, text string, n int, d time.Duration) {
	exp, _, err := config.Load("fleet.toml", []byte(text), nil)
	if err != nil {
		b.Fatal(err)
	}
	var perDevice float64
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w, err := topologies.Build(exp, topologies.Options{Seed: 1, Sink: metrics.Discard{}})
		if err != nil {
			b.Fatal(err)
		}
		if d > 0 {
			w.K.Run(sim.Time(d))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perDevice = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
		runtime.KeepAlive(w)
	}
	b.ReportMetric(perDevice, "bytes/device")
}
