package tcp

import (
	"time"

	"github.com/iotsim/iotsim/sim"
)

// State is a connection's state (RFC 9293 §3.3.2).
type State uint8

// The states. The zero value, Closed, is both "not opened yet" and "gone".
const (
	Closed State = iota
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{"CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(?)"
}

// CloseReason says why a connection ended.
type CloseReason uint8

// The reasons. The zero value is no reason.
const (
	// Normal: both FINs were exchanged and acknowledged (or a reset ended
	// TIME-WAIT), or Close was called before the handshake completed.
	Normal CloseReason = iota + 1
	// PeerReset: a reset arrived on an established connection.
	PeerReset
	// Refused: a reset answered our SYN.
	Refused
	// Timeout: data stayed unacknowledged for the Retries2 budget, or the
	// peer sent nothing for FinTimeout while we waited for its FIN.
	Timeout
	// UserTimeout: data stayed unacknowledged for Params.UserTimeout.
	UserTimeout
	// ConnectFailed: SYN (or, passively, SYN-ACK) retransmissions ran out.
	ConnectFailed
	// LocalAbort: the application called Abort.
	LocalAbort
)

var reasonNames = [...]string{"none", "normal", "peer-reset", "refused", "timeout", "user-timeout",
	"connect-failed", "local-abort"}

func (r CloseReason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "CloseReason(?)"
}

// Env is what a Conn asks of its environment. It is passed on every call,
// so one small env value can serve a connection without the Conn keeping a
// pointer to it.
//
// Send and SetTimer must not call back into the Conn (a simulator schedules
// the delivery of a sent segment; it does not deliver it inside Send). The
// notifications Established, Acked, Deliver, PeerClosed and Closed come
// after the Conn has finished updating itself, so they may call Write,
// Close or Abort; Closed is always the last call the Conn makes, and the
// env may Init the Conn again inside it.
type Env interface {
	// Send transmits a segment to the peer.
	Send(seg Segment)
	// SetTimer (re)arms the Conn's single one-shot timer for at; at == 0
	// cancels it. Only the latest request counts. The env calls OnTimer at
	// that time.
	SetTimer(at sim.Time)
	// Established reports that the handshake completed.
	Established()
	// Deliver reports that n more bytes are available in order.
	Deliver(n int)
	// Acked reports that n more of our bytes were acknowledged.
	Acked(n int)
	// Closed reports that the connection is gone; the Conn is dead after it.
	Closed(reason CloseReason)
}

// PeerCloser may be implemented by an Env to learn that the peer closed its
// direction: its FIN arrived after all its data (read() returning 0).
type PeerCloser interface {
	PeerClosed()
}

// Stats are a connection's counters.
type Stats struct {
	SegmentsSent     uint32 // every segment, pure ACKs included
	SegmentsReceived uint32
	Retransmits      uint32 // segments sent again: after an RTO, fast retransmit, SYN or SYN-ACK
	Timeouts         uint32 // retransmission timer expiries
	FastRetransmits  uint32
	BytesSent        uint64 // payload bytes, retransmissions included
	BytesRetransmit  uint64
	BytesRefused     uint64 // written beyond the 1 GiB send-queue bound, dropped
}

// maxQueued bounds the unacknowledged plus unsent bytes, far inside the
// 2^31 that sequence-number comparison allows. Writes beyond it are dropped.
const maxQueued = 1 << 30

// maxRanges bounds the out-of-order ranges a receiver keeps; a segment that
// would open one more is dropped (the sender retransmits it).
const maxRanges = 32

type seqRange struct{ start, end uint32 }

type connBits uint8

const (
	finQueued  connBits = 1 << iota // Close called: a FIN follows the data at sndEnd
	peerFin                         // the peer's FIN was received in order
	finPending                      // the peer's FIN arrived beyond a gap, at finSeq
	rttOn                           // a segment ending at rttSeq, sent at rttAt, is being timed
	inRecovery                      // NewReno fast recovery until recover is acknowledged
	ackNow                          // an ACK is owed at once
)

// Conn is one end of a TCP connection. The zero value is unusable: call
// Init, then Connect or Accept. A Conn is 224 bytes; the out-of-order
// list is allocated only when a segment arrives beyond a gap.
//
// # Model
//
// Sequence numbers are real (uint32, wrapping); payload is a byte count.
// RTT is measured on one segment at a time and never on a retransmitted
// one (Karn's rule); the timestamp option is carried for its size and for
// traces only. RTO = max(MinRTO, SRTT + max(G, 4·RTTVAR)), capped at MaxRTO,
// doubled on each expiry; the backoff is kept until a new valid sample
// (RFC 6298 §5.5–5.7). Linux differs slightly: it adds the 200 ms floor to
// the variance term (RTO ≈ SRTT + max(200 ms, 4·RTTVAR)).
//
// Congestion control is RFC 5681 in bytes: slow start from InitialCwnd
// segments (one segment if the handshake needed more than one
// retransmission, as Linux), congestion avoidance by byte counting (RFC
// 3465), fast retransmit on the third duplicate ACK with NewReno recovery
// (RFC 6582), and after an RTO ssthresh = flight/2, cwnd = 1 segment and
// go-back-N from the first unacknowledged byte. The window grows only while
// it limits the sender. A receiver acknowledges at once a segment out of
// order, one that fills a gap, a FIN, or the second full segment since its
// last ACK; otherwise within DelayedAck, unless the application's answer
// (written from inside Deliver) carries the ACK first. SACK, RACK, tail
// loss probes, Linux's quick-ACK mode, keepalive, zero-window probing and
// simultaneous open are not modeled.
//
// # Giving up
//
// A SYN is retransmitted SynRetries times; the next expiry (127 s after the
// first SYN with the defaults) reports ConnectFailed. On an established
// connection Linux counts time, not retransmissions: when the retransmission
// timer expires and the episode has lasted AbortAfter() (924.6 s by
// default, see RetriesTimeout), the Conn reports Timeout. The episode starts
// when the timer of the first unacknowledged segment was armed: the
// segment's first transmission if it went into an idle connection,
// otherwise the ACK that made it the oldest (Linux takes that segment's
// send time, which can be slightly earlier). With a UserTimeout the last
// timer is shortened so the abort falls exactly UserTimeout after the
// start, as Linux does.
type Conn struct {
	p   *Params
	ooo []seqRange // out-of-order data beyond rcvNxt, sorted; nil until needed

	rtoAt   sim.Time // retransmission, handshake, FIN-WAIT-2 or TIME-WAIT deadline; 0 = none
	dackAt  sim.Time // delayed ACK deadline; 0 = none
	timerAt sim.Time // what the env's timer is armed for; 0 = nothing
	stamp   sim.Time // start of the retransmission episode
	rttAt   sim.Time // when the timed segment was sent

	srtt, rttvar, rto time.Duration

	stats Stats

	gen                            uint32 // bumped by Init, so notifications notice a re-Init
	iss, irs                       uint32
	sndUna, sndNxt, sndMax, sndEnd uint32 // sndEnd: after the last byte written
	sndWnd, cwnd, ssthresh         uint32
	caAcc, recover, rttSeq         uint32
	rcvNxt, rcvAcked, finSeq       uint32 // rcvAcked: rcvNxt as last acknowledged
	tsRecent                       uint32

	state                     State
	retries, backoff, dupAcks uint8
	bits                      connBits
}

// notes collects the notifications of one call, to be made once the Conn is
// consistent again.
type notes struct {
	acked, delivered     int
	closed               CloseReason
	established, peerFin bool
}

func (c *Conn) has(b connBits) bool { return c.bits&b != 0 }
func (c *Conn) set(b connBits)      { c.bits |= b }
func (c *Conn) clear(b connBits)    { c.bits &^= b }
func (c *Conn) mss() uint32         { return uint32(max(c.p.MSS, 1)) }

// Init prepares c for a new connection with the given parameters and
// initial sequence number (drawn by the caller from its random stream).
// It keeps the out-of-order buffer of a previous use.
func (c *Conn) Init(p *Params, iss uint32) {
	*c = Conn{
		p:        p,
		ooo:      c.ooo[:0],
		gen:      c.gen + 1,
		iss:      iss,
		sndUna:   iss,
		sndNxt:   iss,
		sndMax:   iss,
		sndEnd:   iss + 1,
		recover:  iss,
		sndWnd:   1 << 30,
		ssthresh: 1 << 30,
	}
	if p != nil {
		c.rto = p.InitialRTO
		c.cwnd = uint32(max(p.InitialCwnd, 1)) * c.mss()
	}
}

// fresh reports whether c was initialised and has not been used yet.
func (c *Conn) fresh() bool { return c.p != nil && c.state == Closed && c.sndMax == c.iss }

// Connect opens the connection actively: it sends a SYN.
func (c *Conn) Connect(env Env, now sim.Time) {
	if !c.fresh() {
		return
	}
	c.state = SynSent
	c.sendHandshake(env, now)
	c.armTimer(env)
}

// Accept opens the connection passively on a received SYN: it answers with
// a SYN-ACK. A segment that is not a bare SYN is ignored.
func (c *Conn) Accept(env Env, now sim.Time, syn Segment) {
	if !c.fresh() || syn.Flags&(SYN|ACK|RST) != SYN {
		return
	}
	c.stats.SegmentsReceived++
	c.irs = syn.Seq
	c.rcvNxt = syn.Seq + 1
	c.rcvAcked = c.rcvNxt
	c.tsRecent = syn.TSval
	if syn.Wnd != 0 {
		c.sndWnd = syn.Wnd
	}
	c.state = SynReceived
	c.sendHandshake(env, now)
	c.armTimer(env)
}

// sendHandshake sends (or resends) our SYN or SYN-ACK and times it.
func (c *Conn) sendHandshake(env Env, now sim.Time) {
	fl := SYN
	if c.state == SynReceived {
		fl |= ACK
	}
	if c.sndMax == c.iss {
		c.set(rttOn)
		c.rttSeq, c.rttAt = c.iss+1, now
		c.sndNxt, c.sndMax = c.iss+1, c.iss+1
	}
	c.sendSeg(env, now, c.iss, 0, fl)
	c.armRTO(now)
}

// Write queues n more bytes for sending; bytes written during the
// handshake go once it completes. It is ignored after Close, in states
// that cannot send any more, and beyond 1 GiB of unacknowledged data
// (counted in Stats.BytesRefused).
func (c *Conn) Write(env Env, now sim.Time, n int) {
	if n <= 0 || c.has(finQueued) {
		return
	}
	switch c.state {
	case SynSent, SynReceived, Established, CloseWait:
	default:
		return
	}
	if uint64(c.sndEnd-c.sndUna)+uint64(n) > maxQueued {
		c.stats.BytesRefused += uint64(n)
		return
	}
	c.sndEnd += uint32(n)
	c.output(env, now)
	c.armTimer(env)
}

// Close closes our direction gracefully: a FIN follows the queued data. The
// Conn keeps receiving until the peer's FIN. Before the handshake completes
// on the active side it just ends the attempt (Closed(Normal)).
func (c *Conn) Close(env Env, now sim.Time) {
	switch c.state {
	case SynSent:
		c.die(env, Normal)
		return
	case SynReceived:
		c.set(finQueued) // FIN-WAIT-1 once established
		return
	case Established:
		c.state = FinWait1
	case CloseWait:
		c.state = LastAck
	default:
		return
	}
	c.set(finQueued)
	c.output(env, now)
	c.armTimer(env)
}

// Abort ends the connection at once: it sends a reset (unless no SYN-ACK
// was seen yet, as Linux) and reports Closed(LocalAbort).
func (c *Conn) Abort(env Env, now sim.Time) {
	switch c.state {
	case Closed:
		return
	case SynSent:
	default:
		c.sendSeg(env, now, c.sndMax, 0, RST|ACK)
	}
	c.die(env, LocalAbort)
}

// Receive handles a segment from the peer. Segments for a Closed Conn are
// ignored; the env answers those with ResetFor.
func (c *Conn) Receive(env Env, now sim.Time, seg Segment) {
	if c.state == Closed || seg.Len < 0 {
		return
	}
	c.stats.SegmentsReceived++
	gen := c.gen
	var n notes
	c.receive(env, now, seg, &n)
	c.finish(env, now, gen, &n)
}

// OnTimer handles the expiry of the timer last set through env.SetTimer.
func (c *Conn) OnTimer(env Env, now sim.Time) {
	if c.state == Closed {
		return
	}
	c.timerAt = 0 // one-shot: the env's timer is spent
	gen := c.gen
	var n notes
	if c.dackAt != 0 && c.dackAt <= now {
		c.dackAt = 0
		c.set(ackNow)
	}
	if c.rtoAt != 0 && c.rtoAt <= now {
		c.rtoAt = 0
		c.expire(env, now, &n)
	}
	c.finish(env, now, gen, &n)
}

// finish makes the notifications of one call, then sends what is owed and
// re-arms the timer. Notifications may re-enter the Conn; after each one it
// stops if the Conn died or was re-initialised.
func (c *Conn) finish(env Env, now sim.Time, gen uint32, n *notes) {
	if n.established {
		env.Established()
		if !c.alive(gen) {
			return
		}
	}
	if n.acked > 0 {
		env.Acked(n.acked)
		if !c.alive(gen) {
			return
		}
	}
	if n.delivered > 0 {
		env.Deliver(n.delivered)
		if !c.alive(gen) {
			return
		}
	}
	if n.peerFin {
		if pc, ok := env.(PeerCloser); ok {
			pc.PeerClosed()
			if !c.alive(gen) {
				return
			}
		}
	}
	if n.closed == 0 {
		c.output(env, now)
	}
	if c.has(ackNow) && (n.closed == 0 || n.closed == Normal) {
		c.sendSeg(env, now, c.sndMax, 0, ACK)
	}
	if n.closed != 0 {
		c.die(env, n.closed)
		return
	}
	c.armTimer(env)
}

func (c *Conn) alive(gen uint32) bool { return c.gen == gen && c.state != Closed }

// die ends the connection.
func (c *Conn) die(env Env, reason CloseReason) {
	c.state = Closed
	c.rtoAt, c.dackAt = 0, 0
	c.bits = 0
	if c.timerAt != 0 {
		c.timerAt = 0
		env.SetTimer(0)
	}
	env.Closed(reason)
}

// armTimer asks the env for the earliest of the Conn's deadlines.
func (c *Conn) armTimer(env Env) {
	at := c.rtoAt
	if c.dackAt != 0 && (at == 0 || c.dackAt < at) {
		at = c.dackAt
	}
	if at != c.timerAt {
		c.timerAt = at
		env.SetTimer(at)
	}
}

// curRTO is the RTO with the current backoff.
func (c *Conn) curRTO() time.Duration {
	d := c.rto
	for i := uint8(0); i < c.backoff && d < c.p.MaxRTO; i++ {
		d *= 2
	}
	return min(d, c.p.MaxRTO)
}

// armRTO (re)starts the retransmission timer.
func (c *Conn) armRTO(now sim.Time) {
	if c.retries == 0 {
		c.stamp = now
	}
	at := now.Add(max(c.curRTO(), time.Millisecond)) // never 0, even with bad Params
	if ut := c.p.UserTimeout; ut > 0 && c.retries > 0 && c.state >= Established {
		at = min(at, max(c.stamp.Add(ut), now+1))
	}
	c.rtoAt = at
}

// sample feeds one RTT measurement to the RFC 6298 estimator.
func (c *Conn) sample(r time.Duration) {
	r = max(r, 1)
	if c.srtt == 0 {
		c.srtt, c.rttvar = r, r/2
	} else {
		d := c.srtt - r
		if d < 0 {
			d = -d
		}
		c.rttvar = (3*c.rttvar + d) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = min(max(c.srtt+max(c.p.Granularity, 4*c.rttvar), c.p.MinRTO), c.p.MaxRTO)
	c.backoff = 0
}

// sendSeg transmits one segment; every segment but a SYN carries our ACK.
func (c *Conn) sendSeg(env Env, now sim.Time, seq, n uint32, fl Flags) {
	seg := Segment{
		Seq:   seq,
		Flags: fl,
		Len:   int32(n),
		Wnd:   uint32(max(c.p.RcvWnd, 1)),
		TSval: uint32(int64(now)/int64(time.Millisecond)) + c.iss,
		TSecr: c.tsRecent,
	}
	if fl&ACK != 0 {
		seg.Ack = c.rcvNxt
		c.clear(ackNow)
		c.dackAt = 0
		c.rcvAcked = c.rcvNxt
	}
	c.stats.SegmentsSent++
	c.stats.BytesSent += uint64(n)
	env.Send(seg)
}

// sendData sends n bytes (and a FIN if fl says so) from seq and returns the
// sequence number after them.
func (c *Conn) sendData(env Env, now sim.Time, seq, n uint32, fl Flags) uint32 {
	end := seq + n
	if fl&FIN != 0 {
		end++
	}
	if seqLT(seq, c.sndMax) {
		c.stats.Retransmits++
		c.stats.BytesRetransmit += uint64(n)
		if c.has(rttOn) && seqLT(seq, c.rttSeq) {
			c.clear(rttOn) // Karn: an ACK covering it would be ambiguous
		}
	} else if !c.has(rttOn) {
		c.set(rttOn)
		c.rttSeq, c.rttAt = end, now
	}
	if seqGT(end, c.sndMax) {
		c.sndMax = end
	}
	if c.rtoAt == 0 {
		c.armRTO(now)
	}
	c.sendSeg(env, now, seq, n, fl)
	return end
}

// output sends what the windows allow.
func (c *Conn) output(env Env, now sim.Time) {
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return
	}
	mss := c.mss()
	for {
		queued := uint32(c.Unsent())
		finToSend := c.has(finQueued) && c.sndNxt == c.sndEnd
		if queued == 0 && !finToSend {
			return
		}
		flight := c.sndNxt - c.sndUna
		wnd := min(c.cwnd, c.sndWnd)
		var room uint32
		if wnd > flight {
			room = wnd - flight
		}
		n := min(queued, mss)
		if n > room {
			if flight > 0 || room == 0 {
				return // wait for ACKs rather than send a runt
			}
			n = room
		}
		if c.p.Nagle && n < mss && flight > 0 && n > 0 {
			return
		}
		fl := ACK
		if n > 0 && c.sndNxt+n == c.sndEnd {
			fl |= PSH
		}
		if c.has(finQueued) && c.sndNxt+n == c.sndEnd {
			fl |= FIN
		}
		c.sndNxt = c.sendData(env, now, c.sndNxt, n, fl)
	}
}

// retransmitHead resends the first unacknowledged segment.
func (c *Conn) retransmitHead(env Env, now sim.Time) {
	var n uint32
	if seqLT(c.sndUna, c.sndEnd) {
		n = min(c.sndEnd-c.sndUna, c.mss())
	}
	fl := ACK
	if n > 0 && c.sndUna+n == c.sndEnd {
		fl |= PSH
	}
	if c.has(finQueued) && c.sndUna+n == c.sndEnd && seqGT(c.sndMax, c.sndEnd) {
		fl |= FIN
	}
	if n == 0 && fl&FIN == 0 {
		return
	}
	c.sendData(env, now, c.sndUna, n, fl)
}

// expire handles the retransmission (or state) deadline.
func (c *Conn) expire(env Env, now sim.Time, n *notes) {
	switch c.state {
	case FinWait2:
		n.closed = Timeout // the peer never closed its side
		return
	case TimeWait:
		n.closed = Normal
		return
	case SynSent, SynReceived:
		limit := c.p.SynRetries
		if c.state == SynReceived {
			limit = c.p.SynAckRetries
		}
		c.stats.Timeouts++
		if int(c.retries) >= limit || c.retries == 255 {
			n.closed = ConnectFailed
			return
		}
		c.retries++
		c.backoff++
		c.stats.Retransmits++
		c.clear(rttOn)
		c.sendHandshake(env, now)
		return
	}
	if c.sndUna == c.sndMax {
		return // nothing outstanding
	}
	c.stats.Timeouts++
	if c.retries > 0 && now.Sub(c.stamp) >= c.p.AbortAfter() || c.retries == 255 {
		if c.p.UserTimeout > 0 {
			n.closed = UserTimeout
		} else {
			n.closed = Timeout
		}
		return
	}
	c.retries++
	c.backoff = min(c.backoff+1, 64)
	mss := c.mss()
	c.ssthresh = max((c.sndMax-c.sndUna)/2, 2*mss)
	c.cwnd, c.caAcc = mss, 0
	c.clear(inRecovery | rttOn)
	c.recover = c.sndMax
	c.dupAcks = 0
	c.sndNxt = c.sndUna // go-back-N; finish's output sends the first segment
	c.armRTO(now)
}

// receive updates the Conn for one segment.
func (c *Conn) receive(env Env, now sim.Time, seg Segment, n *notes) {
	if seg.Flags&RST != 0 {
		c.onReset(seg, n)
		return
	}
	switch c.state {
	case SynSent:
		if seg.Flags&(SYN|ACK) != SYN|ACK || seg.Ack != c.iss+1 {
			return // simultaneous open and stray ACKs are not modeled
		}
		c.irs = seg.Seq
		c.rcvNxt = seg.Seq + 1
		c.tsRecent = seg.TSval
		if seg.Wnd != 0 {
			c.sndWnd = seg.Wnd
		}
		c.establish(now, n)
		c.sendSeg(env, now, c.sndMax, 0, ACK) // the third segment, before any data
		return
	case SynReceived:
		if seg.Flags&(SYN|ACK) == SYN {
			if seg.Seq == c.irs { // the peer did not get our SYN-ACK
				c.stats.Retransmits++
				c.sendSeg(env, now, c.iss, 0, SYN|ACK)
			}
			return
		}
		if seg.Flags&ACK == 0 || seg.Ack != c.iss+1 {
			return
		}
		c.establish(now, n)
		// The ACK may carry data: go on.
	}
	if seg.Flags&SYN != 0 {
		// A retransmitted SYN-ACK (our ACK was lost) or a stray SYN:
		// acknowledge.
		c.set(ackNow)
		return
	}
	if seg.Flags&ACK == 0 {
		return
	}
	c.tsRecent = seg.TSval
	if c.state == FinWait2 && c.p.FinTimeout > 0 {
		c.rtoAt = now.Add(c.p.FinTimeout) // the peer is alive: wait on
	}
	c.processAck(env, now, seg, n)
	if n.closed != 0 {
		return
	}
	c.processData(now, seg, n)
}

// establish completes the handshake on an acceptable SYN-ACK or ACK.
func (c *Conn) establish(now sim.Time, n *notes) {
	c.sndUna = c.iss + 1
	c.rcvAcked = c.rcvNxt
	if c.has(rttOn) {
		c.clear(rttOn)
		c.sample(now.Sub(c.rttAt))
	} else if c.srtt == 0 && c.p.FallbackRTO > 0 {
		c.rto = c.p.FallbackRTO // RFC 6298 §5.7
	}
	if c.stats.Retransmits > 1 {
		c.cwnd = c.mss() // Linux: a lossy handshake starts with one segment
	}
	c.retries, c.backoff = 0, 0
	c.rtoAt = 0
	c.state = Established
	if c.has(finQueued) { // Close was called during the handshake
		c.state = FinWait1
	}
	n.established = true
}

// onReset handles a received RST.
func (c *Conn) onReset(seg Segment, n *notes) {
	switch c.state {
	case SynSent:
		if seg.Flags&ACK != 0 && seg.Ack == c.iss+1 {
			n.closed = Refused
		}
		return
	case TimeWait:
		n.closed = Normal // the connection had completed (Linux lets a reset end TIME-WAIT)
		return
	}
	// Accept a reset whose sequence number is in the receive window
	// (RFC 9293 §3.10.7.4; the RFC 5961 challenge ACK is not modeled).
	if seg.Seq == c.rcvNxt || seqGT(seg.Seq, c.rcvNxt) && seqLT(seg.Seq, c.rcvNxt+uint32(max(c.p.RcvWnd, 1))) {
		n.closed = PeerReset
	}
}

// processAck handles the acknowledgment field of a segment.
func (c *Conn) processAck(env Env, now sim.Time, seg Segment, n *notes) {
	ack := seg.Ack
	if seg.Wnd != 0 {
		c.sndWnd = seg.Wnd
	}
	if seqGT(ack, c.sndMax) {
		c.set(ackNow) // acknowledges what we never sent
		return
	}
	if seqGT(ack, c.sndUna) {
		c.ackAdvance(env, now, ack, n)
		return
	}
	if ack == c.sndUna && seg.Len == 0 && seg.Flags&FIN == 0 && c.sndMax != c.sndUna {
		c.dupAck(env, now)
	}
}

// ackAdvance handles an ACK of new data.
func (c *Conn) ackAdvance(env Env, now sim.Time, ack uint32, n *notes) {
	mss := c.mss()
	outstanding := c.sndMax - c.sndUna
	acked := ack - c.sndUna
	data := acked
	finAcked := c.has(finQueued) && ack == c.sndEnd+1
	if finAcked {
		data--
	}
	c.sndUna = ack
	if seqLT(c.sndNxt, ack) {
		c.sndNxt = ack
	}
	if c.has(rttOn) && seqLE(c.rttSeq, ack) {
		c.clear(rttOn)
		c.sample(now.Sub(c.rttAt))
	}
	c.retries, c.dupAcks = 0, 0
	switch {
	case c.has(inRecovery) && seqLT(ack, c.recover):
		// Partial ACK (RFC 6582 §3.2 step 5): resend the next hole and
		// deflate the window by what was acknowledged.
		c.retransmitHead(env, now)
		c.cwnd -= min(acked, c.cwnd-mss)
		if acked >= mss {
			c.cwnd += mss
		}
	case c.has(inRecovery):
		c.clear(inRecovery)
		c.cwnd = c.ssthresh
	case c.cwnd < c.ssthresh:
		if c.cwnd < 2*outstanding { // grow only while the window limits
			c.cwnd = min(c.cwnd+acked, c.ssthresh)
		}
	default:
		if outstanding+mss >= c.cwnd {
			c.caAcc += acked
			if c.caAcc >= c.cwnd {
				c.caAcc -= c.cwnd
				c.cwnd = min(c.cwnd+mss, 1<<30)
			}
		}
	}
	c.rtoAt = 0
	if c.sndUna != c.sndMax {
		c.armRTO(now)
	}
	n.acked += int(data)
	if finAcked {
		switch c.state {
		case FinWait1:
			c.state = FinWait2
			if c.p.FinTimeout > 0 {
				c.rtoAt = now.Add(c.p.FinTimeout)
			}
		case Closing:
			c.enterTimeWait(now, n)
		case LastAck:
			n.closed = Normal
		}
	}
}

// dupAck handles a duplicate ACK (RFC 5681 §3.2, RFC 6582).
func (c *Conn) dupAck(env Env, now sim.Time) {
	c.dupAcks = min(c.dupAcks+1, 255)
	mss := c.mss()
	if c.has(inRecovery) {
		c.cwnd = min(c.cwnd+mss, 1<<30) // each dup ACK: a segment has left the network
		return
	}
	if c.dupAcks != 3 || !seqGT(c.sndUna, c.recover) {
		return
	}
	c.ssthresh = max((c.sndMax-c.sndUna)/2, 2*mss)
	c.recover = c.sndMax
	c.set(inRecovery)
	c.stats.FastRetransmits++
	c.retransmitHead(env, now)
	c.cwnd = c.ssthresh + 3*mss
}

// processData handles the payload and FIN of a segment.
func (c *Conn) processData(now sim.Time, seg Segment, n *notes) {
	fin := seg.Flags&FIN != 0
	if seg.Len == 0 && !fin {
		return
	}
	if c.has(peerFin) { // only retransmissions come after the FIN
		c.set(ackNow)
		if c.state == TimeWait {
			c.rtoAt = now.Add(c.p.TimeWait)
		}
		return
	}
	seq := seg.Seq
	end := seq + uint32(seg.Len)
	if seqLT(end, c.rcvNxt) || end == c.rcvNxt && !fin {
		c.set(ackNow) // an old duplicate: our ACK was lost
		return
	}
	wndEnd := c.rcvNxt + uint32(max(c.p.RcvWnd, 1))
	if !seqLT(seq, wndEnd) {
		c.set(ackNow)
		return
	}
	if seqGT(end, wndEnd) {
		end, fin = wndEnd, false
	}
	if seqLT(seq, c.rcvNxt) {
		seq = c.rcvNxt
	}
	if seq != c.rcvNxt {
		// Out of order: keep the range, send a duplicate ACK at once.
		c.addRange(seq, end)
		if fin {
			c.set(finPending)
			c.finSeq = end
		}
		c.set(ackNow)
		return
	}
	hadGap := len(c.ooo) > 0
	delivered := end - c.rcvNxt
	c.rcvNxt = end
	delivered += c.pullRanges()
	if c.has(finPending) && c.rcvNxt == c.finSeq {
		fin = true
	}
	n.delivered += int(delivered)
	switch {
	case fin:
		c.rcvNxt++
		c.set(peerFin | ackNow)
		c.clear(finPending)
		n.peerFin = true
		switch c.state {
		case Established:
			c.state = CloseWait
		case FinWait1:
			c.state = Closing
		case FinWait2:
			c.enterTimeWait(now, n)
		}
	case hadGap || c.p.DelayedAck <= 0 || c.rcvNxt-c.rcvAcked > c.mss():
		// At once: a segment that fills a gap (RFC 5681 §4.2), the
		// second full segment, or delayed ACKs off.
		c.set(ackNow)
	case c.dackAt == 0:
		c.dackAt = now.Add(c.p.DelayedAck)
	}
}

// enterTimeWait ends the connection or lingers in TIME-WAIT.
func (c *Conn) enterTimeWait(now sim.Time, n *notes) {
	if c.p.TimeWait <= 0 {
		n.closed = Normal
		return
	}
	c.state = TimeWait
	c.rtoAt = now.Add(c.p.TimeWait)
}

// addRange records out-of-order data [s, e), merging neighbours.
func (c *Conn) addRange(s, e uint32) {
	if !seqLT(s, e) {
		return
	}
	r := c.ooo
	i := 0
	for i < len(r) && seqLE(r[i].start, s) {
		i++
	}
	if i > 0 && seqLE(s, r[i-1].end) {
		i--
		if seqGT(e, r[i].end) {
			r[i].end = e
		}
	} else {
		if len(r) >= maxRanges {
			return
		}
		if r == nil {
			r = make([]seqRange, 0, 4)
		}
		r = append(r, seqRange{})
		copy(r[i+1:], r[i:])
		r[i] = seqRange{s, e}
	}
	j := i + 1
	for j < len(r) && seqLE(r[j].start, r[i].end) {
		if seqGT(r[j].end, r[i].end) {
			r[i].end = r[j].end
		}
		j++
	}
	c.ooo = append(r[:i+1], r[j:]...)
}

// pullRanges moves rcvNxt over buffered ranges that became contiguous and
// returns the bytes that became deliverable.
func (c *Conn) pullRanges() uint32 {
	var n uint32
	k := 0
	for k < len(c.ooo) && seqLE(c.ooo[k].start, c.rcvNxt) {
		if seqGT(c.ooo[k].end, c.rcvNxt) {
			n += c.ooo[k].end - c.rcvNxt
			c.rcvNxt = c.ooo[k].end
		}
		k++
	}
	if k > 0 {
		c.ooo = append(c.ooo[:0], c.ooo[k:]...)
	}
	return n
}

// State is the connection's state.
func (c *Conn) State() State { return c.state }

// Stats are the connection's counters.
func (c *Conn) Stats() Stats { return c.stats }

// RTO is the current retransmission timeout, backoff included.
func (c *Conn) RTO() time.Duration {
	if c.p == nil {
		return 0
	}
	return c.curRTO()
}

// SRTT is the smoothed round-trip time; 0 before the first sample.
func (c *Conn) SRTT() time.Duration { return c.srtt }

// RTTVar is the round-trip time variation.
func (c *Conn) RTTVar() time.Duration { return c.rttvar }

// Cwnd is the congestion window in bytes.
func (c *Conn) Cwnd() int { return int(c.cwnd) }

// InFlight is the number of sent, unacknowledged sequence numbers.
func (c *Conn) InFlight() int { return int(c.sndMax - c.sndUna) }

// Unsent is the number of written bytes not sent yet.
func (c *Conn) Unsent() int {
	if seqLT(c.sndNxt, c.sndEnd) {
		return int(c.sndEnd - c.sndNxt)
	}
	return 0
}

// PeerClosed reports whether the peer's FIN has arrived (in order).
func (c *Conn) PeerClosed() bool { return c.has(peerFin) }
