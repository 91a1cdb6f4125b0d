package config

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
)

func dur(s string) Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return Duration(d)
}

// sameExperiment fails the test with both values as JSON when they differ.
func sameExperiment(t *testing.T, got, want *Experiment) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("resolved experiment differs\ngot:  %s\nwant: %s", g, w)
}

func mustLoad(t *testing.T, file string, text string, sets ...string) (*Experiment, *Source) {
	t.Helper()
	e, src, err := Load(file, []byte(text), sets)
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	return e, src
}

// TestFull resolves the spec's example (testdata/full.toml), which uses
// every key of the spec, and compares every field.
func TestFull(t *testing.T) {
	text, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := mustLoad(t, "testdata/full.toml", string(text))

	noLoss := Loss{Model: LossNone, LossBad: 1}
	mqttDefault := MQTT{Version: "3.1.1", Keepalive: dur("60s"), CleanSession: true, Topic: "fleet/{group}/{index}", OfflineQueue: 1000}
	coapDefault := CoAP{Type: "con", Method: "POST", Path: "/telemetry", AckTimeout: dur("2s"), AckRandomFactor: 1.5,
		MaxRetransmit: 4, Queue: 100, BlockSize: 1024, Reregister: dur("60s")}
	want := &Experiment{
		Name:        "mqtt-vs-coap",
		Description: "free text",
		Seed:        42,
		Duration:    dur("1h"),
		Drain:       dur("5m"),
		Output:      Output{Dir: "out/mqtt-vs-coap", Tables: []string{"runs", "messages", "devices", "connections"}},
		Links: map[string]*Link{
			"wifi": {
				Loss:      Loss{Model: "bernoulli", P: 0.01, LossBad: 1},
				Delay:     Delay{Dist: "constant", Value: dur("20ms")},
				Bandwidth: 1e6,
				Queue:     64,
				Outages:   []Outage{{At: dur("10m"), For: dur("30s")}},
			},
			"backhaul": {Loss: noLoss, Delay: Delay{Dist: "constant", Value: dur("5ms")}, Queue: 64},
			"lossy": {
				Loss:  Loss{Model: "gilbert-elliott", PGB: 0.01, PBG: 0.25, LossGood: 0, LossBad: 0.9},
				Delay: Delay{Dist: "normal", Mean: dur("20ms"), Stddev: dur("5ms")},
				Queue: 64,
				// sorted by start
				Outages: []Outage{{At: dur("1m"), For: dur("10s")}, {At: dur("20m"), For: dur("1m")}},
			},
			"lte": {Loss: noLoss, Delay: Delay{Dist: "lognormal", Mean: dur("20ms"), Stddev: dur("10ms")}, Bandwidth: 250e3, Queue: 64},
			"sat": {Loss: noLoss, Delay: Delay{Dist: "pareto", Min: dur("10ms"), Alpha: 2.5}, Queue: 0},
		},
		Brokers: map[string]*Broker{
			"cloud": {Link: "backhaul", MaxInflight: 20, MaxQueued: 1000,
				Auth: &Auth{Users: map[string]string{"sensor": "secret"}, AllowAnonymous: false}},
		},
		CoAPServers: map[string]*CoAPServer{"api": {Link: "backhaul", Dedup: true, SeparateAfter: dur("1s"), Notify: "con"}},
		Gateways: map[string]*Gateway{
			"edge": {Count: 4, Link: "backhaul", Bridge: Bridge{To: "cloud", Topics: []string{"fleet/#"}, QoS: 1}},
		},
		Devices: map[string]*DeviceGroup{
			"sensor": {
				Count: 1000, Link: "wifi", Attach: "cloud", Protocol: "mqtt", Profile: "esp32-wifi",
				Workload: Workload{Kind: "periodic", Interval: dur("60s"), Jitter: dur("5s"), Payload: 64},
				Sleep:    Sleep{Kind: "duty-cycle", Period: dur("60s"), Awake: dur("2s")},
				CoAP:     coapDefault,
				MQTT: MQTT{
					Version: "3.1.1", QoS: 1, Keepalive: dur("60s"), CleanSession: true,
					Topic:    "fleet/{group}/{index}/temp",
					Will:     &Will{Topic: "fleet/{group}/{index}/status", Payload: "gone", QoS: 1},
					Username: "sensor", Password: "secret", OfflineQueue: 1000,
				},
			},
			"app": {
				Count: 1, Link: "backhaul", Attach: "cloud", Protocol: "mqtt", Profile: "esp32-wifi",
				Workload: Workload{Kind: "none", Payload: 64},
				Sleep:    Sleep{Kind: "none"},
				CoAP:     coapDefault,
				MQTT: MQTT{Version: "3.1.1", QoS: 1, Keepalive: dur("60s"), CleanSession: false,
					Topic: "fleet/{group}/{index}", Subscribe: []string{"fleet/#"}, OfflineQueue: 1000},
			},
			"meter": {
				Count: 10, Link: "lte", Attach: "api", Protocol: "coap", Profile: "mysensor",
				Workload: Workload{Kind: "poisson", Rate: PerTime(1.0 / 60), Payload: 64},
				Sleep:    Sleep{Kind: "none"},
				CoAP: CoAP{Type: "non", Method: "PUT", Path: "/meter", AckTimeout: dur("2s"), AckRandomFactor: 1.5,
					MaxRetransmit: 4, Queue: 100, BlockSize: 1024, Reregister: dur("60s")},
				MQTT: mqttDefault,
			},
			"alarm": {
				Count: 5, Link: "lossy", Attach: "edge", Protocol: "mqtt", Profile: "nrf52840-ble",
				Workload: Workload{Kind: "threshold", Check: dur("10s"), P: 0.02, Payload: 32},
				Start:    dur("1m"), Ramp: dur("30s"),
				Sleep: Sleep{Kind: "none"},
				CoAP:  coapDefault,
				MQTT:  mqttDefault,
			},
			"beacon": {
				Count: 1, Link: "sat", Attach: "api", Protocol: "udp", Profile: "esp32-wifi",
				Workload: Workload{Kind: "none", Payload: 64},
				Sleep:    Sleep{Kind: "none"},
				CoAP:     coapDefault,
				MQTT:     mqttDefault,
			},
			"cam": {
				Count: 1, Link: "wifi", Attach: "home", Protocol: "p2p", Profile: "esp32-wifi",
				Workload: Workload{Kind: "none", Payload: 64},
				Sleep:    Sleep{Kind: "none"},
				CoAP:     coapDefault,
				MQTT:     mqttDefault,
			},
		},
		P2PBrokers: map[string]*P2PBroker{"home": {Link: "backhaul"}},
		Profiles: map[string]*Profile{
			"mysensor": {Voltage: 3, TxMA: 100, RxMA: 50, IdleMA: 20, SleepUA: 10, Bitrate: 1e6, BatteryMAh: 2500},
		},
		Sweep: &Sweep{
			Mode:         "grid",
			Replications: 5,
			Params: map[string][]any{
				"links.wifi.loss.p":       {0.0, 0.01, 0.05, 0.1, 0.2},
				"devices.sensor.protocol": {"mqtt", "udp"},
				"devices.sensor.mqtt.qos": {int64(0), int64(1), int64(2)},
			},
		},
	}
	sameExperiment(t, got, want)

	if k := got.NodeKind("edge"); k != KindGateway {
		t.Errorf("NodeKind(edge) = %q; want %q", k, KindGateway)
	}
	if k := got.NodeKind("nothing"); k != "" {
		t.Errorf("NodeKind(nothing) = %q; want \"\"", k)
	}
	if names := SortedKeys(got.Devices); !reflect.DeepEqual(names, []string{"alarm", "app", "beacon", "cam", "meter", "sensor"}) {
		t.Errorf("SortedKeys(Devices) = %v", names)
	}
}

// TestDefaults resolves a file that gives only what is required.
func TestDefaults(t *testing.T) {
	got, _ := mustLoad(t, "min.toml", `
name = "min"
duration = "1h"
[links.l]
[brokers.b]
link = "l"
auth = {}
[gateways.g]
link = "l"
bridge = { to = "b", topics = ["#"] }
[devices.d]
link = "l"
attach = "b"
protocol = "mqtt"
mqtt.will = { topic = "gone" }
[sweep]
`)
	want := &Experiment{
		Name: "min", Seed: 1, Duration: dur("1h"), Drain: 0,
		Output:      Output{Dir: "out/min", Tables: []string{"runs", "messages", "devices", "connections"}, Pcap: false},
		Links:       map[string]*Link{"l": {Loss: Loss{Model: "none", LossGood: 0, LossBad: 1}, Delay: Delay{Dist: "constant"}, Queue: 64}},
		Brokers:     map[string]*Broker{"b": {Link: "l", MaxInflight: 20, MaxQueued: 1000, Auth: &Auth{AllowAnonymous: true}}},
		CoAPServers: map[string]*CoAPServer{},
		Gateways:    map[string]*Gateway{"g": {Count: 1, Link: "l", Bridge: Bridge{To: "b", Topics: []string{"#"}, QoS: 1}}},
		Devices: map[string]*DeviceGroup{"d": {
			Count: 1, Link: "l", Attach: "b", Protocol: "mqtt", Profile: "esp32-wifi",
			Workload: Workload{Kind: "none", Payload: 64},
			Sleep:    Sleep{Kind: "none"},
			CoAP: CoAP{Type: "con", Method: "POST", Path: "/telemetry", AckTimeout: dur("2s"), AckRandomFactor: 1.5,
				MaxRetransmit: 4, Queue: 100, BlockSize: 1024, Reregister: dur("60s")},
			MQTT: MQTT{Version: "3.1.1", QoS: 0, Keepalive: dur("60s"), CleanSession: true, Topic: "fleet/{group}/{index}", OfflineQueue: 1000,
				Will: &Will{Topic: "gone"}},
		}},
		P2PBrokers: map[string]*P2PBroker{},
		Profiles:   map[string]*Profile{},
		Sweep:      &Sweep{Mode: "grid", Replications: 1, Params: map[string][]any{}},
	}
	sameExperiment(t, got, want)

	// Without [sweep], Sweep is nil; sections are empty maps, never nil.
	got, _ = mustLoad(t, "", "name = \"x\"\nduration = \"1s\"\n")
	if got.Sweep != nil || got.Links == nil || got.Devices == nil || got.Profiles == nil {
		t.Errorf("empty file: Sweep = %v, Links = %v, Devices = %v, Profiles = %v", got.Sweep, got.Links, got.Devices, got.Profiles)
	}
}

// TestNoSharedDefaults makes sure two groups do not share default slices.
func TestNoSharedDefaults(t *testing.T) {
	a, _ := mustLoad(t, "", "name = \"x\"\nduration = \"1s\"\n")
	b, _ := mustLoad(t, "", "name = \"x\"\nduration = \"1s\"\n")
	a.Output.Tables[0] = "changed"
	if b.Output.Tables[0] != TableRuns || DefaultTables()[0] != TableRuns {
		t.Error("default output.tables is shared between experiments")
	}
}
