package experiments

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/topologies"
)

// rows keeps every row of a run.
type rows struct {
	msgs    []metrics.MessageRow
	devs    []metrics.DeviceRow
	conns   []metrics.ConnectionRow
	packets []metrics.PacketRow
}

func (r *rows) Message(m *metrics.MessageRow)       { r.msgs = append(r.msgs, *m) }
func (r *rows) Device(d *metrics.DeviceRow)         { r.devs = append(r.devs, *d) }
func (r *rows) Connection(c *metrics.ConnectionRow) { r.conns = append(r.conns, *c) }
func (r *rows) Packet(p *metrics.PacketRow)         { r.packets = append(r.packets, *p) }

// runExample builds and runs one shipped example's first run in memory.
func runExample(t *testing.T, name string) *rows {
	t.Helper()
	text, ok := Example(name)
	if !ok {
		t.Fatalf("example %s is not embedded", name)
	}
	exp, _, err := config.Load(name+".toml", text, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rows{}
	w, err := topologies.Build(exp, topologies.Options{Seed: uint64(exp.Seed), Sink: r, Packets: true})
	if err != nil {
		t.Fatal(err)
	}
	w.K.Run(w.End())
	w.Finish()
	return r
}

// TestMosquittoLab checks the simulated broker against what source
// document 003 observed with a real mosquitto.
func TestMosquittoLab(t *testing.T) {
	r := runExample(t, "mosquitto-lab")
	topics := map[string][]string{}
	for _, m := range r.msgs {
		dst := strings.TrimSuffix(m.Dst, "-0")
		if !slices.Contains(topics[dst], m.TopicOrPath) {
			topics[dst] = append(topics[dst], m.TopicOrPath)
		}
	}
	for dst, want := range map[string][]string{
		// handong/csee/# gets a, b, c, the deeper b/deep and handong/csee itself.
		"sub_csee": {"handong/csee", "handong/csee/a", "handong/csee/b", "handong/csee/b/deep", "handong/csee/c"},
		// handong/+/b gets csee/b and mec/b, nothing deeper.
		"sub_b": {"handong/csee/b", "handong/mec/b"},
	} {
		got := topics[dst]
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s received %q; want %q", dst, got, want)
		}
	}
	// Persistent session, away from 3 to 6 min: the QoS 1/2 messages sent
	// meanwhile arrive after it is back; the QoS 0 ones never do.
	for _, m := range r.msgs {
		if m.Dst != "persistent-0" || m.SentNs < 190e9 || m.SentNs > 360e9 {
			continue
		}
		if m.QoS > 0 && (!m.Delivered || m.DeliveredNs < 360e9) {
			t.Errorf("queued QoS %d message %+v not delivered after the reconnection", m.QoS, m)
		}
		if m.QoS == 0 && m.Delivered {
			t.Errorf("QoS 0 message delivered to an offline session: %+v", m)
		}
	}
	// The will: status-0 vanishes at 5 min; the broker notices after
	// 1.5 × keepalive and publishes its will to the monitor.
	var will *metrics.ConnectionRow
	for i := range r.conns {
		if r.conns[i].Client == "status-0" {
			will = &r.conns[i]
		}
	}
	if will == nil || !will.WillSent || will.CloseReason != "keepalive_timeout" || will.ClosedNs < 300e9 || will.ClosedNs > 316e9 {
		t.Errorf("status-0 connection %+v; want closed by keepalive within 15 s of 5 min, will sent", will)
	}
	received := map[string]int64{}
	for _, d := range r.devs {
		received[d.Node] = d.MsgsReceived
	}
	if received["monitor-0"] != 1 {
		t.Errorf("monitor-0 received %d messages; want the will", received["monitor-0"])
	}
	// The late subscriber gets the retained config at once.
	if received["late-0"] != 1 {
		t.Errorf("late-0 received %d messages; want the retained one", received["late-0"])
	}
	// The QoS 2 flow on the publisher's link: PUBLISH, then PUBREC in, then
	// PUBREL out, then PUBCOMP in (the packets table has one row per hop).
	var flow []string
	for _, p := range r.packets {
		if p.Link == "pub_csee_b-0/up" || p.Link == "pub_csee_b-0/down" {
			for _, k := range strings.Split(p.Kind, "+") {
				if strings.HasPrefix(k, "PUB") {
					flow = append(flow, k)
				}
			}
		}
	}
	if len(flow) < 4 || !slices.Equal(flow[:4], []string{"PUBLISH", "PUBREC", "PUBREL", "PUBCOMP"}) {
		t.Errorf("QoS 2 publisher flow %q", flow)
	}
}

// TestGatewayExample: everything the sensors publish on fleet/ reaches the
// dashboard through the gateways' bridges; site/ alarms stay local.
func TestGatewayExample(t *testing.T) {
	r := runExample(t, "gateway")
	var fleet, fleetOK, site int
	for _, m := range r.msgs {
		switch m.Group {
		case "sensor":
			fleet++
			if m.Delivered && m.Dst == "dashboard-0" {
				fleetOK++
			}
		case "alarm":
			site++
			if !strings.HasPrefix(m.Dst, "siren-") {
				t.Errorf("alarm to %s; want a siren at its gateway", m.Dst)
			}
		}
	}
	if fleet < 10000 || fleetOK != fleet {
		t.Errorf("fleet messages: %d of %d delivered to the dashboard", fleetOK, fleet)
	}
	if site == 0 {
		t.Error("no alarm messages")
	}
}
