package mqtt

import (
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// FuzzBroker feeds arbitrary byte streams, parsed with Parse, to a broker
// from three connections (the first byte of each chunk picks the
// connection and the event), checking that the broker never panics and
// only ever sends valid packets.
func FuzzBroker(f *testing.F) {
	seed := func(ps ...Packet) []byte {
		var b []byte
		for i := range ps {
			b = append(b, byte(i%3))
			b = Append(b, &ps[i])
		}
		return b
	}
	connect := func(id string, clean bool) Packet {
		return Packet{Type: Connect, Connect: &ConnectFields{ProtocolLevel: Version311, ClientID: id, CleanSession: clean, KeepAlive: 5,
			WillFlag: true, WillTopic: "w/" + id, WillMessage: []byte("gone")}}
	}
	f.Add(seed(connect("a", true), connect("b", false), connect("c", true),
		Packet{Type: Subscribe, PacketID: 1, Subscriptions: []Subscription{{Filter: "#", QoS: QoS2}}},
		Packet{Type: Publish, QoS: QoS2, PacketID: 1, Retain: true, Topic: "w/x", Payload: []byte("p")},
		Packet{Type: Pubrel, PacketID: 1},
		Packet{Type: Publish, QoS: QoS1, PacketID: 2, Topic: "w/y", Payload: []byte("q")},
		Packet{Type: Puback, PacketID: 1}, Packet{Type: Pubrec, PacketID: 1},
		Packet{Type: Unsubscribe, PacketID: 3, Filters: []string{"#"}}, Packet{Type: Disconnect},
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultBrokerConfig()
		cfg.MaxInflight, cfg.MaxQueued = 2, 2
		b := NewBroker(cfg)
		env := &fuzzBrokerEnv{t: t}
		now := sim.Time(0)
		open := [3]bool{}
		for len(data) > 0 {
			ctl := data[0]
			data = data[1:]
			c := ConnID(ctl%3 + 1)
			now += sim.Time(ctl>>2) * 1e8
			if !open[c-1] {
				b.Open(env, now, c)
				open[c-1] = true
			}
			switch ctl >> 6 {
			case 3:
				if ctl&4 != 0 {
					b.TransportClosed(env, now, c)
					open[c-1] = false
				} else {
					b.OnTimer(env, now, c)
				}
				continue
			}
			p, n, err := Parse(data)
			if err == ErrIncomplete {
				return
			}
			if err != nil {
				b.Malformed(env, now, c, err)
				open[c-1] = false
				// Parse reports no length for a malformed packet: skip a
				// byte, so the rest of the input still drives the broker.
				n = max(n, 1)
			} else {
				b.Receive(env, now, c, &p)
			}
			data = data[n:]
		}
	})
}

type fuzzBrokerEnv struct {
	t    *testing.T
	refs uint64
}

func (e *fuzzBrokerEnv) Send(c ConnID, p *Packet) {
	if err := Validate(p); err != nil {
		e.t.Fatalf("broker sent an invalid packet %+v: %v", p, err)
	}
}
func (e *fuzzBrokerEnv) Close(c ConnID)                                   {}
func (e *fuzzBrokerEnv) SetTimer(c ConnID, at sim.Time)                   {}
func (e *fuzzBrokerEnv) Route(in uint64, clientID string, qos QoS) uint64 { e.refs++; return e.refs }
func (e *fuzzBrokerEnv) Dropped(ref uint64, reason DropReason)            {}
func (e *fuzzBrokerEnv) Closed(c ConnID, clientID string, reason CloseReason, willSent bool) {
}
