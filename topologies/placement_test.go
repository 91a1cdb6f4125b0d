package topologies

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// placementExperiment is a small fleet whose starts are spread at random
// (ramp), so that build order by start time differs from order by index.
func placementExperiment(protocol string) string {
	servers := `[coap_servers.collector]
link = "server"`
	sensor := fmt.Sprintf(`attach = "collector"
protocol = %q`, protocol)
	switch protocol {
	case "coap":
		sensor += "\ncoap = { type = \"con\", method = \"POST\", path = \"/t\" }"
	case "mqtt":
		servers = `[brokers.cloud]
link = "server"
[devices.app]
link = "server"
attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, subscribe = ["fleet/#"], clean_session = false }`
		sensor = `attach = "cloud"
protocol = "mqtt"
mqtt = { qos = 1, clean_session = false, topic = "fleet/{index}" }`
	}
	return fmt.Sprintf(`
name = "placement"
duration = "5m"
drain = "100s"
[links.access]
loss = { model = "bernoulli", p = 0.05 }
delay = { dist = "constant", value = "10ms" }
[links.server]
delay = { dist = "constant", value = "0s" }
%s
[devices.sensor]
count = 40
link = "access"
workload = { kind = "periodic", interval = "20s", payload = 16 }
ramp = "30s"
%s
`, servers, sensor)
}

// TestDevicesBuiltInStartOrder: a group's devices get node ids in the order
// they come online, the devices table still lists them by index, and the
// rows of a run are what they were when devices were built by index
// (testdata/placement.golden holds digests of every row, recorded with that
// build order before the change).
func TestDevicesBuiltInStartOrder(t *testing.T) {
	var golden strings.Builder
	for _, protocol := range []string{"udp", "coap", "mqtt"} {
		t.Run(protocol, func(t *testing.T) {
			c, _, w := runWorld(t, placementExperiment(protocol), Options{Seed: 7, Packets: true})
			// A sensor comes online with its first packet.
			first := map[string]int64{}
			for _, p := range c.packets {
				if _, seen := first[p.Src]; !seen && strings.HasPrefix(p.Src, "sensor-") {
					first[p.Src] = p.TNs
				}
			}
			if len(first) != 40 {
				t.Fatalf("%d sensors sent; want 40", len(first))
			}
			byID := make([]string, 0, 40)
			for name := range first {
				byID = append(byID, name)
			}
			slices.SortFunc(byID, func(a, b string) int { return int(nodeID(t, w, a)) - int(nodeID(t, w, b)) })
			inIndexOrder := true
			for k := 1; k < len(byID); k++ {
				if first[byID[k]] < first[byID[k-1]] {
					t.Fatalf("node %s (id %d) starts at %d, before %s (id %d) at %d", byID[k], nodeID(t, w, byID[k]), first[byID[k]], byID[k-1], nodeID(t, w, byID[k-1]), first[byID[k-1]])
				}
				inIndexOrder = inIndexOrder && sensorIndex(t, byID[k]) > sensorIndex(t, byID[k-1])
			}
			if inIndexOrder {
				t.Fatal("start order equals index order: the test does not exercise placement")
			}
			var sensors []string
			for _, d := range c.devs {
				if d.Group == "sensor" {
					sensors = append(sensors, d.Node)
				}
			}
			for i, name := range sensors {
				if want := fmt.Sprintf("sensor-%d", i); name != want {
					t.Fatalf("devices row %d is %s; want %s (by index)", i, name, want)
				}
			}
			fmt.Fprintf(&golden, "%s %x\n", protocol, rowsDigest(c))
		})
	}
	path := filepath.Join("testdata", "placement.golden")
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if golden.String() != string(want) {
		t.Errorf("row digests\n got %s\nwant %s", golden.String(), want)
	}
}

// sensorIndex is the index in a sensor's name.
func sensorIndex(t *testing.T, name string) int {
	t.Helper()
	i, err := strconv.Atoi(strings.TrimPrefix(name, "sensor-"))
	if err != nil {
		t.Fatalf("node %q: %v", name, err)
	}
	return i
}

// rowsDigest hashes every row the run wrote, in the order written.
func rowsDigest(c *collect) [32]byte {
	var b strings.Builder
	for _, r := range c.msgs {
		fmt.Fprintf(&b, "%+v\n", r)
	}
	for _, r := range c.devs {
		fmt.Fprintf(&b, "%+v\n", r)
	}
	for _, r := range c.conns {
		fmt.Fprintf(&b, "%+v\n", r)
	}
	return sha256.Sum256([]byte(b.String()))
}
