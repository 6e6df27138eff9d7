package l2open

import (
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/devnet"
)

// TestOpenTwiceKeepsTheChain: the second open of a directory finds the
// chain the first one created, and a cache below the minimum is refused.
func TestOpenTwiceKeepsTheChain(t *testing.T) {
	g, err := devnet.NewGenesis([]common.Address{{1}}, common.Address{2}, 1_700_000_000)
	if err != nil {
		t.Fatal(err)
	}
	dir, log := t.TempDir(), slog.New(slog.DiscardHandler)
	l1Genesis := common.Hash{7}
	first, err := Open(g, l1Genesis, dir, 32, log)
	if err != nil {
		t.Fatal(err)
	}
	want := first.Chain.Head().Hash()
	if first.Config.L2ChainID == 0 {
		t.Fatal("no L2 chain id in the opened config")
	}
	first.Close(log)

	again, err := Open(g, l1Genesis, dir, 32, log)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(log)
	if got := again.Chain.Head().Hash(); got != want {
		t.Fatalf("reopened head %s, want %s", got, want)
	}
	if _, err := Open(g, l1Genesis, t.TempDir(), 1, log); err == nil {
		t.Fatal("a 1 MiB cache was accepted")
	}
}
