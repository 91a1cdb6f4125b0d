package config

// Experiment is one experiment file after loading, defaults and validation.
// Field comments give the TOML key; named sections are maps keyed by name and
// are always processed in sorted name order (see Names).
type Experiment struct {
	Name        string   // name (required)
	Description string   // description
	Seed        int64    // seed (default 1)
	Duration    Duration // duration: workloads generate messages in [0, duration)
	Drain       Duration // drain: extra time for in-flight work (default 0)

	Output Output // [output]

	Links       map[string]*Link        // [links.<name>]
	Brokers     map[string]*Broker      // [brokers.<name>]
	CoAPServers map[string]*CoAPServer  // [coap_servers.<name>]
	Gateways    map[string]*Gateway     // [gateways.<name>]
	Devices     map[string]*DeviceGroup // [devices.<name>]
	P2PBrokers  map[string]*P2PBroker   // [p2p_brokers.<name>]
	Profiles    map[string]*Profile     // [profiles.<name>]: user energy profiles

	Sweep *Sweep // [sweep], nil when absent
}

// Output is [output].
type Output struct {
	Dir    string   // dir (default "out/<name>")
	Tables []string // tables (default runs, messages, devices, connections)
	Pcap   bool     // pcap
}

// Link is a link class, [links.<name>].
type Link struct {
	Loss      Loss     // loss (default: no loss)
	Delay     Delay    // delay (default constant 0)
	Bandwidth Rate     // bandwidth in bit/s; 0 = unlimited (default)
	Queue     int      // queue: packets waiting per direction (default 64)
	Outages   []Outage // outages
}

// Loss models. The zero Model means no loss.
const (
	LossNone           = "none"
	LossBernoulli      = "bernoulli"
	LossGilbertElliott = "gilbert-elliott"
)

// Loss is links.<name>.loss.
type Loss struct {
	Model    string  // model: "none" | "bernoulli" | "gilbert-elliott" (default "none")
	P        float64 // p: bernoulli loss probability
	PGB      float64 // p_gb: good→bad per packet
	PBG      float64 // p_bg: bad→good per packet
	LossGood float64 // loss_good
	LossBad  float64 // loss_bad
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
	Dist   string   // dist (default "constant")
	Value  Duration // value: constant
	Mean   Duration // mean: normal, lognormal
	Stddev Duration // stddev: normal, lognormal
	Min    Duration // min: pareto scale
	Alpha  float64  // alpha: pareto shape
}

// Outage is one element of links.<name>.outages: the link drops everything
// offered to it in [At, At+For).
type Outage struct {
	At  Duration // at
	For Duration // for
}

// Broker is [brokers.<name>], an MQTT broker.
type Broker struct {
	Link        string // link (required)
	MaxInflight int    // max_inflight (default 20)
	MaxQueued   int    // max_queued (default 1000)
	Auth        *Auth  // auth, nil when absent
}

// Auth is brokers.<name>.auth.
type Auth struct {
	Users          map[string]string // users: name → password
	AllowAnonymous bool              // allow_anonymous (default true)
}

// CoAPServer is [coap_servers.<name>].
type CoAPServer struct {
	Link string // link (required)
}

// Gateway is [gateways.<name>], a local broker that bridges to another.
type Gateway struct {
	Count  int    // count (default 1)
	Link   string // link (required)
	Bridge Bridge // bridge
}

// Bridge is gateways.<name>.bridge.
type Bridge struct {
	To     string   // to: a broker name
	Topics []string // topics: patterns forwarded
	QoS    int      // qos (default 1)
}

// Protocols a device group may speak.
const (
	ProtoMQTT = "mqtt"
	ProtoCoAP = "coap"
	ProtoUDP  = "udp"
)

// DeviceGroup is [devices.<name>].
type DeviceGroup struct {
	Count    int      // count (default 1)
	Link     string   // link (required)
	Attach   string   // attach: a broker, coap_server, gateway group or p2p_broker (required)
	Protocol string   // protocol: "mqtt" | "coap" | "udp" (required)
	Profile  string   // profile (default "esp32-wifi")
	Workload Workload // workload (default kind "none")
	Start    Duration // start (default 0)
	Ramp     Duration // ramp: start staggered uniformly over [start, start+ramp) (default 0)
	Sleep    Sleep    // sleep (default kind "none": always on)
	CoAP     CoAP     // coap
	MQTT     MQTT     // mqtt
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
	Kind     string   // kind (default "none")
	Interval Duration // interval: periodic
	Jitter   Duration // jitter: periodic, uniform in [0, jitter) added to each send
	Rate     PerTime  // rate: poisson, events per second ("1/min")
	Check    Duration // check: threshold, time between checks
	P        float64  // p: threshold, probability a check fires
	Payload  int      // payload bytes (default 64)
}

// Sleep kinds.
const (
	SleepNone      = "none"
	SleepDutyCycle = "duty-cycle"
)

// Sleep is devices.<name>.sleep.
type Sleep struct {
	Kind   string   // kind (default "none")
	Period Duration // period
	Awake  Duration // awake
}

// CoAP is devices.<name>.coap.
type CoAP struct {
	Type   string // type: "con" | "non" (default "con")
	Method string // method (default "POST")
	Path   string // path (default "/telemetry")
}

// MQTT is devices.<name>.mqtt.
type MQTT struct {
	Version      string   // version (default "3.1.1")
	QoS          int      // qos (default 0)
	Keepalive    Duration // keepalive (default 60s)
	CleanSession bool     // clean_session (default true)
	Topic        string   // topic (default "fleet/{group}/{index}")
	Retain       bool     // retain
	Will         *Will    // will, nil when absent
	Username     string   // username
	Password     string   // password
	Subscribe    []string // subscribe: topic filters
}

// Will is devices.<name>.mqtt.will.
type Will struct {
	Topic   string // topic
	Payload string // payload
	QoS     int    // qos
	Retain  bool   // retain
}

// P2PBroker is [p2p_brokers.<name>].
type P2PBroker struct {
	Link string // link (required)
}

// Profile is an energy profile, [profiles.<name>].
type Profile struct {
	Voltage    float64 // voltage in volts
	TxMA       float64 // tx_ma
	RxMA       float64 // rx_ma
	IdleMA     float64 // idle_ma
	SleepUA    float64 // sleep_ua (microamps)
	Bitrate    Rate    // bitrate
	BatteryMAh float64 // battery_mah; 0 = mains powered
}

// Sweep is [sweep]. Params keep the values as written (int64, float64,
// string, bool or Duration strings) so that runs.parquet can type its
// param.<path> columns as in the file.
type Sweep struct {
	Mode         string           // mode: "grid" | "zip" (default "grid")
	Replications int              // replications (default 1)
	Params       map[string][]any // params: dotted key path → values
}
