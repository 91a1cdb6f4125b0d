package mqttlive

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotsim/iotsim/protocols/mqtt"
)

// testTimeout bounds every wait of one test.
const testTimeout = 10 * time.Second

// needTools skips the test when a binary is missing, unless IOTSIM_INTEROP=1
// asks for the interop tests to run, where a missing tool is a failure.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("IOTSIM_INTEROP") == "1" {
				t.Fatalf("IOTSIM_INTEROP=1 but %s is not installed (Debian: apt-get install mosquitto mosquitto-clients)", n)
			}
			t.Skipf("%s not installed (Debian: mosquitto, mosquitto-clients); set IOTSIM_INTEROP=1 to make this a failure", n)
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// syncBuffer is a bytes.Buffer a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a process a test started; it is killed (by PID) at cleanup.
type proc struct {
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error
}

func start(t *testing.T, stdin []byte, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if stdin != nil {
		p.cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for p to exit successfully and returns its output.
func (p *proc) wait(t *testing.T) string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(testTimeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not finish in %v; stdout %q, stderr %q", p.cmd, testTimeout, p.stdout.String(), p.stderr.String())
	}
	if p.err != nil {
		t.Fatalf("%s: %v; stdout %q, stderr %q", p.cmd, p.err, p.stdout.String(), p.stderr.String())
	}
	return p.stdout.String()
}

// run runs a command to its end.
func run(t *testing.T, stdin []byte, name string, args ...string) string {
	t.Helper()
	return start(t, stdin, name, args...).wait(t)
}

// hostPort returns mosquitto_* arguments for addr.
func hostPort(addr *net.TCPAddr) []string {
	return []string{"-h", addr.IP.String(), "-p", strconv.Itoa(addr.Port)}
}

// subFormat makes mosquitto_sub print topic, QoS, retain flag and the
// payload in hex, one message a line.
const subFormat = `%t|%q|%r|%x`

// msgLine is a message as subFormat prints it.
func msgLine(topic string, qos mqtt.QoS, retain bool, payload []byte) string {
	r := 0
	if retain {
		r = 1
	}
	return fmt.Sprintf("%s|%d|%d|%s", topic, qos, r, hex.EncodeToString(payload))
}

func lines(out string) []string {
	out = strings.TrimSuffix(out, "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func checkLines(t *testing.T, what string, got []string, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s received\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// startBroker starts the project's broker engine on a free loopback port.
func startBroker(t *testing.T, cfg mqtt.BrokerConfig) *Broker {
	t.Helper()
	b, err := ListenBroker("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// waitStats polls the broker's counters until ok accepts them.
func waitStats(t *testing.T, b *Broker, what string, ok func(BrokerStats) bool) BrokerStats {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		st, err := b.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startMosquitto starts a mosquitto broker of the test's own on a free
// loopback port, with a config file the test writes; extra is appended to
// it.
func startMosquitto(t *testing.T, extra string) *net.TCPAddr {
	t.Helper()
	needTools(t, "mosquitto")
	var last string
	for range 3 { // the free port may be taken between the probe and mosquitto
		addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: freePort(t)}
		p, out := mosquittoAt(t, addr, extra)
		if p != nil {
			return addr
		}
		last = out
	}
	t.Fatalf("mosquitto did not start: %s", last)
	return nil
}

// mosquittoAt starts mosquitto on addr and waits until it accepts
// connections. If it exits first, it returns nil and its output.
func mosquittoAt(t *testing.T, addr *net.TCPAddr, extra string) (*proc, string) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	text := fmt.Sprintf("listener %d %s\nallow_anonymous true\npersistence false\n%s", addr.Port, addr.IP, extra)
	if os.Geteuid() == 0 {
		// Started as root, mosquitto becomes user mosquitto, which
		// cannot read the test's private temporary files (the password
		// file).
		text += "user root\n"
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "mosquitto", "-c", conf)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, p.stderr.String() + p.stdout.String()
		default:
		}
		if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
			c.Close()
			return p, ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("mosquitto on %s did not accept connections in 5 s: %s", addr, p.stderr.String())
	return nil, ""
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dial connects the project's client engine, failing the test on error.
func dial(t *testing.T, addr *net.TCPAddr, cfg *mqtt.ClientConfig) *Client {
	t.Helper()
	c, err := DialContext(testContext(t), addr.String(), cfg)
	if err != nil {
		t.Fatalf("dial %s as %q: %v", addr, cfg.ClientID, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next waits for c's next message.
func next(t *testing.T, c *Client) Message {
	t.Helper()
	select {
	case m, ok := <-c.Messages():
		if !ok {
			t.Fatal("client closed while waiting for a message")
		}
		return m
	case <-time.After(testTimeout):
		t.Fatal("no message in time")
	}
	return Message{}
}

func (m Message) String() string {
	s := msgLine(m.Topic, m.QoS, m.Retain, m.Payload)
	if m.Dup {
		s += "|dup"
	}
	return s
}
