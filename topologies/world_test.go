package topologies

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/models/network"
	"github.com/iotsim/iotsim/sim"
)

// collect is a Sink that keeps every row.
type collect struct {
	msgs    []metrics.MessageRow
	devs    []metrics.DeviceRow
	conns   []metrics.ConnectionRow
	packets []metrics.PacketRow
}

func (c *collect) Message(r *metrics.MessageRow)       { c.msgs = append(c.msgs, *r) }
func (c *collect) Device(r *metrics.DeviceRow)         { c.devs = append(c.devs, *r) }
func (c *collect) Connection(r *metrics.ConnectionRow) { c.conns = append(c.conns, *r) }
func (c *collect) Packet(r *metrics.PacketRow)         { c.packets = append(c.packets, *r) }

// build loads text and builds its world, every row going to the returned
// collector.
func build(t *testing.T, text string, opts Options) (*World, *collect) {
	t.Helper()
	c := &collect{}
	opts.Sink = c
	w, err := Build(load(t, text), opts)
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

// runWorld builds text's world, runs it to the end and finishes it.
func runWorld(t *testing.T, text string, opts Options) (*collect, metrics.RunRow, *World) {
	t.Helper()
	w, c := build(t, text, opts)
	w.K.Run(w.End())
	return c, w.Finish(), w
}

// cutOff loses every packet to node name (and from it too, with both)
// while the time is strictly between from and to: a scripted outage of one
// device.
func cutOff(t *testing.T, w *World, name string, both bool, from, to time.Duration) {
	t.Helper()
	id := nodeID(t, w, name)
	w.Net.SetDropFilter(func(p *network.Packet) bool {
		now := w.K.Now()
		return (p.Dst == id || both && p.Src == id) && now > sim.Time(from) && now < sim.Time(to)
	})
}

// nodeID is the id of the node named name.
func nodeID(t *testing.T, w *World, name string) network.NodeID {
	t.Helper()
	for i, n := range w.nodes {
		if n.name == name {
			return network.NodeID(i)
		}
	}
	t.Fatalf("no node %q", name)
	return 0
}

func load(t *testing.T, text string) *config.Experiment {
	t.Helper()
	exp, _, err := config.Load("t.toml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

const twoGroups = `
name = "names"
duration = "10s"
[links.l]
delay = { dist = "constant", value = "10ms" }
[brokers.cloud]
link = "l"
[coap_servers.api]
link = "l"
[devices.zeta]
count = 2
link = "l"
attach = "api"
protocol = "udp"
workload = { kind = "periodic", interval = "4s", payload = 10 }
[devices.alpha]
count = 3
link = "l"
attach = "cloud"
protocol = "udp"
profile = "cc2538-802154"
`

func TestNodeNamesKindsAndOrder(t *testing.T) {
	c, _, _ := runWorld(t, twoGroups, Options{Seed: 1})
	var got []string
	for _, d := range c.devs {
		got = append(got, d.Node+":"+d.Group+":"+d.Kind+":"+d.Profile)
	}
	want := "cloud:cloud:broker:,api:api:coap_server:," +
		"alpha-0:alpha:device:cc2538-802154,alpha-1:alpha:device:cc2538-802154,alpha-2:alpha:device:cc2538-802154," +
		"zeta-0:zeta:device:esp32-wifi,zeta-1:zeta:device:esp32-wifi"
	if strings.Join(got, ",") != want {
		t.Errorf("devices rows\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	// zeta sends at 0, 4 and 8 s; alpha's workload is none.
	if len(c.msgs) != 6 {
		t.Fatalf("%d messages; want 6", len(c.msgs))
	}
	for _, m := range c.msgs {
		if m.Dst != "api" || m.Group != "zeta" || !m.Delivered || m.LatencyMs != 20 {
			t.Errorf("message %+v; want zeta → api delivered after 20 ms", m)
		}
	}
}

func TestEnergyOfAnIdleDeviceMatchesItsProfile(t *testing.T) {
	c, _, _ := runWorld(t, twoGroups, Options{Seed: 1})
	for _, d := range c.devs {
		if d.Node != "alpha-0" {
			continue
		}
		// CC2538: idle 20 mA at 3.0 V for 10 s, nothing sent or received.
		want := 3.0 * 0.020 * 10
		if d.TxS != 0 || d.IdleS != 10 || d.EnergyJ < want*0.999999 || d.EnergyJ > want*1.000001 {
			t.Errorf("alpha-0 %+v; want 10 s idle, %.3f J", d, want)
		}
		return
	}
	t.Fatal("no row for alpha-0")
}

func TestPacketsRowsNameLinksAndKinds(t *testing.T) {
	c, _, _ := runWorld(t, twoGroups, Options{Seed: 1, Packets: true})
	if len(c.packets) != 12 {
		t.Fatalf("%d packet rows; want 6 datagrams × 2 hops", len(c.packets))
	}
	first, second := c.packets[0], c.packets[1]
	if first.Link != "zeta-0/up" || first.LinkClass != "l" || first.Layer != "udp" || first.Kind != "DATA" ||
		first.Bytes != 38 || first.Src != "zeta-0" || first.Dst != "api" || first.Dropped {
		t.Errorf("first hop %+v", first)
	}
	if second.Link != "zeta-1/up" && second.Link != "api/down" {
		t.Errorf("second row %+v", second)
	}
}

func TestUnsupportedProtocolIsRefusedClearly(t *testing.T) {
	exp := load(t, strings.Replace(twoGroups, `attach = "cloud"
protocol = "udp"`, `attach = "home"
protocol = "p2p"`, 1)+"[p2p_brokers.home]\nlink = \"l\"\n")
	_, err := Build(exp, Options{Seed: 1, Sink: metrics.Discard{}})
	if err == nil || !strings.Contains(err.Error(), "devices.alpha.protocol") || !strings.Contains(err.Error(), "not implemented") {
		t.Fatalf("Build error %v; want a clear refusal naming devices.alpha.protocol", err)
	}
}

func TestSameSeedSameWorldDifferentSeedDifferent(t *testing.T) {
	text := strings.Replace(twoGroups, `delay = { dist = "constant", value = "10ms" }`,
		`delay = { dist = "lognormal", mean = "10ms", stddev = "5ms" }`, 1)
	latencies := func(seed uint64) []float64 {
		c, _, _ := runWorld(t, text, Options{Seed: seed})
		var l []float64
		for _, m := range c.msgs {
			l = append(l, m.LatencyMs)
		}
		return l
	}
	a, b, c := latencies(1), latencies(1), latencies(2)
	same := slices.Equal[[]float64]
	if !same(a, b) {
		t.Error("same seed gave different latencies")
	}
	if same(a, c) {
		t.Error("different seeds gave identical latencies")
	}
}
