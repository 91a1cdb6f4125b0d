package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Rules checked after conversion: required keys, ranges, enumerations, the
// parameters of each model, and references between sections. Every check
// of a value runs only when the value was given and converted (r.given), so
// one mistake gives one problem.

// variant is one value of a key that selects a model ("bernoulli" for
// loss.model) with the parameters that belong to it.
type variant struct {
	name     string
	required []string
	optional []string
	example  string // a complete example, for "required" messages
}

// variants is a model-selecting key and its values, in documentation order.
type variants struct {
	key  string // model, dist or kind
	what string // what the values are called in messages, with an article
	list []variant
}

var lossModels = variants{key: "model", what: "a loss model", list: []variant{
	{name: LossNone},
	{name: LossBernoulli, required: []string{"p"},
		example: `loss = { model = "bernoulli", p = 0.01 }`},
	{name: LossGilbertElliott, required: []string{"p_gb", "p_bg"}, optional: []string{"loss_good", "loss_bad"},
		example: `loss = { model = "gilbert-elliott", p_gb = 0.01, p_bg = 0.25 }`},
}}

var delayDists = variants{key: "dist", what: "a delay distribution", list: []variant{
	{name: DelayConstant, required: []string{"value"},
		example: `delay = { dist = "constant", value = "20ms" }`},
	{name: DelayNormal, required: []string{"mean", "stddev"},
		example: `delay = { dist = "normal", mean = "20ms", stddev = "5ms" }`},
	{name: DelayLognormal, required: []string{"mean", "stddev"},
		example: `delay = { dist = "lognormal", mean = "20ms", stddev = "10ms" }`},
	{name: DelayPareto, required: []string{"min", "alpha"},
		example: `delay = { dist = "pareto", min = "10ms", alpha = 2.5 }`},
}}

var workloadKinds = variants{key: "kind", what: "a workload kind", list: []variant{
	{name: WorkloadNone},
	{name: WorkloadPeriodic, required: []string{"interval"}, optional: []string{"jitter"},
		example: `workload = { kind = "periodic", interval = "60s", jitter = "5s" }`},
	{name: WorkloadPoisson, required: []string{"rate"},
		example: `workload = { kind = "poisson", rate = "1/min" }`},
	{name: WorkloadThreshold, required: []string{"check", "p"},
		example: `workload = { kind = "threshold", check = "10s", p = 0.02 }`},
}}

var sleepKinds = variants{key: "kind", what: "a sleep kind", list: []variant{
	{name: SleepNone},
	{name: SleepDutyCycle, required: []string{"period", "awake"},
		example: `sleep = { kind = "duty-cycle", period = "60s", awake = "2s" }`},
}}

// attachKinds gives, for each protocol, the kinds of group a device
// speaking it may attach to.
var attachKinds = map[string][]string{
	ProtoMQTT: {KindBroker, KindGateway},
	ProtoCoAP: {KindCoAPServer},
	ProtoUDP:  {KindBroker, KindCoAPServer},
	ProtoP2P:  {KindP2PBroker},
}

var protocols = []string{ProtoMQTT, ProtoCoAP, ProtoUDP, ProtoP2P}

// nodeSections are the sections whose names are node group names, which
// must be unique across all of them.
var nodeSections = []string{"brokers", "coap_servers", "gateways", "devices", "p2p_brokers"}

func kindNoun(kind string) string {
	if kind == KindGateway {
		return "gateway group"
	}
	if kind == KindDevice {
		return "device group"
	}
	return kind
}

// variant checks the model-selecting key of the table at p and the
// parameters present in it. It reports whether they are consistent.
func (r *resolver) variant(p path, vs variants, chosen string) bool {
	kp := p.key(vs.key)
	if !r.has(p) || !r.given(p) || (r.has(kp) && !r.given(kp)) {
		return false
	}
	var cur *variant
	var names []string
	for i := range vs.list {
		names = append(names, vs.list[i].name)
		if vs.list[i].name == chosen {
			cur = &vs.list[i]
		}
	}
	if cur == nil {
		r.problem(kp, "%q is not %s (valid: %s)", chosen, vs.what, strings.Join(names, ", "))
		return false
	}
	mine := append(slices.Clone(cur.required), cur.optional...)
	ok := true
	var seen []string
	for _, v := range vs.list {
		for _, k := range append(slices.Clone(v.required), v.optional...) {
			if slices.Contains(seen, k) || slices.Contains(mine, k) || !r.has(p.key(k)) {
				continue
			}
			seen = append(seen, k)
			var owners []string
			for _, w := range vs.list {
				if slices.Contains(w.required, k) || slices.Contains(w.optional, k) {
					owners = append(owners, fmt.Sprintf("%q", w.name))
				}
			}
			valid := fmt.Sprintf("%s %q takes no parameters", vs.key, chosen)
			if len(mine) > 0 {
				valid = fmt.Sprintf("valid with %s %q: %s", vs.key, chosen, strings.Join(mine, ", "))
			}
			r.problem(p.key(k), "belongs to %s %s, not %q (%s)", vs.key, strings.Join(owners, " or "), chosen, valid)
			ok = false
		}
	}
	for _, k := range cur.required {
		if !r.has(p.key(k)) {
			r.problem(p.key(k), "required by %s %q (e.g. %s)", vs.key, chosen, cur.example)
			ok = false
		}
	}
	return ok
}

// require reports a missing key; it returns whether the key is there.
func (r *resolver) require(p path, format string, args ...any) bool {
	if r.has(p) {
		return true
	}
	r.problem(p, "required ("+format+")", args...)
	return false
}

func (r *resolver) enum(p path, v, what string, valid []string) {
	if r.given(p) && !slices.Contains(valid, v) {
		r.problem(p, "%q is not %s (valid: %s)", v, what, strings.Join(valid, ", "))
	}
}

func (r *resolver) atLeast(p path, v, least int) {
	if r.given(p) && v < least {
		r.problem(p, "%d is too small (valid: %s ≥ %d)", v, p.last(), least)
	}
}

func (r *resolver) probability(p path, v float64) {
	if r.given(p) && (v < 0 || v > 1) {
		r.problem(p, "%s is not a probability (valid: 0 ≤ %s ≤ 1)", formatValue(v), p.last())
	}
}

func (r *resolver) qos(p path, v int) {
	if r.given(p) && (v < 0 || v > 2) {
		r.problem(p, "%d is not a QoS level (valid: 0, 1 or 2)", v)
	}
}

// validBlockSize reports whether n is a CoAP block size (RFC 7959 §2.2).
func validBlockSize(n int) bool { return n >= 16 && n <= 1024 && n&(n-1) == 0 }

func (r *resolver) positive(p path, d Duration) {
	if r.given(p) && d <= 0 {
		r.problem(p, "%s is not positive (valid: %s > 0)", d, p.last())
	}
}

func (r *resolver) validate(e *Experiment) {
	var top path
	if p := top.key("name"); r.require(p, `e.g. "mqtt-vs-coap"; it names the output folder out/<name>`) && r.given(p) && !validFolderName(e.Name) {
		r.problem(p, "%q cannot be a folder name (valid: letters, digits, '-', '_' and '.', not only dots)", e.Name)
	}
	if p := top.key("duration"); r.require(p, `e.g. "1h"`) {
		r.positive(p, e.Duration)
	}
	r.output(e)
	for _, n := range SortedKeys(e.Links) {
		r.link(top.key("links").key(n), e.Links[n])
	}
	for _, n := range SortedKeys(e.Brokers) {
		p, b := top.key("brokers").key(n), e.Brokers[n]
		r.linkRef(p, e, b.Link)
		r.atLeast(p.key("max_inflight"), b.MaxInflight, 1)
		r.atLeast(p.key("max_queued"), b.MaxQueued, 0)
		if b.Auth != nil {
			for _, user := range SortedKeys(b.Auth.ACL) {
				up := p.key("auth").key("acl").key(user)
				if b.Auth.Users != nil {
					if _, ok := b.Auth.Users[user]; !ok {
						r.problem(up, "no user %q in auth.users (valid: %s)", user, strings.Join(SortedKeys(b.Auth.Users), ", "))
					}
				}
				for _, f := range b.Auth.ACL[user].Read {
					r.topic(up.key("read"), f, true)
				}
				for _, f := range b.Auth.ACL[user].Write {
					r.topic(up.key("write"), f, true)
				}
			}
		}
	}
	for _, n := range SortedKeys(e.CoAPServers) {
		p, c := top.key("coap_servers").key(n), e.CoAPServers[n]
		r.linkRef(p, e, c.Link)
		r.enum(p.key("notify"), c.Notify, "a CoAP message type", []string{CoAPCon, CoAPNon})
	}
	for _, n := range SortedKeys(e.P2PBrokers) {
		r.linkRef(top.key("p2p_brokers").key(n), e, e.P2PBrokers[n].Link)
	}
	for _, n := range SortedKeys(e.Gateways) {
		r.gateway(top.key("gateways").key(n), e, e.Gateways[n])
	}
	for _, n := range SortedKeys(e.Devices) {
		r.device(top.key("devices").key(n), e, e.Devices[n])
	}
	for _, n := range SortedKeys(e.Profiles) {
		r.profile(top.key("profiles").key(n), e.Profiles[n])
	}
	r.uniqueGroups(e)
	if e.Sweep != nil {
		p := top.key("sweep")
		r.enum(p.key("mode"), e.Sweep.Mode, "a sweep mode", []string{SweepGrid, SweepZip})
		r.atLeast(p.key("replications"), e.Sweep.Replications, 1)
		r.zipLengths(e.Sweep)
	}
}

func validFolderName(s string) bool {
	if strings.Trim(s, ".") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareChar(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

func (r *resolver) output(e *Experiment) {
	p := path{{key: "output"}}
	if dp := p.key("dir"); r.given(dp) && strings.TrimSpace(e.Output.Dir) == "" {
		r.problem(dp, `empty (valid: a folder; omit dir for "out/<name>")`)
	}
	seen := map[string]int{}
	for i, t := range e.Output.Tables {
		tp := p.key("tables").index(i)
		if !r.given(tp) {
			continue
		}
		if !slices.Contains(AllTables, t) {
			r.problem(tp, "%q is not an output table (valid: %s)", t, strings.Join(AllTables, ", "))
		} else if j, dup := seen[t]; dup {
			r.problem(tp, "%q is already listed at tables[%d] (valid: each table once)", t, j)
		} else {
			seen[t] = i
		}
	}
}

func (r *resolver) link(p path, l *Link) {
	lp := p.key("loss")
	r.variant(lp, lossModels, l.Loss.Model)
	r.probability(lp.key("p"), l.Loss.P)
	r.probability(lp.key("p_gb"), l.Loss.PGB)
	r.probability(lp.key("p_bg"), l.Loss.PBG)
	r.probability(lp.key("loss_good"), l.Loss.LossGood)
	r.probability(lp.key("loss_bad"), l.Loss.LossBad)

	dp := p.key("delay")
	if r.variant(dp, delayDists, l.Delay.Dist) {
		switch l.Delay.Dist {
		case DelayLognormal:
			r.positive(dp.key("mean"), l.Delay.Mean)
		case DelayPareto:
			r.positive(dp.key("min"), l.Delay.Min)
			if ap := dp.key("alpha"); r.given(ap) && l.Delay.Alpha <= 0 {
				r.problem(ap, "%s is not positive (valid: alpha > 0)", formatValue(l.Delay.Alpha))
			}
		}
	}
	if bp := p.key("bandwidth"); r.given(bp) && l.Bandwidth <= 0 {
		r.problem(bp, "%s is not positive (valid: bandwidth > 0; omit it for unlimited)", l.Bandwidth)
	}
	r.atLeast(p.key("queue"), l.Queue, 0)
	r.outages(p.key("outages"), l)
}

// outages checks each window and that the windows, sorted by start, do not
// overlap; it leaves l.Outages sorted.
func (r *resolver) outages(p path, l *Link) {
	type window struct {
		Outage
		i int
	}
	var ws []window
	for i, o := range l.Outages {
		q := p.index(i)
		if !r.given(q) {
			continue
		}
		ok := r.require(q.key("at"), `e.g. { at = "10m", for = "30s" }`) && r.given(q.key("at"))
		if r.require(q.key("for"), `e.g. { at = "10m", for = "30s" }`) {
			r.positive(q.key("for"), o.For)
		}
		if ok && r.given(q.key("for")) && o.For > 0 {
			ws = append(ws, window{o, i})
		}
	}
	sort.SliceStable(ws, func(a, b int) bool { return ws[a].At < ws[b].At })
	for j := 1; j < len(ws); j++ {
		a, b := ws[j-1], ws[j]
		if b.At < a.At+a.For {
			r.problem(p.index(b.i), "[%s, %s) overlaps outages[%d] [%s, %s) (valid: windows that do not overlap)",
				b.At, b.At+b.For, a.i, a.At, a.At+a.For)
		}
	}
	sort.SliceStable(l.Outages, func(a, b int) bool { return l.Outages[a].At < l.Outages[b].At })
}

// linkRef checks the link key of the node group at p.
func (r *resolver) linkRef(p path, e *Experiment, name string) {
	lp := p.key("link")
	valid := namesOr(SortedKeys(e.Links), "none in the file: add a [links.<name>] table")
	if !r.require(lp, "valid: %s", valid) || !r.given(lp) {
		return
	}
	if e.Links[name] == nil {
		r.problem(lp, "no link class %q (valid: %s)", name, valid)
	}
}

func namesOr(names []string, none string) string {
	if len(names) == 0 {
		return none
	}
	return strings.Join(names, ", ")
}

// groupNames lists the names of the groups of the given kinds, sorted.
func groupNames(e *Experiment, kinds ...string) []string {
	var names []string
	for _, k := range kinds {
		switch k {
		case KindBroker:
			names = append(names, SortedKeys(e.Brokers)...)
		case KindCoAPServer:
			names = append(names, SortedKeys(e.CoAPServers)...)
		case KindGateway:
			names = append(names, SortedKeys(e.Gateways)...)
		case KindDevice:
			names = append(names, SortedKeys(e.Devices)...)
		case KindP2PBroker:
			names = append(names, SortedKeys(e.P2PBrokers)...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func (r *resolver) gateway(p path, e *Experiment, g *Gateway) {
	r.atLeast(p.key("count"), g.Count, 1)
	r.linkRef(p, e, g.Link)
	bp := p.key("bridge")
	brokers := namesOr(groupNames(e, KindBroker), "none in the file: add a [brokers.<name>] table")
	if tp := bp.key("to"); r.require(tp, "a broker: %s", brokers) && r.given(tp) && e.Brokers[g.Bridge.To] == nil {
		if k := e.NodeKind(g.Bridge.To); k != "" {
			r.problem(tp, "%q is a %s, not a broker (valid: %s)", g.Bridge.To, kindNoun(k), brokers)
		} else {
			r.problem(tp, "no broker %q (valid: %s)", g.Bridge.To, brokers)
		}
	}
	if tp := bp.key("topics"); r.require(tp, `topic filters to forward, e.g. topics = ["fleet/#"]`) && r.given(tp) && len(g.Bridge.Topics) == 0 {
		r.problem(tp, `empty (valid: at least one topic filter, e.g. ["fleet/#"])`)
	}
	for i, t := range g.Bridge.Topics {
		r.topic(bp.key("topics").index(i), t, true)
	}
	r.qos(bp.key("qos"), g.Bridge.QoS)
}

func (r *resolver) device(p path, e *Experiment, d *DeviceGroup) {
	r.atLeast(p.key("count"), d.Count, 1)
	r.linkRef(p, e, d.Link)

	pp := p.key("protocol")
	if r.require(pp, "valid: %s", strings.Join(protocols, ", ")) {
		r.enum(pp, d.Protocol, "a protocol", protocols)
	}
	attachable := []string{KindBroker, KindCoAPServer, KindGateway, KindP2PBroker}
	ap := p.key("attach")
	all := namesOr(groupNames(e, attachable...), "none in the file: add a broker, coap_server, gateway or p2p_broker")
	if r.require(ap, "a broker, coap_server, gateway group or p2p_broker: %s", all) && r.given(ap) {
		kind := e.NodeKind(d.Attach)
		allowed, protoOK := attachKinds[d.Protocol]
		protoOK = protoOK && r.given(pp)
		switch {
		case kind == "":
			r.problem(ap, "no broker, coap_server, gateway group or p2p_broker named %q (valid: %s)", d.Attach, all)
		case kind == KindDevice:
			r.problem(ap, "%q is a device group (valid: a broker, coap_server, gateway group or p2p_broker: %s)", d.Attach, all)
		case protoOK && !slices.Contains(allowed, kind):
			var nouns []string
			for _, k := range allowed {
				nouns = append(nouns, kindNoun(k))
			}
			r.problem(ap, "%q is a %s, but protocol %q attaches to a %s (valid: %s)", d.Attach, kindNoun(kind), d.Protocol,
				strings.Join(nouns, " or "), namesOr(groupNames(e, allowed...), "none in the file"))
		}
	}

	if prp := p.key("profile"); r.given(prp) && !slices.Contains(BuiltinProfiles, d.Profile) && e.Profiles[d.Profile] == nil {
		valid := "builtin " + strings.Join(BuiltinProfiles, ", ")
		if len(e.Profiles) > 0 {
			valid += "; from [profiles]: " + strings.Join(SortedKeys(e.Profiles), ", ")
		}
		r.problem(prp, "no profile %q (valid: %s)", d.Profile, valid)
	}

	wp := p.key("workload")
	w := d.Workload
	r.variant(wp, workloadKinds, w.Kind)
	r.positive(wp.key("interval"), w.Interval)
	if jp := wp.key("jitter"); r.given(jp) && r.given(wp.key("interval")) && w.Jitter > w.Interval {
		r.problem(jp, "%s is longer than interval %s (valid: jitter ≤ interval)", w.Jitter, w.Interval)
	}
	if rp := wp.key("rate"); r.given(rp) && w.Rate <= 0 {
		r.problem(rp, "%s is not positive (valid: rate > 0, e.g. \"1/min\")", w.Rate)
	}
	r.positive(wp.key("check"), w.Check)
	r.probability(wp.key("p"), w.P)
	r.atLeast(wp.key("payload"), w.Payload, 0)
	if d.Protocol == ProtoUDP && w.Payload > MaxUDPPayload && r.given(pp) {
		r.problem(wp.key("payload"), "%d bytes do not fit in one UDP datagram (valid: payload ≤ %d for protocol \"udp\")", w.Payload, MaxUDPPayload)
	}

	sp := p.key("sleep")
	r.variant(sp, sleepKinds, d.Sleep.Kind)
	r.positive(sp.key("period"), d.Sleep.Period)
	r.positive(sp.key("awake"), d.Sleep.Awake)
	if ap := sp.key("awake"); r.given(ap) && r.given(sp.key("period")) && d.Sleep.Awake > d.Sleep.Period {
		r.problem(ap, "%s is longer than period %s (valid: 0 < awake ≤ period)", d.Sleep.Awake, d.Sleep.Period)
	}

	cp := p.key("coap")
	r.enum(cp.key("type"), d.CoAP.Type, "a CoAP message type", []string{CoAPCon, CoAPNon})
	r.enum(cp.key("method"), d.CoAP.Method, "a CoAP method", CoAPMethods)
	if pp := cp.key("path"); r.given(pp) && !strings.HasPrefix(d.CoAP.Path, "/") {
		r.problem(pp, `%q does not start with "/" (valid: an absolute path like "/telemetry")`, d.CoAP.Path)
	}
	r.positive(cp.key("ack_timeout"), d.CoAP.AckTimeout)
	r.positive(cp.key("non_timeout"), d.CoAP.NonTimeout)
	if fp := cp.key("ack_random_factor"); r.given(fp) && !(d.CoAP.AckRandomFactor >= 1 && d.CoAP.AckRandomFactor <= 10) {
		r.problem(fp, "%v is out of range (valid: 1 ≤ ack_random_factor ≤ 10)", d.CoAP.AckRandomFactor)
	}
	if mp := cp.key("max_retransmit"); r.given(mp) && (d.CoAP.MaxRetransmit < 0 || d.CoAP.MaxRetransmit > 20) {
		r.problem(mp, "%d is out of range (valid: 0 to 20)", d.CoAP.MaxRetransmit)
	}
	r.atLeast(cp.key("queue"), d.CoAP.Queue, 0)
	if bp := cp.key("block_size"); r.given(bp) && !validBlockSize(d.CoAP.BlockSize) {
		r.problem(bp, "%d is not a block size (valid: 16, 32, 64, 128, 256, 512 or 1024)", d.CoAP.BlockSize)
	}
	for i, o := range d.CoAP.Observe {
		if !strings.HasPrefix(o, "/") {
			r.problem(cp.key("observe"), `element %d, %q, does not start with "/" (valid: absolute paths like "/alerts")`, i, o)
		}
	}

	r.mqtt(p.key("mqtt"), &d.MQTT)
}

func (r *resolver) mqtt(p path, m *MQTT) {
	r.enum(p.key("version"), m.Version, "an MQTT version", []string{MQTT311, MQTT5})
	r.qos(p.key("qos"), m.QoS)
	if kp := p.key("keepalive"); r.given(kp) {
		if k := m.Keepalive.D(); k%time.Second != 0 || k > 65535*time.Second {
			r.problem(kp, "%s is not a whole number of seconds up to %s (valid: 0s to %s; 0s turns keepalive off)", k, 65535*time.Second, 65535*time.Second)
		}
	}
	r.atLeast(p.key("offline_queue"), m.OfflineQueue, 0)
	r.topic(p.key("topic"), m.Topic, false)
	for i, f := range m.Subscribe {
		r.topic(p.key("subscribe").index(i), f, true)
	}
	if m.Will != nil {
		wp := p.key("will")
		if r.require(wp.key("topic"), `e.g. will = { topic = "fleet/{group}/{index}/status", payload = "gone" }`) {
			r.topic(wp.key("topic"), m.Will.Topic, false)
		}
		r.qos(wp.key("qos"), m.Will.QoS)
	}
	if pp := p.key("password"); r.given(pp) && m.Username == "" && m.Version == MQTT311 {
		r.problem(pp, `MQTT 3.1.1 sends no password without a username (valid: set username too, or version = "5.0")`)
	}
}

// topic checks an MQTT topic name (filter false) or topic filter template.
func (r *resolver) topic(p path, t string, filter bool) {
	if !r.given(p) {
		return
	}
	const valid = "valid: levels separated by '/', placeholders {group} and {index}"
	what := "topic"
	if filter {
		what = "topic filter"
	}
	bad := func(why string) { r.problem(p, "%q is not a valid %s: %s (%s)", t, what, why, valid) }
	switch {
	case t == "":
		bad("it is empty")
		return
	case len(t) > 65535:
		bad("it is longer than 65535 bytes")
		return
	case strings.ContainsRune(t, 0):
		bad("it contains a NUL character")
		return
	}
	for rest := t; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			bad("'{' is not closed")
			return
		}
		if name := rest[i+1 : i+j]; name != "group" && name != "index" {
			bad("unknown placeholder {" + name + "}")
			return
		}
		rest = rest[i+j+1:]
	}
	levels := strings.Split(t, "/")
	for i, l := range levels {
		switch {
		case !filter && strings.ContainsAny(l, "+#"):
			bad("wildcards + and # are only for subscriptions")
			return
		case strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			bad("# must be the whole last level")
			return
		case strings.Contains(l, "+") && l != "+":
			bad("+ must be a whole level")
			return
		}
	}
}

func (r *resolver) profile(p path, pr *Profile) {
	if slices.Contains(BuiltinProfiles, p.last()) {
		r.problem(p, "%q is the name of a builtin profile (valid: another name; builtin: %s)", p.last(), strings.Join(BuiltinProfiles, ", "))
	}
	for _, f := range []struct {
		key      string
		v        float64
		positive bool
	}{
		{"voltage", pr.Voltage, true},
		{"tx_ma", pr.TxMA, false},
		{"rx_ma", pr.RxMA, false},
		{"idle_ma", pr.IdleMA, false},
		{"sleep_ua", pr.SleepUA, false},
		{"bitrate", float64(pr.Bitrate), true},
	} {
		q := p.key(f.key)
		if !r.require(q, "every profile gives voltage, tx_ma, rx_ma, idle_ma, sleep_ua and bitrate") || !r.given(q) {
			continue
		}
		switch {
		case f.positive && f.v <= 0:
			r.problem(q, "%s is not positive (valid: %s > 0)", formatValue(f.v), f.key)
		case f.v < 0:
			r.problem(q, "%s is negative (valid: %s ≥ 0)", formatValue(f.v), f.key)
		}
	}
	if bp := p.key("battery_mah"); r.given(bp) && pr.BatteryMAh < 0 {
		r.problem(bp, "%s is negative (valid: battery_mah ≥ 0; 0 or omitted for mains power)", formatValue(pr.BatteryMAh))
	}
}

// uniqueGroups reports every node group whose name an earlier group (in
// file order) already uses.
func (r *resolver) uniqueGroups(e *Experiment) {
	type group struct {
		p   path
		pos Pos
	}
	byName := map[string][]group{}
	for _, sec := range nodeSections {
		var names []string
		switch sec {
		case "brokers":
			names = SortedKeys(e.Brokers)
		case "coap_servers":
			names = SortedKeys(e.CoAPServers)
		case "gateways":
			names = SortedKeys(e.Gateways)
		case "devices":
			names = SortedKeys(e.Devices)
		case "p2p_brokers":
			names = SortedKeys(e.P2PBrokers)
		}
		for _, n := range names {
			p := path{{key: sec}, {key: n}}
			byName[n] = append(byName[n], group{p, r.src.where(p)})
		}
	}
	for _, n := range SortedKeys(byName) {
		gs := byName[n]
		sort.SliceStable(gs, func(a, b int) bool {
			return gs[a].pos.Line < gs[b].pos.Line || gs[a].pos.Line == gs[b].pos.Line && gs[a].pos.Col < gs[b].pos.Col
		})
		for _, g := range gs[1:] {
			r.problem(g.p, "the name %q is already used by %s (valid: group names unique across brokers, coap_servers, gateways, devices and p2p_brokers)", n, gs[0].p)
		}
	}
}
