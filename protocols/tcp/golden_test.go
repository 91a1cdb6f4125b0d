package tcp

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenTraces records every segment (time, direction, flags, numbers,
// wire size) and every state change of whole scenarios and compares them
// with testdata/*.golden. Regenerate with go test -run Golden -update, and
// read the diff: it is the model's behaviour.
func TestGoldenTraces(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *Params)
		drop  func(from, k, kd int, seg Segment) bool
		run   func(w *wire, a, b *end)
	}{
		{
			// A request of 3000 bytes whose second segment is lost, answered
			// with 4 bytes per delivery; then A closes and B closes on EOF.
			name: "request_loss_close",
			drop: func(from, k, kd int, seg Segment) bool { return from == 0 && kd == 2 },
			run: func(w *wire, a, b *end) {
				b.onDeliver = func(e *end, n int) { e.c.Write(e, e.w.now, 4) }
				b.closeOnPeerClose = true
				a.onEstablished = func(e *end) { e.c.Write(e, e.w.now, 3000) }
				a.c.Connect(a, 0)
				w.run(ms(2000))
				a.c.Close(a, w.now)
			},
		},
		{
			// Small messages with delayed ACKs, the second SYN lost, Nagle on.
			name:  "syn_loss_small_writes",
			setup: func(p *Params) { p.Nagle = true },
			drop:  func(from, k, kd int, seg Segment) bool { return from == 0 && k == 1 },
			run: func(w *wire, a, b *end) {
				a.c.Connect(a, 0)
				w.run(ms(1500))
				for range 4 {
					a.c.Write(a, w.now, 30)
				}
				w.run(ms(3000))
				b.c.Abort(b, w.now)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			if tc.setup != nil {
				tc.setup(&p)
			}
			w := newWire(&p, 10*time.Millisecond)
			w.trace = &strings.Builder{}
			w.drop = tc.drop
			a, b := w.a(), w.b()
			tc.run(w, a, b)
			w.run(ms(600000))
			w.trace.WriteString("closed: A " + a.closed.String() + " at " + a.closedAt.String() +
				", B " + b.closed.String() + " at " + b.closedAt.String() + "\n")
			got := w.trace.String()
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("trace differs from %s:\n%s", path, got)
			}
		})
	}
}
