package layering

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/bilayer/bilayer"

type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listPackages runs `go list -deps` over the module and returns its own
// packages with their direct imports and transitive dependencies.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []goPackage
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func under(path string, dirs ...string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// soleImporters maps a third-party module to the only package of ours that
// may import it directly.
var soleImporters = map[string]string{
	"github.com/cockroachdb/pebble":        "store/pebble",
	"github.com/libp2p/go-libp2p":          "p2p/libp2p",
	"github.com/libp2p/go-libp2p-pubsub":   "p2p/libp2p",
	"github.com/multiformats/go-multiaddr": "p2p/libp2p",
}

func TestSoleImporters(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			for lib, owner := range soleImporters {
				if under(imp, lib) || strings.HasPrefix(imp, lib+"/v") {
					if !under(rel(p.ImportPath), owner) {
						t.Errorf("%s imports %s; only %s may", rel(p.ImportPath), imp, owner)
					}
				}
			}
		}
	}
}

// forbiddenInternal lists, for each layer, the bilayer packages it must not
// depend on, even indirectly.
var forbiddenInternal = []struct {
	layer     string
	forbidden []string
}{
	{"core", []string{"store", "node", "rollup", "bridge", "p2p", "devnet", "cmd"}},
	{"store", []string{"core", "node", "rollup", "bridge", "p2p", "devnet", "cmd"}},
	{"p2p", []string{"core", "store", "node", "rollup", "bridge", "devnet", "cmd"}},
	{"txpool", []string{"store", "node", "rollup", "bridge", "p2p", "devnet", "cmd", "chaindb"}},
	{"chaindb", []string{"node", "rollup", "bridge", "p2p", "devnet", "cmd", "txpool"}},
	{"node/consensus", []string{"store", "node/signer", "txpool", "node/chain", "p2p", "rollup", "devnet", "cmd"}},
	{"node/signer", []string{"node/chain", "txpool", "p2p", "rollup", "devnet", "cmd"}},
	{"node", []string{"rollup/sequencer", "rollup/batcher", "rollup/challenger", "rollup/derive", "rollup/l1", "devnet", "cmd"}},
	{"rollup", []string{"node", "p2p/libp2p", "devnet", "cmd"}},
	{"ethrpc", []string{"store", "node", "rollup", "bridge", "p2p", "devnet", "cmd"}},
	{"bridge", []string{"node", "rollup/sequencer", "rollup/challenger", "devnet", "cmd"}},
	{"rollup/protocol", []string{"store", "txpool", "chaindb", "p2p", "ethrpc", "bridge", "rollup/config", "rollup/batch",
		"rollup/contract", "rollup/derive", "rollup/sequencer", "rollup/challenger", "rollup/l1", "rollup/l2chain"}},
	{"rollup/contract", []string{"store", "txpool", "chaindb", "p2p", "ethrpc", "rollup/derive", "rollup/sequencer",
		"rollup/challenger", "rollup/l1", "rollup/l2chain"}},
}

func TestLayering(t *testing.T) {
	for _, p := range listPackages(t) {
		me := rel(p.ImportPath)
		for _, rule := range forbiddenInternal {
			if !under(me, rule.layer) {
				continue
			}
			for _, dep := range p.Deps {
				if !strings.HasPrefix(dep, module+"/") {
					continue
				}
				if d := rel(dep); under(d, rule.forbidden...) {
					t.Errorf("%s depends on %s, which layer %s must not", me, d, rule.layer)
				}
			}
		}
	}
}

// pureStdlib lists standard-library packages a [pure] package must not
// import: no I/O, no goroutine coordination, no global randomness.
var pureStdlib = []string{"os", "os/exec", "net", "net/http", "sync", "math/rand", "math/rand/v2", "io/ioutil", "syscall"}

// purePackages are the [pure] layers of DESIGN.md section 2.
var purePackages = []string{"node/consensus", "rollup/derive", "rollup/protocol", "rollup/batch"}

func TestPurePackagesDoNoIO(t *testing.T) {
	for _, p := range listPackages(t) {
		me := rel(p.ImportPath)
		if !under(me, purePackages...) || strings.HasSuffix(me, "_test") {
			continue
		}
		for _, imp := range p.Imports {
			if slices.Contains(pureStdlib, imp) {
				t.Errorf("pure package %s imports %s", me, imp)
			}
		}
	}
}
