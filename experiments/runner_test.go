package experiments

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsim/iotsim/experiments/config"
	"github.com/iotsim/iotsim/experiments/output"
	"github.com/iotsim/iotsim/metrics"
)

// execute loads text and runs it into a fresh folder with the given workers.
func execute(t *testing.T, text string, workers int, sets ...string) (string, []Result) {
	t.Helper()
	exp, src, err := config.Load("test.toml", []byte(text), sets)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	runs, err := Plan(src, exp)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	dir := t.TempDir()
	res, err := Execute(context.Background(), runs, Options{Out: dir, Tables: exp.Output.Tables, Workers: workers, Text: []byte(text)})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return dir, res
}

// dataFiles maps each data file of an output folder (manifests excluded;
// completion records included, they are deterministic too) to its bytes.
func dataFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "manifest") {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

const sweepExperiment = `
name = "determinism"
seed = 11
duration = "2m"
drain = "2s"
[output]
tables = ["runs", "messages", "devices", "connections", "packets"]
[links.radio]
loss = { model = "gilbert-elliott", p_gb = 0.05, p_bg = 0.3, loss_good = 0.01, loss_bad = 0.8 }
delay = { dist = "lognormal", mean = "30ms", stddev = "20ms" }
bandwidth = "250kbps"
queue = 4
[links.core]
delay = { dist = "normal", mean = "5ms", stddev = "1ms" }
outages = [ { at = "30s", for = "5s" } ]
[coap_servers.srv]
link = "core"
[devices.a]
count = 30
link = "radio"
attach = "srv"
protocol = "udp"
workload = { kind = "poisson", rate = "6/min", payload = 40 }
ramp = "5s"
[devices.b]
count = 10
link = "radio"
attach = "srv"
protocol = "udp"
profile = "nrf52840-ble"
workload = { kind = "periodic", interval = "1s", jitter = "900ms", payload = 200 }
[sweep]
mode = "grid"
replications = 2
[sweep.params]
"links.radio.loss.loss_bad" = [0.5, 0.9]
"devices.a.workload.payload" = [20, 400]
`

func TestSameSeedSameBytesAnyWorkers(t *testing.T) {
	dir1, res := execute(t, sweepExperiment, 1)
	if len(res) != 8 {
		t.Fatalf("got %d runs; want 2×2 points × 2 replications = 8", len(res))
	}
	dir2, _ := execute(t, sweepExperiment, 1)
	dir4, _ := execute(t, sweepExperiment, 4)
	a, b, c := dataFiles(t, dir1), dataFiles(t, dir2), dataFiles(t, dir4)
	if len(a) != 2+8*(4+1) {
		t.Errorf("got %d data files; want runs.parquet, summary.parquet + 8 runs × (4 tables + completion record)", len(a))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs with workers=1", name)
		}
		if !bytes.Equal(data, c[name]) {
			t.Errorf("%s differs between workers=1 and workers=4", name)
		}
	}
	// Replications differ from each other (different derived seeds).
	m0 := a[filepath.Join("messages", "run=000000", "part-0.parquet")]
	m1 := a[filepath.Join("messages", "run=000001", "part-0.parquet")]
	if bytes.Equal(m0, m1) {
		t.Error("replications 0 and 1 wrote identical messages: seeds are not applied")
	}
}

func TestAddingAGroupKeepsOtherDevicesDraws(t *testing.T) {
	base := `
name = "groups"
duration = "5m"
drain = "5s"
[links.lossy]
loss = { model = "bernoulli", p = 0.2 }
delay = { dist = "lognormal", mean = "40ms", stddev = "30ms" }
[links.clean]
delay = { dist = "constant", value = "3ms" }
[coap_servers.srv]
link = "clean"
[devices.old]
count = 50
link = "lossy"
attach = "srv"
protocol = "udp"
workload = { kind = "poisson", rate = "10/min" }
ramp = "30s"
`
	extra := `
[devices.added]
count = 25
link = "lossy"
attach = "srv"
protocol = "udp"
workload = { kind = "periodic", interval = "7s", jitter = "2s" }
`
	key := func(dir string) []string {
		rows, err := output.ReadMessages(filepath.Join(dir, "messages", "run=000000", "part-0.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			if r.Group != "old" {
				continue
			}
			out = append(out, strings.Join([]string{r.Src, itoa(r.Seq), itoa(r.SentNs), itoa(r.DeliveredNs), boolStr(r.Delivered)}, "|"))
		}
		sort.Strings(out)
		return out
	}
	d1, _ := execute(t, base, 1)
	d2, _ := execute(t, base+extra, 1)
	k1, k2 := key(d1), key(d2)
	if len(k1) == 0 {
		t.Fatal("no messages from group old")
	}
	if strings.Join(k1, "\n") != strings.Join(k2, "\n") {
		t.Errorf("adding a group changed the old group's messages (%d vs %d rows)", len(k1), len(k2))
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// TestDeliveryMatchesIndependentLoss checks the end-to-end bookkeeping
// against the closed form: a datagram crosses the device's link (loss p1)
// and the server's (loss p2), so it arrives with probability (1−p1)(1−p2).
func TestDeliveryMatchesIndependentLoss(t *testing.T) {
	text := `
name = "closedform"
duration = "10m"
drain = "10s"
[links.dev]
loss = { model = "bernoulli", p = 0.1 }
delay = { dist = "constant", value = "20ms" }
[links.srv]
loss = { model = "bernoulli", p = 0.05 }
delay = { dist = "constant", value = "5ms" }
[coap_servers.srv]
link = "srv"
[devices.s]
count = 200
link = "dev"
attach = "srv"
protocol = "udp"
workload = { kind = "periodic", interval = "5s", payload = 64 }
ramp = "5s"
`
	dir, res := execute(t, text, 1)
	r := res[0].Info
	n := float64(r.MsgsExpected)
	if r.MsgsSent != 200*120 || r.MsgsExpected != r.MsgsSent {
		t.Fatalf("sent %d, expected %d; want 24000 each (200 devices × 120 readings)", r.MsgsSent, r.MsgsExpected)
	}
	want := 0.9 * 0.95
	tol := 5 * math.Sqrt(want*(1-want)/n)
	if math.Abs(r.DeliveryRatio-want) > tol {
		t.Errorf("delivery ratio %.4f; want %.4f ± %.4f", r.DeliveryRatio, want, tol)
	}
	// Constant delays: every latency is exactly 25 ms.
	if r.LatencyP50Ms != 25 || r.LatencyP99Ms != 25 {
		t.Errorf("latency p50 %v p99 %v; want 25 ms", r.LatencyP50Ms, r.LatencyP99Ms)
	}
	rows, err := output.ReadMessages(filepath.Join(dir, "messages", "run=000000", "part-0.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	checkMessageRows(t, rows, r)
	devs, err := output.ReadDevices(filepath.Join(dir, "devices", "run=000000", "part-0.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 201 {
		t.Fatalf("%d device rows; want 200 sensors + 1 server", len(devs))
	}
	var received int64
	for _, d := range devs {
		if d.Kind == "coap_server" {
			received = d.MsgsReceived
			if d.Node != "srv" || d.PktsRx != r.MsgsDelivered {
				t.Errorf("server row %+v; want node srv with %d packets received", d, r.MsgsDelivered)
			}
		} else if d.MsgsSent != 120 || d.BytesTx != 120*(20+8+64) {
			t.Errorf("device %s sent %d msgs / %d bytes; want 120 / %d", d.Node, d.MsgsSent, d.BytesTx, 120*92)
		}
	}
	if received != r.MsgsDelivered {
		t.Errorf("server received %d; runs table says %d delivered", received, r.MsgsDelivered)
	}
}

// checkMessageRows checks the invariants of the messages table against the
// runs table: unique msg_ids, seq 0… per stream, nulls where undelivered.
func checkMessageRows(t *testing.T, rows []metrics.MessageRow, r output.RunInfo) {
	t.Helper()
	if int64(len(rows)) != r.MsgsExpected {
		t.Fatalf("%d message rows; want %d", len(rows), r.MsgsExpected)
	}
	ids := map[int64]bool{}
	seqs := map[string][]int64{}
	var delivered int64
	for _, m := range rows {
		if ids[m.MsgID] {
			t.Fatalf("duplicate msg_id %d", m.MsgID)
		}
		ids[m.MsgID] = true
		seqs[m.Src+">"+m.Dst] = append(seqs[m.Src+">"+m.Dst], m.Seq)
		if m.Delivered {
			delivered++
			if m.Copies != 1 || m.DeliveredNs < m.SentNs || m.LatencyMs != float64(m.DeliveredNs-m.SentNs)/1e6 {
				t.Fatalf("bad delivered row %+v", m)
			}
		} else if m.Copies != 0 || m.DeliveredNs != 0 || m.Recovered {
			t.Fatalf("bad undelivered row %+v", m)
		}
		if m.Transmissions != 1 || m.Protocol != "udp" {
			t.Fatalf("row %+v: want one transmission over udp", m)
		}
	}
	if delivered != r.MsgsDelivered {
		t.Errorf("%d delivered rows; runs says %d", delivered, r.MsgsDelivered)
	}
	for stream, s := range seqs {
		sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
		for i, v := range s {
			if v != int64(i) {
				t.Fatalf("stream %s: seqs %v are not 0…n−1", stream, s)
			}
		}
	}
}

// TestCoAPExampleDeterministic: the CoAP example (CON, NON, Observe,
// retransmissions under a loss sweep) writes the same bytes with 1 and 4
// workers.
func TestCoAPExampleDeterministic(t *testing.T) {
	text, ok := Example("coap-con-vs-non")
	if !ok {
		t.Fatal("example coap-con-vs-non is not embedded")
	}
	set := []string{"duration=\"5m\"", "devices.con.count=100", "devices.non.count=100"}
	dir1, res := execute(t, string(text), 1, set...)
	dir4, _ := execute(t, string(text), 4, set...)
	a, b := dataFiles(t, dir1), dataFiles(t, dir4)
	if len(a) != 2+len(res)*4 || len(res) != 8 { // runs.parquet, summary.parquet + messages, devices, connections, completion record per run
		t.Fatalf("%d runs, %d files", len(res), len(a))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between workers=1 and workers=4", name)
		}
	}
	for _, r := range res {
		if r.Info.MsgsDelivered == 0 {
			t.Errorf("run %v delivered nothing", r.Info)
		}
	}
}
