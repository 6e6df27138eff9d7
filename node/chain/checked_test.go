package chain

import (
	"errors"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestCommitmentsCheckedOnce: Execute skips the transactions-root check of
// a block object the gossip check marked (so its transactions are hashed
// once), and checks again a marked block whose header changed since;
// execution still rejects different transactions under a marked header,
// by the roots it computes.
func TestCommitmentsCheckedOnce(t *testing.T) {
	env := newTestEnv(t, 2)
	proposer := env.open(t, memdb.New())
	pool := newPool(t, proposer)
	if err := pool.Add(env.transfer(t, 0, 0, 100))[0]; err != nil {
		t.Fatal(err)
	}
	built, err := proposer.Build(BuildParams{Proposer: common.Address{0xaa}, Time: 1_700_000_001},
		pool.Executable(proposer.NextBaseFee(proposer.Head().Header)))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := built.Block.Encode()
	if err != nil {
		t.Fatal(err)
	}
	decode := func() *block.Block {
		b, err := block.Decode(enc, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	verifier := env.open(t, memdb.New())

	// Marked, then its transactions replaced: the root is not recomputed
	// (no ErrTxRoot), and execution refuses the block by its roots.
	swapped := decode()
	verifier.CommitmentsChecked(swapped)
	swapped.Transactions = types.Transactions{env.transfer(t, 1, 0, 5)}
	if _, err := verifier.Execute(swapped); !errors.Is(err, execution.ErrInvalidBlock) || errors.Is(err, block.ErrTxRoot) {
		t.Fatalf("marked block with other transactions: got %v, want an execution failure", err)
	}
	// Marked, then its header changed: checked again.
	changed := decode()
	verifier.CommitmentsChecked(changed)
	changed.Header.TxHash = common.Hash{1}
	if _, err := verifier.Execute(changed); !errors.Is(err, ErrBadHeader) || !errors.Is(err, block.ErrTxRoot) {
		t.Fatalf("marked block with a changed header: got %v, want ErrTxRoot", err)
	}
	// Unmarked with a wrong root: refused by the root check.
	unmarked := decode()
	unmarked.Transactions = types.Transactions{env.transfer(t, 1, 0, 5)}
	if _, err := verifier.Execute(unmarked); !errors.Is(err, block.ErrTxRoot) {
		t.Fatalf("unmarked block with other transactions: got %v, want ErrTxRoot", err)
	}
	// The marked, unchanged block executes.
	good := decode()
	verifier.CommitmentsChecked(good)
	if _, err := verifier.Execute(good); err != nil {
		t.Fatalf("marked good block: %v", err)
	}
}
