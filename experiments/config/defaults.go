package config

import "time"

// Defaults live here and nowhere else.
//
// setDefaults gives every field of the schema struct v points to the value
// it has when the file omits its key; the converter calls it on every
// struct before filling it from the file. finishDefaults fills in the few
// defaults that depend on other values, after conversion.

// DefaultTables is the default output.tables.
func DefaultTables() []string {
	return []string{TableRuns, TableMessages, TableDevices, TableConnections}
}

func setDefaults(v any) {
	switch v := v.(type) {
	case *Experiment:
		v.Seed = 1
		v.Drain = 0
		setDefaults(&v.Output)
		v.Links = map[string]*Link{}
		v.Brokers = map[string]*Broker{}
		v.CoAPServers = map[string]*CoAPServer{}
		v.Gateways = map[string]*Gateway{}
		v.Devices = map[string]*DeviceGroup{}
		v.P2PBrokers = map[string]*P2PBroker{}
		v.Profiles = map[string]*Profile{}
	case *Output:
		v.Tables = DefaultTables() // Dir: see finishDefaults
	case *Link:
		v.Queue = 64
		v.Bandwidth = 0 // unlimited
		setDefaults(&v.Loss)
		setDefaults(&v.Delay)
	case *Loss:
		v.Model = LossNone
		v.LossGood = 0 // gilbert-elliott only
		v.LossBad = 1  // gilbert-elliott only
	case *Delay:
		v.Dist = DelayConstant
		v.Value = 0
	case *Broker:
		v.MaxInflight = 20
		v.MaxQueued = 1000
	case *Auth:
		v.AllowAnonymous = true
	case *Gateway:
		v.Count = 1
		setDefaults(&v.Bridge)
	case *Bridge:
		v.QoS = 1
	case *DeviceGroup:
		v.Count = 1
		v.Profile = "esp32-wifi"
		setDefaults(&v.Workload)
		setDefaults(&v.Sleep)
		setDefaults(&v.CoAP)
		setDefaults(&v.MQTT)
	case *Workload:
		v.Kind = WorkloadNone
		v.Payload = 64
	case *Sleep:
		v.Kind = SleepNone
	case *CoAP:
		v.Type = CoAPCon
		v.Method = "POST"
		v.Path = "/telemetry"
		v.AckTimeout = Duration(2 * time.Second)
		v.AckRandomFactor = 1.5
		v.MaxRetransmit = 4
		v.Queue = 100
		v.BlockSize = 1024
		v.Reregister = Duration(60 * time.Second)
	case *CoAPServer:
		v.Dedup = true
		v.SeparateAfter = Duration(time.Second)
		v.Notify = CoAPCon
	case *MQTT:
		v.Version = MQTT311
		v.QoS = 0
		v.Keepalive = Duration(60 * time.Second)
		v.CleanSession = true
		v.Topic = "fleet/{group}/{index}"
		v.OfflineQueue = 1000
	case *Sweep:
		v.Mode = SweepGrid
		v.Replications = 1
		v.Params = map[string][]any{}
	}
}

// finishDefaults fills the defaults that depend on other values.
func finishDefaults(e *Experiment, present func(string) bool) {
	if !present("output.dir") {
		e.Output.Dir = "out/" + e.Name
	}
}
