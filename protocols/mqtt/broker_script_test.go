package mqtt

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsim/iotsim/sim"
)

// Broker scenario scripts: testdata/broker/*.txt. Each file is a script
// of inputs to one Broker, and, indented by two spaces under each input,
// everything the broker did in answer (the BrokerEnv calls). The test runs
// the inputs and compares the whole file; `go test ./protocols/mqtt -run
// BrokerScripts -update` rewrites the answers.
//
// Inputs, one per line:
//
//	# comment                  kept as is
//	config inflight=20 queued=1000 anonymous=1 user=NAME:PW acl=USER:rw:FILTER
//	                           before anything else; default DefaultBrokerConfig
//	@1.5                       advance the clock to 1.5 s, firing due timers
//	NAME open                  a transport connection, labelled NAME
//	NAME → PACKET              a packet arrives on NAME (syntax below)
//	NAME lost                  TransportClosed
//	NAME malformed [level]     Malformed (ErrMalformed, or ErrUnsupportedProtocolLevel)
//	inject PACKET              Broker.Publish
//	match TOPIC                MatchSessions
//	stats                      Broker.Stats
//
// Packets: CONNECT id=ID clean=0 ka=60 will=TOPIC willq=1 willr
// willmsg="…" user=U pass=P level=4 ref=N; PUBLISH q1 id=1 dup r TOPIC
// "payload" ref=N (topic="" for an empty topic); SUBSCRIBE id=1 FILTER:QOS
// …; UNSUBSCRIBE id=1 FILTER …; PUBACK/PUBREC/PUBREL/PUBCOMP id=1; other
// types by name.
//
// Answers: "NAME ← PACKET", "close NAME", "closed NAME id=… reason will=0|1",
// "timer NAME @T" (or "off"), "route IN → CLIENT qQ = REF", "dropped REF
// reason", "completed REF", and "(timer NAME)" when a timer fires.

// update is the package's -update flag, for the broker's and the client's
// golden files alike.
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// brokerScript runs one script; it is the scripted BrokerEnv.
type brokerScript struct {
	t        testing.TB
	b        *Broker
	now      sim.Time
	out      strings.Builder
	conns    map[string]ConnID
	names    map[ConnID]string
	nextConn ConnID
	timers   map[ConnID]sim.Time
	nextRef  uint64
	sent     int
}

func newBrokerScript(t testing.TB, cfg BrokerConfig) *brokerScript {
	return &brokerScript{
		t: t, b: NewBroker(cfg),
		conns: map[string]ConnID{}, names: map[ConnID]string{}, timers: map[ConnID]sim.Time{},
		nextRef: 1000,
	}
}

func (h *brokerScript) emit(format string, args ...any) {
	fmt.Fprintf(&h.out, "  "+format+"\n", args...)
}

// Completed implements BrokerCompleter: the copy ref needs nothing more
// from the broker.
func (h *brokerScript) Completed(ref uint64) { h.emit("completed %d", ref) }

func (h *brokerScript) Send(c ConnID, p *Packet) {
	h.sent++
	h.emit("%s ← %s", h.names[c], brokerFormat(p))
}

func (h *brokerScript) Close(c ConnID) { h.emit("close %s", h.names[c]) }

func (h *brokerScript) SetTimer(c ConnID, at sim.Time) {
	if at == 0 {
		delete(h.timers, c)
		h.emit("timer %s off", h.names[c])
		return
	}
	h.timers[c] = at
	h.emit("timer %s @%s", h.names[c], brokerSeconds(at))
}

func (h *brokerScript) Route(in uint64, clientID string, qos QoS) uint64 {
	h.nextRef++
	h.emit("route %d → %s q%d = %d", in, clientID, qos, h.nextRef)
	return h.nextRef
}

func (h *brokerScript) Dropped(ref uint64, reason DropReason) {
	h.emit("dropped %d %s", ref, reason)
}

func (h *brokerScript) Closed(c ConnID, clientID string, reason CloseReason, willSent bool) {
	h.emit("closed %s id=%s %s will=%d", h.names[c], clientID, reason, brokerBit(willSent))
}

func brokerBit(b bool) int {
	if b {
		return 1
	}
	return 0
}

func brokerSeconds(t sim.Time) string {
	return strconv.FormatFloat(t.Seconds(), 'f', -1, 64) + "s"
}

// brokerFormat is the script syntax of p.
func brokerFormat(p *Packet) string {
	var w strings.Builder
	w.WriteString(p.Type.String())
	switch p.Type {
	case Connack:
		fmt.Fprintf(&w, " sp=%d rc=%d", brokerBit(p.SessionPresent), p.ReturnCode)
	case Publish:
		fmt.Fprintf(&w, " q%d", p.QoS)
		if p.QoS > 0 {
			fmt.Fprintf(&w, " id=%d", p.PacketID)
		}
		if p.Dup {
			w.WriteString(" dup")
		}
		if p.Retain {
			w.WriteString(" r")
		}
		fmt.Fprintf(&w, " %s %q", p.Topic, p.Payload)
		if p.Ref != 0 {
			fmt.Fprintf(&w, " ref=%d", p.Ref)
		}
	case Suback:
		codes := make([]string, len(p.ReturnCodes))
		for i, c := range p.ReturnCodes {
			codes[i] = strconv.Itoa(int(c))
		}
		fmt.Fprintf(&w, " id=%d codes=%s", p.PacketID, strings.Join(codes, ","))
	default:
		if p.PacketID != 0 {
			fmt.Fprintf(&w, " id=%d", p.PacketID)
		}
	}
	return w.String()
}

// brokerTokens splits a line at spaces, keeping Go-quoted strings (also
// as the value of key="…") whole.
func brokerTokens(line string) ([]string, error) {
	var toks []string
	for {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			return toks, nil
		}
		end := 0
		for end < len(line) && line[end] != ' ' {
			if line[end] == '"' {
				q, err := strconv.QuotedPrefix(line[end:])
				if err != nil {
					return nil, fmt.Errorf("bad quoted string in %q", line)
				}
				end += len(q)
				continue
			}
			end++
		}
		toks = append(toks, line[:end])
		line = line[end:]
	}
}

func brokerUnquote(s string) string {
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}

// brokerParse builds a packet from its script syntax.
func brokerParse(toks []string) (*Packet, error) {
	if len(toks) == 0 {
		return nil, errors.New("no packet")
	}
	var typ Type
	for t := Connect; t <= Disconnect; t++ {
		if t.String() == toks[0] {
			typ = t
		}
	}
	if typ == 0 {
		return nil, fmt.Errorf("unknown packet type %q", toks[0])
	}
	p := &Packet{Type: typ}
	if typ == Connect {
		p.Connect = &ConnectFields{ProtocolLevel: Version311, CleanSession: true, KeepAlive: 60}
	}
	topicSet := false
	for _, tok := range toks[1:] {
		key, val, kv := strings.Cut(tok, "=")
		val = brokerUnquote(val)
		num, _ := strconv.Atoi(val)
		cf := p.Connect
		switch {
		case kv && key == "id" && typ == Connect:
			cf.ClientID = val
		case kv && key == "id":
			p.PacketID = uint16(num)
		case kv && key == "ref":
			p.Ref = uint64(num)
		case kv && key == "clean":
			cf.CleanSession = num != 0
		case kv && key == "ka":
			cf.KeepAlive = uint16(num)
		case kv && key == "level":
			cf.ProtocolLevel = Version(num)
		case kv && key == "will":
			cf.WillFlag, cf.WillTopic = true, val
		case kv && key == "willq":
			cf.WillQoS = QoS(num)
		case tok == "willr":
			cf.WillRetain = true
		case kv && key == "willmsg":
			cf.WillMessage = []byte(val)
		case kv && key == "user":
			cf.UsernameFlag, cf.Username = true, val
		case kv && key == "pass":
			cf.PasswordFlag, cf.Password = true, []byte(val)
		case kv && key == "topic":
			p.Topic, topicSet = val, true
		case typ == Publish && len(tok) == 2 && tok[0] == 'q':
			p.QoS = QoS(tok[1] - '0')
		case typ == Publish && tok == "dup":
			p.Dup = true
		case typ == Publish && tok == "r":
			p.Retain = true
		case typ == Publish && strings.HasPrefix(tok, `"`):
			p.Payload = []byte(brokerUnquote(tok))
		case typ == Publish && !topicSet:
			p.Topic, topicSet = tok, true
		case typ == Subscribe:
			i := strings.LastIndexByte(tok, ':')
			if i < 0 {
				return nil, fmt.Errorf("subscription %q without :QOS", tok)
			}
			q, _ := strconv.Atoi(tok[i+1:])
			p.Subscriptions = append(p.Subscriptions, Subscription{Filter: tok[:i], QoS: QoS(q)})
		case typ == Unsubscribe:
			p.Filters = append(p.Filters, tok)
		default:
			return nil, fmt.Errorf("unexpected %q in a %s", tok, typ)
		}
	}
	return p, nil
}

// brokerConfig parses a config line.
func brokerConfig(toks []string) (BrokerConfig, error) {
	cfg := DefaultBrokerConfig()
	for _, tok := range toks {
		key, val, _ := strings.Cut(tok, "=")
		num, _ := strconv.Atoi(val)
		switch key {
		case "inflight":
			cfg.MaxInflight = num
		case "queued":
			cfg.MaxQueued = num
		case "anonymous":
			cfg.AllowAnonymous = num != 0
		case "user":
			u, pw, _ := strings.Cut(val, ":")
			if cfg.Users == nil {
				cfg.Users = map[string]string{}
			}
			cfg.Users[u] = pw
		case "acl":
			parts := strings.SplitN(val, ":", 3)
			if len(parts) != 3 {
				return cfg, fmt.Errorf("acl=%s: want USER:rw:FILTER", val)
			}
			if cfg.ACL == nil {
				cfg.ACL = map[string][]ACLRule{}
			}
			if parts[2] != "" {
				cfg.ACL[parts[0]] = append(cfg.ACL[parts[0]], ACLRule{
					Filter: parts[2], Read: strings.Contains(parts[1], "r"), Write: strings.Contains(parts[1], "w"),
				})
			}
		default:
			return cfg, fmt.Errorf("unknown config key %q", key)
		}
	}
	return cfg, nil
}

// advance moves the clock to t, firing the timers due by then in order.
func (h *brokerScript) advance(t sim.Time) {
	for {
		var next ConnID
		at := sim.Never
		for c, a := range h.timers {
			if a <= t && (a < at || a == at && c < next) {
				next, at = c, a
			}
		}
		if at == sim.Never {
			break
		}
		delete(h.timers, next)
		h.now = at
		h.emit("(timer %s @%s)", h.names[next], brokerSeconds(at))
		h.b.OnTimer(h, at, next)
	}
	h.now = t
}

// run executes one input line, writing it and the answers to h.out.
func (h *brokerScript) run(line string) error {
	h.out.WriteString(line + "\n")
	trimmed := strings.TrimSpace(line)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return nil
	}
	toks, err := brokerTokens(trimmed)
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(toks[0], "@"):
		sec, err := strconv.ParseFloat(toks[0][1:], 64)
		if err != nil {
			return err
		}
		t := sim.Time(sec*1e9 + 0.5)
		if t < h.now {
			return fmt.Errorf("time goes back to %s", toks[0])
		}
		h.advance(t)
		return nil
	case toks[0] == "config":
		return errors.New("config must be the first line")
	case toks[0] == "inject":
		p, err := brokerParse(toks[1:])
		if err != nil {
			return err
		}
		h.b.Publish(h, h.now, p)
		return nil
	case toks[0] == "match":
		var got []string
		h.b.MatchSessions(toks[1], func(id string, q QoS) { got = append(got, fmt.Sprintf("%s:q%d", id, q)) })
		if got == nil {
			got = []string{"-"}
		}
		h.emit("match %s", strings.Join(got, " "))
		return nil
	case toks[0] == "stats":
		st := h.b.Stats()
		h.emit("stats sessions=%d connected=%d subscriptions=%d retained=%d denied=%d dropped=%d/%d/%d",
			st.Sessions, st.Connected, st.Subscriptions, st.Retained, st.Denied,
			st.DroppedQueueFull, st.DroppedOffline, st.DroppedCleanSession)
		return nil
	}
	if len(toks) < 2 {
		return fmt.Errorf("cannot read %q", line)
	}
	name := toks[0]
	if toks[1] == "open" {
		h.nextConn++
		h.conns[name] = h.nextConn
		h.names[h.nextConn] = name
		h.b.Open(h, h.now, h.nextConn)
		return nil
	}
	c, ok := h.conns[name]
	if !ok {
		return fmt.Errorf("connection %q not opened", name)
	}
	switch toks[1] {
	case "lost":
		h.b.TransportClosed(h, h.now, c)
	case "malformed":
		err := ErrMalformed
		if len(toks) > 2 && toks[2] == "level" {
			err = ErrUnsupportedProtocolLevel
		}
		h.b.Malformed(h, h.now, c, err)
	case "→":
		p, err := brokerParse(toks[2:])
		if err != nil {
			return err
		}
		h.b.Receive(h, h.now, c, p)
	default:
		return fmt.Errorf("cannot read %q", line)
	}
	return nil
}

// runBrokerScript runs a script file's inputs and returns the transcript.
func runBrokerScript(t testing.TB, text string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if !strings.HasPrefix(l, "  ") {
			lines = append(lines, l)
		}
	}
	cfg := DefaultBrokerConfig()
	start := 0
	var header strings.Builder
	for start < len(lines) && (strings.HasPrefix(lines[start], "#") || strings.HasPrefix(lines[start], "config")) {
		if strings.HasPrefix(lines[start], "config") {
			toks, err := brokerTokens(lines[start])
			if err == nil {
				cfg, err = brokerConfig(toks[1:])
			}
			if err != nil {
				t.Fatalf("line %d: %v", start+1, err)
			}
		}
		header.WriteString(lines[start] + "\n")
		start++
	}
	h := newBrokerScript(t, cfg)
	h.out.WriteString(header.String())
	for i := start; i < len(lines); i++ {
		if err := h.run(lines[i]); err != nil {
			t.Fatalf("line %q: %v", lines[i], err)
		}
	}
	return h.out.String()
}

func TestBrokerScripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "broker", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata/broker")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := runBrokerScript(t, string(want))
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(want) {
				t.Errorf("%s differs (run with -update to accept):\n%s", path, brokerDiff(string(want), got))
			}
		})
	}
}

// brokerDiff shows the first lines where want and got differ.
func brokerDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	from := max(0, i-3)
	for _, l := range w[from:min(len(w), i)] {
		b.WriteString("    " + l + "\n")
	}
	for _, l := range w[i:min(len(w), i+8)] {
		b.WriteString("  - " + l + "\n")
	}
	for _, l := range g[i:min(len(g), i+8)] {
		b.WriteString("  + " + l + "\n")
	}
	return b.String()
}
