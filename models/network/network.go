// Package network moves packets between nodes over their access links.
//
// Every node hangs off its parent by its own access link (models/link): a
// device off the core network or off a gateway, a broker or server off the
// core. A packet from A to B climbs from A to the lowest common ancestor of
// A and B over the up directions of the links on the way, then descends to
// B over their down directions — device → core → broker crosses the
// device's link then the broker's. Each hop is one event, so every link
// direction sees its packets in time order and its queue and loss state
// evolve exactly.
//
// network knows packets only as sizes, kinds and opaque bodies: it knows
// nothing of MQTT, CoAP or messages.
package network

import (
	"github.com/iotsim/iotsim/models/link"
	"github.com/iotsim/iotsim/sim"
)

// NodeID identifies a node. Core (0) is the core network, the root of the
// tree; it has no access link of its own.
type NodeID uint32

// Core is the core network.
const Core NodeID = 0

// Layer is the transport a packet travels on.
type Layer uint8

// Transports.
const (
	UDP Layer = iota
	TCP
)

// String is the name used in the packets table.
func (l Layer) String() string {
	if l == TCP {
		return "tcp"
	}
	return "udp"
}

// Packet is one IP packet in flight.
type Packet struct {
	Src, Dst NodeID
	Bytes    int32  // on the wire, IP header included
	Layer    Layer  // transport
	Kind     uint16 // protocol-defined packet kind (named by the observer)
	Msg      uint32 // protocol-defined reference, e.g. a tracked message
	Body     any    // protocol payload; pointer types only, so no allocation

	at NodeID // the node the packet has reached
}

// Endpoint is what a node runs: it receives the packets addressed to it.
// The packet is only valid during the call.
type Endpoint interface {
	Receive(now sim.Time, p *Packet)
}

// Observer sees every packet offered to a link direction: via is the node
// whose access link it is, up tells the direction. reason is
// link.NotDropped unless the link dropped it. The packet is only valid
// during the call.
type Observer interface {
	Hop(now sim.Time, via NodeID, up bool, p *Packet, reason link.DropReason)
}

// Stats are a node's packet counters.
type Stats struct {
	PktsTx, PktsRx, BytesTx, BytesRx int64
}

type node struct {
	up, down link.Direction
	ep       Endpoint
	stats    Stats
}

// nodeLabel is what names a node: kept apart from the node records, which
// the packets' hops touch, to keep those small.
type nodeLabel struct {
	name, class string
}

// Network is the set of nodes and the packets travelling between them. It
// is the sim.Handler of its hop events.
type Network struct {
	k     *sim.Kernel
	seed  uint64
	obs   Observer
	nodes []node
	label []nodeLabel // by node id
	// The tree is kept apart from the (large) node records so that routing
	// decisions touch a few compact, cache-resident arrays.
	parent []NodeID
	depth  []uint8
	pkts   []Packet
	free   []uint32
	drop   func(p *Packet) bool // fault injection: drop matching packets as lost
	// receiving is true while an endpoint's Receive runs: a packet that
	// reaches its destination meanwhile waits in later and is delivered
	// when that Receive returns.
	receiving bool
	later     []uint32 // packets that reached their destination meanwhile
	// sending is > 0 while a Send runs. Inside a Receive, receiving decides
	// (the packet waits in later); outside one (a timer, a workload event)
	// a packet that reaches its destination inside Send is delivered by an
	// event (deliverFlag), after the sender is done.
	sending int
}

// SetDropFilter makes every hop drop, as lost (link.DropLoss), the packets
// for which f returns true, on top of the links' own losses: scripted fault
// injection for tests ("lose every ACK"). nil removes the filter. The
// filter must not keep p.
func (n *Network) SetDropFilter(f func(p *Packet) bool) { n.drop = f }

// New returns a network with only the core node. Link randomness is derived
// from seed and each node's name.
func New(k *sim.Kernel, seed uint64, obs Observer) *Network {
	return &Network{k: k, seed: seed, obs: obs, nodes: []node{{}}, label: []nodeLabel{{name: "core"}}, parent: []NodeID{Core}, depth: []uint8{0}}
}

// Grow reserves room for n more nodes.
func (n *Network) Grow(extra int) {
	if cap(n.nodes)-len(n.nodes) < extra {
		ns := make([]node, len(n.nodes), len(n.nodes)+extra)
		copy(ns, n.nodes)
		n.nodes = ns
		n.label = append(make([]nodeLabel, 0, len(n.nodes)+extra), n.label...)
		n.parent = append(make([]NodeID, 0, len(n.nodes)+extra), n.parent...)
		n.depth = append(make([]uint8, 0, len(n.nodes)+extra), n.depth...)
	}
}

// AddNode adds a node named name (unique), hanging off parent by an access
// link of the given class and parameters, and returns its id. p is shared,
// not copied.
func (n *Network) AddNode(name, class string, p *link.Params, parent NodeID) NodeID {
	id := NodeID(len(n.nodes))
	n.nodes = append(n.nodes, node{
		up:   link.NewDirection(p, n.seed, name+"/up"),
		down: link.NewDirection(p, n.seed, name+"/down"),
	})
	n.label = append(n.label, nodeLabel{name, class})
	n.parent = append(n.parent, parent)
	n.depth = append(n.depth, n.depth[parent]+1)
	return id
}

// Attach sets the endpoint that receives the packets addressed to id.
func (n *Network) Attach(id NodeID, ep Endpoint) { n.nodes[id].ep = ep }

// Name is the node's name.
func (n *Network) Name(id NodeID) string { return n.label[id].name }

// LinkClass is the class of the node's access link.
func (n *Network) LinkClass(id NodeID) string { return n.label[id].class }

// Parent is the node the access link of id leads to.
func (n *Network) Parent(id NodeID) NodeID { return n.parent[id] }

// Stats returns the node's packet counters.
func (n *Network) Stats(id NodeID) Stats { return n.nodes[id].stats }

// Len is the number of nodes including the core.
func (n *Network) Len() int { return len(n.nodes) }

// Send puts a packet on the network at the current time, from p.Src to
// p.Dst. It is copied.
func (n *Network) Send(p Packet) {
	var slot uint32
	if k := len(n.free); k > 0 {
		slot = n.free[k-1]
		n.free = n.free[:k-1]
	} else {
		n.pkts = append(n.pkts, Packet{})
		slot = uint32(len(n.pkts) - 1)
	}
	p.at = p.Src
	n.pkts[slot] = p
	// The sender is inside one of its own calls: a packet that gets all the
	// way over zero-delay links must not be delivered (and answered) before
	// Send returns.
	n.sending++
	n.forward(n.k.Now(), slot)
	n.sending--
}

// InFlight is the number of packets on the network.
func (n *Network) InFlight() int { return len(n.pkts) - len(n.free) }

// HandleEvent is a packet reaching the far end of a hop, or (deliverFlag)
// a deferred delivery of one already at its destination.
func (n *Network) HandleEvent(k *sim.Kernel, ev sim.Event) {
	slot := uint32(ev.Arg)
	if ev.Arg&deliverFlag == 0 {
		n.arrive(NodeID(ev.Kind), &n.pkts[slot])
	}
	n.forward(ev.At, slot)
}

// deliverFlag marks an event that delivers a packet already at its
// destination (deferred because its sender was not done).
const deliverFlag = 1 << 32

// forward moves the packet hop by hop — across zero-delay hops at once —
// until it is delivered, dropped, or scheduled to reach the far end of a
// link with a delay.
func (n *Network) forward(now sim.Time, slot uint32) {
	for {
		if !n.hop(now, slot) {
			return
		}
	}
}

// hop moves the packet in slot one step: delivers it where it is, or offers
// it to the next link. It reports whether the packet crossed that link
// instantly (zero delay, no queueing) and should go on at once: a
// zero-delay hop takes no event. An endpoint is never re-entered: a packet
// that arrives while one is receiving is delivered when it returns.
func (n *Network) hop(now sim.Time, slot uint32) bool {
	p := &n.pkts[slot]
	at := p.at
	if at == p.Dst {
		if n.receiving {
			// Delivered right after the current Receive returns, in order.
			n.later = append(n.later, slot)
			return false
		}
		if n.sending > 0 {
			// Sent from outside any Receive (a timer, a workload event):
			// delivered by an event at this same instant, after the
			// sender's call returns.
			n.k.Schedule(now, n, int32(at), uint64(slot)|deliverFlag)
			return false
		}
		n.receiving = true
		n.deliver(now, slot)
		for i := 0; i < len(n.later); i++ {
			n.deliver(now, n.later[i])
		}
		n.later = n.later[:0]
		n.receiving = false
		return false
	}
	var (
		dir    *link.Direction
		via    NodeID // whose access link
		up     bool
		sender NodeID // who transmits onto the link
		next   NodeID // who is at the far end
	)
	if n.isAncestor(at, p.Dst) {
		next = n.childToward(at, p.Dst)
		via, up, sender = next, false, at
		dir = &n.nodes[next].down
	} else {
		next = n.parent[at]
		via, up, sender = at, true, at
		dir = &n.nodes[at].up
	}
	arrive, reason := dir.Offer(now, int(p.Bytes))
	if reason == link.NotDropped && n.drop != nil && n.drop(p) {
		reason = link.DropLoss
	}
	if reason != link.DropQueue && reason != link.DropOutage {
		// The packet went on the air, whether or not it survives.
		n.nodes[sender].stats.PktsTx++
		n.nodes[sender].stats.BytesTx += int64(p.Bytes)
	}
	if n.obs != nil {
		n.obs.Hop(now, via, up, p, reason)
	}
	if reason != link.NotDropped {
		n.release(slot)
		return false
	}
	if arrive == now {
		n.arrive(next, p)
		return true
	}
	n.k.Schedule(arrive, n, int32(next), uint64(slot))
	return false
}

// deliver hands the packet in slot to its destination's endpoint and frees
// the slot.
func (n *Network) deliver(now sim.Time, slot uint32) {
	p := &n.pkts[slot]
	if ep := n.nodes[p.at].ep; ep != nil {
		ep.Receive(now, p)
	}
	n.release(slot)
}

// arrive records that p reached node next.
func (n *Network) arrive(next NodeID, p *Packet) {
	n.nodes[next].stats.PktsRx++
	n.nodes[next].stats.BytesRx += int64(p.Bytes)
	p.at = next
}

func (n *Network) release(slot uint32) {
	n.pkts[slot].Body = nil
	n.free = append(n.free, slot)
}

// isAncestor reports whether a is x or one of x's ancestors.
func (n *Network) isAncestor(a, x NodeID) bool {
	da := n.depth[a]
	for n.depth[x] > da {
		x = n.parent[x]
	}
	return x == a
}

// childToward is the child of a on the path to its descendant x.
func (n *Network) childToward(a, x NodeID) NodeID {
	for n.parent[x] != a {
		x = n.parent[x]
	}
	return x
}

// Seed is the seed link randomness derives from.
func (n *Network) Seed() uint64 { return n.seed }
