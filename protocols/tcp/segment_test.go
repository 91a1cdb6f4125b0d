package tcp

import (
	"testing"
	"time"
)

func TestWireBytes(t *testing.T) {
	tests := []struct {
		name string
		seg  Segment
		want int
	}{
		{"SYN", Segment{Flags: SYN}, 60},
		{"SYN-ACK", Segment{Flags: SYN | ACK}, 60},
		{"pure ACK", Segment{Flags: ACK}, 52},
		{"FIN", Segment{Flags: FIN | ACK}, 52},
		{"data", Segment{Flags: ACK | PSH, Len: 100}, 152},
		{"full segment", Segment{Flags: ACK, Len: DefaultMSS}, DefaultMTU},
		{"reset for no connection", Segment{Flags: RST | NoOpts}, 40},
		{"negative length counts as none", Segment{Flags: ACK, Len: -5}, 52},
	}
	for _, tc := range tests {
		if got := tc.seg.WireBytes(); got != tc.want {
			t.Errorf("%s: WireBytes(%+v) = %d; want %d", tc.name, tc.seg, got, tc.want)
		}
	}
	if DefaultMSS != 1448 || MSSForMTU(1280) != 1228 {
		t.Errorf("DefaultMSS = %d, MSSForMTU(1280) = %d; want 1448, 1228", DefaultMSS, MSSForMTU(1280))
	}
}

func TestResetFor(t *testing.T) {
	tests := []struct {
		name   string
		in     Segment
		want   Segment
		answer bool
	}{
		{"SYN", Segment{Seq: 100, Flags: SYN}, Segment{Ack: 101, Flags: RST | ACK | NoOpts}, true},
		{"data with ACK", Segment{Seq: 100, Ack: 7, Flags: ACK | PSH, Len: 10}, Segment{Seq: 7, Flags: RST | NoOpts}, true},
		{"FIN without ACK", Segment{Seq: 100, Flags: FIN, Len: 10}, Segment{Ack: 111, Flags: RST | ACK | NoOpts}, true},
		{"reset", Segment{Seq: 100, Flags: RST}, Segment{}, false},
		{"reset with ACK", Segment{Seq: 100, Ack: 5, Flags: RST | ACK}, Segment{}, false},
	}
	for _, tc := range tests {
		got, ok := ResetFor(tc.in)
		if got != tc.want || ok != tc.answer {
			t.Errorf("%s: ResetFor(%+v) = %+v, %v; want %+v, %v", tc.name, tc.in, got, ok, tc.want, tc.answer)
		}
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{{0, "0"}, {SYN | ACK, "SYN|ACK"}, {FIN | PSH | ACK, "FIN|PSH|ACK"}, {RST | NoOpts, "RST|NOOPTS"}}
	for _, tc := range tests {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("Flags(%d).String() = %q; want %q", tc.f, got, tc.want)
		}
	}
}

func TestRetriesTimeout(t *testing.T) {
	tests := []struct {
		boundary     int
		base, maxRTO time.Duration
		want         time.Duration
	}{
		// tcp_retries2 = 15 from TCP_RTO_MIN: 1023 × 0.2 s + 6 × 120 s.
		{15, 200 * time.Millisecond, 120 * time.Second, 924600 * time.Millisecond},
		// tcp_syn_retries = 6 from TCP_TIMEOUT_INIT: 1+2+…+64.
		{6, time.Second, 120 * time.Second, 127 * time.Second},
		{5, time.Second, 120 * time.Second, 63 * time.Second},
		{7, time.Second, 120 * time.Second, 247 * time.Second},
		{3, 200 * time.Millisecond, 120 * time.Second, 3 * time.Second},
		{9, 200 * time.Millisecond, 120 * time.Second, 204600 * time.Millisecond},
		{10, 200 * time.Millisecond, 120 * time.Second, 324600 * time.Millisecond},
		{0, 200 * time.Millisecond, 120 * time.Second, 0},
		{15, 0, 120 * time.Second, 0},
	}
	for _, tc := range tests {
		if got := RetriesTimeout(tc.boundary, tc.base, tc.maxRTO); got != tc.want {
			t.Errorf("RetriesTimeout(%d, %v, %v) = %v; want %v", tc.boundary, tc.base, tc.maxRTO, got, tc.want)
		}
	}
	p := DefaultParams()
	if got := p.AbortAfter(); got != 924600*time.Millisecond {
		t.Errorf("DefaultParams().AbortAfter() = %v; want 15m24.6s", got)
	}
	p.UserTimeout = 30 * time.Second
	if got := p.AbortAfter(); got != 30*time.Second {
		t.Errorf("AbortAfter() with UserTimeout 30s = %v; want 30s", got)
	}
}

func TestSeqCompareWraps(t *testing.T) {
	if !seqLT(0xfffffff0, 0x10) || seqLT(0x10, 0xfffffff0) || !seqGT(5, 0xffffffff) || !seqLE(7, 7) {
		t.Error("sequence comparison does not wrap modulo 2^32")
	}
}

func TestParamsValidate(t *testing.T) {
	def := DefaultParams()
	if err := def.Validate(); err != nil {
		t.Fatalf("DefaultParams().Validate() = %v", err)
	}
	tests := []struct {
		name string
		edit func(p *Params)
	}{
		{"zero MSS", func(p *Params) { p.MSS = 0 }},
		{"max below min", func(p *Params) { p.MaxRTO = p.MinRTO / 2 }},
		{"zero initial RTO", func(p *Params) { p.InitialRTO = 0 }},
		{"negative SYN retries", func(p *Params) { p.SynRetries = -1 }},
		{"no retries2", func(p *Params) { p.Retries2 = 0 }},
		{"negative delayed ACK", func(p *Params) { p.DelayedAck = -time.Millisecond }},
		{"zero window", func(p *Params) { p.RcvWnd = 0 }},
		{"zero initial cwnd", func(p *Params) { p.InitialCwnd = 0 }},
	}
	for _, tc := range tests {
		p := DefaultParams()
		tc.edit(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil; want an error", tc.name)
		}
	}
}
