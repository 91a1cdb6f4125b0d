package config

import (
	"strings"
	"testing"
)

// base is a valid experiment; cases append to it. Its last table is
// [devices.s], so appended keys without a header belong to devices.s.
// Appended text starts on line 10.
const base = `name = "t"
duration = "1h"
[links.wifi]
[brokers.cloud]
link = "wifi"
[devices.s]
link = "wifi"
attach = "cloud"
protocol = "mqtt"
`

var problemCases = []struct {
	name string
	text string   // the whole file
	sets []string // --set overrides
	want string   // Problems.Error()
}{
	{"wrong case", "SEED = 3\n" + base, nil, `
f.toml:1:1: SEED: unknown key; did you mean "seed"? (valid: name, description, seed, duration, drain, output, links, brokers, coap_servers, gateways, devices, p2p_brokers, profiles, sweep)`},
	{"negative count", base + "count = -3\n", nil, `
f.toml:10:1: devices.s.count: -3 is too small (valid: count ≥ 1)`},
	{"float count", base + "count = 1.5\n", nil, `
f.toml:10:1: devices.s.count: expected an integer, got float 1.5`},
	{"integer duration", strings.Replace(base, `duration = "1h"`, `duration = 5`, 1), nil, `
f.toml:2:1: duration: expected a duration string with units like "150ms", got integer 5`},
	{"parsecs", strings.Replace(base, `duration = "1h"`, `duration = "5 parsecs"`, 1), nil, `
f.toml:2:1: duration: "5 parsecs" is not a duration (valid: a number with unit ns, us, ms, s, m, h or d, like "150ms", "1h30m" or "2d")`},
	{"zero duration", strings.Replace(base, `duration = "1h"`, `duration = "0s"`, 1), nil, `
f.toml:2:1: duration: 0s is not positive (valid: duration > 0)`},
	{"negative duration", base + `start = "-1s"` + "\n", nil, `
f.toml:10:1: devices.s.start: "-1s" is negative (valid: a duration ≥ 0)`},
	{"missing name and duration", base[strings.Index(base, "[links"):], nil, `
f.toml:1:1: duration: required (e.g. "1h")
f.toml:1:1: name: required (e.g. "mqtt-vs-coap"; it names the output folder out/<name>)`},
	{"missing link", strings.Replace(base, "link = \"wifi\"\n[devices", "[devices", 1), nil, `
f.toml:4:10: brokers.cloud.link: required (valid: wifi)`},
	{"probability inline", base + "[links.x]\nloss = { model = \"bernoulli\", p = 1.5 }\n", nil, `
f.toml:11:31: links.x.loss.p: 1.5 is not a probability (valid: 0 ≤ p ≤ 1)`},
	{"probability sub-table", base + "[links.x.loss]\nmodel = \"bernoulli\"\np = -0.5\n", nil, `
f.toml:12:1: links.x.loss.p: -0.5 is not a probability (valid: 0 ≤ p ≤ 1)`},
	{"dangling link", strings.Replace(base, "link = \"wifi\"\nattach", "link = \"wfi\"\nattach", 1), nil, `
f.toml:7:1: devices.s.link: no link class "wfi" (valid: wifi)`},
	{"dangling attach", strings.Replace(base, `attach = "cloud"`, `attach = "clod"`, 1), nil, `
f.toml:8:1: devices.s.attach: no broker, coap_server, gateway group or p2p_broker named "clod" (valid: cloud)`},
	{"attach a device", strings.Replace(base, `attach = "cloud"`, `attach = "s"`, 1), nil, `
f.toml:8:1: devices.s.attach: "s" is a device group (valid: a broker, coap_server, gateway group or p2p_broker: cloud)`},
	{"dangling bridge", base + "[gateways.g]\nlink = \"wifi\"\nbridge = { to = \"cloud2\", topics = [\"#\"] }\n", nil, `
f.toml:12:12: gateways.g.bridge.to: no broker "cloud2" (valid: cloud)`},
	{"bridge to gateway", base + "[gateways.g]\nlink = \"wifi\"\nbridge = { to = \"g\", topics = [\"#\"], qos = 3 }\n", nil, `
f.toml:12:12: gateways.g.bridge.to: "g" is a gateway group, not a broker (valid: cloud)
f.toml:12:38: gateways.g.bridge.qos: 3 is not a QoS level (valid: 0, 1 or 2)`},
	{"protocol attach", base + "[devices.c]\nlink = \"wifi\"\nattach = \"cloud\"\nprotocol = \"coap\"\n", nil, `
f.toml:12:1: devices.c.attach: "cloud" is a broker, but protocol "coap" attaches to a coap_server (valid: none in the file)`},
	{"unknown inline key", base + "[links.x]\nloss = { modle = \"none\" }\n", nil, `
f.toml:11:10: links.x.loss.modle: unknown key; did you mean "model"? (valid: model, p, p_gb, p_bg, loss_good, loss_bad)`},
	{"enumerations", base + "workload = { kind = \"bursty\" }\nsleep = { kind = \"deep\" }\ncoap = { type = \"ack\", method = \"PATCH\" }\nmqtt = { version = \"4\" }\n[links.x]\nloss = { model = \"perfect\" }\ndelay = { dist = \"uniform\" }\n[output]\ntables = [\"runs\", \"packet\", \"runs\"]\n", nil, `
f.toml:10:14: devices.s.workload.kind: "bursty" is not a workload kind (valid: none, periodic, poisson, threshold)
f.toml:11:11: devices.s.sleep.kind: "deep" is not a sleep kind (valid: none, duty-cycle)
f.toml:12:10: devices.s.coap.type: "ack" is not a CoAP message type (valid: con, non)
f.toml:12:24: devices.s.coap.method: "PATCH" is not a CoAP method (valid: GET, POST, PUT, DELETE)
f.toml:13:10: devices.s.mqtt.version: "4" is not an MQTT version (valid: 3.1.1, 5.0)
f.toml:15:10: links.x.loss.model: "perfect" is not a loss model (valid: none, bernoulli, gilbert-elliott)
f.toml:16:11: links.x.delay.dist: "uniform" is not a delay distribution (valid: constant, normal, lognormal, pareto)
f.toml:18:19: output.tables[1]: "packet" is not an output table (valid: runs, messages, devices, connections, packets)
f.toml:18:29: output.tables[2]: "runs" is already listed at tables[0] (valid: each table once)`},
	{"foreign params", base + "workload = { kind = \"poisson\", rate = \"1/s\", interval = \"1s\" }\nsleep = { period = \"1s\" }\n[links.x]\nloss = { model = \"bernoulli\", p = 0.1, p_gb = 0.1 }\ndelay = { dist = \"pareto\", min = \"1ms\", mean = \"2ms\" }\n", nil, `
f.toml:10:46: devices.s.workload.interval: belongs to kind "periodic", not "poisson" (valid with kind "poisson": rate)
f.toml:11:11: devices.s.sleep.period: belongs to kind "duty-cycle", not "none" (kind "none" takes no parameters)
f.toml:13:40: links.x.loss.p_gb: belongs to model "gilbert-elliott", not "bernoulli" (valid with model "bernoulli": p)
f.toml:14:1: links.x.delay.alpha: required by dist "pareto" (e.g. delay = { dist = "pareto", min = "10ms", alpha = 2.5 })
f.toml:14:41: links.x.delay.mean: belongs to dist "normal" or "lognormal", not "pareto" (valid with dist "pareto": min, alpha)`},
	{"required params", base + "workload = { kind = \"threshold\" }\nsleep = { kind = \"duty-cycle\", period = \"1s\" }\n[links.x]\nloss = { model = \"gilbert-elliott\", p_gb = 0.1 }\ndelay = { dist = \"constant\" }\n", nil, `
f.toml:10:1: devices.s.workload.check: required by kind "threshold" (e.g. workload = { kind = "threshold", check = "10s", p = 0.02 })
f.toml:10:1: devices.s.workload.p: required by kind "threshold" (e.g. workload = { kind = "threshold", check = "10s", p = 0.02 })
f.toml:11:1: devices.s.sleep.awake: required by kind "duty-cycle" (e.g. sleep = { kind = "duty-cycle", period = "60s", awake = "2s" })
f.toml:13:1: links.x.loss.p_bg: required by model "gilbert-elliott" (e.g. loss = { model = "gilbert-elliott", p_gb = 0.01, p_bg = 0.25 })
f.toml:14:1: links.x.delay.value: required by dist "constant" (e.g. delay = { dist = "constant", value = "20ms" })`},
	{"workload ranges", base + "workload = { kind = \"periodic\", interval = \"1s\", jitter = \"2s\", payload = -1 }\nsleep = { kind = \"duty-cycle\", period = \"1s\", awake = \"2s\" }\n", nil, `
f.toml:10:50: devices.s.workload.jitter: 2s is longer than interval 1s (valid: jitter ≤ interval)
f.toml:10:65: devices.s.workload.payload: -1 is too small (valid: payload ≥ 0)
f.toml:11:47: devices.s.sleep.awake: 2s is longer than period 1s (valid: 0 < awake ≤ period)`},
	{"udp payload", strings.Replace(base, `protocol = "mqtt"`, `protocol = "udp"`, 1) + "workload = { kind = \"poisson\", rate = \"0/s\", payload = 70000 }\n", nil, `
f.toml:10:32: devices.s.workload.rate: 0/s is not positive (valid: rate > 0, e.g. "1/min")
f.toml:10:46: devices.s.workload.payload: 70000 bytes do not fit in one UDP datagram (valid: payload ≤ 65507 for protocol "udp")`},
	{"outages", base + "[links.x]\noutages = [ { at = \"1m\", for = \"30s\" }, { at = \"1m10s\", for = \"0s\" }, { at = \"50s\", for = \"20s\" }, { for = \"1s\" }, 5 ]\n", nil, `
f.toml:11:13: links.x.outages[0]: [1m0s, 1m30s) overlaps outages[2] [50s, 1m10s) (valid: windows that do not overlap)
f.toml:11:57: links.x.outages[1].for: 0s is not positive (valid: for > 0)
f.toml:11:100: links.x.outages[3].at: required (e.g. { at = "10m", for = "30s" })
f.toml:11:116: links.x.outages[4]: expected a table, got integer 5`},
	{"name clash", base + "[coap_servers.cloud]\nlink = \"wifi\"\n[p2p_brokers.s]\nlink = \"wifi\"\n", nil, `
f.toml:10:15: coap_servers.cloud: the name "cloud" is already used by brokers.cloud (valid: group names unique across brokers, coap_servers, gateways, devices and p2p_brokers)
f.toml:12:14: p2p_brokers.s: the name "s" is already used by devices.s (valid: group names unique across brokers, coap_servers, gateways, devices and p2p_brokers)`},
	{"bad names", strings.Replace(base, `name = "t"`, `name = "a/b"`, 1) + "[links.\"wi fi\"]\n", nil, `
f.toml:1:1: name: "a/b" cannot be a folder name (valid: letters, digits, '-', '_' and '.', not only dots)
f.toml:10:8: links."wi fi": "wi fi" is not a valid name (valid: letters, digits, '-' and '_')`},
	{"profiles", base + "profile = \"esp32\"\n[profiles.esp32-wifi]\nvoltage = 0\ntx_ma = -1\n", nil, `
f.toml:10:1: devices.s.profile: no profile "esp32" (valid: builtin bg96-nbiot, cc2538-802154, esp32-wifi, nrf52840-ble, sx1276-lora; from [profiles]: esp32-wifi)
f.toml:11:11: profiles.esp32-wifi: "esp32-wifi" is the name of a builtin profile (valid: another name; builtin: bg96-nbiot, cc2538-802154, esp32-wifi, nrf52840-ble, sx1276-lora)
f.toml:11:11: profiles.esp32-wifi.bitrate: required (every profile gives voltage, tx_ma, rx_ma, idle_ma, sleep_ua and bitrate)
f.toml:11:11: profiles.esp32-wifi.idle_ma: required (every profile gives voltage, tx_ma, rx_ma, idle_ma, sleep_ua and bitrate)
f.toml:11:11: profiles.esp32-wifi.rx_ma: required (every profile gives voltage, tx_ma, rx_ma, idle_ma, sleep_ua and bitrate)
f.toml:11:11: profiles.esp32-wifi.sleep_ua: required (every profile gives voltage, tx_ma, rx_ma, idle_ma, sleep_ua and bitrate)
f.toml:12:1: profiles.esp32-wifi.voltage: 0.0 is not positive (valid: voltage > 0)
f.toml:13:1: profiles.esp32-wifi.tx_ma: -1.0 is negative (valid: tx_ma ≥ 0)`},
	{"mqtt", base + "[devices.s.mqtt]\nqos = 3\ntopic = \"a/+/b\"\nsubscribe = [\"a/#/b\", \"x+\", \"{grp}/#\"]\nkeepalive = \"1500ms\"\npassword = \"pw\"\nwill = { payload = \"x\" }\n", nil, `
f.toml:11:1: devices.s.mqtt.qos: 3 is not a QoS level (valid: 0, 1 or 2)
f.toml:12:1: devices.s.mqtt.topic: "a/+/b" is not a valid topic: wildcards + and # are only for subscriptions (valid: levels separated by '/', placeholders {group} and {index})
f.toml:13:14: devices.s.mqtt.subscribe[0]: "a/#/b" is not a valid topic filter: # must be the whole last level (valid: levels separated by '/', placeholders {group} and {index})
f.toml:13:23: devices.s.mqtt.subscribe[1]: "x+" is not a valid topic filter: + must be a whole level (valid: levels separated by '/', placeholders {group} and {index})
f.toml:13:29: devices.s.mqtt.subscribe[2]: "{grp}/#" is not a valid topic filter: unknown placeholder {grp} (valid: levels separated by '/', placeholders {group} and {index})
f.toml:14:1: devices.s.mqtt.keepalive: 1.5s is not a whole number of seconds up to 18h12m15s (valid: 0s to 18h12m15s; 0s turns keepalive off)
f.toml:15:1: devices.s.mqtt.password: MQTT 3.1.1 sends no password without a username (valid: set username too, or version = "5.0")
f.toml:16:1: devices.s.mqtt.will.topic: required (e.g. will = { topic = "fleet/{group}/{index}/status", payload = "gone" })`},
	{"types", base + "[links.x]\nqueue = \"64\"\nbandwidth = \"fast\"\n[output]\npcap = \"yes\"\ntables = \"runs\"\n", nil, `
f.toml:11:1: links.x.queue: expected an integer, got string "64"
f.toml:12:1: links.x.bandwidth: "fast" is not a rate (valid: a number with unit bps, kbps, Mbps or Gbps (or bit/s, kbit/s, Mbit/s, Gbit/s), like "250kbps" or "1.5Mbps")
f.toml:14:1: output.pcap: expected true or false, got string "yes"
f.toml:15:1: output.tables: expected a list, got string "runs"`},
	{"sweep", base + "[sweep]\nmode = \"zip\"\nreplications = 0\n[sweep.params]\n\"links.wifi.queue\" = [1, -1, 2.5]\n\"devices.nope.count\" = [1]\n\"links.wifi.los.p\" = [1]\n\"devices.s.protocol\" = [\"mqtt\", \"coap\"]\n\"seed\" = 5\n\"duration\" = []\n\"sweep.mode\" = [\"grid\"]\n", nil, `
f.toml:12:1: sweep.replications: 0 is too small (valid: replications ≥ 1)
f.toml:14:1: sweep.params."links.wifi.queue": 3 values, but devices.s.protocol has 2 (valid: with mode "zip", lists of equal length)
f.toml:14:26: links.wifi.queue: -1 is too small (valid: queue ≥ 0)
f.toml:14:30: links.wifi.queue: expected an integer, got float 2.5
f.toml:15:1: sweep.params."devices.nope.count": no device group "nope" in the file (valid: s)
f.toml:16:1: sweep.params."links.wifi.los.p": unknown key "los" in links.wifi; did you mean "loss"? (valid: loss, delay, bandwidth, queue, outages)
f.toml:17:33: devices.s.attach: "cloud" is a broker, but protocol "coap" attaches to a coap_server (valid: none in the file) (with devices.s.protocol = "coap" from the sweep)
f.toml:18:1: sweep.params.seed: expected a list of values, got integer 5 (valid: a list, as in seed = [5])
f.toml:19:1: sweep.params.duration: empty list (valid: at least one value)
f.toml:20:1: sweep.params."sweep.mode": a sweep cannot change [sweep] (valid: key paths outside [sweep])`},
	{"coap keys", base + `coap = { ack_timeout = "0s", ack_random_factor = 0.5, max_retransmit = 21, queue = -1, block_size = 100, observe = ["alerts"], reregister = "-1s", non_timeout = "0s" }
[coap_servers.api]
link = "wifi"
processing = "-2s"
notify = "cон"
`, nil, `
f.toml:10:10: devices.s.coap.ack_timeout: 0s is not positive (valid: ack_timeout > 0)
f.toml:10:30: devices.s.coap.ack_random_factor: 0.5 is out of range (valid: 1 ≤ ack_random_factor ≤ 10)
f.toml:10:55: devices.s.coap.max_retransmit: 21 is out of range (valid: 0 to 20)
f.toml:10:76: devices.s.coap.queue: -1 is too small (valid: queue ≥ 0)
f.toml:10:88: devices.s.coap.block_size: 100 is not a block size (valid: 16, 32, 64, 128, 256, 512 or 1024)
f.toml:10:106: devices.s.coap.observe: element 0, "alerts", does not start with "/" (valid: absolute paths like "/alerts")
f.toml:10:128: devices.s.coap.reregister: "-1s" is negative (valid: a duration ≥ 0)
f.toml:10:148: devices.s.coap.non_timeout: 0s is not positive (valid: non_timeout > 0)
f.toml:13:1: coap_servers.api.processing: "-2s" is negative (valid: a duration ≥ 0)
f.toml:14:1: coap_servers.api.notify: "cон" is not a CoAP message type (valid: con, non)`},
	{"acl", strings.Replace(base, `link = "wifi"
attach`, `link = "wifi"
attach`, 1) + `[brokers.cloud.auth]
users = { sensor = "s" }
acl = { sensor = { write = ["a/+/#"], read = ["a/#/b"] }, ghost = { read = ["#"] } }
`, nil, `
f.toml:12:39: brokers.cloud.auth.acl.sensor.read: "a/#/b" is not a valid topic filter: # must be the whole last level (valid: levels separated by '/', placeholders {group} and {index})
f.toml:12:59: brokers.cloud.auth.acl.ghost: no user "ghost" in auth.users (valid: sensor)`},
	{"zip points", base + `[coap_servers.api]
link = "wifi"
[sweep]
mode = "zip"
[sweep.params]
"devices.s.protocol" = ["mqtt", "coap", "coap", "coap"]
"devices.s.attach"   = ["cloud", "api", "cloud", "cloud"]
`, nil, `
f.toml:16:41: devices.s.attach: "cloud" is a broker, but protocol "coap" attaches to a coap_server (valid: api) (at sweep point 2: devices.s.attach = "cloud", devices.s.protocol = "coap")`},
	{"zip point, second key", base + `[sweep]
mode = "zip"
[sweep.params]
"devices.s.count"  = [1, 2]
"links.wifi.queue" = [1, -1]
`, nil, `
f.toml:14:26: links.wifi.queue: -1 is too small (valid: queue ≥ 0) (at sweep point 1: devices.s.count = 2, links.wifi.queue = -1)`},
	{"set", base, []string{"devices.s.count=0", "devices.nope.count=1", "links.wifi.loss.p=0.5", "seed=abc", "nothing", "links.wifi.outages[0].at=\"1s\""}, `
--set devices.nope.count: no device group "nope" in the file (valid: s)
--set devices.s.count: 0 is too small (valid: count ≥ 1)
--set links.wifi.loss.p: belongs to model "bernoulli", not "none" (model "none" takes no parameters)
--set links.wifi.outages[0].at: links.wifi.outages is not in the file, so it has no element 0
--set nothing: expected PATH=VALUE, as in --set links.wifi.loss.p=0.05
--set seed: expected an integer, got string "abc"`},
}

func TestProblems(t *testing.T) {
	for _, c := range problemCases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Load("f.toml", []byte(c.text), c.sets)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if want := strings.TrimPrefix(c.want, "\n"); got != want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
