package mqttlive

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"slices"

	"github.com/iotsim/iotsim/protocols/mqtt"
	"github.com/iotsim/iotsim/sim"
)

// MessageBuffer is the number of received messages a Client's Messages
// channel holds. When it is full the client stops reading from its
// connection until the application takes one, so TCP pushes back on the
// broker and nothing is lost; calls and timers are still served, but a
// PINGRESP is not read either, so an application that stops reading for
// longer than the keepalive loses the connection.
const MessageBuffer = 256

// Message is an application message a Client received. It shares no
// memory with the engine.
type Message struct {
	Topic   string
	Payload []byte
	QoS     mqtt.QoS
	Retain  bool
	Dup     bool
}

// RefusedError is the error of a connection the broker refused with a
// CONNACK return code.
type RefusedError struct{ Code mqtt.ConnectReturnCode }

func (e *RefusedError) Error() string { return "mqttlive: connection refused: " + e.Code.String() }

// LostError is the error of a connection (or attempt) that ended, when the
// client does not reconnect.
type LostError struct{ Reason mqtt.LostReason }

func (e *LostError) Error() string { return "mqttlive: connection lost: " + e.Reason.String() }

// DroppedError is the error of a publication the engine dropped.
type DroppedError struct{ Reason mqtt.DropReason }

func (e *DroppedError) Error() string { return "mqttlive: publication dropped: " + e.Reason.String() }

// ErrNotConnected is returned by Subscribe while the client has no
// connection.
var ErrNotConnected = errors.New("mqttlive: not connected")

// ErrSubscriptionRefused is returned by Subscribe, with the return codes,
// when the broker refused at least one filter (return code 0x80).
var ErrSubscriptionRefused = errors.New("mqttlive: subscription refused")

// Client is an mqtt.Client engine talking to one broker over TCP.
type Client struct {
	l       *loop
	addr    string
	cfg     mqtt.ClientConfig
	rng     sim.Stream
	eng     mqtt.Client
	msgs    chan Message
	first   chan outcome // the first connection's outcome, for DialContext
	present bool         // session present of the first connection

	// Engine goroutine only.
	cur      *link  // the current connection
	gen      uint64 // dial generation: results of older dials are stale
	at       sim.Time
	ref      uint64
	pubs     map[uint64]chan error
	subs     []chan subResult // waiting for SUBACKs, in order
	reported bool
	waiting  []Message // received messages the full channel had no room for
	stats    ClientStats
}

// ClientStats are the engine's counters and the adapter's own.
type ClientStats struct {
	mqtt.ClientStats
	Malformed int64 // connections whose bytes did not parse
	// Stalls counts the times a received message found Messages full, and
	// reading stopped until the application took one.
	Stalls int64
}

type outcome struct {
	present bool
	err     error
}

type subResult struct {
	codes []byte
	err   error
}

// Dial connects to the broker at addr with cfg (nil: a clean session with
// an empty client id), waiting for the CONNACK. See DialContext.
func Dial(addr string, cfg *mqtt.ClientConfig) (*Client, error) {
	return DialContext(context.Background(), addr, cfg)
}

// DialContext connects to the broker at addr with cfg, which is copied,
// and returns once the broker accepted the connection. A refusal is a
// *RefusedError and, unless cfg.Reconnect is set, a failed dial or a lost
// connection is a *LostError; with cfg.Reconnect the client keeps trying
// until ctx ends. After that the engine reconnects on its own if
// cfg.Reconnect is set.
func DialContext(ctx context.Context, addr string, cfg *mqtt.ClientConfig) (*Client, error) {
	c := &Client{
		l:     newLoop(),
		addr:  addr,
		rng:   sim.NewStream(rand.Uint64(), "mqttlive", "client"),
		msgs:  make(chan Message, MessageBuffer),
		first: make(chan outcome, 1),
		pubs:  map[uint64]chan error{},
	}
	if cfg != nil {
		c.cfg = *cfg
	} else {
		c.cfg.CleanSession = true
	}
	c.eng.Init(&c.cfg, &c.rng)
	c.l.start(c)
	if err := c.l.do(ctx, func() { c.eng.Start(c.env(), c.l.now()) }); err != nil {
		c.Close()
		return nil, err
	}
	select {
	case o := <-c.first:
		if o.err != nil {
			c.Close()
			return nil, o.err
		}
		c.present = o.present
		return c, nil
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// SessionPresent is the CONNACK's session-present flag of the connection
// DialContext made.
func (c *Client) SessionPresent() bool { return c.present }

// Messages is the channel of received application messages. It is closed
// when the client is closed.
func (c *Client) Messages() <-chan Message { return c.msgs }

// Publish publishes payload (copied) to topic and waits until the engine
// completes it: acknowledged (PUBACK, PUBCOMP) at QoS 1 and 2, handed to
// the connection at QoS 0. A publication the engine drops returns a
// *DroppedError (QoS 0 while offline, a full queue, a clean session lost).
// If ctx ends first, the publication stays with the engine.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos mqtt.QoS, retain bool) error {
	ch := make(chan error, 1)
	pl := bytes.Clone(payload)
	var ref uint64
	err := c.l.do(ctx, func() {
		c.ref++
		ref = c.ref
		c.pubs[ref] = ch
		c.eng.Publish(c.env(), c.l.now(), topic, pl, qos, retain, ref)
	})
	if err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		c.l.do(context.Background(), func() { delete(c.pubs, ref) })
		return ctx.Err()
	}
}

// Subscribe subscribes to subs and waits for the SUBACK, whose return
// codes it returns (the granted QoS, or mqtt.SubackFailure with
// ErrSubscriptionRefused). It needs a connection. The engine keeps the
// subscriptions and makes them again on a reconnect without session.
func (c *Client) Subscribe(ctx context.Context, subs ...mqtt.Subscription) ([]byte, error) {
	if len(subs) == 0 {
		return nil, errors.New("mqttlive: Subscribe without filters")
	}
	for _, s := range subs {
		if s.QoS > mqtt.QoS2 || mqtt.ValidTopicFilter(s.Filter) != nil {
			return nil, errors.New("mqttlive: invalid topic filter or QoS " + s.Filter)
		}
	}
	ch := make(chan subResult, 1)
	own := slices.Clone(subs) // the engine keeps the slice
	connected := true
	err := c.l.do(ctx, func() {
		if c.eng.State() != mqtt.ClientConnected {
			connected = false
			return
		}
		c.subs = append(c.subs, ch)
		c.eng.Subscribe(c.env(), c.l.now(), own)
	})
	if err != nil {
		return nil, err
	}
	if !connected {
		return nil, ErrNotConnected
	}
	select {
	case r := <-ch:
		return r.codes, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stats returns the client's counters.
func (c *Client) Stats(ctx context.Context) (ClientStats, error) {
	var st ClientStats
	err := c.l.do(ctx, func() {
		st = c.stats
		st.ClientStats = c.eng.Stats()
	})
	return st, err
}

// Disconnect sends DISCONNECT, waits until the broker has closed the
// connection (at most until ctx ends) and closes the client.
func (c *Client) Disconnect(ctx context.Context) error {
	var l *link
	err := c.l.do(ctx, func() {
		l = c.cur
		c.eng.Disconnect(c.env(), c.l.now())
	})
	if err != nil {
		return err
	}
	if l != nil {
		select {
		case <-l.done:
		case <-ctx.Done():
		}
	}
	c.Close()
	return nil
}

// Close closes the client at once: the connection is closed without
// DISCONNECT, so the broker publishes the will. Waiting calls return
// ErrClosed.
func (c *Client) Close() error { return c.l.close() }

// event implements handler.
func (c *Client) event(ev *event) {
	now := c.l.now()
	switch ev.kind {
	case evDialed:
		if ev.gen != c.gen || c.cur != nil {
			if ev.tcp != nil {
				ev.tcp.Close() // a dial the engine gave up on
			}
			return
		}
		if ev.err != nil {
			c.eng.TransportDown(c.env(), now)
			return
		}
		c.cur = c.l.newLink(ev.tcp)
		c.cur.gen = ev.gen
		c.l.startLink(c.cur)
		c.eng.TransportUp(c.env(), now)
	case evPacket:
		if ev.l == c.cur {
			c.eng.Receive(c.env(), now, &ev.p)
		}
	case evMalformed:
		if ev.l == c.cur {
			// The engine has no malformed input: for it, the broker
			// broke the transport.
			c.stats.Malformed++
			c.cur.abort()
			c.cur = nil
			c.eng.TransportDown(c.env(), now)
		}
	case evClosed:
		if ev.l == c.cur {
			c.cur = nil
			c.eng.TransportDown(c.env(), now)
		}
	}
}

// fire implements handler.
func (c *Client) fire(now sim.Time) {
	if c.at != 0 && now >= c.at {
		c.at = 0
		c.eng.OnTimer(c.env(), now)
	}
}

// deadline implements handler.
func (c *Client) deadline() sim.Time { return c.at }

// outbox implements handler.
func (c *Client) outbox() (chan<- Message, Message) {
	if len(c.waiting) == 0 {
		return nil, Message{}
	}
	return c.msgs, c.waiting[0]
}

// delivered implements handler.
func (c *Client) delivered() {
	c.waiting[0] = Message{}
	c.waiting = c.waiting[1:]
	if len(c.waiting) == 0 {
		c.waiting = nil
	}
}

// stop implements handler: every waiter learns that the client is closed.
func (c *Client) stop() {
	for ref, ch := range c.pubs {
		ch <- ErrClosed
		delete(c.pubs, ref)
	}
	c.failSubs(ErrClosed)
	c.report(outcome{err: ErrClosed})
	close(c.msgs)
}

func (c *Client) report(o outcome) {
	if !c.reported {
		c.reported = true
		c.first <- o
	}
}

func (c *Client) failSubs(err error) {
	for _, ch := range c.subs {
		ch <- subResult{err: err}
	}
	c.subs = nil
}

// clientEnv is the Client seen as the engine's mqtt.ClientEnv, a type of
// its own so that the environment's methods stay off the Client's API.
// Its methods run on the engine goroutine.
type clientEnv Client

var _ mqtt.ClientEnv = (*clientEnv)(nil)

func (c *Client) env() *clientEnv { return (*clientEnv)(c) }

func (c *clientEnv) Dial() {
	c.gen++
	gen, lp, addr := c.gen, c.l, c.addr
	timeout := c.cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = mqtt.DefaultConnectTimeout
	}
	lp.wg.Add(1)
	go func() {
		defer lp.wg.Done()
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(lp.ctx, "tcp", addr)
		ev := event{kind: evDialed, gen: gen, err: err}
		if err == nil {
			ev.tcp = conn.(*net.TCPConn)
		}
		if !lp.post(ev) && ev.tcp != nil {
			ev.tcp.Close()
		}
	}()
}

func (c *clientEnv) Send(p *mqtt.Packet) {
	if c.cur != nil {
		c.cur.send(encode(p))
	}
}

func (c *clientEnv) HangUp() {
	c.gen++ // a dial in progress is now stale
	if c.cur != nil {
		c.cur.finish() // what was sent (DISCONNECT) goes out first
		c.cur = nil
	}
}

func (c *clientEnv) SetTimer(at sim.Time) { c.at = at }

func (c *clientEnv) Connected(sessionPresent bool) {
	(*Client)(c).report(outcome{present: sessionPresent})
}

func (c *clientEnv) Refused(code mqtt.ConnectReturnCode) {
	(*Client)(c).failSubs(&RefusedError{code})
	if c.eng.State() == mqtt.ClientStopped {
		(*Client)(c).report(outcome{err: &RefusedError{code}})
	}
}

func (c *clientEnv) Lost(reason mqtt.LostReason) {
	(*Client)(c).failSubs(&LostError{reason})
	if c.eng.State() == mqtt.ClientStopped {
		(*Client)(c).report(outcome{err: &LostError{reason}})
	}
}

func (c *clientEnv) Message(p *mqtt.Packet) {
	m := Message{Topic: p.Topic, Payload: bytes.Clone(p.Payload), QoS: p.QoS, Retain: p.Retain, Dup: p.Dup}
	if len(c.waiting) == 0 {
		select {
		case c.msgs <- m:
			return
		default:
		}
	}
	// The loop takes no event while a message waits, so this holds at
	// most the messages of one event (one PUBLISH: one message).
	c.stats.Stalls++
	c.waiting = append(c.waiting, m)
}

func (c *clientEnv) Completed(ref uint64) { c.answer(ref, nil) }

func (c *clientEnv) Dropped(ref uint64, reason mqtt.DropReason) {
	c.answer(ref, &DroppedError{reason})
}

func (c *clientEnv) answer(ref uint64, err error) {
	if ch := c.pubs[ref]; ch != nil {
		ch <- err
		delete(c.pubs, ref)
	}
}

func (c *clientEnv) Subscribed(codes []byte) {
	if len(c.subs) == 0 {
		return // a SUBSCRIBE the engine made again on its own
	}
	ch := c.subs[0]
	c.subs = c.subs[1:]
	r := subResult{codes: bytes.Clone(codes)}
	if slices.Contains(codes, mqtt.SubackFailure) {
		r.err = ErrSubscriptionRefused
	}
	ch <- r
}
