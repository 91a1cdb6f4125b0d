package mqtt

import (
	"errors"
	"strconv"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// The broker engine: an MQTT 3.1.1 server that behaves like mosquitto 2.0
// (the project's reference traces under shared/reference/mosquitto-2.0),
// sans-IO. The environment hands it transport events and parsed packets
// with the current time; it answers through a BrokerEnv. Where mosquitto
// and the specification leave a choice, the doc of the type or method
// says which one the broker makes.

// ConnID is the environment's name for one transport connection.
type ConnID uint32

// DefaultMaxQueued is BrokerConfig.MaxQueued's default, mosquitto 2.0's
// max_queued_messages. (DefaultMaxInflight, 20, is shared with the client.)
const DefaultMaxQueued = 1000

// BrokerConfig is the broker's configuration. The zero value is
// mosquitto 2.0's defaults, including its refusal of anonymous clients;
// DefaultBrokerConfig allows them.
type BrokerConfig struct {
	// MaxInflight is the number of outgoing QoS 1 and 2 messages per
	// session that may await acknowledgement; the others wait in the
	// session's queue. 0 means DefaultMaxInflight, a negative value no
	// limit (at most 65535, the number of packet identifiers).
	MaxInflight int
	// MaxQueued is the number of QoS 1 and 2 messages a session may hold
	// beyond the inflight ones (while connected or offline); what arrives
	// beyond it is dropped with DropQueueFull. 0 means DefaultMaxQueued, a
	// negative value no limit.
	MaxQueued int

	// AllowAnonymous accepts clients that send no user name.
	AllowAnonymous bool
	// Users maps user names to passwords. When it is not nil, a client
	// that sends a user name must send the matching password. When it is
	// nil, a user name is accepted as it is if AllowAnonymous (mosquitto
	// without a password file). Refusals are CONNACK 5
	// (RefusedNotAuthorized), what mosquitto 2.0 answers MQTT 3.1.1
	// clients for bad credentials and refused anonymous clients alike.
	Users map[string]string
	// ACL, when not nil, restricts what each user may publish and
	// subscribe to; see ACLRule.
	ACL map[string][]ACLRule
}

// DefaultBrokerConfig returns the defaults with anonymous clients allowed,
// what most simulations want.
func DefaultBrokerConfig() BrokerConfig {
	return BrokerConfig{MaxInflight: DefaultMaxInflight, MaxQueued: DefaultMaxQueued, AllowAnonymous: true}
}

// The broker reports dropped copies with the package's DropReason (shared
// with the client engine): DropQueueFull when the session's queue held
// MaxQueued messages; DropOffline for a QoS 0 copy to a session without a
// connection (mosquitto does not queue QoS 0 by default); DropCleanSession
// when the session was discarded with the copy still queued or
// unacknowledged (a clean session's connection ended, or a clean CONNECT
// replaced the session) — for an unacknowledged copy it means the broker
// stopped trying, and the copy may have arrived.

// CloseReason says why a connection ended.
type CloseReason uint8

// The close reasons.
const (
	CloseDisconnect CloseReason = iota + 1 // the client sent DISCONNECT
	CloseTransport                         // the transport was lost without DISCONNECT
	CloseKeepalive                         // nothing arrived for 1.5 × the keepalive
	CloseProtocol                          // a malformed packet or a protocol violation
	CloseTakeover                          // a new connection with the same client id
	CloseRefused                           // the CONNECT was refused with a CONNACK code
)

var closeReasonNames = [...]string{
	CloseDisconnect: "disconnect", CloseTransport: "transport", CloseKeepalive: "keepalive",
	CloseProtocol: "protocol", CloseTakeover: "takeover", CloseRefused: "refused",
}

func (r CloseReason) String() string {
	if int(r) < len(closeReasonNames) && closeReasonNames[r] != "" {
		return closeReasonNames[r]
	}
	return "CloseReason(" + strconv.Itoa(int(r)) + ")"
}

// BrokerEnv is what the broker calls to act. The broker calls it from
// inside its own methods; an implementation must not call back into the
// broker from these methods.
type BrokerEnv interface {
	// Send writes p on connection c. p and what it points to are valid
	// only during the call; the payload is the slice the publisher's
	// packet carried (shared, read-only).
	Send(c ConnID, p *Packet)
	// Close closes the transport of c, which the broker has already
	// forgotten. It is called when the broker ends a connection (after
	// DISCONNECT, a refusal, a violation, keepalive expiry or a takeover),
	// not after TransportClosed.
	Close(c ConnID)
	// SetTimer asks for OnTimer(c) at time at; the latest request for c
	// wins, and at = 0 cancels. It is the keepalive deadline, moved later
	// by every packet from the client, so an environment should make
	// moving it cheap (the simulator keeps one event and moves it only
	// when it fires early).
	SetTimer(c ConnID, at sim.Time)
	// Route is called once for each (incoming publication, matching
	// session) pair when the broker decides to deliver the publication to
	// that session, including into an offline session's queue and for a
	// retained message sent to a new subscription. in is the publisher's
	// Ref (for a will, the Ref of the CONNECT that carried it; for a
	// retained message, the Ref of the PUBLISH that set it) and qos the
	// QoS of the copy. It returns the Ref to put in the copy.
	Route(in uint64, clientID string, qos QoS) uint64
	// Dropped says that the copy with reference ref will never be sent
	// (again), and why.
	Dropped(ref uint64, reason DropReason)
	// Closed reports the end of a connection, with the client id it had
	// (or asked for, "" before a CONNECT), why it ended and whether the
	// client's will was published.
	Closed(c ConnID, clientID string, reason CloseReason, willSent bool)
}

// BrokerCompleter may be implemented by a BrokerEnv to learn when the
// broker is done with an outgoing copy: a QoS 0 copy handed to Send, a
// QoS 1 copy acknowledged by PUBACK, a QoS 2 copy completed by PUBCOMP.
// (A copy that is dropped is reported by Dropped instead.) The simulator
// uses it to close the bookkeeping of each (message, subscriber) pair.
type BrokerCompleter interface {
	Completed(ref uint64)
}

// completed reports the end of an outgoing copy to env, if it listens.
func completed(env BrokerEnv, ref uint64) {
	if c, ok := env.(BrokerCompleter); ok && ref != 0 {
		c.Completed(ref)
	}
}

// BrokerStats are the broker's counters.
type BrokerStats struct {
	Sessions      int                              // sessions held, with or without a connection
	Connected     int                              // sessions with a connection
	Subscriptions int                              // subscriptions of all sessions
	Retained      int                              // topics with a retained message
	Closed        [CloseRefused + 1]uint64         // connections ended, by CloseReason
	Refused       [RefusedNotAuthorized + 1]uint64 // CONNECTs refused, by return code
	Denied        uint64                           // publications (and wills) refused by the ACL

	// Copies dropped, by reason.
	DroppedQueueFull, DroppedOffline, DroppedCleanSession uint64
}

// Broker is the MQTT 3.1.1 broker engine. It is not safe for concurrent
// use; the simulator drives each broker from one goroutine.
type Broker struct {
	cfg         BrokerConfig
	maxInflight int
	maxQueued   int

	sessions map[string]*session
	conns    connTable
	subs     trieNode // root of the subscription tree
	retained trieNode // root of the retained tree
	stats    BrokerStats
	autoIDs  uint64

	// Scratch space, reused so that routing does not allocate.
	epoch   uint32
	hits    []hit
	pkt     Packet
	codes   []byte
	env     BrokerEnv // valid during a retained walk
	retSess *session  // the subscriber of a retained walk
	retQoS  QoS
}

// hit is one session a publication goes to, with the highest QoS of its
// matching subscriptions.
type hit struct {
	s   *session
	qos QoS
}

// conn is one transport connection.
type conn struct {
	id     ConnID
	sess   *session      // nil until a CONNECT is accepted
	expiry time.Duration // 1.5 × keepalive; 0 when keepalive is off
	last   sim.Time      // when the last packet arrived
	will   *willMsg
}

type willMsg struct {
	topic   string
	payload []byte
	qos     QoS
	retain  bool
	ref     uint64
}

// NewBroker returns a broker with no sessions.
func NewBroker(cfg BrokerConfig) *Broker {
	b := &Broker{
		cfg:      cfg,
		sessions: make(map[string]*session),
	}
	b.maxInflight = limit(cfg.MaxInflight, DefaultMaxInflight, 1<<16-1)
	b.maxQueued = limit(cfg.MaxQueued, DefaultMaxQueued, int(^uint(0)>>1))
	return b
}

func limit(v, def, unlimited int) int {
	switch {
	case v == 0:
		return def
	case v < 0 || v > unlimited:
		return unlimited
	}
	return v
}

// Stats returns the broker's counters.
func (b *Broker) Stats() BrokerStats {
	st := b.stats
	st.Sessions = len(b.sessions)
	return st
}

// Open tells the broker that the transport accepted connection c. The
// broker waits for a CONNECT; until then every other packet closes c.
func (b *Broker) Open(env BrokerEnv, now sim.Time, c ConnID) {
	if old := b.conns.get(c); old != nil {
		b.endConn(env, old, CloseTransport, true)
	}
	b.conns.set(c, &conn{id: c, last: now})
}

// TransportClosed tells the broker that the transport of c is gone: the
// peer closed or reset it, or the transport gave up. Without a DISCONNECT
// first this publishes the client's will.
func (b *Broker) TransportClosed(env BrokerEnv, now sim.Time, c ConnID) {
	if cn := b.conns.get(c); cn != nil {
		b.endConn(env, cn, CloseTransport, true)
	}
}

// Malformed tells the broker that the bytes received on c did not parse
// (err from Parse or Decoder.Parse). The broker closes the connection
// without a response, and publishes the will, except for a first CONNECT
// of another protocol level (ErrUnsupportedProtocolLevel), which it
// refuses with CONNACK 1 as mosquitto does.
func (b *Broker) Malformed(env BrokerEnv, now sim.Time, c ConnID, err error) {
	cn := b.conns.get(c)
	if cn == nil {
		return
	}
	if cn.sess == nil && errors.Is(err, ErrUnsupportedProtocolLevel) {
		b.refuse(env, cn, "", RefusedProtocolVersion)
		return
	}
	b.endConn(env, cn, CloseProtocol, true)
}

// OnTimer is the keepalive check of c that SetTimer asked for: the broker
// closes c, publishing its will, when nothing arrived from the client for
// 1.5 × its keepalive ([MQTT-3.1.2-24]), and otherwise asks for the next
// check. (mosquitto checks on a coarse timer and was observed to close
// later; the broker closes at exactly 1.5 × keepalive.)
func (b *Broker) OnTimer(env BrokerEnv, now sim.Time, c ConnID) {
	cn := b.conns.get(c)
	if cn == nil || cn.expiry == 0 {
		return
	}
	deadline := cn.last.Add(cn.expiry)
	if now >= deadline {
		b.endConn(env, cn, CloseKeepalive, true)
		return
	}
	env.SetTimer(c, deadline)
}

// Publish injects an application message as if a client had published it,
// without ACL check and without acknowledgement (a gateway bridge's
// forwarding). p must be a valid PUBLISH; its packet id is ignored.
func (b *Broker) Publish(env BrokerEnv, now sim.Time, p *Packet) {
	if p.Type != Publish || p.QoS > QoS2 || ValidTopicName(p.Topic) != nil {
		return
	}
	b.route(env, p.Topic, p.Payload, p.QoS, p.Retain, p.Ref)
}

// MatchSessions calls fn once for each session that a publication to
// topic would be delivered to now (connected or not; ACL read rules
// applied), with the highest granted QoS of its matching subscriptions, in
// delivery order. fn must not call the broker.
func (b *Broker) MatchSessions(topic string, fn func(clientID string, qos QoS)) {
	for _, h := range b.collect(topic) {
		fn(h.s.id, h.qos)
	}
}

// Receive hands the broker a packet that arrived on c.
func (b *Broker) Receive(env BrokerEnv, now sim.Time, c ConnID, p *Packet) {
	cn := b.conns.get(c)
	if cn == nil || p == nil {
		return
	}
	cn.last = now
	if cn.expiry > 0 {
		env.SetTimer(c, now.Add(cn.expiry))
	}
	if err := Validate(p); err != nil {
		if p.Type == Connect && cn.sess == nil && errors.Is(err, ErrUnsupportedProtocolLevel) {
			b.refuse(env, cn, p.Connect.ClientID, RefusedProtocolVersion)
			return
		}
		b.endConn(env, cn, CloseProtocol, true)
		return
	}
	if cn.sess == nil {
		if p.Type != Connect {
			// The first packet must be CONNECT [MQTT-3.1.0-1].
			b.endConn(env, cn, CloseProtocol, false)
			return
		}
		b.connect(env, now, cn, p)
		return
	}
	s := cn.sess
	switch p.Type {
	case Publish:
		b.receivePublish(env, cn, p)
	case Puback:
		b.acknowledged(env, s, p.PacketID, QoS1, stateSent)
	case Pubrec:
		// Answer PUBREL even for an unknown id, so the peer can finish.
		if i := s.findInflight(p.PacketID, QoS2, stateSent); i >= 0 {
			m := &s.inflight[i]
			m.state = stateReleased
			m.payload = nil // delivered; only the id is needed now
		}
		b.sendAck(env, c, Pubrel, p.PacketID)
	case Pubcomp:
		b.acknowledged(env, s, p.PacketID, QoS2, stateReleased)
	case Pubrel:
		// QoS 2 from the client: forward on PUBREL, as mosquitto does.
		if i := s.findIncoming(p.PacketID); i >= 0 {
			m := s.incoming[i]
			s.removeIncoming(i)
			b.route(env, m.topic, m.payload, QoS2, m.retain, m.ref)
		}
		b.sendAck(env, c, Pubcomp, p.PacketID)
	case Subscribe:
		b.subscribe(env, cn, p)
	case Unsubscribe:
		for _, f := range p.Filters {
			if n := b.subs.find(f); n != nil {
				if k := s.findSub(n); k >= 0 {
					b.removeSub(s, k)
				}
			}
		}
		b.sendAck(env, c, Unsuback, p.PacketID)
	case Pingreq:
		b.pkt = Packet{Type: Pingresp}
		env.Send(c, &b.pkt)
	case Disconnect:
		cn.will = nil // [MQTT-3.14.4-3]
		b.endConn(env, cn, CloseDisconnect, false)
	default:
		// A second CONNECT [MQTT-3.1.0-2], or a packet only a server sends.
		b.endConn(env, cn, CloseProtocol, true)
	}
}

// connect handles the CONNECT of a connection that has none yet.
func (b *Broker) connect(env BrokerEnv, now sim.Time, cn *conn, p *Packet) {
	cf := p.Connect
	id := cf.ClientID
	if id == "" {
		if !cf.CleanSession {
			b.refuse(env, cn, id, RefusedIdentifierRejected) // [MQTT-3.1.3-8]
			return
		}
		id = b.autoID()
	}
	user, ok := b.authenticate(cf)
	if !ok {
		b.refuse(env, cn, id, RefusedNotAuthorized)
		return
	}
	var rules []ACLRule
	if b.cfg.ACL != nil {
		rules = b.cfg.ACL[user]
	}

	s := b.sessions[id]
	if s != nil && s.conn != nil {
		// Takeover [MQTT-3.1.4-2]. mosquitto 2.0 publishes the old
		// connection's will unless both the old and the new session are
		// persistent, and closes the old connection before the CONNACK.
		b.endConn(env, s.conn, CloseTakeover, s.clean || cf.CleanSession)
	}
	present := false
	if s != nil {
		if s.clean || cf.CleanSession {
			b.discardSession(env, s)
			s = nil
		} else {
			present = true
		}
	}
	if s == nil {
		s = &session{id: id}
		b.sessions[id] = s
	}
	s.clean = cf.CleanSession
	s.acl = rules
	s.conn = cn
	cn.sess = s
	b.stats.Connected++
	if cf.WillFlag {
		cn.will = &willMsg{topic: cf.WillTopic, payload: cf.WillMessage, qos: cf.WillQoS, retain: cf.WillRetain, ref: p.Ref}
	}
	if cf.KeepAlive > 0 {
		cn.expiry = time.Duration(cf.KeepAlive) * 1500 * time.Millisecond
	}

	b.pkt = Packet{Type: Connack, SessionPresent: present}
	env.Send(cn.id, &b.pkt)
	if cn.expiry > 0 {
		env.SetTimer(cn.id, now.Add(cn.expiry))
	}
	if present {
		b.resume(env, s)
	}
}

// authenticate checks the credentials of a CONNECT and returns the user
// name to look ACL rules up with.
func (b *Broker) authenticate(cf *ConnectFields) (user string, ok bool) {
	if !cf.UsernameFlag {
		return "", b.cfg.AllowAnonymous
	}
	if b.cfg.Users == nil {
		return cf.Username, b.cfg.AllowAnonymous
	}
	pw, known := b.cfg.Users[cf.Username]
	return cf.Username, known && cf.PasswordFlag && string(cf.Password) == pw
}

// autoID assigns a client id to a client that sent an empty one with
// clean session 1 (mosquitto: "auto-" and a random UUID; here a counter,
// for determinism).
func (b *Broker) autoID() string {
	for {
		b.autoIDs++
		id := "auto-" + strconv.FormatUint(b.autoIDs, 10)
		if b.sessions[id] == nil {
			return id
		}
	}
}

// refuse answers a CONNECT with a refusal code and closes the connection.
func (b *Broker) refuse(env BrokerEnv, cn *conn, clientID string, rc ConnectReturnCode) {
	b.stats.Refused[rc]++
	b.pkt = Packet{Type: Connack, ReturnCode: rc}
	env.Send(cn.id, &b.pkt)
	b.conns.del(cn.id)
	env.Close(cn.id)
	b.stats.Closed[CloseRefused]++
	env.Closed(cn.id, clientID, CloseRefused, false)
}

// endConn forgets connection cn, closes its transport unless the peer did,
// publishes its will if asked to and it has one, and discards a clean
// session (except on takeover, where connect decides).
func (b *Broker) endConn(env BrokerEnv, cn *conn, reason CloseReason, publishWill bool) {
	b.conns.del(cn.id)
	if cn.expiry > 0 && reason != CloseKeepalive {
		env.SetTimer(cn.id, 0) // (a keepalive close comes from the timer itself)
	}
	if reason != CloseTransport {
		env.Close(cn.id)
	}
	clientID := ""
	var rules []ACLRule
	if s := cn.sess; s != nil {
		clientID, rules = s.id, s.acl
		s.conn = nil
		cn.sess = nil
		b.stats.Connected--
		if s.clean && reason != CloseTakeover {
			b.discardSession(env, s)
		}
	}
	willSent := false
	if w := cn.will; w != nil && publishWill {
		cn.will = nil
		if b.aclAllows(rules, w.topic, true) {
			b.route(env, w.topic, w.payload, w.qos, w.retain, w.ref)
			willSent = true
		} else {
			b.stats.Denied++
		}
	}
	b.stats.Closed[reason]++
	env.Closed(cn.id, clientID, reason, willSent)
}

// receivePublish handles a PUBLISH from a connected client.
func (b *Broker) receivePublish(env BrokerEnv, cn *conn, p *Packet) {
	s := cn.sess
	allowed := b.aclAllows(s.acl, p.Topic, true)
	if !allowed {
		b.stats.Denied++
	}
	switch p.QoS {
	case QoS0:
		if allowed {
			b.route(env, p.Topic, p.Payload, QoS0, p.Retain, p.Ref)
		}
	case QoS1:
		// mosquitto forwards before it acknowledges.
		if allowed {
			b.route(env, p.Topic, p.Payload, QoS1, p.Retain, p.Ref)
		}
		b.sendAck(env, cn.id, Puback, p.PacketID)
	case QoS2:
		// Keep it until PUBREL; a resent PUBLISH with the same id is the
		// same message ([MQTT-4.3.3-2] method B, as mosquitto).
		if allowed && s.findIncoming(p.PacketID) < 0 {
			s.incoming = append(s.incoming, message{
				topic: p.Topic, payload: p.Payload, ref: p.Ref, id: p.PacketID, qos: QoS2, retain: p.Retain,
			})
		}
		b.sendAck(env, cn.id, Pubrec, p.PacketID)
	}
}

func (b *Broker) sendAck(env BrokerEnv, c ConnID, t Type, id uint16) {
	b.pkt = Packet{Type: t, PacketID: id}
	env.Send(c, &b.pkt)
}

// subscribe handles a SUBSCRIBE: SUBACK first, then the retained messages
// of each granted filter, as mosquitto 2.0 does.
func (b *Broker) subscribe(env BrokerEnv, cn *conn, p *Packet) {
	s := cn.sess
	codes := b.codes[:0]
	for _, sub := range p.Subscriptions {
		if !b.aclAllowsSubscribe(s.acl, sub.Filter) {
			codes = append(codes, SubackFailure)
			continue
		}
		b.addSub(s, sub.Filter, sub.QoS)
		codes = append(codes, byte(sub.QoS))
	}
	b.codes = codes
	b.pkt = Packet{Type: Suback, PacketID: p.PacketID, ReturnCodes: codes}
	env.Send(cn.id, &b.pkt)
	for i, sub := range p.Subscriptions {
		if b.codes[i] == SubackFailure {
			continue
		}
		b.env, b.retSess, b.retQoS = env, s, sub.QoS
		b.retained.matchRetained(sub.Filter, b)
		b.env, b.retSess = nil, nil
	}
}

// visitRetained delivers a retained message to the subscriber of the
// current retained walk.
func (b *Broker) visitRetained(r *retainedMsg) {
	s := b.retSess
	if !b.aclAllows(s.acl, r.topic, false) {
		return
	}
	b.deliver(b.env, s, r.topic, r.payload, min(r.qos, b.retQoS), true, r.ref)
}

// addSub subscribes s to filter with QoS qos, replacing the QoS of an
// existing subscription to the same filter.
func (b *Broker) addSub(s *session, filter string, qos QoS) {
	n := b.subs.insert(filter)
	if k := s.findSub(n); k >= 0 {
		n.subs[s.subs[k].idx].qos = qos
		return
	}
	s.subs = append(s.subs, sessSub{node: n, idx: int32(len(n.subs))})
	n.subs = append(n.subs, nodeSub{s: s, slot: int32(len(s.subs) - 1), qos: qos})
	b.stats.Subscriptions++
}

// removeSub removes the k-th subscription of s.
func (b *Broker) removeSub(s *session, k int) {
	ss := s.subs[k]
	n := ss.node
	n.subs[ss.idx].s = nil
	n.dead++
	last := len(s.subs) - 1
	if k != last {
		moved := s.subs[last]
		s.subs[k] = moved
		moved.node.subs[moved.idx].slot = int32(k)
	}
	s.subs[last] = sessSub{}
	s.subs = s.subs[:last]
	if len(s.subs) == 0 {
		s.subs = nil
	}
	if int(n.dead)*2 >= len(n.subs) {
		n.compact()
	}
	n.prune()
	b.stats.Subscriptions--
}

// acknowledged ends the in-flight copy with id, QoS qos and state state
// (PUBACK of a QoS 1 copy, PUBCOMP of a released QoS 2 one) and lets the
// next queued copy in; an unknown id is ignored.
func (b *Broker) acknowledged(env BrokerEnv, s *session, id uint16, qos QoS, state uint8) {
	if i := s.findInflight(id, qos, state); i >= 0 {
		completed(env, s.inflight[i].ref)
		s.removeInflight(i)
		b.fillInflight(env, s)
	}
}

// discardSession forgets s: its subscriptions, and its queued and
// unacknowledged messages (reported as dropped). A QoS 2 copy past PUBREC
// was received, only the release handshake is left: it is completed.
func (b *Broker) discardSession(env BrokerEnv, s *session) {
	for len(s.subs) > 0 {
		b.removeSub(s, len(s.subs)-1)
	}
	for i := range s.inflight {
		switch m := &s.inflight[i]; m.state {
		case stateSent:
			b.drop(env, m.ref, DropCleanSession)
		case stateReleased:
			completed(env, m.ref)
		}
	}
	for s.queue.n > 0 {
		m := s.queue.pop()
		b.drop(env, m.ref, DropCleanSession)
	}
	s.inflight, s.incoming, s.queue = nil, nil, msgRing{}
	delete(b.sessions, s.id)
}

func (b *Broker) drop(env BrokerEnv, ref uint64, reason DropReason) {
	switch reason {
	case DropQueueFull:
		b.stats.DroppedQueueFull++
	case DropOffline:
		b.stats.DroppedOffline++
	case DropCleanSession:
		b.stats.DroppedCleanSession++
	}
	env.Dropped(ref, reason)
}

// Retained store ---------------------------------------------------------

// retain records (or, with an empty payload, clears) the retained message
// of topic.
func (b *Broker) retain(topic string, payload []byte, qos QoS, ref uint64) {
	if len(payload) == 0 {
		if n := b.retained.find(topic); n != nil && n.retained != nil {
			n.retained = nil
			b.stats.Retained--
			n.prune()
		}
		return
	}
	n := b.retained.insert(topic)
	if n.retained == nil {
		n.retained = &retainedMsg{}
		b.stats.Retained++
	}
	*n.retained = retainedMsg{topic: topic, payload: payload, qos: qos, ref: ref}
}

// Routing ----------------------------------------------------------------

// route delivers a publication to every matching session, in the order
// mosquitto walks its subscription tree, each copy with retain 0 and QoS
// min(published, granted). A retained publication also updates the
// retained store.
func (b *Broker) route(env BrokerEnv, topic string, payload []byte, qos QoS, retain bool, ref uint64) {
	if retain {
		b.retain(topic, payload, qos, ref)
	}
	for _, h := range b.collect(topic) {
		b.deliver(env, h.s, topic, payload, min(qos, h.qos), false, ref)
	}
}

// collect returns the sessions that a publication to topic goes to, one
// entry per session with the highest QoS of its matching subscriptions
// (MQTT 3.1.1 §3.3.5 allows one copy per subscription, which mosquitto
// sends; the broker sends one per session), after the ACL read check. The
// slice is scratch space, valid until the next call.
func (b *Broker) collect(topic string) []hit {
	b.epoch++
	if b.epoch == 0 {
		// The marks wrapped: clear them so that none looks current.
		for _, s := range b.sessions {
			s.mark = 0
		}
		b.epoch = 1
	}
	b.hits = b.hits[:0]
	b.subs.match(topic, b)
	if b.cfg.ACL != nil {
		w := 0
		for _, h := range b.hits {
			if b.aclAllows(h.s.acl, topic, false) {
				b.hits[w] = h
				w++
			}
		}
		b.hits = b.hits[:w]
	}
	return b.hits
}

// visit collects the subscriptions of one matching node.
func (b *Broker) visit(subs []nodeSub) {
	for _, e := range subs {
		s := e.s
		if s == nil {
			continue
		}
		if s.mark == b.epoch {
			if h := &b.hits[s.markIdx]; e.qos > h.qos {
				h.qos = e.qos
			}
			continue
		}
		s.mark, s.markIdx = b.epoch, int32(len(b.hits))
		b.hits = append(b.hits, hit{s: s, qos: e.qos})
	}
}

// deliver gives one copy of a message to session s: Route names it, then
// it is sent at once (QoS 0, or QoS 1/2 within the inflight window with
// nothing queued before it), queued, or dropped.
func (b *Broker) deliver(env BrokerEnv, s *session, topic string, payload []byte, qos QoS, retain bool, in uint64) {
	ref := env.Route(in, s.id, qos)
	if s.conn == nil {
		if qos == QoS0 {
			b.drop(env, ref, DropOffline)
			return
		}
		b.enqueue(env, s, message{topic: topic, payload: payload, ref: ref, qos: qos, retain: retain})
		return
	}
	if qos == QoS0 {
		b.pkt = Packet{Type: Publish, Retain: retain, Topic: topic, Payload: payload, Ref: ref}
		env.Send(s.conn.id, &b.pkt)
		completed(env, ref)
		return
	}
	m := message{topic: topic, payload: payload, ref: ref, qos: qos, retain: retain}
	if s.queue.n > 0 || len(s.inflight) >= b.maxInflight {
		b.enqueue(env, s, m)
		return
	}
	b.sendInflight(env, s, m)
}

func (b *Broker) enqueue(env BrokerEnv, s *session, m message) {
	if s.queue.n >= b.maxQueued {
		b.drop(env, m.ref, DropQueueFull)
		return
	}
	s.queue.push(m)
}

// sendInflight gives m a packet id, adds it to the inflight window and
// sends it.
func (b *Broker) sendInflight(env BrokerEnv, s *session, m message) {
	m.id = s.newID()
	m.state = stateSent
	s.inflight = append(s.inflight, m)
	b.sendPublish(env, s.conn.id, &m, false)
}

func (b *Broker) sendPublish(env BrokerEnv, c ConnID, m *message, dup bool) {
	b.pkt = Packet{
		Type: Publish, Dup: dup, QoS: m.qos, Retain: m.retain, PacketID: m.id,
		Topic: m.topic, Payload: m.payload, Ref: m.ref,
	}
	env.Send(c, &b.pkt)
}

// fillInflight moves queued messages into the inflight window while it
// has room and s is connected.
func (b *Broker) fillInflight(env BrokerEnv, s *session) {
	for s.conn != nil && s.queue.n > 0 && len(s.inflight) < b.maxInflight {
		b.sendInflight(env, s, s.queue.pop())
	}
	s.queue.shrink()
}

// resume restarts a persistent session on a new connection: unacknowledged
// messages again, with DUP (PUBREL for those past PUBREC), in their
// order, then the queued ones ([MQTT-4.4.0-1]; 3.1.1 resends only here,
// never on a timer).
func (b *Broker) resume(env BrokerEnv, s *session) {
	c := s.conn.id
	for i := range s.inflight {
		m := &s.inflight[i]
		if m.state == stateReleased {
			b.sendAck(env, c, Pubrel, m.id)
			continue
		}
		b.sendPublish(env, c, m, true)
	}
	b.fillInflight(env, s)
}

// connTable maps connection ids to connections. Environments usually
// number connections densely from 0 (the simulator's connection table, an
// adapter's counter), so ids below denseConns live in a slice — a lookup
// per packet without hashing — and others in a map.
type connTable struct {
	dense  []*conn
	sparse map[ConnID]*conn
}

const denseConns = 1 << 22

func (t *connTable) get(c ConnID) *conn {
	if c < denseConns {
		if int(c) < len(t.dense) {
			return t.dense[c]
		}
		return nil
	}
	return t.sparse[c]
}

func (t *connTable) set(c ConnID, cn *conn) {
	if c < denseConns {
		if int(c) >= len(t.dense) {
			t.dense = append(t.dense, make([]*conn, int(c)+1-len(t.dense))...)
		}
		t.dense[c] = cn
		return
	}
	if t.sparse == nil {
		t.sparse = map[ConnID]*conn{}
	}
	t.sparse[c] = cn
}

// len is the number of connections.
func (t *connTable) len() int {
	n := len(t.sparse)
	for _, cn := range t.dense {
		if cn != nil {
			n++
		}
	}
	return n
}

func (t *connTable) del(c ConnID) {
	if c < denseConns {
		if int(c) < len(t.dense) {
			t.dense[c] = nil
		}
		return
	}
	delete(t.sparse, c)
}
