package experiments

import (
	"embed"
	"sort"
	"strings"
)

//go:embed *.toml
var examples embed.FS

// DefaultExample is the experiment `iotsim run` runs when given no file.
const DefaultExample = "quickstart"

// Example returns the text of a shipped example by name ("quickstart").
func Example(name string) ([]byte, bool) {
	b, err := examples.ReadFile(name + ".toml")
	return b, err == nil
}

// Examples lists the shipped examples by name.
func Examples() []string {
	entries, _ := examples.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(names)
	return names
}
