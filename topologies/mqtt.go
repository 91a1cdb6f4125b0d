package topologies

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/metrics"
	"github.com/iotsim/iotsim/models/network"
	"github.com/iotsim/iotsim/models/workload"
	"github.com/iotsim/iotsim/protocols/mqtt"
	"github.com/iotsim/iotsim/protocols/tcp"
	"github.com/iotsim/iotsim/sim"
)

// MQTT runs over TCP connections between devices and brokers. The world
// keeps one table of connections (mqttNet.conns); a TCP packet's body names
// its connection by index and generation, so a segment that outlives its
// connection is recognised and answered with a Reset.

// Event kinds of mqttNet (the handler of connection timers) and of
// mqttGroup (the handler of device events).
const (
	evCliTCP    int32 = iota // client side TCP timer
	evSrvTCP                 // broker side TCP timer
	evKeepalive              // broker keepalive check
)

const (
	evSend   int32 = iota // the workload's next publication
	evClient              // the MQTT client's timer
	evStart               // the device comes online
)

// pubBit marks a Packet.Ref that names a publication (publisher side)
// rather than a (publication, subscriber) message.
const pubBit = 1 << 63

// mqttNet is the MQTT and TCP part of a world.
type mqttNet struct {
	w     *World
	tcpP  tcp.Params
	conns []*mqttConn // stable addresses: engines run on them while the table grows
	free  []uint32
	// kaT are the broker's keepalive timers by connection index, apart
	// from the connections: every packet pushes the deadline back, so the
	// timer's event comes early about once a keepalive period and only
	// moves itself, without a cache miss on a connection idle since.
	kaT     []sim.Timer
	pool    pool[tcpBody]
	pubs    []publication
	pubFree []uint32
	brokers map[string]*mqttBroker
	groups  []*mqttGroup
	streams map[streamKey]*metrics.Stream // (publisher, subscriber, topic) message streams
	gws     map[string][]*gateway         // gateway instances by group
}

type streamKey struct {
	pub        network.NodeID
	sub, topic string
}

// mqttConn is one TCP connection between a device and a broker.
type mqttConn struct {
	loop     *gateway // set on a gateway's in-process connection to its local broker
	m        *mqttNet
	idx      uint32
	gen      uint32
	live     bool
	accepted bool // the broker side got the SYN
	dev      *mqttDevice
	broker   *mqttBroker
	cli, srv tcp.Conn
	cliT     sim.Timer
	srvT     sim.Timer
	up, down recordQueue // device → broker, broker → device
	cliISS   uint32
	srvISS   uint32
	cliDead  bool // the client side Conn is closed
	srvDead  bool
	cliGone  bool // the MQTT client no longer uses the connection
	brkGone  bool // the broker engine no longer uses it
	opened   sim.Time
	isOpen   bool     // established at the client (opened is valid)
	closed   sim.Time // when the first side knew it was gone
	detected sim.Time // when the second side knew
	reason   string
	lastRx   sim.Time // when a segment of the connection last got through
	lostAt   sim.Time // the first segment dropped after lastRx: when the path failed
	willSent bool
	rowDone  bool
}

// stream is the record queue and initial sequence number of one direction
// of cn: device → broker, or broker → device.
func (cn *mqttConn) stream(toBroker bool) (*recordQueue, uint32) {
	if toBroker {
		return &cn.up, cn.cliISS
	}
	return &cn.down, cn.srvISS
}

// publication is an application message published by a device, with the
// (message, subscriber) pairs intended at publish time.
type publication struct {
	gen   uint32
	holds int32 // the publisher's hold plus records in flight carrying it
	pairs []pubPair
}

type pubPair struct {
	client string
	broker *mqttBroker // where the subscriber's session is
	ref    metrics.MsgRef
	routed bool
}

func (w *World) mqtt() *mqttNet {
	if w.mq == nil {
		w.mq = &mqttNet{
			w:       w,
			tcpP:    tcp.DefaultParams(),
			brokers: map[string]*mqttBroker{},
			streams: map[streamKey]*metrics.Stream{},
			gws:     map[string][]*gateway{},
		}
	}
	return w.mq
}

// ---- brokers ----

// mqttBroker runs a broker engine on a broker node.
type mqttBroker struct {
	m    *mqttNet
	node network.NodeID
	name string
	eng  *mqtt.Broker
	gw   *gateway // the gateway this broker is the local broker of, or nil
}

func (m *mqttNet) addBroker(name string, id network.NodeID, b *config.Broker) *mqttBroker {
	cfg := mqtt.BrokerConfig{MaxInflight: b.MaxInflight, MaxQueued: b.MaxQueued, AllowAnonymous: true}
	if b.Auth != nil {
		cfg.AllowAnonymous = b.Auth.AllowAnonymous
		if len(b.Auth.Users) > 0 {
			cfg.Users = b.Auth.Users
		}
		if b.Auth.ACL != nil {
			cfg.ACL = map[string][]mqtt.ACLRule{}
			for user, a := range b.Auth.ACL {
				var rules []mqtt.ACLRule
				for _, f := range a.Read {
					rules = append(rules, mqtt.ACLRule{Filter: f, Read: true})
				}
				for _, f := range a.Write {
					rules = append(rules, mqtt.ACLRule{Filter: f, Write: true})
				}
				cfg.ACL[user] = rules
			}
		}
	}
	br := &mqttBroker{m: m, node: id, name: name, eng: mqtt.NewBroker(cfg)}
	m.brokers[name] = br
	return br
}

// Receive is a TCP segment arriving at the broker node.
func (b *mqttBroker) Receive(now sim.Time, p *network.Packet) {
	if p.Kind == kindUDPData {
		b.m.w.udp.Receive(now, p)
		return
	}
	b.m.receive(now, p)
}

// brokerEnv is the BrokerEnv of one broker (a named pointer type, so
// the broker value is not boxed per call).
type brokerEnv mqttBroker

func (e *brokerEnv) Send(c mqtt.ConnID, p *mqtt.Packet) {
	m := e.m
	cn := m.conns[c]
	if cn.loop != nil {
		cn.loop.fromLocal(p)
		return
	}
	if !cn.live || cn.srvDead {
		return
	}
	cn.srv.Write((*srvEnv)(cn), m.w.K.Now(), m.write(&cn.down, p))
}

func (e *brokerEnv) Close(c mqtt.ConnID) {
	m := e.m
	cn := m.conns[c]
	if cn.loop != nil {
		return
	}
	cn.brkGone = true
	if cn.live && !cn.srvDead {
		cn.srv.Close((*srvEnv)(cn), m.w.K.Now())
	}
	m.maybeFree(uint32(c))
}

func (e *brokerEnv) SetTimer(c mqtt.ConnID, at sim.Time) {
	m := e.m
	cn := m.conns[c]
	if cn.loop != nil {
		return
	}
	m.kaT[c].Set(m.w.K, at, m, evKeepalive, connArg(uint32(c), cn.gen))
}

func (e *brokerEnv) Route(in uint64, clientID string, qos mqtt.QoS) uint64 {
	m := e.m
	if e.gw != nil && clientID == bridgeClient {
		return in // the bridge passes the publication on to the remote broker
	}
	pb := m.pub(in)
	if pb == nil {
		return 0
	}
	for i := range pb.pairs {
		pr := &pb.pairs[i]
		if pr.client == clientID {
			// A second routing of the same pair is the publisher's resend
			// with DUP (QoS 1): the copy is a duplicate of the same message.
			// The publication's hold keeps the pair's slot alive meanwhile.
			pr.routed = true
			return uint64(pr.ref) + 1
		}
	}
	return 0
}

func (e *brokerEnv) Dropped(ref uint64, reason mqtt.DropReason) {
	if ref != 0 && ref&pubBit == 0 {
		e.m.w.Msgs.Finish(metrics.MsgRef(ref - 1))
	}
}

// Completed: the broker is done with a copy (QoS 0 handed to TCP, QoS 1
// acknowledged, QoS 2 completed); its row is written once no record
// carrying it is in flight.
func (e *brokerEnv) Completed(ref uint64) {
	if ref != 0 && ref&pubBit == 0 {
		e.m.w.Msgs.Finish(metrics.MsgRef(ref - 1))
	}
}

func (e *brokerEnv) Closed(c mqtt.ConnID, clientID string, reason mqtt.CloseReason, willSent bool) {
	m := e.m
	cn := m.conns[c]
	if cn.loop != nil {
		return
	}
	cn.brkGone = true
	cn.willSent = cn.willSent || willSent
	m.sideKnows(cn, brokerReason(reason))
	if cn.live && !cn.srvDead && reason != mqtt.CloseTransport {
		cn.srv.Close((*srvEnv)(cn), m.w.K.Now())
	}
	m.maybeFree(uint32(c))
}

func brokerReason(r mqtt.CloseReason) string {
	switch r {
	case mqtt.CloseKeepalive:
		return "keepalive_timeout"
	case mqtt.CloseRefused:
		return "auth_failed"
	case mqtt.CloseTransport:
		return "tcp_abort"
	}
	return r.String()
}

// ---- connections ----

// cliEnv and srvEnv are the client and broker side TCP environments of a
// connection: named types of mqttConn, so no value is boxed per call.
type cliEnv mqttConn
type srvEnv mqttConn

func connArg(idx, gen uint32) uint64 { return uint64(gen)<<32 | uint64(idx) }

// newConn opens a connection table entry for device d to broker b.
func (m *mqttNet) newConn(d *mqttDevice, b *mqttBroker) uint32 {
	var idx uint32
	if n := len(m.free); n > 0 {
		idx = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		idx = m.addConn(new(mqttConn))
	}
	cn := m.conns[idx]
	gen := cn.gen + 1
	// The broker side exists only once the SYN arrives.
	*cn = mqttConn{m: m, idx: idx, gen: gen, live: true, dev: d, broker: b, srvDead: true, brkGone: true}
	cn.cliISS = uint32(d.rng.Uint64())
	cn.cli.Init(&d.g.tcp, cn.cliISS)
	return idx
}

// maybeFree releases a connection entry when both sides are done.
func (m *mqttNet) maybeFree(idx uint32) {
	cn := m.conns[idx]
	if !cn.live || !cn.cliDead || !cn.srvDead || !cn.cliGone || !cn.brkGone {
		return
	}
	m.writeRow(cn)
	m.dropRecords(&cn.up)
	m.dropRecords(&cn.down)
	k := m.w.K
	cn.cliT.Stop(k)
	cn.srvT.Stop(k)
	m.kaT[idx].Stop(k)
	*cn = mqttConn{gen: cn.gen}
	m.free = append(m.free, idx)
}

// sideKnows records that one side learned the connection is gone.
func (m *mqttNet) sideKnows(cn *mqttConn, reason string) {
	now := m.w.K.Now()
	switch {
	case cn.closed == 0:
		cn.closed, cn.reason = now, reason
	case cn.detected == 0:
		cn.detected = now
	}
}

// write puts p into a direction's record queue, holding what it carries,
// and returns its size in bytes, for the TCP write.
func (m *mqttNet) write(q *recordQueue, p *mqtt.Packet) int {
	if p.Type == mqtt.Publish && p.Ref != 0 {
		m.hold(p.Ref)
	}
	n := mqtt.Size(p)
	q.push(p, n)
	return n
}

func (m *mqttNet) hold(ref uint64) {
	if ref&pubBit != 0 {
		if pb := m.pub(ref); pb != nil {
			pb.holds++
		}
		return
	}
	m.w.Msgs.Hold(metrics.MsgRef(ref - 1))
}

func (m *mqttNet) release(ref uint64) {
	if ref&pubBit != 0 {
		m.releasePub(ref)
		return
	}
	m.w.Msgs.Release(metrics.MsgRef(ref - 1))
}

// dropRecords releases the records a dead connection will never deliver.
func (m *mqttNet) dropRecords(q *recordQueue) {
	for i := q.head; i < len(q.recs); i++ {
		if r := &q.recs[i]; r.pkt.Type == mqtt.Publish && r.pkt.Ref != 0 {
			m.release(r.pkt.Ref)
		}
	}
	*q = recordQueue{}
}

// ---- publications ----

func (m *mqttNet) pub(ref uint64) *publication {
	if ref&pubBit == 0 {
		return nil
	}
	idx, gen := uint32(ref), uint32(ref>>32)&^(1<<31)
	if int(idx) >= len(m.pubs) || m.pubs[idx].gen != gen || m.pubs[idx].holds == 0 {
		return nil
	}
	return &m.pubs[idx]
}

func (m *mqttNet) newPub() (uint64, *publication) {
	var idx uint32
	if n := len(m.pubFree); n > 0 {
		idx = m.pubFree[n-1]
		m.pubFree = m.pubFree[:n-1]
	} else {
		m.pubs = append(m.pubs, publication{})
		idx = uint32(len(m.pubs) - 1)
	}
	pb := &m.pubs[idx]
	pb.gen = (pb.gen + 1) & (1<<31 - 1)
	pb.holds = 1
	pb.pairs = pb.pairs[:0]
	return pubBit | uint64(pb.gen)<<32 | uint64(idx), pb
}

// releasePub ends one hold on a publication; the last one finishes the
// pairs the broker never routed (the publication never reached it, or the
// subscriber left).
func (m *mqttNet) releasePub(ref uint64) {
	pb := m.pub(ref)
	if pb == nil {
		return
	}
	pb.holds--
	if pb.holds > 0 {
		return
	}
	for _, pr := range pb.pairs {
		if !pr.routed {
			m.w.Msgs.Finish(pr.ref)
		}
		m.w.Msgs.Release(pr.ref) // the publication's hold, taken in publish
	}
	clear(pb.pairs)
	pb.pairs = pb.pairs[:0]
	m.pubFree = append(m.pubFree, uint32(ref))
}

// ---- segments ----

// sendSeg puts a segment on the network; toBroker gives the direction.
// addConn appends a connection record and its keepalive timer (the two
// tables are indexed alike) and returns its index.
func (m *mqttNet) addConn(cn *mqttConn) uint32 {
	m.conns = append(m.conns, cn)
	m.kaT = append(m.kaT, sim.Timer{})
	return uint32(len(m.conns) - 1)
}

func (m *mqttNet) sendSeg(idx uint32, seg tcp.Segment, toBroker bool) {
	cn := m.conns[idx]
	b := m.pool.get()
	b.seg, b.conn, b.gen = seg, idx, cn.gen
	src, dst := cn.dev.node, cn.broker.node
	if !toBroker {
		src, dst = dst, src
	}
	q, iss := cn.stream(toBroker)
	if seg.Len > 0 {
		m.countSegment(q, iss, seg, false, cn.broker)
	}
	m.w.Net.Send(network.Packet{
		Src: src, Dst: dst,
		Bytes: int32(seg.WireBytes()),
		Layer: network.TCP,
		Kind:  kindTCP,
		Body:  b,
	})
}

// countSegment counts a transmission (or, lost, a lost transmission) of
// every tracked message whose PUBLISH the segment carries.
func (m *mqttNet) countSegment(q *recordQueue, iss uint32, seg tcp.Segment, lost bool, toward *mqttBroker) {
	from, to := q.span(seg, iss)
	msgs := m.w.Msgs
	q.overlapping(from, to, func(r *record) {
		ref := r.pkt.Ref
		if r.pkt.Type != mqtt.Publish || ref == 0 {
			return
		}
		if ref&pubBit == 0 {
			if lost {
				msgs.TransmissionLost(metrics.MsgRef(ref - 1))
			} else {
				msgs.Transmitted(metrics.MsgRef(ref - 1))
			}
			return
		}
		if pb := m.pub(ref); pb != nil {
			for _, pr := range pb.pairs {
				if !carries(toward, pr.broker) {
					continue // a bridge's leg to the target broker carries only the target's pairs
				}
				if lost {
					msgs.TransmissionLost(pr.ref)
				} else {
					msgs.Transmitted(pr.ref)
				}
			}
		}
	})
}

// receive handles a TCP packet arriving at a broker (atBroker) or device.
func (m *mqttNet) receive(now sim.Time, p *network.Packet) {
	b, ok := p.Body.(*tcpBody)
	if !ok {
		return
	}
	seg, idx, gen := b.seg, b.conn, b.gen
	m.pool.put(b)
	if int(idx) >= len(m.conns) || m.conns[idx].gen != gen || !m.conns[idx].live {
		m.resetStray(p, seg, ^uint32(0), 0) // the connection is gone on both sides
		return
	}
	cn := m.conns[idx]
	if cn.closed == 0 {
		cn.lastRx = now // frozen once a side knows the connection is over
	}
	if p.Dst == cn.broker.node {
		if !cn.accepted && seg.Flags&tcp.SYN != 0 && seg.Flags&tcp.ACK == 0 {
			cn.accepted, cn.srvDead, cn.brkGone = true, false, false
			cn.srvISS = uint32(cn.dev.rng.Uint64())
			cn.srv.Init(&m.tcpP, cn.srvISS)
			cn.srv.Accept((*srvEnv)(cn), now, seg)
			return
		}
		if cn.srvDead {
			m.resetStray(p, seg, idx, gen) // this side is closed; the other may still be there
			return
		}
		cn.srv.Receive((*srvEnv)(cn), now, seg)
		return
	}
	if cn.cliDead {
		m.resetStray(p, seg, idx, gen) // this side is closed; the other may still be there
		return
	}
	cn.cli.Receive((*cliEnv)(cn), now, seg)
}

// resetStray answers a segment for no connection with a Reset, as a host
// does; the Reset goes nowhere if its connection is gone too.
func (m *mqttNet) resetStray(p *network.Packet, seg tcp.Segment, idx, gen uint32) {
	rst, ok := tcp.ResetFor(seg)
	if !ok {
		return
	}
	b := m.pool.get()
	b.seg, b.conn, b.gen = rst, idx, gen
	m.w.Net.Send(network.Packet{
		Src: p.Dst, Dst: p.Src,
		Bytes: int32(rst.WireBytes()),
		Layer: network.TCP,
		Kind:  kindTCP,
		Body:  b,
	})
}

// HandleEvent runs connection timers.
func (m *mqttNet) HandleEvent(k *sim.Kernel, ev sim.Event) {
	idx, gen := uint32(ev.Arg), uint32(ev.Arg>>32)
	if int(idx) >= len(m.conns) {
		return
	}
	if ev.Kind == evKeepalive && !m.kaT[idx].Fire(k, ev.At, m, evKeepalive, ev.Arg) {
		return // moved later, or cleared: the connection is not touched
	}
	cn := m.conns[idx]
	if cn.gen != gen || !cn.live {
		return
	}
	switch ev.Kind {
	case evCliTCP:
		if cn.cliT.Fire(k, ev.At, m, evCliTCP, ev.Arg) && !cn.cliDead {
			cn.cli.OnTimer((*cliEnv)(cn), ev.At)
		}
	case evSrvTCP:
		if cn.srvT.Fire(k, ev.At, m, evSrvTCP, ev.Arg) && !cn.srvDead {
			cn.srv.OnTimer((*srvEnv)(cn), ev.At)
		}
	case evKeepalive:
		cn.broker.eng.OnTimer((*brokerEnv)(cn.broker), ev.At, mqtt.ConnID(idx))
	}
}

// ---- client side TCP env ----

func (e *cliEnv) conn() *mqttConn { return (*mqttConn)(e) }

func (e *cliEnv) Send(seg tcp.Segment) { e.m.sendSeg(e.idx, seg, true) }

func (e *cliEnv) SetTimer(at sim.Time) {
	e.cliT.Set(e.m.w.K, at, e.m, evCliTCP, connArg(e.idx, e.gen))
}

func (e *cliEnv) Established() {
	cn := e.conn()
	now := e.m.w.K.Now()
	cn.opened, cn.isOpen = now, true
	d := cn.dev
	if d.conn == e.idx && !cn.cliGone {
		e.m.w.nodes[d.node].connects++
		d.client.TransportUp(d, now)
	}
}

func (e *cliEnv) Deliver(n int) {
	cn := e.conn()
	cn.down.delivered += uint64(n)
	d := cn.dev
	for r := cn.down.next(); r != nil; r = cn.down.next() {
		// r stays in place during the call: only the device writes to
		// this queue's other end, and never while it is receiving.
		typ, ref := r.pkt.Type, r.pkt.Ref
		if d.conn == e.idx && !cn.cliGone {
			d.client.Receive(d, e.m.w.K.Now(), &r.pkt)
		}
		if typ == mqtt.Publish && ref != 0 {
			e.m.release(ref) // after the client has seen it
		}
	}
}

func (e *cliEnv) Acked(n int) {}

func (e *cliEnv) PeerClosed() {
	// The broker closed its direction: the client's transport is gone.
	cn := e.conn()
	e.m.clientTransportGone(cn, "broker_close")
	if !cn.cliDead {
		cn.cli.Close(e, e.m.w.K.Now())
	}
}

func (e *cliEnv) Closed(reason tcp.CloseReason) {
	cn := e.conn()
	cn.cliDead = true
	cn.cliT.Stop(e.m.w.K)
	e.m.clientTransportGone(cn, tcpReason(reason))
	e.m.maybeFree(e.idx)
}

// clientTransportGone tells the device's client its connection ended.
func (m *mqttNet) clientTransportGone(cn *mqttConn, reason string) {
	if cn.cliGone {
		return
	}
	cn.cliGone = true
	m.sideKnows(cn, reason)
	d := cn.dev
	if d.conn == cn.idx {
		d.conn = noConn
		m.w.nodes[d.node].disconnects++
		d.client.TransportDown(d, m.w.K.Now())
	}
}

func tcpReason(r tcp.CloseReason) string {
	switch r {
	case tcp.Normal:
		return "disconnect"
	case tcp.Timeout, tcp.UserTimeout:
		return "tcp_abort"
	case tcp.PeerReset:
		return "tcp_reset"
	case tcp.ConnectFailed, tcp.Refused:
		return "connect_failed"
	}
	return r.String()
}

// ---- broker side TCP env ----

func (e *srvEnv) conn() *mqttConn { return (*mqttConn)(e) }

func (e *srvEnv) Send(seg tcp.Segment) { e.m.sendSeg(e.idx, seg, false) }

func (e *srvEnv) SetTimer(at sim.Time) {
	e.srvT.Set(e.m.w.K, at, e.m, evSrvTCP, connArg(e.idx, e.gen))
}

func (e *srvEnv) Established() {
	cn := e.conn()
	cn.broker.eng.Open((*brokerEnv)(cn.broker), e.m.w.K.Now(), mqtt.ConnID(e.idx))
}

func (e *srvEnv) Deliver(n int) {
	cn := e.conn()
	cn.up.delivered += uint64(n)
	b := cn.broker
	for r := cn.up.next(); r != nil; r = cn.up.next() {
		typ, ref := r.pkt.Type, r.pkt.Ref
		if !cn.brkGone {
			b.eng.Receive((*brokerEnv)(b), e.m.w.K.Now(), mqtt.ConnID(e.idx), &r.pkt)
		}
		if typ == mqtt.Publish && ref != 0 {
			e.m.release(ref) // after the broker has routed it
		}
	}
}

func (e *srvEnv) Acked(n int) {}

func (e *srvEnv) PeerClosed() {
	cn := e.conn()
	e.m.brokerTransportGone(cn, "disconnect")
	if !cn.srvDead {
		cn.srv.Close(e, e.m.w.K.Now())
	}
}

func (e *srvEnv) Closed(reason tcp.CloseReason) {
	cn := e.conn()
	cn.srvDead = true
	cn.srvT.Stop(e.m.w.K)
	e.m.brokerTransportGone(cn, tcpReason(reason))
	e.m.maybeFree(e.idx)
}

// brokerTransportGone tells the broker engine its connection ended.
func (m *mqttNet) brokerTransportGone(cn *mqttConn, reason string) {
	if cn.brkGone {
		return
	}
	m.sideKnows(cn, reason)
	cn.broker.eng.TransportClosed((*brokerEnv)(cn.broker), m.w.K.Now(), mqtt.ConnID(cn.idx))
	cn.brkGone = true
}

// writeRow writes the connections-table row of a finished connection.
func (m *mqttNet) writeRow(cn *mqttConn) {
	if cn.rowDone || !cn.isOpen {
		return
	}
	cn.rowDone = true
	r := metrics.ConnectionRow{
		Client:      m.w.nodes[cn.dev.node].name,
		Server:      cn.broker.name,
		Protocol:    config.ProtoMQTT,
		OpenedNs:    int64(cn.opened),
		CloseReason: cn.reason,
		WillSent:    cn.willSent,
	}
	if cn.closed != 0 {
		r.Closed, r.ClosedNs = true, int64(cn.closed)
	}
	if cn.detected != 0 {
		r.PeerDetected, r.PeerDetectedNs = true, int64(cn.detected)
	}
	if cn.closed != 0 && lostReason(cn.reason) {
		// State visibility: how long each side took to know that the
		// connection was lost. It was lost when the first packet after
		// the last one that got through was dropped (or, if none was,
		// at that last one).
		lost := cn.lastRx
		if cn.lostAt > lost {
			lost = cn.lostAt
		}
		r.Lost, r.LostNs = true, int64(lost)
		m.w.visibility.Add(int64(cn.closed - lost))
		if cn.detected != 0 {
			m.w.visibility.Add(int64(cn.detected - lost))
		} else {
			m.w.visUndetected++
		}
	}
	m.w.sink.Connection(&r)
}

// finish writes the rows of connections still open at the end of the run.
func (m *mqttNet) finish() {
	for _, cn := range m.conns {
		if cn.live {
			m.writeRow(cn)
		}
	}
	for _, g := range m.groups {
		for i := range g.devs {
			d := &g.devs[i]
			m.w.nodes[d.node].msgsSent = d.sent
		}
	}
}

// ---- devices ----

const noConn = ^uint32(0)

// mqttGroup drives the MQTT devices of one group.
type mqttGroup struct {
	m        *mqttNet
	name     string
	cfg      mqtt.ClientConfig
	params   workload.Params
	payload  []byte
	qos      mqtt.QoS
	retain   bool
	sequence bool       // publications carry application sequence numbers
	tcp      tcp.Params // the devices\' TCP parameters (the broker side uses the defaults)
	subs     []mqtt.Subscription
	first    network.NodeID
	devs     []mqttDevice
}

// mqttDevice is one device: workload, MQTT client, current connection.
type mqttDevice struct {
	g       *mqttGroup
	node    network.NodeID
	conn    uint32 // index of the current connection, or noConn
	src     workload.Source
	client  mqtt.Client
	rng     sim.Stream
	timer   sim.Timer
	topic   string
	sent    int64
	cfg     *mqtt.ClientConfig // the group's, or the device's own when its will topic is templated
	last    *metrics.Stream    // the stream of the last subscriber published to
	lastSub string             // … and that subscriber's client id, compared without a cache miss
	own     describedStream    // the first stream the device published on
	working bool               // the workload has started (at the first connection)
	broker  *mqttBroker        // the broker it connects to: its group's, or its gateway's local one
}

func (m *mqttNet) addGroup(name string, g *config.DeviceGroup, slots []deviceSlot, newNode func(*deviceSlot) network.NodeID) error {
	b, ok := m.brokers[g.Attach]
	gws := m.gws[g.Attach]
	if !ok && gws == nil {
		return fmt.Errorf("devices.%s.attach: %q is not a broker or gateway group", name, g.Attach)
	}
	c := &g.MQTT
	grp := &mqttGroup{
		m:        m,
		name:     name,
		params:   workloadParams(&g.Workload),
		payload:  make([]byte, g.Workload.Payload),
		qos:      mqtt.QoS(c.QoS),
		retain:   c.Retain,
		sequence: c.Sequence,
		devs:     make([]mqttDevice, g.Count),
	}
	grp.cfg = mqtt.ClientConfig{
		CleanSession: c.CleanSession,
		KeepAlive:    c.Keepalive.D(),
		Username:     c.Username,
		Password:     c.Password,
		UsernameFlag: c.Username != "",
		PasswordFlag: c.Password != "",
		Reconnect:    true,
		OfflineQueue: c.OfflineQueue,
	}
	if c.OfflineQueue == 0 {
		grp.cfg.OfflineQueue = -1 // the engine's "no queue"; 0 would mean its default
	}
	grp.tcp = m.tcpP
	grp.tcp.UserTimeout = c.TCPUserTimeout.D()
	for _, f := range c.Subscribe {
		grp.subs = append(grp.subs, mqtt.Subscription{Filter: f, QoS: mqtt.QoS(c.QoS)})
	}
	seed := m.w.Net.Seed()
	for k := range grp.devs {
		d, slot := &grp.devs[k], &slots[k]
		id, nodeName, i := newNode(slot), slot.name, slot.index
		if k == 0 {
			grp.first = id
		}
		d.g, d.node, d.conn = grp, id, noConn
		d.broker = b
		if gws != nil {
			d.broker = gws[i%len(gws)].local
		}
		m.w.Net.Attach(id, grp)
		d.topic = fillTopic(c.Topic, name, i)
		d.cfg = &grp.cfg
		if c.Will != nil {
			own := grp.cfg
			own.Will = &mqtt.Will{Topic: fillTopic(c.Will.Topic, name, i), Payload: []byte(c.Will.Payload), QoS: mqtt.QoS(c.Will.QoS), Retain: c.Will.Retain}
			d.cfg = &own
		}
		d.rng = sim.NewStream(seed, nodeName, "mqtt")
		d.client.Init(d.cfg, &d.rng)
		d.client.SetClientID(nodeName)
		start := slot.start
		d.src = workload.NewSource(&grp.params, slot.workload, start)
		if start < m.w.genEnd {
			m.w.K.Schedule(start, grp, evStart, uint64(k))
		}
	}
	m.groups = append(m.groups, grp)
	return nil
}

// fillTopic fills {group} and {index} in a topic template.
func fillTopic(t, group string, i int) string {
	if !strings.Contains(t, "{") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "{group}", group), "{index}", strconv.Itoa(i))
}

func (g *mqttGroup) HandleEvent(k *sim.Kernel, ev sim.Event) {
	d := &g.devs[ev.Arg]
	switch ev.Kind {
	case evStart:
		d.client.Start(d, ev.At)
		if len(g.subs) > 0 {
			d.client.Subscribe(d, ev.At, g.subs)
		}
	case evSend:
		g.publish(d, ev.At)
		g.scheduleNext(ev.Arg, d)
	case evClient:
		if d.timer.Fire(k, ev.At, g, evClient, ev.Arg) {
			d.client.OnTimer(d, ev.At)
		}
	}
}

func (g *mqttGroup) scheduleNext(i uint64, d *mqttDevice) {
	if g.params.Kind == workload.None {
		return
	}
	at, ok := d.src.Next()
	// Sends the workload planned before the first connection come at
	// once when it is up.
	at = max(at, g.m.w.K.Now())
	if ok && at < g.m.w.genEnd {
		g.m.w.K.Schedule(at, g, evSend, i)
	}
}

// publish makes one publication: it tracks one message per session whose
// subscriptions match the topic now, then hands it to the client.
func (g *mqttGroup) publish(d *mqttDevice, now sim.Time) {
	m := g.m
	w := m.w
	ref, pb := m.newPub()
	id := w.Msgs.NewMessage()
	m.intended(d.broker, d.topic, func(client string, at *mqttBroker) {
		st := m.stream(d, client)
		r := w.Msgs.Track(id, st, len(g.payload), now)
		w.Msgs.Hold(r) // until the publication ends: a resend may still route it again
		pb.pairs = append(pb.pairs, pubPair{client: client, broker: at, ref: r})
	})
	d.sent++
	d.client.Publish(d, now, d.topic, g.payload, g.qos, g.retain, ref)
}

// stream is the message stream from device d to subscriber client on d's
// topic.
func (m *mqttNet) stream(d *mqttDevice, client string) *metrics.Stream {
	if d.last != nil && d.lastSub == client {
		return d.last // the usual case: one subscriber
	}
	key := streamKey{pub: d.node, sub: client, topic: d.topic}
	st, ok := m.streams[key]
	if !ok {
		// The device's first stream lives in the device, which a publish
		// has in cache already; further ones (more subscribers) are
		// allocated, each with its description.
		ds := &d.own
		if ds.Info != nil {
			ds = &describedStream{}
		}
		g := d.g
		ds.info = metrics.StreamInfo{
			Dst: client, Group: g.name, Protocol: config.ProtoMQTT, QoS: int32(g.qos), TopicOrPath: d.topic,
			Restorable: g.sequence,
		}
		ds.Init(m.w.nodes[d.node].name, &ds.info)
		st = &ds.Stream
		m.streams[key] = st
	}
	d.last, d.lastSub = st, client
	return st
}

// describedStream is a message stream with its own description.
type describedStream struct {
	metrics.Stream
	info metrics.StreamInfo
}

// Receive hands a TCP packet to the addressed device.
func (g *mqttGroup) Receive(now sim.Time, p *network.Packet) { g.m.receive(now, p) }

// ---- the device as the MQTT client's environment ----

func (d *mqttDevice) Dial() {
	m := d.g.m
	d.conn = m.newConn(d, d.broker)
	cn := m.conns[d.conn]
	cn.cli.Connect((*cliEnv)(cn), m.w.K.Now())
}

func (d *mqttDevice) Send(p *mqtt.Packet) {
	m := d.g.m
	if d.conn == noConn {
		return
	}
	cn := m.conns[d.conn]
	cn.cli.Write((*cliEnv)(cn), m.w.K.Now(), m.write(&cn.up, p))
}

func (d *mqttDevice) HangUp() {
	m := d.g.m
	if d.conn == noConn {
		return
	}
	idx := d.conn
	cn := m.conns[idx]
	d.clientKnows(cn, "disconnect")
	d.conn = noConn
	if !cn.cliDead {
		cn.cli.Close((*cliEnv)(cn), m.w.K.Now())
	}
	m.maybeFree(idx)
}

// clientKnows records that the client has given up connection cn, for
// reason (unless it had already), and counts the disconnection.
func (d *mqttDevice) clientKnows(cn *mqttConn, reason string) {
	if cn.cliGone {
		return
	}
	cn.cliGone = true
	d.g.m.sideKnows(cn, reason)
	d.g.m.w.nodes[d.node].disconnects++
}

func (d *mqttDevice) SetTimer(at sim.Time) {
	g := d.g
	d.timer.Set(g.m.w.K, at, g, evClient, uint64(d.node-g.first))
}

// Connected starts the workload at the first connection: a device
// publishes once it is connected, as mosquitto_pub does.
func (d *mqttDevice) Connected(sessionPresent bool) {
	if !d.working {
		d.working = true
		d.g.scheduleNext(uint64(d.node-d.g.first), d)
	}
}

// Refused needs nothing: the broker's Closed already named the reason
// (auth_failed), and the client has hung up.
func (d *mqttDevice) Refused(code mqtt.ConnectReturnCode) {}

func (d *mqttDevice) Lost(reason mqtt.LostReason) {
	if d.conn == noConn {
		return
	}
	if reason == mqtt.LostPingTimeout {
		// The engine hangs up next; the client knows first, and why.
		d.clientKnows(d.g.m.conns[d.conn], "keepalive_timeout")
	}
}

// Message is an application message for this device: a delivery of the
// tracked (publication, subscriber) message its Ref names.
func (d *mqttDevice) Message(p *mqtt.Packet) {
	w := d.g.m.w
	w.nodes[d.node].msgsReceived++
	if p.Ref != 0 && p.Ref&pubBit == 0 {
		w.Msgs.Delivered(metrics.MsgRef(p.Ref-1), w.K.Now())
	}
}

func (d *mqttDevice) Completed(ref uint64) { d.g.m.releasePub(ref) }

func (d *mqttDevice) Dropped(ref uint64, reason mqtt.DropReason) { d.g.m.releasePub(ref) }

func (d *mqttDevice) Subscribed(codes []byte) {}

// lost handles a TCP packet dropped on a hop: the messages it carried had
// a transmission lost, and its body goes back to the pool.
func (m *mqttNet) lost(p *network.Packet) {
	b, ok := p.Body.(*tcpBody)
	if !ok {
		return
	}
	if int(b.conn) < len(m.conns) {
		if cn := m.conns[b.conn]; cn.gen == b.gen && cn.live {
			if cn.closed == 0 && cn.lostAt <= cn.lastRx {
				cn.lostAt = m.w.K.Now()
			}
			if b.seg.Len > 0 {
				q, iss := cn.stream(p.Dst == cn.broker.node)
				m.countSegment(q, iss, b.seg, true, cn.broker)
			}
		}
	}
	m.pool.put(b)
}

// kindName is the packets-table kind of a TCP packet: the MQTT packets
// its payload carries, joined by "+", or the segment's control kind.
func (m *mqttNet) kindName(p *network.Packet) string {
	b, ok := p.Body.(*tcpBody)
	if !ok {
		return "UNKNOWN"
	}
	if b.seg.Len == 0 || int(b.conn) >= len(m.conns) {
		return segmentKind(b.seg)
	}
	cn := m.conns[b.conn]
	if cn.gen != b.gen || !cn.live {
		return segmentKind(b.seg)
	}
	q, iss := cn.stream(p.Dst == cn.broker.node)
	from, to := q.span(b.seg, iss)
	var names []string
	q.overlapping(from, to, func(r *record) {
		names = append(names, r.pkt.Type.String())
	})
	if len(names) == 0 {
		return "DATA" // bytes already read by the receiver (a late retransmission)
	}
	return strings.Join(names, "+")
}

// ---- gateways ----

// bridgeClient is the client id of a gateway bridge's in-process session
// on its local broker.
const bridgeClient = "$bridge"

// gateway is one instance of a gateway group (source document 001): a
// local broker for the devices attached to it, and a bridge that forwards
// what is published locally on the configured topics to the target broker
// over its own MQTT connection.
type gateway struct {
	m      *mqttNet
	local  *mqttBroker
	bridge *mqttDevice // the bridge's MQTT client, connected to the target broker
	remote *mqttBroker
	topics []string
	qos    mqtt.QoS
}

func (m *mqttNet) addGateway(name string, ids []network.NodeID, g *config.Gateway) error {
	remote, ok := m.brokers[g.Bridge.To]
	if !ok {
		return fmt.Errorf("gateways.%s.bridge.to: %q is not a broker", name, g.Bridge.To)
	}
	w := m.w
	bg := &mqttGroup{m: m, name: name, devs: make([]mqttDevice, len(ids)), first: ids[0], tcp: m.tcpP}
	bg.cfg = mqtt.ClientConfig{CleanSession: false, KeepAlive: time.Minute, Reconnect: true}
	seed := w.Net.Seed()
	for i, id := range ids {
		nodeName := w.nodes[id].name
		gw := &gateway{m: m, remote: remote, topics: g.Bridge.Topics, qos: mqtt.QoS(g.Bridge.QoS)}
		gw.local = m.addBroker(nodeName, id, &config.Broker{MaxInflight: 20, MaxQueued: 1000})
		gw.local.gw = gw
		w.Net.Attach(id, gw.local)
		d := &bg.devs[i]
		d.g, d.node, d.conn, d.broker, d.cfg = bg, id, noConn, remote, &bg.cfg
		d.rng = sim.NewStream(seed, nodeName, "bridge")
		d.client.Init(d.cfg, &d.rng)
		d.client.SetClientID(nodeName)
		gw.bridge = d
		w.K.Schedule(0, bg, evStart, uint64(i))
		gw.connectLocal()
		m.gws[name] = append(m.gws[name], gw)
	}
	m.groups = append(m.groups, bg)
	return nil
}

// connectLocal opens the bridge's in-process session on the local broker
// and subscribes it to the bridged topics. QoS 0 is enough in-process:
// nothing is lost between the local broker and the bridge.
func (gw *gateway) connectLocal() {
	m := gw.m
	idx := uint32(len(m.conns))
	m.addConn(&mqttConn{loop: gw, m: m, idx: idx, gen: 1, live: true})
	env := (*brokerEnv)(gw.local)
	c := mqtt.ConnID(idx)
	gw.local.eng.Open(env, 0, c)
	gw.local.eng.Receive(env, 0, c, &mqtt.Packet{Type: mqtt.Connect, Connect: &mqtt.ConnectFields{
		ProtocolLevel: mqtt.Version311, ClientID: bridgeClient, CleanSession: true,
	}})
	subs := make([]mqtt.Subscription, len(gw.topics))
	for i, t := range gw.topics {
		subs[i] = mqtt.Subscription{Filter: t, QoS: mqtt.QoS0}
	}
	gw.local.eng.Receive(env, 0, c, &mqtt.Packet{Type: mqtt.Subscribe, PacketID: 1, Subscriptions: subs})
}

// fromLocal is a packet the local broker sends to the bridge's session: a
// publication goes on to the remote broker at the bridge's QoS.
func (gw *gateway) fromLocal(p *mqtt.Packet) {
	if p.Type != mqtt.Publish {
		return // CONNACK, SUBACK
	}
	m := gw.m
	if p.Ref&pubBit != 0 {
		m.hold(p.Ref) // released when the bridge's client completes or drops it
	}
	d := gw.bridge
	d.client.Publish(d, m.w.K.Now(), p.Topic, p.Payload, gw.qos, p.Retain, p.Ref)
}

// bridged reports whether a topic published on gw's local broker is
// forwarded to the remote one.
func (gw *gateway) bridged(topic string) bool {
	for _, f := range gw.topics {
		if mqtt.Match(f, topic) {
			return true
		}
	}
	return false
}

// intended calls fn for every session that a publication on topic at
// broker b is meant for now: b's matching sessions, and, through a
// gateway's bridge, the remote broker's.
func (m *mqttNet) intended(b *mqttBroker, topic string, fn func(client string, at *mqttBroker)) {
	b.eng.MatchSessions(topic, func(client string, _ mqtt.QoS) {
		if b.gw == nil || client != bridgeClient {
			fn(client, b)
		}
	})
	if b.gw != nil && b.gw.bridged(topic) {
		r := b.gw.remote
		r.eng.MatchSessions(topic, func(client string, _ mqtt.QoS) { fn(client, r) })
	}
}

// carries reports whether a publication's segment on a connection to broker
// toward carries the copy meant for a session at broker at: at is toward
// itself, or the target of toward's gateway bridge.
func carries(toward, at *mqttBroker) bool {
	return at == toward || (toward.gw != nil && toward.gw.remote == at)
}

// lostReason reports whether a connection that ended this way was lost
// rather than closed on purpose (DISCONNECT, refusal, takeover).
func lostReason(r string) bool {
	switch r {
	case "keepalive_timeout", "tcp_abort", "tcp_reset", "broker_close", "connect_failed":
		return true
	}
	return false
}
