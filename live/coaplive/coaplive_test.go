package coaplive

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/coap"
)

// bigBody is a representation that needs many blocks, with bytes that
// differ from block to block so that a misplaced block shows.
func bigBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i*7/13%26)
	}
	return b
}

func newTestServer(t *testing.T, cfg coap.ServerConfig) *Server {
	t.Helper()
	s, err := NewServer("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dialTest(t *testing.T, addr string, p *coap.Params) *Client {
	t.Helper()
	c, err := Dial(addr, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func pathOpts(p string) coap.Options {
	var o coap.Options
	o.SetPath(p)
	return o
}

// TestLoopback runs our client against our server over real sockets.
func TestLoopback(t *testing.T) {
	t.Parallel()
	p := coap.DefaultParams()
	p.BlockSize = 64
	srv := newTestServer(t, coap.ServerConfig{Params: &p, Dedup: true, NotifyCON: true})
	big := bigBody(3000)
	if err := srv.SetResource("/big", big); err != nil {
		t.Fatal(err)
	}
	c := dialTest(t, srv.Addr().String(), &p)
	ctx := timeout(t, 10*time.Second)

	tests := []struct {
		name     string
		req      coap.Request
		code     coap.Code
		payload  []byte
		resource string // checked after the request when set
	}{
		{"get missing", coap.Request{Confirmable: true, Code: coap.GET, Options: pathOpts("/nope")}, coap.NotFound, nil, ""},
		{"put new", coap.Request{Confirmable: true, Code: coap.PUT, Options: pathOpts("/a/b"), Payload: []byte("hello")}, coap.Created, nil, "hello"},
		{"put again", coap.Request{Confirmable: true, Code: coap.PUT, Options: pathOpts("/a/b"), Payload: []byte("again")}, coap.Changed, nil, "again"},
		{"non get", coap.Request{Code: coap.GET, Options: pathOpts("/a/b")}, coap.Content, []byte("again"), ""},
		{"blockwise get", coap.Request{Confirmable: true, Code: coap.GET, Options: pathOpts("/big")}, coap.Content, big, ""},
		{"blockwise post", coap.Request{Confirmable: true, Code: coap.POST, Options: pathOpts("/up"), Payload: big[:1000]}, coap.Changed, nil, string(big[:1000])},
	}
	for _, tt := range tests {
		m, err := c.Do(ctx, tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if m.Code != tt.code || !bytes.Equal(m.Payload, tt.payload) {
			t.Errorf("%s: got %v %dB; want %v %dB", tt.name, m.Code, len(m.Payload), tt.code, len(tt.payload))
		}
		if tt.resource != "" {
			if got, ok, _ := srv.Resource(tt.req.Options.Path()); !ok || string(got) != tt.resource {
				t.Errorf("%s: resource %q (%v), want %q", tt.name, got, ok, tt.resource)
			}
		}
	}
}

// TestLoopbackObserve: Change notifies with increasing Observe numbers;
// cancelling the context closes the channel and removes the observer.
func TestLoopbackObserve(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, coap.ServerConfig{NotifyCON: true})
	if err := srv.SetResource("/temp", []byte("20")); err != nil {
		t.Fatal(err)
	}
	c := dialTest(t, srv.Addr().String(), nil)
	octx, cancel := context.WithCancel(timeout(t, 10*time.Second))
	ch, err := c.Observe(octx, "/temp")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one observer", func() bool { n, _ := srv.Observers("/temp"); return n == 1 })
	var seqs []uint32
	for i, v := range []string{"21", "22", "23"} {
		if err := srv.Change("/temp", []byte(v)); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-ch:
			seq, _ := m.Options.Observe()
			seqs = append(seqs, seq)
			if string(m.Payload) != v || m.Code != coap.Content {
				t.Errorf("notification %v %q, want 2.05 %q", m.Code, m.Payload, v)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no notification of %q", v)
		}
		// The next Change would otherwise replace a CON notification
		// whose ACK is still on its way.
		waitFor(t, "the ACK", func() bool { st, _ := srv.Stats(); return st.NotifiedOK == int64(i+1) })
	}
	if len(seqs) != 3 || seqs[0] >= seqs[1] || seqs[1] >= seqs[2] {
		t.Errorf("Observe numbers %v, want increasing", seqs)
	}
	cancel()
	for range ch { // closed once the cancel has reached the engine
	}
	if err := srv.Change("/temp", []byte("24")); err != nil { // answered with Reset
		t.Fatal(err)
	}
	waitFor(t, "no observer", func() bool { n, _ := srv.Observers("/temp"); return n == 0 })
	st, _ := srv.Stats()
	if st.NotifiedOK != 3 || st.NotifyFailed != 1 {
		t.Errorf("notifications ok %d failed %d, want 3 and 1", st.NotifiedOK, st.NotifyFailed)
	}
}

// TestServerMalformed: a malformed CON gets a Reset, as libcoap does.
func TestServerMalformed(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, coap.ServerConfig{})
	conn, err := net.DialUDP("udp", nil, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// CON GET, message id 0x1234, token length 9 (reserved).
	if _, err := conn.Write([]byte{0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := coap.Parse(buf[:n])
	if err != nil || m.Type != coap.RST || m.MessageID != 0x1234 || m.Code != coap.Empty {
		t.Errorf("answer %v (%v), want RST 0.00 4660", m, err)
	}
	if st, _ := srv.Stats(); st.Malformed != 1 {
		t.Errorf("Malformed = %d, want 1", st.Malformed)
	}
}

// TestClientTimeoutAndClose: with nobody listening the request times out
// after MAX_RETRANSMIT retransmissions; Close ends waiting calls.
func TestClientTimeoutAndClose(t *testing.T) {
	t.Parallel()
	p := coap.DefaultParams()
	p.AckTimeout, p.MaxRetransmit = 20*time.Millisecond, 2 // gives up after 7 × 20…30 ms
	c := dialTest(t, freeUDPAddr(t), &p)
	ctx := timeout(t, 10*time.Second)
	start := time.Now()
	_, err := c.Get(ctx, "/x")
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Failure != coap.TimedOut {
		t.Fatalf("err = %v, want timed out", err)
	}
	if d := time.Since(start); d < 140*time.Millisecond || d > 3*time.Second {
		t.Errorf("gave up after %v, want about 140–210 ms", d)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "/y"); done <- err }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Do during Close: %v, want ErrClosed", err)
	}
	if _, err := c.Get(ctx, "/z"); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
}

// freeUDPAddr returns a loopback address with a port nobody listens on
// (just released; another process could take it, but rarely does).
func freeUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	c.Close()
	return addr
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
