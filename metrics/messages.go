package metrics

import "github.com/iotsim/iotsim/sim"

// StreamID names a message stream: one sender, one intended receiver, one
// topic or path. seq and in_order are defined per stream.
type StreamID uint32

// MsgRef refers to one (message, receiver) pair that is still being tracked.
type MsgRef uint32

// StreamInfo describes a stream. The strings should be long-lived (node and
// group names built once), since every row of the stream refers to them.
type StreamInfo struct {
	Src, Dst, Group, Protocol, TopicOrPath string
	QoS                                    int32
}

type streamState struct {
	info         StreamInfo
	nextSeq      int64
	maxDelivered int64 // highest seq delivered so far, −1 before any
}

type msgState struct {
	msgID       int64
	seq         int64
	sentNs      int64
	deliveredNs int64
	stream      StreamID
	payload     int32
	copies      int32
	tx          int32
	lostTx      bool
	inOrder     bool
	live        bool
}

// Messages keeps the per-message bookkeeping of a run — sequence numbers,
// deliveries, copies, order, transmissions — and writes one MessageRow per
// (message, receiver) to the sink as soon as the message is finished, so
// memory is bounded by the messages in flight, not by the run.
type Messages struct {
	sink    Sink
	streams []streamState
	msgs    []msgState
	free    []MsgRef
	nextID  int64
	row     MessageRow

	// Aggregates for the runs table.
	Sent       int64 // application messages (one per publication or request)
	Expected   int64 // (message, intended receiver) pairs
	Unique     int64 // pairs delivered at least once
	Duplicates int64 // deliveries beyond the first
	InOrder    int64 // pairs whose first delivery was in order
	Latency    Histogram
}

// NewMessages returns a tracker writing finished rows to sink.
func NewMessages(sink Sink) *Messages {
	return &Messages{sink: sink}
}

// NewStream registers a stream and returns its id.
func (m *Messages) NewStream(info StreamInfo) StreamID {
	m.streams = append(m.streams, streamState{info: info, maxDelivered: -1})
	return StreamID(len(m.streams) - 1)
}

// Stream returns the description of a stream.
func (m *Messages) Stream(s StreamID) *StreamInfo { return &m.streams[s].info }

// NewMessage counts one application message and returns its msg_id. Call
// Track once for each of its intended receivers.
func (m *Messages) NewMessage() int64 {
	id := m.nextID
	m.nextID++
	m.Sent++
	return id
}

// Track starts tracking message msgID towards the receiver of stream s and
// assigns it the stream's next seq.
func (m *Messages) Track(msgID int64, s StreamID, payload int, now sim.Time) MsgRef {
	st := &m.streams[s]
	var ref MsgRef
	if n := len(m.free); n > 0 {
		ref = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		m.msgs = append(m.msgs, msgState{})
		ref = MsgRef(len(m.msgs) - 1)
	}
	m.msgs[ref] = msgState{
		msgID:   msgID,
		seq:     st.nextSeq,
		sentNs:  int64(now),
		stream:  s,
		payload: int32(payload),
		live:    true,
	}
	st.nextSeq++
	m.Expected++
	return ref
}

// Send is NewMessage plus Track for a message with a single receiver.
func (m *Messages) Send(s StreamID, payload int, now sim.Time) MsgRef {
	return m.Track(m.NewMessage(), s, payload, now)
}

// Transmitted counts one transmission of the message on the air.
func (m *Messages) Transmitted(r MsgRef) { m.msgs[r].tx++ }

// TransmissionLost records that one transmission of the message was lost.
func (m *Messages) TransmissionLost(r MsgRef) { m.msgs[r].lostTx = true }

// Delivered records that the receiver's application got the message (again).
func (m *Messages) Delivered(r MsgRef, now sim.Time) {
	ms := &m.msgs[r]
	ms.copies++
	if ms.copies > 1 {
		m.Duplicates++
		return
	}
	ms.deliveredNs = int64(now)
	st := &m.streams[ms.stream]
	ms.inOrder = ms.seq > st.maxDelivered
	if ms.inOrder {
		st.maxDelivered = ms.seq
		m.InOrder++
	}
	m.Unique++
	m.Latency.Add(int64(now) - ms.sentNs)
}

// Finish writes the message's row and stops tracking it; r must not be used
// afterwards.
func (m *Messages) Finish(r MsgRef) {
	ms := &m.msgs[r]
	if !ms.live {
		return
	}
	st := &m.streams[ms.stream]
	row := &m.row
	*row = MessageRow{
		MsgID:         ms.msgID,
		Src:           st.info.Src,
		Dst:           st.info.Dst,
		Group:         st.info.Group,
		Protocol:      st.info.Protocol,
		QoS:           st.info.QoS,
		TopicOrPath:   st.info.TopicOrPath,
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
		row.Recovered = ms.lostTx
	}
	m.sink.Message(row)
	ms.live = false
	m.free = append(m.free, r)
}

// FinishAll writes the rows of every message still tracked, in msg_id order
// of their tracking slots (deterministic), at the end of a run.
func (m *Messages) FinishAll() {
	// Slots are reused LIFO, so slot order is not msg_id order; sort the
	// live refs by (msg_id, stream) for a stable, readable tail.
	var live []MsgRef
	for i := range m.msgs {
		if m.msgs[i].live {
			live = append(live, MsgRef(i))
		}
	}
	sortRefs(live, m.msgs)
	for _, r := range live {
		m.Finish(r)
	}
}

// InFlight is the number of (message, receiver) pairs still tracked.
func (m *Messages) InFlight() int { return len(m.msgs) - len(m.free) }
