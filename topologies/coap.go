package topologies

import (
	"fmt"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/models/network"
	"github.com/iotsim/iotsim/models/workload"
	"github.com/iotsim/iotsim/protocols/coap"
	"github.com/iotsim/iotsim/protocols/udp"
	"github.com/iotsim/iotsim/sim"
)

// Packet kinds of CoAP messages on the UDP layer, by message type.
const (
	kindCoAPCON = kindUDPData + 1 + uint16(coap.CON)
	kindCoAPNON = kindUDPData + 1 + uint16(coap.NON)
	kindCoAPACK = kindUDPData + 1 + uint16(coap.ACK)
	kindCoAPRST = kindUDPData + 1 + uint16(coap.RST)
)

func isCoAPKind(k uint16) bool { return k >= kindCoAPCON && k <= kindCoAPRST }

// coapKindNames are the packets-table kinds of CoAP packets.
var coapKindNames = [...]string{"CON", "NON", "ACK", "RST"}

// Event kinds of a coapGroup.
const (
	coapSend  int32 = iota // the workload's next request
	coapTimer              // the client engine's timer
	coapStart              // the device comes online: register observations
)

// coapWire is what the CoAP nodes of a world share: the pool of in-flight
// message values and the tracked message of the packet being handled.
type coapWire struct {
	w      *World
	bodies pool[coap.Message]
	cur    uint32 // Msg of the packet being received (ref+1), 0 for none
}

// send puts a copy of m on the network from src to dst; ref is the
// tracked message's MsgRef+1, or 0. The copy shares m's option and payload
// storage, which the engines never modify once sent (see coap.ServerEnv):
// copying them would cost an allocation per request, as the server keeps
// request payloads as resource representations.
func (c *coapWire) send(src, dst network.NodeID, m *coap.Message, ref uint64) {
	body := c.bodies.get()
	*body = *m
	if ref != 0 {
		r := metrics.MsgRef(ref - 1)
		c.w.Msgs.Transmitted(r)
		c.w.Msgs.Hold(r)
	}
	c.w.Net.Send(network.Packet{
		Src:   src,
		Dst:   dst,
		Bytes: int32(udp.WireBytes(coap.Size(*m))),
		Layer: network.UDP,
		Kind:  kindUDPData + 1 + uint16(m.Type),
		Msg:   uint32(ref),
		Body:  body,
	})
}

// done ends a CoAP packet's life: delivered or dropped.
func (c *coapWire) done(p *network.Packet) {
	if p.Msg != 0 {
		c.w.Msgs.Release(metrics.MsgRef(p.Msg - 1))
	}
	if b, ok := p.Body.(*coap.Message); ok {
		c.bodies.put(b)
	}
}

// coapServerNode runs a CoAP server engine on a coap_servers node. It
// also counts plain UDP datagrams, like udpSink.
type coapServerNode struct {
	wire *coapWire
	node network.NodeID
	srv  *coap.Server
	rng  sim.Stream
}

func (w *World) newCoAPServer(name string, id network.NodeID, c *config.CoAPServer) *coapServerNode {
	if w.coap == nil {
		w.coap = &coapWire{w: w}
	}
	s := &coapServerNode{wire: w.coap, node: id}
	s.rng = sim.NewStream(w.Net.Seed(), name, "coap")
	p := coap.DefaultParams()
	s.srv = coap.NewServer(coap.ServerConfig{
		Params:        &p,
		Dedup:         c.Dedup,
		Processing:    c.Processing.D(),
		SeparateAfter: c.SeparateAfter.D(),
		NotifyCON:     c.Notify == config.CoAPCon,
	}, &s.rng)
	return s
}

func (s *coapServerNode) Receive(now sim.Time, p *network.Packet) {
	w := s.wire.w
	if p.Kind == kindUDPData {
		w.udp.Receive(now, p)
		return
	}
	if m, ok := p.Body.(*coap.Message); ok {
		s.wire.cur = p.Msg
		s.srv.Receive(s, now, coap.Peer(p.Src), m)
		s.wire.cur = 0
	}
	s.wire.done(p)
}

// HandleEvent is the server engine's timer.
func (s *coapServerNode) HandleEvent(k *sim.Kernel, ev sim.Event) { s.srv.OnTimer(s, ev.At, ev.Arg) }

func (s *coapServerNode) Send(to coap.Peer, m *coap.Message, ref uint64) {
	s.wire.send(s.node, network.NodeID(to), m, ref)
}

func (s *coapServerNode) After(at sim.Time, key uint64) { s.wire.w.K.Schedule(at, s, 0, key) }

func (s *coapServerNode) Delivered(from coap.Peer, req *coap.Message, dup bool) {
	w := s.wire.w
	w.nodes[s.node].msgsReceived++
	if s.wire.cur != 0 {
		w.Msgs.Delivered(metrics.MsgRef(s.wire.cur-1), w.K.Now())
	}
}

// Notifying starts tracking a notification to an observing device.
func (s *coapServerNode) Notifying(to coap.Peer, path string) uint64 {
	w := s.wire.w
	d, ok := w.coapDevices[network.NodeID(to)]
	if !ok {
		return 0
	}
	st := d.g.obsStream(d.i, path)
	if st == nil {
		return 0
	}
	payload, _ := s.srv.Resource(path)
	r := w.Msgs.Send(st, len(payload), w.K.Now())
	w.nodes[s.node].msgsSent++
	return uint64(r) + 1
}

func (s *coapServerNode) NotifyDone(ref uint64, ok bool) {
	if ref != 0 {
		s.wire.w.Msgs.Finish(metrics.MsgRef(ref - 1))
	}
}

// CoAPStats counts what the CoAP clients of a world saw.
type CoAPStats struct {
	Responses int64    // requests answered
	Failures  [8]int64 // requests not answered, by coap.Failure
}

// coapDeviceRef locates a device for its server.
type coapDeviceRef struct {
	g *coapGroup
	i int
}

// coapGroup drives the CoAP client devices of one group.
type coapGroup struct {
	w       *World
	wire    *coapWire
	params  workload.Params
	cp      coap.Params
	req     coap.Request // the template of every request; Options shared
	payload []byte       // shared zero bytes
	server  network.NodeID
	first   network.NodeID // node id of device 0; the group's ids are consecutive
	info    metrics.StreamInfo
	observe []string
	obsOpts []coap.Options
	obsInfo []metrics.StreamInfo
	// obs are the devices' notification streams, len(observe) per device
	// (device i's from i·len(observe)): from the server to the device.
	obs  []metrics.Stream
	devs []coapDevice
}

// coapDevice is one device: its workload, message stream and client engine,
// in 256 bytes — four cache lines, which a fleet's devices fill without
// straddling (measured faster than 296-byte records).
type coapDevice struct {
	g      *coapGroup
	node   network.NodeID
	timer  sim.TimerID // the client engine's, in the world's set; 0 until first set
	src    workload.Source
	stream metrics.Stream
	client coap.Client
	rng    sim.Stream
}

func (w *World) addCoAPGroup(name string, g *config.DeviceGroup, slots []deviceSlot, newNode func(*deviceSlot) network.NodeID) error {
	srv, ok := w.coapServers[g.Attach]
	if !ok {
		return fmt.Errorf("devices.%s.attach: %q is not a coap_server", name, g.Attach)
	}
	grp := &coapGroup{
		w:       w,
		wire:    w.coap,
		params:  workloadParams(&g.Workload),
		server:  srv.node,
		payload: make([]byte, g.Workload.Payload),
		observe: g.CoAP.Observe,
		devs:    make([]coapDevice, g.Count),
	}
	grp.cp = coap.Params{
		AckTimeout:      g.CoAP.AckTimeout.D(),
		AckRandomFactor: g.CoAP.AckRandomFactor,
		MaxRetransmit:   g.CoAP.MaxRetransmit,
		Queue:           g.CoAP.Queue,
		BlockSize:       g.CoAP.BlockSize,
		Reregister:      g.CoAP.Reregister.D(),
		NonTimeout:      g.CoAP.NonTimeout.D(), // 0 when not given: derived
	}
	var opts coap.Options
	opts.SetPath(g.CoAP.Path)
	grp.req = coap.Request{Confirmable: g.CoAP.Type == config.CoAPCon, Code: methodCode(g.CoAP.Method), Options: opts}
	qos := int32(0)
	if grp.req.Confirmable {
		qos = 1
	}
	serverName := w.nodes[srv.node].name
	grp.info = metrics.StreamInfo{Dst: serverName, Group: name, Protocol: config.ProtoCoAP, QoS: qos, TopicOrPath: g.CoAP.Path}
	for _, path := range grp.observe {
		var o coap.Options
		o.SetPath(path)
		grp.obsOpts = append(grp.obsOpts, o)
		if _, exists := srv.srv.Resource(path); !exists {
			srv.srv.SetResource(path, nil)
		}
	}
	notifyQoS := int32(0)
	if w.exp.CoAPServers[g.Attach].Notify == config.CoAPCon {
		notifyQoS = 1
	}
	seed := w.Net.Seed()
	for i := range grp.devs {
		d, slot := &grp.devs[i], &slots[i]
		d.g = grp
		id, nodeName, start := newNode(slot), slot.name, slot.start
		if i == 0 {
			grp.first = id
		}
		d.node = id
		w.Net.Attach(id, grp)
		d.stream.Init(nodeName, &grp.info)
		d.rng = sim.NewStream(seed, nodeName, "coap")
		d.client.Init(&grp.cp, &d.rng)
		d.src = workload.NewSource(&grp.params, slot.workload, start)
		if len(grp.observe) > 0 {
			if grp.obsInfo == nil {
				for _, path := range grp.observe {
					// Observe numbers let the observer restore the order.
					grp.obsInfo = append(grp.obsInfo, metrics.StreamInfo{Dst: "", Group: name, Protocol: config.ProtoCoAP, QoS: notifyQoS, TopicOrPath: path, Restorable: true})
				}
			}
			if grp.obs == nil {
				grp.obs = make([]metrics.Stream, len(grp.devs)*len(grp.observe))
			}
			for j := range grp.observe {
				// Notifications flow from the server to the device: the
				// stream's source is the server, its receiver the device.
				info := grp.obsInfo[j]
				info.Dst = nodeName
				grp.obs[i*len(grp.observe)+j].Init(serverName, &info)
			}
			if w.coapDevices == nil {
				w.coapDevices = map[network.NodeID]coapDeviceRef{}
			}
			w.coapDevices[id] = coapDeviceRef{grp, i}
			if start < w.genEnd {
				w.K.Schedule(start, grp, coapStart, uint64(i))
			}
		}
		grp.scheduleNext(uint64(i))
	}
	w.coapGroups = append(w.coapGroups, grp)
	return nil
}

func methodCode(m string) coap.Code {
	switch m {
	case "GET":
		return coap.GET
	case "PUT":
		return coap.PUT
	case "DELETE":
		return coap.DELETE
	}
	return coap.POST
}

// obsStream is device i's notification stream for path.
func (g *coapGroup) obsStream(i int, path string) *metrics.Stream {
	for j, p := range g.observe {
		if p == path {
			return &g.obs[i*len(g.observe)+j]
		}
	}
	return nil
}

func (g *coapGroup) scheduleNext(i uint64) {
	at, ok := g.devs[i].src.Next()
	if ok && at < g.w.genEnd {
		g.w.K.Schedule(at, g, coapSend, i)
	}
}

// HandleEvent runs a device's send time, client timer or start.
func (g *coapGroup) HandleEvent(k *sim.Kernel, ev sim.Event) {
	d := &g.devs[ev.Arg]
	switch ev.Kind {
	case coapSend:
		r := g.w.Msgs.Send(&d.stream, len(g.payload), ev.At)
		req := g.req
		req.Payload = g.payload
		req.Ref = uint64(r) + 1
		d.client.Do(d, ev.At, req)
		g.scheduleNext(ev.Arg)
	case coapTimer:
		d.client.OnTimer(d, ev.At)
	case coapStart:
		for _, o := range g.obsOpts {
			d.client.Observe(d, ev.At, o)
		}
	}
}

// Receive hands a packet to the addressed device's client.
func (g *coapGroup) Receive(now sim.Time, p *network.Packet) {
	if m, ok := p.Body.(*coap.Message); ok {
		d := &g.devs[p.Dst-g.first]
		g.wire.cur = p.Msg
		d.client.Receive(d, now, m)
		g.wire.cur = 0
	}
	g.wire.done(p)
}

func (d *coapDevice) Send(m *coap.Message, ref uint64) {
	d.g.wire.send(d.node, d.g.server, m, ref)
}

func (d *coapDevice) SetTimer(at sim.Time) {
	w := d.g.w
	if d.timer == 0 {
		d.timer = w.timers.Add(d.g, coapTimer, uint64(d.node-d.g.first))
	}
	w.timers.Set(d.timer, at)
}

func (d *coapDevice) Response(ref uint64, m *coap.Message) {
	d.g.w.CoAP.Responses++
	if ref != 0 {
		d.g.w.Msgs.Finish(metrics.MsgRef(ref - 1))
	}
}

func (d *coapDevice) Failed(ref uint64, f coap.Failure) {
	d.g.w.CoAP.Failures[f]++
	if ref != 0 {
		d.g.w.Msgs.Finish(metrics.MsgRef(ref - 1))
	}
}

func (d *coapDevice) Notification(obs int, m *coap.Message, fresh bool) {
	w := d.g.w
	w.nodes[d.node].msgsReceived++
	if c := d.g.wire.cur; c != 0 {
		w.Msgs.Delivered(metrics.MsgRef(c-1), w.K.Now())
	}
}

// finish copies the per-device counters into the world's node table.
func (g *coapGroup) finish() {
	for i := range g.devs {
		d := &g.devs[i]
		g.w.nodes[d.node].msgsSent = d.stream.Sent()
	}
}
