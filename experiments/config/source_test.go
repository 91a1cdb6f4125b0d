package config

import (
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
)

const setBase = `name = "t"
duration = "1h"
[links.wifi]
loss = { model = "bernoulli", p = 0.01 }
outages = [ { at = "1m", for = "1s" } ]
[brokers.cloud]
link = "wifi"
[coap_servers.api]
link = "wifi"
[devices.s]
link = "wifi"
attach = "cloud"
protocol = "mqtt"
`

func TestSet(t *testing.T) {
	for _, c := range []struct {
		path, value string
		check       func(*Experiment) any
		want        any
	}{
		{"links.wifi.loss.p", "0.05", func(e *Experiment) any { return e.Links["wifi"].Loss.P }, 0.05},
		{"links.wifi.loss.p", "1", func(e *Experiment) any { return e.Links["wifi"].Loss.P }, 1.0}, // an integer where a float goes
		{"seed", "-7", func(e *Experiment) any { return e.Seed }, int64(-7)},
		{"devices.s.protocol", "udp", func(e *Experiment) any { return e.Devices["s"].Protocol }, "udp"},   // bare string
		{"devices.s.protocol", `"udp"`, func(e *Experiment) any { return e.Devices["s"].Protocol }, "udp"}, // TOML string
		{"duration", "2h", func(e *Experiment) any { return e.Duration }, dur("2h")},                       // bare string
		{"duration", `"150ms"`, func(e *Experiment) any { return e.Duration }, dur("150ms")},               // TOML string
		{"output.pcap", "true", func(e *Experiment) any { return e.Output.Pcap }, true},                    // boolean
		{"output.tables", `["runs", "packets"]`, func(e *Experiment) any { return e.Output.Tables }, []string{"runs", "packets"}},
		{"links.wifi.queue", "0", func(e *Experiment) any { return e.Links["wifi"].Queue }, 0},     // omitted by the file
		{"devices.s.mqtt.qos", "2", func(e *Experiment) any { return e.Devices["s"].MQTT.QoS }, 2}, // a table the file omitted
		{"devices.s.workload.kind", "none", func(e *Experiment) any { return e.Devices["s"].Workload.Kind }, "none"},
		{"links.wifi.outages[0].at", `"5m"`, func(e *Experiment) any { return e.Links["wifi"].Outages[0].At }, dur("5m")},
		{"links.wifi.loss", `{ model = "gilbert-elliott", p_gb = 0.1, p_bg = 0.5 }`, func(e *Experiment) any { return e.Links["wifi"].Loss },
			Loss{Model: "gilbert-elliott", PGB: 0.1, PBG: 0.5, LossBad: 1}},
		{"brokers.cloud.auth.users.bob", "pw", func(e *Experiment) any { return e.Brokers["cloud"].Auth.Users }, map[string]string{"bob": "pw"}},
		{"sweep.replications", "3", func(e *Experiment) any { return e.Sweep.Replications }, 3},
		{`"links"."wifi".queue`, "5", func(e *Experiment) any { return e.Links["wifi"].Queue }, 5}, // quoted keys
		{"name", "a=b", func(e *Experiment) any { return e.Name }, "a=b"},                          // not TOML: a bare string
	} {
		src, err := Parse("f.toml", []byte(setBase))
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Set(c.path, c.value); err != nil {
			t.Errorf("Set(%s, %s) = %v", c.path, c.value, err)
			continue
		}
		e, err := src.Resolve()
		if c.path == "name" { // "a=b" is not a folder name
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Error() != `--set name: "a=b" cannot be a folder name (valid: letters, digits, '-', '_' and '.', not only dots)` {
				t.Errorf("Set(name, a=b): %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Set(%s, %s); Resolve() = %v", c.path, c.value, err)
			continue
		}
		if got := c.check(e); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Set(%s, %s) gives %#v; want %#v", c.path, c.value, got, c.want)
		}
	}
}

func TestSetErrors(t *testing.T) {
	for _, c := range []struct{ path, value, want string }{
		{"links.wifi.los", "1", `--set links.wifi.los: unknown key "los" in links.wifi; did you mean "loss"? (valid: loss, delay, bandwidth, queue, outages)`},
		{"SEED", "1", `--set SEED: unknown key "SEED" in the top level; did you mean "seed"? (valid: name, description, seed, duration, drain, output, links, brokers, coap_servers, gateways, devices, p2p_brokers, profiles, sweep)`},
		{"devices.nope.count", "1", `--set devices.nope.count: no device group "nope" in the file (valid: s)`},
		{"links.lte.queue", "1", `--set links.lte.queue: no link class "lte" in the file (valid: wifi)`},
		{"devices", "1", `--set devices: devices is a set of named sections: name one, as in devices.<name>.<key>`},
		{"devices.s", "1", `--set devices.s: devices.s is a whole section: name one of its keys (valid: count, link, attach, protocol, profile, workload, start, ramp, sleep, coap, mqtt)`},
		{"seed.x", "1", `--set seed.x: seed is a single value, it has no key "x"`},
		{"links.wifi.outages[3].at", `"1s"`, `--set links.wifi.outages[3].at: links.wifi.outages has 1 elements in the file (valid: indices below 1)`},
		{"links.wifi.outages.at", `"1s"`, `--set links.wifi.outages.at: links.wifi.outages is a list: address its elements as links.wifi.outages[0]`},
		{"devices.s.link.x", "1", `--set devices.s.link.x: devices.s.link is a single value, it has no key "x"`},
		{"sweep.params", "{}", `--set sweep.params: sweep.params cannot be set or swept`},
		{"links..x", "1", `--set links..x: not a key path: unexpected '.' in key path (keys are letters, digits, '-', '_' or quoted)`},
		{"", "1", `--set : not a key path: expected a key after ""`},
	} {
		src, err := Parse("f.toml", []byte(setBase))
		if err != nil {
			t.Fatal(err)
		}
		err = src.Set(c.path, c.value)
		if err == nil || err.Error() != c.want {
			t.Errorf("Set(%q, %q) = %v\nwant %s", c.path, c.value, err, c.want)
		}
	}
}

func TestLoadSets(t *testing.T) {
	// Problems from --set and from the file come back together.
	_, src, err := Load("f.toml", []byte(setBase+"count = 0\n"), []string{"links.wifi.loss.p=1.5", "seed", `devices."s".payload=1`})
	want := `--set devices.s.payload: unknown key "payload" in devices.s (valid: count, link, attach, protocol, profile, workload, start, ramp, sleep, coap, mqtt)
--set links.wifi.loss.p: 1.5 is not a probability (valid: 0 ≤ p ≤ 1)
--set seed: expected PATH=VALUE, as in --set links.wifi.loss.p=0.05
f.toml:14:1: devices.s.count: 0 is too small (valid: count ≥ 1)`
	if err == nil || err.Error() != want {
		t.Errorf("Load with sets = %v\nwant:\n%s", err, want)
	}
	if src == nil {
		t.Error("Load returned no Source for a file that parsed")
	}
}

func TestCutAssignment(t *testing.T) {
	for _, c := range []struct{ in, k, v string }{
		{"a.b=1", "a.b", "1"},
		{"a.b = 1", "a.b", " 1"},
		{`sweep."x=y".z="a=b"`, `sweep."x=y".z`, `"a=b"`},
		{"a=", "a", ""},
	} {
		k, v, ok := cutAssignment(c.in)
		if !ok || k != c.k || v != c.v {
			t.Errorf("cutAssignment(%q) = %q, %q, %v; want %q, %q", c.in, k, v, ok, c.k, c.v)
		}
	}
	if _, _, ok := cutAssignment("abc"); ok {
		t.Error(`cutAssignment("abc") found an '='`)
	}
}

func TestClone(t *testing.T) {
	src, err := Parse("f.toml", []byte(setBase))
	if err != nil {
		t.Fatal(err)
	}
	c := src.Clone()
	if err := c.Set("links.wifi.loss.p", "0.5"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("links.wifi.outages[0].at", `"2m"`); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("devices.s.mqtt.qos", "1"); err != nil {
		t.Fatal(err)
	}
	c.Tree["links"].(map[string]any)["wifi"].(map[string]any)["queue"] = int64(3)

	orig, err := src.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	l := orig.Links["wifi"]
	if l.Loss.P != 0.01 || l.Outages[0].At != dur("1m") || l.Queue != 64 || orig.Devices["s"].MQTT.QoS != 0 {
		t.Errorf("editing the clone changed the original: %+v, qos %d", l, orig.Devices["s"].MQTT.QoS)
	}
	if _, ok := src.Tree["devices"].(map[string]any)["s"].(map[string]any)["mqtt"]; ok {
		t.Error("Set on the clone created a table in the original")
	}
	// Problems about a value set on the clone say --set; the original's keep their positions.
	if err := c.Set("links.wifi.loss.p", "2"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(); err == nil || err.Error() != "--set links.wifi.loss.p: 2.0 is not a probability (valid: 0 ≤ p ≤ 1)" {
		t.Errorf("clone: %v", err)
	}
	bad, _ := Parse("f.toml", []byte(setBase))
	bad.Tree["links"].(map[string]any)["wifi"].(map[string]any)["loss"].(map[string]any)["p"] = 2.0
	if _, err := bad.Resolve(); err == nil || err.Error() != "f.toml:4:31: links.wifi.loss.p: 2.0 is not a probability (valid: 0 ≤ p ≤ 1)" {
		t.Errorf("original: %v", err)
	}
}

const sweepBase = setBase + `[sweep]
mode = "zip"
[sweep.params]
"links.wifi.loss.p" = [0.1, 0.2]
devices.s.count     = [1, 5]
`

func TestSetParam(t *testing.T) {
	src, err := Parse("f.toml", []byte(sweepBase))
	if err != nil {
		t.Fatal(err)
	}
	base, err := src.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]any{"links.wifi.loss.p": {0.1, 0.2}, "devices.s.count": {int64(1), int64(5)}}
	if !reflect.DeepEqual(base.Sweep.Params, want) {
		t.Errorf("Params = %#v; want %#v", base.Sweep.Params, want)
	}
	run := src.Clone()
	if err := run.SetParam("links.wifi.loss.p", 1); err != nil {
		t.Fatal(err)
	}
	if err := run.SetParam("devices . s . count", 1); err != nil { // any spelling of the path
		t.Fatal(err)
	}
	e, err := run.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if e.Links["wifi"].Loss.P != 0.2 || e.Devices["s"].Count != 5 {
		t.Errorf("point 1: p = %v, count = %v", e.Links["wifi"].Loss.P, e.Devices["s"].Count)
	}
	if src.Tree["devices"].(map[string]any)["s"].(map[string]any)["count"] != nil {
		t.Error("SetParam on a clone changed the original")
	}

	for _, c := range []struct {
		param string
		i     int
		want  string
	}{
		{"links.wifi.loss.p", 2, `f.toml:17:1: sweep.params."links.wifi.loss.p": has no value 2 (valid: 0 to 1)`},
		{"links.wifi.queue", 0, `f.toml:16:8: sweep.params: has no parameter "links.wifi.queue"`},
	} {
		if err := src.Clone().SetParam(c.param, c.i); err == nil || err.Error() != c.want {
			t.Errorf("SetParam(%s, %d) = %v; want %s", c.param, c.i, err, c.want)
		}
	}
}

// TestSweepValuePositions: a bad value in a sweep list is reported at the
// list element, by the base file's Resolve and by the run's.
func TestSweepValuePositions(t *testing.T) {
	text := setBase + `[sweep.params]
"links.wifi.loss.p" = [0.1, 1.5]
`
	src, err := Parse("f.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := "f.toml:15:29: links.wifi.loss.p: 1.5 is not a probability (valid: 0 ≤ p ≤ 1)"
	if _, err := src.Resolve(); err == nil || err.Error() != want {
		t.Errorf("Resolve = %v; want %s", err, want)
	}
	run := src.Clone()
	if err := run.SetParam("links.wifi.loss.p", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Resolve(); err == nil || err.Error() != want {
		t.Errorf("run: Resolve = %v; want %s", err, want)
	}
	run = src.Clone()
	if err := run.SetParam("links.wifi.loss.p", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Resolve(); err != nil {
		t.Errorf("run 0: Resolve = %v; want no problem (values are checked by the base)", err)
	}
}

func TestSyntaxError(t *testing.T) {
	for _, c := range []struct{ file, text, want string }{
		{"f.toml", "name = \"x\"\nseed = = 3\n", `f.toml:2:8: TOML syntax: expected value but found '=' instead`},
		{"f.toml", "[a]\nb = 1\n[a]\n", `f.toml:3:2: TOML syntax: Key 'a' has already been defined.`},
		{"", "x = 'abc\n", `<name>:1:9: TOML syntax: strings cannot contain newlines`},
	} {
		_, err := Parse(c.file, []byte(c.text))
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 1 || err.Error() != c.want {
			t.Errorf("Parse(%q) = %v; want %s", c.text, err, c.want)
		}
	}
}

func TestKnownPath(t *testing.T) {
	for _, c := range []struct {
		path string
		want bool
	}{
		{"seed", true},
		{"SEED", false},
		{"links.anything.loss.p", true},
		{"links.wifi.loss", true},
		{`links."wi fi".queue`, true},
		{"links.wifi.outages", true},
		{"links.wifi.outages[2].at", true},
		{"links.wifi.outages.at", false},
		{"links.wifi.outage", false},
		{"links", false},
		{"links.wifi", false},
		{"devices.s.mqtt.will.qos", true},
		{"devices.s.mqtt.subscribe[0]", true},
		{"brokers.b.auth.users.bob", true},
		{"profiles.p.bitrate", true},
		{"gateways.g.bridge.to", true},
		{"sweep.mode", true},
		{"sweep.params", false},
		{"sweep.params.x", false},
		{"output.tables", true},
		{"name.x", false},
		{"", false},
		{"a..b", false},
	} {
		if got := KnownPath(c.path); got != c.want {
			t.Errorf("KnownPath(%q) = %v; want %v", c.path, got, c.want)
		}
	}
}

// TestEveryFieldHasAKey checks that the schema is fully tagged, so that no
// field is silently unreachable from a file.
func TestEveryFieldHasAKey(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t2 reflect.Type) {
		for t2.Kind() == reflect.Pointer || t2.Kind() == reflect.Slice || t2.Kind() == reflect.Map {
			t2 = t2.Elem()
		}
		if t2.Kind() != reflect.Struct || seen[t2] {
			return
		}
		seen[t2] = true
		for i := 0; i < t2.NumField(); i++ {
			f := t2.Field(i)
			if f.Tag.Get("toml") == "" {
				t.Errorf("%s.%s has no toml tag", t2.Name(), f.Name)
			}
			walk(f.Type)
		}
	}
	walk(experimentType)
}

func TestUnits(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" = error
	}{
		{"150ms", "150ms"}, {"1h30m", "1h30m0s"}, {"2d", "48h0m0s"}, {"1d12h", "36h0m0s"}, {"1.5d", "36h0m0s"},
		{"0", "0s"}, {"0d", "0s"}, {"-1s", "-1s"}, {" 5s ", "5s"}, {"1µs", "1µs"},
		{"5", ""}, {"5 parsecs", ""}, {"", ""}, {"d", ""}, {"1d-2h", ""}, {"1h2d", ""}, {"ms", ""}, {"200000d", ""},
	} {
		d, err := ParseDuration(c.in)
		got := ""
		if err == nil {
			got = d.String()
		}
		if got != c.want {
			t.Errorf("ParseDuration(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want float64 // -1 = error
	}{
		{"250kbps", 250e3}, {"1Mbps", 1e6}, {"1.5Gbps", 1.5e9}, {"9600bps", 9600}, {"100kbit/s", 1e5}, {"2 Mbit/s", 2e6},
		{"1e3bps", 1e3}, {"0bps", 0},
		{"fast", -1}, {"1 furlong", -1}, {"Mbps", -1}, {"-1Mbps", -1}, {"1mbps", -1}, {"infbps", -1}, {"100", -1},
	} {
		r, err := ParseRate(c.in)
		if c.want < 0 {
			if err == nil {
				t.Errorf("ParseRate(%q) = %v; want an error", c.in, r)
			}
		} else if err != nil || float64(r) != c.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", c.in, float64(r), err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want float64
	}{
		{"1/min", 1.0 / 60}, {"0.5/s", 0.5}, {"3/h", 3.0 / 3600}, {"10/ms", 10000}, {"2/d", 2.0 / 86400}, {"1 / s", 1},
		{"1/m", -1}, {"/s", -1}, {"1", -1}, {"-1/s", -1}, {"nan/s", -1}, {"1/s/s", -1},
	} {
		f, err := ParsePerTime(c.in)
		if c.want < 0 {
			if err == nil {
				t.Errorf("ParsePerTime(%q) = %v; want an error", c.in, f)
			}
		} else if err != nil || math.Abs(float64(f)-c.want) > 1e-12*c.want {
			t.Errorf("ParsePerTime(%q) = %v, %v; want %v", c.in, float64(f), err, c.want)
		}
	}
	if s := Rate(1.5e6).String(); s != "1.5Mbps" {
		t.Errorf("Rate(1.5e6) = %s", s)
	}
	if s := PerTime(0.5).String(); s != "0.5/s" {
		t.Errorf("PerTime(0.5) = %s", s)
	}
}

func TestProblemsError(t *testing.T) {
	ps := Problems{
		{File: "b.toml", Pos: Pos{3, 1}, Path: "x", Msg: "m"},
		{File: "b.toml", Pos: Pos{1, 5}, Path: "y", Msg: "m"},
		{File: "b.toml", Pos: Pos{1, 5}, Path: "a", Msg: "m"},
		{Path: "z", Msg: "from --set"},
		{File: "", Pos: Pos{2, 2}, Msg: "no path"},
	}
	want := `--set z: from --set
<name>:2:2: no path
b.toml:1:5: a: m
b.toml:1:5: y: m
b.toml:3:1: x: m`
	if got := ps.Error(); got != want {
		t.Errorf("Problems.Error() =\n%s\nwant\n%s", got, want)
	}
}

// TestDocExample keeps the doc comment's example honest.
func TestDocExample(t *testing.T) {
	text, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := Parse("exp.toml", text)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Set("links.wifi.loss.p", "0.05"); err != nil {
		t.Fatal(err)
	}
	if e, err := src.Resolve(); err != nil || e.Links["wifi"].Loss.P != 0.05 {
		t.Fatalf("Resolve = %v", err)
	}
}

// TestConcurrentPoints resolves sweep points from one base Source in
// parallel, as the runner's worker pool does (run with -race).
func TestConcurrentPoints(t *testing.T) {
	text, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := Parse("full.toml", text)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 10)
	for i := range 10 {
		go func() {
			run := src.Clone()
			err := run.SetParam("links.wifi.loss.p", i%5)
			if err == nil {
				var e *Experiment
				e, err = run.Resolve()
				if err == nil && e.Links["wifi"].Loss.P != []float64{0, 0.01, 0.05, 0.1, 0.2}[i%5] {
					err = errors.New("wrong value")
				}
			}
			errs <- err
		}()
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSetValue applies typed values, as sweep expansion does.
func TestSetValue(t *testing.T) {
	text := setBase + `[sweep]
replications = 2
[sweep.params]
"links.wifi.loss.p" = [0.1, 1.5]
"devices.s.count"   = [2, 3]
`
	src, err := Parse("f.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	base, err := src.Resolve()
	want := "f.toml:17:29: links.wifi.loss.p: 1.5 is not a probability (valid: 0 ≤ p ≤ 1)"
	if err == nil || err.Error() != want || base != nil {
		t.Fatalf("base Resolve = %v; want %s", err, want)
	}

	run := src.Clone()
	for path, v := range map[string]any{"links.wifi.loss.p": 0.1, "devices.s.count": int64(3)} {
		if err := run.SetValue(path, v); err != nil {
			t.Fatal(err)
		}
	}
	e, err := run.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if e.Links["wifi"].Loss.P != 0.1 || e.Devices["s"].Count != 3 || e.Sweep.Replications != 2 {
		t.Errorf("run: p = %v, count = %v, replications = %d", e.Links["wifi"].Loss.P, e.Devices["s"].Count, e.Sweep.Replications)
	}

	// A listed value points at its element; any other value says --set.
	run = src.Clone()
	if err := run.SetValue("links.wifi.loss.p", 1.5); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Resolve(); err == nil || err.Error() != want {
		t.Errorf("listed value: %v; want %s", err, want)
	}
	run = src.Clone()
	if err := run.SetValue("links.wifi.queue", -1); err != nil { // a Go int
		t.Fatal(err)
	}
	if err := run.SetValue("links.wifi.loss.p", 0.1); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Resolve(); err == nil || err.Error() != "--set links.wifi.queue: -1 is too small (valid: queue ≥ 0)" {
		t.Errorf("unlisted value: %v", err)
	}
	if err := src.Clone().SetValue("devices.nope.count", int64(1)); err == nil || err.Error() != `--set devices.nope.count: no device group "nope" in the file (valid: s)` {
		t.Errorf("SetValue on a missing section: %v", err)
	}
}
