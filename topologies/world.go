package topologies

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/models/energy"
	"github.com/iotsim/iotsim/models/link"
	"github.com/iotsim/iotsim/models/network"
	"github.com/iotsim/iotsim/sim"
)

// Node kinds, as written in the devices table.
const (
	KindDevice     = "device"
	KindGateway    = "gateway"
	KindBroker     = "broker"
	KindCoAPServer = "coap_server"
	KindP2PBroker  = "p2p_broker"
)

// Options say how to build one run's world.
type Options struct {
	Seed    uint64       // the run's seed; every random stream derives from it
	Sink    metrics.Sink // receives the rows
	Packets bool         // emit packets-table rows
}

// nodeInfo is what the world knows of a node beyond the network's view.
type nodeInfo struct {
	name, group, kind string
	profileName       string
	profile           *energy.Profile // nil for mains-powered infrastructure
	linkUp, linkDown  string          // link names for the packets table (only when enabled)
	msgsSent          int64
	msgsReceived      int64
	connects          int64
	disconnects       int64
}

// World is one run's simulated world.
type World struct {
	K    *sim.Kernel
	Net  *network.Network
	Msgs *metrics.Messages
	CoAP CoAPStats // what the CoAP clients saw

	// timers holds the CoAP clients' retransmission timers, nearly all
	// cleared by their ACK before they come (MQTT's move at every packet:
	// sim.Timer).
	timers *sim.Timers

	exp       *config.Experiment
	sink      metrics.Sink
	packets   bool
	nodes     []nodeInfo       // by network.NodeID; 0 is the core
	rowOrder  []network.NodeID // the devices table's order of the nodes
	servers   map[string]network.NodeID
	gateways  map[string][]network.NodeID
	genEnd    sim.Time // workloads generate messages before this
	end       sim.Time // the run ends here (duration + drain)
	pktRow    metrics.PacketRow
	udpGroups []*udpGroup

	coap        *coapWire // nil when the world has no CoAP server
	coapServers map[string]*coapServerNode
	coapDevices map[network.NodeID]coapDeviceRef // devices that observe resources
	coapGroups  []*coapGroup

	mq  *mqttNet // nil when the world has no broker
	udp *udpSink // counts plain datagrams at brokers, CoAP servers and gateways

	visibility    metrics.Histogram // state visibility delays (ns) of lost connections
	visUndetected int64             // sides of lost connections that never knew
}

// timerSlot is the slot width of the world's timer wheel: a timer becomes a
// kernel event about this long before its deadline. Narrow enough that a
// retransmission timeout (2 s and more for CoAP) is cleared by its ACK
// before then; wide enough that the wheel ticks far less often than timers
// are set.
const timerSlot = 16 * time.Millisecond

// Build creates the world of one run of a validated experiment.
func Build(exp *config.Experiment, opts Options) (*World, error) {
	w := &World{
		K:        sim.NewKernel(),
		exp:      exp,
		sink:     opts.Sink,
		packets:  opts.Packets,
		nodes:    []nodeInfo{{name: "core"}},
		servers:  map[string]network.NodeID{},
		gateways: map[string][]network.NodeID{},
		genEnd:   sim.Time(exp.Duration),
	}
	w.end = w.genEnd.Add(exp.Drain.D())
	w.Msgs = metrics.NewMessages(opts.Sink)
	w.timers = sim.NewTimers(w.K, timerSlot)
	w.Net = network.New(w.K, opts.Seed, w)

	links := map[string]*link.Params{}
	for _, name := range config.SortedKeys(exp.Links) {
		links[name] = linkParams(exp.Links[name])
	}
	total, coapDevices := 0, 0
	for _, g := range exp.Devices {
		total += g.Count
		if g.Protocol == config.ProtoCoAP {
			coapDevices += g.Count
		}
	}
	for _, g := range exp.Gateways {
		total += g.Count
	}
	nodes := total + len(exp.Brokers) + len(exp.CoAPServers) + len(exp.P2PBrokers)
	w.Net.Grow(nodes)
	// Sized once: growing these by appending copied them about twice over.
	w.nodes = slices.Grow(w.nodes, nodes)
	w.rowOrder = make([]network.NodeID, 0, nodes)
	w.K.Grow(total + 64)
	w.timers.Grow(coapDevices) // one retransmission timer per CoAP client

	w.udp = &udpSink{w: w}
	addServer := func(name, kind, class string) {
		id := w.addNode(name, name, kind, class, links[class], network.Core, "", nil)
		w.Net.Attach(id, w.udp) // brokers and CoAP servers replace it with their engines
		w.servers[name] = id
	}
	for _, name := range config.SortedKeys(exp.Brokers) {
		addServer(name, KindBroker, exp.Brokers[name].Link)
		id := w.servers[name]
		w.Net.Attach(id, w.mqtt().addBroker(name, id, exp.Brokers[name]))
	}
	w.coapServers = map[string]*coapServerNode{}
	for _, name := range config.SortedKeys(exp.CoAPServers) {
		c := exp.CoAPServers[name]
		addServer(name, KindCoAPServer, c.Link)
		id := w.servers[name]
		s := w.newCoAPServer(name, id, c)
		w.Net.Attach(id, s)
		w.coapServers[name] = s
	}
	for _, name := range config.SortedKeys(exp.P2PBrokers) {
		addServer(name, KindP2PBroker, exp.P2PBrokers[name].Link)
	}
	for _, name := range config.SortedKeys(exp.Gateways) {
		g := exp.Gateways[name]
		ids := make([]network.NodeID, g.Count)
		for i := range ids {
			ids[i] = w.addNode(fmt.Sprintf("%s-%d", name, i), name, KindGateway, g.Link, links[g.Link], network.Core, "", nil)
		}
		w.gateways[name] = ids
		if err := w.mqtt().addGateway(name, ids, g); err != nil {
			return nil, err
		}
	}
	for _, name := range config.SortedKeys(exp.Devices) {
		if err := w.addDeviceGroup(name, exp.Devices[name], links); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// addNode adds a node to the network and to the world's table.
func (w *World) addNode(name, group, kind, class string, p *link.Params, parent network.NodeID, profileName string, profile *energy.Profile) network.NodeID {
	id := w.Net.AddNode(name, class, p, parent)
	info := nodeInfo{name: name, group: group, kind: kind, profileName: profileName, profile: profile}
	if w.packets {
		info.linkUp, info.linkDown = name+"/up", name+"/down"
	}
	w.nodes = append(w.nodes, info)
	w.rowOrder = append(w.rowOrder, id)
	return id
}

// profile resolves a device group's energy profile: the file's own
// [profiles] first, then the built-in ones.
func (w *World) profile(name string) (*energy.Profile, error) {
	if p, ok := w.exp.Profiles[name]; ok {
		return &energy.Profile{
			Name:          name,
			Source:        "experiment file",
			Voltage:       p.Voltage,
			TxA:           p.TxMA / 1e3,
			RxA:           p.RxMA / 1e3,
			IdleA:         p.IdleMA / 1e3,
			SleepA:        p.SleepUA / 1e6,
			BitsPerSecond: float64(p.Bitrate),
			BatteryMAh:    p.BatteryMAh,
		}, nil
	}
	if p, ok := energy.Builtin(name); ok {
		return &p, nil
	}
	return nil, fmt.Errorf("profile %q: not built in and not defined in [profiles]", name)
}

// End is the simulated time at which the run stops.
func (w *World) End() sim.Time { return w.end }

// Hop is the network's observer: it keeps the message bookkeeping of lost
// datagrams and writes packets-table rows.
func (w *World) Hop(now sim.Time, via network.NodeID, up bool, p *network.Packet, reason link.DropReason) {
	if reason != link.NotDropped && p.Layer == network.UDP {
		switch {
		case p.Kind == kindUDPData && p.Msg != 0:
			ref := metrics.MsgRef(p.Msg - 1)
			w.Msgs.TransmissionLost(ref)
			w.Msgs.Finish(ref)
		case isCoAPKind(p.Kind):
			if p.Msg != 0 {
				w.Msgs.TransmissionLost(metrics.MsgRef(p.Msg - 1))
			}
			defer w.coap.done(p) // after the packets row, which reads p
		}
	}
	if reason != link.NotDropped && p.Layer == network.TCP && w.mq != nil {
		defer w.mq.lost(p) // after the packets row, which reads p
	}
	if !w.packets {
		return
	}
	r := &w.pktRow
	n := &w.nodes[via]
	r.TNs = int64(now)
	if up {
		r.Link = n.linkUp
	} else {
		r.Link = n.linkDown
	}
	r.LinkClass = w.Net.LinkClass(via)
	r.Src = w.nodes[p.Src].name
	r.Dst = w.nodes[p.Dst].name
	r.Layer = p.Layer.String()
	if p.Layer == network.TCP && w.mq != nil {
		r.Kind = w.mq.kindName(p)
	} else {
		r.Kind = kindName(p)
	}
	r.Bytes = p.Bytes
	r.Dropped = reason != link.NotDropped
	r.DropReason = reason.String()
	w.sink.Packet(r)
}

// Finish ends the run's bookkeeping: it writes the rows of messages still in
// flight and one devices row per node, and returns the run's totals.
func (w *World) Finish() metrics.RunRow {
	w.Msgs.FinishAll()
	for _, g := range w.udpGroups {
		g.finish()
	}
	for _, g := range w.coapGroups {
		g.finish()
	}
	if w.mq != nil {
		w.mq.finish()
	}
	span := w.K.Now().Sub(0)
	var row metrics.RunRow
	var d metrics.DeviceRow
	for _, id := range w.rowOrder {
		n := &w.nodes[id]
		st := w.Net.Stats(id)
		d = metrics.DeviceRow{
			Node:         n.name,
			Group:        n.group,
			Kind:         n.kind,
			Profile:      n.profileName,
			PktsTx:       st.PktsTx,
			PktsRx:       st.PktsRx,
			BytesTx:      st.BytesTx,
			BytesRx:      st.BytesRx,
			MsgsSent:     n.msgsSent,
			MsgsReceived: n.msgsReceived,
			Connects:     n.connects,
			Disconnects:  n.disconnects,
		}
		if p := n.profile; p != nil {
			var m energy.Meter
			m.TxNs = int64(p.Airtime(int(st.BytesTx)))
			m.RxNs = int64(p.Airtime(int(st.BytesRx)))
			rep := p.Report(&m, span, 0)
			d.EnergyJ, d.TxS, d.RxS, d.IdleS, d.SleepS = rep.EnergyJ, rep.TxS, rep.RxS, rep.IdleS, rep.SleepS
			d.HasBattery, d.BatteryDays = rep.HasBattery, rep.BatteryDays
			row.EnergyJ += rep.EnergyJ
		}
		row.BytesOnAir += st.BytesTx
		w.sink.Device(&d)
	}
	m := w.Msgs
	row.DurationNs = int64(w.end)
	row.MsgsSent = m.Sent
	row.MsgsExpected = m.Expected
	row.MsgsDelivered = m.Unique
	row.Duplicates = m.Duplicates
	row.DeliveryRatio = ratio(float64(m.Unique), float64(m.Expected))
	row.InOrderRatio = ratio(float64(m.InOrder), float64(m.Unique))
	row.LatencyP50Ms = m.Latency.Quantile(0.50) / 1e6
	row.LatencyP95Ms = m.Latency.Quantile(0.95) / 1e6
	row.LatencyP99Ms = m.Latency.Quantile(0.99) / 1e6
	if m.Unique == 0 {
		nan := math.NaN()
		row.LatencyP50Ms, row.LatencyP95Ms, row.LatencyP99Ms = nan, nan, nan
	}
	row.EnergyPerDeliveredMJ = ratio(row.EnergyJ*1e3, float64(m.Unique))
	row.Events = int64(w.K.Events())
	row.ReorderRestorableRatio = ratio(float64(m.Restorable), float64(m.OutOfOrder))
	row.RecoveryRatio = ratio(float64(m.Recovered), float64(m.LostEarly))
	row.TransmissionsPerMsg = ratio(float64(m.Transmissions), float64(m.Expected))
	row.VisibilityP50Ms, row.VisibilityP95Ms = math.NaN(), math.NaN()
	if w.visibility.Count() > 0 {
		row.VisibilityP50Ms = w.visibility.Quantile(0.50) / 1e6
		row.VisibilityP95Ms = w.visibility.Quantile(0.95) / 1e6
	}
	row.VisibilityUndetected = w.visUndetected
	return row
}

// ratio is a/b, or NaN when b is 0: "no messages" is not "ratio 0".
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
