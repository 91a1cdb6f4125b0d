package topologies

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/models/link"
	"github.com/iotsim/iotsim/models/network"
	"github.com/iotsim/iotsim/models/workload"
	"github.com/iotsim/iotsim/protocols/udp"
	"github.com/iotsim/iotsim/sim"
)

// Packet kinds on the UDP layer (network.Packet.Kind).
const (
	kindUDPData uint16 = iota + 1
)

// kindName is the packets-table name of a packet's kind.
func kindName(p *network.Packet) string {
	switch {
	case p.Layer == network.UDP && p.Kind == kindUDPData:
		return "DATA"
	case p.Layer == network.UDP && isCoAPKind(p.Kind):
		return coapKindNames[p.Kind-kindCoAPCON]
	}
	return "UNKNOWN"
}

// udpGroup drives the devices of one group that send plain datagrams. It is
// the sim.Handler of their send events; the event argument is the device's
// index in the group, so no per-device handler value is needed.
type udpGroup struct {
	w       *World
	params  workload.Params
	payload int
	server  network.NodeID
	info    metrics.StreamInfo // shared by the group's streams
	devs    []udpDevice
}

// udpDevice is everything a send touches, kept together for the cache.
type udpDevice struct {
	node   network.NodeID
	src    workload.Source
	stream metrics.Stream
}

// deviceSlot is one device of a group as it is built: its index in the
// group (the number in its name), its start time and its workload stream,
// already past the start draw.
type deviceSlot struct {
	index    int
	name     string
	start    sim.Time
	workload sim.Stream
}

// placeDevices returns a group's devices in the order they come online
// (start time, then index). Groups build their devices — node ids, network
// and engine state — in this order because it is the order in which a
// periodic fleet is active: at 100,000 devices, per-device memory laid out
// by index is visited at random, one cache miss per structure per message;
// laid out by start time it is visited nearly in sequence. Names, random
// streams and same-instant ties (by index) are as if built by index, so
// results do not depend on it; the devices table is still written by index.
func (w *World) placeDevices(name string, g *config.DeviceGroup) []deviceSlot {
	seed := w.Net.Seed()
	slots := make([]deviceSlot, g.Count)
	for i := range slots {
		s := &slots[i]
		s.index = i
		s.name = fmt.Sprintf("%s-%d", name, i)
		s.workload = sim.NewStream(seed, s.name, "workload")
		s.start = workload.StartTime(g.Start.D(), g.Ramp.D(), &s.workload)
	}
	slices.SortStableFunc(slots, func(a, b deviceSlot) int { return cmp.Compare(a.start, b.start) })
	return slots
}

// addDeviceGroup creates the nodes and applications of one device group.
func (w *World) addDeviceGroup(name string, g *config.DeviceGroup, links map[string]*link.Params) error {
	prof, err := w.profile(g.Profile)
	if err != nil {
		return fmt.Errorf("devices.%s: %w", name, err)
	}
	// Devices attached to a gateway group hang off its instances,
	// round-robin by index; the others off the core.
	gws := w.gateways[g.Attach]
	newNode := func(s *deviceSlot) network.NodeID {
		parent := network.Core
		if len(gws) > 0 {
			parent = gws[s.index%len(gws)]
		}
		return w.addNode(s.name, name, KindDevice, g.Link, links[g.Link], parent, g.Profile, prof)
	}
	slots := w.placeDevices(name, g)
	base := len(w.rowOrder)
	var err2 error
	switch g.Protocol {
	case config.ProtoUDP:
		err2 = w.addUDPGroup(name, g, slots, newNode)
	case config.ProtoCoAP:
		err2 = w.addCoAPGroup(name, g, slots, newNode)
	case config.ProtoMQTT:
		err2 = w.mqtt().addGroup(name, g, slots, newNode)
	default:
		return fmt.Errorf("devices.%s.protocol: %q is not implemented yet (this build simulates \"udp\", \"coap\" and \"mqtt\" devices)", name, g.Protocol)
	}
	if err2 != nil {
		return err2
	}
	// The devices table lists the group by index.
	seg := w.rowOrder[base:]
	ids := slices.Clone(seg)
	for k := range slots {
		seg[slots[k].index] = ids[k]
	}
	return nil
}

// addUDPGroup builds a group of devices that send plain datagrams.
func (w *World) addUDPGroup(name string, g *config.DeviceGroup, slots []deviceSlot, newNode func(*deviceSlot) network.NodeID) error {
	server, ok := w.servers[g.Attach]
	if !ok {
		return fmt.Errorf("devices.%s.attach: %q is not a broker or coap_server", name, g.Attach)
	}
	grp := &udpGroup{
		w:       w,
		params:  workloadParams(&g.Workload),
		payload: g.Workload.Payload,
		server:  server,
		devs:    make([]udpDevice, g.Count),
	}
	grp.info = metrics.StreamInfo{Dst: w.nodes[server].name, Group: name, Protocol: config.ProtoUDP}
	for k := range grp.devs {
		dev, s := &grp.devs[k], &slots[k]
		dev.node = newNode(s)
		dev.stream.Init(s.name, &grp.info)
		dev.src = workload.NewSource(&grp.params, s.workload, s.start)
		grp.scheduleNext(uint64(k))
	}
	w.udpGroups = append(w.udpGroups, grp)
	return nil
}

func workloadParams(c *config.Workload) workload.Params {
	p := workload.Params{
		Interval: c.Interval.D(),
		Jitter:   c.Jitter.D(),
		Rate:     float64(c.Rate),
		Check:    c.Check.D(),
		P:        c.P,
		Payload:  c.Payload,
	}
	switch c.Kind {
	case config.WorkloadPeriodic:
		p.Kind = workload.Periodic
	case config.WorkloadPoisson:
		p.Kind = workload.Poisson
	case config.WorkloadThreshold:
		p.Kind = workload.Threshold
	default:
		p.Kind = workload.None
	}
	return p
}

// scheduleNext schedules device i's next send, if its workload has one
// before the end of the generation period.
func (g *udpGroup) scheduleNext(i uint64) {
	at, ok := g.devs[i].src.Next()
	if ok && at < g.w.genEnd {
		g.w.K.Schedule(at, g, 0, i)
	}
}

// HandleEvent is a device's send time: one datagram to its server.
func (g *udpGroup) HandleEvent(k *sim.Kernel, ev sim.Event) {
	dev := &g.devs[ev.Arg]
	w := g.w
	ref := w.Msgs.Send(&dev.stream, g.payload, ev.At)
	w.Msgs.Transmitted(ref)
	w.Net.Send(network.Packet{
		Src:   dev.node,
		Dst:   g.server,
		Bytes: int32(udp.WireBytes(g.payload)),
		Layer: network.UDP,
		Kind:  kindUDPData,
		Msg:   uint32(ref) + 1,
	})
	g.scheduleNext(ev.Arg)
}

// finish copies the per-device counters into the world's node table.
func (g *udpGroup) finish() {
	for i := range g.devs {
		d := &g.devs[i]
		g.w.nodes[d.node].msgsSent = d.stream.Sent()
	}
}

// udpSink is the receiving application of brokers, CoAP servers and
// gateways for plain datagrams: it counts them.
type udpSink struct{ w *World }

func (s *udpSink) Receive(now sim.Time, p *network.Packet) {
	if p.Layer != network.UDP || p.Msg == 0 {
		return
	}
	ref := metrics.MsgRef(p.Msg - 1)
	s.w.Msgs.Delivered(ref, now)
	s.w.Msgs.Finish(ref)
	s.w.nodes[p.Dst].msgsReceived++
}
