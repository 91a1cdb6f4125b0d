package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// layers are the module's folders from the bottom up. A package belongs to
// the layer of the longest folder that contains it, and may import packages
// of its own layer and of the layers below it, nothing above:
// cmd → experiments → topologies → experiments/config → live → protocols →
// models → metrics → sim. The experiment schema (experiments/config) sits below
// topologies because topologies builds worlds from it, while the runner in
// experiments ties everything together from above. The live adapters
// (live/...) run protocol engines on real sockets, outside any simulation.
var layers = []string{"sim", "metrics", "models", "protocols", "live", "experiments/config", "topologies", "experiments", "cmd"}

// exempt folders are outside the layering.
var exempt = []string{"internal/archtest", "internal/interop"}

// sandboxed folders hold code that must be deterministic and do no I/O: it
// runs inside the simulator (the kernel, the models), and protocol engines
// also run under live adapters that own all I/O.
var sandboxed = []string{"sim", "models", "protocols"}

// forbiddenImports are the packages that sandboxed code must not import,
// each with its subpackages (net/http, os/exec, sync/atomic, …).
var forbiddenImports = []string{"net", "os", "sync", "syscall"}

// wallClock are the functions of package time that read the wall clock or
// wait in real time.
var wallClock = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

// randConstructors are the functions of math/rand and math/rand/v2 that
// make a generator of one's own; every other function uses the global one.
var randConstructors = []string{"New", "NewSource", "NewPCG", "NewChaCha8", "NewZipf"}

// knownLayerViolations are imports against the layering that the tree had
// when this test was written, keyed by (importing folder, imported folder)
// relative to the module root. Each is a debt to pay back; delete its entry
// when it is fixed. Do not add entries for new code.
var knownLayerViolations = map[[2]string]string{}

// listedPackage is the part of `go list -json` output these tests use.
type listedPackage struct {
	Dir            string
	ImportPath     string
	Doc            string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	Imports        []string
	Error          *struct{ Err string }
}

type module struct {
	path, root string
	pkgs       []listedPackage
}

// loadModule lists the packages of the module that contains this test.
var loadModule = sync.OnceValues(func() (*module, error) {
	gomod, err := goCmd("", "env", "GOMOD")
	if err != nil {
		return nil, err
	}
	gomod = strings.TrimSpace(gomod)
	if gomod == "" || gomod == "/dev/null" || gomod == "NUL" {
		return nil, fmt.Errorf("not in a module (go env GOMOD = %q)", gomod)
	}
	m := &module{root: filepath.Dir(gomod)}
	if m.path, err = goCmd(m.root, "list", "-m"); err != nil {
		return nil, err
	}
	m.path = strings.TrimSpace(m.path)
	if m.pkgs, err = goList(m.root, "./..."); err != nil {
		return nil, err
	}
	return m, consultSources(m.root)
})

// consultSources reads every directory and non-test Go file of the module.
// go list reads them in a child process, which go test's result cache does
// not see; reading them here makes a cached pass go stale when a package
// or file is added, removed or edited.
func consultSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// The directories the go command ignores.
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if name == "go.mod" || strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			_, err = os.ReadFile(path)
		}
		return err
	})
}

func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

func goList(dir string, patterns ...string) ([]listedPackage, error) {
	out, err := goCmd(dir, append([]string{"list", "-e", "-json"}, patterns...)...)
	if err != nil {
		return nil, err
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}

func mustLoad(t *testing.T) *module {
	t.Helper()
	m, err := loadModule()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.pkgs {
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
	}
	return m
}

// rel is the path of an import path relative to the module root ("" for
// the root itself), or ok == false if it is outside the module.
func (m *module) rel(importPath string) (rel string, ok bool) {
	if importPath == m.path {
		return "", true
	}
	rel, ok = strings.CutPrefix(importPath, m.path+"/")
	return rel, ok
}

// within reports whether rel is one of folders or below one of them.
func within(rel string, folders []string) bool {
	for _, f := range folders {
		if rel == f || strings.HasPrefix(rel, f+"/") {
			return true
		}
	}
	return false
}

// layer is the index in layers of the longest layer folder containing rel,
// or -1.
func layer(rel string) int {
	best, bestLen := -1, -1
	for i, l := range layers {
		if (rel == l || strings.HasPrefix(rel, l+"/")) && len(l) > bestLen {
			best, bestLen = i, len(l)
		}
	}
	return best
}

// layerOrder is the layers from the top down, for messages.
func layerOrder() string {
	l := slices.Clone(layers)
	slices.Reverse(l)
	return strings.Join(l, " → ")
}

func TestPackageDocs(t *testing.T) {
	m := mustLoad(t)
	for _, v := range checkDocs(m.pkgs) {
		t.Error(v)
	}
}

func checkDocs(pkgs []listedPackage) []string {
	var out []string
	for _, p := range pkgs {
		if strings.TrimSpace(p.Doc) == "" {
			out = append(out, fmt.Sprintf("%s has no package doc comment: say what it owns and what it must not do (a doc.go)", p.ImportPath))
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	m := mustLoad(t)
	violations, used := checkLayers(m, knownLayerViolations)
	for _, v := range violations {
		t.Error(v)
	}
	for edge, why := range knownLayerViolations {
		if !used[edge] {
			t.Logf("known layering violation %s → %s is gone; delete its entry in knownLayerViolations", edge[0], edge[1])
		} else {
			t.Logf("tolerating known layering violation %s → %s: %s", edge[0], edge[1], why)
		}
	}
}

// checkLayers reports imports within the module that point up the layers,
// except known ones, and packages outside every layer. used tells which
// known violations were seen.
func checkLayers(m *module, known map[[2]string]string) (violations []string, used map[[2]string]bool) {
	used = map[[2]string]bool{}
	for _, p := range m.pkgs {
		from, ok := m.rel(p.ImportPath)
		if !ok || within(from, exempt) {
			continue
		}
		lf := layer(from)
		if lf < 0 {
			violations = append(violations, fmt.Sprintf("%s is in no layer: put it under one of %v, or add its folder to the layers in internal/archtest (and to DESIGN.md)", p.ImportPath, layers))
			continue
		}
		for _, imp := range p.Imports {
			to, ok := m.rel(imp)
			if !ok || within(to, exempt) {
				continue
			}
			lt := layer(to)
			if lt <= lf {
				continue // same or lower layer; a package outside every layer is reported as such
			}
			edge := [2]string{from, to}
			if _, ok := known[edge]; ok {
				used[edge] = true
				continue
			}
			violations = append(violations, fmt.Sprintf("%s (layer %s) imports %s (layer %s): imports must only point down %s",
				from, layers[lf], to, layers[lt], layerOrder()))
		}
	}
	return violations, used
}

func TestSandbox(t *testing.T) {
	m := mustLoad(t)
	randFuncs, err := loadRandFuncs(m.root)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range m.pkgs {
		rel, ok := m.rel(p.ImportPath)
		if !ok || !within(rel, sandboxed) {
			continue
		}
		checked++
		files := slices.Concat(p.GoFiles, p.CgoFiles, p.IgnoredGoFiles)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue // tests may use anything
			}
			path := filepath.Join(p.Dir, name)
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				t.Error(err)
				continue
			}
			if generatorOnly(f) {
				continue
			}
			for _, v := range checkFile(fset, f, randFuncs) {
				if r, err := filepath.Rel(m.root, v.pos.Filename); err == nil {
					v.pos.Filename = r
				}
				t.Errorf("%s: %s", v.pos, v.msg)
			}
		}
	}
	if checked == 0 {
		t.Error("found no package under sim or protocols to check")
	}
}

// generatorOnly reports whether f is built only with the "ignore" tag, the
// convention for programs run by go generate, which may do I/O.
func generatorOnly(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			x, err := constraint.Parse(c.Text)
			if err != nil {
				return false
			}
			// True if the file builds only when "ignore" is set.
			return !x.Eval(func(tag string) bool { return tag != "ignore" }) &&
				x.Eval(func(tag string) bool { return true })
		}
	}
	return false
}

// loadRandFuncs returns the names of the package-level functions of
// math/rand and math/rand/v2, read from the Go installation's source.
func loadRandFuncs(dir string) (map[string]map[string]bool, error) {
	pkgs, err := goList(dir, "math/rand", "math/rand/v2")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	for _, p := range pkgs {
		funcs := map[string]bool{}
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.IsExported() {
					funcs[fd.Name.Name] = true
				}
			}
		}
		if len(funcs) == 0 {
			return nil, fmt.Errorf("found no functions in %s", p.ImportPath)
		}
		out[p.ImportPath] = funcs
	}
	return out, nil
}

type violation struct {
	pos token.Position
	msg string
}

// checkFile reports forbidden imports, wall-clock reads, uses of the global
// random source and go statements in f. The check is syntactic: it assumes
// that no local name shadows an imported package's name.
func checkFile(fset *token.FileSet, f *ast.File, randFuncs map[string]map[string]bool) []violation {
	var out []violation
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, violation{fset.Position(n.Pos()), fmt.Sprintf(format, args...)})
	}
	watched := map[string]string{} // local name → import path, for time and the rand packages
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		if within(path, forbiddenImports) {
			report(spec, "imports %q: sim and protocols must not do I/O or use %v", path, forbiddenImports)
		}
		if path != "time" && randFuncs[path] == nil {
			continue
		}
		name := filepath.Base(path)
		if path == "math/rand/v2" {
			name = "rand"
		}
		if spec.Name != nil {
			name = spec.Name.Name
		}
		switch name {
		case "_":
		case ".":
			report(spec, "dot-imports %q, which hides its wall-clock or global-random functions from this check", path)
		default:
			watched[name] = path
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n, "starts a goroutine: a run is single-threaded, and engines are driven by their environment")
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			path, ok := watched[id.Name]
			switch fn := n.Sel.Name; {
			case !ok:
			case path == "time" && slices.Contains(wallClock, fn):
				report(n, "uses time.%s: simulated code reads the time it is given (sim.Time), never the wall clock", fn)
			case randFuncs[path][fn] && !slices.Contains(randConstructors, fn):
				report(n, "uses %s.%s, the global random source: draw from the entity's own sim.Stream", path, fn)
			}
		}
		return true
	})
	return out
}
