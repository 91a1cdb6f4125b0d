package coaplive

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/iotsim/iotsim/protocols/coap"
	"github.com/iotsim/iotsim/sim"
)

// ErrClosed is returned by calls on a closed Server or Client.
var ErrClosed = errors.New("coaplive: closed")

// maxDatagram is the largest UDP payload over IPv4.
const maxDatagram = 65507

// datagram is one received UDP payload in a buffer of its own.
type datagram struct {
	b    []byte
	from netip.AddrPort
}

// handler is the engine side of a loop.
type handler interface {
	datagram(d datagram)
	fire(now sim.Time)
	deadline() sim.Time // the next time fire is due, 0 for none
	stop()              // the loop is ending: release waiters
}

// loop owns a socket, a reader goroutine and the goroutine that owns the
// engine.
type loop struct {
	conn   *net.UDPConn
	origin time.Time
	in     chan datagram
	calls  chan func()
	quit   chan struct{}
	timer  *time.Timer
	armed  sim.Time // what timer is set for, 0 for nothing
	wbuf   []byte   // encoding buffer, used by the engine goroutine only
	wg     sync.WaitGroup
	once   sync.Once
}

func newLoop(conn *net.UDPConn) *loop {
	l := &loop{
		conn:   conn,
		origin: time.Now().Add(-time.Second),
		in:     make(chan datagram, 64),
		calls:  make(chan func()),
		quit:   make(chan struct{}),
		timer:  time.NewTimer(time.Hour),
	}
	l.timer.Stop()
	return l
}

// seed returns a fresh random stream for an engine.
func seed(role string) sim.Stream { return sim.NewStream(rand.Uint64(), "coaplive", role) }

func (l *loop) now() sim.Time { return sim.Time(time.Since(l.origin)) }

func (l *loop) start(h handler) {
	l.wg.Add(2)
	go l.read()
	go l.run(h)
}

// read copies every datagram into its own buffer and hands it to run.
func (l *loop) read() {
	defer l.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// E.g. ECONNREFUSED after an ICMP port unreachable on a
			// connected socket: UDP goes on.
			select {
			case <-l.quit:
				return
			default:
				continue
			}
		}
		select {
		case l.in <- datagram{bytes.Clone(buf[:n]), from}:
		case <-l.quit:
			return
		}
	}
}

// run is the only goroutine that touches the engine.
func (l *loop) run(h handler) {
	defer l.wg.Done()
	defer h.stop()
	for {
		select {
		case d := <-l.in:
			h.datagram(d)
		case f := <-l.calls:
			f()
		case <-l.timer.C:
			l.armed = 0
			h.fire(l.now())
		case <-l.quit:
			l.timer.Stop()
			return
		}
		l.arm(h.deadline())
	}
}

// arm sets the wall-clock timer for simulated time at.
func (l *loop) arm(at sim.Time) {
	if at == l.armed {
		return
	}
	l.armed = at
	if at == 0 {
		l.timer.Stop()
		return
	}
	l.timer.Reset(time.Duration(at - l.now())) // ≤ 0 fires at once
}

// do runs f on the engine goroutine and waits until it has run.
func (l *loop) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	g := func() { f(); close(done) }
	select {
	case l.calls <- g:
	case <-l.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done // f runs promptly: the engine goroutine never blocks
	return nil
}

// encode encodes m into the loop's buffer.
func (l *loop) encode(m *coap.Message) []byte {
	l.wbuf = coap.Append(l.wbuf[:0], *m)
	return l.wbuf
}

// close stops both goroutines and closes the socket.
func (l *loop) close() error {
	err := ErrClosed
	l.once.Do(func() {
		close(l.quit)
		err = l.conn.Close()
		l.wg.Wait()
	})
	return err
}

// clone returns a deep copy of m that shares no memory with it.
func clone(m *coap.Message) coap.Message {
	c, err := coap.Parse(coap.Append(nil, *m))
	if err != nil {
		// Every message the engine hands out came from Parse or was
		// built to be sent; copy by hand what the codec refused.
		c = *m
		c.Options = append(coap.Options(nil), m.Options...)
		c.Payload = bytes.Clone(m.Payload)
	}
	return c
}
