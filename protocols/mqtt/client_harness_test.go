package mqtt

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/sim"
)

// The client tests drive a Client through a scripted environment that
// records every call, one line per event, in the format of the golden
// files under testdata/client:
//
//	  1.5s  ← PUBACK 1          a packet from the broker (test input)
//	  1.5s  → PUBLISH q1 ...    a packet the client sent
//	  1.5s  timer 61.5s         the client set its timer
//	  1.5s  app: publish ...    an application request (test input)
//	  1.5s  completed ref=1     a callback to the application
//
// Run `go test ./protocols/mqtt -run Client -update` to rewrite them.

// clientHarness is the scripted ClientEnv around one Client.
type clientHarness struct {
	t     testing.TB
	c     Client
	cfg   ClientConfig
	rng   sim.Stream
	now   sim.Time
	timer sim.Time // as last set by the client; 0 = none
	log   strings.Builder

	sent      []Packet // copies of what the client sent
	delivered []Packet
	completed []uint64
	dropped   map[DropReason][]uint64
	lost      []LostReason
	refused   []ConnectReturnCode
	subacks   [][]byte
	connected []bool
	dials     int
	hangups   int
	timers    []sim.Time // every SetTimer argument
	quiet     bool       // keep no log and only the last packet sent (long loops)
}

func newClientHarness(t testing.TB, cfg ClientConfig) *clientHarness {
	h := &clientHarness{t: t, cfg: cfg, rng: sim.NewStream(42, "client-test", "reconnect"),
		dropped: map[DropReason][]uint64{}}
	h.c.Init(&h.cfg, &h.rng)
	return h
}

func (h *clientHarness) line(format string, args ...any) {
	if h.quiet {
		return
	}
	fmt.Fprintf(&h.log, "%15s  %s\n", time.Duration(h.now), fmt.Sprintf(format, args...))
}

// ClientEnv.

func (h *clientHarness) Dial() { h.dials++; h.line("dial") }

func (h *clientHarness) Send(p *Packet) {
	if err := Validate(p); err != nil {
		h.t.Errorf("%v: client sent an invalid packet %s: %v", time.Duration(h.now), clientFmt(p), err)
	}
	if h.quiet {
		h.sent = h.sent[:0]
	}
	h.sent = append(h.sent, clientClone(p))
	h.line("→ %s", clientFmt(p))
}

func (h *clientHarness) HangUp() { h.hangups++; h.line("hang up") }

func (h *clientHarness) SetTimer(at sim.Time) {
	h.timer = at
	h.timers = append(h.timers, at)
	if at == 0 {
		h.line("timer off")
		return
	}
	if at < h.now {
		h.t.Errorf("%v: timer set in the past: %v", time.Duration(h.now), time.Duration(at))
	}
	h.line("timer %v", time.Duration(at))
}

func (h *clientHarness) Connected(sp bool) {
	h.connected = append(h.connected, sp)
	h.line("connected sessionPresent=%d", clientB2i(sp))
}

func (h *clientHarness) Refused(code ConnectReturnCode) {
	h.refused = append(h.refused, code)
	h.line("refused rc=%d (%v)", code, code)
}

func (h *clientHarness) Lost(r LostReason) { h.lost = append(h.lost, r); h.line("lost: %v", r) }

func (h *clientHarness) Message(p *Packet) {
	h.delivered = append(h.delivered, clientClone(p))
	h.line("message q%d %s %q", p.QoS, p.Topic, p.Payload)
}

func (h *clientHarness) Completed(ref uint64) {
	h.completed = append(h.completed, ref)
	h.line("completed ref=%d", ref)
}

func (h *clientHarness) Dropped(ref uint64, r DropReason) {
	h.dropped[r] = append(h.dropped[r], ref)
	h.line("dropped ref=%d (%v)", ref, r)
}

func (h *clientHarness) Subscribed(codes []byte) {
	h.subacks = append(h.subacks, append([]byte(nil), codes...))
	h.line("subscribed %v", codes)
}

// Script steps.

// at moves the clock to t seconds since the start, firing the timer on
// the way if it falls due, as the simulator's event loop would.
func (h *clientHarness) at(seconds float64) *clientHarness {
	t := sim.Time(math.Round(seconds * float64(time.Second)))
	if t < h.now {
		h.t.Fatalf("script goes back in time: %v after %v", t, h.now)
	}
	for h.timer != 0 && h.timer <= t {
		h.fire()
	}
	h.now = t
	return h
}

func (h *clientHarness) note(s string) { h.log.WriteString("# " + s + "\n") }

func (h *clientHarness) start() { h.line("app: start"); h.c.Start(h, h.now) }
func (h *clientHarness) up()    { h.line("transport up"); h.c.TransportUp(h, h.now) }
func (h *clientHarness) down()  { h.line("transport down"); h.c.TransportDown(h, h.now) }

func (h *clientHarness) recv(p Packet) {
	h.line("← %s", clientFmt(&p))
	h.c.Receive(h, h.now, &p)
}

// fire moves the clock to the timer and fires it.
func (h *clientHarness) fire() {
	if h.timer == 0 {
		h.t.Fatalf("%v: fire with no timer set", time.Duration(h.now))
	}
	h.now = h.timer
	h.timer = 0
	h.line("timer fires")
	h.c.OnTimer(h, h.now)
}

func (h *clientHarness) publish(topic, payload string, qos QoS, ref uint64) {
	h.line("app: publish q%d %s %q ref=%d", qos, topic, payload, ref)
	h.c.Publish(h, h.now, topic, []byte(payload), qos, false, ref)
}

func (h *clientHarness) subscribe(subs ...Subscription) {
	h.line("app: subscribe %s", clientFmtSubs(subs))
	h.c.Subscribe(h, h.now, subs)
}

func (h *clientHarness) disconnect() { h.line("app: disconnect"); h.c.Disconnect(h, h.now) }

// connect starts the client and completes the handshake with the given
// session-present flag.
func (h *clientHarness) connect(sp bool) {
	h.start()
	h.up()
	h.recv(Packet{Type: Connack, SessionPresent: sp})
}

// lastSent is the last packet the client sent.
func (h *clientHarness) lastSent() Packet {
	h.t.Helper()
	if len(h.sent) == 0 {
		h.t.Fatal("nothing sent")
	}
	return h.sent[len(h.sent)-1]
}

// checkGolden compares the log with testdata/client/name.txt.
func (h *clientHarness) checkGolden(name string) {
	h.t.Helper()
	path := filepath.Join("testdata", "client", name+".txt")
	got := h.log.String()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		h.t.Errorf("event log differs from %s (run with -update to accept):\n%s", path, clientLineDiff(string(want), got))
	}
}

// clientLineDiff shows the first differing line of two logs with some context.
func clientLineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

func clientFmt(p *Packet) string {
	switch p.Type {
	case Connect:
		c := p.Connect
		if c == nil {
			return "CONNECT <nil>"
		}
		s := fmt.Sprintf("CONNECT id=%s clean=%d ka=%d", c.ClientID, clientB2i(c.CleanSession), c.KeepAlive)
		if c.WillFlag {
			s += fmt.Sprintf(" will=q%d,retain=%d,%s,%q", c.WillQoS, clientB2i(c.WillRetain), c.WillTopic, c.WillMessage)
		}
		if c.UsernameFlag {
			s += fmt.Sprintf(" user=%q", c.Username)
		}
		if c.PasswordFlag {
			s += fmt.Sprintf(" pass=%q", c.Password)
		}
		return s
	case Connack:
		return fmt.Sprintf("CONNACK sp=%d rc=%d", clientB2i(p.SessionPresent), p.ReturnCode)
	case Publish:
		s := fmt.Sprintf("PUBLISH q%d", p.QoS)
		if p.QoS > 0 {
			s += fmt.Sprintf(" id=%d", p.PacketID)
		}
		s += fmt.Sprintf(" dup=%d retain=%d %s %q", clientB2i(p.Dup), clientB2i(p.Retain), p.Topic, p.Payload)
		if p.Ref != 0 {
			s += fmt.Sprintf(" ref=%d", p.Ref)
		}
		return s
	case Subscribe:
		return fmt.Sprintf("SUBSCRIBE %d %s", p.PacketID, clientFmtSubs(p.Subscriptions))
	case Suback:
		return fmt.Sprintf("SUBACK %d %v", p.PacketID, p.ReturnCodes)
	case Puback, Pubrec, Pubrel, Pubcomp, Unsuback:
		return fmt.Sprintf("%v %d", p.Type, p.PacketID)
	}
	return p.Type.String()
}

func clientFmtSubs(subs []Subscription) string {
	parts := make([]string, len(subs))
	for i, s := range subs {
		parts[i] = fmt.Sprintf("%s:q%d", s.Filter, s.QoS)
	}
	return strings.Join(parts, " ")
}

// clientClone copies p deeply enough to outlive the call that lent it.
func clientClone(p *Packet) Packet {
	q := *p
	q.Payload = append([]byte(nil), p.Payload...)
	q.Subscriptions = append([]Subscription(nil), p.Subscriptions...)
	q.ReturnCodes = append([]byte(nil), p.ReturnCodes...)
	if p.Connect != nil {
		cf := *p.Connect
		q.Connect = &cf
	}
	return q
}

func clientB2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
