package coap

import (
	"time"

	"github.com/iotsim/iotsim/sim"
)

// Request is what a client's application asks for. Options and Payload are
// only read, never modified, so a device group can share one Options slice
// among all its devices.
type Request struct {
	Confirmable bool
	Code        Code
	Options     Options
	Payload     []byte
	Ref         uint64 // the application's reference, handed back in callbacks and Send
}

// Failure says why a request got no response.
type Failure uint8

// Failures reported by ClientEnv.Failed.
const (
	TimedOut        Failure = iota + 1 // MAX_RETRANSMIT retransmissions got no ACK (RFC 7252 §4.2)
	WasReset                           // the server answered with Reset
	QueueFull                          // the NSTART queue was full (Params.Queue)
	ResponseLost                       // ACKed, but the separate response never came within EXCHANGE_LIFETIME
	BlockwiseFailed                    // a block-wise transfer was answered with an error or out of order
)

var failureNames = [...]string{"", "timed out", "reset", "queue full", "no response", "block-wise transfer failed"}

func (f Failure) String() string {
	if int(f) < len(failureNames) {
		return failureNames[f]
	}
	return "Failure(?)"
}

// ClientEnv is what a Client needs from its surroundings. A Message handed
// to it is valid only during the call (the client reuses the value and,
// for a block-wise response, the payload); the storage the Options and
// Payload handed to Send refer to is never modified later, so an
// environment may keep referring to them while the message is in flight.
type ClientEnv interface {
	// Send transmits m to the server. ref is the request's Ref for every
	// transmission of a request (retransmissions and blocks included) and
	// 0 for the client's own ACKs and Resets.
	Send(m *Message, ref uint64)
	// SetTimer asks for OnTimer at time at; the latest call wins and 0
	// cancels.
	SetTimer(at sim.Time)
	// Response hands the final response of request ref to the application
	// (for a block-wise response, with the whole representation).
	Response(ref uint64, m *Message)
	// Failed says that request ref got no response.
	Failed(ref uint64, f Failure)
	// Notification hands a notification of observation obs (its index in
	// the order Observe was called) to the application; fresh is the
	// freshness rule of RFC 7641 §3.4.
	Notification(obs int, m *Message, fresh bool)
}

// Client is the client role of a CoAP endpoint talking to one server:
// message ids, tokens, Confirmable retransmission with exponential backoff
// (RFC 7252 §4.2), NSTART = 1 with a bounded queue (§4.7), matching of
// piggybacked and separate responses (§5.2), block-wise transfers
// (RFC 7959) and observations (RFC 7641). It is a plain struct driven by
// its methods; every method takes the environment to answer through.
//
// A fleet holds one Client per device, so what a plain request needs is
// kept in 144 bytes and the rest out of line: the NSTART queue, awaited
// responses, observations and the ids of acknowledged CON responses
// (extra) and block-wise state (blk), each allocated when first needed.
type Client struct {
	p     *Params
	rng   *sim.Stream
	timer sim.Time // the time last asked of SetTimer, 0 for none
	tok   uint32
	mid   uint16

	cur   exchange
	extra *clientExtra
	blk   *transfer // block-wise state of the slot's request, reused
}

// clientExtra is the part of a Client that plain requests never touch.
type clientExtra struct {
	queue []queued // FIFO; queue[qhead:] wait for the slot
	qhead int
	waits []wait        // requests whose response may still come
	obs   []observation // observations, by the index Observe returned
	ctl   Message       // scratch: the client's own ACK or Reset being sent
	// recent are the message ids of the last CON responses acknowledged,
	// newest first (nrec of them): a repeat is acknowledged again and
	// not delivered twice.
	recent [4]uint16
	nrec   uint8
}

// exchange is the request holding the NSTART slot.
type exchange struct {
	msg       Message // the message on the air (current block); its Type says CON or NON
	ref       uint64  // the request's Ref
	deadline  sim.Time
	timeout   time.Duration
	tx        uint8 // transmissions of msg so far
	active    bool
	acked     bool  // a CON answered with an empty ACK, its separate response awaited in the slot
	blockwise bool  // c.blk holds this request's block-wise state
	obs       int16 // observation this request registers, or -1
}

// transfer is the block-wise state of the slot's request (RFC 7959).
type transfer struct {
	opts    Options // the request's own options, which every Block1 request repeats
	payload []byte  // the whole request body (Block1)
	body    []byte  // the response body received so far (Block2)
}

// queued is a request waiting for the slot; obs ≥ 0 marks the registration
// of that observation.
type queued struct {
	r   Request
	obs int16
}

// wait is a request whose response may still come after it left the slot:
// a CON other than a GET answered with an empty ACK, or a NON whose
// response was late. (Never an observation's registration: that is a CON
// GET, which keeps the slot until its response.)
type wait struct {
	token    Token
	ref      uint64
	deadline sim.Time
	con      bool
}

// observation is one RFC 7641 observation the client keeps.
type observation struct {
	opts       Options
	token      Token
	registered bool
	pending    bool     // a registration request is queued or in flight
	cancelled  bool     // forgotten by Cancel: never registered again
	seq        uint32   // V1: the last fresh Observe value
	seqAt      sim.Time // T1: when it arrived
	again      sim.Time // when to register again, 0 for not planned
}

// Init prepares c to talk to one server with parameters p. rng draws the
// retransmission timeouts and the first message id and token; the client
// keeps the pointer.
func (c *Client) Init(p *Params, rng *sim.Stream) {
	*c = Client{p: p, rng: rng, mid: uint16(rng.Uint64()), tok: uint32(rng.Uint64())}
	c.cur.obs = -1
}

// Busy reports whether a request holds the NSTART slot.
func (c *Client) Busy() bool { return c.cur.active }

// Queued is the number of requests waiting for the slot.
func (c *Client) Queued() int {
	if c.extra == nil {
		return 0
	}
	return len(c.extra.queue) - c.extra.qhead
}

// more returns the client's out-of-line part, making it on first use.
func (c *Client) more() *clientExtra {
	if c.extra == nil {
		c.extra = &clientExtra{}
	}
	return c.extra
}

// observations returns the client's observations (nil for none).
func (c *Client) observations() []observation {
	if c.extra == nil {
		return nil
	}
	return c.extra.obs
}

// Do starts request r, or queues it while another holds the slot.
func (c *Client) Do(env ClientEnv, now sim.Time, r Request) {
	c.do(env, now, r, -1)
	c.arm(env)
}

func (c *Client) do(env ClientEnv, now sim.Time, r Request, obs int16) {
	if c.cur.active {
		if c.Queued() >= c.p.Queue {
			if obs >= 0 {
				c.refused(now, obs)
				return
			}
			env.Failed(r.Ref, QueueFull)
			return
		}
		e := c.more()
		if e.qhead > 0 && e.qhead == len(e.queue) {
			e.queue, e.qhead = e.queue[:0], 0
		}
		e.queue = append(e.queue, queued{r, obs})
		return
	}
	c.start(env, now, r, obs)
}

// Observe registers an observation of the resource named by opts (its
// Uri-Path and so on; read only) and returns its index.
func (c *Client) Observe(env ClientEnv, now sim.Time, opts Options) int {
	e := c.more()
	i := len(e.obs)
	e.obs = append(e.obs, observation{opts: opts, token: c.newToken()})
	c.register(env, now, int16(i))
	c.arm(env)
	return i
}

// Cancel forgets observation obs (the index Observe returned): the client
// no longer registers it and answers its next notification with a Reset,
// which ends it on the server (RFC 7641 §3.6). A registration already
// queued or in flight still runs but does not re-establish it.
func (c *Client) Cancel(env ClientEnv, now sim.Time, obs int) {
	if obs < 0 || obs >= len(c.observations()) {
		return
	}
	o := &c.extra.obs[obs]
	o.cancelled, o.registered, o.again = true, false, 0
	c.arm(env)
}

func (c *Client) register(env ClientEnv, now sim.Time, i int16) {
	o := &c.extra.obs[i]
	if o.pending || o.cancelled {
		o.again = 0 // the pending registration's response plans the next one
		return
	}
	o.pending, o.again = true, 0
	opts := make(Options, 0, len(o.opts)+1)
	opts = append(opts, o.opts...)
	opts.SetObserve(ObserveRegister)
	c.do(env, now, Request{Confirmable: true, Code: GET, Options: opts}, i)
}

// refused plans observation i's registration again after a full queue
// turned it away or its response never came; a registration that still
// holds stays.
func (c *Client) refused(now sim.Time, i int16) {
	o := &c.extra.obs[i]
	if !o.registered {
		c.lost(now, i)
		return
	}
	o.pending = false
	o.again = now.Add(max(c.p.Reregister, time.Second))
}

func (c *Client) newToken() Token {
	c.tok++
	return Uint64Token(uint64(c.tok), 4)
}

func (c *Client) newMID() uint16 {
	c.mid++
	return c.mid
}

// start puts r on the air in the slot.
func (c *Client) start(env ClientEnv, now sim.Time, r Request, obs int16) {
	x := &c.cur
	*x = exchange{ref: r.Ref, active: true, obs: obs}
	tok := c.newToken()
	if obs >= 0 {
		tok = c.extra.obs[obs].token
	}
	typ := NON
	if r.Confirmable {
		typ = CON
	}
	x.msg = Message{Type: typ, Code: r.Code, Token: tok, Options: r.Options, Payload: r.Payload}
	if len(r.Payload) > c.p.BlockSize {
		t := c.transfer()
		t.opts, t.payload = r.Options, r.Payload
		c.setBlock1(0)
	}
	if r.Code == GET && c.p.BlockSize < 1<<(MaxSZX+4) && !r.Options.Has(Block2) {
		// Early negotiation (RFC 7959 §2.4): a client that takes smaller
		// blocks than the largest says so in its first request, as
		// libcoap's client does; otherwise the server picks the size.
		// Built on x.msg's options, which carry Block1 if the GET has a
		// body to send block-wise.
		szx, _ := BlockSZX(c.p.BlockSize)
		opts := make(Options, 0, len(x.msg.Options)+1)
		opts = append(opts, x.msg.Options...)
		_ = opts.SetBlock2(Block{SZX: szx})
		x.msg.Options = opts
	}
	c.transmit(env, now)
}

// transfer returns the block-wise state, emptied, for the slot's request.
func (c *Client) transfer() *transfer {
	if c.blk == nil {
		c.blk = &transfer{}
	}
	c.cur.blockwise = true
	*c.blk = transfer{body: c.blk.body[:0]}
	return c.blk
}

// endTransfer lets go of the slot's finished block-wise transfer: its
// request (the application's storage) and a large body buffer, which would
// otherwise stay with the device for the rest of the run.
func (c *Client) endTransfer() {
	if !c.cur.blockwise {
		return
	}
	t := c.blk
	t.opts, t.payload = nil, nil
	if cap(t.body) > 4096 {
		t.body = nil
	}
}

// received is the response body of the slot's block-wise transfer so far.
func (c *Client) received() []byte {
	if !c.cur.blockwise {
		return nil
	}
	return c.blk.body
}

// setBlock1 makes x.msg carry block num of the request body.
func (c *Client) setBlock1(num uint32) {
	x, t := &c.cur, c.blk
	size := c.p.BlockSize
	szx, _ := BlockSZX(size)
	off := int(num) * size
	end := min(off+size, len(t.payload))
	opts := make(Options, 0, len(t.opts)+2)
	opts = append(opts, t.opts...)
	_ = opts.SetBlock1(Block{Num: num, More: end < len(t.payload), SZX: szx})
	if num == 0 {
		opts.SetSize1(uint32(len(t.payload)))
	}
	x.msg.Options = opts
	x.msg.Payload = t.payload[off:end]
}

// setBlock2 makes x.msg, the GET that brought block num−1, ask for block
// num of the response.
func (c *Client) setBlock2(num uint32, szx uint8) {
	x := &c.cur
	opts := make(Options, 0, len(x.msg.Options)+1)
	opts = append(opts, x.msg.Options...)
	opts.Del(Observe) // later blocks are plain GETs (RFC 7959 §2.6)
	opts.Del(Block1)  // after a Block1 body, only the response's blocks are asked for
	opts.Del(Size1)
	_ = opts.SetBlock2(Block{Num: num, SZX: szx})
	x.msg.Options = opts
	x.msg.Payload = nil
}

// transmit sends the slot's current message as a new message (new id).
func (c *Client) transmit(env ClientEnv, now sim.Time) {
	x := &c.cur
	x.msg.MessageID = c.newMID()
	x.tx, x.acked = 1, false
	if x.msg.Type == CON {
		x.timeout = c.p.initialTimeout(c.rng.Float64())
	} else {
		// A NON awaiting its response is outstanding too (RFC 7252 §4.7):
		// it keeps the slot, which also carries a block-wise transfer on.
		x.timeout = c.p.NonResponseTimeout()
	}
	x.deadline = now.Add(x.timeout)
	env.Send(&x.msg, x.ref)
}

// expireNON ends the slot's NON request whose response did not come in
// time. A late response is still matched by token for NON_LIFETIME, unless
// the request was block-wise: a transfer cannot go on outside the slot.
func (c *Client) expireNON(env ClientEnv, now sim.Time) {
	x := &c.cur
	if _, ok := x.msg.Options.Block1(); ok || len(c.received()) > 0 {
		c.failCur(env, now, BlockwiseFailed)
		return
	}
	c.addWait(now, x.msg.Token, x.ref, false, c.p.NonLifetime())
	c.finish(env, now)
}

func (c *Client) addWait(now sim.Time, tok Token, ref uint64, con bool, life time.Duration) {
	e := c.more()
	w := wait{token: tok, ref: ref, deadline: now.Add(life), con: con}
	for i := range e.waits {
		if e.waits[i].token == tok {
			e.waits[i] = w
			return
		}
	}
	e.waits = append(e.waits, w)
}

// next gives the free slot to the first queued request.
func (c *Client) next(env ClientEnv, now sim.Time) {
	e := c.extra
	if e == nil {
		return
	}
	for !c.cur.active && e.qhead < len(e.queue) {
		q := e.queue[e.qhead]
		e.queue[e.qhead] = queued{}
		e.qhead++
		c.start(env, now, q.r, q.obs)
	}
	if e.qhead == len(e.queue) {
		e.queue, e.qhead = e.queue[:0], 0
	}
}

// finish ends the slot's exchange and starts the next request.
func (c *Client) finish(env ClientEnv, now sim.Time) {
	c.cur = exchange{obs: -1}
	c.next(env, now)
}

// Receive handles a message from the server.
func (c *Client) Receive(env ClientEnv, now sim.Time, m *Message) {
	c.receive(env, now, m)
	c.arm(env)
}

func (c *Client) receive(env ClientEnv, now sim.Time, m *Message) {
	x := &c.cur
	switch m.Type {
	case ACK, RST:
		if !x.active || x.acked || m.MessageID != x.msg.MessageID || (m.Type == ACK && x.msg.Type != CON) {
			return // late, repeated or unknown: ignored (RFC 7252 §4.2)
		}
		if m.Type == RST {
			c.failCur(env, now, WasReset) // a Reset may answer a NON too (§4.3)
			return
		}
		if m.Code == Empty {
			// Separate response to come (§5.2.2). The request is no longer
			// outstanding (§4.7) and frees the slot — unless the response
			// may go on block-wise (a GET, or a transfer under way): that
			// continues from the response, so it keeps the slot until then.
			if x.msg.Code == GET || x.blockwise {
				x.acked = true
				x.deadline = now.Add(c.p.ExchangeLifetime())
				return
			}
			c.addWait(now, x.msg.Token, x.ref, true, c.p.ExchangeLifetime())
			c.finish(env, now)
			return
		}
		if m.Token != x.msg.Token {
			return
		}
		c.response(env, now, m)
	case CON, NON:
		if !m.Code.IsResponse() {
			// Requests and pings to a client, and empty NONs: Reset.
			c.sendEmpty(env, RST, m.MessageID)
			return
		}
		if m.Type == CON && c.seen(m.MessageID) {
			c.sendEmpty(env, ACK, m.MessageID) // our ACK was lost: acknowledge again, deliver once
			return
		}
		if !c.expected(m.Token) {
			c.sendEmpty(env, RST, m.MessageID)
			return
		}
		if m.Type == CON {
			c.remember(m.MessageID)
			c.sendEmpty(env, ACK, m.MessageID)
		}
		if x.active && m.Token == x.msg.Token && (x.acked || !x.msg.Options.Has(Observe) || c.observing(m.Token) < 0) {
			// The response to the slot's request: a separate or NON one, or
			// a later block. Only while the registration of an observation
			// that still holds awaits its ACK is a message with its token a
			// notification (RFC 7641 §3.3.1: the observation stays until
			// replaced).
			c.response(env, now, m)
			return
		}
		if i := c.observing(m.Token); i >= 0 {
			c.notification(env, now, int16(i), m)
			return
		}
		c.separate(env, now, m)
	}
}

// sendEmpty sends the client's own ACK or Reset from a message kept out of
// line: the address of a local handed to env would escape, one allocation
// per message.
func (c *Client) sendEmpty(env ClientEnv, t Type, mid uint16) {
	e := c.more()
	e.ctl = NewEmpty(t, mid)
	env.Send(&e.ctl, 0)
}

func (c *Client) seen(mid uint16) bool {
	e := c.extra
	if e == nil {
		return false
	}
	for i := 0; i < int(e.nrec); i++ {
		if e.recent[i] == mid {
			return true
		}
	}
	return false
}

func (c *Client) remember(mid uint16) {
	e := c.more()
	copy(e.recent[1:], e.recent[:len(e.recent)-1])
	e.recent[0] = mid
	if int(e.nrec) < len(e.recent) {
		e.nrec++
	}
}

// expected reports whether a response with this token can be matched.
func (c *Client) expected(tok Token) bool {
	if c.cur.active && c.cur.msg.Token == tok {
		return true
	}
	if c.extra == nil {
		return false
	}
	for i := range c.extra.waits {
		if c.extra.waits[i].token == tok {
			return true
		}
	}
	return c.observing(tok) >= 0
}

// observing returns the registered observation with token tok, or -1.
func (c *Client) observing(tok Token) int {
	obs := c.observations()
	for i := range obs {
		if obs[i].registered && obs[i].token == tok {
			return i
		}
	}
	return -1
}

// separate handles a response matched by token to a waiting request.
func (c *Client) separate(env ClientEnv, now sim.Time, m *Message) {
	e := c.extra
	if e == nil {
		return
	}
	for i := range e.waits {
		w := e.waits[i]
		if w.token != m.Token {
			continue
		}
		e.waits = append(e.waits[:i], e.waits[i+1:]...)
		if b2, ok := m.Options.Block2(); ok && b2.More && m.Code.Class() == 2 {
			// The first block of a late response: its transfer is over.
			env.Failed(w.ref, BlockwiseFailed)
			return
		}
		env.Response(w.ref, m)
		return
	}
}

// response handles the response to the slot's request.
func (c *Client) response(env ClientEnv, now sim.Time, m *Message) {
	x := &c.cur
	if b, ok := x.msg.Options.Block1(); ok {
		if m.Code == Continue && b.More {
			rb, ok := m.Options.Block1()
			if ok && rb.Num == b.Num {
				c.setBlock1(b.Num + 1)
				c.transmit(env, now)
				return
			}
			if ok && rb.Num < b.Num && m.Type != ACK {
				return // a repeated answer to an earlier block (a duplicate NON): ignored (§4.5)
			}
		}
		if m.Code == Continue {
			c.failCur(env, now, BlockwiseFailed)
			return
		}
	}
	if b2, ok := m.Options.Block2(); ok && m.Code.Class() == 2 {
		if b2.More && b2.Offset() < len(c.received()) && m.Type != ACK {
			return // an earlier block again (a duplicate NON): ignored (§4.5)
		}
		if b2.Offset() != len(c.received()) {
			c.failCur(env, now, BlockwiseFailed)
			return
		}
		if !x.blockwise {
			if !b2.More {
				c.done(env, now, m) // the whole representation in one block
				return
			}
			c.transfer()
		}
		c.blk.body = append(c.blk.body, m.Payload...)
		if b2.More {
			if x.obs >= 0 && b2.Num == 0 {
				c.registered(env, now, x.obs, m)
			}
			c.setBlock2(b2.Num+1, b2.SZX)
			c.transmit(env, now)
			return
		}
		whole := *m
		whole.Payload = c.blk.body
		c.done(env, now, &whole)
		return
	}
	c.done(env, now, m)
}

// done delivers the slot's final response and frees the slot.
func (c *Client) done(env ClientEnv, now sim.Time, m *Message) {
	x := &c.cur
	ref, obs, blockwise := x.ref, x.obs, x.blockwise
	c.endTransfer()
	c.cur = exchange{obs: -1}
	if obs >= 0 && !blockwise {
		// (A block-wise registration was recorded at its first block: the
		// later blocks' responses carry no Observe, RFC 7959 §2.6.)
		c.registered(env, now, obs, m)
	}
	if ref != 0 || obs < 0 {
		env.Response(ref, m)
	}
	c.next(env, now)
}

func (c *Client) failCur(env ClientEnv, now sim.Time, f Failure) {
	ref, obs := c.cur.ref, c.cur.obs
	c.endTransfer()
	c.cur = exchange{obs: -1}
	switch {
	case obs >= 0 && f == ResponseLost:
		c.refused(now, obs) // an earlier registration still holds; plan the next
	case obs >= 0:
		c.lost(now, obs)
	default:
		env.Failed(ref, f)
	}
	c.next(env, now)
}

// registered records the response to a registration request.
func (c *Client) registered(env ClientEnv, now sim.Time, i int16, m *Message) {
	o := &c.extra.obs[i]
	o.pending = false
	if o.cancelled {
		return
	}
	v, ok := m.Options.Observe()
	if !ok || m.Code.Class() != 2 {
		c.lost(now, i) // the server does not (or no longer) observe for us
		return
	}
	if o.registered {
		if fresh(o.seq, o.seqAt, v, now) {
			o.seq, o.seqAt = v, now
		}
	} else {
		o.registered, o.seq, o.seqAt = true, v, now
	}
	if c.p.Reregister > 0 {
		o.again = now.Add(c.p.Reregister)
	}
}

// notification handles a notification of a registered observation.
func (c *Client) notification(env ClientEnv, now sim.Time, i int16, m *Message) {
	o := &c.extra.obs[i]
	v, ok := m.Options.Observe()
	if !ok || m.Code.Class() != 2 {
		// An error or a final response ends the observation (RFC 7641 §3.2).
		env.Notification(int(i), m, false)
		c.lost(now, i)
		return
	}
	isFresh := fresh(o.seq, o.seqAt, v, now)
	if isFresh {
		o.seq, o.seqAt = v, now
		if c.p.Reregister > 0 {
			o.again = now.Add(c.p.Reregister)
		}
	}
	env.Notification(int(i), m, isFresh)
}

// lost forgets a registration and plans the next one.
func (c *Client) lost(now sim.Time, i int16) {
	o := &c.extra.obs[i]
	o.registered, o.pending = false, false
	if !o.cancelled {
		o.again = now.Add(max(c.p.Reregister, time.Second))
	}
}

// fresh is the freshness rule of RFC 7641 §3.4: is notification v, arriving
// at t2, newer than v1 that arrived at t1?
func fresh(v1 uint32, t1 sim.Time, v2 uint32, t2 sim.Time) bool {
	const half = 1 << 23
	return (v1 < v2 && v2-v1 < half) || (v1 > v2 && v1-v2 > half) || t2 > t1.Add(128*time.Second)
}

// OnTimer handles the client's timer: retransmission or give-up of the
// slot's CON, expiry of awaited responses, and re-registrations.
func (c *Client) OnTimer(env ClientEnv, now sim.Time) {
	c.timer = 0
	x := &c.cur
	if x.active && x.deadline <= now {
		switch {
		case x.acked:
			c.failCur(env, now, ResponseLost) // the separate response never came
		case x.msg.Type == NON:
			c.expireNON(env, now)
		case int(x.tx) > c.p.MaxRetransmit:
			c.failCur(env, now, TimedOut)
		default:
			x.tx++
			x.timeout *= 2
			x.deadline = now.Add(x.timeout)
			env.Send(&x.msg, x.ref)
		}
	}
	if e := c.extra; e != nil {
		c.expireWaits(env, now, e)
	}
	c.arm(env)
}

// expireWaits gives up awaited responses whose time is over and registers
// observations again when planned.
func (c *Client) expireWaits(env ClientEnv, now sim.Time, e *clientExtra) {
	for i := 0; i < len(e.waits); {
		w := e.waits[i]
		if w.deadline > now {
			i++
			continue
		}
		e.waits = append(e.waits[:i], e.waits[i+1:]...)
		if w.con {
			env.Failed(w.ref, ResponseLost)
		}
	}
	for i := range e.obs {
		if o := &e.obs[i]; o.again != 0 && o.again <= now {
			c.register(env, now, int16(i)) // the current registration stays valid meanwhile
		}
	}
}

// arm asks the environment for the earliest time the client must act.
func (c *Client) arm(env ClientEnv) {
	var at sim.Time
	earlier := func(t sim.Time) {
		if t != 0 && (at == 0 || t < at) {
			at = t
		}
	}
	if c.cur.active {
		earlier(c.cur.deadline)
	}
	if e := c.extra; e != nil {
		for i := range e.waits {
			earlier(e.waits[i].deadline)
		}
		for i := range e.obs {
			earlier(e.obs[i].again)
		}
	}
	if at != c.timer {
		c.timer = at
		env.SetTimer(at)
	}
}
