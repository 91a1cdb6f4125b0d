package metrics

import "github.com/iotsim/iotsim/sim"

// MsgRef refers to one (message, receiver) pair that is still being tracked.
type MsgRef uint32

// StreamInfo is what the streams of one kind share: the intended receiver,
// group, protocol, QoS and topic. The strings should be long-lived (built
// once per group), since every row refers to them.
type StreamInfo struct {
	Dst, Group, Protocol, TopicOrPath string
	QoS                               int32
	// Restorable says the receiver gets sequence information with each
	// message (CoAP Observe numbers, application sequence numbers) and so
	// can put out-of-order deliveries back in order.
	Restorable bool
}

// Stream is one message stream — one sender, one intended receiver, one
// topic or path — over which seq and in_order are defined. Its owner (the
// sending device, say) embeds it, so that sending touches memory the sender
// already has in cache, and must not move it while messages are tracked.
type Stream struct {
	Src          string
	Info         *StreamInfo
	nextSeq      int64
	maxDelivered int64 // highest seq delivered so far, −1 before any
}

// Init prepares a stream from src with the shared description info.
func (s *Stream) Init(src string, info *StreamInfo) {
	*s = Stream{Src: src, Info: info, maxDelivered: -1}
}

// Sent is the number of messages tracked on the stream so far.
func (s *Stream) Sent() int64 { return s.nextSeq }

type msgState struct {
	stream      *Stream
	msgID       int64
	order       int64 // tracking order, for a deterministic FinishAll
	seq         int64
	sentNs      int64
	deliveredNs int64
	payload     int32
	copies      int32
	tx          int32
	holds       int32 // packets in flight that carry the message
	lostEarly   bool  // a transmission was lost before the first delivery
	inOrder     bool
	live        bool
	done        bool // the sender finished; the row waits for holds to reach 0
}

// Messages keeps the per-message bookkeeping of a run — sequence numbers,
// deliveries, copies, order, transmissions — and writes one MessageRow per
// (message, receiver) to the sink as soon as the message is finished, so
// memory is bounded by the messages in flight, not by the run.
type Messages struct {
	sink Sink
	msgs []msgState
	free []MsgRef
	next int64 // next msg_id
	row  MessageRow

	// Aggregates for the runs table.
	Sent       int64 // application messages (one per publication or request)
	Expected   int64 // (message, intended receiver) pairs
	Unique     int64 // pairs delivered at least once
	Duplicates int64 // deliveries beyond the first
	InOrder    int64 // pairs whose first delivery was in order
	Latency    Histogram

	// Scorecard counters, updated as rows are written.
	OutOfOrder    int64 // pairs delivered, first delivery out of order
	Restorable    int64 // … of which the receiver could restore the order
	LostEarly     int64 // pairs with a transmission lost before any delivery
	Recovered     int64 // … of which were delivered all the same
	Transmissions int64 // transmissions of all pairs
}

// NewMessages returns a tracker writing finished rows to sink.
func NewMessages(sink Sink) *Messages {
	return &Messages{sink: sink}
}

// NewMessage counts one application message and returns its msg_id. Call
// Track once for each of its intended receivers.
func (m *Messages) NewMessage() int64 {
	id := m.next
	m.next++
	m.Sent++
	return id
}

// Track starts tracking message msgID towards the receiver of stream s and
// assigns it the stream's next seq.
func (m *Messages) Track(msgID int64, s *Stream, payload int, now sim.Time) MsgRef {
	var ref MsgRef
	if n := len(m.free); n > 0 {
		ref = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		m.msgs = append(m.msgs, msgState{})
		ref = MsgRef(len(m.msgs) - 1)
	}
	m.msgs[ref] = msgState{
		stream:  s,
		msgID:   msgID,
		order:   m.Expected,
		seq:     s.nextSeq,
		sentNs:  int64(now),
		payload: int32(payload),
		live:    true,
	}
	s.nextSeq++
	m.Expected++
	return ref
}

// Send is NewMessage plus Track for a message with a single receiver.
func (m *Messages) Send(s *Stream, payload int, now sim.Time) MsgRef {
	return m.Track(m.NewMessage(), s, payload, now)
}

// Transmitted counts one transmission of the message on the air.
func (m *Messages) Transmitted(r MsgRef) { m.msgs[r].tx++ }

// TransmissionLost records that one transmission of the message was lost.
// Only losses before the first delivery count (for recovered and the
// scorecard's recovery ratio).
func (m *Messages) TransmissionLost(r MsgRef) {
	if ms := &m.msgs[r]; ms.copies == 0 {
		ms.lostEarly = true
	}
}

// Delivered records that the receiver's application got the message (again).
func (m *Messages) Delivered(r MsgRef, now sim.Time) {
	ms := &m.msgs[r]
	ms.copies++
	if ms.copies > 1 {
		m.Duplicates++
		return
	}
	ms.deliveredNs = int64(now)
	st := ms.stream
	ms.inOrder = ms.seq > st.maxDelivered
	if ms.inOrder {
		st.maxDelivered = ms.seq
		m.InOrder++
	}
	m.Unique++
	m.Latency.Add(int64(now) - ms.sentNs)
}

// Hold records that a packet carrying the message is in flight, so that
// its slot stays valid until Release even if the sender finishes first.
func (m *Messages) Hold(r MsgRef) { m.msgs[r].holds++ }

// Release ends a Hold; the row is written if the sender has finished.
func (m *Messages) Release(r MsgRef) {
	ms := &m.msgs[r]
	ms.holds--
	if ms.holds == 0 && ms.done {
		m.write(r)
	}
}

// Finish says the sender is done with the message (delivered, acknowledged
// or given up): its row is written now, or when the last packet carrying it
// is released. r must not be used afterwards except to Release holds.
func (m *Messages) Finish(r MsgRef) {
	ms := &m.msgs[r]
	if !ms.live || ms.done {
		return
	}
	if ms.holds > 0 {
		ms.done = true
		return
	}
	m.write(r)
}

// write writes the message's row and frees its slot.
func (m *Messages) write(r MsgRef) {
	ms := &m.msgs[r]
	if !ms.live {
		return
	}
	st := ms.stream
	info := st.Info
	row := &m.row
	*row = MessageRow{
		MsgID:         ms.msgID,
		Src:           st.Src,
		Dst:           info.Dst,
		Group:         info.Group,
		Protocol:      info.Protocol,
		QoS:           info.QoS,
		TopicOrPath:   info.TopicOrPath,
		Seq:           ms.seq,
		PayloadBytes:  ms.payload,
		SentNs:        ms.sentNs,
		Copies:        ms.copies,
		InOrder:       ms.inOrder,
		Transmissions: ms.tx,
	}
	if ms.copies > 0 {
		row.Delivered = true
		row.DeliveredNs = ms.deliveredNs
		row.LatencyMs = float64(ms.deliveredNs-ms.sentNs) / 1e6
		row.Recovered = ms.lostEarly
	}
	m.sink.Message(row)
	m.Transmissions += int64(ms.tx)
	if ms.copies > 0 && !ms.inOrder {
		m.OutOfOrder++
		if info.Restorable {
			m.Restorable++
		}
	}
	if ms.lostEarly {
		m.LostEarly++
		if ms.copies > 0 {
			m.Recovered++
		}
	}
	*ms = msgState{}
	m.free = append(m.free, r)
}

// FinishAll writes the rows of every message still tracked, in the order
// they were tracked, at the end of a run.
func (m *Messages) FinishAll() {
	var live []MsgRef
	for i := range m.msgs {
		if m.msgs[i].live {
			live = append(live, MsgRef(i))
		}
	}
	sortRefs(live, m.msgs)
	for _, r := range live {
		m.write(r)
	}
}

// InFlight is the number of (message, receiver) pairs still tracked.
func (m *Messages) InFlight() int { return len(m.msgs) - len(m.free) }
