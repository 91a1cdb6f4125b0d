package coap

import "testing"

// telemetry is a CON POST /telemetry with a 2-byte token, Content-Format
// and a 64-byte payload: the typical device report.
func telemetry(scratch Options) Message {
	m := Message{Type: CON, Code: POST, MessageID: 0x7d34, Token: Uint64Token(0xbeef, 2), Options: scratch[:0]}
	m.Options.SetPath("/telemetry")
	m.Options.SetUint(ContentFormat, 60) // application/cbor
	m.Payload = telemetryPayload[:]
	return m
}

var telemetryPayload [64]byte

// TestTelemetrySize pins the size the benchmarks encode: 4 header + 2
// token + 10 Uri-Path + 2 Content-Format + 1 marker + 64 payload.
func TestTelemetrySize(t *testing.T) {
	m := telemetry(nil)
	if got := Size(m); got != 83 || len(Append(nil, m)) != 83 {
		t.Errorf("Size(telemetry) = %d; want 83", got)
	}
}

// TestAllocs guards the hot paths: building a message into reused option
// storage, Size, Append into a reused buffer and ParseInto a reused
// Message allocate nothing.
func TestAllocs(t *testing.T) {
	scratch := make(Options, 0, 4)
	buf := make([]byte, 0, 256)
	m := telemetry(scratch)
	wire := Append(nil, m)
	var parsed Message
	parsed.Options = make(Options, 0, 4)
	var sink int
	for name, f := range map[string]func(){
		"build":     func() { sink += len(telemetry(scratch).Options) },
		"Size":      func() { sink += Size(m) },
		"Append":    func() { buf = Append(buf[:0], m) },
		"ParseInto": func() { _ = ParseInto(&parsed, wire) },
		"getters": func() {
			v, _ := parsed.Options.Uint(ContentFormat)
			b, _ := parsed.Options.Block2()
			sink += int(v) + b.Size()
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs/op; want 0", name, n)
		}
	}
	_ = sink
}

func BenchmarkSize(b *testing.B) {
	m := telemetry(nil)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += Size(m)
	}
	_ = n
}

func BenchmarkAppend(b *testing.B) {
	m := telemetry(nil)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(Size(m)))
	for b.Loop() {
		buf = Append(buf[:0], m)
	}
}

func BenchmarkParseInto(b *testing.B) {
	wire := Append(nil, telemetry(nil))
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if err := ParseInto(&m, wire); err != nil {
			b.Fatal(err)
		}
	}
}
