package config

import "github.com/iotsim/iotsim/models/energy"

import "slices"

// Experiment is one experiment file after loading, defaults and validation.
// Field comments give the TOML key; named sections are maps keyed by name and
// are always processed in sorted name order (see SortedKeys). Section names
// are letters, digits, '-' and '_'. The maps are never nil after Resolve.
type Experiment struct {
	Name        string   `toml:"name"`        // name (required): letters, digits, '-', '_', '.' (a folder name)
	Description string   `toml:"description"` // description
	Seed        int64    `toml:"seed"`        // seed (default 1)
	Duration    Duration `toml:"duration"`    // duration (required, > 0): workloads generate messages in [0, duration)
	Drain       Duration `toml:"drain"`       // drain: extra time for in-flight work (default 0)

	Output Output `toml:"output"` // [output]

	Links       map[string]*Link        `toml:"links"`        // [links.<name>]
	Brokers     map[string]*Broker      `toml:"brokers"`      // [brokers.<name>]
	CoAPServers map[string]*CoAPServer  `toml:"coap_servers"` // [coap_servers.<name>]
	Gateways    map[string]*Gateway     `toml:"gateways"`     // [gateways.<name>]
	Devices     map[string]*DeviceGroup `toml:"devices"`      // [devices.<name>]
	P2PBrokers  map[string]*P2PBroker   `toml:"p2p_brokers"`  // [p2p_brokers.<name>]
	Profiles    map[string]*Profile     `toml:"profiles"`     // [profiles.<name>]: user energy profiles

	Sweep *Sweep `toml:"sweep"` // [sweep], nil when absent
}

// Output is [output].
type Output struct {
	Dir    string   `toml:"dir"`    // dir (default "out/<name>"; not empty)
	Tables []string `toml:"tables"` // tables (default DefaultTables; each of AllTables at most once)
	Pcap   bool     `toml:"pcap"`   // pcap (default false)
}

// Link is a link class, [links.<name>].
type Link struct {
	Loss      Loss     `toml:"loss"`      // loss (default: no loss)
	Delay     Delay    `toml:"delay"`     // delay (default constant 0)
	Bandwidth Rate     `toml:"bandwidth"` // bandwidth in bit/s; 0 = unlimited (default); > 0 when given
	Queue     int      `toml:"queue"`     // queue: packets waiting per direction (default 64, ≥ 0)
	Outages   []Outage `toml:"outages"`   // outages: non-overlapping; sorted by At after Resolve
}

// Loss models. The zero Model means no loss.
const (
	LossNone           = "none"
	LossBernoulli      = "bernoulli"
	LossGilbertElliott = "gilbert-elliott"
)

// Loss is links.<name>.loss.
type Loss struct {
	Model    string  `toml:"model"`     // model: "none" | "bernoulli" | "gilbert-elliott" (default "none")
	P        float64 `toml:"p"`         // p: bernoulli (required), loss probability
	PGB      float64 `toml:"p_gb"`      // p_gb: gilbert-elliott (required), good→bad per packet
	PBG      float64 `toml:"p_bg"`      // p_bg: gilbert-elliott (required), bad→good per packet
	LossGood float64 `toml:"loss_good"` // loss_good: gilbert-elliott, loss probability in the good state (default 0)
	LossBad  float64 `toml:"loss_bad"`  // loss_bad: gilbert-elliott, loss probability in the bad state (default 1)
}

// Delay distributions.
const (
	DelayConstant  = "constant"
	DelayNormal    = "normal"
	DelayLognormal = "lognormal"
	DelayPareto    = "pareto"
)

// Delay is links.<name>.delay.
type Delay struct {
	Dist   string   `toml:"dist"`   // dist (default "constant")
	Value  Duration `toml:"value"`  // value: constant (required when delay is given; default 0)
	Mean   Duration `toml:"mean"`   // mean: normal, lognormal (required; > 0 for lognormal)
	Stddev Duration `toml:"stddev"` // stddev: normal, lognormal (required)
	Min    Duration `toml:"min"`    // min: pareto scale (required, > 0)
	Alpha  float64  `toml:"alpha"`  // alpha: pareto shape (required, > 0)
}

// Outage is one element of links.<name>.outages: the link drops everything
// offered to it in [At, At+For).
type Outage struct {
	At  Duration `toml:"at"`  // at (required, ≥ 0)
	For Duration `toml:"for"` // for (required, > 0)
}

// Broker is [brokers.<name>], an MQTT broker.
type Broker struct {
	Link        string `toml:"link"`         // link (required)
	MaxInflight int    `toml:"max_inflight"` // max_inflight (default 20, ≥ 1)
	MaxQueued   int    `toml:"max_queued"`   // max_queued (default 1000, ≥ 0)
	Auth        *Auth  `toml:"auth"`         // auth, nil when absent
}

// Auth is brokers.<name>.auth.
type Auth struct {
	Users          map[string]string `toml:"users"`           // users: name → password (default none)
	AllowAnonymous bool              `toml:"allow_anonymous"` // allow_anonymous (default true)
	ACL            map[string]*ACL   `toml:"acl"`             // acl: per-user topic rules; when given, a client may only do what its user's rules allow
}

// ACL is brokers.<name>.auth.acl.<user>: the topic filters a user may
// subscribe to and receive (read) and publish to (write).
type ACL struct {
	Read  []string `toml:"read"`  // read: topic filters (default none)
	Write []string `toml:"write"` // write: topic filters (default none)
}

// CoAPServer is [coap_servers.<name>].
type CoAPServer struct {
	Link          string   `toml:"link"`           // link (required)
	Dedup         bool     `toml:"dedup"`          // dedup (default true): answer duplicate CONs from a cache for EXCHANGE_LIFETIME; false re-executes them, as libcoap 4.3 does
	Processing    Duration `toml:"processing"`     // processing (default 0s): the application's time to produce a response
	SeparateAfter Duration `toml:"separate_after"` // separate_after (default 1s): processing longer than this gets an empty ACK and a separate CON response
	Notify        string   `toml:"notify"`         // notify (default "con"): Observe notifications "con" | "non"
}

// Gateway is [gateways.<name>], a local broker that bridges to another.
type Gateway struct {
	Count  int    `toml:"count"`  // count (default 1, ≥ 1)
	Link   string `toml:"link"`   // link (required)
	Bridge Bridge `toml:"bridge"` // bridge (required: to and topics)
}

// Bridge is gateways.<name>.bridge.
type Bridge struct {
	To     string   `toml:"to"`     // to: a broker name (required)
	Topics []string `toml:"topics"` // topics: MQTT topic filters forwarded (required, not empty)
	QoS    int      `toml:"qos"`    // qos (default 1; 0, 1 or 2)
}

// Protocols a device group may speak.
const (
	ProtoMQTT = "mqtt"
	ProtoCoAP = "coap"
	ProtoUDP  = "udp"
	ProtoP2P  = "p2p" // through a p2p_broker (seed 004); an addition to the spec
)

// DeviceGroup is [devices.<name>].
type DeviceGroup struct {
	Count    int      `toml:"count"`    // count (default 1, ≥ 1)
	Link     string   `toml:"link"`     // link (required)
	Attach   string   `toml:"attach"`   // attach (required): mqtt → a broker or gateway group; coap → a coap_server; udp → a broker or coap_server; p2p → a p2p_broker
	Protocol string   `toml:"protocol"` // protocol: "mqtt" | "coap" | "udp" | "p2p" (required)
	Profile  string   `toml:"profile"`  // profile (default "esp32-wifi"): one of BuiltinProfiles or a [profiles] name
	Workload Workload `toml:"workload"` // workload (default kind "none")
	Start    Duration `toml:"start"`    // start (default 0)
	Ramp     Duration `toml:"ramp"`     // ramp: start staggered uniformly over [start, start+ramp) (default 0)
	Sleep    Sleep    `toml:"sleep"`    // sleep (default kind "none": always on)
	CoAP     CoAP     `toml:"coap"`     // coap
	MQTT     MQTT     `toml:"mqtt"`     // mqtt
}

// Workload kinds.
const (
	WorkloadNone      = "none"
	WorkloadPeriodic  = "periodic"
	WorkloadPoisson   = "poisson"
	WorkloadThreshold = "threshold"
)

// Workload is devices.<name>.workload.
type Workload struct {
	Kind     string   `toml:"kind"`     // kind (default "none")
	Interval Duration `toml:"interval"` // interval: periodic (required, > 0)
	Jitter   Duration `toml:"jitter"`   // jitter: periodic, uniform in [0, jitter) added to each send (default 0, ≤ interval)
	Rate     PerTime  `toml:"rate"`     // rate: poisson (required, > 0), events per second ("1/min")
	Check    Duration `toml:"check"`    // check: threshold (required, > 0), time between checks
	P        float64  `toml:"p"`        // p: threshold (required, 0 ≤ p ≤ 1), probability a check fires
	Payload  int      `toml:"payload"`  // payload bytes (default 64, ≥ 0; ≤ MaxUDPPayload for protocol udp)
}

// Sleep kinds.
const (
	SleepNone      = "none"
	SleepDutyCycle = "duty-cycle"
)

// Sleep is devices.<name>.sleep.
type Sleep struct {
	Kind   string   `toml:"kind"`   // kind (default "none")
	Period Duration `toml:"period"` // period: duty-cycle (required, > 0)
	Awake  Duration `toml:"awake"`  // awake: duty-cycle (required, 0 < awake ≤ period)
}

// CoAP is devices.<name>.coap.
type CoAP struct {
	Type            string   `toml:"type"`              // type: "con" | "non" (default "con")
	Method          string   `toml:"method"`            // method (default "POST"): one of CoAPMethods
	Path            string   `toml:"path"`              // path (default "/telemetry"; starts with "/")
	AckTimeout      Duration `toml:"ack_timeout"`       // ack_timeout (default 2s, > 0): ACK_TIMEOUT
	AckRandomFactor float64  `toml:"ack_random_factor"` // ack_random_factor (default 1.5, ≥ 1): ACK_RANDOM_FACTOR
	MaxRetransmit   int      `toml:"max_retransmit"`    // max_retransmit (default 4, 0 to 20): MAX_RETRANSMIT
	Queue           int      `toml:"queue"`             // queue (default 100, ≥ 0): requests waiting for NSTART = 1
	BlockSize       int      `toml:"block_size"`        // block_size (default 1024): 16, 32, …, 1024; larger payloads go block-wise
	Observe         []string `toml:"observe"`           // observe: server resources the devices observe (default none)
	Reregister      Duration `toml:"reregister"`        // reregister (default 60s, ≥ 0): delay before observing again after losing an observation, and the longest silence tolerated
	NonTimeout      Duration `toml:"non_timeout"`       // non_timeout (default ack_timeout·ack_random_factor, > 0): how long a NON request holds the NSTART slot waiting for its response
}

// MQTT is devices.<name>.mqtt.
type MQTT struct {
	Version        string   `toml:"version"`          // version (default "3.1.1"): "3.1.1" | "5.0"
	QoS            int      `toml:"qos"`              // qos (default 0; 0, 1 or 2)
	Keepalive      Duration `toml:"keepalive"`        // keepalive (default 60s; whole seconds, 0s to 65535s, 0s = off)
	CleanSession   bool     `toml:"clean_session"`    // clean_session (default true)
	Topic          string   `toml:"topic"`            // topic (default "fleet/{group}/{index}"; no wildcards; placeholders {group}, {index})
	Retain         bool     `toml:"retain"`           // retain (default false)
	Will           *Will    `toml:"will"`             // will, nil when absent
	Username       string   `toml:"username"`         // username
	Password       string   `toml:"password"`         // password (with 3.1.1, only with a username)
	Subscribe      []string `toml:"subscribe"`        // subscribe: topic filters (default none)
	Sequence       bool     `toml:"sequence"`         // sequence (default false): publishers number their messages in the payload, so a receiver can restore their order
	OfflineQueue   int      `toml:"offline_queue"`    // offline_queue (default 1000, ≥ 0): QoS 1/2 publications kept while disconnected or beyond the inflight window; more are dropped
	TCPUserTimeout Duration `toml:"tcp_user_timeout"` // tcp_user_timeout (default 0s = Linux's retries budget): abort the TCP connection when data stays unacknowledged this long (TCP_USER_TIMEOUT)
}

// Will is devices.<name>.mqtt.will.
type Will struct {
	Topic   string `toml:"topic"`   // topic (required when will is given; no wildcards)
	Payload string `toml:"payload"` // payload
	QoS     int    `toml:"qos"`     // qos (default 0; 0, 1 or 2)
	Retain  bool   `toml:"retain"`  // retain (default false)
}

// P2PBroker is [p2p_brokers.<name>].
type P2PBroker struct {
	Link string `toml:"link"` // link (required)
}

// Profile is an energy profile, [profiles.<name>]. Every key but battery_mah
// is required; the name may not be one of BuiltinProfiles.
type Profile struct {
	Voltage    float64 `toml:"voltage"`     // voltage in volts (> 0)
	TxMA       float64 `toml:"tx_ma"`       // tx_ma (≥ 0)
	RxMA       float64 `toml:"rx_ma"`       // rx_ma (≥ 0)
	IdleMA     float64 `toml:"idle_ma"`     // idle_ma (≥ 0)
	SleepUA    float64 `toml:"sleep_ua"`    // sleep_ua (microamps, ≥ 0)
	Bitrate    Rate    `toml:"bitrate"`     // bitrate (> 0)
	BatteryMAh float64 `toml:"battery_mah"` // battery_mah (default 0 = mains powered, ≥ 0)
}

// Sweep is [sweep]. Params keep the values as written (int64, float64,
// string, bool, or lists and tables for list- and table-valued keys) so
// that runs.parquet can type its param.<path> columns as in the file. Each
// value alone is checked by Resolve; use Source.SetParam to apply one.
type Sweep struct {
	Mode         string           `toml:"mode"`         // mode: "grid" | "zip" (default "grid"); zip needs lists of equal length
	Replications int              `toml:"replications"` // replications (default 1, ≥ 1)
	Params       map[string][]any `toml:"params"`       // params: key path (canonical, see KnownPath) → values, each list not empty
}

// CoAP message types (devices.<name>.coap.type).
const (
	CoAPCon = "con"
	CoAPNon = "non"
)

// CoAPMethods are the valid devices.<name>.coap.method values.
var CoAPMethods = []string{"GET", "POST", "PUT", "DELETE"}

// MQTT protocol versions (devices.<name>.mqtt.version).
const (
	MQTT311 = "3.1.1"
	MQTT5   = "5.0"
)

// Sweep modes (sweep.mode).
const (
	SweepGrid = "grid" // every combination of the params' values
	SweepZip  = "zip"  // the i-th value of every param together; lists of equal length
)

// Output tables (output.tables). DefaultTables is the default selection;
// TablePackets is opt-in.
const (
	TableRuns        = "runs"
	TableMessages    = "messages"
	TableDevices     = "devices"
	TableConnections = "connections"
	TablePackets     = "packets"
)

// AllTables lists every valid output.tables value, in documentation order.
var AllTables = []string{TableRuns, TableMessages, TableDevices, TableConnections, TablePackets}

// BuiltinProfiles are the energy profiles that ship with the program; a
// devices.<name>.profile names one of them or a [profiles.<name>] table of
// the file (which may not reuse a builtin name).
var BuiltinProfiles = energy.BuiltinNames()

// Node kinds, as in the devices table's kind column.
const (
	KindDevice     = "device"
	KindGateway    = "gateway"
	KindBroker     = "broker"
	KindCoAPServer = "coap_server"
	KindP2PBroker  = "p2p_broker"
)

// MaxUDPPayload is the largest payload a udp device may send (bytes): an
// IPv4 datagram of 65535 bytes less the IP and UDP headers.
const MaxUDPPayload = 65507

// SortedKeys returns the keys of m in sorted order: the order in which named
// sections are processed.
func SortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// NodeKind returns the kind of the node group called name (KindBroker,
// KindCoAPServer, KindGateway, KindDevice or KindP2PBroker), or "" when no
// group has that name. Group names are unique across kinds.
func (e *Experiment) NodeKind(name string) string {
	switch {
	case e.Brokers[name] != nil:
		return KindBroker
	case e.CoAPServers[name] != nil:
		return KindCoAPServer
	case e.Gateways[name] != nil:
		return KindGateway
	case e.Devices[name] != nil:
		return KindDevice
	case e.P2PBrokers[name] != nil:
		return KindP2PBroker
	}
	return ""
}
