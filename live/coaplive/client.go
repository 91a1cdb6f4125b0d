package coaplive

import (
	"bytes"
	"context"
	"fmt"
	"net"

	"github.com/iotsim/iotsim/protocols/coap"
	"github.com/iotsim/iotsim/sim"
)

// FailedError is the error of a request that got no response.
type FailedError struct{ Failure coap.Failure }

func (e *FailedError) Error() string { return "coap: request failed: " + e.Failure.String() }

// ObserveBuffer is the number of notifications an observation channel
// holds; when the application falls behind, the oldest is dropped.
const ObserveBuffer = 16

// Client is a coap.Client talking to one server over a connected UDP
// socket.
type Client struct {
	l      *loop
	eng    coap.Client
	rng    sim.Stream
	params coap.Params
	at     sim.Time // the engine's timer, 0 for none

	ref     uint64
	waiting map[uint64]chan result
	obs     []chan coap.Message // by observation index; nil once cancelled
	stats   ClientStats
}

// ClientStats are the adapter's counters.
type ClientStats struct {
	Datagrams     int64 // datagrams received
	Malformed     int64 // datagrams that did not parse
	SendErrors    int64 // datagrams the socket refused
	Notifications int64 // fresh notifications handed out
	Stale         int64 // notifications older than one already seen (RFC 7641 §3.4)
	Dropped       int64 // notifications dropped because a channel was full
}

type result struct {
	m   coap.Message
	err error
}

// Dial returns a client for the server at addr. A nil p means
// coap.DefaultParams; p is copied.
func Dial(addr string, p *coap.Params) (*Client, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, err
	}
	c := &Client{rng: seed("client"), waiting: map[uint64]chan result{}}
	c.params = coap.DefaultParams()
	if p != nil {
		c.params = *p
	}
	if _, ok := coap.BlockSZX(c.params.BlockSize); !ok {
		conn.Close()
		return nil, fmt.Errorf("coaplive: block size %d is not a power of two in 16…1024", c.params.BlockSize)
	}
	c.l = newLoop(conn)
	c.eng.Init(&c.params, &c.rng)
	c.l.start(c)
	return c, nil
}

// LocalAddr is the client's own address.
func (c *Client) LocalAddr() *net.UDPAddr { return c.l.conn.LocalAddr().(*net.UDPAddr) }

// Close stops the client: calls waiting for a response return ErrClosed
// and observation channels are closed.
func (c *Client) Close() error { return c.l.close() }

// Do sends request r and waits for its response (for a block-wise
// response, the whole representation). r is copied; its Ref is not used.
// When ctx ends first, Do returns ctx.Err() but the engine finishes the
// exchange (it has no way to abandon one), which may delay later requests
// (NSTART = 1).
func (c *Client) Do(ctx context.Context, r coap.Request) (coap.Message, error) {
	if err := coap.Check(coap.Message{Code: r.Code, Options: r.Options}); err != nil {
		return coap.Message{}, err
	}
	if !r.Code.IsRequest() {
		return coap.Message{}, fmt.Errorf("coaplive: %v is not a request code", r.Code)
	}
	r.Options = append(coap.Options(nil), r.Options...)
	r.Payload = bytes.Clone(r.Payload)
	ch := make(chan result, 1)
	var ref uint64
	err := c.l.do(ctx, func() {
		c.ref++
		ref, r.Ref = c.ref, c.ref
		c.waiting[ref] = ch
		c.eng.Do(c, c.l.now(), r)
	})
	if err != nil {
		return coap.Message{}, err
	}
	select {
	case res := <-ch:
		return res.m, res.err
	case <-ctx.Done():
		_ = c.l.do(context.Background(), func() { delete(c.waiting, ref) })
		return coap.Message{}, ctx.Err()
	}
}

// Get is Do of a confirmable GET of path.
func (c *Client) Get(ctx context.Context, path string) (coap.Message, error) {
	var o coap.Options
	o.SetPath(path)
	return c.Do(ctx, coap.Request{Confirmable: true, Code: coap.GET, Options: o})
}

// Observe registers an observation of path (RFC 7641) and returns the
// channel of its fresh notifications, in order. An error notification is
// handed out too: it ends the observation on the server, and the engine
// registers again after Params.Reregister.
// The response to the registration itself is not handed out (the engine
// keeps it), so the first message is the first change. When ctx ends the
// channel is closed and the observation forgotten: the next notification
// is answered with Reset, which ends it on the server (RFC 7641 §3.6).
func (c *Client) Observe(ctx context.Context, path string) (<-chan coap.Message, error) {
	var o coap.Options
	o.SetPath(path)
	ch := make(chan coap.Message, ObserveBuffer)
	idx := -1
	err := c.l.do(ctx, func() {
		idx = c.eng.Observe(c, c.l.now(), o)
		for len(c.obs) <= idx {
			c.obs = append(c.obs, nil)
		}
		c.obs[idx] = ch
	})
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() {
		_ = c.l.do(context.Background(), func() {
			if c.obs[idx] != nil {
				c.eng.Cancel(c, c.l.now(), idx)
				close(c.obs[idx])
				c.obs[idx] = nil
			}
		})
	})
	return ch, nil
}

// Stats returns the counters.
func (c *Client) Stats() (st ClientStats, err error) {
	err = c.l.do(context.Background(), func() { st = c.stats })
	return st, err
}

func (c *Client) datagram(d datagram) {
	c.stats.Datagrams++
	m, err := coap.Parse(d.b)
	if err != nil {
		c.stats.Malformed++ // a client ignores what it cannot parse
		return
	}
	c.eng.Receive(c, c.l.now(), &m)
}

func (c *Client) fire(now sim.Time) {
	if c.at != 0 && c.at <= now {
		c.at = 0
		c.eng.OnTimer(c, now)
	}
}

func (c *Client) deadline() sim.Time { return c.at }

// stop releases everything still waiting when the loop ends.
func (c *Client) stop() {
	for ref, ch := range c.waiting {
		ch <- result{err: ErrClosed}
		delete(c.waiting, ref)
	}
	for i, ch := range c.obs {
		if ch != nil {
			close(ch)
			c.obs[i] = nil
		}
	}
}

// Send implements coap.ClientEnv.
func (c *Client) Send(m *coap.Message, ref uint64) {
	if _, err := c.l.conn.Write(c.l.encode(m)); err != nil {
		c.stats.SendErrors++
	}
}

// SetTimer implements coap.ClientEnv.
func (c *Client) SetTimer(at sim.Time) { c.at = at }

// Response implements coap.ClientEnv.
func (c *Client) Response(ref uint64, m *coap.Message) { c.finish(ref, result{m: clone(m)}) }

// Failed implements coap.ClientEnv.
func (c *Client) Failed(ref uint64, f coap.Failure) {
	c.finish(ref, result{err: &FailedError{f}})
}

func (c *Client) finish(ref uint64, r result) {
	if ch, ok := c.waiting[ref]; ok {
		delete(c.waiting, ref)
		ch <- r // buffered: never blocks
	}
}

// Notification implements coap.ClientEnv.
func (c *Client) Notification(obs int, m *coap.Message, fresh bool) {
	if obs >= len(c.obs) || c.obs[obs] == nil {
		return
	}
	if !fresh && m.Code.Class() == 2 {
		c.stats.Stale++
		return
	}
	ch, n := c.obs[obs], clone(m)
	select {
	case ch <- n:
	default:
		select { // full: drop the oldest; only this goroutine sends
		case <-ch:
			c.stats.Dropped++
		default:
		}
		ch <- n
	}
	c.stats.Notifications++
}
