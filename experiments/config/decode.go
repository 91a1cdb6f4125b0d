package config

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The typed conversion walks the tree and the schema types together. The
// schema is the structs of schema.go: a field's `toml:"key"` tag is its key
// (the same tags drive KnownPath, so the two cannot disagree). How a value
// is read depends only on the field's Go type:
//
//	string, bool, int, int64, float64   TOML string, boolean, integer, number
//	Duration, Rate, PerTime             a string with units (never a number)
//	struct, *struct                     a table (inline or [header]); *struct is nil when absent
//	[]string, []struct                  a list (of strings, of tables)
//	map[string]string                   a table of strings with any keys (auth.users)
//	map[string]*struct                  a named section: a table of tables keyed by name
//	map[string][]any                    sweep.params (see sweep.go)
//
// Ranges, enumerations, required keys and references are checked after
// conversion, in validate.go.

// resolver collects the problems of one Resolve.
type resolver struct {
	src     *Source
	probs   Problems
	present map[string]bool // key paths found in the tree
	failed  map[string]bool // key paths with a problem: later checks skip them
	params  []param         // sweep parameters (sweep.go)
}

// Resolve converts the tree to an Experiment, fills in defaults and
// validates everything. On error it returns Problems holding every problem
// found, sorted by position.
func (s *Source) Resolve() (*Experiment, error) {
	r := &resolver{src: s, present: map[string]bool{}, failed: map[string]bool{}}
	e := new(Experiment)
	setDefaults(e)
	r.decodeTable(nil, s.Tree, reflect.ValueOf(e).Elem())
	finishDefaults(e, func(k string) bool { return r.present[k] })
	r.validate(e)
	if e.Sweep != nil && !s.point {
		r.checkSweepValues(e.Sweep.Mode)
	}
	if err := r.probs.err(); err != nil {
		return nil, err
	}
	return e, nil
}

func (r *resolver) problem(p path, format string, args ...any) {
	k := p.String()
	r.failed[k] = true
	r.probs = append(r.probs, Problem{File: r.src.File, Pos: r.src.where(p), Path: k, Msg: fmt.Sprintf(format, args...)})
}

// has reports whether the file (or an override) gave a value at p.
func (r *resolver) has(p path) bool { return r.present[p.String()] }

// given reports whether p has a value that converted without a problem:
// the condition for checking its range.
func (r *resolver) given(p path) bool { return r.present[p.String()] && !r.failed[p.String()] }

// decode converts the tree value v found at p into dst.
func (r *resolver) decode(p path, v any, dst reflect.Value) {
	r.present[p.String()] = true
	t := dst.Type()
	switch t {
	case durationType:
		s, ok := v.(string)
		if !ok {
			r.problem(p, `expected a duration string with units like "150ms", got %s`, describe(v))
			return
		}
		d, err := ParseDuration(s)
		switch {
		case err != nil:
			r.problem(p, "%v", err)
		case d < 0:
			r.problem(p, "%q is negative (valid: a duration ≥ 0)", s)
		default:
			dst.SetInt(int64(d))
		}
		return
	case rateType:
		s, ok := v.(string)
		if !ok {
			r.problem(p, `expected a rate string with units like "250kbps", got %s`, describe(v))
			return
		}
		if x, err := ParseRate(s); err != nil {
			r.problem(p, "%v", err)
		} else {
			dst.SetFloat(float64(x))
		}
		return
	case perTimeType:
		s, ok := v.(string)
		if !ok {
			r.problem(p, `expected a frequency string with units like "1/min", got %s`, describe(v))
			return
		}
		if x, err := ParsePerTime(s); err != nil {
			r.problem(p, "%v", err)
		} else {
			dst.SetFloat(float64(x))
		}
		return
	case paramsType:
		r.decodeParams(p, v, dst)
		return
	}

	switch t.Kind() {
	case reflect.String:
		if s, ok := v.(string); ok {
			dst.SetString(s)
		} else {
			r.problem(p, "expected a string, got %s", describe(v))
		}
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			dst.SetBool(b)
		} else {
			r.problem(p, "expected true or false, got %s", describe(v))
		}
	case reflect.Int, reflect.Int64:
		if n, ok := v.(int64); ok {
			dst.SetInt(n)
		} else {
			r.problem(p, "expected an integer, got %s", describe(v))
		}
	case reflect.Float64:
		switch n := v.(type) {
		case int64:
			dst.SetFloat(float64(n))
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				r.problem(p, "expected a finite number, got %s", formatValue(n))
			} else {
				dst.SetFloat(n)
			}
		default:
			r.problem(p, "expected a number, got %s", describe(v))
		}
	case reflect.Struct:
		if m, ok := r.table(p, v); ok {
			r.decodeTable(p, m, dst)
		}
	case reflect.Pointer: // optional table
		if m, ok := r.table(p, v); ok {
			nv := reflect.New(t.Elem())
			setDefaults(nv.Interface())
			r.decodeTable(p, m, nv.Elem())
			dst.Set(nv)
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			r.problem(p, "expected a list, got %s", describe(v))
			return
		}
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, x := range list {
			if t.Elem().Kind() == reflect.Struct {
				setDefaults(s.Index(i).Addr().Interface())
			}
			r.decode(p.index(i), x, s.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		r.decodeMap(p, v, dst)
	default:
		panic("config: schema field of unsupported type " + t.String())
	}
}

// table returns v as a table, or reports that it is not one.
func (r *resolver) table(p path, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.problem(p, "expected a table, got %s", describe(v))
	}
	return m, ok
}

// decodeTable fills the struct dst from table m, key by key in sorted order.
func (r *resolver) decodeTable(p path, m map[string]any, dst reflect.Value) {
	t := dst.Type()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		f, ok := fieldByKey(t, k)
		if !ok {
			valid := keysOf(t)
			r.problem(p.key(k), "unknown key%s (valid: %s)", didYouMean(k, valid), strings.Join(valid, ", "))
			continue
		}
		r.decode(p.key(k), m[k], dst.Field(f.index))
	}
}

// decodeMap fills a named section (map[string]*T) or a table of strings.
func (r *resolver) decodeMap(p path, v any, dst reflect.Value) {
	t := dst.Type()
	m, ok := v.(map[string]any)
	if !ok {
		if isSection(t) {
			r.problem(p, "expected a table of named sections, as in [%s.<name>], got %s", p, describe(v))
		} else {
			r.problem(p, "expected a table, got %s", describe(v))
		}
		return
	}
	if dst.IsNil() {
		dst.Set(reflect.MakeMap(t))
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		q := p.key(name)
		if !isSection(t) {
			if name == "" {
				r.problem(q, "empty name")
				continue
			}
			nv := reflect.New(t.Elem()).Elem()
			r.decode(q, m[name], nv)
			dst.SetMapIndex(reflect.ValueOf(name), nv)
			continue
		}
		if !validSectionName(name) {
			r.present[q.String()] = true
			r.problem(q, "%q is not a valid name (valid: letters, digits, '-' and '_')", name)
			continue
		}
		sub, ok := m[name].(map[string]any)
		if !ok {
			r.present[q.String()] = true
			r.problem(q, "expected a table, as in [%s], got %s", q, describe(m[name]))
			continue
		}
		nv := reflect.New(t.Elem().Elem())
		setDefaults(nv.Interface())
		r.present[q.String()] = true
		r.decodeTable(q, sub, nv.Elem())
		dst.SetMapIndex(reflect.ValueOf(name), nv)
	}
}

func validSectionName(s string) bool { return isBareKey(s) }

// describe names the TOML type of v and shows it, for "got ..." messages.
func describe(v any) string {
	switch v := v.(type) {
	case int64:
		return "integer " + formatValue(v)
	case float64:
		return "float " + formatValue(v)
	case string:
		return "string " + strconv.Quote(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// formatValue writes a TOML value as it would appear in a file.
func formatValue(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		switch {
		case math.IsNaN(v):
			return "nan"
		case math.IsInf(v, 1):
			return "inf"
		case math.IsInf(v, -1):
			return "-inf"
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = formatValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = quoteKey(k) + " = " + formatValue(v[k])
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case time.Time:
		return v.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}
