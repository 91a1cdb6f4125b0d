package mqtt

// A session is what the broker keeps for one client id: subscriptions,
// outgoing messages awaiting acknowledgement (the inflight window), queued
// outgoing messages, and incoming QoS 2 messages awaiting PUBREL. Clean
// sessions live as long as their connection; persistent ones (clean
// session 0) until a clean CONNECT with the same client id replaces them.
//
// Memory: a session with one subscription and nothing pending is the
// struct, its id, one sessSub and one nodeSub (about 200 bytes; see
// TestBrokerSessionMemory). Slices are allocated on first use and the
// queue's ring gives its buffer back when it empties.
type session struct {
	id       string
	conn     *conn     // nil while offline
	acl      []ACLRule // the rules of the user of the last CONNECT
	clean    bool
	lastID   uint16 // the last packet id given to an outgoing message
	subs     []sessSub
	inflight []message // sent, unacknowledged; in sending order
	incoming []message // QoS 2 received, awaiting PUBREL
	queue    msgRing

	// Routing marks: the broker's epoch when this session was last
	// collected, and its index in the broker's hits then.
	mark    uint32
	markIdx int32
}

// sessSub is one subscription of a session: its node in the subscription
// tree and its index in the node's subs.
type sessSub struct {
	node *trieNode
	idx  int32
}

// States of an inflight message.
const (
	stateSent     uint8 = iota + 1 // PUBLISH sent, awaiting PUBACK or PUBREC
	stateReleased                  // QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP
)

// message is one copy of an application message in a session: outgoing
// (inflight or queued) or incoming (QoS 2 awaiting PUBREL). The topic and
// payload are shared with the publisher's packet and every other copy.
type message struct {
	topic   string
	payload []byte
	ref     uint64
	id      uint16 // packet id; 0 while queued
	qos     QoS
	retain  bool
	state   uint8
}

func (s *session) findSub(n *trieNode) int {
	for k := range s.subs {
		if s.subs[k].node == n {
			return k
		}
	}
	return -1
}

// findInflight returns the index of the inflight message with packet id id,
// QoS qos and state state, or -1.
func (s *session) findInflight(id uint16, qos QoS, state uint8) int {
	for i := range s.inflight {
		if m := &s.inflight[i]; m.id == id {
			if m.qos == qos && m.state == state {
				return i
			}
			return -1
		}
	}
	return -1
}

// removeInflight removes the i-th inflight message, keeping the order of
// the others.
func (s *session) removeInflight(i int) {
	copy(s.inflight[i:], s.inflight[i+1:])
	s.inflight[len(s.inflight)-1] = message{}
	s.inflight = s.inflight[:len(s.inflight)-1]
}

func (s *session) findIncoming(id uint16) int {
	for i := range s.incoming {
		if s.incoming[i].id == id {
			return i
		}
	}
	return -1
}

func (s *session) removeIncoming(i int) {
	last := len(s.incoming) - 1
	s.incoming[i] = s.incoming[last]
	s.incoming[last] = message{}
	s.incoming = s.incoming[:last]
	if last == 0 && cap(s.incoming) > 4 {
		s.incoming = nil // give a burst's buffer back
	}
}

// newID returns the next packet id that no inflight message uses
// ([MQTT-2.3.1-2]): ids count up from 1 and wrap, as mosquitto's do.
func (s *session) newID() uint16 {
	for {
		s.lastID++
		if s.lastID == 0 {
			s.lastID = 1
		}
		used := false
		for i := range s.inflight {
			if s.inflight[i].id == s.lastID {
				used = true
				break
			}
		}
		if !used {
			return s.lastID
		}
	}
}

// msgRing is a FIFO of messages in a ring buffer that grows by doubling.
type msgRing struct {
	buf  []message
	head int
	n    int
}

func (r *msgRing) push(m message) {
	if r.n == len(r.buf) {
		size := 2 * len(r.buf)
		if size == 0 {
			size = 4
		}
		buf := make([]message, size)
		k := copy(buf, r.buf[r.head:])
		copy(buf[k:], r.buf[:r.head])
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = m
	r.n++
}

// pop removes and returns the oldest message; the ring must not be empty.
func (r *msgRing) pop() message {
	m := r.buf[r.head]
	r.buf[r.head] = message{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return m
}

// shrink gives a large buffer back once the ring is empty, so that a burst
// does not leave every session that saw it holding its peak.
func (r *msgRing) shrink() {
	if r.n == 0 && len(r.buf) > 16 {
		*r = msgRing{}
	}
}
