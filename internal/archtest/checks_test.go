package archtest

import (
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// The tests below feed the checkers made-up packages and files, to show
// that each rule catches what it should and nothing else.

func TestCheckFile(t *testing.T) {
	randFuncs := map[string]map[string]bool{
		"math/rand":    {"Intn": true, "Float64": true, "Seed": true, "New": true, "NewSource": true},
		"math/rand/v2": {"IntN": true, "N": true, "Float64": true, "New": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true},
	}
	tests := []struct {
		name string
		src  string
		want []string // substrings of the violations, in order
	}{
		{"clean", `package p
import ("math/rand/v2"; "time")
func f(d time.Duration) *rand.Rand { _ = time.Duration(0); return rand.New(rand.NewPCG(1, 2)) }`, nil},
		{"time.Now", `package p
import "time"
func f() time.Time { return time.Now() }`, []string{"time.Now"}},
		{"time.Now as a value", `package p
import "time"
var now = time.Now`, []string{"time.Now"}},
		{"renamed time", `package p
import clock "time"
func f() { clock.Sleep(clock.Since(clock.Time{})) }`, []string{"time.Sleep", "time.Since"}},
		{"global rand v2", `package p
import "math/rand/v2"
func f() int { return rand.IntN(6) }`, []string{"math/rand/v2.IntN"}},
		{"generic global rand", `package p
import "math/rand/v2"
func f() int { return rand.N[int](6) }`, []string{"math/rand/v2.N"}},
		{"global rand v1", `package p
import mrand "math/rand"
func f() { mrand.Seed(1); _ = mrand.Intn(3) }`, []string{"math/rand.Seed", "math/rand.Intn"}},
		{"local generators", `package p
import ("math/rand"; r2 "math/rand/v2")
var a = rand.New(rand.NewSource(1))
var b = r2.New(r2.NewChaCha8([32]byte{}))
var z = r2.NewZipf(b, 2, 1, 10)
func f() int { return a.Intn(3) + b.IntN(3) }`, nil},
		{"methods of a generator named like the package are not mistaken for it", `package p
import "math/rand/v2"
type gen struct{ rand *rand.Rand }
func (g gen) f() int { return g.rand.IntN(3) }`, nil},
		{"dot import", `package p
import . "math/rand/v2"
func f() int { return IntN(3) }`, []string{"dot-imports"}},
		{"blank import", `package p
import _ "time"`, nil},
		{"forbidden imports", `package p
import ("net"; "net/http"; "os"; "os/exec"; "sync"; "sync/atomic"; "syscall"; "netip"; "osx")`,
			[]string{`"net"`, `"net/http"`, `"os"`, `"os/exec"`, `"sync"`, `"sync/atomic"`, `"syscall"`}},
		{"goroutine", `package p
func f() { go f() }`, []string{"goroutine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", tt.src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			got := checkFile(fset, f, randFuncs)
			if len(got) != len(tt.want) {
				t.Fatalf("checkFile found %d violations %v; want %d", len(got), got, len(tt.want))
			}
			for i, v := range got {
				if !strings.Contains(v.msg, tt.want[i]) {
					t.Errorf("violation %d = %q; want it to mention %q", i, v.msg, tt.want[i])
				}
			}
		})
	}
}

func TestGeneratorOnly(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"//go:build ignore\n", true},
		{"//go:build ignore && linux\n", true},
		{"//go:build linux\n", false},
		{"//go:build !linux\n", false},
		{"//go:build ignore || linux\n", false},
	}
	for _, tt := range tests {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", tt.header+"\npackage p\n", parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if got := generatorOnly(f); got != tt.want {
			t.Errorf("generatorOnly(%q) = %v; want %v", tt.header, got, tt.want)
		}
	}
}

func TestCheckLayers(t *testing.T) {
	const mod = "example.com/m"
	pkg := func(rel string, imports ...string) listedPackage {
		p := listedPackage{ImportPath: mod + "/" + rel, Doc: "Package x."}
		for _, imp := range imports {
			if !strings.Contains(imp, ".") && imp != "fmt" {
				imp = mod + "/" + imp
			}
			p.Imports = append(p.Imports, imp)
		}
		return p
	}
	tests := []struct {
		name string
		pkgs []listedPackage
		want []string
	}{
		{"downward", []listedPackage{
			pkg("cmd/iotsim", "experiments", "experiments/config", "sim", "fmt"),
			pkg("experiments", "experiments/output", "topologies", "sim"),
			pkg("experiments/output", "metrics"),
			pkg("topologies", "experiments/config", "protocols/mqtt", "models/link", "metrics"),
			pkg("experiments/config", "models/energy"),
			pkg("protocols/mqtt", "protocols/tcp", "models/link", "sim"),
			pkg("models/link", "models/energy", "metrics", "sim", "gonum.org/v1/gonum/stat"),
			pkg("metrics", "sim"),
			pkg("sim"),
			pkg("internal/archtest"),
		}, nil},
		{"upward", []listedPackage{
			pkg("sim/x", "metrics"),
			pkg("metrics", "models/link"),
			pkg("models/link", "protocols/mqtt"),
			pkg("protocols/mqtt", "topologies"),
			pkg("experiments/config", "topologies"),
			pkg("experiments/output", "cmd/iotsim"),
		}, []string{"sim/x (layer sim) imports metrics", "metrics (layer metrics) imports models/link",
			"models/link (layer models) imports protocols/mqtt", "protocols/mqtt (layer protocols) imports topologies",
			"experiments/config (layer experiments/config) imports topologies", "experiments/output (layer experiments) imports cmd/iotsim"}},
		{"no layer", []listedPackage{pkg("network", "sim"), pkg("internal/util")},
			[]string{"network is in no layer", "internal/util is in no layer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := checkLayers(&module{path: mod, pkgs: tt.pkgs}, nil)
			if len(got) != len(tt.want) {
				t.Fatalf("checkLayers found %d violations %q; want %d", len(got), got, len(tt.want))
			}
			for i, v := range got {
				if !strings.Contains(v, tt.want[i]) {
					t.Errorf("violation %d = %q; want it to mention %q", i, v, tt.want[i])
				}
			}
		})
	}
	t.Run("known", func(t *testing.T) {
		m := &module{path: mod, pkgs: []listedPackage{pkg("models/link", "topologies")}}
		known := map[[2]string]string{{"models/link", "topologies"}: "debt", {"sim", "cmd"}: "gone"}
		got, used := checkLayers(m, known)
		if len(got) != 0 || !used[[2]string{"models/link", "topologies"}] || used[[2]string{"sim", "cmd"}] {
			t.Errorf("checkLayers = %q, used %v; want no violations, only the first known edge used", got, used)
		}
	})
}

func TestCheckDocs(t *testing.T) {
	got := checkDocs([]listedPackage{{ImportPath: "a", Doc: "Package a does."}, {ImportPath: "b"}, {ImportPath: "c", Doc: " "}})
	if want := []string{"b", "c"}; len(got) != 2 || !strings.HasPrefix(got[0], want[0]) || !strings.HasPrefix(got[1], want[1]) {
		t.Errorf("checkDocs = %q; want violations for %v", got, want)
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "doc comment") }) {
		t.Errorf("checkDocs messages %q do not say what is missing", got)
	}
}
