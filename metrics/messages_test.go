package metrics

import (
	"fmt"
	"slices"
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// rowSink keeps message rows as one-line strings.
type rowSink struct {
	Discard
	rows []string
}

func (s *rowSink) Message(r *MessageRow) {
	s.rows = append(s.rows, fmt.Sprintf("id=%d seq=%d delivered=%v copies=%d in_order=%v tx=%d recovered=%v",
		r.MsgID, r.Seq, r.Delivered, r.Copies, r.InOrder, r.Transmissions, r.Recovered))
}

// TestMessages drives the tracker through scripted histories: each step
// is an operation on message k of one stream.
func TestMessages(t *testing.T) {
	type step struct {
		op string // send, tx, lost, deliver, hold, release, finish
		k  int
	}
	for _, tc := range []struct {
		name  string
		steps []step
		want  []string
	}{
		{"delivered once", []step{{"send", 0}, {"tx", 0}, {"deliver", 0}, {"finish", 0}},
			[]string{"id=0 seq=0 delivered=true copies=1 in_order=true tx=1 recovered=false"}},
		{"lost", []step{{"send", 0}, {"tx", 0}, {"lost", 0}, {"finish", 0}},
			[]string{"id=0 seq=0 delivered=false copies=0 in_order=false tx=1 recovered=false"}},
		{"recovered by a retransmission", []step{{"send", 0}, {"tx", 0}, {"lost", 0}, {"tx", 0}, {"deliver", 0}, {"finish", 0}},
			[]string{"id=0 seq=0 delivered=true copies=1 in_order=true tx=2 recovered=true"}},
		{"a loss after delivery is not a recovery", []step{{"send", 0}, {"tx", 0}, {"deliver", 0}, {"tx", 0}, {"lost", 0}, {"finish", 0}},
			[]string{"id=0 seq=0 delivered=true copies=1 in_order=true tx=2 recovered=false"}},
		{"duplicate", []step{{"send", 0}, {"deliver", 0}, {"deliver", 0}, {"finish", 0}},
			[]string{"id=0 seq=0 delivered=true copies=2 in_order=true tx=0 recovered=false"}},
		{"out of order", []step{{"send", 0}, {"send", 1}, {"deliver", 1}, {"deliver", 0}, {"finish", 1}, {"finish", 0}},
			[]string{"id=1 seq=1 delivered=true copies=1 in_order=true tx=0 recovered=false",
				"id=0 seq=0 delivered=true copies=1 in_order=false tx=0 recovered=false"}},
		{"row waits for packets in flight", []step{{"send", 0}, {"hold", 0}, {"hold", 0}, {"finish", 0}, {"release", 0}, {"deliver", 0}, {"release", 0}},
			[]string{"id=0 seq=0 delivered=true copies=1 in_order=true tx=0 recovered=false"}},
	} {
		sink := &rowSink{}
		m := NewMessages(sink)
		var st Stream
		st.Init("a", &StreamInfo{Dst: "b"})
		refs := map[int]MsgRef{}
		for i, s := range tc.steps {
			r := refs[s.k]
			switch s.op {
			case "send":
				refs[s.k] = m.Send(&st, 10, sim.Time(i))
			case "tx":
				m.Transmitted(r)
			case "lost":
				m.TransmissionLost(r)
			case "deliver":
				m.Delivered(r, sim.Time(i))
			case "hold":
				m.Hold(r)
			case "release":
				m.Release(r)
			case "finish":
				m.Finish(r)
			}
			if s.op == "finish" && tc.name == "row waits for packets in flight" && len(sink.rows) != 0 {
				t.Errorf("%s: row written while packets are in flight", tc.name)
			}
		}
		if !slices.Equal(sink.rows, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, sink.rows, tc.want)
		}
		if m.InFlight() != 0 {
			t.Errorf("%s: %d still tracked", tc.name, m.InFlight())
		}
	}
}

// TestScorecardCounters: the tracker's scorecard counters over a few
// scripted histories.
func TestScorecardCounters(t *testing.T) {
	m := NewMessages(Discard{})
	var plain, seq Stream
	plain.Init("a", &StreamInfo{Dst: "b"})
	seq.Init("a", &StreamInfo{Dst: "c", Restorable: true})
	// plain: 0 and 1 sent, 1 delivered before 0 → 0 is out of order.
	p0, p1 := m.Send(&plain, 1, 0), m.Send(&plain, 1, 0)
	m.Transmitted(p0)
	m.Transmitted(p1)
	m.Delivered(p1, 1)
	m.Delivered(p0, 2)
	// seq: the same, but restorable; and a third lost for good.
	s0, s1, s2 := m.Send(&seq, 1, 0), m.Send(&seq, 1, 0), m.Send(&seq, 1, 0)
	m.Delivered(s1, 1)
	m.Delivered(s0, 2)
	m.Transmitted(s2)
	m.TransmissionLost(s2)
	// plain: one recovered by a retransmission.
	p2 := m.Send(&plain, 1, 0)
	m.Transmitted(p2)
	m.TransmissionLost(p2)
	m.Transmitted(p2)
	m.Delivered(p2, 3)
	m.FinishAll()
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"out of order", m.OutOfOrder, 2},
		{"restorable", m.Restorable, 1},
		{"lost early", m.LostEarly, 2},
		{"recovered", m.Recovered, 1},
		{"transmissions", m.Transmissions, 5},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d; want %d", c.name, c.got, c.want)
		}
	}
}
