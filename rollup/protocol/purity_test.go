package protocol

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPackageIsPure enforces the package's contract mechanically: its
// non-test code imports no I/O, concurrency, clock or randomness and
// starts no goroutine, so every party computes the same answers.
func TestPackageIsPure(t *testing.T) {
	allowed := map[string]bool{
		"errors": true, "fmt": true, "math/big": true,
		"github.com/bilayer/bilayer/core/block":      true,
		"github.com/ethereum/go-ethereum/common":     true,
		"github.com/ethereum/go-ethereum/core/types": true,
		"github.com/ethereum/go-ethereum/crypto":     true,
		"github.com/ethereum/go-ethereum/rlp":        true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: goroutine at %s", name, fset.Position(g.Pos()))
			}
			return true
		})
	}
}
