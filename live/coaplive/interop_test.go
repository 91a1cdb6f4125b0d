package coaplive

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/coap"
)

// Interop tests against libcoap 4.3 (Debian package libcoap3-bin). They
// are skipped when its tools are missing, unless IOTSIM_INTEROP=1 (as in
// CI), when that is a failure.

const (
	libcoapClient = "coap-client-notls"
	libcoapServer = "coap-server-notls"
)

func needLibcoap(t *testing.T) {
	t.Helper()
	for _, tool := range []string{libcoapClient, libcoapServer} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("IOTSIM_INTEROP") == "1" {
				t.Fatalf("IOTSIM_INTEROP=1 but %s is missing (apt-get install libcoap3-bin)", tool)
			}
			t.Skipf("%s not installed (apt-get install libcoap3-bin); set IOTSIM_INTEROP=1 to make this a failure", tool)
		}
	}
}

// coapClient runs coap-client-notls with args plus -o FILE and returns
// what it wrote there: exactly the payload bytes received (notifications
// one after another).
func coapClient(t *testing.T, ctx context.Context, args ...string) []byte {
	t.Helper()
	b, err := runCoapClient(ctx, t.TempDir(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runCoapClient is coapClient for other goroutines than the test's.
func runCoapClient(ctx context.Context, dir string, args ...string) ([]byte, error) {
	out := filepath.Join(dir, "out")
	cmd := exec.CommandContext(ctx, libcoapClient, append([]string{"-o", out}, args...)...)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", libcoapClient, strings.Join(args, " "), err, stderr.Bytes())
	}
	b, err := os.ReadFile(out)
	if os.IsNotExist(err) {
		return nil, nil // nothing received
	}
	return b, err
}

// startLibcoapServer starts coap-server-notls on a free loopback port and
// returns its address once it answers a CoAP ping.
func startLibcoapServer(t *testing.T) string {
	t.Helper()
	addr := freeUDPAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, libcoapServer, "-A", "127.0.0.1", "-p", port)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel() // kills the process
		_ = cmd.Wait()
	})
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ping := coap.Append(nil, coap.NewEmpty(coap.CON, 0x7777))
	buf := make([]byte, 64)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		_, _ = conn.Write(ping)
		_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := conn.Read(buf); err == nil {
			if m, err := coap.Parse(buf[:n]); err == nil && m.Type == coap.RST && m.MessageID == 0x7777 {
				return addr
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s on port %s does not answer a ping\n%s", libcoapServer, port, stderr.Bytes())
	return ""
}

func uri(s *Server, path string) string { return fmt.Sprintf("coap://%s%s", s.Addr(), path) }

// TestLibcoapClientGet: CON and NON GETs from coap-client, piggybacked
// and NON responses; a missing resource gives no payload.
func TestLibcoapClientGet(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	srv := newTestServer(t, coap.ServerConfig{Dedup: true})
	if err := srv.SetResource("/x", []byte("value of x")); err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, 20*time.Second)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"CON", []string{"-m", "get", uri(srv, "/x")}, "value of x"},
		{"NON", []string{"-N", "-m", "get", uri(srv, "/x")}, "value of x"},
		{"missing", []string{"-m", "get", uri(srv, "/none")}, ""},
	} {
		if got := coapClient(t, ctx, tt.args...); string(got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if st, _ := srv.Stats(); st.Requests != 3 || st.Malformed != 0 || st.Resets != 0 {
		t.Errorf("stats %+v, want 3 requests and nothing malformed or reset", st)
	}
}

// TestLibcoapClientPostPut: POST and PUT bodies from coap-client land in
// the resource store, whole also when sent block-wise (Block1).
func TestLibcoapClientPostPut(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	srv := newTestServer(t, coap.ServerConfig{})
	ctx := timeout(t, 20*time.Second)
	big := bigBody(3000)
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, big, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
		args       []string
		want       []byte
	}{
		{"POST", "/p", []string{"-m", "post", "-e", "data", uri(srv, "/p")}, []byte("data")},
		{"PUT", "/q", []string{"-m", "put", "-e", "hello", uri(srv, "/q")}, []byte("hello")},
		{"PUT again", "/q", []string{"-m", "put", "-e", "hello again", uri(srv, "/q")}, []byte("hello again")},
		{"block-wise PUT", "/big", []string{"-m", "put", "-b", "64", "-f", file, uri(srv, "/big")}, big},
		{"NON block-wise PUT", "/big2", []string{"-N", "-m", "put", "-b", "64", "-f", file, uri(srv, "/big2")}, big},
	} {
		coapClient(t, ctx, tt.args...)
		got, ok, err := srv.Resource(tt.path)
		if err != nil || !ok || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: resource %s = %d bytes (exists %v, %v), want %d bytes %.20q…", tt.name, tt.path, len(got), ok, err, len(tt.want), tt.want)
		}
	}
}

// TestLibcoapClientBlockwiseGet: coap-client -b 64 fetches a 3000-byte
// resource in 47 blocks and gets every byte, in CON and in NON (-N)
// requests.
func TestLibcoapClientBlockwiseGet(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	for _, tt := range []struct {
		name  string
		extra []string
	}{{"CON", nil}, {"NON", []string{"-N"}}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, coap.ServerConfig{})
			big := bigBody(3000)
			if err := srv.SetResource("/big", big); err != nil {
				t.Fatal(err)
			}
			ctx := timeout(t, 20*time.Second)
			got := coapClient(t, ctx, append(tt.extra, "-m", "get", "-b", "64", uri(srv, "/big"))...)
			if !bytes.Equal(got, big) {
				t.Errorf("got %d bytes, want the 3000 of the resource", len(got))
			}
			if st, _ := srv.Stats(); st.Requests != 47 {
				t.Errorf("%d requests, want 47 (one per 64-byte block)", st.Requests)
			}
		})
	}
}

// TestLibcoapClientObserve: coap-client -s observes a resource; changes
// from the Go side and from a second coap-client's POST reach it in
// order, and it deregisters when done.
func TestLibcoapClientObserve(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	for _, con := range []bool{true, false} {
		t.Run(fmt.Sprintf("NotifyCON=%v", con), func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, coap.ServerConfig{NotifyCON: con})
			if err := srv.SetResource("/obs", []byte("v0")); err != nil {
				t.Fatal(err)
			}
			ctx := timeout(t, 20*time.Second)
			done := make(chan []byte, 1)
			dir := t.TempDir()
			go func() {
				b, err := runCoapClient(ctx, dir, "-w", "-s", "3", uri(srv, "/obs"))
				if err != nil {
					t.Error(err)
				}
				done <- b
			}()
			waitFor(t, "the observer", func() bool { n, _ := srv.Observers("/obs"); return n == 1 })
			if err := srv.Change("/obs", []byte("v1")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			coapClient(t, ctx, "-m", "post", "-e", "v2", uri(srv, "/obs"))
			time.Sleep(100 * time.Millisecond)
			if err := srv.Change("/obs", []byte("v3")); err != nil {
				t.Fatal(err)
			}
			got := <-done
			if want := "v0\nv1\nv2\nv3\n"; string(got) != want {
				t.Errorf("coap-client wrote %q, want %q", got, want)
			}
			waitFor(t, "the deregistration", func() bool { n, _ := srv.Observers("/obs"); return n == 0 })
			st, _ := srv.Stats()
			if st.NotificationsSent != 3 || st.NotifiedOK != 3 {
				t.Errorf("%d notifications sent, %d ok; want 3 and 3", st.NotificationsSent, st.NotifiedOK)
			}
		})
	}
}

// TestLibcoapServerGet: our client's CON and NON GETs against
// coap-server.
func TestLibcoapServerGet(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	addr := startLibcoapServer(t)
	c := dialTest(t, addr, nil)
	ctx := timeout(t, 20*time.Second)
	m, err := c.Get(ctx, "/.well-known/core")
	if err != nil {
		t.Fatal(err)
	}
	if m.Code != coap.Content || !bytes.Contains(m.Payload, []byte("</time>")) || !bytes.Contains(m.Payload, []byte("</example_data>")) {
		t.Errorf("/.well-known/core: %v %q", m.Code, m.Payload)
	}
	if cf, ok := m.Options.Uint(coap.ContentFormat); !ok || cf != 40 {
		t.Errorf("/.well-known/core Content-Format %d (%v), want 40 (link-format)", cf, ok)
	}
	for _, con := range []bool{true, false} {
		m, err := c.Do(ctx, coap.Request{Confirmable: con, Code: coap.GET, Options: pathOpts("/time")})
		if err != nil {
			t.Fatalf("con=%v: %v", con, err)
		}
		// "Nov 23 13:02:26": the server's clock, in its own format.
		if _, perr := time.Parse(time.Stamp, string(m.Payload)); m.Code != coap.Content || perr != nil {
			t.Errorf("con=%v: /time %v %q (%v)", con, m.Code, m.Payload, perr)
		}
		if age, ok := m.Options.Uint(coap.MaxAge); !ok || age != 1 {
			t.Errorf("con=%v: Max-Age %d (%v), want 1 as in the reference trace", con, age, ok)
		}
	}
	m, err = c.Get(ctx, "/nope")
	if err != nil || m.Code != coap.NotFound {
		t.Errorf("/nope: %v (%v), want 4.04", m.Code, err)
	}
}

// TestLibcoapServerObserve: observing /time brings notifications once a
// second with increasing Observe numbers; cancelling ends them.
func TestLibcoapServerObserve(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	addr := startLibcoapServer(t)
	c := dialTest(t, addr, nil)
	octx, cancel := context.WithCancel(timeout(t, 20*time.Second))
	defer cancel()
	ch, err := c.Observe(octx, "/time")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint32
	for len(seqs) < 3 {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatal("channel closed")
			}
			v, has := m.Options.Observe()
			if m.Code != coap.Content || !has {
				t.Fatalf("notification %v", m)
			}
			if _, err := time.Parse(time.Stamp, string(m.Payload)); err != nil {
				t.Errorf("notification payload %q: %v", m.Payload, err)
			}
			seqs = append(seqs, v)
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d notifications (Observe %v)", len(seqs), seqs)
		}
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("Observe numbers %v, want increasing", seqs)
		}
	}
	cancel()
	for range ch {
	}
	// The next notification (within a second) is answered with Reset,
	// after which libcoap sends nothing more.
	time.Sleep(1500 * time.Millisecond)
	before, _ := c.Stats()
	time.Sleep(1500 * time.Millisecond)
	after, _ := c.Stats()
	if after.Datagrams != before.Datagrams {
		t.Errorf("%d datagrams after the Reset, want none", after.Datagrams-before.Datagrams)
	}
	if after.Notifications != 3 || after.Stale != 0 {
		t.Errorf("stats %+v, want exactly 3 notifications handed out", after)
	}
}

// TestLibcoapServerBlockwise: our client fetches /example_data in 16-byte
// blocks and gets what coap-client gets; a 3000-byte PUT in 64-byte
// blocks replaces it, as coap-client then sees.
func TestLibcoapServerBlockwise(t *testing.T) {
	needLibcoap(t)
	t.Parallel()
	addr := startLibcoapServer(t)
	ctx := timeout(t, 25*time.Second)
	p := coap.DefaultParams()
	p.BlockSize = 16
	c := dialTest(t, addr, &p)
	want := coapClient(t, ctx, "-m", "get", "coap://"+addr+"/example_data")
	if len(want) <= 16 {
		t.Fatalf("/example_data is only %d bytes", len(want))
	}
	m, err := c.Get(ctx, "/example_data")
	if err != nil {
		t.Fatal(err)
	}
	if m.Code != coap.Content || !bytes.Equal(m.Payload, want) {
		t.Errorf("GET /example_data: %v %d bytes, want 2.05 and the %d bytes coap-client got", m.Code, len(m.Payload), len(want))
	}
	if b, ok := m.Options.Block2(); !ok || b.More || b.Size() != 16 || int(b.Num) != (len(want)-1)/16 {
		t.Errorf("last block %+v (%v), want the %dth of 16 bytes", b, ok, (len(want)-1)/16)
	}
	// The same transfer in NON requests: each block is its own NON
	// request holding the NSTART slot until its NON response.
	m, err = c.Do(ctx, coap.Request{Code: coap.GET, Options: pathOpts("/example_data")})
	if err != nil {
		t.Fatal(err)
	}
	if m.Code != coap.Content || !bytes.Equal(m.Payload, want) {
		t.Errorf("NON GET /example_data: %v %d bytes, want 2.05 and the %d bytes coap-client got", m.Code, len(m.Payload), len(want))
	}

	p64 := coap.DefaultParams()
	p64.BlockSize = 64
	c64 := dialTest(t, addr, &p64)
	big := bigBody(3000)
	m, err = c64.Do(ctx, coap.Request{Confirmable: true, Code: coap.PUT, Options: pathOpts("/example_data"), Payload: big})
	if err != nil {
		t.Fatal(err)
	}
	if m.Code != coap.Changed && m.Code != coap.Created {
		t.Errorf("PUT: %v, want 2.04 or 2.01", m.Code)
	}
	if got := coapClient(t, ctx, "-m", "get", "coap://"+addr+"/example_data"); !bytes.Equal(got, big) {
		t.Errorf("after the PUT coap-client gets %d bytes, want the 3000 put", len(got))
	}
}
