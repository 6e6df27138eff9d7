package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// builder builds each command of the module at most once per process and
// remembers where it put the binaries.
type builder struct {
	mu     sync.Mutex
	dir    string
	builds map[string]*build
}

// build is one command's build, done once.
type build struct {
	once sync.Once
	path string
	err  error
}

// binaries is the process-wide build cache. It is the package's only
// package-level state, on purpose: every cluster of a test process shares
// the binaries, which take seconds to build.
var binaries = &builder{}

// Binary returns the path of the module's command cmd/<name>, building it
// on the first call in this process. Later calls (from any goroutine) wait
// for that build and return its result.
func Binary(name string) (string, error) {
	return binaries.binary(name)
}

// RunTests runs a test package's tests and then removes the binaries the
// harness built. Use it from TestMain: os.Exit(cluster.RunTests(m)).
func RunTests(m *testing.M) int {
	code := m.Run()
	binaries.mu.Lock()
	dir := binaries.dir
	binaries.mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}

func (b *builder) binary(name string) (string, error) {
	b.mu.Lock()
	if b.builds == nil {
		b.builds = map[string]*build{}
	}
	bd, ok := b.builds[name]
	if !ok {
		bd = &build{}
		b.builds[name] = bd
	}
	b.mu.Unlock()
	bd.once.Do(func() { bd.path, bd.err = b.compile(name) })
	return bd.path, bd.err
}

// compile runs go build for ./cmd/<name> from the module root.
func (b *builder) compile(name string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build %s: the go command is not on PATH: %w", name, err)
	}
	root, err := moduleRoot(goTool)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	b.mu.Lock()
	if b.dir == "" {
		if b.dir, err = os.MkdirTemp("", "bilayer-cluster-bin-"); err != nil {
			b.mu.Unlock()
			return "", fmt.Errorf("build %s: create binary directory: %w", name, err)
		}
	}
	out := filepath.Join(b.dir, name)
	b.mu.Unlock()

	cmd := exec.Command(goTool, "build", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgoSetting(goTool))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %w\n%s", name, err, stderr.String())
	}
	if err := touchSources(goTool, root, name); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	return out, nil
}

// touchSources stats every Go source file of the module's packages that
// cmd/<name> is built from. go test caches a test result together with the
// files the test process looked at; the binary is built by a child
// process, so without this a test using the harness would keep reporting a
// cached result after the node's code changed.
func touchSources(goTool, root, name string) error {
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "./cmd/"+name)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list the sources of ./cmd/%s: %w", name, err)
	}
	for _, dir := range strings.Fields(string(out)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("list sources: %w", err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") {
				if _, err := os.Stat(filepath.Join(dir, e.Name())); err != nil {
					return fmt.Errorf("stat source: %w", err)
				}
			}
		}
	}
	return nil
}

// moduleRoot returns the directory of the go.mod that go env GOMOD reports
// for the current working directory.
func moduleRoot(goTool string) (string, error) {
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// cgoSetting returns "1" when the C compiler go would use exists, else "0".
func cgoSetting(goTool string) string {
	out, err := exec.Command(goTool, "env", "CC").Output()
	cc := strings.TrimSpace(string(out))
	if err != nil || cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(strings.Fields(cc)[0]); err != nil {
		return "0"
	}
	return "1"
}
