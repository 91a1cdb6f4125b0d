package tcp

import (
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// Params are the settings of a class of connections. Many Conns share one
// Params by pointer; do not change it while they use it.
type Params struct {
	// MSS is the payload of a full segment (DefaultMSS = 1448 for MTU 1500
	// with timestamps).
	MSS int
	// InitialRTO is the RTO before any RTT sample (Linux TCP_TIMEOUT_INIT,
	// 1 s); SYN and SYN-ACK retransmissions start from it.
	InitialRTO time.Duration
	// FallbackRTO replaces the RTO when the handshake needed a
	// retransmission and so gave no RTT sample (RFC 6298 §5.7, Linux
	// TCP_TIMEOUT_FALLBACK, 3 s).
	FallbackRTO time.Duration
	// MinRTO and MaxRTO bound the RTO (Linux TCP_RTO_MIN 200 ms,
	// TCP_RTO_MAX 120 s).
	MinRTO, MaxRTO time.Duration
	// Granularity is G of RFC 6298: the clock granularity (Linux: 1 ms).
	Granularity time.Duration
	// SynRetries is how often a SYN is retransmitted before connect fails
	// (tcp_syn_retries, 6: the attempt fails 127 s after the first SYN).
	SynRetries int
	// SynAckRetries is the same for the passive side's SYN-ACK
	// (tcp_synack_retries, 5: given up after 63 s).
	SynAckRetries int
	// Retries2 bounds the retransmissions of one segment (tcp_retries2,
	// 15). Like Linux it is turned into a time budget; see RetriesTimeout.
	Retries2 int
	// UserTimeout, if positive, replaces the Retries2 budget: the
	// connection is aborted when data stays unacknowledged that long
	// (TCP_USER_TIMEOUT).
	UserTimeout time.Duration
	// DelayedAck is the delayed-ACK timeout (Linux TCP_DELACK_MIN, 40 ms).
	// A receiver acknowledges every second full segment at once and
	// otherwise within DelayedAck. 0 acknowledges every segment at once.
	DelayedAck time.Duration
	// InitialCwnd is the initial congestion window in segments (Linux and
	// RFC 6928: 10).
	InitialCwnd int
	// RcvWnd is the receive window advertised in every segment, in bytes.
	// The application consumes delivered bytes at once, so the window never
	// closes; it only bounds what the sender may have in flight.
	RcvWnd int
	// Nagle delays a sub-MSS segment while data is unacknowledged (RFC 896).
	// Off by default, as MQTT libraries set TCP_NODELAY.
	Nagle bool
	// FinTimeout ends a connection that waits in FIN-WAIT-2 for the peer's
	// FIN (tcp_fin_timeout, 60 s) with Closed(Timeout). Unlike Linux, where
	// it applies to orphaned sockets, the peer may still send data after
	// our FIN, so each segment from the peer restarts it. 0 waits forever.
	FinTimeout time.Duration
	// TimeWait is how long a connection stays in TIME-WAIT to answer a
	// retransmitted FIN before it reports Closed. 0 (the default) skips
	// TIME-WAIT: a simulated device never reuses a 4-tuple, and Linux's 60 s
	// would hold every closed connection's memory; a FIN retransmitted
	// because our last ACK was lost then meets the env's ResetFor.
	TimeWait time.Duration
}

// DefaultParams are Linux's defaults for a path with MTU 1500.
func DefaultParams() Params {
	return Params{
		MSS:           DefaultMSS,
		InitialRTO:    time.Second,
		FallbackRTO:   3 * time.Second,
		MinRTO:        200 * time.Millisecond,
		MaxRTO:        120 * time.Second,
		Granularity:   time.Millisecond,
		SynRetries:    6,
		SynAckRetries: 5,
		Retries2:      15,
		DelayedAck:    40 * time.Millisecond,
		InitialCwnd:   10,
		RcvWnd:        65535,
		FinTimeout:    60 * time.Second,
	}
}

// RetriesTimeout is the time budget Linux derives from a retry count
// (tcp_model_timeout in net/ipv4/tcp_timer.c): the time that boundary
// retransmissions take when the RTO starts at rtoBase, doubles, and is
// capped at rtoMax. With k = ⌊log2(rtoMax/rtoBase)⌋ (integer division):
//
//	boundary ≤ k: (2^(boundary+1) − 1) · rtoBase
//	otherwise:    (2^(k+1) − 1) · rtoBase + (boundary − k) · rtoMax
//
// For tcp_retries2 = 15, 200 ms and 120 s: k = 9 and the budget is
// 1023 · 0.2 s + 6 · 120 s = 924.6 s. For tcp_syn_retries = 6 from 1 s:
// k = 6 and 127 s.
func RetriesTimeout(boundary int, rtoBase, rtoMax time.Duration) time.Duration {
	if boundary <= 0 || rtoBase <= 0 || rtoMax < rtoBase {
		return 0
	}
	k := min(bits.Len64(uint64(rtoMax/rtoBase))-1, 40) // 40 keeps the shift in range
	if boundary <= k {
		return time.Duration(1<<(boundary+1)-1) * rtoBase
	}
	return time.Duration(1<<(k+1)-1)*rtoBase + time.Duration(boundary-k)*rtoMax
}

// AbortAfter is how long an established connection keeps retransmitting
// unacknowledged data before it gives up: UserTimeout if set, else
// RetriesTimeout(Retries2, MinRTO, MaxRTO). The time counts from the
// start of the retransmission episode (see Conn).
func (p *Params) AbortAfter() time.Duration {
	if p.UserTimeout > 0 {
		return p.UserTimeout
	}
	return RetriesTimeout(p.Retries2, p.MinRTO, p.MaxRTO)
}

// Validate reports the first setting a Conn cannot work with. A Conn given
// invalid Params does not panic, but its timing is then meaningless.
func (p *Params) Validate() error {
	switch {
	case p.MSS < 1 || p.MSS > 65495:
		return fmt.Errorf("tcp: MSS %d outside [1, 65495]", p.MSS)
	case p.MinRTO <= 0 || p.MaxRTO < p.MinRTO:
		return fmt.Errorf("tcp: RTO bounds [%v, %v] invalid: need 0 < MinRTO <= MaxRTO", p.MinRTO, p.MaxRTO)
	case p.InitialRTO <= 0 || p.FallbackRTO < 0 || p.Granularity < 0:
		return errors.New("tcp: InitialRTO must be positive, FallbackRTO and Granularity not negative")
	case p.SynRetries < 0 || p.SynAckRetries < 0 || p.Retries2 < 1:
		return errors.New("tcp: SynRetries and SynAckRetries must not be negative, Retries2 at least 1")
	case p.SynRetries > 255 || p.SynAckRetries > 255:
		return errors.New("tcp: SynRetries and SynAckRetries at most 255")
	case p.UserTimeout < 0 || p.DelayedAck < 0 || p.FinTimeout < 0 || p.TimeWait < 0:
		return errors.New("tcp: UserTimeout, DelayedAck, FinTimeout and TimeWait must not be negative")
	case p.InitialCwnd < 1 || p.RcvWnd < 1 || p.RcvWnd > 1<<30:
		return fmt.Errorf("tcp: InitialCwnd %d must be at least 1, RcvWnd %d in [1, 2^30]", p.InitialCwnd, p.RcvWnd)
	}
	return nil
}
