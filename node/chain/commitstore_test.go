package chain

import (
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
)

func TestCommitStoreRoundTrip(t *testing.T) {
	db := memdb.New()
	commit := &block.Commit{Height: 5, Round: 1, BlockHash: common.Hash{5},
		Signatures: []block.CommitSig{{Validator: common.Address{7}, Signature: make([]byte, 65)}}}
	batch := db.NewBatch()
	if err := WriteCommit(batch, commit); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCommit(db, 5); !IsNotFound(err) {
		t.Fatalf("commit visible before the batch commits: %v", err)
	}
	if err := batch.Commit(true); err != nil {
		t.Fatal(err)
	}
	c, err := ReadCommit(db, 5)
	if err != nil || c.BlockHash != commit.BlockHash || c.Round != 1 || len(c.Signatures) != 1 ||
		c.Signatures[0].Validator != (common.Address{7}) {
		t.Fatalf("commit %+v, %v", c, err)
	}
	if _, err := ReadCommit(db, 9); !IsNotFound(err) {
		t.Fatalf("missing commit: %v", err)
	}
}
