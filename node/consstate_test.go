package node

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestValueBlocksSurviveRestart proves the block a validator locked on is
// saved before the state naming it and comes back after a restart, so a
// restarted proposer can re-propose it (found when every validator of a
// devnet was stopped at the same precommit: none held the locked block and
// the height never ended); blocks of another height or value are ignored.
func TestValueBlocksSurviveRestart(t *testing.T) {
	db := memdb.New()
	mk := func(n int64, extra byte) *block.Block {
		return block.Assemble(&types.Header{Number: big.NewInt(n), BaseFee: big.NewInt(1), Extra: []byte{extra}}, nil, block.Extras{})
	}
	locked, other := mk(7, 1), mk(7, 2)
	lockedID, otherID := consensus.BlockID(locked.Hash()), consensus.BlockID(other.Hash())
	blocks := map[consensus.BlockID]*block.Block{lockedID: locked, otherID: other}
	st := consensus.PersistedState{Height: 7, LockedValue: lockedID, ValidValue: lockedID}
	saved := make(map[consensus.BlockID]bool)
	if err := saveValueBlocks(db, st, blocks, saved); err != nil {
		t.Fatal(err)
	}
	if err := saveConsensusState(db, st); err != nil {
		t.Fatal(err)
	}
	got, err := loadValueBlocks(db, st, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[lockedID] == nil || got[lockedID].Hash() != locked.Hash() {
		t.Fatalf("restored %d blocks, want the locked one", len(got))
	}
	// A state of the next height ignores the saved block.
	if got, err := loadValueBlocks(db, consensus.PersistedState{Height: 8, LockedValue: lockedID}, 1<<20); err != nil || len(got) != 0 {
		t.Fatalf("next height restored %d blocks (%v)", len(got), err)
	}
	// A new valid value is saved beside the lock; an unchanged set is not
	// rewritten.
	st.ValidValue = otherID
	if err := saveValueBlocks(db, st, blocks, saved); err != nil {
		t.Fatal(err)
	}
	if got, _ := loadValueBlocks(db, st, 1<<20); len(got) != 2 {
		t.Fatalf("restored %d blocks, want locked and valid", len(got))
	}
}
