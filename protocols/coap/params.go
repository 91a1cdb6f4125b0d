package coap

import "time"

// Params are the transmission parameters of RFC 7252 §4.8 and the
// client's limits, shared by pointer among the endpoints of a device group
// or a server.
type Params struct {
	AckTimeout      time.Duration // ACK_TIMEOUT, default 2 s
	AckRandomFactor float64       // ACK_RANDOM_FACTOR, default 1.5
	MaxRetransmit   int           // MAX_RETRANSMIT, default 4
	// Queue bounds the requests waiting for the NSTART = 1 slot; a request
	// beyond it fails at once with QueueFull.
	Queue int
	// BlockSize is the block size of RFC 7959 transfers: a request payload
	// larger than it goes as Block1, a representation larger than it is
	// served as Block2. A power of two in 16…1024.
	BlockSize int
	// Reregister is how long after an observation was lost (registration
	// failed or refused, error notification, Reset) the client registers
	// again; when positive it is also the longest the client waits for a
	// fresh notification before registering again (RFC 7641 §3.3.1).
	Reregister time.Duration
	// NonTimeout is how long a NON request holds the NSTART slot waiting
	// for its response: RFC 7252 §4.7 counts it as outstanding and leaves
	// when a client stops expecting the response to the implementation.
	// 0 means ACK_TIMEOUT·ACK_RANDOM_FACTOR, the longest a CON waits
	// before its first retransmission.
	NonTimeout time.Duration
}

// DefaultParams returns the RFC 7252 defaults, a queue of 100 requests,
// 1024-byte blocks and re-registration after 60 s.
func DefaultParams() Params {
	return Params{
		AckTimeout:      2 * time.Second,
		AckRandomFactor: 1.5,
		MaxRetransmit:   4,
		Queue:           100,
		BlockSize:       1024,
		Reregister:      60 * time.Second,
	}
}

// MaxLatency is MAX_LATENCY of RFC 7252 §4.8.2.
const MaxLatency = 100 * time.Second

// MaxTransmitSpan is MAX_TRANSMIT_SPAN: the longest time from the first
// to the last transmission of a CON (45 s with the defaults).
func (p *Params) MaxTransmitSpan() time.Duration {
	return time.Duration(float64(p.AckTimeout) * float64(int(1)<<p.MaxRetransmit-1) * p.AckRandomFactor)
}

// MaxTransmitWait is MAX_TRANSMIT_WAIT: the longest time from the first
// transmission of a CON until the sender gives up (93 s with the defaults).
func (p *Params) MaxTransmitWait() time.Duration {
	return time.Duration(float64(p.AckTimeout) * float64(int(1)<<(p.MaxRetransmit+1)-1) * p.AckRandomFactor)
}

// ExchangeLifetime is EXCHANGE_LIFETIME: how long a CON's message id is
// remembered for deduplication (247 s with the defaults). PROCESSING_DELAY
// is taken as ACK_TIMEOUT, as the RFC does.
func (p *Params) ExchangeLifetime() time.Duration {
	return p.MaxTransmitSpan() + 2*MaxLatency + p.AckTimeout
}

// NonLifetime is NON_LIFETIME: how long a NON's message id is remembered
// (145 s with the defaults).
func (p *Params) NonLifetime() time.Duration { return p.MaxTransmitSpan() + MaxLatency }

// NonResponseTimeout is how long a NON request holds the slot (NonTimeout,
// or ACK_TIMEOUT·ACK_RANDOM_FACTOR when that is 0: 3 s with the defaults).
func (p *Params) NonResponseTimeout() time.Duration {
	if p.NonTimeout > 0 {
		return p.NonTimeout
	}
	return time.Duration(float64(p.AckTimeout) * p.AckRandomFactor)
}

// initialTimeout draws the first retransmission timeout of a CON, uniform
// in [ACK_TIMEOUT, ACK_TIMEOUT·ACK_RANDOM_FACTOR] (RFC 7252 §4.2).
func (p *Params) initialTimeout(u float64) time.Duration {
	return p.AckTimeout + time.Duration(u*(p.AckRandomFactor-1)*float64(p.AckTimeout))
}
