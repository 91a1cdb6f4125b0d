package mqttlive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/mqtt"
)

// The project's client engine against a real mosquitto broker.

func TestClientWithMosquittoRoundTrip(t *testing.T) {
	addr := startMosquitto(t, "")
	ctx := testContext(t)
	sub := dial(t, addr, &mqtt.ClientConfig{ClientID: "rt-sub", CleanSession: true, KeepAlive: 30 * time.Second})
	codes, err := sub.Subscribe(ctx, mqtt.Subscription{Filter: "rt/#", QoS: 2}, mqtt.Subscription{Filter: "low/+", QoS: 1})
	if err != nil || fmt.Sprint(codes) != "[2 1]" {
		t.Fatalf("Subscribe = %v, %v; want [2 1]", codes, err)
	}
	pub := dial(t, addr, &mqtt.ClientConfig{ClientID: "rt-pub", CleanSession: true})
	binary := []byte{0, 0xff, '\n', 0x80, 'x'}
	sends := []struct {
		topic   string
		payload []byte
		qos     mqtt.QoS
		want    mqtt.QoS
	}{
		{"rt/q0", []byte("zero"), 0, 0},
		{"rt/q1", []byte("one"), 1, 1},
		{"rt/q2", []byte("two ☃"), 2, 2},
		{"rt/bin", binary, 2, 2},
		{"rt/empty", nil, 1, 1},
		{"low/q2", []byte("downgraded"), 2, 1}, // min(published, granted)
		{"low/q0", []byte("kept at 0"), 0, 0},
	}
	for _, s := range sends {
		if err := pub.Publish(ctx, s.topic, s.payload, s.qos, false); err != nil {
			t.Fatalf("Publish %s: %v", s.topic, err)
		}
	}
	for _, s := range sends {
		got, want := next(t, sub).String(), msgLine(s.topic, s.want, false, s.payload)
		if got != want {
			t.Errorf("received %s; want %s", got, want)
		}
	}
	st, err := pub.Stats(ctx)
	if err != nil || st.Connects != 1 || st.Lost != 0 {
		t.Errorf("publisher stats %+v, %v", st, err)
	}
}

func TestClientWithMosquittoRetained(t *testing.T) {
	addr := startMosquitto(t, "")
	ctx := testContext(t)
	pub := dial(t, addr, &mqtt.ClientConfig{ClientID: "ret-pub", CleanSession: true})
	for _, v := range []string{"old", "new"} {
		if err := pub.Publish(ctx, "ret/a", []byte(v), 1, true); err != nil {
			t.Fatal(err)
		}
	}
	late := dial(t, addr, &mqtt.ClientConfig{ClientID: "ret-late", CleanSession: true})
	if _, err := late.Subscribe(ctx, mqtt.Subscription{Filter: "ret/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, late).String(), msgLine("ret/a", 1, true, []byte("new")); got != want {
		t.Errorf("late subscriber received %s; want %s", got, want)
	}
	// Clearing: an empty retained message.
	if err := pub.Publish(ctx, "ret/a", nil, 1, true); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, late).String(), msgLine("ret/a", 1, false, nil); got != want {
		t.Errorf("live subscriber received %s; want %s", got, want)
	}
	later := dial(t, addr, &mqtt.ClientConfig{ClientID: "ret-later", CleanSession: true})
	if _, err := later.Subscribe(ctx, mqtt.Subscription{Filter: "ret/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "ret/marker", []byte("m"), 1, false); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, later).String(), msgLine("ret/marker", 1, false, []byte("m")); got != want {
		t.Errorf("subscriber after the clear received %s; want %s", got, want)
	}
}

func TestClientWithMosquittoWill(t *testing.T) {
	addr := startMosquitto(t, "")
	ctx := testContext(t)
	watcher := dial(t, addr, &mqtt.ClientConfig{ClientID: "will-watcher", CleanSession: true})
	if _, err := watcher.Subscribe(ctx, mqtt.Subscription{Filter: "will/#", QoS: 2}); err != nil {
		t.Fatal(err)
	}

	polite := dial(t, addr, &mqtt.ClientConfig{ClientID: "polite", CleanSession: true,
		Will: &mqtt.Will{Topic: "will/polite", Payload: []byte("never"), QoS: 1}})
	if err := polite.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}

	abrupt := dial(t, addr, &mqtt.ClientConfig{ClientID: "abrupt", CleanSession: true, KeepAlive: 60 * time.Second,
		Will: &mqtt.Will{Topic: "will/abrupt", Payload: []byte("gone"), QoS: 2, Retain: true}})
	abrupt.Close() // the socket closes without DISCONNECT

	// The will arrives with its QoS; retain is 0 for a live subscriber.
	if got, want := next(t, watcher).String(), msgLine("will/abrupt", 2, false, []byte("gone")); got != want {
		t.Errorf("watcher received %s; want %s (and no will of the polite client)", got, want)
	}
	// It was retained: a late subscriber gets it with retain 1.
	late := dial(t, addr, &mqtt.ClientConfig{ClientID: "will-late", CleanSession: true})
	if _, err := late.Subscribe(ctx, mqtt.Subscription{Filter: "will/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, late).String(), msgLine("will/abrupt", 1, true, []byte("gone")); got != want {
		t.Errorf("late subscriber received %s; want %s", got, want)
	}
}

func TestClientWithMosquittoPersistentSession(t *testing.T) {
	addr := startMosquitto(t, "")
	ctx := testContext(t)
	cfg := &mqtt.ClientConfig{ClientID: "persistent", CleanSession: false, KeepAlive: 30 * time.Second}
	p := dial(t, addr, cfg)
	if p.SessionPresent() {
		t.Error("first connection: session present")
	}
	if _, err := p.Subscribe(ctx, mqtt.Subscription{Filter: "ps/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if err := p.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}

	other := dial(t, addr, &mqtt.ClientConfig{ClientID: "ps-other", CleanSession: true})
	for _, m := range []struct {
		topic string
		qos   mqtt.QoS
	}{{"ps/q1-a", 1}, {"ps/q0", 0}, {"ps/q2", 2}, {"ps/q1-b", 1}} {
		if err := other.Publish(ctx, m.topic, []byte("while away "+m.topic), m.qos, false); err != nil {
			t.Fatal(err)
		}
	}

	p = dial(t, addr, cfg)
	if !p.SessionPresent() {
		t.Error("reconnection: no session present")
	}
	// Queued in order, at the granted QoS 1; the QoS 0 one is not queued.
	for _, topic := range []string{"ps/q1-a", "ps/q2", "ps/q1-b"} {
		if got, want := next(t, p).String(), msgLine(topic, 1, false, []byte("while away "+topic)); got != want {
			t.Errorf("received %s; want %s", got, want)
		}
	}
	if err := other.Publish(ctx, "ps/marker", []byte("back"), 0, false); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, p).String(), msgLine("ps/marker", 0, false, []byte("back")); got != want {
		t.Errorf("received %s; want %s (the QoS 0 message must not be queued)", got, want)
	}
}

func TestClientWithMosquittoRefused(t *testing.T) {
	needTools(t, "mosquitto_passwd")
	pw := filepath.Join(t.TempDir(), "passwd")
	run(t, nil, "mosquitto_passwd", "-b", "-c", pw, "alice", "secret")
	addr := startMosquitto(t, "allow_anonymous false\npassword_file "+pw+"\n")
	tests := []struct {
		name     string
		cfg      mqtt.ClientConfig
		accepted bool
	}{
		{"good password", mqtt.ClientConfig{Username: "alice", Password: "secret", UsernameFlag: true, PasswordFlag: true}, true},
		{"bad password", mqtt.ClientConfig{Username: "alice", Password: "wrong", UsernameFlag: true, PasswordFlag: true}, false},
		{"unknown user", mqtt.ClientConfig{Username: "bob", Password: "secret", UsernameFlag: true, PasswordFlag: true}, false},
		{"anonymous", mqtt.ClientConfig{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.ClientID, cfg.CleanSession = "auth-"+tt.name, true
			cfg.Reconnect = true // a refusal with code 5 must stop it anyway
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, err := DialContext(ctx, addr.String(), &cfg)
			if tt.accepted {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				c.Close()
				return
			}
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Code != mqtt.RefusedNotAuthorized {
				if err == nil {
					c.Close()
				}
				t.Fatalf("Dial = %v; want CONNACK return code 5 (%v)", err, mqtt.RefusedNotAuthorized)
			}
		})
	}
}

func TestClientWithMosquittoKeepalive(t *testing.T) {
	t.Parallel() // it waits in real time
	addr := startMosquitto(t, "")
	ctx := testContext(t)
	// mosquitto closes a client that is silent for 1.5 × its keepalive:
	// the client's PINGREQs must keep it connected.
	c := dial(t, addr, &mqtt.ClientConfig{ClientID: "pinger", CleanSession: true, KeepAlive: time.Second})
	if _, err := c.Subscribe(ctx, mqtt.Subscription{Filter: "ka", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if err := c.Publish(ctx, "ka", []byte("still here"), 1, false); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, c).String(), msgLine("ka", 1, false, []byte("still here")); got != want {
		t.Errorf("received %s; want %s", got, want)
	}
	st, err := c.Stats(ctx)
	if err != nil || st.Connects != 1 || st.Lost != 0 {
		t.Errorf("stats %+v, %v; want one connection, never lost", st, err)
	}
}

func TestClientWithMosquittoBurst(t *testing.T) {
	addr := startMosquitto(t, "")
	ctx := testContext(t)
	sub := dial(t, addr, &mqtt.ClientConfig{ClientID: "burst-sub", CleanSession: true})
	if _, err := sub.Subscribe(ctx, mqtt.Subscription{Filter: "burst/#", QoS: 2}); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, addr, &mqtt.ClientConfig{ClientID: "burst-pub", CleanSession: true, MaxInflight: 10})
	// Many publications at once: the engine sends them in call order
	// through its window of 10 and its queue.
	const n = 200
	errs := make(chan error, 2*n)
	for i := range n {
		for q, topic := range []string{"burst/q1", "burst/q2"} {
			payload := []byte(strconv.Itoa(i))
			go func() { errs <- pub.Publish(ctx, topic, payload, mqtt.QoS(q+1), false) }()
		}
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	for range 2 * n {
		m := next(t, sub)
		seen[m.String()]++
	}
	for i := range n {
		for q, topic := range []string{"burst/q1", "burst/q2"} {
			if k := msgLine(topic, mqtt.QoS(q+1), false, []byte(strconv.Itoa(i))); seen[k] != 1 {
				t.Errorf("%s received %d times, want once", k, seen[k])
			}
		}
	}
	st, err := pub.Stats(ctx)
	if err != nil || st.Lost != 0 || st.DroppedQueueFull != 0 {
		t.Errorf("publisher stats %+v, %v", st, err)
	}
	// The subscriber had more messages than its channel holds, unread:
	// it stopped reading instead of losing them.
	if st, err := sub.Stats(ctx); err != nil || st.Stalls == 0 || st.Lost != 0 {
		t.Errorf("subscriber stats %+v, %v; want stalls, no lost connection", st, err)
	}
}

func TestClientWithMosquittoReconnects(t *testing.T) {
	needTools(t, "mosquitto")
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: freePort(t)}
	broker, out := mosquittoAt(t, addr, "")
	if broker == nil {
		t.Skipf("mosquitto did not start on a probed free port: %s", out)
	}
	ctx := testContext(t)
	cfg := &mqtt.ClientConfig{ClientID: "phoenix", CleanSession: false, Reconnect: true,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}
	c := dial(t, addr, cfg)
	if _, err := c.Subscribe(ctx, mqtt.Subscription{Filter: "re/#", QoS: 1}); err != nil {
		t.Fatal(err)
	}

	// The broker dies and comes back without the session (persistence
	// false): the client reconnects, sees session present 0 and
	// subscribes again on its own.
	broker.cmd.Process.Kill()
	<-broker.done
	time.Sleep(100 * time.Millisecond) // a few failed dials
	if broker, out = mosquittoAt(t, addr, ""); broker == nil {
		t.Fatalf("mosquitto did not restart: %s", out)
	}
	pub := dial(t, addr, &mqtt.ClientConfig{ClientID: "re-pub", CleanSession: true})
	// Until the subscription is back, publications are lost; publish
	// until one arrives.
	deadline := time.Now().Add(testTimeout)
	for i := 0; ; i++ {
		if err := pub.Publish(ctx, "re/x", []byte("after "+strconv.Itoa(i)), 1, false); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-c.Messages():
			if m.Topic != "re/x" || m.QoS != 1 || !strings.HasPrefix(string(m.Payload), "after ") {
				t.Errorf("received %s", m)
			}
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("the client did not resubscribe after the broker restarted")
			}
			continue
		}
		break
	}
	st, err := c.Stats(ctx)
	if err != nil || st.Connects != 2 || st.Lost < 1 || st.Dials < 3 {
		t.Errorf("stats %+v, %v; want 2 connections after a loss and failed dials", st, err)
	}
}
