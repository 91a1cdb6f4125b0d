package mqtt

import (
	"time"

	"github.com/iotsim/iotsim/sim"
)

// Will is the last-will message a CONNECT registers.
type Will struct {
	Topic   string
	Payload []byte
	QoS     QoS
	Retain  bool
}

// ClientConfig configures clients. One value is meant to be shared by
// pointer among all the clients of a group, so nothing in it is
// per-client except through Client.SetClientID. The engine never writes it.
type ClientConfig struct {
	ClientID     string // overridden per client by Client.SetClientID
	CleanSession bool
	// KeepAlive is sent in whole seconds (rounded up, at most 65535);
	// 0 turns keepalive off.
	KeepAlive time.Duration

	// The credentials: the user name is sent only when UsernameFlag is set,
	// the password only when PasswordFlag is set (MQTT 3.1.1 needs the user
	// name for a password).
	Username, Password         string
	UsernameFlag, PasswordFlag bool

	Will *Will // nil: no will

	// MaxInflight bounds the unacknowledged QoS 1/2 publications; 0 means
	// DefaultMaxInflight.
	MaxInflight int
	// OfflineQueue bounds the QoS 1/2 publications waiting for their first
	// send (offline, or behind a full inflight window); 0 means
	// DefaultOfflineQueue, a negative value no queue at all.
	OfflineQueue int

	// Reconnect turns automatic reconnection on. ReconnectMin (default
	// 1 s) and ReconnectMax (default 60 s) bound the backoff.
	Reconnect                  bool
	ReconnectMin, ReconnectMax time.Duration

	// ConnectTimeout is how long to wait for CONNACK; 0 means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
}

// Defaults of ClientConfig's zero fields.
const (
	DefaultMaxInflight    = 20 // mosquitto's max_inflight_messages
	DefaultOfflineQueue   = 1000
	DefaultReconnectMin   = time.Second
	DefaultReconnectMax   = 60 * time.Second
	DefaultConnectTimeout = 30 * time.Second // paho's default
)

// maxInflightLimit keeps room in the 16-bit id space for SUBSCRIBEs.
const maxInflightLimit = 65000

// ClientEnv is what a Client drives. The client calls it synchronously
// from its methods. The transport methods (Dial, Send, HangUp, SetTimer)
// must not call back into the client: a Dial is answered by a later
// TransportUp or TransportDown call. The application callbacks (Connected
// to Subscribed) may call Publish, Subscribe and Disconnect.
type ClientEnv interface {
	Dial()                // open a transport to the broker; answer with TransportUp/TransportDown
	Send(p *Packet)       // write p (p and what it points to are valid only during the call)
	HangUp()              // close the transport
	SetTimer(at sim.Time) // the client's single timer (latest request wins; 0 cancels)
	Connected(sessionPresent bool)
	Refused(code ConnectReturnCode)
	Lost(reason LostReason) // a connection attempt or connection ended
	// Message hands an application message to the app, once per delivery
	// (a QoS 1 duplicate is delivered again, a QoS 2 one is not).
	Message(p *Packet)
	// Completed: our publication with that ref is done — acknowledged
	// (PUBACK, PUBCOMP) at QoS 1/2, handed to the transport at QoS 0.
	Completed(ref uint64)
	// Dropped: our publication will never be sent (again).
	Dropped(ref uint64, reason DropReason)
	Subscribed(codes []byte) // a SUBACK's return codes
}

// ClientState is where a Client is in its connection life cycle.
type ClientState uint8

// The client states.
const (
	ClientIdle       ClientState = iota // not started
	ClientDialing                       // Dial called, waiting for TransportUp
	ClientConnecting                    // CONNECT sent, waiting for CONNACK
	ClientConnected                     // CONNACK accepted
	ClientBackoff                       // waiting to dial again
	ClientStopped                       // Disconnect, a final refusal, or lost without Reconnect
)

var clientStateNames = [...]string{"idle", "dialing", "connecting", "connected", "backoff", "stopped"}

func (s ClientState) String() string {
	if int(s) < len(clientStateNames) {
		return clientStateNames[s]
	}
	return "ClientState(?)"
}

// LostReason says why a connection (or an attempt at one) ended.
type LostReason uint8

// The reasons a connection ends, other than a refusal or Disconnect.
const (
	LostDial           LostReason = iota + 1 // the transport could not be opened
	LostTransport                            // the transport closed or failed
	LostPingTimeout                          // no PINGRESP within KeepAlive of PINGREQ
	LostConnackTimeout                       // no CONNACK within ConnectTimeout
	LostProtocolError                        // the server sent a packet it must not send
)

var lostReasonNames = [...]string{"", "dial failed", "transport down", "ping timeout", "connack timeout", "protocol error"}

func (r LostReason) String() string {
	if r > 0 && int(r) < len(lostReasonNames) {
		return lostReasonNames[r]
	}
	return "LostReason(?)"
}

// DropReason says why a publication will never be sent (again). The
// client and the broker engines share it: the simulator's counts keep one
// vocabulary.
type DropReason uint8

// The reasons a publication is dropped.
const (
	DropOffline      DropReason = iota + 1 // QoS 0 while not connected
	DropQueueFull                          // QoS 1/2 found the waiting queue full
	DropCleanSession                       // unacknowledged when a clean session ended
	DropInvalid                            // QoS above 2 or an invalid topic name (client)
)

var dropReasonNames = [...]string{"", "offline", "queue full", "clean session", "invalid"}

func (r DropReason) String() string {
	if r > 0 && int(r) < len(dropReasonNames) {
		return dropReasonNames[r]
	}
	return "DropReason(?)"
}

// ClientStats are a client's counters since Init.
type ClientStats struct {
	Dials      uint32 // transports requested
	Connects   uint32 // CONNACKs accepted
	Lost       uint32 // Lost calls
	Resent     uint32 // PUBLISH (DUP) and PUBREL sent again on a reconnect
	Duplicates uint32 // received QoS 2 PUBLISHes not delivered as duplicates
	// Publications dropped, by reason.
	DroppedOffline, DroppedQueueFull, DroppedCleanSession, DroppedInvalid uint32
}

// outMsg is one of our QoS 1/2 publications, waiting or inflight. The
// topic and payload are the caller's, not copies.
type outMsg struct {
	topic   string
	payload []byte
	ref     uint64
	id      uint16
	qos     QoS
	retain  bool
	relSent bool // QoS 2: PUBREC came and PUBREL was sent
}

// subReq is a SUBSCRIBE not yet acknowledged: the filters subs[lo:hi].
type subReq struct {
	id     uint16 // 0: not sent yet
	lo, hi int32
}

// Client is the MQTT 3.1.1 client engine, sans-IO. It is a plain struct driven
// by method calls — a transport event, a received packet, a timer firing,
// an application request, each with the current simulated time — and it
// answers only by calling its ClientEnv. It never blocks, reads no clock
// and keeps one timer, whose deadline it moves itself.
//
// The zero value is not usable: call Init. Idle, a Client is about 200
// bytes; its buffers (inflight, queue, the scratch packet) are allocated
// when first needed and then reused.
//
// Behaviour chosen where MQTT 3.1.1 leaves room, and why:
//
//   - Keepalive: PINGREQ when the client has sent nothing for KeepAlive
//     (the mosquitto reference trace s9 shows PINGREQ every 5 s for
//     keepalive 5 on an idle connection). If PINGRESP has not come
//     KeepAlive after the PINGREQ the connection is lost (LostPingTimeout),
//     as paho does. Only PINGRESP answers a ping; other traffic does not.
//     The timer is moved lazily: sending a packet does not call SetTimer;
//     when the timer fires early the client just sets it again, so an
//     active connection costs at most one timer event per keepalive period.
//   - CONNACK: expected within ConnectTimeout (default 30 s, paho's default)
//     after CONNECT; otherwise LostConnackTimeout. Return codes 1, 2, 4 and 5
//     cannot be cured by trying again, so the client stops (ClientStopped);
//     3 (server unavailable) is retried with backoff.
//   - Reconnect: after a failed dial, a lost connection or a refusal with
//     code 3, the client waits a random time drawn from the caller's stream
//     with "full jitter": uniform in [0, min(ReconnectMax,
//     ReconnectMin·2^n)] for the n-th failure in a row (n from 0), and
//     dials again. An accepted CONNACK resets n.
//   - Inflight window: at most MaxInflight QoS 1/2 publications are
//     unacknowledged at once (a QoS 2 message counts until PUBCOMP). Later
//     ones wait, in order, in the same bounded queue as publications made
//     while disconnected (OfflineQueue); a publication that finds the queue
//     full is dropped (DropQueueFull), the queued ones are kept. QoS 0 is
//     not windowed: sent at once when connected, dropped (DropOffline)
//     otherwise, as paho.mqtt.golang does while reconnecting.
//   - No timed retry while connected (MQTT 3.1.1 §4.4; the reference trace
//     s11 shows mosquitto never retransmits on an open connection). On a
//     reconnect the unacknowledged messages are sent again in their
//     original order with their original ids: PUBLISH with DUP = 1, or
//     PUBREL for a QoS 2 message whose PUBREC had come — exactly what the
//     broker does in trace s11. This happens after every accepted CONNACK
//     of a CleanSession = 0 client, even with session present = 0 (the
//     client's half of the session still holds them; [MQTT-4.4.0-1]).
//   - Clean session: when the connection of a CleanSession = 1 client ends
//     (lost, or Disconnect), its unacknowledged QoS 1/2 publications are
//     dropped (DropCleanSession) and its record of received QoS 2 ids is
//     cleared: the next connection starts a new session and [MQTT-3.1.2-6]
//     makes the client discard the old one. Real libraries are laxer:
//     libmosquitto (message__reconnect_reset) and paho.mqtt.golang's
//     automatic reconnect keep such messages and publish them again on the
//     new session, so they lose less and duplicate more than this client.
//     Publications still waiting for their first send are not session
//     state and are kept.
//   - Receiving QoS 2: the message is delivered to the application when
//     the PUBLISH arrives and its id is remembered until PUBREL (the
//     spec's method B, Figure 4.3); any PUBLISH carrying a remembered id —
//     normally a DUP re-send after a reconnect — is answered with PUBREC
//     again and not delivered. A QoS 1 duplicate is delivered again.
//   - Subscriptions: sent once connected; if the broker has no session
//     for us (session present = 0) all of them are sent again as one
//     SUBSCRIBE. Unacknowledged SUBSCRIBEs are sent again on a reconnect
//     with session present.
//   - Unknown ids: a PUBREC or PUBREL for an id the client does not know
//     is still answered (PUBREL, PUBCOMP), so the peer can finish its
//     flow; a stray PUBACK, PUBCOMP or SUBACK is ignored. A packet a
//     server must not send (CONNECT, SUBSCRIBE, ...) or anything before
//     CONNACK is a protocol error: the client hangs up (LostProtocolError).
//
// UNSUBSCRIBE is not implemented yet.
type Client struct {
	cfg *ClientConfig
	rng *sim.Stream
	id  string // client id; "" with idSet false means cfg.ClientID
	pkt *Packet

	inflight []outMsg // sent, unacknowledged, in send order
	queue    []outMsg // waiting for the first send; queue[qhead:] is live
	rxQoS2   []uint16 // received QoS 2 ids awaiting PUBREL
	subs     []Subscription
	subReqs  []subReq

	lastSent sim.Time // last packet sent (keepalive)
	due      sim.Time // CONNACK deadline, PINGRESP deadline or reconnect time
	timerAt  sim.Time // the timer as last set; 0 = none

	qhead    int32
	nextID   uint16
	failures uint8 // consecutive failed attempts (backoff exponent)
	state    ClientState
	pingOut  bool
	idSet    bool

	stats ClientStats
}

// Init prepares c for cfg, with rng for the reconnect jitter. Both are
// kept by pointer. Init on a used Client resets it.
func (c *Client) Init(cfg *ClientConfig, rng *sim.Stream) {
	*c = Client{cfg: cfg, rng: rng, nextID: 1}
}

// SetClientID gives c its own client id instead of cfg.ClientID (the
// config is shared by a group). The string is kept.
func (c *Client) SetClientID(id string) { c.id, c.idSet = id, true }

// ClientID is the id c sends in CONNECT.
func (c *Client) ClientID() string {
	if c.idSet {
		return c.id
	}
	return c.cfg.ClientID
}

// State is c's connection state.
func (c *Client) State() ClientState { return c.state }

// Stats returns c's counters.
func (c *Client) Stats() ClientStats { return c.stats }

// Pending is the number of our QoS 1/2 publications sent and not yet
// acknowledged, and of those waiting for their first send.
func (c *Client) Pending() (inflight, waiting int) {
	return len(c.inflight), len(c.queue) - int(c.qhead)
}

// Start begins connecting. It does nothing unless c is idle or stopped.
func (c *Client) Start(env ClientEnv, now sim.Time) {
	if c.state != ClientIdle && c.state != ClientStopped {
		return
	}
	c.failures = 0
	c.dial(env)
	c.rearm(env)
}

// TransportUp: the transport asked for by Dial is open; CONNECT is sent.
func (c *Client) TransportUp(env ClientEnv, now sim.Time) {
	if c.state != ClientDialing {
		return // a late answer to a dial we gave up on
	}
	c.sendConnect(env, now)
	c.state = ClientConnecting
	c.due = now.Add(c.connectTimeout())
	c.rearm(env)
}

// TransportDown: the transport failed to open or closed.
func (c *Client) TransportDown(env ClientEnv, now sim.Time) {
	switch c.state {
	case ClientDialing:
		c.fail(env, now, LostDial)
	case ClientConnecting, ClientConnected:
		c.fail(env, now, LostTransport)
	}
}

// Disconnect sends DISCONNECT if connected, hangs up and stops: no
// reconnect until Start. A clean session's inflight publications are
// dropped; waiting ones are kept for a later Start.
func (c *Client) Disconnect(env ClientEnv, now sim.Time) {
	was := c.state
	switch was {
	case ClientConnected:
		c.send(env, now, c.scratch(Disconnect))
		env.HangUp()
	case ClientDialing, ClientConnecting:
		env.HangUp()
	case ClientBackoff:
	default:
		return
	}
	c.state = ClientStopped
	c.rearm(env)
	if was != ClientDialing {
		c.sessionEnds(env)
	}
}

// OnTimer is the client's timer firing at now.
func (c *Client) OnTimer(env ClientEnv, now sim.Time) {
	c.timerAt = 0
	switch c.state {
	case ClientConnecting:
		if now >= c.due {
			// Lost before HangUp: the environment learns why first.
			c.fail(env, now, LostConnackTimeout)
			env.HangUp()
			return
		}
	case ClientConnected:
		ka := c.keepAlive()
		switch {
		case c.pingOut && now >= c.due:
			c.fail(env, now, LostPingTimeout)
			env.HangUp()
			return
		case !c.pingOut && ka > 0 && now >= c.lastSent.Add(ka):
			c.send(env, now, c.scratch(Pingreq))
			c.pingOut = true
			c.due = now.Add(ka)
		}
	case ClientBackoff:
		if now >= c.due {
			c.dial(env)
		}
	}
	c.rearm(env)
}

// Publish publishes an application message. topic and payload are kept,
// not copied, until the message is Completed or Dropped: do not modify
// them. ref is copied into every PUBLISH of this message (resends too).
func (c *Client) Publish(env ClientEnv, now sim.Time, topic string, payload []byte, qos QoS, retain bool, ref uint64) {
	if qos > QoS2 || ValidTopicName(topic) != nil {
		c.drop(env, ref, DropInvalid)
		return
	}
	if qos == QoS0 {
		if c.state != ClientConnected {
			c.drop(env, ref, DropOffline)
			return
		}
		p := c.scratch(Publish)
		p.Topic, p.Payload, p.Retain, p.Ref = topic, payload, retain, ref
		c.send(env, now, p)
		env.Completed(ref)
		c.rearm(env)
		return
	}
	m := outMsg{topic: topic, payload: payload, ref: ref, qos: qos, retain: retain}
	if c.state == ClientConnected && int(c.qhead) == len(c.queue) && len(c.inflight) < c.maxInflight() {
		c.sendNew(env, now, m)
		c.rearm(env)
		return
	}
	c.enqueue(env, m)
}

// Subscribe asks for subs. The slice is kept, not copied: do not modify
// it. It is sent now if connected, else once connected.
func (c *Client) Subscribe(env ClientEnv, now sim.Time, subs []Subscription) {
	if len(subs) == 0 {
		return
	}
	lo := int32(len(c.subs))
	if c.subs == nil {
		c.subs = subs[:len(subs):len(subs)] // a later append must copy, not write into the caller's array
	} else {
		c.subs = append(c.subs, subs...)
	}
	r := subReq{lo: lo, hi: int32(len(c.subs))}
	if c.state == ClientConnected {
		r.id = c.allocID()
		c.sendSubscribe(env, now, r)
		c.rearm(env)
	}
	c.subReqs = append(c.subReqs, r)
}

// Receive handles a packet from the broker. p is valid only during the
// call; Message passes it on to the application.
func (c *Client) Receive(env ClientEnv, now sim.Time, p *Packet) {
	switch c.state {
	case ClientConnecting:
		if p.Type != Connack {
			c.protocolError(env, now)
			return
		}
		c.connack(env, now, p)
	case ClientConnected:
		c.receive(env, now, p)
	default:
		return // the transport is being closed: ignore stragglers
	}
	c.rearm(env)
}

func (c *Client) receive(env ClientEnv, now sim.Time, p *Packet) {
	switch p.Type {
	case Publish:
		c.receivePublish(env, now, p)
	case Puback, Pubcomp:
		i := c.findInflight(p.PacketID)
		if i < 0 || (c.inflight[i].qos == QoS1) != (p.Type == Puback) {
			return // stray or of the wrong kind: ignore
		}
		if p.Type == Pubcomp && !c.inflight[i].relSent {
			return // PUBCOMP before PUBREC: ignore
		}
		ref := c.inflight[i].ref
		c.removeInflight(i)
		env.Completed(ref)
		c.fillWindow(env, now)
	case Pubrec:
		if i := c.findInflight(p.PacketID); i >= 0 && c.inflight[i].qos == QoS2 {
			c.inflight[i].relSent = true
		}
		c.sendAck(env, now, Pubrel, p.PacketID)
	case Pubrel:
		c.forgetQoS2(p.PacketID)
		c.sendAck(env, now, Pubcomp, p.PacketID)
	case Suback:
		for i, r := range c.subReqs {
			if r.id == p.PacketID {
				c.subReqs = append(c.subReqs[:i], c.subReqs[i+1:]...)
				env.Subscribed(p.ReturnCodes)
				return
			}
		}
	case Unsuback:
		// UNSUBSCRIBE is not sent yet; nothing to match.
	case Pingresp:
		c.pingOut = false
	default: // CONNACK again, or a client-to-server packet
		c.protocolError(env, now)
	}
}

func (c *Client) receivePublish(env ClientEnv, now sim.Time, p *Packet) {
	switch p.QoS {
	case QoS0:
		env.Message(p)
	case QoS1:
		env.Message(p)
		c.sendAck(env, now, Puback, p.PacketID)
	default:
		if c.hasQoS2(p.PacketID) {
			c.stats.Duplicates++
		} else {
			c.rxQoS2 = append(c.rxQoS2, p.PacketID)
			env.Message(p)
		}
		c.sendAck(env, now, Pubrec, p.PacketID)
	}
}

func (c *Client) connack(env ClientEnv, now sim.Time, p *Packet) {
	if p.ReturnCode != Accepted {
		env.HangUp()
		if p.ReturnCode == RefusedServerUnavailable {
			c.retry(env, now)
		} else { // 1, 2, 4, 5: trying again cannot help
			c.state = ClientStopped
			c.rearm(env)
		}
		env.Refused(p.ReturnCode)
		return
	}
	c.state = ClientConnected
	c.failures = 0
	c.pingOut = false
	c.stats.Connects++
	if !c.cfg.CleanSession {
		for i := range c.inflight {
			m := &c.inflight[i]
			c.stats.Resent++
			if m.relSent {
				c.sendAck(env, now, Pubrel, m.id)
			} else {
				c.sendPublish(env, now, m, true)
			}
		}
	}
	if !p.SessionPresent {
		// The broker has no subscriptions of ours: send them all again.
		c.subReqs = c.subReqs[:0]
		if len(c.subs) > 0 {
			c.subReqs = append(c.subReqs, subReq{hi: int32(len(c.subs))})
		}
	}
	for i := range c.subReqs {
		if c.subReqs[i].id == 0 {
			c.subReqs[i].id = c.allocID()
		}
		c.sendSubscribe(env, now, c.subReqs[i])
	}
	c.fillWindow(env, now)
	// Told last, so that what the app does in Connected follows the
	// session's own packets.
	env.Connected(p.SessionPresent)
}

// fail ends the current connection or attempt for reason and schedules
// the next one. The state changes before the callbacks, so that a Publish
// made from one of them sees the client offline.
func (c *Client) fail(env ClientEnv, now sim.Time, reason LostReason) {
	wasDialing := c.state == ClientDialing
	c.retry(env, now)
	c.stats.Lost++
	env.Lost(reason)
	if !wasDialing {
		c.sessionEnds(env)
	}
}

// protocolError hangs up on a broker that broke the protocol.
func (c *Client) protocolError(env ClientEnv, now sim.Time) {
	c.fail(env, now, LostProtocolError)
	env.HangUp()
}

// sessionEnds applies the end of a connection to the session state: a
// clean session is discarded.
func (c *Client) sessionEnds(env ClientEnv) {
	c.pingOut = false
	if !c.cfg.CleanSession {
		return
	}
	c.rxQoS2 = c.rxQoS2[:0]
	for i := range c.subReqs {
		c.subReqs[i].id = 0
	}
	for len(c.inflight) > 0 {
		ref := c.inflight[0].ref
		c.removeInflight(0)
		c.drop(env, ref, DropCleanSession)
	}
}

// retry waits before the next dial, or stops if reconnecting is off.
func (c *Client) retry(env ClientEnv, now sim.Time) {
	if !c.cfg.Reconnect {
		c.state = ClientStopped
		c.rearm(env)
		return
	}
	wait := c.backoff()
	if c.failures < 63 {
		c.failures++
	}
	c.state = ClientBackoff
	c.due = now.Add(wait)
	c.rearm(env)
}

// backoff draws the wait before the next attempt: full jitter over
// [0, min(max, min·2^failures)].
func (c *Client) backoff() time.Duration {
	lo, hi := c.cfg.ReconnectMin, c.cfg.ReconnectMax
	if lo <= 0 {
		lo = DefaultReconnectMin
	}
	if hi <= 0 {
		hi = DefaultReconnectMax
	}
	d := hi
	if c.failures < 62 && lo <= hi>>c.failures {
		d = lo << c.failures
	}
	return time.Duration(c.rng.IntN(uint64(d) + 1))
}

func (c *Client) dial(env ClientEnv) {
	c.state = ClientDialing
	c.stats.Dials++
	env.Dial()
}

// rearm sets the timer for the state's next deadline if it is earlier than
// the timer already set (or none is). A later deadline is left to the
// earlier timer, which finds nothing due and sets the timer again.
func (c *Client) rearm(env ClientEnv) {
	var due sim.Time
	switch c.state {
	case ClientConnecting, ClientBackoff:
		due = c.due
	case ClientConnected:
		if c.pingOut {
			due = c.due
		} else if ka := c.keepAlive(); ka > 0 {
			due = c.lastSent.Add(ka)
		}
	}
	if due == 0 {
		if c.timerAt != 0 {
			c.timerAt = 0
			env.SetTimer(0)
		}
		return
	}
	if c.timerAt == 0 || due < c.timerAt {
		c.timerAt = due
		env.SetTimer(due)
	}
}

// enqueue puts m behind the waiting publications, or drops it if the
// queue is full.
func (c *Client) enqueue(env ClientEnv, m outMsg) {
	limit := c.cfg.OfflineQueue
	if limit == 0 {
		limit = DefaultOfflineQueue
	}
	if len(c.queue)-int(c.qhead) >= limit {
		c.drop(env, m.ref, DropQueueFull)
		return
	}
	if c.qhead > 0 && len(c.queue) == cap(c.queue) {
		// Slide the live part down instead of growing.
		n := copy(c.queue, c.queue[c.qhead:])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.qhead = 0
	}
	c.queue = append(c.queue, m)
}

// fillWindow sends waiting publications while the window has room.
func (c *Client) fillWindow(env ClientEnv, now sim.Time) {
	limit := c.maxInflight()
	for int(c.qhead) < len(c.queue) && len(c.inflight) < limit && c.state == ClientConnected {
		m := c.queue[c.qhead]
		c.queue[c.qhead] = outMsg{}
		c.qhead++
		c.sendNew(env, now, m)
	}
	if int(c.qhead) == len(c.queue) {
		c.queue, c.qhead = c.queue[:0], 0
	}
}

func (c *Client) sendNew(env ClientEnv, now sim.Time, m outMsg) {
	m.id = c.allocID()
	c.inflight = append(c.inflight, m)
	c.sendPublish(env, now, &c.inflight[len(c.inflight)-1], false)
}

func (c *Client) sendPublish(env ClientEnv, now sim.Time, m *outMsg, dup bool) {
	p := c.scratch(Publish)
	p.Dup, p.QoS, p.Retain, p.PacketID = dup, m.qos, m.retain, m.id
	p.Topic, p.Payload, p.Ref = m.topic, m.payload, m.ref
	c.send(env, now, p)
}

func (c *Client) sendSubscribe(env ClientEnv, now sim.Time, r subReq) {
	p := c.scratch(Subscribe)
	p.PacketID, p.Subscriptions = r.id, c.subs[r.lo:r.hi]
	c.send(env, now, p)
}

func (c *Client) sendAck(env ClientEnv, now sim.Time, t Type, id uint16) {
	p := c.scratch(t)
	p.PacketID = id
	c.send(env, now, p)
}

func (c *Client) sendConnect(env ClientEnv, now sim.Time) {
	cfg := c.cfg
	cf := &ConnectFields{
		ProtocolLevel: Version311,
		CleanSession:  cfg.CleanSession,
		KeepAlive:     keepAliveSeconds(cfg.KeepAlive),
		ClientID:      c.ClientID(),
		UsernameFlag:  cfg.UsernameFlag || cfg.PasswordFlag,
		PasswordFlag:  cfg.PasswordFlag,
		Username:      cfg.Username,
	}
	if cfg.PasswordFlag {
		cf.Password = []byte(cfg.Password)
	}
	if w := cfg.Will; w != nil {
		cf.WillFlag, cf.WillQoS, cf.WillRetain = true, w.QoS, w.Retain
		cf.WillTopic, cf.WillMessage = w.Topic, w.Payload
	}
	p := c.scratch(Connect)
	p.Connect = cf
	c.send(env, now, p)
	p.Connect = nil
}

// send hands p to the transport and notes the time for keepalive. Only
// CONNECT goes out before CONNACK; the guard also covers an application
// callback that disconnected in the middle of a flow.
func (c *Client) send(env ClientEnv, now sim.Time, p *Packet) {
	if c.state != ClientConnected && p.Type != Connect {
		return
	}
	c.lastSent = now
	env.Send(p)
}

// scratch returns the client's reusable packet, cleared, of type t. A
// packet passed to an interface method escapes, so a local one would be
// allocated for every send.
func (c *Client) scratch(t Type) *Packet {
	if c.pkt == nil {
		c.pkt = new(Packet)
	}
	*c.pkt = Packet{Type: t}
	return c.pkt
}

func (c *Client) drop(env ClientEnv, ref uint64, reason DropReason) {
	switch reason {
	case DropOffline:
		c.stats.DroppedOffline++
	case DropQueueFull:
		c.stats.DroppedQueueFull++
	case DropCleanSession:
		c.stats.DroppedCleanSession++
	case DropInvalid:
		c.stats.DroppedInvalid++
	}
	env.Dropped(ref, reason)
}

// allocID returns the next packet id not used by an inflight publication
// or a pending SUBSCRIBE, never 0, wrapping after 65535. The window bound
// (maxInflightLimit) guarantees a free id exists.
func (c *Client) allocID() uint16 {
	for {
		id := c.nextID
		c.nextID++
		if c.nextID == 0 {
			c.nextID = 1
		}
		if !c.idInUse(id) {
			return id
		}
	}
}

func (c *Client) idInUse(id uint16) bool {
	if c.findInflight(id) >= 0 {
		return true
	}
	for _, r := range c.subReqs {
		if r.id == id {
			return true
		}
	}
	return false
}

func (c *Client) findInflight(id uint16) int {
	for i := range c.inflight {
		if c.inflight[i].id == id {
			return i
		}
	}
	return -1
}

// removeInflight removes entry i keeping the send order, which a
// reconnect's resends follow.
func (c *Client) removeInflight(i int) {
	n := len(c.inflight) - 1
	copy(c.inflight[i:], c.inflight[i+1:])
	c.inflight[n] = outMsg{} // release the caller's topic and payload
	c.inflight = c.inflight[:n]
}

func (c *Client) hasQoS2(id uint16) bool {
	for _, x := range c.rxQoS2 {
		if x == id {
			return true
		}
	}
	return false
}

func (c *Client) forgetQoS2(id uint16) {
	for i, x := range c.rxQoS2 {
		if x == id {
			last := len(c.rxQoS2) - 1
			c.rxQoS2[i] = c.rxQoS2[last]
			c.rxQoS2 = c.rxQoS2[:last]
			return
		}
	}
}

func (c *Client) maxInflight() int {
	n := c.cfg.MaxInflight
	if n <= 0 {
		return DefaultMaxInflight
	}
	return min(n, maxInflightLimit)
}

func (c *Client) connectTimeout() time.Duration {
	if d := c.cfg.ConnectTimeout; d > 0 {
		return d
	}
	return DefaultConnectTimeout
}

// keepAlive is the keepalive the client announced, in whole seconds.
func (c *Client) keepAlive() time.Duration {
	return time.Duration(keepAliveSeconds(c.cfg.KeepAlive)) * time.Second
}

func keepAliveSeconds(d time.Duration) uint16 {
	if d <= 0 {
		return 0
	}
	s := (d + time.Second - 1) / time.Second
	return uint16(min(s, 65535))
}
