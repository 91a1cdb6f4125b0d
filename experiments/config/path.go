package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A key path names one value of an experiment file, the way TOML dotted
// keys do: "links.wifi.loss.p". A key that is not a bare TOML key (letters,
// digits, '-' and '_') is written quoted: sweep.params."links.wifi.loss.p".
// Elements of a list are written [i] after the list's key:
// links.wifi.outages[0].at. Every Problem.Path, every position the scanner
// records and every key of Sweep.Params uses this one form.

// elem is one element of a path: a table key, or a list index.
type elem struct {
	key   string
	index int // used when isIndex
	isIdx bool
}

// path is a parsed key path. Its methods never alias the receiver.
type path []elem

func (p path) key(k string) path {
	return append(p[:len(p):len(p)], elem{key: k})
}

func (p path) index(i int) path {
	return append(p[:len(p):len(p)], elem{index: i, isIdx: true})
}

func (p path) parent() path {
	if len(p) == 0 {
		return nil
	}
	return p[:len(p)-1]
}

// last returns the key of the last element ("" for an index).
func (p path) last() string {
	if len(p) == 0 {
		return ""
	}
	return p[len(p)-1].key
}

// hasPrefix reports whether q is p or an ancestor of p.
func (p path) hasPrefix(q path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

func (p path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIdx:
			fmt.Fprintf(&b, "[%d]", e.index)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(quoteKey(e.key))
		}
	}
	return b.String()
}

// isBareKey reports whether k can be written unquoted in TOML.
func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isBareChar(k[i]) {
			return false
		}
	}
	return true
}

func isBareChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func quoteKey(k string) string {
	if isBareKey(k) {
		return k
	}
	return strconv.Quote(k)
}

// parsePath parses a key path written as in a --set flag or a sweep
// parameter: bare or quoted keys joined by dots (spaces around dots are
// allowed), each optionally followed by list indices [i].
func parsePath(s string) (path, error) {
	var p path
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipSpace()
		if i >= len(s) {
			return nil, fmt.Errorf("expected a key after %q", s[:i])
		}
		switch c := s[i]; {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if c == '"' && s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated quoted key at %q", s[i:])
			}
			k := s[i+1 : j]
			if c == '"' {
				u, err := strconv.Unquote(s[i : j+1])
				if err != nil {
					return nil, fmt.Errorf("bad quoted key %s", s[i:j+1])
				}
				k = u
			}
			p = p.key(k)
			i = j + 1
		case isBareChar(c):
			j := i
			for j < len(s) && isBareChar(s[j]) {
				j++
			}
			p = p.key(s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in key path (keys are letters, digits, '-', '_' or quoted)", c)
		}
		for i < len(s) && s[i] == '[' {
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("missing ']' in %q", s[i:])
			}
			n, err := strconv.Atoi(strings.TrimSpace(s[i+1 : i+j]))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad list index %q", s[i:i+j+1])
			}
			p = p.index(n)
			i += j + 1
		}
		skipSpace()
		if i == len(s) {
			return p, nil
		}
		if s[i] != '.' {
			return nil, fmt.Errorf("unexpected %q in key path", s[i])
		}
		i++
	}
}

// ---- the schema, seen through the toml tags of the types in schema.go ----

var (
	experimentType = reflect.TypeFor[Experiment]()
	durationType   = reflect.TypeFor[Duration]()
	rateType       = reflect.TypeFor[Rate]()
	perTimeType    = reflect.TypeFor[PerTime]()
	paramsType     = reflect.TypeFor[map[string][]any]()
)

// field is one key of a schema table.
type field struct {
	key   string
	index int
	typ   reflect.Type
}

// schema indexes the keys of every struct of the schema, once, at package
// initialisation; it is read-only afterwards, so concurrent Resolves may
// share it.
var schema = indexSchema(experimentType)

type tableKeys struct {
	fields []field          // in declaration order
	byKey  map[string]field // by key
	keys   []string         // the keys, in declaration order
}

func indexSchema(root reflect.Type) map[reflect.Type]*tableKeys {
	idx := map[reflect.Type]*tableKeys{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || idx[t] != nil {
			return
		}
		tk := &tableKeys{byKey: map[string]field{}}
		idx[t] = tk
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			k := f.Tag.Get("toml")
			if k == "" || k == "-" {
				continue
			}
			fd := field{key: k, index: i, typ: f.Type}
			tk.fields = append(tk.fields, fd)
			tk.byKey[k] = fd
			tk.keys = append(tk.keys, k)
			walk(f.Type)
		}
	}
	walk(root)
	return idx
}

func fieldByKey(t reflect.Type, key string) (field, bool) {
	f, ok := schema[t].byKey[key]
	return f, ok
}

// keysOf returns the keys of schema struct t in declaration order. The
// caller must not modify the result.
func keysOf(t reflect.Type) []string { return schema[t].keys }

// isSection reports whether t is a named section: a table of tables keyed
// by name ([links.<name>], [devices.<name>], ...).
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Pointer
}

// target is what the schema says about a key path.
type target struct {
	typ      reflect.Type
	sections []int // indices in the path of elements that are section names
	lists    []int // indices in the path of elements that are list indices
}

// lookup walks the schema along p. It fails, with a message naming what
// would be valid, when p does not name a value the schema accepts. Named
// sections are wildcards here; whether they exist is the caller's question.
func lookup(p path) (target, error) {
	t := experimentType
	var tg target
	for i, e := range p {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		at := p[:i].String()
		if at == "" {
			at = "the top level"
		}
		switch {
		case t == paramsType:
			return tg, fmt.Errorf("%s cannot be set or swept", p[:i])
		case t.Kind() == reflect.Struct:
			if e.isIdx {
				return tg, fmt.Errorf("%s is a table, not a list", p[:i])
			}
			f, ok := fieldByKey(t, e.key)
			if !ok {
				return tg, fmt.Errorf("unknown key %q in %s%s (valid: %s)", e.key, at, didYouMean(e.key, keysOf(t)), strings.Join(keysOf(t), ", "))
			}
			t = f.typ
		case t.Kind() == reflect.Map:
			if e.isIdx {
				return tg, fmt.Errorf("%s is a table, not a list", p[:i])
			}
			if isSection(t) {
				tg.sections = append(tg.sections, i)
			}
			t = t.Elem()
		case t.Kind() == reflect.Slice:
			if !e.isIdx {
				return tg, fmt.Errorf("%s is a list: address its elements as %s[0]", p[:i], p[:i])
			}
			tg.lists = append(tg.lists, i)
			t = t.Elem()
		default:
			return tg, fmt.Errorf("%s is a single value, it has no key %q", p[:i], e.key)
		}
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tg.typ = t
	switch {
	case len(p) == 0:
		return tg, fmt.Errorf("empty key path")
	case isSection(t):
		return tg, fmt.Errorf("%s is a set of named sections: name one, as in %s.<name>.<key>", p, p)
	case len(tg.sections) > 0 && tg.sections[len(tg.sections)-1] == len(p)-1 && t.Kind() == reflect.Struct:
		return tg, fmt.Errorf("%s is a whole section: name one of its keys (valid: %s)", p, strings.Join(keysOf(t), ", "))
	case t == paramsType:
		return tg, fmt.Errorf("%s cannot be set or swept", p)
	}
	return tg, nil
}

// KnownPath reports whether path names a value the schema accepts: a
// scalar, a list, a list element, or a fixed sub-table such as
// links.<name>.loss (which --set can replace with an inline table). Named
// sections are wildcards: KnownPath("devices.anything.count") is true.
// Section containers and whole sections (devices, devices.sensor) and
// sweep.params are not values and give false. Keys are case-sensitive.
func KnownPath(p string) bool {
	pp, err := parsePath(p)
	if err != nil {
		return false
	}
	_, err = lookup(pp)
	return err == nil
}

// didYouMean suggests the valid key closest to k, if one is close.
func didYouMean(k string, valid []string) string {
	best, bestD := "", 3
	for _, v := range valid {
		if strings.EqualFold(k, v) {
			return fmt.Sprintf("; did you mean %q?", v)
		}
		if d := editDistance(k, v); d < bestD && d < len(v)/2+1 {
			best, bestD = v, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
