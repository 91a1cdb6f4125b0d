package mqtt

import "testing"

// benchPublish is a QoS 1 PUBLISH with a 64-byte payload (94 bytes on the
// wire), a typical sensor reading.
func benchPublish() Packet {
	return Packet{Type: Publish, QoS: QoS1, PacketID: 42, Topic: "sensors/device-0001/temp", Payload: make([]byte, 64)}
}

func BenchmarkSize(b *testing.B) {
	p := benchPublish()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += Size(&p)
	}
	_ = n
}

func BenchmarkAppend(b *testing.B) {
	p := benchPublish()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(Size(&p)))
	for b.Loop() {
		buf = Append(buf[:0], &p)
	}
}

func BenchmarkParse(b *testing.B) {
	p := benchPublish()
	wire := Append(nil, &p)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if _, _, err := Parse(wire); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Match("sensors/+/temp/#", "sensors/device-0001/temp")
	}
}
