package syscontract_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bilayer/bilayer/core/syscontract"
)

// TestShippedABIsParse proves every JSON ABI shipped in the repository's
// abi/ directory is a valid Solidity ABI, so external tools can load it.
// Each contract package additionally tests that its embedded JSON equals
// its abi/ file.
func TestShippedABIsParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "abi", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := syscontract.ParseABI(string(data))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(a.Methods) == 0 {
			t.Errorf("%s: no methods", f)
		}
	}
	// Every system contract of the chains ships its ABI (DESIGN section 12).
	for _, name := range []string{"staking.json", "bridge.json", "rollup.json", "withdrawal_queue.json"} {
		if !slices.Contains(files, filepath.Join("..", "..", "abi", name)) {
			t.Errorf("abi/%s is missing", name)
		}
	}
	if _, err := syscontract.ParseABI("[{"); err == nil {
		t.Error("ParseABI accepted malformed JSON")
	}
}
