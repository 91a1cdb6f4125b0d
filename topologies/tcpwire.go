package topologies

import (
	"github.com/iotsim/iotsim/protocols/mqtt"
	"github.com/iotsim/iotsim/protocols/tcp"
)

// record is one MQTT packet written into a TCP byte stream; end is the
// stream offset just past it.
type record struct {
	end  uint64
	size int32
	pkt  mqtt.Packet
}

// recordQueue is the records of one direction of a connection that the
// receiver has not yet read, in stream order. TCP moves byte counts; the
// queue maps them back to packets.
type recordQueue struct {
	recs      []record
	head      int
	written   uint64 // bytes written so far
	delivered uint64 // bytes delivered in order to the receiver
}

// span maps a segment of this direction (initial sequence number iss) to
// stream offsets [from, to). Sequence numbers wrap at 2³², offsets do not:
// the segment is placed within 2³¹ bytes of the delivered offset, where
// TCP's window keeps it.
func (q *recordQueue) span(seg tcp.Segment, iss uint32) (from, to uint64) {
	d := int32(seg.Seq - iss - 1 - uint32(q.delivered))
	from = uint64(int64(q.delivered) + int64(d))
	return from, from + uint64(seg.Len)
}

// push appends a copy of p. The engines' packets are valid only during the
// call, so what p points to is copied unless it is immutable (topic and
// payload are shared read-only).
func (q *recordQueue) push(p *mqtt.Packet, size int) {
	q.written += uint64(size)
	r := record{end: q.written, size: int32(size), pkt: *p}
	if p.Connect != nil {
		c := *p.Connect
		r.pkt.Connect = &c
	}
	if p.Subscriptions != nil {
		r.pkt.Subscriptions = append([]mqtt.Subscription(nil), p.Subscriptions...)
	}
	if p.Filters != nil {
		r.pkt.Filters = append([]string(nil), p.Filters...)
	}
	if p.ReturnCodes != nil {
		r.pkt.ReturnCodes = append([]byte(nil), p.ReturnCodes...)
	}
	if q.head > 0 && q.head*2 >= len(q.recs) {
		// Read records are dropped once they are half the queue, so a busy
		// connection's queue stays as long as what is unread.
		n := copy(q.recs, q.recs[q.head:])
		clear(q.recs[n:])
		q.recs, q.head = q.recs[:n], 0
	}
	q.recs = append(q.recs, r)
}

// next returns the next record wholly delivered, or nil.
func (q *recordQueue) next() *record {
	if q.head < len(q.recs) && q.recs[q.head].end <= q.delivered {
		q.head++
		return &q.recs[q.head-1]
	}
	return nil
}

// overlapping calls fn for every unread record that overlaps the stream
// bytes [from, to).
func (q *recordQueue) overlapping(from, to uint64, fn func(r *record)) {
	for i := q.head; i < len(q.recs); i++ {
		r := &q.recs[i]
		start := r.end - uint64(r.size)
		if start >= to {
			return
		}
		if r.end > from {
			fn(r)
		}
	}
}

// tcpBody is the Body of a TCP packet: the segment and the connection it
// belongs to (index and generation in the world's connection table).
type tcpBody struct {
	seg  tcp.Segment
	conn uint32
	gen  uint32
}

// kindTCP names a TCP packet kind (network.Packet.Kind) in the packets
// table when it carries no payload.
const (
	kindTCP uint16 = 100 // Kind of every TCP packet; the table name comes from the segment
)

// segmentKind is the packets-table kind of a segment without payload.
func segmentKind(s tcp.Segment) string {
	switch {
	case s.Flags&tcp.RST != 0:
		return "RST"
	case s.Flags&tcp.SYN != 0 && s.Flags&tcp.ACK != 0:
		return "SYN-ACK"
	case s.Flags&tcp.SYN != 0:
		return "SYN"
	case s.Flags&tcp.FIN != 0:
		return "FIN"
	}
	return "ACK"
}

// pool recycles packet bodies: packets carry pointers (no allocation per
// boxed Body), and a body goes back here when its packet is delivered or
// dropped.
type pool[T any] struct{ free []*T }

func (p *pool[T]) get() *T {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return new(T)
}

func (p *pool[T]) put(b *T) {
	var zero T
	*b = zero
	p.free = append(p.free, b)
}
