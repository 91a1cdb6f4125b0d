package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// [sweep.params] maps key paths to lists of values. A key is one quoted
// TOML key holding a path ("links.wifi.loss.p" = [...]); dotted keys and
// sub-tables continue the path, so links.wifi.loss.p = [...] under
// [sweep.params] is the same parameter. Problems about a parameter use its
// key path in the file, e.g. sweep.params."links.wifi.loss.p".

// param is one parameter of [sweep.params].
type param struct {
	at     path  // where the list is in the tree: sweep.params...
	target path  // the key path it sets
	values []any // the values as written
	isList bool
	raw    any   // the value, when it is not a list
	err    error // the key is not a key path
}

var paramsPath = path{{key: "sweep"}, {key: "params"}}

// sweepParams lists the parameters under [sweep.params] of tree, in sorted
// key order, without checking them.
func sweepParams(tree map[string]any) []param {
	sw, _ := tree["sweep"].(map[string]any)
	ps, _ := sw["params"].(map[string]any)
	var out []param
	var walk func(at, target path, m map[string]any)
	walk = func(at, target path, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			a := at.key(k)
			kp, err := parsePath(k)
			if err != nil {
				out = append(out, param{at: a, err: err})
				continue
			}
			t := append(slices.Clone(target), kp...)
			switch v := m[k].(type) {
			case map[string]any:
				walk(a, t, v)
			case []any:
				out = append(out, param{at: a, target: t, values: v, isList: true})
			default:
				out = append(out, param{at: a, target: t, raw: v})
			}
		}
	}
	walk(paramsPath, nil, ps)
	return out
}

// decodeParams fills Sweep.Params (dst) from sweep.params (v), checking
// that every key names something in the file and every value is a
// non-empty list. The values themselves are checked by checkSweepValues.
func (r *resolver) decodeParams(p path, v any, dst reflect.Value) {
	if _, ok := r.table(p, v); !ok {
		return
	}
	params := dst.Interface().(map[string][]any)
	seen := map[string]path{}
	for _, pr := range sweepParams(r.src.Tree) {
		r.present[pr.at.String()] = true
		if pr.err != nil {
			r.problem(pr.at, "not a key path: %v", pr.err)
			continue
		}
		if !pr.isList {
			r.problem(pr.at, "expected a list of values, got %s (valid: a list, as in %s = [%s])", describe(pr.raw), quoteKey(pr.at.last()), formatValue(pr.raw))
			continue
		}
		if len(pr.values) == 0 {
			r.problem(pr.at, "empty list (valid: at least one value)")
			continue
		}
		if pr.target[0].key == "sweep" {
			r.problem(pr.at, "a sweep cannot change [sweep] (valid: key paths outside [sweep])")
			continue
		}
		if err := r.src.checkTarget(pr.target); err != nil {
			r.problem(pr.at, "%v", err)
			continue
		}
		key := pr.target.String()
		if prev, dup := seen[key]; dup {
			r.problem(pr.at, "sweeps %s, as %s does (valid: each path once)", key, prev)
			continue
		}
		clash := false
		for _, k := range slices.Sorted(maps.Keys(seen)) {
			if under(key, k) || under(k, key) {
				r.problem(pr.at, "%s overlaps %s, swept by %s (valid: paths that do not contain one another)", key, k, seen[k])
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		seen[key] = pr.at
		params[key] = deepCopy(pr.values).([]any)
		r.params = append(r.params, pr)
	}
}

// zipLengths checks that in mode zip all lists have the same length.
func (r *resolver) zipLengths(s *Sweep) {
	if s.Mode != SweepZip || len(r.params) < 2 {
		return
	}
	first := r.params[0]
	for _, pr := range r.params[1:] {
		if len(pr.values) != len(first.values) {
			r.problem(pr.at, "%d values, but %s has %d (valid: with mode \"zip\", lists of equal length)", len(pr.values), first.target, len(first.values))
		}
	}
}

// checkSweepValues resolves the experiment once for each listed value of
// each parameter alone (grid mode), or once for each point of a zip sweep
// with its parameters' values together, and reports what that breaks which
// the file without a sweep does not. A problem about a swept key points at
// its value in the list; one elsewhere (say, protocol "coap" on devices
// attached to a broker) points at the (first) value and says which values
// caused it. Combinations of a grid's values are not checked here: the
// runs of the sweep are.
func (r *resolver) checkSweepValues(mode string) {
	known := map[string]bool{}
	for _, q := range r.probs {
		known[q.Path+"\x00"+q.Msg] = true
	}
	if mode == SweepZip && len(r.params) > 1 && r.equalLengths() {
		// In a zip the values of one index belong together (protocol
		// "coap" with attach "api"), so checking them one by one would
		// report combinations that never run.
		for i := range r.params[0].values {
			vals := make([]sweptValue, len(r.params))
			var with []string
			for j := range r.params {
				vals[j] = sweptValue{&r.params[j], i}
				with = append(with, vals[j].String())
			}
			r.checkPoint(known, vals, fmt.Sprintf(" (at sweep point %d: %s)", i, strings.Join(with, ", ")))
		}
		return
	}
	for j := range r.params {
		for i := range r.params[j].values {
			v := sweptValue{&r.params[j], i}
			r.checkPoint(known, []sweptValue{v}, fmt.Sprintf(" (with %s from the sweep)", v))
		}
	}
}

// sweptValue is value i of a sweep parameter.
type sweptValue struct {
	pr *param
	i  int
}

func (v sweptValue) String() string {
	return fmt.Sprintf("%s = %s", v.pr.target, formatValue(v.pr.values[v.i]))
}

// pos is where the value stands in the file.
func (r *resolver) pos(v sweptValue) Pos { return r.src.where(v.pr.at.index(v.i)) }

// checkPoint resolves the experiment with vals put in place of the sweep and
// adds the problems that are not known yet; for a zip point (several
// values) it remembers them, so that a problem shared by several points is
// reported once. A problem
// about a swept key keeps its value's position, any other gets the first
// value's; both get the note, unless a single value's own problem.
func (r *resolver) checkPoint(known map[string]bool, vals []sweptValue, note string) {
	c := r.src.Clone()
	delete(c.Tree, "sweep")
	c.point = true
	for _, v := range vals {
		if c.put(v.pr.target, deepCopy(v.pr.values[v.i]), origin{pos: r.pos(v)}) != nil {
			return // decodeParams reported it
		}
	}
	_, err := c.Resolve()
	probs, _ := err.(Problems)
	for _, q := range probs {
		key := q.Path + "\x00" + q.Msg
		if known[key] {
			continue
		}
		if len(vals) > 1 {
			known[key] = true
		}
		swept := slices.ContainsFunc(vals, func(v sweptValue) bool { return under(q.Path, v.pr.target.String()) })
		if !swept {
			q.Pos = r.pos(vals[0])
		}
		if !swept || len(vals) > 1 { // a point's problem may come from any of its values
			q.Msg += note
		}
		r.probs = append(r.probs, q)
	}
}

// equalLengths reports whether every parameter has as many values as the
// first (zip mode; zipLengths reports it otherwise).
func (r *resolver) equalLengths() bool {
	for _, pr := range r.params[1:] {
		if len(pr.values) != len(r.params[0].values) {
			return false
		}
	}
	return true
}
