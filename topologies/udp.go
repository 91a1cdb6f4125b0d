package topologies

import (
	"fmt"

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

// addDeviceGroup creates the nodes and applications of one device group.
func (w *World) addDeviceGroup(name string, g *config.DeviceGroup, links map[string]*link.Params) error {
	prof, err := w.profile(g.Profile)
	if err != nil {
		return fmt.Errorf("devices.%s: %w", name, err)
	}
	// Devices attached to a gateway group hang off its instances,
	// round-robin; the others off the core.
	gws := w.gateways[g.Attach]
	newNode := func(i int) (network.NodeID, string) {
		nodeName := fmt.Sprintf("%s-%d", name, i)
		parent := network.Core
		if len(gws) > 0 {
			parent = gws[i%len(gws)]
		}
		return w.addNode(nodeName, name, KindDevice, g.Link, links[g.Link], parent, g.Profile, prof), nodeName
	}
	switch g.Protocol {
	case config.ProtoUDP:
	case config.ProtoCoAP:
		return w.addCoAPGroup(name, g, newNode)
	case config.ProtoMQTT:
		return w.mqtt().addGroup(name, g, newNode)
	default:
		return fmt.Errorf("devices.%s.protocol: %q is not implemented yet (this build simulates \"udp\", \"coap\" and \"mqtt\" devices)", name, g.Protocol)
	}
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
	seed := w.Net.Seed()
	grp.info = metrics.StreamInfo{Dst: w.nodes[server].name, Group: name, Protocol: config.ProtoUDP}
	for i := range grp.devs {
		dev := &grp.devs[i]
		var nodeName string
		dev.node, nodeName = newNode(i)
		dev.stream.Init(nodeName, &grp.info)
		st := sim.NewStream(seed, nodeName, "workload")
		start := workload.StartTime(g.Start.D(), g.Ramp.D(), &st)
		dev.src = workload.NewSource(&grp.params, st, start)
		grp.scheduleNext(uint64(i))
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
