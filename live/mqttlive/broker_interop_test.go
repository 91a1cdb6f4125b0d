package mqttlive

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/mqtt"
)

// The project's broker engine serving mosquitto_pub and mosquitto_sub.

// subscriber starts mosquitto_sub printing count messages in subFormat,
// and waits until the broker has acknowledged its SUBSCRIBE.
func subscriber(t *testing.T, b *Broker, count int, qos mqtt.QoS, args ...string) *proc {
	t.Helper()
	before := waitStats(t, b, "stats", func(BrokerStats) bool { return true })
	all := append(hostPort(b.Addr()), "-C", strconv.Itoa(count), "-q", strconv.Itoa(int(qos)), "-F", subFormat)
	p := start(t, nil, "mosquitto_sub", append(all, args...)...)
	waitStats(t, b, "mosquitto_sub's SUBACK", func(st BrokerStats) bool {
		return st.PacketsOut[mqtt.Suback] > before.PacketsOut[mqtt.Suback]
	})
	return p
}

func publish(t *testing.T, b *Broker, args ...string) {
	t.Helper()
	run(t, nil, "mosquitto_pub", append(hostPort(b.Addr()), args...)...)
}

func TestBrokerWithMosquittoClientsQoS(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	binary := []byte{0, 1, 2, '\n', 0xff, 0xfe, ' ', '|', 0x80}
	file := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(file, binary, 0o600); err != nil {
		t.Fatal(err)
	}
	lineMsgs := []string{"first", "second with spaces", "drítt ☃"}
	tests := []struct {
		pubQoS, subQoS mqtt.QoS
	}{
		{0, 0}, {1, 1}, {2, 2},
		{2, 1}, {1, 2}, {2, 0}, // delivered at min(published, granted)
	}
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	for _, tt := range tests {
		t.Run("pub"+strconv.Itoa(int(tt.pubQoS))+"sub"+strconv.Itoa(int(tt.subQoS)), func(t *testing.T) {
			topic := "qos/p" + strconv.Itoa(int(tt.pubQoS)) + "/s" + strconv.Itoa(int(tt.subQoS))
			sub := subscriber(t, b, len(lineMsgs)+1, tt.subQoS, "-t", topic)
			q := strconv.Itoa(int(tt.pubQoS))
			// Several messages on one connection, so their order is fixed.
			in := []byte(lineMsgs[0] + "\n" + lineMsgs[1] + "\n" + lineMsgs[2] + "\n")
			run(t, in, "mosquitto_pub", append(hostPort(b.Addr()), "-q", q, "-t", topic, "-l")...)
			publish(t, b, "-q", q, "-t", topic, "-f", file)
			qos := min(tt.pubQoS, tt.subQoS)
			var want []string
			for _, m := range lineMsgs {
				want = append(want, msgLine(topic, qos, false, []byte(m)))
			}
			want = append(want, msgLine(topic, qos, false, binary))
			checkLines(t, "mosquitto_sub", lines(sub.wait(t)), want)
		})
	}
	st := waitStats(t, b, "every connection closed", func(st BrokerStats) bool { return st.Connected == 0 })
	if st.Malformed != 0 || st.Closed[mqtt.CloseProtocol] != 0 || st.Closed[mqtt.CloseTransport] != 0 {
		t.Errorf("unexpected closes: %+v", st)
	}
}

func TestBrokerWithMosquittoClientsRetained(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())

	live := subscriber(t, b, 3, 1, "-t", "ret/#")
	publish(t, b, "-q", "1", "-r", "-t", "ret/a", "-m", "old")
	publish(t, b, "-q", "1", "-r", "-t", "ret/a", "-m", "new")
	publish(t, b, "-q", "1", "-r", "-t", "ret/b", "-m", "other")
	// A live subscriber gets retain 0.
	checkLines(t, "live subscriber", lines(live.wait(t)), []string{
		msgLine("ret/a", 1, false, []byte("old")),
		msgLine("ret/a", 1, false, []byte("new")),
		msgLine("ret/b", 1, false, []byte("other")),
	})

	// A late subscriber gets only the last value, with retain 1, at the
	// QoS it asked for.
	late := start(t, nil, "mosquitto_sub", append(hostPort(b.Addr()), "-C", "1", "-q", "0", "-F", subFormat, "-t", "ret/a")...)
	checkLines(t, "late subscriber", lines(late.wait(t)), []string{msgLine("ret/a", 0, true, []byte("new"))})

	// -r -n clears it: a later subscriber gets the next live message
	// first, and the live subscriber sees the empty message.
	live = subscriber(t, b, 2, 1, "-t", "ret/a")
	publish(t, b, "-q", "1", "-r", "-n", "-t", "ret/a")
	checkLines(t, "live subscriber of the clear", lines(live.wait(t)), []string{
		msgLine("ret/a", 1, true, []byte("new")),
		msgLine("ret/a", 1, false, nil),
	})
	if st := waitStats(t, b, "stats", func(BrokerStats) bool { return true }); st.Retained != 1 {
		t.Errorf("retained topics = %d after clearing ret/a; want 1 (ret/b)", st.Retained)
	}
	after := subscriber(t, b, 1, 1, "-t", "ret/a")
	publish(t, b, "-q", "1", "-t", "ret/a", "-m", "marker")
	checkLines(t, "subscriber after the clear", lines(after.wait(t)), []string{msgLine("ret/a", 1, false, []byte("marker"))})
}

func TestBrokerWithMosquittoClientsWill(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	watcher := subscriber(t, b, 2, 2, "-t", "will/#")

	// A client killed with SIGKILL: its socket closes without DISCONNECT.
	dying := subscriber(t, b, 1, 0, "-i", "dying", "--will-topic", "will/dying", "--will-payload", "gone", "--will-qos", "1", "-t", "noise")
	if err := dying.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-dying.done
	waitStats(t, b, "the will", func(st BrokerStats) bool { return st.Closed[mqtt.CloseTransport] == 1 })

	// A client that disconnects normally: no will.
	publish(t, b, "-i", "polite", "--will-topic", "will/polite", "--will-payload", "never", "-t", "noise", "-m", "hello")
	publish(t, b, "-q", "2", "-t", "will/marker", "-m", "end")

	checkLines(t, "will watcher", lines(watcher.wait(t)), []string{
		msgLine("will/dying", 1, false, []byte("gone")),
		msgLine("will/marker", 2, false, []byte("end")),
	})
	st := waitStats(t, b, "stats", func(BrokerStats) bool { return true })
	if st.Closed[mqtt.CloseDisconnect] < 2 {
		t.Errorf("closes by DISCONNECT = %d, want at least 2 (both mosquitto_pub)", st.Closed[mqtt.CloseDisconnect])
	}
}

func TestBrokerWithMosquittoClientsWildcards(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	topics := []string{"a", "a/b", "a/b/c", "x/b/c", "x/y", "b/a", "a/b/c/d"}
	tests := []struct {
		filter string
		want   []string
	}{
		{"a/#", []string{"a", "a/b", "a/b/c", "a/b/c/d"}}, // a/# matches a
		{"a/+", []string{"a/b"}},
		{"+/b/c", []string{"a/b/c", "x/b/c"}},
		{"+", []string{"a"}},
		{"#", topics},
		{"+/+/c/#", []string{"a/b/c", "x/b/c", "a/b/c/d"}},
	}
	subs := make([]*proc, len(tests))
	for i, tt := range tests {
		// Each also subscribes to "end", published last: a message the
		// filter wrongly matched would push "end" out of the count.
		subs[i] = subscriber(t, b, len(tt.want)+1, 0, "-t", tt.filter, "-t", "end")
	}
	for _, topic := range topics {
		// QoS 1: mosquitto_pub exits after PUBACK, which the broker sends
		// after routing, so the publications keep their order.
		publish(t, b, "-q", "1", "-t", topic, "-m", "to "+topic)
	}
	publish(t, b, "-q", "1", "-t", "end", "-m", "end")
	for i, tt := range tests {
		var want []string
		for _, topic := range tt.want {
			want = append(want, msgLine(topic, 0, false, []byte("to "+topic)))
		}
		want = append(want, msgLine("end", 0, false, []byte("end")))
		checkLines(t, "subscriber of "+tt.filter, lines(subs[i].wait(t)), want)
	}
}

func TestBrokerWithMosquittoClientsLargePayload(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	big := make([]byte, 300_000) // many reads, a three-byte remaining length
	for i := range big {
		big[i] = byte(i * 7)
	}
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, big, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := subscriber(t, b, 1, 2, "-t", "big")
	publish(t, b, "-q", "2", "-t", "big", "-f", file)
	checkLines(t, "mosquitto_sub", lines(sub.wait(t)), []string{msgLine("big", 2, false, big)})
}

func TestBrokerRefusesMQTT5(t *testing.T) {
	needTools(t, "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	p := start(t, nil, "mosquitto_sub", append(hostPort(b.Addr()), "-V", "mqttv5", "-t", "x", "-C", "1")...)
	select {
	case <-p.done:
	case <-time.After(testTimeout):
		t.Fatal("mosquitto_sub -V mqttv5 did not give up")
	}
	if p.err == nil || !strings.Contains(strings.ToLower(p.stderr.String()), "protocol version") {
		t.Errorf("mosquitto_sub -V mqttv5: %v, stderr %q; want a refusal for the protocol version", p.err, p.stderr.String())
	}
	if st := waitStats(t, b, "stats", func(BrokerStats) bool { return true }); st.Refused[mqtt.RefusedProtocolVersion] != 1 {
		t.Errorf("refusals for the protocol version = %d, want 1", st.Refused[mqtt.RefusedProtocolVersion])
	}
}

func TestBrokerWithMosquittoClientsPersistentSession(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	// -c: clean session 0; -E: exit (with DISCONNECT) once subscribed.
	run(t, nil, "mosquitto_sub", append(hostPort(b.Addr()), "-c", "-i", "keeper", "-q", "1", "-t", "ps/#", "-E")...)
	publish(t, b, "-q", "1", "-t", "ps/a", "-m", "kept")
	publish(t, b, "-q", "0", "-t", "ps/b", "-m", "not queued")
	publish(t, b, "-q", "2", "-t", "ps/c", "-m", "kept too")
	back := subscriber(t, b, 3, 1, "-c", "-i", "keeper", "-t", "ps/#")
	publish(t, b, "-q", "0", "-t", "ps/end", "-m", "end")
	checkLines(t, "returning subscriber", lines(back.wait(t)), []string{
		msgLine("ps/a", 1, false, []byte("kept")),
		msgLine("ps/c", 1, false, []byte("kept too")),
		msgLine("ps/end", 0, false, []byte("end")),
	})
	st := waitStats(t, b, "stats", func(BrokerStats) bool { return true })
	if st.DroppedOffline != 1 {
		t.Errorf("copies dropped offline = %d, want 1 (the QoS 0 one)", st.DroppedOffline)
	}
	if st.Sessions != 1 {
		t.Errorf("sessions = %d, want 1 (keeper's, persistent)", st.Sessions)
	}
}

func TestBrokerWithMosquittoClientsTakeover(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	watcher := subscriber(t, b, 1, 1, "-t", "will/#")
	// A second connection with the same client id closes the first; a
	// clean session's will is published then (as mosquitto 2.0 does).
	first := subscriber(t, b, 1, 0, "-i", "twin", "--will-topic", "will/twin", "--will-payload", "replaced", "-t", "noise")
	publish(t, b, "-i", "twin", "-t", "noise", "-m", "hi")
	checkLines(t, "watcher", lines(watcher.wait(t)), []string{msgLine("will/twin", 0, false, []byte("replaced"))})
	first.cmd.Process.Kill() // mosquitto_sub would reconnect and take the id back
	if st := waitStats(t, b, "stats", func(BrokerStats) bool { return true }); st.Closed[mqtt.CloseTakeover] < 1 {
		t.Errorf("takeovers = %d, want at least 1", st.Closed[mqtt.CloseTakeover])
	}
}

func TestBrokerWithMosquittoClientsBurst(t *testing.T) {
	needTools(t, "mosquitto_pub", "mosquitto_sub")
	b := startBroker(t, mqtt.DefaultBrokerConfig())
	// More messages than the inflight window (20) on both sides, fewer
	// than the queue (1000): all arrive, once, in order.
	const n = 500
	var in strings.Builder
	var want []string
	for i := range n {
		m := "message " + strconv.Itoa(i)
		in.WriteString(m + "\n")
		want = append(want, msgLine("burst", 2, false, []byte(m)))
	}
	sub := subscriber(t, b, n, 2, "-t", "burst")
	run(t, []byte(in.String()), "mosquitto_pub", append(hostPort(b.Addr()), "-q", "2", "-t", "burst", "-l")...)
	checkLines(t, "mosquitto_sub", lines(sub.wait(t)), want)
}
