package mqttlive

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/iotsim/iotsim/protocols/mqtt"
	"github.com/iotsim/iotsim/sim"
)

// ErrClosed is returned by calls on a closed Broker or Client.
var ErrClosed = errors.New("mqttlive: closed")

// MaxPacketBytes is the largest packet a connection accepts (fixed header
// included); a larger one is treated as malformed. It bounds the read
// buffer, which starts small and grows only for a large packet.
const MaxPacketBytes = 16 << 20

const (
	// outQueue is how many encoded packets a connection may have waiting
	// for its writer; beyond that the peer is not reading and the
	// connection is aborted rather than block the engine.
	outQueue = 1024
	// writeTimeout bounds one write to the socket.
	writeTimeout = 10 * time.Second
	// lingerTimeout is how long a connection we closed gracefully (FIN
	// after the last packet) waits for the peer's FIN before it is torn
	// down. Closing at once with unread bytes would send RST, which can
	// destroy the last packets (a refusing CONNACK) before the peer reads
	// them.
	lingerTimeout = 2 * time.Second
	// readChunk is the initial read buffer and the least free space a read
	// is given.
	readChunk = 4096
)

type eventKind uint8

const (
	evOpen      eventKind = iota + 1 // broker: a connection was accepted (tcp)
	evDialed                         // client: a dial finished (tcp, or err)
	evPacket                         // a packet arrived on l (p)
	evMalformed                      // the bytes on l did not parse (err)
	evClosed                         // the reader of l ended: peer closed, reset, or we closed
)

// event is an input from a goroutine other than the engine's.
type event struct {
	kind eventKind
	l    *link
	tcp  *net.TCPConn
	gen  uint64 // client: the dial the event answers
	p    mqtt.Packet
	err  error
}

// handler is the engine side of a loop; the loop calls it from its own
// goroutine only.
type handler interface {
	event(ev *event)
	fire(now sim.Time)
	deadline() sim.Time // the next time fire is due, 0 for none
	stop()              // the loop is ending: release waiters
	// outbox is a received message waiting for room in the channel
	// ch to the application (nil: none). While one waits, the loop takes
	// no events, so the connection's reader stops and TCP pushes back on
	// the broker, but it still serves calls and timers.
	outbox() (ch chan<- Message, m Message)
	delivered() // the outbox message was sent
}

// loop is the goroutine that owns an engine, with the wall-clock timer and
// the set of connections it started.
type loop struct {
	origin time.Time
	events chan event
	calls  chan func()
	quit   chan struct{}
	timer  *time.Timer
	armed  sim.Time           // what timer is set for, 0 for nothing
	links  map[*link]struct{} // every link whose reader has not been reaped
	wg     sync.WaitGroup     // every goroutine of the loop
	once   sync.Once
	closer func()          // closes what feeds events from outside (a listener)
	ctx    context.Context // cancelled when the loop closes (dials)
	cancel context.CancelFunc
}

func newLoop() *loop {
	l := &loop{
		origin: time.Now().Add(-time.Second),
		events: make(chan event, 64),
		calls:  make(chan func()),
		quit:   make(chan struct{}),
		timer:  time.NewTimer(time.Hour),
		links:  map[*link]struct{}{},
	}
	l.timer.Stop()
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

func (lp *loop) now() sim.Time { return sim.Time(time.Since(lp.origin)) }

func (lp *loop) start(h handler) {
	lp.wg.Add(1)
	go lp.run(h)
}

// run is the only goroutine that touches the engine.
func (lp *loop) run(h handler) {
	defer lp.wg.Done()
	defer func() {
		h.stop()
		for l := range lp.links {
			l.abort()
		}
	}()
	for {
		events := lp.events
		out, m := h.outbox()
		if out != nil {
			events = nil
		}
		select {
		case out <- m:
			h.delivered()
		case ev := <-events:
			h.event(&ev)
			if ev.kind == evClosed {
				// The reader is gone: nothing of this link can arrive
				// any more.
				ev.l.abort()
				delete(lp.links, ev.l)
			}
		case f := <-lp.calls:
			f()
		case <-lp.timer.C:
			lp.armed = 0
			h.fire(lp.now())
		case <-lp.quit:
			lp.timer.Stop()
			return
		}
		lp.arm(h.deadline())
	}
}

// arm sets the wall-clock timer for simulated time at.
func (lp *loop) arm(at sim.Time) {
	if at == lp.armed {
		return
	}
	lp.armed = at
	if at == 0 {
		lp.timer.Stop()
		return
	}
	lp.timer.Reset(time.Duration(at - lp.now())) // ≤ 0 fires at once
}

// post hands ev to the engine goroutine; false if the loop has ended.
func (lp *loop) post(ev event) bool {
	select {
	case lp.events <- ev:
		return true
	case <-lp.quit:
		return false
	}
}

// do runs f on the engine goroutine and waits until it has run.
func (lp *loop) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	g := func() { f(); close(done) }
	select {
	case lp.calls <- g:
	case <-lp.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done // f runs promptly: the engine goroutine never blocks
	return nil
}

// close stops every goroutine and closes every socket of the loop.
func (lp *loop) close() error {
	err := ErrClosed
	lp.once.Do(func() {
		close(lp.quit)
		lp.cancel()
		if lp.closer != nil {
			lp.closer()
		}
		lp.wg.Wait()
		// Every goroutine that posts is gone; close the sockets of
		// connections the engine never saw.
		for {
			select {
			case ev := <-lp.events:
				if ev.tcp != nil {
					ev.tcp.Close()
				}
				continue
			default:
			}
			break
		}
		err = nil
	})
	return err
}

// link is one TCP connection with its reader and writer goroutines.
type link struct {
	tcp  *net.TCPConn
	out  chan []byte   // encoded packets for the writer
	done chan struct{} // closed when the reader has ended
	id   mqtt.ConnID   // the broker's name for it
	gen  uint64        // the client's dial generation

	closing bool // engine goroutine only: out is closed
}

// newLink registers a link for tcp; call startLink once the engine knows
// it, so that no packet arrives before.
func (lp *loop) newLink(tcp *net.TCPConn) *link {
	l := &link{tcp: tcp, out: make(chan []byte, outQueue), done: make(chan struct{})}
	lp.links[l] = struct{}{}
	return l
}

func (lp *loop) startLink(l *link) {
	lp.wg.Add(2)
	go lp.read(l)
	go lp.write(l)
}

// send queues one encoded packet; a full queue aborts the connection (its
// reader then reports evClosed). Engine goroutine only.
func (l *link) send(b []byte) {
	if l.closing {
		return
	}
	select {
	case l.out <- b:
	default:
		l.abort()
	}
}

// finish closes the connection gracefully: the writer sends what is
// queued, then FIN, and the reader waits for the peer's FIN at most
// lingerTimeout. Engine goroutine only.
func (l *link) finish() {
	if !l.closing {
		l.closing = true
		close(l.out)
	}
}

// abort closes the socket at once, dropping what is queued. Engine
// goroutine only.
func (l *link) abort() {
	l.finish()
	l.tcp.Close()
}

// read decodes the byte stream of l into packets for the engine, then
// reports evClosed when the stream ends. After a malformed packet it goes
// on reading, discarding, so that the end of the connection is seen.
func (lp *loop) read(l *link) {
	defer lp.wg.Done()
	defer close(l.done)
	dec := mqtt.Decoder{MaxPacketBytes: MaxPacketBytes}
	buf := make([]byte, 0, readChunk)
	r := 0 // buf[r:] is not parsed yet
	bad := false
	for {
		for !bad {
			p, n, err := dec.Parse(buf[r:])
			if err == mqtt.ErrIncomplete {
				break
			}
			if err != nil {
				bad = true
				if !lp.post(event{kind: evMalformed, l: l, err: err}) {
					return
				}
				break
			}
			r += n
			detach(&p)
			if !lp.post(event{kind: evPacket, l: l, p: p}) {
				return
			}
		}
		switch {
		case bad || r == len(buf):
			buf, r = buf[:0], 0
		case r > 0:
			buf, r = buf[:copy(buf, buf[r:])], 0
		}
		if cap(buf)-len(buf) < readChunk/2 {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := l.tcp.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			lp.post(event{kind: evClosed, l: l, err: err})
			return
		}
	}
}

// write sends what the engine queued on l, several packets per system
// call when they pile up. When out is closed it sends FIN.
func (lp *loop) write(l *link) {
	defer lp.wg.Done()
	var bufs net.Buffers
	for {
		var b []byte
		ok := true
		select {
		case b, ok = <-l.out:
		case <-lp.quit:
			return
		}
		bufs = bufs[:0]
	gather:
		for ok {
			bufs = append(bufs, b)
			if len(bufs) == 64 {
				break
			}
			select {
			case b, ok = <-l.out:
			default:
				break gather
			}
		}
		if len(bufs) > 0 {
			l.tcp.SetWriteDeadline(time.Now().Add(writeTimeout))
			w := bufs // WriteTo consumes its receiver
			if _, err := w.WriteTo(l.tcp); err != nil {
				l.tcp.Close() // the reader sees it and reports evClosed
				return
			}
			clear(bufs[:cap(bufs)])
		}
		if !ok {
			l.tcp.CloseWrite()
			l.tcp.SetReadDeadline(time.Now().Add(lingerTimeout))
			return
		}
	}
}

// detach copies the byte fields of a parsed packet out of the read
// buffer, which is reused.
func detach(p *mqtt.Packet) {
	p.Payload = bytes.Clone(p.Payload)
	p.ReturnCodes = bytes.Clone(p.ReturnCodes)
	if c := p.Connect; c != nil {
		c.WillMessage = bytes.Clone(c.WillMessage)
		c.Password = bytes.Clone(c.Password)
	}
}

// encode returns the wire bytes of p in a buffer of their own (the writer
// owns it until it is written).
func encode(p *mqtt.Packet) []byte {
	return mqtt.Append(make([]byte, 0, mqtt.Size(p)), p)
}
