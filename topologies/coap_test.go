package topologies

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/iotsim/iotsim/models/network"

	"github.com/iotsim/iotsim/protocols/coap"
)

// coapLossExperiment: n devices each sending `per` requests 100 s apart
// (so NSTART never queues) over an access link with loss p in both
// directions; the server's own link is lossless and instant.
func coapLossExperiment(n, per int, p float64, typ string) string {
	return fmt.Sprintf(`
name = "coap-loss"
duration = "%ds"
drain = "100s"
[links.access]
loss = { model = "bernoulli", p = %g }
delay = { dist = "constant", value = "20ms" }
[links.server]
delay = { dist = "constant", value = "0s" }
[coap_servers.api]
link = "server"
[devices.sensor]
count = %d
link = "access"
attach = "api"
protocol = "coap"
workload = { kind = "periodic", interval = "100s", payload = 32 }
ramp = "100s"
coap = { type = %q }
`, per*100, p, n, typ)
}

// TestCoAPClosedForms checks CON and NON messaging over independent loss
// against the closed forms of the issue, with tolerances of five standard
// errors of the sample (fixed seeds, so the outcome is fixed too).
func TestCoAPClosedForms(t *testing.T) {
	const n, per = 1000, 10
	for _, p := range []float64{0.05, 0.2, 0.4} {
		for _, typ := range []string{"con", "non"} {
			c, _, w := runWorld(t, coapLossExperiment(n, per, p, typ), Options{Seed: 11})
			total := len(c.msgs)
			if total != n*per {
				t.Fatalf("p=%g %s: %d messages; want %d", p, typ, total, n*per)
			}
			var delivered, txSum, txSq float64
			for _, m := range c.msgs {
				if m.Delivered {
					delivered++
				}
				if m.Copies > 1 {
					t.Fatalf("p=%g %s: message delivered %d times with dedup on", p, typ, m.Copies)
				}
				tx := float64(m.Transmissions)
				txSum += tx
				txSq += tx * tx
			}
			N := float64(total)
			check := func(what string, got, want, sd float64) {
				t.Helper()
				tol := 5*sd + 1e-12
				t.Logf("p=%g %s: %s = %.5f; closed form %.5f ± %.5f", p, typ, what, got, want, tol)
				if math.Abs(got-want) > tol {
					t.Errorf("p=%g %s: %s = %.5f; closed form %.5f ± %.5f", p, typ, what, got, want, tol)
				}
			}
			binom := func(q float64) float64 { return math.Sqrt(q * (1 - q) / N) }
			q := (1 - p) * (1 - p)
			if typ == "con" {
				want := 1 - math.Pow(p, float64(coap.DefaultParams().MaxRetransmit+1))
				check("delivery", delivered/N, want, binom(want))
				ack := 1 - math.Pow(1-q, 5)
				check("ACK seen", float64(w.CoAP.Responses)/N, ack, binom(ack))
				if got := w.CoAP.Responses + w.CoAP.Failures[coap.TimedOut]; got != int64(N) {
					t.Errorf("p=%g: %d responses + timeouts; want %d", p, got, int(N))
				}
				mean := txSum / N
				sd := math.Sqrt((txSq/N - mean*mean) / N)
				check("mean transmissions", mean, (1-math.Pow(1-q, 5))/q, sd)
			} else {
				check("delivery", delivered/N, 1-p, binom(1-p))
				if txSum != N {
					t.Errorf("p=%g non: %v transmissions for %v messages", p, txSum, N)
				}
			}
		}
	}
}

// coapScenario is one device group talking to one server over a link
// whose loss rule the test sets.
func coapScenario(server, device string) string {
	return `
name = "coap"
duration = "30s"
drain = "100s"
[links.access]
delay = { dist = "constant", value = "10ms" }
[links.server]
[coap_servers.api]
link = "server"
` + server + `
[devices.s]
count = 1
link = "access"
attach = "api"
protocol = "coap"
` + device
}

func TestCoAPWorldScenarios(t *testing.T) {
	for _, tc := range []struct {
		name, server, device string
		kinds                string // packets table kinds, in order
		copies, tx           int32
	}{
		{"piggybacked", "", `workload = { kind = "periodic", interval = "1h", payload = 10 }`,
			"CON CON ACK ACK", 1, 1},
		{"non", "", `workload = { kind = "periodic", interval = "1h", payload = 10 }
coap = { type = "non" }`,
			"NON NON NON NON", 1, 1},
		{"separate", `processing = "3s"`, `workload = { kind = "periodic", interval = "1h", payload = 10 }`,
			"CON CON ACK ACK CON CON ACK ACK", 1, 1},
		{"block-wise", "", `workload = { kind = "periodic", interval = "1h", payload = 2500 }`,
			"CON CON ACK ACK CON CON ACK ACK CON CON ACK ACK", 1, 3},
		{"non block-wise", "", `workload = { kind = "periodic", interval = "1h", payload = 2500 }
coap = { type = "non" }`,
			"NON NON NON NON NON NON NON NON NON NON NON NON", 1, 3},
	} {
		c, _, w := runWorld(t, coapScenario(tc.server, tc.device), Options{Seed: 5, Packets: true})
		var kinds []string
		for _, p := range c.packets {
			kinds = append(kinds, p.Kind)
		}
		if got := strings.Join(kinds, " "); got != tc.kinds {
			t.Errorf("%s: packets %q; want %q", tc.name, got, tc.kinds)
		}
		if len(c.msgs) != 1 {
			t.Fatalf("%s: %d messages", tc.name, len(c.msgs))
		}
		m := c.msgs[0]
		if !m.Delivered || m.Copies != tc.copies || m.Transmissions != tc.tx || m.Protocol != "coap" || m.TopicOrPath != "/telemetry" {
			t.Errorf("%s: message %+v", tc.name, m)
		}
		if w.CoAP.Responses != 1 {
			t.Errorf("%s: %d responses", tc.name, w.CoAP.Responses)
		}
	}
}

// TestCoAPDedupCopies loses every ACK from the server: the device
// retransmits MAX_RETRANSMIT times. With dedup the server's application
// gets the request once; without, once per transmission (copies).
func TestCoAPDedupCopies(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		text := fmt.Sprintf(`
name = "dedup"
duration = "10s"
drain = "100s"
[links.access]
delay = { dist = "constant", value = "10ms" }
[links.server]
[coap_servers.api]
link = "server"
dedup = %v
[devices.s]
count = 1
link = "access"
attach = "api"
protocol = "coap"
workload = { kind = "periodic", interval = "1h", payload = 10 }
`, dedup)
		w, c := build(t, text, Options{Seed: 5})
		w.Net.SetDropFilter(func(p *network.Packet) bool { return p.Kind == kindCoAPACK })
		w.K.Run(w.End())
		w.Finish()
		if len(c.msgs) != 1 {
			t.Fatalf("%d messages", len(c.msgs))
		}
		m := c.msgs[0]
		wantCopies := int32(1)
		if !dedup {
			wantCopies = 5
		}
		if m.Transmissions != 5 || m.Copies != wantCopies || !m.Delivered || m.Recovered {
			t.Errorf("dedup=%v: message %+v; want 5 transmissions, %d copies", dedup, m, wantCopies)
		}
		if w.CoAP.Failures[coap.TimedOut] != 1 {
			t.Errorf("dedup=%v: failures %v", dedup, w.CoAP.Failures)
		}
	}
}

// TestCoAPDeviceSize pins the layout the fleet benchmarks were measured
// with: a device record of exactly four cache lines (see coapDevice).
func TestCoAPDeviceSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout was measured on 64-bit platforms")
	}
	if n := unsafe.Sizeof(coapDevice{}); n != 256 {
		t.Errorf("coapDevice is %d bytes; keep it at 256 (or re-measure BenchmarkCoAPFleet100k)", n)
	}
}

// TestCoAPObserveStreams: two observers of two paths each get their own
// notification stream per path: rows addressed to the observer, from the
// server, on the path notified, numbered from 0 per (observer, path).
func TestCoAPObserveStreams(t *testing.T) {
	c, _, _ := runWorld(t, `
name = "observe"
duration = "60s"
drain = "100s"
[links.l]
delay = { dist = "constant", value = "10ms" }
[coap_servers.api]
link = "l"
[devices.alarm]
count = 2
link = "l"
attach = "api"
protocol = "coap"
start = "1s"
workload = { kind = "periodic", interval = "10s", payload = 8 }
coap = { path = "/alerts" }
[devices.temp]
count = 1
link = "l"
attach = "api"
protocol = "coap"
start = "1s"
workload = { kind = "periodic", interval = "20s", payload = 8 }
coap = { path = "/temp" }
[devices.obs]
count = 2
link = "l"
attach = "api"
protocol = "coap"
coap = { observe = ["/alerts", "/temp"] }
`, Options{Seed: 1})
	seqs := map[string][]int64{} // "obs-i /path" → Seq of its rows, in row order
	for _, m := range c.msgs {
		if m.Group != "obs" {
			continue
		}
		if m.Src != "api" || !m.Delivered {
			t.Errorf("notification row %+v; want from api, delivered", m)
		}
		key := m.Dst + " " + m.TopicOrPath
		seqs[key] = append(seqs[key], m.Seq)
	}
	// After the observers registered (at 0 s), /alerts changes 2 × 6
	// times and /temp 3 times, each notified to both.
	want := map[string]int{"obs-0 /alerts": 12, "obs-1 /alerts": 12, "obs-0 /temp": 3, "obs-1 /temp": 3}
	if len(seqs) != len(want) {
		t.Fatalf("notification streams %v; want %v", seqs, want)
	}
	for key, n := range want {
		got := seqs[key]
		if len(got) != n {
			t.Errorf("%s: %d notifications, want %d", key, len(got), n)
			continue
		}
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		for i, s := range sorted {
			if s != int64(i) {
				t.Errorf("%s: seq %v; want 0…%d, one stream per observer and path", key, got, n-1)
				break
			}
		}
	}
}

// TestCoAPNonTimeoutKey: coap.non_timeout reaches the client. NON requests
// every second to a server that answers after 2 s, with one request
// allowed to wait: a 500 ms non_timeout lets each go after the previous,
// a 10 s one holds the slot for the response and most requests are turned
// away.
func TestCoAPNonTimeoutKey(t *testing.T) {
	delivered := map[string]int{}
	for _, nt := range []string{"500ms", "10s"} {
		c, _, _ := runWorld(t, fmt.Sprintf(`
name = "non-timeout"
duration = "60s"
drain = "100s"
[links.l]
delay = { dist = "constant", value = "10ms" }
[coap_servers.api]
link = "l"
processing = "2s"
[devices.s]
count = 1
link = "l"
attach = "api"
protocol = "coap"
workload = { kind = "periodic", interval = "1s", payload = 8 }
coap = { type = "non", queue = 1, non_timeout = %q }
`, nt), Options{Seed: 1})
		for _, m := range c.msgs {
			if m.Delivered {
				delivered[nt]++
			}
		}
		if len(c.msgs) != 60 {
			t.Fatalf("non_timeout %s: %d messages, want 60", nt, len(c.msgs))
		}
	}
	if delivered["500ms"] != 60 || delivered["10s"] > 40 {
		t.Errorf("delivered %v; want all 60 with 500ms and at most 40 with 10s", delivered)
	}
}
