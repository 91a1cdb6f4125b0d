package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Source is a parsed experiment file: the generic TOML tree, before typed
// conversion, plus where each key was written. Overrides (Set) and sweep
// points (SetParam) edit the tree; Resolve converts it.
//
// Tree holds what BurntSushi/toml decodes into a map[string]any: string,
// int64, float64, bool, time.Time, []any and map[string]any (arrays of
// tables are normalised to []any of map[string]any).
type Source struct {
	File string         // file name as given to Parse ("" for embedded text)
	Tree map[string]any // the document

	pos   map[string]Pos    // where each key path was written (see scanPositions)
	from  map[string]origin // key paths whose value was put by Set or SetParam
	point bool              // SetParam was used: this is one point of the sweep
}

// origin says where a value put by Set or SetParam comes from: a zero pos
// for --set, the position of the list element for a sweep value.
type origin struct{ pos Pos }

// Parse parses an experiment file. A TOML syntax error comes back as
// Problems holding one Problem positioned where the parser stopped.
func Parse(file string, text []byte) (*Source, error) {
	var tree map[string]any
	if _, err := toml.Decode(string(text), &tree); err != nil {
		p := Problem{File: file, Pos: Pos{1, 1}, Msg: "TOML syntax: " + err.Error()}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			p.Pos = Pos{Line: max(1, pe.Position.Line), Col: max(1, pe.Position.Col)}
			p.Msg = "TOML syntax: " + pe.Message
		}
		return nil, Problems{p}
	}
	if tree == nil {
		tree = map[string]any{}
	}
	return &Source{
		File: file,
		Tree: normalize(tree).(map[string]any),
		pos:  scanPositions(text),
		from: map[string]origin{},
	}, nil
}

// Load parses text, applies the "PATH=VALUE" overrides in order, and
// resolves the result. On error it returns Problems with every problem
// found, and the Source when the file parsed.
func Load(file string, text []byte, sets []string) (*Experiment, *Source, error) {
	src, err := Parse(file, text)
	if err != nil {
		return nil, nil, err
	}
	var probs Problems
	for _, kv := range sets {
		k, v, ok := cutAssignment(kv)
		if !ok {
			probs = append(probs, Problem{File: file, Path: kv, Msg: "expected PATH=VALUE, as in --set links.wifi.loss.p=0.05"})
			continue
		}
		if err := src.Set(k, v); err != nil {
			probs = append(probs, err.(Problems)...)
		}
	}
	e, err := src.Resolve()
	if err != nil {
		probs = append(probs, err.(Problems)...)
	}
	if err := probs.err(); err != nil {
		return nil, src, err
	}
	return e, src, nil
}

// cutAssignment splits PATH=VALUE at the first '=' outside quotes.
func cutAssignment(s string) (string, string, bool) {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '=':
			return strings.TrimSpace(s[:i]), s[i+1:], true
		}
	}
	return "", "", false
}

// Set applies one override, as --set PATH=VALUE does. VALUE is read as a
// TOML value (0.05, "mqtt", true, "150ms", [1, 2], { model = "none" }); if
// it is not valid TOML it is taken as a bare string, so that
// --set devices.sensor.protocol=mqtt works.
//
// PATH must be a key the schema knows (see KnownPath), every named section
// in it (links.<name>, devices.<name>, ...) must exist in the file, and
// every list index must exist; keys the file omitted may be set. Problems
// about the value are later reported as "--set PATH: ...".
func (s *Source) Set(p, value string) error {
	pp, err := parsePath(p)
	if err != nil {
		return Problems{{File: s.File, Path: p, Msg: "not a key path: " + err.Error()}}
	}
	return s.put(pp, parseValue(value), origin{})
}

// parseValue reads a --set value: TOML if it parses as one value, else the
// text itself.
func parseValue(text string) any {
	var m map[string]any
	if _, err := toml.Decode("v = "+text, &m); err == nil && len(m) == 1 {
		if v, ok := m["v"]; ok {
			return normalize(v)
		}
	}
	return text
}

// SetParam puts the i-th value listed for sweep parameter param (a key of
// [sweep.params], in any spelling that parses to the same path) at its
// path. This is what sweep expansion does for each parameter of a run:
//
//	run := base.Clone()
//	run.SetParam("links.wifi.loss.p", 3)
//	e, err := run.Resolve()
//
// Problems about the value point at the list element in the file. After
// SetParam, Resolve no longer checks every listed value of [sweep] (the
// base Source's Resolve did).
func (s *Source) SetParam(param string, i int) error {
	want, err := parsePath(param)
	if err != nil {
		return Problems{{File: s.File, Pos: Pos{1, 1}, Path: "sweep.params", Msg: fmt.Sprintf("%q is not a key path: %v", param, err)}}
	}
	for _, pr := range sweepParams(s.Tree) {
		if pr.err != nil || pr.target.String() != want.String() {
			continue
		}
		if i < 0 || i >= len(pr.values) {
			return Problems{{File: s.File, Pos: s.where(pr.at), Path: pr.at.String(), Msg: fmt.Sprintf("has no value %d (valid: 0 to %d)", i, len(pr.values)-1)}}
		}
		s.point = true
		return s.put(pr.target, deepCopy(pr.values[i]), origin{pos: s.where(pr.at.index(i))})
	}
	return Problems{{File: s.File, Pos: s.where(path{{key: "sweep"}, {key: "params"}}), Path: "sweep.params", Msg: fmt.Sprintf("has no parameter %q", param)}}
}

// SetValue puts an already-typed TOML value (int64, float64, string, bool,
// []any, map[string]any, as in Sweep.Params; Go ints and float32 are
// accepted too) at path, with the same checks as Set. It is the other way
// for sweep expansion to apply a parameter value:
//
//	for path, v := range point { run.SetValue(path, v) }
//
// When path is a parameter of [sweep.params] and v one of its listed
// values, problems about it point at that list element and, as after
// SetParam, Resolve no longer checks every listed value. Otherwise they
// are reported as "--set PATH".
func (s *Source) SetValue(p string, v any) error {
	pp, err := parsePath(p)
	if err != nil {
		return Problems{{File: s.File, Path: p, Msg: "not a key path: " + err.Error()}}
	}
	switch n := v.(type) {
	case int:
		v = int64(n)
	case int32:
		v = int64(n)
	case float32:
		v = float64(n)
	}
	o := origin{}
	for _, pr := range sweepParams(s.Tree) {
		if pr.err != nil || pr.target.String() != pp.String() {
			continue
		}
		for i, x := range pr.values {
			if reflect.DeepEqual(x, v) {
				o.pos = s.where(pr.at.index(i))
				s.point = true
				break
			}
		}
	}
	return s.put(pp, deepCopy(v), o)
}

// put stores v at p, after checking that p names something (see Set).
func (s *Source) put(p path, v any, o origin) error {
	if err := s.checkTarget(p); err != nil {
		return Problems{{File: s.File, Pos: o.pos, Path: p.String(), Msg: err.Error()}}
	}
	var cur any = s.Tree
	for i, e := range p {
		lastElem := i == len(p)-1
		if e.isIdx {
			list := cur.([]any) // checkTarget made sure
			if lastElem {
				list[e.index] = v
			} else {
				cur = list[e.index]
			}
			continue
		}
		tbl := cur.(map[string]any)
		if lastElem {
			tbl[e.key] = v
			continue
		}
		next, ok := tbl[e.key]
		if !ok {
			next = map[string]any{}
			tbl[e.key] = next
		}
		cur = next
	}
	k := p.String()
	for q := range s.pos {
		if under(q, k) {
			delete(s.pos, q)
		}
	}
	for q := range s.from {
		if under(q, k) {
			delete(s.from, q)
		}
	}
	s.from[k] = o
	return nil
}

// under reports whether key path q is k or below k.
func under(q, k string) bool {
	return q == k || strings.HasPrefix(q, k+".") || strings.HasPrefix(q, k+"[")
}

// checkTarget reports why p cannot be set in this document, or nil: p must
// be known to the schema, its named sections and list elements must exist,
// and what it passes through must be tables (or lists, for indices).
func (s *Source) checkTarget(p path) error {
	tg, err := lookup(p)
	if err != nil {
		return err
	}
	var cur any = s.Tree
	for i, e := range p[:len(p)-1] {
		here := p[:i+1]
		if e.isIdx {
			list, _ := cur.([]any)
			if e.index >= len(list) {
				return fmt.Errorf("%s has %d elements in the file (valid: indices below %d)", p[:i], len(list), len(list))
			}
			cur = list[e.index]
			continue
		}
		tbl, ok := cur.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is %s in the file, not a table", p[:i], describe(cur))
		}
		next, ok := tbl[e.key]
		switch {
		case ok:
			cur = next
		case slices.Contains(tg.sections, i):
			return fmt.Errorf("no %s %q in the file (valid: %s)", sectionNoun(p[i-1].key), e.key, orNone(slices.Sorted(maps.Keys(tbl))))
		case p[i+1].isIdx:
			return fmt.Errorf("%s is not in the file, so it has no element %d", here, p[i+1].index)
		default:
			cur = map[string]any{} // created by put
		}
	}
	if last := p[len(p)-1]; last.isIdx {
		list, ok := cur.([]any)
		if !ok || last.index >= len(list) {
			return fmt.Errorf("%s has %d elements in the file (valid: indices below %d)", p.parent(), len(list), len(list))
		}
	} else if _, ok := cur.(map[string]any); !ok {
		return fmt.Errorf("%s is %s in the file, not a table", p.parent(), describe(cur))
	}
	return nil
}

// sectionNoun names one entry of a named section, for messages.
func sectionNoun(section string) string {
	switch section {
	case "links":
		return "link class"
	case "brokers":
		return "broker"
	case "coap_servers":
		return "coap_server"
	case "gateways":
		return "gateway group"
	case "devices":
		return "device group"
	case "p2p_brokers":
		return "p2p_broker"
	case "profiles":
		return "profile"
	}
	return section + " entry"
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none in the file"
	}
	return strings.Join(names, ", ")
}

// where returns the position to report for key path p: where p was
// written, else where its nearest written ancestor was (a missing key
// points at its table's header), else 1:1. A value put by Set reports the
// zero Pos ("--set"), and one put by SetParam the sweep list element.
func (s *Source) where(p path) Pos {
	for q := p; ; q = q.parent() {
		k := q.String()
		if o, ok := s.from[k]; ok {
			return o.pos
		}
		if pos, ok := s.pos[k]; ok {
			return pos
		}
		if len(q) == 0 {
			return Pos{1, 1}
		}
	}
}

// Clone returns a deep copy of s: editing the copy's tree (Set, SetParam)
// leaves s alone.
func (s *Source) Clone() *Source {
	return &Source{
		File:  s.File,
		Tree:  deepCopy(s.Tree).(map[string]any),
		pos:   maps.Clone(s.pos),
		from:  maps.Clone(s.from),
		point: s.point,
	}
}

// deepCopy copies the tables and lists of a TOML value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// normalize turns the []map[string]any of arrays of tables into []any.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
		return v
	case []map[string]any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = normalize(x)
		}
		return l
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
		return v
	}
	return v
}
