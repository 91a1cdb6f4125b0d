package mqttlive

import (
	"context"
	"errors"
	"net"
	"slices"

	"github.com/iotsim/iotsim/protocols/mqtt"
	"github.com/iotsim/iotsim/sim"
)

// Broker is an mqtt.Broker engine serving MQTT 3.1.1 clients on a TCP
// listener.
type Broker struct {
	l   *loop
	ln  *net.TCPListener
	eng *mqtt.Broker

	// Engine goroutine only.
	conns  map[mqtt.ConnID]*link    // the connections the engine knows
	timers map[mqtt.ConnID]sim.Time // keepalive checks asked for
	// next is no later than the earliest of timers (0: none): moving a
	// deadline later, which the engine does at every packet, leaves it
	// early, and the wake-up then finds nothing due and sets it again.
	next    sim.Time
	nextID  mqtt.ConnID
	freeIDs []mqtt.ConnID // ids of ended connections, which the engine has forgotten: reused
	stats   BrokerStats
}

// BrokerStats are the engine's counters and the adapter's own.
type BrokerStats struct {
	mqtt.BrokerStats
	Accepted  int64 // connections accepted
	Malformed int64 // connections whose bytes did not parse
	Overflows int64 // connections aborted because the peer did not read
	Dropped   int64 // message copies the engine dropped
	ConnIDs   int64 // connection ids handed out; ended connections give theirs back, so this is the most ever open at once
	// Packets received and sent, by type.
	PacketsIn, PacketsOut [mqtt.Disconnect + 1]int64
}

// ListenBroker starts a broker with configuration cfg listening on addr
// ("127.0.0.1:0" picks a free port; see Addr).
func ListenBroker(addr string, cfg mqtt.BrokerConfig) (*Broker, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenTCP("tcp", ta)
	if err != nil {
		return nil, err
	}
	b := &Broker{
		l:      newLoop(),
		ln:     ln,
		eng:    mqtt.NewBroker(cfg),
		conns:  map[mqtt.ConnID]*link{},
		timers: map[mqtt.ConnID]sim.Time{},
	}
	b.l.closer = func() { ln.Close() }
	b.l.start(b)
	b.l.wg.Add(1)
	go b.accept()
	return b, nil
}

// Addr is the address the broker listens on.
func (b *Broker) Addr() *net.TCPAddr { return b.ln.Addr().(*net.TCPAddr) }

// Close stops the broker and closes every connection without DISCONNECT
// or will processing: the broker is simply gone.
func (b *Broker) Close() error { return b.l.close() }

// Stats returns the broker's counters.
func (b *Broker) Stats(ctx context.Context) (BrokerStats, error) {
	var st BrokerStats
	err := b.l.do(ctx, func() {
		st = b.stats
		st.BrokerStats = b.eng.Stats()
	})
	return st, err
}

// Publish injects an application message as if a client had published it
// (mqtt.Broker.Publish: no ACL check, no acknowledgement). payload is
// copied.
func (b *Broker) Publish(ctx context.Context, topic string, payload []byte, qos mqtt.QoS, retain bool) error {
	if qos > mqtt.QoS2 || mqtt.ValidTopicName(topic) != nil {
		return errors.New("mqttlive: invalid topic name or QoS")
	}
	p := mqtt.Packet{Type: mqtt.Publish, QoS: qos, Retain: retain, Topic: topic, Payload: slices.Clone(payload)}
	return b.l.do(ctx, func() { b.eng.Publish(b.env(), b.l.now(), &p) })
}

// accept hands every accepted connection to the engine goroutine.
func (b *Broker) accept() {
	defer b.l.wg.Done()
	for {
		tcp, err := b.ln.AcceptTCP()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		if !b.l.post(event{kind: evOpen, tcp: tcp}) {
			tcp.Close()
			return
		}
	}
}

// event implements handler.
func (b *Broker) event(ev *event) {
	now := b.l.now()
	switch ev.kind {
	case evOpen:
		l := b.l.newLink(ev.tcp)
		l.id = b.newID()
		b.conns[l.id] = l
		b.stats.Accepted++
		b.eng.Open(b.env(), now, l.id)
		b.l.startLink(l)
	case evPacket:
		if b.conns[ev.l.id] == ev.l {
			b.stats.PacketsIn[ev.p.Type]++
			b.eng.Receive(b.env(), now, ev.l.id, &ev.p)
		}
	case evMalformed:
		if b.conns[ev.l.id] == ev.l {
			b.stats.Malformed++
			b.eng.Malformed(b.env(), now, ev.l.id, ev.err)
		}
	case evClosed:
		if b.conns[ev.l.id] == ev.l {
			delete(b.conns, ev.l.id)
			b.eng.TransportClosed(b.env(), now, ev.l.id)
			b.freeID(ev.l.id)
		}
	}
}

// newID is the id of a new connection: a freed one if any, so that the
// engine's connection table stays as large as the most connections open at
// once rather than growing with every connection ever made.
func (b *Broker) newID() mqtt.ConnID {
	if n := len(b.freeIDs); n > 0 {
		id := b.freeIDs[n-1]
		b.freeIDs = b.freeIDs[:n-1]
		return id
	}
	b.nextID++
	b.stats.ConnIDs++
	return b.nextID
}

// freeID gives back the id of a connection that ended, once the engine
// has forgotten it (it has closed it, or been told that it closed). Events
// of the old link still queued are told apart by their link, not their id.
func (b *Broker) freeID(c mqtt.ConnID) {
	delete(b.timers, c)
	b.freeIDs = append(b.freeIDs, c)
}

// fire implements handler: every due keepalive check, in ConnID order.
func (b *Broker) fire(now sim.Time) {
	var due []mqtt.ConnID
	b.next = 0
	for c, at := range b.timers {
		switch {
		case at <= now:
			due = append(due, c)
		case b.next == 0 || at < b.next:
			b.next = at
		}
	}
	slices.Sort(due)
	for _, c := range due {
		delete(b.timers, c)
		b.eng.OnTimer(b.env(), now, c) // may set c's timer again, and next with it
	}
}

// deadline implements handler.
func (b *Broker) deadline() sim.Time { return b.next }

// stop implements handler.
func (b *Broker) stop() {}

// outbox implements handler: the broker hands no messages out.
func (b *Broker) outbox() (chan<- Message, Message) { return nil, Message{} }

// delivered implements handler.
func (b *Broker) delivered() {}

// brokerEnv is the Broker seen as the engine's mqtt.BrokerEnv, a type of
// its own so that the environment's methods (Send, Close, ...) stay off
// the Broker's API. Its methods run on the engine goroutine.
type brokerEnv Broker

var _ mqtt.BrokerEnv = (*brokerEnv)(nil)

func (b *Broker) env() *brokerEnv { return (*brokerEnv)(b) }

func (b *brokerEnv) Send(c mqtt.ConnID, p *mqtt.Packet) {
	if l := b.conns[c]; l != nil {
		b.stats.PacketsOut[p.Type]++
		if !l.closing && len(l.out) == cap(l.out) {
			b.stats.Overflows++
		}
		l.send(encode(p))
	}
}

func (b *brokerEnv) Close(c mqtt.ConnID) {
	if l := b.conns[c]; l != nil {
		delete(b.conns, c)
		l.finish()
		(*Broker)(b).freeID(c) // the engine forgets c as it closes it
	}
	b.SetTimer(c, 0)
}

func (b *brokerEnv) SetTimer(c mqtt.ConnID, at sim.Time) {
	if at == 0 {
		delete(b.timers, c) // next may stay early: harmless
		return
	}
	b.timers[c] = at
	if b.next == 0 || at < b.next {
		b.next = at
	}
}

func (b *brokerEnv) Route(in uint64, clientID string, qos mqtt.QoS) uint64 { return in }

func (b *brokerEnv) Dropped(ref uint64, reason mqtt.DropReason) { b.stats.Dropped++ }

func (b *brokerEnv) Closed(c mqtt.ConnID, clientID string, reason mqtt.CloseReason, willSent bool) {
	b.SetTimer(c, 0)
}
