package output

import (
	"fmt"
	"math/rand/v2"

	"github.com/iotsim/iotsim/metrics"
)

// Test rows: deterministic, realistic enough to compress like real output
// (node names from a small set, jittered times, ~10% undelivered).

func nodeNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("sensor-%d", i)
	}
	return names
}

func genMessages(n int, seed uint64) []metrics.MessageRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	names := nodeNames(1000)
	topics := []string{"sensors/temp", "sensors/humidity", "/obs", "alerts"}
	protos := []string{"mqtt", "coap", "udp", "p2p"}
	rows := make([]metrics.MessageRow, n)
	for i := range rows {
		r := &rows[i]
		src := rng.IntN(len(names))
		r.MsgID = int64(i)
		r.Src = names[src]
		r.Dst = "cloud"
		r.Group = "sensor"
		r.Protocol = protos[src%len(protos)]
		r.QoS = int32(src % 3)
		r.TopicOrPath = topics[src%len(topics)]
		r.Seq = int64(i / len(names))
		r.PayloadBytes = 16 + int32(rng.IntN(64))
		r.SentNs = int64(i)*1_000_017 + rng.Int64N(1_000_000)
		r.Transmissions = 1 + int32(rng.IntN(3)/2)
		r.Delivered = rng.IntN(10) != 0
		if r.Delivered {
			r.DeliveredNs = r.SentNs + int64(rng.ExpFloat64()*20e6)
			r.LatencyMs = float64(r.DeliveredNs-r.SentNs) / 1e6
			r.Copies = 1 + int32(rng.IntN(50)/49)
			r.Recovered = r.Transmissions > 1
		} else if i%7 == 0 {
			// Garbage in the null-flagged fields must not reach the file.
			r.DeliveredNs, r.LatencyMs = 123, 4.5
		}
		r.InOrder = rng.IntN(100) != 0
	}
	return rows
}

func genDevices(n int, seed uint64) []metrics.DeviceRow {
	rng := rand.New(rand.NewPCG(seed, 2))
	names := nodeNames(n)
	rows := make([]metrics.DeviceRow, n)
	for i := range rows {
		r := &rows[i]
		r.Node = names[i]
		r.Group = "sensor"
		r.Kind = "device"
		r.Profile = "esp32"
		if i == 0 {
			r.Node, r.Group, r.Kind, r.Profile = "cloud", "cloud", "broker", "mains"
		}
		r.TxS, r.RxS, r.IdleS, r.SleepS = rng.Float64(), rng.Float64()*2, rng.Float64()*100, rng.Float64()*1000
		r.EnergyJ = r.TxS*0.5 + r.RxS*0.3 + r.IdleS*0.01
		r.HasBattery = i%4 != 0
		if r.HasBattery {
			r.BatteryDays = rng.Float64() * 1000
			if i%8 == 1 {
				r.BatteryDays = 0 // a real zero, not a NULL
			}
		} else if i%3 == 0 {
			r.BatteryDays = 99 // garbage behind HasBattery=false
		}
		r.PktsTx, r.PktsRx = rng.Int64N(1000), rng.Int64N(1000)
		r.BytesTx, r.BytesRx = r.PktsTx*60, r.PktsRx*60
		r.MsgsSent, r.MsgsReceived = rng.Int64N(100), rng.Int64N(100)
		r.Connects, r.Disconnects = rng.Int64N(3), rng.Int64N(3)
	}
	return rows
}

func genConnections(n int, seed uint64) []metrics.ConnectionRow {
	rng := rand.New(rand.NewPCG(seed, 3))
	names := nodeNames(n)
	reasons := []string{"disconnect", "keepalive_timeout", "tcp_abort", "link_outage"}
	rows := make([]metrics.ConnectionRow, n)
	for i := range rows {
		r := &rows[i]
		r.Client = names[i]
		r.Server = "cloud"
		r.Protocol = "mqtt"
		r.OpenedNs = rng.Int64N(1e9)
		r.Closed = i%3 != 0
		if r.Closed {
			r.ClosedNs = r.OpenedNs + rng.Int64N(1e10)
			r.CloseReason = reasons[i%len(reasons)]
			r.PeerDetected = i%2 == 0
			if r.PeerDetected {
				r.PeerDetectedNs = r.ClosedNs + rng.Int64N(1e9)
			}
			r.WillSent = r.CloseReason != "disconnect"
		}
		if i == 1 {
			r.Closed, r.ClosedNs = true, 0 // closed at t=0 is not NULL
		}
	}
	return rows
}

func genPackets(n int, seed uint64) []metrics.PacketRow {
	rng := rand.New(rand.NewPCG(seed, 4))
	names := nodeNames(100)
	kinds := []string{"PUBLISH", "PUBACK", "SYN", "SYN-ACK", "ACK", "CONNECT+PUBLISH", "CON", "P2P:hello"}
	drops := []string{"loss", "queue", "outage", "asleep"}
	rows := make([]metrics.PacketRow, n)
	for i := range rows {
		r := &rows[i]
		node := names[rng.IntN(len(names))]
		r.TNs = int64(i) * 100_003
		if i%2 == 0 {
			r.Link, r.Src, r.Dst = node+"/up", node, "cloud"
		} else {
			r.Link, r.Src, r.Dst = node+"/down", "cloud", node
		}
		r.LinkClass = "lora"
		r.Layer = "tcp"
		r.Kind = kinds[rng.IntN(len(kinds))]
		if r.Kind == "CON" || r.Kind == "P2P:hello" {
			r.Layer = "udp"
		}
		r.Bytes = 40 + int32(rng.IntN(200))
		r.Dropped = rng.IntN(20) == 0
		if r.Dropped {
			r.DropReason = drops[rng.IntN(len(drops))]
		}
	}
	return rows
}

// The rows as a reader must give them back: the fields behind a false flag
// read as zero.
func normMessages(rows []metrics.MessageRow) []metrics.MessageRow {
	out := append([]metrics.MessageRow(nil), rows...)
	for i := range out {
		if !out[i].Delivered {
			out[i].DeliveredNs, out[i].LatencyMs = 0, 0
		}
	}
	return out
}

func normDevices(rows []metrics.DeviceRow) []metrics.DeviceRow {
	out := append([]metrics.DeviceRow(nil), rows...)
	for i := range out {
		if !out[i].HasBattery {
			out[i].BatteryDays = 0
		}
	}
	return out
}

func normConnections(rows []metrics.ConnectionRow) []metrics.ConnectionRow {
	out := append([]metrics.ConnectionRow(nil), rows...)
	for i := range out {
		if !out[i].Closed {
			out[i].ClosedNs = 0
		}
		if !out[i].PeerDetected {
			out[i].PeerDetectedNs = 0
		}
	}
	return out
}
