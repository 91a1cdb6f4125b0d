package mqtt

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// randomLevels builds a random filter or topic name of 1–5 levels from a
// small alphabet, so that random filters and topics often match.
func randomLevels(rng *sim.Stream, filter bool) string {
	alphabet := []string{"a", "b", "c", "", "$s"}
	if filter {
		alphabet = append(alphabet, "+", "+", "#")
	}
	n := 1 + int(rng.IntN(5))
	levels := make([]string, 0, n)
	for i := 0; i < n; i++ {
		l := alphabet[rng.IntN(uint64(len(alphabet)))]
		if l == "$s" && i > 0 {
			l = "s$" // '$' only matters at the start
		}
		levels = append(levels, l)
		if l == "#" {
			break
		}
	}
	return strings.Join(levels, "/")
}

// TestBrokerTrieAgreesWithMatch subscribes many sessions to random filters
// and checks that routing finds exactly the sessions whose filter Match
// accepts, before and after removing subscriptions, and that removing all
// of them leaves an empty tree.
func TestBrokerTrieAgreesWithMatch(t *testing.T) {
	rng := sim.NewStream(1, "broker-test", "trie")
	b := NewBroker(DefaultBrokerConfig())
	type sub struct {
		s      *session
		filter string
	}
	var subs []sub
	for i := 0; i < 3000; i++ {
		f := randomLevels(&rng, true)
		if ValidTopicFilter(f) != nil {
			continue
		}
		s := &session{id: "s" + strconv.Itoa(i)}
		b.sessions[s.id] = s
		b.addSub(s, f, QoS(i%3))
		subs = append(subs, sub{s, f})
	}
	var topics []string
	for len(topics) < 2000 {
		if tp := randomLevels(&rng, false); ValidTopicName(tp) == nil {
			topics = append(topics, tp)
		}
	}
	check := func(stage string) {
		t.Helper()
		matched := 0
		for _, tp := range topics {
			var want []string
			for _, x := range subs {
				if x.s != nil && Match(x.filter, tp) {
					want = append(want, x.s.id)
				}
			}
			var got []string
			for _, h := range b.collect(tp) {
				got = append(got, h.s.id)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: topic %q: trie matched %d sessions, Match %d\ngot  %v\nwant %v", stage, tp, len(got), len(want), got, want)
			}
			matched += len(got)
		}
		if matched == 0 {
			t.Fatalf("%s: no topic matched anything; the test data is too sparse", stage)
		}
	}
	check("all subscribed")

	// Remove every other subscription, in a scrambled order.
	for i := len(subs) - 1; i >= 0; i -= 2 {
		x := &subs[i]
		b.removeSub(x.s, x.s.findSub(b.subs.find(x.filter)))
		x.s = nil
	}
	check("half removed")
	for i := range subs {
		if x := &subs[i]; x.s != nil {
			b.removeSub(x.s, 0)
			x.s = nil
		}
	}
	if !b.subs.empty() || b.stats.Subscriptions != 0 {
		t.Errorf("after removing every subscription: root kids=%d plus=%v hash=%v, Subscriptions=%d",
			len(b.subs.kids), b.subs.plus != nil, b.subs.hash != nil, b.stats.Subscriptions)
	}
}

// TestBrokerTrieManyChildren crosses trieIndexAt (slice to map lookup)
// and removes children in an order that exercises the swap-removal.
func TestBrokerTrieManyChildren(t *testing.T) {
	b := NewBroker(DefaultBrokerConfig())
	const n = 100
	sess := make([]*session, n)
	for i := range sess {
		sess[i] = &session{id: "d" + strconv.Itoa(i)}
		b.addSub(sess[i], "dev/"+strconv.Itoa(i)+"/cmd", QoS1)
	}
	for i := 0; i < n; i += 3 {
		b.removeSub(sess[i], 0)
	}
	for i := 0; i < n; i++ {
		hits := b.collect("dev/" + strconv.Itoa(i) + "/cmd")
		want := 1
		if i%3 == 0 {
			want = 0
		}
		if len(hits) != want || want == 1 && hits[0].s != sess[i] {
			t.Fatalf("dev/%d/cmd: %d hits, want %d", i, len(hits), want)
		}
	}
	dev := b.subs.child("dev")
	if dev == nil || len(dev.kids) != n-(n+2)/3 || dev.index == nil || len(dev.index) != len(dev.kids) {
		t.Fatalf("dev node: %d kids, index %d", len(dev.kids), len(dev.index))
	}
	for i, k := range dev.kids {
		if int(k.pos) != i || dev.index[k.level] != k {
			t.Fatalf("kid %d (%s) has pos %d", i, k.level, k.pos)
		}
	}
}

func TestBrokerCovers(t *testing.T) {
	for _, c := range []struct {
		acl, sub string
		want     bool
	}{
		{"a/#", "a/#", true},
		{"a/#", "a", true},
		{"a/#", "a/+/c", true},
		{"a/+/+", "a/+/c", true},
		{"a/+/#", "a/#", false}, // "a/#" matches "a"
		{"a/+", "a/#", false},
		{"a/b", "a/+", false},
		{"+/b", "a/b", true},
		{"#", "#", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"a", "a/b", false},
		{"a/b", "a", false},
		{"sensors/#", "sensors/+/temp", true},
	} {
		if got := covers(c.acl, c.sub); got != c.want {
			t.Errorf("covers(%q, %q) = %v; want %v", c.acl, c.sub, got, c.want)
		}
	}

	// Property: when covers says yes, every topic sub matches, acl matches.
	rng := sim.NewStream(2, "broker-test", "covers")
	var topics []string
	for len(topics) < 300 {
		if tp := randomLevels(&rng, false); ValidTopicName(tp) == nil {
			topics = append(topics, tp)
		}
	}
	yes := 0
	for i := 0; i < 20000; i++ {
		acl, sub := randomLevels(&rng, true), randomLevels(&rng, true)
		if ValidTopicFilter(acl) != nil || ValidTopicFilter(sub) != nil || !covers(acl, sub) {
			continue
		}
		yes++
		for _, tp := range topics {
			if Match(sub, tp) && !Match(acl, tp) {
				t.Fatalf("covers(%q, %q) but %q matches only the second", acl, sub, tp)
			}
		}
	}
	if yes < 100 {
		t.Fatalf("only %d covering pairs; the test data is too sparse", yes)
	}
}

// ledgerEnv is a BrokerEnv that checks the bookkeeping contract: every
// routed copy is sent, dropped, or still held by a session, and no copy is
// dropped twice or after its last send.
type ledgerEnv struct {
	t       *testing.T
	next    uint64
	routed  map[uint64]bool // ref → outstanding
	sent    map[uint64]int
	dropped map[uint64]bool
	closed  map[ConnID]bool
	conn    map[ConnID]bool // open in the env's view
}

func (e *ledgerEnv) Send(c ConnID, p *Packet) {
	if !e.conn[c] {
		e.t.Fatalf("Send on connection %d, which is not open", c)
	}
	if err := Validate(p); err != nil {
		e.t.Fatalf("broker sent an invalid packet %+v: %v", p, err)
	}
	if p.Type == Publish {
		if _, ok := e.routed[p.Ref]; !ok {
			e.t.Fatalf("PUBLISH with ref %d that Route never returned", p.Ref)
		}
		if e.dropped[p.Ref] {
			e.t.Fatalf("PUBLISH of ref %d after it was dropped", p.Ref)
		}
		e.sent[p.Ref]++
	}
}
func (e *ledgerEnv) Close(c ConnID)                 { e.conn[c] = false }
func (e *ledgerEnv) SetTimer(c ConnID, at sim.Time) {}
func (e *ledgerEnv) Route(in uint64, clientID string, qos QoS) uint64 {
	e.next++
	e.routed[e.next] = true
	return e.next
}
func (e *ledgerEnv) Dropped(ref uint64, reason DropReason) {
	if e.dropped[ref] {
		e.t.Fatalf("ref %d dropped twice", ref)
	}
	e.dropped[ref] = true
}
func (e *ledgerEnv) Closed(c ConnID, clientID string, reason CloseReason, willSent bool) {
	if e.closed[c] {
		e.t.Fatalf("connection %d closed twice", c)
	}
	e.closed[c] = true
	e.conn[c] = false
}

// TestBrokerRandomOperations drives a broker with random clients doing
// random things, and checks that it never panics, never sends an invalid
// packet, keeps its counters consistent, and accounts for every routed
// copy.
func TestBrokerRandomOperations(t *testing.T) {
	rng := sim.NewStream(3, "broker-test", "random")
	cfg := DefaultBrokerConfig()
	cfg.MaxInflight, cfg.MaxQueued = 3, 5
	b := NewBroker(cfg)
	env := &ledgerEnv{t: t, routed: map[uint64]bool{}, sent: map[uint64]int{}, dropped: map[uint64]bool{},
		closed: map[ConnID]bool{}, conn: map[ConnID]bool{}}
	const clients = 12
	var connOf [clients]ConnID
	var nextConn ConnID
	var lastPubID [clients]uint16
	now := sim.Time(0)
	ids := func(c int) string { return "c" + strconv.Itoa(c) }
	filters := []string{"a", "a/b", "a/#", "+/b", "#", "$s/x", "a/+"}
	topics := []string{"a", "a/b", "b/b", "$s/x", "a/c"}
	for step := 0; step < 20000; step++ {
		now += sim.Time(rng.IntN(uint64(2 * 1e9)))
		c := int(rng.IntN(clients))
		cn := connOf[c]
		if cn == 0 || !env.conn[cn] || rng.IntN(50) == 0 { // sometimes a takeover
			nextConn++
			connOf[c] = nextConn
			env.conn[nextConn] = true
			b.Open(env, now, nextConn)
			cf := &ConnectFields{ProtocolLevel: Version311, ClientID: ids(c),
				CleanSession: rng.IntN(2) == 0, KeepAlive: uint16(rng.IntN(3) * 5)}
			if rng.IntN(3) == 0 {
				cf.WillFlag, cf.WillTopic, cf.WillQoS = true, topics[rng.IntN(uint64(len(topics)))], QoS(rng.IntN(3))
				cf.WillMessage = []byte("will")
			}
			b.Receive(env, now, nextConn, &Packet{Type: Connect, Connect: cf})
			continue
		}
		var p Packet
		switch rng.IntN(12) {
		case 0, 1, 2, 3:
			lastPubID[c]++
			if lastPubID[c] == 0 {
				lastPubID[c] = 1
			}
			p = Packet{Type: Publish, QoS: QoS(rng.IntN(3)), Retain: rng.IntN(4) == 0,
				Topic: topics[rng.IntN(uint64(len(topics)))], Payload: []byte("x"), Ref: uint64(step)}
			if p.QoS > 0 {
				p.PacketID = lastPubID[c]
			}
		case 4:
			p = Packet{Type: Pubrel, PacketID: uint16(1 + rng.IntN(uint64(lastPubID[c])+1))}
		case 5:
			p = Packet{Type: Subscribe, PacketID: 1, Subscriptions: []Subscription{
				{Filter: filters[rng.IntN(uint64(len(filters)))], QoS: QoS(rng.IntN(3))}}}
		case 6:
			p = Packet{Type: Unsubscribe, PacketID: 1, Filters: []string{filters[rng.IntN(uint64(len(filters)))]}}
		case 7, 8:
			s := b.sessions[ids(c)]
			if s == nil || len(s.inflight) == 0 {
				continue
			}
			m := s.inflight[rng.IntN(uint64(len(s.inflight)))]
			switch {
			case m.qos == QoS1:
				p = Packet{Type: Puback, PacketID: m.id}
			case m.state == stateSent:
				p = Packet{Type: Pubrec, PacketID: m.id}
			default:
				p = Packet{Type: Pubcomp, PacketID: m.id}
			}
		case 9:
			b.OnTimer(env, now, cn)
			continue
		case 10:
			b.TransportClosed(env, now, cn)
			env.conn[cn] = false
			continue
		case 11:
			if rng.IntN(4) == 0 {
				b.Malformed(env, now, cn, ErrMalformed)
				continue
			}
			p = Packet{Type: Disconnect}
		}
		b.Receive(env, now, cn, &p)
	}

	// Every routed copy is sent, dropped, or held (inflight or queued).
	held := map[uint64]bool{}
	inflight := 0
	for _, s := range b.sessions {
		for _, m := range s.inflight {
			held[m.ref] = true
			inflight++
		}
		for i := 0; i < s.queue.n; i++ {
			held[s.queue.buf[(s.queue.head+i)%len(s.queue.buf)].ref] = true
		}
		if len(s.inflight) > cfg.MaxInflight || s.queue.n > cfg.MaxQueued {
			t.Errorf("session %s holds %d inflight, %d queued", s.id, len(s.inflight), s.queue.n)
		}
	}
	for ref := range env.routed {
		if env.sent[ref] == 0 && !env.dropped[ref] && !held[ref] {
			t.Fatalf("ref %d was routed but is neither sent, dropped nor held", ref)
		}
	}
	st := b.Stats()
	if got := st.DroppedOffline + st.DroppedQueueFull + st.DroppedCleanSession; got != uint64(len(env.dropped)) {
		t.Errorf("stats count %d drops, the env saw %d", got, len(env.dropped))
	}
	connected, subs := 0, 0
	for _, s := range b.sessions {
		if s.conn != nil {
			connected++
		}
		subs += len(s.subs)
	}
	if st.Connected != connected || st.Subscriptions != subs || b.conns.len() < connected {
		t.Errorf("stats: %d connected, %d subscriptions; counted %d, %d", st.Connected, st.Subscriptions, connected, subs)
	}
	if len(env.routed) < 1000 || len(env.dropped) == 0 || inflight == 0 && len(held) == 0 && len(env.sent) == 0 {
		t.Errorf("the random run exercised too little: %d routed, %d dropped, %d sent", len(env.routed), len(env.dropped), len(env.sent))
	}
	t.Logf("%d routed, %d sent, %d dropped, %d held; stats %+v", len(env.routed), len(env.sent), len(env.dropped), len(held), st)
}

// nopBrokerEnv discards everything; for benchmarks and memory tests.
type nopBrokerEnv struct{ n uint64 }

func (e *nopBrokerEnv) Send(c ConnID, p *Packet)                                        {}
func (e *nopBrokerEnv) Close(c ConnID)                                                  {}
func (e *nopBrokerEnv) SetTimer(c ConnID, at sim.Time)                                  {}
func (e *nopBrokerEnv) Route(in uint64, clientID string, qos QoS) uint64                { e.n++; return e.n }
func (e *nopBrokerEnv) Dropped(ref uint64, reason DropReason)                           {}
func (e *nopBrokerEnv) Closed(c ConnID, clientID string, reason CloseReason, will bool) {}

// TestBrokerSessionMemory measures the heap of 100,000 persistent offline
// sessions with one subscription each (the project budgets 4 KiB per
// connected MQTT device for client, TCP and broker together).
func TestBrokerSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100,000 sessions")
	}
	const n = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b := NewBroker(DefaultBrokerConfig())
	env := &nopBrokerEnv{}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("device-%06d", i)
	}
	for i := 0; i < n; i++ {
		c := ConnID(i + 1)
		b.Open(env, 0, c)
		b.Receive(env, 0, c, &Packet{Type: Connect, Connect: &ConnectFields{
			ProtocolLevel: Version311, ClientID: ids[i], KeepAlive: 60}})
		b.Receive(env, 0, c, &Packet{Type: Subscribe, PacketID: 1, Subscriptions: []Subscription{
			{Filter: "fleet/" + ids[i] + "/cmd", QoS: QoS1}}})
		b.Receive(env, 0, c, &Packet{Type: Disconnect})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSession := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per persistent session with one subscription (including its trie node and id)", perSession)
	if b.Stats().Sessions != n {
		t.Fatalf("%d sessions", b.Stats().Sessions)
	}
	if perSession > 1024 {
		t.Errorf("%.0f bytes per session; want at most 1 KiB", perSession)
	}
	runtime.KeepAlive(b)
}

// benchRouting connects subscribers clients subscribed to one topic at
// QoS qos and measures one publication routed to all of them (each
// acknowledges, so the inflight windows stay open).
func benchRouting(b *testing.B, subscribers int, qos QoS) {
	br := NewBroker(DefaultBrokerConfig())
	env := &nopBrokerEnv{}
	for i := 0; i < subscribers; i++ {
		c := ConnID(i + 1)
		br.Open(env, 0, c)
		br.Receive(env, 0, c, &Packet{Type: Connect, Connect: &ConnectFields{
			ProtocolLevel: Version311, ClientID: "sub" + strconv.Itoa(i), CleanSession: true}})
		br.Receive(env, 0, c, &Packet{Type: Subscribe, PacketID: 1, Subscriptions: []Subscription{
			{Filter: "fleet/+/temp", QoS: QoS2}}})
	}
	pub := ConnID(subscribers + 1)
	br.Open(env, 0, pub)
	br.Receive(env, 0, pub, &Packet{Type: Connect, Connect: &ConnectFields{
		ProtocolLevel: Version311, ClientID: "pub", CleanSession: true}})
	p := &Packet{Type: Publish, QoS: qos, Topic: "fleet/dev1/temp", Payload: make([]byte, 16)}
	var id uint16
	ack := Packet{Type: Puback}
	if qos == QoS2 {
		ack.Type = Pubrec
	}
	comp := Packet{Type: Pubcomp}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if qos > 0 {
			id++
			if id == 0 {
				id = 1
			}
			p.PacketID = id
		}
		br.Receive(env, 0, pub, p)
		if qos == QoS2 {
			br.Receive(env, 0, pub, &Packet{Type: Pubrel, PacketID: id})
		}
		if qos == QoS0 {
			continue
		}
		// Each subscriber acknowledges the copy it got (its own id i+1).
		for c := 1; c <= subscribers; c++ {
			ack.PacketID = br.conns.get(ConnID(c)).sess.lastID
			br.Receive(env, 0, ConnID(c), &ack)
			if qos == QoS2 {
				comp.PacketID = ack.PacketID
				br.Receive(env, 0, ConnID(c), &comp)
			}
		}
	}
}

func BenchmarkBrokerRoute1QoS0(b *testing.B)    { benchRouting(b, 1, QoS0) }
func BenchmarkBrokerRoute1000QoS0(b *testing.B) { benchRouting(b, 1000, QoS0) }
func BenchmarkBrokerRoute1QoS1(b *testing.B)    { benchRouting(b, 1, QoS1) }
func BenchmarkBrokerRoute1000QoS1(b *testing.B) { benchRouting(b, 1000, QoS1) }
func BenchmarkBrokerRoute1000QoS2(b *testing.B) { benchRouting(b, 1000, QoS2) }
