package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// UnnamedFile is how a Problem names its file when the text was parsed
// with an empty file name (an experiment embedded in a test or the binary).
const UnnamedFile = "<name>"

// Pos is a position in an experiment file: 1-based line and 1-based byte
// column (the convention of the Go tools and of BurntSushi/toml). The zero
// Pos means "no position": the value came from a --set override.
type Pos struct{ Line, Col int }

// IsZero reports whether p is the zero Pos.
func (p Pos) IsZero() bool { return p.Line == 0 && p.Col == 0 }

// Problem is one thing wrong with an experiment: where it is, which key,
// what is wrong and, in parentheses at the end of Msg, what would be valid.
type Problem struct {
	File string // file name as given to Parse; "" for embedded text
	Pos  Pos    // zero when the value came from --set
	Path string // dotted key path (see KnownPath); "" for TOML syntax errors
	Msg  string // what is wrong (what is valid)
}

// Error formats the problem as one line:
//
//	file:line:col: key.path: what is wrong (what is valid)
//	--set key.path: what is wrong (what is valid)
func (p Problem) Error() string {
	if p.Pos.IsZero() {
		return "--set " + p.Path + ": " + p.Msg
	}
	file := p.File
	if file == "" {
		file = UnnamedFile
	}
	if p.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", file, p.Pos.Line, p.Pos.Col, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", file, p.Pos.Line, p.Pos.Col, p.Path, p.Msg)
}

// Problems is every problem found in one experiment. It is an error: one
// line per problem, sorted by position then path (--set problems first).
type Problems []Problem

func (ps Problems) Error() string {
	s := slices.Clone(ps)
	s.sort()
	lines := make([]string, len(s))
	for i, p := range s {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the problems by file, position, path and message, and drops
// exact duplicates.
func (ps *Problems) sort() {
	slices.SortFunc(*ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	*ps = slices.Compact(*ps)
}

// err returns ps as an error, or nil when there are no problems.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.sort()
	return ps
}
