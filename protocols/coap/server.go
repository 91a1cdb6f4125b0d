package coap

import (
	"time"

	"github.com/iotsim/iotsim/sim"
)

// Peer is the environment's name for a client endpoint (a node id in the
// simulator, an index of UDP addresses in a live adapter).
type Peer uint64

// ServerConfig configures a Server.
type ServerConfig struct {
	Params *Params // ACK_TIMEOUT etc. for the server's own CONs, block size
	// Dedup keeps message ids for EXCHANGE_LIFETIME (CON) and NON_LIFETIME
	// (NON) and answers a duplicate CON with the same response without
	// processing it again (RFC 7252 §4.5). Off, every duplicate is
	// processed again, as libcoap 4.3 does.
	Dedup bool
	// Processing is the application's time to produce a response.
	Processing time.Duration
	// SeparateAfter: when Processing exceeds it, a CON request is answered
	// by an empty ACK at once and the response follows as its own CON
	// (RFC 7252 §5.2.2); otherwise the response is piggybacked.
	SeparateAfter time.Duration
	// NotifyCON sends notifications as CON (else NON).
	NotifyCON bool
}

// ServerEnv is what a Server needs from its surroundings. A Message handed
// to it is valid only during the call (the server reuses the value), but
// the storage its Options and Payload refer to is never modified later:
// an environment may copy the value and keep referring to them, as the
// simulator does while the message is in flight.
type ServerEnv interface {
	// Send transmits m to peer to; ref is the notification's reference
	// (from Notifying) and 0 for everything else.
	Send(to Peer, m *Message, ref uint64)
	// After asks for OnTimer(key) at time at. There is no cancel: the
	// server ignores timers that are no longer current.
	After(at sim.Time, key uint64)
	// Delivered says that a request reached the application: dup is true
	// when it is a duplicate that deduplication would have suppressed
	// (only possible with Dedup off).
	Delivered(from Peer, req *Message, dup bool)
	// Notifying says a notification of path is about to go to observer to
	// and returns its reference.
	Notifying(to Peer, path string) uint64
	// NotifyDone ends notification ref: ok when a CON notification was
	// acknowledged or a NON was sent; not ok when it was given up, reset
	// or replaced by a newer one before it was acknowledged.
	NotifyDone(ref uint64, ok bool)
}

// Server is the server role of a CoAP endpoint: a store of resources that
// answers GET, POST, PUT and DELETE, deduplicates message ids, sends
// piggybacked or separate responses, keeps RFC 7641 observers and notifies
// them when a resource changes, and serves and accepts RFC 7959 block-wise
// transfers.
type Server struct {
	cfg       ServerConfig
	rng       *sim.Stream
	mid       uint16
	resources map[string]*resource

	dedup    dedupIndex   // peer<<16|mid → absolute index in seen
	seen     []seenEntry  // ring in arrival order, power-of-two length; entry a is seen[a&(len-1)]
	seenHead uint32       // absolute index of the oldest entry
	seenLen  uint32       // entries in the ring
	rich     []richAnswer // options and payloads of cached answers, by seenEntry.rich
	richFree []int32      // free slots of rich

	outs    []outCON          // the server's own CONs in flight
	outFree []int32           // free slots of outs
	outByID map[uint64]int32  // peer<<16|mid → index in outs
	later   []pending         // responses waiting for Processing
	asm     map[uint64][]byte // Block1 bodies being received, by bodyKey
	pathBuf []byte            // scratch: the path of the request being handled
	out     Message           // scratch: the message being sent (see send)
	stats   ServerStats
}

// ServerStats counts what the server did.
type ServerStats struct {
	Requests, Duplicates, Resets, NotificationsSent, ObserversRemoved int64
}

type resource struct {
	path      string
	payload   []byte
	seq       uint32 // the Observe value of the current state
	observers []observer
}

type observer struct {
	peer  Peer
	token Token
	out   int32 // index in outs of a CON notification in flight, or -1
}

// seenEntry is a message id the server has seen and its answer, kept
// without pointers: the ring holds EXCHANGE_LIFETIME of requests (≈ 430 k
// entries for 100 k devices posting every minute), which the garbage
// collector then need not scan and stores into need no write barriers.
// Only an answer with options or payload keeps those in s.rich.
type seenEntry struct {
	key      uint64
	expires  sim.Time
	token    Token
	typ      Type
	code     Code
	mid      uint16
	answered bool  // the answer is here (false while still processing)
	rich     int32 // 1 + the index in Server.rich of the answer's options and payload, 0 for none
}

// richAnswer is the part of a cached answer that holds pointers.
type richAnswer struct {
	opts    Options
	payload []byte
}

type outCON struct {
	peer     Peer
	msg      Message
	ref      uint64
	path     string
	deadline sim.Time
	timeout  time.Duration
	gen      uint32
	tx       uint8
	live     bool
}

type pending struct {
	peer Peer
	resp Message
	at   sim.Time
	key  uint64 // dedup key, or 0
	con  bool   // send as a separate CON response
}

// Timer key kinds (the top byte of a key).
const (
	keyRetransmit = 1 << 56
	keyPending    = 2 << 56
)

// NewServer returns a server with no resources. rng draws the timeouts of
// the server's CONs and its message ids.
func NewServer(cfg ServerConfig, rng *sim.Stream) *Server {
	return &Server{
		cfg:       cfg,
		rng:       rng,
		mid:       uint16(rng.Uint64()),
		resources: map[string]*resource{},
		outByID:   map[uint64]int32{},
	}
}

// Stats returns the server's counters.
func (s *Server) Stats() ServerStats { return s.stats }

// SetResource sets the representation of path (e.g. a resource preloaded
// for block-wise GETs) without notifying anybody.
func (s *Server) SetResource(path string, payload []byte) { s.res(path).payload = payload }

// Change sets the representation of path, creating the resource if
// needed, and notifies its observers (RFC 7641 §4.2) as a PUT or POST
// from a client would: the way an application on the server reports a
// new state of its own.
func (s *Server) Change(env ServerEnv, now sim.Time, path string, payload []byte) {
	r := s.res(path)
	r.payload = payload
	r.seq++
	s.notify(env, now, path, r)
}

// Resource returns the representation of path and whether it exists.
func (s *Server) Resource(path string) ([]byte, bool) {
	r, ok := s.resources[path]
	if !ok {
		return nil, false
	}
	return r.payload, true
}

// Observers is the number of observers of path.
func (s *Server) Observers(path string) int {
	if r, ok := s.resources[path]; ok {
		return len(r.observers)
	}
	return 0
}

func (s *Server) res(path string) *resource {
	r, ok := s.resources[path]
	if !ok {
		r = &resource{seq: 1, path: path}
		s.resources[path] = r
	}
	return r
}

func (s *Server) newMID() uint16 {
	s.mid++
	return s.mid
}

func dedupKey(p Peer, mid uint16) uint64 { return uint64(p)<<16 | uint64(mid) }

// knownOptions are the critical options the server understands.
var knownOptions = []OptionNumber{IfMatch, UriHost, IfNoneMatch, UriPort, UriPath, UriQuery, Accept, ProxyUri, ProxyScheme, Block1, Block2, Observe, Size1, Size2, ContentFormat, MaxAge, ETag, LocationPath, LocationQuery}

// Reject answers a datagram that did not parse (RFC 7252 §4.2/§4.3).
func (s *Server) Reject(env ServerEnv, from Peer, err *ParseError) {
	if rst, ok := err.Reject(); ok {
		s.stats.Resets++
		s.send(env, from, rst, 0)
	}
}

// Receive handles a message from peer from. The server may keep m's
// payload (as a resource's representation), so the caller must not modify
// it afterwards; the Message value itself is not kept.
func (s *Server) Receive(env ServerEnv, now sim.Time, from Peer, m *Message) {
	s.expire(now)
	switch m.Type {
	case ACK, RST:
		s.answered(env, from, m)
		return
	}
	if m.Code == Empty || !m.Code.IsRequest() || m.Code.ReservedClass() {
		// A ping, or a response or reserved code where a request belongs.
		s.reset(env, from, m)
		return
	}
	key := dedupKey(from, m.MessageID)
	dup := false
	if e, ok := s.seenEntryOf(key); ok {
		if e.expires > now {
			s.stats.Duplicates++
			if s.cfg.Dedup {
				if m.Type == CON && e.answered {
					s.send(env, from, s.cachedAnswer(e), 0)
				}
				return
			}
			dup = true
		}
	}
	if s.cfg.Dedup || !dup {
		life := s.cfg.Params.ExchangeLifetime()
		if m.Type == NON {
			life = s.cfg.Params.NonLifetime()
		}
		a := s.push(seenEntry{key: key, expires: now.Add(life)})
		s.dedup.set(key, a, s.seenHead)
	}
	s.request(env, now, from, m, key, dup)
}

// reset answers m with a Reset.
func (s *Server) reset(env ServerEnv, to Peer, m *Message) {
	s.stats.Resets++
	s.send(env, to, NewEmpty(RST, m.MessageID), 0)
}

// request processes a request and sends or schedules its response.
func (s *Server) request(env ServerEnv, now sim.Time, from Peer, m *Message, key uint64, dup bool) {
	if _, bad := m.Options.UnrecognizedCritical(knownOptions); bad {
		if m.Type == NON {
			s.reset(env, from, m)
			return
		}
		s.respond(env, now, from, m, key, Message{Code: BadOption})
		return
	}
	resp, complete := s.execute(env, now, from, m, dup)
	if complete {
		s.stats.Requests++
	}
	s.respond(env, now, from, m, key, resp)
}

// execute runs the application's side of a request and returns the
// response (type, id and token are filled in by respond) and whether the
// request was complete (not an intermediate Block1).
func (s *Server) execute(env ServerEnv, now sim.Time, from Peer, m *Message, dup bool) (Message, bool) {
	s.pathBuf = m.Options.appendSegments(s.pathBuf[:0], UriPath)
	body := m.Payload
	if b1, ok := m.Options.Block1(); ok {
		k := bodyKey(from, s.pathBuf, m.Options)
		if s.asm == nil {
			s.asm = map[uint64][]byte{}
		}
		got := s.asm[k]
		if b1.Num == 0 {
			got = got[:0]
		}
		if b1.Offset() != len(got) {
			delete(s.asm, k)
			return Message{Code: RequestEntityIncomplete}, false
		}
		got = append(got, m.Payload...)
		if b1.More {
			s.asm[k] = got
			var opts Options
			_ = opts.SetBlock1(b1)
			return Message{Code: Continue, Options: opts}, false
		}
		delete(s.asm, k)
		body = got
		whole := *m
		whole.Payload = body
		env.Delivered(from, &whole, dup)
	} else {
		env.Delivered(from, m, dup)
	}
	switch m.Code {
	case GET:
		r, ok := s.resources[string(s.pathBuf)] // no allocation for the lookup
		if !ok {
			return Message{Code: NotFound}, true
		}
		resp := Message{Code: Content}
		if v, ok := m.Options.Observe(); ok {
			switch v {
			case ObserveRegister:
				s.addObserver(r, from, m.Token)
				resp.Options.SetObserve(r.seq)
			case ObserveDeregister:
				s.removeObserver(env, r, from, m.Token)
			}
		}
		s.body(&resp, r.payload, m)
		return resp, true
	case POST, PUT:
		r, existed := s.resources[string(s.pathBuf)]
		if !existed {
			r = s.res(string(s.pathBuf))
		}
		r.payload = body
		r.seq++
		s.notify(env, now, r.path, r)
		var resp Message
		switch {
		case m.Code == PUT && !existed:
			resp.Code = Created
		default:
			resp.Code = Changed
		}
		if b1, ok := m.Options.Block1(); ok {
			_ = resp.Options.SetBlock1(b1)
		}
		return resp, true
	case DELETE:
		if r, ok := s.resources[string(s.pathBuf)]; ok {
			for len(r.observers) > 0 {
				s.removeObserver(env, r, r.observers[0].peer, r.observers[0].token)
			}
			delete(s.resources, r.path)
		}
		return Message{Code: Deleted}, true
	}
	return Message{Code: MethodNotAllowed}, true
}

// body puts the representation, or the requested Block2 of it, in resp.
func (s *Server) body(resp *Message, payload []byte, req *Message) {
	size := s.cfg.Params.BlockSize
	b2, asked := req.Options.Block2()
	if asked && b2.Size() < size {
		size = b2.Size()
	}
	if !asked && len(payload) <= size {
		resp.Payload = payload
		return
	}
	szx, _ := BlockSZX(size)
	num := uint32(0)
	if asked {
		num = b2.Num
	}
	off := int(num) * size
	if off > len(payload) {
		resp.Code = BadOption
		return
	}
	end := min(off+size, len(payload))
	_ = resp.Options.SetBlock2(Block{Num: num, More: end < len(payload), SZX: szx})
	if num == 0 {
		resp.Options.SetSize2(uint32(len(payload)))
	}
	resp.Payload = payload[off:end]
}

// bodyKey names the request body that a Block1 request belongs to: its
// peer, path and Request-Tag (RFC 9175), not its token, which a client may
// change from block to block (RFC 7959 §2.3; libcoap does). It is an
// FNV-1a hash; two bodies in progress collide with odds of about 2⁻⁶⁴.
func bodyKey(p Peer, path []byte, opts Options) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < 8; i++ {
		h = (h ^ uint64(p>>(8*i)&0xff)) * prime
	}
	for _, b := range path {
		h = (h ^ uint64(b)) * prime
	}
	if tag, ok := opts.Get(RequestTag); ok {
		h = (h ^ 0x100) * prime // a present tag differs from an absent one
		for _, b := range tag {
			h = (h ^ uint64(b)) * prime
		}
	}
	return h
}

// respond sends resp as the answer to request m, now or after Processing.
func (s *Server) respond(env ServerEnv, now sim.Time, from Peer, m *Message, key uint64, resp Message) {
	resp.Token = m.Token
	if s.cfg.Processing <= 0 {
		s.sendResponse(env, from, m.Type, m.MessageID, key, resp)
		return
	}
	separate := m.Type == CON && s.cfg.Processing > s.cfg.SeparateAfter
	if separate {
		ack := NewEmpty(ACK, m.MessageID)
		s.cache(key, ack)
		s.send(env, from, ack, 0)
	} else {
		resp.MessageID = m.MessageID
	}
	if m.Type == CON && !separate {
		resp.Type = ACK
	} else {
		resp.Type = NON
	}
	p := pending{peer: from, resp: resp, at: now.Add(s.cfg.Processing), key: key, con: separate}
	s.later = append(s.later, p)
	env.After(p.at, keyPending)
}

// sendResponse sends the immediate response to a request of type t.
func (s *Server) sendResponse(env ServerEnv, to Peer, t Type, mid uint16, key uint64, resp Message) {
	if t == CON {
		resp.Type, resp.MessageID = ACK, mid
		s.cache(key, resp)
	} else {
		resp.Type, resp.MessageID = NON, s.newMID()
	}
	s.send(env, to, resp, 0)
}

// send hands m to the environment from the server's scratch message: Send
// takes a pointer, and a local's address would escape to the heap — one
// allocation per message on the hot path.
func (s *Server) send(env ServerEnv, to Peer, m Message, ref uint64) {
	s.out = m
	env.Send(to, &s.out, ref)
}

// cache remembers the answer to a deduplicated CON.
func (s *Server) cache(key uint64, resp Message) {
	e, ok := s.seenEntryOf(key)
	if !ok {
		return
	}
	s.freeRich(e)
	e.token, e.typ, e.code, e.mid, e.answered = resp.Token, resp.Type, resp.Code, resp.MessageID, true
	if len(resp.Options) == 0 && len(resp.Payload) == 0 {
		return
	}
	r := richAnswer{resp.Options, resp.Payload}
	if n := len(s.richFree); n > 0 {
		i := s.richFree[n-1]
		s.richFree = s.richFree[:n-1]
		s.rich[i] = r
		e.rich = i + 1
		return
	}
	s.rich = append(s.rich, r)
	e.rich = int32(len(s.rich))
}

// cachedAnswer rebuilds the answer cached in e.
func (s *Server) cachedAnswer(e *seenEntry) Message {
	m := Message{Type: e.typ, Code: e.code, MessageID: e.mid, Token: e.token}
	if e.rich > 0 {
		r := &s.rich[e.rich-1]
		m.Options, m.Payload = r.opts, r.payload
	}
	return m
}

// freeRich releases the options and payload e's answer keeps.
func (s *Server) freeRich(e *seenEntry) {
	if e.rich > 0 {
		s.rich[e.rich-1] = richAnswer{}
		s.richFree = append(s.richFree, e.rich-1)
		e.rich = 0
	}
}

// entry returns the ring entry with absolute index a.
func (s *Server) entry(a uint32) *seenEntry { return &s.seen[a&uint32(len(s.seen)-1)] }

// seenEntryOf returns the ring entry of key. The index checks that the
// entry is still in the ring and is key's: an index stored long ago can
// alias a newer entry once absolute indices have wrapped around.
func (s *Server) seenEntryOf(key uint64) (*seenEntry, bool) {
	a, ok := s.dedup.get(key, s.seenHead)
	if !ok || a-s.seenHead >= s.seenLen {
		return nil, false
	}
	e := s.entry(a)
	return e, e.key == key
}

// push appends e to the ring, doubling it when full, and returns its
// absolute index. Entries keep their absolute indices when the ring grows.
func (s *Server) push(e seenEntry) uint32 {
	if int(s.seenLen) == len(s.seen) {
		grown := make([]seenEntry, max(2*len(s.seen), 64))
		mask := uint32(len(grown) - 1)
		for a := s.seenHead; a != s.seenHead+s.seenLen; a++ {
			grown[a&mask] = *s.entry(a)
		}
		s.seen = grown
	}
	a := s.seenHead + s.seenLen
	*s.entry(a) = e
	s.seenLen++
	return a
}

// expire forgets message ids older than their lifetime. Lifetimes differ
// (CON and NON), so an entry may outlive its own lifetime behind an older
// one; Receive checks expires itself.
func (s *Server) expire(now sim.Time) {
	for s.seenLen > 0 {
		e := s.entry(s.seenHead)
		if e.expires > now {
			break
		}
		if len(s.dedup.overflow) > 0 {
			s.dedup.delOverflow(e.key, s.seenHead)
		}
		s.freeRich(e)
		*e = seenEntry{}
		s.seenHead++
		s.seenLen--
	}
}

// addObserver registers (peer, token) as an observer of r, replacing an
// earlier registration of the same peer and token (RFC 7641 §4.1).
func (s *Server) addObserver(r *resource, p Peer, tok Token) {
	for i := range r.observers {
		if o := &r.observers[i]; o.peer == p && o.token == tok {
			return
		}
	}
	r.observers = append(r.observers, observer{peer: p, token: tok, out: -1})
}

// removeObserver forgets observer (p, tok) of r and ends its CON
// notification in flight.
func (s *Server) removeObserver(env ServerEnv, r *resource, p Peer, tok Token) {
	for i := range r.observers {
		o := r.observers[i]
		if o.peer != p || o.token != tok {
			continue
		}
		if o.out >= 0 {
			s.endOut(env, o.out, false)
		}
		r.observers = append(r.observers[:i], r.observers[i+1:]...)
		s.stats.ObserversRemoved++
		return
	}
}

// notify sends the new state of r to its observers (RFC 7641 §4.2).
func (s *Server) notify(env ServerEnv, now sim.Time, path string, r *resource) {
	if len(r.observers) == 0 {
		return
	}
	// One Observe option for all observers: messages only read their
	// options, so the notifications share it.
	opts := make(Options, 0, 1)
	opts.SetObserve(r.seq)
	for i := range r.observers {
		o := &r.observers[i]
		ref := env.Notifying(o.peer, path)
		m := Message{Code: Content, Token: o.token, MessageID: s.newMID(), Options: opts, Payload: r.payload}
		s.stats.NotificationsSent++
		if !s.cfg.NotifyCON {
			m.Type = NON
			s.send(env, o.peer, m, ref)
			env.NotifyDone(ref, true)
			continue
		}
		m.Type = CON
		if o.out >= 0 {
			// A newer notification replaces the one still in flight and
			// keeps its retransmission state (RFC 7641 §4.5.2).
			x := &s.outs[o.out]
			delete(s.outByID, dedupKey(x.peer, x.msg.MessageID))
			env.NotifyDone(x.ref, false)
			x.msg, x.ref = m, ref
			s.outByID[dedupKey(o.peer, m.MessageID)] = o.out
			env.Send(o.peer, &x.msg, ref)
			continue
		}
		o.out = s.startOut(env, now, o.peer, m, ref, path)
	}
}

// startOut sends m as one of the server's own CONs and returns its index.
func (s *Server) startOut(env ServerEnv, now sim.Time, to Peer, m Message, ref uint64, path string) int32 {
	var i int32
	if n := len(s.outFree); n > 0 {
		i = s.outFree[n-1]
		s.outFree = s.outFree[:n-1]
	} else {
		s.outs = append(s.outs, outCON{})
		i = int32(len(s.outs) - 1)
	}
	x := &s.outs[i]
	x.gen++
	x.peer, x.msg, x.ref, x.path, x.tx, x.live = to, m, ref, path, 1, true
	x.timeout = s.cfg.Params.initialTimeout(s.rng.Float64())
	x.deadline = now.Add(x.timeout)
	s.outByID[dedupKey(to, m.MessageID)] = i
	env.Send(to, &x.msg, ref)
	env.After(x.deadline, keyRetransmit|uint64(x.gen)<<24|uint64(i))
	return i
}

// endOut ends one of the server's CONs.
func (s *Server) endOut(env ServerEnv, i int32, ok bool) {
	x := &s.outs[i]
	delete(s.outByID, dedupKey(x.peer, x.msg.MessageID))
	if x.ref != 0 {
		env.NotifyDone(x.ref, ok)
	}
	if x.path != "" {
		if r, found := s.resources[x.path]; found {
			for j := range r.observers {
				if r.observers[j].out == i {
					r.observers[j].out = -1
				}
			}
		}
	}
	gen := x.gen
	*x = outCON{gen: gen}
	s.outFree = append(s.outFree, i)
}

// answered handles an ACK or Reset from a client.
func (s *Server) answered(env ServerEnv, from Peer, m *Message) {
	i, ok := s.outByID[dedupKey(from, m.MessageID)]
	if !ok {
		return
	}
	x := &s.outs[i]
	if m.Type == ACK {
		s.endOut(env, i, true)
		return
	}
	// Reset: the client no longer wants notifications (RFC 7641 §3.6).
	peer, tok, path := x.peer, x.msg.Token, x.path
	s.endOut(env, i, false)
	if r, found := s.resources[path]; found {
		s.removeObserver(env, r, peer, tok)
	}
}

// OnTimer handles a timer asked for with After.
func (s *Server) OnTimer(env ServerEnv, now sim.Time, key uint64) {
	switch key &^ (1<<56 - 1) {
	case keyPending:
		s.flushLater(env, now)
	case keyRetransmit:
		i := int32(key & (1<<24 - 1))
		gen := uint32(key>>24) & (1<<32 - 1)
		if int(i) >= len(s.outs) {
			return
		}
		x := &s.outs[i]
		if !x.live || x.gen != gen || x.deadline > now {
			return
		}
		if int(x.tx) > s.cfg.Params.MaxRetransmit {
			// Given up: an observer that does not acknowledge is removed
			// (RFC 7641 §4.5).
			peer, tok, path := x.peer, x.msg.Token, x.path
			s.endOut(env, i, false)
			if r, found := s.resources[path]; found && path != "" {
				s.removeObserver(env, r, peer, tok)
			}
			return
		}
		x.tx++
		x.timeout *= 2
		x.deadline = now.Add(x.timeout)
		env.Send(x.peer, &x.msg, x.ref)
		env.After(x.deadline, keyRetransmit|uint64(x.gen)<<24|uint64(i))
	}
}

// flushLater sends the responses whose processing is over. Processing is
// the same for every request, so they are due in arrival order.
func (s *Server) flushLater(env ServerEnv, now sim.Time) {
	n := 0
	for n < len(s.later) && s.later[n].at <= now {
		p := s.later[n]
		switch {
		case p.con:
			p.resp.MessageID = s.newMID()
			p.resp.Type = CON
			s.startOut(env, now, p.peer, p.resp, 0, "")
		case p.resp.Type == ACK:
			s.cache(p.key, p.resp)
			s.send(env, p.peer, p.resp, 0)
		default:
			p.resp.MessageID = s.newMID()
			s.send(env, p.peer, p.resp, 0)
		}
		n++
	}
	m := copy(s.later, s.later[n:])
	clear(s.later[m:])
	s.later = s.later[:m]
}
