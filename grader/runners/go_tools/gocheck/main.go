// Command gocheck is the static check of a learner's Go files, run in the sandbox before the
// tests are built (docs/grader.md, "Go: what learner code may do"). It reads learner code and
// runs none of it.
//
//	gocheck CONFIG.json
//
// It parses and type-checks the learner's packages (go/parser, go/types, export data from the
// build cache) and refuses what could reach the verdict from inside the test binary: imports of
// unsafe, syscall, os/exec, reflect, runtime internals, cgo and the like, compiler directives,
// files the build would use besides .go files, assignment to or the address of another
// package's variables, copies of os.File, os.Exit, os.NewFile and the other calls listed below,
// however they are named (aliases and dot imports resolve to the same objects). Each finding is
// one line of JSON on stdout: {"Action":"zachet-refused","Output":"file.go:3:2: reason"}.
//
// When nothing is refused it instruments the exercise's test files (every test function's body
// and every subtest runs through the guard package, which reports how each ended; line numbers
// stay as they were), writes a file into
// each learner package that imports the guard (so the guard's init runs before the learner's),
// prints {"Action":"zachet-tests","Tests":[...]} and executes the configured command (go test
// -c) in its place.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

type config struct {
	// Files relative to the working directory (the module's root).
	Learner  []string `json:"learner"`  // the learner's files (all are checked)
	Tests    []string `json:"tests"`    // the exercise's test files (instrumented)
	Exercise []string `json:"exercise"` // other .go files of the exercise (trusted)
	// What the exercise allows beyond the default policy (exercise.toml [integrity]).
	AllowPackages  []string `json:"allow_packages"`
	AllowFunctions []string `json:"allow_functions"`
	Guard          string   `json:"guard"`   // the guard package's import path (its own module)
	Harness        string   `json:"harness"` // the name of the file that imports it
	Exports        string   `json:"exports"` // JSON {import path: export data file under GOCACHE}
	Go             string   `json:"go"`      // the go command, for export data not listed there
	Then           []string `json:"then"`    // what to execute when nothing is refused
}

type finding struct {
	pos    token.Position
	reason string
}

type checker struct {
	cfg        config
	fset       *token.FileSet
	module     string
	findings   []finding
	typeErrors []finding       // said only when nothing is refused (a refusal may cause them)
	learner    map[string]bool // file names
	exports    map[string]string
	imported   map[string]*types.Package // module-local packages, type-checked
	gc         types.ImporterFrom
	withTest   bool // type-check the root package with its internal test files
	rootPkg    *types.Package
	tests      []string
	// A file did not parse: its errors are the findings, nothing is type-checked.
	syntaxError bool
}

func main() {
	defer func() {
		// A crash of ours is the grader's fault, never the learner's compile error.
		if r := recover(); r != nil {
			internal(fmt.Errorf("the check crashed: %v", r))
		}
	}()
	if len(os.Args) != 2 {
		internal(errors.New("usage: gocheck CONFIG.json"))
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		internal(err)
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		internal(err)
	}
	c := &checker{cfg: cfg, fset: token.NewFileSet(), learner: map[string]bool{}}
	for _, name := range cfg.Learner {
		c.learner[name] = true
	}
	if err := c.run(); err != nil {
		internal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	said := map[string]bool{}
	sort.SliceStable(c.findings, func(i, j int) bool {
		a, b := c.findings[i].pos, c.findings[j].pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	for _, f := range c.findings {
		if text := f.String(); !said[text] { // (a package checked twice says it once)
			said[text] = true
			event(out, map[string]any{"Action": "zachet-refused", "Output": text})
		}
	}
	if len(c.findings) > 0 {
		out.Flush()
		os.Exit(1)
	}
	event(out, map[string]any{"Action": "zachet-tests", "Tests": c.tests})
	out.Flush()
	if len(cfg.Then) == 0 {
		return
	}
	program, err := exec.LookPath(cfg.Then[0])
	if err != nil {
		internal(err)
	}
	internal(syscall.Exec(program, cfg.Then, os.Environ()))
}

func (f finding) String() string {
	where := f.pos.Filename
	if f.pos.Line > 0 {
		where += ":" + strconv.Itoa(f.pos.Line)
		if f.pos.Column > 0 {
			where += ":" + strconv.Itoa(f.pos.Column)
		}
	}
	return where + ": " + f.reason
}

func event(out io.Writer, value map[string]any) {
	line, _ := json.Marshal(value)
	out.Write(append(line, '\n'))
}

func internal(err error) {
	event(os.Stdout, map[string]any{"Action": "zachet-internal", "Output": err.Error()})
	os.Exit(2)
}

func (c *checker) refuse(pos token.Pos, format string, args ...any) {
	c.findings = append(c.findings, finding{c.fset.Position(pos), fmt.Sprintf(format, args...)})
}

func (c *checker) refuseFile(name, format string, args ...any) {
	c.findings = append(c.findings, finding{token.Position{Filename: name}, fmt.Sprintf(format, args...)})
}

// --- the run ---------------------------------------------------------------------------

func (c *checker) run() error {
	module, err := modulePath("go.mod")
	if err != nil {
		return err
	}
	c.module = module
	c.exports = map[string]string{}
	if c.cfg.Exports != "" {
		if data, err := os.ReadFile(c.cfg.Exports); err == nil {
			if err := json.Unmarshal(data, &c.exports); err != nil {
				return fmt.Errorf("%s: %w", c.cfg.Exports, err)
			}
		}
	}
	c.gc = importer.ForCompiler(c.fset, "gc", c.lookup).(types.ImporterFrom)

	learnerGo := map[string][]*ast.File{} // by folder
	for _, name := range c.cfg.Learner {
		if file := c.learnerFile(name); file != nil {
			dir := path.Dir(name)
			learnerGo[dir] = append(learnerGo[dir], file)
		}
	}
	exerciseGo := map[string][]*ast.File{}
	for _, name := range c.cfg.Exercise {
		if file := c.parse(name); file != nil && c.built(name) {
			dir := path.Dir(name)
			exerciseGo[dir] = append(exerciseGo[dir], file)
		}
	}
	if c.syntaxError {
		return nil // nothing to type-check
	}
	internalTests, externalTests, sources, err := c.testFiles()
	if err != nil {
		return err
	}
	tests := map[string][]*ast.File{".": append(slices.Clone(internalTests), externalTests...)}
	if err := c.prefetch(learnerGo, exerciseGo, tests); err != nil {
		return err
	}
	// The learner's packages alone (with the exercise's non-test files): a use of the tests'
	// or the harness's identifiers does not type-check here, and is refused.
	c.imported = map[string]*types.Package{}
	dirs := sortedKeys(learnerGo)
	for _, dir := range dirs {
		files := append(slices.Clone(learnerGo[dir]), exerciseGo[dir]...)
		info := newInfo()
		c.typeCheck(c.importPath(dir), files, info, learnerGo, exerciseGo)
		for _, file := range learnerGo[dir] {
			c.police(file, info) // (what did type-check)
		}
	}
	if len(c.findings) == 0 {
		c.findings = c.typeErrors
	}
	if len(c.findings) > 0 {
		return nil
	}
	return c.instrument(learnerGo, exerciseGo, internalTests, externalTests, sources)
}

func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(strings.TrimSpace(line))
		if len(fields) >= 2 && fields[0] == "module" {
			if unquoted, err := strconv.Unquote(fields[1]); err == nil {
				return unquoted, nil
			}
			return fields[1], nil
		}
	}
	return "", errors.New("go.mod has no module line")
}

func (c *checker) importPath(dir string) string {
	if dir == "." {
		return c.module
	}
	return c.module + "/" + dir
}

func (c *checker) local(importPath string) (string, bool) {
	if importPath == c.module {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(importPath, c.module+"/"); ok {
		return rest, true
	}
	return "", false
}

var buildContext = func() build.Context {
	ctx := build.Default
	ctx.GOOS = "linux"
	ctx.GOARCH = runtime.GOARCH
	ctx.CgoEnabled = false
	return ctx
}()

// built: whether the build would compile the file (build constraints and file name suffixes).
func (c *checker) built(name string) bool {
	ok, err := buildContext.MatchFile(".", name)
	return err == nil && ok
}

// Extensions of files that `go build` compiles, assembles or links besides .go files.
var buildExtensions = []string{".c", ".cc", ".cpp", ".cxx", ".m", ".h", ".hh", ".hpp", ".hxx",
	".f", ".F", ".for", ".f90", ".s", ".S", ".sx", ".swig", ".swigcxx", ".syso"}

func (c *checker) learnerFile(name string) *ast.File {
	base := path.Base(name)
	if slices.Contains(buildExtensions, path.Ext(base)) {
		c.refuseFile(name, "files other than .go files are not built here (assembly, C and object files are refused)")
		return nil
	}
	if base == "go.mod" || base == "go.sum" || base == "go.work" || base == "vendor" ||
		strings.HasPrefix(name, "vendor/") {
		c.refuseFile(name, "a solution may not replace the module's files")
		return nil
	}
	if !strings.HasSuffix(base, ".go") {
		return nil // a text file: not part of the build
	}
	if strings.HasSuffix(base, "_test.go") {
		c.refuseFile(name, "a solution file may not be a test file (*_test.go)")
		return nil
	}
	file := c.parse(name)
	if file == nil || !c.built(name) {
		return nil // a syntax error is a finding; a file the build leaves out runs nothing
	}
	c.directives(file)
	c.imports(file)
	return file
}

func (c *checker) parse(name string) *ast.File {
	source, err := os.ReadFile(name)
	if err != nil {
		c.refuseFile(name, "cannot read the file: %v", err)
		return nil
	}
	file, err := parser.ParseFile(c.fset, name, source, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		var list scanner.ErrorList
		if !errors.As(err, &list) {
			c.refuseFile(name, "%v", err)
			return nil
		}
		for i, e := range list {
			if i == 10 {
				break
			}
			c.findings = append(c.findings, finding{e.Pos, e.Msg})
		}
		c.syntaxError = true
		return nil
	}
	return file
}

// --- directives and imports -------------------------------------------------------------

// Compiler directives a learner file may carry: build constraints and inlining hints.
var allowedDirectives = map[string]bool{"go:build": true, "go:noinline": true}

func (c *checker) directives(file *ast.File) {
	for _, group := range file.Comments {
		for _, comment := range group.List {
			text := comment.Text
			switch {
			case strings.HasPrefix(text, "//go:"):
				name := strings.Fields(text[2:])[0]
				if !allowedDirectives[name] {
					c.refuse(comment.Pos(), "the //%s directive is not allowed (only //go:build and //go:noinline are)", name)
				}
			case strings.HasPrefix(text, "//line ") || strings.HasPrefix(text, "/*line "):
				c.refuse(comment.Pos(), "//line directives are not allowed")
			case strings.HasPrefix(text, "//export ") || strings.HasPrefix(text, "//extern "):
				c.refuse(comment.Pos(), "cgo directives are not allowed")
			}
		}
	}
}

// Packages learner code may not import, and why (the first matching prefix decides).
var refusedImports = []struct{ path, reason string }{
	{"unsafe", "it reads and writes any memory"},
	{"syscall", "it makes raw system calls"},
	{"os/exec", "it runs other programs"},
	{"reflect", "it reaches other packages' unexported state"},
	{"runtime/", "it reaches the runtime's internals"},
	{"plugin", "it loads code at run time"},
	{"C", "cgo is not available"},
	{"internal/", "it is internal to the standard library"},
	{"vendor/", "it is internal to the standard library"},
	{"golang.org/x/sys", "it makes raw system calls"},
}

func (c *checker) allowedPackage(importPath string) bool {
	return slices.Contains(c.cfg.AllowPackages, importPath)
}

func (c *checker) imports(file *ast.File) {
	for _, spec := range file.Imports {
		importPath, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue // a syntax error
		}
		if c.allowedPackage(importPath) {
			continue
		}
		refused := ""
		for _, rule := range refusedImports {
			// "runtime/": the packages under runtime; "syscall": it and those under it
			under := strings.HasSuffix(rule.path, "/")
			if (!under && importPath == rule.path) ||
				strings.HasPrefix(importPath, strings.TrimSuffix(rule.path, "/")+"/") {
				refused = rule.reason
				break
			}
		}
		if refused == "" && (strings.Contains(importPath, "/internal/") || strings.HasSuffix(importPath, "/internal")) {
			refused = "it is internal to another package"
		}
		if importPath == c.cfg.Guard || strings.HasPrefix(importPath, c.cfg.Guard+"/") {
			refused = "it is the grader's own package"
		} else if _, local := c.local(importPath); !local && refused == "" &&
			strings.Contains(strings.Split(importPath, "/")[0], ".") {
			refused = "only the standard library is available"
		}
		if refused != "" {
			c.refuse(spec.Path.Pos(), "import %q is not allowed: %s", importPath, refused)
		}
	}
}

// --- type-checking ----------------------------------------------------------------------

func newInfo() *types.Info {
	return &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Implicits:  map[ast.Node]types.Object{},
	}
}

type importerFunc func(path, dir string, mode types.ImportMode) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path, "", 0) }
func (f importerFunc) ImportFrom(path, dir string, mode types.ImportMode) (*types.Package, error) {
	return f(path, dir, mode)
}

// typeCheck checks one package; its type errors become findings (at most 10 per package).
func (c *checker) typeCheck(importPath string, files []*ast.File, info *types.Info,
	learnerGo, exerciseGo map[string][]*ast.File) (*types.Package, error) {
	var errs []error
	var importing func(path, dir string, mode types.ImportMode) (*types.Package, error)
	importing = func(p, dir string, mode types.ImportMode) (*types.Package, error) {
		if local, ok := c.local(p); ok {
			if p == c.module && c.rootPkg != nil { // the package under test, for its _test package
				return c.rootPkg, nil
			}
			if pkg, done := c.imported[p]; done {
				if pkg == nil {
					return nil, fmt.Errorf("import cycle through %s", p)
				}
				return pkg, nil
			}
			deps := append(slices.Clone(learnerGo[local]), exerciseGo[local]...)
			if len(deps) == 0 {
				return nil, fmt.Errorf("package %s has no Go files", p)
			}
			c.imported[p] = nil
			pkg, err := c.typeCheck(p, deps, newInfo(), learnerGo, exerciseGo)
			if err != nil {
				return nil, err
			}
			c.imported[p] = pkg
			return pkg, nil
		}
		return c.gc.ImportFrom(p, dir, mode)
	}
	conf := types.Config{
		Importer: importerFunc(importing),
		Error: func(err error) {
			if len(errs) < 10 {
				errs = append(errs, err)
			}
		},
		Sizes: types.SizesFor("gc", runtime.GOARCH),
	}
	pkg, _ := conf.Check(importPath, c.fset, files, info)
	for _, err := range errs {
		var typeErr types.Error
		if errors.As(err, &typeErr) {
			c.typeErrors = append(c.typeErrors, finding{c.fset.Position(typeErr.Pos), typeErr.Msg})
		} else {
			c.typeErrors = append(c.typeErrors, finding{token.Position{Filename: files[0].Name.Name}, err.Error()})
		}
	}
	if len(errs) > 0 {
		return pkg, errors.New("type errors")
	}
	return pkg, nil
}

func (c *checker) lookup(importPath string) (io.ReadCloser, error) {
	file, ok := c.exports[importPath]
	if !ok || file == "" {
		return nil, fmt.Errorf("could not import %s (not in the standard library?)", importPath)
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(os.Getenv("GOCACHE"), file)
	}
	return os.Open(file)
}

// prefetch asks `go list` for the export data of imports the cache's list does not have
// (standard packages the warm-up did not build: go compiles them now, as the build would).
func (c *checker) prefetch(groups ...map[string][]*ast.File) error {
	missing := map[string]bool{}
	for _, group := range groups {
		for _, files := range group {
			for _, file := range files {
				for _, spec := range file.Imports {
					p, err := strconv.Unquote(spec.Path.Value)
					if err != nil || p == "unsafe" || p == "C" {
						continue
					}
					if _, ok := c.local(p); ok {
						continue
					}
					if _, ok := c.exports[p]; !ok {
						missing[p] = true
					}
				}
			}
		}
	}
	if len(missing) == 0 || c.cfg.Go == "" {
		return nil
	}
	args := []string{"list", "-e", "-export", "-json=ImportPath,Export"}
	args = append(args, sortedKeys(missing)...)
	cmd := exec.Command(c.cfg.Go, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		return fmt.Errorf("go list: %v: %s", err, stderr.String())
	}
	decoder := json.NewDecoder(bytes.NewReader(out))
	for {
		var entry struct{ ImportPath, Export string }
		if err := decoder.Decode(&entry); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("go list: %w", err)
		}
		if entry.Export != "" {
			c.exports[entry.ImportPath] = entry.Export
		}
	}
	return nil
}

// --- the policy -------------------------------------------------------------------------

// Objects of allowed packages that learner code may not use, and why.
var refusedObjects = map[string]string{
	"os.Exit":         "it ends the test program",
	"os.NewFile":      "it opens any file descriptor",
	"os.Pipe":         "it makes new file descriptors for standard streams",
	"os.StartProcess": "it starts other programs",
	"os.FindProcess":  "it reaches other processes",
	"os.Process":      "it reaches other processes",
}

// The harmless part of package runtime.
var allowedRuntime = map[string]bool{
	"Gosched": true, "NumGoroutine": true, "GC": true, "NumCPU": true, "GOMAXPROCS": true,
	"Version": true, "KeepAlive": true, "GOOS": true, "GOARCH": true, "Compiler": true,
	"ReadMemStats": true, "MemStats": true,
}

func (c *checker) allowedObject(key string) bool {
	return slices.Contains(c.cfg.AllowFunctions, key)
}

func objectKey(obj types.Object) string {
	return obj.Pkg().Path() + "." + obj.Name()
}

// packageLevel: a package's own function, variable, constant or type (not a method or field).
func packageLevel(obj types.Object) bool {
	return obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope()
}

func (c *checker) police(file *ast.File, info *types.Info) {
	// The learner's own packages are the module's; everything else is another's.
	ours := func(pkg *types.Package) bool {
		_, local := c.local(pkg.Path())
		return local
	}
	foreign := func(obj types.Object) bool {
		return obj != nil && obj.Pkg() != nil && !ours(obj.Pkg()) && packageLevel(obj)
	}
	inFile := func(n ast.Node) bool {
		return n.Pos() >= file.Pos() && n.Pos() <= file.End()
	}
	// Uses of refused objects, called or not (f := os.Exit is refused too).
	for ident, obj := range info.Uses {
		if !inFile(ident) || obj == nil || obj.Pkg() == nil || ours(obj.Pkg()) {
			continue
		}
		c.policeObject(ident, obj)
	}
	// Values of os.File (a copy swaps a file's guts: *os.Stdout = *f) and of os.Process.
	for expr, tv := range info.Types {
		if !inFile(expr) || !tv.IsValue() {
			continue
		}
		if named, ok := tv.Type.(*types.Named); ok && isObject(named.Obj(), "os", "File") &&
			!c.allowedObject("os.File") {
			c.refuse(expr.Pos(), "a copy of an os.File is not allowed (it would replace another file)")
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, lhs := range n.Lhs {
					c.mutation(lhs, info, foreign, "assignment to")
				}
			}
		case *ast.IncDecStmt:
			c.mutation(n.X, info, foreign, "assignment to")
		case *ast.RangeStmt:
			if n.Tok == token.ASSIGN {
				for _, target := range []ast.Expr{n.Key, n.Value} {
					if target != nil {
						c.mutation(target, info, foreign, "assignment to")
					}
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				c.mutation(n.X, info, foreign, "the address of")
			}
		case *ast.CallExpr:
			if ident, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && len(n.Args) > 0 {
				if builtin, ok := info.Uses[ident].(*types.Builtin); ok &&
					(builtin.Name() == "copy" || builtin.Name() == "clear") {
					c.mutation(n.Args[0], info, foreign, "changing")
				}
			}
			if obj := calledObject(n, info); obj != nil && isObject(obj, "runtime", "GOMAXPROCS") {
				if len(n.Args) != 1 || !isZero(info.Types[n.Args[0]]) {
					c.refuse(n.Pos(), "runtime.GOMAXPROCS may only be read (runtime.GOMAXPROCS(0))")
				}
			}
		case *ast.SelectorExpr:
			// A pointer method on another package's variable takes its address.
			if sel, ok := info.Selections[n]; ok && sel.Kind() == types.MethodVal {
				if fn, ok := sel.Obj().(*types.Func); ok {
					recv := fn.Type().(*types.Signature).Recv()
					if recv != nil && isPointer(recv.Type()) && !isPointer(sel.Recv()) {
						c.mutation(n.X, info, foreign, "a pointer method on")
					}
				}
			}
		}
		return true
	})
}

func (c *checker) policeObject(ident *ast.Ident, obj types.Object) {
	pkg := obj.Pkg().Path()
	if !packageLevel(obj) {
		// A method or field: what its receiver's type says (os.Process's methods).
		if fn, ok := obj.(*types.Func); ok {
			if recv := fn.Type().(*types.Signature).Recv(); recv != nil {
				if named := namedOf(recv.Type()); named != nil && named.Obj().Pkg() != nil {
					key := objectKey(named.Obj())
					if reason, refused := refusedObjects[key]; refused && !c.allowedObject(key) {
						c.refuse(ident.Pos(), "%s.%s is not allowed: %s", key, obj.Name(), reason)
					}
				}
			}
		}
		return
	}
	key := objectKey(obj)
	if c.allowedObject(key) || c.allowedPackage(pkg) && pkg != "runtime" {
		return
	}
	if pkg == "runtime" && !allowedRuntime[obj.Name()] && !c.allowedPackage("runtime") {
		c.refuse(ident.Pos(), "runtime.%s is not allowed (only Gosched, NumGoroutine, GC, NumCPU, GOMAXPROCS(0), Version, KeepAlive and ReadMemStats are)", obj.Name())
		return
	}
	if reason, refused := refusedObjects[key]; refused {
		c.refuse(ident.Pos(), "%s is not allowed: %s", key, reason)
	}
}

// mutation refuses a change of another package's variable: expr's root (through fields,
// indexes, slicing and dereferences) is one.
func (c *checker) mutation(expr ast.Expr, info *types.Info, foreign func(types.Object) bool, what string) {
	for {
		switch e := expr.(type) {
		case *ast.ParenExpr:
			expr = e.X
			continue
		case *ast.StarExpr:
			expr = e.X
			continue
		case *ast.IndexExpr:
			expr = e.X
			continue
		case *ast.IndexListExpr:
			expr = e.X
			continue
		case *ast.SliceExpr:
			expr = e.X
			continue
		case *ast.SelectorExpr:
			if _, isField := info.Selections[e]; isField {
				expr = e.X
				continue
			}
			expr = e.Sel // a qualified identifier: pkg.Var
			continue
		case *ast.Ident:
			obj := info.Uses[e]
			if _, isVar := obj.(*types.Var); isVar && foreign(obj) && !c.allowedObject(objectKey(obj)) {
				c.refuse(e.Pos(), "%s %s is not allowed (another package's variable)", what, objectKey(obj))
			}
		}
		return
	}
}

func calledObject(call *ast.CallExpr, info *types.Info) types.Object {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		return info.Uses[fun]
	case *ast.SelectorExpr:
		return info.Uses[fun.Sel]
	}
	return nil
}

func isObject(obj types.Object, pkg, name string) bool {
	return obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == pkg && obj.Name() == name
}

func isZero(tv types.TypeAndValue) bool {
	return tv.Value != nil && tv.Value.Kind() == constant.Int && constant.Sign(tv.Value) == 0
}

func isPointer(t types.Type) bool {
	_, ok := t.Underlying().(*types.Pointer)
	return ok
}

func namedOf(t types.Type) *types.Named {
	if pointer, ok := t.(*types.Pointer); ok {
		t = pointer.Elem()
	}
	named, _ := t.(*types.Named)
	return named
}

// --- instrumenting the tests ------------------------------------------------------------

type edit struct {
	at, end int // bytes [at, end) are replaced
	text    string
}

const guardName = "zachetguard"

// testFiles parses the exercise's test files of the package under test: those of the package
// itself and those of its _test package.
func (c *checker) testFiles() (internalTests, externalTests []*ast.File, sources map[*ast.File][]byte, err error) {
	sources = map[*ast.File][]byte{}
	for _, name := range c.cfg.Tests {
		if !strings.HasSuffix(name, "_test.go") || path.Dir(name) != "." {
			continue
		}
		source, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, nil, err
		}
		file, err := parser.ParseFile(c.fset, name, source, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil || !c.built(name) {
			continue // the build reports it (or leaves the file out)
		}
		sources[file] = source
		if strings.HasSuffix(file.Name.Name, "_test") {
			externalTests = append(externalTests, file)
		} else {
			internalTests = append(internalTests, file)
		}
	}
	return internalTests, externalTests, sources, nil
}

func (c *checker) instrument(learnerGo, exerciseGo map[string][]*ast.File,
	internalTests, externalTests []*ast.File, sources map[*ast.File][]byte) error {
	// Types tell t.Run from other Run methods; without them (the tests do not type-check
	// here) only the test functions are watched, and the build says what is wrong.
	infos := map[*ast.File]*types.Info{}
	root := append(append(slices.Clone(learnerGo["."]), exerciseGo["."]...), internalTests...)
	quiet := *c
	quiet.typeErrors = nil
	quiet.imported = map[string]*types.Package{}
	for p, pkg := range c.imported {
		quiet.imported[p] = pkg
	}
	info := newInfo()
	if pkg, err := quiet.typeCheck(c.module, root, info, learnerGo, exerciseGo); err == nil {
		for _, file := range internalTests {
			infos[file] = info
		}
		if len(externalTests) > 0 {
			quiet.rootPkg = pkg
			external := newInfo()
			if _, err := quiet.typeCheck(c.module+"_test", externalTests, external, learnerGo, exerciseGo); err == nil {
				for _, file := range externalTests {
					infos[file] = external
				}
			}
		}
	}
	guardPath := c.cfg.Guard
	seen := map[string]bool{}
	for _, file := range append(internalTests, externalTests...) {
		edits := c.testEdits(file, infos[file], guardPath, seen)
		if err := rewrite(c.fset.File(file.Pos()).Name(), sources[file], edits); err != nil {
			return err
		}
	}
	// The guard's init must run before the learner's: each learner package imports it.
	dirs := map[string]string{}
	for dir, files := range learnerGo {
		dirs[dir] = files[0].Name.Name
	}
	if _, ok := dirs["."]; !ok {
		if files := exerciseGo["."]; len(files) > 0 {
			dirs["."] = files[0].Name.Name
		} else if len(internalTests) > 0 {
			dirs["."] = internalTests[0].Name.Name
		}
	}
	for dir, name := range dirs {
		text := fmt.Sprintf("// Code generated by the grader. DO NOT EDIT.\n\npackage %s\n\nimport _ %q\n", name, guardPath)
		if err := os.WriteFile(path.Join(dir, c.cfg.Harness), []byte(text), 0o644); err != nil {
			return err
		}
	}
	sort.Strings(c.tests)
	return nil
}

var testName = regexp.MustCompile(`^Test($|[^\p{Ll}])`)

// The methods of testing.T (and testing.TB) whose messages the guard reports (guard.Errorf),
// or that fail the test with no message (guard.Fail), or log what a failure may then show.
var reports = map[string]bool{
	"Error": true, "Errorf": true, "Fatal": true, "Fatalf": true,
	"Fail": true, "FailNow": true, "Log": true, "Logf": true,
}

func (c *checker) testEdits(file *ast.File, info *types.Info, guardPath string, seen map[string]bool) []edit {
	tf := c.fset.File(file.Pos())
	offset := func(pos token.Pos) int { return tf.Offset(pos) }
	// On the package clause's line: the file's lines stay where they were.
	edits := []edit{{offset(file.Name.End()), offset(file.Name.End()),
		fmt.Sprintf("; import %s %q", guardName, guardPath)}}
	testingName := ""
	for _, spec := range file.Imports {
		if spec.Path.Value == `"testing"` {
			testingName = "testing"
			if spec.Name != nil {
				testingName = spec.Name.Name
			}
		}
	}
	isTestingT := func(expr ast.Expr) bool {
		if info != nil {
			if tv, ok := info.Types[expr]; ok {
				if named := namedOf(tv.Type); named != nil && isPointer(tv.Type) {
					return isObject(named.Obj(), "testing", "T")
				}
				return false
			}
		}
		star, ok := expr.(*ast.StarExpr)
		if !ok {
			return false
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && testingName != "" && pkg.Name == testingName && sel.Sel.Name == "T"
	}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Body == nil || !testName.MatchString(fn.Name.Name) ||
			fn.Type.TypeParams != nil || fn.Type.Results != nil ||
			len(fn.Type.Params.List) != 1 || len(fn.Type.Params.List[0].Names) > 1 ||
			!isTestingT(fn.Type.Params.List[0].Type) {
			continue
		}
		param := fn.Type.Params.List[0]
		name := "zachetT"
		if len(param.Names) == 0 {
			edits = append(edits, edit{offset(param.Type.Pos()), offset(param.Type.Pos()), name + " "})
		} else if param.Names[0].Name == "_" {
			edits = append(edits, edit{offset(param.Names[0].Pos()), offset(param.Names[0].End()), name})
		} else {
			name = param.Names[0].Name
		}
		// func TestX(t *testing.T) { zachetguard.Watch(t, func() { BODY }) }
		at := offset(fn.Body.Lbrace) + 1
		edits = append(edits, edit{at, at, fmt.Sprintf(" %s.Watch(%s, func() {", guardName, name)})
		end := offset(fn.Body.Rbrace)
		edits = append(edits, edit{end, end, "})"})
		if !seen[fn.Name.Name] {
			seen[fn.Name.Name] = true
			c.tests = append(c.tests, fn.Name.Name)
		}
	}
	if info != nil {
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			if !ok {
				return true
			}
			selection, ok := info.Selections[sel]
			if !ok || selection.Kind() != types.MethodVal {
				return true
			}
			named := namedOf(selection.Recv())
			if named == nil {
				return true
			}
			receiver := string(c.sourceOf(file, sel.X))
			if reports[sel.Sel.Name] && (isObject(named.Obj(), "testing", "T") ||
				isObject(named.Obj(), "testing", "TB")) {
				if isObject(named.Obj(), "testing", "T") && !isPointer(selection.Recv()) {
					receiver = "&" + receiver
				}
				// t.Errorf(format, v) -> zachetguard.Errorf(t, format, v), on the same lines:
				// the message goes over the report channel too (guard.Errorf); t.Fail() ->
				// zachetguard.Fail(t)
				separator := ", "
				if len(call.Args) == 0 {
					separator = ""
				}
				edits = append(edits, edit{offset(call.Fun.Pos()), offset(call.Lparen) + 1,
					fmt.Sprintf("%s.%s(%s%s", guardName, sel.Sel.Name, receiver, separator)})
				return true
			}
			if sel.Sel.Name != "Run" || len(call.Args) != 2 || call.Ellipsis.IsValid() ||
				!isObject(named.Obj(), "testing", "T") {
				return true
			}
			if !isPointer(selection.Recv()) {
				receiver = "&" + receiver
			}
			// t.Run(name, f) -> zachetguard.Run(t, name, f), on the same lines
			edits = append(edits, edit{offset(call.Fun.Pos()), offset(call.Lparen) + 1,
				fmt.Sprintf("%s.Run(%s, ", guardName, receiver)})
			return true
		})
	}
	// Unused imports are errors: the file uses the guard at least once.
	end := offset(file.FileEnd)
	edits = append(edits, edit{end, end, fmt.Sprintf("\nvar _ = %s.Watch\n", guardName)})
	return edits
}

func (c *checker) sourceOf(file *ast.File, expr ast.Expr) []byte {
	tf := c.fset.File(file.Pos())
	source, err := os.ReadFile(tf.Name())
	if err != nil {
		return nil
	}
	return source[tf.Offset(expr.Pos()):tf.Offset(expr.End())]
}

func rewrite(name string, source []byte, edits []edit) error {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].at < edits[j].at })
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.at < last {
			continue // overlaps an earlier edit (a t.Run inside another's receiver)
		}
		out.Write(source[last:e.at])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(source[last:])
	// A new file in its place: the grader wrote the original, which may not be ours to write.
	temporary := name + ".zachet-new"
	if err := os.WriteFile(temporary, out.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(temporary, name)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}
