package coaplive

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/iotsim/iotsim/protocols/coap"
	"github.com/iotsim/iotsim/sim"
)

// MaxPeers bounds the address table of a Server: datagrams from further
// new addresses are dropped (and counted in ServerStats.DroppedPeers).
const MaxPeers = 1 << 16

// Server is a coap.Server answering on a UDP socket.
type Server struct {
	l    *loop
	eng  *coap.Server
	rng  sim.Stream
	addr *net.UDPAddr

	peers  map[netip.AddrPort]coap.Peer
	addrs  []netip.AddrPort // addrs[p-1] is the address of Peer p
	timers timerHeap
	ref    uint64
	stats  ServerStats
}

// ServerStats are the engine's counters and the adapter's own.
type ServerStats struct {
	coap.ServerStats
	Malformed     int64 // datagrams that did not parse
	NotifiedOK    int64 // notifications acknowledged (CON) or sent (NON)
	NotifyFailed  int64 // notifications given up, reset or replaced
	DroppedPeers  int64 // datagrams from addresses beyond MaxPeers
	SendErrors    int64 // datagrams the socket refused
	TimersPending int   // engine timers not yet fired
}

// NewServer listens on addr ("127.0.0.1:0" picks a free port) and serves
// with cfg. A nil cfg.Params means coap.DefaultParams.
func NewServer(addr string, cfg coap.ServerConfig) (*Server, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	if cfg.Params == nil {
		p := coap.DefaultParams()
		cfg.Params = &p
	}
	s := &Server{
		l:     newLoop(conn),
		rng:   seed("server"),
		addr:  conn.LocalAddr().(*net.UDPAddr),
		peers: map[netip.AddrPort]coap.Peer{},
	}
	s.eng = coap.NewServer(cfg, &s.rng)
	s.l.start(s)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() *net.UDPAddr { return s.addr }

// Close stops the server and closes its socket.
func (s *Server) Close() error { return s.l.close() }

// SetResource sets the representation of path (a copy of payload) without
// notifying observers.
func (s *Server) SetResource(path string, payload []byte) error {
	b := bytes.Clone(payload)
	return s.l.do(context.Background(), func() { s.eng.SetResource(path, b) })
}

// Change sets the representation of path (a copy of payload) and notifies
// its observers.
func (s *Server) Change(path string, payload []byte) error {
	b := bytes.Clone(payload)
	return s.l.do(context.Background(), func() { s.eng.Change(s, s.l.now(), path, b) })
}

// Resource returns a copy of the representation of path and whether it
// exists.
func (s *Server) Resource(path string) (payload []byte, ok bool, err error) {
	err = s.l.do(context.Background(), func() {
		var b []byte
		b, ok = s.eng.Resource(path)
		payload = bytes.Clone(b)
	})
	return payload, ok, err
}

// Observers is the number of observers of path.
func (s *Server) Observers(path string) (n int, err error) {
	err = s.l.do(context.Background(), func() { n = s.eng.Observers(path) })
	return n, err
}

// Stats returns the counters.
func (s *Server) Stats() (st ServerStats, err error) {
	err = s.l.do(context.Background(), func() {
		st = s.stats
		st.ServerStats = s.eng.Stats()
		st.TimersPending = len(s.timers)
	})
	return st, err
}

// datagram hands one datagram to the engine.
func (s *Server) datagram(d datagram) {
	from, ok := s.peer(d.from)
	if !ok {
		s.stats.DroppedPeers++
		return
	}
	m, err := coap.Parse(d.b)
	if err != nil {
		s.stats.Malformed++
		var pe *coap.ParseError
		if errors.As(err, &pe) {
			s.eng.Reject(s, from, pe)
		}
		return
	}
	s.eng.Receive(s, s.l.now(), from, &m)
}

// peer returns the Peer of address a, adding it to the table.
func (s *Server) peer(a netip.AddrPort) (coap.Peer, bool) {
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	if p, ok := s.peers[a]; ok {
		return p, true
	}
	if len(s.addrs) >= MaxPeers {
		return 0, false
	}
	s.addrs = append(s.addrs, a)
	p := coap.Peer(len(s.addrs))
	s.peers[a] = p
	return p, true
}

func (s *Server) fire(now sim.Time) {
	for len(s.timers) > 0 && s.timers[0].at <= now {
		key := s.timers.pop().key
		s.eng.OnTimer(s, now, key)
	}
}

func (s *Server) deadline() sim.Time {
	if len(s.timers) == 0 {
		return 0
	}
	return s.timers[0].at
}

func (s *Server) stop() {}

// Send implements coap.ServerEnv.
func (s *Server) Send(to coap.Peer, m *coap.Message, ref uint64) {
	if to == 0 || int(to) > len(s.addrs) {
		return
	}
	if _, err := s.l.conn.WriteToUDPAddrPort(s.l.encode(m), s.addrs[to-1]); err != nil {
		s.stats.SendErrors++
	}
}

// After implements coap.ServerEnv.
func (s *Server) After(at sim.Time, key uint64) { s.timers.push(timer{at, key}) }

// Delivered implements coap.ServerEnv.
func (s *Server) Delivered(from coap.Peer, req *coap.Message, dup bool) {}

// Notifying implements coap.ServerEnv.
func (s *Server) Notifying(to coap.Peer, path string) uint64 {
	s.ref++
	return s.ref
}

// NotifyDone implements coap.ServerEnv.
func (s *Server) NotifyDone(ref uint64, ok bool) {
	if ok {
		s.stats.NotifiedOK++
	} else {
		s.stats.NotifyFailed++
	}
}

// timer is one of the engine's After requests.
type timer struct {
	at  sim.Time
	key uint64
}

// timerHeap is a binary min-heap of timers by time.
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].at <= q[i].at {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && q[c+1].at < q[c].at {
			c++
		}
		if q[i].at <= q[c].at {
			break
		}
		q[i], q[c] = q[c], q[i]
		i = c
	}
	*h = q
	return top
}
