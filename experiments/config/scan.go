package config

import (
	"sort"
	"strconv"
)

// scanPositions returns the position of every key of a TOML text, by key
// path (see path.String): the position of a key is where its last element
// is first written. Table headers ([a.b], [[a.b]]), dotted and quoted keys,
// inline tables and list elements (path[i], at the element's first
// character) are recorded.
//
// BurntSushi/toml has already accepted the text, so the scanner trusts its
// syntax and is lenient: it only needs to skip comments, strings (a '#' or
// '=' inside a string is not syntax) and values spanning lines correctly.
func scanPositions(text []byte) map[string]Pos {
	s := &scanner{src: text, pos: map[string]Pos{}, arrays: map[string]int{}}
	for i, c := range text {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	s.document()
	return s.pos
}

type scanner struct {
	src    []byte
	i      int
	lines  []int          // offsets where lines 2, 3, ... start
	pos    map[string]Pos // the result
	arrays map[string]int // array-of-tables path → elements seen so far
}

func (s *scanner) posAt(off int) Pos {
	n := sort.SearchInts(s.lines, off+1) // lines starting at or before off
	start := 0
	if n > 0 {
		start = s.lines[n-1]
	}
	return Pos{Line: n + 1, Col: off - start + 1}
}

func (s *scanner) record(p path, off int) {
	k := p.String()
	if _, ok := s.pos[k]; !ok {
		s.pos[k] = s.posAt(off)
	}
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.i]
}

func (s *scanner) hasPrefix(p string) bool {
	return len(s.src)-s.i >= len(p) && string(s.src[s.i:s.i+len(p)]) == p
}

// skipSpace skips blanks, and also newlines and comments when lines is set.
func (s *scanner) skipSpace(lines bool) {
	for !s.eof() {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t':
			s.i++
		case lines && (c == '\n' || c == '\r'):
			s.i++
		case lines && c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the start of the next line.
func (s *scanner) skipLine() {
	for !s.eof() && s.src[s.i] != '\n' {
		s.i++
	}
	if !s.eof() {
		s.i++
	}
}

func (s *scanner) document() {
	var table path // the table the following key/values belong to
	for {
		s.skipSpace(true)
		if s.eof() {
			return
		}
		if s.peek() == '[' {
			table = s.header()
		} else {
			s.keyValue(table)
		}
		s.skipLine()
	}
}

// header reads [a.b] or [[a.b]] and returns the table it opens.
func (s *scanner) header() path {
	s.i++
	isArray := s.peek() == '['
	if isArray {
		s.i++
	}
	keys, offs := s.keys()
	var p path
	for j, k := range keys {
		p = p.key(k)
		s.record(p, offs[j])
		if j == len(keys)-1 && isArray {
			n := s.arrays[p.String()]
			s.arrays[p.String()] = n + 1
			p = p.index(n)
			s.record(p, offs[j])
		} else if n, ok := s.arrays[p.String()]; ok {
			p = p.index(n - 1) // a sub-table of the last element
		}
	}
	return p
}

// keyValue reads key = value in table.
func (s *scanner) keyValue(table path) {
	keys, offs := s.keys()
	p := table
	for j, k := range keys {
		p = p.key(k)
		s.record(p, offs[j])
	}
	s.skipSpace(false)
	if s.peek() != '=' {
		return // not TOML; cannot happen after a successful parse
	}
	s.i++
	s.skipSpace(false)
	s.value(p)
}

// keys reads a dotted key and returns its elements and their offsets.
func (s *scanner) keys() ([]string, []int) {
	var keys []string
	var offs []int
	for {
		s.skipSpace(false)
		off := s.i
		var k string
		switch c := s.peek(); {
		case c == '"':
			start := s.i
			s.skipBasicString()
			k = unquoteBasic(s.src[start:s.i])
		case c == '\'':
			start := s.i
			s.skipLiteralString()
			k = string(s.src[start+1 : max(start+1, s.i-1)])
		case isBareChar(c):
			for !s.eof() && isBareChar(s.peek()) {
				s.i++
			}
			k = string(s.src[off:s.i])
		default:
			return keys, offs
		}
		keys = append(keys, k)
		offs = append(offs, off)
		s.skipSpace(false)
		if s.peek() != '.' {
			return keys, offs
		}
		s.i++
	}
}

// value skips one value, recording the keys of inline tables and the
// elements of lists under p.
func (s *scanner) value(p path) {
	switch c := s.peek(); {
	case s.hasPrefix(`"""`):
		s.skipMultiline(`"""`)
	case s.hasPrefix(`'''`):
		s.skipMultiline(`'''`)
	case c == '"':
		s.skipBasicString()
	case c == '\'':
		s.skipLiteralString()
	case c == '{':
		s.i++
		for {
			s.skipSpace(true)
			if s.eof() || s.peek() == '}' {
				s.i++
				return
			}
			if s.peek() == ',' {
				s.i++
				continue
			}
			keys, offs := s.keys()
			if len(keys) == 0 {
				s.i++ // not TOML; make progress
				continue
			}
			q := p
			for j, k := range keys {
				q = q.key(k)
				s.record(q, offs[j])
			}
			s.skipSpace(true)
			if s.peek() == '=' {
				s.i++
				s.skipSpace(true)
				s.value(q)
			}
		}
	case c == '[':
		s.i++
		for n := 0; ; {
			s.skipSpace(true)
			if s.eof() || s.peek() == ']' {
				s.i++
				return
			}
			if s.peek() == ',' {
				s.i++
				continue
			}
			q := p.index(n)
			s.record(q, s.i)
			s.value(q)
			n++
		}
	default: // number, boolean, date-time (which may contain a space)
		for !s.eof() {
			switch s.peek() {
			case ',', ']', '}', '#', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

func (s *scanner) skipBasicString() {
	s.i++ // opening quote
	for !s.eof() {
		switch s.src[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return
		case '\n':
			return
		default:
			s.i++
		}
	}
}

func (s *scanner) skipLiteralString() {
	s.i++
	for !s.eof() {
		switch s.src[s.i] {
		case '\'':
			s.i++
			return
		case '\n':
			return
		default:
			s.i++
		}
	}
}

func (s *scanner) skipMultiline(delim string) {
	s.i += len(delim)
	for !s.eof() {
		if delim == `"""` && s.src[s.i] == '\\' {
			s.i += 2
			continue
		}
		if s.hasPrefix(delim) {
			s.i += len(delim)
			// Up to two more quote characters may close the string: """a""""".
			for n := 0; n < 2 && !s.eof() && s.src[s.i] == delim[0]; n++ {
				s.i++
			}
			return
		}
		s.i++
	}
}

// unquoteBasic decodes a TOML basic string with its quotes.
func unquoteBasic(b []byte) string {
	if u, err := strconv.Unquote(string(b)); err == nil {
		return u
	}
	if len(b) >= 2 {
		return string(b[1 : len(b)-1])
	}
	return ""
}
